//! `flows preview`: the flow in a browser. A small local HTTP server drives one
//! [`flows_simulator::Simulator`] against the endpoint and serves a page (built into the binary)
//! that draws its current screen as the WhatsApp client does, beside an inspector of every
//! decrypted exchange.
//!
//! The page only draws what `GET /api/state` says and forwards what the user does
//! (`POST /api/set`, `/api/tap`, `/api/back`, `/api/restart`); all flow logic stays in the engine,
//! so the browser and `flows walk` cannot disagree about a flow. The flow file is checked on every
//! `/api/state`: when it changed it is read again and the flow restarts (`reloaded: true`); a file
//! that no longer parses shows its parse error until it is fixed.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use flows_json::Flow;
use flows_simulator::{FlowState, Http, Open, Simulator, WalkError};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use crate::error::{Exit, Failure};
use crate::walk;

const INDEX_HTML: &str = include_str!("preview/index.html");
const PREVIEW_JS: &str = include_str!("preview/preview.js");
const PREVIEW_CSS: &str = include_str!("preview/preview.css");

/// The largest request body the page sends (a value typed into a field, a label).
const MAX_BODY: usize = 64 * 1024;

/// `flows preview`.
#[derive(Debug, Args)]
pub(crate) struct PreviewArgs {
    /// The Flow JSON file (watched: edits restart the flow).
    #[arg(value_name = "FLOW_JSON")]
    pub(crate) flow: PathBuf,

    #[command(flatten)]
    pub(crate) endpoint: walk::EndpointArgs,

    /// Where the page is served.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8800")]
    pub(crate) listen: SocketAddr,
}

