//! `flows walk`: a scripted walk of a flow against its endpoint, as the WhatsApp client runs it
//! (flows-simulator), for CI.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Args, ValueEnum};
use flows_simulator::script::{self, Script};
use flows_simulator::{Http, Open, Simulator};
use serde_json::{Map, Value};
use whatsapp_flows_crypto::PublicKey;

use crate::error::{Exit, Failure};
use crate::{keys, send};

/// `flows walk`.
#[derive(Debug, Args)]
pub(crate) struct WalkArgs {
    /// The Flow JSON file.
    #[arg(value_name = "FLOW_JSON")]
    pub(crate) flow_json: PathBuf,

    #[command(flatten)]
    pub(crate) endpoint: EndpointArgs,

    /// The flow token the message carries (default: a new one per run). Tokens may start with `-`
    /// (base64url), so a value after the flag is always taken as the token.
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub(crate) flow_token: Option<String>,

    /// How the message opens the flow (default: data_exchange for a flow with data_api_version,
    /// navigate otherwise).
    #[arg(long, value_name = "ACTION")]
    pub(crate) flow_action: Option<FlowAction>,

    /// With navigate: the first screen (default: the flow's first screen).
    #[arg(long, value_name = "S")]
    pub(crate) screen: Option<String>,

    /// With navigate: the first screen's data, a JSON object.
    #[arg(long, value_name = "JSON")]
    pub(crate) payload: Option<String>,

    /// The steps: a JSON file holding an array of set / tap / back / expect steps.
    #[arg(long, value_name = "STEPS_JSON")]
    pub(crate) script: PathBuf,

    /// Print the whole walk (steps, final state, every decrypted exchange) as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// `--flow-action`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FlowAction {
    /// Send INIT and show the screen the endpoint names.
    #[value(name = "data_exchange")]
    DataExchange,
    /// Show the first (or --screen) screen with --payload, without asking the endpoint.
    Navigate,
}

/// The endpoint flags `walk` and `preview` share: where WhatsApp would send, and how.
#[derive(Debug, Args)]
pub(crate) struct EndpointArgs {
    /// The endpoint URL (http or https).
    #[arg(long, value_name = "URL")]
    pub(crate) endpoint: String,

    /// The business public key requests are encrypted to (a private key works too; a public key
    /// file is re-read after an HTTP 421, as the client fetches the key again).
    #[arg(long, value_name = "PEM")]
    pub(crate) public_key: PathBuf,

    /// Sign requests (X-Hub-Signature-256) with the app secret held in this environment variable.
    #[arg(long, value_name = "NAME")]
    pub(crate) app_secret_env: Option<String>,
}

impl EndpointArgs {
    /// The transport to the endpoint as WhatsApp sends to it: encrypted to the public key, signed
    /// with the app secret in `--app-secret-env` when named.
    pub(crate) fn transport(&self, passphrase_env: &str) -> Result<Http, Failure> {
        http_transport(
            &self.endpoint,
            &self.public_key,
            self.app_secret_env.as_deref(),
            passphrase_env,
            1,
        )
    }
}

/// The simulator's HTTP transport to `url`, as `flows walk`, `flows preview` and `flows load --walk`
/// send: encrypted to the key in `public_key`, signed with the app secret in `app_secret_env`, with
/// up to `idle_connections` keep-alive connections shared by every clone.
pub(crate) fn http_transport(
    url: &str,
    public_key: &Path,
    app_secret_env: Option<&str>,
    passphrase_env: &str,
    idle_connections: usize,
) -> Result<Http, Failure> {
    let public = keys::load_public(public_key, passphrase_env)?;
    let secret = send::app_secret(app_secret_env)?;
    let transport = Http::pooled(url, public, secret.map(|s| s.to_vec()), idle_connections)
        .map_err(|e| Failure::local(e.to_string()))?;
    // A public key file can be read again after a 421; a private key would need its passphrase.
    let is_public =
        std::fs::read(public_key).is_ok_and(|data| PublicKey::from_bytes(&data).is_ok());
    Ok(if is_public {
        transport.with_key_file(public_key)
    } else {
        transport
    })
}

/// Reads a file for a walk, naming it (`what`) when it cannot be read.
pub(crate) fn read_input(path: &Path, what: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::local(format!("cannot read the {what} {}: {e}", path.display())))
}

/// Reads and parses a Flow JSON file.
pub(crate) fn read_flow(path: &Path) -> Result<flows_json::Flow, Failure> {
    flows_json::Flow::from_json(&read_input(path, "Flow JSON")?)
        .map_err(|e| Failure::local(format!("{} is not JSON: {e}", path.display())))
}

/// How the message opens the flow, from `--flow-action`, `--screen` and `--payload`; one per run,
/// [`Opening::open`] makes each walk's [`Open`] with its own flow token.
#[derive(Clone, Debug)]
pub(crate) struct Opening {
    navigate: bool,
    screen: Option<String>,
    payload: Map<String, Value>,
}

impl Opening {
    /// Checks the flags against the flow: `--screen` and `--payload` only go with navigate.
    pub(crate) fn new(
        flow: &flows_json::Flow,
        action: Option<FlowAction>,
        screen: Option<&str>,
        payload: Option<&str>,
    ) -> Result<Self, Failure> {
        let payload_map = match payload {
            None => Map::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                _ => return Err(Failure::local("--payload must be a JSON object")),
            },
        };
        let navigate = match action {
            Some(FlowAction::Navigate) => true,
            Some(FlowAction::DataExchange) => false,
            None => !flow.has_endpoint(),
        };
        if !navigate && (screen.is_some() || payload.is_some()) {
            return Err(Failure::local(
                "--screen and --payload go with --flow-action navigate",
            ));
        }
        Ok(Self {
            navigate,
            screen: screen.map(str::to_owned),
            payload: payload_map,
        })
    }

    /// The opening of one walk with this flow token.
    pub(crate) fn open(&self, token: String) -> Open {
        if self.navigate {
            Open::navigate(token, self.screen.as_deref(), self.payload.clone())
        } else {
            Open::data_exchange(token)
        }
    }
}

/// Runs the walk; exit 0 when every step held, 1 when one failed, 2 for bad input.
pub(crate) async fn run(args: &WalkArgs, passphrase_env: &str) -> Result<Exit, Failure> {
    let flow = read_flow(&args.flow_json)?;
    let script = Script::parse(&read_input(&args.script, "script")?)
        .map_err(|e| Failure::local(format!("{}: {e}", args.script.display())))?;
    let opening = Opening::new(
        &flow,
        args.flow_action,
        args.screen.as_deref(),
        args.payload.as_deref(),
    )?;
    let token = args.flow_token.clone().unwrap_or_else(new_token);
    let open = opening.open(token);

    let transport = args.endpoint.transport(passphrase_env)?;
    let mut phone = Simulator::new(flow, transport)
        .map_err(|e| Failure::local(format!("{}: {e}", args.flow_json.display())))?;

    let json = args.json;
    let report = script::run(&mut phone, open, &script, |step| {
        if !json {
            println!("{step}");
        }
    })
    .await;
    if json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Failure::local(format!("cannot print the walk as JSON: {e}")))?;
        println!("{text}");
    }
    match &report.failure {
        None => {
            if !json {
                println!("ok: {} steps held", script.steps().len());
            }
            Ok(Exit::Success)
        }
        Some(failure) => Err(Failure::remote(failure.clone())),
    }
}

/// A flow token no earlier run used (endpoints key state by it).
fn new_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("flows-walk-{}-{nanos}", std::process::id())
}
