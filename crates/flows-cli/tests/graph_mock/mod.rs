//! The CLI tests' one mock HTTP server (the Graph API, a media CDN), on hyper at 127.0.0.1: records
//! every request (method, path, query, headers, body) and answers with the scripted replies in order.

#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// What the mock answers.
pub enum Answer {
    /// Status and JSON body.
    Json(u16, Value),
    /// Status, content type and body (media, error pages).
    Raw(u16, &'static str, Vec<u8>),
    /// Read the request, then say nothing for this long (for timeouts).
    Silence(Duration),
}

/// One multipart part: field name, file name, content type, data.
pub type Part = (String, Option<String>, Option<String>, Vec<u8>);

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: hyper::HeaderMap,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The request target as sent: the path, and `?query` if there was one.
    pub fn path_and_query(&self) -> String {
        match &self.query {
            Some(query) => format!("{}?{query}", self.path),
            None => self.path.clone(),
        }
    }

    /// The query string's pairs, decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(self.query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect()
    }

    /// The `application/x-www-form-urlencoded` body's pairs, decoded.
    pub fn form(&self) -> Vec<(String, String)> {
        assert_eq!(
            self.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// The value of one form field.
    pub fn form_field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// The JSON body.
    pub fn json(&self) -> Value {
        assert_eq!(self.header("content-type"), Some("application/json"));
        serde_json::from_slice(&self.body).unwrap()
    }

    /// The `multipart/form-data` body's parts (name, file name, content type, data), parsed by multer.
    pub fn multipart(&self) -> Vec<Part> {
        let content_type = self.header("content-type").unwrap();
        let boundary = multer::parse_boundary(content_type).unwrap();
        let body = Bytes::from(self.body.clone());
        let stream = futures_stream(body);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut parts = multer::Multipart::new(stream, boundary);
            let mut out = Vec::new();
            while let Some(field) = parts.next_field().await.unwrap() {
                let name = field.name().unwrap().to_owned();
                let file = field.file_name().map(str::to_owned);
                let content_type = field.content_type().map(ToString::to_string);
                let data = field.bytes().await.unwrap().to_vec();
                out.push((name, file, content_type, data));
            }
            out
        })
    }
}

fn futures_stream(
    body: Bytes,
) -> impl futures_core::Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    struct Once(Option<Bytes>);
    impl futures_core::Stream for Once {
        type Item = Result<Bytes, Infallible>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.take().map(Ok))
        }
    }
    Once(Some(body))
}

/// The mock server; lives until the test process exits.
pub struct MockGraph {
    pub url: String,
    requests: mpsc::Receiver<Seen>,
}

impl MockGraph {
    pub fn start(answers: Vec<Answer>) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let (sender, requests) = mpsc::channel();
        let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let Ok((stream, _)) = listener.accept().await else {
                        continue;
                    };
                    let sender = sender.clone();
                    let answers = Arc::clone(&answers);
                    tokio::spawn(async move {
                        let service = service_fn(move |request| {
                            let sender = sender.clone();
                            let answers = Arc::clone(&answers);
                            async move {
                                Ok::<_, Infallible>(answer(request, &sender, &answers).await)
                            }
                        });
                        http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await
                            .ok();
                    });
                }
            });
        });
        Self { url, requests }
    }

    /// The next request the mock received (waits up to 10 s).
    pub fn next(&self) -> Seen {
        self.requests
            .recv_timeout(Duration::from_secs(10))
            .expect("the mock Graph API received no request")
    }

    /// Asserts that no (further) request arrived. Call after the binary exited.
    pub fn assert_no_more(&self) {
        if let Ok(seen) = self.requests.try_recv() {
            panic!("unexpected request: {} {}", seen.method, seen.path);
        }
    }
}

async fn answer(
    request: Request<Incoming>,
    sender: &mpsc::Sender<Seen>,
    answers: &Mutex<VecDeque<Answer>>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    sender
        .send(Seen {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            query: parts.uri.query().map(str::to_owned),
            headers: parts.headers,
            body,
        })
        .ok();
    let next = answers.lock().unwrap().pop_front();
    match next {
        Some(Answer::Json(status, value)) => Response::builder()
            .status(StatusCode::from_u16(status).unwrap())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(value.to_string())))
            .unwrap(),
        Some(Answer::Raw(status, content_type, body)) => Response::builder()
            .status(StatusCode::from_u16(status).unwrap())
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(body)))
            .unwrap(),
        Some(Answer::Silence(how_long)) => {
            tokio::time::sleep(how_long).await;
            Response::new(Full::new(Bytes::new()))
        }
        None => Response::builder()
            .status(500)
            .body(Full::new(Bytes::from_static(b"no more scripted answers")))
            .unwrap(),
    }
}
