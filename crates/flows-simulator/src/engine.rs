//! The simulated phone: screen stack, per-screen stores, user actions, requests and replies.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

// tokio's clock, so latencies agree with the timeout (also under a paused test clock).
use tokio::time::Instant;

use base64::Engine as _;
use bytes::Bytes;
use flows_json::Component;
use flows_json::model::{Action, DataSourceItem, Flow, Screen, TextLines};
use flows_json::reply::{ReplyContract, RequestAction, SUCCESS, ViolationKind};
use flows_router::FlowRequest;
use http::{HeaderMap, HeaderValue};
use serde::Serialize;
use serde_json::{Map, Value, json};
use whatsapp_flows_crypto::{SIGNATURE_HEADER, sign};

use crate::error::{ActionError, WalkError};
use crate::render::{
    ScreenState, Stores, client_errors, enabled_of, flag, item_enabled, label_of, options, render,
    resolve_payload, text, typed,
};
use crate::transcript::{Exchange, ExchangeKind, Transcript};
use crate::transport::Transport;

/// How long the client waits for the endpoint [D-BP].
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// The pause before the one retry after an HTTP 421 [WA DataChannelRequest].
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// What the client shows for an endpoint failure it has no text for (its own wording is stripped
/// from Meta's bundle, so this is ours).
pub const GENERIC_ERROR: &str = "Something went wrong. Please try again later.";

/// How the business's message opens the flow (`flow_action` and its payload).
#[derive(Clone, Debug, PartialEq)]
pub struct Open {
    flow_token: String,
    kind: OpenKind,
}

#[derive(Clone, Debug, PartialEq)]
enum OpenKind {
    DataExchange,
    Navigate {
        screen: Option<String>,
        payload: Map<String, Value>,
    },
}

impl Open {
    /// `flow_action: data_exchange`: the phone sends `INIT` and shows the screen the endpoint names.
    #[must_use]
    pub fn data_exchange(flow_token: impl Into<String>) -> Self {
        Self {
            flow_token: flow_token.into(),
            kind: OpenKind::DataExchange,
        }
    }

    /// `flow_action: navigate`: the phone shows `screen` (default: the first screen) with `payload`
    /// as its data, without asking the endpoint.
    #[must_use]
    pub fn navigate(
        flow_token: impl Into<String>,
        screen: Option<&str>,
        payload: Map<String, Value>,
    ) -> Self {
        Self {
            flow_token: flow_token.into(),
            kind: OpenKind::Navigate {
                screen: screen.map(str::to_owned),
                payload,
            },
        }
    }

    /// The flow action the business would send for this flow when it does not say:
    /// `data_exchange` for a flow with an endpoint (`data_api_version`), `navigate` otherwise.
    #[must_use]
    pub fn default_for(flow: &Flow, flow_token: impl Into<String>) -> Self {
        if flow.has_endpoint() {
            Self::data_exchange(flow_token)
        } else {
            Self::navigate(flow_token, None, Map::new())
        }
    }
}

/// Who ended the flow with a response message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompletedBy {
    /// A `complete` action on a terminal screen.
    CompleteAction,
    /// The endpoint's `SUCCESS` reply.
    Endpoint,
}

/// Whether the flow is still open, and how it ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum FlowState {
    /// Not yet opened (`INIT` not answered).
    Opening,
    /// A screen is shown.
    Open,
    /// Closed with a response message: `params` is the `response_json` the business receives
    /// (none when a `SUCCESS` reply carried no `params`).
    Completed {
        /// The response params.
        params: Option<Map<String, Value>>,
        /// Who completed it.
        by: CompletedBy,
    },
    /// Closed by the user (back on the first screen), no response.
    Dismissed,
    /// HTTP 427: the error screen with `error_msg`; the flow can only be closed.
    Disabled {
        /// The text shown.
        message: String,
    },
    /// A full-screen error (a rejected reply, an INIT that failed).
    Failed {
        /// The developer message.
        message: String,
    },
}

/// A component of the current screen as rendered.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentView {
    /// The component type (`TextInput`, `Footer`, …).
    pub kind: String,
    /// Its `name`, for inputs.
    pub name: Option<String>,
    /// Its evaluated label or text.
    pub label: Option<String>,
    /// Whether it is shown.
    pub visible: bool,
    /// Whether it can be used.
    pub enabled: bool,
}

/// The current screen, as the phone shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScreenView {
    id: String,
    title: String,
    data: Map<String, Value>,
    form: Map<String, Value>,
    components: Vec<ComponentView>,
    errors: Vec<String>,
}

impl ScreenView {
    /// The screen id (empty when no screen is shown).
    #[must_use]
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The title as shown.
    #[must_use]
    pub fn title(&self) -> &str {
        &self.title
    }

    /// `${data.*}`.
    #[must_use]
    pub fn data(&self) -> &Map<String, Value> {
        &self.data
    }

    /// `${form.*}`.
    #[must_use]
    pub fn form(&self) -> &Map<String, Value> {
        &self.form
    }

    /// The rendered components (If/Switch resolved), in order.
    #[must_use]
    pub fn components(&self) -> &[ComponentView] {
        &self.components
    }

    /// Whether the component named `name` is shown (`None`: no such component is rendered).
    #[must_use]
    pub fn is_visible(&self, name: &str) -> Option<bool> {
        let mut found = None;
        for c in self
            .components
            .iter()
            .filter(|c| c.name.as_deref() == Some(name))
        {
            found = Some(found.unwrap_or(false) || c.visible);
        }
        found
    }

    /// What keeps the Footer disabled right now: one line per field or rule.
    #[must_use]
    pub fn validation_errors(&self) -> &[String] {
        &self.errors
    }
}

