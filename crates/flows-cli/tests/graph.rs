//! `flows register` and `flows key-status` against a mock Graph API on 127.0.0.1.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
mod graph_mock;

use std::time::{Duration, Instant};

use common::{PASSPHRASE, TOKEN, flows, key_file, run};
use graph_mock::{Answer, MockGraph};

const PHONE: &str = "106540352242922";
const PATH: &str = "/v23.0/106540352242922/whatsapp_business_encryption";

fn json(status: u16, value: &serde_json::Value) -> Answer {
    Answer::Json(status, value.clone())
}

fn public_pem(name: &str) -> String {
    std::fs::read_to_string(key_file(name)).unwrap()
}

fn fingerprint(name: &str) -> String {
    let key = whatsapp_flows_crypto::PublicKey::from_pem(&public_pem(name)).unwrap();
    key.fingerprint().to_string()
}

#[test]
fn register_posts_the_public_key_form_with_the_bearer_token() {
    let server = MockGraph::start(vec![json(200, &serde_json::json!({"success": true}))]);
    let done = run(flows()
        .args([
            "register",
            "--phone-number-id",
            PHONE,
            "--graph-url",
            &server.url,
        ])
        .arg(key_file("openssl-genpkey-pkcs8.pub.pem"))
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
    .expect_code(0);
    assert!(
        done.stdout
            .contains(&fingerprint("openssl-genpkey-pkcs8.pub.pem")),
        "{}",
        done.stdout
    );

    let seen = server.next();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, PATH);
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        seen.form(),
        vec![(
            "business_public_key".to_owned(),
            public_pem("openssl-genpkey-pkcs8.pub.pem")
        )]
    );
}

#[test]
fn register_derives_the_public_key_from_an_encrypted_private_key() {
    let server = MockGraph::start(vec![json(200, &serde_json::json!({"success": true}))]);
    run(flows()
        .args([
            "register",
            "--phone-number-id",
            PHONE,
            "--api-version",
            "v21.0",
            "--graph-url",
        ])
        .arg(format!("{}/", server.url))
        .arg(key_file("node-generatekeypair-pkcs1-des3.pem"))
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN)
        .env("FLOWS_PASSPHRASE", PASSPHRASE))
    .expect_code(0);
    let seen = server.next();
    assert_eq!(
        seen.path,
        "/v21.0/106540352242922/whatsapp_business_encryption"
    );
    assert_eq!(
        seen.form()[0].1,
        public_pem("node-generatekeypair-pkcs1-des3.pub.pem")
    );
}

