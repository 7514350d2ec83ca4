//! Static types of expressions, from the declared screen data and the form components.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::reference::{Ref, Scope};

/// The type of a value as Meta's validator reasons about it [WA WAFlowsASTTypeValidator,
/// WAFlowJSONParseUtils.WAFlowJSONMapScreenProperties].
///
/// JSON Schema `integer` is [`Type::Number`] here: the client computes with doubles either way, and
/// treating them alike avoids rejecting `${data.count} == 5` for a field declared `integer`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    /// A string.
    String,
    /// A number (JSON Schema `number` or `integer`).
    Number,
    /// A boolean.
    Boolean,
    /// An array of the given element type.
    Array(Box<Type>),
    /// An object with these declared properties (member access to any other property is an error).
    Object(BTreeMap<String, Type>),
    /// Not known statically (a schema without a `type`, a union of types): accepted everywhere.
    Unknown,
}

impl Type {
    /// The type a screen `data` declaration (a JSON Schema, as Flow JSON writes it) describes:
    /// `{"type": "string"}` is `String`, `{"type": "array", "items": {"type": "string"}}` is
    /// `Array(String)`, `{"type": "object", "properties": {...}}` is `Object` of the properties' types.
    /// `__example__` and other keywords are ignored.
    ///
    /// ```
    /// use flows_json::expr::Type;
    /// use serde_json::json;
    ///
    /// let t = Type::from_schema(&json!({
    ///     "type": "array",
    ///     "items": {"type": "object", "properties": {"id": {"type": "string"}, "n": {"type": "integer"}}},
    ///     "__example__": []
    /// }));
    /// assert_eq!(t.to_string(), "array<object{id: string, n: number}>");
    /// ```
    pub fn from_schema(schema: &Value) -> Type {
        let Some(kind) = schema.get("type").and_then(Value::as_str) else {
            return Type::Unknown;
        };
        match kind {
            "string" => Type::String,
            "number" | "integer" => Type::Number,
            "boolean" => Type::Boolean,
            "array" => Type::Array(Box::new(
                schema.get("items").map_or(Type::Unknown, Type::from_schema),
            )),
            "object" => Type::Object(
                schema
                    .get("properties")
                    .and_then(Value::as_object)
                    .map(|props| {
                        props
                            .iter()
                            .map(|(k, v)| (k.clone(), Type::from_schema(v)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            _ => Type::Unknown,
        }
    }

    /// The type of the value `${form.<name>}` holds for an input component, as Meta's validator models it
    /// [WA WAFlowJSONParseUtils.getComponentValueSchema]: `CheckboxGroup`/`ChipsSelector` an array of option
    /// ids, `TextInput` a number when its `input-type` is `number` or `passcode` and a string otherwise,
    /// `OptIn` a boolean, `CalendarPicker` in `mode: "range"` an object with `start-date` and `end-date`,
    /// the pickers their media arrays, the other inputs a string. `None` for components that hold no form
    /// value (Meta: "Value of '...' component cannot be used in form binding.").
    ///
    /// At run time a number `TextInput` still holds the typed text; the operators convert it.
    pub fn of_component(
        component_type: &str,
        input_type: Option<&str>,
        mode: Option<&str>,
    ) -> Option<Type> {
        Some(match component_type {
            "CheckboxGroup" | "ChipsSelector" => Type::Array(Box::new(Type::String)),
            "DatePicker" | "Dropdown" | "RadioButtonsGroup" | "TextArea" | "NavigationList" => {
                Type::String
            }
            "CalendarPicker" if mode == Some("range") => Type::Object(BTreeMap::from([
                ("start-date".to_owned(), Type::String),
                ("end-date".to_owned(), Type::String),
            ])),
            "CalendarPicker" => Type::String,
            "TextInput" if matches!(input_type, Some("number" | "passcode")) => Type::Number,
            "TextInput" => Type::String,
            "OptIn" => Type::Boolean,
            "PhotoPicker" | "DocumentPicker" => {
                Type::Array(Box::new(Type::Object(BTreeMap::from([
                    ("media_id".to_owned(), Type::String),
                    ("cdn_url".to_owned(), Type::String),
                    ("file_name".to_owned(), Type::String),
                    ("encryption_metadata".to_owned(), Type::Unknown),
                ]))))
            }
            _ => return None,
        })
    }

    /// The type of the property at `path` below a value of this type: object properties by name, anything
    /// below `Unknown` is `Unknown`, anything else has no properties (`None`).
    pub fn at_path(&self, path: &[String]) -> Option<Type> {
        let mut cur = self;
        for seg in path {
            cur = match cur {
                Type::Object(props) => props.get(seg)?,
                Type::Unknown => return Some(Type::Unknown),
                _ => return None,
            };
        }
        Some(cur.clone())
    }

    /// Whether two types have the same kind (string, number, boolean, array, object), the test Meta applies
    /// to both sides of `==`. `Unknown` has every kind.
    pub fn same_kind(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Unknown, _) | (_, Type::Unknown) => true,
            (a, b) => std::mem::discriminant(a) == std::mem::discriminant(b),
        }
    }

    /// Whether a value of type `value` fits where this type is expected (a property's type): same kind,
    /// arrays element-wise; `Unknown` fits and accepts everything.
    pub fn accepts(&self, value: &Type) -> bool {
        match (self, value) {
            (Type::Array(a), Type::Array(b)) => a.accepts(b),
            (a, b) => a.same_kind(b),
        }
    }

    /// Whether this is `Number` or `Unknown` (what arithmetic and `<` need).
    pub(crate) fn may_be_number(&self) -> bool {
        matches!(self, Type::Number | Type::Unknown)
    }

    /// Whether this is `Boolean` or `Unknown` (what `&&`, `||` and `!` need).
    pub(crate) fn may_be_boolean(&self) -> bool {
        matches!(self, Type::Boolean | Type::Unknown)
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Boolean => f.write_str("boolean"),
            Type::Array(item) => write!(f, "array<{item}>"),
            Type::Object(props) if props.is_empty() => f.write_str("object"),
            Type::Object(props) => {
                f.write_str("object{")?;
                for (i, (k, v)) in props.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Type::Unknown => f.write_str("unknown"),
        }
    }
}

/// What the validator knows about the values references can read: the declared `data` of each screen and
/// the input components of each screen's form.
pub trait TypeEnv {
    /// The type of the value at `r` (its whole path; a current-screen reference means the screen being
    /// validated), or `None` when nothing is declared there. `None` is reported as an unknown reference.
    /// [`Type::at_path`] walks the path below a declared field.
    fn type_of(&self, r: &Ref) -> Option<Type>;
}

/// A ready-made [`TypeEnv`]: declared fields per screen, in memory.
///
/// ```
/// use flows_json::expr::{Ref, Scope, Type, TypeEnv, TypeTable};
///
/// let env = TypeTable::new("WELCOME")
///     .with(Scope::Data, "WELCOME", "name", Type::String)
///     .with(Scope::Form, "WELCOME", "age", Type::Number);
/// assert_eq!(env.type_of(&Ref::parse("${form.age}")?), Some(Type::Number));
/// assert_eq!(env.type_of(&Ref::parse("${screen.WELCOME.data.name}")?), Some(Type::String));
/// assert_eq!(env.type_of(&Ref::parse("${data.nope}")?), None);
/// # Ok::<(), flows_json::expr::ExprError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypeTable {
    current: String,
    fields: BTreeMap<(String, Scope), BTreeMap<String, Type>>,
}

impl TypeTable {
    /// An empty table whose current screen is `current_screen`.
    pub fn new(current_screen: impl Into<String>) -> Self {
        TypeTable {
            current: current_screen.into(),
            fields: BTreeMap::new(),
        }
    }

    /// The table with field `name` of `screen`'s `scope` declared as `ty`.
    #[must_use]
    pub fn with(
        mut self,
        scope: Scope,
        screen: impl Into<String>,
        name: impl Into<String>,
        ty: Type,
    ) -> Self {
        self.declare(scope, screen, name, ty);
        self
    }

    /// Declares field `name` of `screen`'s `scope` as `ty`.
    pub fn declare(
        &mut self,
        scope: Scope,
        screen: impl Into<String>,
        name: impl Into<String>,
        ty: Type,
    ) {
        self.fields
            .entry((screen.into(), scope))
            .or_default()
            .insert(name.into(), ty);
    }

    /// Makes `screen` the current screen (the one `${data...}` and `${form...}` refer to).
    pub fn set_current_screen(&mut self, screen: impl Into<String>) {
        self.current = screen.into();
    }
}

impl TypeEnv for TypeTable {
    fn type_of(&self, r: &Ref) -> Option<Type> {
        let screen = r.screen.clone().unwrap_or_else(|| self.current.clone());
        let fields = self.fields.get(&(screen, r.scope))?;
        match r.path.split_first() {
            None => Some(Type::Object(fields.clone())),
            Some((first, rest)) => fields.get(first)?.at_path(rest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schemas_map_to_types() {
        assert_eq!(
            Type::from_schema(&json!({"type": "string", "__example__": "x"})),
            Type::String
        );
        assert_eq!(Type::from_schema(&json!({"type": "integer"})), Type::Number);
        assert_eq!(
            Type::from_schema(&json!({"type": ["string", "null"]})),
            Type::Unknown
        );
        assert_eq!(
            Type::from_schema(&json!({"type": "array"})),
            Type::Array(Box::new(Type::Unknown))
        );
        assert_eq!(
            Type::from_schema(&json!({"type": "object"})),
            Type::Object(BTreeMap::new())
        );
    }

    #[test]
    fn components_map_to_form_types() {
        assert_eq!(
            Type::of_component("TextInput", Some("number"), None),
            Some(Type::Number)
        );
        assert_eq!(
            Type::of_component("TextInput", Some("email"), None),
            Some(Type::String)
        );
        assert_eq!(Type::of_component("OptIn", None, None), Some(Type::Boolean));
        assert_eq!(
            Type::of_component("CheckboxGroup", None, None),
            Some(Type::Array(Box::new(Type::String)))
        );
        assert_eq!(Type::of_component("Footer", None, None), None);
        assert_eq!(Type::of_component("Form", None, None), None);
    }

    #[test]
    fn paths_walk_object_properties() {
        let t = Type::from_schema(
            &json!({"type": "object", "properties": {"a": {"type": "object",
            "properties": {"b": {"type": "number"}}}}}),
        );
        assert_eq!(t.at_path(&["a".into(), "b".into()]), Some(Type::Number));
        assert_eq!(t.at_path(&["a".into(), "c".into()]), None);
        assert_eq!(Type::String.at_path(&["length".into()]), None);
        assert_eq!(Type::Unknown.at_path(&["x".into()]), Some(Type::Unknown));
    }
}
