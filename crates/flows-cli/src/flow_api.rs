//! `flows flow ...`: Meta's Flows API (list, create, upload the Flow JSON, publish, deprecate, delete,
//! get, preview).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hyper::Method;
use hyper::body::Bytes;
use serde_json::Value;

use crate::cli::GraphApi;
use crate::error::{Exit, Failure};
use crate::graph::{FORM, Graph, form, node_id};
use crate::lint_gate;

/// The categories Meta accepts for a flow.
const CATEGORIES: [&str; 9] = [
    "SIGN_UP",
    "SIGN_IN",
    "APPOINTMENT_BOOKING",
    "LEAD_GENERATION",
    "CONTACT_US",
    "CUSTOMER_SUPPORT",
    "SURVEY",
    "SHOPPING",
    "OTHER",
];

/// What `get` asks for.
const GET_FIELDS: &str = "id,name,status,categories,validation_errors,json_version,data_api_version,endpoint_uri,health_status";

/// Meta's limit for an uploaded Flow JSON.
const MAX_FLOW_JSON: u64 = 10 << 20;

/// `flows flow`.
#[derive(Debug, Args)]
pub(crate) struct FlowArgs {
    #[command(subcommand)]
    command: FlowCommand,
}

#[derive(Debug, Subcommand)]
enum FlowCommand {
    /// List the flows of a WhatsApp Business Account: id, status, name, categories.
    #[command(after_help = "\
Example:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow list --waba-id 102290129340398")]
    List(ListArgs),

    /// Create a flow, optionally with its Flow JSON (linted first) and published at once.
    #[command(after_help = "\
Examples:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow create --waba-id 102290129340398 --name 'Book an appointment' \\
      --category APPOINTMENT_BOOKING --json flow.json --endpoint-uri https://example.com/flow
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow create --waba-id 102290129340398 --name Survey --category SURVEY OTHER

Prints the new flow's id. With --json the file is linted first and refused on errors (--no-lint to skip);
Meta's own validation errors are printed as FILE:LINE:COL: error[CODE]: message, and exit status is 1.")]
    Create(CreateArgs),

    /// Upload (replace) a flow's Flow JSON; lints it first.
    #[command(after_help = "\
Example:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow upload 1234567890 flow.json

The file is linted first and refused on errors (--no-lint to skip). Meta's validation errors are printed
as FILE:LINE:COL: error[CODE]: message, pointing into the local file; exit status 1 when there are any.")]
    Upload(UploadArgs),

    /// Publish a flow (irreversible: a published flow can only be deprecated).
    #[command(after_help = "\
Example:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow publish 1234567890")]
    Publish(IdArgs),

    /// Deprecate a published flow: it can no longer be sent.
    #[command(after_help = "\
Example:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow deprecate 1234567890")]
    Deprecate(IdArgs),

    /// Delete a draft flow.
    #[command(after_help = "\
Example:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow delete 1234567890")]
    Delete(IdArgs),

    /// Show a flow: status, categories, versions, endpoint URI, health, validation errors.
    #[command(after_help = "\
Example:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow get 1234567890")]
    Get(IdArgs),

    /// Print a flow's preview URL (public; expires after 30 days).
    #[command(after_help = "\
Examples:
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow preview 1234567890
  WHATSAPP_ACCESS_TOKEN=EAAG... flows flow preview 1234567890 --interactive --flow-action data_exchange \\
      --flow-token $(flows-appointments issue-token) --phone-number 15550783881

The URL goes to stdout, its expiry to stderr. --invalidate makes Meta issue a new URL (the old one stops working).")]
    Preview(PreviewArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// The WhatsApp Business Account id.
    #[arg(long, value_name = "ID")]
    waba_id: String,

    #[command(flatten)]
    api: GraphApi,
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// The WhatsApp Business Account id.
    #[arg(long, value_name = "ID")]
    waba_id: String,

    /// The flow's name (unique in the account).
    #[arg(long, value_name = "N")]
    name: String,

    /// One or more categories.
    #[arg(long = "category", value_name = "C", required = true, num_args = 1.., value_delimiter = ',',
          value_parser = clap::builder::PossibleValuesParser::new(CATEGORIES))]
    categories: Vec<String>,

    /// The Flow JSON file to create the flow with.
    #[arg(long = "json", value_name = "FILE")]
    json: Option<PathBuf>,

    /// The flow's data endpoint URL.
    #[arg(long, value_name = "URL")]
    endpoint_uri: Option<String>,

    /// Publish at once (needs --json).
    #[arg(long, requires = "json")]
    publish: bool,

    /// Do not lint the Flow JSON before sending it.
    #[arg(long)]
    no_lint: bool,

    #[command(flatten)]
    api: GraphApi,
}

