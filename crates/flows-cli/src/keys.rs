//! Reading keys and passphrases.
//!
//! Passphrases come from an environment variable or a TTY prompt, never from the command line, and are
//! never printed.

use std::io::IsTerminal as _;
use std::path::Path;

use whatsapp_flows_crypto::{KeyError, PrivateKey, PublicKey, Zeroizing};

use crate::error::Failure;

/// Where a passphrase came from, for messages (never the passphrase itself).
enum Source {
    Env(String),
    Prompt,
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Self::Env(name) => format!("the passphrase in ${name}"),
            Self::Prompt => "the passphrase typed at the prompt".to_owned(),
        }
    }
}

/// Reads a key file (wiped from memory afterwards).
fn read(path: &Path) -> Result<Zeroizing<Vec<u8>>, Failure> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| Failure::local(format!("cannot read the key file {}: {e}", path.display())))
}

/// The passphrase from the environment variable `env`, if it is set.
pub(crate) fn from_env(env: &str) -> Option<Zeroizing<Vec<u8>>> {
    std::env::var_os(env).map(|value| Zeroizing::new(value.into_encoded_bytes()))
}

/// Whether a person is there to answer a prompt.
pub(crate) fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks on the terminal without echo.
pub(crate) fn prompt(question: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    rpassword::prompt_password(question)
        .map(|text| Zeroizing::new(text.into_bytes()))
        .map_err(|e| Failure::local(format!("cannot read the passphrase from the terminal: {e}")))
}

/// The passphrase for an encrypted key: environment variable, else a prompt on a TTY, else exit 2.
fn passphrase_for(path: &Path, env: &str) -> Result<(Zeroizing<Vec<u8>>, Source), Failure> {
    if let Some(value) = from_env(env) {
        return Ok((value, Source::Env(env.to_owned())));
    }
    if interactive() {
        let value = prompt(&format!("passphrase for {}: ", path.display()))?;
        return Ok((value, Source::Prompt));
    }
    Err(Failure::local(format!(
        "the private key {} is encrypted: put its passphrase in the environment variable {env} \
         (or name another variable with --passphrase-env NAME), or run on a terminal to be asked for it",
        path.display()
    )))
}

fn key_failure(path: &Path, err: &KeyError, source: Option<&Source>) -> Failure {
    let mut message = format!("cannot load the key {}: {err}", path.display());
    if let (KeyError::WrongPassphrase, Some(source)) = (err, source) {
        message.push_str(&format!(" [tried {}]", source.describe()));
    }
    Failure::local(message)
}

/// Loads a private key in any form the crypto crate reads, asking for the passphrase only if needed.
pub(crate) fn load_private(path: &Path, passphrase_env: &str) -> Result<PrivateKey, Failure> {
    let data = read(path)?;
    private_from_bytes(path, &data, passphrase_env)
}

fn private_from_bytes(
    path: &Path,
    data: &[u8],
    passphrase_env: &str,
) -> Result<PrivateKey, Failure> {
    match PrivateKey::from_bytes(data, None) {
        Ok(key) => Ok(key),
        Err(KeyError::PassphraseRequired) => {
            let (passphrase, source) = passphrase_for(path, passphrase_env)?;
            PrivateKey::from_bytes(data, Some(&passphrase))
                .map_err(|e| key_failure(path, &e, Some(&source)))
        }
        Err(e) => Err(key_failure(path, &e, None)),
    }
}

/// Loads a public key: an SPKI or PKCS#1 public key (PEM or DER), or a private key's public half.
pub(crate) fn load_public(path: &Path, passphrase_env: &str) -> Result<PublicKey, Failure> {
    let data = read(path)?;
    match PublicKey::from_bytes(&data) {
        Ok(public) => Ok(public),
        // The private key holds the public one; loading it asks for its passphrase if it has one.
        Err(KeyError::NotPublic) => Ok(private_from_bytes(path, &data, passphrase_env)?
            .public_key()
            .clone()),
        Err(e) => Err(key_failure(path, &e, None)),
    }
}
