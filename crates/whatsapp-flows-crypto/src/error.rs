//! One error enum per concern, each `#[non_exhaustive]` so new failure modes are not breaking changes.
//!
//! None of these errors carries key material, passphrases or decrypted data.

use std::fmt;

/// Why a private or public key could not be loaded.
///
/// Every message says what to do next, because the person reading it is usually setting up an endpoint
/// for the first time.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is encrypted and no passphrase was given.
    #[error("the private key is encrypted: supply the passphrase it was created with")]
    PassphraseRequired,
    /// A passphrase was given but it does not decrypt the key.
    #[error(
        "wrong passphrase: it does not decrypt this private key (check for a trailing newline or a different key file)"
    )]
    WrongPassphrase,
    /// The key is not an RSA key (EC, Ed25519, DSA, ...).
    #[error(
        "this is a {algorithm} key, not RSA: WhatsApp Flows needs an RSA-2048 key \
         (create one with `openssl genrsa -des3 -out private.pem 2048` or `flows keygen`)"
    )]
    NotRsa {
        /// The algorithm the key is for, as far as it could be told.
        algorithm: String,
    },
    /// The RSA key is smaller than the 2048 bits WhatsApp uses.
    #[error(
        "the RSA key has {bits} bits: WhatsApp Flows needs 2048 bits \
         (create one with `openssl genrsa -des3 -out private.pem 2048` or `flows keygen`)"
    )]
    TooSmall {
        /// The modulus size of the key that was given.
        bits: usize,
    },
    /// A public key (or certificate) was given where the private key is needed.
    #[error(
        "this is a public key or certificate: the endpoint needs the private key \
         (the public key is what you register with Meta)"
    )]
    NotPrivate,
    /// A private key was given where a public key is expected. Its public half is the public key:
    /// load it as a [`PrivateKey`](crate::PrivateKey) and take
    /// [`PrivateKey::public_key`](crate::PrivateKey::public_key).
    #[error(
        "this is a private key where a public key was expected: derive the public key with \
         `flows public-key` or `openssl pkey -pubout`"
    )]
    NotPublic,
    /// An X.509 certificate was given where a bare public key is expected.
    #[error(
        "this is a certificate, not a public key: extract its public key with \
         `openssl x509 -pubkey -noout -in CERT`"
    )]
    Certificate,
    /// The key is encrypted with a scheme this crate does not implement.
    #[error(
        "the key is encrypted with an unsupported scheme ({0}): re-encrypt it with \
         `openssl pkcs8 -topk8 -v2 aes-256-cbc -in old.pem -out private.pem`"
    )]
    UnsupportedEncryption(String),
    /// The input is not a key in any form this crate reads (private or public: the message names
    /// both, since the same PEM and DER readers serve both).
    #[error(
        "not a key in a known format ({0}): a private key is PEM (`-----BEGIN PRIVATE KEY-----`, \
         `ENCRYPTED PRIVATE KEY` or `RSA PRIVATE KEY`) or DER (PKCS#8 or PKCS#1); a public key is \
         PEM (`-----BEGIN PUBLIC KEY-----` or `RSA PUBLIC KEY`) or DER (SPKI or PKCS#1)"
    )]
    Unrecognized(&'static str),
    /// The key parsed but its numbers are not a valid RSA key.
    #[error("the RSA key is malformed or inconsistent: regenerate it")]
    Invalid,
    /// The public key could not be encoded as SPKI DER (the key and its fingerprint would be empty).
    #[error("the public key could not be encoded as SPKI")]
    Encode,
    /// The selected backend refused the key.
    #[error("the {backend} backend rejected the key: {reason}")]
    Backend {
        /// Name of the backend.
        backend: &'static str,
        /// What it said.
        reason: String,
    },
}

/// Why a request could not be turned into plaintext, with the HTTP status WhatsApp expects.
///
/// Two families: [`RequestError::Malformed`] (HTTP 400) for envelopes that are not what WhatsApp sends,
/// and [`RequestError::CannotDecrypt`] (HTTP 421) for everything that goes wrong with the cryptography.
/// On a 421 the WhatsApp client re-fetches the business public key and retries once.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is not a well-formed request envelope (HTTP 400).
    #[error("malformed request envelope: {0}")]
    Malformed(#[from] MalformedEnvelope),
    /// The envelope is well formed but cannot be decrypted (HTTP 421).
    #[error(transparent)]
    CannotDecrypt(#[from] CannotDecrypt),
}

impl RequestError {
    /// The HTTP status code to answer with: 400 or 421.
    ///
    /// ```
    /// use whatsapp_flows_crypto::{KeySet, PrivateKey};
    /// # let key = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None).unwrap();
    /// let keys = KeySet::new(key);
    /// let err = keys.decrypt_request(b"not json").unwrap_err();
    /// assert_eq!(err.http_status(), 400);
    /// ```
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Malformed(_) => 400,
            Self::CannotDecrypt(_) => 421,
        }
    }
}

