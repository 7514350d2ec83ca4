//! The Flows endpoint of the `send`/`load` tests: a real `flows_router::Endpoint` (the one every
//! server here is built on), served by hyper on 127.0.0.1, so the CLI meets the statuses (432, 421,
//! 400, 427) as WhatsApp's client would.
//!
//! `Mode::Flows` answers ping with `{"data":{"status":"active"}}`, INIT with
//! `{"screen":"WELCOME","data":{"flow_token_seen":T}}`, a `data_exchange` from `APPOINTMENT` by
//! echoing its data on `NEXT`, and the flow tokens `expired` and `expired-encrypted` with a 427:
//! encrypted at `/flow`, plain JSON (as Meta's documentation shows it) at [`plain_427`]'s path.
//! `Mode::Trivial` answers every request 200 `ok` without decrypting (for measuring the load
//! generator, not a Flows endpoint).

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::convert::Infallible;

use flows_router::hyper::FlowService;
use flows_router::{Context, Endpoint, FlowResponse, HandlerResult, Router, Screen, TokenVerdict};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value};
use whatsapp_flows_crypto::{KeySet, SignatureVerifier};

/// How the endpoint behaves.
pub enum Mode {
    /// A real Flows endpoint with this key (and, if given, this app secret).
    Flows {
        keys: KeySet,
        secret: Option<&'static str>,
    },
    /// 200 `ok` for everything, no crypto.
    Trivial,
}

/// The path of the same endpoint answering 427 in plain JSON.
const PLAIN_427_PATH: &str = "/flow-plain-427";

/// The URL of the endpoint behind `url` (from [`start`]) that sends its 427s as plain JSON.
pub fn plain_427(url: &str) -> String {
    let base = url
        .strip_suffix("/flow")
        .expect("a URL from endpoint::start");
    format!("{base}{PLAIN_427_PATH}")
}

/// The echoing screen.
struct Appointment;

impl Screen<()> for Appointment {
    const NAME: &'static str = "APPOINTMENT";
    type Data = Map<String, Value>;

    async fn handle(&self, _: Context<()>, data: Self::Data) -> HandlerResult {
        Ok(FlowResponse::next_screen("NEXT").with("echo", data))
    }
}

fn flow() -> flows_router::Flow {
    Router::new()
        .on_init(|cx: Context<()>| async move {
            Ok(FlowResponse::next_screen("WELCOME").with("flow_token_seen", cx.flow_token()))
        })
        .flow_token_check(|cx: Context<()>| async move {
            match cx.flow_token() {
                Some("expired") => TokenVerdict::invalid("This flow has expired"),
                Some("expired-encrypted") => TokenVerdict::invalid("Flow closed by the business"),
                _ => TokenVerdict::Valid,
            }
        })
        .screen(Appointment)
        .with_state(())
}

fn endpoint(keys: &KeySet, secret: Option<&str>, plain_427: bool) -> Endpoint {
    let mut builder = Endpoint::builder(keys.clone(), flow()).plain_json_427(plain_427);
    if let Some(secret) = secret {
        builder = builder.app_secrets(SignatureVerifier::new(secret));
    }
    builder.build()
}

/// What answers each request.
#[derive(Clone)]
enum Service {
    Flows {
        encrypted_427: FlowService,
        plain_427: FlowService,
    },
    Trivial,
}

impl Service {
    async fn call(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        match self {
            Self::Trivial => Response::builder()
                .header("content-type", "text/plain")
                .body(Full::new(Bytes::from_static(b"ok")))
                .unwrap(),
            Self::Flows { plain_427, .. } if request.uri().path() == PLAIN_427_PATH => {
                plain_427.call(request).await
            }
            Self::Flows { encrypted_427, .. } => encrypted_427.call(request).await,
        }
    }
}

/// Starts the endpoint on its own runtime thread; returns its `/flow` URL. Lives until the test process
/// exits.
pub fn start(mode: Mode, worker_threads: usize) -> String {
    let service = match mode {
        Mode::Flows { keys, secret } => Service::Flows {
            encrypted_427: FlowService::new(endpoint(&keys, secret, false)),
            plain_427: FlowService::new(endpoint(&keys, secret, true)).path(PLAIN_427_PATH),
        },
        Mode::Trivial => Service::Trivial,
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/flow", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(worker_threads)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                stream.set_nodelay(true).ok();
                let service = service.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let service = service.clone();
                        async move { Ok::<_, Infallible>(service.call(request).await) }
                    });
                    http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                        .ok();
                });
            }
        });
    });
    url
}

/// The 427 test of `flows send` reads both bodies the same way, so the two paths are checked here:
/// `/flow` encrypts its 427, the plain path sends JSON as is.
#[test]
fn the_two_paths_differ_only_in_how_a_427_is_sent() {
    use flows_router::{Action, FlowRequest};
    use http_body_util::BodyExt as _;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    use whatsapp_flows_crypto::PrivateKey;

    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../whatsapp-flows-crypto/tests/fixtures/keys"
    );
    let pem = std::fs::read_to_string(format!("{dir}/rotation-new.pem")).unwrap();
    let key = PrivateKey::from_pem(&pem, None).unwrap();
    let url = start(
        Mode::Flows {
            keys: KeySet::new(key.clone()),
            secret: None,
        },
        1,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = Client::builder(TokioExecutor::new()).build_http();
    let expired = FlowRequest::new(Action::Init).with_flow_token("expired");
    for (url, plain) in [(url.clone(), false), (plain_427(&url), true)] {
        let (body, pending) = key
            .public_key()
            .encrypt_request_json(&expired)
            .unwrap()
            .into_parts();
        let request = Request::post(url.as_str())
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let (status, body) = runtime.block_on(async {
            let response = client.request(request).await.unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.into_body().collect().await.unwrap().to_bytes(),
            )
        });
        assert_eq!(status, 427, "{url}");
        let text = if plain {
            String::from_utf8(body.to_vec()).unwrap()
        } else {
            assert!(
                serde_json::from_slice::<Value>(&body).is_err(),
                "{url}: not encrypted"
            );
            pending.decrypt(&body).unwrap().to_string()
        };
        let reply: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reply["error_msg"], "This flow has expired", "{url}");
    }
}
