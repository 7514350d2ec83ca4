//! flows-json's parse + validate (what `flows lint` runs) fed arbitrary text and arbitrary JSON.
//!
//! Layout: byte 0 selects the mode, the rest is the input.
//! - even: the rest, as UTF-8 text (invalid sequences replaced), is the Flow JSON file; the seed
//!   corpus (real flows, see seed-corpus.py) makes libFuzzer mutate real documents;
//! - odd: the rest drives a generator of JSON values made of Flow JSON's own vocabulary (property
//!   names, component types, actions, `${…}` references): a flow-shaped document (bit 2 clear) or
//!   any value (bit 2 set), printed compact (bit 1 clear) or pretty; so the fuzzer reaches the
//!   component, action and expression rules without a seed corpus.
//!
//! Properties: no panic, no hang; text that serde_json accepts always parses as a `Document`
//! (parsing never fails on a JSON document); every diagnostic has a line and column inside the
//! text; a document without `null`s serializes back to the same JSON value; the reply contract of
//! the flow builds or refuses cleanly, and checking a reply against it does not panic.
#![no_main]

use flows_json::Document;
use flows_json::reply::{ReplyContract, RequestAction};
use libfuzzer_sys::arbitrary::{Result as ArbResult, Unstructured};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Number, Value};

/// Property names of Flow JSON (top level, screens, components, actions, data declarations).
const KEYS: [&str; 48] = [
    "version",
    "data_api_version",
    "routing_model",
    "screens",
    "id",
    "title",
    "terminal",
    "success",
    "refresh_on_back",
    "sensitive",
    "data",
    "layout",
    "type",
    "children",
    "name",
    "label",
    "text",
    "on-click-action",
    "on-select-action",
    "on-unselect-action",
    "next",
    "payload",
    "data-source",
    "required",
    "visible",
    "enabled",
    "input-type",
    "pattern",
    "helper-text",
    "init-values",
    "error-messages",
    "then",
    "else",
    "condition",
    "value",
    "cases",
    "__example__",
    "items",
    "properties",
    "src",
    "url",
    "min-date",
    "max-date",
    "mode",
    "max-selected-items",
    "description",
    "left-caption",
    "list-items",
];

/// Values that mean something somewhere in Flow JSON.
const WORDS: [&str; 44] = [
    "7.3",
    "7.2",
    "6.0",
    "5.1",
    "4.0",
    "3.1",
    "2.1",
    "3.0",
    "SingleColumnLayout",
    "Form",
    "TextHeading",
    "TextSubheading",
    "TextBody",
    "TextCaption",
    "RichText",
    "TextInput",
    "TextArea",
    "CheckboxGroup",
    "RadioButtonsGroup",
    "ChipsSelector",
    "Dropdown",
    "DatePicker",
    "CalendarPicker",
    "OptIn",
    "EmbeddedLink",
    "Footer",
    "Image",
    "ImageCarousel",
    "PhotoPicker",
    "DocumentPicker",
    "NavigationList",
    "If",
    "Switch",
    "navigate",
    "data_exchange",
    "complete",
    "update_data",
    "open_url",
    "screen",
    "SCREEN_A",
    "SUCCESS",
    "${data.x}",
    "${form.x}",
    "`${data.n} + 1 > 2 && ${form.ok}`",
];

fn string(u: &mut Unstructured<'_>) -> ArbResult<String> {
    Ok(if u.ratio(3, 4)? {
        (*u.choose(&WORDS)?).to_owned()
    } else {
        u.arbitrary::<String>()?
    })
}

fn key(u: &mut Unstructured<'_>) -> ArbResult<String> {
    Ok(if u.ratio(7, 8)? {
        (*u.choose(&KEYS)?).to_owned()
    } else {
        u.arbitrary::<String>()?
    })
}

fn value(u: &mut Unstructured<'_>, depth: u32) -> ArbResult<Value> {
    let leaf = depth >= 8 || u.is_empty();
    Ok(match u.int_in_range(0..=if leaf { 4 } else { 6 })? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => Value::Number(if u.arbitrary()? {
            Number::from(u.int_in_range(-3i64..=300)?)
        } else {
            Number::from_f64(u.arbitrary()?).unwrap_or_else(|| Number::from(0))
        }),
        3 | 4 => Value::String(string(u)?),
        5 => {
            let mut items = Vec::new();
            for _ in 0..u.int_in_range(0..=4)? {
                items.push(value(u, depth + 1)?);
            }
            Value::Array(items)
        }
        _ => {
            let mut map = Map::new();
            for _ in 0..u.int_in_range(0..=6)? {
                map.insert(key(u)?, value(u, depth + 1)?);
            }
            Value::Object(map)
        }
    })
}

