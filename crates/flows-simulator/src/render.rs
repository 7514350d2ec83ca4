//! A screen as the phone renders it: If/Switch resolved, `visible`/`enabled`/`required` evaluated
//! against the screen's stores, and the client-side validation that decides whether the Footer
//! can be pressed (flow-client.md §2, §5, §6).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use flows_json::expr::{Condition, JsValue, Scope, Values, eval_str, switch_case};
use flows_json::model::{DataSourceItem, Int};
use flows_json::{Component, Dyn};
use regex::Regex;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// What the phone keeps for one screen (flow-client.md §3).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ScreenState {
    /// `${data.*}`: every delivery shallow-merged in.
    pub(crate) data: Value,
    /// `${form.*}`: the inputs' values by name.
    pub(crate) form: Value,
    /// Server-set errors (`error-message(s)`) still shown, by field name.
    pub(crate) errors: BTreeMap<String, String>,
}

impl Default for ScreenState {
    fn default() -> Self {
        Self::new()
    }
}

impl ScreenState {
    pub(crate) fn new() -> Self {
        Self {
            data: Value::Object(Map::new()),
            form: Value::Object(Map::new()),
            errors: BTreeMap::new(),
        }
    }

    pub(crate) fn data_mut(&mut self) -> &mut Map<String, Value> {
        object_mut(&mut self.data)
    }

    pub(crate) fn form_mut(&mut self) -> &mut Map<String, Value> {
        object_mut(&mut self.form)
    }
}

fn object_mut(value: &mut Value) -> &mut Map<String, Value> {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => map,
        // Just made an object above.
        _ => unreachable_object(),
    }
}

#[allow(clippy::panic)]
fn unreachable_object() -> ! {
    panic!("a store that was just made an object is an object")
}

/// The stores of every screen, read as the expression evaluator expects.
pub(crate) struct Stores<'a> {
    pub(crate) current: &'a str,
    pub(crate) screens: &'a BTreeMap<String, ScreenState>,
    /// Backtick expressions are evaluated only from Flow JSON 6.0; before, they are text.
    pub(crate) nested: bool,
}

impl Values for Stores<'_> {
    fn current_screen(&self) -> &str {
        self.current
    }

    fn scope(&self, screen: &str, scope: Scope) -> Option<&Value> {
        let state = self.screens.get(screen)?;
        Some(match scope {
            Scope::Data => &state.data,
            Scope::Form => &state.form,
        })
    }
}

/// Evaluates any string property value (a binding, a backtick expression or a literal).
pub(crate) fn js(s: &str, values: &Stores<'_>) -> JsValue {
    if !values.nested && s.len() >= 2 && s.starts_with('`') && s.ends_with('`') {
        return JsValue::String(s.to_owned());
    }
    eval_str(s, values).unwrap_or(JsValue::Undefined)
}

/// A boolean property: a missing value or one that reads as undefined gives the default.
pub(crate) fn flag(d: Option<&Dyn<bool>>, values: &Stores<'_>, default: bool) -> bool {
    match d {
        None => default,
        Some(Dyn::Literal(b)) => *b,
        Some(Dyn::Dynamic(s)) => match js(s, values) {
            JsValue::Bool(b) => b,
            v if v.is_nullish() => default,
            v => v.is_truthy(),
        },
    }
}

/// A text property as shown (undefined shows as empty).
pub(crate) fn text(d: &Dyn<String>, values: &Stores<'_>) -> String {
    match d {
        Dyn::Literal(s) => s.clone(),
        Dyn::Dynamic(s) => match js(s, values) {
            v if v.is_nullish() => String::new(),
            v => v.to_js_string(),
        },
    }
}

/// A typed property (a list, a number): the literal, or the dynamic value read as `T`.
pub(crate) fn typed<T: DeserializeOwned + Clone>(d: &Dyn<T>, values: &Stores<'_>) -> Option<T> {
    match d {
        Dyn::Literal(t) => Some(t.clone()),
        Dyn::Dynamic(s) => serde_json::from_value(js(s, values).to_json()?).ok(),
    }
}

