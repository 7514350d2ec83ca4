//! WhatsApp Flows endpoint encryption, done right.
//!
//! When a WhatsApp Flow needs data, the WhatsApp client POSTs an encrypted envelope to the business's
//! endpoint: a fresh AES-128 key wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256) to the business public
//! key, a 16-byte IV, and the AES-128-GCM encrypted request. The endpoint answers with its reply
//! encrypted under the same key and the bitwise-inverted IV. This crate does both halves and gets the
//! details right that hand-written snippets get wrong: a 16-byte GCM nonce (never a 12-byte fallback),
//! MGF1 with SHA-256, exact length checks, the HTTP status for each failure, and every private-key
//! format people actually have.
//!
//! # Decrypt a request, encrypt its response
//!
//! ```
//! use whatsapp_flows_crypto::{KeySet, PrivateKey};
//!
//! // Once, at start-up: parse the key (any PEM/DER form, encrypted or not).
//! let pem = include_str!("../tests/fixtures/keys/openssl-genrsa-des3.pem");
//! let keys = KeySet::new(PrivateKey::from_pem(pem, Some(b"flows-test-passphrase"))?);
//! # let body = keys.current().public_key()
//! #     .encrypt_request(br#"{"version":"3.0","action":"ping"}"#)?.body().to_owned();
//!
//! // Per request: `body` is the raw HTTP body WhatsApp POSTed.
//! let request = match keys.decrypt_request(body.as_bytes()) {
//!     Ok(request) => request,
//!     Err(err) => panic!("answer HTTP {}: {err}", err.http_status()), // 400 or 421
//! };
//! #[derive(serde::Deserialize)]
//! struct Request<'a> { action: &'a str }
//! assert_eq!(request.json::<Request<'_>>()?.action, "ping");
//!
//! // The response context encrypts exactly once; the result is the 200 `text/plain` body.
//! let (_plaintext, reply) = request.into_parts();
//! let response_body: String = reply.encrypt(&serde_json::json!({"data": {"status": "active"}}))?;
//! # assert!(!response_body.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What is in the box
//!
//! - [`PrivateKey`]: PKCS#8, encrypted PKCS#8 (PBKDF2/scrypt, AES/3DES), PKCS#1 and legacy encrypted
//!   PKCS#1 (`Proc-Type: 4,ENCRYPTED`, as Meta's Node.js generator writes), PEM or DER, with errors that
//!   say what to do. [`PublicKey::to_pem`] gives the SPKI text to register with Meta.
//! - [`KeySet`]: several keys for rotation, current first.
//! - [`KeySet::decrypt_request`] → [`DecryptedRequest`] → [`ResponseContext::encrypt`], which consumes
//!   the context so a key/IV pair can never encrypt twice.
//! - [`SignatureVerifier`]: `X-Hub-Signature-256` against one or more app secrets, constant time.
//! - [`decrypt_media`]: PhotoPicker/DocumentPicker files, with each integrity check its own error.
//! - Feature `client`: [`PublicKey::encrypt_request`] and [`PendingResponse::decrypt`], the WhatsApp
//!   client's half, for tests, load generators and the `flows` CLI.
//!
//! # Backends
//!
//! The RSA private-key operation costs about a millisecond and dominates every request. The default
//! [`Backend::RustCrypto`] uses the pure-Rust, constant-time, blinded `rsa` crate. Feature `aws-lc`
//! adds [`Backend::AwsLc`] (aws-lc-rs, constant time, several times faster) and makes it the default;
//! [`PrivateKey::with_backend`] chooses per key. AES-GCM always runs on `aes-gcm` (AES-NI and CLMUL
//! when the CPU has them), because WhatsApp's 16-byte GCM nonce is outside aws-lc-rs's AEAD API.
//!
//! # Dependencies and why
//!
//! `rsa`, `aes-gcm`, `sha2`, `base64`, `serde`, `serde_json`, `thiserror` and `zeroize` as the design asks;
//! beyond those: `pkcs1`/`pkcs8`/`pkcs5`/`spki` (the key containers and PBES2 key encryption `rsa`
//! itself builds on), `aes`/`des`/`cbc`/`md-5` (legacy encrypted PEM and media, which no maintained crate
//! reads), `hmac` and `subtle` (signatures and media MACs, compared in constant time), `getrandom`/
//! `rand_core` (OS randomness for blinding and client keys), and optionally `aws-lc-rs` (speed).
//!
//! # Hygiene
//!
//! AES keys, passphrase-derived keys and plaintexts are zeroized on drop; no `Debug` output shows key
//! material or decrypted data; the crate has no `unsafe` and does not panic on any input.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod backend;
#[cfg(feature = "client")]
mod client;
mod envelope;
mod error;
mod key;
mod legacy;
mod media;
mod pem;
mod signature;

pub use backend::Backend;
#[cfg(feature = "client")]
pub use client::{EncryptedRequest, PendingResponse};
pub use envelope::{DecryptedRequest, Plaintext, ResponseContext};
#[cfg(feature = "client")]
pub use error::ClientError;
#[cfg(feature = "diagnostics")]
pub use error::DecryptFailure;
pub use error::{
    CannotDecrypt, KeyError, MalformedEnvelope, MediaError, RequestError, ResponseError,
    SignatureError, TokenSignatureError,
};
pub use key::{Fingerprint, KeySet, PrivateKey, PublicKey};
pub use media::{EncryptionMetadata, MediaPlaintext, decrypt_media};
pub use signature::{
    FlowTokenClaims, SIGNATURE_HEADER, SignatureVerifier, TOKEN_SIGNATURE_LEEWAY, sign,
};

/// Re-exported so callers can hold secrets the way this crate does.
pub use zeroize::Zeroizing;

mod b64 {
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

    /// Standard alphabet; padding written on encode, optional on decode (some HTTP stacks strip it).
    pub(crate) const STANDARD: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
}
