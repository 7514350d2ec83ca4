//! `flows load --walk`: simulated WhatsApp users walking a flow against its endpoint, many at once.
//!
//! Each walk is a `flows walk` run (the same [`Script`], the same [`Simulator`]): the phone opens
//! the flow with its own flow token, follows the script, and fails exactly where `flows walk` would.
//! Unlike plain `flows load`, requests cannot be encrypted before the clock starts: what a step
//! sends depends on the replies before it, as on a phone. So the load generator does the client's
//! work (one RSA public-key operation per request, a fraction of the endpoint's private-key one).
//!
//! Closed loop (default): `--users` tasks each walk, then take the next walk, until `--walks` are
//! done or `--duration` runs out. Open loop (`--rate R`): walk i starts at i/R seconds whatever the
//! replies do, at most `--users` in flight, and its latency counts from that intended start.
//!
//! All users share one pooled HTTP client (one connection per user at most, kept alive across
//! walks), so the endpoint sees a handful of keep-alive connections, not one per walk.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use flows_simulator::script::{self, Script, Step};
use flows_simulator::{Http, PreparedFlow, Simulator};
use indicatif::ProgressBar;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::cli::LoadArgs;
use crate::duration::human;
use crate::error::{Exit, Failure};
use crate::http;
use crate::load::{Latencies, progress, without_query};
use crate::walk::{Opening, http_transport, read_flow, read_input};

/// How many distinct failure reasons the human report lists (the JSON has them all).
const REASONS_SHOWN: usize = 5;

/// Everything a walk needs, read and checked before the clock starts.
struct Plan {
    /// Checked once and shared by every walk, not copied for each.
    flow: PreparedFlow,
    /// One script per `--walk-data` row (one without it); walk i runs `scripts[i % len]`.
    scripts: Vec<Script>,
    /// Each row's `flow_token`, if it has one.
    tokens: Vec<Option<String>>,
    opening: Opening,
    /// Fresh per run, so tokens never repeat across runs: `<prefix>-<walk number>`.
    token_prefix: String,
    timeout: Duration,
}

/// What one walk did.
struct WalkOutcome {
    /// From its (intended) start to its end.
    latency: Duration,
    /// The first failure, in one line (as `flows walk` prints it).
    failure: Option<String>,
    /// Each request: the script step it belongs to (0 = opening), its status, its latency.
    requests: Vec<(usize, Option<u16>, Duration)>,
}

/// The counts and histograms of many walks; each task keeps its own, merged at the end.
struct Tally {
    started: usize,
    completed: usize,
    requests: usize,
    walk_latency: Latencies,
    all_requests: Latencies,
    /// Request latency by script step (index 0 is opening the flow).
    steps: Vec<Latencies>,
    statuses: BTreeMap<String, usize>,
    failures: BTreeMap<String, usize>,
    /// The failure of the lowest-numbered failed walk, with its number.
    first_failure: Option<(usize, String)>,
}

impl Tally {
    fn new(steps: usize) -> Self {
        Self {
            started: 0,
            completed: 0,
            requests: 0,
            walk_latency: Latencies::new(std::iter::empty()),
            all_requests: Latencies::new(std::iter::empty()),
            steps: (0..steps)
                .map(|_| Latencies::new(std::iter::empty()))
                .collect(),
            statuses: BTreeMap::new(),
            failures: BTreeMap::new(),
            first_failure: None,
        }
    }

    fn add(&mut self, walk: usize, outcome: WalkOutcome) {
        self.started += 1;
        self.walk_latency.record(outcome.latency);
        for (step, status, latency) in outcome.requests {
            self.requests += 1;
            self.all_requests.record(latency);
            while self.steps.len() <= step {
                self.steps.push(Latencies::new(std::iter::empty()));
            }
            if let Some(h) = self.steps.get_mut(step) {
                h.record(latency);
            }
            let key = status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
            *self.statuses.entry(key).or_insert(0) += 1;
        }
        match outcome.failure {
            None => self.completed += 1,
            Some(reason) => {
                if self.first_failure.as_ref().is_none_or(|(w, _)| walk < *w) {
                    self.first_failure = Some((walk, reason.clone()));
                }
                *self.failures.entry(reason).or_insert(0) += 1;
            }
        }
    }

