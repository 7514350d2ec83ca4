//! Storage: PostgreSQL (production) or an embedded SQLite file (zero set-up), one set of queries.
//!
//! Every method is **one database round trip** (one statement, or on SQLite one in-process batch),
//! bounded by a timeout, and counted ([`Store::query_count`]). With the flow-token check that makes
//! at most two per request:
//!
//! | request | queries |
//! |---|---|
//! | any (token check, unless `FLOWS_ACCEPT_ANY_TOKEN`) | [`Store::check_token`] (the app reuses a valid verdict for 5 s) |
//! | INIT, APPOINTMENT, SEATS, DETAILS | [`Store::catalog`]: every list the screen shows, for whatever is not in the store's short caches (departments, locations, dates and each day's times and seats for [`STATIC_TTL`], availability for [`StoreOptions::availability_ttl`]): one `UNION ALL` of the lists and the day with its bookings, or, when only availability is missing, the day's bookings alone |
//! | BACK from SEATS | [`Store::fresh_catalog`]: the same, availability always read |
//! | SUMMARY | [`Store::book`]: the booking `INSERT ... ON CONFLICT DO NOTHING`, and on conflict the fresh free seats |
//!
//! Races are decided by the database: `bookings` has `UNIQUE (slot_id, seat_id)`, a flow token books
//! at most once (a unique index on the bookings' checked tokens), and the booking is one atomic
//! statement that also records the token's use in `flow_tokens`.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use sqlx::Row as _;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::date::{Date, unix_now};

/// How long one database call may take, connection included: requests fail with HTTP 500 well
/// within a second when the database is away, never near Meta's 10 s timeout.
pub const DEFAULT_DB_TIMEOUT: Duration = Duration::from_millis(800);

/// How long availability is served from memory by default. Under load most users of a slot ask
/// within a second of each other: one read serves them all, and the database stays off the critical
/// path (RSA is what each request must pay for).
pub const DEFAULT_AVAILABILITY_TTL: Duration = Duration::from_secs(1);

/// The SQLite file inside the data directory.
pub const SQLITE_FILE: &str = "appointments.sqlite3";

const PG_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "schema",
        include_str!("../migrations/postgres/0001_schema.sql"),
    ),
    (
        2,
        "one booking per token",
        include_str!("../migrations/postgres/0002_one_booking_per_token.sql"),
    ),
    (
        3,
        "booking confirmed_at",
        include_str!("../migrations/postgres/0003_booking_confirmed_at.sql"),
    ),
];
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "schema",
        include_str!("../migrations/sqlite/0001_schema.sql"),
    ),
    (
        2,
        "one booking per token",
        include_str!("../migrations/sqlite/0002_one_booking_per_token.sql"),
    ),
    (
        3,
        "booking confirmed_at",
        include_str!("../migrations/sqlite/0003_booking_confirmed_at.sql"),
    ),
];

/// Why a database call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database answered with an error, or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The call did not finish within the timeout.
    #[error("database did not answer within {0:?}")]
    Timeout(Duration),
    /// A recent call failed and the flow-token check of this request could not reach the database.
    #[error("database unavailable")]
    Unavailable,
    /// Migrations could not be applied.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The system random number generator failed.
    #[error("system random number generator failed")]
    Random,
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Where the data lives and how long to wait for it.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// `postgres://...` (or `sqlite:...`); `None` for the embedded SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Directory for the embedded SQLite file (and the development key).
    pub data_dir: PathBuf,
    /// Pool size.
    pub max_connections: u32,
    /// Per-call timeout (connection acquisition included); also PostgreSQL's `statement_timeout`.
    pub timeout: Duration,
    /// How long a read of availability (a day's times with their free seats, a slot's free seats)
    /// is served from memory: [`DEFAULT_AVAILABILITY_TTL`]. Bookings made through this store update
    /// it at once; other instances' bookings show within this time (the booking itself is always
    /// decided by the database). `Duration::ZERO` reads availability on every request.
    pub availability_ttl: Duration,
}

impl StoreOptions {
    /// Options for this URL (or the embedded default) with the default pool size and timeout.
    #[must_use]
    pub fn new(database_url: Option<String>, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            database_url,
            data_dir: data_dir.into(),
            max_connections: 4,
            timeout: DEFAULT_DB_TIMEOUT,
            availability_ttl: DEFAULT_AVAILABILITY_TTL,
        }
    }
}

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite (embedded).
    Sqlite,
}

enum Pool {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

/// The appointment database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    timeout: Duration,
    queries: AtomicU64,
    failing: AtomicBool,
    description: String,
    /// Departments, locations and dates by (department, location, today): they change rarely, and
    /// reading them on every request cost more database time than everything else together.
    lists: StaticCache<StaticLists>,
    /// Recent reads of availability, kept for `availability_ttl` and updated by this store's bookings.
    availability: Mutex<Availability>,
    availability_ttl: Duration,
    /// Each day's times and seats, kept for [`STATIC_TTL`]: with them, availability is a read of the
    /// day's bookings alone.
    plans: StaticCache<DayPlan>,
    /// PostgreSQL: connections that plan each statement for the table as it is at that moment
    /// (`plan_cache_mode=force_custom_plan`), for the bookings read. `bookings` grows from empty, and a
    /// generic plan made while it was small would scan the whole table on every read thereafter.
    custom_plans: Option<PgPool>,
}

