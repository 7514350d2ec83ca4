//! Screen composition: counts per kind, placement, Forms, names, If/Switch structure.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::Cx;
use crate::diagnostic::{Diagnostic, Rule};
use crate::model::{Component, ComponentKind, Dyn, Visit};
use crate::{Version, pointer};

pub(super) fn check(cx: &mut Cx<'_>, i: usize) {
    let Some(info) = cx.screens.get(i) else {
        return;
    };
    let screen = info.screen;
    let visits: Vec<Visit<'_>> = info.visits.clone();
    let layout_at = pointer::join(&pointer::join(&info.pointer, "layout"), "children");
    let id = screen.id.clone();

    // Component counts (containers not counted).
    let leaves = visits
        .iter()
        .filter(|v| {
            !matches!(
                v.component.kind(),
                Some(ComponentKind::Form | ComponentKind::If | ComponentKind::Switch)
            )
        })
        .count();
    if leaves > 50 {
        cx.push(
            Rule::TooManyComponents,
            &layout_at,
            format!("screen {id} has {leaves} components; a screen holds at most 50"),
        );
    }
    let mut limits: Vec<(ComponentKind, usize, &str)> = vec![
        (ComponentKind::Footer, 1, "MAX_FOOTER_PER_SCREEN"),
        (
            ComponentKind::EmbeddedLink,
            2,
            "MAX_EMBEDDED_LINK_PER_SCREEN",
        ),
        (ComponentKind::Image, 3, "MAX_IMAGE_PER_SCREEN"),
        (ComponentKind::OptIn, 5, "MAX_OPT_IN_PER_SCREEN"),
        (
            ComponentKind::PhotoPicker,
            1,
            "COMPONENT_TYPE_MAX_NUMBER_PER_SCREEN",
        ),
        (
            ComponentKind::DocumentPicker,
            1,
            "COMPONENT_TYPE_MAX_NUMBER_PER_SCREEN",
        ),
        (
            ComponentKind::NavigationList,
            2,
            "COMPONENT_TYPE_MAX_NUMBER_PER_SCREEN",
        ),
        (
            ComponentKind::ImageCarousel,
            2,
            "COMPONENT_TYPE_MAX_NUMBER_PER_SCREEN",
        ),
    ];
    if cx.version >= Version::V7_0 {
        limits.push((
            ComponentKind::Form,
            1,
            "COMPONENT_TYPE_MAX_NUMBER_PER_SCREEN",
        ));
    }
    for (kind, max, code) in limits {
        let n = path_max(&screen.layout.children, kind);
        if n > max {
            let at = visits
                .iter()
                .filter(|v| v.component.kind() == Some(kind))
                .nth(max)
                .map_or(layout_at.clone(), |v| v.pointer.clone());
            cx.push_diag(
                Diagnostic::new(
                    Rule::TooManyOfKind,
                    at,
                    format!(
                        "a screen has at most {max} {}, screen {id} has {n}",
                        kind.as_str()
                    ),
                )
                .with_code(code),
            );
        }
    }
    let first = |kind: ComponentKind| visits.iter().find(|v| v.component.kind() == Some(kind));
    if let (Some(_), Some(doc)) = (
        first(ComponentKind::PhotoPicker),
        first(ComponentKind::DocumentPicker),
    ) {
        cx.push(Rule::PickerCombination, &doc.pointer, "a screen can have a PhotoPicker or a DocumentPicker, not both: move one to another screen");
    }
    if let Some(nav) = first(ComponentKind::NavigationList) {
        if screen.is_terminal() {
            cx.push(
                Rule::NavigationListPlacement,
                &nav.pointer,
                "a NavigationList cannot be on a terminal screen",
            );
        }
        if let Some(other) = visits
            .iter()
            .find(|v| v.component.kind() != Some(ComponentKind::NavigationList))
        {
            cx.push(Rule::NavigationListPlacement, &other.pointer, "a NavigationList must be alone on its screen: move the other components to another screen");
        }
    }
    if first(ComponentKind::RichText).is_some() {
        let footer_ok = cx.version >= Version::V6_3;
        if let Some(other) = visits.iter().find(|v| {
            let k = v.component.kind();
            k != Some(ComponentKind::RichText) && !(footer_ok && k == Some(ComponentKind::Footer))
        }) {
            let allowed = if footer_ok {
                "may share its screen only with a Footer"
            } else {
                "must be alone on its screen before Flow JSON 6.3"
            };
            cx.push(
                Rule::RichTextPlacement,
                &other.pointer,
                format!("RichText {allowed}"),
            );
        }
    }

    forms(cx, &visits, &id);
    names(cx, &visits, &id);
    conditionals(cx, &visits);
}

