//! What the `APPOINTMENT` screen offers: departments, locations, dates, and (through
//! [`availability`](super::availability)) the chosen day's times and free seats.
//!
//! Departments, locations and dates change rarely: they are served from memory for [`STATIC_TTL`],
//! by department, location and today. A request whose lists and day are all in memory makes no
//! query; otherwise one query (`CATALOG`) reads whatever is missing, lists and day together.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::availability::{DayPlan, PlannedTime};
use super::ids::{Choice, DayKey, ListKey, SlotId};
use super::{Store, StoreError};
use crate::date::Date;

/// How long departments, locations, dates, and each day's times and seats are served from memory.
/// Which seats are free (availability) follows [`StoreOptions::availability_ttl`](super::StoreOptions::availability_ttl).
pub const STATIC_TTL: Duration = Duration::from_secs(5);

/// At most this many entries in each of the store's caches.
pub(super) const CACHE_CAPACITY: u64 = 10_000;

/// The lists for the choices so far, in one query: `$1` department, `$2` location, `$3` date, `$4`
/// today; `$5` whether to read the departments, locations and dates, `$6` whether to read the day
/// (its times, and every seat of each, free or booked). Rows in no particular order (see
/// [`by_position`]); the columns a kind does not use are NULL.
const CATALOG: &str = "
SELECT 'department' AS kind, d.id AS id, d.title AS title, d.position AS position,
       CAST(NULL AS TEXT) AS slot_id, CAST(NULL AS TEXT) AS start_time, CAST(NULL AS DATE) AS day
  FROM departments d
 WHERE $5
UNION ALL
SELECT 'location', l.id, l.title, l.position, NULL, NULL, NULL
  FROM locations l
 WHERE $5 AND EXISTS (SELECT 1 FROM slots s WHERE s.location_id = l.id AND s.department_id = $1 AND s.day >= $4)
UNION ALL
SELECT 'date', '', '', CAST(0 AS BIGINT), NULL, NULL, s.day
  FROM slots s
 WHERE $5 AND s.department_id = $1 AND s.location_id = $2 AND s.day >= $4
 GROUP BY s.day
UNION ALL
SELECT 'time', '', '', CAST(0 AS BIGINT), s.id, s.start_time, NULL
  FROM slots s
 WHERE $6 AND s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.day >= $4
UNION ALL
SELECT CASE WHEN b.seat_id IS NULL THEN 'seat' ELSE 'booked' END, st.id, st.title, st.position, s.id, NULL, NULL
  FROM slots s JOIN seats st ON st.slot_id = s.id
  LEFT JOIN bookings b ON b.slot_id = st.slot_id AND b.seat_id = st.id
 WHERE $6 AND s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.day >= $4";

/// One row of [`CATALOG`].
#[derive(sqlx::FromRow)]
struct CatalogRow {
    kind: String,
    id: String,
    title: String,
    position: i64,
    slot_id: Option<SlotId>,
    start_time: Option<String>,
    day: Option<Date>,
}

/// One option of a list: `{id, title}`, with the free seats for times.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The option's id (what the phone sends back).
    pub id: String,
    /// What the user sees.
    pub title: String,
    /// Free seats (times); 1 for the other kinds.
    pub free: i64,
}

/// Every list the flow's screens show for a choice so far. The lists are shared with the store's
/// caches (cloning a catalog copies no items).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    /// All departments.
    pub departments: Arc<[Item]>,
    /// Locations with upcoming slots for the chosen department.
    pub locations: Arc<[Item]>,
    /// Upcoming days with slots for the chosen department and location (id ISO, title readable).
    pub dates: Arc<[Item]>,
    /// Times on the chosen day, with their free seats.
    pub times: Arc<[Item]>,
    /// Free seats of the chosen time.
    pub seats: Arc<[Item]>,
}

/// Departments, locations and dates for one [`ListKey`].
#[derive(Debug)]
pub(super) struct Lists {
    departments: Arc<[Item]>,
    locations: Arc<[Item]>,
    dates: Arc<[Item]>,
}

/// What one [`CATALOG`] query brought: the lists and/or the day's plan with its booked seats.
#[derive(Default)]
struct Read {
    lists: Option<Arc<Lists>>,
    day: Option<(DayPlan, Vec<(SlotId, String)>)>,
}

