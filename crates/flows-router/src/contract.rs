//! The Flow JSON contract check (feature `contract`): does a reply fit the flow the phone is running?
//!
//! The WhatsApp client validates every endpoint reply against the published Flow JSON and rejects, on
//! the user's phone, a reply that navigates where the `routing_model` does not allow
//! (`invalid-screen-transition`) or whose data does not match the screen's declared `data`
//! (`payload-schema-error`; `null` values included). Those errors reach the business only as error
//! notifications after the user saw a broken flow. [`FlowContract`] catches them before deployment:
//! load the Flow JSON you publish, and check each reply against the request it answers, in tests or
//! for every request with [`EndpointBuilder::contract`](crate::EndpointBuilder::contract).
//!
//! What is checked, for a reply `{"screen": T, "data": {...}}` to a request from screen `S`:
//!
//! - `T` is a screen of the flow, or `SUCCESS` carrying `extension_message_response.params` (what
//!   [`FlowResponse::complete`] produces) in a flow with a terminal screen;
//! - the transition: `data_exchange` from `S` may go to `S` itself, to a screen `routing_model[S]` lists,
//!   or back to an earlier screen on the navigation stack (a screen from which `S` is reachable in the
//!   routing model) that has `refresh_on_back: true`; `INIT` may go to an entry screen (the first
//!   screen, or one no other screen routes to); `BACK` (sent by the screen being left, `S`) may go to
//!   `S` or to any screen from which `S` is reachable;
//! - every data key is declared in `T`'s `data` (`error_message` is allowed on any screen), with the
//!   declared JSON type (`string`, `number`, `integer`, `boolean`, `array`, `object`), recursively into
//!   `items` and `properties` where declared;
//! - no `null` anywhere.
//!
//! Replies without a screen (health check, acknowledgement) are not checked. Violation messages name
//! keys and types, never the values, so they are safe to log.
//!
//! ```
//! use flows_router::contract::FlowContract;
//! use flows_router::{Action, FlowRequest, FlowResponse};
//!
//! let contract = FlowContract::from_json(r#"{
//!   "version": "7.2", "data_api_version": "3.0",
//!   "routing_model": {"FORM": ["DONE"], "DONE": []},
//!   "screens": [
//!     {"id": "FORM", "data": {"name": {"type": "string", "__example__": "Ana"}}, "layout": {}},
//!     {"id": "DONE", "terminal": true, "data": {"total": {"type": "number", "__example__": 3}}, "layout": {}}
//!   ]
//! }"#)?;
//!
//! let mut request = FlowRequest::new(Action::DataExchange);
//! request.screen = Some("FORM".into());
//! assert!(contract.check(&request, &FlowResponse::next_screen("DONE").with("total", 3)).is_empty());
//!
//! let wrong = FlowResponse::next_screen("DONE").with("total", "three");
//! let violations = contract.check(&request, &wrong);
//! assert_eq!(violations[0].client_error(), "payload-schema-error");
//! # Ok::<(), flows_router::contract::ContractError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use crate::request::{Action, FlowRequest};
use crate::response::{FlowResponse, SUCCESS_SCREEN};

/// The data key every screen accepts: WhatsApp shows it as a snackbar.
const ERROR_MESSAGE: &str = "error_message";
/// The data key of a completion reply.
const EXTENSION: &str = "extension_message_response";

/// A Flow JSON document, reduced to what replies must agree with: screens, their declared data and
/// the routing model.
#[derive(Clone, Debug)]
pub struct FlowContract {
    screens: BTreeMap<String, ScreenContract>,
    routes: BTreeMap<String, BTreeSet<String>>,
    entry: BTreeSet<String>,
    terminal_capable: bool,
}

#[derive(Clone, Debug)]
struct ScreenContract {
    data: BTreeMap<String, Schema>,
    refresh_on_back: bool,
}

