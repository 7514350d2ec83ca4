//! Actions: which slot accepts which action, `complete` on terminal screens, endpoints,
//! navigate targets and payloads, update_data keys, media-picker values (flow-json-rules.md §8).

use serde_json::{Map, Value};

use super::{Cx, accepts, json_type, schema_type};
use crate::diagnostic::Rule;
use crate::dynamic::{self, Analysis, Scope, Type};
use crate::model::{Action, ActionName, Component, ComponentKind, Visit};
use crate::{Version, pointer};

pub(super) fn check(cx: &mut Cx<'_>, i: usize) {
    let Some(info) = cx.screens.get(i) else {
        return;
    };
    let visits: Vec<Visit<'_>> = info.visits.clone();
    for v in &visits {
        let Some(kind) = v.component.kind() else {
            continue;
        };
        for (path, action) in v.component.actions() {
            let mut at = v.pointer.clone();
            for token in &path {
                pointer::push_token(&mut at, token);
            }
            let slot = path.last().map_or("", String::as_str);
            let item_level = path.len() > 1;
            one(cx, i, v, kind, slot, item_level, action, &at);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn one(
    cx: &mut Cx<'_>,
    i: usize,
    v: &Visit<'_>,
    kind: ComponentKind,
    slot: &str,
    item_level: bool,
    action: &Action,
    at: &str,
) {
    use ActionName as A;
    use ComponentKind as K;
    let Some(screen) = cx.screens.get(i).map(|s| s.screen) else {
        return;
    };
    let v6 = cx.version >= Version::V6_0;
    // Allowed per slot [DOC S2] rule 52, flow-client.md §2.3; the version each needs.
    let allowed: Vec<A> = match (kind, slot, item_level) {
        (K::Footer, "on-click-action", _) => vec![A::Navigate, A::DataExchange, A::Complete],
        (K::EmbeddedLink | K::OptIn, "on-click-action", _) => {
            vec![A::Navigate, A::DataExchange, A::OpenUrl]
        }
        (K::NavigationList, "on-click-action", _) => vec![A::Navigate, A::DataExchange],
        (_, "on-unselect-action", _)
        | (_, "on-select-action", true)
        | (K::OptIn, "on-select-action", _) => vec![A::UpdateData],
        (
            K::CheckboxGroup | K::RadioButtonsGroup | K::Dropdown | K::ChipsSelector,
            "on-select-action",
            false,
        ) => vec![A::DataExchange, A::UpdateData],
        (K::DatePicker | K::CalendarPicker, "on-select-action", _) => vec![A::DataExchange],
        _ => vec![],
    };
    let name = action.name();
    match name {
        None if action.name_str().is_none() => {
            cx.push(
                Rule::MissingProperty,
                at,
                format!("an action needs a `name`: one of {}", names(&allowed)),
            );
            return;
        }
        None => {
            let written = action.name_str().unwrap_or_default();
            cx.push(
                Rule::ActionNotAllowed,
                pointer::join(at, "name"),
                format!(
                    "\"{written}\" is not an action: use one of {}",
                    names(&allowed)
                ),
            );
            return;
        }
        Some(n) if !allowed.contains(&n) => {
            let hint = if n == A::Complete {
                " (`complete` is allowed only on a Footer)"
            } else {
                ""
            };
            cx.push(
                Rule::ActionNotAllowed,
                pointer::join(at, "name"),
                format!(
                    "`{}` of {} takes {}, not {}{hint}",
                    slot,
                    kind.as_str(),
                    names(&allowed),
                    n.as_str()
                ),
            );
            return;
        }
        Some(n @ (A::UpdateData | A::OpenUrl)) if !v6 => {
            cx.gate(
                Version::V6_0,
                pointer::join(at, "name"),
                &format!("the `{}` action", n.as_str()),
            );
        }
        _ => {}
    }
    if let Some(extra) = action.extra() {
        for key in extra.keys() {
            let what = name.map_or("", A::as_str);
            let hint = if name == Some(A::OpenUrl) {
                " (`open_url` takes only `url`)"
            } else {
                ""
            };
            cx.push(
                Rule::UnknownProperty,
                pointer::join(at, key),
                format!("`{key}` is not a property of the {what} action{hint}: remove it"),
            );
        }
    }
    let payload_at = pointer::join(at, "payload");
    match action {
        Action::Complete(_) => {
            if !screen.is_terminal() {
                cx.push(
                    Rule::CompleteOnNonTerminal,
                    pointer::join(at, "name"),
                    format!(
                        "`complete` can only be used on a terminal screen, and {} is not terminal",
                        screen.id
                    ),
                );
            }
            media_in_payload(cx, i, action.payload(), &payload_at, true);
        }
        Action::DataExchange(_) => {
            if !cx.has_endpoint() {
                cx.push(
                    Rule::DataExchangeWithoutEndpoint,
                    pointer::join(at, "name"),
                    "`data_exchange` needs an endpoint: set `data_api_version` (and a `routing_model`), or use `navigate`",
                );
            }
            media_in_payload(cx, i, action.payload(), &payload_at, false);
        }
        Action::Navigate(nav) => {
            if kind == K::Footer && screen.is_terminal() {
                cx.push(
                    Rule::NavigateFromTerminalFooter,
                    pointer::join(at, "name"),
                    format!("the Footer of terminal screen {} navigates, so the flow does not end here: use `complete` or `data_exchange`", screen.id),
                );
            }
            let next_at = pointer::join(at, "next");
            for key in nav.next.extra.keys() {
                cx.push(
                    Rule::UnknownProperty,
                    pointer::join(&next_at, key),
                    format!("`{key}` is not a property of `next` (type, name): remove it"),
                );
            }
            if nav.next.kind != "screen" {
                cx.push(
                    Rule::InvalidValue,
                    pointer::join(&next_at, "type"),
                    format!(
                        "`next.type` is \"{}\"; the only value is \"screen\"",
                        nav.next.kind
                    ),
                );
            }
            let target = nav.next.name.as_str();
            let name_at = pointer::join(&next_at, "name");
            if target == screen.id {
                cx.push_diag(
                    crate::Diagnostic::new(Rule::RoutingSelfRoute, name_at, format!("screen {target} navigates to itself: same-screen navigation is not allowed"))
                        .with_code("INVALID_NAVIGATE_ACTION_NEXT_SCREEN_NAME"),
                );
            } else if cx.screen_info(target).is_none() {
                cx.push(
                    Rule::NavigateUnknownScreen,
                    name_at,
                    format!("`navigate` goes to \"{target}\", which is not a screen of this flow"),
                );
            } else {
                navigate_payload(cx, i, target, nav.payload.as_ref(), &payload_at, at);
            }
            media_in_navigate(cx, i, nav.payload.as_ref(), &payload_at);
        }
        Action::UpdateData(_) => {
            if let Some(payload) = action.payload() {
                let declared = screen.data.as_ref();
                for key in payload.keys() {
                    if declared.is_none_or(|d| !d.fields.contains_key(key)) {
                        cx.push(
                            Rule::UpdateDataUndeclared,
                            pointer::join(&payload_at, key),
                            format!("`update_data` sets `{key}`, which screen {} does not declare in its `data`: declare it", screen.id),
                        );
                    }
                }
            }
        }
        Action::OpenUrl(_) | Action::Unknown(_) => {}
    }
    let _ = v;
}

fn names(list: &[ActionName]) -> String {
    if list.is_empty() {
        return "no action".to_owned();
    }
    list.iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn navigate_payload(
    cx: &mut Cx<'_>,
    i: usize,
    target: &str,
    payload: Option<&Map<String, Value>>,
    payload_at: &str,
    at: &str,
) {
    let Some(next) = cx.screen_info(target).map(|s| s.screen) else {
        return;
    };
    let empty = Map::new();
    let payload = payload.unwrap_or(&empty);
    let Some(model) = &next.data else {
        if !payload.is_empty() {
            cx.push(
                Rule::NavigatePayload,
                payload_at,
                format!("the payload sends data, but screen {target} declares no `data`: declare the fields there or remove the payload"),
            );
        }
        return;
    };
    for (key, value) in payload {
        let Some(schema) = model.fields.get(key) else {
            cx.push(
                Rule::NavigatePayload,
                pointer::join(payload_at, key),
                format!("`{key}` is not in the data model of screen {target}: declare it there or remove it from the payload"),
            );
            continue;
        };
        let expected = schema_type(schema);
        let actual = match value.as_str().map(dynamic::analyze) {
            Some(Analysis::Binding(_) | Analysis::Nested(_)) => {
                let env = cx.env(i);
                value
                    .as_str()
                    .and_then(|s| dynamic::infer(s, &env).ok())
                    .unwrap_or(Type::Unknown)
            }
            _ => literal_type(value),
        };
        if !accepts(&expected, &actual) {
            cx.push(
                Rule::NavigatePayload,
                pointer::join(payload_at, key),
                format!(
                    "`{key}` is a {} here, but screen {target} declares it as {}",
                    dynamic::kind_name(&actual),
                    dynamic::kind_name(&expected)
                ),
            );
        }
    }
    let missing: Vec<&str> = model
        .fields
        .keys()
        .filter(|k| !payload.contains_key(*k))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        cx.push(
            Rule::NavigatePayload,
            if payload.is_empty() {
                at.to_owned()
            } else {
                payload_at.to_owned()
            },
            format!(
                "screen {target} expects {} in the navigate payload: add {}",
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ),
        );
    }
}

fn literal_type(value: &Value) -> Type {
    match value {
        Value::String(_) => Type::String,
        Value::Number(_) => Type::Number,
        Value::Bool(_) => Type::Boolean,
        Value::Array(items) => {
            Type::Array(Box::new(items.first().map_or(Type::Unknown, literal_type)))
        }
        Value::Object(map) => Type::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), literal_type(v)))
                .collect(),
        ),
        Value::Null => Type::Unknown,
    }
}

