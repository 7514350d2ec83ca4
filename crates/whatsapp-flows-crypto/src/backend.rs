//! The RSA-OAEP step, behind a small enum so each key picks its own implementation.
//!
//! Only the private-key operation differs between backends; AES-GCM always uses `aes-gcm` because
//! WhatsApp's 16-byte GCM nonce is outside what aws-lc-rs's AEAD API accepts.

use zeroize::Zeroizing;

use crate::error::KeyError;

/// Which implementation performs the RSA-OAEP private-key operation.
///
/// Both are constant time. [`Backend::RustCrypto`] is always available; [`Backend::AwsLc`] exists when
/// the `aws-lc` feature is enabled and is then the default, since it is several times faster.
/// Enabling the feature never changes behaviour, only speed: feature unification in a larger
/// dependency graph cannot break a program that names neither.
///
/// ```
/// use whatsapp_flows_crypto::Backend;
/// assert!(Backend::available().contains(&Backend::RustCrypto));
/// assert!(Backend::available().contains(&Backend::default()));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// The pure-Rust `rsa` crate (crypto-bigint, constant time, blinded).
    #[cfg_attr(not(feature = "aws-lc"), default)]
    RustCrypto,
    /// AWS-LC through `aws-lc-rs` (constant time, hand-tuned assembly).
    #[cfg(feature = "aws-lc")]
    #[default]
    AwsLc,
}

impl Backend {
    /// Every backend compiled into this build.
    #[must_use]
    pub fn available() -> &'static [Backend] {
        &[
            Self::RustCrypto,
            #[cfg(feature = "aws-lc")]
            Self::AwsLc,
        ]
    }

    /// A short name for logs: `"rustcrypto"` or `"aws-lc"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::RustCrypto => "rustcrypto",
            #[cfg(feature = "aws-lc")]
            Self::AwsLc => "aws-lc",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub(crate) enum Decryptor {
    RustCrypto,
    #[cfg(feature = "aws-lc")]
    AwsLc(aws_lc_rs::rsa::OaepPrivateDecryptingKey),
}

impl Decryptor {
    #[cfg_attr(not(feature = "aws-lc"), allow(unused_variables))]
    pub(crate) fn new(backend: Backend, key: &rsa::PrivateKey) -> Result<Self, KeyError> {
        match backend {
            Backend::RustCrypto => Ok(Self::RustCrypto),
            #[cfg(feature = "aws-lc")]
            Backend::AwsLc => {
                use rsa::pkcs8::EncodePrivateKey as _;
                let rejected = |reason: String| KeyError::Backend {
                    backend: "aws-lc",
                    reason,
                };
                let der = key.to_pkcs8_der().map_err(|e| rejected(e.to_string()))?;
                let private = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(der.as_bytes())
                    .map_err(|e| rejected(e.to_string()))?;
                let oaep = aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(private)
                    .map_err(|_| rejected("not usable for OAEP".to_owned()))?;
                // AWS-LC seeds its random generator (which blinds every private-key operation) on
                // first use, from CPU jitter: 50-100 ms of CPU once per process. Paid here, at key
                // load, instead of by the first request, whose slowness would also make a server's
                // overload estimate refuse the requests arriving with it.
                aws_lc_rs::rand::fill(&mut [0u8; 16])
                    .map_err(|_| rejected("random generator failed".to_owned()))?;
                Ok(Self::AwsLc(oaep))
            }
        }
    }

    pub(crate) fn backend(&self) -> Backend {
        match self {
            Self::RustCrypto => Backend::RustCrypto,
            #[cfg(feature = "aws-lc")]
            Self::AwsLc(_) => Backend::AwsLc,
        }
    }

    /// RSA-OAEP (SHA-256, MGF1-SHA-256, empty label). `None` on any failure, without detail: the caller
    /// must not be able to distinguish padding errors.
    pub(crate) fn unwrap_key(
        &self,
        key: &rsa::PrivateKey,
        ciphertext: &[u8],
    ) -> Option<Zeroizing<Vec<u8>>> {
        match self {
            Self::RustCrypto => key
                .oaep_decrypt::<sha2::Sha256>(ciphertext)
                .ok()
                .map(Zeroizing::new),
            #[cfg(feature = "aws-lc")]
            Self::AwsLc(oaep) => {
                let mut out = Zeroizing::new(vec![0u8; oaep.min_output_size()]);
                let len = oaep
                    .decrypt(
                        &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
                        ciphertext,
                        &mut out,
                        None,
                    )
                    .ok()?
                    .len();
                out.truncate(len);
                Some(out)
            }
        }
    }
}
