//! What can go wrong in a walk, typed so callers (tests, `flows walk`) branch on the kind.

use flows_json::reply::Violation;

use crate::transport::TransportError;

/// The phone refused what the user tried: nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// No component with this `name` on the current screen.
    #[error("screen {screen} has no component named `{name}`")]
    NoSuchComponent {
        /// The name asked for.
        name: String,
        /// The current screen.
        screen: String,
    },
    /// The component is not shown (`visible` false, or in an If/Switch branch not rendered).
    #[error("`{name}` is hidden on screen {screen}")]
    Hidden {
        /// The component's name.
        name: String,
        /// The current screen.
        screen: String,
    },
    /// The component is greyed out (`enabled` false).
    #[error("`{name}` is disabled on screen {screen}")]
    Disabled {
        /// The component's name.
        name: String,
        /// The current screen.
        screen: String,
    },
    /// A value the control cannot hold (wrong type, an option id that is not offered, a date
    /// outside the picker's range).
    #[error("cannot set `{name}`: {reason}")]
    InvalidValue {
        /// The component's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Nothing tappable with this label on the current screen.
    #[error("nothing to tap labelled {label:?} on screen {screen} (tappable: {available})")]
    NoSuchTappable {
        /// The label asked for.
        label: String,
        /// The current screen.
        screen: String,
        /// The labels that are there, comma-separated.
        available: String,
    },
    /// The Footer is disabled, as the phone would show it: the reasons, one per field or rule.
    #[error("the phone would not let you press {label:?}: {}", reasons.join("; "))]
    FooterDisabled {
        /// The Footer's label.
        label: String,
        /// Why it is disabled.
        reasons: Vec<String>,
    },
    /// The flow is no longer open (completed, dismissed, or disabled by a 427).
    #[error("the flow is closed")]
    Closed,
    /// Something the simulator does not do (uploading media).
    #[error("not simulated: {0}")]
    Unsupported(String),
}

/// Why a walk step failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WalkError {
    /// The phone refused the action.
    #[error(transparent)]
    Action(#[from] ActionError),
    /// The Flow JSON cannot be run (no screens, an unknown start screen, an unparsable document).
    #[error("the flow cannot be opened: {0}")]
    Flow(String),
    /// A `navigate` or `update_data` of the flow itself breaks the flow's own rules.
    #[error("the flow breaks its own rules: {0}")]
    Navigation(String),
    /// The endpoint answered with an error status; the phone shows a generic error (snackbar on a
    /// screen, an error screen at INIT or after a failed 421 retry).
    #[error("the endpoint answered HTTP {status}{}", detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// The HTTP status.
        status: u16,
        /// What the client makes of it.
        detail: Option<String>,
    },
    /// HTTP 427: the flow token is no longer valid; the flow shows `error_msg` and can only be closed.
    #[error("the endpoint disabled the flow (HTTP 427): {message}")]
    FlowDisabled {
        /// The `error_msg` shown, or the client's generic text.
        message: String,
    },
    /// No answer within the client's timeout (10 s).
    #[error("the endpoint did not answer within {0} s")]
    Timeout(u64),
    /// The request could not be delivered.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The reply could not be decrypted or is not the JSON object the client expects.
    #[error("the reply is not valid: {0}")]
    InvalidReply(String),
    /// The reply breaks the flow's contract: the client rejects it (and notifies the endpoint).
    #[error("the reply breaks the flow's contract: {}", violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Contract {
        /// Every violation found.
        violations: Vec<Violation>,
    },
    /// Encrypting the request failed.
    #[error("cannot encrypt the request: {0}")]
    Crypto(String),
}

/// A [`PreparedFlow`](crate::PreparedFlow) is already checked: taking one where a flow is
/// prepared cannot fail, and this lets [`Simulator::new`](crate::Simulator::new) take both.
impl From<std::convert::Infallible> for WalkError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl WalkError {
    /// The HTTP status this failure came with, if it came from the endpoint's answer.
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::FlowDisabled { .. } => Some(427),
            _ => None,
        }
    }
}
