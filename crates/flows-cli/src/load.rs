//! `flows load`: many distinct requests, pre-encrypted, sent over C keep-alive connections.
//!
//! WhatsApp wraps a fresh AES key per request, so every request costs the endpoint one RSA-OAEP private-key
//! operation; replaying one body would not measure that (and a replay cache would reject it). So all N
//! requests are encrypted before the clock starts, on every core. Then C tasks, each with its own
//! HTTP/1.1 connection, take requests from a shared queue until it is empty or `--duration` runs out
//! (closed loop: a slow server slows the load down). With `--rate R` the loop is open instead: request
//! i starts at i/R seconds whatever the replies do, on one of at most C connections, and its latency is
//! counted from that intended start, so time spent waiting for a connection is not hidden.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use flows_router::DATA_API_VERSION;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue, USER_AGENT};
use hyper::{Request, Uri};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use serde_json::{Value, json};
use tower_service::Service as _;
use whatsapp_flows_crypto::{PendingResponse, PublicKey, Zeroizing};

use crate::cli::LoadArgs;
use crate::duration::human;
use crate::error::{Exit, Failure, chain};
use crate::http::{self, Connector};
use crate::keys;
use crate::send::{app_secret, signature_header};

/// The most requests one run prepares (each holds a body and a reply key in memory); the CLI enforces it.
const MAX_REQUESTS: usize = 1_000_000;

/// One request, ready to go.
struct Prepared {
    body: Bytes,
    signature: Option<(HeaderName, HeaderValue)>,
    reply: Option<PendingResponse>,
}

/// What happened to one request.
#[derive(Debug)]
enum Outcome {
    /// An HTTP answer; for 200s, whether the reply decrypted (`None` when not checked).
    Status(u16, Option<bool>),
    /// No answer within `--timeout`.
    Timeout,
    /// Connecting or the exchange failed.
    Failed(String),
}

struct Sample {
    latency: Duration,
    outcome: Outcome,
}

/// Runs the whole load test and prints the report.
pub(crate) fn run(args: &LoadArgs, passphrase_env: &str) -> Result<Exit, Failure> {
    if args.walk.is_some() {
        return crate::load_walk::run(args, passphrase_env);
    }
    let uri = http::parse_url(&args.url)?;
    let plaintext = payload(args.payload.as_deref())?;
    let secret = app_secret(args.app_secret_env.as_deref())?;
    let public = keys::load_public(&args.public_key, passphrase_env)?;
    let total = usize::try_from(args.requests).unwrap_or(MAX_REQUESTS);
    let show_progress = std::io::stderr().is_terminal();

    let encrypt_started = Instant::now();
    let threads = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(total);
    let bar = show_progress.then(|| progress(total, "encrypting"));
    let prepared = encrypt_all(
        &public,
        &plaintext,
        secret.as_ref().map(|s| s.as_slice()),
        total,
        threads,
        !args.no_verify_replies,
        bar.as_ref(),
    )?;
    let encrypt_time = encrypt_started.elapsed();
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }

    let bar = show_progress.then(|| progress(total, "sending"));
    let runtime = crate::runtime(true)?;
    let (samples, elapsed) = match args.rate {
        Some(rate) => runtime.block_on(drive_at_rate(args, rate, &uri, prepared, bar.clone()))?,
        None => runtime.block_on(drive(args, &uri, prepared, bar.clone()))?,
    };
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }

    let report = Report::new(&samples, elapsed, total);
    if args.json {
        let mut value = report.to_json();
        if let Value::Object(map) = &mut value {
            map.insert("url".into(), without_query(&uri).into());
            map.insert("concurrency".into(), args.concurrency.into());
            map.insert("rate".into(), args.rate.into());
            map.insert("encrypt_seconds".into(), encrypt_time.as_secs_f64().into());
            map.insert("replies_verified".into(), (!args.no_verify_replies).into());
        }
        println!("{value}");
    } else {
        println!(
            "encrypted {total} distinct requests in {} on {threads} thread{} (not timed)",
            human(encrypt_time),
            if threads == 1 { "" } else { "s" }
        );
        report.print(args.concurrency, args.rate, !args.no_verify_replies);
    }
    Ok(
        if report.sent > 0 && report.errors == 0 && report.undecryptable == 0 {
            Exit::Success
        } else {
            Exit::Remote
        },
    )
}

