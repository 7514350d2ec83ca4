//! References to screen data and form values: `${data.x}`, `${form.x}`, `${screen.SCREEN.data.x}`.

use std::fmt;

use serde_json::Value;

use super::error::{ExprError, ExprErrorKind, Span};
use super::js::JsValue;
use super::values::Values;

/// Which store of a screen a reference reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `data`: the screen's data, from the endpoint's reply or the previous screen's `navigate` payload.
    Data,
    /// `form`: what the user entered in the screen's input components, by component `name`.
    Form,
}

impl Scope {
    /// `"data"` or `"form"`, as written in a reference.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Data => "data",
            Scope::Form => "form",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reference to a value of a screen: `${data.a.b}` is `Ref { screen: None, scope: Data, path: ["a", "b"] }`,
/// `${screen.SUMMARY.form.name}` is `Ref { screen: Some("SUMMARY"), scope: Form, path: ["name"] }`.
///
/// `Display` writes it back in the `${...}` form.
///
/// ```
/// use flows_json::expr::{Ref, Scope};
///
/// let r = Ref::parse("${screen.SUMMARY.data.order.total}")?;
/// assert_eq!(r.screen.as_deref(), Some("SUMMARY"));
/// assert_eq!(r.scope, Scope::Data);
/// assert_eq!(r.path, ["order", "total"]);
/// assert_eq!(r.to_string(), "${screen.SUMMARY.data.order.total}");
///
/// // The client rewrites `${data...}` to the current screen; so does `resolved`.
/// let local = Ref::parse("${form.name}")?;
/// assert_eq!(local.resolved("WELCOME").to_string(), "${screen.WELCOME.form.name}");
/// # Ok::<(), flows_json::expr::ExprError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref {
    /// The screen, for a global reference (`${screen.ID...}`, Flow JSON >= 4.0); `None` is the current screen.
    pub screen: Option<String>,
    /// `data` or `form`.
    pub scope: Scope,
    /// The field (data key or component name) and any deeper property names; empty for the whole store
    /// (`${data}`, `${form}`).
    pub path: Vec<String>,
}

impl Ref {
    /// A reference built from its parts.
    pub fn new<S: Into<String>>(
        screen: Option<&str>,
        scope: Scope,
        path: impl IntoIterator<Item = S>,
    ) -> Self {
        Ref {
            screen: screen.map(str::to_owned),
            scope,
            path: path.into_iter().map(Into::into).collect(),
        }
    }