impl Store {
    /// Every list for the choices so far, in at most one query; the times (with their free seats)
    /// only when `with_times`, the free seats when a time is chosen. Departments, locations, dates
    /// and each day's plan come from memory for [`STATIC_TTL`], availability for
    /// [`StoreOptions::availability_ttl`](super::StoreOptions::availability_ttl).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn catalog(&self, choice: &Choice, with_times: bool) -> Result<Catalog, StoreError> {
        self.read_catalog(choice, with_times, false).await
    }

    /// [`Store::catalog`] with availability read from the database (and the cache refreshed).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn fresh_catalog(
        &self,
        choice: &Choice,
        with_times: bool,
    ) -> Result<Catalog, StoreError> {
        self.read_catalog(choice, with_times, true).await
    }

    async fn read_catalog(
        &self,
        choice: &Choice,
        with_times: bool,
        fresh: bool,
    ) -> Result<Catalog, StoreError> {
        let today = Date::today();
        let list_key = ListKey {
            department: choice.department.clone(),
            location: choice.location.clone(),
            today,
        };
        // The day matters when its times are shown or a time is chosen.
        let day_key = choice.day().filter(|_| with_times || choice.time.is_some());
        let mut lists = self.inner.lists.get(&list_key);
        let mut day = day_key
            .as_ref()
            .filter(|_| !fresh)
            .and_then(|key| self.cached_availability(key));
        let plan = match (&day_key, &day) {
            (Some(key), None) => self.inner.plans.get(key),
            _ => None,
        };
        // A known plan needs only the day's bookings, unless the lists must be read anyway: then
        // one query brings both, and the request stays at one round trip.
        let read_lists = lists.is_none();
        let read_day = day_key.is_some() && day.is_none() && (plan.is_none() || read_lists);
        if read_lists || read_day {
            let read = self.read(choice, today, read_lists, read_day).await?;
            if let Some(read) = read.lists {
                self.inner.lists.insert(list_key, read.clone());
                lists = Some(read);
            }
            if let (Some(key), Some((plan, booked))) = (&day_key, read.day) {
                day = Some(self.note_availability(key, &plan, &booked));
                self.inner.plans.insert(key.clone(), Arc::new(plan));
            }
        }
        if let (Some(key), None, Some(plan)) = (&day_key, &day, plan) {
            let booked = self.booked_seats(&plan.slots()).await?;
            day = Some(self.note_availability(key, &plan, &booked));
        }
        let mut catalog = lists.map_or_else(Catalog::default, |lists| Catalog {
            departments: lists.departments.clone(),
            locations: lists.locations.clone(),
            dates: lists.dates.clone(),
            ..Catalog::default()
        });
        if let Some(day) = day {
            if with_times {
                catalog.times = day.times.clone();
            }
            if let Some(seats) = choice.time.as_ref().and_then(|time| day.free.get(time)) {
                catalog.seats = seats.clone();
            }
        }
        Ok(catalog)
    }

    /// One [`CATALOG`] query, its rows sorted into lists and a day plan.
    async fn read(
        &self,
        choice: &Choice,
        today: Date,
        read_lists: bool,
        read_day: bool,
    ) -> Result<Read, StoreError> {
        let rows: Vec<CatalogRow> = on_pool!(self, pool => self.call(
            sqlx::query_as(CATALOG)
                .bind(choice.department.as_ref())
                .bind(choice.location.as_ref())
                .bind(choice.date)
                .bind(today)
                .bind(read_lists)
                .bind(read_day)
                .fetch_all(pool),
        ).await?);
        let (mut departments, mut locations, mut dates) = (Vec::new(), Vec::new(), Vec::new());
        let mut times = Vec::new();
        let mut seats: HashMap<SlotId, Vec<(i64, Item)>> = HashMap::new();
        let mut booked = Vec::new();
        for row in rows {
            let item = Item {
                id: row.id,
                title: row.title,
                free: 1,
            };
            match (row.kind.as_str(), row.slot_id, row.start_time, row.day) {
                ("department", ..) => departments.push((row.position, item)),
                ("location", ..) => locations.push((row.position, item)),
                ("date", _, _, Some(day)) => dates.push(day),
                ("time", Some(slot), Some(time), _) => times.push((time, slot)),
                ("seat", Some(slot), ..) => {
                    seats.entry(slot).or_default().push((row.position, item))
                }
                ("booked", Some(slot), ..) => {
                    booked.push((slot.clone(), item.id.clone()));
                    seats.entry(slot).or_default().push((row.position, item));
                }
                _ => {}
            }
        }
        let mut read = Read::default();
        if read_lists {
            dates.sort_unstable();
            read.lists = Some(Arc::new(Lists {
                departments: by_position(departments).into(),
                locations: by_position(locations).into(),
                dates: dates
                    .into_iter()
                    .map(|day| Item {
                        id: day.to_string(),
                        title: day.title(),
                        free: 1,
                    })
                    .collect(),
            }));
        }
        if read_day {
            times.sort_unstable();
            let plan = DayPlan {
                times: times
                    .into_iter()
                    .map(|(time, slot)| PlannedTime {
                        seats: by_position(seats.remove(&slot).unwrap_or_default()),
                        slot,
                        time,
                    })
                    .collect(),
            };
            read.day = Some((plan, booked));
        }
        Ok(read)
    }
}

/// Orders a list by position, then title (byte order). The catalog read leaves ordering to us:
/// PostgreSQL compares text by the database's collation (`strcoll` for anything but `C`), and its
/// `ORDER BY` took half of a day's availability read, more than finding the free seats.
pub(super) fn by_position(mut items: Vec<(i64, Item)>) -> Vec<Item> {
    items.sort_unstable_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.title.cmp(&y.title)));
    items.into_iter().map(|(_, item)| item).collect()
}

/// The lists cache: entries live [`STATIC_TTL`].
pub(super) fn lists_cache() -> moka::sync::Cache<ListKey, Arc<Lists>> {
    moka::sync::Cache::builder()
        .max_capacity(CACHE_CAPACITY)
        .time_to_live(STATIC_TTL)
        .build()
}

/// The plans cache: entries live [`STATIC_TTL`].
pub(super) fn plans_cache() -> moka::sync::Cache<DayKey, Arc<DayPlan>> {
    moka::sync::Cache::builder()
        .max_capacity(CACHE_CAPACITY)
        .time_to_live(STATIC_TTL)
        .build()
}
