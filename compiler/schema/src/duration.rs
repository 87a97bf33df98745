//! Durations as configuration writes them (`connection { timeout }`, `timeouts { create }`):
//! Go's syntax (`30s`, `5m`, `1h30m`, `500ms`; a bare number is seconds), parsed by one function
//! that the checker, the provisioners and the providers share, so an absurd value is the same
//! clear error everywhere and never an overflow.

use std::time::Duration;

/// The longest duration accepted: 30 days.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// `text` as a duration, or why it is not one (a message for the user, without the value's
/// context: the caller names the argument).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let too_long = || {
        format!(
            "it is longer than the {}h skel accepts",
            MAX_DURATION.as_secs() / 3600
        )
    };
    let syntax = || "it is not a duration such as \"30s\", \"5m\" or \"1h30m\"".to_string();
    if text.is_empty() {
        return Err(syntax());
    }
    if let Ok(secs) = text.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 || text.contains(['e', 'E', 'x', 'X']) {
            return Err(syntax());
        }
        return Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| *d <= MAX_DURATION)
            .ok_or_else(too_long);
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(syntax());
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| syntax())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(syntax()),
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    Duration::try_from_secs_f64(total)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
        .ok_or_else(too_long)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("720h"), Ok(MAX_DURATION));
        for absurd in [
            "1e20",
            "1e20s",
            "99999999999999999999999h",
            "721h",
            "inf",
            "NaN",
            "-5s",
            "1.7976931348623157e308",
            "",
            "5 minutes",
            "0x10",
        ] {
            assert!(parse_duration(absurd).is_err(), "{absurd:?} was accepted");
        }
    }
}
