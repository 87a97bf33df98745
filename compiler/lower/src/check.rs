//! Lowering `check` blocks: the scoped data source (as a data resource only the check reads)
//! and the assertions, with what they refer to.

use skel_plan_ir::{CheckConfig, ResourceMode};
use skel_syntax::Block;

use crate::module::BlockCx;
use crate::LowerError;

impl BlockCx<'_> {
    pub(crate) fn check(&self, block: &Block) -> Result<CheckConfig, LowerError> {
        let name = self.label(block, 0, "name")?.to_string();
        let data = match block.body.blocks_of("data").next() {
            Some(data) => Some(self.resource(ResourceMode::Data, data)?),
            None => None,
        };
        let asserts = block
            .body
            .blocks_of("assert")
            .map(|a| self.condition(a))
            .collect::<Result<Vec<_>, _>>()?;
        let references = self.references(|r| {
            for v in &asserts {
                r.expr(&v.condition);
                r.expr(&v.error_message);
            }
        });
        Ok(CheckConfig {
            name,
            data,
            asserts,
            references,
            location: self.block_location(block),
        })
    }
}
