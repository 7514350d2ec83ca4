//! The document, its screens, layouts and data declarations. These are read property by
//! property, so a property of the wrong JSON type is kept (and reported) without hiding the rest
//! of the document.

use std::collections::BTreeMap;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{Component, Dyn};
use crate::Version;

/// A known property whose value could not be read (wrong JSON type), or a required property that
/// is missing. The value is kept and written back as it was.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidProperty {
    /// The property (`""`: the object itself is not an object).
    pub key: String,
    /// The value as written; `None` when a required property is missing.
    pub value: Option<Value>,
    /// What is wrong.
    pub error: String,
}

/// Takes known properties out of an object, one at a time.
struct Reader {
    map: Map<String, Value>,
    invalid: Vec<InvalidProperty>,
}

impl Reader {
    fn new(value: Value) -> Self {
        match value {
            Value::Object(map) => Self {
                map,
                invalid: Vec::new(),
            },
            other => Self {
                map: Map::new(),
                invalid: vec![InvalidProperty {
                    key: String::new(),
                    value: Some(other),
                    error: "expected an object".to_owned(),
                }],
            },
        }
    }

    fn is_whole_invalid(&self) -> bool {
        self.invalid.iter().any(|i| i.key.is_empty())
    }

    fn take<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let value = self.map.remove(key)?;
        match T::deserialize(&value) {
            Ok(t) => Some(t),
            Err(e) => {
                self.invalid.push(InvalidProperty {
                    key: key.to_owned(),
                    value: Some(value),
                    error: e.to_string(),
                });
                None
            }
        }
    }

    fn take_with<T>(&mut self, key: &str, read: impl FnOnce(Value) -> T) -> Option<T> {
        self.map.remove(key).map(read)
    }

    fn required<T: DeserializeOwned + Default>(&mut self, key: &str) -> T {
        if !self.map.contains_key(key) && !self.is_whole_invalid() {
            self.invalid.push(InvalidProperty {
                key: key.to_owned(),
                value: None,
                error: format!("missing required property `{key}`"),
            });
        }
        self.take(key).unwrap_or_default()
    }
}

/// Writes an object back, putting invalid values where they were.
struct Writer<'a> {
    map: Map<String, Value>,
    invalid: &'a [InvalidProperty],
}

impl<'a> Writer<'a> {
    fn new(invalid: &'a [InvalidProperty]) -> Self {
        Self {
            map: Map::new(),
            invalid,
        }
    }

    fn put<T: Serialize>(&mut self, key: &str, value: Option<&T>) -> Result<(), serde_json::Error> {
        if let Some(bad) = self.invalid.iter().find(|i| i.key == key) {
            if let Some(v) = &bad.value {
                self.map.insert(key.to_owned(), v.clone());
            }
            return Ok(());
        }
        if let Some(value) = value {
            self.map
                .insert(key.to_owned(), serde_json::to_value(value)?);
        }
        Ok(())
    }

    fn finish(mut self, extra: &Map<String, Value>) -> Value {
        if let Some(whole) = self.invalid.iter().find(|i| i.key.is_empty()) {
            return whole.value.clone().unwrap_or(Value::Null);
        }
        for (k, v) in extra {
            self.map.insert(k.clone(), v.clone());
        }
        Value::Object(self.map)
    }
}

/// A Flow JSON document.
///
/// ```
/// let flow = flows_json::Flow::from_json(r#"{"version": "7.3", "screens": [
///   {"id": "HELLO", "title": "Hi", "terminal": true, "layout": {"type": "SingleColumnLayout",
///    "children": [{"type": "Footer", "label": "Done", "on-click-action": {"name": "complete"}}]}}]}"#)?;
/// assert_eq!(flow.version(), Some(flows_json::Version::V7_3));
/// assert!(flow.screen("HELLO").is_some_and(|s| s.is_terminal()));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Flow {
    /// `version`, as written (`"7.3"`); see [`Flow::version`].
    pub version: String,
    /// `data_api_version` (`"3.0"`, `"4.0"`): set in flows that use an endpoint.
    pub data_api_version: Option<String>,
    /// `routing_model`: screen id -> the screens it may go to next.
    pub routing_model: Option<BTreeMap<String, Vec<String>>>,
    /// `data_channel_uri` (2.1 only).
    pub data_channel_uri: Option<String>,
    /// The screens, in order.
    pub screens: Vec<Screen>,
    /// Properties Meta does not define.
    pub extra: Map<String, Value>,
    /// Known properties that could not be read, and missing required ones.
    pub invalid: Vec<InvalidProperty>,
}

