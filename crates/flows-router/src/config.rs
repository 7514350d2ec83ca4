//! `ServerConfig`: the configuration every server in this project shares, from `FLOWS_*` environment
//! variables or the matching flags (flags win).
//!
//! | variable | flag | meaning |
//! |---|---|---|
//! | `FLOWS_PRIVATE_KEY_FILE` | `--private-key-file` | one or more key files, comma-separated; the first is current, the others are still accepted (rotation) |
//! | `FLOWS_PRIVATE_KEY` | `--private-key` | the key's PEM text instead of a file |
//! | `FLOWS_PASSPHRASE` | `--passphrase` | passphrase of encrypted keys (prefer the variable: flags show in `ps`) |
//! | `FLOWS_APP_SECRET` | `--app-secret` | Meta app secret(s), comma-separated for rotation; unset: signatures are not checked |
//! | `FLOWS_LISTEN` | `--listen` | address to listen on, default `127.0.0.1:3000` |
//! | `FLOWS_MAX_BODY_SIZE` | `--max-body-size` | request body limit in bytes, default 1 MiB |

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use whatsapp_flows_crypto::{KeyError, KeySet, PrivateKey, SignatureVerifier, Zeroizing};

use crate::{DEFAULT_MAX_BODY, Endpoint, EndpointBuilder, Flow};

/// Server configuration, to `#[command(flatten)]` into a binary's clap arguments.
///
/// ```
/// use clap::Parser;
/// use flows_router::config::ServerConfig;
///
/// #[derive(Parser)]
/// struct Args {
///     #[command(flatten)]
///     server: ServerConfig,
/// }
///
/// let args = Args::try_parse_from(["server", "--listen", "127.0.0.1:8080", "--app-secret", "new,old"])?;
/// assert_eq!(args.server.listen.port(), 8080);
/// assert_eq!(args.server.app_secrets().len(), 2);
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(clap::Args, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Private key file(s), comma-separated; the first is the current key.
    #[arg(
        long = "private-key-file",
        env = "FLOWS_PRIVATE_KEY_FILE",
        value_delimiter = ','
    )]
    pub private_key_files: Vec<PathBuf>,
    /// Private key PEM text (instead of a file).
    #[arg(long = "private-key", env = "FLOWS_PRIVATE_KEY", hide_env_values = true, value_parser = secret)]
    pub private_key: Option<Zeroizing<String>>,
    /// Passphrase of an encrypted private key.
    #[arg(long = "passphrase", env = "FLOWS_PASSPHRASE", hide_env_values = true, value_parser = secret)]
    pub passphrase: Option<Zeroizing<String>>,
    /// Meta app secret(s), comma-separated for rotation (current first).
    #[arg(
        long = "app-secret",
        env = "FLOWS_APP_SECRET",
        hide_env_values = true,
        value_delimiter = ',',
        value_parser = secret
    )]
    pub app_secret: Vec<Zeroizing<String>>,
    /// Address to listen on.
    #[arg(
        long = "listen",
        env = "FLOWS_LISTEN",
        default_value = "127.0.0.1:3000"
    )]
    pub listen: SocketAddr,
    /// Request body limit in bytes.
    #[arg(long = "max-body-size", env = "FLOWS_MAX_BODY_SIZE", default_value_t = DEFAULT_MAX_BODY)]
    pub max_body_size: usize,
}

#[allow(clippy::unnecessary_wraps)] // clap's value_parser needs a Result.
fn secret(text: &str) -> Result<Zeroizing<String>, std::convert::Infallible> {
    Ok(Zeroizing::new(text.to_owned()))
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("private_key_files", &self.private_key_files)
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "<redacted>"),
            )
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("app_secrets", &self.app_secret.len())
            .field("listen", &self.listen)
            .field("max_body_size", &self.max_body_size)
            .finish()
    }
}

