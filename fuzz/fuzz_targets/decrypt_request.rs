//! Arbitrary bytes as the HTTP body of a Flows request, into a two-key `KeySet`.
//!
//! Checks, beyond "does not panic":
//! - every error maps to HTTP 400 or 421;
//! - both RSA backends (pure-Rust `rsa` and aws-lc) agree on the outcome and the plaintext;
//! - an `Ok` is only accepted if an independent re-implementation (the `rsa` and `aes-gcm` crates used
//!   directly, per the protocol) decrypts the same body to the same plaintext, and the encrypted reply
//!   opens under the same AES key and the inverted IV.
//!
//! Inputs starting with 0xFF switch to round-trip mode: the rest is a request *plaintext* that is
//! encrypted to the current public key as the WhatsApp client does, so the fuzzer reaches the
//! UTF-8/JSON checks behind the RSA and GCM steps.
#![no_main]

use std::sync::LazyLock;

use aes_gcm::aead::consts::U16;
use aes_gcm::{AeadInOut as _, KeyInit as _, Nonce, Tag};
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use rsa::pkcs8::DecodePrivateKey as _;
use whatsapp_flows_crypto::{Backend, KeySet, PrivateKey, RequestError};

const CURRENT: &str = include_str!(
    "../../crates/whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem"
);
const PREVIOUS: &str =
    include_str!("../../crates/whatsapp-flows-crypto/tests/fixtures/keys/rotation-new.pem");

struct Keys {
    rustcrypto: KeySet,
    aws_lc: KeySet,
    reference: [rsa::PrivateKey; 2],
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let load = |pem: &str, backend: Backend| {
        PrivateKey::from_pem(pem, None)
            .and_then(|key| key.with_backend(backend))
            .expect("fixture key loads")
    };
    let set = |backend| KeySet::new(load(CURRENT, backend)).with_previous(load(PREVIOUS, backend));
    let reference =
        |pem: &str| rsa::PrivateKey::from_pkcs8_pem(pem).expect("fixture key parses with rsa");
    Keys {
        rustcrypto: set(Backend::RustCrypto),
        aws_lc: set(Backend::AwsLc),
        reference: [reference(CURRENT), reference(PREVIOUS)],
    }
});

type Aes128Gcm16 = aes_gcm::AesGcm<aes::Aes128, U16>;

const B64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn status_ok(err: &RequestError) {
    let status = err.http_status();
    assert!(
        status == 400 || status == 421,
        "unexpected HTTP status {status} for {err:?}"
    );
}

/// Opens `ciphertext || tag` with AES-128-GCM and a 16-byte nonce.
fn gcm_open(key: &[u8], iv: &[u8; 16], data: &[u8]) -> Option<Vec<u8>> {
    let split = data.len().checked_sub(16)?;
    let (body, tag) = data.split_at(split);
    let cipher = Aes128Gcm16::new_from_slice(key).ok()?;
    let mut buf = body.to_vec();
    let tag = Tag::<U16>::try_from(tag).ok()?;
    cipher
        .decrypt_inout_detached(
            &Nonce::<U16>::from(*iv),
            &[],
            buf.as_mut_slice().into(),
            &tag,
        )
        .ok()?;
    Some(buf)
}

/// Decrypts `body` per the protocol without the crate, returning the AES key, IV and plaintext.
fn reference_decrypt(body: &[u8]) -> Option<(Vec<u8>, [u8; 16], Vec<u8>)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let field = |name: &str| B64.decode(value.get(name)?.as_str()?).ok();
    let wrapped = field("encrypted_aes_key")?;
    let iv: [u8; 16] = field("initial_vector")?.try_into().ok()?;
    let data = field("encrypted_flow_data")?;
    let aes_key = KEYS
        .reference
        .iter()
        .find_map(|key| key.oaep_decrypt::<sha2::Sha256>(&wrapped).ok())?;
    if aes_key.len() != 16 {
        return None;
    }
    let plaintext = gcm_open(&aes_key, &iv, &data)?;
    Some((aes_key, iv, plaintext))
}

fn is_json(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes)
        .is_ok_and(|text| serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok())
}

fn raw_body(body: &[u8]) {
    let keys = &*KEYS;
    let rustcrypto = keys.rustcrypto.decrypt_request(body);
    let aws_lc = keys.aws_lc.decrypt_request(body);
    match (&rustcrypto, &aws_lc) {
        (Ok(a), Ok(b)) => assert_eq!(
            a.plaintext(),
            b.plaintext(),
            "backends disagree on the plaintext"
        ),
        (Err(a), Err(b)) => {
            status_ok(a);
            assert_eq!(a, b, "backends disagree on the error");
        }
        _ => panic!(
            "backends disagree: rustcrypto {:?}, aws-lc {:?}",
            rustcrypto.as_ref().map(|r| r.plaintext().len()),
            aws_lc.as_ref().map(|r| r.plaintext().len())
        ),
    }
    let Ok(request) = rustcrypto else { return };

    // An Ok must be a real decryption: redo it independently.
    let (aes_key, iv, plaintext) = reference_decrypt(body)
        .expect("the crate accepted a body that the reference cannot decrypt");
    assert_eq!(
        request.plaintext().as_bytes(),
        plaintext.as_slice(),
        "plaintext differs from the reference"
    );
    assert!(
        is_json(&plaintext),
        "the crate accepted a plaintext that is not UTF-8 JSON"
    );

    // And its reply must open under the same key with the inverted IV.
    let (_, reply) = request.into_parts();
    let response = reply
        .encrypt_bytes(b"{\"data\":{\"status\":\"active\"}}")
        .expect("a small reply encrypts");
    let response = B64.decode(response).expect("response is base64");
    let inverted = iv.map(|b| !b);
    assert_eq!(
        gcm_open(&aes_key, &inverted, &response).as_deref(),
        Some(&b"{\"data\":{\"status\":\"active\"}}"[..]),
        "the reply does not open with the request key and inverted IV"
    );
}

fn round_trip(plaintext: &[u8]) {
    let keys = &*KEYS;
    let sent = keys
        .rustcrypto
        .current()
        .public_key()
        .encrypt_request(plaintext)
        .expect("client-side encryption works");
    let (body, pending) = sent.into_parts();
    for set in [&keys.rustcrypto, &keys.aws_lc] {
        let result = set.decrypt_request(body.as_bytes());
        if is_json(plaintext) {
            let request = result.expect("a real request with a JSON plaintext must decrypt");
            assert_eq!(request.plaintext().as_bytes(), plaintext);
        } else {
            let err = result.expect_err("a non-JSON plaintext must be rejected");
            assert_eq!(
                err.http_status(),
                421,
                "a non-JSON plaintext is a 421, got {err:?}"
            );
        }
    }
    if let Ok(request) = keys.rustcrypto.decrypt_request(body.as_bytes()) {
        let (_, reply) = request.into_parts();
        let response = reply
            .encrypt_bytes(plaintext)
            .expect("a small reply encrypts");
        let opened = pending
            .decrypt(response.as_bytes())
            .expect("the client opens the reply");
        assert_eq!(opened.as_bytes(), plaintext);
    }
}

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((0xFF, plaintext)) => round_trip(plaintext),
        _ => raw_body(data),
    }
});
