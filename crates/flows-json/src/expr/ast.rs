//! The syntax tree of nested (backtick) expressions, and its printer.

use std::fmt::{self, Write as _};

use super::error::{ExprError, ExprErrorKind, Span};
use super::js::number_to_string;
use super::reference::Ref;

/// How deep an expression tree may nest. Deeper input is rejected with [`ExprErrorKind::TooDeep`], so that
/// parsing, typing and evaluation (which recurse over the tree) cannot overflow the stack.
pub const MAX_DEPTH: usize = 100;

/// A unary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `!x`: JavaScript negation of truthiness.
    Not,
    /// `-x`: numeric negation (`-'3'` is -3, `-` of a missing value is `NaN`).
    Neg,
    /// `+x`: returns `x` unchanged (the client does not convert it to a number).
    Plus,
}

impl UnaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "!",
            UnaryOp::Neg => "-",
            UnaryOp::Plus => "+",
        }
    }
}

/// A binary operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `+`: numeric addition, never string concatenation.
    Add,
    /// `-`
    Sub,
    /// `*` (evaluated by the client although Meta's documentation does not list it).
    Mul,
    /// `/` (by 0 or a missing value gives 0).
    Div,
    /// `%` (by 0 or a missing value gives 0).
    Rem,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&&`
    And,
    /// `||`
    Or,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "&&",
            BinaryOp::Or => "||",
        }
    }

    /// jsep's binary precedence (higher binds tighter).
    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 6,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 7,
            BinaryOp::Add | BinaryOp::Sub => 9,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 10,
        }
    }

    pub(crate) fn from_symbol(s: &str) -> Option<BinaryOp> {
        Some(match s {
            "+" => BinaryOp::Add,
            "-" => BinaryOp::Sub,
            "*" => BinaryOp::Mul,
            "/" => BinaryOp::Div,
            "%" => BinaryOp::Rem,
            "==" => BinaryOp::Eq,
            "!=" => BinaryOp::Ne,
            "<" => BinaryOp::Lt,
            "<=" => BinaryOp::Le,
            ">" => BinaryOp::Gt,
            ">=" => BinaryOp::Ge,
            "&&" => BinaryOp::And,
            "||" => BinaryOp::Or,
            _ => return None,
        })
    }
}

/// A node of a nested expression.
///
/// Only the forms the client can evaluate exist: a tree that parses is a tree the client runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// A number literal (non-negative and finite; `-1` is `Neg` applied to `1`).
    Number(f64),
    /// A quoted string literal, after escapes. It cannot contain `}` (the client deletes them before
    /// parsing). Text like `${data` in it stays text; the client prints it rewritten to `screen.<id>.data`.
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// `null` (evaluates to null; Meta's validator rejects it).
    Null,
    /// A reference with a dotted path: `${data.a.b}`, `${screen.S.form.x}`.
    Ref(Ref),
    /// Computed member access `object[index]` (the client evaluates it; Meta's validator rejects it).
    Index {
        /// A `Ref`, `Index` or `Member`.
        object: Box<Node>,
        /// The key expression.
        index: Box<Node>,
    },
    /// `.property` after an index access: `${data.list}[0].name`.
    Member {
        /// An `Index` or `Member`.
        object: Box<Node>,
        /// The property name (a JavaScript identifier).
        property: String,
    },
    /// A unary operation.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: Box<Node>,
    },
    /// A binary operation (arithmetic, comparison or logical).
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        left: Box<Node>,
        /// The right operand.
        right: Box<Node>,
    },
    /// Concatenation by juxtaposition, `'Hello ' ${form.name}`: the parts' values joined as text. Only the
    /// whole expression can be one, with no part or at least two.
    Concat(Vec<Node>),
}

impl Node {
    fn children(&self) -> Vec<&Node> {
        match self {
            Node::Number(_) | Node::String(_) | Node::Bool(_) | Node::Null | Node::Ref(_) => {
                Vec::new()
            }
            Node::Index { object, index } => vec![object, index],
            Node::Member { object, .. } => vec![object],
            Node::Unary { operand, .. } => vec![operand],
            Node::Binary { left, right, .. } => vec![left, right],
            Node::Concat(items) => items.iter().collect(),
        }
    }
}

/// A parsed nested expression: the whole property value, backticks included (Flow JSON >= 6.0).
///
/// Build one with [`Expr::parse`] (from text) or [`Expr::from_node`] (from a tree). `Display` prints it
/// back in backtick form; printing and parsing again gives the same tree.
#[derive(Clone, Debug)]
pub struct Expr {
    pub(crate) root: Node,
    /// Source span of each node, in pre-order (empty for trees built with `from_node`).
    pub(crate) spans: Vec<Span>,
    pub(crate) warnings: Vec<ExprError>,
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.root == other.root
    }
}

impl Expr {
    /// An expression from a tree built by hand, checked against what the parser could produce: a
    /// `Concat` only at the top with zero or at least two parts, numbers finite and non-negative, strings
    /// without `}`, names that are JavaScript identifiers, `Index` and `Member` only on references, and
    /// at most [`MAX_DEPTH`] levels.
    ///
    /// ```
    /// use flows_json::expr::{BinaryOp, Expr, Node, Ref, Scope};
    ///
    /// let node = Node::Binary {
    ///     op: BinaryOp::Gt,
    ///     left: Box::new(Node::Ref(Ref::new(None, Scope::Form, ["age"]))),
    ///     right: Box::new(Node::Number(18.0)),
    /// };
    /// let expr = Expr::from_node(node)?;
    /// assert_eq!(expr.to_string(), "`${form.age} > 18`");
    /// assert_eq!(Expr::parse(&expr.to_string())?, expr);
    /// # Ok::<(), flows_json::expr::ExprError>(())
    /// ```
    pub fn from_node(root: Node) -> Result<Expr, ExprError> {
        validate_tree(&root)?;
        Ok(Expr {
            root,
            spans: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// The tree.
    pub fn node(&self) -> &Node {
        &self.root
    }

    /// The references the expression reads, in source order.
    pub fn refs(&self) -> impl Iterator<Item = &Ref> + '_ {
        self.ref_spans().map(|(r, _)| r)
    }

    /// The references with their place in the source (empty spans for trees built with `from_node`).
    pub fn ref_spans(&self) -> impl Iterator<Item = (&Ref, Span)> + '_ {
        preorder(&self.root)
            .into_iter()
            .enumerate()
            .filter_map(|(i, n)| match n {
                Node::Ref(r) => Some((r, self.span_of(i))),
                _ => None,
            })
            .collect::<Vec<_>>()
            .into_iter()
    }

    /// Findings the client accepts but that are almost certainly mistakes: `${...}` inside quotes
    /// ([`ExprErrorKind::RefInString`]), `}` inside quotes ([`ExprErrorKind::DroppedBrace`]), `,` or `;`
    /// between concatenated parts ([`ExprErrorKind::IgnoredSeparator`]).
    pub fn warnings(&self) -> &[ExprError] {
        &self.warnings
    }

    pub(crate) fn span_of(&self, preorder_index: usize) -> Span {
        self.spans.get(preorder_index).copied().unwrap_or_default()
    }
}