pub(crate) fn progress(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {rate} eta {eta}")
    {
        bar.set_style(
            style
                .with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        // Whole numbers: the default `per_sec` shows four decimals.
                        let _ = write!(w, "{:.0}/s", state.per_sec());
                    },
                )
                .progress_chars("=> "),
        );
    }
    bar.set_message(what.to_owned());
    bar
}

/// The plaintext every request carries (validated as JSON).
fn payload(text: Option<&str>) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let Some(text) = text else {
        let ping = json!({"version": DATA_API_VERSION, "action": "ping"}).to_string();
        return Ok(Zeroizing::new(ping.into_bytes()));
    };
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => Ok(Zeroizing::new(text.as_bytes().to_vec())),
        Ok(_) => Err(Failure::local(
            "--payload must be a JSON object, like {\"version\":\"3.0\",\"action\":\"ping\"}",
        )),
        Err(e) => Err(Failure::local(format!("--payload is not JSON: {e}"))),
    }
}

/// Encrypts `total` requests (each with a fresh AES key and IV) on `threads` threads.
fn encrypt_all(
    public: &PublicKey,
    plaintext: &[u8],
    secret: Option<&[u8]>,
    total: usize,
    threads: usize,
    keep_reply_keys: bool,
    bar: Option<&ProgressBar>,
) -> Result<Vec<Prepared>, Failure> {
    let threads = threads.max(1);
    let per_thread = total.div_ceil(threads);
    let chunks: Vec<Result<Vec<Prepared>, Failure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let count = per_thread.min(total.saturating_sub(t * per_thread));
                scope.spawn(move || {
                    let mut out = Vec::with_capacity(count);
                    for _ in 0..count {
                        let request = public.encrypt_request(plaintext).map_err(|e| {
                            Failure::local(format!("cannot encrypt a request: {e}"))
                        })?;
                        let (body, reply) = request.into_parts();
                        let signature = match secret {
                            Some(secret) => Some(signature_header(secret, body.as_bytes())?),
                            None => None,
                        };
                        out.push(Prepared {
                            body: Bytes::from(body),
                            signature,
                            reply: keep_reply_keys.then_some(reply),
                        });
                        if let Some(bar) = bar {
                            bar.inc(1);
                        }
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Failure::local("an encryption thread failed")))
            })
            .collect()
    });
    let mut all = Vec::with_capacity(total);
    for chunk in chunks {
        all.extend(chunk?);
    }
    Ok(all)
}

/// Sends everything with `--concurrency` tasks; returns the samples and the wall-clock time taken.
async fn drive(
    args: &LoadArgs,
    uri: &Uri,
    prepared: Vec<Prepared>,
    bar: Option<ProgressBar>,
) -> Result<(Vec<Sample>, Duration), Failure> {
    let connector = http::connector(args.timeout)?;
    let host = host_header(uri)?;
    let path = request_path(uri)?;
    let total = prepared.len();
    let workers = usize::from(args.concurrency).min(total).max(1);
    let queue = Arc::new(Mutex::new(prepared.into_iter()));
    let started = Instant::now();
    let deadline = args.duration.map(|d| started + d);

    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let worker = Worker {
            connector: connector.clone(),
            uri: uri.clone(),
            path: path.clone(),
            host: host.clone(),
            timeout: args.timeout,
            sender: None,
        };

        let queue = Arc::clone(&queue);
        let bar = bar.clone();
        let capacity = total / workers + 1;
        tasks.push(tokio::spawn(worker.run(queue, deadline, bar, capacity)));
    }
    let mut samples = Vec::with_capacity(total);
    for task in tasks {
        let mine = task
            .await
            .map_err(|e| Failure::local(format!("a load task failed: {e}")))?;
        samples.extend(mine);
    }
    Ok((samples, started.elapsed()))
}