pub(crate) fn int(d: Option<&Dyn<Int>>, values: &Stores<'_>) -> Option<i64> {
    match d? {
        Dyn::Literal(i) => i.value(),
        Dyn::Dynamic(s) => {
            let n = js(s, values).to_number();
            (n.is_finite() && n.fract() == 0.0).then_some(n as i64)
        }
    }
}

/// Resolves an action payload the way the client does: every string is evaluated, objects and
/// arrays are resolved inside; a value that reads as undefined is dropped (`JSON.stringify`).
pub(crate) fn resolve_payload(
    payload: Option<&Map<String, Value>>,
    values: &Stores<'_>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in payload.into_iter().flatten() {
        if let Some(v) = resolve_value(value, values) {
            out.insert(key.clone(), v);
        }
    }
    out
}

fn resolve_value(value: &Value, values: &Stores<'_>) -> Option<Value> {
    match value {
        Value::String(s) => js(s, values).to_json().filter(|v| !v.is_null()),
        Value::Array(items) => Some(Value::Array(
            items
                .iter()
                .filter_map(|v| resolve_value(v, values))
                .collect(),
        )),
        Value::Object(map) => Some(Value::Object(resolve_payload(Some(map), values))),
        other => Some(other.clone()),
    }
}

/// One component as rendered.
#[derive(Clone, Debug)]
pub(crate) struct Rendered<'a> {
    pub(crate) component: &'a Component,
    /// Shown (its own `visible`, and every enclosing one).
    pub(crate) visible: bool,
}

/// The components of a screen that the phone renders: only the If/Switch branches chosen, with
/// each component's visibility.
pub(crate) fn render<'a>(children: &'a [Component], values: &Stores<'_>) -> Vec<Rendered<'a>> {
    let mut out = Vec::new();
    walk(children, values, true, &mut out);
    out
}

