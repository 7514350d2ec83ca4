//! The simulator against in-process endpoints built with flows_router, one test per behaviour.
//! Keys are OpenSSL-made fixtures of the crypto crate; replies come from flows-router's real
//! `Endpoint` (encrypted by its code, not ours).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use flows_json::Flow;
use flows_router::{Context, Endpoint, FlowResponse, HandlerError, HandlerResult, Router, Screen};
use flows_simulator::{
    ActionError, CompletedBy, ExchangeKind, FlowState, InProcess, Open, PreparedFlow, RawReply,
    Simulator, Transport, TransportError, WalkError,
};
use serde_json::{Map, Value, json};
use whatsapp_flows_crypto::{KeySet, PrivateKey, PublicKey, SignatureVerifier};

const KEY: &str =
    include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem");
const OTHER_PUBLIC: &str =
    include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/rotation-new.pub.pem");

fn key() -> PrivateKey {
    PrivateKey::from_pem(KEY, None).unwrap()
}

type Data = Map<String, Value>;

/// A screen handler from a closure over the request data.
macro_rules! screen {
    ($ty:ident, $name:literal, |$data:ident| $body:expr) => {
        struct $ty;
        impl Screen<()> for $ty {
            const NAME: &'static str = $name;
            type Data = Data;
            async fn handle(&self, _cx: Context<()>, $data: Data) -> HandlerResult {
                $body
            }
        }
    };
}

fn flow(json: Value) -> Flow {
    Flow::from_value(json)
}

fn endpoint(router: Router<()>) -> Endpoint {
    Endpoint::builder(KeySet::new(key()), router.with_state(())).build()
}

fn transport(router: Router<()>) -> InProcess {
    InProcess::new(endpoint(router), key().public_key().clone())
}

fn layout(children: Value) -> Value {
    json!({"type": "SingleColumnLayout", "children": children})
}

/// A two-screen endpoint flow: FORM (name, email, a Footer data_exchange) -> DONE (terminal).
fn form_flow() -> Flow {
    flow(json!({
        "version": "7.2", "data_api_version": "3.0",
        "routing_model": {"FORM": ["DONE"], "DONE": []},
        "screens": [
            {"id": "FORM", "title": "Form", "data": {"greeting": {"type": "string", "__example__": "Hi"}},
             "layout": layout(json!([
                {"type": "TextHeading", "text": "${data.greeting}"},
                {"type": "TextInput", "name": "name", "label": "Name", "required": true, "min-chars": 2, "max-chars": 10},
                {"type": "TextInput", "name": "email", "label": "Email", "input-type": "email"},
                {"type": "Footer", "label": "Send", "on-click-action": {"name": "data_exchange",
                    "payload": {"name": "${form.name}", "email": "${form.email}"}}}
             ]))},
            {"id": "DONE", "title": "Done", "terminal": true,
             "data": {"who": {"type": "string", "__example__": "Ana"}},
             "layout": layout(json!([
                {"type": "TextBody", "text": "${data.who}"},
                {"type": "Footer", "label": "Finish", "on-click-action": {"name": "complete", "payload": {"who": "${data.who}"}}}
             ]))}
        ]
    }))
}

screen!(FormScreen, "FORM", |data| {
    let name = data["name"].as_str().unwrap_or_default().to_owned();
    if name == "Bob" {
        return Ok(FlowResponse::next_screen("FORM").error_message("Bob is not allowed"));
    }
    Ok(FlowResponse::next_screen("DONE").with("who", name))
});

fn form_router() -> Router<()> {
    Router::new()
        .on_init(|_cx: Context<()>| async {
            Ok(FlowResponse::next_screen("FORM").with("greeting", "Hello"))
        })
        .screen(FormScreen)
}

#[tokio::test]
async fn init_shows_the_screen_the_endpoint_names_with_its_data() {
    let phone = Simulator::open(
        form_flow(),
        transport(form_router()),
        Open::data_exchange("t-1"),
    )
    .await
    .unwrap();
    assert_eq!(phone.screen().id(), "FORM");
    assert_eq!(phone.screen().data()["greeting"], "Hello");
    let init = &phone.transcript().exchanges()[0];
    assert_eq!(
        init.request,
        json!({"version": "3.0", "action": "INIT", "screen": "", "data": {}, "flow_token": "t-1"})
    );
    assert_eq!(init.status, Some(200));
    assert_eq!(init.reply.as_ref().unwrap()["screen"], "FORM");
    // The heading is bound to the data the endpoint sent, not to `__example__`.
    let view = phone.screen();
    assert_eq!(view.components()[0].label.as_deref(), Some("Hello"));
}

#[tokio::test]
async fn data_exchange_sends_the_resolved_payload_and_shows_the_next_screen() {
    let mut phone = Simulator::open(
        form_flow(),
        transport(form_router()),
        Open::data_exchange("t-2"),
    )
    .await
    .unwrap();
    phone.set("name", "Ana").await.unwrap();
    phone.tap("Send").await.unwrap();
    assert_eq!(phone.screen().id(), "DONE");
    assert_eq!(phone.history(), ["FORM", "DONE"]);
    let request = &phone.transcript().last().unwrap().request;
    // `email` was never set: it reads as undefined and is left out, as JSON.stringify does.
    assert_eq!(
        request,
        &json!({"version": "3.0", "action": "data_exchange", "screen": "FORM",
                "data": {"name": "Ana"}, "flow_token": "t-2"})
    );
    phone.tap("Finish").await.unwrap();
    assert_eq!(
        phone.state(),
        &FlowState::Completed {
            params: Some(Map::from_iter([
                ("who".into(), json!("Ana")),
                ("flow_token".into(), json!("t-2"))
            ])),
            by: CompletedBy::CompleteAction
        }
    );
    assert!(matches!(
        phone.tap("Finish").await,
        Err(WalkError::Action(ActionError::Closed))
    ));
}