#[derive(Debug, Args)]
struct UploadArgs {
    /// The flow id.
    #[arg(value_name = "FLOW_ID")]
    flow_id: String,

    /// The Flow JSON file.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Do not lint the Flow JSON before uploading it.
    #[arg(long)]
    no_lint: bool,

    #[command(flatten)]
    api: GraphApi,
}

#[derive(Debug, Args)]
struct IdArgs {
    /// The flow id.
    #[arg(value_name = "FLOW_ID")]
    flow_id: String,

    #[command(flatten)]
    api: GraphApi,
}

#[derive(Debug, Args)]
struct PreviewArgs {
    /// The flow id.
    #[arg(value_name = "FLOW_ID")]
    flow_id: String,

    /// An interactive preview (the flow runs, calling its endpoint) instead of a static one.
    #[arg(long)]
    interactive: bool,

    /// The flow token the interactive preview sends to the endpoint.
    #[arg(long, value_name = "T", requires = "interactive")]
    flow_token: Option<String>,

    /// How the interactive preview opens the flow.
    #[arg(long, value_name = "A", requires = "interactive", value_parser = ["navigate", "data_exchange"])]
    flow_action: Option<String>,

    /// The phone number the interactive preview acts as.
    #[arg(long, value_name = "P", requires = "interactive")]
    phone_number: Option<String>,

    /// Make Meta issue a new preview URL, invalidating the old one.
    #[arg(long)]
    invalidate: bool,

    #[command(flatten)]
    api: GraphApi,
}

/// Runs a `flows flow` subcommand.
pub(crate) async fn run(args: FlowArgs) -> Result<Exit, Failure> {
    match args.command {
        FlowCommand::List(args) => list(&args).await,
        FlowCommand::Create(args) => create(&args).await,
        FlowCommand::Upload(args) => upload(&args).await,
        FlowCommand::Publish(args) => {
            simple(&args, Method::POST, Some("publish"), "published").await
        }
        FlowCommand::Deprecate(args) => {
            simple(&args, Method::POST, Some("deprecate"), "deprecated").await
        }
        FlowCommand::Delete(args) => simple(&args, Method::DELETE, None, "deleted").await,
        FlowCommand::Get(args) => get(&args).await,
        FlowCommand::Preview(args) => preview(&args).await,
    }
}

async fn list(args: &ListArgs) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.api)?;
    let waba = node_id("--waba-id", &args.waba_id)?;
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    // Meta pages the list; a cap keeps a misbehaving server from looping us forever.
    for _ in 0..100 {
        let mut query = vec![("fields", "id,name,status,categories")];
        if let Some(cursor) = &after {
            query.push(("after", cursor.as_str()));
        }
        let uri = graph.uri(&[waba, "flows"], &query)?;
        let page = graph.call(Method::GET, &uri, None, Bytes::new()).await?;
        rows.extend(
            page.get("data")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
        );
        let has_next = page.pointer("/paging/next").is_some();
        after = page
            .pointer("/paging/cursors/after")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if !has_next || after.is_none() {
            break;
        }
    }
    if rows.is_empty() {
        println!("no flows in WhatsApp Business Account {waba}");
        return Ok(Exit::Success);
    }
    let field = |row: &Value, key: &str| {
        row.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let table: Vec<[String; 4]> = rows
        .iter()
        .map(|row| {
            [
                field(row, "id"),
                field(row, "status"),
                field(row, "name"),
                strings(row.get("categories")).join(","),
            ]
        })
        .collect();
    let width = |i: usize| {
        table
            .iter()
            .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
            .max()
            .unwrap_or(0)
            .max(["ID", "STATUS", "NAME"].get(i).map_or(0, |h| h.len()))
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    println!("{:w0$}  {:w1$}  {:w2$}  CATEGORIES", "ID", "STATUS", "NAME");
    for [id, status, name, categories] in &table {
        println!("{id:w0$}  {status:w1$}  {name:w2$}  {categories}");
    }
    Ok(Exit::Success)
}

async fn create(args: &CreateArgs) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.api)?;
    let waba = node_id("--waba-id", &args.waba_id)?;
    let categories = serde_json::to_string(&args.categories)
        .map_err(|e| Failure::local(format!("cannot encode the categories: {e}")))?;
    let flow_json = match &args.json {
        Some(path) => Some(read_linted(path, args.no_lint)?),
        None => None,
    };
    if let Some(uri) = &args.endpoint_uri {
        crate::http::parse_url(uri)?;
    }
    let mut fields = vec![
        ("name", args.name.as_str()),
        ("categories", categories.as_str()),
    ];
    if let Some(text) = &flow_json {
        fields.push(("flow_json", text.as_str()));
    }
    if let Some(uri) = &args.endpoint_uri {
        fields.push(("endpoint_uri", uri.as_str()));
    }
    if args.publish {
        fields.push(("publish", "true"));
    }
    let uri = graph.uri(&[waba, "flows"], &[])?;
    let answer = graph
        .call(Method::POST, &uri, Some(FORM), Bytes::from(form(&fields)))
        .await?;
    let Some(id) = answer.get("id").and_then(Value::as_str) else {
        return Err(Failure::remote(format!(
            "the Graph API did not return the new flow's id: {}",
            crate::http::snippet(answer.to_string().as_bytes(), 300)
        )));
    };
    println!("{id}");
    eprintln!("created flow {id} ({})", args.name);
    let file = args.json.as_ref().map(|p| p.display().to_string());
    let errors = meta_errors(&answer, file.as_deref().unwrap_or(id), flow_json.as_deref());
    if errors > 0 {
        eprintln!(
            "Meta found {errors} error(s) in the Flow JSON: the flow was created as a draft{}; fix them and run `flows flow upload {id} FILE`",
            if args.publish {
                " and NOT published"
            } else {
                ""
            }
        );
        return Ok(Exit::Remote);
    }
    if args.publish {
        eprintln!("published");
    }
    Ok(Exit::Success)
}

