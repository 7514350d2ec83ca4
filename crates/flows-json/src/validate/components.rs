//! Per-component checks: unreadable and unknown components, unknown properties, enumerations,
//! character limits, blank strings, option counts, min/max pairs, dates, per-property version gates.

use std::collections::HashSet;

use serde_json::Value;

use super::Cx;
use crate::diagnostic::{Diagnostic, Rule};
use crate::model::{
    Component, ComponentKind, DataSourceItem, Dyn, Int, NavigationContent, TextLines, Visit,
};
use crate::{Version, pointer};

pub(super) fn check(cx: &mut Cx<'_>, i: usize) {
    let Some(info) = cx.screens.get(i) else {
        return;
    };
    let visits: Vec<Visit<'_>> = info.visits.clone();
    for v in &visits {
        component(cx, v);
    }
}

fn component(cx: &mut Cx<'_>, v: &Visit<'_>) {
    let at = v.pointer.as_str();
    let c = v.component;
    match c {
        Component::Unknown(u) => {
            cx.push(
                Rule::UnknownComponent,
                pointer::join(at, "type"),
                format!("`{}` is not a WhatsApp Flows component", u.type_name),
            );
            return;
        }
        Component::Invalid(bad) => {
            let mut p = at.to_owned();
            for token in &bad.error_path {
                pointer::push_token(&mut p, token);
            }
            let what = bad.kind.map_or("the component", ComponentKind::as_str);
            let d = if bad.kind.is_none() && bad.value.is_object() {
                Diagnostic::new(
                    Rule::MissingProperty,
                    at,
                    "a component needs a `type`, e.g. \"TextBody\"",
                )
                .with_code("MISSING_REQUIRED_TYPE_PROPERTY")
            } else if bad.kind.is_none() {
                Diagnostic::new(Rule::InvalidType, at, "a component must be a JSON object")
            } else if let Some(field) = missing_field(&bad.error) {
                Diagnostic::new(Rule::MissingProperty, p, format!("{what} needs `{field}`"))
            } else {
                Diagnostic::new(
                    Rule::InvalidType,
                    p,
                    match bad
                        .error_path
                        .iter()
                        .rev()
                        .find(|t| t.parse::<usize>().is_err())
                    {
                        Some(prop) => {
                            format!("`{prop}` of {what} has the wrong type: {}", bad.error)
                        }
                        None => format!("a property of {what} has the wrong type: {}", bad.error),
                    },
                )
            };
            cx.push_diag(d);
            if let Some(kind) = bad.kind
                && let Some(since) = kind.since()
            {
                cx.gate(since, at, kind.as_str());
            }
            return;
        }
        _ => {}
    }
    let Some(kind) = c.kind() else { return };
    if let Some(since) = kind.since() {
        cx.gate(since, pointer::join(at, "type"), kind.as_str());
    }
    if let Some(extra) = c.extra() {
        for key in extra.keys() {
            cx.push(
                Rule::UnknownProperty,
                pointer::join(at, key),
                format!("`{key}` is not a property of {}: remove it", kind.as_str()),
            );
        }
    }
    let json = serde_json::to_value(c).unwrap_or(Value::Null);
    let has_prop = |_: &Component, key: &str| json.get(key).is_some();
    let p = |key: &str| pointer::join(at, key);
    // Component-level init-value / error-message exist only outside a Form (4.0+).
    for key in ["init-value", "error-message"] {
        if has_prop(c, key) {
            cx.gate(Version::V4_0, p(key), &format!("`{key}` on a component"));
            if v.form.is_some() {
                cx.push(
                    Rule::FormOnlyProperty,
                    p(key),
                    format!("`{key}` is available only outside a Form: inside one, use the Form's `{key}s`"),
                );
            }
        }
    }
    match c {
        Component::TextHeading(h) | Component::TextSubheading(h) => {
            text(cx, &h.text, &p("text"), 80);
        }
        Component::TextBody(b) | Component::TextCaption(b) => {
            let max = if kind == ComponentKind::TextBody {
                4096
            } else {
                409
            };
            match &b.text {
                Dyn::Literal(TextLines::One(s)) => {
                    text(cx, &Dyn::Literal(s.clone()), &p("text"), max)
                }
                Dyn::Literal(TextLines::Many(lines)) => {
                    if b.markdown.as_ref().and_then(Dyn::literal) != Some(&true) {
                        cx.push(Rule::InvalidType, p("text"), format!("the text of {} is an array only with `\"markdown\": true`: join it into one string", kind.as_str()));
                    }
                    let joined = lines.join("\n");
                    limit(cx, &joined, &p("text"), max);
                }
                Dyn::Dynamic(_) => {}
            }
            one_of(
                cx,
                b.font_weight.as_ref(),
                &p("font-weight"),
                &["bold", "italic", "bold_italic", "normal"],
            );
            if b.markdown.is_some() {
                cx.gate(Version::V5_1, p("markdown"), "`markdown`");
            }
        }
        Component::RichText(_) => {}
        Component::TextInput(t) => {
            text(
                cx,
                &t.label,
                &p("label"),
                if is_large(&t.label_variant) { 80 } else { 20 },
            );
            opt_text(cx, t.helper_text.as_ref(), &p("helper-text"), 80);
            if let Some(Value::String(e)) = &t.error_message {
                limit(cx, e, &p("error-message"), 30);
            }
            one_of(
                cx,
                t.input_type.as_ref(),
                &p("input-type"),
                &["text", "number", "email", "password", "passcode", "phone"],
            );
            label_variant(cx, t.label_variant.as_ref(), &p("label-variant"));
            min_max(
                cx,
                at,
                kind,
                ("min-chars", int(&t.min_chars)),
                ("max-chars", int(&t.max_chars)),
            );
            non_negative(cx, &p("min-chars"), int(&t.min_chars));
            non_negative(cx, &p("max-chars"), int(&t.max_chars));
            if t.pattern.is_some() {
                cx.gate(Version::V6_2, p("pattern"), "TextInput `pattern`");
                if t.helper_text.is_none() {
                    cx.push(
                        Rule::PatternWithoutHelperText,
                        p("pattern"),
                        "a TextInput with `pattern` needs `helper-text` that tells the user the expected format",
                    );
                }
                let input_type = t
                    .input_type
                    .as_ref()
                    .and_then(Dyn::literal)
                    .map_or("text", String::as_str);
                if !matches!(input_type, "text" | "number" | "password" | "passcode") {
                    cx.push(
                        Rule::PatternIgnored,
                        p("pattern"),
                        format!("`pattern` works only with input-type text, number, password or passcode, not {input_type}: it is ignored"),
                    );
                }
            }
        }
        Component::TextArea(t) => {
            text(
                cx,
                &t.label,
                &p("label"),
                if is_large(&t.label_variant) { 80 } else { 20 },
            );
            opt_text(cx, t.helper_text.as_ref(), &p("helper-text"), 80);
            label_variant(cx, t.label_variant.as_ref(), &p("label-variant"));
            non_negative(cx, &p("max-length"), int(&t.max_length));
        }
        Component::CheckboxGroup(s)
        | Component::RadioButtonsGroup(s)
        | Component::ChipsSelector(s) => {
            let chips = kind == ComponentKind::ChipsSelector;
            match &s.label {
                Some(l) => text(cx, l, &p("label"), if chips { 80 } else { 30 }),
                None if chips || cx.version >= Version::V4_0 => cx.push(
                    Rule::MissingProperty,
                    at,
                    format!(
                        "{} needs a `label` (required from Flow JSON 4.0)",
                        kind.as_str()
                    ),
                ),
                None => {}
            }
            if let Some(d) = &s.description {
                if !chips {
                    cx.gate(
                        Version::V4_0,
                        p("description"),
                        &format!("{} `description`", kind.as_str()),
                    );
                }
                text(cx, d, &p("description"), 300);
            }
            if s.media_size.is_some() {
                cx.gate(Version::V5_0, p("media-size"), "`media-size`");
            }
            one_of(
                cx,
                s.media_size.as_ref(),
                &p("media-size"),
                &["regular", "large"],
            );
            if kind == ComponentKind::RadioButtonsGroup {
                for key in ["min-selected-items", "max-selected-items"] {
                    if has_prop(c, key) {
                        cx.push(Rule::UnknownProperty, p(key), format!("`{key}` is not a property of RadioButtonsGroup (one option is chosen): remove it"));
                    }
                }
            }
            let (lo, hi) = if chips { (2, 20) } else { (1, 20) };
            items(cx, &s.data_source, &p("data-source"), kind, lo, hi);
            min_max(
                cx,
                at,
                kind,
                ("min-selected-items", int(&s.min_selected_items)),
                ("max-selected-items", int(&s.max_selected_items)),
            );
            non_negative(cx, &p("min-selected-items"), int(&s.min_selected_items));
            if s.on_unselect_action.is_some() {
                cx.gate(
                    if chips { Version::V7_1 } else { Version::V6_0 },
                    p("on-unselect-action"),
                    "`on-unselect-action`",
                );
            }
            if chips && s.on_select_action.is_some() {
                cx.gate(
                    Version::V7_1,
                    p("on-select-action"),
                    "ChipsSelector `on-select-action`",
                );
            }
        }
        Component::Dropdown(d) => {
            text(cx, &d.label, &p("label"), 20);
            let with_images = matches!(&d.data_source, Dyn::Literal(list) if list.iter().any(|i| i.image.is_some()));
            items(
                cx,
                &d.data_source,
                &p("data-source"),
                kind,
                1,
                if with_images { 100 } else { 200 },
            );
            if d.on_unselect_action.is_some() {
                cx.gate(
                    Version::V6_0,
                    p("on-unselect-action"),
                    "`on-unselect-action`",
                );
            }
        }
        Component::DatePicker(d) => {
            text(cx, &d.label, &p("label"), 40);
            opt_text(cx, d.helper_text.as_ref(), &p("helper-text"), 80);
            if let Some(Value::String(e)) = &d.error_message {
                limit(cx, e, &p("error-message"), 80);
            }
            let iso = cx.version >= Version::V5_0;
            let min = date(cx, d.min_date.as_ref(), &p("min-date"), iso);
            let max = date(cx, d.max_date.as_ref(), &p("max-date"), iso);
            dates(
                cx,
                d.unavailable_dates.as_ref(),
                &p("unavailable-dates"),
                iso,
            );
            date_range(cx, at, kind, min, max);
        }
        Component::CalendarPicker(cp) => {
            let range = cp
                .mode
                .as_ref()
                .and_then(Dyn::literal)
                .is_some_and(|m| m == "range");
            one_of(cx, cp.mode.as_ref(), &p("mode"), &["single", "range"]);
            if let Value::String(l) = &cp.label
                && !crate::model::is_dynamic(l)
            {
                limit(cx, l, &p("label"), 40);
            }
            if !range {
                for key in ["title", "description", "min-days", "max-days"] {
                    if has_prop(c, key) {
                        cx.push(
                            Rule::CalendarMode,
                            p(key),
                            format!("`{key}` is allowed only with `\"mode\": \"range\"`"),
                        );
                    }
                }
                for (key, value) in [
                    ("label", Some(&cp.label)),
                    ("helper-text", cp.helper_text.as_ref()),
                    ("required", cp.required.as_ref()),
                    ("init-value", cp.init_value.as_ref()),
                    ("error-message", cp.error_message.as_ref()),
                ] {
                    if matches!(value, Some(Value::Object(_))) {
                        cx.push(
                            Rule::CalendarMode,
                            p(key),
                            format!("`{key}` is a {{\"start-date\", \"end-date\"}} object only with `\"mode\": \"range\"`"),
                        );
                    }
                }
            }
            opt_text(cx, cp.title.as_ref(), &p("title"), 80);
            opt_text(cx, cp.description.as_ref(), &p("description"), 300);
            let min = date(cx, cp.min_date.as_ref(), &p("min-date"), true);
            let max = date(cx, cp.max_date.as_ref(), &p("max-date"), true);
            dates(
                cx,
                cp.unavailable_dates.as_ref(),
                &p("unavailable-dates"),
                true,
            );
            date_range(cx, at, kind, min, max);
            if let Some(Dyn::Literal(days)) = &cp.include_days {
                for (j, day) in days.iter().enumerate() {
                    if !["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&day.as_str()) {
                        cx.push(Rule::InvalidValue, pointer::index(&p("include-days"), j), format!("\"{day}\" is not a week day: use Mon, Tue, Wed, Thu, Fri, Sat or Sun"));
                    }
                }
            }
            min_max(
                cx,
                at,
                kind,
                ("min-days", int(&cp.min_days)),
                ("max-days", int(&cp.max_days)),
            );
        }
        Component::OptIn(o) => {
            text(cx, &o.label, &p("label"), 120);
            for (key, action) in [
                ("on-select-action", &o.on_select_action),
                ("on-unselect-action", &o.on_unselect_action),
            ] {
                if action.is_some() {
                    cx.gate(Version::V6_0, p(key), &format!("OptIn `{key}`"));
                }
            }
        }
        Component::EmbeddedLink(e) => text(cx, &e.text, &p("text"), 25),
        Component::Footer(f) => {
            text(cx, &f.label, &p("label"), 35);
            for (key, caption) in [
                ("left-caption", &f.left_caption),
                ("center-caption", &f.center_caption),
                ("right-caption", &f.right_caption),
            ] {
                opt_text(cx, caption.as_ref(), &p(key), 15);
            }
            let (l, c_, r) = (
                f.left_caption.is_some(),
                f.center_caption.is_some(),
                f.right_caption.is_some(),
            );
            if c_ && (l || r) {
                cx.push_diag(
                    Diagnostic::new(Rule::FooterCaptions, p("center-caption"), "use either `center-caption` alone or `left-caption` with `right-caption`, not both")
                        .with_code("NOT_KEYWORD_SCHEMA_VALIDATION_FAILED"),
                );
            } else if l != r {
                let (has, lacks) = if l {
                    ("left-caption", "right-caption")
                } else {
                    ("right-caption", "left-caption")
                };
                cx.push(
                    Rule::FooterCaptions,
                    p(has),
                    format!("a Footer with `{has}` needs `{lacks}` too"),
                );
            }
        }
        Component::Image(img) => {
            one_of(
                cx,
                img.scale_type.as_ref(),
                &p("scale-type"),
                &["cover", "contain"],
            );
        }
        Component::ImageCarousel(car) => {
            one_of(
                cx,
                car.aspect_ratio.as_ref(),
                &p("aspect-ratio"),
                &["4:3", "16:9"],
            );
            one_of(
                cx,
                car.scale_type.as_ref(),
                &p("scale-type"),
                &["cover", "contain"],
            );
            if let Dyn::Literal(images) = &car.images {
                count(cx, images.len(), &p("images"), kind, 1, 3, "images");
            }
        }
        Component::NavigationList(n) => navigation_list(cx, n, at),
        Component::PhotoPicker(pp) => {
            text(cx, &pp.label, &p("label"), 80);
            opt_text(cx, pp.description.as_ref(), &p("description"), 300);
            one_of(
                cx,
                pp.photo_source.as_ref(),
                &p("photo-source"),
                &["camera_gallery", "camera", "gallery"],
            );
            range(
                cx,
                &p("max-file-size-kb"),
                int(&pp.max_file_size_kb),
                1,
                25600,
            );
            range(
                cx,
                &p("min-uploaded-photos"),
                int(&pp.min_uploaded_photos),
                0,
                30,
            );
            range(
                cx,
                &p("max-uploaded-photos"),
                int(&pp.max_uploaded_photos),
                1,
                30,
            );
            min_max(
                cx,
                at,
                kind,
                ("min-uploaded-photos", int(&pp.min_uploaded_photos)),
                ("max-uploaded-photos", int(&pp.max_uploaded_photos)),
            );
        }
        Component::DocumentPicker(dp) => {
            text(cx, &dp.label, &p("label"), 80);
            opt_text(cx, dp.description.as_ref(), &p("description"), 300);
            range(
                cx,
                &p("max-file-size-kb"),
                int(&dp.max_file_size_kb),
                1,
                25600,
            );
            range(
                cx,
                &p("min-uploaded-documents"),
                int(&dp.min_uploaded_documents),
                0,
                30,
            );
            range(
                cx,
                &p("max-uploaded-documents"),
                int(&dp.max_uploaded_documents),
                1,
                30,
            );
            min_max(
                cx,
                at,
                kind,
                ("min-uploaded-documents", int(&dp.min_uploaded_documents)),
                ("max-uploaded-documents", int(&dp.max_uploaded_documents)),
            );
        }
        Component::If(_) | Component::Switch(_) | Component::Form(_) => {}
        Component::Unknown(_) | Component::Invalid(_) => {}
    }
}

