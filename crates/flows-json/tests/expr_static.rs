//! Static typing of nested expressions and bindings: the rules of Meta's WAFlowsASTTypeValidator
//! (flow-client.md §5.2 "Static rules", flow-json-rules.md rule 44).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use flows_json::expr::{
    Dynamic, Expr, ExprErrorKind, Ref, Scope, Type, TypeEnv, TypeTable, parse_dynamic,
};
use serde_json::json;

fn env() -> TypeTable {
    let order = Type::from_schema(&json!({"type": "object", "properties": {
        "total": {"type": "number"}, "items": {"type": "array", "items": {"type": "string"}}}}));
    TypeTable::new("S")
        .with(Scope::Data, "S", "n", Type::Number)
        .with(Scope::Data, "S", "s", Type::String)
        .with(Scope::Data, "S", "t", Type::Boolean)
        .with(
            Scope::Data,
            "S",
            "list",
            Type::Array(Box::new(Type::Number)),
        )
        .with(Scope::Data, "S", "order", order)
        .with(Scope::Data, "S", "anything", Type::Unknown)
        .with(
            Scope::Form,
            "S",
            "age",
            Type::of_component("TextInput", Some("number"), None).unwrap(),
        )
        .with(
            Scope::Form,
            "S",
            "name",
            Type::of_component("TextInput", None, None).unwrap(),
        )
        .with(
            Scope::Form,
            "S",
            "accept",
            Type::of_component("OptIn", None, None).unwrap(),
        )
        .with(
            Scope::Form,
            "S",
            "tags",
            Type::of_component("CheckboxGroup", None, None).unwrap(),
        )
        .with(Scope::Data, "OTHER", "x", Type::String)
}