/// A declared JSON type.
#[derive(Clone, Debug)]
enum Schema {
    String,
    Number,
    Integer,
    Boolean,
    Array(Option<Box<Schema>>),
    Object(Option<BTreeMap<String, Schema>>),
    /// No (or an unknown) `type`: anything but `null`.
    Any,
}

impl Schema {
    fn parse(value: &Value) -> Self {
        let Some(declared) = value.as_object() else {
            return Self::Any;
        };
        match declared.get("type").and_then(Value::as_str) {
            Some("string") => Self::String,
            Some("number") => Self::Number,
            Some("integer") => Self::Integer,
            Some("boolean") => Self::Boolean,
            Some("array") => Self::Array(declared.get("items").map(|i| Box::new(Self::parse(i)))),
            Some("object") => Self::Object(
                declared
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(parse_properties),
            ),
            _ => Self::Any,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Array(_) => "array",
            Self::Object(_) => "object",
            Self::Any => "any",
        }
    }
}

fn parse_properties(properties: &Map<String, Value>) -> BTreeMap<String, Schema> {
    properties
        .iter()
        .map(|(key, schema)| (key.clone(), Schema::parse(schema)))
        .collect()
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Why a Flow JSON document could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContractError {
    /// The file could not be read.
    #[error("cannot read Flow JSON {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("Flow JSON is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not a Flow JSON document.
    #[error("not a Flow JSON document: {0}")]
    Shape(String),
}

/// Which client error a violation would cause on the phone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ViolationKind {
    /// The reply names a screen the flow does not have.
    UnknownScreen,
    /// The routing model does not allow this transition.
    Transition,
    /// A data key the screen does not declare.
    UndeclaredKey,
    /// A value of another type than declared.
    WrongType,
    /// A `null` value.
    Null,
    /// A `SUCCESS` reply that is not a well-formed completion, or a completion in a flow without a
    /// terminal screen.
    Completion,
}

impl ViolationKind {
    /// The WhatsApp client's error key for this kind of violation.
    #[must_use]
    pub fn client_error(self) -> &'static str {
        match self {
            Self::UnknownScreen | Self::Transition | Self::Completion => {
                "invalid-screen-transition"
            }
            Self::UndeclaredKey | Self::WrongType | Self::Null => "payload-schema-error",
        }
    }
}

/// One way a reply breaks the flow's contract. Its text names screens, keys and types, never values.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Violation {
    /// What kind of violation.
    pub kind: ViolationKind,
    /// Where: the screen, or the data path (`data.department[2].title`).
    pub path: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl Violation {
    /// The WhatsApp client's error key for this violation (`invalid-screen-transition`,
    /// `payload-schema-error`).
    #[must_use]
    pub fn client_error(&self) -> &'static str {
        self.kind.client_error()
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} (WhatsApp would reject it with `{}`)",
            self.path,
            self.message,
            self.client_error()
        )
    }
}