/// What is wrong with a request envelope (HTTP 400).
///
/// Field names are the envelope's: `encrypted_flow_data`, `encrypted_aes_key`, `initial_vector`.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedEnvelope {
    /// The body is not a JSON object.
    #[error("the body is not a JSON object")]
    NotJson,
    /// A required field is absent.
    #[error("the field `{0}` is missing")]
    MissingField(&'static str),
    /// A field appears twice.
    #[error("the field `{0}` appears more than once")]
    DuplicateField(&'static str),
    /// A field is not a JSON string.
    #[error("the field `{0}` is not a string")]
    NotAString(&'static str),
    /// A field is not standard base64.
    #[error("the field `{0}` is not valid base64")]
    InvalidBase64(&'static str),
}

/// The request cannot be decrypted (HTTP 421).
///
/// All causes compare equal and display the same text, so an endpoint cannot act on *why*
/// decryption failed (no padding or tag oracle): it answers one uniform 421. The cause is visible
/// through `Debug`, for debug-level logs, and, for diagnostic tools only, as a typed value with the
/// feature `diagnostics` ([`CannotDecrypt::cause`]).
#[derive(Clone, Copy, thiserror::Error)]
#[error("the request cannot be decrypted")]
pub struct CannotDecrypt(pub(crate) DecryptFailure);

#[cfg(feature = "diagnostics")]
impl CannotDecrypt {
    /// Why decryption failed (feature `diagnostics`), for tools that explain a 421 to a developer,
    /// such as `flows inspect-request`. An endpoint must not branch on it: answering differently per
    /// cause would tell an attacker which step their forgery passed.
    ///
    /// ```
    /// use whatsapp_flows_crypto::{DecryptFailure, KeySet, PrivateKey, RequestError};
    /// # let key = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None).unwrap();
    /// let keys = KeySet::new(key);
    /// let body = r#"{"encrypted_flow_data":"AAAA","encrypted_aes_key":"AAAA","initial_vector":"AAAA"}"#;
    /// let Err(RequestError::CannotDecrypt(error)) = keys.decrypt_request(body.as_bytes()) else { panic!() };
    /// assert_eq!(error.cause(), DecryptFailure::RsaUnwrap);
    /// ```
    #[must_use]
    pub fn cause(&self) -> DecryptFailure {
        self.0
    }
}

impl PartialEq for CannotDecrypt {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for CannotDecrypt {}

impl fmt::Debug for CannotDecrypt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CannotDecrypt({})", self.0.as_str())
    }
}

/// Why a request could not be decrypted, step by step (public with the feature `diagnostics`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[cfg_attr(not(feature = "diagnostics"), allow(unreachable_pub))]
pub enum DecryptFailure {
    /// RSA-OAEP (SHA-256) did not unwrap the AES key with any key of the set.
    RsaUnwrap,
    /// The key unwrapped (so it is the right key) to something that is not an AES-128 key.
    AesKeyLength,
    /// The key unwrapped, but `initial_vector` is not 16 bytes.
    IvLength,
    /// The key unwrapped, but `encrypted_flow_data` is shorter than the GCM tag.
    Truncated,
    /// The key unwrapped, but the AES-GCM tag does not verify: data or IV altered.
    Tag,
    /// Decrypted, but the plaintext is not UTF-8.
    NotUtf8,
    /// Decrypted, but the plaintext is not JSON.
    NotJson,
}

impl DecryptFailure {
    fn as_str(self) -> &'static str {
        match self {
            Self::RsaUnwrap => "RSA-OAEP unwrap failed with every key",
            Self::AesKeyLength => "unwrapped AES key is not 16 bytes",
            Self::IvLength => "initial vector is not 16 bytes",
            Self::Truncated => "flow data is shorter than the GCM tag",
            Self::Tag => "AES-GCM tag mismatch",
            Self::NotUtf8 => "plaintext is not UTF-8",
            Self::NotJson => "plaintext is not JSON",
        }
    }
}

/// Why a response could not be encrypted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The value could not be serialized to JSON.
    #[error("the response could not be serialized to JSON: {0}")]
    Serialize(#[from] serde_json::Error),
    /// AES-GCM refused to encrypt (it does only for messages over 64 GiB): no reply rather than one
    /// without its tag.
    #[error("AES-GCM refused to encrypt the response")]
    Encrypt,
}

/// Why an `X-Hub-Signature-256` check failed (HTTP 432).
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The request carries no `X-Hub-Signature-256` header.
    #[error("the X-Hub-Signature-256 header is missing")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("the X-Hub-Signature-256 header is not `sha256=<64 hex digits>`")]
    Malformed,
    /// The signature matches none of the app secrets.
    #[error("the request signature does not match the app secret")]
    Mismatch,
}

