//! Dynamic values: `${data.x}`, `${form.x}`, `${screen.SCREEN.data.x}` bindings, nested (backtick)
//! expressions and `If` conditions: parsing, type inference and evaluation.
//!
//! Three languages live in a Flow JSON string property, and the client treats each differently:
//!
//! - **Bindings** (flow-client.md §5.1): the whole value is `${data.field}`, `${form.field}` or, from 4.0,
//!   `${screen.SCREEN_ID.data.field}`; deeper paths read properties (`${data.order.total}`). The value is
//!   looked up and used as is (a number stays a number). Text around a binding is *not* interpolated:
//!   `"Hi ${data.name}"` is shown as typed. Parse with [`parse_dynamic`] or [`Ref::parse`].
//! - **Nested expressions** (Flow JSON >= 6.0, §5.2): the whole value in backticks,
//!   `` `'Hello ' ${form.name}` ``, `` `${data.total} / ${form.people}` ``, `` `(${form.age} > 17) && ${form.ok}` ``.
//!   See [`Expr`].
//! - **`If` conditions** (>= 4.0, §5.4): their own mini-language with its own tokenizer and a stack-based
//!   evaluator that gives `&&` a surprising precedence. See [`Condition`].
//!
//! # Where each behaviour comes from
//!
//! The documentation ([D-FJ] flowjson reference, [D-C] components, cited as in flow-client.md §0) is the
//! contract; where it is silent or wrong about what the phone does, the client code decides. The client
//! modules named below are Meta's WhatsApp Flows renderer (flow-client.md §0 lists their ids):
//!
//! - Binding syntax: the schema pattern `${(screen.<id>.)?(data|form)(.[\w-]+)+}` and the client's
//!   binding test [WA WAFlowJSONSchemaUtils, WAFlowsDynamicDataUtils.isBindingValue]; lookup with
//!   `WAFlowsGet` (a `null` on the way gives the property's default) [WA StateParser].
//! - Nested expressions: preprocessing [WA WAFlowsASTParser.cleanExpressionForJSEP] (strip backticks,
//!   rewrite `${data` to `screen.<current>.data`, delete every `}`), the grammar of jsep 0.3, and the
//!   evaluator [WA WAFlowsASTParser]. jsep 0.3 rather than a later release because the client handles
//!   `LogicalExpression` nodes (gone in jsep 1.0) and because Meta's own example
//!   `` `'You were born on either ' (2024 - ${form.age}) ...` `` only works when a string literal cannot
//!   be called (jsep 0.4 reads `'...' (...)` as a call).
//! - Runtime semantics, each pinned by a test in `tests/expr_semantics.rs`: `+ - * / %` on numbers with an
//!   empty or missing operand counting as 0, `/` and `%` by 0 or by a missing value give 0, every arithmetic
//!   result rounded to 2 decimals (`Math.round(x * 100) / 100`), `*` works although the docs list only
//!   `+ - / %`, `+` adds and never concatenates; `< <= > >=` are false when a side is empty or neither side is
//!   a number; `==` with an empty side is true only when both are empty, with a number on a side compares
//!   numerically, else strictly; `&& || !` on JavaScript truthiness; concatenation joins the parts as text.
//! - Static typing [WA WAFlowsASTTypeValidator, enforced from 7.2 per the changelog]: arithmetic and
//!   comparisons need numbers, `==`/`!=` the same type on both sides, `&& || !` booleans, concatenation
//!   gives a string, `null` is reserved, every reference must be declared. Types of form values follow
//!   [WA WAFlowJSONParseUtils.getComponentValueSchema] ([`Type::of_component`]).
//! - Conditions: the validator [WA WAFlowJSONConditionalRenderingValidatorV500 and its Operator, Operand,
//!   Literal and Type helpers] with the messages of flow-json-rules.md rule 45, and the evaluator
//!   [WA WAFlowsConditionalRenderingParser]: integers only (`parseInt`), `&&` and `!` reduce as soon as
//!   their right operand arrives, the rest right to left at `)` or at the end, a backtick or any
//!   unexpected character makes the condition false.
//! - `Switch`: the case named by the value, else `default` [WA WAFlowsSwitch.react] ([`switch_case`]).
//!
//! Deliberate differences, all stricter than the client on input no real flow contains: a bare
//! identifier (`SCREEN.data.x` without `${`) and member access on literals are rejected instead of
//! evaluated, arrays and objects compare by content (JavaScript compares references), and `%` is typed
//! like the other arithmetic operators (Meta's checker forgets it).
//!
//! # Example
//!
//! ```
//! use flows_json::expr::{parse_dynamic, Dynamic, Scope, Type, TypeTable, ValueTable};
//! use serde_json::json;
//!
//! let Some(Ok(Dynamic::Nested(expr))) = parse_dynamic("`'Total: ' ${data.price} * ${form.qty}`") else {
//!     panic!("a nested expression")
//! };
//! let env = TypeTable::new("CART")
//!     .with(Scope::Data, "CART", "price", Type::Number)
//!     .with(Scope::Form, "CART", "qty", Type::Number);
//! assert_eq!(expr.infer(&env)?, Type::String);
//!
//! let values = ValueTable::new("CART")
//!     .with(Scope::Data, "CART", json!({"price": 2.5}))
//!     .with(Scope::Form, "CART", json!({"qty": "3"}));
//! assert_eq!(expr.eval(&values), json!("Total: 7.5"));
//! # Ok::<(), flows_json::expr::ExprError>(())
//! ```

