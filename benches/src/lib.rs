//! Shared inputs for the `crypto` benchmarks: fixture keys in every format and a realistic request.
//!
//! Run with `cargo bench -p flows-benches --bench crypto`; `benches/ratios.sh` compares the results with
//! `openssl speed rsa2048` and the bare RSA-OAEP baselines.

use flows_router::{Action, FlowRequest};
use whatsapp_flows_crypto::{KeySet, PrivateKey};

/// The passphrase of every encrypted fixture key.
pub const PASSPHRASE: &[u8] = b"flows-test-passphrase";

macro_rules! key_file {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../crates/whatsapp-flows-crypto/tests/fixtures/keys/",
            $name
        ))
    };
}

/// One private-key file per format the crate reads, as `(bench name, file contents, needs passphrase)`.
/// PKCS#8 DER is added by the bench itself from [`pkcs8_der`].
pub const KEY_FORMATS: &[(&str, &[u8], bool)] = &[
    ("pkcs8-pem", key_file!("openssl-genpkey-pkcs8.pem"), false),
    (
        "pkcs1-der",
        key_file!("openssl-genrsa-traditional.der"),
        false,
    ),
    (
        "pkcs1-pem",
        key_file!("openssl-genrsa-traditional.pem"),
        false,
    ),
    (
        "pbes2-pbkdf2-des3",
        key_file!("openssl-genrsa-des3.pem"),
        true,
    ),
    (
        "pbes2-scrypt-aes256",
        key_file!("openssl-pkcs8-scrypt.pem"),
        true,
    ),
    (
        "legacy-pkcs1-des3",
        key_file!("openssl-genrsa-traditional-des3.pem"),
        true,
    ),
];

/// The key the request benchmarks use, as unencrypted PKCS#8 PEM.
pub const KEY_PKCS8_PEM: &[u8] = key_file!("openssl-genpkey-pkcs8.pem");

/// [`KEY_PKCS8_PEM`] as PKCS#8 DER (a real `PrivateKeyInfo`, which aws-lc-rs's `from_pkcs8` needs).
#[must_use]
pub fn pkcs8_der() -> Vec<u8> {
    key_file!("openssl-genpkey-pkcs8.der").to_vec()
}

/// A realistic `data_exchange` request plaintext of about 300 bytes: an appointment-booking screen
/// submitting its form, with non-ASCII text as real users type it; built with the protocol's
/// `FlowRequest`, as every client here builds its requests.
#[must_use]
pub fn data_exchange() -> String {
    let request = FlowRequest::new(Action::DataExchange)
        .with_screen("DETAILS")
        .with("department", "cardiology")
        .with("location", "2")
        .with("date", "2025-03-14")
        .with("time", "10:30")
        .with("name", "María José Núñez")
        .with("email", "maria.jose@example.com")
        .with("phone", "+34 612 345 678")
        .with("more_details", "Prefiero por la mañana")
        .with_flow_token("7f3c2a1b-9d8e-4f60-a1b2-c3d4e5f60718");
    // Strings and a map of strings: serializing cannot fail.
    serde_json::to_string(&request).unwrap_or_default()
}

/// The reply an endpoint sends for [`data_exchange`]: the next screen with a summary.
#[must_use]
pub fn reply() -> serde_json::Value {
    serde_json::json!({
        "screen": "SUMMARY",
        "data": {
            "appointment": "Cardiology at Clínica Centro, Fri 14 Mar 2025 at 10:30",
            "details": "María José Núñez\nmaria.jose@example.com\n+34 612 345 678",
        }
    })
}

/// Loads the benchmark key (unencrypted PKCS#8) on the crate's default backend.
///
/// # Panics
/// If the committed fixture does not load, which the crate's own tests would already have caught.
#[must_use]
pub fn key() -> PrivateKey {
    match PrivateKey::from_bytes(KEY_PKCS8_PEM, None) {
        Ok(key) => key,
        Err(err) => unreachable!("fixture key does not load: {err}"),
    }
}

/// A one-key set on `backend`.
///
/// # Panics
/// If the backend rejects the fixture key.
#[must_use]
pub fn key_set(backend: whatsapp_flows_crypto::Backend) -> KeySet {
    match key().with_backend(backend) {
        Ok(key) => KeySet::new(key),
        Err(err) => unreachable!("backend {backend} rejects the fixture key: {err}"),
    }
}