/// Why a server cannot start. The message is one line that names the problem and its fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No key configured.
    #[error(
        "no private key configured: set FLOWS_PRIVATE_KEY_FILE (or --private-key-file) to your key file, \
         or FLOWS_PRIVATE_KEY to its PEM text"
    )]
    NoKey,
    /// A key file could not be read.
    #[error("cannot read private key file {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key did not load (wrong passphrase, not RSA, ...).
    #[error("private key {origin}: {source}{hint}")]
    Key {
        /// Where the key came from.
        origin: String,
        /// What is wrong.
        source: KeyError,
        /// How to fix it, when configuration is the likely cause.
        hint: &'static str,
    },
}

impl ServerConfig {
    /// Loads the keys: `FLOWS_PRIVATE_KEY` (if set) or the key files, first is current.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and the problem.
    pub fn load_keys(&self) -> Result<KeySet, ConfigError> {
        let passphrase = self.passphrase.as_ref().map(|p| p.as_bytes());
        let mut keys = Vec::new();
        if let Some(pem) = &self.private_key {
            keys.push(load(
                "from FLOWS_PRIVATE_KEY".to_owned(),
                pem.as_bytes(),
                passphrase,
            )?);
        }
        for path in &self.private_key_files {
            let bytes =
                Zeroizing::new(
                    std::fs::read(path).map_err(|source| ConfigError::Unreadable {
                        path: path.clone(),
                        source,
                    })?,
                );
            keys.push(load(path.display().to_string(), &bytes, passphrase)?);
        }
        let mut keys = keys.into_iter();
        let current = keys.next().ok_or(ConfigError::NoKey)?;
        Ok(keys.fold(KeySet::new(current), KeySet::with_previous))
    }

    /// Whether any private key is configured.
    #[must_use]
    pub fn has_key(&self) -> bool {
        self.private_key.is_some() || !self.private_key_files.is_empty()
    }

    /// The app secrets, current first.
    #[must_use]
    pub fn app_secrets(&self) -> &[Zeroizing<String>] {
        &self.app_secret
    }

    /// The signature verifier, or `None` (with a loud warning) when no app secret is configured.
    #[must_use]
    pub fn signature_verifier(&self) -> Option<SignatureVerifier> {
        let mut secrets = self.app_secret.iter().filter(|s| !s.is_empty());
        let Some(first) = secrets.next() else {
            tracing::warn!(
                "FLOWS_APP_SECRET is not set: request signatures (X-Hub-Signature-256) are NOT checked; \
                 set it to your Meta app secret in production"
            );
            return None;
        };
        Some(
            secrets.fold(SignatureVerifier::new(first.as_bytes()), |v, s| {
                v.with_previous(s.as_bytes())
            }),
        )
    }

    /// An endpoint builder with these keys, app secrets and body limit, ready for more settings.
    ///
    /// # Errors
    /// As [`ServerConfig::load_keys`].
    pub fn endpoint_builder(&self, flow: Flow) -> Result<EndpointBuilder, ConfigError> {
        let keys = self.load_keys()?;
        for (i, key) in keys.iter().enumerate() {
            let role = if i == 0 { "current" } else { "previous" };
            tracing::info!(fingerprint = %key.fingerprint(), backend = %key.backend(), role, "private key loaded");
        }
        let mut builder = Endpoint::builder(keys, flow).max_body_size(self.max_body_size);
        if let Some(verifier) = self.signature_verifier() {
            builder = builder.app_secrets(verifier);
        }
        Ok(builder)
    }
}

fn load(origin: String, data: &[u8], passphrase: Option<&[u8]>) -> Result<PrivateKey, ConfigError> {
    PrivateKey::from_bytes(data, passphrase).map_err(|source| {
        let hint = match source {
            KeyError::PassphraseRequired => " (set FLOWS_PASSPHRASE)",
            KeyError::WrongPassphrase => " (check FLOWS_PASSPHRASE)",
            _ => "",
        };
        ConfigError::Key {
            origin,
            source,
            hint,
        }
    })
}

/// Installs a `tracing` subscriber writing to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Resolves on Ctrl-C or SIGTERM, for graceful shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
