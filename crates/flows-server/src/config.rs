//! [`ServerConfig`]: the `FLOWS_*` variables and flags every server of this project shares.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::builder::BoolishValueParser;
use flows_router::contract::FlowContract;
use flows_router::{DEFAULT_MAX_BODY, Endpoint, EndpointBuilder, Flow};
use whatsapp_flows_crypto::{KeyError, KeySet, PrivateKey, SignatureVerifier, Zeroizing};

/// The variable holding the private key's PEM text (environment only: it is a secret).
pub const PRIVATE_KEY_ENV: &str = "FLOWS_PRIVATE_KEY";
/// The variable holding the key passphrase (environment only).
pub const PASSPHRASE_ENV: &str = "FLOWS_PASSPHRASE";
/// The variable holding the app secret(s), comma-separated (environment only).
pub const APP_SECRET_ENV: &str = "FLOWS_APP_SECRET";
/// The variable holding the webhook's verify token (environment only).
pub const WEBHOOK_VERIFY_TOKEN_ENV: &str = flows_router::webhook::VERIFY_TOKEN_ENV;

/// Server configuration, to `#[command(flatten)]` into a binary's clap arguments.
///
/// Secrets are never flags (flags show in `ps`): the key, passphrase and app secrets come from files
/// named by flags or variables, or from environment variables; see the table in the
/// [crate docs](crate#configuration).
///
/// ```
/// use clap::Parser;
/// use flows_server::ServerConfig;
///
/// #[derive(Parser)]
/// struct Args {
///     #[command(flatten)]
///     server: ServerConfig,
/// }
///
/// let args = Args::try_parse_from(["server", "--listen", "127.0.0.1:8080", "--body-timeout", "2s"])?;
/// assert_eq!(args.server.listen.port(), 8080);
/// assert_eq!(args.server.body_timeout, std::time::Duration::from_secs(2));
/// // Secret-valued flags do not exist.
/// assert!(Args::try_parse_from(["server", "--app-secret", "s3cret"]).is_err());
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(clap::Args, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Private key file(s), comma-separated; the first is the current key, the others are still
    /// accepted (rotation). FLOWS_PRIVATE_KEY (environment only) may hold the PEM text instead.
    #[arg(
        long = "private-key-file",
        env = "FLOWS_PRIVATE_KEY_FILE",
        value_delimiter = ','
    )]
    pub private_key_files: Vec<PathBuf>,
    /// File holding the passphrase of an encrypted private key (or set FLOWS_PASSPHRASE).
    #[arg(long = "passphrase-file", env = "FLOWS_PASSPHRASE_FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// File holding the Meta app secret(s), one per line or comma-separated, current first (or set
    /// FLOWS_APP_SECRET); unset: request signatures are not checked.
    #[arg(long = "app-secret-file", env = "FLOWS_APP_SECRET_FILE")]
    pub app_secret_file: Option<PathBuf>,
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
    /// TLS certificate chain (PEM); with --tls-key, serve HTTPS (HTTP/1.1 and HTTP/2 by ALPN).
    /// Re-read on SIGHUP.
    #[arg(long = "tls-cert", env = "FLOWS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) of --tls-cert. Re-read on SIGHUP.
    #[arg(long = "tls-key", env = "FLOWS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Open connections at most; a connection beyond it is closed at once. Default: 256 per CPU.
    #[arg(long = "max-connections", env = "FLOWS_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Threads of the async runtime (HTTP, TLS, the application's own work); the RSA step has its
    /// own threads, one per CPU. Default: one per CPU.
    #[arg(long = "io-threads", env = "FLOWS_IO_THREADS")]
    pub io_threads: Option<usize>,
    /// Time a client has to send a request's headers (and to finish the TLS handshake).
    #[arg(long = "header-timeout", env = "FLOWS_HEADER_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub header_timeout: Duration,
    /// Time a client has to send a request's body, from the end of its headers.
    #[arg(long = "body-timeout", env = "FLOWS_BODY_TIMEOUT", default_value = "5s", value_parser = humantime::parse_duration)]
    pub body_timeout: Duration,
    /// A connection without a request in flight for this long is closed.
    #[arg(long = "idle-timeout", env = "FLOWS_IDLE_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    pub idle_timeout: Duration,
    /// How long a request may wait for an RSA thread before it is answered 503 with Retry-After
    /// (default: flows-router's DEFAULT_QUEUE_TIMEOUT, 250ms).
    #[arg(long = "queue-timeout", env = "FLOWS_QUEUE_TIMEOUT", value_parser = humantime::parse_duration)]
    pub queue_timeout: Option<Duration>,
    /// Verify the `flow_token_signature` of data_exchange requests (needs FLOWS_APP_SECRET).
    #[arg(long = "verify-token-signature", env = "FLOWS_VERIFY_TOKEN_SIGNATURE", value_parser = BoolishValueParser::new())]
    pub verify_token_signature: bool,
    /// Check every reply against the Flow JSON and answer 500 when one breaks it (development aid).
    #[arg(long = "check-contract", env = "FLOWS_CHECK_CONTRACT", value_parser = BoolishValueParser::new())]
    pub check_contract: bool,
    #[arg(skip = env_secret(PRIVATE_KEY_ENV))]
    private_key: Option<Zeroizing<String>>,
    #[arg(skip = env_secret(PASSPHRASE_ENV))]
    passphrase: Option<Zeroizing<String>>,
    #[arg(skip = env_secret(APP_SECRET_ENV))]
    app_secret: Option<Zeroizing<String>>,
    #[arg(skip = env_secret(WEBHOOK_VERIFY_TOKEN_ENV))]
    webhook_verify_token: Option<Zeroizing<String>>,
}

