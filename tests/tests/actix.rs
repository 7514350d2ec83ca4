//! The conformance suite against the actix-web adapter, through `actix_web::test` (no sockets).

// Helpers of a test: a failure is a panic.
#![allow(clippy::unwrap_used)]

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::{App, test};
use flows_tests::{Fixture, HttpReply, Target, run_conformance};

struct Actix<S>(S);

impl<S, B> Actix<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    async fn call(&self, request: test::TestRequest) -> HttpReply {
        let response = test::call_service(&self.0, request.to_request()).await;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = test::read_body(response).await;
        HttpReply {
            status,
            content_type,
            body: body.to_vec(),
        }
    }
}

impl<S, B> Target for Actix<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Vec<u8>) -> HttpReply {
        let mut request = test::TestRequest::post().uri(path).set_payload(body);
        for (name, value) in headers {
            request = request.insert_header((*name, value.as_str()));
        }
        self.call(request).await
    }

    async fn get(&self, path: &str) -> HttpReply {
        self.call(test::TestRequest::get().uri(path)).await
    }
}

#[actix_web::test]
async fn actix_adapter_conforms() {
    let fixture = Fixture::new();
    let app = test::init_service(
        App::new().configure(flows_router::actix::configure(fixture.endpoint())),
    )
    .await;
    run_conformance(&Actix(app), &fixture).await;
}
