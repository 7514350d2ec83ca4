//! The conformance suite against the built `flows-axum-server` binary, over plain HTTP.

const BINARY: &str = env!("CARGO_BIN_EXE_flows-axum-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_server_conforms_and_shuts_down_gracefully() {
    flows_tests::conformance_and_graceful_shutdown(BINARY).await;
}

#[test]
fn axum_server_start_up_failures_are_one_line() {
    flows_tests::start_up_failures(BINARY);
}
