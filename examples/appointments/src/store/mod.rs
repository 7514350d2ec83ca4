//! Storage: PostgreSQL (production) or an embedded SQLite file (zero set-up), one set of queries
//! where the two agree and two constants where they differ.
//!
//! - [`catalog`]: departments, locations, dates, and the [`Store::catalog`] read of a screen's lists;
//! - [`availability`]: each day's plan (times, seats) and which seats are free;
//! - [`bookings`]: booking a seat, confirming a booking;
//! - [`tokens`]: issuing and checking flow tokens;
//! - [`seed`]: the demo clinic and test catalogs;
//! - [`ids`]: typed ids ([`DepartmentId`], [`LocationId`], [`SlotId`], [`SeatId`]) and keys.
//!
//! Every method is **one database round trip** (one statement, or on SQLite one in-process batch),
//! bounded by a timeout, and counted ([`Store::query_count`]). With the flow-token check that makes
//! at most two per request:
//!
//! | request | queries |
//! |---|---|
//! | any (token check, unless `FLOWS_ACCEPT_ANY_TOKEN`) | [`Store::check_token`]: one primary-key lookup when a token is first seen; on PostgreSQL its valid verdict is then kept for [`VERDICT_TTL`] and dropped the moment any instance uses the token (LISTEN/NOTIFY, see [`tokens`]) |
//! | INIT, APPOINTMENT, SEATS, DETAILS | [`Store::catalog`]: every list the screen shows, for whatever is not in the store's caches (departments, locations, dates and each day's times and seats for [`STATIC_TTL`], availability for [`StoreOptions::availability_ttl`]): one `UNION ALL` of the lists and the day with its bookings, or, when only availability is missing, the day's bookings alone; none when all is in memory |
//! | BACK from SEATS | [`Store::fresh_catalog`]: the same, availability always read |
//! | SUMMARY | [`Store::book`]: the booking `INSERT ... ON CONFLICT DO NOTHING`, and on conflict the fresh free seats |
//!
//! Races are decided by the database: `bookings` has `UNIQUE (slot_id, seat_id)`, a flow token books
//! at most once (a unique index on the bookings' checked tokens), and the booking is one atomic
//! statement that also records the token's use in `flow_tokens`.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs `$body` with `$pool` bound to the concrete pool: the same query text serves both backends.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.inner.pool {
            $crate::store::Pool::Pg($pool) => $body,
            $crate::store::Pool::Sqlite($pool) => $body,
        }
    };
}

pub mod availability;
pub mod bookings;
pub mod catalog;
pub mod ids;
pub mod seed;
pub mod tokens;

pub use bookings::{BookingOutcome, Confirmation, NewBooking};
pub use catalog::{Catalog, Item, STATIC_TTL};
pub use ids::{Choice, DayKey, DepartmentId, LocationId, SeatId, SlotId};
pub use seed::{SeedData, SeedSlot};
pub use tokens::{TokenState, VERDICT_TTL};

use availability::Day;
use catalog::Lists;
use ids::ListKey;

/// How long one database call may take, connection included: requests fail with HTTP 500 well
/// within a second when the database is away, never near Meta's 10 s timeout.
pub const DEFAULT_DB_TIMEOUT: Duration = Duration::from_millis(800);

/// How long availability is served from memory by default. Under load most users of a slot ask
/// within a second of each other: one read serves them all, and the database stays off the critical
/// path (RSA is what each request must pay for).
pub const DEFAULT_AVAILABILITY_TTL: Duration = Duration::from_secs(1);

/// The SQLite file inside the data directory.
pub const SQLITE_FILE: &str = "appointments.sqlite3";

/// The schema's history, embedded at build time; the files are never edited once released (their
/// checksums are recorded in the databases they migrated).
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");
/// [`POSTGRES_MIGRATIONS`] for SQLite.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");

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
    /// [`SeedData::booked`] names a slot the seed does not have.
    #[error("seed booking of seat {seat} refers to slot {index}, but the seed has {slots} slots")]
    SeedBooking {
        /// The index given.
        index: usize,
        /// How many slots the seed has.
        slots: usize,
        /// The seat of that booking.
        seat: SeatId,
    },
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
    /// Departments, locations and dates: they change rarely, and reading them on every request
    /// cost more database time than everything else together.
    lists: moka::sync::Cache<ListKey, Arc<Lists>>,
    /// Each day's times and seats: with them, availability is a read of the day's bookings alone.
    plans: moka::sync::Cache<DayKey, Arc<availability::DayPlan>>,
    /// Recent reads of availability, updated by this store's bookings.
    availability: moka::sync::Cache<DayKey, Day>,
    /// PostgreSQL: connections that plan each statement for the table as it is at that moment
    /// (`plan_cache_mode=force_custom_plan`), for the bookings read. `bookings` grows from empty, and a
    /// generic plan made while it was small would scan the whole table on every read thereafter.
    custom_plans: Option<PgPool>,
    /// PostgreSQL: valid flow tokens' verdicts, kept while the listener hears of every use.
    verdicts: Option<Arc<tokens::Verdicts>>,
    /// The listener's task, started by the first token check (commands such as `issue-token` never
    /// need it), stopped with the store.
    listener: std::sync::OnceLock<tokio::task::JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(listener) = self.listener.get() {
            listener.abort();
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("database", &self.inner.description)
            .finish_non_exhaustive()
    }
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
        let verdicts = matches!(pool, Pool::Pg(_)).then(tokens::Verdicts::new);
        let store = Self {
            inner: Arc::new(Inner {
                pool,
                timeout,
                queries: AtomicU64::new(0),
                failing: AtomicBool::new(false),
                description,
                lists: catalog::lists_cache(),
                plans: catalog::plans_cache(),
                availability: availability::availability_cache(options.availability_ttl),
                custom_plans,
                verdicts,
                listener: std::sync::OnceLock::new(),
            }),
        };
        match &store.inner.pool {
            Pool::Pg(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
            Pool::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
        }
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

    /// Drops everything kept in memory (after the catalog changed).
    fn forget_catalog(&self) {
        self.inner.lists.invalidate_all();
        self.inner.plans.invalidate_all();
        self.inner.availability.invalidate_all();
    }

    /// Closes the pools.
    pub async fn close(&self) {
        if let Some(listener) = self.inner.listener.get() {
            listener.abort();
        }
        on_pool!(self, pool => pool.close().await);
        if let Some(pool) = &self.inner.custom_plans {
            pool.close().await;
        }
    }
}

/// The embedded database file for a data directory.
#[must_use]
pub fn sqlite_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SQLITE_FILE)
}
