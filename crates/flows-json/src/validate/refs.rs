//! Dynamic values: every `${…}` reference resolves to a declared data field or an input of the
//! right screen, with a type that fits the property; expressions parse and type-check.

use serde_json::Value;

use super::{Cx, accepts};
use crate::diagnostic::{Diagnostic, Rule};
use crate::dynamic::{self, Analysis, ExprProblem, ProblemKind, Ref, Scope, Type};
use crate::model::{Component, ComponentKind, Dyn};
use crate::{Version, pointer};

pub(super) fn check(cx: &mut Cx<'_>, i: usize) {
    let Some(info) = cx.screens.get(i) else {
        return;
    };
    let screen = info.screen;
    let screen_at = info.pointer.clone();
    let visits: Vec<(String, &Component)> = info
        .visits
        .iter()
        .map(|v| (v.pointer.clone(), v.component))
        .collect();
    if let Some(Dyn::Dynamic(title)) = &screen.title {
        value(
            cx,
            i,
            &pointer::join(&screen_at, "title"),
            title,
            Expect::Type(Type::String),
            Context::Property,
        );
    }
    for (at, component) in visits {
        let kind = component.kind();
        let json = match component {
            Component::Invalid(bad) => bad.value.clone(),
            other => serde_json::to_value(other).unwrap_or(Value::Null),
        };
        let Value::Object(map) = json else { continue };
        for (key, prop) in &map {
            if matches!(
                key.as_str(),
                "type" | "name" | "children" | "then" | "else" | "cases"
            ) {
                continue;
            }
            let prop_at = pointer::join(&at, key);
            if kind == Some(ComponentKind::If) && key == "condition" {
                if let Value::String(s) = prop {
                    condition(cx, i, &prop_at, s);
                }
                continue;
            }
            let expect = expected(kind, key, component);
            let init_or_error = matches!(
                key.as_str(),
                "init-value" | "error-message" | "init-values" | "error-messages"
            );
            let mut found = Vec::new();
            super::actions::strings(prop, prop_at.clone(), &mut found);
            for (p, s) in found {
                let e = if p == prop_at {
                    expect.clone()
                } else {
                    Expect::Any
                };
                let ctx = if init_or_error {
                    Context::InitOrError
                } else if p
                    .get(at.len()..)
                    .is_some_and(|rel| rel.contains("-action/"))
                {
                    Context::Action
                } else {
                    Context::Property
                };
                value(cx, i, &p, &s, e, ctx);
            }
        }
    }
}

/// Where a dynamic string sits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// A component property.
    Property,
    /// Inside an action (payload, url).
    Action,
    /// `init-value(s)` / `error-message(s)`.
    InitOrError,
}

#[derive(Clone)]
enum Expect {
    Any,
    Type(Type),
    /// A data-source: array of objects with these properties.
    Items(&'static [&'static str]),
}

fn expected(kind: Option<ComponentKind>, key: &str, component: &Component) -> Expect {
    use ComponentKind as K;
    let Some(kind) = kind else { return Expect::Any };
    let range_calendar = matches!(component, Component::CalendarPicker(c) if c.mode.as_ref().and_then(Dyn::literal).is_some_and(|m| m == "range"));
    let ty = match key {
        "visible" | "enabled" | "strikethrough" | "markdown" => Type::Boolean,
        "required" if !range_calendar => Type::Boolean,
        "init-value" if kind == K::OptIn => Type::Boolean,
        "init-value" if matches!(kind, K::CheckboxGroup | K::ChipsSelector) => {
            Type::Array(Box::new(Type::String))
        }
        "min-chars"
        | "max-chars"
        | "max-length"
        | "min-selected-items"
        | "max-selected-items"
        | "max-file-size-kb"
        | "min-uploaded-photos"
        | "max-uploaded-photos"
        | "min-uploaded-documents"
        | "max-uploaded-documents"
        | "min-days"
        | "max-days"
        | "width"
        | "height" => Type::Number,
        "aspect-ratio" if kind == K::Image => Type::Number,
        "data-source" => return Expect::Items(&["id", "title"]),
        "list-items" => return Expect::Items(&["id", "main-content"]),
        "images" | "unavailable-dates" | "include-days" | "allowed-mime-types" => {
            Type::Array(Box::new(Type::Unknown))
        }
        "init-values" | "error-messages" => Type::Object(Default::default()),
        "value" if kind == K::Switch => return Expect::Any,
        "text" if kind == K::RichText => return Expect::Any,
        "label" | "helper-text" | "required" | "init-value" | "error-message"
            if kind == K::CalendarPicker =>
        {
            return Expect::Any;
        }
        "init-value" | "error-message" => return Expect::Any,
        _ => Type::String,
    };
    Expect::Type(ty)
}

