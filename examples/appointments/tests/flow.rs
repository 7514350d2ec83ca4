//! The booking flow walked on simulated phones (flows-simulator, in-process endpoint with the
//! contract check on), on SQLite and PostgreSQL: a scripted walk with every reply checked, round
//! trips counted, seeded random walks, invalid input, flow tokens, BACK, a seat taken meanwhile.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)] // test helpers

mod common;

use std::time::Duration;

use common::{
    Db, Phone, Walked, assert_raw_contract, contract, databases, in_process, new_phone, open_store,
    random_walk, raw_request, send_raw, server, test_day, walk_seed, walk_to_summary,
};
use flows_router::{Action, FlowRequest};
use flows_simulator::{CompletedBy, ExchangeKind, FlowState, Open};
use serde_json::{Value, json};

const LIMIT: Duration = Duration::from_secs(120);

async fn for_each_db<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    for db in databases().await {
        let name = db.name();
        eprintln!("--- {name}");
        tokio::time::timeout(LIMIT, test(db))
            .await
            .unwrap_or_else(|_| panic!("{name}: timed out"));
    }
}

fn titles(data: &Value, key: &str) -> Vec<String> {
    data[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Ids of a list in a screen's data (`[{id, title, enabled?}]`), without the disabled options.
fn ids(data: &Value, key: &str) -> Vec<String> {
    data[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|item| item.get("enabled") != Some(&Value::Bool(false)))
                .filter_map(|item| item["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The phone's view of the screen data as JSON, for the list helpers.
fn data_of(phone: &Phone) -> Value {
    Value::Object(phone.screen().data().clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_walk_fits_the_contract_in_two_round_trips_per_request() {
    for_each_db(|db| async move {
        let server = server(open_store(&db).await, false).await;
        let (token, _) = server
            .store
            .issue_token(Duration::from_secs(600))
            .await
            .unwrap();
        let store = server.store.clone();
        let mut phone = new_phone(&server);
        // Every user action that reaches the endpoint costs at most two database round trips per
        // request; the phone itself checks every reply against flow.json (and would fail the step).
        macro_rules! step {
            ($what:expr) => {{
                let (before, sent) = (store.query_count(), phone.transcript().len());
                $what.await.unwrap();
                let requests = phone.transcript().len() - sent;
                let queries = store.query_count() - before;
                assert!(
                    queries <= 2 * requests as u64,
                    "{}: {queries} database round trips for {requests} requests",
                    stringify!($what)
                );
            }};
        }
        let day = test_day();

        step!(phone.start(Open::data_exchange(token.clone())));
        assert_eq!(phone.screen().id(), "APPOINTMENT");
        let data = data_of(&phone);
        assert_eq!(titles(&data, "department"), ["Cardiology", "Dermatology"]);
        for list in ["location", "date", "time"] {
            assert_eq!(data[list], json!([]), "{list}");
        }
        for flag in ["is_location_enabled", "is_date_enabled", "is_time_enabled"] {
            assert_eq!(data[flag], json!(false), "{flag}");
        }
        // The phone greys out the pickers the endpoint has not enabled yet.
        assert!(phone.set("location", "lisbon").await.is_err());

        step!(phone.set("department", "cardio"));
        let request = &phone.transcript().last().unwrap().request;
        assert_eq!(
            request["data"],
            json!({"trigger": "department_selected", "department": "cardio"})
        );
        let data = data_of(&phone);
        assert_eq!(
            data["location"],
            json!([{"id": "lisbon", "title": "Lisbon Centre"}])
        );
        assert_eq!(data["is_location_enabled"], json!(true));
        assert_eq!(data["is_date_enabled"], json!(false));

        step!(phone.set("location", "lisbon"));
        let data = data_of(&phone);
        assert_eq!(ids(&data, "date"), std::slice::from_ref(&day));
        assert_eq!(data["is_date_enabled"], json!(true));
        assert_eq!(data["is_time_enabled"], json!(false));

        step!(phone.set("date", day.as_str()));
        let data = data_of(&phone);
        assert_eq!(data["is_time_enabled"], json!(true));
        // 11:00 has no free seat: listed, disabled, and the phone will not choose it.
        assert_eq!(
            data["time"],
            json!([
                {"id": "09:00", "title": "09:00"},
                {"id": "10:00", "title": "10:00"},
                {"id": "11:00", "title": "11:00 (full)", "enabled": false},
            ])
        );
        assert!(phone.set("time", "11:00").await.is_err());
        step!(phone.set("time", "09:00"));

        let choice =
            json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00"});
        step!(phone.tap("Choose a seat"));
        assert_eq!(phone.screen().id(), "SEATS");
        let seats = data_of(&phone);
        assert_eq!(ids(&seats, "seats"), ["A1", "A2", "A3"]);
        let slot = seats["slot"].as_str().unwrap();
        assert!(
            slot.starts_with("Cardiology, Lisbon Centre, ") && slot.ends_with(" at 09:00"),
            "{slot}"
        );
        for key in ["department", "location", "date", "time"] {
            assert_eq!(seats[key], choice[key], "{key}");
        }

        step!(phone.set("seat", "A2"));
        step!(phone.tap("Continue"));
        assert_eq!(phone.screen().id(), "DETAILS");
        assert_eq!(phone.screen().data()["seat"], json!("A2"));
        assert_eq!(phone.screen().data()["time"], json!("09:00"));

        let mut data = choice.clone();
        data["seat"] = json!("A2");
        data["name"] = json!("Ana Silva");
        data["email"] = json!("ana@example.com");
        data["phone"] = json!("+351 912 345 678");
        data["more_details"] = json!("Wheelchair access, please");
        for key in ["name", "email", "phone", "more_details"] {
            step!(phone.set(key, data[key].clone()));
        }
        step!(phone.tap("Review"));
        assert_eq!(phone.screen().id(), "SUMMARY");
        let summary = data_of(&phone);
        let appointment = summary["appointment"].as_str().unwrap();
        assert!(
            appointment.starts_with("Cardiology at Lisbon Centre\n"),
            "{appointment}"
        );
        assert!(appointment.ends_with("at 09:00, seat A2"), "{appointment}");
        let details = summary["details"].as_str().unwrap();
        assert!(
            details.contains("Email: ana@example.com") && details.contains("Wheelchair"),
            "{details}"
        );
        for key in [
            "department",
            "location",
            "date",
            "time",
            "seat",
            "name",
            "email",
            "phone",
            "more_details",
        ] {
            assert_eq!(summary[key], data[key], "{key}");
        }

        step!(phone.tap("Book"));
        let FlowState::Completed {
            params: Some(params),
            by: CompletedBy::Endpoint,
        } = phone.state()
        else {
            panic!("not completed by the endpoint: {:?}", phone.state());
        };
        assert_eq!(params["flow_token"], json!(token));
        let booking_id = params["booking_id"].as_str().unwrap().to_owned();
        assert!(booking_id.starts_with("BK-"));
        assert!(
            phone
                .transcript()
                .exchanges()
                .iter()
                .all(|e| e.kind == ExchangeKind::Request && e.status == Some(200)),
            "every request answered 200, no error notification sent"
        );

        // The token is used, in the same statement as the booking.
        let record = server.store.token_record(&token).await.unwrap().unwrap();
        assert!(record.0.is_some());
        assert_eq!(record.1.as_deref(), Some(booking_id.as_str()));

        // The seat is gone for everyone else.
        let (other, _) = server
            .store
            .issue_token(Duration::from_secs(600))
            .await
            .unwrap();
        let mut second = new_phone(&server);
        second.start(Open::data_exchange(other)).await.unwrap();
        for (name, value) in [
            ("department", "cardio"),
            ("location", "lisbon"),
            ("date", day.as_str()),
            ("time", "09:00"),
        ] {
            second.set(name, value).await.unwrap();
        }
        second.tap("Choose a seat").await.unwrap();
        assert_eq!(ids(&data_of(&second), "seats"), ["A1", "A3"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_walks_book_and_fit_the_contract() {
    let seed = walk_seed();
    for_each_db(move |db| async move {
        let server = server(open_store(&db).await, false).await;
        // Five free seats in the test data: five users each find one, whatever they pick first
        // (the last one has a single seat left to find); a sixth is offered nothing bookable.
        for n in 0..6 {
            let (token, _) = server
                .store
                .issue_token(Duration::from_secs(600))
                .await
                .unwrap();
            let walk = random_walk(|| new_phone(&server), &token, seed.wrapping_add(n)).await;
            if n < 5 {
                assert!(
                    matches!(walk.outcome, Walked::Booked(_)),
                    "seed {}: {:?}",
                    walk.seed,
                    walk.outcome
                );
            } else {
                assert_eq!(walk.outcome, Walked::NothingFree, "seed {}", walk.seed);
            }
            walk.assert_contract(&contract());
        }
        assert_eq!(server.store.booking_count().await.unwrap(), 1 + 5);
    })
    .await;
}

/// Data no phone would send (the phone offers only the endpoint's options and checks the
/// fields): raw requests, each answered on its screen with an `error_message`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_input_is_answered_on_the_same_screen() {
    for_each_db(|db| async move {
        let server = server(open_store(&db).await, false).await;
        let (token, _) = server.store.issue_token(Duration::from_secs(600)).await.unwrap();
        let transport = in_process(&server);
        let day = test_day();
        let cases = [
            ("APPOINTMENT", json!({"department": "nope"}), "department"),
            ("APPOINTMENT", json!({"department": 5}), "lists"),
            ("APPOINTMENT", json!({"department": "cardio", "location": "mars"}), "location"),
            ("APPOINTMENT", json!({"department": "cardio", "location": "lisbon", "date": "2001-01-01"}), "date"),
            ("APPOINTMENT", json!({"trigger": "submit", "department": "cardio", "location": "lisbon", "date": day, "time": "03:00"}), "time"),
            ("APPOINTMENT", json!({"trigger": "submit", "department": "cardio", "location": "lisbon", "date": day, "time": "11:00"}), "fully booked"),
            ("APPOINTMENT", json!({"trigger": "submit", "department": "cardio"}), "department, location"),
            ("SEATS", json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00", "seat": "Z9"}), "Z9"),
            ("SEATS", json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00"}), "seat"),
            ("SEATS", json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00", "seat": ["A1"]}), "seat"),
            ("DETAILS", json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00", "seat": "A1",
                "name": "Ana", "email": "ana-at-example.com", "phone": "+351 912 345 678"}), "email"),
            ("DETAILS", json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00", "seat": "A1",
                "name": "Ana", "email": "ana@example.com", "phone": "12"}), "phone"),
            ("DETAILS", json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00", "seat": "A1",
                "name": "", "email": "ana@example.com", "phone": "+351 912 345 678"}), "name"),
            ("SUMMARY", json!({"department": "cardio", "location": "lisbon", "date": day, "time": "09:00", "seat": "A1",
                "name": "Ana", "email": "bad", "phone": "+351 912 345 678"}), "details"),
        ];
        let mut answers = Vec::new();
        for (screen, data, hint) in cases {
            let request = raw_request(Action::DataExchange, Some(screen), data.clone(), Some(&token));
            let answer = send_raw(&transport, request).await;
            assert_eq!(answer.status, 200, "{data}");
            assert_eq!(answer.screen(), Some(screen), "{data}");
            let message = answer.data()["error_message"].as_str().unwrap_or_else(|| panic!("no error_message for {data}"));
            assert!(message.contains(hint), "{data}: {message}");
            answers.push(answer);
        }
        assert_raw_contract(&contract(), &answers);
        assert_eq!(server.store.booking_count().await.unwrap(), 1);
    })
    .await;
}

/// The `error_msg` of a phone's disabled flow (HTTP 427).
fn disabled_message(phone: &Phone) -> String {
    match phone.state() {
        FlowState::Disabled { message } => message.clone(),
        other => panic!("the flow is not disabled: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flow_tokens_are_checked() {
    for_each_db(|db| async move {
        let server = server(open_store(&db).await, false).await;
        let transport = in_process(&server);
        let token = |ttl: u64| {
            let store = server.store.clone();
            async move { store.issue_token(Duration::from_secs(ttl)).await.unwrap().0 }
        };

        // Unknown: the phone shows the endpoint's text on the error screen.
        let mut phone = new_phone(&server);
        let error = phone
            .start(Open::data_exchange("made-up"))
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(427), "{error}");
        let message = disabled_message(&phone);
        assert!(message.contains("link"), "{message}");
        // Missing (iOS clients have been seen to omit it; a simulated phone always sends one).
        let answer = send_raw(&transport, raw_request(Action::Init, None, json!({}), None)).await;
        assert_eq!(answer.status, 427);
        let message = answer.reply.unwrap()["error_msg"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("link"), "{message}");
        // Pings and error notifications need no token.
        assert_eq!(
            send_raw(&transport, FlowRequest::new(Action::Ping))
                .await
                .status,
            200
        );

        // Expired while the user is on the first screen.
        let mut phone = new_phone(&server);
        phone
            .start(Open::data_exchange(token(2).await))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(3100)).await;
        let error = phone.set("department", "cardio").await.unwrap_err();
        assert_eq!(error.status(), Some(427), "{error}");
        let message = disabled_message(&phone);
        assert!(message.contains("expired"), "{message}");

        // Used: a completed booking's token, opened again and its booking request replayed.
        let used = token(600).await;
        let mut phone = new_phone(&server);
        walk_to_summary(&mut phone, used.clone(), &test_day(), "09:00", "A1", "Ana").await;
        phone.tap("Book").await.unwrap();
        assert!(phone.completion().is_some(), "{:?}", phone.state());
        let mut again = new_phone(&server);
        let error = again
            .start(Open::data_exchange(used.clone()))
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(427), "{error}");
        let message = disabled_message(&again);
        assert!(message.contains("already complete"), "{message}");
        let booking = phone
            .transcript()
            .exchanges()
            .iter()
            .rev()
            .find(|e| e.request["screen"] == "SUMMARY")
            .unwrap()
            .request
            .clone();
        let replay: FlowRequest = serde_json::from_value(booking).unwrap();
        let answer = send_raw(&transport, replay).await;
        assert_eq!(answer.status, 427);
        let message = answer.reply.unwrap()["error_msg"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("already complete"), "{message}");
        assert_eq!(server.store.booking_count().await.unwrap(), 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_token_is_accepted_when_the_check_is_off() {
    let seed = walk_seed();
    for_each_db(move |db| async move {
        let server = server(open_store(&db).await, true).await;
        let walk = random_walk(|| new_phone(&server), "demo-token", seed).await;
        assert!(
            matches!(walk.outcome, Walked::Booked(_)),
            "seed {}: {:?}",
            walk.seed,
            walk.outcome
        );
        walk.assert_contract(&contract());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_from_seats_rereads_availability_and_a_taken_seat_returns_to_seats() {
    for_each_db(|db| async move {
        let server = server(open_store(&db).await, false).await;
        let day = test_day();
        let token = || async {
            server
                .store
                .issue_token(Duration::from_secs(600))
                .await
                .unwrap()
                .0
        };

        // Alice and Bob both reach SUMMARY for the one seat of 10:00.
        let mut alice = new_phone(&server);
        walk_to_summary(&mut alice, token().await, &day, "10:00", "S1", "Alice").await;
        let mut bob = new_phone(&server);
        walk_to_summary(&mut bob, token().await, &day, "10:00", "S1", "Bob").await;

        // Bob books S1 first.
        bob.tap("Book").await.unwrap();
        assert!(matches!(
            bob.state(),
            FlowState::Completed {
                by: CompletedBy::Endpoint,
                ..
            }
        ));

        // Alice's booking: back to SEATS with a snackbar and the (now empty) free seats.
        alice.tap("Book").await.unwrap();
        assert_eq!(alice.screen().id(), "SEATS");
        assert!(
            alice.snackbar().unwrap().contains("fully booked"),
            "{:?}",
            alice.snackbar()
        );
        assert_eq!(alice.screen().data()["seats"], json!([]));
        assert!(
            alice.screen().data()["slot"]
                .as_str()
                .unwrap()
                .starts_with("Cardiology, Lisbon Centre")
        );
        // S1 is no longer offered: the phone cannot choose it.
        assert!(alice.set("seat", "S1").await.is_err());

        // Back on SEATS (refresh_on_back): the phone sends BACK; APPOINTMENT comes back with the
        // lists for her choice, 10:00 now disabled.
        alice.back().await.unwrap();
        let back = alice.transcript().last().unwrap();
        assert_eq!(back.request["action"], "BACK");
        assert_eq!(back.request["screen"], "SEATS");
        assert_eq!(alice.screen().id(), "APPOINTMENT");
        let data = data_of(&alice);
        assert_eq!(data["is_time_enabled"], json!(true));
        assert_eq!(ids(&data, "time"), ["09:00"]);
        assert!(
            data["time"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t["id"] == "10:00" && t["enabled"] == false)
        );
        assert!(alice.set("time", "10:00").await.is_err());

        // BACK with no remembered choice: the first screen, fresh.
        let (fresh, _) = server
            .store
            .issue_token(Duration::from_secs(600))
            .await
            .unwrap();
        // No phone sends it (BACK from SEATS needs a walk to SEATS first): a raw request.
        let request = raw_request(Action::Back, Some("SEATS"), json!({}), Some(&fresh));
        let back = send_raw(&in_process(&server), request).await;
        assert_eq!(back.status, 200);
        assert_eq!(back.screen(), Some("APPOINTMENT"));
        assert_eq!(back.data()["is_location_enabled"], json!(false));
        assert_raw_contract(&contract(), &[back]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn availability_cache_follows_own_bookings_at_once_and_other_instances_within_its_ttl() {
    use flows_appointments::store::{BookingOutcome, Choice, Store};
    for_each_db(|db| async move {
        let mut options = db.options();
        options.availability_ttl = Duration::from_millis(400);
        let ours = Store::open(&options).await.unwrap();
        ours.add(&common::test_data()).await.unwrap();
        let theirs = Store::open(&options).await.unwrap();
        let choice = Choice::of("cardio", "lisbon", &test_day(), "09:00");
        let free = |catalog: &flows_appointments::store::Catalog| -> Vec<String> {
            catalog.seats.iter().map(|s| s.id.clone()).collect()
        };
        assert_eq!(
            free(&ours.catalog(&choice, true).await.unwrap()),
            ["A1", "A2", "A3"]
        );

        // Our own booking shows at once, in the seats and in the time's free count, with no query.
        assert!(matches!(
            common::book(&ours, &choice, "A1", None, true).await,
            BookingOutcome::Booked(_)
        ));
        let before = ours.query_count();
        let catalog = ours.catalog(&choice, true).await.unwrap();
        assert_eq!(ours.query_count(), before, "served from the cache");
        assert_eq!(free(&catalog), ["A2", "A3"]);
        assert_eq!(
            catalog.times.iter().find(|t| t.id == "09:00").unwrap().free,
            2
        );

        // Another instance's booking: within the TTL the cache may still offer the seat (booking
        // it would be refused by the database), a fresh read never does, and after the TTL neither.
        assert!(matches!(
            common::book(&theirs, &choice, "A2", None, true).await,
            BookingOutcome::Booked(_)
        ));
        assert_eq!(
            free(&ours.catalog(&choice, true).await.unwrap()),
            ["A2", "A3"]
        );
        assert_eq!(
            free(&ours.fresh_catalog(&choice, true).await.unwrap()),
            ["A3"]
        );
        assert!(matches!(
            common::book(&theirs, &choice, "A3", None, true).await,
            BookingOutcome::Booked(_)
        ));
        tokio::time::sleep(Duration::from_millis(450)).await;
        let catalog = ours.catalog(&choice, true).await.unwrap();
        assert_eq!(free(&catalog), Vec::<String>::new());
        assert_eq!(
            catalog.times.iter().find(|t| t.id == "09:00").unwrap().free,
            0
        );

        // Whatever a cache showed, the database decides the booking.
        match common::book(&ours, &choice, "A3", None, true).await {
            BookingOutcome::Taken { seats, .. } => assert!(seats.is_empty()),
            other => panic!("{other:?}"),
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seats_and_times_added_to_a_day_show_at_once() {
    use flows_appointments::store::{Choice, SeedData, SeedSlot, Store};
    for_each_db(|db| async move {
        let store = Store::open(&db.options()).await.unwrap();
        store.add(&common::test_data()).await.unwrap();
        let choice = Choice::of("cardio", "lisbon", &test_day(), "09:00");
        let ids = |items: &[flows_appointments::store::Item]| -> Vec<String> {
            items.iter().map(|i| i.id.clone()).collect()
        };
        let catalog = store.catalog(&choice, true).await.unwrap();
        assert_eq!(ids(&catalog.times), ["09:00", "10:00", "11:00"]);
        assert_eq!(ids(&catalog.seats), ["A1", "A2", "A3"]);

        // The day's times and seats are cached with the lists; adding to the catalog starts over.
        let slot = |time: &str, seat: &str| SeedSlot {
            department: "cardio".into(),
            location: "lisbon".into(),
            date: common::test_date(),
            time: time.into(),
            seats: vec![(seat.into(), format!("Seat {seat}"))],
        };
        let more = SeedData {
            slots: vec![slot("09:00", "Z9"), slot("12:00", "N1")],
            ..SeedData::default()
        };
        store.add(&more).await.unwrap();
        let catalog = store.catalog(&choice, true).await.unwrap();
        assert_eq!(ids(&catalog.times), ["09:00", "10:00", "11:00", "12:00"]);
        assert!(
            ids(&catalog.seats).contains(&"Z9".to_owned()),
            "{:?}",
            ids(&catalog.seats)
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_come_in_position_then_title_order() {
    use flows_appointments::date::Date;
    use flows_appointments::store::{BookingOutcome, Choice, SeedData, SeedSlot, Store};
    fn pairs<Id: for<'a> From<&'a str>>(list: &[(&str, &str)]) -> Vec<(Id, String)> {
        list.iter()
            .map(|(id, title)| (Id::from(*id), (*title).to_owned()))
            .collect()
    }
    let (date2, date3) = (common::test_date(), Date::today().plus_days(3));
    let (day2, day3) = (date2.to_string(), date3.to_string());
    let slot = |date: Date, time: &str, seats: &[(&str, &str)]| SeedSlot {
        department: "zoo".into(),
        location: "lisbon".into(),
        date,
        time: time.to_owned(),
        seats: pairs(seats),
    };
    // Positions count from 0 in each `add`, so the second one makes the position order differ
    // from both the insertion order and the alphabetical one.
    let first = SeedData {
        departments: pairs(&[("zoo", "Zoology"), ("ana", "Anatomy")]),
        locations: pairs(&[("lisbon", "Lisbon")]),
        slots: vec![
            slot(date3, "15:00", &[("w", "Window"), ("a", "Aisle")]),
            slot(date2, "09:00", &[("x", "Seat X")]),
        ],
        booked: Vec::new(),
    };
    let second = SeedData {
        departments: pairs(&[("bio", "Biology")]),
        locations: Vec::new(),
        slots: vec![
            slot(date2, "08:00", &[]),
            slot(date3, "15:00", &[("m", "Middle")]),
        ],
        booked: Vec::new(),
    };
    for_each_db(|db| {
        let (first, second, day2, day3) =
            (first.clone(), second.clone(), day2.clone(), day3.clone());
        async move {
            let store = Store::open(&db.options()).await.unwrap();
            store.add(&first).await.unwrap();
            store.add(&second).await.unwrap();
            let ids = |items: &[flows_appointments::store::Item]| -> Vec<String> {
                items.iter().map(|i| i.id.clone()).collect()
            };

            let catalog = store.catalog(&Choice::default(), false).await.unwrap();
            assert_eq!(ids(&catalog.departments), ["bio", "zoo", "ana"]);
            let mut choice = Choice::of("zoo", "lisbon", &day2, "");
            let catalog = store.catalog(&choice, true).await.unwrap();
            assert_eq!(ids(&catalog.dates), [day2.clone(), day3.clone()]);
            assert_eq!(ids(&catalog.times), ["08:00", "09:00"]);

            choice.date = Date::parse(&day3);
            choice.time = Some("15:00".into());
            let catalog = store.catalog(&choice, true).await.unwrap();
            assert_eq!(ids(&catalog.seats), ["m", "w", "a"]);

            // The seats offered when the chosen one was taken meanwhile, in the same order.
            assert!(matches!(
                common::book(&store, &choice, "w", None, true).await,
                BookingOutcome::Booked(_)
            ));
            match common::book(&store, &choice, "w", None, true).await {
                BookingOutcome::Taken { seats, .. } => assert_eq!(ids(&seats), ["m", "a"]),
                other => panic!("{other:?}"),
            }
        }
    })
    .await;
}

/// Seeding gives the planner statistics for the catalog it filled, but none for the tables that
/// grow with use: statistics of a nearly empty `bookings` made plans that hash the whole table on
/// every availability read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeding_analyzes_the_catalog_but_not_the_tables_that_grow() {
    use flows_appointments::date::Date;
    use flows_appointments::store::Store;
    use sqlx::Connection as _;
    for db in databases().await {
        let Db::Postgres(pg) = &db else { continue };
        let store = Store::open(&db.options()).await.unwrap();
        assert!(store.seed_if_empty(Date::today()).await.unwrap());
        let mut conn = sqlx::PgConnection::connect(&pg.url()).await.unwrap();
        let reltuples = |table: &'static str| {
            sqlx::query_scalar::<_, f32>("SELECT reltuples FROM pg_class WHERE relname = $1")
                .bind(table)
        };
        assert!(reltuples("seats").fetch_one(&mut conn).await.unwrap() > 0.0);
        for table in ["bookings", "flow_tokens"] {
            let tuples = reltuples(table).fetch_one(&mut conn).await.unwrap();
            assert!(tuples < 0.0, "{table} was analyzed: reltuples {tuples}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_booking_of_a_slot_it_does_not_have_is_refused_before_anything_is_written() {
    use flows_appointments::store::{Store, StoreError};
    for_each_db(|db| async move {
        let store = Store::open(&db.options()).await.unwrap();
        let mut data = common::test_data();
        let slots = data.slots.len();
        data.booked.push((slots, "A1".into()));
        match store.add(&data).await {
            Err(StoreError::SeedBooking {
                index,
                slots: have,
                seat,
            }) => {
                assert_eq!((index, have, seat.as_str()), (slots, slots, "A1"));
            }
            other => panic!("{other:?}"),
        }
        assert!(store.is_empty().await.unwrap(), "nothing is written");
        // The same data without the stray booking seeds.
        data.booked.pop();
        store.add(&data).await.unwrap();
        assert!(!store.is_empty().await.unwrap());
    })
    .await;
}
