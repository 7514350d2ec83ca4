//! Differential test against the client itself: `tests/data/expr_client_golden.json` holds generated
//! expressions and conditions with the values Meta's renderer code computes for them, run on jsep 0.3.5
//! under Node (see tests/data/README.md). Every value must match; where this module is stricter than the
//! client (it rejects input no real flow contains), the kind of rejection must be one of the documented ones.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::collections::BTreeMap;

use flows_json::expr::{
    Condition, Expr, ExprErrorKind, JsValue, Scope, Type, TypeTable, ValueTable,
};
use serde_json::Value;

fn golden() -> Value {
    let text = include_str!("data/expr_client_golden.json");
    serde_json::from_str(text).expect("golden file is JSON")
}

fn values(g: &Value) -> ValueTable {
    let mut v = ValueTable::new(g["screen"].as_str().unwrap());
    for (screen, stores) in g["state"].as_object().unwrap() {
        for (scope, name) in [(Scope::Data, "data"), (Scope::Form, "form")] {
            if let Some(store) = stores.get(name) {
                v.set(scope, screen.clone(), store.clone());
            }
        }
    }
    v
}

/// The client's value as encoded by the generator (undefined and non-finite numbers are tagged).
fn decode(v: &Value) -> Option<JsValue> {
    if let Some(obj) = v.as_object() {
        if obj.contains_key("$undefined") {
            return Some(JsValue::Undefined);
        }
        if obj.contains_key("$function") {
            return None;
        }
        if let Some(n) = obj.get("$number").and_then(Value::as_str) {
            // Numbers that are not safe integers are written as JavaScript prints them, so that they read
            // back exactly (serde_json's default float parsing is not exact).
            return Some(JsValue::Number(match n {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                "-0" => -0.0,
                other => other.parse().expect("a number"),
            }));
        }
    }
    Some(JsValue::from_json(v))
}

fn same(a: &JsValue, b: &JsValue) -> bool {
    match (a, b) {
        (JsValue::Number(x), JsValue::Number(y)) => {
            (x.is_nan() && y.is_nan()) || (x == y && x.is_sign_negative() == y.is_sign_negative())
        }
        _ => a == b,
    }
}

/// Rejections of input the client evaluates, all documented in the module docs.
const STRICTER: [ExprErrorKind; 4] = [
    ExprErrorKind::BareIdentifier,
    ExprErrorKind::UnsupportedSyntax,
    ExprErrorKind::IncompleteReference,
    ExprErrorKind::UnsupportedOperator,
];

#[test]
fn nested_expressions_match_the_client() {
    let g = golden();
    let v = values(&g);
    let cases = g["expressions"].as_array().unwrap();
    let (mut compared, mut both_reject) = (0, 0);
    let mut stricter = BTreeMap::<String, usize>::new();
    let mut failures = Vec::new();
    for case in cases {
        let src = case["src"].as_str().unwrap();
        let ours = Expr::parse(src);
        match (case.get("ok"), ours) {
            (Some(want), Ok(e)) => {
                let Some(want) = decode(want) else { continue };
                let got = e.eval_js(&v);
                if same(&got, &want) {
                    compared += 1;
                } else {
                    failures.push(format!("{src}: client {want:?}, ours {got:?}"));
                }
            }
            (Some(_), Err(e)) if STRICTER.contains(&e.kind()) => {
                *stricter.entry(format!("{:?}", e.kind())).or_default() += 1;
            }
            (Some(want), Err(e)) => {
                failures.push(format!("{src}: client {want}, ours rejects: {e}"))
            }
            (None, Err(_)) => both_reject += 1,
            (None, Ok(e)) => failures.push(format!(
                "{src}: client throws {:?}, ours gives {:?}",
                case["error"],
                e.eval_js(&v)
            )),
        }
    }
    eprintln!(
        "{compared} equal, {both_reject} rejected by both, rejected only here (documented): {stricter:?}"
    );
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        compared > cases.len() / 2,
        "most cases are compared, not skipped"
    );
}

