//! Engine errors: each carries the address it concerns and the source location of the block,
//! and renders as one clear sentence. Never contains sensitive values.

use skel_plan_ir::SourceLocation;

#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
#[error("{message}")]
pub struct EngineError {
    /// The resource instance, module instance or object the error concerns (`aws_vpc.main`).
    pub address: Option<String>,
    pub location: Option<SourceLocation>,
    pub message: String,
    /// How to fix it, when there is a likely way.
    pub help: Option<String>,
}

impl EngineError {
    pub fn new(message: impl Into<String>) -> Self {
        EngineError {
            address: None,
            location: None,
            message: message.into(),
            help: None,
        }
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