/// A flow checked and reduced to its reply contract once, for many [`Simulator`]s: cloning it
/// shares the document and the contract instead of copying them, so a load run of thousands of
/// phones prepares its flow one time.
///
/// A plain [`Flow`] still works wherever a `PreparedFlow` is taken; it is prepared for that one
/// phone.
///
/// ```
/// use flows_simulator::{FlowState, InProcess, PreparedFlow, Simulator};
/// use flows_router::{Endpoint, Router};
/// use whatsapp_flows_crypto::{KeySet, PrivateKey};
///
/// let flow = flows_json::Flow::from_json(r#"{
///   "version": "7.2", "routing_model": {"HELLO": []},
///   "screens": [{"id": "HELLO", "title": "Hello", "terminal": true,
///     "layout": {"type": "SingleColumnLayout", "children": [
///       {"type": "Footer", "label": "Done", "on-click-action": {"name": "complete", "payload": {}}}
///     ]}}]
/// }"#)?;
/// let prepared = PreparedFlow::new(flow)?;
/// # let pem = include_str!("../../whatsapp-flows-crypto/tests/fixtures/keys/openssl-genpkey-pkcs8.pem");
/// # let key = PrivateKey::from_pem(pem, None)?;
/// # let endpoint = Endpoint::builder(KeySet::new(key.clone()), Router::new().with_state(())).build();
/// for _ in 0..3 {
///     let transport = InProcess::new(endpoint.clone(), key.public_key().clone());
///     // Each phone shares the one prepared flow.
///     let phone = Simulator::new(prepared.clone(), transport)?;
///     assert!(matches!(phone.state(), FlowState::Opening));
/// }
/// assert_eq!(prepared.flow().screens[0].id, "HELLO");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct PreparedFlow {
    flow: Arc<Flow>,
    contract: Arc<ReplyContract>,
}

impl PreparedFlow {
    /// Checks that the flow can be run and builds its reply contract.
    ///
    /// # Errors
    /// [`WalkError::Flow`] when the document has no screens or its shape cannot be checked.
    pub fn new(flow: Flow) -> Result<Self, WalkError> {
        if flow.screens.is_empty() {
            return Err(WalkError::Flow("the flow has no screens".to_owned()));
        }
        let contract = ReplyContract::new(&flow).map_err(|e| WalkError::Flow(e.to_string()))?;
        Ok(Self {
            flow: Arc::new(flow),
            contract: Arc::new(contract),
        })
    }

    /// The flow document.
    #[must_use]
    pub fn flow(&self) -> &Flow {
        &self.flow
    }
}

impl TryFrom<Flow> for PreparedFlow {
    type Error = WalkError;

    fn try_from(flow: Flow) -> Result<Self, WalkError> {
        Self::new(flow)
    }
}

/// A headless WhatsApp client running one flow against one endpoint.
///
/// ```no_run
/// use flows_simulator::{InProcess, Open, Simulator};
/// # async fn demo(flow: flows_json::Flow, transport: InProcess) -> Result<(), flows_simulator::WalkError> {
/// let mut phone = Simulator::open(flow, transport, Open::data_exchange("token-1")).await?;
/// phone.set("department", "cardiology").await?;
/// phone.tap("Continue").await?;
/// assert_eq!(phone.screen().id(), "SEATS");
/// # Ok(()) }
/// ```
pub struct Simulator<T> {
    flow: Arc<Flow>,
    contract: Arc<ReplyContract>,
    transport: T,
    flow_token: String,
    version: String,
    states: BTreeMap<String, ScreenState>,
    stack: Vec<String>,
    snackbar: Option<String>,
    state: FlowState,
    transcript: Transcript,
    last_status: Option<u16>,
    opened_urls: Vec<String>,
    timeout: Duration,
    nested: bool,
}

impl<T> std::fmt::Debug for Simulator<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("stack", &self.stack)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Simulator<T> {
    /// A phone holding this flow, not opened yet ([`Simulator::start`] opens it): a
    /// [`PreparedFlow`] (shared, not copied) or a plain [`Flow`] (prepared here).
    ///
    /// # Errors
    /// [`WalkError::Flow`] when a plain flow has no screens or its shape cannot be checked; never
    /// for a [`PreparedFlow`].
    pub fn new(
        flow: impl TryInto<PreparedFlow, Error: Into<WalkError>>,
        transport: T,
    ) -> Result<Self, WalkError> {
        let PreparedFlow { flow, contract } = flow.try_into().map_err(Into::into)?;
        let version = flow
            .data_api_version
            .clone()
            .unwrap_or_else(|| flows_router::DATA_API_VERSION.to_owned());
        // The client evaluates backtick expressions from 6.0 on [WA ASTParser]; an unreadable
        // version is taken as a current one.
        let nested = flow
            .version()
            .is_none_or(|v| v >= flows_json::Version::V6_0);
        let states = flow
            .screens
            .iter()
            .map(|s| (s.id.clone(), ScreenState::new()))
            .collect();
        Ok(Self {
            flow,
            contract,
            transport,
            flow_token: String::new(),
            version,
            states,
            stack: Vec::new(),
            snackbar: None,
            state: FlowState::Opening,
            transcript: Transcript::default(),
            last_status: None,
            opened_urls: Vec::new(),
            timeout: CLIENT_TIMEOUT,
            nested,
        })
    }

    /// A phone that opened the flow as `open` says.
    ///
    /// # Errors
    /// As [`Simulator::new`] and [`Simulator::start`].
    pub async fn open(
        flow: impl TryInto<PreparedFlow, Error: Into<WalkError>>,
        transport: T,
        open: Open,
    ) -> Result<Self, WalkError> {
        let mut phone = Self::new(flow, transport)?;
        phone.start(open).await?;
        Ok(phone)
    }

