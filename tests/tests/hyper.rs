//! The conformance suite against the hyper adapter, called in-process (no sockets).

// Helpers of a test: a failure is a panic.
#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use flows_router::hyper::FlowService;
use flows_tests::{Fixture, HttpReply, Target, run_conformance};
use http_body_util::{BodyExt as _, Full};

struct Hyper(FlowService);

impl Hyper {
    async fn call(&self, request: http::request::Builder, body: Vec<u8>) -> HttpReply {
        let response = self
            .0
            .call(request.body(Full::new(Bytes::from(body))).unwrap())
            .await;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        HttpReply {
            status,
            content_type,
            body: body.to_vec(),
        }
    }
}

impl Target for Hyper {
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> HttpReply {
        let mut request = http::Request::post(path);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        self.call(request, body).await
    }

    async fn get(&self, path: &str) -> HttpReply {
        self.call(http::Request::get(path), Vec::new()).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_adapter_conforms() {
    let fixture = Fixture::new();
    let target = Hyper(FlowService::new(fixture.endpoint()));
    run_conformance(&target, &fixture).await;
}
