//! `flows inspect-request` on bodies built with the crypto crate's client half.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::path::PathBuf;

use common::{PASSPHRASE, flows, key_file, run, temp_dir};
use flows_router::{Action, FlowRequest};
use serde_json::Value;
use whatsapp_flows_crypto::PrivateKey;

/// A request envelope as a JSON object.
type Envelope = serde_json::Map<String, Value>;
/// A change to an envelope.
type Edit = Box<dyn FnOnce(&mut Envelope)>;

/// The request every body here carries, as WhatsApp's client would build it.
fn request() -> FlowRequest {
    FlowRequest::new(Action::DataExchange)
        .with_screen("APPOINTMENT")
        .with("department", "shopping")
        .with_flow_token("t-1")
}

fn key(name: &str) -> PrivateKey {
    PrivateKey::from_bytes(
        &std::fs::read(key_file(name)).unwrap(),
        Some(PASSPHRASE.as_bytes()),
    )
    .unwrap()
}

/// A body encrypted to `name`'s public key, written to a file.
fn body_for(name: &str, edit: impl FnOnce(&mut Envelope)) -> PathBuf {
    let sent = key(name)
        .public_key()
        .encrypt_request_json(&request())
        .unwrap();
    let mut envelope: Envelope = serde_json::from_str(sent.body()).unwrap();
    edit(&mut envelope);
    let dir = temp_dir("inspect");
    let path = dir.join("body.json");
    std::fs::write(&path, Value::Object(envelope).to_string()).unwrap();
    path
}

fn fingerprint(name: &str) -> String {
    key(name).fingerprint().to_string()
}

#[test]
fn a_good_body_decrypts_to_its_plaintext() {
    let body = body_for("openssl-genrsa-des3.pem", |_| {});
    let done = run(flows()
        .args(["inspect-request", "--key"])
        .arg(key_file("openssl-genrsa-des3.pem"))
        .arg(&body)
        .env("FLOWS_PASSPHRASE", PASSPHRASE))
    .expect_code(0);
    let printed: Value = serde_json::from_str(&done.stdout).unwrap();
    assert_eq!(printed, serde_json::to_value(request()).unwrap());
    assert!(
        done.stderr
            .contains(&fingerprint("openssl-genrsa-des3.pem")),
        "{}",
        done.stderr
    );
    assert!(
        done.stderr.contains("encrypted_aes_key 256 bytes"),
        "{}",
        done.stderr
    );

    // Standard input works too.
    let stdin = std::fs::File::open(&body).unwrap();
    let piped = run(flows()
        .args(["inspect-request", "--key"])
        .arg(key_file("openssl-genrsa-des3.pem"))
        .arg("-")
        .stdin(stdin)
        .env("FLOWS_PASSPHRASE", PASSPHRASE))
    .expect_code(0);
    assert_eq!(piped.stdout, done.stdout);
}

#[test]
fn a_body_for_another_key_names_the_key_tried_and_the_rsa_step() {
    let body = body_for("rotation-old.pem", |_| {});
    let failed = run(flows()
        .args(["inspect-request", "--key"])
        .arg(key_file("rotation-new.pem"))
        .arg(&body))
    .expect_code(2);
    assert!(failed.stdout.is_empty(), "{}", failed.stdout);
    assert!(
        failed.stderr.contains(&fingerprint("rotation-new.pem")),
        "{}",
        failed.stderr
    );
    assert!(failed.stderr.contains("RSA-OAEP"), "{}", failed.stderr);
    assert!(
        failed.stderr.contains("different public key"),
        "{}",
        failed.stderr
    );
    assert!(failed.stderr.contains("421"), "{}", failed.stderr);

    // With both keys (rotation), the old one decrypts it and is named.
    let rotated = run(flows()
        .args(["inspect-request", "--key"])
        .arg(key_file("rotation-new.pem"))
        .arg("--key")
        .arg(key_file("rotation-old.pem"))
        .arg(&body))
    .expect_code(0);
    assert!(
        rotated
            .stderr
            .contains(&format!("key 2 {}", fingerprint("rotation-old.pem"))),
        "{}",
        rotated.stderr
    );
}

#[test]
fn a_tampered_body_says_the_key_is_right_but_the_tag_fails() {
    let body = body_for("rotation-new.pem", |envelope| {
        let data = envelope["encrypted_flow_data"].as_str().unwrap().to_owned();
        let mut bytes = data.into_bytes();
        // Change one base64 character in the middle (still valid base64).
        let i = bytes.len() / 2;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        envelope.insert(
            "encrypted_flow_data".into(),
            String::from_utf8(bytes).unwrap().into(),
        );
    });
    let failed = run(flows()
        .args(["inspect-request", "--key"])
        .arg(key_file("rotation-new.pem"))
        .arg(&body))
    .expect_code(2);
    assert!(
        failed.stderr.contains("this is the right key"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("GCM tag does not verify"),
        "{}",
        failed.stderr
    );
    assert!(failed.stderr.contains("altered"), "{}", failed.stderr);
}

#[test]
fn envelope_problems_are_named_field_by_field() {
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|e| {
                e.remove("initial_vector");
            }),
            "`initial_vector` is missing",
        ),
        (
            Box::new(|e| {
                e.insert("encrypted_aes_key".into(), 42.into());
            }),
            "`encrypted_aes_key` is not a string",
        ),
        (
            Box::new(|e| {
                e.insert("encrypted_flow_data".into(), "not base64!".into());
            }),
            "`encrypted_flow_data` is not valid standard base64",
        ),
        (
            Box::new(|e| {
                e.insert("initial_vector".into(), "AAAAAAAAAAAAAAAA".into());
            }),
            "initial_vector is not 16 bytes",
        ),
        (
            Box::new(|e| {
                e.insert("initial_vector".into(), "-_-_-_-_-_-_-_-_-_-_-w".into());
            }),
            "URL-safe base64",
        ),
    ];
    for (edit, says) in cases {
        let body = body_for("rotation-new.pem", edit);
        let failed = run(flows()
            .args(["inspect-request", "--key"])
            .arg(key_file("rotation-new.pem"))
            .arg(&body))
        .expect_code(2);
        assert!(failed.stderr.contains(says), "{says}: {}", failed.stderr);
    }

    let dir = temp_dir("inspect-notjson");
    std::fs::write(dir.join("body"), "encrypted_flow_data=abc").unwrap();
    let failed = run(flows()
        .args(["inspect-request", "--key"])
        .arg(key_file("rotation-new.pem"))
        .arg(dir.join("body")))
    .expect_code(2);
    assert!(failed.stderr.contains("not JSON"), "{}", failed.stderr);
}
