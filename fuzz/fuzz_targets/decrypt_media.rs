//! PhotoPicker / DocumentPicker media: `decrypt_media(file, metadata)`.
//!
//! Byte 0 selects the mode (mod 3):
//! - 0, raw: the rest is split on `\n` into the five metadata fields (lossy UTF-8) and the file, so
//!   base64 decoding and the length checks see arbitrary text;
//! - 1, valid metadata around an arbitrary file: fixed keys, `encrypted_hash` and the HMAC trailer
//!   computed over the fuzzed ciphertext, so CBC decryption and PKCS#7 unpadding of arbitrary blocks
//!   are reached (only `Decryption` or `PlaintextHashMismatch` may come out, or `Ok` if the fuzzer
//!   finds a plaintext whose hash we put in the metadata);
//! - 2, a real file: the rest (after 3 control bytes) is a plaintext encrypted exactly as WhatsApp does;
//!   unmodified it must decrypt to itself, and each single tampering must fail with its own error.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::{BlockModeEncrypt as _, KeyIvInit as _, block_padding::Pkcs7};
use hmac::{KeyInit as _, Mac as _};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest as _, Sha256};
use whatsapp_flows_crypto::{EncryptionMetadata, MediaError, decrypt_media};

const KEY: [u8; 32] = [0x11; 32];
const HMAC_KEY: [u8; 32] = [0x22; 32];
const IV: [u8; 16] = [0x33; 16];

fn hmac10(iv: &[u8], ciphertext: &[u8]) -> [u8; 10] {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&HMAC_KEY).expect("any key length");
    mac.update(iv);
    mac.update(ciphertext);
    let full = mac.finalize().into_bytes();
    full[..10].try_into().expect("10 bytes")
}

fn metadata(plaintext_hash: &[u8], file: &[u8]) -> EncryptionMetadata {
    EncryptionMetadata {
        encryption_key: STANDARD.encode(KEY),
        hmac_key: STANDARD.encode(HMAC_KEY),
        iv: STANDARD.encode(IV),
        plaintext_hash: STANDARD.encode(plaintext_hash),
        encrypted_hash: STANDARD.encode(Sha256::digest(file)),
    }
}

fn raw(rest: &[u8]) {
    let mut parts = rest.splitn(6, |b| *b == b'\n');
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let metadata = EncryptionMetadata {
        encryption_key: text(),
        hmac_key: text(),
        iv: text(),
        plaintext_hash: text(),
        encrypted_hash: text(),
    };
    let file = parts.next().unwrap_or_default();
    if let Ok(plaintext) = decrypt_media(file, &metadata) {
        // Ok means every check passed: at least the encrypted hash must really match.
        assert_eq!(
            STANDARD.encode(Sha256::digest(file)).trim_end_matches('='),
            metadata.encrypted_hash.trim_end_matches('=')
        );
        assert_eq!(
            STANDARD
                .encode(Sha256::digest(&*plaintext))
                .trim_end_matches('='),
            metadata.plaintext_hash.trim_end_matches('=')
        );
    }
}

fn valid_metadata_arbitrary_ciphertext(ciphertext: &[u8]) {
    let mut file = ciphertext.to_vec();
    file.extend_from_slice(&hmac10(&IV, ciphertext));
    // The plaintext hash we claim: SHA-256 of the ciphertext itself, which essentially never matches.
    let metadata = metadata(&Sha256::digest(ciphertext), &file);
    match decrypt_media(&file, &metadata) {
        Ok(plaintext) => assert_eq!(
            Sha256::digest(&*plaintext).as_slice(),
            Sha256::digest(ciphertext).as_slice()
        ),
        Err(MediaError::TooShort) => assert!(file.len() < 26, "TooShort for {} bytes", file.len()),
        Err(MediaError::Decryption | MediaError::PlaintextHashMismatch) => {}
        Err(other) => panic!("valid metadata, valid hash and HMAC, yet {other:?}"),
    }
}

fn real_file(control: [u8; 3], plaintext: &[u8]) {
    let ciphertext = cbc::Encryptor::<aes::Aes256>::new(&KEY.into(), &IV.into())
        .encrypt_padded_vec::<Pkcs7>(plaintext);
    let mut file = ciphertext.clone();
    file.extend_from_slice(&hmac10(&IV, &ciphertext));
    let plaintext_hash = Sha256::digest(plaintext);
    let good = metadata(&plaintext_hash, &file);

    let decrypted = decrypt_media(&file, &good).expect("a correctly encrypted file decrypts");
    assert_eq!(&*decrypted, plaintext);

    let at = usize::from(u16::from_le_bytes([control[1], control[2]])) % file.len();
    let mut tampered = file.clone();
    tampered[at] ^= 0x01;
    let expected = match control[0] % 4 {
        // A changed byte with the metadata left alone: the encrypted hash catches it first.
        0 => (
            decrypt_media(&tampered, &good),
            MediaError::EncryptedHashMismatch,
        ),
        // A changed byte with a matching encrypted hash: the HMAC catches it.
        1 => (
            decrypt_media(&tampered, &metadata(&plaintext_hash, &tampered)),
            MediaError::HmacMismatch,
        ),
        // A wrong plaintext hash.
        2 => {
            let mut wrong = plaintext_hash;
            wrong[at % 32] ^= 0x80;
            (
                decrypt_media(&file, &metadata(&wrong, &file)),
                MediaError::PlaintextHashMismatch,
            )
        }
        // A wrong HMAC key.
        _ => {
            let mut meta = good.clone();
            meta.hmac_key = STANDARD.encode([0x23; 32]);
            (decrypt_media(&file, &meta), MediaError::HmacMismatch)
        }
    };
    assert_eq!(expected.0.map(|p| p.len()), Err(expected.1));
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => raw(rest),
        1 => valid_metadata_arbitrary_ciphertext(rest),
        _ => {
            if let [a, b, c, plaintext @ ..] = rest {
                real_file([*a, *b, *c], plaintext);
            }
        }
    }
});
