//! Property tests: generated flows (valid or not, with unknown properties and values of the wrong
//! type) serialize back to the same JSON value, and nothing the linter is given makes it panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use flows_json::{Document, Flow, lint};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Two decimals: serde_json without `float_roundtrip` may move a long float by one ulp.
        (-100_000_000i64..100_000_000).prop_map(|n| Value::from(n as f64 / 100.0)),
        "[a-zA-Z ${}.`']{0,12}".prop_map(Value::from),
    ]
}

/// Any JSON without `null` (a `null` in a typed optional property reads as absent).
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-z_-]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn text() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[A-Za-z ]{1,20}".prop_map(Value::from),
        "[a-z_]{1,8}".prop_map(|f| Value::from(format!("${{data.{f}}}"))),
        "[a-z_]{1,8}".prop_map(|f| Value::from(format!("`'Hi ' ${{form.{f}}}`"))),
    ]
}

fn boolish() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::from),
        "[a-z]{1,6}".prop_map(|f| Value::from(format!("${{data.{f}}}"))),
        Just(json!(5))
    ]
}

fn action() -> impl Strategy<Value = Value> {
    prop_oneof![
        ("[A-Z_]{1,8}", prop::collection::btree_map("[a-z]{1,5}", json_value(), 0..3))
            .prop_map(|(next, payload)| json!({"name": "navigate", "next": {"type": "screen", "name": next}, "payload": payload})),
        prop::collection::btree_map("[a-z]{1,5}", json_value(), 0..3).prop_map(|p| json!({"name": "data_exchange", "payload": p})),
        Just(json!({"name": "complete"})),
        Just(json!({"name": "open_url", "url": "https://example.com"})),
        json_value().prop_map(|v| json!({"name": "teleport", "to": v})),
        Just(json!({"name": "navigate"})),
    ]
}

fn extras() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("x-[a-z]{1,6}", json_value(), 0..2)
        .prop_map(|m| m.into_iter().collect())
}

fn options() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::collection::vec(("[a-z]{1,4}", "[A-Za-z]{1,8}", any::<bool>()), 0..4).prop_map(|items| {
            Value::from(items.into_iter().map(|(id, title, enabled)| json!({"id": id, "title": title, "enabled": enabled})).collect::<Vec<_>>())
        }),
        Just(json!("${data.options}")),
    ]
}

fn leaf_component() -> impl Strategy<Value = Value> {
    let parts = (
        text(),
        boolish(),
        action(),
        options(),
        extras(),
        "[a-z]{1,6}",
    );
    parts.prop_flat_map(|(t, b, a, o, extra, name)| {
        let mut all = vec![
            json!({"type": "TextHeading", "text": t, "visible": b}),
            json!({"type": "TextBody", "text": t, "markdown": b}),
            json!({"type": "TextInput", "name": name, "label": t, "required": b, "max-chars": 12}),
            json!({"type": "Dropdown", "name": name, "label": t, "data-source": o, "on-select-action": a}),
            json!({"type": "CheckboxGroup", "name": name, "label": t, "data-source": o, "min-selected-items": 1}),
            json!({"type": "Footer", "label": t, "on-click-action": a, "left-caption": "L"}),
            json!({"type": "EmbeddedLink", "text": t, "on-click-action": a}),
            json!({"type": "OptIn", "name": name, "label": t, "init-value": b}),
            json!({"type": "DatePicker", "name": name, "label": t, "min-date": "2024-01-01", "unavailable-dates": ["2024-01-02"]}),
            json!({"type": "CalendarPicker", "name": name, "label": {"start-date": "A", "end-date": "B"}, "mode": "range"}),
            json!({"type": "Image", "src": "aGk=", "aspect-ratio": 1.5, "width": 100}),
            json!({"type": "ImageCarousel", "images": [{"src": "aGk=", "alt-text": t}]}),
            json!({"type": "NavigationList", "name": name, "list-items": [{"id": "a", "main-content": {"title": "A"}, "tags": ["t"]}]}),
            json!({"type": "PhotoPicker", "name": name, "label": t, "max-uploaded-photos": 1}),
            json!({"type": "RichText", "text": ["# A", "b"]}),
            json!({"type": "Hologram", "beam": t}),
            json!({"text": t}),
        ];
        for c in &mut all {
            if let Value::Object(map) = c {
                map.extend(extra.clone());
            }
        }
        prop::sample::select(all)
    })
}

