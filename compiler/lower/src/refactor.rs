//! Lowering `moved`, `removed` and `import` blocks: their addresses, read statically, as
//! patterns the runtime matches against state (`import` keys stay expressions: they may be
//! computed from `each`).

use skel_hir::refactor::{parse_endpoint, AddrKey, Endpoint};
use skel_plan_ir::{AddrPattern, ImportConfig, InstanceKey, MovedConfig, RemovedConfig};
use skel_syntax::{Block, Expr, Step};

use crate::module::BlockCx;
use crate::LowerError;

fn key(key: &Option<AddrKey>) -> InstanceKey {
    match key {
        // `moved` and `removed` addresses have literal keys only.
        None | Some(AddrKey::Dynamic(_)) => InstanceKey::None,
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

    pub(crate) fn import(&self, block: &Block) -> Result<ImportConfig, LowerError> {
        let missing = |name: &str| {
            self.error(
                block.ident.range.start(),
                format!("an `import` block needs `{name}`"),
            )
        };
        let to = block.body.attribute("to").ok_or_else(|| missing("to"))?;
        let id = block.body.attribute("id").ok_or_else(|| missing("id"))?;
        let not_address = || self.error(to.expr.range.start(), "`to` is not a resource address");
        let (root, steps) = to.expr.as_traversal().ok_or_else(not_address)?;
        // Names and keys in order, as written.
        let mut parts: Vec<Result<&str, &Expr>> = vec![Ok(root.name.as_str())];
        parts.extend(steps.iter().map(|s| match s {
            Step::Attr(ident) => Ok(ident.name.as_str()),
            Step::Index(e) => Err(*e),
        }));
        let mut i = 0;
        let key_at = |i: usize| match parts.get(i) {
            Some(Err(e)) => Some((*e).clone()),
            _ => None,
        };
        let mut to_modules = Vec::new();
        while parts.get(i) == Some(&Ok("module")) {
            let Some(Ok(name)) = parts.get(i + 1) else {
                return Err(not_address());
            };
            let key = key_at(i + 2);
            i += if key.is_some() { 3 } else { 2 };
            to_modules.push((name.to_string(), key));
        }
        let (Some(Ok(type_name)), Some(Ok(name))) = (parts.get(i), parts.get(i + 1)) else {
            return Err(not_address());
        };
        let key = key_at(i + 2);
        let for_each = block.body.attribute("for_each").map(|a| a.expr.clone());
        let references = self.references(|r| {
            r.expr(&id.expr);
            if let Some(e) = &for_each {
                r.expr(e);
            }
            for e in to_modules
                .iter()
                .filter_map(|(_, k)| k.as_ref())
                .chain(&key)
            {
                r.expr(e);
            }
        });
        Ok(ImportConfig {
            to_modules,
            type_name: type_name.to_string(),
            name: name.to_string(),
            key,
            id: id.expr.clone(),
            for_each,
            references,
            location: self.block_location(block),
        })
    }
}
