//! Which seats are free: a day's plan (its times, each slot's seats) with the day's bookings.
//!
//! A day's availability is kept in memory for [`StoreOptions::availability_ttl`] after the read it
//! reflects: under load most users of a slot ask within a second of each other, and one read serves
//! them all. This store's own bookings update it at once (it never offers a seat it has just seen
//! taken) without extending its life, so other instances' bookings show within the TTL.
//!
//! [`StoreOptions::availability_ttl`]: super::StoreOptions::availability_ttl

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use moka::Expiry;
use moka::ops::compute::Op;

use super::catalog::{CACHE_CAPACITY, Item};
use super::ids::{Choice, DayKey, SeatId, SlotId};
use super::{Pool, Store, StoreError};

/// The seats booked in the slots `$1` (a `text[]`): an index range per slot, however many seats.
const BOOKED_POSTGRES: &str = "SELECT slot_id, seat_id FROM bookings WHERE slot_id = ANY($1)";

/// [`BOOKED_POSTGRES`] for SQLite, which has no arrays: `$1` is a JSON array of slot ids.
const BOOKED_SQLITE: &str =
    "SELECT slot_id, seat_id FROM bookings WHERE slot_id IN (SELECT value FROM json_each($1))";

#[derive(sqlx::FromRow)]
struct BookedRow {
    slot_id: SlotId,
    seat_id: SeatId,
}

/// A day's schedule, without availability: its times in order, each with its slot and every seat.
#[derive(Debug)]
pub(super) struct DayPlan {
    pub(super) times: Vec<PlannedTime>,
}

/// One time of a [`DayPlan`].
#[derive(Debug)]
pub(super) struct PlannedTime {
    /// `HH:MM`.
    pub(super) time: String,
    pub(super) slot: SlotId,
    /// Every seat, in the order users see them.
    pub(super) seats: Vec<Item>,
}

impl DayPlan {
    pub(super) fn slots(&self) -> Vec<SlotId> {
        self.times.iter().map(|t| t.slot.clone()).collect()
    }

    /// The day's availability when the `booked` (slot, seat id) are taken.
    fn availability(&self, booked: &[(SlotId, String)], read_at: Instant) -> DaySeats {
        let booked: HashSet<(&SlotId, &str)> = booked
            .iter()
            .map(|(slot, seat)| (slot, seat.as_str()))
            .collect();
        let mut times = Vec::with_capacity(self.times.len());
        let mut free = HashMap::with_capacity(self.times.len());
        for planned in &self.times {
            let seats: Arc<[Item]> = planned
                .seats
                .iter()
                .filter(|seat| !booked.contains(&(&planned.slot, seat.id.as_str())))
                .cloned()
                .collect();
            times.push(time_item(&planned.time, seats.len()));
            free.insert(planned.time.clone(), seats);
        }
        DaySeats {
            times: times.into(),
            free,
            read_at,
        }
    }
}

fn time_item(time: &str, free: usize) -> Item {
    Item {
        id: time.to_owned(),
        title: time.to_owned(),
        free: i64::try_from(free).unwrap_or(i64::MAX),
    }
}

/// A day's availability: every time with its free-seat count, and each time's free seats.
#[derive(Clone, Debug)]
pub(super) struct DaySeats {
    pub(super) times: Arc<[Item]>,
    pub(super) free: HashMap<String, Arc<[Item]>>,
    /// When the database said so: the entry expires a TTL after this, whatever updates follow.
    read_at: Instant,
}

impl DaySeats {
    /// The same day with `time`'s free seats replaced (a booking attempt's news).
    fn with_free(&self, time: &str, seats: Arc<[Item]>) -> Self {
        let mut day = self.clone();
        if day.free.contains_key(time) {
            day.times = self
                .times
                .iter()
                .map(|t| {
                    if t.id == time {
                        time_item(time, seats.len())
                    } else {
                        t.clone()
                    }
                })
                .collect();
            day.free.insert(time.to_owned(), seats);
        }
        day
    }
}

/// A day's availability, shared.
pub(super) type Day = Arc<DaySeats>;

/// Each entry lives the TTL from its database read, not from its last update.
struct FromRead(Duration);

impl Expiry<DayKey, Day> for FromRead {
    fn expire_after_create(&self, _: &DayKey, day: &Day, _: Instant) -> Option<Duration> {
        Some(self.0.saturating_sub(day.read_at.elapsed()))
    }

    fn expire_after_update(
        &self,
        _: &DayKey,
        day: &Day,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(self.0.saturating_sub(day.read_at.elapsed()))
    }
}

/// The availability cache for this TTL.
pub(super) fn availability_cache(ttl: Duration) -> moka::sync::Cache<DayKey, Day> {
    moka::sync::Cache::builder()
        .max_capacity(CACHE_CAPACITY)
        .expire_after(FromRead(ttl))
        .build()
}

impl Store {
    /// The day's availability from memory, if read within the TTL.
    pub(super) fn cached_availability(&self, key: &DayKey) -> Option<Day> {
        self.inner.availability.get(key)
    }

    /// The seats booked in `slots`: on PostgreSQL through the connections that plan for the table
    /// as it is now.
    pub(super) async fn booked_seats(
        &self,
        slots: &[SlotId],
    ) -> Result<Vec<(SlotId, String)>, StoreError> {
        let ids: Vec<&str> = slots.iter().map(SlotId::as_str).collect();
        let rows: Vec<BookedRow> = match &self.inner.pool {
            Pool::Pg(pool) => {
                let pool = self.inner.custom_plans.as_ref().unwrap_or(pool);
                self.call(sqlx::query_as(BOOKED_POSTGRES).bind(ids).fetch_all(pool))
                    .await?
            }
            Pool::Sqlite(pool) => {
                let ids = serde_json::to_string(&ids)
                    .map_err(|e| StoreError::Database(sqlx::Error::Encode(e.into())))?;
                self.call(sqlx::query_as(BOOKED_SQLITE).bind(ids).fetch_all(pool))
                    .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|row| (row.slot_id, row.seat_id.to_string()))
            .collect())
    }

    /// The day's availability given its bookings, just read, kept for the availability TTL.
    pub(super) fn note_availability(
        &self,
        key: &DayKey,
        plan: &DayPlan,
        booked: &[(SlotId, String)],
    ) -> Day {
        let day = Arc::new(plan.availability(booked, Instant::now()));
        self.inner.availability.insert(key.clone(), day.clone());
        day
    }

    /// After a booking attempt, this store's cached availability for the slot follows what the
    /// database said (`free_now`: the slot's free seats when the seat was taken; `None`: booked,
    /// so `seat` is no longer free), so this instance never offers a seat it has just seen booked.
    pub(super) fn note_booking(&self, choice: &Choice, seat: &str, free_now: Option<&[Item]>) {
        let (Some(key), Some(time)) = (choice.day(), choice.time.as_deref()) else {
            return;
        };
        // Atomic per day: two bookings noted at once both land.
        self.inner
            .availability
            .entry(key)
            .and_compute_with(|entry| {
                let Some(entry) = entry else { return Op::Nop };
                let day = entry.into_value();
                let seats: Arc<[Item]> = match (free_now, day.free.get(time)) {
                    (Some(seats), _) => seats.into(),
                    (None, Some(seats)) => seats.iter().filter(|s| s.id != seat).cloned().collect(),
                    (None, None) => return Op::Nop,
                };
                Op::Put(Arc::new(day.with_free(time, seats)))
            });
    }
}