    fn merge(&mut self, other: Self) {
        self.started += other.started;
        self.completed += other.completed;
        self.requests += other.requests;
        self.walk_latency.merge(&other.walk_latency);
        self.all_requests.merge(&other.all_requests);
        for (i, h) in other.steps.iter().enumerate() {
            while self.steps.len() <= i {
                self.steps.push(Latencies::new(std::iter::empty()));
            }
            if let Some(mine) = self.steps.get_mut(i) {
                mine.merge(h);
            }
        }
        for (k, v) in other.statuses {
            *self.statuses.entry(k).or_insert(0) += v;
        }
        for (k, v) in other.failures {
            *self.failures.entry(k).or_insert(0) += v;
        }
        if let Some((walk, reason)) = other.first_failure
            && self.first_failure.as_ref().is_none_or(|(w, _)| walk < *w)
        {
            self.first_failure = Some((walk, reason));
        }
    }

    fn failed(&self) -> usize {
        self.started - self.completed
    }
}

/// Runs the walk load and prints the report.
pub(crate) fn run(args: &LoadArgs, passphrase_env: &str) -> Result<Exit, Failure> {
    let (Some(flow_path), Some(script_path)) = (&args.flow, &args.walk) else {
        return Err(Failure::local("walk mode needs both --flow and --walk"));
    };
    let uri = http::parse_url(&args.url)?;
    let users = usize::from(args.users);
    let transport = http_transport(
        &args.url,
        &args.public_key,
        args.app_secret_env.as_deref(),
        passphrase_env,
        users,
    )?;
    let plan = Arc::new(plan(args, flow_path, script_path)?);
    let labels = step_labels(plan.scripts.first());
    let planned = usize::try_from(args.walks).unwrap_or(usize::MAX);

    let bar = std::io::stderr()
        .is_terminal()
        .then(|| progress(planned, "walking"));
    let runtime = crate::runtime(true)?;
    let (tally, elapsed) = runtime.block_on(async {
        match args.rate {
            Some(rate) => {
                open_loop(
                    &plan,
                    &transport,
                    planned,
                    users,
                    rate,
                    args.duration,
                    bar.clone(),
                )
                .await
            }
            None => {
                closed_loop(
                    &plan,
                    &transport,
                    planned,
                    users,
                    args.duration,
                    bar.clone(),
                )
                .await
            }
        }
    })?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }

    let report = Report {
        tally,
        elapsed,
        planned,
        labels,
    };
    if args.json {
        let mut value = report.to_json();
        if let Value::Object(map) = &mut value {
            map.insert("url".into(), without_query(&uri).into());
            map.insert("users".into(), args.users.into());
            map.insert("rate".into(), args.rate.into());
        }
        println!("{value}");
    } else {
        report.print(args.users, args.rate);
    }
    Ok(if report.tally.started > 0 && report.tally.failed() == 0 {
        Exit::Success
    } else {
        Exit::Remote
    })
}

/// Reads the flow, the script and the walk data, and checks them (exit 2 when they do not hold).
fn plan(args: &LoadArgs, flow_path: &Path, script_path: &Path) -> Result<Plan, Failure> {
    // Preparing checks the flow can be run (screens, the reply contract) once, up front.
    let flow = PreparedFlow::new(read_flow(flow_path)?)
        .map_err(|e| Failure::local(format!("{}: {e}", flow_path.display())))?;
    let opening = Opening::new(
        flow.flow(),
        args.flow_action,
        args.screen.as_deref(),
        args.payload.as_deref(),
    )?;
    let template = read_input(script_path, "script")?;
    let bad_script =
        |e: &dyn std::fmt::Display| Failure::local(format!("{}: {e}", script_path.display()));
    let (scripts, tokens) = match &args.walk_data {
        None => {
            if let Some(name) = placeholders(&template).first() {
                return Err(Failure::local(format!(
                    "{}: uses {{{{{name}}}}}, which only --walk-data can fill in",
                    script_path.display()
                )));
            }
            (
                vec![Script::parse(&template).map_err(|e| bad_script(&e))?],
                vec![None],
            )
        }
        Some(data_path) => {
            let rows = walk_data(data_path)?;
            let mut scripts = Vec::with_capacity(rows.len());
            let mut tokens = Vec::with_capacity(rows.len());
            for (i, row) in rows.iter().enumerate() {
                let text = fill(&template, row).map_err(|name| {
                    Failure::local(format!(
                        "{}: object {} has no `{name}`, which the script uses",
                        data_path.display(),
                        i + 1
                    ))
                })?;
                let script = Script::parse(&text).map_err(|e| {
                    bad_script(&format!("{e} (with object {} of --walk-data)", i + 1))
                })?;
                scripts.push(script);
                tokens.push(match row.get("flow_token") {
                    None => None,
                    Some(Value::String(token)) => Some(token.clone()),
                    Some(_) => {
                        return Err(Failure::local(format!(
                            "{}: object {}: `flow_token` is not a string",
                            data_path.display(),
                            i + 1
                        )));
                    }
                });
            }
            (scripts, tokens)
        }
    };
    Ok(Plan {
        flow,
        scripts,
        tokens,
        opening,
        token_prefix: token_prefix()?,
        timeout: args.timeout,
    })
}

