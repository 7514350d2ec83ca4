//! Adding departments, locations, slots and seats: the demo clinic on an empty database, and the
//! tests' and load generator's catalogs.

use super::bookings::new_booking_id;
use super::ids::{DepartmentId, LocationId, SeatId, SlotId};
use super::{Backend, Store, StoreError};
use crate::date::{Date, unix_now};

/// Rows per multi-row `INSERT` (SQLite allows at most 32,766 bound values per statement).
const CHUNK: usize = 400;

// Multi-row inserts: sqlx's QueryBuilder adds one bound `(...)` group per row after each prefix.
const INSERT_DEPARTMENTS: &str = "INSERT INTO departments (id, title, position) ";
const INSERT_LOCATIONS: &str = "INSERT INTO locations (id, title, position) ";
const INSERT_SLOTS: &str = "INSERT INTO slots (id, department_id, location_id, day, start_time) ";
const INSERT_SEATS: &str = "INSERT INTO seats (slot_id, id, title, position) ";
/// Existing ids are kept: seeding twice adds nothing.
const KEEP_EXISTING: &str = " ON CONFLICT DO NOTHING";

/// A seat booked in advance (the demo's full time).
const INSERT_DEMO_BOOKING: &str = "
INSERT INTO bookings (booking_id, flow_token, slot_id, seat_id, name, email, phone, more_details, created_at)
VALUES ($1, NULL, $2, $3, 'Demo booking', 'demo@example.com', '+000', '', $4)
ON CONFLICT DO NOTHING";

/// Whether there is anything to book yet.
const COUNT_DEPARTMENTS: &str = "SELECT COUNT(*) FROM departments";

/// Fresh statistics for the tables just filled, so the generic plans use their indexes from the
/// start. Not for `bookings` and `flow_tokens`: they grow with use, and statistics of a nearly
/// empty table made each connection's plan hash all of `bookings` on every availability read,
/// slower with every booking until autovacuum's next ANALYZE. Never analyzed, a table counts as at
/// least ten pages to the planner, and the plans probe the indexes.
const ANALYZE_CATALOG: &str = "ANALYZE departments, locations, slots, seats";

/// Demo or test data to add: departments, locations, and slots with their seats.
#[derive(Clone, Debug, Default)]
pub struct SeedData {
    /// `(id, title)`.
    pub departments: Vec<(DepartmentId, String)>,
    /// `(id, title)`.
    pub locations: Vec<(LocationId, String)>,
    /// Slots.
    pub slots: Vec<SeedSlot>,
    /// Seats booked in advance (demo: some times show as full): `(slot index, seat id)`.
    pub booked: Vec<(usize, SeatId)>,
}

/// One slot to add.
#[derive(Clone, Debug)]
pub struct SeedSlot {
    /// The department.
    pub department: DepartmentId,
    /// The location.
    pub location: LocationId,
    /// The day.
    pub date: Date,
    /// `HH:MM`, as [`Choice::time`](super::Choice::time) spells it.
    pub time: String,
    /// `(id, title)` of each seat.
    pub seats: Vec<(SeatId, String)>,
}

impl SeedSlot {
    /// The slot's id: its department, location, day and time, so seeding the same slot twice
    /// names the same row.
    fn id(&self) -> SlotId {
        SlotId::from(format!(
            "{}/{}/{}/{}",
            self.department, self.location, self.date, self.time
        ))
    }
}

impl SeedData {
    /// The demo clinic: four departments over three cities, slots on the next seven days (Sundays
    /// closed) at four times, six seats each; the first day's last time is already fully booked.
    #[must_use]
    pub fn demo(today: Date) -> Self {
        let departments = [
            ("cardiology", "Cardiology"),
            ("dermatology", "Dermatology"),
            ("physiotherapy", "Physiotherapy"),
            ("dentistry", "Dentistry"),
        ];
        let locations = [
            ("lisbon-centre", "Lisbon Centre"),
            ("porto-baixa", "Porto Baixa"),
            ("coimbra", "Coimbra"),
        ];
        let times = ["09:00", "10:30", "14:00", "15:30"];
        let seats: Vec<(SeatId, String)> = ["A1", "A2", "A3", "B1", "B2", "B3"]
            .iter()
            .map(|s| (SeatId::from(*s), format!("Seat {s}")))
            .collect();
        let mut data = Self {
            departments: pairs(&departments),
            locations: pairs(&locations),
            ..Self::default()
        };
        let days = (1..=7)
            .map(|offset| today.plus_days(offset))
            .filter(|day| day.weekday() != 6); // Sundays closed
        for (n, day) in days.enumerate() {
            for (d, (department, _)) in departments.iter().enumerate() {
                for (l, (location, _)) in locations.iter().enumerate() {
                    if (d + l) % 3 == 2 {
                        continue; // each department at two of the three cities
                    }
                    for time in times {
                        if n == 0 && time == "15:30" {
                            for (seat, _) in &seats {
                                data.booked.push((data.slots.len(), seat.clone()));
                            }
                        }
                        data.slots.push(SeedSlot {
                            department: DepartmentId::from(*department),
                            location: LocationId::from(*location),
                            date: day,
                            time: time.to_owned(),
                            seats: seats.clone(),
                        });
                    }
                }
            }
        }
        data
    }
}

