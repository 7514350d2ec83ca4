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

use flows_json::expr::{Condition, Expr, ExprErrorKind, JsValue, Scope, ValueTable};
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
    let mut stricter = std::collections::BTreeMap::<String, usize>::new();
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