fn walk<'a>(list: &'a [Component], values: &Stores<'_>, shown: bool, out: &mut Vec<Rendered<'a>>) {
    for component in list {
        let visible = shown && flag(visible_of(component), values, true);
        out.push(Rendered { component, visible });
        match component {
            Component::Form(f) => walk(&f.children, values, visible, out),
            Component::If(c) => {
                if Condition::eval_source(&c.condition, values) {
                    walk(&c.then, values, visible, out);
                } else if let Some(other) = &c.else_ {
                    walk(other, values, visible, out);
                }
            }
            Component::Switch(s) => {
                let value = js(&s.value, values);
                if let Some(case) = switch_case(&value, s.cases.keys().map(String::as_str))
                    && let Some(list) = s.cases.get(case)
                {
                    walk(list, values, visible, out);
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn visible_of(c: &Component) -> Option<&Dyn<bool>> {
    match c {
        Component::TextHeading(x) | Component::TextSubheading(x) => x.visible.as_ref(),
        Component::TextBody(x) | Component::TextCaption(x) => x.visible.as_ref(),
        Component::RichText(x) => x.visible.as_ref(),
        Component::TextInput(x) => x.visible.as_ref(),
        Component::TextArea(x) => x.visible.as_ref(),
        Component::CheckboxGroup(x)
        | Component::RadioButtonsGroup(x)
        | Component::ChipsSelector(x) => x.visible.as_ref(),
        Component::Dropdown(x) => x.visible.as_ref(),
        Component::DatePicker(x) => x.visible.as_ref(),
        Component::CalendarPicker(x) => x.visible.as_ref(),
        Component::OptIn(x) => x.visible.as_ref(),
        Component::EmbeddedLink(x) => x.visible.as_ref(),
        Component::Footer(x) => x.visible.as_ref(),
        Component::Image(x) => x.visible.as_ref(),
        Component::ImageCarousel(x) => x.visible.as_ref(),
        Component::NavigationList(x) => x.visible.as_ref(),
        Component::PhotoPicker(x) => x.visible.as_ref(),
        Component::DocumentPicker(x) => x.visible.as_ref(),
        _ => None,
    }
}

pub(crate) fn enabled_of(c: &Component) -> Option<&Dyn<bool>> {
    match c {
        Component::TextInput(x) => x.enabled.as_ref(),
        Component::TextArea(x) => x.enabled.as_ref(),
        Component::CheckboxGroup(x)
        | Component::RadioButtonsGroup(x)
        | Component::ChipsSelector(x) => x.enabled.as_ref(),
        Component::Dropdown(x) => x.enabled.as_ref(),
        Component::DatePicker(x) => x.enabled.as_ref(),
        Component::CalendarPicker(x) => x.enabled.as_ref(),
        Component::OptIn(x) => x.enabled.as_ref(),
        Component::Footer(x) => x.enabled.as_ref(),
        Component::PhotoPicker(x) => x.enabled.as_ref(),
        Component::DocumentPicker(x) => x.enabled.as_ref(),
        _ => None,
    }
}

pub(crate) fn required_of(c: &Component) -> Option<&Dyn<bool>> {
    match c {
        Component::TextInput(x) => x.required.as_ref(),
        Component::TextArea(x) => x.required.as_ref(),
        Component::CheckboxGroup(x)
        | Component::RadioButtonsGroup(x)
        | Component::ChipsSelector(x) => x.required.as_ref(),
        Component::Dropdown(x) => x.required.as_ref(),
        Component::DatePicker(x) => x.required.as_ref(),
        Component::OptIn(x) => x.required.as_ref(),
        _ => None,
    }
}

/// The label a person reads for an input (for messages).
pub(crate) fn label_of(c: &Component, values: &Stores<'_>) -> Option<String> {
    let d = match c {
        Component::TextInput(x) => &x.label,
        Component::TextArea(x) => &x.label,
        Component::CheckboxGroup(x)
        | Component::RadioButtonsGroup(x)
        | Component::ChipsSelector(x) => x.label.as_ref()?,
        Component::Dropdown(x) => &x.label,
        Component::DatePicker(x) => &x.label,
        Component::OptIn(x) => &x.label,
        Component::PhotoPicker(x) => &x.label,
        Component::DocumentPicker(x) => &x.label,
        _ => return None,
    };
    Some(text(d, values))
}

/// The options of a selection component, as currently bound.
pub(crate) fn options(c: &Component, values: &Stores<'_>) -> Vec<DataSourceItem> {
    let d = match c {
        Component::CheckboxGroup(x)
        | Component::RadioButtonsGroup(x)
        | Component::ChipsSelector(x) => &x.data_source,
        Component::Dropdown(x) => &x.data_source,
        _ => return Vec::new(),
    };
    typed(d, values).unwrap_or_default()
}

pub(crate) fn item_enabled(item: &DataSourceItem, values: &Stores<'_>) -> bool {
    flag(item.enabled.as_ref(), values, true)
}

/// Emptiness as the client's required check sees it [WA FormValidationUtils].
fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => !b,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Number(_)) => false,
    }
}

// The client's own input-type expressions, compiled once: they are checked on every value a
// walk sets, and compiling them each time was a visible share of `flows load --walk`'s CPU.
static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^([a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+$|^$)").ok()
});
static PASSCODE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^[0-9]*$").ok());
static PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(\+[0-9]+[* .-]*)?(\([0-9]+\)[ .-]*)?([0-9][0-9 .-]+[0-9])*$").ok()
});
static NUMBER: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^[-+]?(?:(?:0\d*|[1-9]\d*(?:,\d{3})*|\d+)(?:\.\d+)?|\d+,\d+)(?:[eE][-+]?\d+)?$")
        .ok()
});

/// Whether `value` matches one of the client's own expressions (which always compile).
fn matches_builtin(re: &LazyLock<Option<Regex>>, value: &str) -> bool {
    re.as_ref().is_none_or(|re| re.is_match(value))
}

/// Whether `value` matches an author's `pattern`; an invalid pattern is ignored, as the client
/// ignores it.
fn matches(pattern: &str, value: &str) -> bool {
    Regex::new(pattern).map_or(true, |re| re.is_match(value))
}

