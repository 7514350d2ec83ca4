//! The server side: request envelope in, plaintext and a one-time response context out.

use std::borrow::Cow;
use std::fmt;

use aes_gcm::aead::consts::U16;
use aes_gcm::{AeadInOut as _, KeyInit as _, Nonce, Tag};
use base64::Engine as _;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::b64;
use crate::error::{CannotDecrypt, DecryptFailure, MalformedEnvelope, RequestError, ResponseError};
use crate::key::{Fingerprint, KeySet, PrivateKey};

/// AES-128-GCM with WhatsApp's 16-byte nonce (GCM derives the counter block with GHASH).
pub(crate) type Aes128Gcm16 = aes_gcm::AesGcm<aes::Aes128, U16>;
pub(crate) const TAG_LEN: usize = 16;
pub(crate) const IV_LEN: usize = 16;
pub(crate) const AES_KEY_LEN: usize = 16;

pub(crate) const FIELD_DATA: &str = "encrypted_flow_data";
pub(crate) const FIELD_KEY: &str = "encrypted_aes_key";
pub(crate) const FIELD_IV: &str = "initial_vector";

impl KeySet {
    /// Decrypts a request from the raw HTTP body bytes.
    ///
    /// Tries each key, current first. Enforces WhatsApp's sizes exactly: a 16-byte AES key, a 16-byte
    /// IV (never a 12-byte fallback) and flow data of at least the 16-byte tag. The plaintext must be
    /// UTF-8 JSON.
    ///
    /// # Errors
    /// [`RequestError::Malformed`] (HTTP 400) when the body is not an envelope,
    /// [`RequestError::CannotDecrypt`] (HTTP 421) for every cryptographic failure.
    ///
    /// # Example
    /// ```
    /// use whatsapp_flows_crypto::{KeySet, PrivateKey};
    /// # let key = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None)?;
    /// # let body = serde_json::json!({"encrypted_flow_data":"AAAAAAAAAAAAAAAAAAAAAA==","encrypted_aes_key":"AA==","initial_vector":"AA=="}).to_string();
    /// let keys = KeySet::new(key);
    /// match keys.decrypt_request(body.as_bytes()) {
    ///     Ok(request) => { /* route request.plaintext(), answer with request.into_parts().1 */ }
    ///     Err(err) => assert_eq!(err.http_status(), 421),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decrypt_request(&self, body: &[u8]) -> Result<DecryptedRequest, RequestError> {
        let envelope = Envelope::parse(body)?;
        let wrapped_key = decode_field(FIELD_KEY, &envelope.encrypted_aes_key)?;
        let iv = decode_field(FIELD_IV, &envelope.initial_vector)?;
        let mut data = Zeroizing::new(decode_field(FIELD_DATA, &envelope.encrypted_flow_data)?);

        // The RSA step comes first and length checks after it, so a malformed IV or short payload
        // costs the same time as a tag mismatch.
        let (key, aes_key) = self
            .iter()
            .find_map(|key| key.unwrap_aes_key(&wrapped_key).map(|aes| (key, aes)))
            .ok_or(CannotDecrypt(DecryptFailure::RsaUnwrap))?;
        let aes_key: &[u8; AES_KEY_LEN] = aes_key
            .as_slice()
            .try_into()
            .map_err(|_| CannotDecrypt(DecryptFailure::AesKeyLength))?;
        let iv: [u8; IV_LEN] = iv
            .as_slice()
            .try_into()
            .map_err(|_| CannotDecrypt(DecryptFailure::IvLength))?;
        let cipher = Aes128Gcm16::new(aes_key.into());
        open_in_place(&cipher, &iv, &mut data)?;

        let plaintext = String::from_utf8(std::mem::take(&mut *data))
            .map_err(|e| {
                // Wipe the rejected bytes before they are dropped.
                drop(Zeroizing::new(e.into_bytes()));
                CannotDecrypt(DecryptFailure::NotUtf8)
            })
            .map(Zeroizing::new)?;
        if serde_json::from_str::<IgnoredAny>(&plaintext).is_err() {
            return Err(CannotDecrypt(DecryptFailure::NotJson).into());
        }
        Ok(DecryptedRequest {
            plaintext: Plaintext(plaintext),
            response: ResponseContext {
                cipher,
                iv: invert(&iv),
            },
            key: key.fingerprint(),
        })
    }
}

impl PrivateKey {
    /// Decrypts a request with this key alone; see [`KeySet::decrypt_request`].
    ///
    /// # Errors
    /// As [`KeySet::decrypt_request`].
    pub fn decrypt_request(&self, body: &[u8]) -> Result<DecryptedRequest, RequestError> {
        KeySet::new(self.clone()).decrypt_request(body)
    }
}

pub(crate) fn invert(iv: &[u8; IV_LEN]) -> [u8; IV_LEN] {
    iv.map(|b| !b)
}

