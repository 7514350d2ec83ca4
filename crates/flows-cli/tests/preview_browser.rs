//! The browser test of `flows preview`: headless Chromium (Debian's `chromium`), driven by
//! Playwright (tests/browser/book-a-seat.mjs) through accessible roles and names only, books a seat
//! in the built `flows-appointments` (embedded SQLite, throwaway data directory, its development
//! key) through the preview page. Checked: the completion params the page shows, the inspector's
//! entries (every exchange HTTP 200), and the booking row in the SQLite `bookings` table (read with
//! Python's sqlite3). A PNG of each screen goes to target/preview-screens/.
//!
//! Needs node (v20+), npm (the first run installs playwright-core from tests/browser's lock file)
//! and chromium (`CHROMIUM`, else /usr/bin/chromium or `chromium` on PATH). Without them the test
//! fails saying what to install; FLOWS_SKIP_BROWSER=1 skips it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

mod common;

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{flows, temp_dir};
use serde_json::Value;

/// How long building flows-appointments may take, when it is not built yet.
const BUILD_LIMIT: Duration = Duration::from_secs(20 * 60);
/// How long a server may take to start, `npm ci` to install, and the browser walk to finish.
const START_LIMIT: Duration = Duration::from_secs(60);
const NPM_LIMIT: Duration = Duration::from_secs(5 * 60);
const WALK_LIMIT: Duration = Duration::from_secs(3 * 60);

/// A child process killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.kill().ok();
        self.0.wait().ok();
    }
}

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// target/<profile>/ of this test's executable.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Chromium, or why the test cannot run.
fn chromium() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        let path = PathBuf::from(path);
        return if path.exists() {
            Ok(path)
        } else {
            Err(format!("chromium at CHROMIUM={}", path.display()))
        };
    }
    let debian = PathBuf::from("/usr/bin/chromium");
    if debian.exists() {
        return Ok(debian);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("chromium"))
        .find(|p| p.exists())
        .ok_or_else(|| "chromium (Debian: apt-get install chromium; or set CHROMIUM)".to_owned())
}

/// Waits for a child within `limit`, killing it if it takes longer.
fn wait_limited(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("{what} took longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// playwright-core from the lock file, once.
fn npm_install() {
    let dir = browser_dir();
    if dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        return;
    }
    let mut child = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .spawn()
        .expect("run npm ci");
    let status = wait_limited(&mut child, NPM_LIMIT, "npm ci");
    assert!(status.success(), "npm ci in {} failed", dir.display());
}

/// The built flows-appointments next to this test, else `$CARGO build -p flows-appointments`.
fn appointments_binary() -> PathBuf {
    let binary = profile_dir().join(format!(
        "flows-appointments{}",
        std::env::consts::EXE_SUFFIX
    ));
    if binary.exists() {
        return binary;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args([
            "build",
            "-p",
            "flows-appointments",
            "--bin",
            "flows-appointments",
        ])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .stdin(Stdio::null());
    if profile_dir().file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    let mut child = build.spawn().expect("run cargo build");
    let status = wait_limited(&mut child, BUILD_LIMIT, "building flows-appointments");
    assert!(status.success(), "cargo build -p flows-appointments failed");
    assert!(binary.exists(), "{} was not built", binary.display());
    binary
}

/// Spawns `command` and waits for a line of `stream` (stdout or stderr) containing `marker`;
/// returns what follows the marker on that line. The stream is drained afterwards.
fn start_until(mut command: Command, stderr: bool, marker: &'static str) -> (Running, String) {
    if stderr {
        command.stderr(Stdio::piped()).stdout(Stdio::null());
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::inherit());
    }
    let mut child = command.stdin(Stdio::null()).spawn().unwrap();
    let stream: Box<dyn std::io::Read + Send> = if stderr {
        Box::new(child.stderr.take().unwrap())
    } else {
        Box::new(child.stdout.take().unwrap())
    };
    let running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        let mut found = false;
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if !found {
                seen.push_str(&line);
                seen.push('\n');
                if let Some(rest) = line.split(marker).nth(1) {
                    found = true;
                    tx.send(Ok(rest.trim().to_owned())).ok();
                }
            }
        }
        if !found {
            tx.send(Err(seen)).ok();
        }
    });
    match rx.recv_timeout(START_LIMIT) {
        Ok(Ok(rest)) => (running, rest),
        Ok(Err(seen)) => panic!("exited before printing {marker:?}:\n{seen}"),
        Err(_) => panic!("nothing printed {marker:?} within {START_LIMIT:?}"),
    }
}