/// Runs the server until the process is stopped.
pub(crate) fn run(args: &PreviewArgs, passphrase_env: &str) -> Result<Exit, Failure> {
    let transport = args.endpoint.transport(passphrase_env)?;
    let (text, mtime) = read_flow(&args.flow).map_err(Failure::local)?;
    let flow = Flow::from_json(&text).map_err(|e| {
        Failure::local(format!(
            "{} is not a Flow JSON document: {e}",
            args.flow.display()
        ))
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::local(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Failure::local(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::local(e.to_string()))?;
        let mut session = Session::new(args.flow.clone(), transport, text, mtime, flow);
        session.restart().await;
        let shared = Arc::new(Mutex::new(session));
        println!(
            "flows preview: http://{addr}/ ({} against {})",
            args.flow.display(),
            args.endpoint.endpoint
        );
        serve(listener, shared).await
    })?;
    Ok(Exit::Success)
}

async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Mutex<Session>>,
) -> Result<(), Failure> {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                eprintln!("flows preview: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let shared = shared.clone();
        let service = hyper::service::service_fn(move |request| {
            let shared = shared.clone();
            async move { Ok::<_, Infallible>(handle(request, &shared).await) }
        });
        tokio::spawn(async move {
            // A browser closing a keep-alive connection is not worth reporting.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// One request of the page.
async fn handle(request: Request<Incoming>, shared: &Mutex<Session>) -> Response<Full<Bytes>> {
    if !local_host(request.headers().get(header::HOST)) {
        return api_error(
            StatusCode::FORBIDDEN,
            "open the preview by IP address or localhost",
        );
    }
    let path = request.uri().path().to_owned();
    match (request.method(), path.as_str()) {
        (&Method::GET, "/" | "/index.html") => asset(INDEX_HTML, "text/html; charset=utf-8"),
        (&Method::GET, "/preview.js") => asset(PREVIEW_JS, "text/javascript; charset=utf-8"),
        (&Method::GET, "/preview.css") => asset(PREVIEW_CSS, "text/css; charset=utf-8"),
        (&Method::GET, "/api/state") => {
            let mut session = shared.lock().await;
            session.check_file().await;
            json_response(StatusCode::OK, &session.state())
        }
        (&Method::POST, "/api/set" | "/api/tap" | "/api/back" | "/api/restart") => {
            // Only the page's own fetch sends JSON; a cross-site form post cannot (it would need
            // a CORS preflight this server never answers).
            let is_json = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/json"));
            if !is_json {
                return api_error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "send JSON (content-type: application/json)",
                );
            }
            let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
                Ok(body) => body.to_bytes(),
                Err(e) => return api_error(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string()),
            };
            let body: Value = if body.is_empty() {
                Value::Object(Map::new())
            } else {
                match serde_json::from_slice(&body) {
                    Ok(v) => v,
                    Err(e) => {
                        return api_error(
                            StatusCode::BAD_REQUEST,
                            &format!("the body is not JSON: {e}"),
                        );
                    }
                }
            };
            let mut session = shared.lock().await;
            match session.act(&path, &body).await {
                Ok(()) => json_response(StatusCode::OK, &session.state()),
                Err(message) => api_error(StatusCode::BAD_REQUEST, &message),
            }
        }
        (_, "/" | "/index.html" | "/preview.js" | "/preview.css" | "/api/state") => {
            api_error(StatusCode::METHOD_NOT_ALLOWED, "use GET")
        }
        (_, "/api/set" | "/api/tap" | "/api/back" | "/api/restart") => {
            api_error(StatusCode::METHOD_NOT_ALLOWED, "use POST")
        }
        _ => api_error(StatusCode::NOT_FOUND, "no such page"),
    }
}

/// Whether the page was asked for by an IP address or `localhost`. A web page elsewhere that makes
/// its own domain name resolve to this machine (DNS rebinding) would otherwise read the decrypted
/// exchanges; its requests carry its domain name.
fn local_host(host: Option<&header::HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let name = match host.strip_prefix('[') {
        // [v6]:port
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::IpAddr>().is_ok()
}

fn asset(body: &'static str, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn api_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    json_response(status, &json!({ "error": message }))
}

/// Reads the flow file and its modification time.
fn read_flow(path: &Path) -> Result<(String, Option<SystemTime>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mtime = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    Ok((text, mtime))
}

/// A fresh flow token, as a business would issue one per flow message.
fn new_flow_token() -> Result<String, String> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness for a flow token: {e}"))?;
    Ok(format!("flows-preview-{:x}", base16ct::HexDisplay(&bytes)))
}

/// How the flow is opened on restart.
#[derive(Clone, Debug)]
struct Options {
    /// `data_exchange` or `navigate`.
    flow_action: String,
    /// The start screen for `navigate` (none: the first).
    screen: Option<String>,
}

/// The one flow being previewed.
struct Session {
    path: PathBuf,
    transport: Http,
    /// The text and mtime last read, to notice edits.
    text: String,
    mtime: Option<SystemTime>,
    /// The flow as last parsed; `None` while the file does not parse.
    flow: Option<Flow>,
    phone: Option<Simulator<Http>>,
    options: Options,
    /// Counts every change of state, so the page redraws only on news.
    generation: u64,
    /// The generation a reload of the file produced.
    reloaded_at: Option<u64>,
    /// Why there is no flow (the file does not parse) or it could not start.
    error: Option<String>,
    /// The last action the phone refused, or that failed, shown on the page until the next one.
    notice: Option<String>,
    /// Contract violations of replies, by exchange index (the engine reports them as its error).
    violations: BTreeMap<usize, Vec<String>>,
}

impl Session {
    fn new(
        path: PathBuf,
        transport: Http,
        text: String,
        mtime: Option<SystemTime>,
        flow: Flow,
    ) -> Self {
        let flow_action = if flow.has_endpoint() {
            "data_exchange"
        } else {
            "navigate"
        };
        Self {
            path,
            transport,
            text,
            mtime,
            flow: Some(flow),
            phone: None,
            options: Options {
                flow_action: flow_action.to_owned(),
                screen: None,
            },
            generation: 0,
            reloaded_at: None,
            error: None,
            notice: None,
            violations: BTreeMap::new(),
        }
    }

    /// A new phone with a new flow token, opened as the options say.
    async fn restart(&mut self) {
        self.generation += 1;
        self.phone = None;
        self.notice = None;
        self.violations.clear();
        let Some(flow) = self.flow.clone() else {
            return;
        };
        self.error = None;
        let token = match new_flow_token() {
            Ok(token) => token,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let open = match self.options.flow_action.as_str() {
            "navigate" => Open::navigate(token, self.options.screen.as_deref(), Map::new()),
            _ => Open::data_exchange(token),
        };
        let mut phone = match Simulator::new(flow, self.transport.clone()) {
            Ok(phone) => phone,
            Err(e) => {
                self.error = Some(e.to_string());
                return;
            }
        };
        if let Err(e) = phone.start(open).await {
            self.record(&phone, &e);
            self.error = Some(e.to_string());
        }
        self.phone = Some(phone);
    }

    /// Reads the flow file again when it changed on disk; restarts on a new flow.
    async fn check_file(&mut self) {
        let mtime = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if mtime == self.mtime {
            return;
        }
        self.mtime = mtime;
        let text = match read_flow(&self.path) {
            Ok((text, _)) => text,
            Err(e) => {
                self.flow = None;
                self.phone = None;
                self.error = Some(e);
                self.generation += 1;
                return;
            }
        };
        // Touched but not changed (an editor saving the same text): keep the walk.
        if text == self.text && self.flow.is_some() {
            return;
        }
        self.text = text;
        match Flow::from_json(&self.text) {
            Ok(flow) => {
                let known = self.options.screen.as_ref();
                if known.is_some_and(|s| flow.screen(s).is_none()) {
                    self.options.screen = None;
                }
                self.flow = Some(flow);
                self.restart().await;
            }
            Err(e) => {
                self.flow = None;
                self.phone = None;
                self.generation += 1;
                self.error = Some(format!(
                    "{} is not a Flow JSON document: {e}",
                    self.path.display()
                ));
            }
        }
        self.reloaded_at = Some(self.generation);
    }

    /// One user action; `Err` for a request the page should never send (missing fields).
    async fn act(&mut self, path: &str, body: &Value) -> Result<(), String> {
        let text_field = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("the body needs a string `{name}`"))
        };
        if path == "/api/restart" {
            if let Some(action) = body.get("flow_action").and_then(Value::as_str) {
                if !matches!(action, "data_exchange" | "navigate") {
                    return Err(format!(
                        "flow_action is data_exchange or navigate, not {action}"
                    ));
                }
                self.options.flow_action = action.to_owned();
            }
            self.options.screen = body
                .get("screen")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned);
            self.restart().await;
            return Ok(());
        }
        let Some(mut phone) = self.phone.take() else {
            return Err("no flow is running (see the error shown)".to_owned());
        };
        let result = match path {
            "/api/set" => {
                let name = text_field("name");
                let value = body.get("value").cloned().unwrap_or(Value::Null);
                match name {
                    Ok(name) => phone.set(&name, value).await,
                    Err(e) => {
                        self.phone = Some(phone);
                        return Err(e);
                    }
                }
            }
            "/api/tap" => match text_field("label") {
                Ok(label) => phone.tap(&label).await,
                Err(e) => {
                    self.phone = Some(phone);
                    return Err(e);
                }
            },
            _ => phone.back().await,
        };
        self.generation += 1;
        self.notice = None;
        if let Err(e) = &result {
            self.record(&phone, e);
            self.notice = Some(e.to_string());
        }
        self.phone = Some(phone);
        Ok(())
    }

    /// Keeps the contract violations of a rejected reply with the exchange that brought it.
    fn record(&mut self, phone: &Simulator<Http>, error: &WalkError) {
        if let WalkError::Contract { violations } = error {
            let exchanges = phone.transcript().exchanges();
            // The notification the client sends afterwards is the last exchange; the reply that
            // broke the contract is the request before it.
            let index = exchanges
                .iter()
                .rposition(|x| x.kind != flows_simulator::ExchangeKind::ErrorNotification);
            if let Some(index) = index {
                self.violations
                    .insert(index, violations.iter().map(ToString::to_string).collect());
            }
        }
    }

    /// The state the page draws (the JSON documented in preview.js).
    fn state(&self) -> Value {
        let flow = self.flow.as_ref().map(|f| {
            json!({
                "path": self.path.display().to_string(),
                "version": f.version,
                "screens": f.screens.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            })
        });
        let options = json!({
            "flow_action": self.options.flow_action,
            "screen": self.options.screen,
        });
        let mut state = Map::new();
        state.insert("generation".into(), json!(self.generation));
        state.insert(
            "reloaded".into(),
            json!(self.reloaded_at == Some(self.generation)),
        );
        state.insert("flow".into(), json!(flow));
        state.insert("options".into(), options);
        state.insert("notice".into(), json!(self.notice));
        let Some(phone) = &self.phone else {
            state.insert("status".into(), json!("error"));
            state.insert(
                "error".into(),
                json!(self.error.as_deref().unwrap_or("no flow is running")),
            );
            state.insert("exchanges".into(), json!([]));
            return Value::Object(state);
        };
        let (status, closed, error) = match phone.state() {
            FlowState::Open => ("ready", Value::Null, None),
            FlowState::Opening => (
                "error",
                Value::Null,
                Some(
                    self.error
                        .clone()
                        .unwrap_or_else(|| "the flow has not opened".to_owned()),
                ),
            ),
            FlowState::Completed { params, by } => {
                ("closed", json!({ "params": params, "by": by }), None)
            }
            FlowState::Dismissed => (
                "closed",
                Value::Null,
                Some(
                    "The flow was closed without a response (back on the first screen).".to_owned(),
                ),
            ),
            FlowState::Disabled { message } => (
                "error",
                Value::Null,
                Some(format!(
                    "The endpoint disabled the flow (HTTP 427): {message}"
                )),
            ),
            FlowState::Failed { message } => ("error", Value::Null, Some(message.clone())),
        };
        let view = phone.screen();
        let exchanges: Vec<Value> = phone
            .transcript()
            .exchanges()
            .iter()
            .enumerate()
            .map(|(i, x)| {
                json!({
                    "kind": x.kind,
                    "action": x.action(),
                    "screen": x.request.get("screen").and_then(Value::as_str).filter(|s| !s.is_empty()),
                    "status": x.status,
                    "latency_ms": x.latency_ms,
                    "request": x.request,
                    "reply": x.reply,
                    "violations": self.violations.get(&i).cloned().unwrap_or_default(),
                    "error": x.error,
                })
            })
            .collect();
        state.insert("status".into(), json!(status));
        state.insert("flow_token".into(), json!(phone.flow_token()));
        state.insert("snackbar".into(), json!(phone.snackbar()));
        state.insert("closed".into(), closed);
        state.insert("error".into(), json!(error));
        state.insert("data".into(), json!(view.data()));
        state.insert("form".into(), json!(view.form()));
        state.insert("screen".into(), json!(phone.screen_detail()));
        state.insert("history".into(), json!(phone.history()));
        state.insert("opened_urls".into(), json!(phone.opened_urls()));
        state.insert("exchanges".into(), Value::Array(exchanges));
        Value::Object(state)
    }
}
