//! The command line: subcommands, flags, help texts and examples.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Parser, Subcommand};

use crate::duration;

const ABOUT: &str = "WhatsApp Flows endpoint toolkit: keys, Meta registration, requests as WhatsApp sends them, load";

const LONG_ABOUT: &str = "\
WhatsApp Flows endpoint toolkit.

Make the business key pair, register its public key with Meta and check what Meta has, send a request
to your endpoint exactly as the WhatsApp client does, find out why a captured request does not decrypt
(HTTP 421), decrypt PhotoPicker/DocumentPicker media, and see how much load the endpoint takes.

Passphrases are never taken on the command line: they come from an environment variable
(FLOWS_PASSPHRASE, or the one named by --passphrase-env) or, on a terminal, from a prompt.
The Graph API access token comes from WHATSAPP_ACCESS_TOKEN.";

const EXIT_CODES: &str = "\
Exit codes: 0 success, 1 the remote said no (non-200, Graph API error, network failure, timeout)
or `flows lint` found an error, 2 usage or local input error.";

/// `flows`: the WhatsApp Flows developer's command line.
#[derive(Debug, Parser)]
#[command(name = "flows", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// The environment variable holding the private key's passphrase (without one, and on a terminal,
    /// you are prompted).
    #[arg(
        long,
        global = true,
        value_name = "NAME",
        default_value = "FLOWS_PASSPHRASE"
    )]
    pub(crate) passphrase_env: String,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Make an RSA-2048 key pair: DIR/private.pem (encrypted PKCS#8, mode 0600) and DIR/public.pem.
    #[command(after_help = "\
Example:
  FLOWS_PASSPHRASE='correct horse battery staple' flows keygen --out keys/
  # writes keys/private.pem (encrypted, mode 0600) and keys/public.pem; refuses to overwrite either

The passphrase comes from FLOWS_PASSPHRASE (or --passphrase-env NAME), else a prompt on a terminal.")]
    Keygen(KeygenArgs),

    /// Print the SPKI public key (what Meta takes) of a private key in any common form.
    #[command(after_help = "\
Example:
  FLOWS_PASSPHRASE=... flows public-key private.pem > public.pem

Reads PKCS#8 (encrypted or not), PKCS#1 and legacy `Proc-Type: 4,ENCRYPTED` PEM, or DER.")]
    PublicKey(PublicKeyArgs),

    /// Register the business public key with Meta for a phone number (Graph API).
    #[command(after_help = "\
Example:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows register --phone-number-id 106540352242922 keys/public.pem

KEY may be the public key or the private key (its public key is derived and sent).")]
    Register(RegisterArgs),

    /// Show the public key Meta has for a phone number, its signature status, and whether it is yours.
    #[command(after_help = "\
Example:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows key-status --phone-number-id 106540352242922 keys/public.pem

Exit status 0 when Meta has a key, its signature status is VALID and (given KEY) it is the same key;
1 otherwise.")]
    KeyStatus(KeyStatusArgs),

    /// Send one request to an endpoint exactly as WhatsApp does and print the decrypted reply.
    #[command(after_help = "\
Examples:
  flows send https://example.com/flow --public-key keys/public.pem --ping
  FLOWS_APP_SECRET=... flows send http://127.0.0.1:3000/flow --public-key keys/public.pem \\
      --app-secret-env FLOWS_APP_SECRET --init --flow-token my-token
  flows send http://127.0.0.1:3000/flow --public-key keys/public.pem \\
      --action data_exchange --screen APPOINTMENT --data '{\"department\":\"shopping\"}' --flow-token my-token

Prints `HTTP <status>`, then the decrypted reply as JSON; a non-200 is explained in one line.")]
    Send(SendArgs),

    /// Decrypt a captured request body, or say precisely why it does not decrypt (debugging HTTP 421).
    #[command(after_help = "\
Example:
  FLOWS_PASSPHRASE=... flows inspect-request --key keys/private.pem captured-body.json
  flows inspect-request --key new.pem --key old.pem - < captured-body.json

Steps and keys tried go to stderr, the decrypted JSON to stdout. Exit status 0 when it decrypts,
2 when it does not (the message names the step that failed and each key tried, by fingerprint).")]
    InspectRequest(InspectArgs),

    /// Verify and decrypt a PhotoPicker / DocumentPicker file.
    #[command(after_help = "\
Examples:
  flows decrypt-media --metadata meta.json --in photo.enc --out photo.jpg
  flows decrypt-media --metadata meta.json --url 'https://mmg.whatsapp.net/...' --out photo.jpg

META is the `encryption_metadata` object from the request's data (the whole media object
{\"media_id\", \"cdn_url\", \"file_name\", \"encryption_metadata\"} works too).")]
    DecryptMedia(MediaArgs),

    /// Load-test an endpoint with distinct pre-encrypted requests, as WhatsApp sends them, or with
    /// simulated users walking a flow (--walk).
    #[command(after_help = "\
