//! Booking a seat, and the completion webhook's confirmation of it.
//!
//! Races are decided by the database: `bookings` has `UNIQUE (slot_id, seat_id)`, a flow token
//! books at most once (a unique index on the bookings' checked tokens), and the booking is one
//! atomic statement that also records the token's use in `flow_tokens`.

use super::catalog::{Item, by_position};
use super::ids::{Choice, SeatId};
use super::{Backend, Store, StoreError};
use crate::date::unix_now;

/// The booking on PostgreSQL, one statement: `$1`-`$4` the slot (department, location, date, time),
/// `$5` seat, `$6` booking id, `$7` token, `$8`-`$11` name, email, phone, details, `$12` now, `$13`
/// accept any token. The INSERT is a data-modifying CTE that the token's use and the fallback read:
/// when nothing was booked, the slot's other free seats and the titles for the slot line. The
/// unique index on the bookings' tokens decides a token racing itself. The token's use notifies
/// every instance (`pg_notify` in its RETURNING, delivered when the booking commits; see
/// [`tokens`](super::tokens)): in the statement rather than in a trigger, which cost 70 us a booking.
const BOOK_POSTGRES: &str = "
WITH booked AS (
    INSERT INTO bookings (booking_id, flow_token, token_checked, slot_id, seat_id, name, email, phone, more_details, created_at)
    SELECT $6, $7, NOT $13, st.slot_id, st.id, $8, $9, $10, $11, $12
      FROM slots s JOIN seats st ON st.slot_id = s.id
     WHERE s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.start_time = $4 AND st.id = $5
       AND ($13 OR EXISTS (SELECT 1 FROM flow_tokens t
                            WHERE t.token = $7 AND t.used_at IS NULL AND t.expires_at > $12))
    ON CONFLICT DO NOTHING
    RETURNING 'booked' AS kind, booking_id AS id, '' AS title, CAST(0 AS BIGINT) AS position
),
used AS (
    UPDATE flow_tokens t SET used_at = $12, booking_id = $6
     WHERE t.token = $7 AND NOT $13 AND EXISTS (SELECT 1 FROM booked)
    RETURNING pg_notify('flows_token_used', t.token)
)
SELECT kind, id, title, position FROM booked
UNION ALL
SELECT 'seat', st.id, st.title, st.position
  FROM slots s JOIN seats st ON st.slot_id = s.id
 WHERE NOT EXISTS (SELECT 1 FROM booked)
   AND s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.start_time = $4 AND st.id <> $5
   AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = st.slot_id AND b.seat_id = st.id)
UNION ALL
SELECT 'department', d.id, d.title, CAST(0 AS BIGINT) FROM departments d
 WHERE NOT EXISTS (SELECT 1 FROM booked) AND d.id = $1
UNION ALL
SELECT 'location', l.id, l.title, CAST(0 AS BIGINT) FROM locations l
 WHERE NOT EXISTS (SELECT 1 FROM booked) AND l.id = $2";

/// [`BOOK_POSTGRES`] for SQLite, which has no DML in CTEs: two statements in one in-process batch;
/// the second sees the first, and a trigger records the token's use.
const BOOK_SQLITE: &str = "
INSERT INTO bookings (booking_id, flow_token, token_checked, slot_id, seat_id, name, email, phone, more_details, created_at)
SELECT $6, $7, NOT $13, st.slot_id, st.id, $8, $9, $10, $11, $12
  FROM slots s JOIN seats st ON st.slot_id = s.id
 WHERE s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.start_time = $4 AND st.id = $5
   AND ($13 OR EXISTS (SELECT 1 FROM flow_tokens t
                        WHERE t.token = $7 AND t.used_at IS NULL AND t.expires_at > $12))
