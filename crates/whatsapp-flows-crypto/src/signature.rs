//! `X-Hub-Signature-256` verification: HMAC-SHA256 of the raw body under the Meta app secret.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{KeyInit as _, Mac as _};
use serde::Deserialize;
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::error::{SignatureError, TokenSignatureError};

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

/// How far past `exp`, or before `nbf`, a `flow_token_signature` is still accepted: clocks drift.
pub const TOKEN_SIGNATURE_LEEWAY: Duration = Duration::from_secs(60);

/// The claims of a verified Data API 4.0 `flow_token_signature`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FlowTokenClaims {
    /// The flow token the JWT was made for; verification checks it is the request's.
    pub flow_token: String,
    /// Expiry (seconds since the Unix epoch), if the JWT has one.
    #[serde(default)]
    pub exp: Option<i64>,
    /// Not valid before (seconds since the Unix epoch), if the JWT says.
    #[serde(default)]
    pub nbf: Option<i64>,
    /// Issued at (seconds since the Unix epoch), if the JWT says; informative only.
    #[serde(default)]
    pub iat: Option<i64>,
}

impl fmt::Debug for FlowTokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The flow token may identify a user: not printed.
        f.debug_struct("FlowTokenClaims")
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct JwtHeader {
    alg: String,
}

/// The payload shape of the typed check: everything optional, so that each missing or ill-typed
/// claim gets its own error instead of one `Malformed`.
#[derive(Deserialize)]
struct RawClaims {
    #[serde(default)]
    flow_token: Option<serde_json::Value>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
}

impl SignatureVerifier {
    /// Verifies a Data API 4.0 `flow_token_signature` for a request carrying `flow_token`, at time
    /// `now`: an HS256 JWT (no other `alg`, `none` included) keyed with one of the app secrets, whose
    /// `flow_token` claim is present and equal to the request's, whose `exp` (if any) is not past
    /// and whose `nbf` (if any) is not to come, each with [`TOKEN_SIGNATURE_LEEWAY`].
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use whatsapp_flows_crypto::{SignatureVerifier, TokenSignatureError};
    ///
    /// // PyJWT: jwt.encode({"flow_token": "t1"}, "3f1c9a0d5be24e7f8a61c0d2b9e47a15", algorithm="HS256")
    /// let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJmbG93X3Rva2VuIjoidDEifQ.aDRQYLBYmk0PEaCHcIxpJwqDz2WL8Dq7Gp78mRgxWsg";
    /// let verifier = SignatureVerifier::new("3f1c9a0d5be24e7f8a61c0d2b9e47a15");
    /// let claims = verifier.verify_flow_token_signature(jwt, Some("t1"), SystemTime::now())?;
    /// assert_eq!(claims.flow_token, "t1");
    /// assert_eq!(
    ///     verifier.verify_flow_token_signature(jwt, Some("t2"), SystemTime::now()),
    ///     Err(TokenSignatureError::FlowTokenMismatch)
    /// );
    /// # Ok::<(), TokenSignatureError>(())
    /// ```
    ///
    /// # Errors
    /// The [`TokenSignatureError`] saying which check failed.
    pub fn verify_flow_token_signature(
        &self,
        jwt: &str,
        flow_token: Option<&str>,
        now: SystemTime,
    ) -> Result<FlowTokenClaims, TokenSignatureError> {
        let payload = self.verify_hs256(jwt)?;
        let raw: RawClaims =
            serde_json::from_slice(&payload).map_err(|_| TokenSignatureError::Malformed)?;
        let signed = match raw.flow_token {
            None => return Err(TokenSignatureError::MissingFlowToken),
            Some(serde_json::Value::String(token)) => token,
            Some(_) => return Err(TokenSignatureError::Malformed),
        };
        // Constant time: the signed token is the secret-derived side of the comparison.
        let equal =
            flow_token.is_some_and(|sent| bool::from(sent.as_bytes().ct_eq(signed.as_bytes())));
        if !equal {
            return Err(TokenSignatureError::FlowTokenMismatch);
        }
        let now = match now.duration_since(UNIX_EPOCH) {
            Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
        };
        let leeway = TOKEN_SIGNATURE_LEEWAY.as_secs().cast_signed();
        if raw.exp.is_some_and(|exp| now > exp.saturating_add(leeway)) {
            return Err(TokenSignatureError::Expired);
        }
        if raw.nbf.is_some_and(|nbf| now < nbf.saturating_sub(leeway)) {
            return Err(TokenSignatureError::NotYetValid);
        }
        Ok(FlowTokenClaims {
            flow_token: signed,
            exp: raw.exp,
            nbf: raw.nbf,
            iat: raw.iat,
        })
    }