/// `--walk-data`: a non-empty JSON array of objects.
fn walk_data(path: &Path) -> Result<Vec<Map<String, Value>>, Failure> {
    let text = read_input(path, "walk data")?;
    let bad = |why: &str| Failure::local(format!("{}: {why}", path.display()));
    let rows: Vec<Value> = serde_json::from_str(&text)
        .map_err(|e| bad(&format!("not a JSON array of objects: {e}")))?;
    if rows.is_empty() {
        return Err(bad("the array is empty"));
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| match row {
            Value::Object(map) => Ok(map),
            _ => Err(bad(&format!("element {} is not an object", i + 1))),
        })
        .collect()
}

/// The `{{name}}` placeholders of a script, in order of appearance.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = &after[..end];
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            out.push(name);
            rest = &after[end + 2..];
        } else {
            rest = after;
        }
    }
    out
}

/// The script with each `{{name}}` replaced by the row's value, escaped for inside a JSON string
/// (a string as is, anything else as its JSON text); the name missing from the row is the error.
fn fill(template: &str, row: &Map<String, Value>) -> Result<String, String> {
    let mut text = template.to_owned();
    for name in placeholders(template) {
        let value = row.get(name).ok_or_else(|| name.to_owned())?;
        let plain = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let quoted = Value::String(plain).to_string();
        let escaped = quoted
            .get(1..quoted.len().saturating_sub(1))
            .unwrap_or_default();
        text = text.replace(&format!("{{{{{name}}}}}"), escaped);
    }
    Ok(text)
}

/// A random prefix for this run's flow tokens.
fn token_prefix() -> Result<String, Failure> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| Failure::local(format!("no randomness for flow tokens: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("flows-load-{hex}"))
}

/// A short name for each script step (0 is opening the flow), from the first script: the
/// component names a `set` sets, not the values (they differ between walks with --walk-data).
fn step_labels(script: Option<&Script>) -> Vec<String> {
    let mut labels = vec!["open".to_owned()];
    for step in script.map(Script::steps).unwrap_or_default() {
        labels.push(match step {
            Step::Set(pairs) => format!(
                "set {}",
                pairs
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Step::Tap(label) => format!("tap {label:?}"),
            Step::Back => "back".to_owned(),
            Step::Expect(_) => "expect".to_owned(),
            _ => "step".to_owned(),
        });
    }
    labels
}

/// One walk, on a fresh phone sharing the pooled transport.
async fn walk(plan: &Plan, transport: Http, walk: usize, started: Instant) -> WalkOutcome {
    let row = walk % plan.scripts.len().max(1);
    let token = plan
        .tokens
        .get(row)
        .cloned()
        .flatten()
        .unwrap_or_else(|| format!("{}-{walk}", plan.token_prefix));
    let Some(script) = plan.scripts.get(row) else {
        return WalkOutcome {
            latency: started.elapsed(),
            failure: Some("no script (a bug in flows load)".to_owned()),
            requests: Vec::new(),
        };
    };
    let mut phone = match Simulator::new(plan.flow.clone(), transport) {
        Ok(phone) => phone,
        Err(e) => {
            return WalkOutcome {
                latency: started.elapsed(),
                failure: Some(format!("open: {e}")),
                requests: Vec::new(),
            };
        }
    };
    phone.set_timeout(plan.timeout);
    let mut requests = Vec::new();
    let report = script::run(&mut phone, plan.opening.open(token), script, |step| {
        for r in &step.requests {
            requests.push((
                step.step,
                r.status,
                Duration::from_secs_f64(r.latency_ms.max(0.0) / 1000.0),
            ));
        }
    })
    .await;
    WalkOutcome {
        latency: started.elapsed(),
        failure: report.failure,
        requests,
    }
}

/// `--users` tasks, each walking until the walks or the time run out.
async fn closed_loop(
    plan: &Arc<Plan>,
    transport: &Http,
    planned: usize,
    users: usize,
    duration: Option<Duration>,
    bar: Option<ProgressBar>,
) -> Result<(Tally, Duration), Failure> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = duration.map(|d| started + d);
    let steps = plan.scripts.first().map_or(0, |s| s.steps().len()) + 1;
    let mut tasks = Vec::with_capacity(users);
    for _ in 0..users.min(planned).max(1) {
        let (plan, transport, next, bar) = (
            Arc::clone(plan),
            transport.clone(),
            Arc::clone(&next),
            bar.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new(steps);
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= planned {
                    break;
                }
                let outcome = walk(&plan, transport.clone(), i, Instant::now()).await;
                tally.add(i, outcome);
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
            }
            tally
        }));
    }
    let mut total = Tally::new(steps);
    for task in tasks {
        total.merge(
            task.await
                .map_err(|e| Failure::local(format!("a load task failed: {e}")))?,
        );
    }
    Ok((total, started.elapsed()))
}

