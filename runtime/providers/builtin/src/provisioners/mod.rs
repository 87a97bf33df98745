//! Provisioners: `local-exec` on the machine running skel, `file` and `remote-exec` over SSH.
//!
//! The engine calls [`run`] with the provisioner's evaluated body and, for `file` and
//! `remote-exec`, the evaluated `connection` body (both objects per the schemas in
//! `skel_types::meta`). Output is streamed line by line to `output`. `when` and `on_failure`
//! are the engine's business and are ignored here.
//!
//! Error messages name the command's exit status, the last lines of its error output and, for
//! SSH, `user@host:port`; they never contain the private key, the password or the commands.

use std::collections::VecDeque;

use skel_provider::fault::{self, When};
use skel_provider::ProviderError;
use skel_value::Value;

mod host_keys;
mod local_exec;
mod remote;
pub mod ssh;

pub use ssh::{parse_duration, Connection};

/// How many lines of error output an error message quotes.
const STDERR_TAIL: usize = 10;

/// Runs the provisioner `kind` (`local-exec`, `file` or `remote-exec`).
pub async fn run(
    kind: &str,
    args: &Value,
    connection: Option<&Value>,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    // Crash points for the crash suites (no-ops without the `fault-injection` feature): before
    // the provisioner starts, at each line it prints (it is running), after it finished.
    fault::point("provisioner", kind, When::Before);
    let during = format!("{kind} output");
    let output = &mut |line: &str| {
        fault::point("provisioner", &during, When::After);
        output(line)
    };
    let result = run_kind(kind, args, connection, output).await;
    fault::point("provisioner", kind, When::After);
    result
}

async fn run_kind(
    kind: &str,
    args: &Value,
    connection: Option<&Value>,
    output: &mut (dyn FnMut(&str) + Send),
) -> Result<(), ProviderError> {
    match kind {
        "local-exec" => local_exec::run(args, output).await,
        "file" | "remote-exec" => {
            let Some(connection) = connection.filter(|c| !c.is_null()) else {
                return Err(ProviderError::InvalidConfig(format!(
                    "The {kind} provisioner needs a `connection` block (in the provisioner or \
                     in its resource)."
                )));
            };
            let connection = Connection::from_value(connection)?;
            if kind == "file" {
                remote::file(args, &connection, output).await
            } else {
                remote::remote_exec(args, &connection, output).await
            }
        }
        other => Err(ProviderError::InvalidConfig(format!(
            "Unknown provisioner `{other}`: expected `local-exec`, `file` or `remote-exec`."
        ))),
    }
}

/// Splits a byte stream into lines for the output callback and remembers the last lines.
#[derive(Default)]
pub(crate) struct Lines {
    partial: Vec<u8>,
    tail: VecDeque<String>,
}

impl Lines {
    /// Feeds bytes; every complete line goes to `output`.
    pub(crate) fn push(&mut self, bytes: &[u8], output: &mut (dyn FnMut(&str) + Send)) {
        for &b in bytes {
            if b == b'\n' {
                self.emit(output);
            } else {
                self.partial.push(b);
            }
        }
    }

    /// Emits the last, unterminated line if there is one.
    pub(crate) fn finish(&mut self, output: &mut (dyn FnMut(&str) + Send)) {
        if !self.partial.is_empty() {
            self.emit(output);
        }
    }

    fn emit(&mut self, output: &mut (dyn FnMut(&str) + Send)) {
        let mut line = String::from_utf8_lossy(&self.partial).into_owned();
        self.partial.clear();
        if line.ends_with('\r') {
            line.pop();
        }
        output(&line);
        if self.tail.len() == STDERR_TAIL {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }

    /// The last lines seen, formatted for an error message ("" when there were none).
    pub(crate) fn tail_message(&self) -> String {
        let lines: Vec<&str> = self
            .tail
            .iter()
            .map(String::as_str)
            .filter(|l| !l.trim().is_empty())
            .collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!(
                "\nLast lines of its error output:\n  {}",
                lines.join("\n  ")
            )
        }
    }
}

/// A string argument of an object.
pub(crate) fn string_arg<'a>(obj: &'a Value, name: &str) -> Option<&'a str> {
    crate::common::get_str(obj, name)
}

/// A list-of-strings argument of an object (`None` when omitted).
pub(crate) fn strings_arg(
    kind: &str,
    obj: &Value,
    name: &str,
) -> Result<Option<Vec<String>>, ProviderError> {
    match crate::common::get(obj, name) {
        Value::Null => Ok(None),
        v => match v.as_sequence() {
            Some(items) => items
                .iter()
                .map(|i| {
                    i.as_str().map(str::to_string).ok_or_else(|| {
                        ProviderError::InvalidConfig(format!(
                            "{kind}: `{name}` must be a list of known strings."
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            None => Err(ProviderError::InvalidConfig(format!(
                "{kind}: `{name}` must be a list of strings."
            ))),
        },
    }
}
