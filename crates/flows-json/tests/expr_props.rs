//! Properties: no input makes the parsers or evaluators panic or overflow the stack, and printing a tree
//! then parsing it gives the same tree.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use flows_json::expr::{
    BinaryOp, Condition, Expr, ExprErrorKind, MAX_DEPTH, Node, Ref, Scope, Type, TypeTable,
    UnaryOp, ValueTable, eval_str, literal_interpolation, parse_dynamic,
};
use proptest::prelude::*;
use serde_json::json;

fn values() -> ValueTable {
    ValueTable::new("S")
        .with(
            Scope::Data,
            "S",
            json!({"a": 1, "b": "x", "c": [1, {"d": null}], "t": true}),
        )
        .with(Scope::Form, "S", json!({"a": "2", "b": ""}))
}

fn env() -> TypeTable {
    TypeTable::new("S")
        .with(Scope::Data, "S", "a", Type::Number)
        .with(Scope::Data, "S", "b", Type::String)
        .with(Scope::Data, "S", "t", Type::Boolean)
        .with(Scope::Form, "S", "a", Type::Number)
}

/// Strings built from the pieces the languages are made of, so that generated input gets deep into the
/// parsers rather than failing on the first character.
fn expression_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("${data.a}".to_owned()),
        Just("${form.b}".to_owned()),
        Just("${screen.S.data.c}".to_owned()),
        Just("${data".to_owned()),
        Just("${".to_owned()),
        Just("}".to_owned()),
        Just("`".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just(" ".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(".".to_owned()),
        Just(",".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
        Just("-".to_owned()),
        Just("0".to_owned()),
        Just("1e3".to_owned()),
        Just("12".to_owned()),
        "[-+*/%!=<>&|?:~^]{1,3}".prop_map(|s| s),
        "[a-z_$]{1,4}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

fn exercise(s: &str) {
    let v = values();
    let env = env();
    let _ = Ref::parse(s);
    let _ = parse_dynamic(s);
    let _ = literal_interpolation(s);
    let _ = eval_str(s, &v);
    let _ = Condition::eval_source(s, &v);
    if let Ok(c) = Condition::parse(s) {
        let _ = c.check(&env);
        let _ = c.eval(&v);
    }
    for src in [s.to_owned(), format!("`{s}`")] {
        if let Ok(e) = Expr::parse(&src) {
            let _ = e.infer(&env);
            let _ = e.eval(&v);
            // Printing a parsed expression and parsing it again gives the same tree.
            let printed = e.to_string();
            let again = Expr::parse(&printed)
                .unwrap_or_else(|err| panic!("{src:?} printed as {printed:?}: {err}"));
            assert_eq!(again, e, "{src:?} printed as {printed:?}");
        }
    }
}

#[test]
fn an_overflowing_number_literal_prints_as_one_that_parses_again() {
    exercise("1e312,");
    exercise("-1e400 + 1");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn no_panic_on_expression_like_input(s in expression_soup()) {
        exercise(&s);
    }

    #[test]
    fn no_panic_on_arbitrary_strings(s in any::<String>()) {
        exercise(&s);
    }
}

// ---- generated trees ----------------------------------------------------------------------------

fn identifier() -> impl Strategy<Value = String> {
    "[a-zA-Z_$][a-zA-Z0-9_$]{0,6}".prop_filter("not a keyword", |s| {
        !matches!(s.as_str(), "true" | "false" | "null" | "this")
    })
}

fn reference() -> impl Strategy<Value = Ref> {
    (
        prop::option::of(identifier()),
        prop_oneof![Just(Scope::Data), Just(Scope::Form)],
        prop::collection::vec(identifier(), 0..4),
    )
        .prop_map(|(screen, scope, path)| Ref {
            screen,
            scope,
            path,
        })
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        3 => (0u32..1000).prop_map(f64::from),
        1 => (0u32..100_000).prop_map(|n| f64::from(n) / 100.0),
        1 => any::<f64>().prop_filter("finite, non-negative", |x| x.is_finite() && !x.is_sign_negative()),
    ]
}

fn leaf() -> impl Strategy<Value = Node> {
    prop_oneof![
        number().prop_map(Node::Number),
        "[^}]{0,8}".prop_map(Node::String),
        any::<bool>().prop_map(Node::Bool),
        Just(Node::Null),
        reference().prop_map(Node::Ref),
    ]
}

fn unary() -> impl Strategy<Value = UnaryOp> {
    prop_oneof![Just(UnaryOp::Not), Just(UnaryOp::Neg), Just(UnaryOp::Plus)]
}

fn binary() -> impl Strategy<Value = BinaryOp> {
    prop_oneof![
        Just(BinaryOp::Add),
        Just(BinaryOp::Sub),
        Just(BinaryOp::Mul),
        Just(BinaryOp::Div),
        Just(BinaryOp::Rem),
        Just(BinaryOp::Eq),
        Just(BinaryOp::Ne),
        Just(BinaryOp::Lt),
        Just(BinaryOp::Le),
        Just(BinaryOp::Gt),
        Just(BinaryOp::Ge),
        Just(BinaryOp::And),
        Just(BinaryOp::Or),
    ]
}

/// Trees the parser can produce (everything except a top-level concatenation).
fn tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(6, 48, 3, |inner| {
        prop_oneof![
            (unary(), inner.clone()).prop_map(|(op, a)| Node::Unary {
                op,
                operand: Box::new(a)
            }),
            (binary(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| Node::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r)
            }),
            (reference(), inner.clone(), prop::option::of(identifier())).prop_map(
                |(r, index, member)| {
                    let indexed = Node::Index {
                        object: Box::new(Node::Ref(r)),
                        index: Box::new(index),
                    };
                    match member {
                        Some(property) => Node::Member {
                            object: Box::new(indexed),
                            property,
                        },
                        None => indexed,
                    }
                }
            ),
        ]
    })
}