/// Open loop: request i starts at `i / rate` s, on one of at most `--concurrency` connections.
async fn drive_at_rate(
    args: &LoadArgs,
    rate: u32,
    uri: &Uri,
    prepared: Vec<Prepared>,
    bar: Option<ProgressBar>,
) -> Result<(Vec<Sample>, Duration), Failure> {
    let connections = usize::from(args.concurrency).max(1);
    let (connector, path, host) = (
        http::connector(args.timeout)?,
        request_path(uri)?,
        host_header(uri)?,
    );
    let idle = Arc::new(Mutex::new(
        (0..connections)
            .map(|_| Worker {
                connector: connector.clone(),
                uri: uri.clone(),
                path: path.clone(),
                host: host.clone(),
                timeout: args.timeout,
                sender: None,
            })
            .collect::<Vec<_>>(),
    ));
    // One permit per connection: whoever holds one may take a worker from `idle`.
    let slots = Arc::new(tokio::sync::Semaphore::new(connections));
    let interval = Duration::from_secs(1) / rate;
    let started = tokio::time::Instant::now();
    let deadline = args.duration.map(|d| started + d);
    let mut tasks = Vec::with_capacity(prepared.len());
    for (i, request) in prepared.into_iter().enumerate() {
        let intended = started + interval * u32::try_from(i).unwrap_or(u32::MAX);
        if deadline.is_some_and(|d| intended >= d) {
            break;
        }
        tokio::time::sleep_until(intended).await;
        let (idle, slots, bar) = (Arc::clone(&idle), Arc::clone(&slots), bar.clone());
        tasks.push(tokio::spawn(async move {
            let outcome = match slots.acquire_owned().await {
                Ok(_permit) => {
                    let worker = idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
                    match worker {
                        Some(mut worker) => {
                            let outcome = worker.attempt(request).await;
                            idle.lock()
                                .unwrap_or_else(PoisonError::into_inner)
                                .push(worker);
                            outcome
                        }
                        None => Outcome::Failed("no free connection (a bug in flows load)".into()),
                    }
                }
                Err(_) => Outcome::Failed("the connection slots were closed".into()),
            };
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            Sample {
                latency: intended.elapsed(),
                outcome,
            }
        }));
    }
    let mut samples = Vec::with_capacity(tasks.len());
    for task in tasks {
        samples.push(
            task.await
                .map_err(|e| Failure::local(format!("a load task failed: {e}")))?,
        );
    }
    Ok((samples, started.elapsed()))
}

fn request_path(uri: &Uri) -> Result<Uri, Failure> {
    uri.path_and_query()
        .map_or("/", |pq| pq.as_str())
        .parse()
        .map_err(|e| Failure::local(format!("bad URL path: {e}")))
}

fn host_header(uri: &Uri) -> Result<HeaderValue, Failure> {
    let authority = uri
        .authority()
        .ok_or_else(|| Failure::local("the URL has no host"))?;
    HeaderValue::from_str(authority.as_str())
        .map_err(|e| Failure::local(format!("bad host in the URL: {e}")))
}

pub(crate) fn without_query(uri: &Uri) -> String {
    format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or("http"),
        uri.authority().map_or("", |a| a.as_str()),
        uri.path()
    )
}

