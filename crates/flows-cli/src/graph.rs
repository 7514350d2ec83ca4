//! The Graph API client every Meta-facing subcommand uses, and `flows register` / `flows key-status`
//! (Meta's `whatsapp_business_encryption` endpoint).

use std::time::Duration;

use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, Uri};
use serde_json::Value;
use whatsapp_flows_crypto::{PublicKey, Zeroizing};

use crate::cli::{GraphApi, GraphArgs, KeyStatusArgs, RegisterArgs};
use crate::error::{Exit, Failure};
use crate::http::{self, Reply};
use crate::keys;

/// The environment variable holding the Graph API access token.
pub(crate) const TOKEN_ENV: &str = "WHATSAPP_ACCESS_TOKEN";

/// `POST {graph}/{version}/{phone}/whatsapp_business_encryption` with `business_public_key=<PEM>`.
pub(crate) async fn register(args: &RegisterArgs, passphrase_env: &str) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.graph.api)?;
    let uri = encryption_uri(&graph, &args.graph)?;
    let public = keys::load_public(&args.key, passphrase_env)?;
    let form = form(&[("business_public_key", &public.to_pem())]);
    let json = graph
        .call(Method::POST, &uri, Some(FORM), Bytes::from(form))
        .await?;
    if json.get("success").and_then(Value::as_bool) == Some(true) {
        println!(
            "registered public key {} for phone number {}",
            public.fingerprint(),
            args.graph.phone_number_id
        );
        println!(
            "check it with: flows key-status --phone-number-id {} {}",
            args.graph.phone_number_id,
            args.key.display()
        );
        Ok(Exit::Success)
    } else {
        Err(Failure::remote(format!(
            "the Graph API did not confirm the registration: {}",
            http::snippet(json.to_string().as_bytes(), 300)
        )))
    }
}

/// `GET` on the same path: which key Meta has, its signature status, and whether it is `args.key`.
pub(crate) async fn key_status(
    args: &KeyStatusArgs,
    passphrase_env: &str,
) -> Result<Exit, Failure> {
    let graph = Graph::new(&args.graph.api)?;
    let uri = encryption_uri(&graph, &args.graph)?;
    let local = match &args.key {
        Some(path) => Some(keys::load_public(path, passphrase_env)?),
        None => None,
    };
    let json = graph.call(Method::GET, &uri, None, Bytes::new()).await?;
    let record = match json.get("data") {
        Some(Value::Array(items)) => items.first().cloned().unwrap_or(Value::Null),
        _ => json,
    };
    let registered_pem = record
        .get("business_public_key")
        .and_then(Value::as_str)
        .filter(|pem| !pem.trim().is_empty());
    let status = record
        .get("business_public_key_signature_status")
        .and_then(Value::as_str);

    let Some(registered_pem) = registered_pem else {
        println!(
            "no public key is registered for phone number {}",
            args.graph.phone_number_id
        );
        if let Some(local) = &local {
            println!("local key: {}", local.fingerprint());
            println!("same key: no");
        }
        println!(
            "register one with: flows register --phone-number-id {} KEY",
            args.graph.phone_number_id
        );
        return Ok(Exit::Remote);
    };
    let registered = PublicKey::from_pem(registered_pem).map_err(|e| {
        Failure::remote(format!(
            "the key Meta returned is not a usable public key: {e}"
        ))
    })?;
    println!("registered key: {}", registered.fingerprint());
    let status = status.unwrap_or("(not reported)");
    println!("signature status: {status}");
    let valid = status == "VALID";
    if status == "MISMATCH" {
        println!(
            "  MISMATCH: Meta's signature over the key does not check out (e.g. after the number was re-registered): \
             register the key again"
        );
    }
    let mut same = true;
    if let Some(local) = &local {
        same = *local == registered;
        println!("local key: {}", local.fingerprint());
        println!("same key: {}", if same { "yes" } else { "no" });
        if !same {
            println!(
                "  Meta encrypts requests to the registered key, so an endpoint holding the local key answers 421: \
                 register the local key with `flows register` (or deploy the registered one)"
            );
        }
    }
    Ok(if valid && same {
        Exit::Success
    } else {
        Exit::Remote
    })
}

/// `{graph_url}/{api_version}/{phone_number_id}/whatsapp_business_encryption`.
fn encryption_uri(graph: &Graph, args: &GraphArgs) -> Result<Uri, Failure> {
    let id = node_id("--phone-number-id", &args.phone_number_id)?;
    graph.uri(&[id, "whatsapp_business_encryption"], &[])
}

/// `application/x-www-form-urlencoded`.
pub(crate) const FORM: &str = "application/x-www-form-urlencoded";

/// A Graph API client: base URL and version, the bearer token, one pooled connection, a timeout.
pub(crate) struct Graph {
    base: String,
    auth: (HeaderName, HeaderValue),
    client: http::Client,
    timeout: Duration,
}

impl Graph {
    /// Checks `--api-version` and the token, and sets up the client.
    pub(crate) fn new(api: &GraphApi) -> Result<Self, Failure> {
        let version = &api.api_version;
        if version.is_empty()
            || !version
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.')
        {
            return Err(Failure::local(format!(
                "--api-version must look like v23.0, not `{version}`"
            )));
        }
        let auth = authorization()?;
        // The URL is checked now, so that a bad --graph-url is a usage error before anything is read.
        http::parse_url(&api.graph_url)?;
        Ok(Self {
            base: format!("{}/{version}", api.graph_url.trim_end_matches('/')),
            auth,
            client: http::client(http::connector(api.timeout)?, 1),
            timeout: api.timeout,
        })
    }