fn infer(src: &str) -> Result<Type, flows_json::expr::ExprError> {
    Expr::parse(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .infer(&env())
}

#[test]
fn well_typed_expressions_get_their_type() {
    let cases = [
        ("`1`", Type::Number),
        ("`'a'`", Type::String),
        ("`true`", Type::Boolean),
        ("`${data.n} + 1`", Type::Number),
        ("`${form.age} * ${data.n} - 2 / 3 % 4`", Type::Number),
        ("`-${data.n}`", Type::Number),
        ("`${form.age} >= 18`", Type::Boolean),
        ("`${data.s} == 'x'`", Type::Boolean),
        ("`${data.t} != true`", Type::Boolean),
        ("`${data.list} == ${data.list}`", Type::Boolean),
        ("`(${form.age} > 18) && ${form.accept}`", Type::Boolean),
        ("`!${data.t} || ${form.accept}`", Type::Boolean),
        ("`'Hello ' ${form.name}`", Type::String),
        ("`'n: ' ${data.n} ' t: ' ${data.t}`", Type::String),
        ("`${data.order.total} * 2`", Type::Number),
        ("`${screen.OTHER.data.x} == 'y'`", Type::Boolean),
        ("`${data.anything} + 1`", Type::Number),
        ("`${data.anything} && ${data.t}`", Type::Boolean),
        ("`${data.order.items}`", Type::Array(Box::new(Type::String))),
        ("`${form.tags}`", Type::Array(Box::new(Type::String))),
        ("``", Type::String),
    ];
    for (src, want) in cases {
        assert_eq!(
            infer(src).unwrap_or_else(|e| panic!("{src}: {e}")),
            want,
            "{src}"
        );
    }
}

#[test]
fn ill_typed_expressions_are_rejected_at_the_offending_operand() {
    let cases = [
        // Arithmetic needs numbers; `+` never joins strings.
        (
            "`${data.s} + 1`",
            ExprErrorKind::TypeMismatch,
            1,
            "Operation '+' can only be used with numbers",
        ),
        (
            "`1 - ${data.t}`",
            ExprErrorKind::TypeMismatch,
            5,
            "Operation '-' can only be used with numbers",
        ),
        (
            "`${form.name} * 2`",
            ExprErrorKind::TypeMismatch,
            1,
            "Operation '*' can only be used with numbers",
        ),
        (
            "`${data.n} % 'x'`",
            ExprErrorKind::TypeMismatch,
            13,
            "Operation '%' can only be used with numbers",
        ),
        (
            "`-${data.s}`",
            ExprErrorKind::TypeMismatch,
            1,
            "Operation '-' can only be used before numbers",
        ),
        // Comparisons need numbers.
        (
            "`${data.s} > 1`",
            ExprErrorKind::TypeMismatch,
            1,
            "Operation '>' can only be used with numbers",
        ),
        (
            "`${form.age} <= '3'`",
            ExprErrorKind::TypeMismatch,
            16,
            "Operation '<=' can only be used with numbers",
        ),
        // `==`/`!=` need the same type on both sides.
        (
            "`${data.n} == 'a'`",
            ExprErrorKind::TypeMismatch,
            1,
            "Operation '==' can only be used to compare values with same type",
        ),
        (
            "`${form.accept} != 'yes'`",
            ExprErrorKind::TypeMismatch,
            1,
            "Operation '!=' can only be used to compare values with same type",
        ),
        // `&&`, `||`, `!` need booleans.
        (
            "`${data.n} && ${data.t}`",
            ExprErrorKind::TypeMismatch,
            1,
            "Operation '&&' can only be used with booleans",
        ),
        (
            "`${data.t} || ${form.name}`",
            ExprErrorKind::TypeMismatch,
            14,
            "Operation '||' can only be used with booleans",
        ),
        (
            "`!${data.s}`",
            ExprErrorKind::TypeMismatch,
            1,
            "Operation '!' can only be used before booleans",
        ),
        // Errors inside a concatenation part surface too.
        (
            "`'a' ${data.s} - 1`",
            ExprErrorKind::TypeMismatch,
            5,
            "Operation '-' can only be used with numbers",
        ),
        // `null` is reserved.
        (
            "`null`",
            ExprErrorKind::NullLiteral,
            1,
            "The keyword 'null' is reserved, please use another expression instead.",
        ),
        (
            "`${data.s} == null`",
            ExprErrorKind::NullLiteral,
            14,
            "The keyword 'null' is reserved",
        ),
        // References must be declared.
        (
            "`${data.nope}`",
            ExprErrorKind::UnknownReference,
            1,
            "`${data.nope}` is not declared: add `nope` to the `data` of this screen",
        ),
        (
            "`${form.nope} == 1`",
            ExprErrorKind::UnknownReference,
            1,
            "`${form.nope}` reads nothing: this screen has no input component named `nope`",
        ),
        (
            "`${screen.OTHER.data.y}`",
            ExprErrorKind::UnknownReference,
            1,
            "`${screen.OTHER.data.y}` is not declared: add `y` to the `data` of screen 'OTHER'",
        ),
        (
            "`${data.order.nope}`",
            ExprErrorKind::UnknownReference,
            1,
            "`${data.order.nope}` reads a property that is not declared",
        ),
        (
            "`${data.s.length}`",
            ExprErrorKind::UnknownReference,
            1,
            "`${data.s.length}` reads a property that is not declared",
        ),
        // Index access runs on the client but Meta's validator cannot type it.
        (
            "`${data.list}[0]`",
            ExprErrorKind::IndexAccess,
            1,
            "Meta's validator cannot type `[...]` access",
        ),
    ];
    for (src, kind, offset, msg) in cases {
        let e = infer(src).expect_err(src);
        assert_eq!((e.kind(), e.offset()), (kind, offset), "{src}: {e}");
        assert!(e.message().starts_with(msg), "{src}: {e}");
    }
}

#[test]
fn the_plus_hint_says_how_to_concatenate() {
    let e = infer("`'Total: ' + ${data.n}`").unwrap_err();
    assert!(e.message().contains("write the parts side by side"), "{e}");
}

#[test]
fn bindings_have_the_declared_type() {
    let cases = [
        ("${data.n}", Some(Type::Number)),
        ("${form.accept}", Some(Type::Boolean)),
        ("${data.order.total}", Some(Type::Number)),
        ("${screen.OTHER.data.x}", Some(Type::String)),
        ("${data.nope}", None),
    ];
    for (s, want) in cases {
        let Some(Ok(d @ Dynamic::Binding(_))) = parse_dynamic(s) else {
            panic!("{s}")
        };
        assert_eq!(d.infer(&env()).ok(), want, "{s}");
        assert_eq!(d.refs().map(ToString::to_string).collect::<Vec<_>>(), [s]);
    }
    // The whole form is an object of its fields.
    let Some(Ok(d)) = parse_dynamic("${form}") else {
        panic!()
    };
    let Type::Object(fields) = d.infer(&env()).unwrap() else {
        panic!("an object")
    };
    assert_eq!(
        fields.keys().collect::<Vec<_>>(),
        ["accept", "age", "name", "tags"]
    );
    let e = parse_dynamic("${data.nope}")
        .unwrap()
        .unwrap()
        .infer(&env())
        .unwrap_err();
    assert_eq!(e.kind(), ExprErrorKind::UnknownReference);
}

#[test]
fn result_types_fit_property_types() {
    assert!(Type::Boolean.accepts(&infer("`${form.age} > 17`").unwrap()));
    assert!(!Type::Boolean.accepts(&infer("`'x' ${data.n}`").unwrap()));
    assert!(Type::String.accepts(&infer("`'x' ${data.n}`").unwrap()));
    assert!(Type::String.accepts(&Type::Unknown));
    assert!(Type::Array(Box::new(Type::String)).accepts(&infer("`${form.tags}`").unwrap()));
    assert!(!Type::Array(Box::new(Type::Number)).accepts(&infer("`${form.tags}`").unwrap()));
}

#[test]
fn refs_are_reported_in_source_order_with_spans() {
    let e = Expr::parse("`'a' ${form.name} ' ' (${data.n} + ${screen.OTHER.data.x})`").unwrap();
    let refs: Vec<(String, usize, usize)> = e
        .ref_spans()
        .map(|(r, s)| (r.to_string(), s.start, s.end))
        .collect();
    assert_eq!(
        refs,
        [
            ("${form.name}".to_owned(), 5, 17),
            ("${data.n}".to_owned(), 23, 32),
            ("${screen.OTHER.data.x}".to_owned(), 35, 57),
        ]
    );
}

/// A declaration source other than `TypeTable`, as the validator will write one from the model.
struct Fixed(BTreeMap<String, Type>);

impl TypeEnv for Fixed {
    fn type_of(&self, r: &Ref) -> Option<Type> {
        let (first, rest) = r.path.split_first()?;
        self.0.get(first)?.at_path(rest)
    }
}

#[test]
fn any_type_env_works() {
    let env = Fixed(BTreeMap::from([("price".to_owned(), Type::Number)]));
    let e = Expr::parse("`${data.price} * ${form.price}`").unwrap();
    assert_eq!(e.infer(&env).unwrap(), Type::Number);
}
