//! Known answers made by implementations independent of this crate (Node `crypto`, Python
//! `cryptography`; see `fixtures/vectors/README.md`).
//!
//! Every envelope test runs once per RSA backend compiled in (`Backend::available()`), with the keys
//! converted by `with_backend`, and checks that it really covered both backends when `aws-lc` is on.
//! Signatures and media involve no RSA, so no backend choice exists for them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use whatsapp_flows_crypto::{
    Backend, EncryptionMetadata, KeyError, KeySet, MalformedEnvelope, MediaError, PrivateKey,
    RequestError, SignatureError, SignatureVerifier, decrypt_media, sign,
};

const PASSPHRASE: &[u8] = b"flows-test-passphrase";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn vectors(file: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("vectors").join(file)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn str_field<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field]
        .as_str()
        .unwrap_or_else(|| panic!("case {} has no string field {field}", case["name"]))
}

/// Loads a fixture key by file name: DER through `from_der`, PEM through `from_pem`; the passphrase is
/// given only when the key says it needs one.
fn load_key(file: &str) -> PrivateKey {
    let data = std::fs::read(fixtures().join("keys").join(file)).unwrap();
    let load = |passphrase: Option<&[u8]>| {
        if file.ends_with(".der") {
            PrivateKey::from_der(&data, passphrase)
        } else {
            PrivateKey::from_pem(std::str::from_utf8(&data).unwrap(), passphrase)
        }
    };
    match load(None) {
        Err(KeyError::PassphraseRequired) => load(Some(PASSPHRASE)),
        other => other,
    }
    .unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Every key the envelope vectors name, loaded once (scrypt is slow in a debug build).
static KEYS: LazyLock<BTreeMap<String, PrivateKey>> = LazyLock::new(|| {
    let mut keys = BTreeMap::new();
    for file in ["envelope.json", "envelope-python.json"] {
        for case in vectors(file) {
            let name = str_field(&case, "key");
            keys.entry(name.to_owned())
                .or_insert_with(|| load_key(name));
        }
    }
    // An unrelated key, to check that a key set tries past a key that does not fit.
    keys.insert(
        "openssl-genrsa-aes256.pem".to_owned(),
        load_key("openssl-genrsa-aes256.pem"),
    );
    keys
});

/// Runs `test` once per available backend, and checks that both ran when `aws-lc` is compiled in.
fn for_each_backend(mut test: impl FnMut(Backend)) {
    let mut covered = Vec::new();
    for &backend in Backend::available() {
        test(backend);
        covered.push(backend);
    }
    let expected = if cfg!(feature = "aws-lc") { 2 } else { 1 };
    assert_eq!(covered.len(), expected, "backends covered: {covered:?}");
    assert!(covered.contains(&Backend::RustCrypto));
}

fn key_on(file: &str, backend: Backend) -> PrivateKey {
    let key = KEYS
        .get(file)
        .unwrap_or_else(|| panic!("key {file} not loaded"))
        .clone()
        .with_backend(backend)
        .unwrap();
    assert_eq!(key.backend(), backend);
    key
}

fn envelope_cases() -> Vec<(String, Value)> {
    let mut cases = Vec::new();
    for file in ["envelope.json", "envelope-python.json"] {
        for case in vectors(file) {
            cases.push((format!("{file}/{}", str_field(&case, "name")), case));
        }
    }
    cases
}

fn cases_expecting(expect: &str) -> Vec<(String, Value)> {
    let cases: Vec<_> = envelope_cases()
        .into_iter()
        .filter(|(_, case)| str_field(case, "expect") == expect)
        .collect();
    assert!(!cases.is_empty(), "no {expect} cases");
    cases
}

#[test]
fn envelope_expectations_are_all_known() {
    let mut counts = BTreeMap::new();
    for (name, case) in envelope_cases() {
        let expect = str_field(&case, "expect");
        assert!(
            ["ok", "cannot_decrypt", "malformed"].contains(&expect),
            "{name}: unknown expect {expect:?}"
        );
        *counts.entry(expect.to_owned()).or_insert(0) += 1;
    }
    assert_eq!(counts.values().sum::<usize>(), 46, "{counts:?}");
}

#[test]
fn envelope_ok() {
    let cases = cases_expecting("ok");
    for_each_backend(|backend| {
        for (name, case) in &cases {
            let key = key_on(str_field(case, "key"), backend);
            let body = str_field(case, "request_body").as_bytes();

            let request = KeySet::new(key.clone())
                .decrypt_request(body)
                .unwrap_or_else(|e| panic!("{name} on {backend}: {e:?}"));
            assert_eq!(
                request.plaintext(),
                str_field(case, "plaintext"),
                "{name} on {backend}"
            );
            assert_eq!(request.key_fingerprint(), key.fingerprint(), "{name}");
            let (plaintext, reply) = request.into_parts();
            assert_eq!(&*plaintext, str_field(case, "plaintext"));
            let response = reply
                .encrypt_bytes(str_field(case, "response_plaintext").as_bytes())
                .unwrap();
            assert_eq!(
                response,
                str_field(case, "response_body"),
                "{name} on {backend}"
            );

            // The same through `PrivateKey::decrypt_request`, and from a key set in which the right key
            // is not the current one (rotation): same plaintext, same response bytes.
            let request = key.decrypt_request(body).unwrap();
            assert_eq!(request.plaintext(), str_field(case, "plaintext"));
            let unrelated = key_on("openssl-genrsa-aes256.pem", backend);
            let request = KeySet::new(unrelated)
                .with_previous(key.clone())
                .decrypt_request(body)
                .unwrap();
            assert_eq!(request.plaintext(), str_field(case, "plaintext"), "{name}");
            assert_eq!(request.key_fingerprint(), key.fingerprint(), "{name}");
            let response = request
                .into_parts()
                .1
                .encrypt_bytes(str_field(case, "response_plaintext").as_bytes())
                .unwrap();
            assert_eq!(
                response,
                str_field(case, "response_body"),
                "{name} on {backend}"
            );
        }
    });
}

#[test]
fn envelope_response_from_a_value_matches_when_serde_json_writes_the_same_text() {
    // `ResponseContext::encrypt` serializes with serde_json (compact, keys in `Value`'s order); where
    // that reproduces the vector's reply text byte for byte, the known answer must come out too.
    let cases = cases_expecting("ok");
    let mut checked = 0;
    for_each_backend(|backend| {
        for (name, case) in &cases {
            let response_plaintext = str_field(case, "response_plaintext");
            let value: Value = serde_json::from_str(response_plaintext).unwrap();
            if serde_json::to_string(&value).unwrap() != response_plaintext {
                continue;
            }
            let key = key_on(str_field(case, "key"), backend);
            let request = key
                .decrypt_request(str_field(case, "request_body").as_bytes())
                .unwrap();
            let response = request.into_parts().1.encrypt(&value).unwrap();
            assert_eq!(
                response,
                str_field(case, "response_body"),
                "{name} on {backend}"
            );
            checked += 1;
        }
    });
    assert!(
        checked >= Backend::available().len() * 3,
        "only {checked} cases checked"
    );
}

#[test]
fn envelope_cannot_decrypt() {
    let cases = cases_expecting("cannot_decrypt");
    let mut errors = Vec::new();
    for_each_backend(|backend| {
        for (name, case) in &cases {
            let key = key_on(str_field(case, "key"), backend);
            let body = str_field(case, "request_body").as_bytes();
            let err = KeySet::new(key.clone())
                .decrypt_request(body)
                .err()
                .unwrap_or_else(|| panic!("{name} on {backend} decrypted"));
            assert!(
                matches!(err, RequestError::CannotDecrypt(_)),
                "{name} on {backend}: {err:?}"
            );
            assert_eq!(err.http_status(), 421, "{name}");
            // A key set with more keys fails the same way.
            let unrelated = key_on("openssl-genrsa-aes256.pem", backend);
            let err2 = KeySet::new(unrelated)
                .with_previous(key)
                .decrypt_request(body)
                .unwrap_err();
            assert_eq!(err2.http_status(), 421, "{name}");
            errors.push((name.clone(), err));
            errors.push((name.clone(), err2));
        }
    });
    // Indistinguishable from outside: every cause compares equal and displays the same text, so no
    // caller can turn the endpoint into a padding or tag oracle.
    let (_, first) = &errors[0];
    for (name, err) in &errors {
        assert_eq!(err, first, "{name}");
        assert_eq!(err.to_string(), first.to_string(), "{name}");
        let RequestError::CannotDecrypt(inner) = err else {
            unreachable!()
        };
        assert_eq!(inner.to_string(), "the request cannot be decrypted");
    }
}

/// The `MalformedEnvelope` detail a malformed case's name implies (every malformed case must be here).
fn expected_malformed(name: &str) -> MalformedEnvelope {
    const FIELDS: [&str; 3] = ["encrypted_flow_data", "encrypted_aes_key", "initial_vector"];
    let field_in = |prefix: &str| {
        FIELDS
            .into_iter()
            .find(|field| field.replace('_', "-") == prefix)
            .unwrap_or_else(|| panic!("{name}: unknown field {prefix}"))
    };
    let name = name.rsplit('/').next().unwrap();
    if name.starts_with("body-") {
        MalformedEnvelope::NotJson
    } else if let Some(field) = name.strip_prefix("missing-") {
        MalformedEnvelope::MissingField(field_in(field))
    } else if let Some(field) = name
        .strip_suffix("-is-number")
        .or_else(|| name.strip_suffix("-is-null"))
    {
        MalformedEnvelope::NotAString(field_in(field))
    } else if let Some(field) = name
        .strip_suffix("-invalid-base64")
        .or_else(|| name.strip_suffix("-base64url"))
    {
        MalformedEnvelope::InvalidBase64(field_in(field))
    } else {
        panic!("malformed case {name}: add its expected detail to this test")
    }
}

#[test]
fn envelope_malformed() {
    let cases = cases_expecting("malformed");
    for_each_backend(|backend| {
        for (name, case) in &cases {
            let key = key_on(str_field(case, "key"), backend);
            let err = KeySet::new(key)
                .decrypt_request(str_field(case, "request_body").as_bytes())
                .err()
                .unwrap_or_else(|| panic!("{name} on {backend} decrypted"));
            assert!(
                matches!(err, RequestError::Malformed(_)),
                "{name} on {backend}: {err:?}"
            );
            assert_eq!(err.http_status(), 400, "{name}");
            assert_eq!(
                err,
                RequestError::Malformed(expected_malformed(name)),
                "{name}"
            );
        }
    });
}

// ---------------------------------------------------------------------------------------------------
// X-Hub-Signature-256
// ---------------------------------------------------------------------------------------------------

#[test]
fn signature_known_answers() {
    let cases = vectors("signature.json");
    assert_eq!(cases.len(), 6);
    for case in &cases {
        let (secret, body, header) = (
            str_field(case, "secret"),
            str_field(case, "body"),
            str_field(case, "header"),
        );
        assert_eq!(sign(secret.as_bytes(), body.as_bytes()), header, "{case}");
        let verifier = SignatureVerifier::new(secret);
        assert_eq!(
            verifier.verify(Some(header.as_bytes()), body.as_bytes()),
            Ok(()),
            "{case}"
        );

        // Missing header.
        assert_eq!(
            verifier.verify(None, body.as_bytes()),
            Err(SignatureError::Missing)
        );
        // Bare hex without the `sha256=` prefix, and with an uppercase prefix.
        let hex = header.strip_prefix("sha256=").unwrap();
        assert_eq!(
            verifier.verify(Some(hex.as_bytes()), body.as_bytes()),
            Err(SignatureError::Malformed)
        );
        let upper_prefix = format!("SHA256={hex}");
        assert_eq!(
            verifier.verify(Some(upper_prefix.as_bytes()), body.as_bytes()),
            Err(SignatureError::Malformed)
        );
        // A truncated digest.
        assert_eq!(
            verifier.verify(
                Some(&header.as_bytes()[..header.len() - 2]),
                body.as_bytes()
            ),
            Err(SignatureError::Malformed)
        );
        // Wrong secret, and a body changed by one byte (the signature is over the raw bytes).
        let wrong = SignatureVerifier::new(format!("{secret}x"));
        assert_eq!(
            wrong.verify(Some(header.as_bytes()), body.as_bytes()),
            Err(SignatureError::Mismatch)
        );
        let changed = format!("{body} ");
        assert_eq!(
            verifier.verify(Some(header.as_bytes()), changed.as_bytes()),
            Err(SignatureError::Mismatch)
        );

        // Rotation: the old secret keeps working next to the new one; with it removed it does not.
        let rotating = SignatureVerifier::new("the-new-app-secret").with_previous(secret);
        assert_eq!(
            rotating.verify(Some(header.as_bytes()), body.as_bytes()),
            Ok(())
        );
        let new_header = sign(b"the-new-app-secret", body.as_bytes());
        assert_eq!(
            rotating.verify(Some(new_header.as_bytes()), body.as_bytes()),
            Ok(())
        );
        assert_eq!(
            SignatureVerifier::new("the-new-app-secret")
                .verify(Some(header.as_bytes()), body.as_bytes()),
            Err(SignatureError::Mismatch)
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// PhotoPicker / DocumentPicker media
// ---------------------------------------------------------------------------------------------------

/// Which metadata field should be reported invalid, derived independently: the first field (in the
/// documented check order) that is not standard base64 of its required length.
fn first_invalid_metadata_field(metadata: &Value) -> (&'static str, usize) {
    for (field, expected) in [
        ("encryption_key", 32),
        ("hmac_key", 32),
        ("iv", 16),
        ("plaintext_hash", 32),
        ("encrypted_hash", 32),
    ] {
        let decoded = metadata[field]
            .as_str()
            .and_then(|text| STANDARD.decode(text).ok());
        if decoded.is_none_or(|bytes| bytes.len() != expected) {
            return (field, expected);
        }
    }
    panic!("invalid_metadata case with valid metadata: {metadata}")
}

#[test]
fn media_known_answers() {
    let cases = vectors("media.json");
    let mut seen = BTreeMap::new();
    for case in &cases {
        let name = str_field(case, "name");
        let expect = str_field(case, "expect");
        let metadata: EncryptionMetadata =
            serde_json::from_value(case["encryption_metadata"].clone()).unwrap();
        let file = STANDARD.decode(str_field(case, "cdn_file")).unwrap();
        let result = decrypt_media(&file, &metadata);
        match expect {
            "ok" => {
                let expected = STANDARD.decode(str_field(case, "plaintext")).unwrap();
                let plaintext = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
                assert_eq!(&*plaintext, expected.as_slice(), "{name}");
                assert_eq!(
                    format!("{plaintext:?}"),
                    format!("MediaPlaintext(<{} bytes>)", expected.len())
                );
            }
            failure => {
                let expected = match failure {
                    "encrypted_hash_mismatch" => MediaError::EncryptedHashMismatch,
                    "hmac_mismatch" => MediaError::HmacMismatch,
                    "bad_padding" => MediaError::Decryption,
                    "plaintext_hash_mismatch" => MediaError::PlaintextHashMismatch,
                    "invalid_metadata" => {
                        let (field, expected) =
                            first_invalid_metadata_field(&case["encryption_metadata"]);
                        MediaError::InvalidMetadata { field, expected }
                    }
                    unknown => panic!("{name}: unknown expect {unknown:?}; map it to a MediaError"),
                };
                assert_eq!(result.err(), Some(expected), "{name}");
            }
        }
        *seen.entry(expect).or_insert(0) += 1;
    }
    // Every outcome the README lists is exercised.
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        [
            "bad_padding",
            "encrypted_hash_mismatch",
            "hmac_mismatch",
            "invalid_metadata",
            "ok",
            "plaintext_hash_mismatch"
        ]
    );
    assert_eq!(seen.values().sum::<usize>(), 17);
}

#[test]
fn media_file_too_short() {
    let case = vectors("media.json").into_iter().next().unwrap();
    let metadata: EncryptionMetadata =
        serde_json::from_value(case["encryption_metadata"].clone()).unwrap();
    for len in [0, 1, 10, 25] {
        assert_eq!(
            decrypt_media(&vec![0; len], &metadata).err(),
            Some(MediaError::TooShort),
            "{len}"
        );
    }
    // Metadata Debug hides the keys.
    let debug = format!("{metadata:?}");
    assert!(
        !debug.contains(&metadata.encryption_key) && !debug.contains(&metadata.hmac_key),
        "{debug}"
    );
}
