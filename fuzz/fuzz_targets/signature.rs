//! `X-Hub-Signature-256` verification: header and body from the input.
//!
//! Layout: byte 0 selects the mode, byte 1 is the header length `n`; the next `n` bytes are the header
//! and the rest is the body.
//! - mode 0: no header at all (must be `Missing`);
//! - mode 1: the header as given (if it verifies, it must really be the HMAC under one of the secrets);
//! - mode 2: the body signed for real with a secret chosen by `n` (must verify; upper-case hex and
//!   surrounding whitespace too; one changed hex digit must be `Mismatch`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp_flows_crypto::{SignatureError, SignatureVerifier, sign};

const SECRETS: [&[u8]; 2] = [b"3f1c0a9b7e2d4c5f8a6b1e0d9c8b7a6f", b"old-app-secret"];

fn verifier() -> SignatureVerifier {
    SignatureVerifier::new(SECRETS[0]).with_previous(SECRETS[1])
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Some((&n, rest)) = rest.split_first() else {
        return;
    };
    let verifier = verifier();
    match mode % 3 {
        0 => assert_eq!(verifier.verify(None, rest), Err(SignatureError::Missing)),
        1 => {
            let (header, body) = rest.split_at(usize::from(n).min(rest.len()));
            match verifier.verify(Some(header), body) {
                Ok(()) => {
                    let hex = header
                        .trim_ascii()
                        .strip_prefix(b"sha256=")
                        .expect("accepted without sha256=");
                    let hex = hex.to_ascii_lowercase();
                    let matches = SECRETS.iter().any(|secret| {
                        sign(secret, body).as_bytes().strip_prefix(b"sha256=")
                            == Some(hex.as_slice())
                    });
                    assert!(
                        matches,
                        "accepted a header that is not the HMAC under any secret"
                    );
                }
                Err(SignatureError::Missing) => panic!("Missing for a present header"),
                Err(_) => {}
            }
        }
        _ => {
            let secret = SECRETS[usize::from(n) % 2];
            let header = sign(secret, rest);
            assert_eq!(verifier.verify(Some(header.as_bytes()), rest), Ok(()));
            let upper = format!(
                " sha256={}\r\n",
                header["sha256=".len()..].to_ascii_uppercase()
            );
            assert_eq!(verifier.verify(Some(upper.as_bytes()), rest), Ok(()));
            let mut bad = header.into_bytes();
            let at = 7 + usize::from(n) % 64;
            bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
            assert_eq!(
                verifier.verify(Some(&bad), rest),
                Err(SignatureError::Mismatch)
            );
        }
    }
});
