//! Checks of a module call's `source` and `version`: the address grammar, a remote module
//! that `skelc init` has not installed (or installed for another source or constraint), and a
//! `version` where it does not apply.

use skel_db::Code;
use skel_hir::source::{installed_module, SourceAddr, VersionConstraint};
use skel_syntax::{Block, TextRange};

use crate::infer::InferCtx;

impl InferCtx<'_> {
    /// Why a literal `source` did not resolve to a directory.
    pub(crate) fn report_unresolved_source(&mut self, block: &Block, text: &str, range: TextRange) {
        let addr = match SourceAddr::parse(text) {
            Err(e) => {
                self.error(Code::InvalidModuleSource, range, "Invalid module source")
                    .with_span_message(e.message)
                    .help = Some(e.hint);
                return;
            }
            Ok(addr) => addr,
        };
        debug_assert!(addr.is_remote(), "a local path always resolves");
        let name = block.labels.first().map(|l| l.value.as_str()).unwrap_or("");
        let note = match installed_module(self.db, self.dir, name) {
            Some((_, entry)) => format!(
                "`skelc init` installed this module from `{}`; the source has changed since",
                entry.source
            ),
            None => format!("`{addr}` is fetched by `skelc init` into `.skel/modules/`"),
        };
        self.error(
            Code::ModuleNotInstalled,
            range,
            "Module not installed; run `skelc init`",
        )
        .with_span_message("this remote module is not installed")
        .with_note(note)
        .help = Some("run `skelc init` in the root module's directory".into());
    }

    /// `version`: a valid constraint, on a registry source only, and the one `skelc init`
    /// installed for.
    pub(crate) fn check_module_version(&mut self, block: &Block) {
        let Some(attr) = block.body.attribute("version") else {
            return;
        };
        let Some(text) = attr.expr.as_literal_string() else {
            self.error(
                Code::InvalidModuleVersion,
                attr.expr.range,
                "A module `version` must be a literal string",
            )
            .help = Some("write a constraint like `version = \"~> 1.2\"`".into());
            return;
        };
        let source = block
            .body
            .attribute("source")
            .and_then(|s| s.expr.as_literal_string());
        if let Some(source) = &source {
            if let Ok(addr) = SourceAddr::parse(source) {
                if !matches!(addr, SourceAddr::Registry(_)) {
                    self.error(
                        Code::InvalidModuleVersion,
                        attr.expr.range,
                        "`version` applies only to registry sources",
                    )
                    .with_span_message("this module's source is not a registry address")
                    .help = Some(match addr {
                        SourceAddr::Git(_) => {
                            "select a git version with `?ref=TAG` in the source".into()
                        }
                        _ => "remove `version`".into(),
                    });
                    return;
                }
            }
        }
        if let Err(e) = VersionConstraint::parse(&text) {
            self.error(
                Code::InvalidModuleVersion,
                attr.expr.range,
                "Invalid version constraint",
            )
            .with_span_message(e.0)
            .help = Some(
                "combine `=`, `!=`, `>`, `>=`, `<`, `<=`, `~>` with commas, like `>= 1.2, < 2.0`"
                    .into(),
            );
            return;
        }
        let name = block.labels.first().map(|l| l.value.as_str()).unwrap_or("");
        if let Some((_, entry)) = installed_module(self.db, self.dir, name) {
            if source.as_deref() == Some(entry.source.as_str())
                && entry.version_constraint.as_deref() != Some(text.as_str())
            {
                self.error(
                    Code::ModuleNotInstalled,
                    attr.expr.range,
                    "Module not installed for this version constraint; run `skelc init`",
                )
                .with_span_message(format!(
                    "`skelc init` installed version {} for `{}`",
                    entry.version.as_deref().unwrap_or("?"),
                    entry
                        .version_constraint
                        .as_deref()
                        .unwrap_or("no constraint")
                ))
                .help = Some("run `skelc init` (or `skelc init -upgrade`)".into());
            }
        }
    }
}