#[test]
fn register_needs_a_token_and_a_numeric_phone_number_id() {
    let missing = run(flows()
        .args([
            "register",
            "--phone-number-id",
            PHONE,
            "--graph-url",
            "http://127.0.0.1:9",
        ])
        .arg(key_file("openssl-genpkey-pkcs8.pub.pem")))
    .expect_code(2);
    assert!(
        missing.stderr.contains("WHATSAPP_ACCESS_TOKEN"),
        "{}",
        missing.stderr
    );

    let bad_id = run(flows()
        .args([
            "register",
            "--phone-number-id",
            "../me",
            "--graph-url",
            "http://127.0.0.1:9",
        ])
        .arg(key_file("openssl-genpkey-pkcs8.pub.pem"))
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
    .expect_code(2);
    assert!(
        bad_id.stderr.contains("phone-number-id"),
        "{}",
        bad_id.stderr
    );
}

#[test]
fn graph_errors_are_shown_plainly_and_exit_1() {
    let server = MockGraph::start(vec![json(
        400,
        &serde_json::json!({"error": {
            "message": "Invalid OAuth access token - Cannot parse access token",
            "type": "OAuthException", "code": 190, "fbtrace_id": "AZx1TraceId"
        }}),
    )]);
    let failed = run(flows()
        .args([
            "register",
            "--phone-number-id",
            PHONE,
            "--graph-url",
            &server.url,
        ])
        .arg(key_file("openssl-genpkey-pkcs8.pub.pem"))
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
    .expect_code(1);
    for part in [
        "Invalid OAuth access token - Cannot parse access token",
        "code 190",
        "fbtrace_id AZx1TraceId",
    ] {
        assert!(failed.stderr.contains(part), "{part}: {}", failed.stderr);
    }
}

#[test]
fn key_status_reads_both_response_shapes() {
    let pem = public_pem("rotation-new.pub.pem");
    let flat = serde_json::json!({
        "business_public_key": pem, "business_public_key_signature_status": "VALID"
    });
    let wrapped = serde_json::json!({"data": [{
        "business_public_key": pem, "business_public_key_signature_status": "VALID"
    }]});
    for body in [flat, wrapped] {
        let server = MockGraph::start(vec![json(200, &body)]);
        let status = run(flows()
            .args([
                "key-status",
                "--phone-number-id",
                PHONE,
                "--graph-url",
                &server.url,
            ])
            .arg(key_file("rotation-new.pem"))
            .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
        .expect_code(0);
        assert!(
            status.stdout.contains(&format!(
                "registered key: {}",
                fingerprint("rotation-new.pub.pem")
            )),
            "{}",
            status.stdout
        );
        assert!(
            status.stdout.contains("signature status: VALID"),
            "{}",
            status.stdout
        );
        assert!(status.stdout.contains("same key: yes"), "{}", status.stdout);

        let seen = server.next();
        assert_eq!(seen.method, "GET");
        assert_eq!(seen.path, PATH);
        assert_eq!(
            seen.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
}

#[test]
fn key_status_exits_1_on_another_key_or_mismatch() {
    let registered = serde_json::json!({
        "business_public_key": public_pem("rotation-old.pub.pem"),
        "business_public_key_signature_status": "VALID"
    });
    let server = MockGraph::start(vec![json(200, &registered)]);
    let other = run(flows()
        .args([
            "key-status",
            "--phone-number-id",
            PHONE,
            "--graph-url",
            &server.url,
        ])
        .arg(key_file("rotation-new.pub.pem"))
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
    .expect_code(1);
    assert!(other.stdout.contains("same key: no"), "{}", other.stdout);

    let mismatch = serde_json::json!({"data": [{
        "business_public_key": public_pem("rotation-old.pub.pem"),
        "business_public_key_signature_status": "MISMATCH"
    }]});
    let server = MockGraph::start(vec![
        json(200, &mismatch),
        json(200, &serde_json::json!({"data": []})),
    ]);
    let status = run(flows()
        .args([
            "key-status",
            "--phone-number-id",
            PHONE,
            "--graph-url",
            &server.url,
        ])
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
    .expect_code(1);
    assert!(
        status.stdout.contains("signature status: MISMATCH"),
        "{}",
        status.stdout
    );

    let none = run(flows()
        .args([
            "key-status",
            "--phone-number-id",
            PHONE,
            "--graph-url",
            &server.url,
        ])
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
    .expect_code(1);
    assert!(
        none.stdout.contains("no public key is registered"),
        "{}",
        none.stdout
    );
}

#[test]
fn a_graph_api_that_never_answers_times_out_with_a_clear_message() {
    let server = MockGraph::start(vec![Answer::Silence(Duration::from_secs(8))]);
    // The server stays silent for 8 s; the message says the 1 s timeout ended the wait.
    let failed = run(flows()
        .args([
            "key-status",
            "--timeout",
            "1",
            "--phone-number-id",
            PHONE,
            "--graph-url",
            &server.url,
        ])
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
    .expect_code(1);
    assert!(
        failed.stderr.contains("timed out after 1.00 s"),
        "{}",
        failed.stderr
    );
    assert!(failed.stderr.contains("--timeout"), "{}", failed.stderr);
}

#[test]
fn an_unreachable_graph_api_is_a_clear_network_error() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let failed = run(flows()
        .args(["key-status", "--phone-number-id", PHONE, "--graph-url"])
        .arg(format!("http://127.0.0.1:{port}"))
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN))
    .expect_code(1);
    assert!(failed.stderr.contains("failed"), "{}", failed.stderr);
    assert!(
        failed.stderr.to_lowercase().contains("connect"),
        "{}",
        failed.stderr
    );
}

/// HTTPS goes through rustls with the webpki roots: a self-signed server certificate is refused with a
/// clear message (and the token is never sent over an unverified connection).
#[test]
fn https_verifies_the_server_certificate() {
    use std::process::{Command, Stdio};

    let dir = common::temp_dir("tls");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    /// Kills the TLS server however the test ends.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            self.0.kill().ok();
            self.0.wait().ok();
        }
    }
    let server = Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(dir.join("cert.pem"))
        .arg("-key")
        .arg(dir.join("key.pem"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = KillOnDrop(server);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "openssl s_server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let failed = run(flows()
        .args([
            "key-status",
            "--timeout",
            "10",
            "--phone-number-id",
            PHONE,
            "--graph-url",
        ])
        .arg(format!("https://127.0.0.1:{port}"))
        .env("WHATSAPP_ACCESS_TOKEN", TOKEN));
    drop(server);
    let failed = failed.expect_code(1);
    assert!(
        failed.stderr.contains("invalid peer certificate"),
        "{}",
        failed.stderr
    );
    std::fs::remove_dir_all(dir).ok();
}
