//! Sensitivity functions: `sensitive`, `nonsensitive` and `issensitive`, as in Terraform. They
//! are the only functions that see marks: every other function gets its arguments unmarked and
//! its result marked with the marks of all of them ([`crate::call`]).

use skel_value::{Marks, Type, Value};

use crate::util::{arg, func, pn, ret_bool};
use crate::Function;

fn same_type(ts: &[Type]) -> Result<Type, crate::TypeError> {
    Ok(ts.first().cloned().unwrap_or(Type::Dynamic))
}

/// The value with every sensitive mark removed; ephemeral marks stay (an ephemeral value is
/// still never persisted).
fn drop_sensitive(value: &Value) -> Value {
    let (plain, marks) = value.clone().unmark_deep();
    if marks.is_ephemeral() {
        plain.mark(Marks::EPHEMERAL)
    } else {
        plain
    }
}

pub(crate) fn functions() -> Vec<Function> {
    let mut sensitive = func(
        "sensitive",
        "Marks a value as sensitive: it and everything derived from it is shown as `(sensitive value)`.",
        vec![pn("value", Type::Dynamic)],
        same_type,
        |a, _| Ok(arg(a, 0)?.clone().sensitive()),
    );
    let mut nonsensitive = func(
        "nonsensitive",
        "Removes the sensitive marks of a value (and of its parts), so it is shown again.",
        vec![pn("value", Type::Dynamic)],
        same_type,
        |a, _| Ok(drop_sensitive(arg(a, 0)?)),
    );
    let mut issensitive = func(
        "issensitive",
        "Returns true if the value, or any part of it, is sensitive.",
        vec![pn("value", Type::Dynamic)],
        ret_bool,
        |a, _| Ok(Value::Bool(arg(a, 0)?.is_sensitive())),
    );
    for f in [&mut sensitive, &mut nonsensitive, &mut issensitive] {
        f.handles_marks = true;
        f.handles_unknown = true;
    }
    vec![sensitive, nonsensitive, issensitive]
}

#[cfg(test)]
mod tests {
    use crate::testutil::{call, s};
    use skel_value::{Marks, Type, Value};

    #[test]
    fn sensitive_marks_and_nonsensitive_unmarks() {
        let marked = call("sensitive", &[s("pw")]).unwrap();
        assert_eq!(marked.marks(), Marks::SENSITIVE);
        assert_eq!(
            call("issensitive", std::slice::from_ref(&marked)),
            Ok(Value::Bool(true))
        );
        assert_eq!(call("issensitive", &[s("pw")]), Ok(Value::Bool(false)));
        let plain = call("nonsensitive", &[marked]).unwrap();
        assert_eq!(plain, s("pw"));
        let nested = Value::Tuple(vec![s("a"), s("b").sensitive()]);
        assert_eq!(
            call("issensitive", std::slice::from_ref(&nested)),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            call("nonsensitive", &[nested]),
            Ok(Value::Tuple(vec![s("a"), s("b")]))
        );
        let unknown = Value::Unknown(Type::String).sensitive();
        assert_eq!(call("issensitive", &[unknown]), Ok(Value::Bool(true)));
        let ephemeral = s("e").mark(Marks::EPHEMERAL | Marks::SENSITIVE);
        assert_eq!(
            call("nonsensitive", &[ephemeral]).unwrap().marks(),
            Marks::EPHEMERAL
        );
    }
}