#[test]
fn conditions_match_the_client() {
    let g = golden();
    let v = values(&g);
    let cases = g["conditions"].as_array().unwrap();
    let mut failures = Vec::new();
    for case in cases {
        let src = case["src"].as_str().unwrap();
        // The client never returns for a condition it loops on; here that is false.
        let want = case["ok"].as_bool().unwrap_or(false);
        let got = Condition::eval_source(src, &v);
        if got != want {
            failures.push(format!("{src:?}: client {want}, ours {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
    let trues = cases
        .iter()
        .filter(|c| c["ok"] == Value::Bool(true))
        .count();
    assert!(
        trues > cases.len() / 10,
        "the cases exercise true results too"
    );
}

/// The declarations the validator cases were checked against, in Meta's model form (type names, `object`
/// for an object field).
fn types(g: &Value) -> TypeTable {
    let mut env = TypeTable::new(g["screen"].as_str().unwrap());
    for (screen, stores) in g["condition_types"].as_object().unwrap() {
        for (scope, name) in [(Scope::Data, "data"), (Scope::Form, "form")] {
            for (field, ty) in stores
                .get(name)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let ty = match ty.as_str().unwrap() {
                    "string" => Type::String,
                    "number" => Type::Number,
                    "boolean" => Type::Boolean,
                    "array" => Type::Array(Box::new(Type::Unknown)),
                    _ => Type::Object(BTreeMap::from([("a".to_owned(), Type::Number)])),
                };
                env.declare(scope, screen.clone(), field.clone(), ty);
            }
        }
    }
    env
}

/// Meta's message without what this module words differently on purpose: the column (reported as an
/// offset here) and the screen the reference is used on (the validator knows it, not this module).
fn meta_base(message: &str) -> &str {
    let mut m = message;
    if let Some(at) = m.find(" at column ") {
        m = &m[..at];
    }
    for cut in [" in the data model for screen", " but is used on screen"] {
        if let Some(at) = m.find(cut) {
            m = &m[..at];
        }
    }
    m.trim_end_matches('.')
}

#[test]
fn condition_validation_matches_metas_validator() {
    let g = golden();
    let env = types(&g);
    let cases = g["conditions"].as_array().unwrap();
    let mut failures = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for case in cases {
        let src = case["src"].as_str().unwrap();
        let meta = &case["validation"];
        let ours = Condition::validate(src, &env).map(|_| ());
        // Parsing first and checking after accepts and rejects the same conditions.
        let two_step = Condition::parse(src).and_then(|c| c.check(&env));
        if two_step.is_ok() != ours.is_ok() {
            failures.push(format!(
                "{src:?}: validate {ours:?} but parse+check {two_step:?}"
            ));
        }
        match (meta.get("valid").is_some(), ours) {
            (true, Ok(())) => valid += 1,
            (true, Err(e)) => failures.push(format!("{src:?}: Meta accepts, ours: {e}")),
            (false, Ok(())) => failures.push(format!(
                "{src:?}: Meta rejects ({}), ours accepts",
                meta["message"]
            )),
            // A backtick condition: Meta's validator stops at the backtick too, worded differently here.
            (false, Err(e)) if e.kind() == ExprErrorKind::BacktickCondition => {
                assert!(
                    meta["message"]
                        .as_str()
                        .unwrap()
                        .starts_with("Unexpected character '`'"),
                    "{src}"
                );
                invalid += 1;
            }
            (false, Err(e)) => {
                let want = meta_base(meta["message"].as_str().unwrap());
                let column = meta["column"].as_u64().map(|c| usize::try_from(c).unwrap());
                if !e.message().starts_with(want) || column.is_some_and(|c| c != e.offset()) {
                    failures.push(format!(
                        "{src:?}: Meta {:?} at {column:?}, ours {e} at {}",
                        meta["message"],
                        e.offset()
                    ));
                } else {
                    invalid += 1;
                }
            }
        }
    }
    eprintln!("{valid} valid and {invalid} rejected alike");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
