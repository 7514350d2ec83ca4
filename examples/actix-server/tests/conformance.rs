//! Black-box: the built `flows-actix-server` binary over real HTTP.

const BINARY: &str = env!("CARGO_BIN_EXE_flows-actix-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_conformance_suite_and_shuts_down_gracefully() {
    flows_tests::conformance_and_graceful_shutdown(BINARY).await;
}

#[test]
fn bad_configuration_stops_start_up_with_one_line() {
    flows_tests::start_up_failures(BINARY);
}
