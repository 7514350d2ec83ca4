//! Evaluation of nested expressions, as the client's `WAFlowsASTParser.parseFlowDynamicExpression` does it.

use super::ast::{BinaryOp, Node, UnaryOp};
use super::js::{JsValue, js_round};
use super::values::Values;

/// Evaluates a tree (its depth is bounded by the parser / `Expr::from_node`).
pub(crate) fn eval(node: &Node, values: &dyn Values) -> JsValue {
    match node {
        Node::Number(x) => JsValue::Number(*x),
        Node::String(s) => JsValue::String(rewrite_text(s, values.current_screen())),
        Node::Bool(b) => JsValue::Bool(*b),
        Node::Null => JsValue::Null,
        Node::Ref(r) => r.lookup(values),
        Node::Index { object, index } => {
            let object = eval(object, values);
            let key = eval(index, values).to_js_string();
            if object.is_nullish() {
                JsValue::Undefined
            } else {
                object.get(&key)
            }
        }
        Node::Member { object, property } => eval(object, values).get(property),
        Node::Unary { op, operand } => {
            let v = eval(operand, values);
            match op {
                UnaryOp::Not => JsValue::Bool(!v.is_truthy()),
                UnaryOp::Neg => JsValue::Number(-v.to_number()),
                UnaryOp::Plus => v,
            }
        }
        Node::Binary {
            op: op @ (BinaryOp::And | BinaryOp::Or),
            left,
            right,
        } => {
            // Both sides are evaluated (no short circuit; nothing here has side effects anyway).
            let l = eval(left, values).is_truthy();
            let r = eval(right, values).is_truthy();
            JsValue::Bool(if *op == BinaryOp::And { l && r } else { l || r })
        }
        Node::Binary { op, left, right } => {
            let result = binary(*op, eval(left, values), eval(right, values));
            match result {
                // Every arithmetic result is rounded to two decimals [WA ASTParser: Math.round(x*100)/100].
                JsValue::Number(x) => JsValue::Number(js_round(x * 100.0) / 100.0),
                other => other,
            }
        }
        Node::Concat(items) => JsValue::String(
            items
                .iter()
                .map(|item| eval(item, values).to_join_string())
                .collect(),
        ),
    }
}

fn is_empty(v: &JsValue) -> bool {
    v.is_nullish() || matches!(v, JsValue::String(s) if s.is_empty())
}

/// The client's `h` [WA WAFlowsASTParser]: arithmetic treats an empty or missing operand as 0, `/` and `%`
/// give 0 for a missing or zero divisor, comparisons need a number on one side, `==` treats empty values
/// as equal to each other only.
fn binary(op: BinaryOp, n: JsValue, r: JsValue) -> JsValue {
    let either_number = n.is_number() || r.is_number();
    let either_empty = is_empty(&n) || is_empty(&r);
    let num = |v: &JsValue| if is_empty(v) { 0.0 } else { v.to_number() };
    // The divisor test looks at the raw right value: `''` is not "missing" there, so `x / ''` is x / 0.
    let divisor_present = !r.is_nullish() && !matches!(r, JsValue::Number(x) if x == 0.0);
    let equal = || {
        if either_empty {
            is_empty(&n) && is_empty(&r)
        } else if either_number {
            n.to_number() == r.to_number()
        } else {
            n.strict_equals(&r)
        }
    };
    let compare =
        |f: fn(f64, f64) -> bool| !either_empty && either_number && f(n.to_number(), r.to_number());
    match op {
        BinaryOp::Add => JsValue::Number(num(&n) + num(&r)),
        BinaryOp::Sub => JsValue::Number(num(&n) - num(&r)),
        BinaryOp::Mul => JsValue::Number(num(&n) * num(&r)),
        BinaryOp::Div => JsValue::Number(if divisor_present {
            num(&n) / r.to_number()
        } else {
            0.0
        }),
        BinaryOp::Rem => JsValue::Number(if divisor_present {
            num(&n) % r.to_number()
        } else {
            0.0
        }),
        BinaryOp::Eq => JsValue::Bool(equal()),
        BinaryOp::Ne => JsValue::Bool(!equal()),
        BinaryOp::Lt => JsValue::Bool(compare(|a, b| a < b)),
        BinaryOp::Le => JsValue::Bool(compare(|a, b| a <= b)),
        BinaryOp::Gt => JsValue::Bool(compare(|a, b| a > b)),
        BinaryOp::Ge => JsValue::Bool(compare(|a, b| a >= b)),
        BinaryOp::And | BinaryOp::Or => JsValue::Bool(n.is_truthy() && r.is_truthy()),
    }
}

/// The preprocessing rewrite applied to text inside a string literal (the client rewrites before it
/// parses, so quoted `${data` also becomes `screen.<current>.data`).
fn rewrite_text(s: &str, current: &str) -> String {
    if !s.contains("${") {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let replaced = [
            ("${screen", "screen".to_owned()),
            ("${data", format!("screen.{current}.data")),
            ("${form", format!("screen.{current}.form")),
            ("${external_data", format!("screen.{current}.external_data")),
        ]
        .into_iter()
        .find(|(prefix, _)| from.starts_with(prefix));
        match replaced {
            Some((prefix, with)) => {
                out.push_str(&with);
                rest = from.get(prefix.len()..).unwrap_or_default();
            }
            None => {
                out.push_str("${");
                rest = from.get(2..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}
