//! The real example endpoint, `flows-hyper-server` (examples/hyper-server: Meta's appointment
//! sample flow on POST /flow), started for a test and killed when dropped.
//!
//! The server binary is looked for next to the test's executable (`target/<profile>/`), where
//! `cargo test --workspace` puts it before any test runs; if it is missing it is built with
//! `$CARGO build -p flows-hyper-server` (whose JSON messages say where the binary went). It runs
//! with the fixture key `openssl-genrsa-des3.pem` and the app secret [`APP_SECRET`].

use std::io::{BufRead as _, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{APP_SECRET, PASSPHRASE, key_file, temp_dir};

/// How long building the server may take (a cold build compiles hyper and aws-lc).
const BUILD_LIMIT: Duration = Duration::from_secs(20 * 60);
/// How long the server may take to start listening.
const START_LIMIT: Duration = Duration::from_secs(30);

pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/hyper_server-<hash> -> target/<profile>/
    let profile_dir = exe.parent().unwrap().parent().unwrap().to_path_buf();
    let binary = profile_dir.join(format!(
        "flows-hyper-server{}",
        std::env::consts::EXE_SUFFIX
    ));
    if binary.exists() {
        return binary;
    }
    build_server(
        profile_dir
            .file_name()
            .is_some_and(|name| name == "release"),
    )
}

/// `$CARGO build -p flows-hyper-server`, bounded in time; cargo's JSON messages say where the binary is.
fn build_server(release: bool) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut build = Command::new(cargo);
    build
        .args([
            "build",
            "-p",
            "flows-hyper-server",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(&workspace)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    if release {
        build.arg("--release");
    }
    let mut child = build.spawn().expect("run cargo build");
    let stdout = child.stdout.take().unwrap();
    let messages = std::thread::spawn(move || {
        // Read every line (stopping early would break cargo's pipe), keep the binary's path.
        let mut executable = None;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let Ok(message) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if message["target"]["name"] == "flows-hyper-server"
                && let Some(path) = message["executable"].as_str()
            {
                executable = Some(PathBuf::from(path));
            }
        }
        executable
    });
    let deadline = Instant::now() + BUILD_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("building flows-hyper-server took longer than {BUILD_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(status.success(), "cargo build -p flows-hyper-server failed");
    let binary = messages
        .join()
        .unwrap()
        .expect("cargo named no flows-hyper-server executable");
    assert!(binary.exists(), "{} was not built", binary.display());
    binary
}

/// The running server; killed on drop.
pub struct Server {
    child: Child,
    pub url: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Server {
    pub fn start() -> Self {
        let binary = server_binary();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = temp_dir("hyper-server").join("server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(binary)
            .env(
                "FLOWS_PRIVATE_KEY_FILE",
                key_file("openssl-genrsa-des3.pem"),
            )
            .env("FLOWS_PASSPHRASE", PASSPHRASE)
            .env("FLOWS_APP_SECRET", APP_SECRET)
            .env("FLOWS_LISTEN", address.to_string())
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start flows-hyper-server");
        let mut server = Self {
            child,
            url: format!("http://{address}/flow"),
            log,
        };
        let deadline = Instant::now() + START_LIMIT;
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                break;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!(
                    "flows-hyper-server exited ({status}): {}",
                    server.log_text()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "flows-hyper-server did not listen within {START_LIMIT:?}: {}",
                    server.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