fn pairs<Id: for<'a> From<&'a str>>(list: &[(&str, &str)]) -> Vec<(Id, String)> {
    list.iter()
        .map(|(id, title)| (Id::from(*id), (*title).to_owned()))
        .collect()
}

impl Store {
    /// Whether the database has no departments yet (a fresh database to seed).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let count: i64 = on_pool!(self, pool => self.call(
            sqlx::query_scalar(COUNT_DEPARTMENTS).fetch_one(pool)
        ).await?);
        Ok(count == 0)
    }

    /// Adds departments, locations, slots and seats (existing ids are kept), in one transaction, and
    /// refreshes PostgreSQL's statistics.
    ///
    /// # Errors
    /// [`StoreError::SeedBooking`] (before anything is written) when a booking names a slot index
    /// the seed does not have; [`StoreError`] when the database fails.
    pub async fn add(&self, data: &SeedData) -> Result<(), StoreError> {
        let slots: Vec<(SlotId, &SeedSlot)> =
            data.slots.iter().map(|slot| (slot.id(), slot)).collect();
        let booked: Vec<(&SlotId, &SeatId)> = data
            .booked
            .iter()
            .map(|(index, seat)| match slots.get(*index) {
                Some((slot, _)) => Ok((slot, seat)),
                None => Err(StoreError::SeedBooking {
                    index: *index,
                    slots: slots.len(),
                    seat: seat.clone(),
                }),
            })
            .collect::<Result<_, _>>()?;
        let seats: Vec<(&SlotId, &SeatId, &str, i64)> = slots
            .iter()
            .flat_map(|(slot_id, slot)| {
                slot.seats
                    .iter()
                    .zip(0_i64..)
                    .map(move |((id, title), position)| (slot_id, id, title.as_str(), position))
            })
            .collect();
        // Departments and locations as text, so one loop inserts both kinds of titled row.
        let departments: Vec<(&str, &str)> = data
            .departments
            .iter()
            .map(|(id, title)| (id.as_str(), title.as_str()))
            .collect();
        let locations: Vec<(&str, &str)> = data
            .locations
            .iter()
            .map(|(id, title)| (id.as_str(), title.as_str()))
            .collect();
        let now = unix_now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (prefix, list) in [(INSERT_DEPARTMENTS, &departments), (INSERT_LOCATIONS, &locations)] {
                for chunk in list.chunks(CHUNK) {
                    let mut insert = sqlx::QueryBuilder::new(prefix);
                    insert.push_values(chunk.iter().zip(0_i64..), |mut row, ((id, title), position)| {
                        row.push_bind(*id).push_bind(*title).push_bind(position);
                    });
                    insert.push(KEEP_EXISTING).build().execute(&mut *tx).await?;
                }
            }
            for chunk in slots.chunks(CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(INSERT_SLOTS);
                insert.push_values(chunk, |mut row, (id, slot)| {
                    row.push_bind(id)
                        .push_bind(&slot.department)
                        .push_bind(&slot.location)
                        .push_bind(slot.date)
                        .push_bind(&slot.time);
                });
                insert.push(KEEP_EXISTING).build().execute(&mut *tx).await?;
            }
            for chunk in seats.chunks(CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(INSERT_SEATS);
                insert.push_values(chunk, |mut row, (slot, id, title, position)| {
                    row.push_bind(*slot).push_bind(*id).push_bind(*title).push_bind(*position);
                });
                insert.push(KEEP_EXISTING).build().execute(&mut *tx).await?;
            }
            for (slot, seat) in &booked {
                sqlx::query(INSERT_DEMO_BOOKING)
                    .bind(new_booking_id()?)
                    .bind(*slot)
                    .bind(seat)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        self.forget_catalog();
        if self.backend() == Backend::Postgres {
            on_pool!(self, pool => sqlx::query(ANALYZE_CATALOG).execute(pool).await.map(|_| ())?);
        }
        Ok(())
    }

    /// Seeds the demo clinic relative to `today` if the database has no departments yet. Returns
    /// whether it seeded.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn seed_if_empty(&self, today: Date) -> Result<bool, StoreError> {
        if !self.is_empty().await? {
            return Ok(false);
        }
        self.add(&SeedData::demo(today)).await?;
        Ok(true)
    }
}