    /// How long to wait for the endpoint (the client's 10 s by default).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Opens the flow: `INIT` for `data_exchange`, the first (or given) screen for `navigate`.
    ///
    /// # Errors
    /// The endpoint's failures ([`WalkError::Status`], [`WalkError::FlowDisabled`], …), a reply
    /// breaking the contract, or a navigate to a screen the flow cannot start on.
    pub async fn start(&mut self, open: Open) -> Result<(), WalkError> {
        self.flow_token = open.flow_token;
        match open.kind {
            OpenKind::DataExchange => {
                if !self.flow.has_endpoint() {
                    return Err(WalkError::Flow(
                        "flow_action data_exchange needs a flow with an endpoint (data_api_version)"
                            .to_owned(),
                    ));
                }
                let result = self.exchange(RequestAction::Init, None, Map::new()).await;
                match result {
                    Ok(reply) => self.apply_reply(RequestAction::Init, None, reply).await,
                    Err(e) => {
                        // No screen yet: the whole view becomes an error screen.
                        if !matches!(self.state, FlowState::Disabled { .. }) {
                            self.state = FlowState::Failed {
                                message: e.to_string(),
                            };
                        }
                        Err(e)
                    }
                }
            }
            OpenKind::Navigate { screen, payload } => {
                // The first screen of the document is always an entry screen.
                let target = match screen {
                    Some(s) => s,
                    None => self
                        .flow
                        .screens
                        .first()
                        .map(|s| s.id.clone())
                        .unwrap_or_default(),
                };
                let first = self.flow.screens.first().map(|s| s.id.as_str());
                if self.flow.screen(&target).is_none() {
                    return Err(WalkError::Flow(format!("the flow has no screen {target}")));
                }
                if Some(target.as_str()) != first
                    && !self.contract.entry_screens().any(|s| s == target)
                {
                    return Err(WalkError::Flow(format!(
                        "{target} cannot be the first screen: other screens route to it"
                    )));
                }
                self.check_data(&target, &payload)?;
                self.state = FlowState::Open;
                self.arrive(&target, payload);
                Ok(())
            }
        }
    }

    /// The current screen as shown (an empty id when none is).
    #[must_use]
    pub fn screen(&self) -> ScreenView {
        let Some(id) = self.stack.last() else {
            return ScreenView {
                id: String::new(),
                title: String::new(),
                data: Map::new(),
                form: Map::new(),
                components: Vec::new(),
                errors: Vec::new(),
            };
        };
        let values = self.values(id);
        let screen = self.flow.screen(id);
        let rendered = screen
            .map(|s| render(&s.layout.children, &values))
            .unwrap_or_default();
        let state = self
            .states
            .get(id)
            .cloned()
            .unwrap_or_else(ScreenState::new);
        let components = rendered
            .iter()
            .filter(|r| !matches!(r.component, Component::Form(_)))
            .map(|r| ComponentView {
                kind: r
                    .component
                    .kind()
                    .map_or("Unknown", |k| k.as_str())
                    .to_owned(),
                name: r.component.name().map(str::to_owned),
                label: tap_label(r.component, &values).or_else(|| label_of(r.component, &values)),
                visible: r.visible,
                enabled: flag(enabled_of(r.component), &values, true),
            })
            .collect();
        let errors = client_errors(&rendered, &state, &values)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        ScreenView {
            id: id.clone(),
            title: screen
                .and_then(|s| s.title.as_ref())
                .map(|t| text(t, &values))
                .unwrap_or_default(),
            data: state.data.as_object().cloned().unwrap_or_default(),
            form: state.form.as_object().cloned().unwrap_or_default(),
            components,
            errors,
        }
    }

    /// The screen stack, first screen first.
    #[must_use]
    pub fn history(&self) -> &[String] {
        &self.stack
    }

    /// The snackbar shown on the current screen (the endpoint's `error_message`, or the client's
    /// text for an endpoint failure), if any.
    #[must_use]
    pub fn snackbar(&self) -> Option<&str> {
        self.snackbar.as_deref()
    }

    /// Whether the flow is open, and how it ended.
    #[must_use]
    pub fn state(&self) -> &FlowState {
        &self.state
    }

    /// The completion params, once the flow completed with a response.
    #[must_use]
    pub fn completion(&self) -> Option<&Map<String, Value>> {
        match &self.state {
            FlowState::Completed { params, .. } => params.as_ref(),
            _ => None,
        }
    }

    /// The HTTP status of the endpoint's last answer.
    #[must_use]
    pub fn last_status(&self) -> Option<u16> {
        self.last_status
    }

    /// Every exchange with the endpoint so far.
    #[must_use]
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// The links `open_url` actions asked to open, in order (recorded, never opened).
    #[must_use]
    pub fn opened_urls(&self) -> &[String] {
        &self.opened_urls
    }

    /// The flow token the flow was opened with.
    #[must_use]
    pub fn flow_token(&self) -> &str {
        &self.flow_token
    }