/// A secret from the environment, read when the arguments are parsed (never a flag).
fn env_secret(name: &str) -> Option<Zeroizing<String>> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .map(Zeroizing::new)
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |set: bool| if set { "<redacted>" } else { "<unset>" };
        f.debug_struct("ServerConfig")
            .field("private_key_files", &self.private_key_files)
            .field("private_key", &redacted(self.private_key.is_some()))
            .field("passphrase", &redacted(self.passphrase.is_some()))
            .field("app_secret", &redacted(self.app_secret.is_some()))
            .field(
                "webhook_verify_token",
                &redacted(self.webhook_verify_token.is_some()),
            )
            .field("passphrase_file", &self.passphrase_file)
            .field("app_secret_file", &self.app_secret_file)
            .field("listen", &self.listen)
            .field("max_body_size", &self.max_body_size)
            .field("tls_cert", &self.tls_cert)
            .field("tls_key", &self.tls_key)
            .field("max_connections", &self.max_connections())
            .field("io_threads", &self.io_threads())
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("queue_timeout", &self.queue_timeout)
            .field("verify_token_signature", &self.verify_token_signature)
            .field("check_contract", &self.check_contract)
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
    /// A file could not be read.
    #[error("cannot read {what} file {path}: {source}")]
    Unreadable {
        /// What the file holds.
        what: &'static str,
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
    /// Token signatures are to be verified but there is no app secret to verify them with.
    #[error(
        "FLOWS_VERIFY_TOKEN_SIGNATURE is set but no app secret is configured: set FLOWS_APP_SECRET \
         (or FLOWS_APP_SECRET_FILE)"
    )]
    VerifyWithoutAppSecret,
    /// The Flow JSON given for FLOWS_CHECK_CONTRACT does not parse.
    #[error("FLOWS_CHECK_CONTRACT: the Flow JSON cannot be read: {0}")]
    Contract(String),
    /// The TLS certificate or key is unusable.
    #[error("TLS: {0}")]
    Tls(#[from] crate::tls::TlsError),
}

