//! Lowering `check` blocks: the scoped data source (as a data resource only the check reads)
//! and the assertions, with what they refer to.

use skel_plan_ir::{CheckConfig, ResourceMode, Validation};
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
        let mut asserts = Vec::new();
        for assert in block.body.blocks_of("assert") {
            let attr = |name: &str| {
                assert
                    .body
                    .attribute(name)
                    .map(|a| a.expr.clone())
                    .ok_or_else(|| {
                        self.error(
                            assert.ident.range.start(),
                            format!("an `assert` block needs `{name}`"),
                        )
                    })
            };
            asserts.push(Validation {
                condition: attr("condition")?,
                error_message: attr("error_message")?,
                location: self.block_location(assert),
            });
        }
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
