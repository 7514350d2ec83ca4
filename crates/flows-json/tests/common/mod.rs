//! Shared by the integration tests: base flows, JSON edits, and a pretty printer that records the
//! line of every pointer (independently of the crate's own scanner).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;

use serde_json::Value;

pub const SAMPLE: &str = include_str!("../../../../examples/sample-flow/flow.json");
pub const APPOINTMENTS: &str = include_str!("../../../../examples/appointments/flow.json");

/// One change to a base flow.
pub enum Edit {
    /// Set (or add) the value at a pointer; a last token `-` appends to an array.
    Set(&'static str, Value),
    /// Remove the value at a pointer.
    Remove(&'static str),
    /// Any change.
    With(fn(&mut Value)),
    /// A textual replacement in the pretty-printed document (every occurrence).
    Text(&'static str, &'static str),
}

fn split(pointer: &str) -> (String, String) {
    let at = pointer.rfind('/').unwrap();
    let token = pointer[at + 1..].replace("~1", "/").replace("~0", "~");
    (pointer[..at].to_owned(), token)
}

pub fn apply(value: &mut Value, edit: &Edit) {
    match edit {
        Edit::Set(pointer, new) => {
            let (parent, token) = split(pointer);
            match value
                .pointer_mut(&parent)
                .unwrap_or_else(|| panic!("no {parent}"))
            {
                Value::Object(map) => {
                    map.insert(token, new.clone());
                }
                Value::Array(items) if token == "-" => items.push(new.clone()),
                Value::Array(items) => items[token.parse::<usize>().unwrap()] = new.clone(),
                other => panic!("cannot set in {other}"),
            }
        }
        Edit::Remove(pointer) => {
            let (parent, token) = split(pointer);
            match value
                .pointer_mut(&parent)
                .unwrap_or_else(|| panic!("no {parent}"))
            {
                Value::Object(map) => {
                    map.remove(&token).unwrap_or_else(|| panic!("no {pointer}"));
                }
                Value::Array(items) => {
                    items.remove(token.parse::<usize>().unwrap());
                }
                other => panic!("cannot remove from {other}"),
            }
        }
        Edit::With(f) => f(value),
        Edit::Text(..) => {}
    }
}

/// Pretty-prints like serde_json (two-space indent) and records the 1-based line where each
/// pointer starts (the key's line for object members).
pub fn pretty(value: &Value) -> (String, HashMap<String, usize>) {
    let mut out = String::new();
    let mut lines = HashMap::new();
    lines.insert(String::new(), 1);
    write(value, "", 0, &mut out, &mut lines);
    out.push('\n');
    assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), *value);
    (out, lines)
}

fn line_no(out: &str) -> usize {
    out.matches('\n').count() + 1
}

fn write(
    value: &Value,
    pointer: &str,
    indent: usize,
    out: &mut String,
    lines: &mut HashMap<String, usize>,
) {
    let pad = |n: usize| "  ".repeat(n);
    match value {
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                let p = format!("{pointer}/{i}");
                lines.insert(p.clone(), line_no(out));
                write(item, &p, indent + 1, out, lines);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&pad(indent));
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (k, v)) in map.iter().enumerate() {
                out.push_str(&pad(indent + 1));
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                lines.insert(p.clone(), line_no(out));
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(": ");
                write(v, &p, indent + 1, out, lines);
                if i + 1 < map.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&pad(indent));
            out.push('}');
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}
