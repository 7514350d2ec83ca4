//! The WhatsApp client's side (feature `client`): encrypt a request to a business public key, decrypt
//! the endpoint's reply. Used by the CLI, tests, benches and load generators.

use std::fmt;

use aes_gcm::KeyInit as _;
use base64::Engine as _;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::b64;
use crate::envelope::{
    AES_KEY_LEN, Aes128Gcm16, FIELD_DATA, FIELD_IV, FIELD_KEY, IV_LEN, invert, open_in_place,
    seal_to_base64,
};
use crate::error::ClientError;
use crate::key::PublicKey;

impl PublicKey {
    /// Encrypts a request exactly as WhatsApp does: a fresh random AES-128 key and 16-byte IV,
    /// RSA-OAEP-SHA256 (MGF1-SHA256) to this key, AES-128-GCM with the tag appended.
    ///
    /// ```
    /// use whatsapp_flows_crypto::{KeySet, PrivateKey};
    ///
    /// # let key = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None)?;
    /// let sent = key.public_key().encrypt_request(br#"{"version":"3.0","action":"ping"}"#)?;
    ///
    /// // The endpoint:
    /// let request = KeySet::new(key).decrypt_request(sent.body().as_bytes())?;
    /// assert_eq!(request.plaintext(), r#"{"version":"3.0","action":"ping"}"#);
    /// let (_, reply) = request.into_parts();
    /// let body = reply.encrypt(&serde_json::json!({"data": {"status": "active"}}))?;
    ///
    /// // Back on the client:
    /// let answer = sent.into_response().decrypt(body.as_bytes())?;
    /// assert_eq!(&*answer, r#"{"data":{"status":"active"}}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ClientError::Random`], [`ClientError::Rsa`] or [`ClientError::Encrypt`] if the system RNG,
    /// RSA or AES-GCM encryption fails.
    pub fn encrypt_request(&self, plaintext: &[u8]) -> Result<EncryptedRequest, ClientError> {
        let mut aes_key = Zeroizing::new([0u8; AES_KEY_LEN]);
        let mut iv = [0u8; IV_LEN];
        getrandom::fill(&mut *aes_key).map_err(|_| ClientError::Random)?;
        getrandom::fill(&mut iv).map_err(|_| ClientError::Random)?;
        let wrapped = self
            .rsa()
            .oaep_encrypt::<sha2::Sha256>(aes_key.as_slice())
            .map_err(|_| ClientError::Rsa)?;
        let cipher = Aes128Gcm16::new((&*aes_key).into());
        let data =
            seal_to_base64(&cipher, &iv, plaintext.to_vec()).map_err(|_| ClientError::Encrypt)?;
        let body = serde_json::json!({
            FIELD_DATA: data,
            FIELD_KEY: b64::STANDARD.encode(wrapped),
            FIELD_IV: b64::STANDARD.encode(iv),
        })
        .to_string();
        Ok(EncryptedRequest {
            body,
            response: PendingResponse {
                cipher,
                iv: invert(&iv),
            },
        })
    }

    /// Serializes `value` to JSON and encrypts it; see [`PublicKey::encrypt_request`].
    ///
    /// # Errors
    /// As [`PublicKey::encrypt_request`], and [`ClientError::Serialize`].
    pub fn encrypt_request_json<T: Serialize + ?Sized>(
        &self,
        value: &T,
    ) -> Result<EncryptedRequest, ClientError> {
        let json = Zeroizing::new(serde_json::to_vec(value)?);
        self.encrypt_request(&json)
    }
}

/// An encrypted request ready to POST, and the means to read its one reply.
pub struct EncryptedRequest {
    body: String,
    response: PendingResponse,
}

impl EncryptedRequest {
    /// The HTTP body (a JSON envelope), to send with `Content-Type: application/json`.
    #[must_use]
    pub fn body(&self) -> &str {
        &self.body
    }

    /// Consumes the request, keeping only what decrypts the reply.
    #[must_use]
    pub fn into_response(self) -> PendingResponse {
        self.response
    }

    /// The body and the reply decryptor.
    #[must_use]
    pub fn into_parts(self) -> (String, PendingResponse) {
        (self.body, self.response)
    }
}

impl fmt::Debug for EncryptedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedRequest")
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Decrypts the endpoint's reply to one request (same AES key, inverted IV). Single use.
pub struct PendingResponse {
    cipher: Aes128Gcm16,
    iv: [u8; IV_LEN],
}

impl PendingResponse {
    /// Decrypts a response body (base64 text; surrounding whitespace is ignored).
    ///
    /// # Errors
    /// [`ClientError::ResponseNotBase64`], [`ClientError::ResponseDecryption`] or
    /// [`ClientError::ResponseNotUtf8`].
    pub fn decrypt(self, body: &[u8]) -> Result<Zeroizing<String>, ClientError> {
        let body = body.trim_ascii();
        let mut data = Zeroizing::new(
            b64::STANDARD
                .decode(body)
                .map_err(|_| ClientError::ResponseNotBase64)?,
        );
        open_in_place(&self.cipher, &self.iv, &mut data)
            .map_err(|_| ClientError::ResponseDecryption)?;
        let text = String::from_utf8(std::mem::take(&mut *data)).map_err(|e| {
            drop(Zeroizing::new(e.into_bytes()));
            ClientError::ResponseNotUtf8
        })?;
        Ok(Zeroizing::new(text))
    }
}

impl fmt::Debug for PendingResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingResponse(<redacted>)")
    }
}