    /// Parses a whole property value that is one binding, as the schema pattern for dynamic properties
    /// accepts it: `${(screen.<id>.)?(data|form)(.[\w-]+)+}` [WA WAFlowJSONSchemaUtils]. Screen ids are
    /// letters, `_` and `,` (the client's pattern); path segments are letters, digits, `_` and `-`.
    /// `${data}` and `${form}` (the whole store, as payloads send it: `"form": "${form}"`) parse with an
    /// empty path; the client resolves them to the store's object, but typed properties need a field.
    ///
    /// Errors are [`ExprErrorKind::MalformedBinding`], pointing at the first character that does not fit.
    pub fn parse(s: &str) -> Result<Ref, ExprError> {
        let malformed = |at: usize, why: &str| {
            ExprError::new(
                ExprErrorKind::MalformedBinding,
                Span::at(at),
                format!(
                    "`{s}` is not a binding: {why}. A binding is the whole value and has the form \
                     `${{data.field}}`, `${{form.field}}` or `${{screen.SCREEN_ID.data.field}}`"
                ),
            )
        };
        let Some(inner) = s.strip_prefix("${") else {
            return Err(malformed(0, "it must start with `${`"));
        };
        let Some(inner) = inner.strip_suffix('}') else {
            return Err(malformed(s.len(), "it must end with `}`"));
        };
        let mut pos = 2; // byte offset of `inner` in `s`
        let mut parts = inner.split('.');
        let mut first = parts.next().unwrap_or_default();
        let mut screen = None;
        if first == "screen" {
            pos += "screen.".len();
            let id = parts.next().unwrap_or_default();
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '_' || c == ',')
            {
                return Err(malformed(
                    pos,
                    "a screen id consists of letters and underscores",
                ));
            }
            screen = Some(id.to_owned());
            pos += id.len() + 1;
            first = parts.next().unwrap_or_default();
        }
        let scope = match first {
            "data" => Scope::Data,
            "form" => Scope::Form,
            _ => {
                return Err(malformed(
                    pos,
                    "after `${` (or `${screen.ID.`) comes `data` or `form`",
                ));
            }
        };
        pos += first.len();
        let mut path = Vec::new();
        for seg in parts {
            pos += 1;
            if seg.is_empty()
                || !seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                let bad = seg
                    .char_indices()
                    .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
                    .map_or(0, |(i, _)| i);
                return Err(malformed(
                    pos + bad,
                    "field names consist of letters, digits, `_` and `-`, separated by `.`",
                ));
            }
            path.push(seg.to_owned());
            pos += seg.len();
        }
        Ok(Ref {
            screen,
            scope,
            path,
        })
    }

    /// The first path segment: the data key or the form component's name.
    pub fn field(&self) -> Option<&str> {
        self.path.first().map(String::as_str)
    }

    /// Whether this names a screen explicitly (`${screen.ID...}`).
    pub fn is_global(&self) -> bool {
        self.screen.is_some()
    }

    /// The same reference with the current screen made explicit, as the client rewrites
    /// `${data` to `${screen.<current>.data` before evaluating.
    pub fn resolved(&self, current_screen: &str) -> Ref {
        Ref {
            screen: Some(
                self.screen
                    .clone()
                    .unwrap_or_else(|| current_screen.to_owned()),
            ),
            scope: self.scope,
            path: self.path.clone(),
        }
    }

    /// The value the client shows for this binding: the path looked up in the screen's store
    /// [WA StateParser, WAFlowsGet]. A missing value, and a JSON `null` (the client substitutes the
    /// property's default for both), are [`JsValue::Undefined`].
    pub fn resolve(&self, values: &dyn Values) -> JsValue {
        match self.lookup(values) {
            JsValue::Null => JsValue::Undefined,
            v => v,
        }
    }

    /// The value at this reference as the nested-expression evaluator sees it (JSON `null` stays `null`).
    pub(crate) fn lookup(&self, values: &dyn Values) -> JsValue {
        let screen = self
            .screen
            .as_deref()
            .unwrap_or_else(|| values.current_screen());
        match values.scope(screen, self.scope) {
            Some(root) => walk(root, &self.path),
            None => JsValue::Undefined,
        }
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("${")?;
        if let Some(screen) = &self.screen {
            write!(f, "screen.{screen}.")?;
        }
        f.write_str(self.scope.as_str())?;
        for seg in &self.path {
            write!(f, ".{seg}")?;
        }
        f.write_str("}")
    }
}

/// `root[path[0]][path[1]]...` with JavaScript property access.
pub(crate) fn walk(root: &Value, path: &[String]) -> JsValue {
    let mut cur = root;
    for (i, seg) in path.iter().enumerate() {
        let next = match cur {
            Value::Object(map) => map.get(seg),
            Value::Array(items) if seg != "length" => index_of(seg).and_then(|n| items.get(n)),
            _ => {
                // Strings, array lengths and scalars: finish with the generic JavaScript rules.
                let mut v = JsValue::from_json(cur).get(seg);
                for seg in path.iter().skip(i + 1) {
                    v = v.get(seg);
                }
                return v;
            }
        };
        match next {
            Some(v) => cur = v,
            None => return JsValue::Undefined,
        }
    }
    JsValue::from_json(cur)
}

fn index_of(key: &str) -> Option<usize> {
    if key.is_empty()
        || !key.bytes().all(|b| b.is_ascii_digit())
        || (key.len() > 1 && key.starts_with('0'))
    {
        return None;
    }
    key.parse().ok()
}

/// Whether the client treats a string as a binding [WA WAFlowsDynamicDataUtils.isBindingValue]: a global
/// one by the prefix pattern `^\$\{(screen\.([a-zA-Z,_]*)\.)(data|form)+(\..+)?\}`, or a local one
/// that starts with `${data`, `${form` or `${external_data` and ends with `}`.
pub(crate) fn client_is_binding(s: &str) -> bool {
    is_client_local_binding(s) || is_client_global_binding(s)
}

fn is_client_local_binding(s: &str) -> bool {
    ["${external_data", "${data", "${form"]
        .iter()
        .any(|p| s.starts_with(p))
        && s.ends_with('}')
}

