//! Shared test helpers: run the built `flows` binary with a time limit, check that no secret is ever
//! printed, temporary directories, fixture paths, and a tiny recording HTTP server on loopback.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod hyper_server;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
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

/// One request as a tiny HTTP server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the tiny server answers.
#[derive(Clone)]
pub enum Answer {
    /// Status, content type and body; the connection is closed after it.
    Reply(u16, &'static str, Vec<u8>),
    /// Read the request, then say nothing for this long (for timeouts).
    Silence(Duration),
}

/// A one-connection-at-a-time HTTP/1.1 server on 127.0.0.1 that records each request and answers
/// them in order with `answers`; it stops after the last answer (or after 20 s without a connection).
pub struct TinyServer {
    pub url: String,
    requests: mpsc::Receiver<Recorded>,
}

impl TinyServer {
    pub fn start(answers: Vec<Answer>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (sender, requests) = mpsc::channel();
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            for answer in answers {
                let deadline = Instant::now() + Duration::from_secs(20);
                let stream = loop {
                    match listener.accept() {
                        Ok((stream, _)) => break stream,
                        Err(_) if Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => return,
                    }
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let Some(recorded) = read_request(&stream) else {
                    continue;
                };
                sender.send(recorded).ok();
                answer_with(stream, &answer);
            }
        });
        Self { url, requests }
    }

    /// The next request the server received (waits up to 10 s).
    pub fn next_request(&self) -> Recorded {
        self.requests
            .recv_timeout(Duration::from_secs(10))
            .expect("the server received no request")
    }
}

fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

fn answer_with(mut stream: TcpStream, answer: &Answer) {
    match answer {
        Answer::Reply(status, content_type, body) => {
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).ok();
            stream.write_all(body).ok();
            stream.flush().ok();
        }
        Answer::Silence(how_long) => std::thread::sleep(*how_long),
    }
}

/// Decodes `application/x-www-form-urlencoded` into name/value pairs.
pub fn form_decode(body: &[u8]) -> Vec<(String, String)> {
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    }
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}
