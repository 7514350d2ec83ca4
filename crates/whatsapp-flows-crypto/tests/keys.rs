//! Private keys in every form real tools write, and the errors for keys that cannot be used.
//!
//! Each loading test is named after the tool that made the fixture (see `fixtures/keys/README.md`) and
//! checks that the key loads through the format-specific constructor and through
//! `PrivateKey::from_bytes`, that it is RSA-2048, and that the exported public key is byte for byte what
//! `openssl pkey -pubout` printed: that text is what a business registers with Meta, so any difference
//! (line length, line endings, SPKI vs PKCS#1) would be a real bug.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

use std::path::PathBuf;

use whatsapp_flows_crypto::{Backend, KeyError, KeySet, PrivateKey, PublicKey, RequestError};

const PASSPHRASE: &[u8] = b"flows-test-passphrase";

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

fn read_text(name: &str) -> String {
    String::from_utf8(read(name)).unwrap()
}

/// Loads `file` with the constructor for its form (`from_pem` / `from_der`).
fn load_direct(file: &str, passphrase: Option<&[u8]>) -> Result<PrivateKey, KeyError> {
    if file.ends_with(".der") {
        PrivateKey::from_der(&read(file), passphrase)
    } else {
        PrivateKey::from_pem(&read_text(file), passphrase)
    }
}

/// The same error from `from_pem`/`from_der` and from `from_bytes`, which must agree.
fn load_error(file: &str, passphrase: Option<&[u8]>) -> KeyError {
    let direct = load_direct(file, passphrase)
        .err()
        .unwrap_or_else(|| panic!("{file} loaded but must be rejected"));
    let via_bytes = PrivateKey::from_bytes(&read(file), passphrase)
        .err()
        .unwrap_or_else(|| panic!("{file} loaded through from_bytes but must be rejected"));
    // Same variant; the detail inside `Unrecognized` may differ (from_bytes tries DER on non-PEM text).
    assert_eq!(
        std::mem::discriminant(&direct),
        std::mem::discriminant(&via_bytes),
        "{file}: from_bytes disagrees: {direct:?} vs {via_bytes:?}"
    );
    direct
}

/// Loads `file` both ways, checks RSA-2048 and the exported public key against `pub_file`.
fn assert_loads(file: &str, pub_file: &str, passphrase: Option<&[u8]>) -> PrivateKey {
    let expected_pub = read_text(pub_file);
    let direct = load_direct(file, passphrase).unwrap_or_else(|e| panic!("{file}: {e}"));
    let via_bytes = PrivateKey::from_bytes(&read(file), passphrase)
        .unwrap_or_else(|e| panic!("{file} (from_bytes): {e}"));
    for (how, key) in [("direct", &direct), ("from_bytes", &via_bytes)] {
        assert_eq!(key.bits(), 2048, "{file} ({how})");
        assert_eq!(key.public_key().bits(), 2048, "{file} ({how})");
        assert_eq!(
            key.public_key().to_pem(),
            expected_pub,
            "{file} ({how}): public key differs from `openssl pkey -pubout`"
        );
        assert_eq!(key.backend(), Backend::default(), "{file} ({how})");
    }
    assert_eq!(direct.fingerprint(), via_bytes.fingerprint());
    direct
}

// ---------------------------------------------------------------------------------------------------
// Keys that must load
// ---------------------------------------------------------------------------------------------------

#[test]
fn openssl_genpkey_pkcs8_pem() {
    assert_loads(
        "openssl-genpkey-pkcs8.pem",
        "openssl-genpkey-pkcs8.pub.pem",
        None,
    );
}

#[test]
fn openssl_genpkey_pkcs8_der() {
    let der = assert_loads(
        "openssl-genpkey-pkcs8.der",
        "openssl-genpkey-pkcs8.pub.pem",
        None,
    );
    // Really PKCS#8 (PrivateKeyInfo names rsaEncryption up front), not the PKCS#1 that
    // `openssl pkey -outform DER` writes on OpenSSL 3.0.
    let bytes = std::fs::read(fixture_path("openssl-genpkey-pkcs8.der")).unwrap();
    let rsa_encryption_oid = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    assert_eq!(&bytes[9..20], &rsa_encryption_oid);
    // The README says the .der is the same key as the .pem.
    let pem = load_direct("openssl-genpkey-pkcs8.pem", None).unwrap();
    assert_eq!(der.fingerprint(), pem.fingerprint());
}

#[test]
fn openssl_genrsa_des3_pbes2() {
    // Meta's instructions (`openssl genrsa -des3`) on OpenSSL 3: encrypted PKCS#8, PBKDF2 + DES-EDE3-CBC.
    assert!(
        read_text("openssl-genrsa-des3.pem").starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    );
    assert_loads(
        "openssl-genrsa-des3.pem",
        "openssl-genrsa-des3.pub.pem",
        Some(PASSPHRASE),
    );
}

#[test]
fn openssl_genrsa_aes256_pbes2() {
    assert_loads(
        "openssl-genrsa-aes256.pem",
        "openssl-genrsa-aes256.pub.pem",
        Some(PASSPHRASE),
    );
}

#[test]
fn openssl_pkcs8_scrypt() {
    assert_loads(
        "openssl-pkcs8-scrypt.pem",
        "openssl-pkcs8-scrypt.pub.pem",
        Some(PASSPHRASE),
    );
}