/// One concurrent sender with its own connection (reconnecting only after a failure).
struct Worker {
    connector: Connector,
    uri: Uri,
    path: Uri,
    host: HeaderValue,
    timeout: Duration,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Worker {
    /// One request within `--timeout`; a connection that failed or timed out is not reused.
    async fn attempt(&mut self, prepared: Prepared) -> Outcome {
        match tokio::time::timeout(self.timeout, self.exchange(prepared)).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(detail)) => {
                self.sender = None;
                Outcome::Failed(detail)
            }
            Err(_) => {
                // The connection is mid-exchange: it cannot be reused.
                self.sender = None;
                Outcome::Timeout
            }
        }
    }

    async fn run(
        mut self,
        queue: Arc<Mutex<std::vec::IntoIter<Prepared>>>,
        deadline: Option<Instant>,
        bar: Option<ProgressBar>,
        capacity: usize,
    ) -> Vec<Sample> {
        let mut samples = Vec::with_capacity(capacity);
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some(prepared) = next else {
                break;
            };
            let started = Instant::now();
            let outcome = self.attempt(prepared).await;
            samples.push(Sample {
                latency: started.elapsed(),
                outcome,
            });
            if let Some(bar) = &bar {
                bar.inc(1);
            }
        }
        samples
    }

    async fn connect(&mut self) -> Result<SendRequest<Full<Bytes>>, String> {
        std::future::poll_fn(|cx| self.connector.poll_ready(cx))
            .await
            .map_err(|e| format!("connect: {}", chain(&*e)))?;
        let io = self
            .connector
            .call(self.uri.clone())
            .await
            .map_err(|e| format!("connect: {}", chain(&*e)))?;
        let (sender, connection) = http1::handshake(io)
            .await
            .map_err(|e| format!("HTTP handshake: {}", chain(&e)))?;
        tokio::spawn(async move {
            // Ends when the connection closes; errors surface on the next request.
            let _closed = connection.await;
        });
        Ok(sender)
    }

    async fn exchange(&mut self, prepared: Prepared) -> Result<Outcome, String> {
        let mut sender = match self.sender.take() {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.connect().await?,
        };
        sender
            .ready()
            .await
            .map_err(|e| format!("connection: {}", chain(&e)))?;
        let mut request = Request::post(self.path.clone())
            .header(HOST, self.host.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(USER_AGENT, HeaderValue::from_static(http::USER_AGENT));
        if let Some((name, value)) = prepared.signature {
            request = request.header(name, value);
        }
        let request = request
            .body(Full::new(prepared.body))
            .map_err(|e| format!("request: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("request: {}", chain(&e)))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("response body: {}", chain(&e)))?
            .to_bytes();
        self.sender = Some(sender);
        let verified = match (status, prepared.reply) {
            (200, Some(reply)) => Some(reply.decrypt(&body).is_ok()),
            _ => None,
        };
        Ok(Outcome::Status(status, verified))
    }
}

/// The numbers of a run.
struct Report {
    planned: usize,
    sent: usize,
    elapsed: Duration,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
    statuses: BTreeMap<String, usize>,
    ok: usize,
    shed: usize,
    /// p50, p90, p99 and max of the 200 replies alone, and of the 503s alone: an overloaded server
    /// is judged by how fast it serves what it admits and how fast it refuses the rest.
    ok_latency: [Duration; 4],
    shed_latency: [Duration; 4],
    errors: usize,
    undecryptable: usize,
    first_failure: Option<String>,
}

impl Report {
    fn new(samples: &[Sample], elapsed: Duration, planned: usize) -> Self {
        let latencies = Latencies::new(samples.iter().map(|s| s.latency));
        let mut statuses = BTreeMap::new();
        let mut errors = 0;
        let mut undecryptable = 0;
        let mut first_failure = None;
        for sample in samples {
            let key = match &sample.outcome {
                Outcome::Status(status, verified) => {
                    if *status != 200 {
                        errors += 1;
                    }
                    if *verified == Some(false) {
                        undecryptable += 1;
                    }
                    status.to_string()
                }
                Outcome::Timeout => {
                    errors += 1;
                    "timeout".to_owned()
                }
                Outcome::Failed(detail) => {
                    errors += 1;
                    first_failure.get_or_insert_with(|| detail.clone());
                    "network error".to_owned()
                }
            };
            *statuses.entry(key).or_insert(0) += 1;
        }
        let count = |status: &str| statuses.get(status).copied().unwrap_or(0);
        let of_status = |want: u16| {
            let l = Latencies::new(
                samples
                    .iter()
                    .filter(|s| matches!(s.outcome, Outcome::Status(status, _) if status == want))
                    .map(|s| s.latency),
            );
            [
                l.quantile(0.50),
                l.quantile(0.90),
                l.quantile(0.99),
                l.max(),
            ]
        };
        Self {
            ok_latency: of_status(200),
            shed_latency: of_status(503),
            planned,
            sent: samples.len(),
            elapsed,
            p50: latencies.quantile(0.50),
            p90: latencies.quantile(0.90),
            p99: latencies.quantile(0.99),
            max: latencies.max(),
            ok: count("200"),
            shed: count("503"),
            statuses,
            errors,
            undecryptable,
            first_failure,
        }
    }

    fn rate(&self) -> f64 {
        self.per_second(self.sent)
    }

    fn per_second(&self, n: usize) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            n as f64 / seconds
        } else {
            0.0
        }
    }

    fn print(&self, concurrency: u16, rate: Option<u32>, verified: bool) {
        let mode = match rate {
            Some(rate) => format!("open loop at {rate}/s, at most {concurrency} connections"),
            None => format!("concurrency {concurrency}"),
        };
        println!(
            "sent {} requests in {}: {:.0} requests/s ({mode})",
            self.sent,
            human(self.elapsed),
            self.rate()
        );
        println!(
            "200 replies: {} ({:.0}/s); shed with 503: {}",
            self.ok,
            self.per_second(self.ok),
            self.shed
        );
        if self.sent < self.planned {
            println!(
                "not sent: {} (--duration ran out)",
                self.planned - self.sent
            );
        }
        println!(
            "latency: p50 {}, p90 {}, p99 {}, max {}",
            human(self.p50),
            human(self.p90),
            human(self.p99),
            human(self.max)
        );
        for (label, n, [p50, p90, p99, max]) in [
            ("200", self.ok, self.ok_latency),
            ("503", self.shed, self.shed_latency),
        ] {
            if n > 0 && n < self.sent {
                println!(
                    "  {label} replies: p50 {}, p90 {}, p99 {}, max {}",
                    human(p50),
                    human(p90),
                    human(p99),
                    human(max)
                );
            }
        }
        let histogram: Vec<String> = self
            .statuses
            .iter()
            .map(|(status, count)| format!("{status}: {count}"))
            .collect();
        println!("status: {}", histogram.join(", "));
        let share = if self.sent > 0 {
            100.0 * self.errors as f64 / self.sent as f64
        } else {
            0.0
        };
        println!("errors: {} ({share:.1}%)", self.errors);
        if verified {
            println!("200 replies that did not decrypt: {}", self.undecryptable);
        }
        if let Some(failure) = &self.first_failure {
            println!("first network error: {failure}");
        }
    }

    fn to_json(&self) -> Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let quantiles = |[p50, p90, p99, max]: [Duration; 4]| json!({"p50": ms(p50), "p90": ms(p90), "p99": ms(p99), "max": ms(max)});
        json!({
            "requests": self.sent,
            "planned": self.planned,
            "seconds": self.elapsed.as_secs_f64(),
            "requests_per_second": self.rate(),
            "ok": self.ok,
            "ok_per_second": self.per_second(self.ok),
            "shed_503": self.shed,
            "latency_ms": {
                "p50": ms(self.p50),
                "p90": ms(self.p90),
                "p99": ms(self.p99),
                "max": ms(self.max),
            },
            "latency_ms_by_status": {
                "200": quantiles(self.ok_latency),
                "503": quantiles(self.shed_latency),
            },
            "status": self.statuses,
            "errors": self.errors,
            "undecryptable_replies": self.undecryptable,
            "first_network_error": self.first_failure,
        })
    }
}

