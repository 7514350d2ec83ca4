//! The Flow JSON linter as the CLI shows it: the lint step before a Flow JSON goes to Meta, and the
//! one printer of diagnostics, shared by `flows lint`, `flow create --json`/`flow upload` and Meta's
//! `validation_errors`: `file:line:col: error[rule]: message`, the JSON pointer, then the source line
//! with a caret under the column.
//!
//! The checks themselves are flows-json's ([`flows_json::Document`]); this module only turns its
//! diagnostics (and Meta's) into one shape and prints them.

use std::fmt::{self, Write as _};

use serde_json::Value;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    /// Meta would reject the file, or the phone would fail on it.
    Error,
    /// Allowed, but almost certainly a mistake.
    Warning,
}

impl Severity {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// One finding, located in the file (1-based line, and column in characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    pub(crate) line: Option<u64>,
    pub(crate) column: Option<u64>,
    pub(crate) severity: Severity,
    /// A flows-json rule id (`duplicate-screen-id`, `json-syntax`) or Meta's error code
    /// (`INVALID_PROPERTY_VALUE`).
    pub(crate) code: String,
    pub(crate) message: String,
    /// Where in the document, when known: a JSON pointer (`/screens/0/layout/children/0/type`), or
    /// Meta's path as it came when it is not of the usual shape.
    pub(crate) path: Option<String>,
}

impl From<&flows_json::Diagnostic> for Diagnostic {
    fn from(d: &flows_json::Diagnostic) -> Self {
        Self {
            line: d.line().map(|n| n as u64),
            column: d.column().map(|n| n as u64),
            severity: match d.severity {
                flows_json::Severity::Error => Severity::Error,
                flows_json::Severity::Warning => Severity::Warning,
            },
            code: d.rule.id().to_owned(),
            message: d.message.clone(),
            path: Some(d.pointer.clone()),
        }
    }
}

impl Diagnostic {
    /// `file:line:col: error[code]: message`, plus `  = at: path` when the path is known.
    pub(crate) fn display<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        Shown {
            d: self,
            file,
            source: None,
        }
    }

    /// As [`Diagnostic::display`], followed by the source line with a caret under the column.
    pub(crate) fn display_in<'a>(
        &'a self,
        file: &'a str,
        source: &'a str,
    ) -> impl fmt::Display + 'a {
        Shown {
            d: self,
            file,
            source: Some(source),
        }
    }
}

struct Shown<'a> {
    d: &'a Diagnostic,
    file: &'a str,
    source: Option<&'a str>,
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
        write!(f, ": {}[{}]: {}", d.severity.as_str(), d.code, d.message)?;
        if let Some(path) = d.path.as_deref().filter(|p| !p.is_empty()) {
            write!(f, "\n  = at: {path}")?;
        }
        if let (Some(source), Some(line)) = (self.source, d.line) {
            let column = d.column.unwrap_or(1);
            if let Some(snippet) = snippet(source, line, column) {
                f.write_str(&snippet)?;
            }
        }
        Ok(())
    }
}

/// The widest part of a source line shown (minified flows are one long line).
const SNIPPET_CHARS: usize = 120;

/// `\n   |\nNN | the line\n   |     ^` for 1-based `line` and `column` (in characters), or `None`
/// when the text has no such line. The caret's padding copies the line's tabs so it lines up in any
/// tab width; lines longer than [`SNIPPET_CHARS`] are cut around the column, marked with `…`.
fn snippet(source: &str, line: u64, column: u64) -> Option<String> {
    let index = usize::try_from(line.checked_sub(1)?).ok()?;
    let text = source.split('\n').nth(index)?;
    let text = text.strip_suffix('\r').unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    let at = usize::try_from(column.max(1) - 1)
        .unwrap_or(usize::MAX)
        .min(chars.len());
    let start = at.saturating_sub(SNIPPET_CHARS / 2);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    let mut shown = String::new();
    let mut pad = String::new();
    if start > 0 {
        shown.push('…');
        pad.push(' ');
    }
    for (i, &c) in chars.iter().enumerate().take(end).skip(start) {
        shown.push(c);
        if i < at {
            pad.push(if c == '\t' { '\t' } else { ' ' });
        }
    }
    if end < chars.len() {
        shown.push('…');
    }
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(out, "\n{gutter} |\n{number} | {shown}\n{gutter} | {pad}^");
    Some(out)
}

/// Why a text was not linted: it is not JSON. The diagnostic (`json-syntax`) has the line and
/// column (in characters) of the syntax error.
#[derive(Debug)]
pub(crate) struct NotJson(pub(crate) Diagnostic);

/// Lints a Flow JSON file's text with flows-json: every diagnostic, in source order.
pub(crate) fn lint(text: &str) -> Result<Vec<Diagnostic>, NotJson> {
    match flows_json::Document::parse(text) {
        Ok(doc) => Ok(doc.diagnostics().iter().map(Diagnostic::from).collect()),
        Err(flows_json::ParseError::Syntax {
            line,
            column,
            message,
        }) => Err(NotJson(Diagnostic {
            line: Some(line as u64),
            column: Some(char_column(text, line, column) as u64),
            severity: Severity::Error,
            code: "json-syntax".to_owned(),
            message: format!("not valid JSON: {message}"),
            path: None,
        })),
        Err(other) => Err(NotJson(Diagnostic {
            line: None,
            column: None,
            severity: Severity::Error,
            code: "json-syntax".to_owned(),
            message: other.to_string(),
            path: None,
        })),
    }
}

/// serde_json counts columns in bytes; the printer counts characters.
fn char_column(text: &str, line: usize, byte_column: usize) -> usize {
    let Some(text) = line.checked_sub(1).and_then(|i| text.split('\n').nth(i)) else {
        return byte_column;
    };
    let mut chars = 0;
    for (at, _) in text.char_indices() {
        if at >= byte_column {
            break;
        }
        chars += 1;
    }
    // serde_json points at the offending byte (column = bytes up to and including it).
    chars.max(1)
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

/// Every diagnostic as the printer shows it, one after the other (with the source line and caret
/// when the file's text is at hand), each ending in a newline.
pub(crate) fn render(file: &str, source: Option<&str>, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        // Writing to a String cannot fail.
        let _ = match source {
            Some(source) => writeln!(out, "{}", d.display_in(file, source)),
            None => writeln!(out, "{}", d.display(file)),
        };
    }
    out
}

/// Prints diagnostics to stderr; returns how many are errors.
pub(crate) fn report(file: &str, source: Option<&str>, diagnostics: &[Diagnostic]) -> usize {
    eprint!("{}", render(file, source, diagnostics));
    diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count()
}

/// The lint step before a Flow JSON goes to Meta: prints what the linter finds in `text` (to
/// stderr) and returns how many errors there are (a text that is not JSON counts as one).
pub(crate) fn gate(file: &str, text: &str) -> usize {
    match lint(text) {
        Ok(found) => report(file, Some(text), &found),
        Err(NotJson(d)) => report(file, Some(text), &[d]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_at_the_line_and_column() {
        let text = "{\n  \"version\": \"7.3\",\n  \"screens\": [}\n";
        let NotJson(found) = lint(text).unwrap_err();
        assert_eq!((found.line, found.column), (Some(3), Some(15)));
        assert_eq!(
            found.display_in("flow.json", text).to_string(),
            "flow.json:3:15: error[json-syntax]: not valid JSON: expected value\n  |\n3 |   \"screens\": [}\n  |               ^"
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
