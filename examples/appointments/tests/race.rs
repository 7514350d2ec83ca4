//! 50 users race for the last seat: the database's UNIQUE constraint lets exactly one book it; the
//! other 49 are sent back to SEATS with an error message. On SQLite and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::indexing_slicing
)] // test helpers

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{databases, new_phone, open_store, server, test_day, walk_to_summary};
use flows_simulator::FlowState;
use serde_json::json;
use tokio::sync::Barrier;

const USERS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_users_race_for_one_seat() {
    for db in databases().await {
        eprintln!("--- {}", db.name());
        let server = server(open_store(&db).await, false).await;
        let barrier = Arc::new(Barrier::new(USERS));
        let mut tasks = Vec::new();
        for n in 0..USERS {
            let (token, _) = server
                .store
                .issue_token(Duration::from_secs(600))
                .await
                .unwrap();
            let (mut phone, barrier) = (new_phone(&server), barrier.clone());
            // Each user is a simulated phone: it builds every request from flow.json as WhatsApp
            // does, and checks every reply against it.
            tasks.push(tokio::spawn(async move {
                let name = format!("User{n}");
                walk_to_summary(&mut phone, token, &test_day(), "10:00", "S1", &name).await;
                barrier.wait().await;
                phone.tap("Book").await.unwrap();
                phone
            }));
        }
        let mut booked = 0;
        let mut sent_back = 0;
        for task in tasks {
            let phone = tokio::time::timeout(Duration::from_secs(120), task)
                .await
                .unwrap()
                .unwrap();
            match phone.state() {
                FlowState::Completed { .. } => booked += 1,
                FlowState::Open if phone.screen().id() == "SEATS" => {
                    assert!(phone.snackbar().unwrap().contains("fully booked"));
                    assert_eq!(phone.screen().data()["seats"], json!([]));
                    sent_back += 1;
                }
                other => panic!(
                    "unexpected end of the walk: {other:?} on {}",
                    phone.screen().id()
                ),
            }
        }
        assert_eq!((booked, sent_back), (1, USERS - 1), "{}", db.name());
        // The slot's one seat, plus the booking the test data starts with.
        assert_eq!(server.store.booking_count().await.unwrap(), 2);
    }
}

/// One flow token submitted twice at once with different seats (a double tap after going back, or
/// a replay): the database lets it book once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_books_once_even_racing_itself() {
    for db in databases().await {
        eprintln!("--- {}", db.name());
        let server = server(open_store(&db).await, false).await;
        let (token, _) = server
            .store
            .issue_token(Duration::from_secs(600))
            .await
            .unwrap();
        let barrier = Arc::new(Barrier::new(2));
        let mut tasks = Vec::new();
        // Two phones opened from the same message, on two seats of the same slot.
        for seat in ["A1", "A2"] {
            let (mut phone, barrier, token) = (new_phone(&server), barrier.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                // Through SUMMARY first, so the token's verdict is cached, as in a real walk.
                walk_to_summary(&mut phone, token, &test_day(), "09:00", seat, "Ana").await;
                barrier.wait().await;
                match phone.tap("Book").await {
                    Ok(()) if phone.completion().is_some() => "SUCCESS".to_owned(),
                    Ok(()) => phone.screen().id().to_owned(),
                    // The loser's token check ran after the winner's booking.
                    Err(error) if error.status() == Some(427) => "427".to_owned(),
                    Err(error) => panic!("{error}"),
                }
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(
                tokio::time::timeout(Duration::from_secs(60), task)
                    .await
                    .unwrap()
                    .unwrap(),
            );
        }
        outcomes.sort();
        // The loser is refused by the booking (back to SEATS) or, if its token check came after
        // the winner's booking, by that (427).
        assert!(
            outcomes == ["SEATS", "SUCCESS"] || outcomes == ["427", "SUCCESS"],
            "{}: {outcomes:?}",
            db.name()
        );
        // One booking for the token, plus the booking the test data starts with.
        assert_eq!(
            server.store.booking_count().await.unwrap(),
            2,
            "{}",
            db.name()
        );
    }
}