/// A flow-shaped document: a version, maybe an endpoint and routing model, and screens of
/// components with generated properties.
fn flow(u: &mut Unstructured<'_>) -> ArbResult<Value> {
    const IDS: [&str; 4] = ["SCREEN_A", "SCREEN_B", "SCREEN_C", "SUCCESS"];
    let mut root = Map::new();
    root.insert("version".into(), Value::String(string(u)?));
    if u.arbitrary()? {
        root.insert("data_api_version".into(), Value::String("3.0".into()));
        let mut routes = Map::new();
        for _ in 0..u.int_in_range(0..=3)? {
            let to = (0..u.int_in_range(0..=2)?)
                .map(|_| Ok(Value::String((*u.choose(&IDS)?).to_owned())))
                .collect::<ArbResult<Vec<_>>>()?;
            routes.insert((*u.choose(&IDS)?).to_owned(), Value::Array(to));
        }
        root.insert("routing_model".into(), Value::Object(routes));
    }
    let mut screens = Vec::new();
    for _ in 0..u.int_in_range(1..=3)? {
        let mut screen = Map::new();
        screen.insert("id".into(), Value::String((*u.choose(&IDS)?).to_owned()));
        screen.insert("title".into(), Value::String(string(u)?));
        if u.arbitrary()? {
            screen.insert("terminal".into(), Value::Bool(true));
        }
        if u.arbitrary()? {
            screen.insert("data".into(), value(u, 5)?);
        }
        let mut children = Vec::new();
        for _ in 0..u.int_in_range(0..=5)? {
            let mut component = Map::new();
            component.insert("type".into(), Value::String(string(u)?));
            for _ in 0..u.int_in_range(0..=4)? {
                component.insert(key(u)?, value(u, 5)?);
            }
            children.push(Value::Object(component));
        }
        let mut layout = Map::new();
        layout.insert("type".into(), Value::String("SingleColumnLayout".into()));
        layout.insert("children".into(), Value::Array(children));
        screen.insert("layout".into(), Value::Object(layout));
        screens.push(Value::Object(screen));
    }
    root.insert("screens".into(), Value::Array(screens));
    Ok(Value::Object(root))
}

fn has_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(items) => items.iter().any(has_null),
        Value::Object(map) => map.values().any(has_null),
        _ => false,
    }
}

fn check(text: &str, u: &mut Unstructured<'_>) {
    let json = serde_json::from_str::<Value>(text);
    let doc = match Document::parse(text) {
        Ok(doc) => doc,
        Err(_) => {
            assert!(json.is_err(), "JSON that serde_json reads must parse");
            return;
        }
    };
    let lines = text.split('\n').count();
    for d in doc.diagnostics() {
        let (Some(line), Some(column)) = (d.line(), d.column()) else {
            panic!("a diagnostic without a position: {d:?}");
        };
        assert!(line >= 1 && line <= lines && column >= 1, "{d:?}");
    }
    let Ok(original) = json else {
        panic!("a Document from text serde_json refuses");
    };
    if !has_null(&original) {
        let back = doc.flow().to_value().expect("a flow serializes");
        assert_eq!(back, original, "the model must give back the same JSON");
    }
    if let Ok(contract) = ReplyContract::new(doc.flow()) {
        let screens: Vec<String> = contract.screens().map(str::to_owned).collect();
        let pick =
            |u: &mut Unstructured<'_>| -> Option<String> { u.choose(&screens).ok().cloned() };
        let from = pick(u);
        let to = pick(u);
        let data = match value(u, 4) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let action = match u.int_in_range(0..=3u8).unwrap_or(0) {
            0 => RequestAction::Init,
            1 => RequestAction::Back,
            2 => RequestAction::DataExchange,
            _ => RequestAction::Ping,
        };
        for violation in contract.check(action, from.as_deref(), to.as_deref(), &data) {
            let _ = violation.to_string();
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(rest);
        check(&text, &mut Unstructured::new(&[]));
    } else {
        let mut u = Unstructured::new(rest);
        let generated = if mode & 4 == 0 {
            flow(&mut u)
        } else {
            value(&mut u, 0)
        };
        let Ok(generated) = generated else {
            return;
        };
        let text = if mode & 2 == 0 {
            generated.to_string()
        } else {
            serde_json::to_string_pretty(&generated).unwrap_or_default()
        };
        check(&text, &mut u);
    }
});