fn expression() -> impl Strategy<Value = Node> {
    prop_oneof![
        3 => tree(),
        1 => prop::collection::vec(tree(), 2..5).prop_map(Node::Concat),
        1 => Just(Node::Concat(Vec::new())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn printed_trees_parse_back_to_themselves(node in expression()) {
        let expr = Expr::from_node(node).unwrap();
        let printed = expr.to_string();
        let parsed = Expr::parse(&printed).unwrap_or_else(|e| panic!("{printed:?}: {e}"));
        prop_assert_eq!(parsed.node(), expr.node(), "printed as {:?}", printed);
        // Evaluating and typing generated trees never panics either.
        let _ = parsed.eval(&values());
        let _ = parsed.infer(&env());
    }
}

// ---- depth ----------------------------------------------------------------------------------------

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = 100_000;
    for src in [
        format!("`{}1{}`", "(".repeat(deep), ")".repeat(deep)),
        format!("`{}1`", "-".repeat(deep)),
        format!("`{}1`", "!".repeat(deep)),
        format!("`1{}`", " + 1".repeat(deep)),
        format!("`${{data.c}}{}`", "[0]".repeat(deep)),
        format!("`{}0{}`", "${data.c}[".repeat(deep), "]".repeat(deep)),
    ] {
        let e = Expr::parse(&src).expect_err("too deep");
        assert_eq!(e.kind(), ExprErrorKind::TooDeep, "{}", &src[..20]);
    }
    // Conditions are parsed and evaluated without recursion at all.
    let cond = format!("{}${{data.t}}{}", "(".repeat(deep), ")".repeat(deep));
    assert!(Condition::parse(&cond).is_ok());
    assert!(Condition::eval_source(&cond, &values()));
    let cond = format!("{}${{data.t}}", "!".repeat(deep));
    let _ = Condition::parse(&cond);
    let _ = Condition::eval_source(&cond, &values());
}

#[test]
fn nesting_up_to_the_limit_is_fine() {
    let src = format!(
        "`{}1{}`",
        "(".repeat(MAX_DEPTH / 2),
        ")".repeat(MAX_DEPTH / 2)
    );
    assert_eq!(Expr::parse(&src).unwrap().eval(&values()), json!(1));
    let src = format!("`1{}`", " + 1".repeat(MAX_DEPTH - 2));
    assert_eq!(
        Expr::parse(&src).unwrap().eval(&values()),
        json!(MAX_DEPTH - 1)
    );
}

#[test]
fn hand_built_trees_are_checked() {
    let bad = [
        Node::Number(-1.0),
        Node::Number(f64::NAN),
        Node::String("a}b".into()),
        Node::Concat(vec![Node::Bool(true)]),
        Node::Unary {
            op: UnaryOp::Not,
            operand: Box::new(Node::Concat(vec![])),
        },
        Node::Ref(Ref::new(None, Scope::Data, ["first-name"])),
        Node::Index {
            object: Box::new(Node::Number(1.0)),
            index: Box::new(Node::Number(0.0)),
        },
        Node::Member {
            object: Box::new(Node::Ref(Ref::new(None, Scope::Data, ["a"]))),
            property: "b".into(),
        },
    ];
    for node in bad {
        assert!(Expr::from_node(node.clone()).is_err(), "{node:?}");
    }
    let mut deep = Node::Number(1.0);
    for _ in 0..(MAX_DEPTH * 3) {
        deep = Node::Unary {
            op: UnaryOp::Neg,
            operand: Box::new(deep),
        };
    }
    assert_eq!(
        Expr::from_node(deep).unwrap_err().kind(),
        ExprErrorKind::TooDeep
    );
}