#[tokio::test]
async fn error_message_shows_a_snackbar_and_stays() {
    let mut phone = Simulator::open(
        form_flow(),
        transport(form_router()),
        Open::data_exchange("t"),
    )
    .await
    .unwrap();
    phone.set("name", "Bob").await.unwrap();
    phone.tap("Send").await.unwrap();
    assert_eq!(phone.screen().id(), "FORM");
    assert_eq!(phone.snackbar(), Some("Bob is not allowed"));
    assert_eq!(phone.history(), ["FORM"]);
    // The input survives, and the snackbar goes with the next tap.
    assert_eq!(phone.screen().form()["name"], "Bob");
    phone.set("name", "Ana").await.unwrap();
    phone.tap("Send").await.unwrap();
    assert_eq!(phone.snackbar(), None);
}

#[tokio::test]
async fn the_footer_is_refused_with_the_reasons_the_phone_has() {
    let mut phone = Simulator::open(
        form_flow(),
        transport(form_router()),
        Open::data_exchange("t"),
    )
    .await
    .unwrap();
    let refused = |r: Result<(), WalkError>| match r {
        Err(WalkError::Action(ActionError::FooterDisabled { reasons, .. })) => reasons,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(refused(phone.tap("Send").await), ["Name: required"]);
    phone.set("name", "A").await.unwrap();
    assert_eq!(
        refused(phone.tap("Send").await),
        ["Name: enter at least 2 characters"]
    );
    phone.set("name", "Anastasia Maria").await.unwrap();
    assert_eq!(
        refused(phone.tap("Send").await),
        ["Name: enter at most 10 characters"]
    );
    phone.set("name", "Ana").await.unwrap();
    phone.set("email", "ana@").await.unwrap();
    assert_eq!(
        refused(phone.tap("Send").await),
        ["Email: enter a valid email address"]
    );
    phone.set("email", "ana@example.com").await.unwrap();
    // Nothing was sent for the refused taps: INIT only.
    assert_eq!(phone.transcript().len(), 1);
    phone.tap("Send").await.unwrap();
    assert_eq!(phone.screen().id(), "DONE");
}

#[tokio::test]
async fn input_types_and_limits_are_checked_like_the_client() {
    let f = flow(json!({
        "version": "7.2",
        "screens": [{"id": "ONE", "title": "One", "terminal": true, "layout": layout(json!([
            {"type": "TextInput", "name": "n", "label": "N", "input-type": "number"},
            {"type": "TextInput", "name": "p", "label": "P", "input-type": "phone"},
            {"type": "TextInput", "name": "c", "label": "C", "input-type": "passcode"},
            {"type": "TextInput", "name": "w", "label": "W", "input-type": "password", "pattern": "^[a-z]+$"},
            {"type": "CheckboxGroup", "name": "k", "label": "K", "min-selected-items": 2,
             "data-source": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}, {"id": "x", "title": "X", "enabled": false}]},
            {"type": "DatePicker", "name": "d", "label": "D", "min-date": "2025-01-01", "max-date": "2025-12-31",
             "unavailable-dates": ["2025-06-01"]},
            {"type": "Footer", "label": "Go", "on-click-action": {"name": "complete"}}
        ]))}]
    }));
    let mut phone = Simulator::open(
        f,
        transport(Router::new()),
        Open::navigate("t", None, Map::new()),
    )
    .await
    .unwrap();
    // The errors of one field (the CheckboxGroup's minimum holds the Footer from the start).
    let errors_of = |phone: &Simulator<InProcess>, label: &str| -> Vec<String> {
        let prefix = format!("{label}: ");
        phone
            .screen()
            .validation_errors()
            .iter()
            .filter(|e| e.starts_with(&prefix))
            .cloned()
            .collect()
    };
    for (name, value, error) in [
        ("n", "1,000.5", None),
        ("n", "12a", Some("N: enter a number")),
        ("p", "+351 912 345 678", None),
        ("p", "call me", Some("P: enter a valid phone number")),
        ("c", "1234", None),
        ("c", "12ab", Some("C: enter digits only")),
        ("w", "secret", None),
        (
            "w",
            "Secret1",
            Some("W: does not match the pattern ^[a-z]+$"),
        ),
    ] {
        phone.set(name, value).await.unwrap();
        let found = errors_of(&phone, &name.to_uppercase());
        match error {
            None => assert!(found.is_empty(), "{name}={value}: {found:?}"),
            Some(e) => assert_eq!(found, [e], "{name}={value}"),
        }
        phone.set(name, "").await.unwrap();
    }
    assert_eq!(errors_of(&phone, "K"), ["K: choose at least 2"]);
    phone.set("k", json!(["a"])).await.unwrap();
    assert_eq!(errors_of(&phone, "K"), ["K: choose at least 2"]);
    phone.set("k", json!(["a", "b"])).await.unwrap();
    assert!(errors_of(&phone, "K").is_empty());
    // The phone never offers a disabled option, nor a day outside the picker's range.
    assert!(matches!(
        phone.set("k", json!(["a", "x"])).await,
        Err(WalkError::Action(ActionError::InvalidValue { .. }))
    ));
    assert!(matches!(
        phone.set("d", "2026-01-01").await,
        Err(WalkError::Action(ActionError::InvalidValue { .. }))
    ));
    phone.set("d", "2025-06-01").await.unwrap();
    assert_eq!(errors_of(&phone, "D"), ["D: 2025-06-01 is not available"]);
    phone.set("d", "2025-06-02").await.unwrap();
    phone.tap("Go").await.unwrap();
    assert!(matches!(phone.state(), FlowState::Completed { .. }));
}