Examples:
  flows load http://127.0.0.1:3000/flow --public-key keys/public.pem --requests 5000 --concurrency 32
  flows load https://example.com/flow --public-key keys/public.pem --duration 30s --json
  flows load http://127.0.0.1:3000/flow --public-key keys/public.pem --requests 60000 --rate 2000 --concurrency 512
  flows load http://127.0.0.1:3000/flow --public-key keys/public.pem --flow flow.json \\
      --walk walks/book.json --users 16 --walks 2000

Walk mode (--flow and --walk): N users (--users) run the `flows walk` script concurrently on the
simulated WhatsApp client, M walks (--walks) in all, each with a fresh flow token (or one from
--walk-data); the report has requests/s, completed walks/s, the failed walks counted by reason,
latency percentiles per step and a status histogram. A walk fails as `flows walk` fails. With
--rate R, R walks start per second and each walk's latency counts from its intended start.

Every request has its own AES key (one RSA-OAEP per request at the endpoint, as with WhatsApp). A request
counts as an error when the answer is not HTTP 200; 200 replies are also checked to decrypt (turn that
off with --no-verify-replies for stub endpoints). With --rate, requests start on a fixed schedule
whatever the replies do (an open loop); the report counts the 503s an overloaded endpoint sheds. Exit
status 0 when every request (every walk) succeeded, else 1; 2 for a usage or input error.")]
    Load(LoadArgs),

    /// Manage flows with Meta: list, create, upload the Flow JSON, publish, deprecate, delete, inspect,
    /// preview.
    Flow(crate::flow_api::FlowArgs),

    /// Send messages through the Cloud API: a flow to a user.
    Message(crate::message::MessageArgs),

    /// Walk a flow against its endpoint as the WhatsApp client does, following a script of steps.
    #[command(after_help = "\
Example:
  flows walk flow.json --endpoint http://127.0.0.1:3000/flow --public-key keys/public.pem \\
      --script walks/book.json

