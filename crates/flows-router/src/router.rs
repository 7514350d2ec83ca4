//! Business handlers: one [`Screen`] per screen, an INIT handler, hooks; bound to shared state.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::request::{Action, ErrorNotification, FlowRequest};
use crate::response::FlowResponse;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a handler sees besides its data: the shared state and the request's envelope fields.
#[derive(Clone, Debug)]
pub struct Context<S> {
    state: S,
    request: Arc<RequestMeta>,
}

#[derive(Debug)]
struct RequestMeta {
    version: String,
    action: Action,
    screen: Option<String>,
    flow_token: Option<String>,
}

impl<S> Context<S> {
    /// The shared state given to [`Router::with_state`] (a database pool, configuration, ...).
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The flow token, if the client sent one (iOS clients have been seen to omit it).
    #[must_use]
    pub fn flow_token(&self) -> Option<&str> {
        self.request.flow_token.as_deref()
    }

    /// The request's action.
    #[must_use]
    pub fn action(&self) -> &Action {
        &self.request.action
    }

    /// The screen that sent the request.
    #[must_use]
    pub fn screen(&self) -> Option<&str> {
        self.request.screen.as_deref()
    }

    /// The Data API version the client speaks.
    #[must_use]
    pub fn version(&self) -> &str {
        &self.request.version
    }
}

/// A handler failure: logged with its cause and answered with HTTP 500, which Meta counts as an endpoint
/// error. To show the user a message instead, return `Ok(FlowResponse::next_screen(..).error_message(..))`.
///
/// Any `std::error::Error` converts into it with `?`.
pub struct HandlerError(Box<dyn std::error::Error + Send + Sync + 'static>);

impl HandlerError {
    /// An error from a message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self(message.to_string().into())
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for HandlerError {
    fn from(error: E) -> Self {
        Self(Box::new(error))
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The result of a handler.
pub type HandlerResult = Result<FlowResponse, HandlerError>;

/// The handler for one screen's `data_exchange` requests (and optionally its `BACK`).
///
/// `Data` is the screen's own payload type: a request whose `data` does not deserialize into it is
/// answered by [`invalid_data`](Screen::invalid_data) (default: logged, HTTP 500).
///
/// ```
/// use flows_router::{Context, FlowResponse, HandlerResult, Screen};
/// use serde::Deserialize;
///
/// struct Details;
///
/// #[derive(Deserialize)]
/// struct DetailsData { name: String, email: String }
///
/// impl Screen<()> for Details {
///     const NAME: &'static str = "DETAILS";
///     type Data = DetailsData;
///
///     async fn handle(&self, _cx: Context<()>, data: DetailsData) -> HandlerResult {
///         if !data.email.contains('@') {
///             return Ok(FlowResponse::next_screen("DETAILS").error_message("Please check the email address"));
///         }
///         Ok(FlowResponse::next_screen("SUMMARY").with("name", data.name).with("email", data.email))
///     }
/// }
/// ```
pub trait Screen<S>: Send + Sync + 'static {
    /// The screen's `id` in the Flow JSON.
    const NAME: &'static str;
    /// The screen's payload.
    type Data: DeserializeOwned + Send + 'static;

    /// Answers a `data_exchange` from this screen.
    fn handle(
        &self,
        cx: Context<S>,
        data: Self::Data,
    ) -> impl Future<Output = HandlerResult> + Send;

    /// Answers `BACK` to this screen (`refresh_on_back: true`). By default there is no BACK handler and
    /// the request is answered with HTTP 500.
    fn back(&self, cx: Context<S>) -> impl Future<Output = Option<HandlerResult>> + Send {
        let _ = cx;
        async { None }
    }

    /// Called when `data` does not fit [`Screen::Data`]. `None` (the default) logs the error and
    /// answers HTTP 500; `Some(reply)` answers with it, e.g. the same screen with an `error_message`.
    fn invalid_data(&self, cx: &Context<S>, error: &serde_json::Error) -> Option<FlowResponse> {
        let _ = (cx, error);
        None
    }
}

/// A flow token verdict from [`Router::flow_token_check`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenVerdict {
    /// The token is valid: proceed.
    Valid,
    /// The token is no longer valid: answer HTTP 427 with this `error_msg` (WhatsApp shows it and
    /// disables the flow).
    Invalid {
        /// The text shown to the user.
        error_msg: String,
    },
}

impl TokenVerdict {
    /// An invalid verdict with a message for the user.
    pub fn invalid(error_msg: impl Into<String>) -> Self {
        Self::Invalid {
            error_msg: error_msg.into(),
        }
    }
}

trait ErasedScreen<S>: Send + Sync {
    fn call(&self, cx: Context<S>, data: Value) -> BoxFuture<'_, Result<FlowResponse, Failure>>;
    fn back(&self, cx: Context<S>) -> BoxFuture<'_, Result<FlowResponse, Failure>>;
}

impl<S: Send + Sync + 'static, T: Screen<S>> ErasedScreen<S> for T {
    fn call(&self, cx: Context<S>, data: Value) -> BoxFuture<'_, Result<FlowResponse, Failure>> {
        Box::pin(async move {
            let data = match serde_json::from_value::<T::Data>(data) {
                Ok(data) => data,
                Err(error) => {
                    return self.invalid_data(&cx, &error).ok_or(Failure::InvalidData {
                        screen: T::NAME,
                        error,
                    });
                }
            };
            self.handle(cx, data).await.map_err(Failure::Handler)
        })
    }

    fn back(&self, cx: Context<S>) -> BoxFuture<'_, Result<FlowResponse, Failure>> {
        Box::pin(async move {
            match Screen::back(self, cx).await {
                Some(result) => result.map_err(Failure::Handler),
                None => Err(Failure::NoBackHandler(T::NAME)),
            }
        })
    }
}

