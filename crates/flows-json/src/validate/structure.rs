//! The document and its screens: required and unknown properties, versions, screen ids, terminal
//! screens and their Footer, titles.

use std::collections::HashMap;

use super::Cx;
use crate::diagnostic::{Diagnostic, Rule};
use crate::model::{ComponentKind, Dyn, InvalidProperty};
use crate::{Version, pointer};

pub(super) fn check(cx: &mut Cx<'_>) {
    let flow = cx.flow;
    invalid_properties(cx, "", "the document", &flow.invalid);
    for key in flow.extra.keys() {
        // The client tolerates an internal `meta` object from 5.1 [WA WAFlowJSONRootSchema].
        if key == "meta" && cx.version >= Version::V5_1 {
            continue;
        }
        cx.push(
            Rule::UnknownProperty,
            pointer::join("", key),
            format!(
                "`{key}` is not a top-level property of Flow JSON (allowed: version, screens, routing_model, data_api_version, data_channel_uri): remove it"
            ),
        );
    }
    version(cx);
    if let Some(dav) = &flow.data_api_version {
        let ok = dav == "3.0" || (dav == "4.0" && cx.version >= Version::V7_3);
        if !ok {
            let message = if dav == "4.0" {
                "data_api_version \"4.0\" needs Flow JSON 7.3: raise `version` or use \"3.0\""
                    .to_owned()
            } else {
                format!(
                    "data_api_version \"{dav}\" is not supported: use \"3.0\" (or \"4.0\" from Flow JSON 7.3)"
                )
            };
            cx.push(Rule::InvalidDataApiVersion, "/data_api_version", message);
        }
    }
    if flow.data_channel_uri.is_some() && cx.version >= Version::V3_0 {
        cx.push(
            Rule::DataChannelUri,
            "/data_channel_uri",
            "`data_channel_uri` is not supported from Flow JSON 3.0: remove it and set the endpoint with the Flows API (`endpoint_uri`)",
        );
    }
    if cx.has_endpoint() && flow.routing_model.is_none() {
        cx.push(
            Rule::MissingRoutingModel,
            "",
            "a flow with `data_api_version` needs a `routing_model`: add one listing, for each screen, the screens it may go to next",
        );
    }
    let screens_invalid = flow
        .invalid
        .iter()
        .any(|i| i.key == "screens" || i.key.is_empty());
    if flow.screens.is_empty() && !screens_invalid {
        cx.push(
            Rule::NoScreens,
            "/screens",
            "`screens` needs at least one screen",
        );
    }
    if flow.screens.len() > 100 {
        cx.push(
            Rule::TooManyScreens,
            "/screens",
            format!(
                "a flow has at most 100 screens, this one has {}",
                flow.screens.len()
            ),
        );
    }
    screens(cx);
}