#[test]
fn openssl_pkcs8_encrypted_der() {
    assert_loads(
        "openssl-pkcs8-encrypted.der",
        "openssl-pkcs8-encrypted.pub.pem",
        Some(PASSPHRASE),
    );
}

#[test]
fn openssl_genrsa_traditional_pkcs1_pem() {
    assert_loads(
        "openssl-genrsa-traditional.pem",
        "openssl-genrsa-traditional.pub.pem",
        None,
    );
}

#[test]
fn openssl_genrsa_traditional_pkcs1_der() {
    let der = assert_loads(
        "openssl-genrsa-traditional.der",
        "openssl-genrsa-traditional.pub.pem",
        None,
    );
    let pem = load_direct("openssl-genrsa-traditional.pem", None).unwrap();
    assert_eq!(der.fingerprint(), pem.fingerprint());
}

#[test]
fn openssl_genrsa_traditional_des3_legacy_pem() {
    assert!(read_text("openssl-genrsa-traditional-des3.pem").contains("DEK-Info: DES-EDE3-CBC,"));
    assert_loads(
        "openssl-genrsa-traditional-des3.pem",
        "openssl-genrsa-traditional-des3.pub.pem",
        Some(PASSPHRASE),
    );
}

#[test]
fn openssl_genrsa_traditional_aes128_legacy_pem() {
    assert!(read_text("openssl-genrsa-traditional-aes128.pem").contains("DEK-Info: AES-128-CBC,"));
    assert_loads(
        "openssl-genrsa-traditional-aes128.pem",
        "openssl-genrsa-traditional-aes128.pub.pem",
        Some(PASSPHRASE),
    );
}

#[test]
fn openssl_genrsa_traditional_aes256_legacy_pem() {
    assert!(read_text("openssl-genrsa-traditional-aes256.pem").contains("DEK-Info: AES-256-CBC,"));
    assert_loads(
        "openssl-genrsa-traditional-aes256.pem",
        "openssl-genrsa-traditional-aes256.pub.pem",
        Some(PASSPHRASE),
    );
}

#[test]
fn node_generatekeypair_pkcs1_des3_meta_generator() {
    assert!(read_text("node-generatekeypair-pkcs1-des3.pem").contains("Proc-Type: 4,ENCRYPTED"));
    assert_loads(
        "node-generatekeypair-pkcs1-des3.pem",
        "node-generatekeypair-pkcs1-des3.pub.pem",
        Some(PASSPHRASE),
    );
}

#[test]
fn openssl_genpkey_rotation_pair() {
    let old = assert_loads("rotation-old.pem", "rotation-old.pub.pem", None);
    let new = assert_loads("rotation-new.pem", "rotation-new.pub.pem", None);
    assert_ne!(old.fingerprint(), new.fingerprint());
}

// ---------------------------------------------------------------------------------------------------
// Keys that must be rejected, each with its own error and a message that says what to do
// ---------------------------------------------------------------------------------------------------

const ENCRYPTED_PKCS8: &[&str] = &[
    "openssl-genrsa-des3.pem",
    "openssl-genrsa-aes256.pem",
    "openssl-pkcs8-scrypt.pem",
    "openssl-pkcs8-encrypted.der",
];

const ENCRYPTED_LEGACY: &[&str] = &[
    "openssl-genrsa-traditional-des3.pem",
    "openssl-genrsa-traditional-aes128.pem",
    "openssl-genrsa-traditional-aes256.pem",
    "node-generatekeypair-pkcs1-des3.pem",
];

const UNENCRYPTED: &[(&str, &str)] = &[
    ("openssl-genpkey-pkcs8.pem", "openssl-genpkey-pkcs8.pub.pem"),
    ("openssl-genpkey-pkcs8.der", "openssl-genpkey-pkcs8.pub.pem"),
    (
        "openssl-genrsa-traditional.pem",
        "openssl-genrsa-traditional.pub.pem",
    ),
    (
        "openssl-genrsa-traditional.der",
        "openssl-genrsa-traditional.pub.pem",
    ),
];

