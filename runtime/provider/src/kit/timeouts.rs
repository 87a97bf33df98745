//! The `timeouts` block (`create`, `update`, `delete`, `read`): one typed reading of it, with
//! the duration syntax every other duration in skel uses (`skel_schema::parse_duration`) and a
//! clear error naming the argument when a value is not a duration.

use std::time::Duration;

use skel_value::Value;

use super::access::{first_block, get};
use crate::ProviderError;

/// Which operation a timeout bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Read,
}

impl Operation {
    /// The argument's name in the `timeouts` block.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Read => "read",
        }
    }
}

/// A `timeouts` value that is no duration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("timeouts.{operation} is {text:?}: {why}.")]
pub struct TimeoutsError {
    pub operation: &'static str,
    pub text: String,
    pub why: skel_schema::DurationError,
}

impl From<TimeoutsError> for ProviderError {
    fn from(e: TimeoutsError) -> Self {
        ProviderError::InvalidConfig(e.to_string())
    }
}

/// The configured timeouts of one object (`None` where the configuration leaves the default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Option<Duration>,
    pub update: Option<Duration>,
    pub delete: Option<Duration>,
    pub read: Option<Duration>,
}

impl Timeouts {
    /// Reads the `timeouts` of an object value; the block may be written as an object (a
    /// `Single` block) or a list of one object.
    pub fn of(obj: &Value) -> Result<Timeouts, TimeoutsError> {
        let block = match get(obj, "timeouts") {
            Value::List(_) | Value::Set(_) | Value::Tuple(_) => first_block(obj, "timeouts"),
            other => other,
        };
        let read = |op: Operation| -> Result<Option<Duration>, TimeoutsError> {
            match get(block, op.name()).as_str() {
                None => Ok(None),
                Some(_) => timeout(obj, op, Duration::ZERO).map(Some),
            }
        };
        Ok(Timeouts {
            create: read(Operation::Create)?,
            update: read(Operation::Update)?,
            delete: read(Operation::Delete)?,
            read: read(Operation::Read)?,
        })
    }

    /// The timeout of `op`, else `default` (see [`timeout`] to read only the one needed).
    pub fn get(&self, op: Operation, default: Duration) -> Duration {
        let set = match op {
            Operation::Create => self.create,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
            Operation::Read => self.read,
        };
        set.unwrap_or(default)
    }
}

/// The `timeouts.<op>` of an object value, else `default`; only that argument is read, so a
/// bad value of another operation's timeout does not fail this one.
pub fn timeout(obj: &Value, op: Operation, default: Duration) -> Result<Duration, TimeoutsError> {
    let block = match get(obj, "timeouts") {
        Value::List(_) | Value::Set(_) | Value::Tuple(_) => first_block(obj, "timeouts"),
        other => other,
    };
    match get(block, op.name()).as_str() {
        None => Ok(default),
        Some(text) => skel_schema::parse_duration(text).map_err(|why| TimeoutsError {
            operation: op.name(),
            text: text.to_string(),
            why,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skel_value::ValueMap;

    fn with_timeouts(block: Value) -> Value {
        Value::Object([("timeouts".to_string(), block)].into_iter().collect())
    }
    fn block(pairs: &[(&str, &str)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::string(*v)))
                .collect::<ValueMap>(),
        )
    }

    #[test]
    fn reads_each_operation_with_defaults_for_the_rest() {
        let t = Timeouts::of(&with_timeouts(block(&[
            ("create", "1m30s"),
            ("delete", "45"),
        ])))
        .unwrap();
        let ten = Duration::from_secs(600);
        assert_eq!(t.get(Operation::Create, ten), Duration::from_secs(90));
        assert_eq!(t.get(Operation::Delete, ten), Duration::from_secs(45));
        assert_eq!(t.get(Operation::Update, ten), ten);
        assert_eq!(t.get(Operation::Read, ten), ten);
        // A list block of one item reads the same; no block at all is every default.
        let listed = Timeouts::of(&with_timeouts(Value::List(vec![block(&[(
            "update", "2h",
        )])])))
        .unwrap();
        assert_eq!(listed.update, Some(Duration::from_secs(7200)));
        assert_eq!(Timeouts::of(&Value::Null).unwrap(), Timeouts::default());
        assert_eq!(
            Timeouts::of(&with_timeouts(Value::Null)).unwrap(),
            Timeouts::default()
        );
    }

    #[test]
    fn a_bad_duration_is_a_clear_error_naming_the_argument() {
        let err = Timeouts::of(&with_timeouts(block(&[("update", "soon")]))).unwrap_err();
        assert_eq!(err.operation, "update");
        let text = ProviderError::from(err).to_string();
        assert!(text.starts_with("timeouts.update is \"soon\": "), "{text}");
        assert!(text.ends_with('.'), "{text}");
        // Only the operation asked for is read.
        let obj = with_timeouts(block(&[("update", "soon"), ("create", "5m")]));
        assert_eq!(
            timeout(&obj, Operation::Create, Duration::ZERO),
            Ok(Duration::from_secs(300))
        );
        assert!(timeout(&obj, Operation::Update, Duration::ZERO).is_err());
        let huge = Timeouts::of(&with_timeouts(block(&[("create", "99999h")]))).unwrap_err();
        assert!(huge.to_string().contains("longer than"), "{huge}");
    }
}
