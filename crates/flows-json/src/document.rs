//! A Flow JSON document with its source text: parse once, lint with line and column.

use crate::diagnostic::{Diagnostic, Location, Rule};
use crate::model::Flow;
use crate::span::SpanIndex;
use crate::validate;

/// Why text could not be read as Flow JSON at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The text is not JSON (Meta: `INVALID_FLOW_JSON`, "Flow JSON is not valid.").
    #[error("not valid JSON at line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error (serde_json's count).
        column: usize,
        /// serde_json's description, without the position.
        message: String,
    },
}

/// The source text, the model read from it and where each value sits.
///
/// ```
/// let doc = flows_json::Document::parse(r#"{
///   "version": "7.3",
///   "screens": [{"id": "DONE_1", "title": "Done", "terminal": true,
///     "layout": {"type": "SingleColumnLayout", "children": [
///       {"type": "Footer", "label": "OK", "on-click-action": {"name": "complete"}}]}}]
/// }"#)?;
/// for d in doc.diagnostics() {
///     println!("{}:{}: {}[{}]: {}", d.line().unwrap_or(0), d.column().unwrap_or(0), d.severity, d.rule, d.message);
/// }
/// let d = &doc.diagnostics()[0];
/// assert_eq!((d.rule.id(), d.line(), d.pointer.as_str()), ("invalid-screen-id", Some(3), "/screens/0/id"));
/// # Ok::<(), flows_json::ParseError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Document {
    text: String,
    flow: Flow,
    index: SpanIndex,
}

impl Document {
    /// Parses Flow JSON text.
    ///
    /// # Errors
    /// [`ParseError::Syntax`] when the text is not JSON. A document of the wrong shape parses; its
    /// problems are diagnostics.
    pub fn parse(text: impl Into<String>) -> Result<Self, ParseError> {
        let text = text.into();
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| ParseError::Syntax {
                line: e.line(),
                column: e.column(),
                message: strip_position(&e.to_string()),
            })?;
        let index = SpanIndex::build(&text).ok_or_else(|| ParseError::Syntax {
            line: 1,
            column: 1,
            message: "the text could not be scanned as JSON".to_owned(),
        })?;
        Ok(Self {
            flow: Flow::from_value(value),
            text,
            index,
        })
    }

    /// The model.
    #[must_use]
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// The model, giving up the text.
    #[must_use]
    pub fn into_flow(self) -> Flow {
        self.flow
    }

    /// The source text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Every diagnostic, with line and column, in source order: [`validate`] plus what only the
    /// text shows (duplicate keys, `null`s).
    #[must_use]
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let mut out = validate(&self.flow);
        for (pointer, _) in &self.index.duplicates {
            let key = pointer
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .replace("~1", "/")
                .replace("~0", "~");
            out.push(Diagnostic::new(
                Rule::DuplicateKey,
                pointer.clone(),
                format!(
                    "`{key}` appears twice in this object; only the last one counts: remove one"
                ),
            ));
        }
        for pointer in &self.index.nulls {
            out.push(Diagnostic::new(
                Rule::NullValue,
                pointer.clone(),
                "`null` is not a valid value in Flow JSON: remove the property or give it a value",
            ));
        }
        for d in &mut out {
            d.location = self.locate(&d.pointer, d.string_offset);
        }
        // Duplicate keys: the pointer names the later member, which is where the key sits.
        for (d, (_, key_at)) in out
            .iter_mut()
            .filter(|d| d.rule == Rule::DuplicateKey)
            .zip(&self.index.duplicates)
        {
            let start = self.index.position(&self.text, *key_at);
            d.location = Some(Location {
                start,
                end: d.location.map_or(start, |l| l.end),
            });
        }
        out.sort_by(|a, b| {
            let key = |d: &Diagnostic| d.location.map(|l| l.start.offset);
            key(a).cmp(&key(b)).then_with(|| a.rule.cmp(&b.rule))
        });
        out
    }

    /// Where the value at a JSON pointer is (its key, for object members), or its nearest existing
    /// ancestor.
    #[must_use]
    pub fn locate_pointer(&self, pointer: &str) -> Option<Location> {
        self.locate(pointer, None)
    }

    fn locate(&self, pointer: &str, string_offset: Option<usize>) -> Option<Location> {
        let exact = self.index.get(pointer);
        let span = exact.or_else(|| self.index.nearest(pointer))?;
        let end = self.index.position(&self.text, span.end);
        if let (Some(offset), Some(span)) = (string_offset, exact)
            && let Some(at) = string_byte(&self.text, span.start, offset)
        {
            return Some(Location {
                start: self.index.position(&self.text, at),
                end,
            });
        }
        let start_at = span.key.unwrap_or(span.start);
        Some(Location {
            start: self.index.position(&self.text, start_at),
            end,
        })
    }
}

