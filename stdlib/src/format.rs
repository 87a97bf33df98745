//! `format` and `formatlist`: Terraform's printf-style verbs (`%s %d %f %q %v %t %#v %%`,
//! flags, widths, precisions and explicit argument indexes like `%[2]s`).

use skel_value::{convert, Number, Type, Value};

use crate::util::{p, pn, ret_list_string, ret_string, str_arg, varfunc};
use crate::{CallError, Context, Function};

pub(crate) fn functions() -> Vec<Function> {
    vec![
        varfunc("format", "Produces a string by formatting the arguments according to a format specification.", vec![p("format", Type::String)], pn("args", Type::Dynamic), ret_string, format_fn),
        varfunc("formatlist", "Produces a list of strings by formatting the arguments element-wise; list arguments must all have the same length.", vec![p("format", Type::String)], pn("args", Type::Dynamic), ret_list_string, formatlist),
    ]
}

/// A value as `%v` prints it: primitives plainly, everything else as JSON.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        other => other.to_json().to_string(),
    }
}

fn format_fn(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let fmt = str_arg(args, 0)?;
    format_str(fmt, &args[1..]).map(Value::String)
}

fn formatlist(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let fmt = str_arg(args, 0)?;
    let rest = &args[1..];
    let mut len: Option<usize> = None;
    for (i, a) in rest.iter().enumerate() {
        if let Some(seq) = a.as_sequence() {
            match len {
                Some(l) if l != seq.len() => {
                    return Err(CallError::at(
                        i + 1,
                        format!("argument {} has length {}, which does not match the {l} of the previous lists", i + 1, seq.len()),
                    ))
                }
                _ => len = Some(seq.len()),
            }
        }
    }
    let count = len.unwrap_or(1);
    let mut out = Vec::with_capacity(count);
    for n in 0..count {
        let row: Vec<Value> = rest
            .iter()
            .map(|a| match a.as_sequence() {
                Some(seq) => seq.get(n).cloned().unwrap_or(Value::Null),
                None => a.clone(),
            })
            .collect();
        out.push(Value::String(format_str(fmt, &row)?));
    }
    Ok(Value::List(out))
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Format according to a Terraform format string.
pub(crate) fn format_str(fmt: &str, args: &[Value]) -> Result<String, CallError> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut next_arg = 0usize;
    let mut used_max = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while i < chars.len() {
            match chars[i] {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            i += 1;
        }
        if i < chars.len() && chars[i] == '[' {
            let close = chars[i..].iter().position(|&c| c == ']').map(|p| p + i);
            let Some(close) = close else {
                return Err(CallError::at(0, "unterminated argument index"));
            };
            let text: String = chars[i + 1..close].iter().collect();
            let n: usize = text
                .parse()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| CallError::at(0, format!("invalid argument index {text:?}")))?;
            next_arg = n - 1;
            i = close + 1;
        }
        let digits = |i: &mut usize| -> Option<usize> {
            let start = *i;
            while *i < chars.len() && chars[*i].is_ascii_digit() {
                *i += 1;
            }
            chars[start..*i].iter().collect::<String>().parse().ok()
        };
        spec.width = digits(&mut i);
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            spec.precision = Some(digits(&mut i).unwrap_or(0));
        }
        if spec.width.unwrap_or(0) > 10_000 || spec.precision.unwrap_or(0) > 10_000 {
            return Err(CallError::at(0, "format width or precision is too large"));
        }
        let Some(&verb) = chars.get(i) else {
            return Err(CallError::at(
                0,
                "format string ends with an incomplete verb",
            ));
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let value = args.get(next_arg).ok_or_else(|| {
            CallError::at(
                0,
                format!(
                    "not enough arguments for %{verb} at position {}",
                    next_arg + 1
                ),
            )
        })?;
        let arg_index = next_arg + 1;
        next_arg += 1;
        used_max = used_max.max(next_arg);
        let text = format_verb(verb, &spec, value).map_err(|m| {
            CallError::at(
                arg_index,
                format!("unsupported value for \"%{verb}\" at {arg_index}: {m}"),
            )
        })?;
        out.push_str(&pad(&text, &spec, verb));
    }
    if used_max < args.len() {
        return Err(CallError::new(format!(
            "too many arguments; only {used_max} used by format string"
        )));
    }
    Ok(out)
}