/// The media pickers a string reads (`${form.photo}` of a PhotoPicker/DocumentPicker on screen `i`,
/// or a global reference to one).
fn pickers_read(cx: &Cx<'_>, i: usize, s: &str) -> Vec<(String, ComponentKind)> {
    let refs = match dynamic::analyze(s) {
        Analysis::Binding(r) => vec![r],
        Analysis::Nested(e) => dynamic::nested_refs(&e)
            .into_iter()
            .map(|(r, _)| r)
            .collect(),
        _ => Vec::new(),
    };
    refs.into_iter()
        .filter(|r| r.scope == Scope::Form)
        .filter_map(|r| {
            let info = match &r.screen {
                Some(id) => cx.screen_info(id)?,
                None => cx.screens.get(i)?,
            };
            let (_, kind, pointer) = info.form.get(r.field()?)?;
            kind.is_media_picker().then(|| (pointer.clone(), *kind))
        })
        .collect()
}

fn media_in_navigate(cx: &mut Cx<'_>, i: usize, payload: Option<&Map<String, Value>>, at: &str) {
    let Some(payload) = payload else { return };
    let mut found = Vec::new();
    strings(&Value::Object(payload.clone()), at.to_owned(), &mut found);
    for (p, s) in found {
        if let Some((_, kind)) = pickers_read(cx, i, &s).first() {
            cx.push(Rule::MediaPayload, p, format!("a {}'s value is not allowed in a navigate payload: read it on the next screen with a global reference", kind.as_str()));
        }
    }
}

