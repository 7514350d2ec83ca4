//! `flows inspect-request`: decrypt a captured request body, or say which step fails and with which key.
//!
//! The crypto crate deliberately reports every decryption failure as one `CannotDecrypt` value (no
//! padding or tag oracle for attackers); with its feature `diagnostics` the cause is a typed value
//! ([`CannotDecrypt::cause`](whatsapp_flows_crypto::CannotDecrypt::cause)), which is exactly what a
//! developer debugging a 421 on their own data needs, matched here without reading any message text. The envelope checks (JSON, fields, base64, sizes)
//! are done here step by step so each problem is named precisely.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use serde_json::Value;
use whatsapp_flows_crypto::{DecryptFailure, PrivateKey, RequestError, Zeroizing};

use crate::cli::InspectArgs;
use crate::error::{Exit, Failure};
use crate::keys;

const FIELD_KEY: &str = "encrypted_aes_key";
const FIELD_IV: &str = "initial_vector";
const FIELD_DATA: &str = "encrypted_flow_data";
const IV_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// Standard base64, padding optional (as the crypto crate reads it).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decrypts the body with each key in turn; prints steps to stderr and the plaintext JSON to stdout.
pub(crate) fn run(args: &InspectArgs, passphrase_env: &str) -> Result<Exit, Failure> {
    let body = read_body(&args.body)?;
    let sizes = check_envelope(&body)?;
    eprintln!(
        "envelope: {FIELD_KEY} {} bytes, {FIELD_IV} {} bytes, {FIELD_DATA} {} bytes",
        sizes.key, sizes.iv, sizes.data
    );
    let mut warnings = Vec::new();
    if sizes.iv != IV_LEN {
        warnings.push(format!(
            "{FIELD_IV} is {} bytes; WhatsApp sends a 16-byte GCM nonce{}",
            sizes.iv,
            if sizes.iv == 12 {
                " (12 bytes is the usual GCM nonce size, but not what WhatsApp uses)"
            } else {
                ""
            }
        ));
    }
    if sizes.data < TAG_LEN {
        warnings.push(format!(
            "{FIELD_DATA} is {} bytes, shorter than the 16-byte GCM tag it must end with",
            sizes.data
        ));
    }
    for warning in &warnings {
        eprintln!("  problem: {warning}");
    }

    let keys = args
        .key
        .iter()
        .map(|path| Ok((path.clone(), keys::load_private(path, passphrase_env)?)))
        .collect::<Result<Vec<(PathBuf, PrivateKey)>, Failure>>()?;

    let mut verdicts = Vec::new();
    for (index, (path, key)) in keys.iter().enumerate() {
        let label = format!(
            "key {} {} ({}, {} bits)",
            index + 1,
            key.fingerprint(),
            path.display(),
            key.bits()
        );
        let expected = key.bits().div_ceil(8);
        if sizes.key != expected {
            eprintln!(
                "{label}: {FIELD_KEY} is {} bytes but an RSA-OAEP ciphertext for this key is {expected} bytes \
                 (it was encrypted to a key of another size, or cut short)",
                sizes.key
            );
        }
        match key.decrypt_request(&body) {
            Ok(request) => {
                eprintln!("{label}: RSA-OAEP unwrap ok, AES-128-GCM ok: decrypted");
                let (plaintext, _reply) = request.into_parts();
                let pretty = serde_json::from_str::<Value>(&plaintext)
                    .and_then(|v| serde_json::to_string_pretty(&v))
                    .map(Zeroizing::new)
                    .unwrap_or_else(|_| Zeroizing::new(plaintext.to_string()));
                println!("{}", *pretty);
                return Ok(Exit::Success);
            }
            Err(RequestError::CannotDecrypt(cause)) => {
                let verdict = Verdict::from_cause(cause.cause());
                eprintln!("{label}: {}", verdict.step());
                verdicts.push((label, verdict));
            }
            Err(other) => {
                return Err(Failure::local(format!(
                    "the envelope is malformed: {other} (HTTP {} at an endpoint)",
                    other.http_status()
                )));
            }
        }
    }
    Err(Failure::local(conclusion(&verdicts)))
}

fn read_body(path: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let mut body = Zeroizing::new(Vec::new());
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_end(&mut body).map(|_| ())
    } else {
        std::fs::read(path).map(|data| *body = data)
    };
    result.map_err(|e| Failure::local(format!("cannot read {}: {e}", path.display())))?;
    Ok(body)
}

/// Decoded sizes of the three envelope fields.
struct Sizes {
    key: usize,
    iv: usize,
    data: usize,
}

/// Parses the envelope and decodes each field, naming exactly what is wrong.
fn check_envelope(body: &[u8]) -> Result<Sizes, Failure> {
    let bad = |what: String| {
        Failure::local(format!(
            "step 1, the envelope: {what} (an endpoint answers HTTP 400 to this)"
        ))
    };
    let value: Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the body is not JSON ({e})")))?;
    let Value::Object(fields) = value else {
        return Err(bad("the body is JSON but not an object".to_owned()));
    };
    let decoded_len = |name: &str| -> Result<usize, Failure> {
        let text = match fields.get(name) {
            None => return Err(bad(format!("the field `{name}` is missing"))),
            Some(Value::String(text)) => text,
            Some(_) => return Err(bad(format!("the field `{name}` is not a string"))),
        };
        match BASE64.decode(text.trim()) {
            Ok(bytes) => Ok(bytes.len()),
            Err(e) => {
                let hint = if general_purpose::URL_SAFE_NO_PAD
                    .decode(text.trim().trim_end_matches('='))
                    .is_ok()
                {
                    ": it is URL-safe base64 (`-`/`_`), WhatsApp sends standard base64 (`+`/`/`)"
                } else {
                    ""
                };
                Err(bad(format!(
                    "the field `{name}` is not valid standard base64 ({e}){hint}"
                )))
            }
        }
    };
    Ok(Sizes {
        key: decoded_len(FIELD_KEY)?,
        iv: decoded_len(FIELD_IV)?,
        data: decoded_len(FIELD_DATA)?,
    })
}