impl FlowContract {
    /// Loads a Flow JSON file.
    ///
    /// # Errors
    /// [`ContractError`] if the file cannot be read or is not a Flow JSON document.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ContractError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ContractError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_json(&text)
    }

    /// Parses Flow JSON text.
    ///
    /// # Errors
    /// [`ContractError`] if it is not JSON or not a Flow JSON document.
    pub fn from_json(text: &str) -> Result<Self, ContractError> {
        Self::from_value(&serde_json::from_str(text)?)
    }

    /// Reads a parsed Flow JSON document: `screens[]` (`id`, `data`, `terminal`, `refresh_on_back`)
    /// and `routing_model`.
    ///
    /// # Errors
    /// [`ContractError::Shape`] if `screens` is missing, a screen has no `id`, or `routing_model`
    /// is not an object of string arrays.
    pub fn from_value(flow: &Value) -> Result<Self, ContractError> {
        let shape = |msg: &str| ContractError::Shape(msg.to_owned());
        let list = flow
            .get("screens")
            .and_then(Value::as_array)
            .ok_or_else(|| shape("`screens` must be an array"))?;
        let mut screens = BTreeMap::new();
        let mut first = None;
        let mut terminal_capable = false;
        for screen in list {
            let id = screen
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| shape("every screen needs a string `id`"))?;
            first.get_or_insert_with(|| id.to_owned());
            let flag = |name: &str| screen.get(name).and_then(Value::as_bool).unwrap_or(false);
            terminal_capable |= flag("terminal");
            let data = screen
                .get("data")
                .and_then(Value::as_object)
                .map(parse_properties)
                .unwrap_or_default();
            screens.insert(
                id.to_owned(),
                ScreenContract {
                    data,
                    refresh_on_back: flag("refresh_on_back"),
                },
            );
        }
        let mut routes: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        if let Some(model) = flow.get("routing_model") {
            let model = model
                .as_object()
                .ok_or_else(|| shape("`routing_model` must be an object"))?;
            for (from, targets) in model {
                let targets = targets
                    .as_array()
                    .ok_or_else(|| shape("`routing_model` values must be arrays of screen ids"))?;
                let set = routes.entry(from.clone()).or_default();
                for target in targets {
                    let target = target.as_str().ok_or_else(|| {
                        shape("`routing_model` values must be arrays of screen ids")
                    })?;
                    set.insert(target.to_owned());
                }
            }
        }
        let routed_to: BTreeSet<&String> = routes
            .iter()
            .flat_map(|(from, to)| to.iter().filter(move |t| *t != from))
            .collect();
        let mut entry: BTreeSet<String> = screens
            .keys()
            .filter(|id| !routed_to.contains(id))
            .cloned()
            .collect();
        entry.extend(first);
        Ok(Self {
            screens,
            routes,
            entry,
            terminal_capable,
        })
    }

    /// The screen ids, sorted.
    pub fn screens(&self) -> impl Iterator<Item = &str> {
        self.screens.keys().map(String::as_str)
    }

    /// The screens an `INIT` reply may show: the first screen and those no other screen routes to.
    pub fn entry_screens(&self) -> impl Iterator<Item = &str> {
        self.entry.iter().map(String::as_str)
    }

    /// Checks a reply against the request it answers. An empty list means the reply fits.
    #[must_use]
    pub fn check(&self, request: &FlowRequest, reply: &FlowResponse) -> Vec<Violation> {
        self.check_reply(&request.action, request.screen.as_deref(), reply)
    }

    /// Checks a reply to a request with this action, sent from this screen.
    #[must_use]
    pub fn check_reply(
        &self,
        action: &Action,
        from: Option<&str>,
        reply: &FlowResponse,
    ) -> Vec<Violation> {
        let mut violations = Vec::new();
        let Some(target) = reply.screen() else {
            return violations;
        };
        let data = reply.data();
        for (key, value) in data {
            find_nulls(value, &format!("data.{key}"), &mut violations);
        }

        let Some(screen) = self.screens.get(target) else {
            if target == SUCCESS_SCREEN && data.contains_key(EXTENSION) {
                self.check_completion(data, &mut violations);
            } else {
                violations.push(Violation {
                    kind: ViolationKind::UnknownScreen,
                    path: format!("screen {target}"),
                    message: format!(
                        "the flow has no screen {target} (screens: {})",
                        self.screens().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
            return violations;
        };

        self.check_transition(action, from, target, &mut violations);
        for (key, value) in data {
            if key == ERROR_MESSAGE {
                if !value.is_string() && !value.is_null() {
                    violations.push(wrong_type(format!("data.{key}"), "string", value));
                }
                continue;
            }
            match screen.data.get(key) {
                Some(schema) => check_value(schema, value, &format!("data.{key}"), &mut violations),
                None => violations.push(Violation {
                    kind: ViolationKind::UndeclaredKey,
                    path: format!("data.{key}"),
                    message: format!("screen {target} does not declare data key `{key}`"),
                }),
            }
        }
        violations
    }

    fn check_completion(&self, data: &Map<String, Value>, violations: &mut Vec<Violation>) {
        if !self.terminal_capable {
            violations.push(Violation {
                kind: ViolationKind::Completion,
                path: format!("screen {SUCCESS_SCREEN}"),
                message: "the flow completes, but no screen is `terminal: true`".to_owned(),
            });
        }
        let params = data
            .get(EXTENSION)
            .and_then(Value::as_object)
            .and_then(|ext| ext.get("params"));
        if !matches!(params, Some(Value::Object(_))) {
            violations.push(Violation {
                kind: ViolationKind::Completion,
                path: format!("data.{EXTENSION}.params"),
                message: "a completion needs an object `extension_message_response.params`"
                    .to_owned(),
            });
        }
        for key in data.keys().filter(|k| *k != EXTENSION) {
            violations.push(Violation {
                kind: ViolationKind::Completion,
                path: format!("data.{key}"),
                message: format!("a completion carries only `{EXTENSION}`, not `{key}`"),
            });
        }
    }

    fn check_transition(
        &self,
        action: &Action,
        from: Option<&str>,
        target: &str,
        violations: &mut Vec<Violation>,
    ) {
        let (allowed, rule) = match (action, from) {
            (Action::Init, _) => (
                self.entry.contains(target),
                format!(
                    "INIT may only show an entry screen ({})",
                    self.entry_screens().collect::<Vec<_>>().join(", ")
                ),
            ),
            (Action::Back, Some(from)) => (
                target == from || self.reaches(target, from),
                format!("BACK from {from} may only show {from} or a screen before it"),
            ),
            (_, Some(from)) => {
                let routed = self.routes.get(from).is_some_and(|to| to.contains(target));
                let back_to_refreshable = self.reaches(target, from)
                    && self.screens.get(target).is_some_and(|s| s.refresh_on_back);
                (
                    target == from || routed || back_to_refreshable,
                    format!(
                        "routing_model allows {from} -> [{}] (plus {from} itself and earlier screens with refresh_on_back)",
                        self.routes
                            .get(from)
                            .map(|to| to.iter().map(String::as_str).collect::<Vec<_>>().join(", "))
                            .unwrap_or_default()
                    ),
                )
            }
            (_, None) => (
                false,
                format!("a {action} request without a screen cannot navigate"),
            ),
        };
        if let Some(from) = from
            && !self.screens.contains_key(from)
            && *action != Action::Init
        {
            violations.push(Violation {
                kind: ViolationKind::UnknownScreen,
                path: format!("request screen {from}"),
                message: format!("the request came from {from}, which the flow does not have"),
            });
            return;
        }
        if !allowed {
            violations.push(Violation {
                kind: ViolationKind::Transition,
                path: format!("screen {target}"),
                message: format!(
                    "{action} from {} to {target} is not allowed: {rule}",
                    from.unwrap_or("(no screen)")
                ),
            });
        }
    }

    /// Whether `to` is reachable from `from` through one or more routing_model edges.
    fn reaches(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from];
        while let Some(screen) = stack.pop() {
            for next in self.routes.get(screen).into_iter().flatten() {
                if next == to {
                    return true;
                }
                if seen.insert(next.as_str()) {
                    stack.push(next);
                }
            }
        }
        false
    }
}

fn wrong_type(path: String, expected: &str, value: &Value) -> Violation {
    Violation {
        kind: ViolationKind::WrongType,
        message: format!("expected {expected}, found {}", json_type(value)),
        path,
    }
}

fn find_nulls(value: &Value, path: &str, violations: &mut Vec<Violation>) {
    match value {
        Value::Null => violations.push(Violation {
            kind: ViolationKind::Null,
            path: path.to_owned(),
            message: "null values fail the client's validation; leave the key out or send a value"
                .to_owned(),
        }),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_nulls(item, &format!("{path}[{i}]"), violations);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                find_nulls(item, &format!("{path}.{key}"), violations);
            }
        }
        _ => {}
    }
}