mod ast;
mod condition;
mod error;
mod eval;
mod infer;
mod js;
mod parser;
mod reference;
mod types;
mod values;

use serde_json::Value;

pub use ast::{BinaryOp, Expr, MAX_DEPTH, Node, UnaryOp};
pub use condition::Condition;
pub use error::{ExprError, ExprErrorKind, Span};
pub use js::JsValue;
pub use reference::{Ref, Scope};
pub use types::{Type, TypeEnv, TypeTable};
pub use values::{ValueTable, Values};

/// A dynamic property value: a binding or a nested expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Dynamic {
    /// `${data.x}`, `${form.x}`, `${screen.S.data.x}`.
    Binding(Ref),
    /// A backtick expression (Flow JSON >= 6.0).
    Nested(Expr),
}

impl Dynamic {
    /// The references the value reads.
    pub fn refs(&self) -> Box<dyn Iterator<Item = &Ref> + '_> {
        match self {
            Dynamic::Binding(r) => Box::new(std::iter::once(r)),
            Dynamic::Nested(e) => Box::new(e.refs()),
        }
    }

    /// The value's type given the declarations (a binding has the declared type of what it reads).
    pub fn infer(&self, env: &dyn TypeEnv) -> Result<Type, ExprError> {
        match self {
            Dynamic::Binding(r) => env
                .type_of(r)
                .ok_or_else(|| infer::unknown_reference(r, Span::new(0, r.to_string().len()), env)),
            Dynamic::Nested(e) => e.infer(env),
        }
    }

    /// The value as the client computes it ([`Ref::resolve`] or [`Expr::eval_js`]).
    pub fn eval_js(&self, values: &dyn Values) -> JsValue {
        match self {
            Dynamic::Binding(r) => r.resolve(values),
            Dynamic::Nested(e) => e.eval_js(values),
        }
    }

    /// The value as JSON (undefined, `NaN` and infinities become `null`); see [`JsValue::to_json`].
    pub fn eval(&self, values: &dyn Values) -> Value {
        self.eval_js(values).to_json().unwrap_or(Value::Null)
    }
}

