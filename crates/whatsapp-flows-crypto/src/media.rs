//! Files uploaded through PhotoPicker / DocumentPicker: verify and decrypt what was downloaded from the CDN.

use std::fmt;

use base64::Engine as _;
use cbc::cipher::{BlockModeDecrypt as _, KeyIvInit as _, block_padding::Pkcs7};
use hmac::{KeyInit as _, Mac as _};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::b64;
use crate::error::MediaError;

const HMAC_LEN: usize = 10;
const BLOCK: usize = 16;

/// The `encryption_metadata` object that comes with each uploaded file in the request's `data`.
///
/// Deserializes straight from the JSON; `Debug` hides the keys, and every field is wiped from memory
/// on drop like the crate's other secrets (so the fields cannot be moved out; clone them).
#[derive(Clone, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct EncryptionMetadata {
    /// base64 AES-256 key (32 bytes).
    pub encryption_key: String,
    /// base64 HMAC-SHA256 key (32 bytes).
    pub hmac_key: String,
    /// base64 CBC IV (16 bytes).
    pub iv: String,
    /// base64 SHA-256 of the plaintext.
    pub plaintext_hash: String,
    /// base64 SHA-256 of the whole encrypted file.
    pub encrypted_hash: String,
}

impl fmt::Debug for EncryptionMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptionMetadata")
            .field("plaintext_hash", &self.plaintext_hash)
            .field("encrypted_hash", &self.encrypted_hash)
            .finish_non_exhaustive()
    }
}

/// A decrypted file, wiped from memory on drop. Dereferences to `[u8]`.
pub struct MediaPlaintext(Zeroizing<Vec<u8>>);

impl std::ops::Deref for MediaPlaintext {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for MediaPlaintext {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for MediaPlaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MediaPlaintext(<{} bytes>)", self.0.len())
    }
}

/// Verifies and decrypts a downloaded media file (`ciphertext || hmac10`).
///
/// The four checks, in order, each with its own error: SHA-256 of the file equals `encrypted_hash`;
/// the first 10 bytes of HMAC-SHA256(`hmac_key`, `iv || ciphertext`) equal the file's last 10 bytes;
/// AES-256-CBC with PKCS#7 padding decrypts; SHA-256 of the plaintext equals `plaintext_hash`.
///
/// ```
/// use whatsapp_flows_crypto::{EncryptionMetadata, MediaError, decrypt_media};
///
/// let metadata: EncryptionMetadata = serde_json::from_str(r#"{
///     "encryption_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
///     "hmac_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
///     "iv": "AAAAAAAAAAAAAAAAAAAAAA==",
///     "plaintext_hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
///     "encrypted_hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
/// }"#)?;
/// let downloaded = vec![0u8; 42];
/// assert_eq!(decrypt_media(&downloaded, &metadata).unwrap_err(), MediaError::EncryptedHashMismatch);
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Errors
/// A [`MediaError`] naming the check that failed.
pub fn decrypt_media(
    file: &[u8],
    metadata: &EncryptionMetadata,
) -> Result<MediaPlaintext, MediaError> {
    let key = Zeroizing::new(field::<32>("encryption_key", &metadata.encryption_key)?);
    let hmac_key = Zeroizing::new(field::<32>("hmac_key", &metadata.hmac_key)?);
    let iv = field::<16>("iv", &metadata.iv)?;
    let plaintext_hash = field::<32>("plaintext_hash", &metadata.plaintext_hash)?;
    let encrypted_hash = field::<32>("encrypted_hash", &metadata.encrypted_hash)?;

    if file.len() < BLOCK + HMAC_LEN {
        return Err(MediaError::TooShort);
    }
    if !bool::from(Sha256::digest(file).as_slice().ct_eq(&encrypted_hash)) {
        return Err(MediaError::EncryptedHashMismatch);
    }
    let (ciphertext, tag) = file.split_at(file.len() - HMAC_LEN);
    let mut mac =
        hmac::Hmac::<Sha256>::new_from_slice(&*hmac_key).map_err(|_| MediaError::HmacMismatch)?;
    mac.update(&iv);
    mac.update(ciphertext);
    mac.verify_truncated_left(tag)
        .map_err(|_| MediaError::HmacMismatch)?;

    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let len = cbc::Decryptor::<aes::Aes256>::new(&(*key).into(), &iv.into())
        .decrypt_padded::<Pkcs7>(&mut buf)
        .map_err(|_| MediaError::Decryption)?
        .len();
    buf.truncate(len);
    if !bool::from(Sha256::digest(&*buf).as_slice().ct_eq(&plaintext_hash)) {
        return Err(MediaError::PlaintextHashMismatch);
    }
    Ok(MediaPlaintext(buf))
}

fn field<const N: usize>(name: &'static str, text: &str) -> Result<[u8; N], MediaError> {
    let invalid = MediaError::InvalidMetadata {
        field: name,
        expected: N,
    };
    let bytes = Zeroizing::new(b64::STANDARD.decode(text).map_err(|_| invalid.clone())?);
    bytes.as_slice().try_into().map_err(|_| invalid)
}

// The media keys are secrets like the crate's others: wiped on drop, checked at compile time.
const _: fn() = || {
    fn wiped_on_drop<T: ZeroizeOnDrop>() {}
    wiped_on_drop::<EncryptionMetadata>();
};
