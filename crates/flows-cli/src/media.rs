//! `flows decrypt-media`: verify and decrypt a PhotoPicker / DocumentPicker file.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;

use hyper::Method;
use hyper::body::Bytes;
use serde_json::Value;
use whatsapp_flows_crypto::{EncryptionMetadata, decrypt_media};

use crate::cli::MediaArgs;
use crate::error::{Exit, Failure};
use crate::http;

/// Reads the metadata and the encrypted file (local or downloaded), checks and decrypts, writes the result.
pub(crate) fn run(args: &MediaArgs) -> Result<Exit, Failure> {
    let metadata = read_metadata(&args.metadata)?;
    let encrypted = match (&args.input, &args.url) {
        (Some(path), _) => std::fs::read(path)
            .map_err(|e| Failure::local(format!("cannot read {}: {e}", path.display())))?,
        (None, Some(url)) => crate::runtime(false)?
            .block_on(download(url, args))?
            .to_vec(),
        (None, None) => {
            return Err(Failure::local(
                "give the encrypted file with --in FILE or --url URL",
            ));
        }
    };
    let plaintext = decrypt_media(&encrypted, &metadata).map_err(|e| {
        Failure::local(format!(
            "the file does not verify against the metadata: {e}"
        ))
    })?;
    write_plain(&args.out, &plaintext)?;
    if args.out != Path::new("-") {
        eprintln!(
            "wrote {} bytes to {} (encrypted_hash, HMAC, AES-256-CBC and plaintext_hash all check out)",
            plaintext.len(),
            args.out.display()
        );
    }
    Ok(Exit::Success)
}

/// The `encryption_metadata` object, bare or inside the media object (`{"media_id", "cdn_url", ...}`).
fn read_metadata(path: &Path) -> Result<EncryptionMetadata, Failure> {
    let text = std::fs::read(path)
        .map_err(|e| Failure::local(format!("cannot read {}: {e}", path.display())))?;
    let value: Value = serde_json::from_slice(&text)
        .map_err(|e| Failure::local(format!("{} is not JSON: {e}", path.display())))?;
    let object = match value.get("encryption_metadata") {
        Some(inner) => inner.clone(),
        None => value,
    };
    serde_json::from_value(object).map_err(|e| {
        Failure::local(format!(
            "{} is not an encryption_metadata object (encryption_key, hmac_key, iv, plaintext_hash, \
             encrypted_hash): {e}",
            path.display()
        ))
    })
}

async fn download(url: &str, args: &MediaArgs) -> Result<Bytes, Failure> {
    let uri = http::parse_url(url)?;
    let client = http::client(http::connector(args.timeout)?, 1);
    let reply = http::send(&client, Method::GET, &uri, &[], Bytes::new(), args.timeout)
        .await
        .map_err(|e| e.into_failure(&uri, args.timeout))?;
    if !reply.status.is_success() {
        return Err(Failure::remote(format!(
            "the download answered HTTP {} (CDN links expire; fetch a fresh request's cdn_url): {}",
            reply.status.as_u16(),
            http::snippet(&reply.body, 200)
        )));
    }
    Ok(reply.body)
}

/// Writes the plaintext (mode 0600: it is a user's file) or to stdout for `-`.
fn write_plain(path: &Path, data: &[u8]) -> Result<(), Failure> {
    let failed =
        |e: std::io::Error| Failure::local(format!("cannot write {}: {e}", path.display()));
    if path == Path::new("-") {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(data)
            .and_then(|()| stdout.flush())
            .map_err(failed);
    }
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(failed)?;
    file.write_all(data).map_err(failed)
}