#[tokio::test]
async fn expressions_if_switch_and_visible_follow_the_form() {
    let f = flow(json!({
        "version": "7.2",
        "screens": [{"id": "ONE", "title": "One", "terminal": true, "layout": layout(json!([
            {"type": "TextInput", "name": "age", "label": "Age", "input-type": "number"},
            {"type": "RadioButtonsGroup", "name": "kind", "label": "Kind",
             "data-source": [{"id": "car", "title": "Car"}, {"id": "home", "title": "Home"}]},
            {"type": "If", "condition": "${form.age} > 17", "then": [
                {"type": "OptIn", "name": "adult_terms", "label": "I am an adult", "required": true}
             ], "else": [
                {"type": "TextBody", "text": "Ask a parent"}
             ]},
            {"type": "Switch", "value": "${form.kind}", "cases": {
                "car": [{"type": "TextInput", "name": "plate", "label": "Plate", "required": true}],
                "home": [{"type": "TextInput", "name": "address", "label": "Address"}]
            }},
            {"type": "TextInput", "name": "nickname", "label": "Nickname", "visible": "`${form.age} >= 65`"},
            {"type": "Footer", "label": "`'Pay ' ${form.age} * 2`", "on-click-action": {"name": "complete",
                "payload": {"double": "`${form.age} * 2`", "kind": "${form.kind}"}}}
        ]))}]
    }));
    let mut phone = Simulator::open(
        f,
        transport(Router::new()),
        Open::navigate("t", None, Map::new()),
    )
    .await
    .unwrap();
    let view = phone.screen();
    assert_eq!(view.is_visible("adult_terms"), None); // the else branch is rendered
    assert_eq!(view.is_visible("nickname"), Some(false));
    phone.set("age", "30").await.unwrap();
    assert_eq!(phone.screen().is_visible("adult_terms"), Some(true));
    assert!(matches!(
        phone.set("nickname", "Old").await,
        Err(WalkError::Action(ActionError::Hidden { .. }))
    ));
    phone.set("kind", "car").await.unwrap();
    assert_eq!(phone.screen().is_visible("plate"), Some(true));
    assert_eq!(phone.screen().is_visible("address"), None);
    // A nested expression in the Footer's label: the label shown is what is tapped.
    assert!(matches!(
        phone.tap("Pay 60").await,
        Err(WalkError::Action(ActionError::FooterDisabled { ref reasons, .. }))
            if reasons == &["I am an adult: required", "Plate: required"]
    ));
    phone.set("adult_terms", true).await.unwrap();
    phone.set("plate", "AB-12-CD").await.unwrap();
    phone.set("kind", "home").await.unwrap(); // the plate is no longer rendered, nor required
    phone.tap("Pay 60").await.unwrap();
    let params = phone.completion().unwrap();
    assert_eq!(params["double"], 60);
    assert_eq!(params["kind"], "home");
}

#[tokio::test]
async fn navigate_moves_data_and_back_returns_without_a_request() {
    let f = flow(json!({
        "version": "7.2",
        "screens": [
            {"id": "A", "title": "A", "layout": layout(json!([
                {"type": "TextInput", "name": "city", "label": "City"},
                {"type": "EmbeddedLink", "text": "Help", "on-click-action": {"name": "open_url", "url": "https://example.com/help"}},
                {"type": "Footer", "label": "Next", "on-click-action": {"name": "navigate",
                    "next": {"type": "screen", "name": "B"}, "payload": {"city": "${form.city}"}}}
            ]))},
            {"id": "B", "title": "B", "terminal": true, "data": {"city": {"type": "string", "__example__": "Porto"}},
             "layout": layout(json!([
                {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete", "payload": {"city": "${data.city}"}}}
             ]))}
        ]
    }));
    let mut phone = Simulator::open(
        f,
        transport(Router::new()),
        Open::navigate("t", None, Map::new()),
    )
    .await
    .unwrap();
    phone.tap("Help").await.unwrap();
    assert_eq!(phone.opened_urls(), ["https://example.com/help"]);
    phone.set("city", "Lisbon").await.unwrap();
    phone.tap("Next").await.unwrap();
    assert_eq!(phone.screen().id(), "B");
    assert_eq!(phone.screen().data()["city"], "Lisbon");
    phone.back().await.unwrap();
    assert_eq!(phone.screen().id(), "A");
    assert_eq!(phone.screen().form()["city"], "Lisbon"); // input survives navigation
    assert!(phone.transcript().is_empty()); // no endpoint involved at all
    phone.back().await.unwrap();
    assert_eq!(phone.state(), &FlowState::Dismissed);
}

#[tokio::test]
async fn navigate_open_uses_the_given_screen_and_payload_checked_against_its_data() {
    let f = form_flow();
    let payload = Map::from_iter([("greeting".to_owned(), json!("Olá"))]);
    let phone = Simulator::open(
        f.clone(),
        transport(form_router()),
        Open::navigate("t", Some("FORM"), payload),
    )
    .await
    .unwrap();
    assert_eq!(phone.screen().data()["greeting"], "Olá");
    // DONE has an incoming edge: it cannot be the first screen.
    let err = Simulator::open(
        f.clone(),
        transport(form_router()),
        Open::navigate("t", Some("DONE"), Map::new()),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, WalkError::Flow(_)), "{err}");
    let bad = Map::from_iter([("greeting".to_owned(), json!(3))]);
    let err = Simulator::open(
        f,
        transport(form_router()),
        Open::navigate("t", Some("FORM"), bad),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("payload-schema-error"), "{err}");
}

