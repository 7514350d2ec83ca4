//! Black-box: the built `flows-actix-server` with flows-server's configuration: TLS (HTTP/1.1 and
//! HTTP/2), the certificate reloaded on SIGHUP, slow headers cut off (actix has no body timeout),
//! idle connections closed, token signatures, configuration failures. Not the connection-limit
//! check: at its `max_connections` actix stops accepting until a slot frees instead of closing the
//! connection beyond it.

const BINARY: &str = env!("CARGO_BIN_EXE_flows-actix-server");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conforms_over_tls_on_http1_and_http2() {
    flows_tests::tls_conformance(BINARY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate_without_dropping_connections() {
    flows_tests::tls_certificate_reload(BINARY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off() {
    flows_tests::slow_clients_are_cut_off(BINARY, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_signatures_are_verified_when_asked() {
    flows_tests::token_signatures_are_verified(BINARY).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed() {
    flows_tests::idle_connections_are_closed(BINARY).await;
}

#[test]
fn configuration_failures() {
    flows_tests::configuration_failures(BINARY);
}