fn missing_field(error: &str) -> Option<&str> {
    let rest = error.split("missing field `").nth(1)?;
    rest.split('`').next()
}

fn int(v: &Option<Dyn<Int>>) -> Option<i64> {
    v.as_ref().and_then(Dyn::literal).and_then(Int::value)
}

fn is_large(v: &Option<Dyn<String>>) -> bool {
    v.as_ref()
        .and_then(Dyn::literal)
        .is_some_and(|s| s == "large")
}

fn label_variant(cx: &mut Cx<'_>, v: Option<&Dyn<String>>, at: &str) {
    if v.is_some() {
        cx.gate(Version::V7_0, at, "`label-variant`");
    }
}

fn one_of(cx: &mut Cx<'_>, v: Option<&Dyn<String>>, at: &str, allowed: &[&str]) {
    if let Some(Dyn::Literal(s)) = v
        && !allowed.contains(&s.as_str())
    {
        cx.push(
            Rule::InvalidValue,
            at,
            format!(
                "\"{s}\" is not allowed here: use one of {}",
                allowed.join(", ")
            ),
        );
    }
}

/// A required text property: blank (6.0+) and length.
fn text(cx: &mut Cx<'_>, v: &Dyn<String>, at: &str, max: usize) {
    if let Dyn::Literal(s) = v {
        if s.trim().is_empty() {
            if cx.version >= Version::V6_0 {
                cx.push(Rule::BlankString, at, "this text is empty or blank, which Flow JSON 6.0 and later reject: write a text or remove the property");
            }
            return;
        }
        limit(cx, s, at, max);
    }
}