#[tokio::test]
async fn a_prepared_flow_is_checked_once_and_walks_like_the_flow_itself() {
    let empty = flow(json!({"version": "7.2", "screens": []}));
    let err = PreparedFlow::new(empty.clone()).unwrap_err();
    assert!(matches!(err, WalkError::Flow(_)), "{err}");
    // A plain flow is refused the same way where a phone is made from it.
    let err = Simulator::new(empty, transport(form_router())).unwrap_err();
    assert!(matches!(err, WalkError::Flow(_)), "{err}");

    let prepared = PreparedFlow::new(form_flow()).unwrap();
    for token in ["t-1", "t-2"] {
        let phone = Simulator::open(
            prepared.clone(),
            transport(form_router()),
            Open::data_exchange(token),
        )
        .await
        .unwrap();
        assert_eq!(phone.screen().id(), "FORM");
        assert_eq!(phone.flow_token(), token);
    }
}

#[tokio::test]
async fn update_data_and_on_select_actions_fire_as_the_phone_fires_them() {
    let f = flow(json!({
        "version": "7.2", "data_api_version": "3.0",
        "routing_model": {"PICK": []},
        "screens": [{"id": "PICK", "title": "Pick", "terminal": true,
            "data": {
                "cities": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}, "__example__": []},
                "show_extra": {"type": "boolean", "__example__": false},
                "picked": {"type": "string", "__example__": ""}
            },
            "layout": layout(json!([
                {"type": "CheckboxGroup", "name": "extras", "label": "Extras",
                 "data-source": [
                    {"id": "wifi", "title": "Wi-Fi",
                     "on-select-action": {"name": "update_data", "payload": {"show_extra": true}},
                     "on-unselect-action": {"name": "update_data", "payload": {"show_extra": false}}},
                    {"id": "tv", "title": "TV"}
                 ]},
                {"type": "TextInput", "name": "ssid", "label": "Network", "visible": "${data.show_extra}"},
                {"type": "Dropdown", "name": "country", "label": "Country",
                 "data-source": [{"id": "pt", "title": "Portugal"}, {"id": "es", "title": "Spain"}],
                 "on-select-action": {"name": "data_exchange", "payload": {"country": "${form.country}"}}},
                {"type": "Dropdown", "name": "city", "label": "City", "data-source": "${data.cities}",
                 "on-select-action": {"name": "update_data", "payload": {"picked": "${form.city}"}}},
                {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete"}}
            ]))}]
    }));
    screen!(Pick, "PICK", |data| {
        let cities = match data["country"].as_str() {
            Some("pt") => {
                json!([{"id": "lis", "title": "Lisbon"}, {"id": "opo", "title": "Porto"}])
            }
            _ => json!([{"id": "mad", "title": "Madrid"}]),
        };
        Ok(FlowResponse::next_screen("PICK").with("cities", cities))
    });
    let router = Router::new()
        .on_init(|_cx: Context<()>| async {
            Ok(FlowResponse::next_screen("PICK")
                .with("cities", json!([]))
                .with("show_extra", false))
        })
        .screen(Pick);
    let mut phone = Simulator::open(f, transport(router), Open::data_exchange("t"))
        .await
        .unwrap();
    assert_eq!(phone.screen().is_visible("ssid"), Some(false));
    phone.set("extras", json!(["tv", "wifi"])).await.unwrap();
    assert_eq!(phone.screen().data()["show_extra"], true);
    assert_eq!(phone.screen().is_visible("ssid"), Some(true));
    phone.set("extras", json!(["tv"])).await.unwrap();
    assert_eq!(phone.screen().data()["show_extra"], false);
    assert_eq!(phone.transcript().len(), 1, "update_data needs no network");
    // A city not offered yet cannot be chosen; choosing the country asks the endpoint for them.
    assert!(phone.set("city", "lis").await.is_err());
    phone.set("country", "pt").await.unwrap();
    let last = phone.transcript().last().unwrap();
    assert_eq!(last.request["data"], json!({"country": "pt"}));
    phone.set("city", "lis").await.unwrap();
    assert_eq!(phone.screen().data()["picked"], "lis");
}

