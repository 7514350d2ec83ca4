//! Appointment booking with seat selection over WhatsApp Flows, the project's main example.
//!
//! A user picks a department, location, date and time read from the business's database, chooses
//! a free seat for that slot, leaves their details and books. PostgreSQL in production; with no
//! `DATABASE_URL`, an embedded SQLite file in the data directory, so `cargo run -p
//! flows-appointments` works with nothing else installed.
//!
//! - [`flow`](mod@flow): the screen handlers of `flow.json` and the flow-token check;
//! - [`store`]: the database, at most one round trip per call, split by concern (catalog,
//!   availability, bookings, tokens);
//! - [`date`]: calendar days (the `time` crate) as the database and the phone spell them;
//! - [`devkey`]: the development key used when no key is configured;
//! - [`webhook`]: Meta's completion webhook confirms bookings.

#![forbid(unsafe_code)]

pub mod date;
pub mod devkey;
pub mod flow;
pub mod store;
pub mod webhook;

pub use flow::{App, FLOW_JSON, flow};
pub use store::{Store, StoreOptions};
