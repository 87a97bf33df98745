//! Why `count` or `for_each` gives no instance keys: what the expression evaluated to and what
//! is wrong with it, for the object named by `what` (`` `aws_subnet.a` ``, `module `net``).

use skel_value::Value;

use crate::world::MAX_INSTANCES;

/// An expansion that fails; every message names the object and says what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExpandError {
    /// The expression (or a reference it needs) failed to evaluate, with the evaluator's
    /// message.
    #[error("{0}")]
    Eval(String),
    #[error("the `count` of {what} is derived from a sensitive value, and the number of instances would show it; use `nonsensitive(…)` if the number is not a secret")]
    CountSensitive { what: String },
    #[error("the `count` of {what} depends on values known only after apply; apply the resources it depends on first (with -target) or use a value known at plan time")]
    CountUnknown { what: String },
    #[error("the `count` of {what} is {value}, more than the {MAX_INSTANCES} instances skel allows per resource or module call")]
    CountTooLarge { what: String, value: Value },
    #[error("the `count` of {what} must be a whole number, zero or more; it is {value}")]
    CountInvalid { what: String, value: Value },
    #[error("the `for_each` of {what} is derived from a sensitive value, and its keys would be shown in instance addresses; use `nonsensitive(…)` on the keys if they are not secret")]
    ForEachSensitive { what: String },
    #[error("the `for_each` of {what} depends on values known only after apply; its keys must be known at plan time")]
    ForEachUnknown { what: String },
    #[error("the `for_each` set of {what} must contain strings; it contains {element}")]
    ForEachNonString { what: String, element: Value },
    #[error("the `for_each` of {what} is null")]
    ForEachNull { what: String },
    /// A value that is neither a map nor a set; `kind` is its type's kind (`list`, `number`).
    #[error("the `for_each` of {what} must be a map or a set of strings; it is a {kind}")]
    ForEachType { what: String, kind: &'static str },
    #[error("the `for_each` of {what} has {count} elements, more than the {MAX_INSTANCES} instances skel allows per resource or module call")]
    ForEachTooLarge { what: String, count: usize },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_object_and_the_limit() {
        let what = || "`null_resource.a`".to_string();
        assert_eq!(
            ExpandError::CountTooLarge {
                what: what(),
                value: Value::number(100_001),
            }
            .to_string(),
            "the `count` of `null_resource.a` is 100001, more than the 100000 instances skel \
             allows per resource or module call"
        );
        assert_eq!(
            ExpandError::ForEachType {
                what: what(),
                kind: "list",
            }
            .to_string(),
            "the `for_each` of `null_resource.a` must be a map or a set of strings; it is a list"
        );
        assert_eq!(
            ExpandError::ForEachTooLarge {
                what: what(),
                count: 100_001,
            }
            .to_string(),
            "the `for_each` of `null_resource.a` has 100001 elements, more than the 100000 \
             instances skel allows per resource or module call"
        );
    }
}
