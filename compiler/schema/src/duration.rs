//! Durations as configuration writes them (`connection { timeout }`, `timeouts { create }`):
//! Go's syntax (`30s`, `5m`, `1h30m`, `500ms`; a bare number is seconds), parsed by one function
//! that the checker, the provisioners and the providers share, so an absurd value is the same
//! clear error everywhere and never an overflow.

use std::time::Duration;

/// The longest duration accepted: 30 days.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Why a text is not a duration; the message has no context (the caller names the argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not Go's duration syntax (or negative, or not finite).
    #[error("it is not a duration such as \"30s\", \"5m\" or \"1h30m\"")]
    Syntax,
    /// Longer than [`MAX_DURATION`].
    #[error("it is longer than the {max_hours}h skel accepts", max_hours = MAX_DURATION.as_secs() / 3600)]
    TooLong,
}

/// `text` as a duration, or why it is not one.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Syntax);
    }
    if let Ok(secs) = text.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 || text.contains(['e', 'E', 'x', 'X']) {
            return Err(DurationError::Syntax);
        }
        return Duration::try_from_secs_f64(secs)
            .ok()
            .filter(|d| *d <= MAX_DURATION)
            .ok_or(DurationError::TooLong);
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(DurationError::Syntax);
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| DurationError::Syntax)?;
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
            _ => return Err(DurationError::Syntax),
        };
        rest = &rest[unit_len..];
        total += value * scale;
    }
    Duration::try_from_secs_f64(total)
        .ok()
        .filter(|d| *d <= MAX_DURATION)
        .ok_or(DurationError::TooLong)
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
        assert_eq!(parse_duration("721h"), Err(DurationError::TooLong));
        assert_eq!(
            DurationError::TooLong.to_string(),
            "it is longer than the 720h skel accepts"
        );
        assert_eq!(parse_duration("5 minutes"), Err(DurationError::Syntax));
        assert_eq!(
            DurationError::Syntax.to_string(),
            "it is not a duration such as \"30s\", \"5m\" or \"1h30m\""
        );
    }
}
