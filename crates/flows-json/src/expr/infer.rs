//! Static typing of nested expressions, after Meta's `WAFlowsASTTypeValidator`.

use super::ast::{BinaryOp, Expr, Node, UnaryOp};
use super::error::{ExprError, ExprErrorKind, Span};
use super::reference::{Ref, Scope};
use super::types::{Type, TypeEnv};

pub(crate) fn infer(expr: &Expr, env: &dyn TypeEnv) -> Result<Type, ExprError> {
    let mut next = 0;
    infer_node(expr, &expr.root, &mut next, env)
}

fn describe(node: &Node) -> String {
    match node {
        Node::Ref(r) => format!("`{r}`"),
        Node::String(s) => format!("the string '{s}'"),
        Node::Number(_) => "the number".to_owned(),
        Node::Bool(b) => format!("`{b}`"),
        _ => "the operand".to_owned(),
    }
}

fn mismatch(span: Span, message: String) -> ExprError {
    ExprError::new(ExprErrorKind::TypeMismatch, span, message)
}

/// Types `node`, whose pre-order index is `*next` (advanced past the node and its children).
fn infer_node(
    expr: &Expr,
    node: &Node,
    next: &mut usize,
    env: &dyn TypeEnv,
) -> Result<Type, ExprError> {
    let span = expr.span_of(*next);
    *next += 1;
    match node {
        Node::Number(_) => Ok(Type::Number),
        Node::String(_) => Ok(Type::String),
        Node::Bool(_) => Ok(Type::Boolean),
        Node::Null => Err(ExprError::new(
            ExprErrorKind::NullLiteral,
            span,
            "The keyword 'null' is reserved, please use another expression instead. To test for an empty or \
             missing value compare with '' (`${data.x} == ''` is true for both)",
        )),
        Node::Ref(r) => env
            .type_of(r)
            .ok_or_else(|| unknown_reference(r, span, env)),
        Node::Index { .. } | Node::Member { .. } => Err(ExprError::new(
            ExprErrorKind::IndexAccess,
            span,
            "Meta's validator cannot type `[...]` access and rejects it; give the element its own field in \
             the screen's data instead",
        )),
        Node::Unary { op, operand } => {
            let t = infer_node(expr, operand, next, env)?;
            match op {
                UnaryOp::Not if !t.may_be_boolean() => Err(mismatch(
                    span,
                    format!(
                        "Operation '!' can only be used before booleans; {} is {t}",
                        describe(operand)
                    ),
                )),
                UnaryOp::Not => Ok(Type::Boolean),
                UnaryOp::Neg | UnaryOp::Plus if !t.may_be_number() => Err(mismatch(
                    span,
                    format!(
                        "Operation '{}' can only be used before numbers; {} is {t}",
                        op.symbol(),
                        describe(operand)
                    ),
                )),
                UnaryOp::Neg | UnaryOp::Plus => Ok(t),
            }
        }
        Node::Binary { op, left, right } => {
            let left_span = expr.span_of(*next);
            let lt = infer_node(expr, left, next, env)?;
            let right_span = expr.span_of(*next);
            let rt = infer_node(expr, right, next, env)?;
            let bad_side = |ok: fn(&Type) -> bool| {
                if !ok(&lt) {
                    Some((left_span, left, &lt))
                } else if !ok(&rt) {
                    Some((right_span, right, &rt))
                } else {
                    None
                }
            };
            match op {
                BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
                    if let Some((at, side, t)) = bad_side(Type::may_be_number) {
                        let hint = if *op == BinaryOp::Add && *t == Type::String {
                            "; `+` adds numbers, it never joins text: to join, write the parts side by side, \
                             as in `'Total: ' ${data.total}`"
                        } else {
                            ""
                        };
                        return Err(mismatch(
                            at,
                            format!(
                                "Operation '{}' can only be used with numbers; {} is {t}{hint}",
                                op.symbol(),
                                describe(side)
                            ),
                        ));
                    }
                    Ok(Type::Number)
                }
                BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                    if let Some((at, side, t)) = bad_side(Type::may_be_number) {
                        return Err(mismatch(
                            at,
                            format!(
                                "Operation '{}' can only be used with numbers; {} is {t}",
                                op.symbol(),
                                describe(side)
                            ),
                        ));
                    }
                    Ok(Type::Boolean)
                }
                BinaryOp::Eq | BinaryOp::Ne => {
                    if !lt.same_kind(&rt) {
                        return Err(mismatch(
                            span,
                            format!(
                                "Operation '{}' can only be used to compare values with same type; the left side \
                                 is {lt}, the right side {rt}",
                                op.symbol()
                            ),
                        ));
                    }
                    Ok(Type::Boolean)
                }
                BinaryOp::And | BinaryOp::Or => {
                    if let Some((at, side, t)) = bad_side(Type::may_be_boolean) {
                        return Err(mismatch(
                            at,
                            format!(
                                "Operation '{}' can only be used with booleans; {} is {t} (compare it, as in \
                                 `${{form.name}} != ''`)",
                                op.symbol(),
                                describe(side)
                            ),
                        ));
                    }
                    Ok(Type::Boolean)
                }
            }
        }
        Node::Concat(items) => {
            for item in items {
                infer_node(expr, item, next, env)?;
            }
            Ok(Type::String)
        }
    }
}

/// The message for a reference nothing is declared at, saying which declaration to add.
pub(crate) fn unknown_reference(r: &Ref, span: Span, env: &dyn TypeEnv) -> ExprError {
    let screen = r
        .screen
        .as_deref()
        .map_or_else(|| "this screen".to_owned(), |s| format!("screen '{s}'"));
    let field = r.field().unwrap_or_default();
    let root = Ref {
        screen: r.screen.clone(),
        scope: r.scope,
        path: r.path.iter().take(1).cloned().collect(),
    };
    let message = if r.path.len() > 1 && env.type_of(&root).is_some() {
        let declared = env
            .type_of(&root)
            .map(|t| t.to_string())
            .unwrap_or_default();
        format!("`{r}` reads a property that is not declared: `{field}` is declared as {declared}")
    } else {
        match r.scope {
            Scope::Data => format!(
                "`{r}` is not declared: add `{field}` to the `data` of {screen} (with its `type` and `__example__`)"
            ),
            Scope::Form => {
                format!("`{r}` reads nothing: {screen} has no input component named `{field}`")
            }
        }
    };
    ExprError::new(ExprErrorKind::UnknownReference, span, message)
}