/// Latencies in an HdrHistogram: microsecond resolution, three significant digits (0.1%), from 1 µs
/// to an hour; longer values are clamped to the top.
/// Every latency figure `flows load` prints (plain and walk mode) comes from here.
pub(crate) struct Latencies(Option<hdrhistogram::Histogram<u64>>);

impl Latencies {
    const MAX_MICROS: u64 = 3_600_000_000;

    pub(crate) fn new(latencies: impl Iterator<Item = Duration>) -> Self {
        let mut this =
            Self(hdrhistogram::Histogram::<u64>::new_with_bounds(1, Self::MAX_MICROS, 3).ok());
        for latency in latencies {
            this.record(latency);
        }
        this
    }

    /// Adds one latency.
    pub(crate) fn record(&mut self, latency: Duration) {
        if let Some(h) = &mut self.0 {
            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            h.saturating_record(micros.clamp(1, Self::MAX_MICROS));
        }
    }

    /// Adds every latency of `other` (same bounds, so nothing is lost).
    pub(crate) fn merge(&mut self, other: &Self) {
        if let (Some(mine), Some(theirs)) = (&mut self.0, &other.0) {
            // Same bounds on both sides: `add` cannot fail; a failure would only drop samples.
            let _ = mine.add(theirs);
        }
    }