    /// Verifies an HS256 JWT keyed with the app secret and returns its payload, the JSON claims,
    /// untyped and unchecked: for `flow_token_signature` use
    /// [`verify_flow_token_signature`](Self::verify_flow_token_signature), which checks the claims.
    ///
    /// # Errors
    /// [`SignatureError::Malformed`] if it is not a compact HS256 JWT with a JSON object payload,
    /// [`SignatureError::Mismatch`] if no app secret produced its MAC.
    pub fn verify_jwt_hs256(&self, jwt: &str) -> Result<serde_json::Value, SignatureError> {
        let payload = self.verify_hs256(jwt).map_err(|error| match error {
            TokenSignatureError::Mismatch => SignatureError::Mismatch,
            _ => SignatureError::Malformed,
        })?;
        serde_json::from_slice::<serde_json::Value>(&payload)
            .ok()
            .filter(serde_json::Value::is_object)
            .ok_or(SignatureError::Malformed)
    }

    /// Checks the compact form, the `alg` and the MAC; returns the decoded payload bytes.
    fn verify_hs256(&self, jwt: &str) -> Result<Vec<u8>, TokenSignatureError> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (signing_input, mac_text) = jwt
            .trim()
            .rsplit_once('.')
            .ok_or(TokenSignatureError::Malformed)?;
        let (header, payload) = signing_input
            .split_once('.')
            .ok_or(TokenSignatureError::Malformed)?;
        if payload.contains('.') {
            return Err(TokenSignatureError::Malformed);
        }
        let header: JwtHeader = b64
            .decode(header)
            .ok()
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or(TokenSignatureError::Malformed)?;
        // The algorithm is fixed by us, never chosen by the token (`none`, RS256/HS256 confusion).
        if header.alg != "HS256" {
            return Err(TokenSignatureError::Algorithm);
        }
        let given: [u8; 32] = b64
            .decode(mac_text)
            .ok()
            .and_then(|m| m.try_into().ok())
            .ok_or(TokenSignatureError::Malformed)?;
        let mut matched = subtle::Choice::from(0);
        for secret in &self.secrets {
            matched |= mac(secret, signing_input.as_bytes()).ct_eq(&given);
        }
        if !bool::from(matched) {
            return Err(TokenSignatureError::Mismatch);
        }
        b64.decode(payload)
            .map_err(|_| TokenSignatureError::Malformed)
    }
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
    format!(
        "sha256={}",
        base16ct::lower::encode_string(&mac(secret, body))
    )
}

fn mac(secret: &[u8], body: &[u8]) -> [u8; 32] {
    // RFC 2104 section 2: a key longer than the block is hashed, a shorter one zero-padded to it. Done
    // here, the key is a block-sized array and `Hmac::new` cannot fail, where `new_from_slice` has an
    // error path (unreachable for HMAC, but one that would need a fallback key).
    let mut key = Zeroizing::new([0u8; 64]);
    let hashed: Zeroizing<[u8; 32]>;
    let short = if secret.len() > key.len() {
        hashed = Zeroizing::new(sha2::Sha256::digest(secret).into());
        &hashed[..]
    } else {
        secret
    };
    for (k, b) in key.iter_mut().zip(short) {
        *k = *b;
    }
    let mut mac = HmacSha256::new(&(*key).into());
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The 32 bytes a 64-digit hex MAC (either case) spells, decoded in constant time.
fn decode_hex32(hex: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    let decoded = base16ct::mixed::decode(hex, &mut out).ok()?;
    (decoded.len() == out.len()).then_some(out)
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

    #[test]
    fn hex_digits_of_either_case_and_only_64_of_them() {
        let v = SignatureVerifier::new("s");
        let good = sign(b"s", b"body");
        let digits = good.trim_start_matches("sha256=");
        let upper = format!("sha256={}", digits.to_ascii_uppercase());
        assert_eq!(v.verify(Some(upper.as_bytes()), b"body"), Ok(()));
        for wrong_length in [format!("{good}00"), good[..good.len() - 2].to_owned()] {
            assert_eq!(
                v.verify(Some(wrong_length.as_bytes()), b"body"),
                Err(SignatureError::Malformed),
                "{wrong_length}"
            );
        }
    }
}