impl Flow {
    /// Parses Flow JSON text. Only invalid JSON fails; a document of the wrong shape is read as far
    /// as it goes, and [`crate::validate`] says what is wrong.
    ///
    /// # Errors
    /// The JSON syntax error.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str::<Value>(text).map(Self::from_value)
    }

    /// Reads a parsed document. Never fails.
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        let mut r = Reader::new(value);
        let version = match r.map.get("version") {
            Some(Value::String(_)) | None => r.required("version"),
            Some(_) => {
                let _ = r.take::<String>("version");
                String::new()
            }
        };
        let data_api_version = r.take("data_api_version");
        let routing_model = r.take("routing_model");
        let data_channel_uri = r.take("data_channel_uri");
        let whole_invalid = r.is_whole_invalid();
        let screens = match r.map.remove("screens") {
            Some(Value::Array(list)) => list.into_iter().map(Screen::from_value).collect(),
            Some(other) => {
                r.invalid.push(InvalidProperty {
                    key: "screens".to_owned(),
                    value: Some(other),
                    error: "expected an array of screens".to_owned(),
                });
                Vec::new()
            }
            None => {
                if !whole_invalid {
                    r.invalid.push(InvalidProperty {
                        key: "screens".to_owned(),
                        value: None,
                        error: "missing required property `screens`".to_owned(),
                    });
                }
                Vec::new()
            }
        };
        Self {
            version,
            data_api_version,
            routing_model,
            data_channel_uri,
            screens,
            extra: r.map,
            invalid: r.invalid,
        }
    }

    /// The document as JSON, unknown and invalid properties included.
    ///
    /// # Errors
    /// Only if a value cannot be represented as JSON (which the model does not produce).
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut w = Writer::new(&self.invalid);
        w.put("version", Some(&self.version))?;
        w.put("data_api_version", self.data_api_version.as_ref())?;
        w.put("data_channel_uri", self.data_channel_uri.as_ref())?;
        w.put("routing_model", self.routing_model.as_ref())?;
        let screens = self
            .screens
            .iter()
            .map(Screen::to_value)
            .collect::<Result<Vec<_>, _>>()?;
        w.put("screens", Some(&screens))?;
        Ok(w.finish(&self.extra))
    }

    /// The version, if `version` is a well-formed version string.
    #[must_use]
    pub fn version(&self) -> Option<Version> {
        self.version.parse().ok()
    }

    /// Whether the flow talks to an endpoint (`data_api_version` is set).
    #[must_use]
    pub fn has_endpoint(&self) -> bool {
        self.data_api_version.is_some()
    }

    /// The screen with this id.
    #[must_use]
    pub fn screen(&self, id: &str) -> Option<&Screen> {
        self.screens.iter().find(|s| s.id == id)
    }
}

impl Serialize for Flow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value()
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Flow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(Self::from_value)
    }
}

/// A screen.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Screen {
    /// `id`: letters and underscores, unique, not `SUCCESS`.
    pub id: String,
    /// `title`, shown in the top bar (may be dynamic).
    pub title: Option<Dyn<String>>,
    /// `terminal`: the flow can end here.
    pub terminal: Option<bool>,
    /// `success` (terminal screens only, default true).
    pub success: Option<bool>,
    /// `refresh_on_back` (endpoint flows): Back sends a `BACK` request.
    pub refresh_on_back: Option<bool>,
    /// `sensitive` (5.1+): field names masked in the response summary.
    pub sensitive: Option<Vec<String>>,
    /// `data`: the screen's declared dynamic data.
    pub data: Option<DataModel>,
    /// `layout`.
    pub layout: Layout,
    /// Properties Meta does not define.
    pub extra: Map<String, Value>,
    /// Known properties that could not be read, and missing required ones.
    pub invalid: Vec<InvalidProperty>,
}