    /// How many latencies were recorded.
    pub(crate) fn count(&self) -> u64 {
        self.0.as_ref().map_or(0, hdrhistogram::Histogram::len)
    }

    /// p50, p90, p99 and max, in milliseconds, as the JSON reports give them.
    pub(crate) fn to_json(&self) -> Value {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        json!({
            "p50": ms(self.quantile(0.50)),
            "p90": ms(self.quantile(0.90)),
            "p99": ms(self.quantile(0.99)),
            "max": ms(self.max()),
        })
    }

    /// `p50 1.2 ms, p90 …, p99 …, max …`, as the human reports give them.
    pub(crate) fn summary(&self) -> String {
        format!(
            "p50 {}, p90 {}, p99 {}, max {}",
            human(self.quantile(0.50)),
            human(self.quantile(0.90)),
            human(self.quantile(0.99)),
            human(self.max())
        )
    }

    /// The value at quantile `q` (0..=1); zero without samples.
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        match &self.0 {
            Some(h) if !h.is_empty() => Duration::from_micros(h.value_at_quantile(q)),
            _ => Duration::ZERO,
        }
    }

    pub(crate) fn max(&self) -> Duration {
        match &self.0 {
            Some(h) if !h.is_empty() => Duration::from_micros(h.max()),
            _ => Duration::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Within HdrHistogram's 0.1% of the exact nearest-rank value.
    fn close(got: Duration, want_ms: u64) -> bool {
        let (got, want) = (got.as_secs_f64() * 1e3, want_ms as f64);
        (got - want).abs() <= want * 0.001
    }

    #[test]
    fn percentiles_from_the_histogram() {
        let values = Latencies::new((1..=100).map(Duration::from_millis));
        for (q, want) in [(0.5, 50), (0.9, 90), (0.99, 99), (1.0, 100)] {
            assert!(
                close(values.quantile(q), want),
                "{q}: {:?}",
                values.quantile(q)
            );
        }
        assert!(close(values.max(), 100));
        let none = Latencies::new(std::iter::empty());
        assert_eq!(
            (none.quantile(0.5), none.max()),
            (Duration::ZERO, Duration::ZERO)
        );
        let one = Latencies::new(std::iter::once(Duration::from_millis(7)));
        assert!(close(one.quantile(0.99), 7));
    }

    #[test]
    fn the_report_counts_200s_and_503s() {
        let sample = |status| Sample {
            latency: Duration::from_millis(1),
            outcome: Outcome::Status(status, None),
        };
        let samples = [sample(200), sample(503), sample(503), sample(421)];
        let report = Report::new(&samples, Duration::from_secs(2), 4);
        assert_eq!((report.ok, report.shed, report.errors), (1, 2, 3));
        let json = report.to_json();
        assert_eq!(json["shed_503"], 2);
        assert!(close(report.ok_latency[1], 1));
        assert!(close(report.shed_latency[1], 1));
        assert!(json["latency_ms_by_status"]["503"]["p90"].is_number());
        assert_eq!(json["ok_per_second"], 0.5);
    }

    #[test]
    fn payload_must_be_a_json_object() {
        assert!(payload(None).is_ok());
        assert!(payload(Some(r#"{"version":"3.0","action":"ping"}"#)).is_ok());
        assert!(payload(Some("[]")).is_err());
        assert!(payload(Some("{")).is_err());
    }
}