fn version(cx: &mut Cx<'_>) {
    let flow = cx.flow;
    if flow
        .invalid
        .iter()
        .any(|i| i.key == "version" || i.key.is_empty())
    {
        return;
    }
    match flow.version.parse::<Version>() {
        Err(_) => cx.push(
            Rule::InvalidVersion,
            "/version",
            format!(
                "\"{}\" is not a Flow JSON version: write \"major.minor\", e.g. \"{}\"",
                flow.version,
                Version::LATEST
            ),
        ),
        Ok(v) if v > Version::LATEST => cx.push(
            Rule::NewerVersion,
            "/version",
            format!(
                "version {v} is newer than the newest this linter knows ({}); it is checked as {}",
                Version::LATEST,
                Version::LATEST
            ),
        ),
        Ok(v) if !v.is_released() => cx.push(
            Rule::UnsupportedVersion,
            "/version",
            format!(
                "Flow JSON {v} was never released: use one of {}",
                Version::RELEASED
                    .iter()
                    .map(Version::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Ok(v) => {
            if let Some(since) = v.frozen_since() {
                cx.push(
                    Rule::FrozenVersion,
                    "/version",
                    format!(
                        "Flow JSON {v} is frozen since {since}: flows of this version can no longer be published; use {} or later",
                        Version::V5_1
                    ),
                );
            }
        }
    }
}

/// Reports the invalid (wrong type) and missing required properties of an object.
pub(super) fn invalid_properties(
    cx: &mut Cx<'_>,
    base: &str,
    what: &str,
    invalid: &[InvalidProperty],
) {
    for bad in invalid {
        let at = if bad.key.is_empty() {
            base.to_owned()
        } else {
            pointer::join(base, &bad.key)
        };
        let d = match (&bad.value, bad.key.as_str()) {
            (None, "version") => Diagnostic::new(
                Rule::MissingProperty,
                base,
                "Flow JSON needs a `version`, e.g. \"7.3\"",
            )
            .with_code("MISSING_FLOW_JSON_VERSION"),
            (None, key) => {
                Diagnostic::new(Rule::MissingProperty, base, format!("{what} needs `{key}`"))
            }
            (Some(_), "") => Diagnostic::new(
                Rule::InvalidType,
                at,
                format!("{what} must be a JSON object"),
            ),
            (Some(v), "version") => Diagnostic::new(
                Rule::InvalidVersion,
                at,
                format!(
                    "`version` must be a string like \"{}\", not a {}",
                    Version::LATEST,
                    super::json_type(v)
                ),
            ),
            (Some(v), key) => Diagnostic::new(
                Rule::InvalidType,
                at,
                format!(
                    "`{key}` of {what} has the wrong type ({}): {}",
                    super::json_type(v),
                    bad.error
                ),
            ),
        };
        cx.push_diag(d);
    }
}

fn screens(cx: &mut Cx<'_>) {
    let flow = cx.flow;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut terminals = 0;
    let mut successes = 0;
    for (i, screen) in flow.screens.iter().enumerate() {
        let at = pointer::index("/screens", i);
        let what = if screen.id.is_empty() {
            format!("screen {i}")
        } else {
            format!("screen {}", screen.id)
        };
        invalid_properties(cx, &at, &what, &screen.invalid);
        if screen.invalid.iter().any(|p| p.key.is_empty()) {
            continue;
        }
        for key in screen.extra.keys() {
            cx.push(
                Rule::UnknownProperty,
                pointer::join(&at, key),
                format!(
                    "`{key}` is not a screen property (allowed: id, title, terminal, success, refresh_on_back, sensitive, data, layout): remove it"
                ),
            );
        }
        let id_at = pointer::join(&at, "id");
        let id_missing = screen.invalid.iter().any(|p| p.key == "id");
        if !id_missing {
            if screen.id.is_empty() {
                cx.push_diag(
                    Diagnostic::new(
                        Rule::InvalidScreenId,
                        &id_at,
                        "a screen id needs at least one character",
                    )
                    .with_code("MIN_CHARS_REQUIRED"),
                );
            } else if !screen
                .id
                .chars()
                .all(|c| c.is_ascii_alphabetic() || c == '_')
            {
                cx.push(
                    Rule::InvalidScreenId,
                    &id_at,
                    format!(
                        "screen id \"{}\" may only consist of letters and underscores (no digits, hyphens or spaces)",
                        screen.id
                    ),
                );
            }
            if screen.id.eq_ignore_ascii_case("success") {
                cx.push(
                    Rule::ReservedScreenId,
                    &id_at,
                    "`SUCCESS` is reserved (an endpoint replies with it to end the flow): rename the screen",
                );
            }
            if let Some(first) = seen.get(screen.id.as_str()) {
                cx.push(
                    Rule::DuplicateScreenId,
                    &id_at,
                    format!("duplicate screen id \"{}\" (also screen {first}): screen ids must be unique", screen.id),
                );
            } else {
                seen.insert(&screen.id, i);
            }
        }
        if screen.is_terminal() {
            terminals += 1;
            if screen.is_success() {
                successes += 1;
            }
            let has_footer = cx.screens.get(i).is_some_and(|s| {
                s.visits
                    .iter()
                    .any(|v| v.component.kind() == Some(ComponentKind::Footer))
            });
            if !has_footer {
                cx.push(
                    Rule::TerminalWithoutFooter,
                    &at,
                    format!(
                        "terminal screen {} needs a Footer (the button that completes the flow)",
                        screen.id
                    ),
                );
            }
        } else if screen.success.is_some() {
            cx.push(
                Rule::SuccessOnNonTerminal,
                pointer::join(&at, "success"),
                "`success` can only be set on a terminal screen: remove it or add `\"terminal\": true`",
            );
        }
        if screen.refresh_on_back == Some(true) && !cx.has_endpoint() {
            cx.push(
                Rule::RefreshOnBackWithoutEndpoint,
                pointer::join(&at, "refresh_on_back"),
                "`refresh_on_back` can be true only in a flow with `data_api_version` (an endpoint): remove it",
            );
        }
        match &screen.title {
            None => cx.push(
                Rule::MissingTitle,
                &at,
                format!(
                    "screen {} has no `title`; the WhatsApp client expects one for its top bar",
                    screen.id
                ),
            ),
            Some(Dyn::Literal(t)) if t.trim().is_empty() && cx.version >= Version::V6_0 => cx.push(
                Rule::BlankString,
                pointer::join(&at, "title"),
                "the title is empty: from Flow JSON 6.0 strings may not be empty or blank",
            ),
            Some(_) => {}
        }
        if let Some(sensitive) = &screen.sensitive {
            let s_at = pointer::join(&at, "sensitive");
            cx.gate(Version::V5_1, &s_at, "`sensitive`");
            for (j, field) in sensitive.iter().enumerate() {
                let known = cx
                    .screens
                    .get(i)
                    .is_some_and(|s| s.form.contains_key(field));
                if !known {
                    cx.push(
                        Rule::UnknownSensitiveField,
                        pointer::index(&s_at, j),
                        format!(
                            "`sensitive` names \"{field}\", which is not an input on screen {}",
                            screen.id
                        ),
                    );
                }
            }
        }
        // The layout.
        let layout_at = pointer::join(&at, "layout");
        let layout = &screen.layout;
        if !screen.invalid.iter().any(|p| p.key == "layout") {
            invalid_properties(cx, &layout_at, "the layout", &layout.invalid);
            if !layout.invalid.iter().any(|p| p.key.is_empty()) {
                for key in layout.extra.keys() {
                    cx.push(
                        Rule::UnknownProperty,
                        pointer::join(&layout_at, key),
                        format!(
                            "`{key}` is not a layout property (allowed: type, children): remove it"
                        ),
                    );
                }
                if !layout.invalid.iter().any(|p| p.key == "type")
                    && layout.kind != "SingleColumnLayout"
                {
                    cx.push(
                        Rule::InvalidValue,
                        pointer::join(&layout_at, "type"),
                        format!(
                            "layout type \"{}\" does not exist: use \"SingleColumnLayout\"",
                            layout.kind
                        ),
                    );
                }
            }
        }
    }
    if !flow.screens.is_empty() {
        if terminals == 0 {
            cx.push(
                Rule::MissingTerminalScreen,
                "/screens",
                "no screen is terminal: mark the last screen with `\"terminal\": true` (and give it a Footer)",
            );
        } else if successes == 0 {
            cx.push(
                Rule::NoSuccessScreen,
                "/screens",
                "at least one terminal screen must have `success` true (the default): remove `\"success\": false` from one",
            );
        }
    }
}
