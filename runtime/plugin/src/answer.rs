//! What a plugin answers, in skel's terms: [`Response`] (an answer and the plugin's
//! diagnostics), [`Diagnostic`] with its [`AttributePath`], and the answers of the resource
//! lifecycle calls.

use std::fmt;

use skel_value::Value;

use crate::error::{PluginError, PluginId};

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One step of an attribute path: `.name`, `["key"]`, `[0]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Key(String),
    Index(i64),
}

/// A path into a value, as the plugin gave it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AttributePath(pub Vec<PathStep>);

impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for step in &self.0 {
            match step {
                PathStep::Attribute(a) => write!(f, ".{a}")?,
                PathStep::Key(k) => write!(f, "[{k:?}]")?,
                PathStep::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

/// A diagnostic from the plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    /// Where in the configuration or value it applies; empty for the whole.
    pub attribute: AttributePath,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        if !self.attribute.0.is_empty() {
            write!(f, " (at {})", self.attribute)?;
        }
        Ok(())
    }
}

/// An answer and the plugin's diagnostics.
#[derive(Clone, Debug)]
pub struct Response<T> {
    pub value: T,
    pub diagnostics: Vec<Diagnostic>,
    /// The call that answered (for errors).
    pub(crate) rpc: &'static str,
    pub(crate) plugin: PluginId,
}

impl<T> Response<T> {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The answer and its warnings, or the error diagnostics as an error.
    pub fn ok(self) -> Result<(T, Vec<Diagnostic>), PluginError> {
        if self.has_errors() {
            return Err(PluginError::Diagnostics {
                plugin: self.plugin,
                rpc: self.rpc,
                diagnostics: self.diagnostics,
            });
        }
        Ok((self.value, self.diagnostics))
    }
}

/// `PlanResourceChange`'s answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub planned_state: Value,
    /// Paths whose change forces replacement.
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    /// Set by the legacy SDK: its answers may differ from the plan in ways Terraform tolerates.
    pub legacy_type_system: bool,
}

/// `ApplyResourceChange`'s answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub legacy_type_system: bool,
}

/// `ReadResource`'s answer: null when the object is gone.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadState {
    pub new_state: Value,
    pub private: Vec<u8>,
}

/// One object `ImportResourceState` found.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    pub type_name: String,
    pub state: Value,
    pub private: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_read_as_one_line_with_their_path() {
        let d = Diagnostic {
            severity: Severity::Error,
            summary: "Invalid value".into(),
            detail: "Must be positive.".into(),
            attribute: AttributePath(vec![
                PathStep::Attribute("rule".into()),
                PathStep::Index(0),
                PathStep::Key("k".into()),
            ]),
        };
        assert_eq!(
            d.to_string(),
            "Invalid value: Must be positive. (at .rule[0][\"k\"])"
        );
    }
}