    /// The flow and the stores as seen from screen `current`, for the rich view (view.rs).
    pub(crate) fn view_parts<'a>(&'a self, current: &'a str) -> (&'a Flow, Stores<'a>) {
        (&*self.flow, self.values(current))
    }

    /// Fills in or chooses: text for TextInput/TextArea, an option id for RadioButtonsGroup and
    /// Dropdown, an array of ids for CheckboxGroup and ChipsSelector, a boolean for OptIn,
    /// `"YYYY-MM-DD"` for DatePicker. Fires the on-select / on-unselect actions as the phone does.
    ///
    /// # Errors
    /// [`ActionError`] when the phone would not let you (no such field, hidden, disabled, a value
    /// the control cannot hold); the failures of a fired `data_exchange`.
    pub async fn set(&mut self, name: &str, value: impl Into<Value>) -> Result<(), WalkError> {
        let value = value.into();
        let screen_id = self.current()?.to_owned();
        let (component, new_value) = {
            let values = self.values(&screen_id);
            let screen = self.screen_def(&screen_id)?;
            let rendered = render(&screen.layout.children, &values);
            let mut candidates = rendered.iter().filter(|r| r.component.name() == Some(name));
            let found = candidates
                .clone()
                .find(|r| r.visible)
                .or_else(|| candidates.next());
            let Some(found) = found else {
                return Err(ActionError::NoSuchComponent {
                    name: name.to_owned(),
                    screen: screen_id,
                }
                .into());
            };
            if !found.visible {
                return Err(ActionError::Hidden {
                    name: name.to_owned(),
                    screen: screen_id,
                }
                .into());
            }
            if !flag(enabled_of(found.component), &values, true) {
                return Err(ActionError::Disabled {
                    name: name.to_owned(),
                    screen: screen_id,
                }
                .into());
            }
            let new_value = accept(found.component, name, value, &values)?;
            (found.component.clone(), new_value)
        };
        let state = self.state_mut(&screen_id);
        let old = state.form_mut().insert(name.to_owned(), new_value.clone());
        state.errors.remove(name);
        if old.as_ref() == Some(&new_value) {
            return Ok(());
        }
        for action in fired_actions(
            &component,
            old.as_ref(),
            &new_value,
            &self.values(&screen_id),
        ) {
            self.run_action(&action).await?;
            if self.stack.last() != Some(&screen_id) {
                break;
            }
        }
        Ok(())
    }

    /// Taps a Footer, an EmbeddedLink, a NavigationList item (by its title) or an OptIn's
    /// "Read more" link (by the OptIn's label), by the label shown.
    ///
    /// # Errors
    /// [`ActionError::NoSuchTappable`], [`ActionError::FooterDisabled`] with the reasons, and the
    /// failures of the action.
    pub async fn tap(&mut self, label: &str) -> Result<(), WalkError> {
        let screen_id = self.current()?.to_owned();
        let action = {
            let values = self.values(&screen_id);
            let screen = self.screen_def(&screen_id)?;
            let rendered = render(&screen.layout.children, &values);
            let mut available = Vec::new();
            let mut chosen = None;
            for r in rendered.iter().filter(|r| r.visible) {
                for (shown, action) in tappables(r.component, &values) {
                    if chosen.is_none() && shown == label {
                        chosen = Some((r.component, action.clone()));
                    }
                    available.push(shown);
                }
            }
            let Some((component, action)) = chosen else {
                return Err(ActionError::NoSuchTappable {
                    label: label.to_owned(),
                    screen: screen_id,
                    available: if available.is_empty() {
                        "nothing".to_owned()
                    } else {
                        available.join(", ")
                    },
                }
                .into());
            };
            if let Component::Footer(footer) = component {
                let mut reasons = Vec::new();
                if !flag(footer.enabled.as_ref(), &values, true) {
                    reasons.push("the Footer is disabled (`enabled` is false)".to_owned());
                }
                let state = self
                    .states
                    .get(&screen_id)
                    .cloned()
                    .unwrap_or_else(ScreenState::new);
                reasons.extend(
                    client_errors(&rendered, &state, &values)
                        .into_iter()
                        .map(|(_, m)| m),
                );
                if !reasons.is_empty() {
                    return Err(ActionError::FooterDisabled {
                        label: label.to_owned(),
                        reasons,
                    }
                    .into());
                }
            }
            action
        };
        self.snackbar = None;
        self.run_action(&action).await
    }

    /// The back button: `BACK` to the endpoint when the screen being left has `refresh_on_back`
    /// (flow-client.md §4.6), else the previous screen as it was; on the first screen it closes
    /// the flow without a response.
    ///
    /// # Errors
    /// The failures of the `BACK` request and of its reply.
    pub async fn back(&mut self) -> Result<(), WalkError> {
        let screen_id = self.current()?.to_owned();
        self.snackbar = None;
        if self.stack.len() < 2 {
            self.stack.clear();
            self.state = FlowState::Dismissed;
            return Ok(());
        }
        let refresh = self
            .flow
            .screen(&screen_id)
            .is_some_and(|s| s.refresh_on_back == Some(true));
        if refresh && self.flow.has_endpoint() {
            let reply = self
                .exchange(RequestAction::Back, Some(&screen_id), Map::new())
                .await;
            let reply = self.on_screen_failure(reply)?;
            return self
                .apply_reply(RequestAction::Back, Some(&screen_id), reply)
                .await;
        }
        self.stack.pop();
        Ok(())
    }

    fn current(&self) -> Result<&str, WalkError> {
        match (&self.state, self.stack.last()) {
            (FlowState::Open, Some(id)) => Ok(id),
            _ => Err(ActionError::Closed.into()),
        }
    }

    fn screen_def(&self, id: &str) -> Result<&Screen, WalkError> {
        self.flow
            .screen(id)
            .ok_or_else(|| WalkError::Flow(format!("the flow has no screen {id}")))
    }

    fn values<'a>(&'a self, current: &'a str) -> Stores<'a> {
        Stores {
            current,
            screens: &self.states,
            nested: self.nested,
        }
    }

    fn state_mut(&mut self, id: &str) -> &mut ScreenState {
        self.states.entry(id.to_owned()).or_default()
    }

    async fn run_action(&mut self, action: &Action) -> Result<(), WalkError> {
        let screen_id = self.current()?.to_owned();
        let payload = resolve_payload(action.payload(), &self.values(&screen_id));
        match action {
            Action::Navigate(nav) => {
                let target = nav.next.name.clone();
                self.check_navigate(&screen_id, &target)?;
                self.check_data(&target, &payload)?;
                self.arrive(&target, payload);
                Ok(())
            }
            Action::DataExchange(_) => {
                if !self.flow.has_endpoint() {
                    return Err(WalkError::Navigation(
                        "a data_exchange action in a flow without an endpoint (data_api_version)"
                            .to_owned(),
                    ));
                }
                let reply = self
                    .exchange(RequestAction::DataExchange, Some(&screen_id), payload)
                    .await;
                let reply = self.on_screen_failure(reply)?;
                self.apply_reply(RequestAction::DataExchange, Some(&screen_id), reply)
                    .await
            }
            Action::Complete(_) => {
                let mut params = payload;
                params.insert(
                    "flow_token".to_owned(),
                    Value::String(self.flow_token.clone()),
                );
                self.state = FlowState::Completed {
                    params: Some(params),
                    by: CompletedBy::CompleteAction,
                };
                Ok(())
            }
            Action::UpdateData(_) => {
                let declared = self
                    .flow
                    .screen(&screen_id)
                    .and_then(|s| s.data.as_ref())
                    .map(|d| d.fields.keys().cloned().collect::<BTreeSet<_>>())
                    .unwrap_or_default();
                if let Some(key) = payload.keys().find(|k| !declared.contains(*k)) {
                    return Err(WalkError::Navigation(format!(
                        "update_data sets `{key}`, which screen {screen_id} does not declare \
                         (the client fails with components-validation-error)"
                    )));
                }
                self.check_data(&screen_id, &payload)?;
                self.state_mut(&screen_id).data_mut().extend(payload);
                Ok(())
            }
            Action::OpenUrl(open) => {
                let url = text(&open.url, &self.values(&screen_id));
                self.opened_urls.push(url);
                Ok(())
            }
            Action::Unknown(map) => Err(WalkError::Navigation(format!(
                "unknown action `{}`",
                map.get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("(no name)")
            ))),
        }
    }

    /// A request that failed while a screen is shown: the client shows a snackbar and keeps the
    /// screen for the ordinary errors; 427 is the disabled state already set.
    fn on_screen_failure(&mut self, result: Result<Value, WalkError>) -> Result<Value, WalkError> {
        result.inspect_err(|e| {
            if matches!(
                e,
                WalkError::Status { .. } | WalkError::Timeout(_) | WalkError::Transport(_)
            ) {
                self.snackbar = Some(GENERIC_ERROR.to_owned());
            }
        })
    }

    /// The client's routing check for a `navigate` (flow-client.md §7.5): the target is the same
    /// screen, a forward edge, or a back edge. Flows without a routing model (no endpoint) have
    /// one derived from their navigate actions, so any declared screen is fine.
    fn check_navigate(&self, from: &str, target: &str) -> Result<(), WalkError> {
        if self.flow.screen(target).is_none() {
            return Err(WalkError::Navigation(format!(
                "navigate to {target}, which the flow does not have"
            )));
        }
        let Some(routes) = &self.flow.routing_model else {
            return Ok(());
        };
        let edge = |a: &str, b: &str| routes.get(a).is_some_and(|to| to.iter().any(|t| t == b));
        if target == from || edge(from, target) || edge(target, from) {
            Ok(())
        } else {
            Err(WalkError::Navigation(format!(
                "navigate from {from} to {target} is not in the routing_model \
                 (the client fails with invalid-screen-transition)"
            )))
        }
    }

    /// Data delivered to a screen must fit its declaration (types, no nulls, declared keys).
    fn check_data(&self, target: &str, data: &Map<String, Value>) -> Result<(), WalkError> {
        // A BACK "from" the target to itself is always an allowed transition, so only the data
        // rules of the contract remain.
        let violations: Vec<_> = self
            .contract
            .check(RequestAction::Back, Some(target), Some(target), data)
            .into_iter()
            .filter(|v| v.kind != ViolationKind::Transition)
            .collect();
        if violations.is_empty() {
            Ok(())
        } else {
            Err(WalkError::Navigation(
                violations
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ))
        }
    }

    /// Shows `target` with `data` merged into its store, moving in the stack as the client does.
    fn arrive(&mut self, target: &str, data: Map<String, Value>) {
        self.state_mut(target).data_mut().extend(data);
        let n = self.stack.len();
        if n >= 2 && self.stack.get(n - 2).map(String::as_str) == Some(target) {
            self.stack.pop();
        } else if self.stack.last().map(String::as_str) != Some(target) {
            self.stack.push(target.to_owned());
        }
        self.state = FlowState::Open;
        self.apply_init(target);
    }

    /// (Re)applies the screen's `init-value(s)` and `error-message(s)` (flow-client.md §2.1, §4.3).
    fn apply_init(&mut self, id: &str) {
        let Some(screen) = self.flow.screen(id) else {
            return;
        };
        let values = self.values(id);
        let rendered = render(&screen.layout.children, &values);
        let mut init = Map::new();
        let mut errors = BTreeMap::new();
        let mut text_fields = BTreeSet::new();
        for r in &rendered {
            let c = r.component;
            if matches!(c, Component::TextInput(_) | Component::TextArea(_))
                && let Some(name) = c.name()
            {
                text_fields.insert(name.to_owned());
            }
            if let Component::Form(form) = c {
                if let Some(map) = form.init_values.as_ref().and_then(|d| typed(d, &values)) {
                    init.extend(resolve_payload(Some(&map), &values));
                }
                if let Some(map) = form.error_messages.as_ref().and_then(|d| typed(d, &values)) {
                    for (k, v) in resolve_payload(Some(&map), &values) {
                        if let Value::String(s) = v {
                            errors.insert(k, s);
                        }
                    }
                }
                continue;
            }
            let Some(name) = c.name() else { continue };
            if let Some(v) = init_value_of(c) {
                let one = Map::from_iter([(name.to_owned(), v.clone())]);
                init.extend(resolve_payload(Some(&one), &values));
            }
            if let Some(Value::String(s)) = error_message_of(c) {
                let one = Map::from_iter([(name.to_owned(), Value::String(s.clone()))]);
                if let Some(Value::String(s)) = resolve_payload(Some(&one), &values).remove(name) {
                    errors.insert(name.to_owned(), s);
                }
            }
        }
        let state = self.state_mut(id);
        for (k, v) in init {
            // The client stringifies numbers in init values of text fields [WA WELJStateReducer].
            let v = match v {
                Value::Number(n) if text_fields.contains(&k) => Value::String(n.to_string()),
                v => v,
            };
            state.form_mut().insert(k, v);
        }
        state.errors = errors;
    }

    /// Sends one request as the client builds it, with the 421 retry; returns the decrypted JSON
    /// reply of a 200.
    async fn exchange(
        &mut self,
        action: RequestAction<'_>,
        screen: Option<&str>,
        data: Map<String, Value>,
    ) -> Result<Value, WalkError> {
        let request = self.request_json(action.as_str(), screen, data);
        let mut retried = false;
        loop {
            let kind = if retried {
                ExchangeKind::Retry
            } else {
                ExchangeKind::Request
            };
            let Posted {
                status,
                body,
                pending,
            } = self.post(&request, kind).await?;
            match status {
                200 => {
                    let decrypted = match pending.decrypt(&body) {
                        Ok(text) => text,
                        Err(e) => {
                            let why = format!("HTTP 200, but the body does not decrypt: {e}");
                            self.transcript.note_error(&why);
                            self.notify(action, screen, "response-decryption-error", &why)
                                .await;
                            self.fail(&why);
                            return Err(WalkError::InvalidReply(why));
                        }
                    };
                    let reply: Value = match serde_json::from_str(&decrypted) {
                        Ok(v) => v,
                        Err(e) => {
                            let why = format!("the decrypted reply is not JSON: {e}");
                            self.transcript
                                .note_reply(Value::String(decrypted.to_string()));
                            self.transcript.note_error(&why);
                            self.fail(&why);
                            return Err(WalkError::InvalidReply(why));
                        }
                    };
                    self.transcript.note_reply(reply.clone());
                    return Ok(reply);
                }
                421 if !retried => {
                    retried = true;
                    self.transcript
                        .note_error("HTTP 421: fetching the public key again and retrying once");
                    self.transport.refresh_key().await?;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
                427 => {
                    let message = match pending.decrypt(&body) {
                        Ok(text) => error_msg(&text),
                        Err(_) => error_msg(&String::from_utf8_lossy(&body)),
                    };
                    let message = message.unwrap_or_else(|| GENERIC_ERROR.to_owned());
                    self.transcript.note_reply(json!({ "error_msg": message }));
                    self.state = FlowState::Disabled {
                        message: message.clone(),
                    };
                    return Err(WalkError::FlowDisabled { message });
                }
                other => {
                    let detail = match other {
                        421 => Some(
                            "the endpoint could not decrypt the request, also after fetching the key again"
                                .to_owned(),
                        ),
                        432 => Some("the endpoint rejected the request signature".to_owned()),
                        _ => None,
                    };
                    let text = String::from_utf8_lossy(&body).trim().to_owned();
                    if !text.is_empty() {
                        self.transcript.note_reply(Value::String(text));
                    }
                    if other == 421 {
                        self.fail(&format!("HTTP {other}"));
                    } else {
                        self.fail_if_no_screen(&format!("HTTP {other}"));
                    }
                    return Err(WalkError::Status {
                        status: other,
                        detail,
                    });
                }
            }
        }
    }

    /// A full-screen error (flow-client.md §7.3: 421 after the retry, an invalid reply, a rejected
    /// reply); the flow can only be closed.
    fn fail(&mut self, message: &str) {
        if matches!(self.state, FlowState::Open | FlowState::Opening) {
            self.state = FlowState::Failed {
                message: message.to_owned(),
            };
        }
    }

    /// Timeouts and other statuses are a snackbar on a screen, but an error screen at INIT.
    fn fail_if_no_screen(&mut self, message: &str) {
        if self.stack.is_empty() {
            self.fail(message);
        }
    }

    /// The request as the client builds it: the flow's Data API version, `screen` always (empty at
    /// INIT), the flow token, and from 4.0 its signature when the app secret is known.
    fn request_json(&self, action: &str, screen: Option<&str>, data: Map<String, Value>) -> Value {
        let mut request = FlowRequest::new(flows_router::Action::from(action))
            .with_version(self.version.as_str())
            .with_screen(screen.unwrap_or_default())
            .with_data(data)
            .with_flow_token(self.flow_token.as_str());
        if self.version == "4.0"
            && let Some(secret) = self.transport.app_secret()
        {
            request = request.with_flow_token_signature(flow_token_jwt(secret, &self.flow_token));
        }
        // The transcript and the reply checks work on JSON; `FlowRequest` always serializes.
        serde_json::to_value(request).unwrap_or_default()
    }

    /// Encrypts, signs and posts one request, recording it; answers the status and body.
    async fn post(&mut self, request: &Value, kind: ExchangeKind) -> Result<Posted, WalkError> {
        let encrypted = self
            .transport
            .public_key()
            .encrypt_request_json(request)
            .map_err(|e| WalkError::Crypto(e.to_string()))?;
        let (body, pending) = encrypted.into_parts();
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(secret) = self.transport.app_secret() {
            let value = HeaderValue::from_str(&sign(secret, body.as_bytes()))
                .map_err(|e| WalkError::Crypto(e.to_string()))?;
            headers.insert(SIGNATURE_HEADER, value);
        }
        self.transcript.push(Exchange::new(kind, request.clone()));
        let started = Instant::now();
        let answer = tokio::time::timeout(
            self.timeout,
            self.transport.post(headers, Bytes::from(body)),
        )
        .await;
        let latency = started.elapsed();
        self.transcript.note_latency(latency);
        match answer {
            Err(_) => {
                self.last_status = None;
                let secs = self.timeout.as_secs();
                self.transcript
                    .note_error(&format!("no answer within {secs} s"));
                self.fail_if_no_screen("timeout");
                Err(WalkError::Timeout(secs))
            }
            Ok(Err(e)) => {
                self.last_status = None;
                self.transcript.note_error(&e.to_string());
                self.fail_if_no_screen(&e.to_string());
                Err(e.into())
            }
            Ok(Ok(reply)) => {
                self.last_status = Some(reply.status);
                self.transcript.note_status(reply.status);
                Ok(Posted {
                    status: reply.status,
                    body: reply.body,
                    pending,
                })
            }
        }
    }

    /// The error notification the client sends after rejecting a reply (flow-client.md §4.9):
    /// fire and forget, its answer is recorded and otherwise ignored.
    async fn notify(
        &mut self,
        action: RequestAction<'_>,
        screen: Option<&str>,
        key: &str,
        message: &str,
    ) {
        let mut data = Map::new();
        data.insert("error".to_owned(), Value::from(key));
        data.insert("error_message".to_owned(), Value::from(message));
        let request = self.request_json(action.as_str(), screen, data);
        if let Ok(Posted {
            status: 200,
            body,
            pending,
        }) = self.post(&request, ExchangeKind::ErrorNotification).await
            && let Ok(text) = pending.decrypt(&body)
        {
            let reply = serde_json::from_str(&text).unwrap_or(Value::String(text.to_string()));
            self.transcript.note_reply(reply);
        }
    }

    /// Handles a decrypted reply as the client does (flow-client.md §4.3, §4.5, §7.5).
    async fn apply_reply(
        &mut self,
        action: RequestAction<'_>,
        from: Option<&str>,
        reply: Value,
    ) -> Result<(), WalkError> {
        let shape = |why: &str| WalkError::InvalidReply(why.to_owned());
        let Value::Object(mut reply) = reply else {
            self.fail("reply not an object");
            return Err(shape("the reply is not a JSON object"));
        };
        let Some(Value::String(target)) = reply.remove("screen") else {
            self.fail("reply without screen");
            return Err(shape("the reply has no `screen` string"));
        };
        let Some(Value::Object(mut data)) = reply.remove("data") else {
            self.fail("reply without data");
            return Err(shape("the reply has no `data` object"));
        };
        let violations = self.contract.check(action, from, Some(&target), &data);
        if let Some(first) = violations.first() {
            let key = first.client_error();
            let message = violations
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            self.notify(action, from, key, &message).await;
            self.state = FlowState::Failed {
                message: message.clone(),
            };
            return Err(WalkError::Contract { violations });
        }
        if target == SUCCESS {
            let params = data
                .remove("extension_message_response")
                .and_then(|mut ext| ext.get_mut("params").map(Value::take))
                .and_then(|p| match p {
                    Value::Object(map) => Some(map),
                    _ => None,
                });
            self.state = FlowState::Completed {
                params,
                by: CompletedBy::Endpoint,
            };
            return Ok(());
        }
        let message = data.remove("error_message");
        data.remove("extension_message_response");
        self.arrive(&target, data);
        self.snackbar = match message {
            Some(Value::String(s)) if !s.is_empty() => Some(s),
            _ => None,
        };
        Ok(())
    }
}