The script is a JSON array of steps: {\"set\": {\"name\": value, ...}}, {\"tap\": \"Label\"},
{\"back\": true}, {\"expect\": {\"screen\", \"data\", \"error_message\", \"closed\", \"status\",
\"visible\", \"hidden\"}}. One line per step; the first failure is explained in one line.
Exit status 0 when every step held, 1 when one failed, 2 for a usage or input error.")]
    Walk(crate::walk::WalkArgs),

    /// Check Flow JSON files locally the way Meta validates them (and for what the phone rejects).
    Lint(crate::lint::LintArgs),
    /// Run a flow in your browser against its endpoint: the screen as WhatsApp draws it, beside an
    /// inspector of every decrypted exchange.
    #[command(after_help = "\
Example:
  flows preview flow.json --endpoint http://127.0.0.1:3000/flow --public-key keys/public.pem
  # open http://127.0.0.1:8800/ ; edits to flow.json are picked up on the next poll

The page and its assets are built into `flows`; nothing is fetched from the network.")]
    Preview(crate::preview::PreviewArgs),
}

/// `flows keygen`.
#[derive(Debug, Args)]
pub(crate) struct KeygenArgs {
    /// Directory for private.pem and public.pem (created if missing).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,

    /// Write private.pem unencrypted (not recommended; prints a warning).
    #[arg(long)]
    pub(crate) no_passphrase: bool,
}

/// `flows public-key`.
#[derive(Debug, Args)]
pub(crate) struct PublicKeyArgs {
    /// The private key file (PEM or DER; a public key is printed back in SPKI form).
    #[arg(value_name = "KEY")]
    pub(crate) key: PathBuf,
}

/// A phone number and the Graph API.
#[derive(Debug, Args)]
pub(crate) struct GraphArgs {
    /// The WhatsApp Business phone number ID (digits).
    #[arg(long, value_name = "ID")]
    pub(crate) phone_number_id: String,

    #[command(flatten)]
    pub(crate) api: GraphApi,
}

/// Where the Graph API is and how long to wait for it.
#[derive(Debug, Args)]
pub(crate) struct GraphApi {
    /// Graph API base URL.
    #[arg(long, value_name = "URL", default_value = "https://graph.facebook.com")]
    pub(crate) graph_url: String,

    /// Graph API version.
    #[arg(long, value_name = "VERSION", default_value = "v23.0")]
    pub(crate) api_version: String,

    /// Give up on the Graph API after this long (30, 30s, 500ms, 2m).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration::parse)]
    pub(crate) timeout: Duration,
}

/// `flows register`.
#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    #[command(flatten)]
    pub(crate) graph: GraphArgs,

    /// The public key PEM to register, or the private key (its public key is sent).
    #[arg(value_name = "KEY_OR_PUBLIC_PEM")]
    pub(crate) key: PathBuf,
}

/// `flows key-status`.
#[derive(Debug, Args)]
pub(crate) struct KeyStatusArgs {
    #[command(flatten)]
    pub(crate) graph: GraphArgs,

    /// Your key (public or private): reports whether Meta has the same one.
    #[arg(value_name = "KEY")]
    pub(crate) key: Option<PathBuf>,
}

/// `flows send`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("request").required(true).args(["ping", "init", "action"])))]
pub(crate) struct SendArgs {
    /// The endpoint URL (http or https).
    #[arg(value_name = "URL")]
    pub(crate) url: String,

    /// The business public key the request is encrypted to (a private key works too).
    #[arg(long, value_name = "PEM")]
    pub(crate) public_key: PathBuf,

    /// Sign the body (X-Hub-Signature-256) with the app secret held in this environment variable.
    #[arg(long, value_name = "NAME")]
    pub(crate) app_secret_env: Option<String>,

    /// A health check: {"version":"3.0","action":"ping","data":{}}.
    #[arg(long)]
    pub(crate) ping: bool,

    /// Open the flow: {"version":"3.0","action":"INIT","data":{},"flow_token":T}.
    #[arg(long)]
    pub(crate) init: bool,

    /// Any action (data_exchange, BACK, INIT, ping, ...).
    #[arg(long, value_name = "ACTION")]
    pub(crate) action: Option<String>,

    /// The screen the request comes from (with --action).
    #[arg(long, value_name = "SCREEN", conflicts_with_all = ["ping", "init"])]
    pub(crate) screen: Option<String>,

    /// The request's `data` object as JSON (with --action).
    #[arg(long, value_name = "JSON", conflicts_with_all = ["ping", "init"])]
    pub(crate) data: Option<String>,

    /// The flow token (with --init, default `flows-cli-test-token`; with --action, sent only if given).
    #[arg(
        long,
        value_name = "T",
        conflicts_with = "ping",
        allow_hyphen_values = true
    )]
    pub(crate) flow_token: Option<String>,

    /// Give up after this long (WhatsApp itself waits 10 s).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration::parse)]
    pub(crate) timeout: Duration,
}

/// `flows inspect-request`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The endpoint's private key; repeat to try several (current first, as during a key rotation).
    #[arg(long, value_name = "KEY", required = true)]
    pub(crate) key: Vec<PathBuf>,

    /// The captured request body (the JSON envelope); `-` reads standard input.
    #[arg(value_name = "BODY_FILE")]
    pub(crate) body: PathBuf,
}

/// `flows decrypt-media`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["input", "url"])))]
pub(crate) struct MediaArgs {
    /// The `encryption_metadata` JSON object (or the whole media object containing it).
    #[arg(long, value_name = "FILE")]
    pub(crate) metadata: PathBuf,