type InitFn<S> = dyn Fn(Context<S>) -> BoxFuture<'static, HandlerResult> + Send + Sync;
type TokenFn<S> = dyn Fn(Context<S>) -> BoxFuture<'static, TokenVerdict> + Send + Sync;
type NotificationFn = dyn Fn(&ErrorNotification, Option<&str>) + Send + Sync;

/// Routes decrypted requests to the business's handlers, built the way axum users expect:
///
/// ```
/// use flows_router::{Context, FlowResponse, HandlerResult, Router, Screen};
/// # use serde::Deserialize;
/// # struct Details;
/// # #[derive(Deserialize)] struct DetailsData {}
/// # impl Screen<AppState> for Details {
/// #     const NAME: &'static str = "DETAILS";
/// #     type Data = DetailsData;
/// #     async fn handle(&self, _: Context<AppState>, _: DetailsData) -> HandlerResult { Ok(FlowResponse::next_screen("SUMMARY")) }
/// # }
/// #[derive(Clone)]
/// struct AppState { clinic: &'static str }
///
/// let flow = Router::new()
///     .on_init(|cx: Context<AppState>| async move {
///         Ok(FlowResponse::next_screen("DETAILS").with("clinic", cx.state().clinic))
///     })
///     .screen(Details)
///     .with_state(AppState { clinic: "Lisbon" });
/// # let _ = flow;
/// ```
///
/// Built in, before any handler: `ping` is answered `{"data":{"status":"active"}}`, and error
/// notifications (`data.error` or `data.error_key`) are acknowledged with `{"data":{"acknowledged":true}}`
/// after the [`on_error_notification`](Router::on_error_notification) hook sees them.
///
/// Answered with HTTP 500 (logged with the cause): an `INIT` with no INIT handler, an unknown screen,
/// a `BACK` to a screen without a BACK handler, data that does not fit the screen's type (unless the
/// screen's [`Screen::invalid_data`] answers), a handler error, an unknown action.
pub struct Router<S> {
    screens: HashMap<&'static str, Box<dyn ErasedScreen<S>>>,
    init: Option<Box<InitFn<S>>>,
    token_check: Option<Box<TokenFn<S>>>,
    notification: Option<Box<NotificationFn>>,
}

impl<S: Clone + Send + Sync + 'static> Default for Router<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Clone + Send + Sync + 'static> Router<S> {
    /// An empty router.
    #[must_use]
    pub fn new() -> Self {
        Self {
            screens: HashMap::new(),
            init: None,
            token_check: None,
            notification: None,
        }
    }

    /// The handler for `INIT` (the flow opened with a `data_exchange` first action).
    #[must_use]
    pub fn on_init<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(Context<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        self.init = Some(Box::new(move |cx| Box::pin(handler(cx))));
        self
    }

    /// Adds a screen handler, keyed by [`Screen::NAME`]. A second handler for the same name replaces the first.
    #[must_use]
    pub fn screen<T: Screen<S>>(mut self, screen: T) -> Self {
        self.screens.insert(T::NAME, Box::new(screen));
        self
    }

    /// Checks the flow token of every request except `ping` and error notifications, before dispatch.
    /// [`TokenVerdict::Invalid`] is answered with HTTP 427.
    #[must_use]
    pub fn flow_token_check<F, Fut>(mut self, check: F) -> Self
    where
        F: Fn(Context<S>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = TokenVerdict> + Send + 'static,
    {
        self.token_check = Some(Box::new(move |cx| Box::pin(check(cx))));
        self
    }

    /// Sees each error notification (and its flow token) before it is acknowledged.
    #[must_use]
    pub fn on_error_notification(
        mut self,
        hook: impl Fn(&ErrorNotification, Option<&str>) + Send + Sync + 'static,
    ) -> Self {
        self.notification = Some(Box::new(hook));
        self
    }

    /// Binds the shared state, giving the [`Flow`] an endpoint serves.
    #[must_use]
    pub fn with_state(self, state: S) -> Flow {
        Flow {
            inner: Arc::new(Bound {
                router: self,
                state,
            }),
        }
    }
}

/// A router bound to its state: what [`crate::Endpoint`] dispatches to. Cheap to clone.
#[derive(Clone)]
pub struct Flow {
    inner: Arc<dyn Dispatch>,
}

impl fmt::Debug for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flow")
            .field("screens", &self.inner.screen_names())
            .finish_non_exhaustive()
    }
}

