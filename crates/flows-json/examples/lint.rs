//! Lints Flow JSON files and prints the diagnostics, with the time each took:
//! `cargo run --release -p flows-json --example lint -- FILE...`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

fn main() {
    for path in std::env::args().skip(1) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let started = Instant::now();
        match flows_json::lint(&text) {
            Ok(diagnostics) => {
                let took = started.elapsed();
                for d in &diagnostics {
                    println!(
                        "{path}:{}:{}: {}[{}]: {} ({})",
                        d.line().unwrap_or(0),
                        d.column().unwrap_or(0),
                        d.severity,
                        d.rule,
                        d.message,
                        d.pointer
                    );
                }
                println!(
                    "{path}: {} diagnostics, {} bytes linted in {took:?}",
                    diagnostics.len(),
                    text.len()
                );
            }
            Err(e) => println!("{path}: {e}"),
        }
    }
}
