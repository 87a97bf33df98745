//! Helpers shared by the function families' unit tests.

use skel_value::Value;

use crate::{call_by_name, CallError, NoContext};

/// Call a built-in by name with no file system.
pub(crate) fn call(name: &str, args: &[Value]) -> Result<Value, CallError> {
    call_by_name(name, args, &NoContext)
}

/// A string value.
pub(crate) fn s(v: &str) -> Value {
    Value::string(v)
}
