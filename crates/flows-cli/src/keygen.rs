//! `flows keygen`: a fresh RSA-2048 key pair on disk.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;

use whatsapp_flows_crypto::{PrivateKey, Zeroizing};

use crate::cli::KeygenArgs;
use crate::error::{Exit, Failure};
use crate::keys;

/// Writes `DIR/private.pem` (encrypted PKCS#8, mode 0600, never overwritten) and `DIR/public.pem`.
pub(crate) fn run(args: &KeygenArgs, passphrase_env: &str) -> Result<Exit, Failure> {
    let private_path = args.out.join("private.pem");
    let public_path = args.out.join("public.pem");
    for path in [&private_path, &public_path] {
        if path.exists() {
            return Err(Failure::local(format!(
                "{} already exists: keygen never overwrites a key (choose another --out directory)",
                path.display()
            )));
        }
    }
    // Ask before the slow part, so a missing passphrase fails fast.
    let passphrase = if args.no_passphrase {
        None
    } else {
        Some(new_passphrase(passphrase_env)?)
    };
    std::fs::create_dir_all(&args.out)
        .map_err(|e| Failure::local(format!("cannot create {}: {e}", args.out.display())))?;

    let key = PrivateKey::generate()
        .map_err(|e| Failure::local(format!("cannot generate a key: {e}")))?;
    let pem = match &passphrase {
        Some(passphrase) => key.to_encrypted_pkcs8_pem(passphrase),
        None => key.to_pkcs8_pem(),
    }
    .map_err(|e| Failure::local(format!("cannot encode the private key: {e}")))?;

    write_new(&private_path, pem.as_bytes(), true)?;
    write_new(&public_path, key.public_key().to_pem().as_bytes(), false)?;

    let form = if passphrase.is_some() {
        "encrypted PKCS#8"
    } else {
        "UNENCRYPTED PKCS#8"
    };
    println!(
        "wrote {} (RSA-2048, {form}, mode 0600)",
        private_path.display()
    );
    println!(
        "wrote {} (SPKI, register this one with Meta)",
        public_path.display()
    );
    println!("fingerprint {}", key.fingerprint());
    println!(
        "next: flows register --phone-number-id <PHONE_NUMBER_ID> {}",
        public_path.display()
    );
    if passphrase.is_none() {
        eprintln!(
            "warning: {} is not encrypted: anyone who can read it can decrypt your users' flow data; \
             keep it out of version control and backups",
            private_path.display()
        );
    }
    Ok(Exit::Success)
}

/// The passphrase for a new key: the environment variable, else asked twice on a terminal.
fn new_passphrase(env: &str) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let passphrase = if let Some(value) = keys::from_env(env) {
        value
    } else if keys::interactive() {
        let first = keys::prompt("passphrase for the new private key: ")?;
        let again = keys::prompt("the same passphrase again: ")?;
        if first != again {
            return Err(Failure::local(
                "the two passphrases differ: nothing was written",
            ));
        }
        first
    } else {
        return Err(Failure::local(format!(
            "keygen encrypts private.pem with a passphrase: put it in the environment variable {env} \
             (or name another variable with --passphrase-env NAME), run on a terminal to be asked for it, \
             or pass --no-passphrase to write the key unencrypted"
        )));
    };
    if passphrase.is_empty() {
        return Err(Failure::local(
            "the passphrase is empty: choose a real one, or pass --no-passphrase",
        ));
    }
    Ok(passphrase)
}

/// Creates `path` (refusing to replace anything) and writes `data`; private files get mode 0600 from
/// the start, so the key is never readable by others, not even for a moment.
fn write_new(path: &Path, data: &[u8], private: bool) -> Result<(), Failure> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let failed = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::local(format!(
                "{} already exists: keygen never overwrites a key",
                path.display()
            ))
        } else {
            Failure::local(format!("cannot write {}: {e}", path.display()))
        }
    };
    let mut file = options.open(path).map_err(failed)?;
    file.write_all(data).map_err(failed)?;
    file.sync_all().map_err(failed)
}
