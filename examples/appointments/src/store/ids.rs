//! Typed ids and cache keys: a department id cannot be passed where a seat id is meant, and the two
//! kinds of catalog key cannot be mixed up.

use crate::date::Date;

/// A text id as the database and the phone spell it.
macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, sqlx::Type)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// The id as text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_id!(
    /// A department (`departments.id`).
    DepartmentId
);
text_id!(
    /// A location (`locations.id`).
    LocationId
);
text_id!(
    /// A bookable time (`slots.id`).
    SlotId
);
text_id!(
    /// A seat of a slot (`seats.id`, unique within its slot).
    SeatId
);

/// What the user has chosen so far on `APPOINTMENT`; `None` is "not chosen yet".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    /// The department.
    pub department: Option<DepartmentId>,
    /// The location.
    pub location: Option<LocationId>,
    /// The day.
    pub date: Option<Date>,
    /// The time, `HH:MM`.
    pub time: Option<String>,
}

impl Choice {
    /// A choice from ids as text (tests, tools): empty is "not chosen", and so is a date that is
    /// not `YYYY-MM-DD`.
    #[must_use]
    pub fn of(department: &str, location: &str, date: &str, time: &str) -> Self {
        let chosen = |text: &str| Some(text.to_owned()).filter(|t| !t.is_empty());
        Self {
            department: chosen(department).map(DepartmentId::from),
            location: chosen(location).map(LocationId::from),
            date: Date::parse(date),
            time: chosen(time),
        }
    }

    /// The chosen day, once department, location and date are all chosen.
    #[must_use]
    pub fn day(&self) -> Option<DayKey> {
        Some(DayKey {
            department: self.department.clone()?,
            location: self.location.clone()?,
            date: self.date?,
        })
    }
}

/// One department's schedule at one location on one day: the key of a day's plan and availability.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DayKey {
    /// The department.
    pub department: DepartmentId,
    /// The location.
    pub location: LocationId,
    /// The day.
    pub date: Date,
}

/// What the lists of `APPOINTMENT` depend on: the department and location chosen, and today (dates
/// before it are not offered).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ListKey {
    pub(crate) department: Option<DepartmentId>,
    pub(crate) location: Option<LocationId>,
    pub(crate) today: Date,
}
