//! The request body as the application sees it: hyper's body, cut off at the body read timeout.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};

use crate::BoxError;

/// The body of every request [`Server`](crate::Server) hands to the application: hyper's
/// [`Incoming`], which fails with [`BodyTimeout`] if it has not been read to its end within the
/// body read timeout (`FLOWS_BODY_TIMEOUT`) of the request's arrival. A client trickling its body
/// therefore cannot hold a connection, or the handler waiting for the body, for longer.
#[derive(Debug)]
pub struct RequestBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    timeout: Duration,
    timed_out: bool,
}

impl RequestBody {
    pub(crate) fn new(inner: Incoming, timeout: Duration) -> Self {
        Self {
            inner,
            deadline: Box::pin(tokio::time::sleep(timeout)),
            timeout,
            timed_out: false,
        }
    }
}

/// The body was not received within the body read timeout.
#[derive(Debug, thiserror::Error)]
#[error("request body not received within {timeout:?}")]
pub struct BodyTimeout {
    /// The timeout.
    pub timeout: Duration,
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        if this.timed_out {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => Poll::Ready(frame.map(|f| f.map_err(BoxError::from))),
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.timed_out = true;
                    Poll::Ready(Some(Err(Box::new(BodyTimeout {
                        timeout: this.timeout,
                    }))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.timed_out || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