impl Screen {
    /// Reads a screen. Never fails.
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        let mut r = Reader::new(value);
        let id = r.required("id");
        let title = r.take("title");
        let terminal = r.take("terminal");
        let success = r.take("success");
        let refresh_on_back = r.take("refresh_on_back");
        let sensitive = r.take("sensitive");
        let data = r.take_with("data", DataModel::from_value);
        let whole_invalid = r.is_whole_invalid();
        let layout = match r.map.remove("layout") {
            Some(v) => Layout::from_value(v),
            None => {
                if !whole_invalid {
                    r.invalid.push(InvalidProperty {
                        key: "layout".to_owned(),
                        value: None,
                        error: "missing required property `layout`".to_owned(),
                    });
                }
                Layout::default()
            }
        };
        Self {
            id,
            title,
            terminal,
            success,
            refresh_on_back,
            sensitive,
            data,
            layout,
            extra: r.map,
            invalid: r.invalid,
        }
    }

    /// The screen as JSON.
    ///
    /// # Errors
    /// Only if a value cannot be represented as JSON.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut w = Writer::new(&self.invalid);
        w.put("id", Some(&self.id))?;
        w.put("title", self.title.as_ref())?;
        w.put("terminal", self.terminal.as_ref())?;
        w.put("success", self.success.as_ref())?;
        w.put("refresh_on_back", self.refresh_on_back.as_ref())?;
        w.put("sensitive", self.sensitive.as_ref())?;
        let data = self.data.as_ref().map(DataModel::to_value).transpose()?;
        w.put("data", data.as_ref())?;
        let layout = self.layout.to_value()?;
        if !self.invalid.iter().any(|i| i.key == "layout") {
            w.put("layout", Some(&layout))?;
        }
        Ok(w.finish(&self.extra))
    }

    /// Whether `terminal` is true.
    #[must_use]
    pub fn is_terminal(&self) -> bool {
        self.terminal == Some(true)
    }

    /// Whether the screen ends the flow successfully when completed here (`success`, default true;
    /// only meaningful on terminal screens).
    #[must_use]
    pub fn is_success(&self) -> bool {
        self.is_terminal() && self.success != Some(false)
    }

    /// The declared data field with this name.
    #[must_use]
    pub fn data_field(&self, name: &str) -> Option<&Schema> {
        self.data.as_ref().and_then(|d| d.fields.get(name))
    }
}

impl Serialize for Screen {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value()
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

/// A screen's `layout`: `{"type": "SingleColumnLayout", "children": [...]}`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Layout {
    /// `type`; `SingleColumnLayout` is the only one.
    pub kind: String,
    /// The components.
    pub children: Vec<Component>,
    /// Properties Meta does not define.
    pub extra: Map<String, Value>,
    /// Known properties that could not be read, and missing required ones.
    pub invalid: Vec<InvalidProperty>,
}

impl Layout {
    /// Reads a layout. Never fails.
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        let mut r = Reader::new(value);
        let kind = r.required("type");
        let whole_invalid = r.is_whole_invalid();
        let children = match r.map.remove("children") {
            Some(Value::Array(list)) => list.into_iter().map(Component::from_value).collect(),
            Some(other) => {
                r.invalid.push(InvalidProperty {
                    key: "children".to_owned(),
                    value: Some(other),
                    error: "expected an array of components".to_owned(),
                });
                Vec::new()
            }
            None => {
                if !whole_invalid {
                    r.invalid.push(InvalidProperty {
                        key: "children".to_owned(),
                        value: None,
                        error: "missing required property `children`".to_owned(),
                    });
                }
                Vec::new()
            }
        };
        Self {
            kind,
            children,
            extra: r.map,
            invalid: r.invalid,
        }
    }

    /// The layout as JSON.
    ///
    /// # Errors
    /// Only if a value cannot be represented as JSON.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut w = Writer::new(&self.invalid);
        w.put("type", Some(&self.kind))?;
        w.put("children", Some(&self.children))?;
        Ok(w.finish(&self.extra))
    }
}

/// A screen's `data`: field name -> JSON Schema with `__example__`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DataModel {
    /// The declared fields.
    pub fields: BTreeMap<String, Schema>,
    /// A JSON Schema `required` list, when the key `required` holds an array.
    pub required: Option<Value>,
    /// Set when `data` is not an object at all.
    pub invalid: Option<InvalidProperty>,
}

impl DataModel {
    /// Reads a data model. Never fails.
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        let map = match value {
            Value::Object(map) => map,
            other => {
                return Self {
                    invalid: Some(InvalidProperty {
                        key: String::new(),
                        value: Some(other),
                        error: "expected an object of field declarations".to_owned(),
                    }),
                    ..Self::default()
                };
            }
        };
        let mut model = Self::default();
        for (key, value) in map {
            if key == "required" && value.is_array() {
                model.required = Some(value);
            } else {
                model.fields.insert(key, Schema::from_value(value));
            }
        }
        model
    }

    /// The data model as JSON.
    ///
    /// # Errors
    /// Only if a value cannot be represented as JSON.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        if let Some(InvalidProperty { value: Some(v), .. }) = &self.invalid {
            return Ok(v.clone());
        }
        let mut map = Map::new();
        for (key, schema) in &self.fields {
            map.insert(key.clone(), schema.to_value()?);
        }
        if let Some(required) = &self.required {
            map.insert("required".to_owned(), required.clone());
        }
        Ok(Value::Object(map))
    }
}