/// How long departments, locations, dates, and each day's times and seats are served from memory.
/// Which seats are free (availability) follows [`StoreOptions::availability_ttl`].
pub const STATIC_TTL: Duration = Duration::from_secs(5);
const LIST_CACHE_CAPACITY: usize = 10_000;

/// `(department, location, today)`.
type ListKey = (String, String, String);
/// `(department, location, date)`.
type DayKey = (String, String, String);

/// A day's availability: every time with its free-seat count, and each time's free seats.
#[derive(Clone, Debug, Default)]
struct DaySeats {
    times: Arc<[Item]>,
    free: HashMap<String, Arc<[Item]>>,
}

impl DaySeats {
    fn new(times: Vec<String>, mut seats: HashMap<String, Vec<Item>>) -> Self {
        let times: Vec<Item> = times
            .into_iter()
            .map(|time| {
                let free = seats.get(&time).map_or(0, Vec::len);
                Item {
                    title: time.clone(),
                    id: time,
                    free: i64::try_from(free).unwrap_or(i64::MAX),
                }
            })
            .collect();
        let free = times
            .iter()
            .map(|t| (t.id.clone(), seats.remove(&t.id).unwrap_or_default().into()))
            .collect();
        Self {
            times: times.into(),
            free,
        }
    }

    /// The same day with `time`'s free seats replaced.
    fn with_free(&self, time: &str, seats: Vec<Item>) -> Self {
        let count = i64::try_from(seats.len()).unwrap_or(i64::MAX);
        let mut day = self.clone();
        if day.free.contains_key(time) {
            day.free.insert(time.to_owned(), seats.into());
            day.times = self
                .times
                .iter()
                .map(|t| Item {
                    free: if t.id == time { count } else { t.free },
                    ..t.clone()
                })
                .collect();
        }
        day
    }
}

/// A day's availability, shared.
type Day = Arc<DaySeats>;

/// Catalog data kept for [`STATIC_TTL`], by [`ListKey`] or [`DayKey`] (the same shape); past
/// [`LIST_CACHE_CAPACITY`] entries it starts over.
struct StaticCache<V>(Mutex<HashMap<ListKey, (Arc<V>, Instant)>>);

impl<V> Default for StaticCache<V> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<V> StaticCache<V> {
    fn get(&self, key: &ListKey) -> Option<Arc<V>> {
        let cache = self.0.lock().ok()?;
        let (value, at) = cache.get(key)?;
        (at.elapsed() < STATIC_TTL).then(|| value.clone())
    }

    fn put(&self, key: ListKey, value: Arc<V>) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= LIST_CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(key, (value, Instant::now()));
        }
    }

    fn clear(&self) {
        if let Ok(mut cache) = self.0.lock() {
            cache.clear();
        }
    }
}

/// A day's schedule, without availability: its times in order, each with its slot and every seat.
#[derive(Debug)]
struct DayPlan {
    times: Vec<PlannedTime>,
}

#[derive(Debug)]
struct PlannedTime {
    time: String,
    slot: String,
    /// Every seat, in the order users see them.
    seats: Vec<Item>,
}

impl DayPlan {
    fn slots(&self) -> Vec<String> {
        self.times.iter().map(|t| t.slot.clone()).collect()
    }

    /// The day's availability when `booked` (slot id, seat id) are taken.
    fn availability(&self, booked: &HashSet<(&str, &str)>) -> DaySeats {
        let free = self
            .times
            .iter()
            .map(|t| {
                let seats = t
                    .seats
                    .iter()
                    .filter(|seat| !booked.contains(&(t.slot.as_str(), seat.id.as_str())));
                (t.time.clone(), seats.cloned().collect())
            })
            .collect();
        DaySeats::new(self.times.iter().map(|t| t.time.clone()).collect(), free)
    }
}

/// Recent availability reads, by day: one read serves the time list, the seat list of every time
/// and the seat check of that day.
#[derive(Debug, Default)]
struct Availability {
    days: HashMap<DayKey, (Day, Instant)>,
}

impl Availability {
    fn get(&self, key: &DayKey, ttl: Duration) -> Option<Day> {
        let (day, at) = self.days.get(key)?;
        (at.elapsed() < ttl).then(|| day.clone())
    }

    fn put(&mut self, key: DayKey, day: Day, ttl: Duration) {
        if self.days.len() >= LIST_CACHE_CAPACITY {
            self.days.retain(|_, (_, at)| at.elapsed() < ttl);
            if self.days.len() >= LIST_CACHE_CAPACITY {
                self.days.clear();
            }
        }
        self.days.insert(key, (day, Instant::now()));
    }
}

fn day_key(choice: &Choice) -> DayKey {
    (
        choice.department.clone(),
        choice.location.clone(),
        choice.date.clone(),
    )
}

