//! `POST /webhook`: a flow completion confirms the booking made with its flow token.
//!
//! The completion's `response_json` carries what the SUMMARY screen's reply put in it: `flow_token`
//! and `booking_id` (see [`flow`](mod@crate::flow)). Meta may deliver the same completion several times;
//! the webhook skips repeats by message id, and [`Store::confirm_booking`] keeps the first
//! confirmation time whatever happens (after a restart, on another instance). A completion for a
//! token without a booking is logged and acknowledged. Health alerts are logged at warn and exported
//! as metrics by [`flows_router::webhook`] itself.

use flows_router::HandlerError;
use flows_router::webhook::{
    FlowCompletion, Origin, VERIFY_TOKEN_ENV, Webhook, WebhookConfigError, WebhookHandler,
};
use serde_json::Value;
use whatsapp_flows_crypto::SignatureVerifier;

use crate::date::unix_now;
use crate::store::{Confirmation, Store};

/// The appointments' webhook handler.
#[derive(Clone)]
pub struct Confirmations {
    store: Store,
}

impl Confirmations {
    /// A handler confirming bookings in `store`.
    #[must_use]
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

/// The server's webhook, from its configuration: `Ok(None)` (not served, logged) without a verify
/// token; an error when a verify token is set but no app secret, since deliveries must be verified.
///
/// # Errors
/// A one-line message naming the setting to fix.
pub fn from_config(
    store: &Store,
    verify_token: Option<&str>,
    app_secrets: Option<SignatureVerifier>,
) -> Result<Option<Webhook>, String> {
    let Some(token) = verify_token.filter(|t| !t.is_empty()) else {
        tracing::info!(
            "{VERIFY_TOKEN_ENV} is not set: /webhook is not served (flow completions do not confirm bookings)"
        );
        return Ok(None);
    };
    let Some(secrets) = app_secrets else {
        return Err(format!(
            "{VERIFY_TOKEN_ENV} is set but FLOWS_APP_SECRET is not: webhook deliveries must be verified with the app secret"
        ));
    };
    Webhook::builder(token, secrets, Confirmations::new(store.clone()))
        .build()
        .map(Some)
        .map_err(|e: WebhookConfigError| e.to_string())
}

impl WebhookHandler for Confirmations {
    async fn flow_completion(
        &self,
        _origin: Origin,
        completion: FlowCompletion,
    ) -> Result<(), HandlerError> {
        let message_id = completion.message_id.as_str();
        let Some(token) = completion.flow_token.as_deref() else {
            // iOS clients have been seen to leave it out; without it there is nothing to match.
            tracing::info!(
                message_id,
                "flow completion without a flow token: acknowledged, nothing to confirm"
            );
            return Ok(());
        };
        let booking_id = completion
            .response
            .get("booking_id")
            .and_then(Value::as_str);
        match self
            .store
            .confirm_booking(token, booking_id, unix_now())
            .await?
        {
            Confirmation::Confirmed { booking_id } => {
                tracing::info!(%booking_id, message_id, "booking confirmed by the user's flow completion");
            }
            Confirmation::AlreadyConfirmed { booking_id } => {
                tracing::info!(%booking_id, message_id, "booking already confirmed: repeated completion ignored");
            }
            Confirmation::Unknown => {
                tracing::info!(
                    message_id,
                    "flow completion for a flow token without a booking: acknowledged"
                );
            }
        }
        Ok(())
    }
}
