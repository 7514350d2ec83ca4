//! Validation: every check of [`Rule`] over a [`Flow`].

mod actions;
mod components;
mod data;
mod layout;
mod refs;
mod routing;
mod structure;

use std::collections::{BTreeMap, HashMap};

use crate::diagnostic::{Diagnostic, Rule};
use crate::dynamic::{Ref, Scope, Type, TypeEnv};
use crate::model::{Component, ComponentKind, Dyn, Flow, Items, Schema, Screen, Visit};
use crate::{Version, pointer};

/// Checks a flow the way Meta's validator and the WhatsApp client do. The diagnostics carry JSON
/// pointers; [`crate::Document`] adds line and column.
///
/// ```
/// let flow = flows_json::Flow::from_json(r#"{"version": "7.3", "screens": [
///   {"id": "START", "title": "Hi", "layout": {"type": "SingleColumnLayout", "children": []}}]}"#)?;
/// let rules: Vec<_> = flows_json::validate(&flow).iter().map(|d| d.rule.id()).collect();
/// assert_eq!(rules, ["missing-terminal-screen"]);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[must_use]
pub fn validate(flow: &Flow) -> Vec<Diagnostic> {
    let mut cx = Cx::new(flow);
    structure::check(&mut cx);
    for i in 0..flow.screens.len() {
        data::check(&mut cx, i);
        components::check(&mut cx, i);
        layout::check(&mut cx, i);
        actions::check(&mut cx, i);
        refs::check(&mut cx, i);
    }
    routing::check(&mut cx);
    cx.out
}

/// What validation knows about one screen.
pub(crate) struct ScreenInfo<'a> {
    pub(crate) screen: &'a Screen,
    pub(crate) pointer: String,
    pub(crate) visits: Vec<Visit<'a>>,
    /// Declared data field -> type.
    pub(crate) data: BTreeMap<String, Type>,
    /// Input name -> (value type, kind, pointer); the first input of each name.
    pub(crate) form: BTreeMap<String, (Type, ComponentKind, String)>,
}

/// The validation context.
pub(crate) struct Cx<'a> {
    pub(crate) flow: &'a Flow,
    /// The version the checks assume: the declared one, or the newest known when it is missing,
    /// malformed or newer.
    pub(crate) version: Version,
    pub(crate) screens: Vec<ScreenInfo<'a>>,
    pub(crate) by_id: HashMap<&'a str, usize>,
    pub(crate) out: Vec<Diagnostic>,
}

impl<'a> Cx<'a> {
    fn new(flow: &'a Flow) -> Self {
        let version = flow
            .version()
            .filter(|v| *v <= Version::LATEST)
            .unwrap_or(Version::LATEST);
        let mut screens = Vec::with_capacity(flow.screens.len());
        let mut by_id = HashMap::new();
        for (i, screen) in flow.screens.iter().enumerate() {
            let pointer = pointer::index("/screens", i);
            let visits = screen.components(&pointer);
            let data = screen
                .data
                .as_ref()
                .map(|d| {
                    d.fields
                        .iter()
                        .map(|(k, s)| (k.clone(), schema_type(s)))
                        .collect()
                })
                .unwrap_or_default();
            let mut form = BTreeMap::new();
            for v in &visits {
                if let (Some(kind), Some(name)) = (v.component.kind(), v.component.name())
                    && let Some(ty) = form_type(v.component, kind)
                {
                    form.entry(name.to_owned())
                        .or_insert_with(|| (ty, kind, v.pointer.clone()));
                }
            }
            by_id.entry(screen.id.as_str()).or_insert(i);
            screens.push(ScreenInfo {
                screen,
                pointer,
                visits,
                data,
                form,
            });
        }
        Self {
            flow,
            version,
            screens,
            by_id,
            out: Vec::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        rule: Rule,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.out.push(Diagnostic::new(rule, pointer, message));
    }

    pub(crate) fn push_diag(&mut self, diagnostic: Diagnostic) {
        self.out.push(diagnostic);
    }

    /// Reports a version gate when the flow is older than `since`.
    pub(crate) fn gate(&mut self, since: Version, pointer: impl Into<String>, what: &str) {
        if self.version < since {
            self.push(
                Rule::VersionGate,
                pointer,
                format!(
                    "{what} needs Flow JSON {since} or later, but this flow is version {}: raise `version` or remove it",
                    self.version
                ),
            );
        }
    }

    pub(crate) fn has_endpoint(&self) -> bool {
        self.flow.has_endpoint()
    }

    pub(crate) fn screen_info(&self, id: &str) -> Option<&ScreenInfo<'a>> {
        self.by_id.get(id).and_then(|&i| self.screens.get(i))
    }

    /// The declared types, as seen from screen `current`.
    pub(crate) fn env(&self, current: usize) -> Env<'_, 'a> {
        Env { cx: self, current }
    }
}

/// [`TypeEnv`] over the flow's declarations.
pub(crate) struct Env<'c, 'a> {
    cx: &'c Cx<'a>,
    current: usize,
}

impl TypeEnv for Env<'_, '_> {
    fn type_of(&self, r: &Ref) -> Option<Type> {
        let info = match &r.screen {
            Some(id) => self.cx.screen_info(id)?,
            None => self.cx.screens.get(self.current)?,
        };
        let (first, rest) = r.path.split_first()?;
        let ty = match r.scope {
            Scope::Data => info.data.get(first)?.clone(),
            Scope::Form => info.form.get(first)?.0.clone(),
        };
        ty.at_path(rest)
    }
}

/// The type a declaration describes.
pub(crate) fn schema_type(schema: &Schema) -> Type {
    match schema.kind.as_deref() {
        Some("string") => Type::String,
        Some("number" | "integer") => Type::Number,
        Some("boolean") => Type::Boolean,
        Some("array") => Type::Array(Box::new(match &schema.items {
            Some(Items::Schema(s)) => schema_type(s),
            _ => Type::Unknown,
        })),
        Some("object") => Type::Object(
            schema
                .properties
                .as_ref()
                .map(|p| p.iter().map(|(k, s)| (k.clone(), schema_type(s))).collect())
                .unwrap_or_default(),
        ),
        _ => Type::Unknown,
    }
}

/// The type of `${form.<name>}` for an input: Meta's getComponentValueSchema
/// ([`Type::of_component`]), except that a number TextInput is left open (at run time it holds
/// the typed text, flow-client.md §5.3).
pub(crate) fn form_type(component: &Component, kind: ComponentKind) -> Option<Type> {
    fn literal(d: &Option<Dyn<String>>) -> Option<&str> {
        d.as_ref().and_then(Dyn::literal).map(String::as_str)
    }
    let (input_type, mode) = match component {
        Component::TextInput(c) => (literal(&c.input_type), None),
        Component::CalendarPicker(c) => (None, literal(&c.mode)),
        Component::Invalid(_) => return Some(Type::Unknown),
        _ => (None, None),
    };
    if kind == ComponentKind::TextInput && matches!(input_type, Some("number" | "passcode")) {
        return Some(Type::Unknown);
    }
    Type::of_component(kind.as_str(), input_type, mode)
}

/// Whether a value of type `actual` fits where `expected` is needed.
pub(crate) fn accepts(expected: &Type, actual: &Type) -> bool {
    match (expected, actual) {
        (Type::Unknown, _) | (_, Type::Unknown) => true,
        (Type::Array(a), Type::Array(b)) => accepts(a, b),
        (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// The JSON type name of a value.
pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}
