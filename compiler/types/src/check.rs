//! `check "NAME" { data … assert { condition error_message } }` blocks (Terraform 1.5): at
//! most one scoped data source, seen only inside its check, and one or more assertions
//! checked like preconditions (a `bool` condition, a `string` message).

use skel_db::Code;
use skel_hir::DefKind;
use skel_syntax::Block;

use crate::infer::InferCtx;

impl InferCtx<'_> {
    pub(crate) fn check_check(&mut self, block: &Block) {
        let name = block.label(0).unwrap_or_default().to_string();
        for attr in block.body.attributes() {
            self.error(
                Code::UnknownArgument,
                attr.name.range,
                format!("Unsupported argument `{}` in a check", attr.name.name),
            )
            .help = Some("a check takes one optional `data` block and `assert` blocks".into());
        }
        let mut asserts = 0;
        let mut data_seen = false;
        for inner in block.body.blocks() {
            match inner.ident.name.as_str() {
                "assert" => {
                    asserts += 1;
                    self.check_condition_block(inner);
                }
                "data" if inner.labels.len() != 2 => {
                    self.error(
                        Code::InvalidBlockLabels,
                        inner.header_range(),
                        "A `data` block takes 2 labels: type, name",
                    )
                    .help = Some("write `data \"TYPE\" \"NAME\" { … }`".into());
                }
                "data" if data_seen => {
                    self.error(
                        Code::CheckScopedData,
                        inner.header_range(),
                        format!("`check.{name}` declares more than one data source"),
                    )
                    .with_span_message("a second scoped data source")
                    .help = Some(
                        "a check may declare one `data` block; declare the others at the top \
                         level of the module"
                            .into(),
                    );
                }
                "data" => {
                    data_seen = true;
                    self.check_resource(inner, DefKind::Data);
                }
                other => {
                    self.error(
                        Code::UnknownBlockType,
                        inner.ident.range,
                        format!("Unsupported block `{other}` in a check"),
                    )
                    .help =
                        Some("a check takes one optional `data` block and `assert` blocks".into());
                }
            }
        }
        if asserts == 0 {
            self.error(
                Code::CheckWithoutAssert,
                block.header_range(),
                format!("`check.{name}` has no `assert` block"),
            )
            .with_span_message("this check checks nothing")
            .help =
                Some("add `assert { condition = … error_message = \"…\" }` (one or more)".into());
        }
    }
}
