//! Flow tokens: issued with `flows-appointments issue-token`, checked on every request, used up by
//! the booking statement (see [`bookings`](super::bookings)).
//!
//! The check is one primary-key lookup. Made on every request it cost a fifth of the booking walk's
//! request rate (measured: 0.80x), so on PostgreSQL a valid token's verdict is kept for
//! [`VERDICT_TTL`], and every instance hears of a token's use the moment it commits: the booking
//! statement sets `used_at` and, in the same statement, sends `NOTIFY flows_token_used` with the
//! token (PostgreSQL delivers it when the booking commits, and never if it does not), and each
//! store's listener marks it used in its cache. So a token used for a booking on
//! one instance gets HTTP 427 on the next request on every instance once the notification has
//! arrived: PostgreSQL sends it at commit, well under a millisecond before any other instance can
//! see it on one network, while the user's next request takes at least a round trip through the
//! phone. Verdicts are kept only while the listener is subscribed: when its connection drops, the
//! cache is emptied and every token is checked in the database until it is back. The booking
//! statement checks the token itself, so no kept verdict can ever book twice. Only the booking
//! statement announces a use: a token marked used by hand in SQL is seen by other instances within
//! [`VERDICT_TTL`]. SQLite is one
//! process's file: its lookup is in-process and cheap, and it is never kept.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool};

use super::{Pool, Store, StoreError};
use crate::date::unix_now;

/// How long an instance reuses a valid token's verdict (PostgreSQL, while it hears of uses).
pub const VERDICT_TTL: Duration = Duration::from_secs(5);

/// The channel the booking statement notifies, with the token, when a token's use commits.
const USED_CHANNEL: &str = "flows_token_used";

/// Tokens a store has checked recently, as far as they can be trusted; see the module docs.
pub(super) struct Verdicts {
    cache: moka::sync::Cache<String, Verdict>,
    /// Whether the listener is subscribed: while it is not, a use could be missed, so nothing is kept.
    listening: AtomicBool,
    /// Bumped when the cache is emptied, so a check that read the database before then does not keep
    /// its verdict, which a missed notification may have made stale.
    epoch: AtomicU64,
}

#[derive(Clone, Copy)]
enum Verdict {
    Valid { expires_at: i64 },
    Used,
}

impl Verdicts {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            cache: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(VERDICT_TTL)
                .build(),
            listening: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
        })
    }

    fn get(&self, token: &str) -> Option<TokenState> {
        if !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        match self.cache.get(token)? {
            Verdict::Valid { expires_at } if expires_at > unix_now() => {
                Some(TokenState::Valid { expires_at })
            }
            Verdict::Valid { .. } => None,
            Verdict::Used => Some(TokenState::Used),
        }
    }

    /// Keeps a verdict read from the database at `epoch`; a `Used` mark that came in meanwhile
    /// stays (the read may have started before the use committed).
    fn keep(&self, token: &str, state: TokenState, epoch: u64) {
        if !self.listening.load(Ordering::SeqCst) || self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        match state {
            TokenState::Valid { expires_at } => {
                self.cache
                    .entry(token.to_owned())
                    .or_insert(Verdict::Valid { expires_at });
            }
            TokenState::Used => self.cache.insert(token.to_owned(), Verdict::Used),
            TokenState::Unknown | TokenState::Expired => {}
        }
    }

    pub(super) fn mark_used(&self, token: &str) {
        self.cache.insert(token.to_owned(), Verdict::Used);
    }

    fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.cache.invalidate_all();
    }
}

/// Listens for token uses until the store is dropped, subscribing again when the connection drops.
async fn listen(pool: PgPool, verdicts: Arc<Verdicts>) {
    loop {
        match subscribe(&pool).await {
            Ok(mut listener) => {
                // Uses committed before the subscription were not heard: start from nothing.
                verdicts.forget_all();
                verdicts.listening.store(true, Ordering::SeqCst);
                loop {
                    match listener.try_recv().await {
                        Ok(Some(notification)) => verdicts.mark_used(notification.payload()),
                        Ok(None) => break,
                        Err(error) => {
                            tracing::warn!(%error, "flow-token notifications failed");
                            break;
                        }
                    }
                }
                verdicts.listening.store(false, Ordering::SeqCst);
                verdicts.forget_all();
                tracing::warn!(
                    "lost flow-token notifications: checking every token in the database until they are back"
                );
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for flow-token uses: checking every token in the database");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn subscribe(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(USED_CHANNEL).await?;
    Ok(listener)
}

/// A token's expiry and when it was used (the booking statement records that): one key lookup.
const CHECK: &str = "SELECT expires_at, used_at FROM flow_tokens WHERE token = $1";

/// A fresh token with its creation and expiry (Unix seconds).
const ISSUE: &str = "INSERT INTO flow_tokens (token, created_at, expires_at) VALUES ($1, $2, $3)";

/// What the tests read after a booking: when the token was used, and for which booking.
const RECORD: &str = "SELECT used_at, booking_id FROM flow_tokens WHERE token = $1";

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

#[derive(sqlx::FromRow)]
struct TokenRow {
    expires_at: i64,
    used_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    used_at: Option<i64>,
    booking_id: Option<String>,
}

impl Store {
    /// Stores a fresh random flow token valid for `ttl` and returns it with its expiry (Unix seconds).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn issue_token(&self, ttl: Duration) -> Result<(String, i64), StoreError> {
        let token = new_token()?;
        let now = unix_now();
        let expires = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        on_pool!(self, pool => self.call(
            sqlx::query(ISSUE).bind(&token).bind(now).bind(expires).execute(pool)
        ).await.map(|_| ())?);
        Ok((token, expires))
    }

    /// What state a flow token is in: a kept verdict on PostgreSQL (see the module docs), else one
    /// query.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn check_token(&self, token: &str) -> Result<TokenState, StoreError> {
        let verdicts = self.inner.verdicts.as_ref();
        if let (Some(verdicts), Pool::Pg(pool)) = (verdicts, &self.inner.pool) {
            self.inner
                .listener
                .get_or_init(|| tokio::spawn(listen(pool.clone(), Arc::clone(verdicts))));
        }
        if let Some(state) = verdicts.and_then(|v| v.get(token)) {
            return Ok(state);
        }
        let epoch = verdicts.map(|v| v.epoch.load(Ordering::SeqCst));
        let row: Option<TokenRow> = on_pool!(self, pool => self.call(
            sqlx::query_as(CHECK).bind(token).fetch_optional(pool)
        ).await?);
        let state = match row {
            None => TokenState::Unknown,
            Some(TokenRow {
                used_at: Some(_), ..
            }) => TokenState::Used,
            Some(TokenRow { expires_at, .. }) if expires_at <= unix_now() => TokenState::Expired,
            Some(TokenRow { expires_at, .. }) => TokenState::Valid { expires_at },
        };
        if let (Some(verdicts), Some(epoch)) = (verdicts, epoch) {
            verdicts.keep(token, state, epoch);
        }
        Ok(state)
    }

    /// The state a flow token is in after a booking: `(used_at, booking_id)` (tests).
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn token_record(
        &self,
        token: &str,
    ) -> Result<Option<(Option<i64>, Option<String>)>, StoreError> {
        let row: Option<RecordRow> = on_pool!(self, pool => self.call(
            sqlx::query_as(RECORD).bind(token).fetch_optional(pool)
        ).await?);
        Ok(row.map(|row| (row.used_at, row.booking_id)))
    }
}

/// 32 random bytes as base64url (43 characters).
fn new_token() -> Result<String, StoreError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| StoreError::Random)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