#[derive(Debug)]
struct StaticLists {
    departments: Arc<[Item]>,
    locations: Arc<[Item]>,
    dates: Arc<[Item]>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("database", &self.inner.description)
            .finish_non_exhaustive()
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool: the same query text serves both backends.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.inner.pool {
            Pool::Pg($pool) => $body,
            Pool::Sqlite($pool) => $body,
        }
    };
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

/// A flow token's state, as [`Store::check_token`] finds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    /// Issued, not expired, not used.
    Valid {
        /// When it expires (Unix seconds).
        expires_at: i64,
    },
    /// Never issued.
    Unknown,
    /// Past its expiry.
    Expired,
    /// Already used for a completed booking.
    Used,
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
    /// Upcoming days with slots for the chosen department and location.
    pub dates: Arc<[Item]>,
    /// Times on the chosen day, with their free seats.
    pub times: Arc<[Item]>,
    /// Free seats of the chosen time.
    pub seats: Arc<[Item]>,
}

/// The choices that identify a slot and seat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    /// Department id.
    pub department: String,
    /// Location id.
    pub location: String,
    /// ISO date.
    pub date: String,
    /// `HH:MM`.
    pub time: String,
}

/// A booking request.
#[derive(Clone, Debug)]
pub struct NewBooking<'a> {
    /// The slot.
    pub choice: &'a Choice,
    /// The seat id.
    pub seat: &'a str,
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

/// Demo or test data to add: departments, locations, and slots with their seats.
#[derive(Clone, Debug, Default)]
pub struct SeedData {
    /// `(id, title)`.
    pub departments: Vec<(String, String)>,
    /// `(id, title)`.
    pub locations: Vec<(String, String)>,
    /// Slots.
    pub slots: Vec<SeedSlot>,
    /// Seats booked in advance (demo: some times show as full): `(slot index, seat id)`.
    pub booked: Vec<(usize, String)>,
}

/// One slot to add.
#[derive(Clone, Debug)]
pub struct SeedSlot {
    /// Department id.
    pub department: String,
    /// Location id.
    pub location: String,
    /// ISO date.
    pub date: String,
    /// `HH:MM`.
    pub time: String,
    /// `(id, title)` of each seat.
    pub seats: Vec<(String, String)>,
}