    /// `{base}/{version}/{segments...}?{query}`; segments must be checked ids or fixed words.
    pub(crate) fn uri(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Uri, Failure> {
        let mut url = self.base.clone();
        for segment in segments {
            url.push('/');
            url.push_str(segment);
        }
        if !query.is_empty() {
            url.push('?');
            url.push_str(&form(query));
        }
        http::parse_url(&url)
    }

    /// Sends one request and returns the answer's JSON, or the Graph API's error (exit 1).
    pub(crate) async fn call(
        &self,
        method: Method,
        uri: &Uri,
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<Value, Failure> {
        let mut headers = vec![self.auth.clone()];
        if let Some(content_type) = content_type {
            let value = HeaderValue::from_str(content_type)
                .map_err(|_| Failure::local(format!("bad content type `{content_type}`")))?;
            headers.push((CONTENT_TYPE, value));
        }
        let reply = http::send(&self.client, method, uri, &headers, body, self.timeout)
            .await
            .map_err(|e| e.into_failure(uri, self.timeout))?;
        graph_json(&reply)
    }
}

/// A Graph API node id (phone number, WABA, flow): digits only, so it cannot change the path.
pub(crate) fn node_id<'a>(flag: &str, id: &'a str) -> Result<&'a str, Failure> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        let what = match flag {
            "--phone-number-id" => "the numeric phone number ID from WhatsApp Manager",
            "--waba-id" => "the numeric WhatsApp Business Account ID",
            _ => "a numeric Graph API id",
        };
        return Err(Failure::local(format!("{flag} must be {what}, not `{id}`")));
    }
    Ok(id)
}

/// The `Authorization: Bearer` header from `WHATSAPP_ACCESS_TOKEN` (marked sensitive; never printed).
fn authorization() -> Result<(HeaderName, HeaderValue), Failure> {
    let token = Zeroizing::new(std::env::var(TOKEN_ENV).unwrap_or_default());
    let token = token.trim();
    if token.is_empty() {
        return Err(Failure::local(format!(
            "the Graph API needs an access token: put it in the environment variable {TOKEN_ENV} \
             (a system user token with the whatsapp_business_messaging permission)"
        )));
    }
    let mut value = HeaderValue::try_from(Zeroizing::new(format!("Bearer {token}")).as_str())
        .map_err(|_| {
            Failure::local(format!(
                "{TOKEN_ENV} contains characters that cannot go in an HTTP header"
            ))
        })?;
    value.set_sensitive(true);
    Ok((AUTHORIZATION, value))
}

/// The answer as JSON, or the Graph API error shown plainly (exit 1).
fn graph_json(reply: &Reply) -> Result<Value, Failure> {
    let json: Option<Value> = serde_json::from_slice(&reply.body).ok();
    if let Some(error) = json.as_ref().and_then(|v| v.get("error")) {
        return Err(Failure::remote(describe_graph_error(
            reply.status.as_u16(),
            error,
        )));
    }
    match json {
        Some(json) if reply.status.is_success() => Ok(json),
        _ => Err(Failure::remote(format!(
            "the Graph API answered HTTP {}: {}",
            reply.status.as_u16(),
            http::snippet(&reply.body, 300)
        ))),
    }
}

/// `Graph API error (HTTP 400): <message> (type OAuthException, code 190, subcode 463, fbtrace_id X)`.
pub(crate) fn describe_graph_error(status: u16, error: &Value) -> String {
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)");
    let mut details = Vec::new();
    if let Some(kind) = error.get("type").and_then(Value::as_str) {
        details.push(format!("type {kind}"));
    }
    for (field, label) in [("code", "code"), ("error_subcode", "subcode")] {
        match error.get(field) {
            Some(Value::Number(n)) => details.push(format!("{label} {n}")),
            Some(Value::String(s)) => details.push(format!("{label} {s}")),
            _ => {}
        }
    }
    if let Some(trace) = error.get("fbtrace_id").and_then(Value::as_str) {
        details.push(format!("fbtrace_id {trace}"));
    }
    let mut out = format!("Graph API error (HTTP {status}): {message}");
    if !details.is_empty() {
        out.push_str(&format!(" ({})", details.join(", ")));
    }
    if let Some(user) = error.get("error_user_msg").and_then(Value::as_str) {
        out.push_str(&format!(" — {user}"));
    }
    out
}

/// An `application/x-www-form-urlencoded` body or query string.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form(&[("business_public_key", "-----BEGIN PUBLIC KEY-----\nab+/=\n")]),
            "business_public_key=-----BEGIN+PUBLIC+KEY-----%0Aab%2B%2F%3D%0A"
        );
    }

    #[test]
    fn graph_errors_read_plainly() {
        let error = serde_json::json!({
            "message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "AbC"
        });
        assert_eq!(
            describe_graph_error(400, &error),
            "Graph API error (HTTP 400): Invalid OAuth access token. (type OAuthException, code 190, fbtrace_id AbC)"
        );
    }
}
