//! The lint step before a Flow JSON goes to Meta, and diagnostics printed the way `flows lint`
//! prints them: `file:line:col: error[CODE]: message`, pointing into the local file.
//!
//! This is the one seam between the Meta commands and the Flow JSON linter: [`lint`] takes the file's
//! text and returns diagnostics. Until the flows-json crate's validation is wired in here, it checks
//! what it can without it: the file must be JSON (with serde_json's line and column) and a JSON
//! object with `version` and `screens`.

use std::fmt;

use serde_json::Value;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    /// Meta would reject the file, or the phone would fail on it.
    Error,
    /// Allowed, but almost certainly a mistake.
    #[allow(dead_code)] // produced once the flows-json linter runs here
    Warning,
}

/// One finding, located in the file (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    pub(crate) line: Option<u64>,
    pub(crate) column: Option<u64>,
    pub(crate) severity: Severity,
    /// A rule id (`json-syntax`) or Meta's error code (`INVALID_PROPERTY_VALUE`).
    pub(crate) code: String,
    pub(crate) message: String,
    /// Where in the document, when known: a JSON pointer (`/screens/0/layout/children/0/type`), or
    /// Meta's path as it came when it is not of the usual shape.
    pub(crate) path: Option<String>,
}

impl Diagnostic {
    /// `file:line:col: error[code]: message`, plus `  = at: path` when the path is known.
    pub(crate) fn display<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        Shown { d: self, file }
    }
}

struct Shown<'a> {
    d: &'a Diagnostic,
    file: &'a str,
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.d;
        f.write_str(self.file)?;
        if let Some(line) = d.line {
            write!(f, ":{line}")?;
            if let Some(column) = d.column {
                write!(f, ":{column}")?;
            }
        }
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, ": {severity}[{}]: {}", d.code, d.message)?;
        if let Some(path) = &d.path {
            write!(f, "\n  = at: {path}")?;
        }
        Ok(())
    }
}

/// Lints a Flow JSON file's text.
pub(crate) fn lint(text: &str) -> Vec<Diagnostic> {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            return vec![Diagnostic {
                line: Some(error.line() as u64),
                column: Some(error.column() as u64),
                severity: Severity::Error,
                code: "json-syntax".to_owned(),
                message: format!("not valid JSON: {}", without_position(&error)),
                path: None,
            }];
        }
    };
    let mut out = Vec::new();
    let Value::Object(root) = &value else {
        out.push(Diagnostic {
            line: Some(1),
            column: Some(1),
            severity: Severity::Error,
            code: "not-a-flow".to_owned(),
            message: "a Flow JSON document is an object with `version` and `screens`".to_owned(),
            path: None,
        });
        return out;
    };
    for key in ["version", "screens"] {
        if !root.contains_key(key) {
            out.push(Diagnostic {
                line: Some(1),
                column: Some(1),
                severity: Severity::Error,
                code: "missing-property".to_owned(),
                message: format!("the document has no `{key}`"),
                path: None,
            });
        }
    }
    out
}

/// serde_json's message without its trailing " at line L column C" (the position is printed in front).
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Meta's `validation_errors` as diagnostics. Meta reports positions in the text it was sent, which
/// is the local file byte for byte (both `create --json` and `upload` send it unchanged).
pub(crate) fn from_meta(errors: &[Value]) -> Vec<Diagnostic> {
    errors
        .iter()
        .map(|error| {
            let text = |key: &str| error.get(key).and_then(Value::as_str).map(str::to_owned);
            let number = |key: &str| error.get(key).and_then(Value::as_u64);
            let path = error
                .get("pointers")
                .and_then(Value::as_array)
                .and_then(|pointers| pointers.first())
                .and_then(|pointer| match pointer {
                    Value::String(path) => Some(path.as_str()),
                    other => other.get("path").and_then(Value::as_str),
                })
                .map(|path| json_pointer(path).unwrap_or_else(|| path.to_owned()));
            Diagnostic {
                line: number("line_start"),
                column: number("column_start"),
                severity: Severity::Error,
                code: text("error").unwrap_or_else(|| "META_VALIDATION_ERROR".to_owned()),
                message: text("message").unwrap_or_else(|| error.to_string()),
                path,
            }
        })
        .collect()
}

/// Meta's `pointers[].path` (`screens[0].layout.children[0].type`; its documentation also shows
/// `screens [0]. layout.children [0].type`) as an RFC 6901 JSON pointer, the form `flows lint`
/// reports: `/screens/0/layout/children/0/type`. `None` when it does not have that shape.
pub(crate) fn json_pointer(path: &str) -> Option<String> {
    let path: String = path.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = String::new();
    for segment in path.split('.') {
        let (name, mut rest) = match segment.find('[') {
            Some(at) => segment.split_at(at),
            None => (segment, ""),
        };
        if name.is_empty() && rest.is_empty() {
            return None;
        }
        if !name.is_empty() {
            out.push('/');
            out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let (index, after) = inner.split_once(']')?;
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            out.push('/');
            out.push_str(index);
            rest = after;
        }
        if !rest.is_empty() {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Prints diagnostics to stderr; returns how many are errors.
pub(crate) fn report(file: &str, diagnostics: &[Diagnostic]) -> usize {
    for d in diagnostics {
        eprintln!("{}", d.display(file));
    }
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_at_the_line_and_column() {
        let found = lint("{\n  \"version\": \"7.3\",\n  \"screens\": [}\n");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].column), (Some(3), Some(15)));
        assert_eq!(
            found[0].display("flow.json").to_string(),
            "flow.json:3:15: error[json-syntax]: not valid JSON: expected value"
        );
    }

    #[test]
    fn meta_errors_render_like_lint() {
        let errors = serde_json::json!([{
            "error": "INVALID_PROPERTY_VALUE", "error_type": "FLOW_JSON_ERROR",
            "message": "Invalid value found for property 'type'.",
            "line_start": 10, "line_end": 10, "column_start": 21, "column_end": 34,
            "pointers": [{"line_start": 10, "line_end": 10, "column_start": 21, "column_end": 34,
                          "path": "screens[0].layout.children[0].type"}]
        }]);
        let found = from_meta(errors.as_array().unwrap());
        assert_eq!(
            found[0].display("flow.json").to_string(),
            "flow.json:10:21: error[INVALID_PROPERTY_VALUE]: Invalid value found for property 'type'.\n  = at: /screens/0/layout/children/0/type"
        );
    }

    #[test]
    fn meta_paths_become_json_pointers() {
        for (path, pointer) in [
            (
                "screens[0].layout.children[0].type",
                Some("/screens/0/layout/children/0/type"),
            ),
            (
                "screens [0]. layout.children [0].type",
                Some("/screens/0/layout/children/0/type"),
            ),
            ("routing_model.FIRST", Some("/routing_model/FIRST")),
            ("data.a/b~c", Some("/data/a~1b~0c")),
            ("matrix[1][2]", Some("/matrix/1/2")),
            ("screens[x]", None),
            ("screens[0", None),
            ("", None),
        ] {
            assert_eq!(json_pointer(path).as_deref(), pointer, "{path}");
        }
    }
}
