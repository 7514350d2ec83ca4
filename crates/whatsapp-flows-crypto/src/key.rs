//! Business keys: parsing every form people have, public-key export, fingerprints, rotation.

use std::fmt;
use std::sync::Arc;

use pkcs8::der::Decode as _;
use rsa::pkcs8::EncodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::backend::{Backend, Decryptor};
use crate::error::KeyError;
use crate::{legacy, pem};

/// The smallest modulus WhatsApp's clients encrypt to.
const MIN_BITS: usize = 2048;

/// An RSA private key, parsed and validated once, ready to decrypt requests.
///
/// Cloning is cheap (the key is shared). Reads, in PEM or DER:
///
/// | form | made by |
/// |---|---|
/// | PKCS#8 (`BEGIN PRIVATE KEY`) | `openssl genpkey -algorithm RSA` |
/// | encrypted PKCS#8 (`BEGIN ENCRYPTED PRIVATE KEY`): PBKDF2 or scrypt with AES-CBC or 3DES | `openssl genrsa -des3` / `-aes256` (OpenSSL 3), `openssl pkcs8 -topk8 [-scrypt]` |
/// | PKCS#1 (`BEGIN RSA PRIVATE KEY`) | `openssl genrsa -traditional` |
/// | legacy encrypted PKCS#1 (`Proc-Type: 4,ENCRYPTED`, DES-EDE3/AES-CBC) | Meta's Node.js key generator, `openssl genrsa -traditional -des3`, OpenSSL 1.1 |
///
/// A passphrase given for an unencrypted key is ignored.
///
/// ```
/// use whatsapp_flows_crypto::PrivateKey;
///
/// let pem = include_str!("../tests/fixtures/keys/openssl-genrsa-des3.pem");
/// let key = PrivateKey::from_pem(pem, Some(b"flows-test-passphrase"))?;
/// assert_eq!(key.bits(), 2048);
/// assert!(key.public_key().to_pem().starts_with("-----BEGIN PUBLIC KEY-----"));
/// # Ok::<(), whatsapp_flows_crypto::KeyError>(())
/// ```
#[derive(Clone)]
pub struct PrivateKey {
    inner: Arc<Inner>,
}

struct Inner {
    rsa: rsa::PrivateKey,
    decryptor: Decryptor,
    public: PublicKey,
}

impl PrivateKey {
    /// Parses a PEM private key with the default [`Backend`].
    ///
    /// # Errors
    /// A [`KeyError`] naming what is wrong and what to do.
    pub fn from_pem(pem: &str, passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        let block = pem::parse(pem)?;
        let rsa = match block.label {
            "PRIVATE KEY" => from_pkcs8(&block.der)?,
            "ENCRYPTED PRIVATE KEY" => from_encrypted_pkcs8(&block.der, passphrase)?,
            "RSA PRIVATE KEY" => match block.header("DEK-Info") {
                None if block
                    .header("Proc-Type")
                    .is_some_and(|v| v.contains("ENCRYPTED")) =>
                {
                    return Err(KeyError::Unrecognized(
                        "Proc-Type ENCRYPTED without DEK-Info",
                    ));
                }
                None => from_pkcs1(&block.der)?,
                Some(dek_info) => {
                    let passphrase = passphrase.ok_or(KeyError::PassphraseRequired)?;
                    let der = legacy::decrypt(dek_info, &block.der, passphrase)?;
                    // A wrong passphrase survives CBC padding about 1 time in 256; the DER check catches it.
                    // Only a parse failure means a wrong passphrase: a key that decrypts but is too small
                    // or inconsistent keeps its own error.
                    if pkcs1::RsaPrivateKeyRef::from_der(&der).is_err() {
                        return Err(KeyError::WrongPassphrase);
                    }
                    from_pkcs1(&der)?
                }
            },
            "PUBLIC KEY" | "RSA PUBLIC KEY" | "CERTIFICATE" => return Err(KeyError::NotPrivate),
            "EC PRIVATE KEY" => return Err(not_rsa("EC")),
            "DSA PRIVATE KEY" => return Err(not_rsa("DSA")),
            "OPENSSH PRIVATE KEY" => {
                return Err(KeyError::Unrecognized(
                    "an OpenSSH key: convert it with `ssh-keygen -p -m PKCS8 -f FILE`",
                ));
            }
            _ => return Err(KeyError::Unrecognized("unknown PEM label")),
        };
        Self::from_rsa(rsa, Backend::default())
    }

