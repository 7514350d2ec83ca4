//! Arbitrary bytes as a key file: private keys with and without a passphrase (PEM or DER, auto-detected),
//! `from_pem` on a lossy UTF-8 view, and public keys as PEM and DER.
//!
//! Checks, beyond "does not panic": whatever loads is a >= 2048-bit key whose SPKI round-trips through
//! `PublicKey::from_der`/`from_pem`, on both backends; a public key that loads re-exports to the same DER.
#![no_main]

use libfuzzer_sys::fuzz_target;
use whatsapp_flows_crypto::{Backend, PrivateKey, PublicKey};

const PASSPHRASE: &[u8] = b"flows-test-passphrase";

fn check_private(key: &PrivateKey) {
    assert!(key.bits() >= 2048, "accepted a {}-bit key", key.bits());
    let public = key.public_key();
    let again = PublicKey::from_der(public.to_der()).expect("own SPKI DER re-parses");
    assert_eq!(&again, public);
    let again = PublicKey::from_pem(&public.to_pem()).expect("own SPKI PEM re-parses");
    assert_eq!(&again, public);
    for &backend in Backend::available() {
        let other = key
            .clone()
            .with_backend(backend)
            .expect("a loaded key works on every backend");
        assert_eq!(other.fingerprint(), key.fingerprint());
    }
}

fn check_public(key: &PublicKey) {
    assert!(
        key.bits() >= 2048,
        "accepted a {}-bit public key",
        key.bits()
    );
    let again = PublicKey::from_der(key.to_der()).expect("own SPKI DER re-parses");
    assert_eq!(&again, key);
}

fuzz_target!(|data: &[u8]| {
    let plain = PrivateKey::from_bytes(data, None);
    let with_pass = PrivateKey::from_bytes(data, Some(PASSPHRASE));
    if let Ok(key) = &plain {
        check_private(key);
        // A passphrase given for an unencrypted key is ignored.
        let other = with_pass
            .as_ref()
            .expect("a passphrase never hurts an unencrypted key");
        assert_eq!(other.fingerprint(), key.fingerprint());
    }
    if let Ok(key) = &with_pass {
        check_private(key);
    }

    let text = String::from_utf8_lossy(data);
    if let Ok(key) = PrivateKey::from_pem(&text, Some(PASSPHRASE)) {
        check_private(&key);
    }
    if let Ok(key) = PublicKey::from_pem(&text) {
        check_public(&key);
    }
    if let Ok(key) = PublicKey::from_der(data) {
        check_public(&key);
    }
});