    /// The encrypted file as downloaded from the CDN.
    #[arg(long = "in", value_name = "ENCRYPTED")]
    pub(crate) input: Option<PathBuf>,

    /// Download the encrypted file from this URL (the media object's `cdn_url`).
    #[arg(long, value_name = "URL")]
    pub(crate) url: Option<String>,

    /// Where to write the decrypted file (mode 0600); `-` writes to standard output.
    #[arg(long, value_name = "PLAIN")]
    pub(crate) out: PathBuf,

    /// Give up on the download after this long.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration::parse)]
    pub(crate) timeout: Duration,
}

/// `flows load`.
#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// The endpoint URL (http or https).
    #[arg(value_name = "URL")]
    pub(crate) url: String,

    /// The business public key the requests are encrypted to (a private key works too).
    #[arg(long, value_name = "PEM")]
    pub(crate) public_key: PathBuf,

    /// How many requests to send (each one encrypted separately, before sending starts; at most 1000000).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) requests: u32,

    /// How many requests in flight at once, each on its own keep-alive connection.
    #[arg(long, value_name = "C", default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: u16,

    /// Open loop: start R requests per second whatever the replies do, each one's latency timed from
    /// its intended start, so a stalled server cannot hide its queue. --concurrency is then the most
    /// connections open at once (a request finding none free waits, and that wait counts). In walk
    /// mode: start R walks per second, at most --users in flight, each timed from its intended start.
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) rate: Option<u32>,

    /// Stop sending after this long even if requests are left (30s, 2m, ...).
    #[arg(long, value_name = "D", value_parser = duration::parse)]
    pub(crate) duration: Option<Duration>,

    /// The plaintext request JSON (default: a ping, {"version":"3.0","action":"ping"}). In walk
    /// mode, with --flow-action navigate: the first screen's data, a JSON object.
    #[arg(long, value_name = "JSON")]
    pub(crate) payload: Option<String>,

    /// Sign every request with the app secret held in this environment variable.
    #[arg(long, value_name = "NAME")]
    pub(crate) app_secret_env: Option<String>,

    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub(crate) json: bool,

    /// Do not check that 200 replies decrypt (for stub endpoints that answer without decrypting).
    #[arg(long)]
    pub(crate) no_verify_replies: bool,

    /// Per-request timeout; a request that takes longer counts as an error.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = duration::parse)]
    pub(crate) timeout: Duration,

    /// Walk mode: the Flow JSON the simulated users walk (with --walk).
    #[arg(long, value_name = "FLOW_JSON", requires = "walk")]
    pub(crate) flow: Option<PathBuf>,

    /// Walk mode: every simulated user follows this `flows walk` script (a JSON array of steps),
    /// on the flow given with --flow.
    #[arg(
        long,
        value_name = "STEPS_JSON",
        requires = "flow",
        conflicts_with_all = ["requests", "concurrency", "no_verify_replies"]
    )]
    pub(crate) walk: Option<PathBuf>,

    /// Walk mode: how many simulated users walk at once (with --rate: the most walks in flight).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "walk", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) users: u16,

    /// Walk mode: how many walks in total, each with its own flow token.
    #[arg(long, value_name = "M", default_value_t = 100, requires = "walk", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub(crate) walks: u32,

    /// Walk mode: a JSON array of objects; walk i takes object i (cycling), whose values replace
    /// `{{name}}` in the script, and whose `flow_token`, if any, is that walk's flow token (e.g. one
    /// the endpoint issued). Without it each walk gets a fresh random token.
    #[arg(long, value_name = "JSON_FILE", requires = "walk")]
    pub(crate) walk_data: Option<PathBuf>,

    /// Walk mode: how the message opens the flow, as with `flows walk`.
    #[arg(long, value_name = "ACTION", requires = "walk")]
    pub(crate) flow_action: Option<crate::walk::FlowAction>,

    /// Walk mode, with --flow-action navigate: the first screen (--payload is then its data).
    #[arg(long, value_name = "S", requires = "walk")]
    pub(crate) screen: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
