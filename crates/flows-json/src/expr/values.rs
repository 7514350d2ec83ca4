//! Where evaluation reads values from: the client's per-screen stores.

use std::collections::BTreeMap;

use serde_json::Value;

use super::reference::Scope;

/// The state an expression is evaluated against, as the client keeps it: for each screen, its data and
/// its form values [WA WAFlowsStateProvider: `state[screen].data`, `state[screen].form`].
///
/// Implementations hand out borrowed JSON, so evaluation copies only what an expression actually reads.
pub trait Values {
    /// The id of the screen being rendered: `${data...}` and `${form...}` read this screen's stores.
    fn current_screen(&self) -> &str;

    /// The data (`Scope::Data`) or the form values (`Scope::Form`) of `screen`, normally a JSON object;
    /// `None` when the screen has none yet (for example a screen not visited), which reads as undefined.
    fn scope(&self, screen: &str, scope: Scope) -> Option<&Value>;
}

/// A ready-made [`Values`]: JSON stores per screen, in memory.
///
/// ```
/// use flows_json::expr::{Scope, ValueTable, Values};
/// use serde_json::json;
///
/// let values = ValueTable::new("WELCOME")
///     .with(Scope::Data, "WELCOME", json!({"name": "Ana"}))
///     .with(Scope::Form, "WELCOME", json!({"age": "30"}));
/// assert_eq!(values.current_screen(), "WELCOME");
/// assert_eq!(values.scope("WELCOME", Scope::Data), Some(&json!({"name": "Ana"})));
/// assert_eq!(values.scope("OTHER", Scope::Form), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValueTable {
    current: String,
    stores: BTreeMap<(String, Scope), Value>,
}

impl ValueTable {
    /// An empty table whose current screen is `current_screen`.
    pub fn new(current_screen: impl Into<String>) -> Self {
        ValueTable {
            current: current_screen.into(),
            stores: BTreeMap::new(),
        }
    }

    /// The table with `store` as the `scope` store of `screen` (replacing any previous one).
    #[must_use]
    pub fn with(mut self, scope: Scope, screen: impl Into<String>, store: Value) -> Self {
        self.set(scope, screen, store);
        self
    }

    /// Sets the `scope` store of `screen`.
    pub fn set(&mut self, scope: Scope, screen: impl Into<String>, store: Value) {
        self.stores.insert((screen.into(), scope), store);
    }

    /// Makes `screen` the current screen.
    pub fn set_current_screen(&mut self, screen: impl Into<String>) {
        self.current = screen.into();
    }
}

impl Values for ValueTable {
    fn current_screen(&self) -> &str {
        &self.current
    }

    fn scope(&self, screen: &str, scope: Scope) -> Option<&Value> {
        self.stores.get(&(screen.to_owned(), scope))
    }
}
