//! The seam between validation and the expression language (`crate::expr`): everything the
//! validator asks about a dynamic string goes through here.
//!
//! Until `crate::expr` lands on this branch, this module carries a minimal stand-in: whole
//! bindings are parsed exactly; nested expressions and conditions are scanned for their `${…}`
//! references only (no syntax or type checks).

use std::collections::BTreeMap;

/// `data` or `form`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Scope {
    Data,
    Form,
}

/// A reference `${(screen.ID.)?(data|form).path}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ref {
    pub(crate) screen: Option<String>,
    pub(crate) scope: Scope,
    pub(crate) path: Vec<String>,
}

impl Ref {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let inner = s.strip_prefix("${")?.strip_suffix('}')?;
        let mut parts = inner.split('.');
        let mut first = parts.next()?;
        let mut screen = None;
        if first == "screen" {
            let id = parts.next()?;
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '_' || c == ',')
            {
                return None;
            }
            screen = Some(id.to_owned());
            first = parts.next()?;
        }
        let scope = match first {
            "data" => Scope::Data,
            "form" => Scope::Form,
            _ => return None,
        };
        let path: Vec<String> = parts.map(str::to_owned).collect();
        let ok = |seg: &String| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        (!path.is_empty() && path.iter().all(ok)).then_some(Self {
            screen,
            scope,
            path,
        })
    }

    pub(crate) fn field(&self) -> &str {
        self.path.first().map_or("", String::as_str)
    }
}

impl std::fmt::Display for Ref {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("${")?;
        if let Some(screen) = &self.screen {
            write!(f, "screen.{screen}.")?;
        }
        f.write_str(match self.scope {
            Scope::Data => "data",
            Scope::Form => "form",
        })?;
        for seg in &self.path {
            write!(f, ".{seg}")?;
        }
        f.write_str("}")
    }
}

/// A static type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    String,
    Number,
    Boolean,
    Array(Box<Type>),
    Object(BTreeMap<String, Type>),
    Unknown,
}

impl Type {
    pub(crate) fn at_path(&self, path: &[String]) -> Option<Type> {
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

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::Array(_) => "array",
            Self::Object(_) => "object",
            Self::Unknown => "unknown",
        }
    }
}

/// Declared types, as the validator knows them.
pub(crate) trait TypeEnv {
    fn type_of(&self, r: &Ref) -> Option<Type>;
}

/// Why an expression is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExprProblem {
    /// A syntax error (`false`: a type error).
    pub(crate) syntax: bool,
    /// Byte offset in the string.
    pub(crate) offset: usize,
    pub(crate) message: String,
}

/// What a string property value is.
#[derive(Clone, Debug)]
pub(crate) enum Analysis {
    /// Shown as written.
    Literal,
    /// One whole binding.
    Binding(Ref),
    /// A backtick expression, with the references it reads (byte offsets in the string).
    Nested(Vec<(Ref, usize)>),
    /// Looks dynamic but does not parse.
    Broken(ExprProblem),
}

/// Classifies a string property value.
pub(crate) fn analyze(s: &str) -> Analysis {
    if s.len() >= 2 && s.starts_with('`') && s.ends_with('`') {
        return Analysis::Nested(scan_refs(s));
    }
    if s.starts_with("${") && s.ends_with('}') {
        return match Ref::parse(s) {
            Some(r) => Analysis::Binding(r),
            None => Analysis::Broken(ExprProblem {
                syntax: true,
                offset: 0,
                message: format!(
                    "`{s}` is not one binding: a binding is the whole value, `${{data.field}}`, `${{form.field}}` or `${{screen.SCREEN_ID.data.field}}`"
                ),
            }),
        };
    }
    Analysis::Literal
}

/// The type a dynamic value has, given the declarations; `Ok(Unknown)` when it cannot tell.
pub(crate) fn infer(s: &str, env: &dyn TypeEnv) -> Result<Type, ExprProblem> {
    match analyze(s) {
        Analysis::Binding(r) => Ok(env.type_of(&r).unwrap_or(Type::Unknown)),
        Analysis::Broken(p) => Err(p),
        Analysis::Nested(_) | Analysis::Literal => Ok(Type::Unknown),
    }
}

/// The references an `If` condition reads, or why it does not parse.
pub(crate) fn condition_refs(s: &str) -> Result<Vec<(Ref, usize)>, ExprProblem> {
    let refs = scan_refs(s);
    if refs.is_empty() {
        return Err(ExprProblem {
            syntax: true,
            offset: 0,
            message: "a condition needs at least one dynamic value (`${data.x}`, `${form.x}`)"
                .to_owned(),
        });
    }
    Ok(refs)
}

/// Type-checks a condition against the declarations.
pub(crate) fn check_condition(_s: &str, _env: &dyn TypeEnv) -> Result<(), ExprProblem> {
    Ok(())
}

/// For a literal string: the offset of a `${data`/`${form`/`${screen` inside it, which the client
/// shows as typed.
pub(crate) fn literal_interpolation(s: &str) -> Option<usize> {
    if !matches!(analyze(s), Analysis::Literal) {
        return None;
    }
    ["${data.", "${form.", "${screen."]
        .iter()
        .filter_map(|p| s.find(p))
        .min()
}

fn scan_refs(s: &str) -> Vec<(Ref, usize)> {
    let mut refs = Vec::new();
    let mut from = 0;
    while let Some(rel) = s.get(from..).and_then(|rest| rest.find("${")) {
        let start = from + rel;
        let Some(end) = s.get(start..).and_then(|rest| rest.find('}')) else {
            break;
        };
        if let Some(r) = s.get(start..=start + end).and_then(Ref::parse) {
            refs.push((r, start));
        }
        from = start + end + 1;
    }
    refs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_and_nested_refs() {
        assert!(matches!(analyze("${data.a.b}"), Analysis::Binding(r) if r.path == ["a", "b"]));
        assert!(
            matches!(analyze("${screen.A.form.x}"), Analysis::Binding(r) if r.screen.as_deref() == Some("A"))
        );
        assert!(matches!(
            analyze("${data.a} ${data.b}"),
            Analysis::Broken(_)
        ));
        assert!(matches!(analyze("Hi ${data.a}"), Analysis::Literal));
        let Analysis::Nested(refs) = analyze("`'a' ${form.x} ${data.y}`") else {
            unreachable!()
        };
        assert_eq!(refs.len(), 2);
        assert_eq!(literal_interpolation("Hi ${data.a}"), Some(3));
        assert_eq!(
            Ref::parse("${screen.A.data.x}")
                .map(|r| r.to_string())
                .as_deref(),
            Some("${screen.A.data.x}")
        );
    }
}
