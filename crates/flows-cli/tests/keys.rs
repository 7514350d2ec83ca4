//! `flows keygen` and `flows public-key`, checked against OpenSSL and the crypto crate's fixtures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::process::Command;

use common::{PASSPHRASE, flows, key_file, run, temp_dir};

/// `openssl pkey -pubout` of a private key (passphrase from the environment, never the command line).
fn openssl_pubout(private: &std::path::Path) -> String {
    let output = Command::new("openssl")
        .args(["pkey", "-in"])
        .arg(private)
        .args(["-passin", "env:FLOWS_PASSPHRASE", "-pubout"])
        .env("FLOWS_PASSPHRASE", PASSPHRASE)
        .output()
        .expect("the openssl CLI runs");
    assert!(
        output.status.success(),
        "openssl could not read {}: {}",
        private.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn keygen_writes_an_encrypted_key_openssl_reads_and_public_key_matches_it() {
    let dir = temp_dir("keygen");
    let out = dir.join("keys");
    let run_keygen = || {
        run(flows()
            .args(["keygen", "--out"])
            .arg(&out)
            .env("FLOWS_PASSPHRASE", PASSPHRASE))
    };
    let made = run_keygen().expect_code(0);
    assert!(
        made.stdout.contains("fingerprint SHA256:"),
        "{}",
        made.stdout
    );

    let private = out.join("private.pem");
    let public = out.join("public.pem");
    let pem = std::fs::read_to_string(&private).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{pem}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&private).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "private.pem mode {mode:o}");
    }

    // OpenSSL reads the encrypted PKCS#8 key with the passphrase, and derives the same public key.
    let openssl = openssl_pubout(&private);
    assert_eq!(std::fs::read_to_string(&public).unwrap(), openssl);

    // `flows public-key` on the new key prints exactly what OpenSSL prints.
    let printed = run(flows()
        .arg("public-key")
        .arg(&private)
        .env("FLOWS_PASSPHRASE", PASSPHRASE))
    .expect_code(0);
    assert_eq!(printed.stdout, openssl);

    // Refuses to overwrite: exit 2, both files unchanged.
    let again = run_keygen().expect_code(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&private).unwrap(), pem);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn keygen_without_a_passphrase_source_says_how_to_give_one() {
    let dir = temp_dir("keygen-nopass");
    let failed = run(flows().args(["keygen", "--out"]).arg(dir.join("k"))).expect_code(2);
    assert!(
        failed.stderr.contains("FLOWS_PASSPHRASE"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("--no-passphrase"),
        "{}",
        failed.stderr
    );
    assert!(!dir.join("k/private.pem").exists());

    // --passphrase-env names another variable.
    run(flows()
        .args(["keygen", "--passphrase-env", "MY_KEY_PASS", "--out"])
        .arg(dir.join("k2"))
        .env("MY_KEY_PASS", PASSPHRASE))
    .expect_code(0);
    assert_eq!(
        openssl_pubout(&dir.join("k2/private.pem")),
        std::fs::read_to_string(dir.join("k2/public.pem")).unwrap()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn keygen_no_passphrase_writes_plain_pkcs8_with_a_warning() {
    let dir = temp_dir("keygen-plain");
    let made = run(flows()
        .args(["keygen", "--no-passphrase", "--out"])
        .arg(&dir))
    .expect_code(0);
    assert!(made.stderr.contains("warning"), "{}", made.stderr);
    let pem = std::fs::read_to_string(dir.join("private.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    let printed = run(flows().arg("public-key").arg(dir.join("private.pem"))).expect_code(0);
    assert_eq!(
        printed.stdout,
        std::fs::read_to_string(dir.join("public.pem")).unwrap()
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn public_key_reads_every_fixture_form() {
    let forms = [
        "openssl-genpkey-pkcs8.pem",
        "openssl-genpkey-pkcs8.der",
        "openssl-genrsa-des3.pem",
        "openssl-genrsa-aes256.pem",
        "openssl-pkcs8-scrypt.pem",
        "openssl-pkcs8-encrypted.der",
        "openssl-genrsa-traditional.pem",
        "openssl-genrsa-traditional.der",
        "openssl-genrsa-traditional-des3.pem",
        "openssl-genrsa-traditional-aes128.pem",
        "openssl-genrsa-traditional-aes256.pem",
        "node-generatekeypair-pkcs1-des3.pem",
        "rotation-old.pem",
        "rotation-new.pem",
    ];
    for name in forms {
        let stem = name.trim_end_matches(".pem").trim_end_matches(".der");
        let expected = std::fs::read_to_string(key_file(&format!("{stem}.pub.pem"))).unwrap();
        let printed = run(flows()
            .arg("public-key")
            .arg(key_file(name))
            .env("FLOWS_PASSPHRASE", PASSPHRASE))
        .expect_code(0);
        assert_eq!(printed.stdout, expected, "{name}");
    }
}

#[test]
fn public_key_of_a_public_key_is_itself() {
    let pem = key_file("openssl-genpkey-pkcs8.pub.pem");
    let spki = std::fs::read_to_string(&pem).unwrap();
    for name in [
        "openssl-genpkey-pkcs8.pub.pem",
        "openssl-genpkey-pkcs8.pub.der",
        "openssl-genpkey-pkcs8.pkcs1.pub.pem",
        "openssl-genpkey-pkcs8.pkcs1.pub.der",
    ] {
        let printed = run(flows().arg("public-key").arg(key_file(name))).expect_code(0);
        assert_eq!(printed.stdout, spki, "{name}");
    }
}

#[test]
fn a_certificate_is_refused_with_the_command_that_extracts_its_key() {
    let failed = run(flows()
        .arg("public-key")
        .arg(key_file("openssl-genpkey-pkcs8.crt.pem")))
    .expect_code(2);
    assert!(
        failed.stderr.contains("openssl x509 -pubkey -noout"),
        "{}",
        failed.stderr
    );
}

#[test]
fn encrypted_key_without_passphrase_exits_2_and_says_how() {
    let failed = run(flows()
        .arg("public-key")
        .arg(key_file("node-generatekeypair-pkcs1-des3.pem")))
    .expect_code(2);
    assert!(failed.stderr.contains("encrypted"), "{}", failed.stderr);
    assert!(
        failed.stderr.contains("FLOWS_PASSPHRASE"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("--passphrase-env"),
        "{}",
        failed.stderr
    );
}

#[test]
fn wrong_passphrase_and_passphrase_env() {
    let key = key_file("openssl-genrsa-des3.pem");
    let wrong = run(flows()
        .arg("public-key")
        .arg(&key)
        .env("FLOWS_PASSPHRASE", "not-the-passphrase"))
    .expect_code(2);
    assert!(
        wrong.stderr.contains("wrong passphrase"),
        "{}",
        wrong.stderr
    );
    assert!(
        wrong.stderr.contains("$FLOWS_PASSPHRASE"),
        "{}",
        wrong.stderr
    );
    assert!(!wrong.all().contains("not-the-passphrase"));

    let other_var = run(flows()
        .args(["public-key", "--passphrase-env", "KEY_PASS"])
        .arg(&key)
        .env("KEY_PASS", PASSPHRASE))
    .expect_code(0);
    assert_eq!(
        other_var.stdout,
        std::fs::read_to_string(key_file("openssl-genrsa-des3.pub.pem")).unwrap()
    );
}

#[test]
fn unusable_keys_exit_2_with_the_reason() {
    for (name, says) in [
        ("openssl-ec-p256.pem", "not RSA"),
        ("openssl-genrsa-1024.pem", "1024 bits"),
        ("garbage.pem", "not a key in a known format"),
        ("no-such-file.pem", "cannot read"),
    ] {
        let failed = run(flows().arg("public-key").arg(key_file(name))).expect_code(2);
        assert!(failed.stderr.contains(says), "{name}: {}", failed.stderr);
    }
}

#[test]
fn every_subcommand_has_help_with_an_example() {
    for sub in [
        "keygen",
        "public-key",
        "register",
        "key-status",
        "send",
        "inspect-request",
        "decrypt-media",
        "load",
    ] {
        let help = run(flows().args([sub, "--help"])).expect_code(0);
        assert!(help.stdout.contains("Example"), "{sub}: {}", help.stdout);
        assert!(help.stdout.contains(&format!("flows {sub}")), "{sub}");
    }
    // Usage errors exit 2.
    run(flows().args(["send", "http://127.0.0.1:9/flow"])).expect_code(2);
    run(flows().arg("no-such-command")).expect_code(2);
}
