//! Date and time functions: timestamp, timeadd.

use chrono::{DateTime, SecondsFormat, Utc};
use skel_value::{Type, Value};

use crate::util::{func, p, ret_string, str_arg};
use crate::{CallError, Function};

/// A Go duration string (`"1h30m"`, `"-10s"`, `"1.5h"`) in nanoseconds.
fn parse_duration(text: &str) -> Option<i128> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let value: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_end..];
    }
    let ns = total as i128;
    Some(if negative { -ns } else { ns })
}

pub(crate) fn functions() -> Vec<Function> {
    let mut timestamp = func(
        "timestamp",
        "Returns the current date and time in UTC, in RFC 3339 format.",
        vec![],
        ret_string,
        |_, _| {
            Ok(Value::String(
                Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            ))
        },
    );
    timestamp.impure = true;
    vec![
        func(
            "timeadd",
            "Adds a duration (like \"1h30m\") to an RFC 3339 timestamp.",
            vec![p("timestamp", Type::String), p("duration", Type::String)],
            ret_string,
            |a, _| {
                let ts = str_arg(a, 0)?;
                let time = DateTime::parse_from_rfc3339(ts)
                    .map_err(|e| CallError::at(0, format!("not a valid RFC3339 timestamp: {e}")))?;
                let d = str_arg(a, 1)?;
                let ns = parse_duration(d)
                    .ok_or_else(|| CallError::at(1, format!("invalid duration {d:?}")))?;
                let ns =
                    i64::try_from(ns).map_err(|_| CallError::at(1, "duration out of range"))?;
                let result = time
                    .checked_add_signed(chrono::Duration::nanoseconds(ns))
                    .ok_or_else(|| CallError::at(1, "resulting time out of range"))?;
                Ok(Value::String(
                    result.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                ))
            },
        ),
        timestamp,
    ]
}

#[cfg(test)]
mod tests {
    use crate::{call_by_name, NoContext};
    use skel_value::Value;

    #[test]
    fn timestamp_and_timeadd() {
        let now = call_by_name("timestamp", &[], &NoContext).unwrap();
        let now = now.as_str().unwrap();
        assert!(now.ends_with('Z') && now.len() == 20, "{now}");
        let s = Value::string;
        assert_eq!(
            call_by_name(
                "timeadd",
                &[s("2017-11-22T00:00:00Z"), s("10m")],
                &NoContext
            ),
            Ok(s("2017-11-22T00:10:00Z"))
        );
        assert_eq!(
            call_by_name(
                "timeadd",
                &[s("2017-11-22T00:00:00Z"), s("-1h30m")],
                &NoContext
            ),
            Ok(s("2017-11-21T22:30:00Z"))
        );
        assert!(call_by_name("timeadd", &[s("nope"), s("1h")], &NoContext).is_err());
        assert!(
            call_by_name("timeadd", &[s("2017-11-22T00:00:00Z"), s("1x")], &NoContext).is_err()
        );
    }
}
