//! Data API 4.0 `flow_token_signature`: PyJWT-made tokens (tests/fixtures/jwt/make-tokens.py), each
//! with the answer it must get.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use whatsapp_flows_crypto::{SignatureVerifier, TOKEN_SIGNATURE_LEEWAY, TokenSignatureError};

#[derive(Deserialize)]
struct Fixtures {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    jwt: String,
    secret: String,
    flow_token: String,
    verifier: String,
}

fn fixtures() -> Vec<Case> {
    let text = include_str!("fixtures/jwt/tokens.json");
    serde_json::from_str::<Fixtures>(text).unwrap().cases
}

fn expected(name: &str) -> Result<(), TokenSignatureError> {
    Err(match name {
        "ok" => return Ok(()),
        "Malformed" => TokenSignatureError::Malformed,
        "Algorithm" => TokenSignatureError::Algorithm,
        "Mismatch" => TokenSignatureError::Mismatch,
        "MissingFlowToken" => TokenSignatureError::MissingFlowToken,
        "FlowTokenMismatch" => TokenSignatureError::FlowTokenMismatch,
        "Expired" => TokenSignatureError::Expired,
        "NotYetValid" => TokenSignatureError::NotYetValid,
        other => panic!("unknown expected answer {other}"),
    })
}

#[test]
fn every_pyjwt_token_gets_its_answer() {
    let cases = fixtures();
    assert!(cases.len() >= 8);
    for case in cases {
        let verifier = SignatureVerifier::new(&case.secret);
        let got = verifier
            .verify_flow_token_signature(&case.jwt, Some(&case.flow_token), SystemTime::now())
            .map(|claims| assert_eq!(claims.flow_token, case.flow_token, "{}", case.name));
        assert_eq!(got, expected(&case.verifier), "{}", case.name);
    }
}

#[test]
fn a_rotated_secret_still_verifies_and_a_missing_request_token_is_a_mismatch() {
    let cases = fixtures();
    let valid = cases.iter().find(|c| c.name == "valid").unwrap();
    let rotated = SignatureVerifier::new("the-new-secret").with_previous(&valid.secret);
    assert!(
        rotated
            .verify_flow_token_signature(&valid.jwt, Some(&valid.flow_token), SystemTime::now())
            .is_ok()
    );
    assert_eq!(
        rotated.verify_flow_token_signature(&valid.jwt, None, SystemTime::now()),
        Err(TokenSignatureError::FlowTokenMismatch)
    );
}

#[test]
fn exp_and_nbf_are_honoured_with_the_leeway_on_a_fixed_clock() {
    let cases = fixtures();
    let at = |secs: u64| UNIX_EPOCH + Duration::from_secs(secs);
    let leeway = TOKEN_SIGNATURE_LEEWAY.as_secs();
    // exp = 1_000_000_000 (2001).
    let expired = cases.iter().find(|c| c.name == "expired").unwrap();
    let verifier = SignatureVerifier::new(&expired.secret);
    let check = |case: &Case, now| {
        verifier
            .verify_flow_token_signature(&case.jwt, Some(&case.flow_token), now)
            .map(drop)
    };
    assert_eq!(check(expired, at(1_000_000_000 - 1)), Ok(()));
    assert_eq!(check(expired, at(1_000_000_000 + leeway)), Ok(()));
    assert_eq!(
        check(expired, at(1_000_000_000 + leeway + 1)),
        Err(TokenSignatureError::Expired)
    );
    // nbf = 4_070_908_800 (2099).
    let early = cases.iter().find(|c| c.name == "not-yet-valid").unwrap();
    assert_eq!(
        check(early, at(4_070_908_800 - leeway - 1)),
        Err(TokenSignatureError::NotYetValid)
    );
    assert_eq!(check(early, at(4_070_908_800 - leeway)), Ok(()));
}

#[test]
fn garbage_is_malformed_never_a_panic() {
    let verifier = SignatureVerifier::new("s");
    for jwt in [
        "",
        ".",
        "..",
        "a.b.c",
        "a.b.c.d",
        "eyJhbGciOiJIUzI1NiJ9..",
        "é.é.é",
    ] {
        assert_eq!(
            verifier.verify_flow_token_signature(jwt, Some("t"), SystemTime::now()),
            Err(TokenSignatureError::Malformed),
            "{jwt:?}"
        );
    }
}
