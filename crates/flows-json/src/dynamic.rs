//! The seam between validation and the expression language ([`crate::expr`]): everything the
//! validator asks about a dynamic string goes through here, so the rules above speak in terms of
//! "a binding", "a nested expression", "a problem at this offset".

use crate::expr::{self, Condition, Dynamic, Expr, ExprError, ExprErrorKind};
pub(crate) use crate::expr::{Ref, Scope, Type, TypeEnv};

/// Why an expression is wrong, or what is suspicious about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExprProblem {
    pub(crate) kind: ProblemKind,
    /// Byte offset in the string.
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// How a problem is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProblemKind {
    /// The expression does not parse.
    Syntax,
    /// Its types do not fit (Meta's static typing).
    Type,
    /// The client accepts it, but it is almost certainly a mistake.
    Suspicious,
}

impl From<&ExprError> for ExprProblem {
    fn from(e: &ExprError) -> Self {
        use ExprErrorKind as K;
        let kind = if e.is_warning() {
            ProblemKind::Suspicious
        } else {
            match e.kind() {
                K::TypeMismatch
                | K::NullLiteral
                | K::IndexAccess
                | K::UnknownReference
                | K::EqualityTypeMismatch
                | K::UnsupportedOperandType
                | K::SingleOperandNotBoolean => ProblemKind::Type,
                _ => ProblemKind::Syntax,
            }
        };
        Self {
            kind,
            offset: e.offset(),
            message: e.message().to_owned(),
        }
    }
}

/// What a string property value is.
#[derive(Clone, Debug)]
pub(crate) enum Analysis {
    /// Shown as written.
    Literal,
    /// One whole binding.
    Binding(Ref),
    /// A backtick expression.
    Nested(Box<Expr>),
    /// Starts with `${` and ends with `}` but is not one binding: the client renders it empty.
    Malformed(ExprProblem),
    /// A backtick expression that does not parse.
    Broken(ExprProblem),
}

/// Classifies a string property value.
pub(crate) fn analyze(s: &str) -> Analysis {
    match expr::parse_dynamic(s) {
        None => Analysis::Literal,
        Some(Ok(Dynamic::Binding(r))) => Analysis::Binding(r),
        Some(Ok(Dynamic::Nested(e))) => Analysis::Nested(Box::new(e)),
        Some(Err(e)) if e.kind() == ExprErrorKind::MalformedBinding => {
            Analysis::Malformed((&e).into())
        }
        Some(Err(e)) => Analysis::Broken((&e).into()),
    }
}

/// The references a nested expression reads, with their byte offsets.
pub(crate) fn nested_refs(e: &Expr) -> Vec<(Ref, usize)> {
    e.ref_spans()
        .map(|(r, span)| (r.clone(), span.start))
        .collect()
}

/// What the client accepts but is almost certainly wrong in a nested expression.
pub(crate) fn nested_warnings(e: &Expr) -> Vec<ExprProblem> {
    e.warnings().iter().map(ExprProblem::from).collect()
}

/// The type a dynamic value has, given the declarations; `Unknown` for literals.
pub(crate) fn infer(s: &str, env: &dyn TypeEnv) -> Result<Type, ExprProblem> {
    match analyze(s) {
        Analysis::Binding(r) => Ok(env.type_of(&r).unwrap_or(Type::Unknown)),
        Analysis::Nested(e) => e.infer(env).map_err(|e| (&e).into()),
        Analysis::Malformed(p) | Analysis::Broken(p) => Err(p),
        Analysis::Literal => Ok(Type::Unknown),
    }
}

/// A parsed `If` condition with the references it reads, or why it does not parse.
pub(crate) fn condition(s: &str) -> Result<(Condition, Vec<(Ref, usize)>), ExprProblem> {
    let c = Condition::parse(s).map_err(|e| ExprProblem::from(&e))?;
    let refs = c
        .ref_spans()
        .map(|(r, span)| (r.clone(), span.start))
        .collect();
    Ok((c, refs))
}

/// Type-checks a condition against the declarations.
pub(crate) fn check_condition(c: &Condition, env: &dyn TypeEnv) -> Result<(), ExprProblem> {
    c.check(env).map_err(|e| (&e).into())
}

/// For a literal string: the offset of a `${data`/`${form`/`${screen` inside it, which the client
/// shows as typed.
pub(crate) fn literal_interpolation(s: &str) -> Option<usize> {
    expr::literal_interpolation(s).map(|e| e.offset())
}

/// A short name of a type's kind, for messages.
pub(crate) fn kind_name(t: &Type) -> &'static str {
    match t {
        Type::String => "string",
        Type::Number => "number",
        Type::Boolean => "boolean",
        Type::Array(_) => "array",
        Type::Object(_) => "object",
        Type::Unknown => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_and_nested_refs() {
        assert!(matches!(analyze("${data.a.b}"), Analysis::Binding(r) if r.path == ["a", "b"]));
        assert!(matches!(
            analyze("${data.a} ${data.b}"),
            Analysis::Malformed(_)
        ));
        assert!(matches!(analyze("Hi ${data.a}"), Analysis::Literal));
        assert!(
            matches!(analyze("`${form.x} +`"), Analysis::Broken(p) if p.kind == ProblemKind::Syntax)
        );
        let Analysis::Nested(e) = analyze("`'a' ${form.x} ${data.y}`") else {
            unreachable!()
        };
        assert_eq!(nested_refs(&e).len(), 2);
        assert_eq!(literal_interpolation("Hi ${data.a}"), Some(3));
    }
}