/// Open loop: walk i starts at `i / rate` s, at most `users` in flight; latency from that start.
async fn open_loop(
    plan: &Arc<Plan>,
    transport: &Http,
    planned: usize,
    users: usize,
    rate: u32,
    duration: Option<Duration>,
    bar: Option<ProgressBar>,
) -> Result<(Tally, Duration), Failure> {
    let slots = Arc::new(tokio::sync::Semaphore::new(users.max(1)));
    let interval = Duration::from_secs(1) / rate;
    let started = Instant::now();
    let deadline = duration.map(|d| started + d);
    let steps = plan.scripts.first().map_or(0, |s| s.steps().len()) + 1;
    let mut tasks = Vec::with_capacity(planned.min(1 << 16));
    for i in 0..planned {
        let intended = started + interval * u32::try_from(i).unwrap_or(u32::MAX);
        if deadline.is_some_and(|d| intended >= d) {
            break;
        }
        tokio::time::sleep_until(intended).await;
        let (plan, transport, slots, bar) = (
            Arc::clone(plan),
            transport.clone(),
            Arc::clone(&slots),
            bar.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let outcome = match slots.acquire_owned().await {
                Ok(_permit) => walk(&plan, transport, i, intended).await,
                Err(_) => WalkOutcome {
                    latency: intended.elapsed(),
                    failure: Some("the walk slots were closed (a bug in flows load)".into()),
                    requests: Vec::new(),
                },
            };
            if let Some(bar) = &bar {
                bar.inc(1);
            }
            (i, outcome)
        }));
    }
    let mut total = Tally::new(steps);
    for task in tasks {
        let (i, outcome) = task
            .await
            .map_err(|e| Failure::local(format!("a load task failed: {e}")))?;
        total.add(i, outcome);
    }
    Ok((total, started.elapsed()))
}

/// The figures of a walk load.
struct Report {
    tally: Tally,
    elapsed: Duration,
    planned: usize,
    labels: Vec<String>,
}

