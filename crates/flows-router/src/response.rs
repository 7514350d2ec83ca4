//! Replies an endpoint sends back (before encryption).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The name of the terminal screen that closes a flow.
pub const SUCCESS_SCREEN: &str = "SUCCESS";

/// A reply to one request: `{"screen": ..., "data": {...}}`, or `{"data": {...}}` for built-in replies.
///
/// ```
/// use flows_router::FlowResponse;
/// use serde_json::json;
///
/// let next = FlowResponse::next_screen("SUMMARY").with("name", "Ana").with("is_paid", false);
/// assert_eq!(serde_json::to_value(&next)?, json!({"screen":"SUMMARY","data":{"name":"Ana","is_paid":false}}));
///
/// let retry = FlowResponse::next_screen("DETAILS").error_message("That email address looks wrong");
/// assert_eq!(retry.data()["error_message"], "That email address looks wrong");
///
/// let done = FlowResponse::complete(Some("token-1"), json!({"booking_id": "B-7"}));
/// assert_eq!(
///     serde_json::to_value(&done)?,
///     json!({"screen":"SUCCESS","data":{"extension_message_response":{"params":{"flow_token":"token-1","booking_id":"B-7"}}}})
/// );
///
/// // Clients (the simulator, load tools, tests) read decrypted replies back into the same type.
/// let read: FlowResponse = serde_json::from_str(r#"{"screen":"SUMMARY","data":{"name":"Ana","is_paid":false}}"#)?;
/// assert_eq!(read, next);
/// let ping: FlowResponse = serde_json::from_str(r#"{"data":{"status":"active"}}"#)?;
/// assert_eq!(ping.screen(), None);
/// assert_eq!(ping, FlowResponse::ping());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlowResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    screen: Option<String>,
    // A reply without `data` reads as one with no data, so clients can read any reply shape.
    #[serde(default)]
    data: Map<String, Value>,
}

impl FlowResponse {
    /// Navigate to `screen` (or stay on it) with no data yet; add data with [`with`](Self::with).
    #[must_use]
    pub fn next_screen(screen: impl Into<String>) -> Self {
        Self {
            screen: Some(screen.into()),
            data: Map::new(),
        }
    }

    /// Adds or replaces one data key.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.data.insert(key.into(), value.into());
        self
    }

    /// Merges the fields of a serializable struct or map into the data.
    ///
    /// # Errors
    /// If `data` does not serialize to a JSON object.
    pub fn with_data<T: Serialize>(mut self, data: &T) -> Result<Self, serde_json::Error> {
        match serde_json::to_value(data)? {
            Value::Object(map) => self.data.extend(map),
            other => {
                return Err(serde::ser::Error::custom(format!(
                    "screen data must be a JSON object, not {other}"
                )));
            }
        }
        Ok(self)
    }

    /// Sets `data.error_message`: WhatsApp shows it as a snackbar on the screen.
    #[must_use]
    pub fn error_message(self, message: impl Into<String>) -> Self {
        self.with("error_message", message.into())
    }

    /// Completes the flow: `SUCCESS` with `extension_message_response.params` carrying the flow token
    /// and the business's params (which come back in the `nfm_reply` webhook).
    #[must_use]
    pub fn complete(flow_token: Option<&str>, params: Value) -> Self {
        let mut merged = Map::new();
        if let Some(token) = flow_token {
            merged.insert("flow_token".to_owned(), Value::String(token.to_owned()));
        }
        if let Value::Object(params) = params {
            merged.extend(params);
        }
        let mut extension = Map::new();
        extension.insert("params".to_owned(), Value::Object(merged));
        Self::next_screen(SUCCESS_SCREEN)
            .with("extension_message_response", Value::Object(extension))
    }

    /// The health-check reply: `{"data":{"status":"active"}}`.
    #[must_use]
    pub fn ping() -> Self {
        Self::bare("status", Value::String("active".to_owned()))
    }

    /// The reply to an error notification: `{"data":{"acknowledged":true}}`.
    #[must_use]
    pub fn acknowledged() -> Self {
        Self::bare("acknowledged", Value::Bool(true))
    }

    fn bare(key: &str, value: Value) -> Self {
        let mut data = Map::new();
        data.insert(key.to_owned(), value);
        Self { screen: None, data }
    }

    /// The target screen, if any.
    #[must_use]
    pub fn screen(&self) -> Option<&str> {
        self.screen.as_deref()
    }

    /// The data object.
    #[must_use]
    pub fn data(&self) -> &Map<String, Value> {
        &self.data
    }
}