fn opt_text(cx: &mut Cx<'_>, v: Option<&Dyn<String>>, at: &str, max: usize) {
    if let Some(v) = v {
        text(cx, v, at, max);
    }
}

fn limit(cx: &mut Cx<'_>, s: &str, at: &str, max: usize) {
    let n = s.chars().count();
    if n > max {
        cx.push(
            Rule::TextTooLong,
            at,
            format!("this text has {n} characters; at most {max} are shown: shorten it"),
        );
    }
}

fn non_negative(cx: &mut Cx<'_>, at: &str, v: Option<i64>) {
    if let Some(n) = v
        && n < 0
    {
        cx.push_diag(
            Diagnostic::new(
                Rule::ValueOutOfRange,
                at,
                format!("{n} is negative: use 0 or more"),
            )
            .with_code("MINIMUM_VALUE_REQUIRED"),
        );
    }
}

fn range(cx: &mut Cx<'_>, at: &str, v: Option<i64>, lo: i64, hi: i64) {
    if let Some(n) = v {
        if n < lo {
            cx.push_diag(
                Diagnostic::new(
                    Rule::ValueOutOfRange,
                    at,
                    format!("the minimum value allowed here is {lo}, found {n}"),
                )
                .with_code("MINIMUM_VALUE_REQUIRED"),
            );
        } else if n > hi {
            cx.push_diag(
                Diagnostic::new(
                    Rule::ValueOutOfRange,
                    at,
                    format!("the maximum value allowed here is {hi}, found {n}"),
                )
                .with_code("MAXIMUM_VALUE_REQUIRED"),
            );
        }
    }
}

