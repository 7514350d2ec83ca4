//! The black-box checks of an example server binary: the suite over real HTTP, graceful shutdown
//! with a request in flight, start-up failures, and no secrets in its output.

use std::time::{Duration, Instant};

use flows_router::FlowResponse;

use crate::{Fixture, KEY_DIR, ServerProcess, assert_no_secrets, run_conformance, run_to_exit};

/// Starts `binary` configured as [`Fixture::endpoint`], runs [`run_conformance`] over HTTP, sends
/// SIGTERM while a request is in flight (it must still be answered, and the process exit 0), then
/// checks the server's output for secrets.
///
/// # Panics
/// On the first failed check.
pub async fn conformance_and_graceful_shutdown(binary: &str) {
    let fixture = Fixture::new();
    let mut server = ServerProcess::start(binary, &Fixture::server_env()).await;
    run_conformance(&server.target(), &fixture).await;

    let (body, headers, pending) = fixture.signed_ping();
    let target = server.target();
    let reply = target
        .post_with_pause("/flow", &headers, body, 64, async {
            server.sigterm();
            tokio::time::sleep(Duration::from_millis(500)).await;
        })
        .await;
    assert_eq!(reply.status, 200, "in-flight request: {}", reply.text());
    let answer = pending.decrypt(&reply.body).unwrap();
    assert_eq!(
        serde_json::from_str::<FlowResponse>(&answer).unwrap(),
        FlowResponse::ping()
    );
    let status = server.wait_exit(Duration::from_secs(20)).await;
    let output = server.output();
    assert!(status.success(), "exit {status} after SIGTERM:\n{output}");
    assert!(
        output.contains("listening"),
        "no listen address logged:\n{output}"
    );
    assert_no_secrets(&output);
}

/// A wrong passphrase, a missing key file and no key at all each stop `binary` at once with exit
/// code 1 and a one-line error that names the problem.
///
/// # Panics
/// On the first failed check.
pub fn start_up_failures(binary: &str) {
    let listen = ("FLOWS_LISTEN", "127.0.0.1:0".to_owned());
    let missing = format!("{KEY_DIR}/no-such-key.pem");
    let cases = [
        (
            vec![
                (
                    "FLOWS_PRIVATE_KEY_FILE",
                    format!("{KEY_DIR}/openssl-genrsa-des3.pem"),
                ),
                ("FLOWS_PASSPHRASE", "not-the-passphrase".to_owned()),
                listen.clone(),
            ],
            "passphrase".to_owned(),
        ),
        (
            vec![("FLOWS_PRIVATE_KEY_FILE", missing.clone()), listen.clone()],
            missing,
        ),
        (vec![listen], "FLOWS_PRIVATE_KEY_FILE".to_owned()),
    ];
    for (env, expected) in cases {
        let started = Instant::now();
        let (status, _stdout, stderr) = run_to_exit(binary, &env, Duration::from_secs(20));
        let status = status.unwrap_or_else(|| panic!("{binary} kept running with {env:?}"));
        assert_eq!(status.code(), Some(1), "{env:?}: {stderr}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "slow failure: {:?}",
            started.elapsed()
        );
        let stderr = stderr.trim();
        assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert!(
            stderr.contains(&expected),
            "{stderr:?} does not name {expected:?}"
        );
        assert!(!stderr.contains("not-the-passphrase"), "{stderr}");
    }
}
