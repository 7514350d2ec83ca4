//! Calendar dates without a date-time dependency: ISO `YYYY-MM-DD` text in the database, readable
//! titles (`Tue 3 Jun 2025`) on the phone. Days are counted in UTC.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A day in the proleptic Gregorian calendar, as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

impl Date {
    /// Today, in UTC.
    #[must_use]
    pub fn today() -> Self {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Self(secs.div_euclid(86_400))
    }

    /// The day `days` after this one.
    #[must_use]
    pub fn plus_days(self, days: i64) -> Self {
        Self(self.0 + days)
    }

    /// 0 = Monday ... 6 = Sunday.
    #[must_use]
    pub fn weekday(self) -> usize {
        // 1970-01-01 was a Thursday (3). rem_euclid(7) is in 0..7.
        usize::try_from((self.0 + 3).rem_euclid(7)).unwrap_or(0)
    }

    /// Year, month (1-12), day (1-31). Howard Hinnant's `civil_from_days`.
    #[must_use]
    pub fn ymd(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        (
            year,
            u32::try_from(month).unwrap_or(1),
            u32::try_from(day).unwrap_or(1),
        )
    }

    /// The date for a year, month and day. `days_from_civil`.
    #[must_use]
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Self {
        let (month, day) = (i64::from(month), i64::from(day));
        let year = if month <= 2 { year - 1 } else { year };
        let era = year.div_euclid(400);
        let yoe = year.rem_euclid(400);
        let mp = if month > 2 { month - 3 } else { month + 9 };
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Self(era * 146_097 + doe - 719_468)
    }

    /// Parses `YYYY-MM-DD`; `None` for anything else, including impossible dates.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let date = Self::from_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
        (date.to_string() == text).then_some(date)
    }

    /// `Tue 3 Jun 2025`.
    #[must_use]
    pub fn title(self) -> String {
        let (year, month, day) = self.ymd();
        let weekday = WEEKDAYS.get(self.weekday()).copied().unwrap_or("");
        let month = MONTHS
            .get(usize::try_from(month).unwrap_or(1) - 1)
            .copied()
            .unwrap_or("");
        format!("{weekday} {day} {month} {year}")
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

/// Seconds since the Unix epoch, now.
#[must_use]
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A readable date for an ISO date string, or the string itself when it is not one.
#[must_use]
pub fn title_of(iso: &str) -> String {
    Date::parse(iso).map_or_else(|| iso.to_owned(), Date::title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        assert_eq!(Date(0).to_string(), "1970-01-01");
        assert_eq!(Date(0).weekday(), 3);
        let d = Date::parse("2025-06-03").unwrap();
        assert_eq!(d.to_string(), "2025-06-03");
        assert_eq!(d.title(), "Tue 3 Jun 2025");
        assert_eq!(
            Date::parse("2024-02-29").unwrap().plus_days(1).to_string(),
            "2024-03-01"
        );
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2023-2-1"), None);
        assert_eq!(Date::parse("yesterday"), None);
        for n in -1000..1000 {
            let d = Date(n * 37);
            assert_eq!(Date::parse(&d.to_string()), Some(d));
        }
    }
}
