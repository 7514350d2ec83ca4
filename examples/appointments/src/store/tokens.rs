//! Flow tokens: issued with `flows-appointments issue-token`, checked on every request, used up by
//! the booking statement (see [`bookings`](super::bookings)).
//!
//! The check is one primary-key lookup, made on every request and never cached: a token used for a
//! booking on one instance is refused (HTTP 427) by every instance on the very next request.

use std::time::Duration;

use super::{Store, StoreError};
use crate::date::unix_now;

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

    /// What state a flow token is in. One query.
    ///
    /// # Errors
    /// [`StoreError`] when the database fails.
    pub async fn check_token(&self, token: &str) -> Result<TokenState, StoreError> {
        let row: Option<TokenRow> = on_pool!(self, pool => self.call(
            sqlx::query_as(CHECK).bind(token).fetch_optional(pool)
        ).await?);
        Ok(match row {
            None => TokenState::Unknown,
            Some(TokenRow {
                used_at: Some(_), ..
            }) => TokenState::Used,
            Some(TokenRow { expires_at, .. }) if expires_at <= unix_now() => TokenState::Expired,
            Some(TokenRow { expires_at, .. }) => TokenState::Valid { expires_at },
        })
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
