//! String functions: case, trimming, splitting and joining, substrings and regular expressions.

use skel_value::ValueMap;

use regex::Regex;
use skel_value::{Type, Value};

use crate::util::{
    func, int_arg, p, ret_bool, ret_dynamic, ret_list_string, ret_string, reverse_chars, seq_arg,
    str_arg, strings, varfunc,
};
use crate::{CallError, Context, Function, TypeError};

pub(crate) fn functions() -> Vec<Function> {
    let s = || Type::String;
    vec![
        func("chomp", "Removes newline characters at the end of a string.", vec![p("str", s())], ret_string, |a, _| {
            Ok(Value::String(str_arg(a, 0)?.trim_end_matches(['\n', '\r']).to_string()))
        }),
        func("endswith", "Returns true if the string ends with the given suffix.", vec![p("str", s()), p("suffix", s())], ret_bool, |a, _| {
            Ok(Value::Bool(str_arg(a, 0)?.ends_with(str_arg(a, 1)?)))
        }),
        func("indent", "Adds the given number of spaces to the start of every line but the first.", vec![p("spaces", Type::Number), p("str", s())], ret_string, |a, _| {
            let n = int_arg(a, 0)?.clamp(0, 10_000) as usize;
            let pad = format!("\n{}", " ".repeat(n));
            Ok(Value::String(str_arg(a, 1)?.replace('\n', &pad)))
        }),
        varfunc("join", "Concatenates the elements of the given lists of strings with the separator between them.", vec![p("separator", s())], p("lists", Type::list(s())), |ts| {
            if ts.len() < 2 {
                return Err(TypeError::new("join() requires at least one list after the separator"));
            }
            Ok(Type::String)
        }, join),
        func("lower", "Converts all letters of a string to lowercase.", vec![p("str", s())], ret_string, |a, _| {
            Ok(Value::String(str_arg(a, 0)?.to_lowercase()))
        }),
        func("regex", "Applies a regular expression to a string and returns the matching substrings: a string without capture groups, a list for unnamed groups, an object for named groups.", vec![p("pattern", s()), p("string", s())], ret_dynamic, regex_fn),
        func("regexall", "Applies a regular expression to a string and returns a list of all matches, each shaped as regex() would return it.", vec![p("pattern", s()), p("string", s())], |_| Ok(Type::list(Type::Dynamic)), regexall),
        func("replace", "Replaces each occurrence of a substring (or of a /regex/) with a replacement.", vec![p("str", s()), p("substr", s()), p("replace", s())], ret_string, replace),
        func("split", "Splits a string at each occurrence of the separator.", vec![p("separator", s()), p("str", s())], ret_list_string, |a, _| {
            let sep = str_arg(a, 0)?;
            let text = str_arg(a, 1)?;
            if text.is_empty() {
                return Ok(Value::List(Vec::new()));
            }
            Ok(strings(text.split(sep).map(str::to_string)))
        }),
        func("startswith", "Returns true if the string starts with the given prefix.", vec![p("str", s()), p("prefix", s())], ret_bool, |a, _| {
            Ok(Value::Bool(str_arg(a, 0)?.starts_with(str_arg(a, 1)?)))
        }),
        func("strrev", "Reverses the characters of a string.", vec![p("str", s())], ret_string, |a, _| {
            Ok(Value::String(reverse_chars(str_arg(a, 0)?)))
        }),
        func("substr", "Extracts a substring by character offset and length (-1 for the rest).", vec![p("str", s()), p("offset", Type::Number), p("length", Type::Number)], ret_string, substr),
        func("title", "Converts the first letter of each word to uppercase.", vec![p("str", s())], ret_string, |a, _| {
            Ok(Value::String(title(str_arg(a, 0)?)))
        }),
        func("trim", "Removes the given characters from the start and end of a string.", vec![p("str", s()), p("cutset", s())], ret_string, |a, _| {
            let cut: Vec<char> = str_arg(a, 1)?.chars().collect();
            Ok(Value::String(str_arg(a, 0)?.trim_matches(cut.as_slice()).to_string()))
        }),
        func("trimprefix", "Removes the given prefix from the start of a string, if present.", vec![p("str", s()), p("prefix", s())], ret_string, |a, _| {
            let text = str_arg(a, 0)?;
            Ok(Value::string(text.strip_prefix(str_arg(a, 1)?).unwrap_or(text)))
        }),
        func("trimsuffix", "Removes the given suffix from the end of a string, if present.", vec![p("str", s()), p("suffix", s())], ret_string, |a, _| {
            let text = str_arg(a, 0)?;
            Ok(Value::string(text.strip_suffix(str_arg(a, 1)?).unwrap_or(text)))
        }),
        func("trimspace", "Removes whitespace from the start and end of a string.", vec![p("str", s())], ret_string, |a, _| {
            Ok(Value::string(str_arg(a, 0)?.trim()))
        }),
        func("upper", "Converts all letters of a string to uppercase.", vec![p("str", s())], ret_string, |a, _| {
            Ok(Value::String(str_arg(a, 0)?.to_uppercase()))
        }),
    ]
}