async fn upload(args: &UploadArgs) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.api)?;
    let flow = node_id("FLOW_ID", &args.flow_id)?;
    let text = read_linted(&args.file, args.no_lint)?;
    let (content_type, body) = multipart(&[
        Part::text("name", "flow.json"),
        Part::text("asset_type", "FLOW_JSON"),
        Part {
            name: "file",
            file: Some(("flow.json", "application/json")),
            data: text.as_bytes(),
        },
    ]);
    let uri = graph.uri(&[flow, "assets"], &[])?;
    let answer = graph
        .call(Method::POST, &uri, Some(&content_type), body)
        .await?;
    let errors = meta_errors(&answer, &args.file.display().to_string(), Some(&text));
    if errors > 0 {
        eprintln!(
            "Meta found {errors} error(s): the Flow JSON was saved but cannot be published until they are fixed"
        );
        return Ok(Exit::Remote);
    }
    if answer.get("success").and_then(Value::as_bool) != Some(true) {
        return Err(Failure::remote(format!(
            "the Graph API did not confirm the upload: {}",
            crate::http::snippet(answer.to_string().as_bytes(), 300)
        )));
    }
    println!("uploaded {} to flow {flow}", args.file.display());
    Ok(Exit::Success)
}

/// publish / deprecate / delete: one call answered with `{"success": true}`.
async fn simple(
    args: &IdArgs,
    method: Method,
    action: Option<&str>,
    done: &str,
) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.api)?;
    let flow = node_id("FLOW_ID", &args.flow_id)?;
    let mut segments = vec![flow];
    segments.extend(action);
    let uri = graph.uri(&segments, &[])?;
    let answer = graph.call(method, &uri, None, Bytes::new()).await?;
    if answer.get("success").and_then(Value::as_bool) == Some(true) {
        println!("{done} flow {flow}");
        Ok(Exit::Success)
    } else {
        Err(Failure::remote(format!(
            "the Graph API did not confirm it: {}",
            crate::http::snippet(answer.to_string().as_bytes(), 300)
        )))
    }
}

async fn get(args: &IdArgs) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.api)?;
    let flow = node_id("FLOW_ID", &args.flow_id)?;
    let uri = graph.uri(&[flow], &[("fields", GET_FIELDS)])?;
    let answer = graph.call(Method::GET, &uri, None, Bytes::new()).await?;
    let text = |key: &str| answer.get(key).and_then(Value::as_str).unwrap_or("-");
    println!("id: {}", text("id"));
    println!("name: {}", text("name"));
    println!("status: {}", text("status"));
    println!(
        "categories: {}",
        strings(answer.get("categories")).join(", ")
    );
    println!("json version: {}", text("json_version"));
    println!("data API version: {}", text("data_api_version"));
    println!("endpoint URI: {}", text("endpoint_uri"));
    match answer.get("health_status") {
        Some(health) => {
            let overall = health
                .get("can_send_message")
                .and_then(Value::as_str)
                .unwrap_or("-");
            println!("health: can send messages: {overall}");
            for entity in health
                .get("entities")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let field = |key: &str| entity.get(key).and_then(Value::as_str).unwrap_or("-");
                println!(
                    "  {} {}: {}",
                    field("entity_type"),
                    field("id"),
                    field("can_send_message")
                );
                for error in entity
                    .get("errors")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let code = error
                        .get("error_code")
                        .map(Value::to_string)
                        .unwrap_or_default();
                    let description = error
                        .get("error_description")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    println!("    error {code}: {description}");
                    if let Some(fix) = error.get("possible_solution").and_then(Value::as_str) {
                        println!("      see {fix}");
                    }
                }
                for info in strings(entity.get("additional_info")) {
                    println!("    {info}");
                }
            }
        }
        None => println!("health: -"),
    }
    let errors = answer
        .get("validation_errors")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if errors.is_empty() {
        println!("validation errors: none");
    } else {
        println!("validation errors: {}", errors.len());
        for d in lint_gate::from_meta(errors) {
            println!("{}", d.display(&format!("flow {flow}")));
        }
    }
    Ok(Exit::Success)
}