fn media_in_payload(
    cx: &mut Cx<'_>,
    i: usize,
    payload: Option<&Map<String, Value>>,
    at: &str,
    complete: bool,
) {
    let Some(payload) = payload else { return };
    let mut used = Vec::new();
    for (key, value) in payload {
        let key_at = pointer::join(at, key);
        let mut found = Vec::new();
        strings(value, key_at.clone(), &mut found);
        for (p, s) in found {
            for (picker_at, kind) in pickers_read(cx, i, &s) {
                if p != key_at
                    || !crate::model::is_dynamic(&s)
                    || matches!(dynamic::analyze(&s), Analysis::Nested(_))
                {
                    cx.push(Rule::MediaPayload, &p, format!("a {}'s value must be a top-level payload property of its own, like {{\"media\": \"${{form.photo}}\"}}", kind.as_str()));
                }
                used.push((p.clone(), picker_at, kind));
            }
        }
    }
    if !complete {
        return;
    }
    if used.len() > 1
        && let Some((p, _, _)) = used.get(1)
    {
        cx.push(
            Rule::MediaPayload,
            p,
            "a `complete` payload may carry only one PhotoPicker or DocumentPicker value",
        );
    }
    for (p, picker_at, kind) in &used {
        let limit_key = if *kind == ComponentKind::PhotoPicker {
            "max-uploaded-photos"
        } else {
            "max-uploaded-documents"
        };
        let limit = cx
            .screens
            .iter()
            .flat_map(|s| s.visits.iter())
            .find(|v| &v.pointer == picker_at)
            .and_then(|v| match v.component {
                Component::PhotoPicker(c) => c
                    .max_uploaded_photos
                    .as_ref()
                    .and_then(|d| d.literal().and_then(crate::model::Int::value)),
                Component::DocumentPicker(c) => c
                    .max_uploaded_documents
                    .as_ref()
                    .and_then(|d| d.literal().and_then(crate::model::Int::value)),
                _ => None,
            });
        if limit.is_none_or(|n| n > 1) {
            cx.push(Rule::MediaPayload, p, format!("a {} value may be sent with `complete` only when its `{limit_key}` is set to 1 (the default is 30)", kind.as_str()));
        }
    }
}

/// Every string below `value`, with its pointer.
pub(super) fn strings(value: &Value, at: String, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) => out.push((at, s.clone())),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings(v, pointer::index(&at, i), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                strings(v, pointer::join(&at, k), out);
            }
        }
        _ => {}
    }
    let _ = json_type;
}
