//! Between the protocol's messages and skel's: `DynamicValue`s to send, diagnostics and
//! attribute paths received (protocol 5's are read as protocol 6's, which have the same
//! fields), gRPC statuses as error text.

use crate::answer::{AttributePath, Diagnostic, PathStep, Severity};
use crate::handshake::chain;
use crate::proto::tfplugin5 as v5;
use crate::proto::tfplugin6 as v6;

macro_rules! dynamic_value {
    ($module:ident) => {
        pub(crate) fn $module(bytes: Vec<u8>) -> $module::DynamicValue {
            $module::DynamicValue {
                msgpack: bytes,
                json: Vec::new(),
            }
        }
    };
}

pub(crate) mod encode {
    use super::{v5, v6};
    dynamic_value!(v5);
    dynamic_value!(v6);
}

macro_rules! diagnostics_from {
    ($name:ident, $module:ident) => {
        pub(crate) fn $name(diagnostics: Vec<$module::Diagnostic>) -> Vec<Diagnostic> {
            diagnostics
                .into_iter()
                .map(|d| Diagnostic {
                    severity: match $module::diagnostic::Severity::try_from(d.severity) {
                        Ok($module::diagnostic::Severity::Warning) => Severity::Warning,
                        _ => Severity::Error,
                    },
                    summary: d.summary,
                    detail: d.detail,
                    attribute: d
                        .attribute
                        .map(|p| path_from_v6(into_v6_path(p)))
                        .unwrap_or_default(),
                })
                .collect()
        }
    };
}

fn into_v6_path(p: impl IntoV6Path) -> v6::AttributePath {
    p.into_v6()
}

pub(crate) trait IntoV6Path {
    fn into_v6(self) -> v6::AttributePath;
}

impl IntoV6Path for v6::AttributePath {
    fn into_v6(self) -> v6::AttributePath {
        self
    }
}

impl IntoV6Path for v5::AttributePath {
    fn into_v6(self) -> v6::AttributePath {
        use v5::attribute_path::step::Selector as S5;
        use v6::attribute_path::step::Selector as S6;
        v6::AttributePath {
            steps: self
                .steps
                .into_iter()
                .map(|s| v6::attribute_path::Step {
                    selector: s.selector.map(|sel| match sel {
                        S5::AttributeName(a) => S6::AttributeName(a),
                        S5::ElementKeyString(k) => S6::ElementKeyString(k),
                        S5::ElementKeyInt(i) => S6::ElementKeyInt(i),
                    }),
                })
                .collect(),
        }
    }
}

pub(crate) fn path_from_v6(p: v6::AttributePath) -> AttributePath {
    use v6::attribute_path::step::Selector as S;
    AttributePath(
        p.steps
            .into_iter()
            .filter_map(|s| {
                s.selector.map(|sel| match sel {
                    S::AttributeName(a) => PathStep::Attribute(a),
                    S::ElementKeyString(k) => PathStep::Key(k),
                    S::ElementKeyInt(i) => PathStep::Index(i),
                })
            })
            .collect(),
    )
}

diagnostics_from!(diagnostics_v5, v5);
diagnostics_from!(diagnostics_v6, v6);

/// A gRPC status as one line: its code, its message and what caused it (tonic's own `Display`
/// lists metadata too).
pub(crate) fn status_text(status: &tonic::Status) -> String {
    let mut out = format!("{:?}", status.code());
    if !status.message().is_empty() {
        out.push_str(": ");
        out.push_str(status.message());
    }
    if let Some(source) = std::error::Error::source(status) {
        let causes = chain(source);
        if !out.contains(&causes) && !causes.ends_with(status.message()) {
            out.push_str(": ");
            out.push_str(&causes);
        }
    }
    out
}
