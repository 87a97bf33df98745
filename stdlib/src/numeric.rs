//! Numeric functions: abs, ceil, floor, log, max, min, parseint, pow, signum.

use skel_value::{Type, Value};

use crate::util::{func, int_arg, num, num_arg, p, ret_number, str_arg, varfunc};
use crate::{CallError, Context, Function};

pub(crate) fn functions() -> Vec<Function> {
    let n = || Type::Number;
    vec![
        func(
            "abs",
            "Returns the absolute value of a number.",
            vec![p("num", n())],
            ret_number,
            |a, _| Ok(num(num_arg(a, 0)?.abs())),
        ),
        func(
            "ceil",
            "Returns the closest whole number greater than or equal to the given value.",
            vec![p("num", n())],
            ret_number,
            |a, _| Ok(num(num_arg(a, 0)?.ceil())),
        ),
        func(
            "floor",
            "Returns the closest whole number less than or equal to the given value.",
            vec![p("num", n())],
            ret_number,
            |a, _| Ok(num(num_arg(a, 0)?.floor())),
        ),
        func(
            "log",
            "Returns the logarithm of a number in a given base.",
            vec![p("num", n()), p("base", n())],
            ret_number,
            |a, _| Ok(num(num_arg(a, 0)?.ln() / num_arg(a, 1)?.ln())),
        ),
        varfunc(
            "max",
            "Returns the greatest of the given numbers.",
            vec![],
            p("numbers", n()),
            ret_number,
            |a, c| extreme(a, c, f64::max),
        ),
        varfunc(
            "min",
            "Returns the smallest of the given numbers.",
            vec![],
            p("numbers", n()),
            ret_number,
            |a, c| extreme(a, c, f64::min),
        ),
        func(
            "parseint",
            "Parses a string as an integer in the given base (2 to 62).",
            vec![p("number", Type::String), p("base", n())],
            ret_number,
            parseint,
        ),
        func(
            "pow",
            "Raises a number to a power.",
            vec![p("num", n()), p("power", n())],
            ret_number,
            |a, _| Ok(num(num_arg(a, 0)?.powf(num_arg(a, 1)?))),
        ),
        func(
            "signum",
            "Returns -1, 0 or 1 for a negative, zero or positive number.",
            vec![p("num", n())],
            ret_number,
            |a, _| {
                let v = num_arg(a, 0)?;
                Ok(num(if v > 0.0 {
                    1.0
                } else if v < 0.0 {
                    -1.0
                } else {
                    0.0
                }))
            },
        ),
    ]
}

fn extreme(args: &[Value], _: &dyn Context, pick: fn(f64, f64) -> f64) -> Result<Value, CallError> {
    if args.is_empty() {
        return Err(CallError::new("must have at least one argument"));
    }
    let mut best = num_arg(args, 0)?;
    for i in 1..args.len() {
        best = pick(best, num_arg(args, i)?);
    }
    Ok(num(best))
}

fn digit_value(c: char, base: u32) -> Option<u32> {
    let v = match c {
        '0'..='9' => c as u32 - '0' as u32,
        'a'..='z' => c as u32 - 'a' as u32 + 10,
        'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
        'A'..='Z' => c as u32 - 'A' as u32 + 36,
        _ => return None,
    };
    (v < base).then_some(v)
}

fn parseint(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let text = str_arg(args, 0)?;
    let base = int_arg(args, 1)?;
    if !(2..=62).contains(&base) {
        return Err(CallError::at(
            1,
            "base must be a whole number between 2 and 62 inclusive",
        ));
    }
    let base = base as u32;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let fail = || CallError::at(0, format!("cannot parse {text:?} as a base {base} integer"));
    if digits.is_empty() {
        return Err(fail());
    }
    let mut value = 0f64;
    for c in digits.chars() {
        let d = digit_value(c, base).ok_or_else(fail)?;
        value = value * f64::from(base) + f64::from(d);
    }
    Ok(num(if negative { -value } else { value }))
}

#[cfg(test)]
mod tests {
    use crate::testutil::call;
    use skel_value::Value;

    fn n(v: f64) -> Value {
        Value::number(v)
    }

    #[test]
    fn basics() {
        assert_eq!(call("abs", &[n(-3.5)]), Ok(n(3.5)));
        assert_eq!(call("ceil", &[n(4.1)]), Ok(n(5.0)));
        assert_eq!(call("floor", &[n(-4.1)]), Ok(n(-5.0)));
        assert_eq!(call("log", &[n(16.0), n(2.0)]), Ok(n(4.0)));
        assert_eq!(call("max", &[n(1.0), n(7.0), n(3.0)]), Ok(n(7.0)));
        assert_eq!(call("min", &[n(1.0), Value::string("-2")]), Ok(n(-2.0)));
        assert!(call("max", &[]).is_err());
        assert_eq!(call("pow", &[n(3.0), n(2.0)]), Ok(n(9.0)));
        assert_eq!(call("signum", &[n(-9.0)]), Ok(n(-1.0)));
        assert_eq!(call("signum", &[n(0.0)]), Ok(n(0.0)));
    }

    #[test]
    fn parseint() {
        let s = Value::string;
        assert_eq!(call("parseint", &[s("100"), n(10.0)]), Ok(n(100.0)));
        assert_eq!(call("parseint", &[s("FF"), n(16.0)]), Ok(n(255.0)));
        assert_eq!(call("parseint", &[s("-10"), n(2.0)]), Ok(n(-2.0)));
        assert_eq!(
            call("parseint", &[s("zA"), n(62.0)]),
            Ok(n(35.0 * 62.0 + 36.0))
        );
        assert!(call("parseint", &[s("12"), n(2.0)]).is_err());
        assert!(call("parseint", &[s(""), n(10.0)]).is_err());
        assert!(call("parseint", &[s("1"), n(1.0)]).is_err());
        assert!(call("parseint", &[s("1"), n(63.0)]).is_err());
        assert!(call("parseint", &[s("1"), n(2.5)]).is_err());
    }
}