/// The most components of `kind` rendered at once: siblings add up, If/Switch branches take the
/// largest branch.
fn path_max(list: &[Component], kind: ComponentKind) -> usize {
    list.iter().map(|c| one_max(c, kind)).sum()
}

fn one_max(c: &Component, kind: ComponentKind) -> usize {
    let own = usize::from(c.kind() == Some(kind));
    let inner = match c {
        Component::If(_) | Component::Switch(_) => c
            .child_lists()
            .iter()
            .map(|(_, l)| path_max(l, kind))
            .max()
            .unwrap_or(0),
        Component::Form(f) => path_max(&f.children, kind),
        Component::Invalid(bad) => bad.salvaged.iter().map(|(_, c)| one_max(c, kind)).sum(),
        _ => 0,
    };
    own + inner
}

fn forms(cx: &mut Cx<'_>, visits: &[Visit<'_>], id: &str) {
    let has_form = visits
        .iter()
        .any(|v| v.component.kind() == Some(ComponentKind::Form));
    for v in visits {
        let Some(kind) = v.component.kind() else {
            continue;
        };
        if v.form.is_some() {
            continue;
        }
        let input = kind.is_input()
            && !matches!(
                kind,
                ComponentKind::PhotoPicker | ComponentKind::DocumentPicker
            );
        if input && cx.version < Version::V4_0 {
            cx.push_diag(
                Diagnostic::new(
                    Rule::InputOutsideForm,
                    &v.pointer,
                    format!("before Flow JSON 4.0 a {} must be inside a Form: wrap the inputs of screen {id} in one", kind.as_str()),
                )
                .with_code("KEYWORD_ONE_OF"),
            );
        } else if kind.is_input() && has_form {
            cx.push(
                Rule::InputOutsideForm,
                &v.pointer,
                format!(
                    "screen {id} has a Form, so this {} must be inside it too",
                    kind.as_str()
                ),
            );
        }
        if kind == ComponentKind::Footer && cx.version < Version::V4_0 && has_form {
            let reads_form =
                serde_json::to_string(v.component).is_ok_and(|s| s.contains("${form."));
            if reads_form {
                cx.push(Rule::FooterOutsideForm, &v.pointer, "before Flow JSON 4.0 a Footer outside the Form cannot read `${form…}`: move it into the Form");
            }
        }
    }
    // init-values and error-messages.
    for v in visits {
        let Component::Form(form) = v.component else {
            continue;
        };
        let fields: HashMap<&str, ComponentKind> = visits
            .iter()
            .filter(|w| w.form.as_deref() == Some(v.pointer.as_str()))
            .filter_map(|w| {
                Some((
                    w.component.name()?,
                    w.component.kind().filter(|k| k.is_input())?,
                ))
            })
            .collect();
        for (key, map) in [
            ("init-values", &form.init_values),
            ("error-messages", &form.error_messages),
        ] {
            let Some(Dyn::Literal(map)) = map else {
                continue;
            };
            let at = pointer::join(&v.pointer, key);
            for (name, value) in map {
                let entry_at = pointer::join(&at, name);
                let Some(kind) = fields.get(name.as_str()) else {
                    cx.push(
                        Rule::FormInitValues,
                        entry_at,
                        format!("`{key}` names \"{name}\", which is not an input of this Form"),
                    );
                    continue;
                };
                if key == "init-values" && kind.is_media_picker() {
                    cx.push(
                        Rule::PickerInitValue,
                        entry_at,
                        format!(
                            "a {} cannot be initialised through `init-values`: remove \"{name}\"",
                            kind.as_str()
                        ),
                    );
                    continue;
                }
                if cx.version >= Version::V7_0 && !is_dynamic_value(value) {
                    let expected = if key == "error-messages" {
                        "string"
                    } else {
                        match kind {
                            ComponentKind::CheckboxGroup | ComponentKind::ChipsSelector => "array",
                            ComponentKind::OptIn => "boolean",
                            ComponentKind::CalendarPicker => "string or object",
                            _ => "string",
                        }
                    };
                    let fits = match expected {
                        "array" => value.is_array(),
                        "boolean" => value.is_boolean(),
                        "string or object" => value.is_string() || value.is_object(),
                        // Numbers are stringified by the client [WA WELJStateReducer].
                        _ => value.is_string() || (key == "init-values" && value.is_number()),
                    };
                    if !fits {
                        cx.push(
                            Rule::FormInitValues,
                            entry_at,
                            format!("`{key}` of {} \"{name}\" must be a {expected} (checked from Flow JSON 7.0)", kind.as_str()),
                        );
                    }
                }
            }
        }
    }
}

