//! The sample flow's router (`flows-sample-flow` on `flows-router`) fed arbitrary decrypted requests.
//!
//! Layout: byte 0 selects the mode, the rest is the input.
//! - even: the rest is parsed as the decrypted JSON (`FlowRequest`); inputs that do not parse are skipped;
//! - odd: the rest drives a generator that builds a request from the flow's own actions, screens,
//!   data keys and option ids, so the fuzzer reaches every handler without a seed corpus.
//!
//! Properties: no panic; every reply serializes and fits the sample's Flow JSON (the contract check);
//! a 427 only for a flow token containing "expired"; otherwise only 500s (logged handler failures).
#![no_main]

use std::sync::OnceLock;

use flows_router::contract::FlowContract;
use flows_router::{Flow, FlowRequest};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

const ACTIONS: [&str; 6] = ["ping", "INIT", "BACK", "data_exchange", "navigate", ""];
const SCREENS: [&str; 6] = [
    "APPOINTMENT",
    "DETAILS",
    "SUMMARY",
    "TERMS",
    "SUCCESS",
    "NOWHERE",
];
const KEYS: [&str; 12] = [
    "trigger",
    "department",
    "location",
    "date",
    "time",
    "name",
    "email",
    "phone",
    "more_details",
    "error",
    "error_key",
    "error_message",
];
const IDS: [&str; 10] = [
    "beauty",
    "shopping",
    "1",
    "4",
    "2024-01-01",
    "2024-01-03",
    "11:30",
    "12:00",
    "",
    "department_selected",
];

struct Fixture {
    runtime: tokio::runtime::Runtime,
    flow: Flow,
    contract: FlowContract,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| Fixture {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime"),
        flow: sample_flow::flow(),
        contract: FlowContract::from_json(sample_flow::FLOW_JSON).expect("sample Flow JSON"),
    })
}

/// Builds a request from the input: each byte picks among the flow's own names and values.
fn generated(input: &[u8]) -> Option<FlowRequest> {
    let mut bytes = input.iter().copied();
    let mut next = || bytes.next().unwrap_or(0) as usize;
    let mut request = Map::new();
    request.insert("version".into(), json!("3.0"));
    request.insert("action".into(), json!(ACTIONS[next() % ACTIONS.len()]));
    let screen = next();
    if screen % 7 != 6 {
        request.insert("screen".into(), json!(SCREENS[screen % SCREENS.len()]));
    }
    let mut data = Map::new();
    for key in KEYS {
        let choice = next();
        let value = match choice % 5 {
            0 => continue,
            1 | 2 => json!(IDS[(choice / 5) % IDS.len()]),
            3 => json!(format!("text-{choice}")),
            _ => [
                json!(null),
                json!(true),
                json!(choice),
                json!([]),
                json!({}),
            ][(choice / 5) % 5]
                .clone(),
        };
        data.insert(key.to_owned(), value);
    }
    request.insert("data".into(), Value::Object(data));
    match next() % 4 {
        0 => {}
        1 => {
            request.insert("flow_token".into(), json!("expired-token"));
        }
        _ => {
            request.insert("flow_token".into(), json!("token-1"));
        }
    }
    serde_json::from_value(Value::Object(request)).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let request = if mode % 2 == 0 {
        match serde_json::from_slice::<FlowRequest>(rest) {
            Ok(request) => request,
            Err(_) => return,
        }
    } else {
        match generated(rest) {
            Some(request) => request,
            None => return,
        }
    };
    let fixture = fixture();
    match fixture
        .runtime
        .block_on(fixture.flow.answer(request.clone()))
    {
        Ok(reply) => {
            serde_json::to_string(&reply).expect("reply serializes");
            let violations = fixture.contract.check(&request, &reply);
            assert!(
                violations.is_empty(),
                "reply breaks the Flow JSON: {violations:?}"
            );
        }
        Err((427, _)) => assert!(
            request
                .flow_token
                .as_deref()
                .is_some_and(|t| t.contains("expired")),
            "427 for a valid token"
        ),
        Err((status, _)) => assert_eq!(status, 500),
    }
});
