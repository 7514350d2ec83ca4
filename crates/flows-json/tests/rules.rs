//! For every rule, a broken variant of a real flow that triggers exactly that rule, at the right
//! pointer and line.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;

use common::{APPOINTMENTS as A, Edit, SAMPLE as S, apply, pretty};

/// pywa's copy of Meta's "global fields" example (tests/corpus/README.md): two screens, no endpoint.
const GLOBAL_FIELDS: &str = include_str!("corpus/pywa/v4_0-global_fields.json");
/// Meta's pre-approved-loan template (tests/corpus/README.md): the corpus's flow with `Image`s.
const LOAN: &str = include_str!("corpus/meta-docs/usecase-pre-approved-loan.json");
use flows_json::{Rule, lint};
use serde_json::{Value, json};

struct Case {
    rule: &'static str,
    base: &'static str,
    edits: Vec<Edit>,
    pointer: &'static str,
    /// Lines below the pointer's line where the finding is (duplicate keys sit on the next line).
    line_delta: usize,
}

fn case(rule: &'static str, base: &'static str, edits: Vec<Edit>, pointer: &'static str) -> Case {
    Case {
        rule,
        base,
        edits,
        pointer,
        line_delta: 0,
    }
}

use Edit::{Remove, Set, Text, With};

fn screens_named(n: usize) -> Vec<String> {
    // Letters only: screen ids may not contain digits.
    (0..n)
        .map(|i| {
            let mut id = String::from("X");
            let mut k = i;
            loop {
                id.push((b'A' + (k % 26) as u8) as char);
                k /= 26;
                if k == 0 {
                    break;
                }
            }
            id
        })
        .collect()
}

/// Adds `n` copies of the terminal SUMMARY screen of the appointments flow, routed from SUMMARY
/// either in a chain or all at once.
fn add_summaries(v: &mut Value, n: usize, chain: bool) {
    let summary = v["screens"][3].clone();
    let ids = screens_named(n);
    for (i, id) in ids.iter().enumerate() {
        let mut s = summary.clone();
        s["id"] = json!(id);
        v["screens"].as_array_mut().unwrap().push(s);
        let next = if chain {
            ids.get(i + 1).map(|n| vec![n.clone()]).unwrap_or_default()
        } else {
            vec![]
        };
        v["routing_model"][id] = json!(next);
    }
    v["routing_model"]["SUMMARY"] = if chain { json!([ids[0]]) } else { json!(ids) };
}

fn text_input(name: &str) -> Value {
    json!({"type": "TextInput", "name": name, "label": "Another"})
}

