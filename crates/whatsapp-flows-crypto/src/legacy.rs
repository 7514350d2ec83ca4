//! Legacy OpenSSL "traditional" encrypted PEM (`Proc-Type: 4,ENCRYPTED` + `DEK-Info: CIPHER,IV-HEX`).
//!
//! Meta's Node.js key generator and `openssl genrsa -traditional -des3` write this form and no maintained
//! crate reads it. The key is derived with OpenSSL's `EVP_BytesToKey` (MD5, one iteration, salt = first
//! 8 bytes of the IV), then the DER is decrypted with CBC and PKCS#7 padding.

use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use des::TdesEde3;
use md5::{Digest, Md5};
use zeroize::Zeroizing;

use crate::error::KeyError;

#[derive(Clone, Copy)]
enum Cipher {
    DesEde3,
    Aes128,
    Aes192,
    Aes256,
}

impl Cipher {
    fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "DES-EDE3-CBC" => Some(Self::DesEde3),
            "AES-128-CBC" => Some(Self::Aes128),
            "AES-192-CBC" => Some(Self::Aes192),
            "AES-256-CBC" => Some(Self::Aes256),
            _ => None,
        }
    }

    fn key_len(self) -> usize {
        match self {
            Self::Aes128 => 16,
            Self::DesEde3 | Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    fn iv_len(self) -> usize {
        match self {
            Self::DesEde3 => 8,
            _ => 16,
        }
    }
}

/// Decrypts the DER body of a legacy encrypted PEM, given its `DEK-Info` header value.
pub(crate) fn decrypt(
    dek_info: &str,
    der: &[u8],
    passphrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let (name, iv_hex) = dek_info
        .split_once(',')
        .ok_or(KeyError::Unrecognized("DEK-Info header is not `CIPHER,IV`"))?;
    let cipher = Cipher::from_name(name.trim())
        .ok_or_else(|| KeyError::UnsupportedEncryption(name.trim().to_owned()))?;
    let iv = decode_hex(iv_hex.trim())
        .filter(|iv| iv.len() == cipher.iv_len())
        .ok_or(KeyError::Unrecognized("DEK-Info IV has the wrong length"))?;
    let salt = iv
        .get(..8)
        .ok_or(KeyError::Unrecognized("DEK-Info IV is too short"))?;
    let key = evp_bytes_to_key(passphrase, salt, cipher.key_len());

    let mut buf = Zeroizing::new(der.to_vec());
    let len = match cipher {
        Cipher::DesEde3 => cbc_decrypt::<TdesEde3>(&key, &iv, &mut buf),
        Cipher::Aes128 => cbc_decrypt::<Aes128>(&key, &iv, &mut buf),
        Cipher::Aes192 => cbc_decrypt::<Aes192>(&key, &iv, &mut buf),
        Cipher::Aes256 => cbc_decrypt::<Aes256>(&key, &iv, &mut buf),
    }
    .ok_or(KeyError::WrongPassphrase)?;
    buf.truncate(len);
    Ok(buf)
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize>
where
    C: BlockCipherDecrypt + cbc::cipher::KeyInit,
{
    let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    dec.decrypt_padded::<Pkcs7>(buf).ok().map(<[u8]>::len)
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one iteration: `D_i = MD5(D_{i-1} || pass || salt)`.
fn evp_bytes_to_key(passphrase: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev: Option<Zeroizing<[u8; 16]>> = None;
    while out.len() < len {
        let mut md5 = Md5::new();
        if let Some(prev) = &prev {
            md5.update(prev.as_slice());
        }
        md5.update(passphrase);
        md5.update(salt);
        let block: Zeroizing<[u8; 16]> = Zeroizing::new(md5.finalize().into());
        out.extend_from_slice(block.as_slice());
        prev = Some(block);
    }
    out.truncate(len);
    out
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // Expected bytes printed by `openssl enc -des-ede3-cbc -md md5 -S 0102030405060708 -k password -P`.
        let key = evp_bytes_to_key(b"password", &[1, 2, 3, 4, 5, 6, 7, 8], 24);
        assert_eq!(
            key.as_slice(),
            decode_hex("e7b0971e52ca5cc8d0539fb3412f6316f7ba2e6ee293d9f3")
                .unwrap()
                .as_slice()
        );
    }

    #[test]
    fn rejects_unknown_cipher_and_bad_iv() {
        assert!(matches!(
            decrypt("BF-CBC,0011223344556677", &[0; 16], b"x"),
            Err(KeyError::UnsupportedEncryption(_))
        ));
        assert!(matches!(
            decrypt("AES-128-CBC,00", &[0; 16], b"x"),
            Err(KeyError::Unrecognized(_))
        ));
        assert!(matches!(
            decrypt(
                "AES-128-CBC,zz112233445566778899aabbccddeeff",
                &[0; 16],
                b"x"
            ),
            Err(KeyError::Unrecognized(_))
        ));
    }
}