fn min_max(
    cx: &mut Cx<'_>,
    at: &str,
    kind: ComponentKind,
    min: (&str, Option<i64>),
    max: (&str, Option<i64>),
) {
    if let ((min_key, Some(lo)), (max_key, Some(hi))) = (min, max)
        && lo > hi
    {
        cx.push(
            Rule::MinGreaterThanMax,
            pointer::join(at, min_key),
            format!(
                "`{min_key}` ({lo}) cannot be greater than `{max_key}` ({hi}) for {}",
                kind.as_str()
            ),
        );
    }
}

fn count(
    cx: &mut Cx<'_>,
    n: usize,
    at: &str,
    kind: ComponentKind,
    lo: usize,
    hi: usize,
    what: &str,
) {
    if n < lo {
        cx.push_diag(
            Diagnostic::new(
                Rule::OptionCount,
                at,
                format!("{} needs at least {lo} {what}, found {n}", kind.as_str()),
            )
            .with_code("MIN_ITEMS_REQUIRED"),
        );
    } else if n > hi {
        cx.push_diag(
            Diagnostic::new(
                Rule::OptionCount,
                at,
                format!("{} takes at most {hi} {what}, found {n}", kind.as_str()),
            )
            .with_code("MAX_ITEMS_REQUIRED"),
        );
    }
}