fn is_dynamic_value(v: &Value) -> bool {
    v.as_str().is_some_and(crate::model::is_dynamic)
}

fn names(cx: &mut Cx<'_>, visits: &[Visit<'_>], id: &str) {
    let mut seen: BTreeMap<(Option<&str>, &str), &str> = BTreeMap::new();
    for v in visits {
        let Some(kind) = v.component.kind() else {
            continue;
        };
        if !kind.is_input() {
            continue;
        }
        let Some(name) = v.component.name() else {
            continue;
        };
        if let Some(first) = seen.get(&(v.form.as_deref(), name)) {
            if v.form.is_some() {
                cx.push(Rule::DuplicateFormName, pointer::join(&v.pointer, "name"), format!("duplicate name \"{name}\" in the Form (also {first}): names must be unique, across If/Switch branches too"));
            } else {
                cx.push(Rule::DuplicateName, pointer::join(&v.pointer, "name"), format!("two components of screen {id} are named \"{name}\" (also {first}): `${{form.{name}}}` reads only one"));
            }
        } else {
            seen.insert((v.form.as_deref(), name), v.pointer.as_str());
        }
    }
}

fn conditionals(cx: &mut Cx<'_>, visits: &[Visit<'_>]) {
    let switches: std::collections::HashSet<&str> = visits
        .iter()
        .filter(|w| w.component.kind() == Some(ComponentKind::Switch))
        .map(|w| w.pointer.as_str())
        .collect();
    for v in visits {
        // What a branch accepts [DOC S2] rules 68, 70.
        if let Some(branch) = v.branches.last() {
            let in_switch = switches.contains(branch.container.as_str());
            if let Some(kind) = v.component.kind()
                && v.parent
                    .is_some_and(|p| matches!(p, ComponentKind::If | ComponentKind::Switch))
            {
                use ComponentKind as K;
                let allowed = match kind {
                    K::TextHeading
                    | K::TextSubheading
                    | K::TextBody
                    | K::TextCaption
                    | K::CheckboxGroup
                    | K::DatePicker
                    | K::Dropdown
                    | K::EmbeddedLink
                    | K::Footer
                    | K::Image
                    | K::OptIn
                    | K::RadioButtonsGroup
                    | K::TextArea
                    | K::TextInput => true,
                    K::If | K::Switch => !in_switch,
                    K::ChipsSelector => cx.version >= Version::V7_1,
                    _ => false,
                };
                if !allowed {
                    let container = if in_switch {
                        "a Switch case"
                    } else {
                        "an If branch"
                    };
                    cx.push(
                        Rule::BranchComponent,
                        &v.pointer,
                        format!("{} is not allowed in {container}", kind.as_str()),
                    );
                }
            }
        }
        match v.component {
            Component::If(c) => {
                if c.then.is_empty() {
                    cx.push(
                        Rule::IfEmptyThen,
                        pointer::join(&v.pointer, "then"),
                        "`then` is empty: it needs at least one component",
                    );
                }
                if v.if_depth >= 3 {
                    cx.push(
                        Rule::IfNesting,
                        &v.pointer,
                        "Ifs may be nested at most 3 deep",
                    );
                }
                let then_footer = path_max(&c.then, ComponentKind::Footer) > 0;
                let else_footer = c
                    .else_
                    .as_deref()
                    .is_some_and(|e| path_max(e, ComponentKind::Footer) > 0);
                if (then_footer || else_footer) && v.if_depth > 0 {
                    cx.push(
                        Rule::IfFooter,
                        &v.pointer,
                        "a Footer is allowed only in an If at the first level, not in a nested If",
                    );
                } else if then_footer != else_footer {
                    let missing = if then_footer { "else" } else { "then" };
                    cx.push(Rule::IfFooter, &v.pointer, format!("a Footer in one branch of an If must be in both: add one to `{missing}`"));
                }
            }
            Component::Switch(s) => {
                if s.cases.is_empty() {
                    cx.push(
                        Rule::SwitchEmptyCases,
                        pointer::join(&v.pointer, "cases"),
                        "`cases` is empty: add at least one case",
                    );
                }
                let with: Vec<bool> = s
                    .cases
                    .values()
                    .map(|l| path_max(l, ComponentKind::Footer) > 0)
                    .collect();
                if with.iter().any(|b| *b) && !with.iter().all(|b| *b) {
                    cx.push(
                        Rule::SwitchFooter,
                        &v.pointer,
                        "a Footer in one Switch case must be in every case",
                    );
                }
            }
            _ => {}
        }
    }
}