/// How a request was answered, before encryption.
#[derive(Debug)]
pub(crate) enum Outcome {
    Reply(FlowResponse),
    InvalidToken(String),
    Failed(Failure),
}

/// Why dispatch ended in HTTP 500.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    #[error("no INIT handler is registered")]
    NoInitHandler,
    #[error("no handler for screen {0:?}")]
    UnknownScreen(Option<String>),
    #[error("screen {0} has no BACK handler")]
    NoBackHandler(&'static str),
    #[error("data for screen {screen} does not fit its type: {error}")]
    InvalidData {
        screen: &'static str,
        error: serde_json::Error,
    },
    #[error("handler failed: {0}")]
    Handler(HandlerError),
    #[error("unsupported action {0:?}")]
    UnknownAction(String),
}

impl Flow {
    /// Dispatches a decrypted request: built-in replies first, then the token check, then handlers.
    pub(crate) async fn dispatch(&self, request: FlowRequest) -> Outcome {
        self.inner.dispatch(request).await
    }

    /// Dispatches a decrypted request and returns the reply, or the reason it would be an HTTP error.
    /// For tests and fuzzing: no encryption, no HTTP.
    ///
    /// # Errors
    /// `Err(status, reason)` with 427 or 500.
    pub async fn answer(&self, request: FlowRequest) -> Result<FlowResponse, (u16, String)> {
        match self.dispatch(request).await {
            Outcome::Reply(reply) => Ok(reply),
            Outcome::InvalidToken(msg) => Err((427, msg)),
            Outcome::Failed(failure) => Err((500, failure.to_string())),
        }
    }
}

trait Dispatch: Send + Sync {
    fn dispatch(&self, request: FlowRequest) -> BoxFuture<'_, Outcome>;
    fn screen_names(&self) -> Vec<&'static str>;
}

struct Bound<S> {
    router: Router<S>,
    state: S,
}

impl<S: Clone + Send + Sync + 'static> Dispatch for Bound<S> {
    fn screen_names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.router.screens.keys().copied().collect();
        names.sort_unstable();
        names
    }

    fn dispatch(&self, request: FlowRequest) -> BoxFuture<'_, Outcome> {
        Box::pin(async move {
            if request.action == Action::Ping {
                return Outcome::Reply(FlowResponse::ping());
            }
            if let Some(notification) = request.error_notification() {
                tracing::warn!(
                    error_key = %notification.error_key,
                    screen = notification.screen.as_deref().unwrap_or(""),
                    "WhatsApp client reported an error with an earlier reply"
                );
                if let Some(hook) = &self.router.notification {
                    hook(&notification, request.flow_token.as_deref());
                }
                return Outcome::Reply(FlowResponse::acknowledged());
            }
            let FlowRequest {
                version,
                action,
                screen,
                data,
                flow_token,
                ..
            } = request;
            let cx = Context {
                state: self.state.clone(),
                request: Arc::new(RequestMeta {
                    version,
                    action,
                    screen,
                    flow_token,
                }),
            };
            if let Some(check) = &self.router.token_check
                && let TokenVerdict::Invalid { error_msg } = check(cx.clone()).await
            {
                return Outcome::InvalidToken(error_msg);
            }
            let result = match cx.action() {
                Action::Init => match &self.router.init {
                    Some(init) => init(cx).await.map_err(Failure::Handler),
                    None => Err(Failure::NoInitHandler),
                },
                Action::Back => match self.handler(&cx) {
                    Ok(screen) => screen.back(cx).await,
                    Err(failure) => Err(failure),
                },
                Action::DataExchange => match self.handler(&cx) {
                    Ok(screen) => screen.call(cx, Value::Object(data)).await,
                    Err(failure) => Err(failure),
                },
                other => Err(Failure::UnknownAction(other.as_str().to_owned())),
            };
            match result {
                Ok(reply) => Outcome::Reply(reply),
                Err(failure) => Outcome::Failed(failure),
            }
        })
    }
}

impl<S> Bound<S> {
    fn handler(&self, cx: &Context<S>) -> Result<&dyn ErasedScreen<S>, Failure> {
        cx.screen()
            .and_then(|name| self.router.screens.get(name))
            .map(|screen| &**screen)
            .ok_or_else(|| Failure::UnknownScreen(cx.screen().map(str::to_owned)))
    }
}