/// Decrypts `data` (ciphertext || tag) in place and truncates it to the plaintext.
pub(crate) fn open_in_place(
    cipher: &Aes128Gcm16,
    iv: &[u8; IV_LEN],
    data: &mut Vec<u8>,
) -> Result<(), CannotDecrypt> {
    let body_len = data
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(CannotDecrypt(DecryptFailure::Truncated))?;
    let (body, tag) = data.split_at_mut(body_len);
    let tag = Tag::<U16>::try_from(&*tag).map_err(|_| CannotDecrypt(DecryptFailure::Truncated))?;
    cipher
        .decrypt_inout_detached(&Nonce::<U16>::from(*iv), &[], body.into(), &tag)
        .map_err(|_| CannotDecrypt(DecryptFailure::Tag))?;
    data.truncate(body_len);
    Ok(())
}

/// Encrypts `buf` in place, appends the tag and returns the base64 text.
///
/// GCM refuses only messages over 64 GiB, which never reach here; should it refuse, the error is
/// returned, never a body without its tag.
pub(crate) fn seal_to_base64(
    cipher: &Aes128Gcm16,
    iv: &[u8; IV_LEN],
    mut buf: Vec<u8>,
) -> Result<String, aes_gcm::Error> {
    buf.reserve_exact(TAG_LEN);
    let tag =
        cipher.encrypt_inout_detached(&Nonce::<U16>::from(*iv), &[], buf.as_mut_slice().into())?;
    buf.extend_from_slice(&tag);
    Ok(b64::STANDARD.encode(&buf))
}

fn decode_field(field: &'static str, text: &str) -> Result<Vec<u8>, MalformedEnvelope> {
    b64::STANDARD
        .decode(text.as_bytes())
        .map_err(|_| MalformedEnvelope::InvalidBase64(field))
}

/// A decrypted request: the plaintext JSON and the one-time context that encrypts its response.
pub struct DecryptedRequest {
    plaintext: Plaintext,
    response: ResponseContext,
    key: Fingerprint,
}

impl DecryptedRequest {
    /// The plaintext JSON, borrowed.
    #[must_use]
    pub fn plaintext(&self) -> &str {
        &self.plaintext
    }

    /// Deserializes the plaintext into a caller's type (borrowing from it where the type allows).
    ///
    /// # Errors
    /// The `serde_json` error if the JSON does not fit `T`.
    pub fn json<'a, T: Deserialize<'a>>(&'a self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.plaintext)
    }

    /// Which key decrypted the request (during rotation, tells whether clients still use the old one).
    #[must_use]
    pub fn key_fingerprint(&self) -> Fingerprint {
        self.key
    }

    /// Splits into the plaintext and the response context, e.g. to parse the one while holding the other
    /// across an `.await`.
    #[must_use]
    pub fn into_parts(self) -> (Plaintext, ResponseContext) {
        (self.plaintext, self.response)
    }
}

impl fmt::Debug for DecryptedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptedRequest")
            .field("plaintext", &self.plaintext)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Decrypted request JSON, wiped from memory on drop. Dereferences to `str`; `Debug` shows only its length.
pub struct Plaintext(Zeroizing<String>);

impl std::ops::Deref for Plaintext {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Plaintext {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Plaintext(<{} bytes>)", self.0.len())
    }
}

/// Encrypts the one response to a request: same AES key, inverted IV.
///
/// Encrypting consumes the context, so a key/IV pair can never encrypt twice (GCM nonce reuse would
/// leak the key stream). It is `Send + 'static`, so a handler can hold it across `.await`.
///
/// ```compile_fail
/// # fn f(ctx: whatsapp_flows_crypto::ResponseContext) {
/// let first = ctx.encrypt_bytes(b"{}");
/// let second = ctx.encrypt_bytes(b"{}"); // error: use of moved value
/// # }
/// ```
pub struct ResponseContext {
    cipher: Aes128Gcm16,
    iv: [u8; IV_LEN],
}

impl ResponseContext {
    /// Serializes `value` to JSON and encrypts it; the result is the HTTP response body (base64 text,
    /// sent as `text/plain` with status 200).
    ///
    /// # Errors
    /// [`ResponseError::Serialize`] if `value` cannot be serialized to JSON,
    /// [`ResponseError::Encrypt`] if AES-GCM refuses to encrypt it.
    pub fn encrypt<T: Serialize + ?Sized>(self, value: &T) -> Result<String, ResponseError> {
        let mut json = Zeroizing::new(Vec::with_capacity(256));
        serde_json::to_writer(&mut *json, value)?;
        self.encrypt_owned(std::mem::take(&mut *json))
    }

    /// Encrypts plaintext bytes as they are (for byte-exact known-answer tests and pre-serialized JSON).
    ///
    /// # Errors
    /// [`ResponseError::Encrypt`] if AES-GCM refuses to encrypt it (only past 64 GiB).
    pub fn encrypt_bytes(self, plaintext: &[u8]) -> Result<String, ResponseError> {
        let mut buf = Vec::with_capacity(plaintext.len() + TAG_LEN);
        buf.extend_from_slice(plaintext);
        self.encrypt_owned(buf)
    }

