//! Raw sockets, for what no real HTTP client sends: a request trickled one byte a second (slow
//! loris) and connections opened without a request. Everything else goes through hyper's client
//! ([`crate::HttpTarget`], [`crate::tls::HttpsTarget`]); keep it that way, and keep raw bytes here.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// How a trickled request ended.
pub(crate) enum Trickle {
    /// The server closed the connection after `sent` trickled bytes; `reply` is what it said first.
    Closed { sent: usize, reply: String },
    /// Every byte went out and the server was still waiting.
    AllSent,
}

/// The head of `POST /flow` announcing `content_length` bytes of JSON, as raw bytes to trickle.
pub(crate) fn post_head(addr: SocketAddr, content_length: usize) -> Vec<u8> {
    format!(
        "POST /flow HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {content_length}\r\n\r\n"
    )
    .into_bytes()
}

/// Sends `at_once`, then `trickled` one byte a second, until the server closes the connection.
pub(crate) async fn trickle(addr: SocketAddr, at_once: Vec<u8>, trickled: Vec<u8>) -> Trickle {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let sent = AtomicUsize::new(0);
    let read = async {
        let mut raw = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(buf.get(..n).unwrap_or_default()),
            }
        }
        String::from_utf8_lossy(&raw).into_owned()
    };
    let write = async {
        if writer.write_all(&at_once).await.is_err() {
            return;
        }
        for byte in &trickled {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            sent.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    tokio::select! {
        reply = read => Trickle::Closed {
            sent: sent.load(Ordering::Relaxed),
            reply,
        },
        () = write => Trickle::AllSent,
    }
}

/// A connection that sends nothing: it holds one of the server's connection slots until dropped.
pub(crate) async fn hold_open(addr: SocketAddr) -> TcpStream {
    TcpStream::connect(addr).await.unwrap()
}