fn join(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let sep = str_arg(args, 0)?;
    if args.len() < 2 {
        return Err(CallError::new("at least one list is required"));
    }
    let mut parts = Vec::new();
    for i in 1..args.len() {
        for (j, v) in seq_arg(args, i)?.iter().enumerate() {
            match v {
                Value::String(s) => parts.push(s.as_str()),
                _ => {
                    return Err(CallError::at(
                        i,
                        format!("element {j} is null; cannot concatenate null values"),
                    ))
                }
            }
        }
    }
    Ok(Value::String(parts.join(sep)))
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_word_start = true;
    for c in s.chars() {
        if at_word_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_word_start = !(c.is_alphanumeric() || c == '_' || c == '\'');
    }
    out
}

fn substr(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let chars: Vec<char> = str_arg(args, 0)?.chars().collect();
    let len = chars.len() as i64;
    let mut offset = int_arg(args, 1)?;
    let length = int_arg(args, 2)?;
    if offset < 0 {
        offset += len;
        if offset < 0 {
            return Err(CallError::at(1, "offset out of range"));
        }
    }
    if offset > len {
        return Ok(Value::string(""));
    }
    let end = if length < 0 {
        len
    } else {
        (offset.saturating_add(length)).min(len)
    };
    Ok(Value::String(
        chars[offset as usize..end.max(offset) as usize]
            .iter()
            .collect(),
    ))
}

/// Compile a pattern with Terraform's (RE2) syntax, which the `regex` crate shares.
pub(crate) fn compile(pattern: &str, arg: usize) -> Result<Regex, CallError> {
    Regex::new(pattern)
        .map_err(|e| CallError::at(arg, format!("invalid regular expression pattern: {e}")))
}

/// The value of one match: the whole match without groups, a list for unnamed groups, an
/// object for named groups (unmatched groups are null).
fn match_value(re: &Regex, caps: &regex::Captures<'_>) -> Result<Value, CallError> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return Ok(Value::string(caps.get(0).map_or("", |m| m.as_str())));
    }
    let group = |i: usize| {
        caps.get(i)
            .map_or(Value::Null, |m| Value::string(m.as_str()))
    };
    if names.iter().all(Option::is_some) {
        let mut obj = ValueMap::new();
        for (i, name) in names.iter().enumerate() {
            obj.insert(name.unwrap_or_default().to_string(), group(i + 1));
        }
        return Ok(Value::Object(obj));
    }
    if names.iter().any(Option::is_some) {
        return Err(CallError::at(
            0,
            "invalid regular expression pattern: cannot mix named and unnamed capture groups",
        ));
    }
    Ok(Value::List((1..=names.len()).map(group).collect()))
}

fn regex_fn(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let re = compile(str_arg(args, 0)?, 0)?;
    let text = str_arg(args, 1)?;
    match re.captures(text) {
        Some(caps) => match_value(&re, &caps),
        None => Err(CallError::new(
            "pattern did not match any part of the given string",
        )),
    }
}

fn regexall(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let re = compile(str_arg(args, 0)?, 0)?;
    let text = str_arg(args, 1)?;
    re.captures_iter(text)
        .map(|caps| match_value(&re, &caps))
        .collect::<Result<_, _>>()
        .map(Value::List)
}

fn replace(args: &[Value], _: &dyn Context) -> Result<Value, CallError> {
    let text = str_arg(args, 0)?;
    let substr = str_arg(args, 1)?;
    let with = str_arg(args, 2)?;
    if substr.len() > 1 && substr.starts_with('/') && substr.ends_with('/') {
        let re = compile(&substr[1..substr.len() - 1], 1)?;
        return Ok(Value::String(re.replace_all(text, with).into_owned()));
    }
    if substr.is_empty() {
        // Go's strings.Replace inserts the replacement around every character.
        let mut out = String::from(with);
        for c in text.chars() {
            out.push(c);
            out.push_str(with);
        }
        return Ok(Value::String(out));
    }
    Ok(Value::String(text.replace(substr, with)))
}

#[cfg(test)]
mod tests {
    use crate::testutil::{call, s};
    use skel_value::Value;

    fn list(items: &[&str]) -> Value {
        Value::List(items.iter().map(|i| s(i)).collect())
    }