fn cases() -> Vec<Case> {
    let dx_footer = json!({"type": "Footer", "label": "Again", "on-click-action": {"name": "data_exchange", "payload": {}}});
    let nav_list = |items: Value, action: Option<Value>| {
        let mut c = json!({"type": "NavigationList", "name": "choices", "list-items": items});
        if let Some(a) = action {
            c["on-click-action"] = a;
        }
        c
    };
    let dx = json!({"name": "data_exchange", "payload": {}});
    vec![
        // ------------------------------------------------------------ document structure
        Case {
            line_delta: 1,
            ..case(
                "duplicate-key",
                A,
                vec![Text(
                    "\"id\": \"APPOINTMENT\",",
                    "\"id\": \"APPOINTMENT\",\n      \"id\": \"APPOINTMENT\",",
                )],
                "/screens/0/id",
            )
        },
        case(
            "null-value",
            A,
            vec![Set(
                "/screens/0/layout/children/0/on-select-action/payload/trigger",
                Value::Null,
            )],
            "/screens/0/layout/children/0/on-select-action/payload/trigger",
        ),
        case(
            "missing-property",
            A,
            vec![Remove("/screens/1/layout/children/0/text")],
            "/screens/1/layout/children/0",
        ),
        case("missing-property", A, vec![Remove("/version")], ""),
        case(
            "missing-property",
            A,
            vec![Remove("/screens/3/layout/children/4/on-click-action/name")],
            "/screens/3/layout/children/4/on-click-action",
        ),
        case(
            "unknown-property",
            A,
            vec![Set("/screens/0/layout/children/0/colour", json!("red"))],
            "/screens/0/layout/children/0/colour",
        ),
        case(
            "unknown-property",
            A,
            vec![Set("/screens/1/theme", json!("dark"))],
            "/screens/1/theme",
        ),
        case(
            "unknown-property",
            A,
            vec![Set(
                "/screens/3/layout/children/4/on-click-action/next",
                json!({"type": "screen", "name": "APPOINTMENT"}),
            )],
            "/screens/3/layout/children/4/on-click-action/next",
        ),
        case(
            "invalid-type",
            A,
            vec![Set("/screens/0/layout/children/0/required", json!("yes"))],
            "/screens/0/layout/children/0/required",
        ),
        case(
            "invalid-type",
            A,
            vec![Set(
                "/screens/0/layout/children/0/data-source",
                json!([{"id": "a", "title": "A"}, {"id": "x", "title": 5}]),
            )],
            "/screens/0/layout/children/0/data-source/1/title",
        ),
        case(
            "invalid-type",
            A,
            vec![Set("/screens/2/terminal", json!("no"))],
            "/screens/2/terminal",
        ),
        case(
            "invalid-value",
            A,
            vec![Set(
                "/screens/2/layout/children/0/input-type",
                json!("telepathy"),
            )],
            "/screens/2/layout/children/0/input-type",
        ),
        case(
            "invalid-value",
            A,
            vec![Set("/screens/2/layout/type", json!("TwoColumnLayout"))],
            "/screens/2/layout/type",
        ),
        case(
            "invalid-value",
            LOAN,
            vec![Set(
                "/screens/0/layout/children/0/children/0/scale-type",
                json!("stretch"),
            )],
            "/screens/0/layout/children/0/children/0/scale-type",
        ),
        case(
            "unknown-component",
            A,
            vec![Set("/screens/1/layout/children/0/type", json!("Hologram"))],
            "/screens/1/layout/children/0/type",
        ),
        case(
            "blank-string",
            A,
            vec![Set("/screens/1/layout/children/1/label", json!("  "))],
            "/screens/1/layout/children/1/label",
        ),
        case(
            "invalid-version",
            A,
            vec![Set("/version", json!("seven"))],
            "/version",
        ),
        case(
            "unsupported-version",
            A,
            vec![Set("/version", json!("5.2"))],
            "/version",
        ),
        case(
            "newer-version",
            A,
            vec![Set("/version", json!("7.9"))],
            "/version",
        ),
        case(
            "frozen-version",
            A,
            vec![Set("/version", json!("5.0"))],
            "/version",
        ),
        case(
            "invalid-data-api-version",
            A,
            vec![Set("/data_api_version", json!("2.0"))],
            "/data_api_version",
        ),
        case(
            "data-channel-uri",
            A,
            vec![Set("/data_channel_uri", json!("https://example.com/flow"))],
            "/data_channel_uri",
        ),
        case(
            "no-screens",
            A,
            vec![Set("/screens", json!([]))],
            "/screens",
        ),
        case(
            "too-many-screens",
            A,
            vec![With(|v| add_summaries(v, 97, true))],
            "/screens",
        ),
        case(
            "version-gate",
            S,
            vec![Set(
                "/screens/3/layout/children/-",
                json!({"type": "ImageCarousel", "images": [{"src": "aGk=", "alt-text": "A"}]}),
            )],
            "/screens/3/layout/children/2/type",
        ),
        case(
            "version-gate",
            A,
            vec![
                Set("/version", json!("6.1")),
                Set("/screens/2/layout/children/0/pattern", json!("^[A-Z]")),
                Set(
                    "/screens/2/layout/children/0/helper-text",
                    json!("Capital first"),
                ),
            ],
            "/screens/2/layout/children/0/pattern",
        ),
        // ------------------------------------------------------------ screens
        case(
            "invalid-screen-id",
            A,
            vec![Text("\"SEATS\"", "\"SEATS_2\"")],
            "/screens/1/id",
        ),
        case(
            "duplicate-screen-id",
            S,
            vec![With(|v| {
                let terms = v["screens"][3].clone();
                v["screens"].as_array_mut().unwrap().push(terms);
            })],
            "/screens/4/id",
        ),
        case(
            "reserved-screen-id",
            S,
            vec![Text("\"TERMS\"", "\"SUCCESS\"")],
            "/screens/3/id",
        ),
        case(
            "missing-terminal-screen",
            A,
            vec![Remove("/screens/3/terminal")],
            "/screens",
        ),
        case(
            "terminal-without-footer",
            A,
            vec![Remove("/screens/3/layout/children/4")],
            "/screens/3",
        ),
        case(
            "success-on-non-terminal",
            A,
            vec![Set("/screens/2/success", json!(true))],
            "/screens/2/success",
        ),
        case(
            "no-success-screen",
            A,
            vec![Set("/screens/3/success", json!(false))],
            "/screens",
        ),
        case(
            "missing-title",
            A,
            vec![Remove("/screens/1/title")],
            "/screens/1",
        ),
        case(
            "unknown-sensitive-field",
            A,
            vec![Set("/screens/2/sensitive", json!(["nope"]))],
            "/screens/2/sensitive/0",
        ),
        // ------------------------------------------------------------ routing
        case(
            "missing-routing-model",
            A,
            vec![Remove("/routing_model")],
            "",
        ),
        case(
            "routing-unknown-screen",
            A,
            vec![Set("/routing_model/SUMMARY", json!(["NOWHERE"]))],
            "/routing_model/SUMMARY/0",
        ),
        case(
            "routing-missing-screen",
            A,
            vec![
                Remove("/routing_model/SUMMARY"),
                Set("/routing_model/DETAILS", json!([])),
            ],
            "/routing_model",
        ),
        case(
            "routing-self-route",
            A,
            vec![Set("/routing_model/SUMMARY", json!(["SUMMARY"]))],
            "/routing_model/SUMMARY/0",
        ),
        case(
            "routing-backward-route",
            A,
            vec![Set(
                "/routing_model/SEATS",
                json!(["DETAILS", "APPOINTMENT"]),
            )],
            "/routing_model/SEATS/1",
        ),
        case(
            "routing-cycle",
            A,
            vec![Set("/routing_model/SUMMARY", json!(["SEATS"]))],
            "/routing_model",
        ),
        case(
            "routing-no-entry",
            A,
            vec![Set("/routing_model/SUMMARY", json!(["APPOINTMENT"]))],
            "/routing_model",
        ),
        case(
            "routing-disconnected",
            A,
            vec![Set("/routing_model/SEATS", json!([]))],
            "/routing_model",
        ),
        case(
            "routing-too-many-branches",
            A,
            vec![With(|v| add_summaries(v, 11, false))],
            "/routing_model/SUMMARY",
        ),
        case(
            "routing-missing-route",
            S,
            vec![
                Set("/routing_model/SUMMARY", json!([])),
                Set("/routing_model/DETAILS", json!(["SUMMARY", "TERMS"])),
            ],
            "/screens/2/layout/children/0/children/4/on-click-action/next/name",
        ),
        // ------------------------------------------------------------ data model
        case(
            "invalid-data-model",
            A,
            vec![Remove("/screens/1/data/slot/type")],
            "/screens/1/data/slot",
        ),
        case(
            "invalid-data-model",
            A,
            vec![Remove("/screens/1/data/seats/items")],
            "/screens/1/data/seats",
        ),
        case(
            "missing-example",
            A,
            vec![Remove("/screens/1/data/slot/__example__")],
            "/screens/1/data/slot",
        ),
        case(
            "example-type-mismatch",
            A,
            vec![Set("/screens/1/data/slot/__example__", json!(5))],
            "/screens/1/data/slot/__example__",
        ),
        case(
            "nested-example",
            A,
            vec![Set(
                "/screens/0/data/department/items/properties/id/__example__",
                json!("x"),
            )],
            "/screens/0/data/department/items/properties/id/__example__",
        ),
        // ------------------------------------------------------------ references
        case(
            "unknown-data-reference",
            A,
            vec![Set(
                "/screens/1/layout/children/0/text",
                json!("${data.nope}"),
            )],
            "/screens/1/layout/children/0/text",
        ),
        case(
            "unknown-form-reference",
            A,
            vec![Set(
                "/screens/1/layout/children/2/on-click-action/payload/seat",
                json!("${form.nope}"),
            )],
            "/screens/1/layout/children/2/on-click-action/payload/seat",
        ),
        case(
            "unknown-screen-reference",
            A,
            vec![Set(
                "/screens/3/layout/children/1/text",
                json!("${screen.NOWHERE.data.x}"),
            )],
            "/screens/3/layout/children/1/text",
        ),
        case(
            "unknown-screen-reference",
            A,
            vec![Set(
                "/screens/3/layout/children/1/text",
                json!("${screen.SEATS.data.nope}"),
            )],
            "/screens/3/layout/children/1/text",
        ),
        case(
            "current-screen-reference",
            A,
            vec![Set(
                "/screens/3/layout/children/1/text",
                json!("${screen.SUMMARY.data.details}"),
            )],
            "/screens/3/layout/children/1/text",
        ),
        case(
            "reference-type",
            A,
            vec![Set(
                "/screens/0/layout/children/1/enabled",
                json!("${data.location}"),
            )],
            "/screens/0/layout/children/1/enabled",
        ),
        case(
            "data-source-schema",
            A,
            vec![Remove("/screens/1/data/seats/items/properties/title")],
            "/screens/1/layout/children/1/data-source",
        ),
        case(
            "expression-syntax",
            A,
            vec![Set(
                "/screens/1/layout/children/0/text",
                json!("`${data.slot} +`"),
            )],
            "/screens/1/layout/children/0/text",
        ),
        case(
            "uninterpolated-reference",
            A,
            vec![Set(
                "/screens/1/layout/children/0/text",
                json!("Seat for ${data.slot}"),
            )],
            "/screens/1/layout/children/0/text",
        ),
        case(
            "expression-not-allowed",
            S,
            vec![Set(
                "/screens/1/layout/children/0/init-values",
                json!({"name": "`'Ana ' ${data.time}`"}),
            )],
            "/screens/1/layout/children/0/init-values/name",
        ),
        // ------------------------------------------------------------ names
        case(
            "duplicate-form-name",
            S,
            vec![Set(
                "/screens/1/layout/children/0/children/-",
                text_input("name"),
            )],
            "/screens/1/layout/children/0/children/5/name",
        ),
        case(
            "duplicate-name",
            A,
            vec![Set("/screens/2/layout/children/-", text_input("email"))],
            "/screens/2/layout/children/5/name",
        ),
        // ------------------------------------------------------------ component limits
        case(
            "too-many-components",
            A,
            vec![With(|v| {
                for _ in 0..46 {
                    v["screens"][3]["layout"]["children"]
                        .as_array_mut()
                        .unwrap()
                        .push(json!({"type": "TextBody", "text": "More"}));
                }
            })],
            "/screens/3/layout/children",
        ),
        case(
            "too-many-of-kind",
            A,
            vec![Set("/screens/3/layout/children/-", dx_footer.clone())],
            "/screens/3/layout/children/5",
        ),
        case(
            "too-many-of-kind",
            LOAN,
            vec![With(|v| {
                let form = v["screens"][0]["layout"]["children"][0]["children"]
                    .as_array_mut()
                    .unwrap();
                let image = form[0].clone();
                for _ in 0..3 {
                    form.insert(1, image.clone());
                }
            })],
            "/screens/0/layout/children/0/children/3",
        ),
        case(
            "photo-and-document-picker",
            A,
            vec![
                Set(
                    "/screens/2/layout/children/-",
                    json!({"type": "PhotoPicker", "name": "photo", "label": "Photo"}),
                ),
                Set(
                    "/screens/2/layout/children/-",
                    json!({"type": "DocumentPicker", "name": "doc", "label": "Document"}),
                ),
            ],
            "/screens/2/layout/children/6",
        ),
        case(
            "navigation-list-placement",
            A,
            vec![Set(
                "/screens/2/layout/children/-",
                nav_list(
                    json!([{"id": "a", "main-content": {"title": "A"}}]),
                    Some(dx.clone()),
                ),
            )],
            "/screens/2/layout/children/0",
        ),
        case(
            "rich-text-placement",
            A,
            vec![Set(
                "/screens/1/layout/children/-",
                json!({"type": "RichText", "text": "# Seats"}),
            )],
            "/screens/1/layout/children/0",
        ),
        case(
            "text-too-long",
            A,
            vec![Set(
                "/screens/0/layout/children/4/label",
                json!("Choose a seat for your appointment today"),
            )],
            "/screens/0/layout/children/4/label",
        ),
        case(
            "option-count",
            A,
            vec![Set("/screens/0/layout/children/3/data-source", json!([]))],
            "/screens/0/layout/children/3/data-source",
        ),
        case(
            "min-greater-than-max",
            A,
            vec![
                Set("/screens/2/layout/children/0/min-chars", json!(10)),
                Set("/screens/2/layout/children/0/max-chars", json!(5)),
            ],
            "/screens/2/layout/children/0/min-chars",
        ),
        case(
            "value-out-of-range",
            A,
            vec![Set("/screens/2/layout/children/0/max-chars", json!(-1))],
            "/screens/2/layout/children/0/max-chars",
        ),
        case(
            "duplicate-option-id",
            A,
            vec![Set(
                "/screens/0/layout/children/3/data-source",
                json!([{"id": "a", "title": "A"}, {"id": "a", "title": "B"}]),
            )],
            "/screens/0/layout/children/3/data-source/1/id",
        ),
        case(
            "image-and-color",
            A,
            vec![Set(
                "/screens/0/layout/children/3/data-source",
                json!([{"id": "a", "title": "A", "image": "aGk=", "color": "#ff0000"}]),
            )],
            "/screens/0/layout/children/3/data-source/0",
        ),
        case(
            "pattern-without-helper-text",
            A,
            vec![Set("/screens/2/layout/children/0/pattern", json!("^[A-Z]"))],
            "/screens/2/layout/children/0/pattern",
        ),
        case(
            "pattern-ignored",
            A,
            vec![
                Set("/screens/2/layout/children/1/pattern", json!(".+@.+")),
                Set(
                    "/screens/2/layout/children/1/helper-text",
                    json!("Your e-mail"),
                ),
            ],
            "/screens/2/layout/children/1/pattern",
        ),
        case(
            "navigation-list-item",
            A,
            vec![Set(
                "/screens/1/layout/children",
                json!([nav_list(
                    json!([
                        {"id": "a", "main-content": {"title": "A"}, "badge": "New"},
                        {"id": "b", "main-content": {"title": "B"}, "badge": "Hot"}
                    ]),
                    Some(dx.clone())
                )]),
            )],
            "/screens/1/layout/children/0/list-items/1/badge",
        ),
        case(
            "calendar-mode",
            A,
            vec![Set(
                "/screens/2/layout/children/-",
                json!({"type": "CalendarPicker", "name": "when", "label": "When", "title": "Pick a day"}),
            )],
            "/screens/2/layout/children/5/title",
        ),
        case(
            "date-format",
            A,
            vec![Set(
                "/screens/2/layout/children/-",
                json!({"type": "DatePicker", "name": "day", "label": "Day", "min-date": "03/06/2025"}),
            )],
            "/screens/2/layout/children/5/min-date",
        ),
        // ------------------------------------------------------------ Footer
        case(
            "footer-captions",
            A,
            vec![Set(
                "/screens/3/layout/children/4/right-caption",
                json!("Total"),
            )],
            "/screens/3/layout/children/4/right-caption",
        ),
        // ------------------------------------------------------------ actions
        case(
            "action-not-allowed",
            A,
            vec![Set(
                "/screens/0/layout/children/3/on-select-action",
                json!({"name": "complete"}),
            )],
            "/screens/0/layout/children/3/on-select-action/name",
        ),
        case(
            "complete-on-non-terminal",
            A,
            vec![Set(
                "/screens/2/layout/children/4/on-click-action",
                json!({"name": "complete", "payload": {}}),
            )],
            "/screens/2/layout/children/4/on-click-action/name",
        ),
        case(
            "navigate-from-terminal-footer",
            S,
            vec![Set(
                "/screens/2/layout/children/0/children/5/on-click-action",
                json!({"name": "navigate", "next": {"type": "screen", "name": "TERMS"}, "payload": {}}),
            )],
            "/screens/2/layout/children/0/children/5/on-click-action/name",
        ),
        case(
            "data-exchange-without-endpoint",
            S,
            vec![Remove("/data_api_version")],
            "/screens/0/layout/children/0/children/0/on-select-action/name",
        ),
        case(
            "navigate-unknown-screen",
            S,
            vec![Set(
                "/screens/2/layout/children/0/children/4/on-click-action/next/name",
                json!("NOWHERE"),
            )],
            "/screens/2/layout/children/0/children/4/on-click-action/next/name",
        ),
        case(
            "navigate-payload",
            S,
            vec![Set(
                "/screens/0/layout/children/0/children/4/on-click-action/payload/extra",
                json!("x"),
            )],
            "/screens/0/layout/children/0/children/4/on-click-action/payload/extra",
        ),
        case(
            "navigate-payload",
            S,
            vec![Remove(
                "/screens/0/layout/children/0/children/4/on-click-action/payload/time",
            )],
            "/screens/0/layout/children/0/children/4/on-click-action/payload",
        ),
        case(
            "update-data-undeclared",
            A,
            vec![Set(
                "/screens/0/layout/children/3/on-select-action",
                json!({"name": "update_data", "payload": {"nope": "${form.time}"}}),
            )],
            "/screens/0/layout/children/3/on-select-action/payload/nope",
        ),
        case(
            "media-payload",
            A,
            vec![
                Set(
                    "/screens/2/layout/children/-",
                    json!({"type": "PhotoPicker", "name": "photo", "label": "Photo"}),
                ),
                Set(
                    "/screens/2/layout/children/4/on-click-action/payload/media",
                    json!({"photo": "${form.photo}"}),
                ),
            ],
            "/screens/2/layout/children/4/on-click-action/payload/media/photo",
        ),
        case(
            "navigation-list-action",
            A,
            vec![Set(
                "/screens/1/layout/children",
                json!([nav_list(
                    json!([{"id": "a", "main-content": {"title": "A"}}]),
                    None
                )]),
            )],
            "/screens/1/layout/children/0",
        ),
        // ------------------------------------------------------------ forms
        case(
            "input-outside-form",
            S,
            vec![Set("/screens/1/layout/children/-", text_input("extra"))],
            "/screens/1/layout/children/1",
        ),
        case(
            "footer-outside-form",
            S,
            vec![
                Set("/version", json!("3.1")),
                With(|v| {
                    let footer = v["screens"][1]["layout"]["children"][0]["children"]
                        .as_array_mut()
                        .unwrap()
                        .remove(4);
                    v["screens"][1]["layout"]["children"]
                        .as_array_mut()
                        .unwrap()
                        .push(footer);
                }),
            ],
            "/screens/1/layout/children/1",
        ),
        case(
            "form-init-values",
            S,
            vec![Set(
                "/screens/1/layout/children/0/init-values",
                json!({"nope": "x"}),
            )],
            "/screens/1/layout/children/0/init-values/nope",
        ),
        case(
            "form-init-values",
            S,
            vec![Set(
                "/screens/2/layout/children/0/init-values",
                json!({"terms": "yes"}),
            )],
            "/screens/2/layout/children/0/init-values/terms",
        ),
        case(
            "picker-init-value",
            S,
            vec![
                Set(
                    "/screens/1/layout/children/0/children/-",
                    json!({"type": "PhotoPicker", "name": "photo", "label": "Photo"}),
                ),
                Set(
                    "/screens/1/layout/children/0/init-values",
                    json!({"photo": "x"}),
                ),
            ],
            "/screens/1/layout/children/0/init-values/photo",
        ),
        case(
            "form-only-property",
            S,
            vec![Set(
                "/screens/1/layout/children/0/children/0/init-value",
                json!("Ana"),
            )],
            "/screens/1/layout/children/0/children/0/init-value",
        ),
        // ------------------------------------------------------------ If / Switch
        case(
            "if-empty-then",
            A,
            vec![Set(
                "/screens/0/layout/children/-",
                json!({"type": "If", "condition": "${data.is_location_enabled}", "then": []}),
            )],
            "/screens/0/layout/children/5/then",
        ),
        case(
            "if-nesting",
            A,
            vec![Set(
                "/screens/0/layout/children/-",
                json!({"type": "If", "condition": "${data.is_location_enabled}", "then": [
                    {"type": "If", "condition": "${data.is_date_enabled}", "then": [
                        {"type": "If", "condition": "${data.is_time_enabled}", "then": [
                            {"type": "If", "condition": "${data.is_time_enabled}", "then": [{"type": "TextBody", "text": "Deep"}]}
                        ]}
                    ]}
                ]}),
            )],
            "/screens/0/layout/children/5/then/0/then/0/then/0",
        ),
        case(
            "if-footer",
            A,
            vec![With(|v| {
                let children = v["screens"][0]["layout"]["children"]
                    .as_array_mut()
                    .unwrap();
                let footer = children.remove(4);
                children.push(json!({"type": "If", "condition": "${data.is_location_enabled}", "then": [footer]}));
            })],
            "/screens/0/layout/children/4",
        ),
        case(
            "switch-footer",
            A,
            vec![With(|v| {
                let children = v["screens"][0]["layout"]["children"]
                    .as_array_mut()
                    .unwrap();
                let footer = children.remove(4);
                children.push(json!({"type": "Switch", "value": "${form.department}", "cases": {"a": [footer], "b": [{"type": "TextBody", "text": "B"}]}}));
            })],
            "/screens/0/layout/children/4",
        ),
        case(
            "switch-empty-cases",
            A,
            vec![Set(
                "/screens/0/layout/children/-",
                json!({"type": "Switch", "value": "${form.department}", "cases": {}}),
            )],
            "/screens/0/layout/children/5/cases",
        ),
        case(
            "branch-component",
            A,
            vec![Set(
                "/screens/2/layout/children/-",
                json!({"type": "If", "condition": "${form.email} != ''", "then": [{"type": "PhotoPicker", "name": "photo", "label": "Photo"}]}),
            )],
            "/screens/2/layout/children/5/then/0",
        ),
        case(
            "expression-syntax",
            A,
            vec![Set(
                "/screens/0/layout/children/-",
                json!({"type": "If", "condition": "(${data.is_date_enabled}", "then": [{"type": "TextBody", "text": "x"}]}),
            )],
            "/screens/0/layout/children/5/condition",
        ),
        case(
            "expression-type",
            A,
            vec![Set(
                "/screens/1/layout/children/0/text",
                json!("`${data.slot} + 1`"),
            )],
            "/screens/1/layout/children/0/text",
        ),
        case(
            "expression-type",
            A,
            vec![Set(
                "/screens/0/layout/children/-",
                json!({"type": "If", "condition": "${data.is_date_enabled} == 'yes'", "then": [{"type": "TextBody", "text": "x"}]}),
            )],
            "/screens/0/layout/children/5/condition",
        ),
        case(
            "malformed-binding",
            A,
            vec![Set(
                "/screens/1/layout/children/0/text",
                json!("${data.slot} ${data.date}"),
            )],
            "/screens/1/layout/children/0/text",
        ),
        case(
            "suspicious-expression",
            A,
            vec![Set(
                "/screens/1/layout/children/0/text",
                json!("`'Seat for ${data.slot}'`"),
            )],
            "/screens/1/layout/children/0/text",
        ),
        // ------------------------------------------------------------ endpoint-less flows of the corpus
        case(
            "refresh-on-back-without-endpoint",
            GLOBAL_FIELDS,
            vec![Set("/screens/1/refresh_on_back", json!(true))],
            "/screens/1/refresh_on_back",
        ),
    ]
}