impl Report {
    fn per_second(&self, n: usize) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            n as f64 / seconds
        } else {
            0.0
        }
    }

    fn label(&self, step: usize) -> &str {
        self.labels.get(step).map_or("step", String::as_str)
    }

    /// Failure reasons, most frequent first.
    fn reasons(&self) -> Vec<(&str, usize)> {
        let mut reasons: Vec<(&str, usize)> = self
            .tally
            .failures
            .iter()
            .map(|(reason, n)| (reason.as_str(), *n))
            .collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        reasons
    }

    fn print(&self, users: u16, rate: Option<u32>) {
        let t = &self.tally;
        let mode = match rate {
            Some(rate) => format!("open loop at {rate} walks/s, at most {users} in flight"),
            None => format!("{users} users"),
        };
        println!(
            "walked {} walks in {} ({mode}): {} requests, {:.0} requests/s",
            t.started,
            human(self.elapsed),
            t.requests,
            self.per_second(t.requests)
        );
        println!(
            "completed walks: {} ({:.1}/s); failed walks: {}",
            t.completed,
            self.per_second(t.completed),
            t.failed()
        );
        if t.started < self.planned {
            println!(
                "not started: {} (--duration ran out)",
                self.planned - t.started
            );
        }
        let reasons = self.reasons();
        for (reason, n) in reasons.iter().take(REASONS_SHOWN) {
            println!("  {n} failed: {reason}");
        }
        if reasons.len() > REASONS_SHOWN {
            println!(
                "  ... and {} other reasons (--json lists them all)",
                reasons.len() - REASONS_SHOWN
            );
        }
        if let Some((walk, reason)) = &t.first_failure {
            println!("first failure (walk {walk}): {reason}");
        }
        println!(
            "walk latency{}: {}",
            if rate.is_some() {
                " (from intended start)"
            } else {
                ""
            },
            t.walk_latency.summary()
        );
        println!("request latency: {}", t.all_requests.summary());
        for (step, h) in t.steps.iter().enumerate() {
            if h.count() > 0 {
                println!(
                    "  step {step:>2} {} ({} requests): {}",
                    self.label(step),
                    h.count(),
                    h.summary()
                );
            }
        }
        let histogram: Vec<String> = t
            .statuses
            .iter()
            .map(|(status, n)| format!("{status}: {n}"))
            .collect();
        println!("status: {}", histogram.join(", "));
    }

    fn to_json(&self) -> Value {
        let t = &self.tally;
        let steps: Vec<Value> = t
            .steps
            .iter()
            .enumerate()
            .filter(|(_, h)| h.count() > 0)
            .map(|(step, h)| {
                json!({
                    "step": step,
                    "did": self.label(step),
                    "requests": h.count(),
                    "latency_ms": h.to_json(),
                })
            })
            .collect();
        json!({
            "mode": "walk",
            "planned_walks": self.planned,
            "walks": t.started,
            "completed_walks": t.completed,
            "failed_walks": t.failed(),
            "seconds": self.elapsed.as_secs_f64(),
            "requests": t.requests,
            "requests_per_second": self.per_second(t.requests),
            "completed_walks_per_second": self.per_second(t.completed),
            "walk_latency_ms": t.walk_latency.to_json(),
            "latency_ms": t.all_requests.to_json(),
            "steps": steps,
            "status": t.statuses,
            "failures": t.failures,
            "first_failure": t.first_failure.as_ref().map(|(_, reason)| reason),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn placeholders_are_filled_and_escaped() {
        let template = r#"[{"set": {"seat": "{{seat}}", "n": "{{n}}"}}, {"tap": "{{ not one }}"}]"#;
        assert_eq!(placeholders(template), ["seat", "n"]);
        let row = json!({"seat": "A\"1", "n": 7})
            .as_object()
            .cloned()
            .unwrap();
        let text = fill(template, &row).unwrap();
        assert_eq!(
            text,
            r#"[{"set": {"seat": "A\"1", "n": "7"}}, {"tap": "{{ not one }}"}]"#
        );
        assert!(Script::parse(&text).is_ok());
        let missing = json!({"seat": "A1"}).as_object().cloned().unwrap();
        assert_eq!(fill(template, &missing).unwrap_err(), "n");
    }

    fn outcome(failure: Option<&str>, statuses: &[u16]) -> WalkOutcome {
        WalkOutcome {
            latency: Duration::from_millis(10),
            failure: failure.map(str::to_owned),
            requests: statuses
                .iter()
                .enumerate()
                .map(|(i, s)| (i, Some(*s), Duration::from_millis(1)))
                .collect(),
        }
    }

    #[test]
    fn tallies_count_walks_requests_and_reasons() {
        let mut a = Tally::new(3);
        a.add(4, outcome(Some("step 2: nope"), &[200, 500]));
        a.add(0, outcome(None, &[200, 200, 200]));
        let mut b = Tally::new(3);
        b.add(2, outcome(Some("step 2: nope"), &[200, 500]));
        b.add(3, outcome(Some("open: HTTP 427"), &[427]));
        a.merge(b);
        assert_eq!(
            (a.started, a.completed, a.failed(), a.requests),
            (4, 1, 3, 8)
        );
        assert_eq!(a.statuses["200"], 5);
        assert_eq!(a.statuses["500"], 2);
        assert_eq!(a.failures["step 2: nope"], 2);
        assert_eq!(a.first_failure, Some((2, "step 2: nope".to_owned())));
        assert_eq!(a.steps[0].count(), 4);
        assert_eq!(a.steps[2].count(), 1);
        let report = Report {
            tally: a,
            elapsed: Duration::from_secs(2),
            planned: 4,
            labels: vec!["open".into()],
        };
        let json = report.to_json();
        assert_eq!(json["requests_per_second"], 4.0);
        assert_eq!(json["completed_walks_per_second"], 0.5);
        assert_eq!(json["steps"][0]["did"], "open");
        assert_eq!(report.reasons()[0], ("step 2: nope", 2));
    }
}
