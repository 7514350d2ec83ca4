//! Two instances on one database, each with its own store and caches, as two processes behind a
//! load balancer: a flow token used for a booking on one is refused with HTTP 427 by the one that
//! booked at once, and by the other as soon as PostgreSQL's notification of the use has reached it
//! (SQLite: at once; see `store::tokens`).
#![allow(clippy::unwrap_used, clippy::panic)] // test helpers

mod common;

use std::time::Duration;

use flows_appointments::store::Store;
use flows_appointments::{App, flow};
use flows_router::{Action, FlowRequest};
use serde_json::{Value, json};

fn request(action: Action, screen: Option<&str>, data: Value, token: &str) -> FlowRequest {
    let mut request = FlowRequest::new(action);
    request.screen = screen.map(str::to_owned);
    request.data = data.as_object().cloned().unwrap_or_default();
    request.flow_token = Some(token.to_owned());
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_used_on_one_instance_gets_427_on_both_at_once() {
    for db in common::databases().await {
        let name = db.name();
        let store_a = Store::open(&db.options()).await.unwrap();
        store_a.add(&common::test_data()).await.unwrap();
        let store_b = Store::open(&db.options()).await.unwrap();
        let node_a = flow(App::new(store_a.clone(), false));
        let node_b = flow(App::new(store_b.clone(), false));
        let (token, _) = store_a.issue_token(Duration::from_secs(600)).await.unwrap();

        // Both instances have just found the token valid: a verdict cache would now hold it.
        for node in [&node_a, &node_b] {
            let reply = node
                .answer(request(Action::Init, None, json!({}), &token))
                .await;
            assert!(reply.is_ok(), "{name}: {reply:?}");
        }

        let summary = json!({
            "department": "cardio", "location": "lisbon", "date": common::test_day(),
            "time": "09:00", "seat": "A1", "name": "Ana", "email": "ana@example.com",
            "phone": "+351 912 345 678", "more_details": "",
        });
        let booked = node_a
            .answer(request(
                Action::DataExchange,
                Some("SUMMARY"),
                summary,
                &token,
            ))
            .await;
        assert!(booked.is_ok(), "{name}: {booked:?}");
        let record = store_a.token_record(&token).await.unwrap().unwrap();
        assert!(record.1.is_some(), "{name}: the booking used the token");

        // The instance that booked refuses the token at once.
        let init = || request(Action::Init, None, json!({}), &token);
        match node_a.answer(init()).await {
            Err((427, message)) => assert!(message.contains("already complete"), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        // The other one on SQLite at once too (it reads the token every time); on PostgreSQL as
        // soon as PostgreSQL's notification of the use has reached it (sent at commit). In-process
        // there is no network between the booking's reply and the next request, so wait for it here;
        // over HTTP (tests/scale_out.rs) the next request is refused at once.
        let mut waited = 0;
        loop {
            match node_b.answer(init()).await {
                Err((427, message)) => {
                    assert!(message.contains("already complete"), "{name}");
                    break;
                }
                Ok(_) if name == "postgres" && waited < 100 => {
                    waited += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                other => panic!("{name}: after {waited} tries: {other:?}"),
            }
        }
        store_a.close().await;
        store_b.close().await;
    }
}