/// Why a Data API 4.0 `flow_token_signature` was refused (the endpoint answers HTTP 427).
#[derive(Debug, thiserror::Error, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenSignatureError {
    /// Not a compact JWT (three base64url parts) with a JSON header and a JSON object payload, or a
    /// registered claim of the wrong type.
    #[error("the flow_token_signature is not a well-formed JWT")]
    Malformed,
    /// The header's `alg` is not `HS256` (`none` included).
    #[error("the flow_token_signature is not signed with HS256")]
    Algorithm,
    /// The MAC matches none of the app secrets.
    #[error("the flow_token_signature does not match the app secret")]
    Mismatch,
    /// The payload has no `flow_token` string claim.
    #[error("the flow_token_signature has no flow_token claim")]
    MissingFlowToken,
    /// The signed `flow_token` is not the request's.
    #[error("the flow_token_signature was made for another flow token")]
    FlowTokenMismatch,
    /// `exp` is past (beyond the leeway).
    #[error("the flow_token_signature has expired")]
    Expired,
    /// `nbf` is still to come (beyond the leeway).
    #[error("the flow_token_signature is not valid yet")]
    NotYetValid,
}

/// Why a PhotoPicker / DocumentPicker file could not be decrypted.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaError {
    /// A field of `encryption_metadata` is not base64 or has the wrong length.
    #[error("encryption_metadata.{field} is invalid: expected base64 of {expected} bytes")]
    InvalidMetadata {
        /// The metadata field.
        field: &'static str,
        /// The length it must decode to.
        expected: usize,
    },
    /// The file is too short to hold a MAC and one AES block.
    #[error("the encrypted file is too short")]
    TooShort,
    /// SHA-256 of the downloaded file differs from `encrypted_hash` (corrupted or wrong download).
    #[error("SHA-256 of the encrypted file does not match encrypted_hash")]
    EncryptedHashMismatch,
    /// The HMAC-SHA256 over IV and ciphertext differs from the file's trailing 10 bytes.
    #[error("the file's HMAC does not match (wrong hmac_key or tampered file)")]
    HmacMismatch,
    /// AES-256-CBC decryption failed (length or PKCS#7 padding).
    #[error("AES-256-CBC decryption failed (wrong encryption_key or iv)")]
    Decryption,
    /// SHA-256 of the plaintext differs from `plaintext_hash`.
    #[error("SHA-256 of the decrypted file does not match plaintext_hash")]
    PlaintextHashMismatch,
}

/// Why a client-side operation (encrypting a request, decrypting a response) failed.
#[cfg(feature = "client")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request value could not be serialized to JSON.
    #[error("the request could not be serialized to JSON: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
    /// RSA-OAEP encryption to the public key failed.
    #[error("RSA-OAEP encryption failed")]
    Rsa,
    /// AES-GCM refused to encrypt the request (it does only for messages over 64 GiB).
    #[error("AES-GCM encryption of the request failed")]
    Encrypt,
    /// The response body is not base64.
    #[error(
        "the response body is not base64 (the endpoint answered something other than an encrypted reply)"
    )]
    ResponseNotBase64,
    /// The response does not decrypt under the request's key and inverted IV.
    #[error("the response does not decrypt with this request's key and inverted IV")]
    ResponseDecryption,
    /// The decrypted response is not UTF-8.
    #[error("the decrypted response is not UTF-8")]
    ResponseNotUtf8,
}
