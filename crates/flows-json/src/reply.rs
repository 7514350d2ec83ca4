//! The reply contract: does an endpoint reply fit the flow the phone is running?
//!
//! The WhatsApp client validates every endpoint reply against the published Flow JSON and rejects,
//! on the user's phone, a reply that navigates where the `routing_model` does not allow
//! (`invalid-screen-transition`) or whose data does not match the screen's declared `data`
//! (`payload-schema-error`; `null` values included), flow-client.md §7.5. [`ReplyContract`] catches
//! them before deployment. It works on screen ids and `serde_json` values, so an endpoint framework
//! (flows-router) and the local simulator can both use it.
//!
//! What is checked, for a reply `{"screen": T, "data": {...}}` to a request from screen `S`:
//!
//! - `T` is a screen of the flow, or `SUCCESS` carrying `extension_message_response.params` in a
//!   flow with a terminal screen;
//! - the transition: `data_exchange` from `S` may go to `S` itself, to a screen `routing_model[S]`
//!   lists, or back to an earlier screen (one from which `S` is reachable in the routing model) that
//!   has `refresh_on_back: true`; `INIT` may go to an entry screen (the first screen, or one no other
//!   screen routes to); `BACK` (sent by the screen being left, `S`) may go to `S` or to any screen from
//!   which `S` is reachable;
//! - every data key is declared in `T`'s `data` (`error_message` is allowed on any screen), with the
//!   declared JSON type (`string`, `number`, `integer`, `boolean`, `array`, `object`), recursively
//!   into `items` and `properties` where declared;
//! - no `null` anywhere.
//!
//! Violation messages name keys and types, never the values, so they are safe to log.
//!
//! ```
//! use flows_json::reply::{ReplyContract, RequestAction};
//! use serde_json::json;
//!
//! let flow = flows_json::Flow::from_json(r#"{
//!   "version": "7.2", "data_api_version": "3.0",
//!   "routing_model": {"FORM": ["DONE"], "DONE": []},
//!   "screens": [
//!     {"id": "FORM", "data": {"name": {"type": "string", "__example__": "Ana"}}, "layout": {}},
//!     {"id": "DONE", "terminal": true, "data": {"total": {"type": "number", "__example__": 3}}, "layout": {}}
//!   ]
//! }"#)?;
//! let contract = ReplyContract::new(&flow)?;
//! let data = json!({"total": 3});
//! let ok = contract.check(RequestAction::DataExchange, Some("FORM"), Some("DONE"), data.as_object().unwrap());
//! assert!(ok.is_empty());
//!
//! let data = json!({"total": "three"});
//! let violations = contract.check(RequestAction::DataExchange, Some("FORM"), Some("DONE"), data.as_object().unwrap());
//! assert_eq!(violations[0].client_error(), "payload-schema-error");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

use crate::model::{Flow, Items, Schema};

/// The screen an endpoint names to complete the flow.
pub const SUCCESS: &str = "SUCCESS";
/// The data key every screen accepts: WhatsApp shows it as a snackbar.
const ERROR_MESSAGE: &str = "error_message";
/// The data key of a completion reply.
const EXTENSION: &str = "extension_message_response";

/// The request a reply answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestAction<'a> {
    /// The flow was opened (`INIT`).
    Init,
    /// Back on a screen with `refresh_on_back` (`BACK`).
    Back,
    /// A `data_exchange` action.
    DataExchange,
    /// The health check.
    Ping,
    /// Any other action, as written.
    Other(&'a str),
}

impl RequestAction<'_> {
    /// The wire spelling (`INIT`, `BACK`, `data_exchange`, `ping`).
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Init => "INIT",
            Self::Back => "BACK",
            Self::DataExchange => "data_exchange",
            Self::Ping => "ping",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for RequestAction<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A flow whose shape replies cannot be checked against.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a Flow JSON document: {0}")]
pub struct ShapeError(pub String);

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
    /// The WhatsApp client's error key (`invalid-screen-transition`, `payload-schema-error`).
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

/// A declared JSON type.
#[derive(Clone, Debug)]
enum Declared {
    String,
    Number,
    Integer,
    Boolean,
    Array(Option<Box<Declared>>),
    Object(Option<BTreeMap<String, Declared>>),
    /// No (or an unknown) `type`: anything but `null`.
    Any,
}