/// An HTTP answer, with what decrypts it.
struct Posted {
    status: u16,
    body: Bytes,
    pending: whatsapp_flows_crypto::PendingResponse,
}

/// The `error_msg` of a 427 body (encrypted or, as Meta's docs show it, plain JSON).
fn error_msg(text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    value
        .get("error_msg")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Data API 4.0's `flow_token_signature`: an HS256 JWT of the flow token, keyed with the app secret.
fn flow_token_jwt(secret: &[u8], flow_token: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = b64.encode(json!({ "flow_token": flow_token }).to_string());
    let signing_input = format!("{header}.{claims}");
    // `sign` gives `sha256=<hex>`; the JWT wants the raw MAC bytes.
    let hex = sign(secret, signing_input.as_bytes());
    let mac: Vec<u8> = hex
        .trim_start_matches("sha256=")
        .as_bytes()
        .chunks(2)
        .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect();
    format!("{signing_input}.{}", b64.encode(mac))
}

fn init_value_of(c: &Component) -> Option<Value> {
    match c {
        Component::TextInput(x) => x.init_value.clone(),
        Component::TextArea(x) => x.init_value.clone(),
        Component::CheckboxGroup(x)
        | Component::RadioButtonsGroup(x)
        | Component::ChipsSelector(x) => x.init_value.clone(),
        Component::Dropdown(x) => x.init_value.clone(),
        Component::DatePicker(x) => x.init_value.clone(),
        Component::CalendarPicker(x) => x.init_value.clone(),
        Component::OptIn(x) => x
            .init_value
            .as_ref()
            .and_then(|d| serde_json::to_value(d).ok()),
        _ => None,
    }
}

fn error_message_of(c: &Component) -> Option<&Value> {
    match c {
        Component::TextInput(x) => x.error_message.as_ref(),
        Component::TextArea(x) => x.error_message.as_ref(),
        Component::CheckboxGroup(x)
        | Component::RadioButtonsGroup(x)
        | Component::ChipsSelector(x) => x.error_message.as_ref(),
        Component::Dropdown(x) => x.error_message.as_ref(),
        Component::DatePicker(x) => x.error_message.as_ref(),
        Component::CalendarPicker(x) => x.error_message.as_ref(),
        Component::OptIn(x) => x.error_message.as_ref(),
        _ => None,
    }
}

/// The things a person can tap on a component, by the label shown, with their action.
fn tappables<'a>(c: &'a Component, values: &Stores<'_>) -> Vec<(String, &'a Action)> {
    match c {
        Component::Footer(f) => vec![(text(&f.label, values), &f.on_click_action)],
        Component::EmbeddedLink(l) => vec![(text(&l.text, values), &l.on_click_action)],
        Component::OptIn(o) => o
            .on_click_action
            .as_ref()
            .map(|a| vec![(text(&o.label, values), a)])
            .unwrap_or_default(),
        Component::NavigationList(list) => {
            let items: Vec<flows_json::model::NavigationItem> = match &list.list_items {
                flows_json::Dyn::Literal(items) => items.clone(),
                // Items bound to data carry no actions of their own that could outlive this call,
                // so only literal items are tappable by their own action; bound ones use the list's.
                flows_json::Dyn::Dynamic(_) => typed(&list.list_items, values).unwrap_or_default(),
            };
            let Some(list_action) = list.on_click_action.as_ref() else {
                // Per-item actions need the items to live as long as the component.
                return match &list.list_items {
                    flows_json::Dyn::Literal(items) => items
                        .iter()
                        .filter_map(|i| {
                            Some((i.main_content.title.clone()?, i.on_click_action.as_ref()?))
                        })
                        .collect(),
                    flows_json::Dyn::Dynamic(_) => Vec::new(),
                };
            };
            items
                .iter()
                .filter_map(|i| Some((i.main_content.title.clone()?, list_action)))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The label of a tappable component, for the screen view.
fn tap_label(c: &Component, values: &Stores<'_>) -> Option<String> {
    match c {
        Component::Footer(f) => Some(text(&f.label, values)),
        Component::EmbeddedLink(l) => Some(text(&l.text, values)),
        Component::TextHeading(h) | Component::TextSubheading(h) => Some(text(&h.text, values)),
        Component::TextBody(b) | Component::TextCaption(b) => match &b.text {
            flows_json::Dyn::Literal(TextLines::One(s)) => Some(s.clone()),
            flows_json::Dyn::Literal(TextLines::Many(lines)) => Some(lines.join("\n")),
            flows_json::Dyn::Dynamic(s) => Some(text(&flows_json::Dyn::Dynamic(s.clone()), values)),
        },
        _ => None,
    }
}

/// Checks and normalises a value for a control, as the control itself would allow it.
fn accept(
    c: &Component,
    name: &str,
    value: Value,
    values: &Stores<'_>,
) -> Result<Value, WalkError> {
    let invalid = |reason: String| {
        WalkError::from(ActionError::InvalidValue {
            name: name.to_owned(),
            reason,
        })
    };
    let option_ok = |items: &[DataSourceItem], id: &str| -> Result<(), WalkError> {
        match items.iter().find(|o| o.id == id) {
            None => Err(invalid(format!(
                "`{id}` is not one of the options ({})",
                items
                    .iter()
                    .map(|o| o.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            Some(item) if !item_enabled(item, values) => {
                Err(invalid(format!("option `{id}` is disabled")))
            }
            Some(_) => Ok(()),
        }
    };
    match c {
        Component::TextInput(_) | Component::TextArea(_) => match value {
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            other => Err(invalid(format!("a text field takes text, not {other}"))),
        },
        Component::RadioButtonsGroup(_) | Component::Dropdown(_) => {
            let Value::String(id) = &value else {
                return Err(invalid(
                    "a single choice takes one option id (a string)".to_owned(),
                ));
            };
            option_ok(&options(c, values), id)?;
            Ok(value)
        }
        Component::CheckboxGroup(_) | Component::ChipsSelector(_) => {
            let Value::Array(ids) = &value else {
                return Err(invalid(
                    "a multiple choice takes an array of option ids".to_owned(),
                ));
            };
            let items = options(c, values);
            for id in ids {
                let Value::String(id) = id else {
                    return Err(invalid(format!("option ids are strings, not {id}")));
                };
                option_ok(&items, id)?;
            }
            Ok(value)
        }
        Component::OptIn(_) => match value {
            Value::Bool(_) => Ok(value),
            other => Err(invalid(format!(
                "an OptIn takes true or false, not {other}"
            ))),
        },
        Component::DatePicker(d) => {
            let Value::String(date) = &value else {
                return Err(invalid("a date is a \"YYYY-MM-DD\" string".to_owned()));
            };
            if !is_date(date) {
                return Err(invalid(format!("`{date}` is not a \"YYYY-MM-DD\" date")));
            }
            // The picker only offers days between min-date and max-date.
            if let Some(min) = d.min_date.as_ref().map(|m| text(m, values))
                && is_date(&min)
                && date.as_str() < min.as_str()
            {
                return Err(invalid(format!(
                    "{date} is before the earliest date, {min}"
                )));
            }
            if let Some(max) = d.max_date.as_ref().map(|m| text(m, values))
                && is_date(&max)
                && date.as_str() > max.as_str()
            {
                return Err(invalid(format!("{date} is after the latest date, {max}")));
            }
            Ok(value)
        }
        Component::CalendarPicker(_) => match &value {
            Value::String(s) if is_date(s) => Ok(value),
            Value::Object(range)
                if ["start-date", "end-date"]
                    .iter()
                    .all(|k| range.get(*k).and_then(Value::as_str).is_some_and(is_date)) =>
            {
                Ok(value)
            }
            _ => Err(invalid(
                "a CalendarPicker takes \"YYYY-MM-DD\" or {\"start-date\", \"end-date\"}"
                    .to_owned(),
            )),
        },
        Component::PhotoPicker(_) | Component::DocumentPicker(_) => {
            Err(ActionError::Unsupported("uploading photos or documents".to_owned()).into())
        }
        _ => Err(invalid(format!(
            "a {} holds no value",
            c.kind().map_or("component", |k| k.as_str())
        ))),
    }
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// The actions a change of value fires, in the client's order: item-level on-unselect for the
/// ids that left, item-level on-select for those that entered, then the component's own
/// (flow-client.md §4.4).
fn fired_actions(
    c: &Component,
    old: Option<&Value>,
    new: &Value,
    values: &Stores<'_>,
) -> Vec<Action> {
    let ids = |v: Option<&Value>| -> BTreeSet<String> {
        match v {
            Some(Value::String(s)) if !s.is_empty() => BTreeSet::from([s.clone()]),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect(),
            _ => BTreeSet::new(),
        }
    };
    let mut fired = Vec::new();
    match c {
        Component::CheckboxGroup(s)
        | Component::RadioButtonsGroup(s)
        | Component::ChipsSelector(s) => {
            let (before, after) = (ids(old), ids(Some(new)));
            let items = options(c, values);
            for item in &items {
                if before.contains(&item.id) && !after.contains(&item.id) {
                    fired.extend(item.on_unselect_action.clone());
                }
            }
            for item in &items {
                if after.contains(&item.id) && !before.contains(&item.id) {
                    fired.extend(item.on_select_action.clone());
                }
            }
            let removed = before.difference(&after).next().is_some();
            let added = after.difference(&before).next().is_some();
            match (&s.on_unselect_action, &s.on_select_action) {
                (Some(unselect), select) => {
                    if removed {
                        fired.push(unselect.clone());
                    }
                    if added {
                        fired.extend(select.clone());
                    }
                }
                (None, Some(select)) => fired.push(select.clone()),
                (None, None) => {}
            }
        }
        Component::Dropdown(d) => {
            let items = options(c, values);
            let (before, after) = (ids(old), ids(Some(new)));
            for item in items
                .iter()
                .filter(|i| before.contains(&i.id) && !after.contains(&i.id))
            {
                fired.extend(item.on_unselect_action.clone());
            }
            for item in items
                .iter()
                .filter(|i| after.contains(&i.id) && !before.contains(&i.id))
            {
                fired.extend(item.on_select_action.clone());
            }
            fired.extend(d.on_select_action.clone());
        }
        Component::OptIn(o) => {
            if new == &Value::Bool(true) {
                fired.extend(o.on_select_action.clone());
            } else {
                fired.extend(o.on_unselect_action.clone());
            }
        }
        Component::DatePicker(d) => fired.extend(d.on_select_action.clone()),
        Component::CalendarPicker(d) => fired.extend(d.on_select_action.clone()),
        _ => {}
    }
    fired
}