fn items(
    cx: &mut Cx<'_>,
    source: &Dyn<Vec<DataSourceItem>>,
    at: &str,
    kind: ComponentKind,
    lo: usize,
    hi: usize,
) {
    let Dyn::Literal(list) = source else { return };
    count(cx, list.len(), at, kind, lo, hi, "options");
    let mut ids = HashSet::new();
    for (j, item) in list.iter().enumerate() {
        let item_at = pointer::index(at, j);
        let p = |key: &str| pointer::join(&item_at, key);
        for key in item.extra.keys() {
            cx.push(
                Rule::UnknownProperty,
                p(key),
                format!(
                    "`{key}` is not a property of a {} option: remove it",
                    kind.as_str()
                ),
            );
        }
        if !ids.insert(item.id.as_str()) {
            cx.push(
                Rule::DuplicateOptionId,
                p("id"),
                format!(
                    "option id \"{}\" is used twice in this list: ids must be unique",
                    item.id
                ),
            );
        }
        if item.title.trim().is_empty() && cx.version >= Version::V6_0 {
            cx.push(
                Rule::BlankString,
                p("title"),
                "an option title may not be empty or blank from Flow JSON 6.0",
            );
        } else {
            limit(cx, &item.title, &p("title"), 30);
        }
        if let Some(d) = &item.description {
            limit(cx, d, &p("description"), 300);
        }
        if let Some(m) = &item.metadata {
            limit(cx, m, &p("metadata"), 20);
        }
        for (key, present) in [
            ("image", item.image.is_some()),
            ("alt-text", item.alt_text.is_some()),
            ("color", item.color.is_some()),
        ] {
            if present {
                cx.gate(Version::V5_0, p(key), &format!("option `{key}`"));
            }
        }
        for (key, present) in [
            ("on-select-action", item.on_select_action.is_some()),
            ("on-unselect-action", item.on_unselect_action.is_some()),
        ] {
            if present {
                cx.gate(Version::V6_0, p(key), &format!("option `{key}`"));
            }
        }
        if item.image.is_some() && item.color.is_some() {
            cx.push(
                Rule::ImageAndColor,
                &item_at,
                "an option has either an `image` or a `color`, not both",
            );
        }
    }
}