/// `items` of an array schema: a schema, or `true`/`false`.
#[derive(Clone, Debug, PartialEq)]
pub enum Items {
    /// `true` (anything) or `false`.
    Any(bool),
    /// A schema for every item.
    Schema(Box<Schema>),
}

/// A JSON Schema fragment of a data declaration.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Schema {
    /// `type`: `string`, `number`, `integer`, `boolean`, `object` or `array`.
    pub kind: Option<String>,
    /// `items`, for arrays.
    pub items: Option<Items>,
    /// `properties`, for objects.
    pub properties: Option<BTreeMap<String, Schema>>,
    /// `__example__`: mock data for the preview (top level only).
    pub example: Option<Value>,
    /// Other JSON Schema keywords (`description`, `format`, `enum`, `required`, …), kept.
    pub extra: Map<String, Value>,
    /// Known keywords that could not be read.
    pub invalid: Vec<InvalidProperty>,
}

impl Schema {
    /// Reads a schema. Never fails.
    #[must_use]
    pub fn from_value(value: Value) -> Self {
        let mut r = Reader::new(value);
        let kind = r.take("type");
        let items = match r.map.remove("items") {
            Some(Value::Bool(b)) => Some(Items::Any(b)),
            Some(v @ Value::Object(_)) => Some(Items::Schema(Box::new(Self::from_value(v)))),
            Some(other) => {
                r.invalid.push(InvalidProperty {
                    key: "items".to_owned(),
                    value: Some(other),
                    error: "`items` must be a boolean or an object".to_owned(),
                });
                None
            }
            None => None,
        };
        let properties = match r.map.remove("properties") {
            Some(Value::Object(map)) => Some(
                map.into_iter()
                    .map(|(k, v)| (k, Self::from_value(v)))
                    .collect(),
            ),
            Some(other) => {
                r.invalid.push(InvalidProperty {
                    key: "properties".to_owned(),
                    value: Some(other),
                    error: "`properties` must be an object".to_owned(),
                });
                None
            }
            None => None,
        };
        let example = r.map.remove("__example__");
        Self {
            kind,
            items,
            properties,
            example,
            extra: r.map,
            invalid: r.invalid,
        }
    }

    /// The schema as JSON.
    ///
    /// # Errors
    /// Only if a value cannot be represented as JSON.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        let mut w = Writer::new(&self.invalid);
        w.put("type", self.kind.as_ref())?;
        let items = match &self.items {
            Some(Items::Any(b)) => Some(Value::Bool(*b)),
            Some(Items::Schema(s)) => Some(s.to_value()?),
            None => None,
        };
        w.put("items", items.as_ref())?;
        let properties = match &self.properties {
            Some(p) => {
                let mut map = Map::new();
                for (k, s) in p {
                    map.insert(k.clone(), s.to_value()?);
                }
                Some(Value::Object(map))
            }
            None => None,
        };
        w.put("properties", properties.as_ref())?;
        w.put("__example__", self.example.as_ref())?;
        Ok(w.finish(&self.extra))
    }

    /// The item schema of an array schema.
    #[must_use]
    pub fn item_schema(&self) -> Option<&Schema> {
        match &self.items {
            Some(Items::Schema(s)) => Some(s),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn documents_round_trip_even_when_broken() {
        for v in [
            json!({"version": "7.3", "screens": [{"id": "A", "layout": {"type": "SingleColumnLayout", "children": []},
                "data": {"x": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}, "__example__": []},
                         "required": ["x"]}, "terminal": true, "zzz": 1}], "routing_model": {"A": []}}),
            json!({"version": 100, "screens": {}}),
            json!([1, 2]),
            json!({"screens": [3, {"id": 4, "terminal": "yes", "layout": []}]}),
            json!({"version": "7.0", "screens": [{"id": "A", "data": 5, "layout": {"children": 1}}]}),
            json!({"version": "7.0", "screens": [{"id": "A", "data": {"x": {"type": 5, "items": 1, "properties": [], "__example__": null}}, "layout": {"type": "x", "children": []}}]}),
        ] {
            let flow = Flow::from_value(v.clone());
            assert_eq!(flow.to_value().unwrap(), v);
        }
        let flow = Flow::from_value(json!({"version": 100, "screens": [{"terminal": "yes"}]}));
        assert_eq!(flow.invalid[0].key, "version");
        let keys: Vec<_> = flow.screens[0]
            .invalid
            .iter()
            .map(|i| i.key.as_str())
            .collect();
        assert_eq!(keys, vec!["id", "terminal", "layout"]);
    }
}