#[tokio::test]
async fn back_on_a_refresh_on_back_screen_asks_the_endpoint() {
    let f = flow(json!({
        "version": "7.2", "data_api_version": "3.0",
        "routing_model": {"LIST": ["ITEM"], "ITEM": []},
        "screens": [
            {"id": "LIST", "title": "List", "data": {"count": {"type": "number", "__example__": 1}},
             "layout": layout(json!([
                {"type": "TextBody", "text": "`'Items: ' ${data.count}`"},
                {"type": "Footer", "label": "Open", "on-click-action": {"name": "data_exchange", "payload": {}}}
             ]))},
            {"id": "ITEM", "title": "Item", "terminal": true, "refresh_on_back": true,
             "layout": layout(json!([
                {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete"}}
             ]))}
        ]
    }));
    struct List;
    impl Screen<()> for List {
        const NAME: &'static str = "LIST";
        type Data = Data;
        async fn handle(&self, _cx: Context<()>, _data: Data) -> HandlerResult {
            Ok(FlowResponse::next_screen("ITEM"))
        }
    }
    struct Item;
    impl Screen<()> for Item {
        const NAME: &'static str = "ITEM";
        type Data = Data;
        async fn handle(&self, _cx: Context<()>, _data: Data) -> HandlerResult {
            Err(HandlerError::msg("not used"))
        }
        async fn back(&self, _cx: Context<()>) -> Option<HandlerResult> {
            Some(Ok(FlowResponse::next_screen("LIST").with("count", 2)))
        }
    }
    let router = Router::new()
        .on_init(|_cx: Context<()>| async {
            Ok(FlowResponse::next_screen("LIST").with("count", 1))
        })
        .screen(List)
        .screen(Item);
    let mut phone = Simulator::open(f, transport(router), Open::data_exchange("t"))
        .await
        .unwrap();
    phone.tap("Open").await.unwrap();
    assert_eq!(phone.screen().id(), "ITEM");
    phone.back().await.unwrap();
    let back = phone.transcript().last().unwrap();
    assert_eq!(back.action(), "BACK");
    assert_eq!(back.request["screen"], "ITEM");
    assert_eq!(phone.screen().id(), "LIST");
    assert_eq!(phone.history(), ["LIST"]);
    assert_eq!(
        phone.screen().components()[0].label.as_deref(),
        Some("Items: 2")
    );
    assert_eq!(phone.screen().data()["count"], 2);
}

#[tokio::test]
async fn success_with_params_closes_the_flow_with_them() {
    screen!(Finish, "FORM", |data| {
        Ok(FlowResponse::complete(
            Some("t-9"),
            json!({"name": data["name"]}),
        ))
    });
    let router = Router::new()
        .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("FORM")) })
        .screen(Finish);
    let mut phone = Simulator::open(form_flow(), transport(router), Open::data_exchange("t-9"))
        .await
        .unwrap();
    phone.set("name", "Ana").await.unwrap();
    phone.tap("Send").await.unwrap();
    assert_eq!(
        phone.state(),
        &FlowState::Completed {
            params: Some(Map::from_iter([
                ("flow_token".into(), json!("t-9")),
                ("name".into(), json!("Ana"))
            ])),
            by: CompletedBy::Endpoint
        }
    );
    assert_eq!(phone.screen().id(), "FORM"); // the last screen stays behind the closed sheet
}

#[tokio::test]
async fn a_reply_breaking_the_contract_fails_the_walk_and_notifies_the_endpoint() {
    screen!(Broken, "FORM", |_data| {
        Ok(FlowResponse::next_screen("DONE").with("who", 42))
    });
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let router = Router::new()
        .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("FORM")) })
        .screen(Broken)
        .on_error_notification(move |n, token| {
            log.lock().unwrap().push((
                n.error_key.clone(),
                n.error_message.clone(),
                token.map(str::to_owned),
            ));
        });
    let mut phone = Simulator::open(form_flow(), transport(router), Open::data_exchange("t-c"))
        .await
        .unwrap();
    phone.set("name", "Ana").await.unwrap();
    let err = phone.tap("Send").await.unwrap_err();
    let WalkError::Contract { violations } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(violations[0].path, "data.who");
    assert!(matches!(phone.state(), FlowState::Failed { .. }));
    let notification = phone.transcript().last().unwrap();
    assert_eq!(notification.kind, ExchangeKind::ErrorNotification);
    assert_eq!(notification.request["action"], "data_exchange");
    assert_eq!(notification.request["screen"], "FORM");
    assert_eq!(
        notification.request["data"]["error"],
        "payload-schema-error"
    );
    assert_eq!(
        notification.reply,
        Some(json!({"data": {"acknowledged": true}}))
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "payload-schema-error");
    assert!(seen[0].1.as_deref().unwrap().contains("data.who"));
    assert_eq!(seen[0].2.as_deref(), Some("t-c"));
}

#[tokio::test]
async fn an_init_reply_to_a_screen_with_incoming_edges_is_an_invalid_transition() {
    let router = Router::new().on_init(|_cx: Context<()>| async {
        Ok(FlowResponse::next_screen("DONE").with("who", "x"))
    });
    let err = Simulator::open(form_flow(), transport(router), Open::data_exchange("t"))
        .await
        .unwrap_err();
    let WalkError::Contract { violations } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(violations[0].client_error(), "invalid-screen-transition");
}