fn value(cx: &mut Cx<'_>, i: usize, at: &str, s: &str, expect: Expect, ctx: Context) {
    match dynamic::analyze(s) {
        Analysis::Literal => {
            if let Some(offset) = dynamic::literal_interpolation(s) {
                cx.push_diag(
                    Diagnostic::new(
                        Rule::UninterpolatedReference,
                        at,
                        "text around `${…}` is shown as typed, not filled in: bind the whole value, or (from Flow JSON 6.0) write a nested expression such as `'Hi ' ${data.name}` in backticks",
                    )
                    .at_offset(offset),
                );
            }
        }
        Analysis::Malformed(problem) => {
            cx.push_diag(
                Diagnostic::new(
                    Rule::MalformedBinding,
                    at,
                    format!("{} (the client renders this value empty)", problem.message),
                )
                .at_offset(problem.offset),
            );
        }
        Analysis::Broken(problem) => {
            if cx.version < Version::V6_0 {
                // Before 6.0 backticks are plain text.
                return;
            }
            cx.push_diag(
                Diagnostic::new(Rule::ExpressionSyntax, at, problem.message)
                    .at_offset(problem.offset),
            );
        }
        Analysis::Binding(r) => {
            if !reference(cx, i, at, &r, 0) {
                return;
            }
            let env = cx.env(i);
            let actual = dynamic::infer(s, &env).unwrap_or(Type::Unknown);
            fits(cx, at, &r.to_string(), &expect, &actual);
        }
        Analysis::Nested(e) => {
            if cx.version < Version::V6_0 {
                cx.gate(Version::V6_0, at, "a nested expression (backticks)");
                return;
            }
            if ctx == Context::InitOrError {
                cx.push(
                    Rule::ExpressionNotAllowed,
                    at,
                    "nested expressions are not allowed in init values and error messages: use a binding or a literal",
                );
                return;
            }
            for w in dynamic::nested_warnings(&e) {
                cx.push_diag(
                    Diagnostic::new(Rule::SuspiciousExpression, at, w.message).at_offset(w.offset),
                );
            }
            // Nested expressions in actions are checked from 7.2 ([DOC S6] rule 14).
            if ctx == Context::Action && cx.version < Version::V7_2 {
                return;
            }
            let mut ok = true;
            for (r, offset) in dynamic::nested_refs(&e) {
                ok &= reference(cx, i, at, &r, offset);
            }
            if !ok {
                return;
            }
            let env = cx.env(i);
            match e.infer(&env) {
                Ok(actual) => fits(cx, at, s, &expect, &actual),
                Err(err) => report(cx, at, &(&err).into()),
            }
        }
    }
}

fn report(cx: &mut Cx<'_>, at: &str, problem: &ExprProblem) {
    let rule = match problem.kind {
        ProblemKind::Syntax => Rule::ExpressionSyntax,
        ProblemKind::Type => Rule::ExpressionType,
        ProblemKind::Suspicious => Rule::SuspiciousExpression,
    };
    cx.push_diag(Diagnostic::new(rule, at, problem.message.clone()).at_offset(problem.offset));
}

fn condition(cx: &mut Cx<'_>, i: usize, at: &str, s: &str) {
    match dynamic::condition(s) {
        Err(problem) => report(cx, at, &problem),
        Ok((c, refs)) => {
            let mut ok = true;
            for (r, offset) in &refs {
                ok &= reference(cx, i, at, r, *offset);
            }
            if ok {
                let env = cx.env(i);
                if let Err(problem) = dynamic::check_condition(&c, &env) {
                    report(cx, at, &problem);
                }
            }
        }
    }
}

