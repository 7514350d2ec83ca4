//! The black-box runs' HTTP client: hyper-util's pooled client (the CLI's), over plain TCP, every
//! exchange under a timeout. The TLS target ([`crate::tls`]) shares how replies are read.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body, Frame, SizeHint};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tokio::sync::oneshot;

use crate::{HttpReply, Target};

/// How long one request may take, connection to last byte.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The request body every client here sends: all at once, or held back part-way ([`Paused`]).
pub(crate) type RequestBody = UnsyncBoxBody<Bytes, Infallible>;

/// A server reached over TCP.
#[derive(Clone, Debug)]
pub struct HttpTarget {
    addr: SocketAddr,
    client: Client<HttpConnector, RequestBody>,
}

impl HttpTarget {
    /// A server listening on `addr`.
    #[must_use]
    pub fn new(addr: SocketAddr) -> Self {
        // A connection per request: a pooled connection the server closes after a 413 (its body
        // unread) would race the next request, and the metrics count requests, not connections.
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build_http();
        Self { addr, client }
    }

    /// One request; an error (refused, reset, timed out) as text, for checks that expect one.
    ///
    /// # Errors
    /// What went wrong, with its causes.
    pub async fn request(
        &self,
        method: http::Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> Result<HttpReply, String> {
        self.send(
            method,
            path,
            headers,
            Full::new(Bytes::from(body)).boxed_unsync(),
        )
        .await
    }

    /// `POST path`, sending the headers and the first `split` bytes of `body`, then awaiting `pause`,
    /// then the rest: a request that is in flight while `pause` runs.
    ///
    /// # Panics
    /// If the exchange fails or takes longer than 30 s.
    pub async fn post_with_pause(
        &self,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
        split: usize,
        pause: impl Future<Output = ()>,
    ) -> HttpReply {
        let (sent_first, first_sent) = oneshot::channel();
        let (open_gate, gate) = oneshot::channel();
        let mut body = Bytes::from(body);
        let first = body.split_to(split.min(body.len()));
        let paused = Paused {
            len: (first.len() + body.len()) as u64,
            first: Some(first),
            rest: Some(body),
            sent_first: Some(sent_first),
            gate,
        };
        let exchange = self.send(http::Method::POST, path, headers, paused.boxed_unsync());
        let pausing = async {
            // Hyper asks for the rest only once the first part is written out.
            let _ = first_sent.await;
            pause.await;
            let _ = open_gate.send(());
        };
        let (reply, ()) = tokio::join!(exchange, pausing);
        reply.unwrap_or_else(|e| panic!("POST {path} with a pause: {e}"))
    }

    async fn send(
        &self,
        method: http::Method,
        path: &str,
        headers: &[(&str, String)],
        body: RequestBody,
    ) -> Result<HttpReply, String> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request.body(body).map_err(|e| e.to_string())?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| error_chain(&e))?;
            read_reply(response).await
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| "HTTP exchange timed out".to_owned())?
    }
}

impl Target for HttpTarget {
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> HttpReply {
        self.request(http::Method::POST, path, headers, body)
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    async fn get(&self, path: &str) -> HttpReply {
        self.request(http::Method::GET, path, &[], Vec::new())
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }
}

/// Status, content type and the whole body of a reply.
pub(crate) async fn read_reply(
    response: http::Response<hyper::body::Incoming>,
) -> Result<HttpReply, String> {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| error_chain(&e))?
        .to_bytes()
        .to_vec();
    Ok(HttpReply {
        status,
        content_type,
        body,
    })
}

/// An error and its causes on one line (hyper's own message alone says little).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A body sent in two parts: the first at once, the rest once the gate opens. Its length is known,
/// so it goes out with `content-length` like any other.
struct Paused {
    len: u64,
    first: Option<Bytes>,
    rest: Option<Bytes>,
    sent_first: Option<oneshot::Sender<()>>,
    gate: oneshot::Receiver<()>,
}

impl Body for Paused {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(first) = self.first.take() {
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        if let Some(sent_first) = self.sent_first.take() {
            let _ = sent_first.send(());
        }
        // A dropped gate (the test gave up) sends the rest too: nothing waits forever.
        let _ = ready!(Pin::new(&mut self.gate).poll(cx));
        Poll::Ready(self.rest.take().map(|rest| Ok(Frame::data(rest))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len)
    }
}
