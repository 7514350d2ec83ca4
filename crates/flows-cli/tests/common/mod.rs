//! Shared test helpers: run the built `flows` binary with a time limit, check that no secret is ever
//! printed, temporary directories and fixture paths. The mock HTTP server is `graph_mock`.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod hyper_server;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The passphrase of every encrypted fixture key (and what the tests use for new keys).
pub const PASSPHRASE: &str = "flows-test-passphrase";
/// A Graph API access token that must never show up in output.
pub const TOKEN: &str = "EAAG-test-token-never-printed-7c1d";
/// An app secret that must never show up in output.
pub const APP_SECRET: &str = "app-secret-never-printed-51c2e9";

/// Every secret a test hands to the binary.
const SECRETS: [&str; 3] = [PASSPHRASE, TOKEN, APP_SECRET];

/// How long any one run of the binary may take.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// A `flows` command with a clean environment (no inherited passphrase or token).
pub fn flows() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flows"));
    for var in [
        "FLOWS_PASSPHRASE",
        "WHATSAPP_ACCESS_TOKEN",
        "FLOWS_APP_SECRET",
    ] {
        command.env_remove(var);
    }
    command.stdin(Stdio::null());
    command
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: Vec<u8>,
}

impl Run {
    /// Panics with both outputs unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// stdout and stderr together, for message checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs the command to completion within [`RUN_LIMIT`], and asserts that no secret was printed.
#[track_caller]
pub fn run(command: &mut Command) -> Run {
    let output = run_limited(command, RUN_LIMIT);
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        stdout_bytes: output.stdout,
    };
    assert_no_secret(&run.stdout_bytes);
    assert_no_secret(run.stderr.as_bytes());
    run
}

#[track_caller]
fn assert_no_secret(output: &[u8]) {
    for secret in SECRETS {
        assert!(
            !output.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "a secret was printed: {}",
            String::from_utf8_lossy(output)
        );
    }
}

fn run_limited(command: &mut Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start flows");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).ok();
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).ok();
        buf
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for flows") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("flows ran longer than {limit:?}: {command:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// A fresh empty directory under the system temp dir (left behind on failure for inspection).
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "flows-cli-test-{}-{}-{name}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The crypto crate's fixture directory (`keys` or `vectors`).
pub fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../whatsapp-flows-crypto/tests/fixtures")
        .join(kind)
}

/// A fixture key file.
pub fn key_file(name: &str) -> PathBuf {
    fixtures("keys").join(name)
}
