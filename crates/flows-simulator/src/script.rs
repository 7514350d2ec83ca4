//! Scripted walks: a JSON array of steps run against a [`Simulator`], as `flows walk` runs them.
//!
//! ```json
//! [
//!   {"set": {"department": "cardiology", "location": "lisbon-centre"}},
//!   {"tap": "Continue"},
//!   {"expect": {"screen": "SEATS", "data": {"department": "cardiology"}}},
//!   {"back": true},
//!   {"expect": {"visible": ["department"], "hidden": ["seat"], "status": 200}}
//! ]
//! ```
//!
//! - `set`: fill in or choose, in the order written (an option id, an array of ids for a
//!   CheckboxGroup, a boolean for an OptIn); each fires its on-select/on-unselect action.
//! - `tap`: a Footer, EmbeddedLink or NavigationList item by its label as shown.
//! - `back`: the back button.
//! - `expect`: any of `screen`, `data` (a subset of the screen's data), `error_message` (the
//!   snackbar), `closed` (a subset of the completion params), `status` (the endpoint's last HTTP
//!   status), `visible` and `hidden` (component names).
//!
//! A step that the endpoint answers with an error status fails, unless the next step is an
//! `expect` naming a `status`: the script then says what it expects instead.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::{FlowState, Open, Simulator};
use crate::error::WalkError;
use crate::transcript::Transcript;
use crate::transport::Transport;

/// A script that cannot be run as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad script: {0}")]
pub struct ScriptError(pub String);

/// One step.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Step {
    /// Set these components, in order.
    Set(Vec<(String, Value)>),
    /// Tap what carries this label.
    Tap(String),
    /// The back button.
    Back,
    /// Check the phone's state.
    Expect(Expect),
}

/// What an `expect` step checks; every part given must hold.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Expect {
    /// The current screen id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screen: Option<String>,
    /// A subset of the current screen's data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    /// The snackbar text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// The flow completed with params containing this subset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Value>,
    /// The endpoint's last HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Components shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<Vec<String>>,
    /// Components not shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<String>>,
}

/// `set`'s object, in the order written (serde_json's map sorts its keys).
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of component name -> value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Ordered(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    set: Option<Ordered>,
    tap: Option<String>,
    back: Option<bool>,
    expect: Option<Expect>,
}

/// A parsed script.
#[derive(Clone, Debug, PartialEq)]
pub struct Script {
    steps: Vec<Step>,
}

impl Script {
    /// Parses a script: a JSON array of steps.
    ///
    /// # Errors
    /// [`ScriptError`] naming the step and what is wrong with it.
    ///
    /// ```
    /// use flows_simulator::script::{Script, Step};
    /// let script = Script::parse(r#"[{"set": {"b": 1, "a": 2}}, {"tap": "Go"}, {"back": true}]"#)?;
    /// assert_eq!(script.steps()[0], Step::Set(vec![("b".into(), 1.into()), ("a".into(), 2.into())]));
    /// assert!(Script::parse(r#"[{"tap": "Go", "back": true}]"#).is_err());
    /// # Ok::<(), flows_simulator::script::ScriptError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, ScriptError> {
        // Straight into the step types (a `Value` would sort `set`'s keys); the path of the
        // failing property names the step.
        let mut de = serde_json::Deserializer::from_str(text);
        let raw: Vec<RawStep> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let step = e.path().iter().find_map(|s| match s {
                serde_path_to_error::Segment::Seq { index } => Some(index + 1),
                _ => None,
            });
            match step {
                Some(n) => ScriptError(format!("step {n}: {}", e.inner())),
                None => ScriptError(format!("not a JSON array of steps: {}", e.inner())),
            }
        })?;
        de.end()
            .map_err(|e| ScriptError(format!("text after the steps: {e}")))?;
        let mut steps = Vec::with_capacity(raw.len());
        for (i, step) in raw.into_iter().enumerate() {
            let n = i + 1;
            let mut parsed = Vec::new();
            if let Some(set) = step.set {
                if set.0.is_empty() {
                    return Err(ScriptError(format!("step {n}: `set` names no component")));
                }
                parsed.push(Step::Set(set.0));
            }
            if let Some(label) = step.tap {
                parsed.push(Step::Tap(label));
            }
            match step.back {
                Some(true) => parsed.push(Step::Back),
                Some(false) => {
                    return Err(ScriptError(format!("step {n}: `back` is `true` or absent")));
                }
                None => {}
            }
            if let Some(expect) = step.expect {
                parsed.push(Step::Expect(expect));
            }
            if parsed.len() != 1 {
                return Err(ScriptError(format!(
                    "step {n}: a step is exactly one of `set`, `tap`, `back`, `expect`"
                )));
            }
            steps.extend(parsed);
        }
        Ok(Self { steps })
    }

    /// The steps, in order.
    #[must_use]
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }
}

