//! The black-box checks of what `flows-server` adds to every server: TLS on HTTP/1.1 and HTTP/2,
//! the certificate reloaded on SIGHUP, slow clients cut off, connections beyond the limit refused,
//! idle connections closed, and the start-up checks of the configuration.

use std::time::{Duration, Instant};

use flows_router::{Action, FlowRequest, FlowResponse};
use http_body_util::{BodyExt as _, Empty};
use hyper_util::rt::TokioIo;

use crate::raw::{Trickle, hold_open, post_head, trickle};
use crate::tls::{HttpsTarget, TestCert, Version};
use crate::{
    Fixture, HttpTarget, KEY_DIR, ServerProcess, Target as _, assert_no_secrets, run_conformance,
    run_to_exit,
};

/// Runs [`run_conformance`] over TLS, once on HTTP/1.1 and once on HTTP/2 (a fresh server each, so
/// the metrics count from zero), and checks the logs for secrets.
///
/// # Panics
/// On the first failed check.
pub async fn tls_conformance(binary: &str) {
    let fixture = Fixture::new();
    let cert = TestCert::new();
    for version in [Version::Http1, Version::Http2] {
        let mut env = Fixture::server_env();
        env.extend(cert.env());
        let server = ServerProcess::start(binary, &env).await;
        let target = HttpsTarget::new(server.addr(), &cert.pem, version);
        run_conformance(&target, &fixture).await;
        assert_no_secrets(&server.output());
    }
}

