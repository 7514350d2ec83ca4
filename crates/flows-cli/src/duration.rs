//! `--timeout` and `--duration` values, in flows-server's grammar (`humantime`: `30s`, `1.5s`,
//! `500ms`, `2m`, `1h 30m`), plus a bare number as seconds (`30`), which the CLI has always taken.

use std::time::Duration;

/// The longest duration a flag takes: beyond it a value is a typo, not a wish.
const LONGEST: Duration = Duration::from_secs(86_400);

/// Parses a duration as `humantime` does, a bare number meaning seconds; more than zero, at most a day.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bare = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let parsed = if bare {
        humantime::parse_duration(&format!("{text}s"))
    } else {
        humantime::parse_duration(text)
    };
    let duration = parsed.map_err(|e| {
        format!("`{text}` is not a duration ({e}; examples: 30, 30s, 500ms, 2m, 1h 30m)")
    })?;
    if duration.is_zero() || duration > LONGEST {
        return Err(format!(
            "`{text}` is out of range (more than 0 and at most a day)"
        ));
    }
    Ok(duration)
}

/// A duration for people: `850 µs`, `12.3 ms`, `1.24 s`. Not `humantime::format_duration`, which
/// spells every unit down to nanoseconds (`1s 240ms 123us 456ns`): too much for a latency report.
pub(crate) fn human(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1e6 {
        format!("{:.1} ms", micros / 1000.0)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse("0").is_err());
        assert!(parse("-1s").is_err());
        assert!(parse("soon").is_err());
        assert!(parse("NaN").is_err());
        assert!(parse("").is_err());
        assert!(parse("25h").is_err());
        // flows-server's grammar, so one value reads the same in both.
        assert_eq!(parse("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse(" 2 "), Ok(Duration::from_secs(2)));
    }

    #[test]
    fn human_units() {
        assert_eq!(human(Duration::from_micros(850)), "850 µs");
        assert_eq!(human(Duration::from_micros(12_340)), "12.3 ms");
        assert_eq!(human(Duration::from_millis(1240)), "1.24 s");
    }
}