/// A request made during a step: action, status, latency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestLine {
    /// `INIT`, `data_exchange`, `BACK`, or the error notification's action.
    pub action: String,
    /// The HTTP status, if one came.
    pub status: Option<u16>,
    /// Milliseconds.
    pub latency_ms: f64,
}

/// What one step did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepReport {
    /// 0 for opening the flow, then 1, 2, … for the script's steps.
    pub step: usize,
    /// What was done (`tap "Continue"`).
    pub did: String,
    /// The screen reached (empty when the flow is closed).
    pub screen: String,
    /// The requests the step made.
    pub requests: Vec<RequestLine>,
    /// Why the step failed, in one line.
    pub failure: Option<String>,
}

impl fmt::Display for StepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:>3} {}", self.step, self.did)?;
        if self.screen.is_empty() {
            f.write_str(" -> (no screen)")?;
        } else {
            write!(f, " -> {}", self.screen)?;
        }
        for r in &self.requests {
            match r.status {
                Some(s) => write!(f, " [{} HTTP {} {:.0} ms]", r.action, s, r.latency_ms)?,
                None => write!(f, " [{} no answer {:.0} ms]", r.action, r.latency_ms)?,
            }
        }
        if let Some(why) = &self.failure {
            write!(f, " FAILED: {why}")?;
        }
        Ok(())
    }
}

/// The whole walk: each step, the first failure, the final state, the transcript.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WalkReport {
    /// Every step run (the walk stops at the first failure).
    pub steps: Vec<StepReport>,
    /// The first failure, in one line.
    pub failure: Option<String>,
    /// Where the flow ended up.
    pub state: FlowState,
    /// Every exchange, decrypted.
    pub transcript: Transcript,
}