    /// Parses a DER private key (PKCS#8, encrypted PKCS#8 or PKCS#1) with the default [`Backend`].
    ///
    /// # Errors
    /// A [`KeyError`] naming what is wrong and what to do.
    pub fn from_der(der: &[u8], passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        let rsa = if pkcs8::PrivateKeyInfoRef::from_der(der).is_ok() {
            from_pkcs8(der)?
        } else if pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).is_ok()
            || unparsed_encryption_scheme(der).is_some()
        {
            from_encrypted_pkcs8(der, passphrase)?
        } else if pkcs1::RsaPrivateKeyRef::from_der(der).is_ok() {
            from_pkcs1(der)?
        } else if spki::SubjectPublicKeyInfoRef::from_der(der).is_ok()
            || pkcs1::RsaPublicKeyRef::from_der(der).is_ok()
        {
            return Err(KeyError::NotPrivate);
        } else {
            return Err(KeyError::Unrecognized("not DER"));
        };
        Self::from_rsa(rsa, Backend::default())
    }

    /// Parses a key file's contents, PEM or DER, whichever it is.
    ///
    /// # Errors
    /// A [`KeyError`] naming what is wrong and what to do.
    pub fn from_bytes(data: &[u8], passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        if let Ok(text) = std::str::from_utf8(data)
            && text.contains("-----BEGIN ")
        {
            return Self::from_pem(text, passphrase);
        }
        Self::from_der(data, passphrase)
    }

    /// The same key on another backend (an explicit per-key choice; the default is [`Backend::default`]).
    ///
    /// # Errors
    /// [`KeyError::Backend`] if that backend rejects the key.
    pub fn with_backend(self, backend: Backend) -> Result<Self, KeyError> {
        if self.backend() == backend {
            return Ok(self);
        }
        Self::from_rsa(self.inner.rsa.clone(), backend)
    }

    /// Generates a fresh RSA-2048 key (for `flows keygen`, tests and development servers).
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if the system random number generator fails.
    pub fn generate() -> Result<Self, KeyError> {
        let rsa = rsa::PrivateKey::new(&mut getrandom::SysRng, MIN_BITS)
            .map_err(|_| KeyError::Invalid)?;
        Self::from_rsa(rsa, Backend::default())
    }

    fn from_rsa(rsa: rsa::PrivateKey, backend: Backend) -> Result<Self, KeyError> {
        let decryptor = Decryptor::new(backend, &rsa)?;
        let public = PublicKey::from_rsa(rsa.to_public_key())?;
        Ok(Self {
            inner: Arc::new(Inner {
                rsa,
                decryptor,
                public,
            }),
        })
    }

    /// The public key: what gets registered with Meta.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.inner.public
    }

    /// A short fingerprint of the public key, safe to log.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        self.inner.public.fingerprint()
    }

    /// The modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        self.inner.public.bits()
    }

    /// The backend that performs this key's RSA operation.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.inner.decryptor.backend()
    }

    /// The key as unencrypted PKCS#8 PEM, wiped from memory when dropped.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if encoding fails.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        use rsa::pkcs8::EncodePrivateKey as _;
        self.inner
            .rsa
            .to_pkcs8_pem(pkcs8::LineEnding::LF)
            .map_err(|_| KeyError::Invalid)
    }

    /// The key as encrypted PKCS#8 PEM (PBES2: scrypt + AES-256-CBC), which OpenSSL and this crate read.
    ///
    /// # Errors
    /// [`KeyError::Invalid`] if encoding fails.
    pub fn to_encrypted_pkcs8_pem(&self, passphrase: &[u8]) -> Result<Zeroizing<String>, KeyError> {
        use rsa::pkcs8::EncodePrivateKey as _;
        self.inner
            .rsa
            .to_pkcs8_encrypted_pem(passphrase, pkcs8::LineEnding::LF)
            .map_err(|_| KeyError::Invalid)
    }

    pub(crate) fn unwrap_aes_key(&self, ciphertext: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        self.inner.decryptor.unwrap_key(&self.inner.rsa, ciphertext)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("fingerprint", &self.fingerprint())
            .field("bits", &self.bits())
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

fn not_rsa(algorithm: &str) -> KeyError {
    KeyError::NotRsa {
        algorithm: algorithm.to_owned(),
    }
}

fn from_encrypted_pkcs8(
    der: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<rsa::PrivateKey, KeyError> {
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).map_err(|_| {
        unparsed_encryption_scheme(der).map_or(
            KeyError::Unrecognized("malformed encrypted PKCS#8"),
            KeyError::UnsupportedEncryption,
        )
    })?;
    // An unsupported scheme is reported before asking for a passphrase that could not help.
    let scheme = &info.encryption_algorithm;
    let Some(pbes2) = scheme.pbes2() else {
        return Err(KeyError::UnsupportedEncryption(format!(
            "PBES1 ({})",
            scheme.oid()
        )));
    };
    check_kdf_cost(&pbes2.kdf)?;
    let passphrase = passphrase.ok_or(KeyError::PassphraseRequired)?;
    let plain = info.decrypt(passphrase).map_err(|e| match e {
        pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::UnsupportedAlgorithm { oid }) => {
            KeyError::UnsupportedEncryption(oid.to_string())
        }
        _ => KeyError::WrongPassphrase,
    })?;
    // A wrong passphrase survives CBC padding about 1 time in 256; the DER check catches it.
    if pkcs8::PrivateKeyInfoRef::from_der(plain.as_bytes()).is_err() {
        return Err(KeyError::WrongPassphrase);
    }
    from_pkcs8(plain.as_bytes())
}