#[test]
fn a_seat_is_booked_in_headless_chromium_through_flows_preview() {
    if std::env::var_os("FLOWS_SKIP_BROWSER").is_some_and(|v| v == "1") {
        eprintln!("FLOWS_SKIP_BROWSER=1: the browser test of flows preview is skipped");
        return;
    }
    let mut missing = Vec::new();
    if !works("node", "--version") {
        missing.push("node v20 or later (Debian: apt-get install nodejs)".to_owned());
    }
    if !works("npm", "--version") {
        missing.push("npm (Debian: apt-get install npm)".to_owned());
    }
    let chromium = chromium().map_err(|e| missing.push(e)).ok();
    assert!(
        missing.is_empty(),
        "the browser test of flows preview needs {}; install them (.ci/run does), or set \
         FLOWS_SKIP_BROWSER=1 to skip it",
        missing.join(", ")
    );
    npm_install();

    // flows-appointments with zero set-up: SQLite and its development key in a throwaway
    // directory. The preview makes its own flow tokens, as a business would issue them.
    let dir = temp_dir("preview-browser");
    let data = dir.join("data");
    let mut server = Command::new(appointments_binary());
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("FLOWS_") || name == "DATABASE_URL" || name == "RUST_LOG" {
            server.env_remove(name);
        }
    }
    server
        .env("FLOWS_DATA_DIR", &data)
        .env("FLOWS_LISTEN", "127.0.0.1:0")
        .env("FLOWS_ACCEPT_ANY_TOKEN", "1")
        .env("FLOWS_CHECK_CONTRACT", "1")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1");
    let (_server, base) = start_until(server, true, "listening on ");
    // flows-server logs the base URL; the endpoint is its POST /flow.
    let endpoint = format!("{}/flow", base.trim_end_matches('/'));

    // Run from the workspace root with the path a user would type (it shows in the page header).
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let mut preview = flows();
    preview
        .current_dir(&root)
        .arg("preview")
        .arg("examples/appointments/flow.json")
        .args(["--endpoint", &endpoint, "--public-key"])
        .arg(data.join("dev-public.pem"))
        .args(["--listen", "127.0.0.1:0"]);
    let (_preview, printed) = start_until(preview, false, "flows preview: ");
    let url = printed.split_whitespace().next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{printed}");

    let shots = profile_dir().parent().unwrap().join("preview-screens");
    let mut walk = Command::new("node");
    walk.arg(browser_dir().join("book-a-seat.mjs"))
        .arg(&url)
        .arg(&shots)
        .current_dir(browser_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(chromium) = &chromium {
        walk.env("CHROMIUM", chromium);
    }
    let mut child = walk.spawn().expect("run node");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).ok();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).ok();
        s
    });
    let status = wait_limited(&mut child, WALK_LIMIT, "the browser walk");
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    assert!(
        status.success(),
        "book-a-seat.mjs failed ({status})\n--- stdout\n{out}\n--- stderr\n{err}"
    );
    let report: Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("book-a-seat.mjs printed no JSON ({e}):\n{out}\n{err}"));

    // The completion the page showed: the endpoint's booking id, with the preview's flow token.
    let params = &report["params"];
    let booking_id = params["booking_id"]
        .as_str()
        .expect("booking_id")
        .to_owned();
    let token = params["flow_token"]
        .as_str()
        .expect("flow_token")
        .to_owned();
    assert!(token.starts_with("flows-preview-"), "{params}");

    // The inspector: INIT, the three dropdowns' exchanges, and one per Footer (seat, details,
    // booking), newest first, every one answered 200.
    let summaries: Vec<&str> = report["summaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(report["exchanges"], 8, "{summaries:?}");
    assert!(
        summaries.last().unwrap().starts_with("INIT"),
        "{summaries:?}"
    );
    assert!(
        summaries
            .first()
            .unwrap()
            .starts_with("data_exchange SUMMARY"),
        "{summaries:?}"
    );
    for s in &summaries {
        assert!(s.contains("→ 200 "), "not a 200: {s} in {summaries:?}");
    }

    // The booking is in the database, as typed in the browser (the demo clinic's own bookings,
    // which have no flow token, are there too).
    let db = data.join("appointments.sqlite3");
    let query = "import sqlite3, sys, json\n\
        c = sqlite3.connect(sys.argv[1])\n\
        rows = c.execute('SELECT booking_id, flow_token, seat_id, name, email, phone FROM bookings WHERE flow_token = ?', (sys.argv[2],)).fetchall()\n\
        print(json.dumps(rows))";
    let output = Command::new("python3")
        .args(["-c", query])
        .arg(&db)
        .arg(&token)
        .output()
        .expect("python3 reads the SQLite database");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row[0], booking_id.as_str());
    assert_eq!(row[1], token.as_str());
    assert!(
        row[2].as_str().is_some_and(|seat| !seat.is_empty()),
        "{row}"
    );
    assert_eq!(row[3], "Ana Lima");
    assert_eq!(row[4], "ana@example.com");
    assert_eq!(row[5], "+351912345678");

    for name in [
        "1-appointment",
        "2-seats",
        "3-details",
        "4-summary",
        "5-completed",
    ] {
        let png = std::fs::read(shots.join(format!("{name}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{name}.png is not a PNG"
        );
    }
}
