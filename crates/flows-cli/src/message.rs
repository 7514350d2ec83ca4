//! `flows message send`: an interactive flow message through the Cloud API.

use clap::{Args, Subcommand};
use hyper::Method;
use hyper::body::Bytes;
use serde_json::{Map, Value, json};

use crate::cli::GraphApi;
use crate::error::{Exit, Failure};
use crate::graph::{Graph, node_id};

/// Meta's limit for the button text.
const MAX_CTA: usize = 20;

/// `flows message`.
#[derive(Debug, Args)]
pub(crate) struct MessageArgs {
    #[command(subcommand)]
    command: MessageCommand,
}

#[derive(Debug, Subcommand)]
enum MessageCommand {
    /// Send a flow to a user as an interactive message; prints the message id.
    #[command(after_help = "\
Examples:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows message send --phone-number-id 106540352242922 --to 16505551234 \\
      --flow-id 1234567890 --cta 'Book now' --body 'Pick a time that suits you' \\
      --flow-token \"$(flows-appointments issue-token)\" --flow-action data_exchange
  WHATSAPP_ACCESS_TOKEN=EAAG... flows message send --phone-number-id 106540352242922 --to 16505551234 \\
      --flow-id 1234567890 --cta Start --body 'Tell us about you' --screen WELCOME \\
      --payload '{\"name\":\"Ana\"}' --draft

--flow-action navigate (the default) opens --screen with --payload as its data; data_exchange asks the
flow's endpoint for the first screen (INIT). --draft sends the flow's draft, to test it before publishing.")]
    Send(SendArgs),
}

#[derive(Debug, Args)]
struct SendArgs {
    /// The business phone number id that sends the message.
    #[arg(long, value_name = "ID")]
    phone_number_id: String,

    /// The user's WhatsApp number, with country code.
    #[arg(long, value_name = "NUMBER")]
    to: String,

    /// The flow to send.
    #[arg(long, value_name = "FLOW_ID")]
    flow_id: String,

    /// The button text (at most 20 characters).
    #[arg(long, value_name = "TEXT")]
    cta: String,

    /// The message text above the button.
    #[arg(long, value_name = "TEXT")]
    body: String,

    /// The flow token the endpoint and the completion webhook will see.
    #[arg(long, value_name = "T")]
    flow_token: Option<String>,

    /// How the flow opens.
    #[arg(long, value_name = "A", default_value = "navigate", value_parser = ["navigate", "data_exchange"])]
    flow_action: String,

    /// The first screen (navigate only; required there).
    #[arg(long, value_name = "S")]
    screen: Option<String>,

    /// The first screen's data, a JSON object (navigate only).
    #[arg(long, value_name = "JSON")]
    payload: Option<String>,

    /// Send the flow's draft instead of the published flow (for testing).
    #[arg(long)]
    draft: bool,

    #[command(flatten)]
    api: GraphApi,
}

/// Runs a `flows message` subcommand.
pub(crate) async fn run(args: MessageArgs) -> Result<Exit, Failure> {
    match args.command {
        MessageCommand::Send(args) => send(&args).await,
    }
}

async fn send(args: &SendArgs) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.api)?;
    let phone = node_id("--phone-number-id", &args.phone_number_id)?;
    let message = message(args)?;
    let uri = graph.uri(&[phone, "messages"], &[])?;
    let body = Bytes::from(message.to_string());
    let answer = graph
        .call(Method::POST, &uri, Some("application/json"), body)
        .await?;
    let Some(id) = answer.pointer("/messages/0/id").and_then(Value::as_str) else {
        return Err(Failure::remote(format!(
            "the Cloud API did not return a message id: {}",
            crate::http::snippet(answer.to_string().as_bytes(), 300)
        )));
    };
    println!("{id}");
    if let Some(wa_id) = answer.pointer("/contacts/0/wa_id").and_then(Value::as_str) {
        eprintln!("sent to WhatsApp user {wa_id}");
    }
    Ok(Exit::Success)
}

/// The Cloud API message: `interactive.type = flow`, `flow_message_version` 3.
fn message(args: &SendArgs) -> Result<Value, Failure> {
    let to = args.to.strip_prefix('+').unwrap_or(&args.to);
    if to.is_empty() || !to.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::local(format!(
            "--to must be a WhatsApp number with its country code (digits, optionally after +), not `{}`",
            args.to
        )));
    }
    let flow_id = node_id("--flow-id", &args.flow_id)?;
    let cta_len = args.cta.chars().count();
    if cta_len == 0 || cta_len > MAX_CTA {
        return Err(Failure::local(format!(
            "--cta must be 1 to {MAX_CTA} characters (Meta's limit), not {cta_len}"
        )));
    }
    if args.body.trim().is_empty() {
        return Err(Failure::local("--body must not be empty"));
    }
    let mut parameters = Map::new();
    parameters.insert("flow_message_version".into(), json!("3"));
    parameters.insert("flow_id".into(), json!(flow_id));
    parameters.insert("flow_cta".into(), json!(args.cta));
    if let Some(token) = &args.flow_token {
        parameters.insert("flow_token".into(), json!(token));
    }
    parameters.insert("flow_action".into(), json!(args.flow_action));
    if args.flow_action == "navigate" {
        let Some(screen) = &args.screen else {
            return Err(Failure::local(
                "--flow-action navigate needs --screen (the first screen's id); or use --flow-action data_exchange",
            ));
        };
        let mut payload = Map::new();
        payload.insert("screen".into(), json!(screen));
        if let Some(text) = &args.payload {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(data)) if !data.is_empty() => {
                    payload.insert("data".into(), Value::Object(data));
                }
                Ok(_) => {
                    return Err(Failure::local(
                        "--payload must be a non-empty JSON object (the first screen's data)",
                    ));
                }
                Err(e) => return Err(Failure::local(format!("--payload is not JSON: {e}"))),
            }
        }
        parameters.insert("flow_action_payload".into(), Value::Object(payload));
    } else if args.screen.is_some() || args.payload.is_some() {
        return Err(Failure::local(
            "--screen and --payload go with --flow-action navigate; with data_exchange the endpoint answers INIT",
        ));
    }
    if args.draft {
        parameters.insert("mode".into(), json!("draft"));
    }
    Ok(json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "flow",
            "body": {"text": args.body},
            "action": {"name": "flow", "parameters": parameters}
        }
    }))
}
