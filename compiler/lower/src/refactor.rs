//! Lowering `moved` and `removed` blocks: their addresses, read statically, as patterns the
//! runtime matches against state.

use skel_hir::refactor::{parse_endpoint, AddrKey, Endpoint};
use skel_plan_ir::{AddrPattern, InstanceKey, MovedConfig, RemovedConfig};
use skel_syntax::Block;

use crate::module::BlockCx;
use crate::LowerError;

fn key(key: &Option<AddrKey>) -> InstanceKey {
    match key {
        None => InstanceKey::None,
        Some(AddrKey::Int(i)) => InstanceKey::Int(*i),
        Some(AddrKey::Str(s)) => InstanceKey::Str(s.clone()),
    }
}

fn pattern(endpoint: &Endpoint) -> AddrPattern {
    AddrPattern {
        modules: endpoint
            .modules
            .iter()
            .map(|m| (m.name.clone(), key(&m.key)))
            .collect(),
        resource: endpoint
            .resource
            .as_ref()
            .map(|r| (r.type_name.clone(), r.name.clone(), key(&r.key))),
    }
}

impl BlockCx<'_> {
    fn address(&self, block: &Block, name: &str) -> Result<AddrPattern, LowerError> {
        let attr = block.body.attribute(name).ok_or_else(|| {
            self.error(
                block.ident.range.start(),
                format!("a `{}` block needs `{name}`", block.ident.name),
            )
        })?;
        parse_endpoint(&attr.expr)
            .map(|e| pattern(&e))
            .map_err(|e| self.error(e.range.start(), e.message))
    }

    pub(crate) fn moved(&self, block: &Block) -> Result<MovedConfig, LowerError> {
        Ok(MovedConfig {
            from: self.address(block, "from")?,
            to: self.address(block, "to")?,
            location: self.block_location(block),
        })
    }

    pub(crate) fn removed(&self, block: &Block) -> Result<RemovedConfig, LowerError> {
        let mut destroy = true;
        for lifecycle in block.body.blocks().filter(|b| b.ident.name == "lifecycle") {
            if let Some(d) = self.constant_bool(&lifecycle.body, "destroy")? {
                destroy = d;
            }
        }
        Ok(RemovedConfig {
            from: self.address(block, "from")?,
            destroy,
            location: self.block_location(block),
        })
    }
}
