//! `ServerConfig` as a binary parses it: secrets from files, the removed secret flags, and the
//! start-up checks, with the crypto crate's openssl-made key fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;
use flows_server::{ConfigError, ServerConfig};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    server: ServerConfig,
}

const KEYS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../whatsapp-flows-crypto/tests/fixtures/keys"
);

fn parse(args: &[&str]) -> Result<ServerConfig, clap::Error> {
    let mut argv = vec!["server"];
    argv.extend_from_slice(args);
    Args::try_parse_from(argv).map(|a| a.server)
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("flows-server-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn secret_valued_flags_do_not_exist() {
    for flag in [
        "--app-secret",
        "--passphrase",
        "--private-key",
        "--webhook-verify-token",
    ] {
        let error = parse(&[flag, "value"])
            .err()
            .unwrap_or_else(|| panic!("{flag} accepted"));
        assert_eq!(
            error.kind(),
            clap::error::ErrorKind::UnknownArgument,
            "{flag}"
        );
    }
}

#[test]
fn passphrase_file_opens_an_openssl_encrypted_key() {
    // As `echo` writes it: the final newline is not part of the passphrase.
    let passphrase = temp_file("passphrase", "flows-test-passphrase\n");
    let key = format!("{KEYS}/openssl-genrsa-des3.pem");
    let config = parse(&[
        "--private-key-file",
        &key,
        "--passphrase-file",
        passphrase.to_str().unwrap(),
    ])
    .unwrap();
    let keys = config.load_keys().unwrap();
    assert_eq!(keys.iter().count(), 1);

    let wrong = temp_file("wrong", "not-it\n");
    let config = parse(&[
        "--private-key-file",
        &key,
        "--passphrase-file",
        wrong.to_str().unwrap(),
    ])
    .unwrap();
    let error = config.load_keys().unwrap_err().to_string();
    assert!(error.contains("FLOWS_PASSPHRASE"), "{error}");
    assert!(!error.contains("not-it"), "{error}");
}

#[test]
fn app_secret_file_holds_the_rotation_current_first() {
    let file = temp_file("secrets", "new-secret\nold-secret\n");
    let config = parse(&["--app-secret-file", file.to_str().unwrap()]).unwrap();
    let secrets = config.app_secrets().unwrap();
    let secrets: Vec<&str> = secrets.iter().map(|s| s.as_str()).collect();
    assert_eq!(secrets, ["new-secret", "old-secret"]);
    assert!(config.signature_verifier().unwrap().is_some());
}

#[test]
fn token_signature_verification_without_app_secret_cannot_start() {
    let key = format!("{KEYS}/openssl-genpkey-pkcs8.pem");
    let config = parse(&["--private-key-file", &key, "--verify-token-signature"]).unwrap();
    let error = config.validate().unwrap_err();
    assert!(matches!(error, ConfigError::VerifyWithoutAppSecret));
    assert_eq!(error.to_string().lines().count(), 1);
    let flow = flows_router::Router::<()>::new().with_state(());
    assert!(matches!(
        config.endpoint_builder(flow),
        Err(ConfigError::VerifyWithoutAppSecret)
    ));
}

#[test]
fn durations_and_limits_parse_in_one_grammar() {
    let config = parse(&[
        "--header-timeout",
        "1500ms",
        "--idle-timeout",
        "2m",
        "--queue-timeout",
        "100ms",
        "--max-connections",
        "7",
    ])
    .unwrap();
    assert_eq!(config.header_timeout.as_millis(), 1500);
    assert_eq!(config.idle_timeout.as_secs(), 120);
    assert_eq!(config.queue_timeout.unwrap().as_millis(), 100);
    assert_eq!(config.max_connections(), 7);
    assert!(parse(&["--body-timeout", "soon"]).is_err());
    // The default scales with the machine.
    assert!(parse(&[]).unwrap().max_connections() >= 256);
}

#[test]
fn the_runtime_has_the_configured_io_threads() {
    let config = parse(&["--io-threads", "3"]).unwrap();
    assert_eq!(config.io_threads(), 3);
    let runtime = config.runtime().unwrap();
    assert_eq!(runtime.metrics().num_workers(), 3);
    // One per CPU by default; 0 means the default too.
    let cpus = std::thread::available_parallelism().unwrap().get();
    assert_eq!(parse(&[]).unwrap().io_threads(), cpus);
    assert_eq!(parse(&["--io-threads", "0"]).unwrap().io_threads(), cpus);
    assert!(parse(&["--io-threads", "many"]).is_err());
}

#[test]
fn a_missing_tls_file_is_a_named_error() {
    let config = parse(&[
        "--tls-cert",
        "/nonexistent/cert.pem",
        "--tls-key",
        "/nonexistent/key.pem",
    ])
    .unwrap();
    let error = flows_server::Server::new(&config).unwrap_err().to_string();
    assert!(error.contains("/nonexistent/cert.pem"), "{error}");
    // One without the other is refused by the parser.
    assert!(parse(&["--tls-cert", "/x.pem"]).is_err());
}