ON CONFLICT DO NOTHING
RETURNING 'booked' AS kind, booking_id AS id, '' AS title, CAST(0 AS BIGINT) AS position;
SELECT 'seat' AS kind, st.id AS id, st.title AS title, st.position AS position
  FROM slots s JOIN seats st ON st.slot_id = s.id
 WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE booking_id = $6)
   AND s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.start_time = $4 AND st.id <> $5
   AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = st.slot_id AND b.seat_id = st.id)
UNION ALL
SELECT 'department', d.id, d.title, CAST(0 AS BIGINT) FROM departments d
 WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE booking_id = $6) AND d.id = $1
UNION ALL
SELECT 'location', l.id, l.title, CAST(0 AS BIGINT) FROM locations l
 WHERE NOT EXISTS (SELECT 1 FROM bookings WHERE booking_id = $6) AND l.id = $2;";

/// Marks the booking of a token (with `$3`, that booking) confirmed at `$1`, unless it already is.
/// Without a booking id only the booking that keeps the token (made with a checked token) can be
/// meant; with `FLOWS_ACCEPT_ANY_TOKEN` several may share a token, and the completion's
/// `booking_id` picks the one.
const CONFIRM: &str = "
UPDATE bookings SET confirmed_at = $1
 WHERE flow_token = $2 AND confirmed_at IS NULL
   AND (CAST($3 AS TEXT) IS NULL AND token_checked OR booking_id = CAST($3 AS TEXT))
RETURNING booking_id";

/// When [`CONFIRM`] updated nothing: the booking it meant, to tell "already" from "unknown".
const FIND: &str = "
SELECT booking_id FROM bookings
 WHERE flow_token = $1
   AND (CAST($2 AS TEXT) IS NULL AND token_checked OR booking_id = CAST($2 AS TEXT))";

/// For the tests and the load report.
const COUNT: &str = "SELECT COUNT(*) FROM bookings";

/// For the tests: when the webhook confirmed a booking.
const CONFIRMED_AT: &str = "SELECT confirmed_at FROM bookings WHERE booking_id = $1";

/// One row of [`BOOK_POSTGRES`] / [`BOOK_SQLITE`].
#[derive(sqlx::FromRow)]
struct BookRow {
    kind: String,
    id: String,
    title: String,
    position: i64,
}

/// A booking request.
#[derive(Clone, Debug)]
pub struct NewBooking<'a> {
    /// The slot.
    pub choice: &'a Choice,
    /// The seat.
    pub seat: &'a SeatId,
    /// The flow token, if the client sent one.
    pub flow_token: Option<&'a str>,
    /// Name.
    pub name: &'a str,
    /// Email.
    pub email: &'a str,
    /// Phone.
    pub phone: &'a str,
    /// Free text.
    pub more_details: &'a str,
    /// Book even if the token is not an issued, unused one (`FLOWS_ACCEPT_ANY_TOKEN`).
    pub any_token: bool,
}

/// What [`Store::book`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookingOutcome {
    /// Booked: the booking id.
    Booked(String),
    /// The seat is taken (or gone, or the token was used meanwhile): the slot's remaining free seats,
    /// and the department and location titles for the slot line.
    Taken {
        /// Free seats now.
        seats: Vec<Item>,
        /// Department title.
        department: Option<String>,
        /// Location title.
        location: Option<String>,
    },
}

/// What [`Store::confirm_booking`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// The booking is confirmed now.
    Confirmed {
        /// The booking.
        booking_id: String,
    },
    /// It was confirmed before (a retried delivery): left as it was.
    AlreadyConfirmed {
        /// The booking.
        booking_id: String,
    },
    /// No booking has this flow token (and booking id).
    Unknown,
}