#[tokio::test]
async fn http_427_disables_the_flow_with_the_endpoint_message() {
    let sample = Flow::from_json(sample_flow::FLOW_JSON).unwrap();
    let endpoint = Endpoint::builder(KeySet::new(key()), sample_flow::flow()).build();
    let t = InProcess::new(endpoint, key().public_key().clone());
    let mut phone = Simulator::new(sample, t).unwrap();
    let err = phone
        .start(Open::data_exchange("an-expired-token"))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        WalkError::FlowDisabled {
            message: sample_flow::EXPIRED_MESSAGE.to_owned()
        }
    );
    assert_eq!(phone.last_status(), Some(427));
    assert_eq!(
        phone.state(),
        &FlowState::Disabled {
            message: sample_flow::EXPIRED_MESSAGE.to_owned()
        }
    );
}

#[tokio::test]
async fn http_432_when_the_signature_is_wrong_and_200_when_it_is_right() {
    let build = || {
        Endpoint::builder(KeySet::new(key()), form_router().with_state(()))
            .app_secrets(SignatureVerifier::new("the-app-secret"))
            .build()
    };
    let wrong = InProcess::new(build(), key().public_key().clone()).with_app_secret("not-it");
    let mut phone = Simulator::new(form_flow(), wrong).unwrap();
    let err = phone.start(Open::data_exchange("t")).await.unwrap_err();
    assert_eq!(err.status(), Some(432));
    assert!(matches!(phone.state(), FlowState::Failed { .. }));

    let right =
        InProcess::new(build(), key().public_key().clone()).with_app_secret("the-app-secret");
    let phone = Simulator::open(form_flow(), right, Open::data_exchange("t"))
        .await
        .unwrap();
    assert_eq!(phone.screen().id(), "FORM");
}

#[tokio::test]
async fn http_500_on_a_screen_shows_a_snackbar_and_keeps_the_screen() {
    screen!(Fails, "FORM", |_data| Err(HandlerError::msg(
        "database down"
    )));
    let router = Router::new()
        .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("FORM")) })
        .screen(Fails);
    let mut phone = Simulator::open(form_flow(), transport(router), Open::data_exchange("t"))
        .await
        .unwrap();
    phone.set("name", "Ana").await.unwrap();
    let err = phone.tap("Send").await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(phone.screen().id(), "FORM");
    assert_eq!(phone.snackbar(), Some(flows_simulator::GENERIC_ERROR));
    assert_eq!(phone.state(), &FlowState::Open);
    assert_eq!(phone.screen().form()["name"], "Ana");
}

/// An in-process transport that encrypts to the wrong key until the client fetches the key again.
struct StaleKey {
    inner: InProcess,
    refreshed: usize,
}

impl Transport for StaleKey {
    fn public_key(&self) -> &PublicKey {
        self.inner.public_key()
    }
    fn app_secret(&self) -> Option<&[u8]> {
        None
    }
    async fn post(
        &self,
        headers: http::HeaderMap,
        body: Bytes,
    ) -> Result<RawReply, TransportError> {
        self.inner.post(headers, body).await
    }
    async fn refresh_key(&mut self) -> Result<(), TransportError> {
        self.refreshed += 1;
        self.inner.set_public_key(key().public_key().clone());
        Ok(())
    }
}

#[tokio::test]
async fn http_421_fetches_the_key_again_and_retries_once() {
    let mut inner = transport(form_router());
    inner.set_public_key(PublicKey::from_pem(OTHER_PUBLIC).unwrap());
    let phone = Simulator::open(
        form_flow(),
        StaleKey {
            inner,
            refreshed: 0,
        },
        Open::data_exchange("t"),
    )
    .await
    .unwrap();
    assert_eq!(phone.screen().id(), "FORM");
    let kinds: Vec<_> = phone
        .transcript()
        .exchanges()
        .iter()
        .map(|e| (e.kind, e.status))
        .collect();
    assert_eq!(
        kinds,
        [
            (ExchangeKind::Request, Some(421)),
            (ExchangeKind::Retry, Some(200))
        ]
    );

    // With a key that stays wrong, the one retry fails too and the flow shows an error.
    let mut inner = transport(form_router());
    inner.set_public_key(PublicKey::from_pem(OTHER_PUBLIC).unwrap());
    let mut phone = Simulator::new(form_flow(), inner).unwrap();
    let err = phone.start(Open::data_exchange("t")).await.unwrap_err();
    assert_eq!(err.status(), Some(421));
    assert_eq!(phone.transcript().len(), 2);
    assert!(matches!(phone.state(), FlowState::Failed { .. }));
}

#[tokio::test(start_paused = true)]
async fn no_answer_within_ten_seconds_is_a_timeout() {
    let router = Router::new().on_init(|_cx: Context<()>| async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        Ok(FlowResponse::next_screen("FORM"))
    });
    let endpoint = Endpoint::builder(KeySet::new(key()), router.with_state(()))
        .handler_timeout(Duration::from_secs(120))
        .build();
    let t = InProcess::new(endpoint, key().public_key().clone());
    let mut phone = Simulator::new(form_flow(), t).unwrap();
    let err = phone.start(Open::data_exchange("t")).await.unwrap_err();
    assert_eq!(err, WalkError::Timeout(10));
    let exchange = phone.transcript().last().unwrap();
    assert_eq!(exchange.status, None);
    assert!(exchange.latency_ms >= 10_000.0);
}