    fn encrypt_owned(self, buf: Vec<u8>) -> Result<String, ResponseError> {
        seal_to_base64(&self.cipher, &self.iv, buf).map_err(|_| ResponseError::Encrypt)
    }
}

impl fmt::Debug for ResponseContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseContext(<redacted>)")
    }
}

const _: () = {
    const fn assert_send_static<T: Send + Sync + 'static>() {}
    assert_send_static::<ResponseContext>();
    assert_send_static::<DecryptedRequest>();
};

/// The three envelope fields, borrowed from the body where JSON escapes allow.
struct Envelope<'a> {
    encrypted_flow_data: Cow<'a, str>,
    encrypted_aes_key: Cow<'a, str>,
    initial_vector: Cow<'a, str>,
}

impl<'a> Envelope<'a> {
    fn parse(body: &'a [u8]) -> Result<Self, MalformedEnvelope> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let mut outcome = Err(MalformedEnvelope::NotJson);
        let parsed = de.deserialize_map(EnvelopeVisitor {
            outcome: &mut outcome,
        });
        if parsed.is_err() {
            return Err(outcome.err().unwrap_or(MalformedEnvelope::NotJson));
        }
        if de.end().is_err() {
            return Err(MalformedEnvelope::NotJson);
        }
        outcome
    }
}

struct EnvelopeVisitor<'o, 'a> {
    /// Carries the precise reason out of serde, whose own errors are stringly typed.
    outcome: &'o mut Result<Envelope<'a>, MalformedEnvelope>,
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a WhatsApp Flows request envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut fields: [Option<Cow<'de, str>>; 3] = [None, None, None];
        while let Some(name) = map.next_key::<Cow<'de, str>>()? {
            let (index, field) = match &*name {
                FIELD_DATA => (0, FIELD_DATA),
                FIELD_KEY => (1, FIELD_KEY),
                FIELD_IV => (2, FIELD_IV),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            let value = match map.next_value::<StrOrOther<'de>>()? {
                StrOrOther::Str(value) => value,
                StrOrOther::Other => return self.fail(MalformedEnvelope::NotAString(field)),
            };
            let Some(slot) = fields.get_mut(index) else {
                continue;
            };
            if slot.replace(value).is_some() {
                return self.fail(MalformedEnvelope::DuplicateField(field));
            }
        }
        let [data, key, iv] = fields;
        *self.outcome = match (data, key, iv) {
            (None, _, _) => Err(MalformedEnvelope::MissingField(FIELD_DATA)),
            (_, None, _) => Err(MalformedEnvelope::MissingField(FIELD_KEY)),
            (_, _, None) => Err(MalformedEnvelope::MissingField(FIELD_IV)),
            (Some(encrypted_flow_data), Some(encrypted_aes_key), Some(initial_vector)) => {
                Ok(Envelope {
                    encrypted_flow_data,
                    encrypted_aes_key,
                    initial_vector,
                })
            }
        };
        Ok(())
    }
}

impl EnvelopeVisitor<'_, '_> {
    fn fail<E: de::Error>(self, detail: MalformedEnvelope) -> Result<(), E> {
        *self.outcome = Err(detail);
        Err(E::custom("malformed envelope"))
    }
}

/// A JSON value that is either a string (kept) or anything else (skipped).
enum StrOrOther<'a> {
    Str(Cow<'a, str>),
    Other,
}

impl<'de> Deserialize<'de> for StrOrOther<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrOrOther<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(StrOrOther::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(StrOrOther::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(StrOrOther::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(StrOrOther::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(StrOrOther::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(StrOrOther::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(StrOrOther::Other)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(StrOrOther::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StrOrOther::Other)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_errors_name_the_field() {
        let parse = |s: &str| Envelope::parse(s.as_bytes()).map(|_| ());
        assert_eq!(parse("nope"), Err(MalformedEnvelope::NotJson));
        assert_eq!(parse("[]"), Err(MalformedEnvelope::NotJson));
        assert_eq!(parse("{} trailing"), Err(MalformedEnvelope::NotJson));
        assert_eq!(
            parse(r#"{"encrypted_flow_data":"a","encrypted_aes_key":"b"}"#),
            Err(MalformedEnvelope::MissingField(FIELD_IV))
        );
        assert_eq!(
            parse(r#"{"encrypted_flow_data":"a","encrypted_aes_key":1,"initial_vector":"c"}"#),
            Err(MalformedEnvelope::NotAString(FIELD_KEY))
        );
        assert_eq!(
            parse(r#"{"encrypted_flow_data":"a","encrypted_flow_data":"a"}"#),
            Err(MalformedEnvelope::DuplicateField(FIELD_DATA))
        );
        assert!(
            parse(r#"{"x":[1,{"y":null}],"encrypted_flow_data":"a\/b","encrypted_aes_key":"b","initial_vector":"c"}"#)
                .is_ok()
        );
    }
}