impl Store {
    /// Books a seat atomically: one `INSERT ... ON CONFLICT DO NOTHING` (the unique constraints
    /// decide races: one booking per seat and slot, one per checked flow token) that, when nothing
    /// was inserted, also returns the slot's other free seats. One round trip.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn book(&self, booking: &NewBooking<'_>) -> Result<BookingOutcome, StoreError> {
        let booking_id = new_booking_id()?;
        let sql = match self.backend() {
            Backend::Postgres => BOOK_POSTGRES,
            Backend::Sqlite => BOOK_SQLITE,
        };
        let choice = booking.choice;
        let rows: Vec<BookRow> = on_pool!(self, pool => self.call(
            sqlx::query_as(sql)
                .bind(choice.department.as_ref())
                .bind(choice.location.as_ref())
                .bind(choice.date)
                .bind(choice.time.as_deref())
                .bind(booking.seat)
                .bind(&booking_id)
                .bind(booking.flow_token)
                .bind(booking.name)
                .bind(booking.email)
                .bind(booking.phone)
                .bind(booking.more_details)
                .bind(unix_now())
                .bind(booking.any_token)
                .fetch_all(pool),
        ).await?);
        let mut seats = Vec::new();
        let (mut department, mut location) = (None, None);
        for row in rows {
            match row.kind.as_str() {
                "booked" => {
                    self.note_booking(choice, booking.seat.as_str(), None);
                    if let (Some(verdicts), Some(token)) =
                        (self.inner.verdicts.as_deref(), booking.flow_token)
                    {
                        // Before the reply: this instance refuses the token at once, notified or not.
                        verdicts.mark_used(token);
                    }
                    return Ok(BookingOutcome::Booked(row.id));
                }
                "seat" => seats.push((
                    row.position,
                    Item {
                        id: row.id,
                        title: row.title,
                        free: 1,
                    },
                )),
                "department" => department = Some(row.title),
                "location" => location = Some(row.title),
                _ => {}
            }
        }
        let seats = by_position(seats);
        self.note_booking(choice, booking.seat.as_str(), Some(&seats));
        Ok(BookingOutcome::Taken {
            seats,
            department,
            location,
        })
    }

    /// How many bookings there are (tests and the load report).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn booking_count(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => self.call(sqlx::query_scalar(COUNT).fetch_one(pool)).await?))
    }

    /// Marks the booking made with this flow token (and, when given, with this booking id) as
    /// confirmed at `at` (Unix seconds), unless it already is: the first confirmation stays. One
    /// statement, and a second only when nothing was updated, to tell "already" from "unknown".
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn confirm_booking(
        &self,
        flow_token: &str,
        booking_id: Option<&str>,
        at: i64,
    ) -> Result<Confirmation, StoreError> {
        let confirmed: Option<String> = on_pool!(self, pool => self.call(
            sqlx::query_scalar(CONFIRM).bind(at).bind(flow_token).bind(booking_id).fetch_optional(pool)
        ).await?);
        if let Some(booking_id) = confirmed {
            return Ok(Confirmation::Confirmed { booking_id });
        }
        let existing: Option<String> = on_pool!(self, pool => self.call(
            sqlx::query_scalar(FIND).bind(flow_token).bind(booking_id).fetch_optional(pool)
        ).await?);
        Ok(match existing {
            Some(booking_id) => Confirmation::AlreadyConfirmed { booking_id },
            None => Confirmation::Unknown,
        })
    }

    /// A booking's `confirmed_at` (tests).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn confirmed_at(&self, booking_id: &str) -> Result<Option<i64>, StoreError> {
        let row: Option<Option<i64>> = on_pool!(self, pool => self.call(
            sqlx::query_scalar(CONFIRMED_AT).bind(booking_id).fetch_optional(pool)
        ).await?);
        Ok(row.flatten())
    }
}

/// `BK-` and 8 characters a person can read out (no 0/O, 1/I).
pub(super) fn new_booking_id() -> Result<String, StoreError> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| StoreError::Random)?;
    let mut id = String::from("BK-");
    for byte in bytes {
        let index = usize::from(byte & 31);
        id.push(ALPHABET.get(index).map_or('X', |c| char::from(*c)));
    }
    Ok(id)
}
