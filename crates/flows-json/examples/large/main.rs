//! Generates a ~1 MB flow and times linting it:
//! `cargo run --release -p flows-json --example large`.
#![allow(clippy::print_stdout)]

mod large_flow;

use std::time::Instant;

fn main() {
    let text = large_flow::large_flow(1_000_000);
    let runs = 10;
    let mut best = None;
    let mut count = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let diagnostics = flows_json::lint(&text)
            .map(|d| d.len())
            .unwrap_or(usize::MAX);
        let took = started.elapsed();
        count = diagnostics;
        best = Some(best.map_or(took, |b: std::time::Duration| b.min(took)));
    }
    println!(
        "{} bytes, {count} diagnostics, best of {runs}: {:?}",
        text.len(),
        best.unwrap_or_default()
    );
}