/// Checks that a reference resolves; reports and returns false when it does not.
fn reference(cx: &mut Cx<'_>, i: usize, at: &str, r: &Ref, offset: usize) -> bool {
    let Some(current) = cx.screens.get(i) else {
        return false;
    };
    let current_id = current.screen.id.clone();
    let scope = match r.scope {
        Scope::Data => "data",
        Scope::Form => "form",
    };
    let field = r.field().unwrap_or_default().to_owned();
    let diag = |rule: Rule, message: String| Diagnostic::new(rule, at, message).at_offset(offset);
    let target = match &r.screen {
        Some(id) => {
            if cx.version < Version::V4_0 {
                cx.gate(Version::V4_0, at, "a global reference (`${screen.…}`)");
                return false;
            }
            if *id == current_id {
                cx.push_diag(diag(
                    Rule::CurrentScreenReference,
                    format!(
                        "`{r}` refers to the current screen {id}: write `${{{scope}.{}}}` instead",
                        r.path.join(".")
                    ),
                ));
                return false;
            }
            let Some(&t) = cx.by_id.get(id.as_str()) else {
                cx.push_diag(diag(
                    Rule::UnknownScreenReference,
                    format!("`{r}` refers to screen {id}, which is not in this flow"),
                ));
                return false;
            };
            t
        }
        None => i,
    };
    let Some(info) = cx.screens.get(target) else {
        return false;
    };
    let declared = match r.scope {
        Scope::Data => info.data.get(&field).cloned(),
        Scope::Form => info.form.get(&field).map(|f| f.0.clone()),
    };
    let Some(ty) = declared else {
        let message = match (&r.screen, r.scope) {
            (Some(id), Scope::Data) => {
                format!("`{r}`: screen {id} declares no data field `{field}`")
            }
            (Some(id), Scope::Form) => format!("`{r}`: screen {id} has no input named `{field}`"),
            (None, Scope::Data) => format!(
                "`{r}`: screen {current_id} declares no data field `{field}`: add it to the screen's `data`"
            ),
            (None, Scope::Form) => {
                let is_form = info.visits.iter().any(|v| {
                    v.component.kind() == Some(ComponentKind::Form)
                        && v.component.name() == Some(field.as_str())
                });
                if is_form {
                    format!(
                        "`{r}`: the value of a Form cannot be bound; bind its inputs (`${{form.<input name>}}`)"
                    )
                } else {
                    format!("`{r}`: screen {current_id} has no input named `{field}`")
                }
            }
        };
        let rule = match (&r.screen, r.scope) {
            (Some(_), _) => Rule::UnknownScreenReference,
            (None, Scope::Data) => Rule::UnknownDataReference,
            (None, Scope::Form) => Rule::UnknownFormReference,
        };
        cx.push_diag(diag(rule, message));
        return false;
    };
    let rest = r.path.get(1..).unwrap_or_default();
    if ty.at_path(rest).is_none() {
        let rule = if r.screen.is_some() {
            Rule::UnknownScreenReference
        } else if r.scope == Scope::Data {
            Rule::UnknownDataReference
        } else {
            Rule::UnknownFormReference
        };
        cx.push_diag(diag(
            rule,
            format!(
                "`{r}`: `{field}` is a {} with no property `{}` declared",
                dynamic::kind_name(&ty),
                rest.join(".")
            ),
        ));
        return false;
    }
    true
}

fn fits(cx: &mut Cx<'_>, at: &str, shown: &str, expect: &Expect, actual: &Type) {
    match expect {
        Expect::Any => {}
        Expect::Type(t) => {
            if !accepts(t, actual) {
                cx.push(
                    Rule::ReferenceType,
                    at,
                    format!(
                        "`{shown}` is a {}, but this property needs a {}",
                        dynamic::kind_name(actual),
                        dynamic::kind_name(t)
                    ),
                );
            }
        }
        Expect::Items(keys) => {
            match actual {
                Type::Array(item) => {
                    if let Type::Object(props) = item.as_ref() {
                        let missing: Vec<&str> = keys
                            .iter()
                            .copied()
                            .filter(|k| !props.contains_key(*k))
                            .collect();
                        if !missing.is_empty() {
                            cx.push(
                            Rule::DataSourceSchema,
                            at,
                            format!("`{shown}` is an array of objects without {} in its `items.properties`: declare them", missing.join(" and ")),
                        );
                        }
                    } else if !matches!(item.as_ref(), Type::Unknown) {
                        cx.push(Rule::DataSourceSchema, at, format!("`{shown}` is an array of {}, but this property needs objects with {}", dynamic::kind_name(item), keys.join(" and ")));
                    }
                }
                Type::Unknown => {}
                other => cx.push(
                    Rule::ReferenceType,
                    at,
                    format!(
                        "`{shown}` is a {}, but this property needs an array of objects",
                        dynamic::kind_name(other)
                    ),
                ),
            }
        }
    }
}
