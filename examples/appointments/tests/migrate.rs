//! Upgrading a database made with the first schema: migration 0002 keeps each issued token's first
//! booking, lets demo bookings share a token, points `flow_tokens` at the booking that keeps the
//! token, and from then on the database refuses a token's second booking. On SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)] // test helpers

mod common;

use std::borrow::Cow;

use common::{Db, databases};
use flows_appointments::store::{BookingOutcome, Choice, Store, sqlite_path};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::SqliteConnectOptions;

/// The data a v1 database could hold: token `t1` booked twice (the race the unique index now
/// prevents; the trigger left the second booking in flow_tokens), demo token `demo` twice.
const V1_DATA: &[&str] = &[
    "INSERT INTO departments VALUES ('d', 'D', 0)",
    "INSERT INTO locations VALUES ('l', 'L', 0)",
    "INSERT INTO slots VALUES ('s', 'd', 'l', '2099-01-01', '09:00')",
    "INSERT INTO seats VALUES ('s', 'A', 'A', 0), ('s', 'B', 'B', 0), ('s', 'C', 'C', 0), ('s', 'E', 'E', 0), ('s', 'F', 'F', 0)",
    "INSERT INTO flow_tokens (token, created_at, expires_at) VALUES ('t1', 0, 4000000000), ('t2', 0, 4000000000)",
    "INSERT INTO bookings VALUES ('BK-1', 't1', 's', 'A', 'n', 'e', 'p', '', 1), ('BK-2', 't1', 's', 'B', 'n', 'e', 'p', '', 2), ('BK-3', 'demo', 's', 'C', 'n', 'e', 'p', '', 3), ('BK-4', 'demo', 's', 'E', 'n', 'e', 'p', '', 4)",
];

fn first_schema(sql: &'static str) -> Migrator {
    Migrator {
        migrations: Cow::Owned(vec![Migration::new(
            1,
            Cow::Borrowed("schema"),
            MigrationType::Simple,
            Cow::Borrowed(sql),
            false,
        )]),
        ..Migrator::DEFAULT
    }
}

async fn create_v1(db: &Db) {
    match db {
        Db::Postgres(pg) => {
            let pool = sqlx::PgPool::connect(&pg.url()).await.unwrap();
            first_schema(include_str!("../migrations/postgres/0001_schema.sql"))
                .run(&pool)
                .await
                .unwrap();
            for sql in V1_DATA {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        Db::Sqlite(dir) => {
            let options = SqliteConnectOptions::new()
                .filename(sqlite_path(&dir.0))
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            first_schema(include_str!("../migrations/sqlite/0001_schema.sql"))
                .run(&pool)
                .await
                .unwrap();
            for sql in V1_DATA {
                sqlx::query(sql).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_0002_keeps_one_booking_per_token() {
    for db in databases().await {
        let name = db.name();
        eprintln!("--- {name}");
        create_v1(&db).await;
        let store = Store::open(&db.options()).await.unwrap();

        // The token points at the booking that keeps it.
        let record = store.token_record("t1").await.unwrap().unwrap();
        assert_eq!(record, (Some(1), Some("BK-1".to_owned())), "{name}");

        let choice = Choice::of("d", "l", "2099-01-01", "09:00");
        // A used token books no more; an unused one books once; demo bookings may share a token.
        assert!(
            matches!(
                common::book(&store, &choice, "F", Some("t1"), false).await,
                BookingOutcome::Taken { .. }
            ),
            "{name}"
        );
        assert!(
            matches!(
                common::book(&store, &choice, "F", Some("t2"), false).await,
                BookingOutcome::Booked(_)
            ),
            "{name}"
        );
        assert_eq!(store.booking_count().await.unwrap(), 5, "{name}");
        store.close().await;
    }
}
