//! A generated ~1 MB flow lints (clean). Its speed is measured by hand with
//! `cargo run --release -p flows-json --example large`, never asserted here.
#![allow(clippy::unwrap_used)]

#[path = "../examples/large/large_flow.rs"]
mod large_flow;

#[test]
fn a_one_megabyte_flow_lints_clean() {
    let text = large_flow::large_flow(1_000_000);
    assert!(text.len() > 900_000, "{}", text.len());
    let diagnostics = flows_json::lint(&text).unwrap();
    assert_eq!(diagnostics, vec![]);
}
