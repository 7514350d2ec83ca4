//! A headless WhatsApp client: runs a Flow JSON against its endpoint the way the WhatsApp app does,
//! with the real encrypted protocol, so a flow and its endpoint can be walked end to end in a test
//! or in CI without a phone.
//!
//! - [`PreparedFlow`]: a flow checked once and shared by any number of phones (a load run).
//! - [`Simulator`] keeps what the phone keeps (flow-client.md §3): the screen stack, each screen's
//!   data (from replies and navigate payloads; `__example__` values are never used) and form
//!   values, `init-values` and `error-messages`, with `visible`, `enabled`, `If` and `Switch`
//!   evaluated by [`flows_json::expr`].
//! - User actions: [`Simulator::set`] (fires on-select / on-unselect), [`Simulator::tap`] (Footer,
//!   EmbeddedLink, NavigationList item, by the label shown), [`Simulator::back`].
//! - Client-side validation as the phone applies it; a Footer the phone would not let you press is
//!   refused with [`ActionError::FooterDisabled`] and the reasons.
//! - Requests are built, encrypted and signed as the client does; replies are checked with
//!   [`flows_json::reply::ReplyContract`], and a reply the phone would reject is an error of the
//!   walk *and* makes the simulator send the endpoint the client's error notification.
//! - Endpoint errors as the client treats them: 421 (fetch the key again, retry once), 427 (flow
//!   disabled with `error_msg`), 432 and other statuses, a 10 s timeout.
//! - Transports: [`Http`] (what WhatsApp does; [`Http::pooled`] lets many phones share one pool of
//!   keep-alive connections, as `flows load --walk` does) and [`InProcess`] (a
//!   `flows_router::Endpoint`, no socket). Every exchange lands in the [`Transcript`].
//! - [`script`]: the JSON step scripts of `flows walk`.
//!
//! ```
//! use flows_router::{Context, Endpoint, FlowResponse, Router};
//! use flows_simulator::{FlowState, InProcess, Open, Simulator};
//! use whatsapp_flows_crypto::{KeySet, PrivateKey};
//!
//! let flow = flows_json::Flow::from_json(r#"{
//!   "version": "7.2", "data_api_version": "3.0", "routing_model": {"HELLO": []},
//!   "screens": [{"id": "HELLO", "title": "Hello", "terminal": true,
//!     "data": {"name": {"type": "string", "__example__": "Ana"}},
//!     "layout": {"type": "SingleColumnLayout", "children": [
//!       {"type": "TextInput", "name": "city", "label": "City", "required": true},
//!       {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete", "payload": {"city": "${form.city}"}}}
//!     ]}}]
//! }"#)?;
//! # let pem = include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem");
//! let key = PrivateKey::from_pem(pem, None)?;
//! let router = Router::new()
//!     .on_init(|_cx: Context<()>| async { Ok(FlowResponse::next_screen("HELLO").with("name", "Ana")) })
//!     .with_state(());
//! let endpoint = Endpoint::builder(KeySet::new(key.clone()), router).build();
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let transport = InProcess::new(endpoint, key.public_key().clone());
//! let mut phone = Simulator::open(flow, transport, Open::data_exchange("token-1")).await?;
//! assert_eq!(phone.screen().id(), "HELLO");
//! assert_eq!(phone.screen().data()["name"], "Ana");
//! assert!(phone.tap("Done").await.is_err()); // City is required
//! phone.set("city", "Lisbon").await?;
//! phone.tap("Done").await?;
//! assert_eq!(phone.completion().unwrap()["city"], "Lisbon");
//! assert!(matches!(phone.state(), FlowState::Completed { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Where this follows the client rather than a document
//!
//! `refresh_on_back` sends `BACK` when leaving the screen that has it, as Meta's reference says
//! ("when using the back button while on this screen"). Values that read as undefined are left
//! out of payloads, as `JSON.stringify` leaves them out. The 421 retry waits 500 ms, as the client.
//!
//! # Dependencies
//!
//! flows-json (model, expressions, reply contract), flows-router (the in-process endpoint),
//! whatsapp-flows-crypto (the client's encryption), hyper/hyper-util/hyper-rustls (the HTTP
//! transport, as flows-cli), tokio (timeouts), regex (TextInput `pattern`), base64 (the Data API
//! 4.0 `flow_token_signature` JWT).

#![forbid(unsafe_code)]

mod engine;
mod error;
mod render;
pub mod script;
mod transcript;
mod transport;
mod view;

pub use engine::{
    CLIENT_TIMEOUT, CompletedBy, ComponentView, FlowState, GENERIC_ERROR, Open, PreparedFlow,
    ScreenView, Simulator,
};
pub use error::{ActionError, WalkError};
pub use transcript::{Exchange, ExchangeKind, Transcript};
pub use transport::{Http, InProcess, RawReply, Transport, TransportError};
pub use view::{
    ComponentDetail, FooterDetail, ImageDetail, ItemDetail, OptionDetail, READ_MORE, ScreenDetail,
};
