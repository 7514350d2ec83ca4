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
        let wrapped = self.wrap(aes_key.as_slice())?;
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

    /// RSA-OAEP (SHA-256, MGF1-SHA-256) of a fresh AES key: on aws-lc when the `aws-lc` feature
    /// is on (a load generator's commonest operation, several times faster there), else with the
    /// `rsa` crate. Both produce the same standard OAEP that any backend decrypts.
    fn wrap(&self, aes_key: &[u8]) -> Result<Vec<u8>, ClientError> {
        #[cfg(feature = "aws-lc")]
        if let Some(encryptor) = self.aws_lc_encryptor() {
            return wrap_aws_lc(encryptor, aes_key);
        }
        wrap_rustcrypto(self, aes_key)
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

#[cfg(feature = "aws-lc")]
fn wrap_aws_lc(
    encryptor: &aws_lc_rs::rsa::OaepPublicEncryptingKey,
    aes_key: &[u8],
) -> Result<Vec<u8>, ClientError> {
    let mut wrapped = vec![0; encryptor.ciphertext_size()];
    let len = encryptor
        .encrypt(
            &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
            aes_key,
            &mut wrapped,
            None,
        )
        .map_err(|_| ClientError::Rsa)?
        .len();
    wrapped.truncate(len);
    Ok(wrapped)
}

fn wrap_rustcrypto(public: &PublicKey, aes_key: &[u8]) -> Result<Vec<u8>, ClientError> {
    public
        .rsa()
        .oaep_encrypt::<sha2::Sha256>(aes_key)
        .map_err(|_| ClientError::Rsa)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Backend, PrivateKey};

    /// Each way of wrapping the AES key unwraps on every backend: a build with `aws-lc` still has
    /// the `rsa` crate's encryption for keys aws-lc does not take, and it must stay right too.
    #[test]
    fn every_wrapping_unwraps_on_every_backend() {
        let pem = include_str!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pem");
        let key = PrivateKey::from_pem(pem, None).unwrap();
        let aes_key = [0x5a_u8; AES_KEY_LEN];
        let mut wrapped = vec![wrap_rustcrypto(key.public_key(), &aes_key).unwrap()];
        #[cfg(feature = "aws-lc")]
        {
            let encryptor = key.public_key().aws_lc_encryptor().expect("a 2048-bit key");
            wrapped.push(wrap_aws_lc(encryptor, &aes_key).unwrap());
            assert_eq!(key.public_key().wrap(&aes_key).unwrap().len(), 256);
        }
        for &backend in Backend::available() {
            let key = key.clone().with_backend(backend).unwrap();
            for ciphertext in &wrapped {
                assert_eq!(ciphertext.len(), 256);
                let unwrapped = key.unwrap_aes_key(ciphertext).expect("unwraps");
                assert_eq!(unwrapped.as_slice(), aes_key, "on {backend}");
            }
        }
        // OAEP is randomized: two wrappings of one key differ.
        assert_ne!(
            wrapped[0],
            wrap_rustcrypto(key.public_key(), &aes_key).unwrap()
        );
    }
}
