//! `X-Hub-Signature-256` verification: HMAC-SHA256 of the raw body under the Meta app secret.

use std::fmt;
use std::fmt::Write as _;

use hmac::{KeyInit as _, Mac as _};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::error::SignatureError;

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The name of the header Meta signs requests with.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";

/// Verifies request signatures against one or more app secrets (several during a secret rotation).
///
/// Checks run over the raw body bytes, before any parsing, and compare in constant time.
///
/// ```
/// use whatsapp_flows_crypto::{SignatureVerifier, sign};
///
/// let verifier = SignatureVerifier::new("new-secret").with_previous("old-secret");
/// let body = br#"{"encrypted_flow_data":"..."}"#;
/// assert!(verifier.verify(Some(sign(b"old-secret", body).as_bytes()), body).is_ok());
/// assert!(verifier.verify(Some(b"sha256=00"), body).is_err());
/// assert!(verifier.verify(None, body).is_err());
/// ```
#[derive(Clone)]
pub struct SignatureVerifier {
    secrets: Vec<Zeroizing<Vec<u8>>>,
}

impl SignatureVerifier {
    /// A verifier for the current app secret.
    #[must_use]
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            secrets: vec![Zeroizing::new(secret.as_ref().to_vec())],
        }
    }

    /// Also accepts signatures made with an older secret.
    #[must_use]
    pub fn with_previous(mut self, secret: impl AsRef<[u8]>) -> Self {
        self.secrets.push(Zeroizing::new(secret.as_ref().to_vec()));
        self
    }

    /// Checks the `X-Hub-Signature-256` header value (`None` when the header is absent) against `body`.
    ///
    /// # Errors
    /// [`SignatureError::Missing`], [`SignatureError::Malformed`] (no `sha256=` prefix, not 64 hex
    /// digits) or [`SignatureError::Mismatch`].
    pub fn verify(&self, header: Option<&[u8]>, body: &[u8]) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let hex = header
            .trim_ascii()
            .strip_prefix(b"sha256=")
            .ok_or(SignatureError::Malformed)?;
        let expected = decode_hex32(hex).ok_or(SignatureError::Malformed)?;
        // Every secret is checked, so timing says nothing about which one matched.
        let mut matched = subtle::Choice::from(0);
        for secret in &self.secrets {
            matched |= mac(secret, body).ct_eq(&expected);
        }
        if bool::from(matched) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

impl SignatureVerifier {
    /// Verifies an HS256 JWT keyed with the app secret (Data API 4.0's `flow_token_signature`) and
    /// returns its payload, the JSON claims.
    ///
    /// ```
    /// use whatsapp_flows_crypto::SignatureVerifier;
    /// # use base64::Engine as _;
    /// # let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    /// # let signing_input = format!("{}.{}", b64.encode(r#"{"alg":"HS256","typ":"JWT"}"#), b64.encode(r#"{"flow_token":"t1"}"#));
    /// # let mac = whatsapp_flows_crypto::sign(b"app-secret", signing_input.as_bytes());
    /// # let mac: Vec<u8> = (7..mac.len()).step_by(2).map(|i| u8::from_str_radix(&mac[i..i + 2], 16).unwrap()).collect();
    /// # let jwt = format!("{signing_input}.{}", b64.encode(mac));
    /// let claims = SignatureVerifier::new("app-secret").verify_jwt_hs256(&jwt)?;
    /// assert_eq!(claims["flow_token"], "t1");
    /// # Ok::<(), whatsapp_flows_crypto::SignatureError>(())
    /// ```
    ///
    /// # Errors
    /// [`SignatureError::Malformed`] if it is not a compact HS256 JWT with a JSON object payload,
    /// [`SignatureError::Mismatch`] if no app secret produced its MAC.
    pub fn verify_jwt_hs256(&self, jwt: &str) -> Result<serde_json::Value, SignatureError> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts = jwt.trim().split('.');
        let (Some(header), Some(payload), Some(mac_text), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SignatureError::Malformed);
        };
        let header: serde_json::Value = b64
            .decode(header)
            .ok()
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or(SignatureError::Malformed)?;
        if header.get("alg").and_then(serde_json::Value::as_str) != Some("HS256") {
            return Err(SignatureError::Malformed);
        }
        let given: [u8; 32] = b64
            .decode(mac_text)
            .ok()
            .and_then(|m| m.try_into().ok())
            .ok_or(SignatureError::Malformed)?;
        let signing_input = jwt.trim().get(..header_len(jwt.trim())).unwrap_or_default();
        let mut matched = subtle::Choice::from(0);
        for secret in &self.secrets {
            matched |= mac(secret, signing_input.as_bytes()).ct_eq(&given);
        }
        if !bool::from(matched) {
            return Err(SignatureError::Mismatch);
        }
        b64.decode(payload)
            .ok()
            .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
            .filter(serde_json::Value::is_object)
            .ok_or(SignatureError::Malformed)
    }
}

/// Length of `header.payload` in a compact JWT.
fn header_len(jwt: &str) -> usize {
    jwt.rfind('.').unwrap_or(0)
}

impl fmt::Debug for SignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureVerifier")
            .field("secrets", &self.secrets.len())
            .finish()
    }
}

/// The `X-Hub-Signature-256` header value for `body`: `sha256=` and the lowercase hex HMAC-SHA256.
#[must_use]
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for byte in mac(secret, body) {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn mac(secret: &[u8], body: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        HmacSha256::new_from_slice(secret).unwrap_or_else(|_| HmacSha256::new(&Default::default()));
    mac.update(body);
    mac.finalize().into_bytes().into()
}

fn decode_hex32(hex: &[u8]) -> Option<[u8; 32]> {
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *byte = u8::try_from(hi << 4 | lo).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_headers_fail_without_panicking() {
        let v = SignatureVerifier::new("s");
        let good = sign(b"s", b"body");
        assert_eq!(v.verify(Some(good.as_bytes()), b"body"), Ok(()));
        assert_eq!(
            v.verify(Some(good.trim_start_matches("sha256=").as_bytes()), b"body"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            v.verify(Some(b"sha256="), b"body"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            v.verify(Some("sha256=é".repeat(32).as_bytes()), b"body"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            v.verify(Some(&[0xff; 71]), b"body"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            v.verify(Some(good.as_bytes()), b"bodx"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(v.verify(None, b"body"), Err(SignatureError::Missing));
    }
}