fn component() -> impl Strategy<Value = Value> {
    leaf_component().prop_recursive(2, 16, 3, |inner| {
        let list = prop::collection::vec(inner, 0..3);
        prop_oneof![
            (list.clone(), "[a-z]{1,5}").prop_map(|(children, name)| json!({"type": "Form", "name": name, "children": children, "init-values": {"a": "b"}})),
            (list.clone(), list.clone()).prop_map(|(then, else_)| json!({"type": "If", "condition": "${data.x} == 1", "then": then, "else": else_})),
            list.clone().prop_map(|case| json!({"type": "Switch", "value": "${data.k}", "cases": {"a": case}})),
            (list, json_value()).prop_map(|(children, bad)| json!({"type": "Form", "name": "f", "children": children, "init-values": [bad]})),
        ]
    })
}

fn schema() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "string", "__example__": "x"})),
        Just(
            json!({"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}, "__example__": []})
        ),
        Just(json!({"type": "boolean"})),
        Just(json!({"type": 5, "items": true, "description": "odd"})),
        json_value(),
    ]
}

fn screen() -> impl Strategy<Value = Value> {
    (
        "[A-Z_]{1,8}",
        prop::option::of(text()),
        prop::option::of(any::<bool>()),
        prop::collection::btree_map("[a-z]{1,6}", schema(), 0..3),
        prop::collection::vec(component(), 0..5),
        extras(),
        prop::option::of(json_value()),
    )
        .prop_map(|(id, title, terminal, data, children, extra, junk)| {
            let mut s = json!({"id": id, "data": data, "layout": {"type": "SingleColumnLayout", "children": children}});
            if let Some(t) = title {
                s["title"] = t;
            }
            if let Some(t) = terminal {
                s["terminal"] = Value::from(t);
            }
            if let Some(j) = junk {
                s["refresh_on_back"] = j;
            }
            if let Value::Object(map) = &mut s {
                map.extend(extra);
            }
            s
        })
}

fn flow() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just(json!("7.3")),
            Just(json!("6.0")),
            Just(json!("3.1")),
            Just(json!(100))
        ],
        prop::option::of(Just(json!("3.0"))),
        prop::collection::vec(screen(), 0..4),
        prop::option::of(prop::collection::btree_map(
            "[A-Z]{1,5}",
            prop::collection::vec("[A-Z]{1,5}", 0..3),
            0..3,
        )),
        extras(),
    )
        .prop_map(|(version, dav, screens, routing, extra)| {
            let mut f = json!({"version": version, "screens": screens});
            if let Some(d) = dav {
                f["data_api_version"] = d;
            }
            if let Some(r) = routing {
                f["routing_model"] = json!(r);
            }
            if let Value::Object(map) = &mut f {
                map.extend(extra);
            }
            f
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_flows_round_trip(value in flow()) {
        let flow = Flow::from_value(value.clone());
        prop_assert_eq!(&flow.to_value().unwrap(), &value);
        let text = serde_json::to_string_pretty(&flow).unwrap();
        let doc = Document::parse(text).unwrap();
        prop_assert_eq!(&doc.flow().to_value().unwrap(), &value);
        // Every diagnostic has a position in the text.
        for d in doc.diagnostics() {
            prop_assert!(d.line().is_some(), "{:?}", d);
        }
    }

    #[test]
    fn any_json_lints_without_panicking(value in json_value(), nulls in prop::collection::vec(Just(Value::Null), 0..2)) {
        let mut v = value;
        if let (Value::Object(map), Some(_)) = (&mut v, nulls.first()) {
            map.insert("screens".to_owned(), json!([{"id": "A", "title": null, "layout": {"children": [null]}}]));
        }
        let _ = lint(&v.to_string()).unwrap();
    }

    #[test]
    fn any_text_parses_or_fails_cleanly(text in "\\PC{0,64}") {
        let _ = lint(&text);
    }
}
