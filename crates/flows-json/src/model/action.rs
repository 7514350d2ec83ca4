//! Actions: what a Footer, link or selection does (`navigate`, `data_exchange`, `complete`,
//! `update_data`, `open_url`), flow-json-rules.md §8, flow-client.md §4.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::Dyn;

/// The name of an action, for callers that branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ActionName {
    /// `navigate`: go to another screen, no network.
    Navigate,
    /// `data_exchange`: send the payload to the endpoint.
    DataExchange,
    /// `complete`: end the flow and send the payload to the business.
    Complete,
    /// `update_data` (6.0+): merge the payload into the current screen's data.
    UpdateData,
    /// `open_url` (6.0+): open a link in the browser.
    OpenUrl,
}

impl ActionName {
    /// The name as written in Flow JSON.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Navigate => "navigate",
            Self::DataExchange => "data_exchange",
            Self::Complete => "complete",
            Self::UpdateData => "update_data",
            Self::OpenUrl => "open_url",
        }
    }

    /// Reads a name as written in Flow JSON.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "navigate" => Self::Navigate,
            "data_exchange" => Self::DataExchange,
            "complete" => Self::Complete,
            "update_data" => Self::UpdateData,
            "open_url" => Self::OpenUrl,
            _ => return None,
        })
    }
}

/// An action object (`{"name": "navigate", …}`).
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// `navigate`.
    Navigate(Navigate),
    /// `data_exchange`.
    DataExchange(PayloadAction),
    /// `complete`.
    Complete(PayloadAction),
    /// `update_data`.
    UpdateData(PayloadAction),
    /// `open_url`.
    OpenUrl(OpenUrl),
    /// An action with a name Meta does not define (or none): kept as written.
    Unknown(Map<String, Value>),
}

/// The target of a `navigate`: `{"type": "screen", "name": "NEXT"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Next {
    /// Always `"screen"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The id of the screen to go to.
    pub name: String,
    /// Properties Meta does not define, kept so they can be reported.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `navigate` action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Navigate {
    /// Where to go.
    pub next: Next,
    /// Becomes the next screen's `${data.*}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Map<String, Value>>,
    /// Properties Meta does not define, kept so they can be reported.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data_exchange`, `complete` or `update_data`: a payload of key -> value (values may be dynamic).
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct PayloadAction {
    /// The payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Map<String, Value>>,
    /// Properties Meta does not define, kept so they can be reported.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An `open_url` action: only a `url`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenUrl {
    /// The link to open.
    pub url: Dyn<String>,
    /// Properties Meta does not define (a `payload` among them), kept so they can be reported.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Action {
    /// The action's name, if Meta defines it.
    #[must_use]
    pub fn name(&self) -> Option<ActionName> {
        Some(match self {
            Self::Navigate(_) => ActionName::Navigate,
            Self::DataExchange(_) => ActionName::DataExchange,
            Self::Complete(_) => ActionName::Complete,
            Self::UpdateData(_) => ActionName::UpdateData,
            Self::OpenUrl(_) => ActionName::OpenUrl,
            Self::Unknown(_) => return None,
        })
    }

    /// The name as written (also for unknown actions, when it is a string).
    #[must_use]
    pub fn name_str(&self) -> Option<&str> {
        match self {
            Self::Unknown(map) => map.get("name").and_then(Value::as_str),
            known => known.name().map(ActionName::as_str),
        }
    }

    /// The payload, for actions that have one.
    #[must_use]
    pub fn payload(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::Navigate(n) => n.payload.as_ref(),
            Self::DataExchange(p) | Self::Complete(p) | Self::UpdateData(p) => p.payload.as_ref(),
            Self::OpenUrl(_) | Self::Unknown(_) => None,
        }
    }

    /// Properties Meta does not define for this action.
    #[must_use]
    pub fn extra(&self) -> Option<&Map<String, Value>> {
        match self {
            Self::Navigate(n) => Some(&n.extra),
            Self::DataExchange(p) | Self::Complete(p) | Self::UpdateData(p) => Some(&p.extra),
            Self::OpenUrl(o) => Some(&o.extra),
            Self::Unknown(_) => None,
        }
    }
}

#[derive(Serialize)]
struct Named<'a, T> {
    name: &'a str,
    #[serde(flatten)]
    inner: &'a T,
}

impl Serialize for Action {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let name = self.name().map(ActionName::as_str).unwrap_or_default();
        match self {
            Self::Navigate(inner) => Named { name, inner }.serialize(serializer),
            Self::DataExchange(inner) | Self::Complete(inner) | Self::UpdateData(inner) => {
                Named { name, inner }.serialize(serializer)
            }
            Self::OpenUrl(inner) => Named { name, inner }.serialize(serializer),
            Self::Unknown(map) => map.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = Map::<String, Value>::deserialize(deserializer)?;
        let Some(name) = map
            .get("name")
            .and_then(Value::as_str)
            .and_then(ActionName::from_name)
        else {
            return Ok(Self::Unknown(map));
        };
        map.remove("name");
        let value = Value::Object(map);
        let typed =
            |e: serde_json::Error| de::Error::custom(format!("{} action: {e}", name.as_str()));
        Ok(match name {
            ActionName::Navigate => Self::Navigate(Navigate::deserialize(value).map_err(typed)?),
            ActionName::DataExchange => {
                Self::DataExchange(PayloadAction::deserialize(value).map_err(typed)?)
            }
            ActionName::Complete => {
                Self::Complete(PayloadAction::deserialize(value).map_err(typed)?)
            }
            ActionName::UpdateData => {
                Self::UpdateData(PayloadAction::deserialize(value).map_err(typed)?)
            }
            ActionName::OpenUrl => Self::OpenUrl(OpenUrl::deserialize(value).map_err(typed)?),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn actions_round_trip() {
        for v in [
            json!({"name": "navigate", "next": {"type": "screen", "name": "B"}, "payload": {"a": "${form.a}"}}),
            json!({"name": "data_exchange", "payload": {}}),
            json!({"name": "complete"}),
            json!({"name": "update_data", "payload": {"x": 1}}),
            json!({"name": "open_url", "url": "https://example.com"}),
            json!({"name": "teleport", "where": 1}),
            json!({"next": {}}),
        ] {
            let a: Action = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&a).unwrap(), v);
        }
        let err = serde_json::from_value::<Action>(json!({"name": "navigate"})).unwrap_err();
        assert!(err.to_string().contains("next"), "{err}");
    }
}