/// Whether a string property value is dynamic, and if so its parse.
///
/// - `None`: a plain literal string (shown as written).
/// - `Some(Ok(Dynamic::Nested(..)))`: wrapped in backticks. The client evaluates backticks only from Flow
///   JSON 6.0; below that the caller treats the value as a literal (and may warn).
/// - `Some(Ok(Dynamic::Binding(..)))`: one whole binding.
/// - `Some(Err(..))`: a broken backtick expression, or a value that starts with `${` and ends with `}` but is
///   not one binding ([`ExprErrorKind::MalformedBinding`], e.g. `"${data.a} ${data.b}"`, which the client
///   renders empty).
///
/// `If.condition` is not a property of this kind: parse it with [`Condition::parse`].
///
/// ```
/// use flows_json::expr::{parse_dynamic, Dynamic, ExprErrorKind};
///
/// assert!(parse_dynamic("Hello").is_none());
/// assert!(parse_dynamic("Hi ${data.name}").is_none()); // not interpolated: shown as typed
/// assert!(matches!(parse_dynamic("${data.name}"), Some(Ok(Dynamic::Binding(_)))));
/// assert!(matches!(parse_dynamic("`${form.age} > 17`"), Some(Ok(Dynamic::Nested(_)))));
/// let err = parse_dynamic("${data.first} ${data.last}").unwrap().unwrap_err();
/// assert_eq!(err.kind(), ExprErrorKind::MalformedBinding);
/// ```
pub fn parse_dynamic(s: &str) -> Option<Result<Dynamic, ExprError>> {
    if s.starts_with('`') && s.ends_with('`') {
        return Some(Expr::parse(s).map(Dynamic::Nested));
    }
    if (s.starts_with("${") && s.ends_with('}')) || reference::client_is_binding(s) {
        return Some(Ref::parse(s).map(Dynamic::Binding));
    }
    None
}

/// The value the client computes for any string property value (Flow JSON >= 6.0): a nested expression is
/// evaluated, a binding looked up (anything the client takes for a binding, even a malformed one, which then
/// reads as undefined), everything else is the literal string.
///
/// Errors only for a backtick expression that does not parse (the client throws "Error while parsing
/// dynamic expression").
///
/// ```
/// use flows_json::expr::{eval_str, JsValue, Scope, ValueTable};
/// use serde_json::json;
///
/// let values = ValueTable::new("S").with(Scope::Data, "S", json!({"n": 2, "name": "Ana"}));
/// assert_eq!(eval_str("${data.n}", &values)?, JsValue::Number(2.0));
/// assert_eq!(eval_str("`${data.n} * 1.005`", &values)?, JsValue::Number(2.01));
/// assert_eq!(eval_str("Hi ${data.name}", &values)?, JsValue::String("Hi ${data.name}".into()));
/// assert_eq!(eval_str("${data.name} ${data.n}", &values)?, JsValue::Undefined);
/// # Ok::<(), flows_json::expr::ExprError>(())
/// ```
pub fn eval_str(s: &str, values: &dyn Values) -> Result<JsValue, ExprError> {
    if s.starts_with('`') && s.ends_with('`') {
        return Expr::parse(s).map(|e| e.eval_js(values));
    }
    if reference::client_is_binding(s) {
        let path = reference::client_binding_path(s, values.current_screen());
        return Ok(reference::client_get(values, &path).unwrap_or(JsValue::Undefined));
    }
    Ok(JsValue::String(s.to_owned()))
}

/// For a literal (non-dynamic) string, the place of a `${data`, `${form` or `${screen` inside it: the author
/// probably expected interpolation, which the client does not do (use a nested expression from 6.0).
/// `None` for dynamic values and for literals without such text.
///
/// ```
/// use flows_json::expr::literal_interpolation;
///
/// let w = literal_interpolation("Hi ${data.name}!").unwrap();
/// assert_eq!(w.offset(), 3);
/// assert!(literal_interpolation("${data.name}").is_none());
/// assert!(literal_interpolation("Price: $5").is_none());
/// ```
pub fn literal_interpolation(s: &str) -> Option<ExprError> {
    if parse_dynamic(s).is_some() {
        return None;
    }
    let at = ["${data", "${form", "${screen"]
        .iter()
        .filter_map(|p| s.find(p))
        .min()?;
    let end = s
        .get(at..)
        .and_then(|r| r.find('}'))
        .map_or(s.len(), |e| at + e + 1);
    Some(ExprError::new(
        ExprErrorKind::LiteralInterpolation,
        Span::new(at, end),
        "text around `${...}` is shown as typed, not filled in: from Flow JSON 6.0 write a nested expression \
         such as `` `'Hi ' ${data.name}` ``, or bind the whole value",
    ))
}