impl Declared {
    fn of(schema: &Schema) -> Self {
        match schema.kind.as_deref() {
            Some("string") => Self::String,
            Some("number") => Self::Number,
            Some("integer") => Self::Integer,
            Some("boolean") => Self::Boolean,
            Some("array") => Self::Array(schema.items.as_ref().map(|i| {
                Box::new(match i {
                    Items::Schema(s) => Self::of(s),
                    Items::Any(_) => Self::Any,
                })
            })),
            Some("object") => Self::Object(
                schema
                    .properties
                    .as_ref()
                    .map(|p| p.iter().map(|(k, s)| (k.clone(), Self::of(s))).collect()),
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

#[derive(Clone, Debug)]
struct ScreenContract {
    data: BTreeMap<String, Declared>,
    refresh_on_back: bool,
}

/// A flow reduced to what replies must agree with: screens, their declared data and the routing
/// model.
#[derive(Clone, Debug)]
pub struct ReplyContract {
    screens: BTreeMap<String, ScreenContract>,
    routes: BTreeMap<String, BTreeSet<String>>,
    entry: BTreeSet<String>,
    terminal_capable: bool,
}

impl ReplyContract {
    /// Builds the contract of a flow.
    ///
    /// # Errors
    /// [`ShapeError`] if the document is not an object, `screens` is not an array, a screen has no
    /// string `id`, or `routing_model` is not an object of screen-id arrays.
    pub fn new(flow: &Flow) -> Result<Self, ShapeError> {
        let shape = |msg: &str| ShapeError(msg.to_owned());
        if flow.invalid.iter().any(|i| i.key.is_empty())
            || flow.invalid.iter().any(|i| i.key == "screens")
        {
            return Err(shape("`screens` must be an array"));
        }
        if flow.invalid.iter().any(|i| i.key == "routing_model") {
            return Err(shape(
                "`routing_model` must be an object of screen-id arrays",
            ));
        }
        let mut screens = BTreeMap::new();
        let mut first = None;
        let mut terminal_capable = false;
        for screen in &flow.screens {
            if screen
                .invalid
                .iter()
                .any(|i| i.key.is_empty() || i.key == "id")
            {
                return Err(shape("every screen needs a string `id`"));
            }
            first.get_or_insert_with(|| screen.id.clone());
            terminal_capable |= screen.is_terminal();
            let data = screen
                .data
                .as_ref()
                .map(|d| {
                    d.fields
                        .iter()
                        .map(|(k, s)| (k.clone(), Declared::of(s)))
                        .collect()
                })
                .unwrap_or_default();
            screens.insert(
                screen.id.clone(),
                ScreenContract {
                    data,
                    refresh_on_back: screen.refresh_on_back == Some(true),
                },
            );
        }
        let routes: BTreeMap<String, BTreeSet<String>> = flow
            .routing_model
            .iter()
            .flatten()
            .map(|(from, to)| (from.clone(), to.iter().cloned().collect()))
            .collect();
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

    /// Checks a reply (`screen`, `data`) to a request with this action, sent from screen `from`. An
    /// empty list means the reply fits. Replies without a screen (health check, acknowledgement)
    /// are not checked.
    #[must_use]
    pub fn check(
        &self,
        action: RequestAction<'_>,
        from: Option<&str>,
        screen: Option<&str>,
        data: &Map<String, Value>,
    ) -> Vec<Violation> {
        let mut violations = Vec::new();
        let Some(target) = screen else {
            return violations;
        };
        for (key, value) in data {
            find_nulls(value, &format!("data.{key}"), &mut violations);
        }
        let Some(declared) = self.screens.get(target) else {
            if target == SUCCESS && data.contains_key(EXTENSION) {
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
            match declared.data.get(key) {
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
                path: format!("screen {SUCCESS}"),
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
        action: RequestAction<'_>,
        from: Option<&str>,
        target: &str,
        violations: &mut Vec<Violation>,
    ) {
        let (allowed, rule) = match (action, from) {
            (RequestAction::Init, _) => (
                self.entry.contains(target),
                format!(
                    "INIT may only show an entry screen ({})",
                    self.entry_screens().collect::<Vec<_>>().join(", ")
                ),
            ),
            (RequestAction::Back, Some(from)) => (
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
            && action != RequestAction::Init
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

fn check_value(schema: &Declared, value: &Value, path: &str, violations: &mut Vec<Violation>) {
    if value.is_null() {
        return; // reported once by find_nulls
    }
    let fits = match (schema, value) {
        (Declared::Any, _)
        | (Declared::String, Value::String(_))
        | (Declared::Number, Value::Number(_))
        | (Declared::Boolean, Value::Bool(_)) => true,
        (Declared::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (Declared::Array(items), Value::Array(values)) => {
            if let Some(items) = items {
                for (i, item) in values.iter().enumerate() {
                    check_value(items, item, &format!("{path}[{i}]"), violations);
                }
            }
            true
        }
        (Declared::Object(properties), Value::Object(map)) => {
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
    #![allow(clippy::unwrap_used)]
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

    use RequestAction::{Back, DataExchange, Init, Ping};

    fn contract() -> ReplyContract {
        ReplyContract::from_json(FLOW)
    }

    impl ReplyContract {
        fn from_json(text: &str) -> Self {
            Self::new(&Flow::from_json(text).unwrap()).unwrap()
        }
    }

    /// A reply: `screen` and `data`, as flows-router's FlowResponse builds them.
    fn reply(screen: &str, data: Value) -> (Option<String>, Map<String, Value>) {
        (
            Some(screen.to_owned()),
            data.as_object().cloned().unwrap_or_default(),
        )
    }

    fn complete(token: &str, params: Value) -> (Option<String>, Map<String, Value>) {
        let mut merged = Map::new();
        merged.insert("flow_token".to_owned(), json!(token));
        if let Value::Object(p) = params {
            merged.extend(p);
        }
        reply(SUCCESS, json!({EXTENSION: {"params": merged}}))
    }

    fn check(
        c: &ReplyContract,
        action: RequestAction<'_>,
        from: Option<&str>,
        r: &(Option<String>, Map<String, Value>),
    ) -> Vec<Violation> {
        c.check(action, from, r.0.as_deref(), &r.1)
    }

    fn kinds(v: &[Violation]) -> Vec<ViolationKind> {
        v.iter().map(|v| v.kind).collect()
    }

    #[test]
    fn a_fitting_walk_has_no_violations() {
        let c = contract();
        let init = reply(
            "PICK",
            json!({"department": [{"id": "a", "title": "A"}, {"id": "b", "title": "B", "enabled": false}], "is_open": true}),
        );
        assert_eq!(check(&c, Init, None, &init), vec![]);
        let seats = reply(
            "SEATS",
            json!({"seats": [{"id": "1", "title": "Seat 1"}], "count": 2, "price": 2.5, "meta": {"room": "R"}}),
        );
        assert_eq!(check(&c, DataExchange, Some("PICK"), &seats), vec![]);
        // An integer is a number too.
        assert!(
            check(
                &c,
                DataExchange,
                Some("PICK"),
                &reply("SEATS", json!({"price": 3}))
            )
            .is_empty()
        );
        // Staying on a screen with an error message is always allowed.
        assert!(
            check(
                &c,
                DataExchange,
                Some("PICK"),
                &reply("PICK", json!({"error_message": "Pick one"}))
            )
            .is_empty()
        );
        assert!(
            check(
                &c,
                DataExchange,
                Some("CONFIRM"),
                &complete("t", json!({"booking_id": "B1"}))
            )
            .is_empty()
        );
        // Pings and acknowledgements are not checked.
        assert!(
            c.check(
                Ping,
                None,
                None,
                &json!({"status": "active"}).as_object().cloned().unwrap()
            )
            .is_empty()
        );
    }

    #[test]
    fn transitions_follow_the_routing_model() {
        let c = contract();
        let v = check(&c, DataExchange, Some("PICK"), &reply("CONFIRM", json!({})));
        assert_eq!(kinds(&v), vec![ViolationKind::Transition]);
        assert_eq!(v[0].client_error(), "invalid-screen-transition");
        assert!(v[0].to_string().contains("PICK -> [SEATS]"), "{}", v[0]);

        assert_eq!(c.entry_screens().collect::<Vec<_>>(), vec!["PICK"]);
        let v = check(&c, Init, None, &reply("SEATS", json!({})));
        assert_eq!(kinds(&v), vec![ViolationKind::Transition]);

        // Back to an earlier screen with refresh_on_back is allowed; to one without, it is not.
        assert!(
            check(
                &c,
                DataExchange,
                Some("CONFIRM"),
                &reply("SEATS", json!({}))
            )
            .is_empty()
        );
        assert_eq!(
            kinds(&check(
                &c,
                DataExchange,
                Some("CONFIRM"),
                &reply("PICK", json!({}))
            )),
            vec![ViolationKind::Transition]
        );

        // BACK from SEATS: SEATS itself or a screen before it; not a later one.
        assert!(check(&c, Back, Some("SEATS"), &reply("PICK", json!({}))).is_empty());
        assert!(check(&c, Back, Some("SEATS"), &reply("SEATS", json!({}))).is_empty());
        assert_eq!(
            kinds(&check(
                &c,
                Back,
                Some("SEATS"),
                &reply("CONFIRM", json!({}))
            )),
            vec![ViolationKind::Transition]
        );
    }

    #[test]
    fn unknown_screens_are_reported() {
        let c = contract();
        let v = check(&c, DataExchange, Some("PICK"), &reply("NOWHERE", json!({})));
        assert_eq!(kinds(&v), vec![ViolationKind::UnknownScreen]);
        assert!(v[0].message.contains("PICK, SEATS"), "{}", v[0].message);
        let v = check(&c, DataExchange, Some("GONE"), &reply("PICK", json!({})));
        assert_eq!(kinds(&v), vec![ViolationKind::UnknownScreen]);
    }

    #[test]
    fn data_must_match_the_declared_schema() {
        let c = contract();
        let r = reply(
            "SEATS",
            json!({"count": 2.5, "price": "cheap", "seats": [{"id": 1, "title": "One", "color": "red"}],
            "meta": ["not", "an", "object"], "surprise": true, "error_message": 7}),
        );
        let v = check(&c, DataExchange, Some("PICK"), &r);
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
        assert!(v.iter().all(|v| !v.to_string().contains("cheap")));
    }

    #[test]
    fn nulls_are_reported_anywhere() {
        let c = contract();
        let r = reply(
            "PICK",
            json!({"is_open": null, "department": [{"id": "a", "title": null}]}),
        );
        let v = check(&c, DataExchange, Some("PICK"), &r);
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
        let bad = reply(SUCCESS, json!({EXTENSION: {"params": "x"}, "extra": 1}));
        assert_eq!(
            kinds(&check(&c, DataExchange, Some("CONFIRM"), &bad)),
            vec![ViolationKind::Completion, ViolationKind::Completion]
        );
        let no_terminal = ReplyContract::from_json(
            r#"{"screens":[{"id":"A","data":{}}],"routing_model":{"A":[]}}"#,
        );
        assert_eq!(
            kinds(&check(
                &no_terminal,
                DataExchange,
                Some("A"),
                &complete("t", json!({}))
            )),
            vec![ViolationKind::Completion]
        );
        // A bare SUCCESS without the extension is just an unknown screen.
        assert_eq!(
            kinds(&check(
                &c,
                DataExchange,
                Some("CONFIRM"),
                &reply(SUCCESS, json!({}))
            )),
            vec![ViolationKind::UnknownScreen]
        );
    }

    #[test]
    fn malformed_documents_are_rejected() {
        for bad in [
            "[]",
            r#"{"screens": {}}"#,
            r#"{"screens": [{"data": {}}]}"#,
            r#"{"screens": [{"id": 3}]}"#,
            r#"{"screens": [{"id": "A"}], "routing_model": {"A": "B"}}"#,
            r#"{"screens": [{"id": "A"}], "routing_model": {"A": [1]}}"#,
        ] {
            assert!(
                ReplyContract::new(&Flow::from_json(bad).unwrap()).is_err(),
                "{bad}"
            );
        }
    }
}