async fn preview(args: &PreviewArgs) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.api)?;
    let flow = node_id("FLOW_ID", &args.flow_id)?;
    let field = format!("preview.invalidate({})", args.invalidate);
    let uri = graph.uri(&[flow], &[("fields", &field)])?;
    let answer = graph.call(Method::GET, &uri, None, Bytes::new()).await?;
    let Some(url) = answer
        .pointer("/preview/preview_url")
        .and_then(Value::as_str)
    else {
        return Err(Failure::remote(format!(
            "the Graph API returned no preview URL: {}",
            crate::http::snippet(answer.to_string().as_bytes(), 300)
        )));
    };
    let mut params: Vec<(&str, &str)> = Vec::new();
    if args.interactive {
        params.push(("interactive", "true"));
    }
    if let Some(token) = &args.flow_token {
        params.push(("flow_token", token));
    }
    if let Some(action) = &args.flow_action {
        params.push(("flow_action", action));
    }
    if let Some(phone) = &args.phone_number {
        params.push(("phone_number", phone));
    }
    let mut url = url.to_owned();
    if !params.is_empty() {
        url.push(if url.contains('?') { '&' } else { '?' });
        url.push_str(&form(&params));
    }
    println!("{url}");
    if let Some(expires) = answer
        .pointer("/preview/expires_at")
        .and_then(Value::as_str)
    {
        eprintln!("expires at {expires}");
    }
    Ok(Exit::Success)
}

/// Reads a Flow JSON file and lints it unless told not to; lint errors refuse it (exit 2).
fn read_linted(path: &PathBuf, no_lint: bool) -> Result<String, Failure> {
    let size = std::fs::metadata(path)
        .map_err(|e| Failure::local(format!("cannot read {}: {e}", path.display())))?
        .len();
    if size > MAX_FLOW_JSON {
        return Err(Failure::local(format!(
            "{} is {size} bytes; Meta takes a Flow JSON of at most 10 MiB",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::local(format!("cannot read {}: {e}", path.display())))?;
    if no_lint {
        return Ok(text);
    }
    let errors = lint_gate::gate(&path.display().to_string(), &text);
    if errors > 0 {
        return Err(Failure::local(format!(
            "{} has {errors} error(s); nothing was sent to Meta (fix them, or pass --no-lint to send it anyway)",
            path.display()
        )));
    }
    Ok(text)
}

/// Prints the answer's `validation_errors` as diagnostics into `file` (whose text is `source`, when
/// it is a local file); returns how many.
fn meta_errors(answer: &Value, file: &str, source: Option<&str>) -> usize {
    let errors = answer
        .get("validation_errors")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    lint_gate::report(file, source, &lint_gate::from_meta(errors))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// One `multipart/form-data` part: a field, or a file with its name and content type.
struct Part<'a> {
    name: &'a str,
    file: Option<(&'a str, &'a str)>,
    data: &'a [u8],
}

impl<'a> Part<'a> {
    fn text(name: &'a str, value: &'a str) -> Self {
        Self {
            name,
            file: None,
            data: value.as_bytes(),
        }
    }
}

/// A `multipart/form-data` body (RFC 7578) and its content type. The boundary is chosen so that it
/// occurs in no part.
fn multipart(parts: &[Part<'_>]) -> (String, Bytes) {
    let mut n = 0_u32;
    let boundary = loop {
        let candidate = format!("flows-cli-boundary-{n:08x}");
        let needle = candidate.as_bytes();
        if !parts
            .iter()
            .any(|p| p.data.windows(needle.len()).any(|w| w == needle))
        {
            break candidate;
        }
        n += 1;
    };
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match part.file {
            Some((filename, content_type)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n",
                    part.name
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", part.name).as_bytes(),
            ),
        }
        body.extend_from_slice(part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (
        format!("multipart/form-data; boundary={boundary}"),
        Bytes::from(body),
    )
}
