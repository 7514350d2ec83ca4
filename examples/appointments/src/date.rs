//! Calendar days, counted in UTC, on the `time` crate: what the store's DATE columns hold, the ISO
//! id the phone sends back (`2025-06-03`) and the title it shows (`Tue 3 Jun 2025`).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// The id form, also how sqlx writes a date to SQLite.
const ISO: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");
/// What the user reads.
const TITLE: &[BorrowedFormatItem<'_>] =
    format_description!("[weekday repr:short] [day padding:none] [month repr:short] [year]");

/// A calendar day; a DATE column in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct Date(time::Date);

impl Date {
    /// Today, in UTC.
    #[must_use]
    pub fn today() -> Self {
        Self(time::OffsetDateTime::now_utc().date())
    }

    /// The day `days` after this one (the same day if that is outside `time`'s calendar).
    #[must_use]
    pub fn plus_days(self, days: i64) -> Self {
        Self(
            self.0
                .checked_add(time::Duration::days(days))
                .unwrap_or(self.0),
        )
    }

    /// 0 = Monday ... 6 = Sunday.
    #[must_use]
    pub fn weekday(self) -> u8 {
        self.0.weekday().number_days_from_monday()
    }

    /// Parses `YYYY-MM-DD`; `None` for anything else, including impossible dates.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        time::Date::parse(text, ISO).ok().map(Self)
    }

    /// `Tue 3 Jun 2025`.
    #[must_use]
    pub fn title(self) -> String {
        self.0.format(TITLE).unwrap_or_else(|_| self.to_string())
    }
}

impl fmt::Display for Date {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iso = self.0.format(ISO).map_err(|_| fmt::Error)?;
        f.write_str(&iso)
    }
}

/// Seconds since the Unix epoch, now: how the schema stores instants.
#[must_use]
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_ids_and_titles() {
        let d = Date::parse("2025-06-03").unwrap();
        assert_eq!(d.to_string(), "2025-06-03");
        assert_eq!(d.title(), "Tue 3 Jun 2025");
        assert_eq!(d.weekday(), 1);
        assert_eq!(d.plus_days(5).weekday(), 6);
        assert_eq!(
            Date::parse("2024-02-29").unwrap().plus_days(1).to_string(),
            "2024-03-01"
        );
        for bad in ["2023-02-29", "2023-2-1", "yesterday", "", "2025-06-03x"] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }
}
