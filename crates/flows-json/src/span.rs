//! Where each JSON value sits in the source text: one linear pass over the text builds a map from
//! JSON pointer to byte span, and finds duplicate object keys and `null`s on the way.
//!
//! serde_json parses the document first (and reports syntax errors with its line and column), so
//! this scanner only ever sees well-formed JSON; it still returns `None` rather than panic if the
//! text surprises it.

use std::collections::{HashMap, HashSet};

use crate::pointer;

/// A 1-based line and column (in characters) in the source text, plus the byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters (Unicode scalar values).
    pub column: usize,
    /// 0-based byte offset into the text.
    pub offset: usize,
}

/// Where a value is: the key of the member that holds it (if any) and the value itself, as byte
/// offsets into the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    /// Offset of the opening quote of the member's key, for object members.
    pub(crate) key: Option<usize>,
    /// Offset of the value's first byte.
    pub(crate) start: usize,
    /// Offset just past the value's last byte.
    pub(crate) end: usize,
}

/// The pointer -> span map of one document, with what the scan noticed on the way.
#[derive(Clone, Debug, Default)]
pub(crate) struct SpanIndex {
    spans: HashMap<String, Span>,
    line_starts: Vec<usize>,
    /// Pointers of members whose key already occurred earlier in the same object (the later
    /// occurrence, which is the one serde_json keeps), with the offset of that key.
    pub(crate) duplicates: Vec<(String, usize)>,
    /// Pointers of `null` values.
    pub(crate) nulls: Vec<String>,
}

impl SpanIndex {
    /// Scans well-formed JSON text. `None` only if the text is not JSON after all.
    pub(crate) fn build(text: &str) -> Option<Self> {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            at: 0,
            index: Self::default(),
        };
        scanner.index.line_starts.push(0);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                scanner.index.line_starts.push(i + 1);
            }
        }
        let mut pointer = String::new();
        scanner.skip_ws();
        scanner.value(&mut pointer, None, 0)?;
        Some(scanner.index)
    }

    /// The span of the value at `pointer`.
    pub(crate) fn get(&self, pointer: &str) -> Option<Span> {
        self.spans.get(pointer).copied()
    }

    /// The span of the value at `pointer`, or of its closest ancestor that exists.
    pub(crate) fn nearest(&self, mut pointer: &str) -> Option<Span> {
        loop {
            if let Some(span) = self.get(pointer) {
                return Some(span);
            }
            if pointer.is_empty() {
                return None;
            }
            pointer = pointer::parent(pointer);
        }
    }

    /// Line and column of a byte offset.
    pub(crate) fn position(&self, text: &str, offset: usize) -> Position {
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .max(1);
        let start = self.line_starts.get(line - 1).copied().unwrap_or(0);
        let column = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        Position {
            line,
            column,
            offset,
        }
    }
}