/// Serves over TLS, opens an HTTP/2 connection, renews the certificate files and sends SIGHUP: a new
/// connection gets the new certificate (a client trusting only it succeeds, one trusting only the old
/// fails), and the connection opened before keeps working.
///
/// # Panics
/// On the first failed check.
pub async fn tls_certificate_reload(binary: &str) {
    let fixture = Fixture::new();
    let mut cert = TestCert::new();
    let mut env = Fixture::server_env();
    env.extend(cert.env());
    let server = ServerProcess::start(binary, &env).await;
    let old_pem = cert.pem.clone();
    let open = HttpsTarget::new(server.addr(), &old_pem, Version::Http2);
    assert_eq!(open.get("/health").await.status, 200);

    cert.renew();
    server.signal("HUP");
    // The reload happens on the server's own time: wait (bounded) until a new connection shows it.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let fresh = HttpsTarget::new(server.addr(), &cert.pem, Version::Http1);
        if let Ok(reply) = fresh
            .request(http::Method::GET, "/health", &[], Vec::new())
            .await
        {
            assert_eq!(reply.status, 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "new connections never got the new certificate:\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stale = HttpsTarget::new(server.addr(), &old_pem, Version::Http1);
    let refused = stale
        .request(http::Method::GET, "/health", &[], Vec::new())
        .await;
    assert!(
        refused.is_err(),
        "a new connection still got the old certificate"
    );

    // The connection opened before the reload (its client trusts only the old certificate, so a
    // reconnect would fail) still answers, a whole encrypted exchange included.
    let (body, headers, pending) = fixture.signed_ping();
    let reply = open.post("/flow", &headers, body).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let answer = pending.decrypt(&reply.body).unwrap();
    assert_eq!(
        serde_json::from_str::<FlowResponse>(&answer).unwrap(),
        FlowResponse::ping()
    );
    assert!(server.output().contains("reloaded"), "{}", server.output());
}

/// Starts `binary` with a one-second header and body timeout: a client sending its headers one byte
/// a second is cut off, and so (when `body_timeout` is served) is one sending its body one byte a
/// second; both long before they finish, while other clients are answered meanwhile.
///
/// # Panics
/// On the first failed check.
pub async fn slow_clients_are_cut_off(binary: &str, body_timeout: bool) {
    let fixture = Fixture::new();
    let mut env = Fixture::server_env();
    env.push(("FLOWS_HEADER_TIMEOUT", "1s".to_owned()));
    env.push(("FLOWS_BODY_TIMEOUT", "1s".to_owned()));
    let server = ServerProcess::start(binary, &env).await;
    let addr = server.addr();

    let head = post_head(addr, 60);
    let mut cases = vec![("headers", Vec::new(), head.clone())];
    if body_timeout {
        cases.push(("body", head, vec![b' '; 60]));
    }
    for (what, sent_at_once, trickled) in cases {
        let slow = tokio::spawn(trickle(addr, sent_at_once, trickled));
        // Others are served while the slow client holds its connection.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(server.target().get("/health").await.status, 200);
        let (body, headers, pending) = fixture.signed_ping();
        let reply = server.target().post("/flow", &headers, body).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert!(pending.decrypt(&reply.body).is_ok());
        let outcome = tokio::time::timeout(Duration::from_secs(40), slow)
            .await
            .unwrap_or_else(|_| panic!("slow {what}: never finished"))
            .unwrap();
        let Trickle::Closed { sent, reply } = outcome else {
            panic!(
                "slow {what}: the server waited for all of it:\n{}",
                server.output()
            );
        };
        assert!(sent < 30, "slow {what}: closed only after {sent} bytes");
        if what == "body" {
            // The endpoint saw a body it could not read.
            assert!(reply.starts_with("HTTP/1.1 4"), "slow body: {reply:?}");
        }
    }
}

/// Starts `binary` allowing two connections: while two are held open a third is closed at once,
/// and once one of the two ends a new client is served.
///
/// # Panics
/// On the first failed check.
pub async fn connections_beyond_the_limit_are_refused(binary: &str) {
    let mut env = Fixture::server_env();
    env.push(("FLOWS_MAX_CONNECTIONS", "2".to_owned()));
    env.push(("FLOWS_HEADER_TIMEOUT", "60s".to_owned()));
    env.push(("FLOWS_IDLE_TIMEOUT", "60s".to_owned()));
    let server = ServerProcess::start(binary, &env).await;
    let addr = server.addr();
    // Let the probe connections of the start-up check end before holding the two slots.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let first = hold_open(addr).await;
    let second = hold_open(addr).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let client = HttpTarget::new(addr);
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        client.request(http::Method::GET, "/health", &[], Vec::new()),
    )
    .await
    .expect("a connection beyond the limit was left hanging");
    assert!(
        !matches!(&answer, Ok(reply) if reply.status == 200),
        "a third connection was served: {answer:?}"
    );
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = tokio::time::timeout(
            Duration::from_secs(10),
            client.request(http::Method::GET, "/health", &[], Vec::new()),
        )
        .await;
        if let Ok(Ok(reply)) = answer
            && reply.status == 200
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a freed slot was never used:\n{}",
            server.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(second);
    assert!(server.output().contains("listening"));
}

/// Starts `binary` with a one-second idle timeout (and long header timeout): a keep-alive
/// connection that has been answered and sends nothing more is closed.
///
/// # Panics
/// On the first failed check.
pub async fn idle_connections_are_closed(binary: &str) {
    let mut env = Fixture::server_env();
    env.push(("FLOWS_HEADER_TIMEOUT", "60s".to_owned()));
    env.push(("FLOWS_IDLE_TIMEOUT", "1s".to_owned()));
    let server = ServerProcess::start(binary, &env).await;
    // hyper's own connection: its task ends when the server closes the connection, and only then,
    // since this side keeps its half (the sender) until the check is over.
    let stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let connection = tokio::spawn(connection);
    let request = http::Request::get("/health")
        .header(http::header::HOST, server.addr().to_string())
        .body(Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(30), connection).await;
    assert!(closed.is_ok(), "an idle keep-alive connection stayed open");
    drop(sender);
}

/// Configuration mistakes stop `binary` at once: token-signature verification without an app
/// secret is a one-line error and exit 1; the removed secret flags are rejected by the argument
/// parser (exit 2) and their values never echoed.
///
/// # Panics
/// On the first failed check.
pub fn configuration_failures(binary: &str) {
    let key = (
        "FLOWS_PRIVATE_KEY_FILE",
        format!("{KEY_DIR}/rotation-new.pem"),
    );
    let listen = ("FLOWS_LISTEN", "127.0.0.1:0".to_owned());
    let env = vec![
        key.clone(),
        listen.clone(),
        ("FLOWS_VERIFY_TOKEN_SIGNATURE", "1".to_owned()),
    ];
    let (status, _stdout, stderr) = run_to_exit(binary, &env, Duration::from_secs(20));
    let status = status.unwrap_or_else(|| panic!("{binary} kept running"));
    assert_eq!(status.code(), Some(1), "{stderr}");
    let stderr = stderr.trim();
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("FLOWS_APP_SECRET"), "{stderr}");

    for flag in ["--app-secret", "--passphrase", "--private-key"] {
        let (status, _stdout, stderr) = run_with_args(
            binary,
            &[flag, "hunter2-secret-value"],
            &[key.clone(), listen.clone()],
        );
        assert_eq!(status, Some(2), "{flag} accepted: {stderr}");
        assert!(stderr.contains(flag), "{stderr}");
        assert!(!stderr.contains("hunter2-secret-value"), "{stderr}");
    }
}