/// How far decryption got with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// The RSA-OAEP unwrap of the AES key failed: not this key (or other padding, or altered).
    Rsa,
    /// The key unwrapped (so this is the right key), but to something that is not an AES-128 key.
    AesKeyLength,
    /// The key unwrapped, but the IV is not 16 bytes.
    IvLength,
    /// The key unwrapped, but the data is shorter than the tag.
    Truncated,
    /// The key unwrapped, but the GCM tag does not verify: data or IV altered.
    Tag,
    /// Decrypted, but the plaintext is not UTF-8 JSON.
    NotJson,
    /// A cause this version does not know, as the crypto crate describes it.
    Other(String),
}

impl Verdict {
    /// The step that failed, from the crypto crate's typed cause (feature `diagnostics`).
    fn from_cause(cause: DecryptFailure) -> Self {
        match cause {
            DecryptFailure::RsaUnwrap => Self::Rsa,
            DecryptFailure::AesKeyLength => Self::AesKeyLength,
            DecryptFailure::IvLength => Self::IvLength,
            DecryptFailure::Truncated => Self::Truncated,
            DecryptFailure::Tag => Self::Tag,
            DecryptFailure::NotUtf8 | DecryptFailure::NotJson => Self::NotJson,
            // A cause added by a newer crypto crate: shown as it names itself.
            other => Self::Other(format!("{other:?}")),
        }
    }

    /// The step that failed, one line.
    fn step(&self) -> String {
        match self {
            Self::Rsa => "step 2 failed: RSA-OAEP (SHA-256, MGF1-SHA-256) did not unwrap the AES key".to_owned(),
            Self::AesKeyLength => {
                "step 2 ok (this is the right key), step 3 failed: the unwrapped AES key is not 16 bytes".to_owned()
            }
            Self::IvLength => {
                "step 2 ok (this is the right key), step 3 failed: initial_vector is not 16 bytes".to_owned()
            }
            Self::Truncated => {
                "step 2 ok (this is the right key), step 3 failed: encrypted_flow_data is shorter than the GCM tag"
                    .to_owned()
            }
            Self::Tag => {
                "step 2 ok (this is the right key), step 3 failed: the AES-128-GCM tag does not verify".to_owned()
            }
            Self::NotJson => {
                "steps 2 and 3 ok, step 4 failed: the decrypted plaintext is not UTF-8 JSON".to_owned()
            }
            Self::Other(debug) => format!("failed: {debug}"),
        }
    }

    /// Why, and what to do.
    fn advice(&self) -> &'static str {
        match self {
            Self::Rsa => {
                "the request was encrypted to a different public key than the one given (check which key Meta has \
                 with `flows key-status`, and that the endpoint loads the matching private key), or with other \
                 padding (MGF1-SHA1 or PKCS#1 v1.5 instead of OAEP-SHA256), or encrypted_aes_key was altered"
            }
            Self::AesKeyLength => {
                "the sender wrapped an AES key of another size: WhatsApp uses AES-128"
            }
            Self::IvLength => {
                "WhatsApp sends a 16-byte initial_vector; this one was built or altered otherwise"
            }
            Self::Truncated => {
                "encrypted_flow_data was cut short: it must end with a 16-byte GCM tag"
            }
            Self::Tag => {
                "encrypted_flow_data or initial_vector was altered or truncated on the way (a proxy rewriting the \
                 body, a re-encoded JSON string), or the sender encrypted with a 12-byte nonce or another IV"
            }
            Self::NotJson => "the sender encrypted something other than UTF-8 JSON",
            Self::Other(_) => "see the cause above",
        }
    }
}

/// The final message: the furthest step any key reached, and what it means.
fn conclusion(verdicts: &[(String, Verdict)]) -> String {
    let furthest = verdicts
        .iter()
        .find(|(_, verdict)| *verdict != Verdict::Rsa);
    match furthest {
        Some((label, verdict)) => format!(
            "cannot decrypt this request: with {label}, {}: {}",
            verdict.step(),
            verdict.advice()
        ),
        None => {
            let tried: Vec<&str> = verdicts.iter().map(|(label, _)| label.as_str()).collect();
            format!(
                "cannot decrypt this request: RSA-OAEP failed with every key tried ({}): {} (an endpoint answers \
                 HTTP 421 to this)",
                tried.join("; "),
                Verdict::Rsa.advice()
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_cause_maps_to_a_step() {
        for (cause, verdict) in [
            (DecryptFailure::RsaUnwrap, Verdict::Rsa),
            (DecryptFailure::AesKeyLength, Verdict::AesKeyLength),
            (DecryptFailure::IvLength, Verdict::IvLength),
            (DecryptFailure::Truncated, Verdict::Truncated),
            (DecryptFailure::Tag, Verdict::Tag),
            (DecryptFailure::NotUtf8, Verdict::NotJson),
            (DecryptFailure::NotJson, Verdict::NotJson),
        ] {
            assert_eq!(Verdict::from_cause(cause), verdict, "{cause:?}");
        }
    }
}