/// Picks the `Switch` case for a value as the client does [WA WAFlowsSwitch.react]: the case whose key is
/// the value as text (`String(value)`: `1` selects `"1"`, `true` selects `"true"`), else `"default"` when
/// there is one, else none.
///
/// ```
/// use flows_json::expr::{switch_case, JsValue};
///
/// let cases = ["car", "home", "default"];
/// assert_eq!(switch_case(&JsValue::String("home".into()), cases), Some("home"));
/// assert_eq!(switch_case(&JsValue::String("boat".into()), cases), Some("default"));
/// assert_eq!(switch_case(&JsValue::Undefined, ["car"]), None);
/// ```
pub fn switch_case<'c>(
    value: &JsValue,
    cases: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let key = value.to_js_string();
    let mut default = None;
    for case in cases {
        if case == key {
            return Some(case);
        }
        if case == "default" {
            default = Some(case);
        }
    }
    default
}

impl Expr {
    /// Parses a nested expression: the whole property value, backticks included. Offsets in errors are
    /// byte offsets into `s`.
    ///
    /// ```
    /// use flows_json::expr::{Expr, ExprErrorKind};
    ///
    /// let e = Expr::parse("`'Hello ' ${form.first_name}`")?;
    /// assert_eq!(e.refs().map(|r| r.to_string()).collect::<Vec<_>>(), ["${form.first_name}"]);
    ///
    /// let err = Expr::parse("`${form.age} > 17 ? 'adult' : 'minor'`").unwrap_err();
    /// assert_eq!(err.kind(), ExprErrorKind::UnsupportedSyntax);
    /// assert_eq!(err.offset(), 18);
    /// # Ok::<(), flows_json::expr::ExprError>(())
    /// ```
    pub fn parse(s: &str) -> Result<Expr, ExprError> {
        parser::parse(s)
    }

    /// The expression's type given the declarations, or the first rule of Meta's validator it breaks.
    ///
    /// ```
    /// use flows_json::expr::{Expr, ExprErrorKind, Scope, Type, TypeTable};
    ///
    /// let env = TypeTable::new("S")
    ///     .with(Scope::Form, "S", "name", Type::String)
    ///     .with(Scope::Form, "S", "age", Type::Number);
    /// assert_eq!(Expr::parse("`${form.age} >= 18`")?.infer(&env)?, Type::Boolean);
    ///
    /// let err = Expr::parse("`${form.name} + 1`")?.infer(&env).unwrap_err();
    /// assert_eq!(err.kind(), ExprErrorKind::TypeMismatch);
    /// assert_eq!(err.offset(), 1); // at `${form.name}`
    ///
    /// let err = Expr::parse("`${form.nope} == 1`")?.infer(&env).unwrap_err();
    /// assert_eq!(err.kind(), ExprErrorKind::UnknownReference);
    /// # Ok::<(), flows_json::expr::ExprError>(())
    /// ```
    pub fn infer(&self, env: &dyn TypeEnv) -> Result<Type, ExprError> {
        infer::infer(self, env)
    }

    /// The value the client computes, as a [`JsValue`] (keeps undefined, `NaN`, infinities).
    pub fn eval_js(&self, values: &dyn Values) -> JsValue {
        eval::eval(&self.root, values)
    }

    /// The value the client computes, as JSON (undefined, `NaN` and infinities become `null`).
    ///
    /// ```
    /// use flows_json::expr::{Expr, Scope, ValueTable};
    /// use serde_json::json;
    ///
    /// let values = ValueTable::new("S").with(Scope::Form, "S", json!({"a": "2", "b": "3"}));
    /// assert_eq!(Expr::parse("`${form.a} + ${form.b}`")?.eval(&values), json!(5)); // never "23"
    /// assert_eq!(Expr::parse("`10 / ${form.missing}`")?.eval(&values), json!(0));
    /// assert_eq!(Expr::parse("`2 / 3`")?.eval(&values), json!(0.67));
    /// assert_eq!(Expr::parse("`${form.a} ' items'`")?.eval(&values), json!("2 items"));
    /// # Ok::<(), flows_json::expr::ExprError>(())
    /// ```
    pub fn eval(&self, values: &dyn Values) -> Value {
        self.eval_js(values).to_json().unwrap_or(Value::Null)
    }
}
