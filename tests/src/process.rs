//! Example servers as child processes: start on a free port, wait for `/health`, capture output,
//! SIGTERM, wait for the exit. Every wait has a deadline.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::HttpTarget;
use crate::tls::{HttpsTarget, Version};

/// How long a server may take to answer `/health` after it is started.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A running example server, killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

impl ServerProcess {
    /// Starts `binary` with `env` (plus `FLOWS_LISTEN` on a free port, retried if the port is taken
    /// meanwhile) and waits until `GET /health` answers 200 (over TLS, trusting the certificate,
    /// when `env` has `FLOWS_TLS_CERT`).
    ///
    /// # Panics
    /// If the server exits or does not answer within 30 s; the message has its output.
    pub async fn start(binary: &str, env: &[(&str, String)]) -> Self {
        let mut last_output = String::new();
        let cert = env
            .iter()
            .find(|(name, _)| *name == "FLOWS_TLS_CERT")
            .map(|(_, path)| std::fs::read_to_string(path).unwrap());
        for _ in 0..5 {
            let addr = free_port();
            let mut env = env.to_vec();
            env.push(("FLOWS_LISTEN", addr.to_string()));
            let mut server = Self::spawn(binary, &env, addr);
            let deadline = Instant::now() + START_TIMEOUT;
            while Instant::now() < deadline {
                if server.child.try_wait().ok().flatten().is_some() {
                    break;
                }
                let probe = tokio::time::timeout(Duration::from_secs(2), async {
                    match tokio::net::TcpStream::connect(addr).await {
                        Ok(_) => match &cert {
                            None => HttpTarget::new(addr)
                                .request(http::Method::GET, "/health", &[], Vec::new())
                                .await
                                .ok()
                                .map(|reply| reply.status),
                            Some(pem) => HttpsTarget::new(addr, pem, Version::Http1)
                                .request(http::Method::GET, "/health", &[], Vec::new())
                                .await
                                .ok()
                                .map(|reply| reply.status),
                        },
                        Err(_) => None,
                    }
                })
                .await;
                if let Ok(Some(200)) = probe {
                    return server;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let _ = server.child.kill();
            let _ = server.child.wait();
            last_output = server.output();
            if !last_output.contains("in use") {
                break;
            }
        }
        panic!("{binary} did not start:\n{last_output}");
    }

    fn spawn(binary: &str, env: &[(&str, String)], addr: SocketAddr) -> Self {
        let (child, stdout, stderr, readers) = spawn_captured(binary, env);
        Self {
            child,
            addr,
            stdout,
            stderr,
            readers,
        }
    }

    /// Where it listens.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// An HTTP client for it.
    #[must_use]
    pub fn target(&self) -> HttpTarget {
        HttpTarget::new(self.addr)
    }

    /// Sends SIGTERM (with the `kill` command).
    ///
    /// # Panics
    /// If `kill` cannot be run or fails.
    pub fn sigterm(&self) {
        self.signal("TERM");
    }

    /// Sends the signal `name` (`HUP`, `TERM`, ...) with the `kill` command.
    ///
    /// # Panics
    /// If `kill` cannot be run or fails.
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit.
    ///
    /// # Panics
    /// If it is still running after `timeout`.
    pub async fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                for reader in self.readers.drain(..) {
                    let _ = reader.join();
                }
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server still running {timeout:?} after being asked to stop:\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Everything it printed so far, stdout then stderr.
    #[must_use]
    pub fn output(&self) -> String {
        let stdout = self.stdout.lock().map(|b| b.clone()).unwrap_or_default();
        let stderr = self.stderr.lock().map(|b| b.clone()).unwrap_or_default();
        format!(
            "{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        )
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs `binary` with `env` until it exits (expected: a start-up failure); kills it after `timeout`.
/// Returns the exit status (`None` if it had to be killed), stdout and stderr.
///
/// # Panics
/// If the binary cannot be run.
pub fn run_to_exit(
    binary: &str,
    env: &[(&str, String)],
    timeout: Duration,
) -> (Option<ExitStatus>, String, String) {
    let (mut child, stdout, stderr, readers) = spawn_captured(binary, env);
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    for reader in readers {
        let _ = reader.join();
    }
    let text =
        |buf: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&buf.lock().unwrap()).into_owned();
    (status, text(&stdout), text(&stderr))
}

/// Captured output of a child process, filled by a reader thread.
type Sink = Arc<Mutex<Vec<u8>>>;

/// Starts `binary` with a hermetic environment, its stdout and stderr collected by reader threads.
fn spawn_captured(
    binary: &str,
    env: &[(&str, String)],
) -> (Child, Sink, Sink, Vec<JoinHandle<()>>) {
    let mut command = Command::new(binary);
    hermetic(&mut command, env);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {binary}: {e}"));
    let stdout = Sink::default();
    let stderr = Sink::default();
    let readers = vec![
        collect(child.stdout.take().unwrap(), Arc::clone(&stdout)),
        collect(child.stderr.take().unwrap(), Arc::clone(&stderr)),
    ];
    (child, stdout, stderr, readers)
}

/// Only the given `FLOWS_*` variables, whatever the test runner's environment holds.
fn hermetic(command: &mut Command, env: &[(&str, String)]) {
    for (name, _) in std::env::vars() {
        if name.starts_with("FLOWS_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "debug");
    for (name, value) in env {
        command.env(name, value);
    }
}

/// A port that was free a moment ago (bind to port 0, read it, release it).
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

fn collect(
    mut pipe: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Ok(mut out) = into.lock() {
                        out.extend_from_slice(&buf[..n]);
                    }
                }
            }
        }
    })
}
