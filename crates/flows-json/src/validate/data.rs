//! Screen data declarations: `type`, `items`, `__example__` (flow-json-rules.md §5).

use serde_json::Value;

use super::{Cx, json_type};
use crate::diagnostic::Rule;
use crate::model::{Items, Schema};
use crate::pointer;

const TYPES: &[&str] = &["string", "number", "integer", "boolean", "object", "array"];

pub(super) fn check(cx: &mut Cx<'_>, i: usize) {
    let Some(info) = cx.screens.get(i) else {
        return;
    };
    let Some(model) = &info.screen.data else {
        return;
    };
    let at = pointer::join(&info.pointer, "data");
    if model.invalid.is_some() {
        cx.push(
            Rule::InvalidType,
            at,
            "`data` must be an object mapping field names to declarations like {\"type\": \"string\", \"__example__\": \"…\"}",
        );
        return;
    }
    for (name, schema) in &model.fields {
        let field_at = pointer::join(&at, name);
        check_schema(cx, schema, &field_at, name, true);
        if let Some(example) = &schema.example
            && let Some((path, expected)) = mismatch(schema, example, String::new())
        {
            let where_ = if path.is_empty() {
                String::new()
            } else {
                format!(" at `{path}`")
            };
            cx.push(
                    Rule::ExampleTypeMismatch,
                    pointer::join(&field_at, "__example__"),
                    format!(
                        "the `__example__` of `{name}` does not match its declared type{where_}: expected {expected}"
                    ),
                );
        }
    }
}

fn check_schema(cx: &mut Cx<'_>, schema: &Schema, at: &str, name: &str, top: bool) {
    for bad in &schema.invalid {
        let what = if bad.key.is_empty() {
            "the declaration".to_owned()
        } else {
            format!("`{}`", bad.key)
        };
        let p = if bad.key.is_empty() {
            at.to_owned()
        } else {
            pointer::join(at, &bad.key)
        };
        cx.push(
            Rule::InvalidDataModel,
            p,
            format!("{what} of data field `{name}` is invalid: {}", bad.error),
        );
    }
    if schema.invalid.iter().any(|b| b.key.is_empty()) {
        return;
    }
    let type_invalid = schema.invalid.iter().any(|b| b.key == "type");
    match schema.kind.as_deref() {
        None if !type_invalid => cx.push(
            Rule::InvalidDataModel,
            at,
            format!("data field `{name}` needs a `type` (string, number, integer, boolean, object or array)"),
        ),
        Some(t) if !TYPES.contains(&t) => cx.push(
            Rule::InvalidDataModel,
            pointer::join(at, "type"),
            format!("`{t}` is not a data type: use string, number, integer, boolean, object or array"),
        ),
        Some("array") if schema.items.is_none() && !schema.invalid.iter().any(|b| b.key == "items") => cx.push(
            Rule::InvalidDataModel,
            at,
            format!("array field `{name}` needs `items` (the schema of its elements)"),
        ),
        _ => {}
    }
    if top && schema.example.is_none() {
        cx.push(
            Rule::MissingExample,
            at,
            format!("data field `{name}` needs an `__example__` (mock data for the preview)"),
        );
    }
    if !top && schema.example.is_some() {
        cx.push(
            Rule::NestedExample,
            pointer::join(at, "__example__"),
            format!("`__example__` is allowed only at the top level of a data field, not inside `{name}`: move it up"),
        );
    }
    if let Some(Items::Schema(items)) = &schema.items {
        check_schema(cx, items, &pointer::join(at, "items"), name, false);
    }
    if let Some(props) = &schema.properties {
        let props_at = pointer::join(at, "properties");
        for (key, prop) in props {
            check_schema(
                cx,
                prop,
                &pointer::join(&props_at, key),
                &format!("{name}.{key}"),
                false,
            );
        }
    }
}

/// The first place where `value` does not fit `schema`, with what was expected.
fn mismatch(schema: &Schema, value: &Value, path: String) -> Option<(String, &'static str)> {
    let expected = match schema.kind.as_deref()? {
        "string" => (!value.is_string()).then_some("string"),
        "number" => (!value.is_number()).then_some("number"),
        "integer" => {
            let integral = value.as_f64().is_some_and(|f| f.fract() == 0.0);
            (!integral).then_some("integer")
        }
        "boolean" => (!value.is_boolean()).then_some("boolean"),
        "array" => {
            let Value::Array(items) = value else {
                return Some((path, "array"));
            };
            if let Some(Items::Schema(item)) = &schema.items {
                for (i, v) in items.iter().enumerate() {
                    if let Some(found) = mismatch(item, v, format!("{path}[{i}]")) {
                        return Some(found);
                    }
                }
            }
            None
        }
        "object" => {
            let Value::Object(map) = value else {
                return Some((path, "object"));
            };
            if let Some(props) = &schema.properties {
                for (k, v) in map {
                    if let Some(prop) = props.get(k) {
                        let p = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        if let Some(found) = mismatch(prop, v, p) {
                            return Some(found);
                        }
                    }
                }
            }
            None
        }
        _ => None,
    };
    // `null` is reported once by the null-value rule.
    if value.is_null() {
        return None;
    }
    let _ = json_type;
    expected.map(|e| (path, e))
}