impl SeedSlot {
    fn id(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.department, self.location, self.date, self.time
        )
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
        let seats: Vec<(String, String)> = ["A1", "A2", "A3", "B1", "B2", "B3"]
            .iter()
            .map(|s| ((*s).to_owned(), format!("Seat {s}")))
            .collect();
        let mut data = Self {
            departments: pairs(&departments),
            locations: pairs(&locations),
            ..Self::default()
        };
        let mut first_day = None;
        for offset in 1..=7 {
            let day = today.plus_days(offset);
            if day.weekday() == 6 {
                continue;
            }
            let first = *first_day.get_or_insert(day);
            for (d, (department, _)) in departments.iter().enumerate() {
                for (l, (location, _)) in locations.iter().enumerate() {
                    if (d + l) % 3 == 2 {
                        continue; // each department at two of the three cities
                    }
                    for time in times {
                        if first == day && time == "15:30" {
                            for (seat, _) in &seats {
                                data.booked.push((data.slots.len(), seat.clone()));
                            }
                        }
                        data.slots.push(SeedSlot {
                            department: (*department).to_owned(),
                            location: (*location).to_owned(),
                            date: day.to_string(),
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

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(id, title)| ((*id).to_owned(), (*title).to_owned()))
        .collect()
}

#[derive(Debug)]
struct Embedded(&'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> futures_core_compat::BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async move {
            Ok(self
                .0
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The boxed-future type `MigrationSource` expects, spelled without another dependency.
mod futures_core_compat {
    pub(crate) type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;
}

/// A token's expiry and when it was used (the booking statement records that).
const TOKEN_CHECK: &str = "SELECT expires_at, used_at FROM flow_tokens WHERE token = $1";

const ISSUE_TOKEN: &str =
    "INSERT INTO flow_tokens (token, created_at, expires_at) VALUES ($1, $2, $3)";

/// The lists for the choices so far: `$1` department, `$2` location, `$3` date, `$4` today; `$5`
/// whether to read the departments, locations and dates, `$6` whether to read the day (its times,
/// and every seat of each, free or booked). Rows: `(kind, id, title, position, detail)`, `detail`
/// being a time's slot id or a seat's slot time, in no particular order: see [`by_position`].
const CATALOG: &str = "
SELECT 'department' AS kind, d.id AS id, d.title AS title, d.position AS position, '' AS detail
  FROM departments d
 WHERE $5
UNION ALL
SELECT 'location', l.id, l.title, l.position, ''
  FROM locations l
 WHERE $5 AND EXISTS (SELECT 1 FROM slots s WHERE s.location_id = l.id AND s.department_id = $1 AND s.day >= $4)
UNION ALL
SELECT 'date', s.day, s.day, CAST(0 AS BIGINT), ''
  FROM slots s
 WHERE $5 AND s.department_id = $1 AND s.location_id = $2 AND s.day >= $4
 GROUP BY s.day
UNION ALL
SELECT 'time', s.start_time, s.start_time, CAST(0 AS BIGINT), s.id
  FROM slots s
 WHERE $6 AND s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.day >= $4
UNION ALL
SELECT CASE WHEN b.seat_id IS NULL THEN 'seat' ELSE 'booked' END, st.id, st.title, st.position, s.start_time
  FROM slots s JOIN seats st ON st.slot_id = s.id
  LEFT JOIN bookings b ON b.slot_id = st.slot_id AND b.seat_id = st.id
 WHERE $6 AND s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.day >= $4";

/// The seats booked in the slots `$1` (a `text[]`): an index range per slot, however many seats.
const BOOKED_POSTGRES: &str = "SELECT slot_id, seat_id FROM bookings WHERE slot_id = ANY($1)";

/// [`BOOKED_POSTGRES`] for SQLite, which has no arrays: `$1` is a JSON array of slot ids.
const BOOKED_SQLITE: &str =
    "SELECT slot_id, seat_id FROM bookings WHERE slot_id IN (SELECT value FROM json_each($1))";

/// Orders a list by position, then title (byte order). The catalog read leaves ordering to us:
/// PostgreSQL compares text by the database's collation (`strcoll` for anything but `C`), and its
/// `ORDER BY` took half of a day's availability read, more than finding the free seats.
fn by_position(mut items: Vec<(i64, Item)>) -> Vec<Item> {
    items.sort_unstable_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.title.cmp(&y.title)));
    items.into_iter().map(|(_, item)| item).collect()
}

/// The booking insert's shared part: `$1`-`$4` the slot, `$5` seat, `$6` booking id, `$7` token,
/// `$8`-`$11` name, email, phone, details, `$12` now, `$13` accept any token.
const BOOK_INSERT: &str = "
INSERT INTO bookings (booking_id, flow_token, token_checked, slot_id, seat_id, name, email, phone, more_details, created_at)
SELECT $6, $7, NOT $13, st.slot_id, st.id, $8, $9, $10, $11, $12
  FROM slots s JOIN seats st ON st.slot_id = s.id
 WHERE s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.start_time = $4 AND st.id = $5
   AND ($13 OR EXISTS (SELECT 1 FROM flow_tokens t
                        WHERE t.token = $7 AND t.used_at IS NULL AND t.expires_at > $12))
ON CONFLICT DO NOTHING
RETURNING 'booked' AS kind, booking_id AS id, '' AS title, CAST(1 AS BIGINT) AS free, CAST(0 AS BIGINT) AS position";

/// When nothing was booked: the slot's other free seats and the titles for the slot line.
const BOOK_FALLBACK: &str = "
SELECT 'seat' AS kind, st.id AS id, st.title AS title, CAST(1 AS BIGINT) AS free, st.position AS position
  FROM slots s JOIN seats st ON st.slot_id = s.id
 WHERE NOT_BOOKED
   AND s.department_id = $1 AND s.location_id = $2 AND s.day = $3 AND s.start_time = $4 AND st.id <> $5
   AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = st.slot_id AND b.seat_id = st.id)
UNION ALL
SELECT 'department', d.id, d.title, CAST(1 AS BIGINT), CAST(0 AS BIGINT) FROM departments d WHERE NOT_BOOKED AND d.id = $1
UNION ALL
SELECT 'location', l.id, l.title, CAST(1 AS BIGINT), CAST(0 AS BIGINT) FROM locations l WHERE NOT_BOOKED AND l.id = $2";

/// PostgreSQL: one statement. The INSERT is a data-modifying CTE that the token's use and the
/// fallback read; the unique index on the bookings' tokens decides a token racing itself.
fn book_sql_postgres() -> String {
    format!(
        "WITH booked AS ({BOOK_INSERT}),\n\
         used AS (UPDATE flow_tokens t SET used_at = $12, booking_id = $6\n\
                   WHERE t.token = $7 AND NOT $13 AND EXISTS (SELECT 1 FROM booked))\n\
         SELECT kind, id, title, free, position FROM booked\nUNION ALL{}",
        BOOK_FALLBACK.replace("NOT_BOOKED", "NOT EXISTS (SELECT 1 FROM booked)")
    )
}

/// SQLite (no DML in CTEs): two statements in one in-process batch; the second sees the first, and
/// a trigger records the token's use.
fn book_sql_sqlite() -> String {
    format!(
        "{BOOK_INSERT};\n{};",
        BOOK_FALLBACK.replace(
            "NOT_BOOKED",
            "NOT EXISTS (SELECT 1 FROM bookings WHERE booking_id = $6)"
        )
    )
}

impl Store {
    /// Connects (PostgreSQL) or opens the file (SQLite, creating it and the data directory), then
    /// applies the migrations.
    ///
    /// # Errors
    /// [`StoreError`] if the database cannot be reached or migrated.
    pub async fn open(options: &StoreOptions) -> Result<Self, StoreError> {
        let timeout = options.timeout;
        let (pool, custom_plans, description) = match options.database_url.as_deref() {
            Some(url) if url.starts_with("postgres:") || url.starts_with("postgresql:") => {
                let millis = timeout.as_millis().to_string();
                let connect = PgConnectOptions::from_str(url)?
                    .application_name("flows-appointments")
                    .options([
                        ("statement_timeout", millis.as_str()),
                        ("lock_timeout", millis.as_str()),
                        ("idle_in_transaction_session_timeout", "10000"),
                    ]);
                let description = format!(
                    "PostgreSQL {}:{}/{}",
                    connect.get_host(),
                    connect.get_port(),
                    connect.get_database().unwrap_or("postgres")
                );
                let pool_options = |size: u32| {
                    PgPoolOptions::new()
                        .max_connections(size)
                        .min_connections(0)
                        .acquire_timeout(timeout)
                        // A ping per acquire would be a second round trip for every query; a
                        // broken connection fails its query instead and is replaced.
                        .test_before_acquire(false)
                        .idle_timeout(Some(Duration::from_secs(60)))
                };
                // Each statement is prepared once per connection; planning it again for every
                // execution (PostgreSQL's first five) cost more than running it.
                let pool = pool_options(options.max_connections.max(1))
                    .connect_with(
                        connect
                            .clone()
                            .options([("plan_cache_mode", "force_generic_plan")]),
                    )
                    .await?;
                // Planned at each execution for the table as it is then. Its pages are in memory,
                // so an index visit costs about what a sequential page does: at the default
                // random_page_cost (4) PostgreSQL scanned 2,400 bookings (1.3 ms) rather than use
                // the index (0.2 ms).
                let custom_plans = pool_options(options.max_connections.div_ceil(2).max(1))
                    .connect_lazy_with(connect.options([
                        ("plan_cache_mode", "force_custom_plan"),
                        ("random_page_cost", "1.1"),
                    ]));
                (Pool::Pg(pool), Some(custom_plans), description)
            }
            url => {
                let connect = match url {
                    Some(url) => SqliteConnectOptions::from_str(url)?,
                    None => {
                        let dir = &options.data_dir;
                        std::fs::create_dir_all(dir).map_err(|source| StoreError::DataDir {
                            path: dir.clone(),
                            source,
                        })?;
                        SqliteConnectOptions::new().filename(dir.join(SQLITE_FILE))
                    }
                };
                let connect = connect
                    .create_if_missing(true)
                    .foreign_keys(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(timeout);
                let description = format!("SQLite {}", connect.get_filename().display());
                let pool = SqlitePoolOptions::new()
                    .max_connections(options.max_connections.clamp(1, 8))
                    .min_connections(0)
                    .acquire_timeout(timeout)
                    .test_before_acquire(false)
                    .connect_with(connect)
                    .await?;
                (Pool::Sqlite(pool), None, description)
            }
        };
        let store = Self {
            inner: Arc::new(Inner {
                pool,
                timeout,
                queries: AtomicU64::new(0),
                failing: AtomicBool::new(false),
                description,
                lists: StaticCache::default(),
                availability: Mutex::new(Availability::default()),
                availability_ttl: options.availability_ttl,
                plans: StaticCache::default(),
                custom_plans,
            }),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Which database this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        match self.inner.pool {
            Pool::Pg(_) => Backend::Postgres,
            Pool::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// `PostgreSQL host:port/db` or `SQLite path` (no credentials), for logs.
    #[must_use]
    pub fn description(&self) -> &str {
        &self.inner.description
    }

    /// How many database calls (round trips) this store has made.
    #[must_use]
    pub fn query_count(&self) -> u64 {
        self.inner.queries.load(Ordering::Relaxed)
    }

    /// Whether the last database call failed (cleared by the next one that succeeds).
    #[must_use]
    pub fn is_failing(&self) -> bool {
        self.inner.failing.load(Ordering::Relaxed)
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let source = match self.backend() {
            Backend::Postgres => Embedded(PG_MIGRATIONS),
            Backend::Sqlite => Embedded(SQLITE_MIGRATIONS),
        };
        let migrator = Migrator::new(source).await?;
        on_pool!(self, pool => migrator.run(pool).await?);
        Ok(())
    }

    /// One counted, time-limited database call.
    async fn call<T>(
        &self,
        query: impl Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, StoreError> {
        self.inner.queries.fetch_add(1, Ordering::Relaxed);
        let result = match tokio::time::timeout(self.inner.timeout, query).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(StoreError::Database(error)),
            Err(_) => Err(StoreError::Timeout(self.inner.timeout)),
        };
        self.inner.failing.store(result.is_err(), Ordering::Relaxed);
        result
    }

    /// Whether the database has no departments yet (a fresh database to seed).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM departments";
        let count: i64 =
            on_pool!(self, pool => self.call(sqlx::query_scalar(sql).fetch_one(pool)).await?);
        Ok(count == 0)
    }

    /// Adds departments, locations, slots and seats (existing ids are kept), in one transaction, and
    /// refreshes PostgreSQL's statistics.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn add(&self, data: &SeedData) -> Result<(), StoreError> {
        const CHUNK: usize = 400;
        let seats: Vec<(String, &str, &str, i64)> = data
            .slots
            .iter()
            .flat_map(|slot| {
                let slot_id = slot.id();
                slot.seats
                    .iter()
                    .zip(0_i64..)
                    .map(move |((id, title), position)| {
                        (slot_id.clone(), id.as_str(), title.as_str(), position)
                    })
            })
            .collect();
        let now = unix_now();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            for (table, list) in [("departments", &data.departments), ("locations", &data.locations)] {
                for chunk in list.chunks(CHUNK) {
                    let mut insert = sqlx::QueryBuilder::new(format!("INSERT INTO {table} (id, title, position) "));
                    insert.push_values(chunk.iter().zip(0_i64..), |mut row, ((id, title), position)| {
                        row.push_bind(id).push_bind(title).push_bind(position);
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    insert.build().execute(&mut *tx).await?;
                }
            }
            for chunk in data.slots.chunks(CHUNK) {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO slots (id, department_id, location_id, day, start_time) ",
                );
                insert.push_values(chunk, |mut row, slot| {
                    row.push_bind(slot.id())
                        .push_bind(&slot.department)
                        .push_bind(&slot.location)
                        .push_bind(&slot.date)
                        .push_bind(&slot.time);
                });
                insert.push(" ON CONFLICT DO NOTHING");
                insert.build().execute(&mut *tx).await?;
            }
            for chunk in seats.chunks(CHUNK) {
                let mut insert = sqlx::QueryBuilder::new("INSERT INTO seats (slot_id, id, title, position) ");
                insert.push_values(chunk, |mut row, (slot, id, title, position)| {
                    row.push_bind(slot).push_bind(*id).push_bind(*title).push_bind(*position);
                });
                insert.push(" ON CONFLICT DO NOTHING");
                insert.build().execute(&mut *tx).await?;
            }
            for (slot, seat) in &data.booked {
                let Some(slot) = data.slots.get(*slot) else { continue };
                sqlx::query(
                    "INSERT INTO bookings (booking_id, flow_token, slot_id, seat_id, name, email, phone, more_details, created_at)
                     VALUES ($1, NULL, $2, $3, 'Demo booking', 'demo@example.com', '+000', '', $4)
                     ON CONFLICT DO NOTHING",
                )
                .bind(new_booking_id()?)
                .bind(slot.id())
                .bind(seat)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        self.inner.lists.clear();
        self.inner.plans.clear();
        if let Ok(mut cache) = self.inner.availability.lock() {
            *cache = Availability::default();
        }
        if self.backend() == Backend::Postgres {
            // Fresh statistics for the tables just filled, so the generic plans use their indexes
            // from the start. Not for `bookings` and `flow_tokens`: they grow with use, and
            // statistics of a nearly empty table made each connection's plan hash all of
            // `bookings` on every availability read, slower with every booking until autovacuum's
            // next ANALYZE. Never analyzed, a table counts as at least ten pages to the planner,
            // and the plans probe the indexes.
            let sql = "ANALYZE departments, locations, slots, seats";
            on_pool!(self, pool => sqlx::query(sql).execute(pool).await.map(|_| ())?);
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

    /// Stores a fresh random flow token valid for `ttl` and returns it with its expiry (Unix seconds).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn issue_token(&self, ttl: Duration) -> Result<(String, i64), StoreError> {
        let token = new_token()?;
        let now = unix_now();
        let expires = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        on_pool!(self, pool => self.call(
            sqlx::query(ISSUE_TOKEN).bind(&token).bind(now).bind(expires).execute(pool)
        ).await.map(|_| ())?);
        Ok((token, expires))
    }

    /// What state a flow token is in. One query.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn check_token(&self, token: &str) -> Result<TokenState, StoreError> {
        let row: Option<(i64, Option<i64>)> = on_pool!(self, pool => self.call(
            sqlx::query_as(TOKEN_CHECK).bind(token).fetch_optional(pool)
        ).await?);
        Ok(match row {
            None => TokenState::Unknown,
            Some((_, Some(_))) => TokenState::Used,
            Some((expires, None)) if expires <= unix_now() => TokenState::Expired,
            Some((expires_at, None)) => TokenState::Valid { expires_at },
        })
    }

    /// Every list for the choices so far (empty strings for choices not made), in at most one query;
    /// the times (with their free seats) only when `with_times`, the free seats when a time is
    /// chosen. Departments, locations, dates and each day's times and seats come from a cache kept
    /// for [`STATIC_TTL`], availability from one kept for [`StoreOptions::availability_ttl`].
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
        let today = Date::today().to_string();
        let key = (
            choice.department.clone(),
            choice.location.clone(),
            today.clone(),
        );
        let want_day = !choice.date.is_empty() && (with_times || !choice.time.is_empty());
        let mut lists = self.inner.lists.get(&key);
        let ttl = self.inner.availability_ttl;
        let mut day = None;
        if want_day
            && !fresh
            && let Ok(cache) = self.inner.availability.lock()
        {
            day = cache.get(&day_key(choice), ttl);
        }
        let plan = (want_day && day.is_none())
            .then(|| self.inner.plans.get(&day_key(choice)))
            .flatten();
        let read_lists = lists.is_none();
        // A known schedule needs only the day's bookings, unless the lists must be read anyway:
        // then one query brings both, and the request stays at one round trip.
        let read_day = want_day && day.is_none() && (plan.is_none() || read_lists);
        if read_lists || read_day {
            let rows = on_pool!(self, pool => {
                let rows = self.call(
                    sqlx::query(CATALOG)
                        .bind(&choice.department)
                        .bind(&choice.location)
                        .bind(&choice.date)
                        .bind(&today)
                        .bind(read_lists)
                        .bind(read_day)
                        .fetch_all(pool),
                ).await?;
                rows.iter().map(|row| {
                    Ok::<_, sqlx::Error>((
                        row.try_get::<String, _>(0)?,
                        (row.try_get::<i64, _>(3)?, Item { id: row.try_get(1)?, title: row.try_get(2)?, free: 1 }),
                        row.try_get::<String, _>(4)?,
                    ))
                }).collect::<Result<Vec<_>, _>>()?
            });
            let (mut departments, mut locations, mut dates) = (Vec::new(), Vec::new(), Vec::new());
            let (mut times, mut slots) = (Vec::new(), HashMap::new());
            let mut seats: HashMap<String, Vec<(i64, Item)>> = HashMap::new();
            let mut booked = Vec::new();
            for (kind, item, detail) in rows {
                match kind.as_str() {
                    "department" => departments.push(item),
                    "location" => locations.push(item),
                    "date" => dates.push(item),
                    "time" => {
                        slots.insert(item.1.id.clone(), detail);
                        times.push(item);
                    }
                    "seat" => seats.entry(detail).or_default().push(item),
                    "booked" => {
                        booked.push((detail.clone(), item.1.id.clone()));
                        seats.entry(detail).or_default().push(item);
                    }
                    _ => {}
                }
            }
            if read_lists {
                let read = Arc::new(StaticLists {
                    departments: by_position(departments).into(),
                    locations: by_position(locations).into(),
                    dates: by_position(dates).into(),
                });
                self.inner.lists.put(key, read.clone());
                lists = Some(read);
            }
            if read_day {
                let booked: Vec<(String, String)> = booked
                    .into_iter()
                    .filter_map(|(time, seat)| Some((slots.get(&time)?.clone(), seat)))
                    .collect();
                let plan = DayPlan {
                    times: by_position(times)
                        .into_iter()
                        .map(|time| PlannedTime {
                            slot: slots.remove(&time.id).unwrap_or_default(),
                            seats: by_position(seats.remove(&time.id).unwrap_or_default()),
                            time: time.id,
                        })
                        .collect(),
                };
                day = Some(self.note_availability(choice, &plan, &booked));
                self.inner.plans.put(day_key(choice), Arc::new(plan));
            }
        }
        if want_day
            && day.is_none()
            && let Some(plan) = plan
        {
            let booked = self.booked_seats(&plan.slots()).await?;
            day = Some(self.note_availability(choice, &plan, &booked));
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
            if let Some(seats) = day.free.get(&choice.time) {
                catalog.seats = seats.clone();
            }
        }
        Ok(catalog)
    }

    /// The seats booked in `slots`, as `(slot id, seat id)`: on PostgreSQL through the connections
    /// that plan for the table as it is now.
    async fn booked_seats(&self, slots: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        match &self.inner.pool {
            Pool::Pg(pool) => {
                let pool = self.inner.custom_plans.as_ref().unwrap_or(pool);
                self.call(sqlx::query_as(BOOKED_POSTGRES).bind(slots).fetch_all(pool))
                    .await
            }
            Pool::Sqlite(pool) => {
                let slots = serde_json::to_string(slots)
                    .map_err(|e| StoreError::Database(sqlx::Error::Encode(e.into())))?;
                self.call(sqlx::query_as(BOOKED_SQLITE).bind(slots).fetch_all(pool))
                    .await
            }
        }
    }

    /// The day's availability given its bookings, kept for the availability TTL.
    fn note_availability(
        &self,
        choice: &Choice,
        plan: &DayPlan,
        booked: &[(String, String)],
    ) -> Day {
        let booked = booked
            .iter()
            .map(|(slot, seat)| (slot.as_str(), seat.as_str()))
            .collect();
        let day = Arc::new(plan.availability(&booked));
        if let Ok(mut cache) = self.inner.availability.lock() {
            cache.put(day_key(choice), day.clone(), self.inner.availability_ttl);
        }
        day
    }

    /// After a booking attempt, this store's cached availability for the slot follows what the
    /// database said (`free_now`: the slot's free seats when the seat was taken), so this instance
    /// never offers a seat it has just seen booked.
    fn note_booking(&self, choice: &Choice, seat: &str, free_now: Option<&[Item]>) {
        let Ok(mut cache) = self.inner.availability.lock() else {
            return;
        };
        let Some((day, _)) = cache.days.get_mut(&day_key(choice)) else {
            return;
        };
        let seats = match free_now {
            Some(seats) => seats.to_vec(),
            None => match day.free.get(&choice.time) {
                Some(seats) => seats.iter().filter(|s| s.id != seat).cloned().collect(),
                None => return,
            },
        };
        *day = Arc::new(day.with_free(&choice.time, seats));
    }

    /// Books a seat atomically: one `INSERT ... ON CONFLICT DO NOTHING` (the unique constraints decide
    /// races: one booking per seat and slot, one per checked flow token) that, when nothing was
    /// inserted, also returns the slot's other free seats. One round trip.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn book(&self, booking: &NewBooking<'_>) -> Result<BookingOutcome, StoreError> {
        let booking_id = new_booking_id()?;
        let now = unix_now();
        static POSTGRES: LazyLock<String> = LazyLock::new(book_sql_postgres);
        static SQLITE: LazyLock<String> = LazyLock::new(book_sql_sqlite);
        let sql: &str = match self.backend() {
            Backend::Postgres => &POSTGRES,
            Backend::Sqlite => &SQLITE,
        };
        let rows = on_pool!(self, pool => {
            let rows = self.call(
                sqlx::query(sql)
                    .bind(&booking.choice.department)
                    .bind(&booking.choice.location)
                    .bind(&booking.choice.date)
                    .bind(&booking.choice.time)
                    .bind(booking.seat)
                    .bind(&booking_id)
                    .bind(booking.flow_token)
                    .bind(booking.name)
                    .bind(booking.email)
                    .bind(booking.phone)
                    .bind(booking.more_details)
                    .bind(now)
                    .bind(booking.any_token)
                    .fetch_all(pool),
            ).await?;
            rows.iter().map(|row| {
                Ok::<_, sqlx::Error>((
                    row.try_get::<String, _>(0)?,
                    row.try_get::<String, _>(1)?,
                    row.try_get::<String, _>(2)?,
                    row.try_get::<i64, _>(4)?,
                ))
            }).collect::<Result<Vec<_>, _>>()?
        });
        let mut seats = Vec::new();
        let (mut department, mut location) = (None, None);
        for (kind, id, title, position) in rows {
            match kind.as_str() {
                "booked" => {
                    self.note_booking(booking.choice, booking.seat, None);
                    return Ok(BookingOutcome::Booked(id));
                }
                "seat" => seats.push((position, Item { id, title, free: 1 })),
                "department" => department = Some(title),
                "location" => location = Some(title),
                _ => {}
            }
        }
        let seats = by_position(seats);
        self.note_booking(booking.choice, booking.seat, Some(&seats));
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
        let sql = "SELECT COUNT(*) FROM bookings";
        Ok(on_pool!(self, pool => self.call(sqlx::query_scalar(sql).fetch_one(pool)).await?))
    }

    /// The state a flow token is in after a booking: `(used_at, booking_id)` (tests).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn token_record(
        &self,
        token: &str,
    ) -> Result<Option<(Option<i64>, Option<String>)>, StoreError> {
        let sql = "SELECT used_at, booking_id FROM flow_tokens WHERE token = $1";
        Ok(
            on_pool!(self, pool => self.call(sqlx::query_as(sql).bind(token).fetch_optional(pool)).await?),
        )
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
        // Without a booking id, only the booking that keeps the token (made with a checked token)
        // can be meant; with FLOWS_ACCEPT_ANY_TOKEN several may share a token, and the completion's
        // booking_id picks the one.
        const CONFIRM: &str = "UPDATE bookings SET confirmed_at = $1
             WHERE flow_token = $2 AND confirmed_at IS NULL
               AND (CAST($3 AS TEXT) IS NULL AND token_checked OR booking_id = CAST($3 AS TEXT))
             RETURNING booking_id";
        const FIND: &str = "SELECT booking_id FROM bookings
             WHERE flow_token = $1
               AND (CAST($2 AS TEXT) IS NULL AND token_checked OR booking_id = CAST($2 AS TEXT))";
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
        let sql = "SELECT confirmed_at FROM bookings WHERE booking_id = $1";
        let row: Option<Option<i64>> = on_pool!(self, pool => self.call(
            sqlx::query_scalar(sql).bind(booking_id).fetch_optional(pool)
        ).await?);
        Ok(row.flatten())
    }

    /// Closes the pools.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
        if let Some(pool) = &self.inner.custom_plans {
            pool.close().await;
        }
    }
}

/// 32 random bytes as base64url (43 characters).
fn new_token() -> Result<String, StoreError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| StoreError::Random)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// `BK-` and 8 characters a person can read out (no 0/O, 1/I).
fn new_booking_id() -> Result<String, StoreError> {
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

/// The embedded database file for a data directory.
#[must_use]
pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SQLITE_FILE)
}