fn run(case: &Case) -> Result<(), String> {
    let mut value: Value = serde_json::from_str(case.base).unwrap();
    for edit in &case.edits {
        apply(&mut value, edit);
    }
    let (mut text, lines) = pretty(&value);
    for edit in &case.edits {
        if let Text(from, to) = edit {
            assert!(text.contains(from), "{from}");
            text = text.replace(from, to);
        }
    }
    let diagnostics = lint(&text).map_err(|e| e.to_string())?;
    let shown = || {
        diagnostics
            .iter()
            .map(|d| {
                format!(
                    "  {} {} line {:?}: {}",
                    d.rule,
                    d.pointer,
                    d.line(),
                    d.message
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let others: Vec<_> = diagnostics
        .iter()
        .filter(|d| {
            d.rule.id() != case.rule
                && (d.rule != Rule::FrozenVersion || case.rule == "frozen-version")
        })
        .collect();
    if !others.is_empty() {
        return Err(format!(
            "{}: other rules fired too:\n{}",
            case.rule,
            shown()
        ));
    }
    let Some(hit) = diagnostics
        .iter()
        .find(|d| d.rule.id() == case.rule && d.pointer == case.pointer)
    else {
        return Err(format!(
            "{}: nothing at {}; found:\n{}",
            case.rule,
            case.pointer,
            shown()
        ));
    };
    let expected = lines.get(case.pointer).map(|l| l + case.line_delta);
    if hit.line() != expected {
        return Err(format!(
            "{}: at line {:?}, expected {expected:?}",
            case.rule,
            hit.line()
        ));
    }
    if hit.severity != hit.rule.severity() || hit.rule.id() != case.rule {
        return Err(format!("{}: wrong severity", case.rule));
    }
    Ok(())
}

#[test]
fn every_rule_fires_alone_at_the_right_line() {
    let cases = cases();
    let failures: Vec<String> = cases.iter().filter_map(|c| run(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// Rules without a case (none).
const PENDING: &[&str] = &[];

#[test]
fn every_rule_has_a_case() {
    let covered: BTreeSet<&str> = cases().iter().map(|c| c.rule).collect();
    let missing: Vec<&str> = Rule::ALL
        .iter()
        .map(|r| r.id())
        .filter(|id| !covered.contains(id) && !PENDING.contains(id))
        .collect();
    assert!(missing.is_empty(), "rules without a case: {missing:?}");
}

#[test]
fn the_base_flows_lint_clean() {
    for base in [A, S] {
        let (text, _) = pretty(&serde_json::from_str(base).unwrap());
        assert_eq!(lint(&text).unwrap(), vec![]);
        assert_eq!(lint(base).unwrap(), vec![]);
    }
}