impl ServerConfig {
    /// Loads the keys: `FLOWS_PRIVATE_KEY` (if set) then the key files; the first is current.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and the problem.
    pub fn load_keys(&self) -> Result<KeySet, ConfigError> {
        let passphrase = self.passphrase()?;
        let passphrase = passphrase.as_ref().map(|p| p.as_bytes());
        let mut keys = Vec::new();
        if let Some(pem) = &self.private_key {
            keys.push(load(
                format!("from {PRIVATE_KEY_ENV}"),
                pem.as_bytes(),
                passphrase,
            )?);
        }
        for path in &self.private_key_files {
            let bytes = Zeroizing::new(read("private key", path)?);
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

    fn passphrase(&self) -> Result<Option<Zeroizing<String>>, ConfigError> {
        if let Some(path) = &self.passphrase_file {
            let text = Zeroizing::new(read("passphrase", path)?);
            let text = String::from_utf8_lossy(&text);
            // Editors and `echo` end files with a newline that is not part of the passphrase.
            return Ok(Some(Zeroizing::new(
                text.trim_end_matches(['\r', '\n']).to_owned(),
            )));
        }
        Ok(self.passphrase.clone())
    }

    /// The app secrets, current first: the file's (one per line or comma-separated) if
    /// `--app-secret-file` is set, else `FLOWS_APP_SECRET`'s (comma-separated).
    ///
    /// # Errors
    /// [`ConfigError::Unreadable`] if the file cannot be read.
    pub fn app_secrets(&self) -> Result<Vec<Zeroizing<String>>, ConfigError> {
        let text = match &self.app_secret_file {
            Some(path) => {
                Zeroizing::new(String::from_utf8_lossy(&read("app secret", path)?).into_owned())
            }
            None => match &self.app_secret {
                Some(text) => text.clone(),
                None => return Ok(Vec::new()),
            },
        };
        Ok(text
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Zeroizing::new(s.to_owned()))
            .collect())
    }

    /// The signature verifier, or `None` (with a loud warning) when no app secret is configured.
    ///
    /// # Errors
    /// As [`ServerConfig::app_secrets`].
    pub fn signature_verifier(&self) -> Result<Option<SignatureVerifier>, ConfigError> {
        let secrets = self.app_secrets()?;
        let mut secrets = secrets.iter();
        let Some(first) = secrets.next() else {
            tracing::warn!(
                "FLOWS_APP_SECRET is not set: request signatures (X-Hub-Signature-256) are NOT checked; \
                 set it to your Meta app secret in production"
            );
            return Ok(None);
        };
        Ok(Some(
            secrets.fold(SignatureVerifier::new(first.as_bytes()), |v, s| {
                v.with_previous(s.as_bytes())
            }),
        ))
    }

    /// The webhook's verify token (`FLOWS_WEBHOOK_VERIFY_TOKEN`, environment only), for servers that
    /// mount [`flows_router::webhook::Webhook`] at `/webhook`.
    #[must_use]
    pub fn webhook_verify_token(&self) -> Option<&str> {
        self.webhook_verify_token.as_deref().map(String::as_str)
    }

    /// Open connections at most: `FLOWS_MAX_CONNECTIONS`, or 256 per CPU. Each WhatsApp request
    /// costs about one RSA operation (~1 ms of a core); 256 open connections per core is far more
    /// than a core can answer within Meta's 10 s timeout when they all send at once, and far fewer
    /// than the file descriptors a service is usually given.
    #[must_use]
    pub fn max_connections(&self) -> usize {
        self.max_connections.filter(|&n| n > 0).unwrap_or_else(|| {
            256 * std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        })
    }

    /// The async runtime's worker threads: `FLOWS_IO_THREADS`, or one per CPU.
    ///
    /// The RSA step runs on its own threads, one per CPU, and takes about nine tenths of a
    /// request's CPU time, so fewer runtime threads mean fewer context switches. Measured on 2 CPUs
    /// (`examples/hyper-server/load`): one runtime thread instead of two cut them from 3.9 to 2.4
    /// per request under `wrk -t1 -c16`, for 4% more requests per second and 4% less CPU per
    /// request; but under a flood of 4000 connections that one thread, given a third of the cores
    /// beside the two RSA threads, read requests slower, so more of them sat half-read at once:
    /// peak RSS 59-109 MB against 52-56 MB, and a slower p99. The default keeps the flood's
    /// figures; a server that is never flooded (a proxy in front limits its connections) can take
    /// fewer.
    #[must_use]
    pub fn io_threads(&self) -> usize {
        self.io_threads.filter(|&n| n > 0).unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        })
    }

    /// The multi-threaded tokio runtime a server runs on, with [`ServerConfig::io_threads`] workers,
    /// I/O and timers enabled.
    ///
    /// ```
    /// use clap::Parser;
    /// #[derive(Parser)]
    /// struct Args {
    ///     #[command(flatten)]
    ///     server: flows_server::ServerConfig,
    /// }
    /// let config = Args::try_parse_from(["server", "--io-threads", "2"])?.server;
    /// let answer = config.runtime()?.block_on(async { 6 * 7 });
    /// assert_eq!(answer, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The runtime could not be started (the operating system refused a thread or an epoll
    /// instance).
    pub fn runtime(&self) -> std::io::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.io_threads())
            .enable_all()
            .build()
    }

    /// Checks what can be checked before anything is loaded: token-signature verification needs an
    /// app secret.
    ///
    /// # Errors
    /// [`ConfigError::VerifyWithoutAppSecret`], or an unreadable app secret file.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.verify_token_signature && self.app_secrets()?.is_empty() {
            return Err(ConfigError::VerifyWithoutAppSecret);
        }
        Ok(())
    }

    /// An endpoint builder with the configured keys (see [`ServerConfig::endpoint_builder_with`]).
    ///
    /// # Errors
    /// As [`ServerConfig::load_keys`] and [`ServerConfig::endpoint_builder_with`].
    pub fn endpoint_builder(&self, flow: Flow) -> Result<EndpointBuilder, ConfigError> {
        self.validate()?;
        let keys = self.load_keys()?;
        for (i, key) in keys.iter().enumerate() {
            let role = if i == 0 { "current" } else { "previous" };
            tracing::info!(fingerprint = %key.fingerprint(), backend = %key.backend(), role, "private key loaded");
        }
        self.endpoint_builder_with(keys, flow)
    }

    /// An endpoint builder with `keys` and the configured app secrets, body limit, token-signature
    /// check and queue timeout, ready for more settings.
    ///
    /// # Errors
    /// [`ConfigError::VerifyWithoutAppSecret`], or an unreadable app secret file.
    pub fn endpoint_builder_with(
        &self,
        keys: KeySet,
        flow: Flow,
    ) -> Result<EndpointBuilder, ConfigError> {
        self.validate()?;
        let mut builder = Endpoint::builder(keys, flow).max_body_size(self.max_body_size);
        match self.signature_verifier()? {
            Some(verifier) => {
                if self.verify_token_signature {
                    builder = builder.verify_flow_token_signature(verifier.clone());
                }
                builder = builder.app_secrets(verifier);
            }
            // validate() above refused verification without secrets; this keeps it so if it moves.
            None if self.verify_token_signature => {
                return Err(ConfigError::VerifyWithoutAppSecret);
            }
            None => {}
        }
        if let Some(timeout) = self.queue_timeout {
            builder = builder.queue_timeout(timeout);
        }
        Ok(builder)
    }

    /// Adds the contract check against `flow_json` when `FLOWS_CHECK_CONTRACT` is on.
    ///
    /// # Errors
    /// [`ConfigError::Contract`] if the check is on and `flow_json` does not parse.
    pub fn with_contract(
        &self,
        builder: EndpointBuilder,
        flow_json: &str,
    ) -> Result<EndpointBuilder, ConfigError> {
        if !self.check_contract {
            return Ok(builder);
        }
        let contract =
            FlowContract::from_json(flow_json).map_err(|e| ConfigError::Contract(e.to_string()))?;
        tracing::info!("replies are checked against the Flow JSON (FLOWS_CHECK_CONTRACT)");
        Ok(builder.contract(contract))
    }

    /// The endpoint: keys, app secrets, limits and (when on) the contract check against `flow_json`.
    ///
    /// # Errors
    /// As [`ServerConfig::endpoint_builder`] and [`ServerConfig::with_contract`].
    pub fn endpoint(&self, flow: Flow, flow_json: &str) -> Result<Endpoint, ConfigError> {
        let builder = self.endpoint_builder(flow)?;
        Ok(self.with_contract(builder, flow_json)?.build())
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|source| ConfigError::Unreadable {
        what,
        path: path.to_owned(),
        source,
    })
}

fn load(origin: String, data: &[u8], passphrase: Option<&[u8]>) -> Result<PrivateKey, ConfigError> {
    PrivateKey::from_bytes(data, passphrase).map_err(|source| {
        let hint = match source {
            KeyError::PassphraseRequired => " (set FLOWS_PASSPHRASE or FLOWS_PASSPHRASE_FILE)",
            KeyError::WrongPassphrase => " (check FLOWS_PASSPHRASE or FLOWS_PASSPHRASE_FILE)",
            _ => "",
        };
        ConfigError::Key {
            origin,
            source,
            hint,
        }
    })
}