fn run_with_args(
    binary: &str,
    args: &[&str],
    env: &[(&str, String)],
) -> (Option<i32>, String, String) {
    let mut command = std::process::Command::new(binary);
    for (name, _) in std::env::vars() {
        if name.starts_with("FLOWS_") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let output = std::thread::scope(|_| command.output()).unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Starts `binary` with `FLOWS_VERIFY_TOKEN_SIGNATURE=1` and the app secret of the PyJWT-made
/// known-answer tokens (crates/whatsapp-flows-crypto/tests/fixtures/jwt): each token, sent with a
/// Data API 4.0 INIT, gets the status PyJWT's case says (200 valid, 427 expired, wrong secret, ...).
///
/// # Panics
/// On the first failed check.
pub async fn token_signatures_are_verified(binary: &str) {
    let fixture = Fixture::new();
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{KEY_DIR}/../jwt/tokens.json")).unwrap(),
    )
    .unwrap();
    let cases = cases["cases"].as_array().unwrap();
    let secret = cases[0]["secret"].as_str().unwrap().to_owned();
    let env = vec![
        (
            "FLOWS_PRIVATE_KEY_FILE",
            format!("{KEY_DIR}/rotation-new.pem"),
        ),
        ("FLOWS_APP_SECRET", secret.clone()),
        ("FLOWS_VERIFY_TOKEN_SIGNATURE", "1".to_owned()),
    ];
    let server = ServerProcess::start(binary, &env).await;
    let mut checked = 0;
    for case in cases.iter().filter(|c| c["secret"] == secret.as_str()) {
        // Data API 4.0, the version whose requests carry a signed flow token.
        let request = FlowRequest::new(Action::Init)
            .with_version("4.0")
            .with_flow_token(case["flow_token"].as_str().unwrap())
            .with_flow_token_signature(case["jwt"].as_str().unwrap());
        let (body, headers, _pending) = fixture.signed_request(&request, &secret);
        let reply = server.target().post("/flow", &headers, body).await;
        assert_eq!(
            u64::from(reply.status),
            case["status"].as_u64().unwrap(),
            "case {}: {}",
            case["name"],
            reply.text()
        );
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} known-answer tokens checked");
    // Without a signature a Data API 4.0 request is refused too.
    let request = FlowRequest::new(Action::Init)
        .with_version("4.0")
        .with_flow_token("flow-token-8b1f");
    let (body, headers, _pending) = fixture.signed_request(&request, &secret);
    assert_eq!(
        server.target().post("/flow", &headers, body).await.status,
        427
    );
    assert_no_secrets(&server.output());
}