#[tokio::test]
async fn init_values_and_error_messages_from_the_reply_are_applied() {
    let f = flow(json!({
        "version": "7.2", "data_api_version": "3.0",
        "routing_model": {"EDIT": []},
        "screens": [{"id": "EDIT", "title": "Edit", "terminal": true,
            "data": {"init": {"type": "object", "__example__": {}}, "errors": {"type": "object", "__example__": {}}},
            "layout": layout(json!([
                {"type": "Form", "name": "f", "init-values": "${data.init}", "error-messages": "${data.errors}", "children": [
                    {"type": "TextInput", "name": "age", "label": "Age"},
                    {"type": "Footer", "label": "Save", "on-click-action": {"name": "complete", "payload": {"age": "${form.age}"}}}
                ]}
            ]))}]
    }));
    let router = Router::new().on_init(|_cx: Context<()>| async {
        Ok(FlowResponse::next_screen("EDIT")
            .with("init", json!({"age": 17}))
            .with("errors", json!({"age": "Must be 18 or older"})))
    });
    let mut phone = Simulator::open(f, transport(router), Open::data_exchange("t"))
        .await
        .unwrap();
    assert_eq!(phone.screen().form()["age"], "17"); // numbers are stringified, as the client does
    assert!(matches!(
        phone.tap("Save").await,
        Err(WalkError::Action(ActionError::FooterDisabled { ref reasons, .. }))
            if reasons == &["Age: Must be 18 or older (set by the endpoint)"]
    ));
    phone.set("age", "18").await.unwrap(); // editing clears the server error
    phone.tap("Save").await.unwrap();
    assert_eq!(phone.completion().unwrap()["age"], "18");
}

#[tokio::test]
async fn the_sample_flow_walks_to_completion_in_process() {
    let sample = Flow::from_json(sample_flow::FLOW_JSON).unwrap();
    let endpoint = Endpoint::builder(KeySet::new(key()), sample_flow::flow()).build();
    let t = InProcess::new(endpoint, key().public_key().clone());
    let mut phone = Simulator::open(sample, t, Open::data_exchange("sample-token"))
        .await
        .unwrap();
    assert_eq!(phone.screen().id(), "APPOINTMENT");
    assert!(matches!(
        phone.set("location", "1").await,
        Err(WalkError::Action(ActionError::Disabled { .. }))
    ));
    phone.set("department", "beauty").await.unwrap();
    assert_eq!(phone.screen().data()["is_location_enabled"], true);
    // Meta's sample narrows every list to its first three entries on refresh: `beauty` is gone,
    // and the phone holds the Footer until a department that is offered is chosen.
    assert!(
        phone.screen().validation_errors()[0].contains("`beauty` is no longer one of the options")
    );
    phone.set("department", "shopping").await.unwrap();
    phone.set("location", "1").await.unwrap();
    phone.set("date", "2024-01-01").await.unwrap();
    // 11:00 is shown but not selectable in Meta's sample data.
    assert!(phone.set("time", "11:00").await.is_err());
    phone.set("time", "11:30").await.unwrap();
    phone.tap("Continue").await.unwrap();
    assert_eq!(phone.screen().id(), "DETAILS");
    assert_eq!(phone.screen().data()["time"], "11:30");
    phone.set("name", "John Doe").await.unwrap();
    phone.set("email", "john@example.com").await.unwrap();
    phone.set("phone", "+44 20 7946 0000").await.unwrap();
    phone.tap("Continue").await.unwrap();
    assert_eq!(phone.screen().id(), "SUMMARY");
    assert!(
        phone.screen().data()["appointment"]
            .as_str()
            .unwrap()
            .contains("Shopping")
    );
    assert!(phone.tap("Confirm Appointment").await.is_err()); // the terms are not accepted yet
    phone.tap("I agree to the terms").await.unwrap(); // the OptIn's "Read more"
    assert_eq!(phone.screen().id(), "TERMS");
    phone.back().await.unwrap();
    phone.set("terms", true).await.unwrap();
    phone.tap("Confirm Appointment").await.unwrap();
    let params = phone.completion().expect("completed");
    assert_eq!(params["flow_token"], "sample-token");
    let statuses: Vec<_> = phone
        .transcript()
        .exchanges()
        .iter()
        .map(|e| e.status)
        .collect();
    assert!(statuses.iter().all(|s| *s == Some(200)), "{statuses:?}");
}

#[tokio::test]
async fn data_api_4_requests_carry_a_flow_token_signature_the_endpoint_accepts() {
    let mut json = serde_json::to_value(form_flow()).unwrap();
    json["version"] = json!("7.3");
    json["data_api_version"] = json!("4.0");
    let endpoint = Endpoint::builder(KeySet::new(key()), form_router().with_state(()))
        .app_secrets(SignatureVerifier::new("the-app-secret"))
        .verify_flow_token_signature(SignatureVerifier::new("the-app-secret"))
        .build();
    let t = InProcess::new(endpoint, key().public_key().clone()).with_app_secret("the-app-secret");
    let phone = Simulator::open(flow(json), t, Open::data_exchange("t-4"))
        .await
        .unwrap();
    assert_eq!(phone.screen().id(), "FORM");
    let init = &phone.transcript().exchanges()[0];
    assert_eq!(init.request["version"], "4.0");
    let jwt = init.request["flow_token_signature"].as_str().unwrap();
    let claims = SignatureVerifier::new("the-app-secret")
        .verify_jwt_hs256(jwt)
        .unwrap();
    assert_eq!(claims["flow_token"], "t-4");
    assert!(
        SignatureVerifier::new("another")
            .verify_jwt_hs256(jwt)
            .is_err()
    );
}