/// The nodes in pre-order (a node, then its children in order), without recursion.
pub(crate) fn preorder(root: &Node) -> Vec<&Node> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        out.push(node);
        let children = node.children();
        stack.extend(children.into_iter().rev());
    }
    out
}

/// Whether a name is a jsep identifier that is not one of its keywords.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    is_ident_start(first)
        && chars.all(is_ident_part)
        && !matches!(name, "true" | "false" | "null" | "this")
}

/// jsep 0.3: `$`, `_`, ASCII letters and any non-ASCII character start an identifier.
pub(crate) fn is_ident_start(c: char) -> bool {
    c == '$' || c == '_' || c.is_ascii_alphabetic() || !c.is_ascii()
}

/// jsep 0.3: identifier characters are the start characters and ASCII digits.
pub(crate) fn is_ident_part(c: char) -> bool {
    is_ident_start(c) || c.is_ascii_digit()
}

fn invalid(message: String) -> ExprError {
    ExprError::new(ExprErrorKind::UnsupportedSyntax, Span::default(), message)
}

fn validate_tree(root: &Node) -> Result<(), ExprError> {
    let mut stack = vec![(root, 1_usize, true)];
    while let Some((node, depth, is_root)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Err(ExprError::new(
                ExprErrorKind::TooDeep,
                Span::default(),
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        match node {
            Node::Number(x) => {
                if !x.is_finite() || x.is_sign_negative() {
                    return Err(invalid(format!(
                        "number literal {x} cannot be written: literals are finite and non-negative \
                         (write -1 as Unary Neg of 1)"
                    )));
                }
            }
            Node::String(s) => {
                if s.contains('}') {
                    return Err(invalid(format!(
                        "string literal {s:?} contains `}}`, which the client deletes"
                    )));
                }
            }
            Node::Ref(r) => {
                if let Some(screen) = &r.screen
                    && !is_identifier(screen)
                {
                    return Err(invalid(format!(
                        "screen id {screen:?} is not an identifier"
                    )));
                }
                if let Some(seg) = r.path.iter().find(|s| !is_identifier(s)) {
                    return Err(invalid(format!(
                        "path segment {seg:?} of {r} cannot be written in a nested expression (inside \
                         backticks a `-` is a minus and a leading digit is a number)"
                    )));
                }
            }
            Node::Index { object, .. } | Node::Member { object, .. } => {
                let ok = match node {
                    Node::Index { .. } => matches!(
                        **object,
                        Node::Ref(_) | Node::Index { .. } | Node::Member { .. }
                    ),
                    _ => matches!(**object, Node::Index { .. } | Node::Member { .. }),
                };
                if !ok {
                    return Err(invalid(
                        "`[...]` applies to a reference and `.name` to an index access (a `.name` on a \
                         reference is part of its path)"
                            .to_owned(),
                    ));
                }
                if let Node::Member { property, .. } = node
                    && !is_identifier(property)
                {
                    return Err(invalid(format!(
                        "property {property:?} is not an identifier"
                    )));
                }
            }
            Node::Concat(items) => {
                if !is_root {
                    return Err(invalid(
                        "a concatenation can only be the whole expression".to_owned(),
                    ));
                }
                if items.len() == 1 {
                    return Err(invalid(
                        "a concatenation has no part or at least two".to_owned(),
                    ));
                }
            }
            Node::Bool(_) | Node::Null | Node::Unary { .. } | Node::Binary { .. } => {}
        }
        for child in node.children().into_iter().rev() {
            stack.push((child, depth + 1, false));
        }
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut body = String::new();
        write_node(&mut body, &self.root)?;
        // The client escapes a final `\'` once more (for its own string quoting), which would break a
        // string literal that ends the expression with an escaped backslash; a space avoids it.
        if body.ends_with("\\'") {
            body.push(' ');
        }
        write!(f, "`{body}`")
    }
}

fn write_node(out: &mut String, node: &Node) -> fmt::Result {
    match node {
        // An overflowing literal (`1e999`) parses to infinity, which JavaScript would print as
        // `Infinity`, a name rather than a number: write a literal that overflows again instead.
        Node::Number(x) if x.is_infinite() => {
            out.push_str(if *x > 0.0 { "1e999" } else { "-1e999" })
        }
        Node::Number(x) => out.push_str(&number_to_string(*x)),
        Node::String(s) => write_string(out, s),
        Node::Bool(b) => write!(out, "{b}")?,
        Node::Null => out.push_str("null"),
        Node::Ref(r) => write!(out, "{r}")?,
        Node::Index { object, index } => {
            write_node(out, object)?;
            out.push('[');
            write_node(out, index)?;
            out.push(']');
        }
        Node::Member { object, property } => {
            write_node(out, object)?;
            write!(out, ".{property}")?;
        }
        Node::Unary { op, operand } => {
            out.push_str(op.symbol());
            write_operand(out, operand, matches!(**operand, Node::Binary { .. }))?;
        }
        Node::Binary { op, left, right } => {
            let paren_left =
                matches!(**left, Node::Binary { op: l, .. } if l.precedence() < op.precedence());
            let paren_right =
                matches!(**right, Node::Binary { op: r, .. } if r.precedence() <= op.precedence());
            write_operand(out, left, paren_left)?;
            write!(out, " {} ", op.symbol())?;
            write_operand(out, right, paren_right)?;
        }
        Node::Concat(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut part = String::new();
                write_node(&mut part, item)?;
                if i > 0 {
                    // After a part, `-x`/`+x` would read as subtraction/addition and `(`, `[`, `.` as a
                    // call, index or member access; jsep separates expressions with `,` too.
                    let joined = part.starts_with(['-', '+', '(', '[', '.']);
                    out.push_str(if joined { ", " } else { " " });
                }
                out.push_str(&part);
            }
        }
    }
    Ok(())
}

fn write_operand(out: &mut String, node: &Node, parens: bool) -> fmt::Result {
    if parens {
        out.push('(');
    }
    write_node(out, node)?;
    if parens {
        out.push(')');
    }
    Ok(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c => out.push(c),
        }
    }
    out.push('\'');
}
