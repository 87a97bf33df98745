//! Durations written as constants (`connection { timeout = "5m" }`, `timeouts { create = "10m" }`)
//! are parsed at check time with the parser the runtime uses, so an absurd or malformed one is a
//! diagnostic before anything runs.

use skel_db::Code;
use skel_syntax::{Block, Expr};

use crate::infer::InferCtx;

impl InferCtx<'_> {
    /// Check the durations in a resource block: its `connection` blocks (also those inside
    /// provisioners) and its `timeouts` block.
    pub(crate) fn check_durations(&mut self, block: &Block) {
        for inner in block.body.blocks() {
            match inner.ident.name.as_str() {
                "connection" => {
                    if let Some(attr) = inner.body.attribute("timeout") {
                        self.check_duration(&attr.expr, "`timeout`");
                    }
                }
                "timeouts" => {
                    for attr in inner.body.attributes() {
                        self.check_duration(&attr.expr, &format!("`timeouts.{}`", attr.name.name));
                    }
                }
                "provisioner" => self.check_durations(inner),
                _ => {}
            }
        }
    }

    fn check_duration(&mut self, expr: &Expr, what: &str) {
        let Some(skel_value::Value::String(text)) = crate::constant::constant_value(expr) else {
            return;
        };
        if let Err(why) = skel_schema::parse_duration(&text) {
            self.error(
                Code::InvalidDuration,
                expr.range,
                format!("Invalid duration for {what}"),
            )
            .with_span_message(why.to_string())
            .help = Some(format!(
                "write a duration such as \"30s\", \"5m\" or \"1h30m\" (at most {}h)",
                skel_schema::MAX_DURATION.as_secs() / 3600
            ));
        }
    }
}