fn is_line_terminator(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

fn is_client_global_binding(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("${screen.") else {
        return false;
    };
    let id_len = rest
        .find(|c: char| !(c.is_ascii_alphabetic() || c == ',' || c == '_'))
        .unwrap_or(rest.len());
    let Some(mut rest) = rest.get(id_len..).and_then(|r| r.strip_prefix('.')) else {
        return false;
    };
    let mut scopes = 0;
    while let Some(r) = rest
        .strip_prefix("data")
        .or_else(|| rest.strip_prefix("form"))
    {
        rest = r;
        scopes += 1;
    }
    if scopes == 0 {
        return false;
    }
    if rest.starts_with('}') {
        return true;
    }
    // `(\..+)?\}`: a dot, at least one character, then a `}`, all on one line.
    let Some(after_dot) = rest.strip_prefix('.') else {
        return false;
    };
    let line = after_dot
        .split(is_line_terminator)
        .next()
        .unwrap_or_default();
    line.char_indices().any(|(i, c)| c == '}' && i > 0)
}

/// The path the client looks a binding up at, from the root of the state (`[screen, "data", ...]`), exactly
/// as `WAFlowsGet(state, getDataKey(...))` splits it [WA StateParser, WAFlowsDynamicDataUtils.getDataKey].
pub(crate) fn client_binding_path(s: &str, current_screen: &str) -> Vec<String> {
    fn data_key(x: &str) -> String {
        x.replacen("${screen.", "", 1)
            .replacen("${", "", 1)
            .replacen('}', "", 1)
    }
    let global = if is_client_local_binding(s) {
        format!("${{screen.{current_screen}.{}}}", data_key(s))
    } else {
        s.to_owned()
    };
    data_key(&global)
        .replace('[', ".")
        .replace(']', "")
        .split('.')
        .map(str::to_owned)
        .collect()
}

/// Looks up a path from the root of the client's state (`[screen, scope, ...]`) with `WAFlowsGet`'s rules:
/// `None` when any step, or the value itself, is null or undefined (the caller's default applies then).
pub(crate) fn client_get(values: &dyn Values, path: &[String]) -> Option<JsValue> {
    let (screen, rest) = path.split_first()?;
    let (scope, rest) = rest.split_first()?;
    let scope = match scope.as_str() {
        "data" => Scope::Data,
        "form" => Scope::Form,
        _ => return None,
    };
    let v = walk(values.scope(screen, scope)?, rest);
    if v.is_nullish() { None } else { Some(v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let r = Ref::parse("${data.x}").unwrap();
        assert_eq!(r, Ref::new(None, Scope::Data, ["x"]));
        let r = Ref::parse("${form.first-name}").unwrap();
        assert_eq!(r, Ref::new(None, Scope::Form, ["first-name"]));
        let r = Ref::parse("${screen.SELECT_INSURANCE.form.insurance}").unwrap();
        assert_eq!(
            r,
            Ref::new(Some("SELECT_INSURANCE"), Scope::Form, ["insurance"])
        );
        let r = Ref::parse("${data.a.b.0}").unwrap();
        assert_eq!(r.path, ["a", "b", "0"]);
        let r = Ref::parse("${form}").unwrap();
        assert_eq!(r, Ref::new(None, Scope::Form, Vec::<String>::new()));
        assert_eq!(r.to_string(), "${form}");
    }

    #[test]
    fn rejects_what_the_pattern_rejects() {
        for (s, at) in [
            ("${data.}", 7),
            ("${data.a b}", 8),
            ("${datum.x}", 2),
            ("${screen.S1.data.x}", 9),
            ("${screen..data.x}", 9),
            ("${data.a} ${data.b}", 8),
            ("${data.list[0]}", 11),
            ("data.x", 0),
            ("${data.x", 8),
        ] {
            let e = Ref::parse(s).unwrap_err();
            assert_eq!(e.kind(), ExprErrorKind::MalformedBinding, "{s}");
            assert_eq!(e.offset(), at, "{s}: {e}");
        }
    }

    #[test]
    fn client_binding_detection_matches_the_client() {
        assert!(client_is_binding("${data.x}"));
        assert!(client_is_binding("${form.x}"));
        assert!(client_is_binding("${data.a} and ${data.b}"));
        assert!(client_is_binding("${screen.A.data.x}"));
        assert!(client_is_binding("${screen.A.data}"));
        assert!(client_is_binding("${screen.A.data.x} trailing text"));
        assert!(!client_is_binding("${screen.A1.data.x}"));
        assert!(!client_is_binding("Hi ${data.x}"));
        assert!(!client_is_binding("${data.x} hi"));
        assert!(!client_is_binding("${foo}"));
    }

    #[test]
    fn client_paths_are_split_like_waflowsget() {
        assert_eq!(
            client_binding_path("${data.a.b}", "S"),
            ["S", "data", "a", "b"]
        );
        assert_eq!(
            client_binding_path("${screen.T.form.x}", "S"),
            ["T", "form", "x"]
        );
        assert_eq!(
            client_binding_path("${data.list[0].name}", "S"),
            ["S", "data", "list", "0", "name"]
        );
        assert_eq!(
            client_binding_path("${data.a} and ${data.b}", "S"),
            ["S", "data", "a and data", "b}"]
        );
    }
}
