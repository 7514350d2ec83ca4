//! Walking a screen's components, If/Switch branches and Form children included.

use super::{Component, ComponentKind, Screen};
use crate::pointer;

/// One branch of an If (`then`/`else`) or Switch (`cases/<key>`) that a component sits in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Branch {
    /// The pointer of the If or Switch.
    pub container: String,
    /// `then`, `else`, or the case key.
    pub branch: String,
}

/// A component found while walking a screen.
#[derive(Clone, Debug)]
pub struct Visit<'a> {
    /// The component.
    pub component: &'a Component,
    /// Its JSON pointer in the document.
    pub pointer: String,
    /// The pointer of the Form it is in, if any.
    pub form: Option<String>,
    /// The If/Switch branches it is in, outermost first.
    pub branches: Vec<Branch>,
    /// How many Ifs enclose it.
    pub if_depth: usize,
    /// The kind of the component whose child it is (`None`: the layout).
    pub parent: Option<ComponentKind>,
}

impl Visit<'_> {
    /// Whether it is rendered only under a condition.
    #[must_use]
    pub fn is_conditional(&self) -> bool {
        !self.branches.is_empty()
    }
}

/// An input on a screen: what `${form.<name>}` refers to.
#[derive(Clone, Debug, PartialEq)]
pub struct FormField<'a> {
    /// The name.
    pub name: &'a str,
    /// The kind of input.
    pub kind: ComponentKind,
    /// Its JSON pointer in the document.
    pub pointer: String,
    /// The component.
    pub component: &'a Component,
}

impl FormField<'_> {
    /// The type of `${form.<name>}` as Meta's validator sees it (a CheckboxGroup holds an array
    /// of option ids, an OptIn a boolean, …; a number TextInput is left [`Type::Unknown`](crate::expr::Type::Unknown)
    /// because at run time it holds the typed text).
    #[must_use]
    pub fn value_type(&self) -> crate::expr::Type {
        crate::validate::form_type(self.component, self.kind).unwrap_or(crate::expr::Type::Unknown)
    }
}

impl Screen {
    /// Every component of the screen, depth first in document order, with its pointer below
    /// `screen_pointer` (the screen's own pointer, e.g. `/screens/0`).
    #[must_use]
    pub fn components(&self, screen_pointer: &str) -> Vec<Visit<'_>> {
        let mut out = Vec::new();
        let base = pointer::join(&pointer::join(screen_pointer, "layout"), "children");
        let ctx = Ctx {
            form: None,
            branches: Vec::new(),
            if_depth: 0,
            parent: None,
        };
        walk_list(&self.layout.children, &base, &ctx, &mut out);
        out
    }

    /// The screen's inputs (by `name`), in document order, If/Switch branches included.
    #[must_use]
    pub fn form_fields(&self, screen_pointer: &str) -> Vec<FormField<'_>> {
        self.components(screen_pointer)
            .into_iter()
            .filter_map(|v| {
                let kind = v.component.kind()?;
                (kind.is_input()).then_some(())?;
                Some(FormField {
                    name: v.component.name()?,
                    kind,
                    pointer: v.pointer,
                    component: v.component,
                })
            })
            .collect()
    }
}

#[derive(Clone)]
struct Ctx {
    form: Option<String>,
    branches: Vec<Branch>,
    if_depth: usize,
    parent: Option<ComponentKind>,
}

fn walk_list<'a>(list: &'a [Component], base: &str, ctx: &Ctx, out: &mut Vec<Visit<'a>>) {
    for (i, component) in list.iter().enumerate() {
        walk_one(component, pointer::index(base, i), ctx, out);
    }
}

fn walk_one<'a>(component: &'a Component, at: String, ctx: &Ctx, out: &mut Vec<Visit<'a>>) {
    out.push(Visit {
        component,
        pointer: at.clone(),
        form: ctx.form.clone(),
        branches: ctx.branches.clone(),
        if_depth: ctx.if_depth,
        parent: ctx.parent,
    });
    let kind = component.kind();
    let mut inner = ctx.clone();
    inner.parent = kind;
    match kind {
        Some(ComponentKind::Form) => inner.form = Some(at.clone()),
        Some(ComponentKind::If) => inner.if_depth += 1,
        _ => {}
    }
    let branch_of = |path: &[&str]| match (kind, path) {
        (Some(ComponentKind::If), [b, ..]) if *b == "then" || *b == "else" => Some((*b).to_owned()),
        (Some(ComponentKind::Switch), ["cases", key, ..]) => Some((*key).to_owned()),
        _ => None,
    };
    if let Component::Invalid(invalid) = component {
        for (path, child) in &invalid.salvaged {
            let mut child_ctx = inner.clone();
            let path_refs: Vec<&str> = path.iter().map(String::as_str).collect();
            if let Some(branch) = branch_of(&path_refs) {
                child_ctx.branches.push(Branch {
                    container: at.clone(),
                    branch,
                });
            }
            let mut p = at.clone();
            for token in path {
                pointer::push_token(&mut p, token);
            }
            walk_one(child, p, &child_ctx, out);
        }
        return;
    }
    for (path, list) in component.child_lists() {
        let mut child_ctx = inner.clone();
        if let Some(branch) = branch_of(&path) {
            child_ctx.branches.push(Branch {
                container: at.clone(),
                branch,
            });
        }
        let mut base = at.clone();
        for token in path {
            pointer::push_token(&mut base, token);
        }
        walk_list(list, &base, &child_ctx, out);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use serde_json::json;

    use super::*;

    #[test]
    fn walks_forms_and_branches() {
        let screen = Screen::from_value(
            json!({"id": "A", "layout": {"type": "SingleColumnLayout", "children": [
                {"type": "Form", "name": "f", "children": [
                    {"type": "If", "condition": "${form.x}", "then": [{"type": "TextInput", "name": "a", "label": "A"}],
                     "else": [{"type": "Switch", "value": "${data.k}", "cases": {"one": [{"type": "OptIn", "name": "b", "label": "B"}]}}]},
                    {"type": "TextInput", "name": "x", "label": "X"}
                ]}
            ]}}),
        );
        let visits = screen.components("/screens/0");
        let pointers: Vec<_> = visits.iter().map(|v| v.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            vec![
                "/screens/0/layout/children/0",
                "/screens/0/layout/children/0/children/0",
                "/screens/0/layout/children/0/children/0/then/0",
                "/screens/0/layout/children/0/children/0/else/0",
                "/screens/0/layout/children/0/children/0/else/0/cases/one/0",
                "/screens/0/layout/children/0/children/1",
            ]
        );
        assert_eq!(visits[4].branches.len(), 2);
        assert_eq!(visits[4].branches[1].branch, "one");
        assert_eq!(visits[2].if_depth, 1);
        assert_eq!(
            visits[5].form.as_deref(),
            Some("/screens/0/layout/children/0")
        );
        let names: Vec<_> = screen
            .form_fields("/screens/0")
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, vec!["a", "b", "x"]);
    }
}