fn check_value(schema: &Schema, value: &Value, path: &str, violations: &mut Vec<Violation>) {
    if value.is_null() {
        return; // reported once by find_nulls
    }
    let fits = match (schema, value) {
        (Schema::Any, _)
        | (Schema::String, Value::String(_))
        | (Schema::Number, Value::Number(_))
        | (Schema::Boolean, Value::Bool(_)) => true,
        (Schema::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Schema::Array(items), Value::Array(values)) => {
            if let Some(items) = items {
                for (i, item) in values.iter().enumerate() {
                    check_value(items, item, &format!("{path}[{i}]"), violations);
                }
            }
            true
        }
        (Schema::Object(properties), Value::Object(map)) => {
            if let Some(properties) = properties {
                for (key, item) in map {
                    let item_path = format!("{path}.{key}");
                    match properties.get(key) {
                        Some(schema) => check_value(schema, item, &item_path, violations),
                        None => violations.push(Violation {
                            kind: ViolationKind::UndeclaredKey,
                            message: format!("`{key}` is not among the declared properties"),
                            path: item_path,
                        }),
                    }
                }
            }
            true
        }
        _ => false,
    };
    if !fits {
        violations.push(wrong_type(path.to_owned(), schema.name(), value));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const FLOW: &str = r#"{
      "version": "7.2",
      "data_api_version": "3.0",
      "routing_model": {"PICK": ["SEATS"], "SEATS": ["CONFIRM"], "CONFIRM": []},
      "screens": [
        {"id": "PICK", "data": {
            "department": {"type": "array", "items": {"type": "object",
                "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "enabled": {"type": "boolean"}}},
                "__example__": [{"id": "a", "title": "A"}]},
            "is_open": {"type": "boolean", "__example__": true}
        }, "layout": {}},
        {"id": "SEATS", "refresh_on_back": true, "data": {
            "seats": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}, "__example__": []},
            "count": {"type": "integer", "__example__": 2},
            "price": {"type": "number", "__example__": 2.5},
            "meta": {"type": "object", "properties": {"room": {"type": "string"}}, "__example__": {"room": "1"}}
        }, "layout": {}},
        {"id": "CONFIRM", "terminal": true, "data": {"summary": {"type": "string", "__example__": "x"}}, "layout": {}}
      ]
    }"#;

    fn contract() -> FlowContract {
        FlowContract::from_json(FLOW).unwrap()
    }

    fn request(action: Action, screen: Option<&str>) -> FlowRequest {
        let mut r = FlowRequest::new(action);
        r.screen = screen.map(str::to_owned);
        r
    }

    fn kinds(v: &[Violation]) -> Vec<ViolationKind> {
        v.iter().map(|v| v.kind).collect()
    }

    #[test]
    fn a_fitting_walk_has_no_violations() {
        let c = contract();
        let init = FlowResponse::next_screen("PICK")
            .with(
                "department",
                json!([{"id": "a", "title": "A"}, {"id": "b", "title": "B", "enabled": false}]),
            )
            .with("is_open", true);
        assert_eq!(c.check(&request(Action::Init, None), &init), vec![]);
        let seats = FlowResponse::next_screen("SEATS")
            .with("seats", json!([{"id": "1", "title": "Seat 1"}]))
            .with("count", 2)
            .with("price", 2.5)
            .with("meta", json!({"room": "R"}));
        assert_eq!(
            c.check(&request(Action::DataExchange, Some("PICK")), &seats),
            vec![]
        );
        // An integer is a number too.
        let seats = FlowResponse::next_screen("SEATS").with("price", 3);
        assert!(
            c.check(&request(Action::DataExchange, Some("PICK")), &seats)
                .is_empty()
        );
        // Staying on a screen with an error message is always allowed.
        let retry = FlowResponse::next_screen("PICK").error_message("Pick one");
        assert!(
            c.check(&request(Action::DataExchange, Some("PICK")), &retry)
                .is_empty()
        );
        let done = FlowResponse::complete(Some("t"), json!({"booking_id": "B1"}));
        assert!(
            c.check(&request(Action::DataExchange, Some("CONFIRM")), &done)
                .is_empty()
        );
        // Pings and acknowledgements are not checked.
        assert!(
            c.check(&request(Action::Ping, None), &FlowResponse::ping())
                .is_empty()
        );
    }

    #[test]
    fn transitions_follow_the_routing_model() {
        let c = contract();
        let from_pick = request(Action::DataExchange, Some("PICK"));
        let v = c.check(&from_pick, &FlowResponse::next_screen("CONFIRM"));
        assert_eq!(kinds(&v), vec![ViolationKind::Transition]);
        assert_eq!(v[0].client_error(), "invalid-screen-transition");
        assert!(v[0].to_string().contains("PICK -> [SEATS]"), "{}", v[0]);

        // INIT: only entry screens.
        assert_eq!(c.entry_screens().collect::<Vec<_>>(), vec!["PICK"]);
        let v = c.check(
            &request(Action::Init, None),
            &FlowResponse::next_screen("SEATS"),
        );
        assert_eq!(kinds(&v), vec![ViolationKind::Transition]);

        // Back to an earlier screen with refresh_on_back is allowed; to one without, it is not.
        let from_confirm = request(Action::DataExchange, Some("CONFIRM"));
        assert!(
            c.check(&from_confirm, &FlowResponse::next_screen("SEATS"))
                .is_empty()
        );
        assert_eq!(
            kinds(&c.check(&from_confirm, &FlowResponse::next_screen("PICK"))),
            vec![ViolationKind::Transition]
        );

        // BACK from SEATS: SEATS itself or a screen before it; not a later one.
        let back = request(Action::Back, Some("SEATS"));
        assert!(
            c.check(&back, &FlowResponse::next_screen("PICK"))
                .is_empty()
        );
        assert!(
            c.check(&back, &FlowResponse::next_screen("SEATS"))
                .is_empty()
        );
        assert_eq!(
            kinds(&c.check(&back, &FlowResponse::next_screen("CONFIRM"))),
            vec![ViolationKind::Transition]
        );
    }

    #[test]
    fn unknown_screens_are_reported() {
        let c = contract();
        let v = c.check(
            &request(Action::DataExchange, Some("PICK")),
            &FlowResponse::next_screen("NOWHERE"),
        );
        assert_eq!(kinds(&v), vec![ViolationKind::UnknownScreen]);
        assert!(v[0].message.contains("PICK, SEATS"), "{}", v[0].message);

        let v = c.check(
            &request(Action::DataExchange, Some("GONE")),
            &FlowResponse::next_screen("PICK"),
        );
        assert_eq!(kinds(&v), vec![ViolationKind::UnknownScreen]);
    }

    #[test]
    fn data_must_match_the_declared_schema() {
        let c = contract();
        let from_pick = request(Action::DataExchange, Some("PICK"));
        let reply = FlowResponse::next_screen("SEATS")
            .with("count", 2.5)
            .with("price", "cheap")
            .with("seats", json!([{"id": 1, "title": "One", "color": "red"}]))
            .with("meta", json!(["not", "an", "object"]))
            .with("surprise", true)
            .with("error_message", 7);
        let v = c.check(&from_pick, &reply);
        let mut found: Vec<(String, &str)> = v
            .iter()
            .map(|v| (v.path.clone(), v.client_error()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            vec![
                ("data.count".to_owned(), "payload-schema-error"),
                ("data.error_message".to_owned(), "payload-schema-error"),
                ("data.meta".to_owned(), "payload-schema-error"),
                ("data.price".to_owned(), "payload-schema-error"),
                ("data.seats[0].color".to_owned(), "payload-schema-error"),
                ("data.seats[0].id".to_owned(), "payload-schema-error"),
                ("data.surprise".to_owned(), "payload-schema-error"),
            ]
        );
        let count = v.iter().find(|v| v.path == "data.count").unwrap();
        assert_eq!(count.message, "expected integer, found number");
        // Messages never carry the values.
        assert!(v.iter().all(|v| !v.to_string().contains("cheap")));
    }

    #[test]
    fn nulls_are_reported_anywhere() {
        let c = contract();
        let reply = FlowResponse::next_screen("PICK")
            .with("is_open", Value::Null)
            .with("department", json!([{"id": "a", "title": null}]));
        let v = c.check(&request(Action::DataExchange, Some("PICK")), &reply);
        let paths: BTreeSet<_> = v
            .iter()
            .filter(|v| v.kind == ViolationKind::Null)
            .map(|v| v.path.as_str())
            .collect();
        assert_eq!(
            paths,
            BTreeSet::from(["data.is_open", "data.department[0].title"])
        );
        assert_eq!(v.len(), 2, "{v:?}");
    }

    #[test]
    fn completions_need_params_and_a_terminal_screen() {
        let c = contract();
        let from = request(Action::DataExchange, Some("CONFIRM"));
        let bad = FlowResponse::next_screen("SUCCESS")
            .with("extension_message_response", json!({"params": "x"}))
            .with("extra", 1);
        assert_eq!(
            kinds(&c.check(&from, &bad)),
            vec![ViolationKind::Completion, ViolationKind::Completion]
        );
        let no_terminal = FlowContract::from_json(
            r#"{"screens":[{"id":"A","data":{}}],"routing_model":{"A":[]}}"#,
        )
        .unwrap();
        let done = FlowResponse::complete(Some("t"), json!({}));
        assert_eq!(
            kinds(&no_terminal.check(&request(Action::DataExchange, Some("A")), &done)),
            vec![ViolationKind::Completion]
        );
        // A bare SUCCESS without the extension is just an unknown screen.
        assert_eq!(
            kinds(&c.check(&from, &FlowResponse::next_screen("SUCCESS"))),
            vec![ViolationKind::UnknownScreen]
        );
    }

    #[test]
    fn malformed_documents_are_rejected() {
        for bad in [
            "[]",
            r#"{"screens": {}}"#,
            r#"{"screens": [{"data": {}}]}"#,
            r#"{"screens": [{"id": "A"}], "routing_model": {"A": "B"}}"#,
            r#"{"screens": [{"id": "A"}], "routing_model": {"A": [1]}}"#,
        ] {
            assert!(
                matches!(FlowContract::from_json(bad), Err(ContractError::Shape(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            FlowContract::from_json("{"),
            Err(ContractError::Json(_))
        ));
        assert!(matches!(
            FlowContract::from_file("/nonexistent/flow.json"),
            Err(ContractError::Read { .. })
        ));
    }

    #[tokio::test]
    async fn the_endpoint_hook_answers_500_for_a_breaking_reply() {
        use crate::{Context, Endpoint, Router};
        use whatsapp_flows_crypto::{KeySet, PrivateKey};

        let key = PrivateKey::from_pem(
            include_str!(
                "../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"
            ),
            None,
        )
        .unwrap();
        let flow = Router::new()
            .on_init(|cx: Context<()>| async move {
                // A fitting reply for one token, a breaking one for the other.
                Ok(match cx.flow_token() {
                    Some("good") => FlowResponse::next_screen("PICK").with("is_open", true),
                    _ => FlowResponse::next_screen("PICK").with("is_open", "yes"),
                })
            })
            .with_state(());
        let endpoint = Endpoint::builder(KeySet::new(key.clone()), flow)
            .contract(contract())
            .build();
        for (token, status) in [("good", 200), ("bad", 500)] {
            let body = json!({"version": "3.0", "action": "INIT", "flow_token": token});
            let sent = key.public_key().encrypt_request_json(&body).unwrap();
            let reply = endpoint
                .handle(&(), sent.body().as_bytes().to_vec().into())
                .await;
            assert_eq!(reply.status, status, "{token}");
        }
        // Built-in replies pass untouched.
        let sent = key
            .public_key()
            .encrypt_request(br#"{"version":"3.0","action":"ping"}"#)
            .unwrap();
        let reply = endpoint
            .handle(&(), sent.body().as_bytes().to_vec().into())
            .await;
        assert_eq!(reply.status, 200);
    }
}
