//! Properties: client and server halves agree on arbitrary JSON, on every backend, and no corruption
//! of a request ever decrypts (or panics).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proptest::prelude::*;
use serde_json::{Map, Value};
use whatsapp_flows_crypto::{Backend, KeySet, PrivateKey, PublicKey, RequestError};

const FIELDS: [&str; 3] = ["encrypted_flow_data", "encrypted_aes_key", "initial_vector"];

/// The business key on each backend, parsed once.
static KEYS: LazyLock<Vec<KeySet>> = LazyLock::new(|| {
    let pem = include_str!("fixtures/keys/openssl-genpkey-pkcs8.pem");
    let key = PrivateKey::from_pem(pem, None).unwrap();
    let sets: Vec<KeySet> = Backend::available()
        .iter()
        .map(|&backend| KeySet::new(key.clone().with_backend(backend).unwrap()))
        .collect();
    assert_eq!(sets.len(), if cfg!(feature = "aws-lc") { 2 } else { 1 });
    sets
});

fn public_key() -> &'static PublicKey {
    KEYS[0].current().public_key()
}

/// Numbers that survive a JSON text round trip exactly: all integers, and decimals with at most ten
/// significant digits (serde_json's default float parser is exact for those; arbitrary `f64`s would
/// need its `float_roundtrip` feature, which is beside the point here).
fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (any::<i32>(), 0..6i32)
            .prop_map(|(mantissa, scale)| Value::from(f64::from(mantissa) / 10f64.powi(scale))),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        // Arbitrary Unicode, including control characters, quotes, backslashes and astral planes.
        any::<String>().prop_map(Value::String),
        "[\"\\\\/\u{0}-\u{1f}éاب中🎉👍🏽]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

// Each case costs one or two RSA private-key operations per backend; the pure-Rust backend takes tens
// of milliseconds for one in a debug build, so the counts keep this file to a few seconds.
proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn request_and_response_round_trip(request in json_value(), response in json_value()) {
        for keys in KEYS.iter() {
            let backend = keys.current().backend();
            let sent = public_key().encrypt_request_json(&request).unwrap();
            let received = keys.decrypt_request(sent.body().as_bytes()).unwrap();
            let parsed: Value = serde_json::from_str(received.plaintext()).unwrap();
            prop_assert_eq!(&parsed, &request, "request on {}", backend);
            prop_assert_eq!(received.json::<Value>().unwrap(), parsed);

            let (_, reply) = received.into_parts();
            let body = reply.encrypt(&response).unwrap();
            let answer = sent.into_response().decrypt(body.as_bytes()).unwrap();
            let parsed: Value = serde_json::from_str(&answer).unwrap();
            prop_assert_eq!(&parsed, &response, "response on {}", backend);
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_bit_flip_in_a_field_cannot_decrypt(
        field in 0..FIELDS.len(),
        bit in any::<prop::sample::Index>(),
        flow_token in "[a-zA-Z0-9-]{0,40}",
    ) {
        let plaintext = serde_json::json!({"version": "3.0", "action": "INIT", "flow_token": flow_token});
        let sent = public_key().encrypt_request_json(&plaintext).unwrap();
        let mut envelope: Map<String, Value> = serde_json::from_str(sent.body()).unwrap();
        let name = FIELDS[field];
        let mut bytes = STANDARD.decode(envelope[name].as_str().unwrap()).unwrap();
        let bit = bit.index(bytes.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
        envelope.insert(name.to_owned(), Value::String(STANDARD.encode(&bytes)));
        let body = Value::Object(envelope).to_string();

        for keys in KEYS.iter() {
            let backend = keys.current().backend();
            let result = keys.decrypt_request(body.as_bytes());
            prop_assert!(
                matches!(result, Err(RequestError::CannotDecrypt(_))),
                "{} bit {} on {}: {:?}", name, bit, backend, result.map(|r| r.plaintext().len())
            );
            prop_assert_eq!(result.err().unwrap().http_status(), 421);
        }
        // The untouched body still decrypts, so the failures above are the flip's doing.
        prop_assert!(KEYS[0].decrypt_request(sent.body().as_bytes()).is_ok());
    }

    #[test]
    fn any_bit_flip_in_the_body_is_rejected(bit in any::<prop::sample::Index>()) {
        let sent = public_key().encrypt_request(br#"{"version":"3.0","action":"ping"}"#).unwrap();
        let mut body = sent.body().as_bytes().to_vec();
        let bit = bit.index(body.len() * 8);
        body[bit / 8] ^= 1 << (bit % 8);

        for keys in KEYS.iter() {
            let backend = keys.current().backend();
            match keys.decrypt_request(&body) {
                Ok(_) => prop_assert!(false, "bit {} flipped, decrypted on {}", bit, backend),
                Err(err @ RequestError::Malformed(_)) => prop_assert_eq!(err.http_status(), 400),
                Err(err @ RequestError::CannotDecrypt(_)) => prop_assert_eq!(err.http_status(), 421),
                Err(err) => prop_assert!(false, "unexpected error {:?}", err),
            }
        }
    }
}