/// The most PBKDF2 iterations accepted: 50x OpenSSL's 2048 default and 16x OWASP's 600 000, yet a
/// hostile file cannot stall start-up for minutes (the `pkcs5` maximum is 100 million).
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// The most scrypt memory accepted (128 * r * N bytes): 16x OpenSSL's default of 16 MiB. Without a cap a
/// crafted N (say 2^40) makes scrypt allocate terabytes, and a failed allocation aborts the process.
const MAX_SCRYPT_MEMORY: u64 = 256 << 20;
/// The most scrypt work accepted (N * r * p block mixes), the same 16x OpenSSL's default.
const MAX_SCRYPT_WORK: u64 = 16 * (1 << 14) * 8;

/// Rejects key-derivation parameters that would exhaust memory or time before the passphrase is tried.
fn check_kdf_cost(kdf: &pkcs5::pbes2::Kdf) -> Result<(), KeyError> {
    match kdf {
        pkcs5::pbes2::Kdf::Pbkdf2(params) if params.iteration_count > MAX_PBKDF2_ITERATIONS => {
            Err(KeyError::UnsupportedEncryption(format!(
                "PBKDF2 with {} iterations (at most {MAX_PBKDF2_ITERATIONS} are accepted)",
                params.iteration_count
            )))
        }
        pkcs5::pbes2::Kdf::Scrypt(params) => {
            let n = params.cost_parameter;
            let r = u64::from(params.block_size);
            let p = u64::from(params.parallelization);
            let memory = n.checked_mul(128).and_then(|m| m.checked_mul(r));
            let work = n.checked_mul(r).and_then(|w| w.checked_mul(p));
            match (memory, work) {
                (Some(memory), Some(work))
                    if memory <= MAX_SCRYPT_MEMORY && work <= MAX_SCRYPT_WORK =>
                {
                    Ok(())
                }
                _ => Err(KeyError::UnsupportedEncryption(format!(
                    "scrypt with N={n}, r={r}, p={p} (at most {} MiB and N*r*p <= {MAX_SCRYPT_WORK} are accepted)",
                    MAX_SCRYPT_MEMORY >> 20
                ))),
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod kdf_tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        base16ct::mixed::decode_vec(text).unwrap()
    }

    #[test]
    fn hostile_scrypt_parameters_are_refused_before_any_allocation() {
        // Found by fuzzing: N = 2^40 used to abort the process ("memory allocation ... failed").
        let n_2_40 = hex(
            "3067305306092a864886f70d01050d3046302506092b06010401da47040b30180408bc75045e2d60043c02060100\
             00000000020108020101301d060960864801650304012a0410e7c63393e2f713fcc753623798df89ee0410621097\
             c1973003ea240c86dc84d939f4",
        );
        // N = 2^22: 4 GiB.
        let n_2_22 = hex(
            "3064305006092a864886f70d01050d3043302206092b06010401da47040b30150408bc75045e2d60043c0203400000\
             020108020101301d060960864801650304012a0410e7c63393e2f713fcc753623798df89ee0410621097c1973003\
             ea240c86dc84d939f4",
        );
        for der in [n_2_40, n_2_22] {
            assert!(matches!(
                PrivateKey::from_der(&der, Some(b"x")),
                Err(KeyError::UnsupportedEncryption(_))
            ));
        }
    }
}

/// Names the scheme of an `EncryptedPrivateKeyInfo` (`SEQUENCE { AlgorithmIdentifier, OCTET STRING }`)
/// whose algorithm `pkcs5` cannot even parse, such as the PKCS#12 PBEs (`1.2.840.113549.1.12.1.*`,
/// e.g. `openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES`).
fn unparsed_encryption_scheme(der: &[u8]) -> Option<String> {
    use pkcs8::der::asn1::AnyRef;
    let fields = Vec::<AnyRef<'_>>::from_der(der).ok()?;
    let [algorithm, data] = fields.as_slice() else {
        return None;
    };
    if data.header().tag() != pkcs8::der::Tag::OctetString {
        return None;
    }
    let oid = algorithm
        .decode_as::<spki::AlgorithmIdentifierRef<'_>>()
        .ok()?
        .oid
        .to_string();
    Some(if oid.starts_with("1.2.840.113549.1.12.1.") {
        format!("PKCS#12 PBE ({oid})")
    } else {
        oid
    })
}

fn from_pkcs8(der: &[u8]) -> Result<rsa::PrivateKey, KeyError> {
    let info = pkcs8::PrivateKeyInfoRef::from_der(der)
        .map_err(|_| KeyError::Unrecognized("malformed PKCS#8"))?;
    let oid = info.algorithm.oid;
    if oid != pkcs1::ALGORITHM_OID {
        return Err(not_rsa(algorithm_name(&oid.to_string())));
    }
    from_pkcs1(info.private_key.as_bytes())
}

fn algorithm_name(oid: &str) -> &str {
    match oid {
        "1.2.840.10045.2.1" => "EC",
        "1.3.101.110" => "X25519",
        "1.3.101.111" => "X448",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.840.113549.1.1.10" => "RSA-PSS (signature-only)",
        other => other,
    }
}

fn from_pkcs1(der: &[u8]) -> Result<rsa::PrivateKey, KeyError> {
    let parsed = pkcs1::RsaPrivateKeyRef::from_der(der)
        .map_err(|_| KeyError::Unrecognized("malformed PKCS#1"))?;
    let bits = modulus_bits(parsed.modulus.as_bytes());
    if bits < MIN_BITS {
        return Err(KeyError::TooSmall { bits });
    }
    let mut key = rsa::PrivateKey::try_from(parsed).map_err(|_| KeyError::Invalid)?;
    key.validate().map_err(|_| KeyError::Invalid)?;
    key.precompute().map_err(|_| KeyError::Invalid)?;
    Ok(key)
}

fn modulus_bits(be: &[u8]) -> usize {
    let be = match be.iter().position(|b| *b != 0) {
        Some(i) => be.get(i..).unwrap_or_default(),
        None => return 0,
    };
    let lead = be.first().map_or(0, |b| b.leading_zeros() as usize);
    be.len() * 8 - lead
}

/// An RSA public key: what a business registers with Meta and what the WhatsApp client encrypts to.
///
/// ```
/// use whatsapp_flows_crypto::PublicKey;
///
/// let pem = include_str!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pub.pem");
/// let public = PublicKey::from_pem(pem)?;
/// assert_eq!(public.to_pem(), pem);
/// println!("registered key {}", public.fingerprint());
/// # Ok::<(), whatsapp_flows_crypto::KeyError>(())
/// ```
#[derive(Clone)]
pub struct PublicKey {
    rsa: rsa::PublicKey,
    spki_der: Vec<u8>,
    /// The client's RSA-OAEP encryption on aws-lc, parsed once; `None` for a key aws-lc does not
    /// take (under 2048 bits), which the `rsa` crate then encrypts to.
    #[cfg(all(feature = "client", feature = "aws-lc"))]
    encryptor: Option<Arc<aws_lc_rs::rsa::OaepPublicEncryptingKey>>,
}

/// Two public keys are equal when their SPKI encodings are: the same modulus and exponent.
impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl PublicKey {
    fn from_rsa(rsa: rsa::PublicKey) -> Result<Self, KeyError> {
        // Encoding a key held in memory does not fail; if it did, an empty DER would give an empty
        // PEM and fingerprint, so it is an error.
        let spki_der = rsa
            .to_public_key_der()
            .map_err(|_| KeyError::Encode)?
            .as_bytes()
            .to_vec();
        #[cfg(all(feature = "client", feature = "aws-lc"))]
        let encryptor = aws_lc_rs::rsa::PublicEncryptingKey::from_der(&spki_der)
            .ok()
            .and_then(|key| aws_lc_rs::rsa::OaepPublicEncryptingKey::new(key).ok())
            .map(Arc::new);
        Ok(Self {
            rsa,
            spki_der,
            #[cfg(all(feature = "client", feature = "aws-lc"))]
            encryptor,
        })
    }

    /// Parses a PEM public key: SPKI (`BEGIN PUBLIC KEY`, what OpenSSL and Meta use) or PKCS#1
    /// (`BEGIN RSA PUBLIC KEY`).
    ///
    /// # Errors
    /// [`KeyError::NotPublic`] for a private key (its public half is the key: see
    /// [`PrivateKey::public_key`]), [`KeyError::Certificate`] for a certificate, or another
    /// [`KeyError`] naming what is wrong.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let block = pem::parse(pem)?;
        match block.label {
            "PUBLIC KEY" | "RSA PUBLIC KEY" => Self::from_der(&block.der),
            "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE" => {
                Err(KeyError::Certificate)
            }
            // EC, DSA, OpenSSH and encrypted ones too: the caller that falls back to the private
            // key then gets that key's own, more precise error.
            label if label.ends_with("PRIVATE KEY") => Err(KeyError::NotPublic),
            _ => Err(KeyError::Unrecognized(
                "expected -----BEGIN PUBLIC KEY-----",
            )),
        }
    }

    /// Parses a DER public key (SPKI or PKCS#1).
    ///
    /// # Errors
    /// [`KeyError::NotPublic`] for a DER private key (PKCS#8, encrypted PKCS#8 or PKCS#1), or
    /// another [`KeyError`] naming what is wrong.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        use rsa::pkcs1::DecodeRsaPublicKey as _;
        use rsa::pkcs8::DecodePublicKey as _;
        let rsa = if let Ok(spki) = spki::SubjectPublicKeyInfoRef::from_der(der) {
            let oid = spki.algorithm.oid;
            if oid != pkcs1::ALGORITHM_OID {
                return Err(not_rsa(algorithm_name(&oid.to_string())));
            }
            rsa::PublicKey::from_public_key_der(der).map_err(|_| KeyError::Invalid)?
        } else if let Ok(rsa) = rsa::PublicKey::from_pkcs1_der(der) {
            rsa
        } else if pkcs8::PrivateKeyInfoRef::from_der(der).is_ok()
            || pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).is_ok()
            || unparsed_encryption_scheme(der).is_some()
            || pkcs1::RsaPrivateKeyRef::from_der(der).is_ok()
        {
            return Err(KeyError::NotPublic);
        } else {
            return Err(KeyError::Unrecognized("not an SPKI or PKCS#1 public key"));
        };
        let bits = modulus_bits(&rsa.n_bytes());
        if bits < MIN_BITS {
            return Err(KeyError::TooSmall { bits });
        }
        Self::from_rsa(rsa)
    }

    /// Parses a public key file's contents, PEM or DER, whichever it is: SPKI or PKCS#1.
    ///
    /// A private key is refused with [`KeyError::NotPublic`], so a caller that takes either kind
    /// of key can load it as a [`PrivateKey`] instead and use its public half; a certificate is
    /// refused with [`KeyError::Certificate`].
    ///
    /// ```
    /// use whatsapp_flows_crypto::{KeyError, PrivateKey, PublicKey};
    ///
    /// let spki_der = include_bytes!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pub.der");
    /// let pkcs1_pem = include_bytes!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pkcs1.pub.pem");
    /// let public = PublicKey::from_bytes(spki_der)?;
    /// assert_eq!(PublicKey::from_bytes(pkcs1_pem)?, public);
    ///
    /// let private = include_bytes!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pem");
    /// let from_private = match PublicKey::from_bytes(private) {
    ///     Err(KeyError::NotPublic) => PrivateKey::from_bytes(private, None)?.public_key().clone(),
    ///     other => other?,
    /// };
    /// assert_eq!(from_private.fingerprint(), public.fingerprint());
    /// # Ok::<(), whatsapp_flows_crypto::KeyError>(())
    /// ```
    ///
    /// # Errors
    /// [`KeyError::NotPublic`], [`KeyError::Certificate`], or another [`KeyError`] naming what
    /// is wrong.
    pub fn from_bytes(data: &[u8]) -> Result<Self, KeyError> {
        if let Ok(text) = std::str::from_utf8(data)
            && text.contains("-----BEGIN ")
        {
            return Self::from_pem(text);
        }
        Self::from_der(data)
    }

    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`, LF line endings): the exact text Meta's
    /// `whatsapp_business_encryption` API takes, and what `openssl pkey -pubout` prints.
    #[must_use]
    pub fn to_pem(&self) -> String {
        use base64::Engine as _;
        let b64 = crate::b64::STANDARD.encode(&self.spki_der);
        let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
        out.push_str("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END PUBLIC KEY-----\n");
        out
    }

    /// SPKI DER.
    #[must_use]
    pub fn to_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// SHA-256 over the SPKI DER; displays as a short form for logs.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint(Sha256::digest(&self.spki_der).into())
    }

    /// The modulus size in bits.
    #[must_use]
    pub fn bits(&self) -> usize {
        modulus_bits(&self.rsa.n_bytes())
    }

    #[cfg(feature = "client")]
    pub(crate) fn rsa(&self) -> &rsa::PublicKey {
        &self.rsa
    }

    #[cfg(all(feature = "client", feature = "aws-lc"))]
    pub(crate) fn aws_lc_encryptor(&self) -> Option<&aws_lc_rs::rsa::OaepPublicEncryptingKey> {
        self.encryptor.as_deref()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("fingerprint", &self.fingerprint())
            .field("bits", &self.bits())
            .finish()
    }
}

/// SHA-256 of a public key's SPKI DER.
///
/// `Display` shows `SHA256:` and the first 8 bytes in hex (enough to tell keys apart in logs);
/// the `{:#}` alternate form shows all 32 bytes.
///
/// ```
/// use whatsapp_flows_crypto::PrivateKey;
/// let key = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/openssl-genpkey-pkcs8.pem"), None)?;
/// let short = key.fingerprint().to_string();
/// assert!(short.starts_with("SHA256:") && short.len() == 7 + 16);
/// assert_eq!(format!("{:#}", key.fingerprint()).len(), 7 + 64);
/// # Ok::<(), whatsapp_flows_crypto::KeyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (short, _) = self.0.split_at(8);
        let shown = if f.alternate() {
            self.0.as_slice()
        } else {
            short
        };
        write!(f, "SHA256:{:x}", base16ct::HexDisplay(shown))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The business's private keys, current first: what an endpoint decrypts with.
///
/// During key rotation, keep the previous key in the set until Meta has the new public key everywhere:
/// requests encrypted to either decrypt, and the current key is tried first.
///
/// ```
/// use whatsapp_flows_crypto::{KeySet, PrivateKey};
/// # let new = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/rotation-new.pem"), None)?;
/// # let old = PrivateKey::from_pem(include_str!("../tests/fixtures/keys/rotation-old.pem"), None)?;
/// let keys = KeySet::new(new).with_previous(old);
/// assert_eq!(keys.iter().count(), 2);
/// # Ok::<(), whatsapp_flows_crypto::KeyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct KeySet {
    current: PrivateKey,
    previous: Vec<PrivateKey>,
}

impl KeySet {
    /// A set holding only the current key.
    #[must_use]
    pub fn new(current: PrivateKey) -> Self {
        Self {
            current,
            previous: Vec::new(),
        }
    }

    /// Adds an older key, tried after those already in the set.
    #[must_use]
    pub fn with_previous(mut self, previous: PrivateKey) -> Self {
        self.previous.push(previous);
        self
    }

    /// The current key (the one whose public key should be registered with Meta).
    #[must_use]
    pub fn current(&self) -> &PrivateKey {
        &self.current
    }

    /// All keys, current first.
    pub fn iter(&self) -> impl Iterator<Item = &PrivateKey> {
        std::iter::once(&self.current).chain(&self.previous)
    }
}

impl From<PrivateKey> for KeySet {
    fn from(key: PrivateKey) -> Self {
        Self::new(key)
    }
}
