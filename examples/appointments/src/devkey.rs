//! The development key: made on first start when no key is configured, kept in the data directory
//! (mode 0600) and reused afterwards, so the zero-set-up server has a stable key to register.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use whatsapp_flows_crypto::{KeyError, PrivateKey};

/// The development key's file name inside the data directory.
pub const DEV_KEY_FILE: &str = "dev-private.pem";
/// Its public key, for `flows register` and Meta's UI.
pub const DEV_PUBLIC_FILE: &str = "dev-public.pem";

/// Why the development key could not be loaded or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DevKeyError {
    /// Reading or writing a file failed.
    #[error("development key {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a usable key, or generation failed.
    #[error("development key {path}: {source}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: KeyError,
    },
}

/// The development key and whether it was just made.
#[derive(Debug)]
pub struct DevKey {
    /// The key.
    pub key: PrivateKey,
    /// Where it is.
    pub path: PathBuf,
    /// Where its public key is.
    pub public_path: PathBuf,
    /// `true` when made now, `false` when reused.
    pub created: bool,
}

/// Loads `DIR/dev-private.pem`, or generates an RSA-2048 key there (unencrypted PKCS#8, mode 0600)
/// with its public key beside it.
///
/// # Errors
/// [`DevKeyError`] if the file cannot be read, written or parsed.
pub fn load_or_create(dir: &Path) -> Result<DevKey, DevKeyError> {
    let path = dir.join(DEV_KEY_FILE);
    let public_path = dir.join(DEV_PUBLIC_FILE);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DevKeyError::Io { path, source }
    };
    let key_error = |source| DevKeyError::Key {
        path: path.clone(),
        source,
    };
    match std::fs::read_to_string(&path) {
        Ok(pem) => {
            let key = PrivateKey::from_pem(&pem, None).map_err(key_error)?;
            return Ok(DevKey {
                key,
                path,
                public_path,
                created: false,
            });
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io(&path)(error)),
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let key = PrivateKey::generate().map_err(key_error)?;
    let pem = key.to_pkcs8_pem().map_err(key_error)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(io(&path))?;
    file.write_all(pem.as_bytes()).map_err(io(&path))?;
    file.sync_all().map_err(io(&path))?;
    std::fs::write(&public_path, key.public_key().to_pem()).map_err(io(&public_path))?;
    Ok(DevKey {
        key,
        path,
        public_path,
        created: true,
    })
}
