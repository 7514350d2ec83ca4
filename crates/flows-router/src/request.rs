//! The decrypted request, as WhatsApp sends it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A decrypted Flows data-endpoint request; clients (the CLI, the simulator, tests) build theirs with
/// [`FlowRequest::new`] and the `with_*` methods.
///
/// ```
/// use flows_router::{Action, FlowRequest};
///
/// let request: FlowRequest = serde_json::from_str(
///     r#"{"version":"3.0","action":"data_exchange","screen":"DETAILS","data":{"name":"Ana"},"flow_token":"t1"}"#,
/// )?;
/// assert_eq!(request.action, Action::DataExchange);
/// assert_eq!(request.data["name"], "Ana");
///
/// let built = FlowRequest::new(Action::DataExchange)
///     .with_screen("DETAILS")
///     .with("name", "Ana")
///     .with_flow_token("t1");
/// assert_eq!(built, request);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct FlowRequest {
    /// Data API version, e.g. `"3.0"`.
    #[serde(default)]
    pub version: String,
    /// What happened on the client.
    pub action: Action,
    /// The screen that sent the request (absent for `ping`, and for `INIT` in some versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
    /// The screen's payload; an empty object when absent.
    #[serde(default, deserialize_with = "object_or_empty")]
    pub data: Map<String, Value>,
    /// The token the business sent with the flow message. iOS clients have been seen to omit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_token: Option<String>,
    /// Data API 4.0: an HS256 JWT, keyed with the app secret, over the flow token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_token_signature: Option<String>,
}

/// The Data API version this crate speaks and its clients send (`version` of every request).
pub const DATA_API_VERSION: &str = "3.0";

impl FlowRequest {
    /// A request with just an action (for tests and tools).
    #[must_use]
    pub fn new(action: Action) -> Self {
        Self {
            version: DATA_API_VERSION.to_owned(),
            action,
            ..Self::default()
        }
    }

    /// Sets the Data API version (the default is [`DATA_API_VERSION`]; `"4.0"` for signed tokens).
    #[must_use]
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Sets the screen the request comes from.
    #[must_use]
    pub fn with_screen(mut self, screen: impl Into<String>) -> Self {
        self.screen = Some(screen.into());
        self
    }

    /// Replaces the screen's payload.
    #[must_use]
    pub fn with_data(mut self, data: Map<String, Value>) -> Self {
        self.data = data;
        self
    }

    /// Adds or replaces one key of the payload.
    #[must_use]
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.data.insert(key.into(), value.into());
        self
    }

    /// Sets the flow token.
    #[must_use]
    pub fn with_flow_token(mut self, token: impl Into<String>) -> Self {
        self.flow_token = Some(token.into());
        self
    }

    /// Sets the Data API 4.0 `flow_token_signature` (an HS256 JWT over the flow token).
    #[must_use]
    pub fn with_flow_token_signature(mut self, jwt: impl Into<String>) -> Self {
        self.flow_token_signature = Some(jwt.into());
        self
    }

    /// The error notification this request carries, if it is one (`data.error` or `data.error_key`).
    #[must_use]
    pub fn error_notification(&self) -> Option<ErrorNotification> {
        let key = self
            .data
            .get("error")
            .or_else(|| self.data.get("error_key"))?;
        Some(ErrorNotification {
            error_key: value_text(key),
            error_message: self.data.get("error_message").map(value_text),
            screen: self.screen.clone(),
            action: self.action.clone(),
        })
    }
}

fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn object_or_empty<'de, D: Deserializer<'de>>(de: D) -> Result<Map<String, Value>, D::Error> {
    Ok(match Option::<Value>::deserialize(de)? {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    })
}

/// An error report the WhatsApp client sends after rejecting an endpoint reply.
///
/// The router acknowledges it (`{"data":{"acknowledged":true}}`) after an optional hook sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorNotification {
    /// `data.error` (or `data.error_key`): e.g. `invalid-screen-transition`, `payload-schema-error`.
    pub error_key: String,
    /// `data.error_message`, a human-readable detail.
    pub error_message: Option<String>,
    /// The screen the client was on.
    pub screen: Option<String>,
    /// The action the notification came with.
    pub action: Action,
}

/// The request's `action`. Values this version does not know are kept, not rejected.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// Meta's health check.
    #[default]
    Ping,
    /// The flow was opened and its first screen needs data.
    Init,
    /// The user went back to a screen with `refresh_on_back`.
    Back,
    /// A screen submitted, or a component's action fired.
    DataExchange,
    /// An action this version does not know.
    Other(String),
}

impl Action {
    /// The wire spelling: `ping`, `INIT`, `BACK`, `data_exchange`, or the unknown value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Ping => "ping",
            Self::Init => "INIT",
            Self::Back => "BACK",
            Self::DataExchange => "data_exchange",
            Self::Other(other) => other,
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "ping" => Self::Ping,
            "INIT" => Self::Init,
            "BACK" => Self::Back,
            "data_exchange" => Self::DataExchange,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl From<&str> for Action {
    /// The action with this wire spelling; an unknown one is kept as [`Action::Other`].
    fn from(text: &str) -> Self {
        Self::parse(text)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(de)?;
        Ok(Self::parse(&text))
    }
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_actions_are_kept_and_data_defaults_to_empty() {
        let r: FlowRequest = serde_json::from_str(r#"{"action":"navigate","data":null}"#).unwrap();
        assert_eq!(r.action, Action::Other("navigate".into()));
        assert!(r.data.is_empty());
        assert_eq!(serde_json::to_value(&r.action).unwrap(), "navigate");
    }

    #[test]
    fn built_requests_serialize_as_the_client_sends_them() {
        let ping = serde_json::to_value(FlowRequest::new(Action::Ping)).unwrap();
        assert_eq!(
            ping,
            serde_json::json!({"version": DATA_API_VERSION, "action": "ping", "data": {}})
        );
        let signed = FlowRequest::new(Action::from("INIT"))
            .with_version("4.0")
            .with_flow_token("t")
            .with_flow_token_signature("jwt");
        assert_eq!(
            serde_json::to_value(signed).unwrap(),
            serde_json::json!({"version": "4.0", "action": "INIT", "data": {},
                               "flow_token": "t", "flow_token_signature": "jwt"})
        );
        assert_eq!(Action::from("navigate"), Action::Other("navigate".into()));
    }

    #[test]
    fn both_error_spellings_are_notifications() {
        for key in ["error", "error_key"] {
            let json = format!(
                r#"{{"version":"3.0","action":"data_exchange","flow_token":"t","data":{{"{key}":"payload-schema-error","error_message":"bad"}}}}"#
            );
            let r: FlowRequest = serde_json::from_str(&json).unwrap();
            let n = r.error_notification().unwrap();
            assert_eq!(n.error_key, "payload-schema-error");
            assert_eq!(n.error_message.as_deref(), Some("bad"));
        }
    }
}