fn pad(text: &str, spec: &Spec, verb: char) -> String {
    let Some(width) = spec.width else {
        return text.to_string();
    };
    let len = text.chars().count();
    if len >= width {
        return text.to_string();
    }
    let fill = width - len;
    if spec.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if spec.zero && "dfeEgGxXob".contains(verb) {
        let (sign, rest) = match text.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), &text[1..]),
            _ => (String::new(), text),
        };
        format!("{sign}{}{rest}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

/// Why a value cannot be formatted by a verb.
#[derive(Debug, thiserror::Error)]
enum VerbError {
    #[error("null value cannot be formatted")]
    Null,
    /// The conversion to the verb's type failed, with its message.
    #[error("{0}")]
    Conversion(String),
    #[error("{required} required, got {got}")]
    WrongType { required: &'static str, got: Type },
    #[error("value has no integer representation: {0}")]
    NotInteger(Number),
    #[error("unrecognized format verb %{0}")]
    UnknownVerb(char),
}

fn number_of(v: &Value) -> Result<f64, VerbError> {
    match convert(v, &Type::Number) {
        Ok(Value::Number(n)) => Ok(n.0),
        Ok(_) => Err(VerbError::Null),
        Err(e) => Err(VerbError::Conversion(e.message)),
    }
}

fn signed(n: f64, body: String, spec: &Spec) -> String {
    if n.is_sign_negative() && n != 0.0 {
        format!("-{body}")
    } else if spec.plus {
        format!("+{body}")
    } else if spec.space {
        format!(" {body}")
    } else {
        body
    }
}

fn exp_form(n: f64, prec: usize, upper: bool) -> String {
    let raw = format!("{:.prec$e}", n.abs());
    let (mant, exp) = raw.split_once('e').unwrap_or((&raw, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}{e}{sign}{:02}", exp.abs())
}

fn format_verb(verb: char, spec: &Spec, v: &Value) -> Result<String, VerbError> {
    let wrong_type = |required| VerbError::WrongType {
        required,
        got: v.type_of(),
    };
    if v.is_null() && !matches!(verb, 'v') {
        return Err(VerbError::Null);
    }
    match verb {
        'v' if spec.sharp => Ok(v.to_json().to_string()),
        'v' => Ok(format_value(v)),
        's' => {
            let s = match convert(v, &Type::String) {
                Ok(Value::String(s)) => s,
                _ => return Err(wrong_type("string")),
            };
            Ok(match spec.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            })
        }
        'q' => match convert(v, &Type::String) {
            Ok(Value::String(s)) => Ok(Value::String(s).to_json().to_string()),
            _ => Err(wrong_type("string")),
        },
        't' => match convert(v, &Type::Bool) {
            Ok(Value::Bool(b)) => Ok(b.to_string()),
            _ => Err(wrong_type("bool")),
        },
        'd' | 'x' | 'X' | 'o' | 'b' => {
            let n = number_of(v)?;
            let i = Number(n).as_i64().ok_or(VerbError::NotInteger(Number(n)))?;
            let abs = i.unsigned_abs();
            let body = match verb {
                'd' => abs.to_string(),
                'x' => format!("{abs:x}"),
                'X' => format!("{abs:X}"),
                'o' => format!("{abs:o}"),
                _ => format!("{abs:b}"),
            };
            Ok(signed(n, body, spec))
        }
        'f' | 'F' => {
            let n = number_of(v)?;
            let prec = spec.precision.unwrap_or(6);
            Ok(signed(n, format!("{:.prec$}", n.abs()), spec))
        }
        'e' | 'E' => {
            let n = number_of(v)?;
            Ok(signed(
                n,
                exp_form(n, spec.precision.unwrap_or(6), verb == 'E'),
                spec,
            ))
        }
        'g' | 'G' => {
            let n = number_of(v)?;
            let body = match spec.precision {
                Some(p) => format!(
                    "{}",
                    Number(
                        format!("{:.*e}", p.saturating_sub(1), n.abs())
                            .parse()
                            .unwrap_or(n.abs())
                    )
                ),
                None => Number(n.abs()).to_string(),
            };
            Ok(signed(n, body, spec))
        }
        other => Err(VerbError::UnknownVerb(other)),
    }
}

#[cfg(test)]
mod tests {
    use crate::{call_by_name, NoContext};
    use skel_value::{Type, Value};

    fn fmt(f: &str, args: Vec<Value>) -> Result<Value, crate::CallError> {
        let mut all = vec![Value::string(f)];
        all.extend(args);
        call_by_name("format", &all, &NoContext)
    }
    fn s(v: &str) -> Value {
        Value::string(v)
    }
    fn n(v: f64) -> Value {
        Value::number(v)
    }

    #[test]
    fn verbs() {
        assert_eq!(fmt("Hello, %s!", vec![s("Ander")]), Ok(s("Hello, Ander!")));
        assert_eq!(
            fmt("There are %d lights", vec![n(4.0)]),
            Ok(s("There are 4 lights"))
        );
        assert_eq!(fmt("%.2f", vec![n(1.23456)]), Ok(s("1.23")));
        assert_eq!(fmt("%f", vec![n(1.5)]), Ok(s("1.500000")));
        assert_eq!(fmt("%q", vec![s("a\"b")]), Ok(s("\"a\\\"b\"")));
        assert_eq!(fmt("%t", vec![Value::Bool(true)]), Ok(s("true")));
        assert_eq!(fmt("%v %v", vec![n(1.0), s("x")]), Ok(s("1 x")));
        assert_eq!(
            fmt("%v", vec![Value::Tuple(vec![s("a")])]),
            Ok(s("[\"a\"]"))
        );
        assert_eq!(fmt("%#v", vec![s("a")]), Ok(s("\"a\"")));
        assert_eq!(fmt("100%%", vec![]), Ok(s("100%")));
        assert_eq!(
            fmt("%x %X %o %b", vec![n(255.0), n(255.0), n(8.0), n(5.0)]),
            Ok(s("ff FF 10 101"))
        );
        assert_eq!(fmt("%e", vec![n(1500.0)]), Ok(s("1.500000e+03")));
        assert_eq!(fmt("%d", vec![s("12")]), Ok(s("12")));
        assert_eq!(fmt("%s", vec![n(12.5)]), Ok(s("12.5")));
    }

    #[test]
    fn widths_flags_and_indexes() {
        assert_eq!(fmt("[%5d]", vec![n(42.0)]), Ok(s("[   42]")));
        assert_eq!(fmt("[%-5d]", vec![n(42.0)]), Ok(s("[42   ]")));
        assert_eq!(fmt("[%05d]", vec![n(-42.0)]), Ok(s("[-0042]")));
        assert_eq!(fmt("[%+d]", vec![n(42.0)]), Ok(s("[+42]")));
        assert_eq!(fmt("[%6.2f]", vec![n(1.23456)]), Ok(s("[  1.23]")));
        assert_eq!(fmt("[%.3s]", vec![s("abcdef")]), Ok(s("[abc]")));
        assert_eq!(fmt("%[2]s %[1]s", vec![s("a"), s("b")]), Ok(s("b a")));
        assert_eq!(fmt("%[2]s %s", vec![s("a"), s("b"), s("c")]), Ok(s("b c")));
    }

    #[test]
    fn errors() {
        assert!(fmt("%d", vec![n(1.5)]).is_err());
        assert!(fmt("%d", vec![s("x")]).is_err());
        assert!(fmt("%s", vec![]).is_err());
        assert!(fmt("%s", vec![s("a"), s("b")]).is_err());
        assert!(fmt("%s", vec![Value::Tuple(vec![])]).is_err());
        assert!(fmt("%z", vec![n(1.0)]).is_err());
        assert!(fmt("%", vec![]).is_err());
        assert!(fmt("%[0]s", vec![s("a")]).is_err());
        assert!(fmt("%99999999d", vec![n(1.0)]).is_err());
        assert!(fmt("%s", vec![Value::Null]).is_err());
        assert_eq!(
            fmt("%s", vec![Value::Unknown(Type::String)]),
            Ok(Value::Unknown(Type::String))
        );
    }

    #[test]
    fn formatlist() {
        let names = Value::List(vec![s("a"), s("b")]);
        let r = call_by_name("formatlist", &[s("Hello, %s%s"), names, s("!")], &NoContext);
        assert_eq!(r, Ok(Value::List(vec![s("Hello, a!"), s("Hello, b!")])));
        let bad = call_by_name(
            "formatlist",
            &[s("%s%s"), Value::List(vec![s("a")]), Value::List(vec![])],
            &NoContext,
        );
        assert!(bad.is_err());
        assert_eq!(
            call_by_name("formatlist", &[s("x%s"), s("y")], &NoContext),
            Ok(Value::List(vec![s("xy")]))
        );
    }
}
