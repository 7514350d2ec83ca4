//! A generated flow of about `target` bytes: a chain of screens with inputs, options, bindings and
//! navigate payloads, valid as far as the linter knows. Shared by `tests/large.rs` and the
//! `large` example.

use serde_json::{Value, json};

/// Screen ids are letters only.
fn id(i: usize) -> String {
    let mut s = String::from("SCREEN_");
    let mut k = i;
    loop {
        s.push((b'A' + (k % 26) as u8) as char);
        k /= 26;
        if k == 0 {
            break;
        }
    }
    s
}

/// Builds the flow as text, growing the number of components per screen until it reaches
/// about `target` bytes.
pub(crate) fn large_flow(target: usize) -> String {
    let screens = 100;
    let per_screen = (target / screens / 480).clamp(1, 15);
    let mut list = Vec::new();
    for i in 0..screens {
        let last = i + 1 == screens;
        let mut children = Vec::new();
        let mut payload = serde_json::Map::new();
        for j in 0..per_screen {
            children.push(json!({"type": "TextBody", "text": format!("Step {i}, part {j}: tell us a little more about what you need.")}));
            children.push(json!({"type": "TextInput", "name": format!("field_{j}"), "label": "Your answer", "required": j % 2 == 0, "helper-text": "A few words are enough"}));
            children.push(json!({"type": "Dropdown", "name": format!("choice_{j}"), "label": "Pick one", "data-source": "${data.options}", "visible": "${data.show}"}));
            payload.insert(format!("field_{j}"), json!(format!("${{form.field_{j}}}")));
        }
        let action = if last {
            json!({"name": "complete", "payload": payload})
        } else {
            json!({"name": "navigate", "next": {"type": "screen", "name": id(i + 1)}, "payload": {"options": "${data.options}", "show": true}})
        };
        children.push(json!({"type": "Footer", "label": "Continue", "on-click-action": action}));
        let options: Vec<Value> = (0..8)
            .map(|k| json!({"id": format!("o{k}"), "title": format!("Option {k}")}))
            .collect();
        let mut screen = json!({
            "id": id(i),
            "title": format!("Step {i}"),
            "data": {
                "options": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}}}, "__example__": options},
                "show": {"type": "boolean", "__example__": true}
            },
            "layout": {"type": "SingleColumnLayout", "children": [{"type": "Form", "name": "form", "children": children}]}
        });
        if let (true, Value::Object(map)) = (last, &mut screen) {
            map.insert("terminal".to_owned(), json!(true));
        }
        list.push(screen);
    }
    let flow = json!({"version": "7.3", "screens": list});
    let mut text = serde_json::to_string_pretty(&flow).unwrap_or_default();
    text.push('\n');
    text
}