/// serde_json refuses nesting deeper than 128; this is only a backstop.
const MAX_DEPTH: usize = 512;

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    index: SpanIndex,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    fn value(&mut self, pointer: &mut String, key: Option<usize>, depth: usize) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let start = self.at;
        match self.peek()? {
            b'{' => self.object(pointer, depth)?,
            b'[' => self.array(pointer, depth)?,
            b'"' => {
                self.string(None)?;
            }
            b'n' => {
                self.literal(b"null")?;
                self.index.nulls.push(pointer.clone());
            }
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            _ => self.number()?,
        }
        let span = Span {
            key,
            start,
            end: self.at,
        };
        self.index.spans.insert(pointer.clone(), span);
        Some(())
    }

    fn object(&mut self, pointer: &mut String, depth: usize) -> Option<()> {
        self.eat(b'{')?;
        self.skip_ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        let mut seen = HashSet::new();
        let mut key = String::new();
        loop {
            self.skip_ws();
            let key_at = self.at;
            key.clear();
            self.string(Some(&mut key))?;
            self.skip_ws();
            self.eat(b':')?;
            self.skip_ws();
            let len = pointer.len();
            pointer::push_token(pointer, &key);
            if !seen.insert(key.clone()) {
                self.index.duplicates.push((pointer.clone(), key_at));
            }
            self.value(pointer, Some(key_at), depth + 1)?;
            pointer.truncate(len);
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self, pointer: &mut String, depth: usize) -> Option<()> {
        self.eat(b'[')?;
        self.skip_ws();
        if self.eat(b']').is_some() {
            return Some(());
        }
        let mut i = 0usize;
        loop {
            self.skip_ws();
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(itoa(i, &mut [0u8; 20]));
            self.value(pointer, None, depth + 1)?;
            pointer.truncate(len);
            i += 1;
            self.skip_ws();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at.checked_add(word.len())?;
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }

    fn number(&mut self) -> Option<()> {
        let start = self.at;
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = self.peek() {
            self.at += 1;
        }
        (self.at > start).then_some(())
    }

    /// Skips a string; decodes it into `out` when given (keys, which become pointer tokens).
    fn string(&mut self, mut out: Option<&mut String>) -> Option<()> {
        self.eat(b'"')?;
        let mut run = self.at;
        loop {
            let b = self.peek()?;
            match b {
                b'"' => {
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(std::str::from_utf8(self.bytes.get(run..self.at)?).ok()?);
                    }
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    if let Some(out) = out.as_deref_mut() {
                        out.push_str(std::str::from_utf8(self.bytes.get(run..self.at)?).ok()?);
                    }
                    self.at += 1;
                    let escape = self.peek()?;
                    self.at += 1;
                    let decoded = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    if let Some(out) = out.as_deref_mut() {
                        out.push(decoded);
                    }
                    run = self.at;
                }
                _ => self.at += 1,
            }
        }
    }

    /// After `\u`: four hex digits, and a low surrogate escape when they are a high surrogate.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) {
            if self.literal(b"\\u").is_some() {
                let second = self.hex4()?;
                if (0xDC00..0xE000).contains(&second) {
                    let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                    return char::from_u32(c);
                }
            }
            // A lone surrogate: serde_json rejects it, so this is unreachable for parsed text.
            return Some(char::REPLACEMENT_CHARACTER);
        }
        Some(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.at.checked_add(4)?;
        let digits = std::str::from_utf8(self.bytes.get(self.at..end)?).ok()?;
        let n = u32::from_str_radix(digits, 16).ok()?;
        self.at = end;
        Some(n)
    }
}

/// Formats an index without allocating.
fn itoa(mut n: usize, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    std::str::from_utf8(buf.get(at..).unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn pointers_map_to_keys_and_values() {
        let text = "{\n  \"a\": [1, {\"b/c\": \"x\"}],\n  \"é\": null,\n  \"a\": 2\n}";
        let index = SpanIndex::build(text).unwrap();
        let span = index.get("/a/1/b~1c").unwrap();
        assert_eq!(&text[span.start..span.end], "\"x\"");
        let pos = index.position(text, span.key.unwrap());
        assert_eq!((pos.line, pos.column), (2, 13));
        let e = index.get("/é").unwrap();
        assert_eq!(index.position(text, e.start).column, 8);
        assert_eq!(index.nulls, vec!["/é".to_owned()]);
        assert_eq!(index.duplicates.len(), 1);
        assert_eq!(index.duplicates[0].0, "/a");
        assert_eq!(index.get("").unwrap().start, 0);
        assert!(index.nearest("/a/1/zz/q").is_some());
    }

    #[test]
    fn escaped_keys_are_decoded() {
        let text = r#"{"\u00e9\ud83d\ude00\n": 1}"#;
        let index = SpanIndex::build(text).unwrap();
        assert!(index.get("/é😀\n").is_some());
    }

    #[test]
    fn not_json_is_none_not_a_panic() {
        for bad in ["", "{", "[1,", "{\"a\" 1}", "\"\\u12", "{\"a\":1]"] {
            assert!(SpanIndex::build(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn itoa_formats() {
        assert_eq!(itoa(0, &mut [0; 20]), "0");
        assert_eq!(itoa(1234, &mut [0; 20]), "1234");
        assert_eq!(itoa(usize::MAX, &mut [0; 20]), usize::MAX.to_string());
    }
}