fn navigation_list(cx: &mut Cx<'_>, n: &crate::model::NavigationList, at: &str) {
    let p = |key: &str| pointer::join(at, key);
    opt_text(cx, n.label.as_ref(), &p("label"), 80);
    opt_text(cx, n.description.as_ref(), &p("description"), 300);
    one_of(
        cx,
        n.media_size.as_ref(),
        &p("media-size"),
        &["regular", "large"],
    );
    let Dyn::Literal(list) = &n.list_items else {
        return;
    };
    let items_at = p("list-items");
    count(
        cx,
        list.len(),
        &items_at,
        ComponentKind::NavigationList,
        1,
        20,
        "items",
    );
    let large = n
        .media_size
        .as_ref()
        .and_then(Dyn::literal)
        .is_some_and(|m| m == "large");
    let mut badges = 0;
    let mut with_action = 0;
    let mut ids = HashSet::new();
    for (j, item) in list.iter().enumerate() {
        let item_at = pointer::index(&items_at, j);
        let ip = |key: &str| pointer::join(&item_at, key);
        for key in item.extra.keys() {
            cx.push(
                Rule::UnknownProperty,
                ip(key),
                format!("`{key}` is not a property of a NavigationList item: remove it"),
            );
        }
        if !ids.insert(item.id.as_str()) {
            cx.push(
                Rule::DuplicateOptionId,
                ip("id"),
                format!(
                    "item id \"{}\" is used twice in this list: ids must be unique",
                    item.id
                ),
            );
        }
        content(cx, &item.main_content, &ip("main-content"), (30, 20, 80));
        if item.main_content.title.is_none() {
            cx.push(
                Rule::MissingProperty,
                ip("main-content"),
                "a NavigationList item's `main-content` needs a `title`",
            );
        }
        if let Some(end) = &item.end {
            content(cx, end, &ip("end"), (10, 10, 10));
            if large {
                cx.push(
                    Rule::NavigationListItem,
                    ip("end"),
                    "`end` cannot be used with `\"media-size\": \"large\"`",
                );
            }
        }
        if let Some(start) = &item.start {
            for key in start.extra.keys() {
                cx.push(
                    Rule::UnknownProperty,
                    pointer::join(&ip("start"), key),
                    format!("`{key}` is not a property of `start`: remove it"),
                );
            }
        }
        if let Some(badge) = &item.badge {
            badges += 1;
            limit(cx, badge, &ip("badge"), 15);
            if badges == 2 {
                cx.push(
                    Rule::NavigationListItem,
                    ip("badge"),
                    "only one item of a NavigationList may have a `badge`",
                );
            }
        }
        if let Some(tags) = &item.tags {
            if tags.len() > 3 {
                cx.push(
                    Rule::NavigationListItem,
                    ip("tags"),
                    format!("an item has at most 3 tags, found {}", tags.len()),
                );
            }
            for (k, tag) in tags.iter().enumerate() {
                limit(cx, tag, &pointer::index(&ip("tags"), k), 15);
            }
        }
        if item.on_click_action.is_some() {
            with_action += 1;
        }
    }
    let on_component = n.on_click_action.is_some();
    if on_component && with_action > 0 {
        cx.push(
            Rule::NavigationListAction,
            p("on-click-action"),
            "set `on-click-action` either on the NavigationList or on its items, not both",
        );
    } else if !on_component && with_action < list.len() && !list.is_empty() {
        cx.push(
            Rule::NavigationListAction,
            at,
            "a NavigationList needs `on-click-action`: on the component, or on every item",
        );
    }
}