fn value_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// The client-side errors of the rendered inputs, in screen order: `(field name, message)`.
pub(crate) fn client_errors(
    rendered: &[Rendered<'_>],
    state: &ScreenState,
    values: &Stores<'_>,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    for r in rendered.iter().filter(|r| r.visible) {
        let c = r.component;
        let Some(name) = c.name() else { continue };
        if !c.kind().is_some_and(|k| k.is_input()) {
            continue;
        }
        let label = label_of(c, values).unwrap_or_else(|| name.to_owned());
        let value = state.form.get(name);
        let mut push =
            |message: String| errors.push((name.to_owned(), format!("{label}: {message}")));
        let enabled = flag(enabled_of(c), values, true);
        if flag(required_of(c), values, false) && is_empty(value) {
            push("required".to_owned());
            continue;
        }
        if let Some(server) = state.errors.get(name) {
            push(format!("{server} (set by the endpoint)"));
            continue;
        }
        match c {
            Component::TextInput(t) => {
                let v = value_text(value);
                let len = v.chars().count() as i64;
                let kind = t.input_type.as_ref().map(|d| text(d, values));
                let kind = kind.as_deref().unwrap_or("text");
                if let Some(min) = int(t.min_chars.as_ref(), values)
                    && len > 0
                    && len < min
                {
                    push(format!("enter at least {min} characters"));
                } else if len > int(t.max_chars.as_ref(), values).unwrap_or(80) {
                    push(format!(
                        "enter at most {} characters",
                        int(t.max_chars.as_ref(), values).unwrap_or(80)
                    ));
                } else if kind == "email" && !matches_builtin(&EMAIL, &v) {
                    push("enter a valid email address".to_owned());
                } else if kind == "passcode" && !matches_builtin(&PASSCODE, &v) {
                    push("enter digits only".to_owned());
                } else if kind == "phone" && !matches_builtin(&PHONE, &v) {
                    push("enter a valid phone number".to_owned());
                } else if kind == "number" && !v.is_empty() && !matches_builtin(&NUMBER, &v) {
                    push("enter a number".to_owned());
                } else if let Some(p) = t.pattern.as_ref().map(|d| text(d, values))
                    && matches!(kind, "text" | "password" | "passcode" | "number")
                    && !v.is_empty()
                    && !matches(&p, &v)
                {
                    push(format!("does not match the pattern {p}"));
                }
            }
            Component::CheckboxGroup(s) | Component::ChipsSelector(s) if enabled => {
                let count = value.and_then(Value::as_array).map_or(0, Vec::len) as i64;
                let offered = options(c, values).len() as i64;
                let min = int(s.min_selected_items.as_ref(), values).unwrap_or(0);
                let max = int(s.max_selected_items.as_ref(), values).unwrap_or(offered);
                if count > 0 || min > 0 {
                    if count < min {
                        push(format!("choose at least {min}"));
                    } else if count > max {
                        push(format!("choose at most {max}"));
                    }
                }
            }
            Component::Dropdown(_) => {
                if let Some(Value::String(id)) = value
                    && !id.is_empty()
                    && !options(c, values).iter().any(|o| &o.id == id)
                {
                    push(format!("`{id}` is no longer one of the options"));
                }
            }
            Component::DatePicker(d) => {
                if let Some(Value::String(date)) = value
                    && d.unavailable_dates
                        .as_ref()
                        .and_then(|u| typed(u, values))
                        .is_some_and(|u: Vec<String>| u.contains(date))
                {
                    push(format!("{date} is not available"));
                }
            }
            _ => {}
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client's expressions compile, so `matches_builtin` never waves a value through.
    #[test]
    fn the_clients_expressions_compile_and_check() {
        for re in [&EMAIL, &PASSCODE, &PHONE, &NUMBER] {
            assert!(re.is_some());
        }
        assert!(matches_builtin(&EMAIL, "ana@example.com"));
        assert!(!matches_builtin(&EMAIL, "ana@"));
        assert!(!matches_builtin(&PASSCODE, "12a4"));
        assert!(matches_builtin(&PHONE, "+351 912 345 678"));
        assert!(!matches_builtin(&NUMBER, "1.2.3"));
    }
}
