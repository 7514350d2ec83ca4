//! `--ttl` values: `90s`, `30m`, `24h`, `7d` (a bare number is seconds).

use std::time::Duration;

/// Parses a duration with an optional unit `s`, `m`, `h` or `d`; between one second and a year.
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (text.get(..i).unwrap_or(""), c),
        _ => (text, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => {
            return Err(format!(
                "`{text}`: use a number with s, m, h or d (30m, 24h, 7d)"
            ));
        }
    };
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 30m, 24h, 7d)"))?;
    let seconds = value.saturating_mul(scale);
    if seconds == 0 || seconds > 366 * 86_400 {
        return Err(format!("`{text}` is out of range (1s to 366d)"));
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("90s"), Ok(Duration::from_secs(90)));
        for bad in ["", "0", "h", "-1h", "1w", "soon", "1000d"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
