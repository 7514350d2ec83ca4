//! A minimal HTTP/1.1 client over plain TCP for the black-box runs: one connection per request
//! (`Connection: close`), every wait under a timeout.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::{HttpReply, Target};

/// How long one request may take, connection to last byte.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A server reached over TCP.
#[derive(Clone, Copy, Debug)]
pub struct HttpTarget {
    addr: SocketAddr,
}

impl HttpTarget {
    /// A server listening on `addr`.
    #[must_use]
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
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
        let head = head("POST", path, self.addr, headers, body.len());
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await.unwrap();
            let (first, rest) = body.split_at(split.min(body.len()));
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(first).await.unwrap();
            stream.flush().await.unwrap();
            pause.await;
            stream.write_all(rest).await.unwrap();
            read_reply(stream).await
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .expect("HTTP exchange timed out")
    }

    async fn roundtrip(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> HttpReply {
        let head = head(method, path, self.addr, headers, body.len());
        let exchange = async {
            let stream = TcpStream::connect(self.addr).await.unwrap();
            let (reader, mut writer) = stream.into_split();
            // Write and read at once: a server may answer (413) before it has read the whole body.
            let write = async {
                let _ = writer.write_all(head.as_bytes()).await;
                let _ = writer.write_all(&body).await;
                let _ = writer.flush().await;
                writer
            };
            let (_writer, reply) = tokio::join!(write, read_reply(reader));
            reply
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .expect("HTTP exchange timed out")
    }
}

impl Target for HttpTarget {
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> HttpReply {
        self.roundtrip("POST", path, headers, body).await
    }

    async fn get(&self, path: &str) -> HttpReply {
        self.roundtrip("GET", path, &[], Vec::new()).await
    }
}

fn head(
    method: &str,
    path: &str,
    addr: SocketAddr,
    headers: &[(&str, String)],
    len: usize,
) -> String {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {len}\r\n"
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// Reads until the server closes the connection (or resets it after answering), then parses.
async fn read_reply(mut stream: impl tokio::io::AsyncRead + Unpin) -> HttpReply {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> HttpReply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP reply: {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut body = raw[end + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("bad status line: {head}"));
    let mut content_type = String::new();
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-type") {
            content_type = value.to_owned();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            body.truncate(value.parse().unwrap_or(body.len()));
        }
    }
    if chunked {
        body = dechunk(&body);
    }
    HttpReply {
        status,
        content_type,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}