impl WalkReport {
    /// Whether every step held.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Opens the flow on `phone` with `open`, then runs `script`; `on_step` sees each step's report
/// as soon as it is done (to print it).
pub async fn run<T: Transport>(
    phone: &mut Simulator<T>,
    open: Open,
    script: &Script,
    mut on_step: impl FnMut(&StepReport),
) -> WalkReport {
    let steps = script.steps();
    let mut reports = Vec::new();
    let mut failure = None;

    let before = phone.transcript().len();
    let result = phone.start(open).await;
    let report = finish(
        phone,
        0,
        "open".to_owned(),
        before,
        result.map_err(StepError::from),
        steps.first(),
    );
    failure = failure.or_else(|| report.failure.clone().map(|f| format!("open: {f}")));
    on_step(&report);
    reports.push(report);

    if failure.is_none() {
        for (i, step) in steps.iter().enumerate() {
            let n = i + 1;
            let before = phone.transcript().len();
            let (did, result) = match step {
                Step::Set(pairs) => {
                    let did = format!(
                        "set {}",
                        pairs
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    );
                    let mut result = Ok(());
                    for (name, value) in pairs {
                        result = phone
                            .set(name, value.clone())
                            .await
                            .map_err(StepError::from);
                        if result.is_err() {
                            break;
                        }
                    }
                    (did, result)
                }
                Step::Tap(label) => (
                    format!("tap {label:?}"),
                    phone.tap(label).await.map_err(StepError::from),
                ),
                Step::Back => (
                    "back".to_owned(),
                    phone.back().await.map_err(StepError::from),
                ),
                Step::Expect(expect) => {
                    let did = format!(
                        "expect {}",
                        serde_json::to_string(expect).unwrap_or_default()
                    );
                    (did, check(phone, expect).map_err(StepError::Expect))
                }
            };
            let report = finish(phone, n, did, before, result, steps.get(i + 1));
            if let Some(f) = &report.failure {
                failure = Some(format!("step {n}: {f}"));
            }
            on_step(&report);
            reports.push(report);
            if failure.is_some() {
                break;
            }
        }
    }
    WalkReport {
        steps: reports,
        failure,
        state: phone.state().clone(),
        transcript: phone.transcript().clone(),
    }
}

/// Why a step failed: the walk failed, or an expectation did not hold.
enum StepError {
    Walk(WalkError),
    Expect(String),
}

impl From<WalkError> for StepError {
    fn from(e: WalkError) -> Self {
        Self::Walk(e)
    }
}

fn finish<T: Transport>(
    phone: &Simulator<T>,
    step: usize,
    did: String,
    before: usize,
    result: Result<(), StepError>,
    next: Option<&Step>,
) -> StepReport {
    let requests = phone
        .transcript()
        .exchanges()
        .get(before..)
        .unwrap_or_default()
        .iter()
        .map(|e| RequestLine {
            action: e.action().to_owned(),
            status: e.status,
            latency_ms: e.latency_ms,
        })
        .collect();
    let expects_status = matches!(
        next,
        Some(Step::Expect(Expect {
            status: Some(_),
            ..
        }))
    );
    let failure = match result {
        Ok(()) => None,
        Err(StepError::Walk(e)) if e.status().is_some() && expects_status => None,
        Err(StepError::Walk(e)) => Some(e.to_string()),
        Err(StepError::Expect(why)) => Some(why),
    };
    StepReport {
        step,
        did,
        screen: phone.screen().id().to_owned(),
        requests,
        failure,
    }
}

/// Checks an `expect`; the error names the expectation and what was there instead.
fn check<T: Transport>(phone: &Simulator<T>, expect: &Expect) -> Result<(), String> {
    let view = phone.screen();
    if let Some(screen) = &expect.screen
        && view.id() != screen
    {
        return Err(format!(
            "expected screen {screen}, but {}",
            shown(phone, view.id())
        ));
    }
    if let Some(want) = &expect.data {
        let have = Value::Object(view.data().clone());
        if let Some(why) = mismatch(want, &have, "data") {
            return Err(format!("expected {why}"));
        }
    }
    if let Some(want) = &expect.error_message {
        match phone.snackbar() {
            Some(have) if have == want => {}
            Some(have) => {
                return Err(format!(
                    "expected the snackbar {want:?}, but it shows {have:?}"
                ));
            }
            None => return Err(format!("expected the snackbar {want:?}, but none is shown")),
        }
    }
    if let Some(want) = &expect.closed {
        match phone.state() {
            FlowState::Completed { params, .. } => {
                let have = Value::Object(params.clone().unwrap_or_default());
                if let Some(why) = mismatch(want, &have, "params") {
                    return Err(format!("the flow completed, but expected {why}"));
                }
            }
            _ => {
                return Err(format!(
                    "expected the flow to be completed, but {}",
                    shown(phone, view.id())
                ));
            }
        }
    }
    if let Some(want) = expect.status {
        match phone.last_status() {
            Some(have) if have == want => {}
            Some(have) => {
                return Err(format!(
                    "expected HTTP {want}, but the endpoint answered {have}"
                ));
            }
            None => return Err(format!("expected HTTP {want}, but no HTTP answer came")),
        }
    }
    for name in expect.visible.iter().flatten() {
        match view.is_visible(name) {
            Some(true) => {}
            Some(false) => return Err(format!("expected `{name}` visible, but it is hidden")),
            None => {
                return Err(format!(
                    "expected `{name}` visible, but screen {} does not render it",
                    view.id()
                ));
            }
        }
    }
    for name in expect.hidden.iter().flatten() {
        if view.is_visible(name) == Some(true) {
            return Err(format!("expected `{name}` hidden, but it is visible"));
        }
    }
    Ok(())
}

fn shown<T: Transport>(phone: &Simulator<T>, id: &str) -> String {
    match phone.state() {
        FlowState::Open => format!("the phone shows {id}"),
        FlowState::Opening => "the flow never opened".to_owned(),
        FlowState::Completed { .. } => "the flow completed".to_owned(),
        FlowState::Dismissed => "the flow was closed".to_owned(),
        FlowState::Disabled { message } => format!("the flow was disabled: {message}"),
        FlowState::Failed { message } => format!("the flow shows an error: {message}"),
    }
}

/// Where `want` is not a subset of `have`, described as `path = want, but found …`.
fn mismatch(want: &Value, have: &Value, path: &str) -> Option<String> {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => w.iter().find_map(|(k, wv)| {
            let p = format!("{path}.{k}");
            match h.get(k) {
                Some(hv) => mismatch(wv, hv, &p),
                None => Some(format!("{p} = {wv}, but there is no {p}")),
            }
        }),
        (Value::Array(w), Value::Array(h)) if w.len() == h.len() => w
            .iter()
            .zip(h)
            .enumerate()
            .find_map(|(i, (wv, hv))| mismatch(wv, hv, &format!("{path}[{i}]"))),
        (w, h) if w == h => None,
        (w, h) => Some(format!("{path} = {w}, but found {}", short(h))),
    }
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() > 120 {
        format!("{}…", text.chars().take(120).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn subsets_name_the_first_difference() {
        let have = json!({"a": {"b": [1, {"c": "x"}]}, "d": true});
        assert_eq!(mismatch(&json!({"a": {"b": [1, {}]}}), &have, "data"), None);
        assert_eq!(
            mismatch(&json!({"a": {"b": [1, {"c": "y"}]}}), &have, "data").unwrap(),
            "data.a.b[1].c = \"y\", but found \"x\""
        );
        assert!(
            mismatch(&json!({"e": 1}), &have, "data")
                .unwrap()
                .contains("no data.e")
        );
    }

    #[test]
    fn bad_scripts_say_which_step() {
        for (text, says) in [
            ("{}", "not a JSON array"),
            (r#"[{"tap": "A"}, {"jump": 1}]"#, "step 2"),
            (r#"[{"expect": {"screens": "A"}}]"#, "step 1"),
            (r#"[{}]"#, "exactly one"),
            (r#"[{"back": false}]"#, "`back`"),
        ] {
            let e = Script::parse(text).unwrap_err();
            assert!(e.0.contains(says), "{text}: {e}");
        }
    }
}
