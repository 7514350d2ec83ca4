//! Black-box: what flows-server gives the built `flows-axum-server`: TLS (HTTP/1.1 and HTTP/2), the
//! certificate reloaded on SIGHUP, slow clients cut off, the connection limit, idle connections
//! closed, configuration failures.

const BINARY: &str = env!("CARGO_BIN_EXE_flows-axum-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conforms_over_tls_on_http1_and_http2() {
    flows_tests::tls_conformance(BINARY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_without_dropping_connections() {
    flows_tests::tls_certificate_reload(BINARY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_bodies_are_cut_off() {
    flows_tests::slow_clients_are_cut_off(BINARY, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_refused() {
    flows_tests::connections_beyond_the_limit_are_refused(BINARY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed() {
    flows_tests::idle_connections_are_closed(BINARY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_signatures_are_verified_when_asked() {
    flows_tests::token_signatures_are_verified(BINARY).await;
}

#[test]
fn configuration_failures() {
    flows_tests::configuration_failures(BINARY);
}