    #[test]
    fn simple() {
        assert_eq!(call("chomp", &[s("hi\r\n\n")]), Ok(s("hi")));
        assert_eq!(
            call("endswith", &[s("hello"), s("lo")]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            call("startswith", &[s("hello"), s("lo")]),
            Ok(Value::Bool(false))
        );
        assert_eq!(
            call("indent", &[Value::number(2), s("a\nb\n")]),
            Ok(s("a\n  b\n  "))
        );
        assert_eq!(call("lower", &[s("HÉllo")]), Ok(s("héllo")));
        assert_eq!(call("upper", &[s("hé")]), Ok(s("HÉ")));
        assert_eq!(call("strrev", &[s("héllo")]), Ok(s("olléh")));
        assert_eq!(
            call("title", &[s("hello world-wide")]),
            Ok(s("Hello World-Wide"))
        );
        assert_eq!(call("trim", &[s("?!hello?!"), s("!?")]), Ok(s("hello")));
        assert_eq!(
            call("trimprefix", &[s("helloworld"), s("hello")]),
            Ok(s("world"))
        );
        assert_eq!(
            call("trimsuffix", &[s("helloworld"), s("world")]),
            Ok(s("hello"))
        );
        assert_eq!(call("trimspace", &[s("  hi \n")]), Ok(s("hi")));
    }

    #[test]
    fn join_and_split() {
        assert_eq!(
            call("join", &[s(", "), list(&["a", "b"]), list(&["c"])]),
            Ok(s("a, b, c"))
        );
        assert!(call("join", &[s(",")]).is_err());
        assert!(call("join", &[s(","), Value::Tuple(vec![Value::Null])]).is_err());
        assert_eq!(
            call("split", &[s(","), s("a,b,,c")]),
            Ok(list(&["a", "b", "", "c"]))
        );
        assert_eq!(call("split", &[s(","), s("")]), Ok(list(&[])));
        assert_eq!(call("split", &[s(","), s("abc")]), Ok(list(&["abc"])));
    }

    #[test]
    fn substr() {
        let n = Value::number;
        assert_eq!(
            call("substr", &[s("hello world"), n(1), n(4)]),
            Ok(s("ello"))
        );
        assert_eq!(call("substr", &[s("hello"), n(-3), n(-1)]), Ok(s("llo")));
        assert_eq!(call("substr", &[s("héllo"), n(1), n(100)]), Ok(s("éllo")));
        assert_eq!(call("substr", &[s("hi"), n(5), n(1)]), Ok(s("")));
        assert!(call("substr", &[s("hi"), n(-5), n(1)]).is_err());
    }

    #[test]
    fn replace() {
        assert_eq!(
            call("replace", &[s("1 + 2 + 3"), s("+"), s("-")]),
            Ok(s("1 - 2 - 3"))
        );
        assert_eq!(
            call("replace", &[s("hello world"), s("/w.*d/"), s("everybody")]),
            Ok(s("hello everybody"))
        );
        assert_eq!(
            call("replace", &[s("a1b22"), s("/(\\d+)/"), s("<$1>")]),
            Ok(s("a<1>b<22>"))
        );
        assert_eq!(call("replace", &[s("ab"), s(""), s("-")]), Ok(s("-a-b-")));
        assert_eq!(call("replace", &[s("a/b"), s("/"), s("_")]), Ok(s("a_b")));
        assert!(call("replace", &[s("x"), s("/(/"), s("")]).is_err());
    }

    #[test]
    fn regex() {
        assert_eq!(call("regex", &[s("[a-z]+"), s("53ab")]), Ok(s("ab")));
        assert_eq!(
            call("regex", &[s("(\\d+)-(\\d+)"), s("x 10-20")]),
            Ok(list(&["10", "20"]))
        );
        let obj = call("regex", &[s("(?P<y>\\d{4})-(?P<m>\\d{2})"), s("2024-05")]).unwrap();
        assert_eq!(obj.as_mapping().unwrap()["m"], s("05"));
        assert!(call("regex", &[s("z"), s("abc")]).is_err());
        assert!(call("regex", &[s("("), s("abc")]).is_err());
        assert!(call("regex", &[s("(?P<a>x)(y)"), s("xy")]).is_err());
        assert_eq!(
            call("regex", &[s("(a)|(b)"), s("b")]),
            Ok(Value::List(vec![Value::Null, s("b")]))
        );
        assert_eq!(
            call("regexall", &[s("\\d"), s("a1b2")]),
            Ok(list(&["1", "2"]))
        );
        assert_eq!(call("regexall", &[s("\\d"), s("ab")]), Ok(list(&[])));
    }
}