/// The DER inside a single-block PEM without headers.
fn pem_body(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

fn assert_message(err: &KeyError, words: &[&str]) {
    let message = err.to_string();
    for word in words {
        assert!(
            message.contains(word),
            "message {message:?} of {err:?} should mention {word:?}"
        );
    }
}

#[test]
fn wrong_passphrase() {
    // A different word, the right one with the trailing newline `echo` adds, an empty one, and a prefix.
    let wrong: [&[u8]; 4] = [
        b"not-the-passphrase",
        b"flows-test-passphrase\n",
        b"",
        b"flows",
    ];
    for file in ENCRYPTED_PKCS8.iter().chain(ENCRYPTED_LEGACY) {
        // scrypt (N=16384) takes seconds per try in a debug build: one wrong passphrase is enough there.
        let tries = if file.contains("scrypt") {
            &wrong[..1]
        } else {
            &wrong[..]
        };
        for &passphrase in tries {
            let err = load_error(file, Some(passphrase));
            assert_eq!(err, KeyError::WrongPassphrase, "{file} with {passphrase:?}");
            assert_message(&err, &["wrong passphrase", "trailing newline"]);
        }
    }
}

#[test]
fn missing_passphrase() {
    for file in ENCRYPTED_PKCS8.iter().chain(ENCRYPTED_LEGACY) {
        let err = load_error(file, None);
        assert_eq!(err, KeyError::PassphraseRequired, "{file}");
        assert_message(&err, &["encrypted", "supply the passphrase"]);
    }
}

#[test]
fn passphrase_for_unencrypted_key_is_ignored() {
    for (file, pub_file) in UNENCRYPTED {
        let with = assert_loads(file, pub_file, Some(PASSPHRASE));
        let without = assert_loads(file, pub_file, None);
        assert_eq!(with.fingerprint(), without.fingerprint());
    }
}

#[test]
fn ec_and_ed25519_keys_are_not_rsa() {
    for (file, passphrase, algorithm) in [
        ("openssl-ec-p256.pem", None, "EC"),
        ("openssl-ec-p256-traditional.pem", None, "EC"),
        ("openssl-ec-p256-encrypted.pem", Some(PASSPHRASE), "EC"),
        ("openssl-ed25519.pem", None, "Ed25519"),
    ] {
        let err = load_error(file, passphrase);
        assert_eq!(
            err,
            KeyError::NotRsa {
                algorithm: algorithm.to_owned()
            },
            "{file}"
        );
        assert_message(&err, &[algorithm, "not RSA", "RSA-2048", "openssl genrsa"]);
    }
    // Without its passphrase the encrypted EC key cannot be told apart from an RSA one yet.
    assert_eq!(
        load_error("openssl-ec-p256-encrypted.pem", None),
        KeyError::PassphraseRequired
    );
}

#[test]
fn rsa_1024_is_too_small() {
    let err = load_error("openssl-genrsa-1024.pem", None);
    assert_eq!(err, KeyError::TooSmall { bits: 1024 });
    assert_message(&err, &["1024", "2048", "openssl genrsa"]);
    // A passphrase changes nothing.
    assert_eq!(
        load_error("openssl-genrsa-1024.pem", Some(PASSPHRASE)),
        KeyError::TooSmall { bits: 1024 }
    );
}

/// `openssl genrsa -traditional -aes128 -passout pass:flows-test-passphrase 1024` (test-only key).
const LEGACY_AES128_1024: &str = "\
-----BEGIN RSA PRIVATE KEY-----
Proc-Type: 4,ENCRYPTED
DEK-Info: AES-128-CBC,4313F2F93ED2D8E3F54E66BC1C09834A

YVKgfg5oOCSJtIC1blbpK3QkxVAp5PegoiY/rShurM3JGJUpnCEaPQWoQElNEQtH
RCeY3YzTCDLv3SmktrMWg/GqJvIxzHHAI+fQTFTlYPC44wavfDj6OVuZSiD2Ho0D
4wR38raMQ8sAwsYZbiiIWKZjYmJpL49RgGgs/edc9wsvrmeZfLBEmPisz/e9pOUY
q+6v4Zhz92Lqo7RsvcnjRPQEcEX9nimBqyYhkTwE6bsbyDNbrnmrYNpV3cIapkN/
yJr4SpVbK/vx6/FkSWkAoAPVZdUkgF6xj89ecNJTtizYT9hdfnMhCmvh4bbqTpHf
PscTeYhbswfoOYZ0amFyCh7PQM14zRbDWM0LoXNEvBm0SgY30lyIpjlOpmFh10EV
2+ndMryqpS/mbX0If+bc/cFnxXDbcyyAqggKxd68V8hQBblG4dRn7WFvSIaONoaq
geX8jfNN5S9Cu9Op2rYnPgxGwbFerSkaae08EhlwOHc28zbirhCce4oMG+7qT88j
aetUUH5pl9KNB1vAb7tMr5YJuJgzbDUR7VrP4qxkLr8ZSpvfhYTauZCtaMIDzwjv
1mcVa/ZCbl6IIbrrYAlr8m0NH+ON6Do5u22C/WXwcOgd1v9Ag2L3w/UMQpXKZa3s
orfyxXN2/e8By9GkRCoonSzkJwDZM0TMWMvjXnFolTGOMhgqhaF7f/Iw1LKphUUb
ogH/KSgfgor1HdtXDJ88o9nBDRBV91ABwwlRuGinI/0ujZXps+Rx/gipItN5ufsB
j+6u2yPb0g90uYxJrmdFwvOaUxo5kWbhoiw3uCwXeN5zIoYjyEs+9V1DhSffoSer
-----END RSA PRIVATE KEY-----
";

/// `openssl pkcs8 -topk8 -v2 aes-256-cbc` of `openssl-genrsa-1024.pem` (test-only key).
const PKCS8_AES256_1024: &str = "\
-----BEGIN ENCRYPTED PRIVATE KEY-----
MIIC3TBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIOf+m7PPJVNgCAggA
MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBCCFZR41S4W0nsWKh1lRET+BIIC
gDFjyjJHoG1els7bkcVK3qLvbOXLY+zadCBBJMR4nDmXq6vCAz7rAAztUBS6ztSB
0viAj1BjljcswodMqs5QHU6o2FLW7IxYhySsbm0rFK0gb/MpHrouNJ2byvp048wr
7/gWWLsqBkL6+Fn6VD02/pcpoa7+stixwnMvmB4bdc5HYCXvQi0gu3vaU7RxUCyL
ge3A4gQAQXNbpoDuaiag9xyU5ZfejYGr3JcEl5CjMKmaP9LPlTy78hI+6PMPAONt
jXOYP5FY19/eZcor1VnTZdUDUGsAsuJQjkhGUQc5jugbSb8woj73OHYUTbfpiY7A
huKpNdHw0E8OnzVmuTssVgkejlSCzUJjiBQnzWEbqi80LcdX2Bodbs4qxGXk1Od4
0sGbKrM3SivVUSvN1fATTiVa2iBRJfCbpbVajjk6d2VqF2i5f0CHoDcW0uVLv2Qe
vg4oDkqTUZp2Rnf4wD6YO50WZS8+4UBdsdjgmRK3skyxCfYddUZHW7Vcv6LeifoC
1ofU0+60uPPDaEsesvPaT1vpsIy9FMnd3fMn+k6IZcw20U4KFyWeZmzVSAlIs6V5
PgvBr0CacWcvSyDfOH02zffe5IhWzvAUUgBS0aAmaSOdtgy5EzCJTrtsqFhw8fSZ
AMM+6CVSELgs9d6tweu49XfpdAIAFJTUrCbl5MSFzHZqg+SkM8RJJdiGiKOCsN4+
ShwQ+8qso1AKUUSWGZKZW3lViIiGqtxxE9gy91qGU587BAmy1BbzQ0bknYJzIzA0
9gPckC64volAH6wytTtbXSHYNpO9+Li5qAEYu9v0x1INRRLENZr/5myKBU8Z30mN
36R0reWBaL4SgBe96dF2YjA=
-----END ENCRYPTED PRIVATE KEY-----
";

#[test]
fn rsa_1024_is_too_small_when_encrypted_too() {
    // With the right passphrase the problem is the key size, and the message must say so rather than
    // blame the passphrase.
    for pem in [LEGACY_AES128_1024, PKCS8_AES256_1024] {
        let err = PrivateKey::from_pem(pem, Some(PASSPHRASE)).unwrap_err();
        assert_eq!(err, KeyError::TooSmall { bits: 1024 }, "{pem}");
        assert_eq!(
            PrivateKey::from_bytes(pem.as_bytes(), Some(PASSPHRASE)).unwrap_err(),
            err
        );
        assert_eq!(
            PrivateKey::from_pem(pem, Some(b"wrong")).unwrap_err(),
            KeyError::WrongPassphrase
        );
        assert_eq!(
            PrivateKey::from_pem(pem, None).unwrap_err(),
            KeyError::PassphraseRequired
        );
    }
}

/// `openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES` of `openssl-genrsa-1024.pem`: a PKCS#12 PBE scheme, which
/// the `pkcs5` crate cannot even parse (test-only key).
const PKCS12_PBE_SHA1_3DES: &str = "\
-----BEGIN ENCRYPTED PRIVATE KEY-----
MIICojAcBgoqhkiG9w0BDAEDMA4ECITGKPHkSAMcAgIIAASCAoCL0xlsrfn2D5ZM
75UmvuL0kH4b9S+fNIF27Lq+OGOcyBtZhUand72T3lu2gfW5vlsF7vduzwPlJFIC
sb0VIIM8q3dHcBuZXBq/Mq+NWtPclkK8bpe2wiNmtqE3fQGZMVvF/1mAtpcgrd0f
afdV0itUl9SHAXEB3qn1VOf9sH6b7RkMo1CMCmf2PO3q0Zb2I00TLHi7rW8RiG6A
b2MoOsdYYZ+CpxAcoscUD+u4YVeD6fEtlzohugpTL6SO3fXWmwKqN1GG92D2nP7Y
PzB7g//sMMEYCGRKbnRzuCN3mCgAMA8QtwvvDy8R5IfIeTH3oXZTghCZc/uAMxny
EsvCiUIPv8WSB5i0i8m118IGiSbGXJH6UfecQGmarE16Q5Ch8hCVIjeKzUpQpz5a
eq8eRai/XqXc5BHuKbWK4SmHkXhxqa8NU01vjGlHxvaYTQ35Ta+JPX/YRgvIUEse
jgpKFRKbVtA+8AcDxpG4JsGw6Nj9YEew4LNHCzB7lIUWHDpuxJ1OeCtVEvDfaf10
9HFhAp9ZynyowEqnMgPCB9F0vZ96fsYZmQcUr3A0cGlPhCL0+WDpXj/0gTU4/plc
6au3QnctuwAAiXkJJLTb9t76hS8NqJUaGC16V+BP6h8oAlbKLGaaj7HAxGT/hknk
eNExvVsQUTzNDFp2mM4SyvupbXprw5HESGUHxwyYw7vk3D3foj+PYkAgngxgH8O0
u3IwoH7kaLFA8+P4E6pZ7LtEr4FBDfyezxhwhHwbaa1rCFOPT/AnmWFU71JIGL+w
D1qVzg2eMYsvLq3tyhs+n0YWw5Iooc0lwpbtQ9yQ9RxdaXoEeNYfeqo/djEwU6bf
ZdaLONnK
-----END ENCRYPTED PRIVATE KEY-----
";

/// `openssl pkcs8 -topk8 -v1 PBE-SHA1-DES` (legacy provider) of `openssl-genrsa-1024.pem`: PKCS#5 v1.5
/// PBES1 (test-only key).
const PBES1_SHA1_DES: &str = "\
-----BEGIN ENCRYPTED PRIVATE KEY-----
MIICoTAbBgkqhkiG9w0BBQowDgQI8Yc3YghbkFgCAggABIICgOMzHd83yGQu015t
4n+yGVqOhisyM31DvSRnB0l/isXZcKt3MyleIWB3Yqb/hTmb+UeoPOjpfJlNXule
j2jwU0t8usmKuc/ALknuzqxotAKagtqyh/X2jtsgxr9cULFVcQC8uWalYyHNqWjw
H5LA+4ZhBDnU8Ls4656m7ceoLb2UbmZYYzCjQoow92F/sb3jfXKssqRBxZ3gXQSs
7kKPOVkH9rlwBCvLycCzXz99WMwv8Zhu+Ur+r1act4SNWI8basUVtkmFKZf7dhXV
8L1D20VEE2lDCEwi5xq3CuCMGlJZmr9xC+so+ygyqZF7EE4+1ZHSIYS9yoShZAyj
O2HhW1FDkneLNgCbPGYZHc0DTd8ZymMxfQwKgXRqWAhNyPr1k8ntEtkfsLZl9aGl
TJ9t7e4eABF0Px/MlzDvTgR6kid7bZQUNLMXZ6CUwAvS4P5a8Wv4XiVLyV5JqH15
TNcyfVVoUzzCp3hO3dXB+2Tq1hofKils9PlJnfaLKWmK/uRNaZW+qyqcEs0QSNRI
HVOuAd+eIFXPE5a6hsxzSHH85ddekWD4/RuVM9T/45xFwjfy4KNd5VWTUhaAWNyt
iS/wke9Na4xO8nm1Z10BuN7In5sU7IaPp06w1eGDuvrN8nTuS9qhsFsfq3nGNAZU
Dw+r+MvRAi8PaPF81NK4ekx3ems26ncmba+mAqVZJqNLoo5O7swCIcKEdu8FIx3c
FI2M6nt1mdR1SosGs/FW0rxym15Zv3Ynu1EShJX5sug6yAasNf8xjRPMoF805kBB
ldWbSUS6zQRR64f35/tWHphK6PLg10XXuWWChibk7cR9KZwLbRl0iniEd9jdkftx
iK7YqeQ=
-----END ENCRYPTED PRIVATE KEY-----
";

#[test]
fn old_pkcs8_encryption_schemes_are_unsupported_with_a_fix() {
    for (pem, scheme_words) in [
        (PKCS12_PBE_SHA1_3DES, ["PKCS#12", "1.2.840.113549.1.12.1.3"]),
        (PBES1_SHA1_DES, ["PBES1", "1.2.840.113549.1.5.10"]),
    ] {
        for passphrase in [Some(PASSPHRASE), None] {
            let err = PrivateKey::from_pem(pem, passphrase).unwrap_err();
            let KeyError::UnsupportedEncryption(scheme) = &err else {
                panic!("{err:?} with passphrase {passphrase:?}")
            };
            for word in scheme_words {
                assert!(scheme.contains(word), "{scheme}");
            }
            assert_message(
                &err,
                &["unsupported", "openssl pkcs8 -topk8 -v2 aes-256-cbc"],
            );
            assert_eq!(
                PrivateKey::from_bytes(pem.as_bytes(), passphrase).unwrap_err(),
                err
            );
            // The same key as DER.
            let der = pem_body(pem);
            assert_eq!(PrivateKey::from_der(&der, passphrase).unwrap_err(), err);
            assert_eq!(PrivateKey::from_bytes(&der, passphrase).unwrap_err(), err);
        }
    }
}

#[test]
fn crlf_line_endings_and_leading_text_are_accepted() {
    // Keys copied through Windows editors or exported with OpenSSL's "Bag Attributes" preamble.
    for (file, pub_file, passphrase) in [
        (
            "openssl-genpkey-pkcs8.pem",
            "openssl-genpkey-pkcs8.pub.pem",
            None,
        ),
        (
            "openssl-genrsa-des3.pem",
            "openssl-genrsa-des3.pub.pem",
            Some(PASSPHRASE),
        ),
        (
            "openssl-genrsa-traditional.pem",
            "openssl-genrsa-traditional.pub.pem",
            None,
        ),
        (
            "openssl-genrsa-traditional-des3.pem",
            "openssl-genrsa-traditional-des3.pub.pem",
            Some(PASSPHRASE),
        ),
    ] {
        let crlf = read_text(file).replace('\n', "\r\n");
        let prefixed = format!(
            "Bag Attributes\n    localKeyID: 01 02 03\n{}",
            read_text(file)
        );
        for text in [crlf, prefixed] {
            let key =
                PrivateKey::from_pem(&text, passphrase).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(key.public_key().to_pem(), read_text(pub_file), "{file}");
            let key = PrivateKey::from_bytes(text.as_bytes(), passphrase).unwrap();
            assert_eq!(key.public_key().to_pem(), read_text(pub_file), "{file}");
        }
    }
}

#[test]
fn garbage_and_truncated_are_unrecognized() {
    for file in ["garbage.pem", "truncated.pem"] {
        for passphrase in [None, Some(PASSPHRASE)] {
            let err = load_error(file, passphrase);
            assert!(matches!(err, KeyError::Unrecognized(_)), "{file}: {err:?}");
            assert_message(
                &err,
                &["not a key in a known format", "BEGIN PRIVATE KEY", "DER"],
            );
        }
    }
    // Empty input and a DER key cut short.
    for data in [&b""[..], &read("openssl-genpkey-pkcs8.der")[..600]] {
        let err = PrivateKey::from_bytes(data, None).unwrap_err();
        assert!(matches!(err, KeyError::Unrecognized(_)), "{err:?}");
        let err = PrivateKey::from_der(data, None).unwrap_err();
        assert!(matches!(err, KeyError::Unrecognized(_)), "{err:?}");
    }
}

#[test]
fn public_key_given_as_private_key() {
    let pub_pem = read_text("openssl-genpkey-pkcs8.pub.pem");
    let pub_der = PublicKey::from_pem(&pub_pem).unwrap().to_der().to_vec();
    let errors = [
        PrivateKey::from_pem(&pub_pem, None).unwrap_err(),
        PrivateKey::from_bytes(pub_pem.as_bytes(), None).unwrap_err(),
        PrivateKey::from_der(&pub_der, None).unwrap_err(),
        PrivateKey::from_bytes(&pub_der, Some(PASSPHRASE)).unwrap_err(),
    ];
    for err in errors {
        assert_eq!(err, KeyError::NotPrivate);
        assert_message(
            &err,
            &["public key", "needs the private key", "register with Meta"],
        );
    }
}

#[test]
fn each_rejection_is_a_distinct_variant() {
    let errors = [
        load_error("openssl-genrsa-des3.pem", Some(b"wrong")),
        load_error("openssl-genrsa-des3.pem", None),
        load_error("openssl-ec-p256.pem", None),
        load_error("openssl-genrsa-1024.pem", None),
        load_error("garbage.pem", None),
        load_error("openssl-genpkey-pkcs8.pub.pem", None),
        PrivateKey::from_pem(PKCS12_PBE_SHA1_3DES, Some(PASSPHRASE)).unwrap_err(),
        PublicKey::from_bytes(&read("openssl-genpkey-pkcs8.pem")).unwrap_err(),
        PublicKey::from_bytes(&read("openssl-genpkey-pkcs8.crt.pem")).unwrap_err(),
    ];
    for (i, a) in errors.iter().enumerate() {
        for b in errors.iter().skip(i + 1) {
            assert_ne!(
                std::mem::discriminant(a),
                std::mem::discriminant(b),
                "{a:?} vs {b:?}"
            );
            assert_ne!(a.to_string(), b.to_string());
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Public keys, fingerprints, Debug hygiene, backends, rotation
// ---------------------------------------------------------------------------------------------------

const PUBLIC_KEYS: &[&str] = &[
    "openssl-genpkey-pkcs8.pub.pem",
    "openssl-genrsa-des3.pub.pem",
    "openssl-genrsa-aes256.pub.pem",
    "openssl-pkcs8-scrypt.pub.pem",
    "openssl-pkcs8-encrypted.pub.pem",
    "openssl-genrsa-traditional.pub.pem",
    "openssl-genrsa-traditional-des3.pub.pem",
    "openssl-genrsa-traditional-aes128.pub.pem",
    "openssl-genrsa-traditional-aes256.pub.pem",
    "node-generatekeypair-pkcs1-des3.pub.pem",
    "rotation-old.pub.pem",
    "rotation-new.pub.pem",
];

#[test]
fn public_key_pem_round_trip() {
    for file in PUBLIC_KEYS {
        let text = read_text(file);
        let public = PublicKey::from_pem(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(public.to_pem(), text, "{file}");
        assert_eq!(public.bits(), 2048, "{file}");
        let again = PublicKey::from_der(public.to_der()).unwrap();
        assert_eq!(again, public, "{file}");
        assert_eq!(again.to_pem(), text, "{file}");
    }
    // PKCS#1 `RSA PUBLIC KEY` (`openssl rsa -pubin -RSAPublicKey_out`) is read and exported as SPKI.
    let pkcs1 = "\
-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAqbWkweNac9M4pQYek35at7lRNIFRwgSZBtxVYjnOsFkrOa27UIGJ
Vvhf6eZSdqdSdMOFzOonKfLhXRF4K/j+qixjrywDTGLbffrC9wxwVOfyDHIzk365
gg1+7cUNL6TM7KrtIBtrQyXI8aqXdutqchhZAcJL9v7gFbCMtknoxsLq2a3DP3DV
nSVli8PixOFL/2lacs86uDsWCd8bGW0AKN9HdpzcHkXKaC9WoG2789weC00lgxkM
RVtAxw/RDcerAGji7/Zt11+IAOhXCiMsYZnpPvaWqr/HMT3VsoCBCOaSyTEk8ONR
gdW4YmRqBwfXvwWzBqG8YNtpq4k5VOfrIwIDAQAB
-----END RSA PUBLIC KEY-----
";
    let spki = read_text("openssl-genpkey-pkcs8.pub.pem");
    let from_pkcs1 = PublicKey::from_pem(pkcs1).unwrap();
    assert_eq!(from_pkcs1.to_pem(), spki);
    assert_eq!(
        from_pkcs1.fingerprint(),
        PublicKey::from_pem(&spki).unwrap().fingerprint()
    );

    // A private key where a public key is expected is refused, as such.
    let err = PublicKey::from_pem(&read_text("openssl-genpkey-pkcs8.pem")).unwrap_err();
    assert_eq!(err, KeyError::NotPublic);
}

/// `openssl-genpkey-pkcs8`'s public key in each form `openssl` writes it.
const PUBLIC_FORMS: &[&str] = &[
    "openssl-genpkey-pkcs8.pub.pem",
    "openssl-genpkey-pkcs8.pub.der",
    "openssl-genpkey-pkcs8.pkcs1.pub.pem",
    "openssl-genpkey-pkcs8.pkcs1.pub.der",
];

#[test]
fn public_key_from_bytes_reads_spki_and_pkcs1_in_pem_and_der() {
    let key = load_direct("openssl-genpkey-pkcs8.pem", None).unwrap();
    let spki = read_text("openssl-genpkey-pkcs8.pub.pem");
    for file in PUBLIC_FORMS {
        let public = PublicKey::from_bytes(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(public.fingerprint(), key.fingerprint(), "{file}");
        assert_eq!(&public, key.public_key(), "{file}");
        // Whatever form came in, what is registered with Meta is the SPKI PEM.
        assert_eq!(public.to_pem(), spki, "{file}");
    }
    for file in PUBLIC_KEYS {
        let text = read_text(file);
        assert_eq!(
            PublicKey::from_bytes(text.as_bytes()).unwrap(),
            PublicKey::from_pem(&text).unwrap(),
            "{file}"
        );
    }
    // Leading text and CRLF line endings, as for private keys.
    let crlf = format!("Bag Attributes\r\n{}", spki.replace('\n', "\r\n"));
    assert_eq!(
        PublicKey::from_bytes(crlf.as_bytes())
            .unwrap()
            .fingerprint(),
        key.fingerprint()
    );
}

#[test]
fn public_key_from_bytes_refuses_private_keys_and_certificates_by_kind() {
    // Every private key, RSA or not, encrypted or not, PEM or DER: the caller can branch on
    // `NotPublic` and load it as a private key, which then says what is wrong with it, if anything.
    for file in [
        "openssl-genpkey-pkcs8.pem",
        "openssl-genpkey-pkcs8.der",
        "openssl-genrsa-des3.pem",
        "openssl-pkcs8-scrypt.pem",
        "openssl-pkcs8-encrypted.der",
        "openssl-genrsa-traditional.pem",
        "openssl-genrsa-traditional.der",
        "openssl-genrsa-traditional-des3.pem",
        "node-generatekeypair-pkcs1-des3.pem",
        "openssl-ec-p256.pem",
        "openssl-ec-p256-traditional.pem",
        "openssl-ec-p256-encrypted.pem",
        "openssl-ed25519.pem",
        "truncated.pem",
    ] {
        let err = PublicKey::from_bytes(&read(file)).unwrap_err();
        assert_eq!(err, KeyError::NotPublic, "{file}");
        assert_message(&err, &["private key", "public key", "flows public-key"]);
    }
    // The fallback gets the private key's public half: the same key as the `.pub.pem`.
    let data = read("openssl-genrsa-traditional.der");
    let from_private = match PublicKey::from_bytes(&data) {
        Err(KeyError::NotPublic) => PrivateKey::from_bytes(&data, None)
            .unwrap()
            .public_key()
            .clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        from_private,
        PublicKey::from_pem(&read_text("openssl-genrsa-traditional.pub.pem")).unwrap()
    );

    let cert = read("openssl-genpkey-pkcs8.crt.pem");
    let err = PublicKey::from_bytes(&cert).unwrap_err();
    assert_eq!(err, KeyError::Certificate);
    assert_message(&err, &["certificate", "openssl x509 -pubkey -noout"]);
    assert_eq!(
        PublicKey::from_pem(std::str::from_utf8(&cert).unwrap()).unwrap_err(),
        KeyError::Certificate
    );

    for data in [
        &read("garbage.pem")[..],
        b"",
        &read("openssl-genpkey-pkcs8.pub.der")[..100],
    ] {
        let err = PublicKey::from_bytes(data).unwrap_err();
        assert!(matches!(err, KeyError::Unrecognized(_)), "{err:?}");
        // The message tells what a public key looks like, not only a private one.
        assert_message(
            &err,
            &["not a key in a known format", "BEGIN PUBLIC KEY", "SPKI"],
        );
    }
}

#[test]
fn fingerprint_is_stable_and_matches_the_public_key() {
    let key = load_direct("openssl-genpkey-pkcs8.pem", None).unwrap();
    let again = load_direct("openssl-genpkey-pkcs8.der", None).unwrap();
    let public = PublicKey::from_pem(&read_text("openssl-genpkey-pkcs8.pub.pem")).unwrap();

    assert_eq!(key.fingerprint(), key.fingerprint());
    assert_eq!(key.fingerprint(), again.fingerprint());
    assert_eq!(key.fingerprint(), public.fingerprint());
    assert_eq!(key.fingerprint(), key.public_key().fingerprint());
    assert_eq!(key.public_key(), &public);
    assert_eq!(
        key.fingerprint().to_string(),
        public.fingerprint().to_string()
    );
    assert_eq!(
        format!("{:#}", key.fingerprint()),
        format!("{:#}", public.fingerprint())
    );

    // SHA-256 over the SPKI DER, shown as `SHA256:` + hex.
    use sha2::Digest as _;
    let digest: [u8; 32] = sha2::Sha256::digest(public.to_der()).into();
    assert_eq!(key.fingerprint().0, digest);
    let full = base16ct::lower::encode_string(&digest);
    assert_eq!(format!("{:#}", key.fingerprint()), format!("SHA256:{full}"));
    assert_eq!(
        key.fingerprint().to_string(),
        format!("SHA256:{}", &full[..16])
    );

    // Different keys, different fingerprints; each backend, same fingerprint.
    let other = PublicKey::from_pem(&read_text("rotation-old.pub.pem")).unwrap();
    assert_ne!(key.fingerprint(), other.fingerprint());
    for &backend in Backend::available() {
        assert_eq!(
            key.clone().with_backend(backend).unwrap().fingerprint(),
            public.fingerprint()
        );
    }
}

#[test]
fn debug_never_shows_private_key_material() {
    let pems = [
        ("openssl-genpkey-pkcs8.pem", None),
        ("openssl-genrsa-des3.pem", Some(PASSPHRASE)),
        ("openssl-genrsa-aes256.pem", Some(PASSPHRASE)),
        ("openssl-genrsa-traditional.pem", None),
        ("openssl-genrsa-traditional-des3.pem", Some(PASSPHRASE)),
        ("openssl-genrsa-traditional-aes128.pem", Some(PASSPHRASE)),
        ("openssl-genrsa-traditional-aes256.pem", Some(PASSPHRASE)),
        ("node-generatekeypair-pkcs1-des3.pem", Some(PASSPHRASE)),
        ("rotation-old.pem", None),
        ("rotation-new.pem", None),
    ];
    for (file, passphrase) in pems {
        let text = read_text(file);
        let key = load_direct(file, passphrase).unwrap();
        // And the unencrypted PKCS#8 the key exports, in case Debug printed the decrypted form.
        let exported = key.to_pkcs8_pem().unwrap();
        let body_lines: Vec<&str> = text
            .lines()
            .chain(exported.lines())
            .filter(|line| {
                !line.starts_with("-----") && !line.contains(':') && !line.trim().is_empty()
            })
            .collect();
        assert!(body_lines.len() > 20, "{file}");
        let mut shown = vec![format!("{key:?}"), format!("{key:#?}")];
        for &backend in Backend::available() {
            shown.push(format!("{:?}", key.clone().with_backend(backend).unwrap()));
        }
        shown.push(format!(
            "{:?}",
            KeySet::new(key.clone()).with_previous(key.clone())
        ));
        for debug in &shown {
            assert!(debug.contains("fingerprint"), "{debug}");
            for line in &body_lines {
                assert!(
                    !debug.contains(line),
                    "{file}: Debug shows key material: {debug}"
                );
            }
        }
    }
}

#[test]
fn with_backend_for_each_available_backend() {
    let key = load_direct("openssl-genrsa-des3.pem", Some(PASSPHRASE)).unwrap();
    assert!(Backend::available().contains(&Backend::default()));
    assert_eq!(
        Backend::available().len(),
        if cfg!(feature = "aws-lc") { 2 } else { 1 }
    );
    for &backend in Backend::available() {
        let converted = key.clone().with_backend(backend).unwrap();
        assert_eq!(converted.backend(), backend);
        assert_eq!(converted.public_key(), key.public_key());
        assert_eq!(converted.bits(), 2048);
        assert!(format!("{converted:?}").contains(&format!("{backend:?}")));
        // Converting back and forth keeps working keys.
        let back = converted.clone().with_backend(Backend::default()).unwrap();
        assert_eq!(back.backend(), Backend::default());

        let plaintext = br#"{"version":"3.0","action":"ping"}"#;
        let sent = key.public_key().encrypt_request(plaintext).unwrap();
        let request = converted.decrypt_request(sent.body().as_bytes()).unwrap();
        assert_eq!(request.plaintext().as_bytes(), plaintext);
        assert_eq!(request.key_fingerprint(), key.fingerprint());
        let body = request.into_parts().1.encrypt_bytes(b"{}").unwrap();
        assert_eq!(
            &*sent.into_response().decrypt(body.as_bytes()).unwrap(),
            "{}"
        );
    }
}

#[test]
fn key_set_rotation() {
    let old = load_direct("rotation-old.pem", None).unwrap();
    let new = load_direct("rotation-new.pem", None).unwrap();
    for &backend in Backend::available() {
        let old = old.clone().with_backend(backend).unwrap();
        let new = new.clone().with_backend(backend).unwrap();
        let rotating = KeySet::new(new.clone()).with_previous(old.clone());
        assert_eq!(rotating.current().fingerprint(), new.fingerprint());
        assert_eq!(rotating.iter().count(), 2);

        // A client that still has the old public key.
        let plaintext = br#"{"version":"3.0","action":"INIT","flow_token":"t"}"#;
        let to_old = old.public_key().encrypt_request(plaintext).unwrap();
        let request = rotating.decrypt_request(to_old.body().as_bytes()).unwrap();
        assert_eq!(request.plaintext().as_bytes(), plaintext);
        assert_eq!(request.key_fingerprint(), old.fingerprint(), "{backend}");
        let reply = request
            .into_parts()
            .1
            .encrypt_bytes(br#"{"data":{}}"#)
            .unwrap();
        assert_eq!(
            &*to_old.into_response().decrypt(reply.as_bytes()).unwrap(),
            r#"{"data":{}}"#
        );

        // A client that has the new one.
        let to_new = new.public_key().encrypt_request(plaintext).unwrap();
        let request = rotating.decrypt_request(to_new.body().as_bytes()).unwrap();
        assert_eq!(request.key_fingerprint(), new.fingerprint(), "{backend}");

        // The old key removed: requests to it now get 421, which makes the client re-fetch the key.
        let only_new = KeySet::new(new.clone());
        let to_old = old.public_key().encrypt_request(plaintext).unwrap();
        let err = only_new
            .decrypt_request(to_old.body().as_bytes())
            .unwrap_err();
        assert!(matches!(err, RequestError::CannotDecrypt(_)), "{err:?}");
        assert_eq!(err.http_status(), 421);
        let err = new.decrypt_request(to_old.body().as_bytes()).unwrap_err();
        assert_eq!(err.http_status(), 421);
    }
}
