//! Engine errors: each carries the address it concerns and the source location of the block,
//! and renders as one clear sentence. Never contains sensitive values.

use skel_plan_ir::SourceLocation;

#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    /// What kind of failure (shown as `error[CODE]`; the list is in `docs/diagnostics.md`,
    /// "Errors while planning and applying").
    pub code: &'static str,
    /// The resource instance, module instance or object the error concerns (`aws_vpc.main`).
    pub address: Option<String>,
    pub location: Option<SourceLocation>,
    pub message: String,
    /// How to fix it, when there is a likely way.
    pub help: Option<String>,
}

impl EngineError {
    /// Every code an engine error can have (documented in `docs/diagnostics.md`).
    pub const CODES: &'static [&'static str] = &[
        "evaluation-error",
        "invalid-variable-value",
        "missing-variable-value",
        "invalid-argument",
        "prevent-destroy",
        "provider-error",
        "provisioner-error",
        "runtime-error",
    ];

    /// An error of the engine itself (state, journal, ordering): `runtime-error`.
    pub fn new(message: impl Into<String>) -> Self {
        EngineError {
            code: "runtime-error",
            address: None,
            location: None,
            message: message.into(),
            help: None,
        }
    }

    /// An expression that could be evaluated only now and failed: `evaluation-error`.
    pub fn evaluation(message: impl Into<String>) -> Self {
        EngineError::new(message).with_code("evaluation-error")
    }

    /// A provider operation (read, plan, create, update, delete) that failed: `provider-error`.
    pub fn provider(message: impl Into<String>) -> Self {
        EngineError::new(message).with_code("provider-error")
    }

    /// A provisioner or its connection that failed: `provisioner-error`.
    pub fn provisioner(message: impl Into<String>) -> Self {
        EngineError::new(message).with_code("provisioner-error")
    }

    pub fn with_code(mut self, code: &'static str) -> Self {
        debug_assert!(Self::CODES.contains(&code), "undocumented code {code}");
        self.code = code;
        self
    }

    pub fn at(mut self, address: impl Into<String>, location: Option<&SourceLocation>) -> Self {
        self.address = Some(address.into());
        self.location = location.cloned();
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Several errors (independent branches keep going; every failure is reported at the end).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Errors(pub Vec<EngineError>);

impl std::fmt::Display for Errors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if let Some(addr) = &e.address {
                write!(f, "{addr}: ")?;
            }
            write!(f, "{}", e.message)?;
            if let Some(loc) = &e.location {
                write!(f, " (at {loc})")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}

impl From<EngineError> for Errors {
    fn from(e: EngineError) -> Self {
        Errors(vec![e])
    }
}

#[cfg(test)]
mod tests {
    use super::EngineError;

    #[test]
    fn every_code_is_documented() {
        let doc = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/diagnostics.md"),
        )
        .expect("docs/diagnostics.md");
        let table = doc
            .split("# Errors while planning and applying")
            .nth(1)
            .expect("the section on runtime errors");
        for code in EngineError::CODES {
            assert!(
                table.contains(&format!("| `{code}` |")),
                "{code} is not in the table"
            );
        }
    }
}