fn content(
    cx: &mut Cx<'_>,
    c: &NavigationContent,
    at: &str,
    (title, description, metadata): (usize, usize, usize),
) {
    for key in c.extra.keys() {
        cx.push(
            Rule::UnknownProperty,
            pointer::join(at, key),
            format!("`{key}` is not allowed here (title, description, metadata): remove it"),
        );
    }
    for (key, v, max) in [
        ("title", &c.title, title),
        ("description", &c.description, description),
        ("metadata", &c.metadata, metadata),
    ] {
        if let Some(s) = v {
            limit(cx, s, &pointer::join(at, key), max);
        }
    }
}

/// Checks one date literal; returns it (as `YYYY-MM-DD` or a timestamp) when valid.
fn date(cx: &mut Cx<'_>, v: Option<&Dyn<String>>, at: &str, iso: bool) -> Option<DateValue> {
    let Some(Dyn::Literal(s)) = v else {
        return None;
    };
    let parsed = parse_date(s, iso);
    if parsed.is_none() {
        let expected = if iso {
            "a \"YYYY-MM-DD\" date (from Flow JSON 5.0)"
        } else {
            "a UTC timestamp in milliseconds, as a string (before Flow JSON 5.0)"
        };
        cx.push(Rule::DateFormat, at, format!("\"{s}\" is not {expected}"));
    }
    parsed
}

fn dates(cx: &mut Cx<'_>, v: Option<&Dyn<Vec<String>>>, at: &str, iso: bool) {
    if let Some(Dyn::Literal(list)) = v {
        for (j, s) in list.iter().enumerate() {
            let lit = Dyn::Literal(s.clone());
            date(cx, Some(&lit), &pointer::index(at, j), iso);
        }
    }
}

#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum DateValue {
    Day(time::Date),
    Millis(i64),
}

fn parse_date(s: &str, iso: bool) -> Option<DateValue> {
    if iso {
        let mut parts = s.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
        let date = time::Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()?;
        Some(DateValue::Day(date))
    } else {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok().map(DateValue::Millis))?
    }
}

fn date_range(
    cx: &mut Cx<'_>,
    at: &str,
    kind: ComponentKind,
    min: Option<DateValue>,
    max: Option<DateValue>,
) {
    if let (Some(lo), Some(hi)) = (min, max)
        && lo > hi
    {
        cx.push_diag(
            Diagnostic::new(
                Rule::MinGreaterThanMax,
                pointer::join(at, "min-date"),
                format!(
                    "`min-date` cannot be later than `max-date` for {}",
                    kind.as_str()
                ),
            )
            .with_code("INVALID_DATE_RANGE"),
        );
    }
}
