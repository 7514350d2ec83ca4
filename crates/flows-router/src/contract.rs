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
//! The check itself is [`flows_json::reply::ReplyContract`], on flows-json's model of the Flow JSON
//! (the one `flows lint` validates); [`FlowContract`] adds loading from files and text, and this
//! crate's request and response types.
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

use std::path::Path;

use flows_json::reply::{ReplyContract, RequestAction};
use serde_json::Value;

pub use flows_json::reply::{Violation, ViolationKind};

use crate::request::{Action, FlowRequest};
use crate::response::FlowResponse;

/// A Flow JSON document, reduced to what replies must agree with: screens, their declared data and
/// the routing model.
#[derive(Clone, Debug)]
pub struct FlowContract {
    inner: ReplyContract,
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
        // flows-json reads a document without `screens` as one with no screens (the linter reports
        // it); a contract without screens would reject every reply, so it is refused here.
        if !flow.get("screens").is_some_and(Value::is_array) {
            return Err(ContractError::Shape(
                "`screens` must be an array".to_owned(),
            ));
        }
        let flow = flows_json::Flow::from_value(flow.clone());
        let inner = ReplyContract::new(&flow).map_err(|e| ContractError::Shape(e.0))?;
        Ok(Self { inner })
    }

    /// The screen ids, sorted.
    pub fn screens(&self) -> impl Iterator<Item = &str> {
        self.inner.screens()
    }

    /// The screens an `INIT` reply may show: the first screen and those no other screen routes to.
    pub fn entry_screens(&self) -> impl Iterator<Item = &str> {
        self.inner.entry_screens()
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
        let action = match action {
            Action::Init => RequestAction::Init,
            Action::Back => RequestAction::Back,
            Action::DataExchange => RequestAction::DataExchange,
            Action::Ping => RequestAction::Ping,
            Action::Other(other) => RequestAction::Other(other),
        };
        self.inner.check(action, from, reply.screen(), reply.data())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

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
            let body = FlowRequest::new(Action::Init).with_flow_token(token);
            let sent = key.public_key().encrypt_request_json(&body).unwrap();
            let reply = endpoint
                .handle(&(), sent.body().as_bytes().to_vec().into())
                .await;
            assert_eq!(reply.status, status, "{token}");
        }
        // Built-in replies pass untouched.
        let sent = key
            .public_key()
            .encrypt_request_json(&FlowRequest::new(Action::Ping))
            .unwrap();
        let reply = endpoint
            .handle(&(), sent.body().as_bytes().to_vec().into())
            .await;
        assert_eq!(reply.status, 200);
    }
}