/// Answers the second request (the first after INIT) with a 200 whose body is no encrypted reply.
struct GarbledSecond {
    inner: InProcess,
    posts: std::sync::atomic::AtomicUsize,
}

impl Transport for GarbledSecond {
    fn public_key(&self) -> &PublicKey {
        self.inner.public_key()
    }
    fn app_secret(&self) -> Option<&[u8]> {
        None
    }
    async fn post(
        &self,
        headers: http::HeaderMap,
        body: Bytes,
    ) -> Result<RawReply, TransportError> {
        let reply = self.inner.post(headers, body).await?;
        let n = self.posts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n == 1 {
            return Ok(RawReply {
                status: 200,
                body: Bytes::from_static(b"bm90IGEgcmVwbHk="),
            });
        }
        Ok(reply)
    }
}

#[tokio::test]
async fn an_undecryptable_reply_is_an_error_and_the_endpoint_is_told() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let router = form_router()
        .on_error_notification(move |n, _| log.lock().unwrap().push(n.error_key.clone()));
    let t = GarbledSecond {
        inner: transport(router),
        posts: 0.into(),
    };
    let mut phone = Simulator::open(form_flow(), t, Open::data_exchange("t"))
        .await
        .unwrap();
    phone.set("name", "Ana").await.unwrap();
    let err = phone.tap("Send").await.unwrap_err();
    assert!(matches!(err, WalkError::InvalidReply(_)), "{err:?}");
    assert!(matches!(phone.state(), FlowState::Failed { .. })); // an error screen, not a snackbar
    let notification = phone.transcript().last().unwrap();
    assert_eq!(notification.kind, ExchangeKind::ErrorNotification);
    assert_eq!(
        notification.request["data"]["error"],
        "response-decryption-error"
    );
    assert_eq!(
        notification.reply,
        Some(json!({"data": {"acknowledged": true}}))
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["response-decryption-error"]
    );
}

#[tokio::test]
async fn a_navigation_list_item_is_tapped_by_its_title() {
    let f = flow(json!({
        "version": "7.2",
        "screens": [
            {"id": "MENU", "title": "Menu", "layout": layout(json!([
                {"type": "NavigationList", "name": "menu", "list-items": [
                    {"id": "a", "main-content": {"title": "Opening hours"},
                     "on-click-action": {"name": "navigate", "next": {"type": "screen", "name": "HOURS"}, "payload": {"from": "menu"}}},
                    {"id": "b", "main-content": {"title": "Prices"},
                     "on-click-action": {"name": "navigate", "next": {"type": "screen", "name": "PRICES"}, "payload": {}}}
                ]}
            ]))},
            {"id": "HOURS", "title": "Hours", "terminal": true, "data": {"from": {"type": "string", "__example__": "x"}},
             "layout": layout(json!([{"type": "Footer", "label": "OK", "on-click-action": {"name": "complete"}}]))},
            {"id": "PRICES", "title": "Prices", "terminal": true, "data": {},
             "layout": layout(json!([{"type": "Footer", "label": "OK", "on-click-action": {"name": "complete"}}]))}
        ]
    }));
    let mut phone = Simulator::open(
        f,
        transport(Router::new()),
        Open::navigate("t", None, Map::new()),
    )
    .await
    .unwrap();
    let err = phone.tap("Contact").await.unwrap_err();
    assert!(
        err.to_string().contains("tappable: Opening hours, Prices"),
        "{err}"
    );
    phone.tap("Opening hours").await.unwrap();
    assert_eq!(phone.screen().id(), "HOURS");
    assert_eq!(phone.screen().data()["from"], "menu");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_can_walk_on_a_spawned_task() {
    // Business tests drive several phones at once: the futures must be Send.
    let walks: Vec<_> = (0..3)
        .map(|i| {
            tokio::spawn(async move {
                let mut phone = Simulator::open(
                    form_flow(),
                    transport(form_router()),
                    Open::data_exchange(format!("t-{i}")),
                )
                .await?;
                phone.set("name", format!("User{i}")).await?;
                phone.tap("Send").await?;
                Ok::<_, WalkError>(phone.screen().data()["who"].clone())
            })
        })
        .collect();
    for (i, walk) in walks.into_iter().enumerate() {
        assert_eq!(walk.await.unwrap().unwrap(), json!(format!("User{i}")));
    }
}

#[tokio::test]
async fn backticks_are_text_before_flow_json_6() {
    let screens = json!([{"id": "ONE", "title": "One", "terminal": true, "layout": layout(json!([
        {"type": "Footer", "label": "`'Pay ' 2 * 3`", "on-click-action": {"name": "complete"}}
    ]))}]);
    for (version, label) in [("5.1", "`'Pay ' 2 * 3`"), ("6.0", "Pay 6")] {
        let f = flow(json!({"version": version, "screens": screens}));
        let mut phone = Simulator::open(
            f,
            transport(Router::new()),
            Open::navigate("t", None, Map::new()),
        )
        .await
        .unwrap();
        phone.tap(label).await.unwrap();
        assert!(
            matches!(phone.state(), FlowState::Completed { .. }),
            "{version}"
        );
    }
}