/// The byte offset in the text of the `offset`-th byte of the decoded string whose opening quote
/// is at `quote`.
fn string_byte(text: &str, quote: usize, offset: usize) -> Option<usize> {
    let body = text.get(quote + 1..)?;
    let mut decoded = 0usize;
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if decoded >= offset {
            return Some(quote + 1 + i);
        }
        match c {
            '"' => return None,
            '\\' => {
                let (_, e) = chars.next()?;
                if e == 'u' {
                    let mut code = String::new();
                    for _ in 0..4 {
                        code.push(chars.next()?.1);
                    }
                    let n = u32::from_str_radix(&code, 16).ok()?;
                    decoded += char::from_u32(n).map_or(3, char::len_utf8);
                } else {
                    decoded += 1;
                }
            }
            c => decoded += c.len_utf8(),
        }
    }
    None
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message.get(..at).unwrap_or(message).to_owned(),
        None => message.to_owned(),
    }
}

/// Parses and lints Flow JSON text in one call.
///
/// ```
/// let diagnostics = flows_json::lint(r#"{"version": "7.3", "screens": []}"#)?;
/// assert_eq!(diagnostics[0].rule.id(), "no-screens");
/// assert_eq!(diagnostics[0].line(), Some(1));
/// # Ok::<(), flows_json::ParseError>(())
/// ```
///
/// # Errors
/// [`ParseError::Syntax`] when the text is not JSON.
pub fn lint(text: &str) -> Result<Vec<Diagnostic>, ParseError> {
    Document::parse(text).map(|d| d.diagnostics())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn syntax_errors_are_typed_with_their_position() {
        let err = lint("{\n  \"version\": \"7.3\",\n  \"screens\": [,]\n}").unwrap_err();
        let ParseError::Syntax {
            line,
            column,
            message,
        } = err;
        assert_eq!((line, column), (3, 15));
        assert!(!message.contains("line"), "{message}");
    }

    #[test]
    fn offsets_inside_strings_skip_escapes() {
        let text = r#""a\n\u00e9${x}""#;
        // Decoded: a, \n, é (2 bytes), then `$` at byte 4.
        assert_eq!(string_byte(text, 0, 4), text.find('$'));
        assert_eq!(string_byte(text, 0, 99), None);
    }

    #[test]
    fn duplicate_keys_and_nulls_are_found_in_the_text() {
        let text = "{\"version\": \"7.3\", \"version\": \"7.3\", \"screens\": [], \"x\": null}";
        let d = lint(text).unwrap();
        let rules: Vec<_> = d.iter().map(|d| d.rule.id()).collect();
        assert!(
            rules.contains(&"duplicate-key") && rules.contains(&"null-value"),
            "{rules:?}"
        );
        let dup = d.iter().find(|d| d.rule == Rule::DuplicateKey).unwrap();
        assert_eq!(dup.column(), Some(20));
        let _: crate::Position = dup.location.unwrap().start;
    }
}
