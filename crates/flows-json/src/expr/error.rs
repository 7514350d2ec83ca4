//! Typed errors of the expression language, each with the byte range it is about.

use std::fmt;

/// A byte range `start..end` inside the string that was parsed (the whole property value, backticks
/// included), so a diagnostic can point at the exact column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte (equal to `start` for a position between characters).
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// An empty range at `at`.
    pub const fn at(at: usize) -> Self {
        Span { start: at, end: at }
    }
}

/// What went wrong, for callers that branch (never match on the message text).
///
/// The condition kinds (`EmptyCondition` to `UnsupportedOperandType`) are the checks of Meta's `If`
/// condition validator (`WAFlowJSONConditionalRenderingValidatorV500` and its helpers), whose messages are
/// quoted by flow-json-rules.md rule 45; the nested-expression kinds follow the jsep parser the client uses
/// and Meta's `WAFlowsASTTypeValidator`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExprErrorKind {
    // ---- nested expressions: syntax (the client's jsep parser would throw) ----
    /// [`Expr::parse`](super::Expr::parse) was given a value that is not wrapped in backticks.
    NotNested,
    /// A quoted string is not closed.
    UnclosedString,
    /// A `(` is not closed.
    UnclosedParen,
    /// A `[` is not closed.
    UnclosedBracket,
    /// A character that cannot start or continue an expression.
    UnexpectedChar,
    /// An operator without its operand (`1 +`, `-`, `* 2`).
    ExpectedOperand,
    /// A malformed number (`1e`, `1.2.3`, `12abc`).
    InvalidNumber,
    /// Syntax jsep parses but the client cannot evaluate: ternary `?:`, function calls, array literals,
    /// `this`, empty `()`, member access on something that is not a reference.
    UnsupportedSyntax,
    /// An operator the client does not implement (`===`, `!==`, `|`, `&`, `^`, `~`, `<<`, `>>`, `>>>`).
    UnsupportedOperator,
    /// A name that is not a `${...}` reference (`name`, or `first-name` read as `first - name`).
    BareIdentifier,
    /// A `${screen...}` reference without `.data` / `.form`, or with an invalid screen id.
    IncompleteReference,
    /// Nesting deeper than the module accepts (a deeply nested input gets this, not a stack overflow).
    TooDeep,

    // ---- plain bindings ----
    /// A value that starts with `${` and ends with `}` but is not one binding of the form
    /// `${data.x}`, `${form.x}`, `${screen.SCREEN.data.x}` (for example two bindings with text between
    /// them, or a path segment with characters other than letters, digits, `_` and `-`). The client does not
    /// interpolate: it resolves the whole string as one path, which finds nothing, so the value renders empty.
    MalformedBinding,

    // ---- nested expressions: static typing (Meta's WAFlowsASTTypeValidator) ----
    /// The literal `null`: "The keyword 'null' is reserved, please use another expression instead."
    NullLiteral,
    /// A reference to a data field or form component that is not declared.
    UnknownReference,
    /// An operand of the wrong type (arithmetic or `<` on a non-number, `&&` on a non-boolean, `==` between
    /// different types).
    TypeMismatch,
    /// `a[i]` index access: the client evaluates it, but Meta's validator cannot type it and rejects it.
    IndexAccess,

    // ---- If conditions (Meta's condition validator; rule 45) ----
    /// "Expected property 'condition' to contain at least one operand."
    EmptyCondition,
    /// A condition wrapped in backticks: the client's condition parser stops at the backtick and the
    /// condition is always false.
    BacktickCondition,
    /// "Found invalid empty parentheses".
    EmptyParentheses,
    /// "Missing opening parenthesis for the closing parenthesis".
    MissingOpeningParenthesis,
    /// "Missing closing parenthesis."
    MissingClosingParenthesis,
    /// "Found invalid positioning of closing parenthesis."
    MisplacedClosingParenthesis,
    /// "Missing closing quote for string."
    MissingClosingQuote,
    /// "An operator cannot not have literals on both sides. Found invalid syntax" (sic).
    LiteralsOnBothSides,
    /// "Missing operator between 'a' and 'b'".
    MissingOperator,
    /// "Invalid operator 'x'" (a lone `=`, `&` or `|`).
    InvalidOperator,
    /// "Wrong positioning of operator/operand ...": an operator or operand where the grammar or the types
    /// do not allow it.
    MisplacedOperator,
    /// "Invalid operand format '...'": a `$` that does not start a valid `${...}` binding.
    InvalidOperand,
    /// "Invalid literal '...'": a word starting with `t` or `f` that is not `true`/`false`.
    InvalidLiteral,
    /// "Number cannot not have leading zeroes" (sic).
    LeadingZero,
    /// "A numerical value is expected to follow the negative sign".
    MissingNumberAfterMinus,
    /// "Missing operand after last operator 'x'."
    MissingOperandAfterOperator,
    /// "Expected single operand to be a boolean."
    SingleOperandNotBoolean,
    /// "The only operand is a literal value. Expected single operand to be a boolean."
    SingleOperandIsLiteral,
    /// "Type mismatch in an equality operation between 'a' and 'b'".
    EqualityTypeMismatch,
    /// "Operand '...' with type '...' is not supported." (arrays and objects in conditions).
    UnsupportedOperandType,

    // ---- warnings: the client accepts these, but they are almost certainly bugs ----
    /// `${...}` inside a quoted string: the client prints it as text (rewritten to `screen.X.data...`).
    RefInString,
    /// A `}` that is not part of a reference: the client deletes every `}` before parsing.
    DroppedBrace,
    /// A `,` or `;` between parts of a concatenation: the client drops it (the parts are joined with nothing).
    IgnoredSeparator,
    /// A `${...}` inside a literal (non-dynamic) string such as `"Hi ${data.name}"`: the client shows it as
    /// typed; only a whole-string binding or a backtick expression (>= 6.0) is evaluated.
    LiteralInterpolation,
}

/// An error (or, for the warning kinds, a finding) about one expression: what, where, and what to change.
///
/// `Display` prints the message. For `If` conditions the message starts with Meta's own wording (see
/// flow-json-rules.md rule 45) so that it can be searched for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExprError {
    kind: ExprErrorKind,
    span: Span,
    message: String,
}

impl ExprError {
    pub(crate) fn new(kind: ExprErrorKind, span: Span, message: impl Into<String>) -> Self {
        ExprError {
            kind,
            span,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> ExprErrorKind {
        self.kind
    }

    /// Byte offset of the problem in the parsed string.
    pub fn offset(&self) -> usize {
        self.span.start
    }

    /// Byte range of the problem in the parsed string (empty when it is a position).
    pub fn span(&self) -> Span {
        self.span
    }

    /// The message (the same text as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether this is one of the warning kinds (the client accepts the expression but it is almost
    /// certainly not what the author meant).
    pub fn is_warning(&self) -> bool {
        matches!(
            self.kind,
            ExprErrorKind::RefInString
                | ExprErrorKind::DroppedBrace
                | ExprErrorKind::IgnoredSeparator
                | ExprErrorKind::LiteralInterpolation
        )
    }

    /// The same error moved by `by` bytes, for callers that parse a piece of a larger string.
    pub fn shifted(mut self, by: usize) -> Self {
        self.span.start = self.span.start.saturating_add(by);
        self.span.end = self.span.end.saturating_add(by);
        self
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}
