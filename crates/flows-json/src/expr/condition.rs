//! `If.condition` (Flow JSON >= 4.0): a separate mini-language with its own tokenizer, static rules and a
//! stack-based evaluator.
//!
//! Two pieces of Meta's code are ported here, each faithfully, quirks included:
//! - the validator the Builder and the upload run, `WAFlowJSONConditionalRenderingValidatorV500` with its
//!   helpers (`...OperatorHelper`, `...OperandHelper`, `...LiteralHelper`, `...TypeHelper`): the messages of
//!   flow-json-rules.md rule 45 come from there;
//! - the evaluator of the renderer, `WAFlowsConditionalRenderingParser`, which reads the raw string one
//!   character at a time and reduces a single stack (flow-client.md §5.4).

use std::fmt;

use super::error::{ExprError, ExprErrorKind, Span};
use super::js::{JsValue, parse_int, string_to_number};
use super::reference::{Ref, client_binding_path, client_get, client_is_binding};
use super::types::{Type, TypeEnv};
use super::values::Values;

/// A parsed `If` condition such as `${form.age} > 17`, `(${data.a} == 'x') && ${form.agree}`.
///
/// [`Condition::parse`] applies Meta's syntax rules, [`Condition::check`] adds the rules that need the
/// declared data (references exist, operand types), and [`Condition::eval`] evaluates it the way the
/// client does, which is not the way it reads: `&&` takes the operand just before it, and everything else
/// is reduced right to left at the end, so always parenthesise comparisons combined with `&&` or `||`
/// (Meta's validator insists on it).
///
/// ```
/// use flows_json::expr::{Condition, Scope, Type, TypeTable, ValueTable};
/// use serde_json::json;
///
/// let cond = Condition::parse("(${form.age} > 17) && ${form.agree}")?;
/// let env = TypeTable::new("SIGN_UP")
///     .with(Scope::Form, "SIGN_UP", "age", Type::Number)
///     .with(Scope::Form, "SIGN_UP", "agree", Type::Boolean);
/// cond.check(&env)?;
///
/// let values = ValueTable::new("SIGN_UP").with(Scope::Form, "SIGN_UP", json!({"age": "30", "agree": true}));
/// assert!(cond.eval(&values));
///
/// let e = Condition::parse("${form.age} > 17 && ${form.agree}").unwrap_err();
/// assert_eq!(e.kind(), flows_json::expr::ExprErrorKind::MisplacedOperator);
/// # Ok::<(), flows_json::expr::ExprError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition {
    source: String,
    refs: Vec<(Ref, Span)>,
}

impl Condition {
    /// Parses a condition, applying the rules of Meta's validator that need no data declarations:
    /// parentheses, quotes, operators and their placement, literals, "at least one dynamic value".
    /// A condition in backticks is rejected with [`ExprErrorKind::BacktickCondition`]: Meta accepts it from
    /// 6.0, but the client's condition parser evaluates it to false.
    pub fn parse(s: &str) -> Result<Condition, ExprError> {
        let refs = validate(s, None)?;
        Ok(Condition {
            source: s.to_owned(),
            refs,
        })
    }

    /// Applies all of Meta's rules, including the ones that need declarations: every `${...}` is declared,
    /// operands are strings, numbers or booleans, and types fit their operators (`==` same type on both
    /// sides, `>` numbers, `&&` booleans, a lone operand boolean).
    pub fn check(&self, env: &dyn TypeEnv) -> Result<(), ExprError> {
        validate(&self.source, Some(env)).map(|_| ())
    }

    /// The condition as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The references the condition reads, in source order.
    pub fn refs(&self) -> impl Iterator<Item = &Ref> + '_ {
        self.refs.iter().map(|(r, _)| r)
    }

    /// The references with their byte ranges in the condition.
    pub fn ref_spans(&self) -> impl Iterator<Item = (&Ref, Span)> + '_ {
        self.refs.iter().map(|(r, s)| (r, *s))
    }

    /// Evaluates the condition as the client does; `then` is rendered when this is true.
    pub fn eval(&self, values: &dyn Values) -> bool {
        eval_source(&self.source, values)
    }

    /// Evaluates any condition string as the client does, valid or not (the simulator renders what the
    /// phone renders even for a flow the validator would reject). A condition the client would loop on
    /// forever (a `${` without `}`) is false here.
    pub fn eval_source(source: &str, values: &dyn Values) -> bool {
        eval_source(source, values)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

// ------------------------------------------------------------------------------------------------
// The validator [WA WAFlowJSONConditionalRenderingValidatorV500 and helpers]
// ------------------------------------------------------------------------------------------------

/// The type tag of a stack item. `Empty` is the `""` Meta gives operators and parentheses on its stack,
/// `Operator` the `"operator"` it gives an operator being checked; `Unknown` (no declarations, or a field
/// of undeclared type) passes every type test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Boolean,
    Number,
    String,
    Unknown,
    Empty,
    Operator,
}

#[derive(Clone, Debug)]
struct Item {
    value: String,
    ty: Ty,
    literal: bool,
    operand: bool,
    span: Span,
}

struct Check {
    failed: bool,
    previous: Option<Item>,
    message: String,
}

const AND_OR_NOT: [&str; 3] = ["&&", "||", "!"];
const EQUALITY: [&str; 2] = ["==", "!="];
const ORDERING: [&str; 4] = [">", ">=", "<", "<="];
const OPERATOR_INITIALS: [char; 6] = ['!', '&', '|', '=', '>', '<'];
const TWO_CHAR_OPERATORS: [&str; 6] = ["&&", "||", "==", "!=", ">=", "<="];
const SINGLE_OPERATORS: [&str; 3] = ["!", ">", "<"];
const GROUPED_OPERATORS: [&str; 9] = [">", ">=", "<", "<=", "&&", "||", "!", "==", "!="];

fn is_comparison(op: &str) -> bool {
    EQUALITY.contains(&op) || ORDERING.contains(&op)
}

fn number_ok(t: Ty) -> bool {
    matches!(t, Ty::Number | Ty::Unknown)
}

fn boolean_ok(t: Ty) -> bool {
    matches!(t, Ty::Boolean | Ty::Unknown)
}

fn same_type(a: Ty, b: Ty) -> bool {
    a == b || a == Ty::Unknown || b == Ty::Unknown
}

fn ty_name(t: Ty) -> &'static str {
    match t {
        Ty::Boolean => "boolean",
        Ty::Number => "number",
        Ty::String => "string",
        Ty::Unknown => "unknown",
        Ty::Empty => "",
        Ty::Operator => "operator",
    }
}

/// `WAFlowJSONGetPreviousOperand`: the parenthesised group ending at the last `)` when it contains an
/// operator (as one boolean operand), else the last operand. Meta looks at the last `)` anywhere on the
/// stack, not necessarily the one just before the operator being checked; that is kept.
fn previous_operand(stack: &[Item]) -> Option<Item> {
    if let Some(close) = stack.iter().rposition(|x| x.value == ")") {
        let mut depth = 1;
        let mut open = None;
        let mut has_operator = false;
        for (u, item) in stack.iter().enumerate().take(close).rev() {
            if item.value == ")" {
                depth += 1;
            } else if item.value == "(" {
                depth -= 1;
                if depth == 0 {
                    open = Some(u);
                    break;
                }
            } else if GROUPED_OPERATORS.contains(&item.value.as_str()) {
                has_operator = true;
            }
        }
        if let (true, Some(open)) = (has_operator, open) {
            let inner: Vec<&str> = stack
                .get(open + 1..close)
                .unwrap_or_default()
                .iter()
                .map(|x| x.value.as_str())
                .collect();
            let span = Span::new(
                stack.get(open).map_or(0, |x| x.span.start),
                stack.get(close).map_or(0, |x| x.span.end),
            );
            return Some(Item {
                value: format!("({})", inner.join(" ")),
                ty: Ty::Boolean,
                literal: false,
                operand: true,
                span,
            });
        }
    }
    stack.iter().rev().find(|x| x.operand).cloned()
}

fn wrong_position(top: &Item, new: &Item) -> String {
    let what = if new.operand { "operand" } else { "operator" };
    format!(
        "Wrong positioning of {what} '{}'. It cannot be used after '{}'",
        new.value, top.value
    )
}

/// `WAFlowJSONIsValueCompatibleWithPrevious`.
fn compatible(stack: &[Item], new: &Item) -> Check {
    let Some(top) = stack.last() else {
        return Check {
            failed: false,
            previous: None,
            message: String::new(),
        };
    };
    let ended = match top.ty {
        Ty::Boolean => Some(
            !(AND_OR_NOT.contains(&new.value.as_str()) || EQUALITY.contains(&new.value.as_str())),
        ),
        Ty::Number => Some(
            !(ORDERING.contains(&new.value.as_str()) || EQUALITY.contains(&new.value.as_str())),
        ),
        Ty::String => Some(!EQUALITY.contains(&new.value.as_str())),
        _ => None,
    };
    if let Some(failed) = ended {
        return Check {
            failed,
            previous: Some(top.clone()),
            message: wrong_position(top, new),
        };
    }
    let previous = previous_operand(stack).unwrap_or_else(|| top.clone());
    let both_literal = previous.literal && new.literal;
    let (failed, message) = match top.value.as_str() {
        ")" => (
            !(AND_OR_NOT.contains(&new.value.as_str()) || EQUALITY.contains(&new.value.as_str())),
            wrong_position(top, new),
        ),
        ">" | ">=" | "<" | "<=" => (!number_ok(new.ty) || both_literal, wrong_position(top, new)),
        "&&" | "||" => (
            (!boolean_ok(new.ty) && new.value != "!") || both_literal,
            wrong_position(top, new),
        ),
        "!" => (
            !boolean_ok(new.ty) && new.value != "(",
            wrong_position(top, new),
        ),
        "(" => (!new.operand && new.value != "!", wrong_position(top, new)),
        "==" | "!=" => (
            !matches!(new.ty, Ty::String | Ty::Number | Ty::Boolean | Ty::Unknown)
                || !same_type(previous.ty, new.ty)
                || both_literal,
            format!(
                "Type mismatch in an equality operation between '{}' and '{}'",
                previous.value, new.value
            ),
        ),
        _ => (false, String::new()),
    };
    Check {
        failed,
        previous: Some(previous),
        message,
    }
}

fn check_kind(message: &str) -> ExprErrorKind {
    if message.starts_with("Type mismatch") {
        ExprErrorKind::EqualityTypeMismatch
    } else {
        ExprErrorKind::MisplacedOperator
    }
}

fn error(kind: ExprErrorKind, span: Span, meta: &str, hint: &str) -> ExprError {
    let mut message = meta.trim_end_matches('.').to_owned();
    message.push('.');
    if !hint.is_empty() {
        message.push(' ');
        message.push_str(hint);
    }
    ExprError::new(kind, span, message)
}

fn top_is_operand(stack: &[Item]) -> bool {
    stack.last().is_some_and(|x| x.operand)
}

struct Validator<'a> {
    src: &'a str,
    chars: Vec<(usize, char)>,
    env: Option<&'a dyn TypeEnv>,
    stack: Vec<Item>,
    refs: Vec<(Ref, Span)>,
}

fn validate(src: &str, env: Option<&dyn TypeEnv>) -> Result<Vec<(Ref, Span)>, ExprError> {
    if src.trim_matches(' ').is_empty() {
        return Err(error(
            ExprErrorKind::EmptyCondition,
            Span::at(0),
            "Expected property 'condition' to contain at least one operand.",
            "Write a boolean expression such as `${form.agree}` or `${data.count} > 0`",
        ));
    }
    if src.starts_with('`') && src.ends_with('`') {
        return Err(error(
            ExprErrorKind::BacktickCondition,
            Span::new(0, src.len()),
            "A condition in backticks is always false on the client",
            "The client's condition parser stops at the backtick; remove the backticks (conditions have \
             their own syntax: `${form.age} > 17`)",
        ));
    }
    let mut v = Validator {
        src,
        chars: src.char_indices().collect(),
        env,
        stack: Vec::new(),
        refs: Vec::new(),
    };
    v.run()?;
    Ok(v.refs)
}

impl Validator<'_> {
    fn off(&self, p: usize) -> usize {
        self.chars.get(p).map_or(self.src.len(), |c| c.0)
    }

    fn span(&self, from: usize, to_inclusive: usize) -> Span {
        let end = self
            .chars
            .get(to_inclusive)
            .map_or(self.src.len(), |(o, c)| o + c.len_utf8());
        Span::new(self.off(from), end.max(self.off(from)))
    }

    fn char_at(&self, p: usize) -> Option<char> {
        self.chars.get(p).map(|c| c.1)
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to.min(self.chars.len()))
            .unwrap_or_default()
            .iter()
            .map(|c| c.1)
            .collect()
    }

    fn run(&mut self) -> Result<(), ExprError> {
        let mut open: Vec<usize> = Vec::new();
        let mut p = 0;
        while p < self.chars.len() {
            let Some(c) = self.char_at(p) else { break };
            let here = self.span(p, p);
            match c {
                ' ' => {}
                '(' => {
                    open.push(p);
                    self.stack.push(Item {
                        value: "(".into(),
                        ty: Ty::Empty,
                        literal: false,
                        operand: false,
                        span: here,
                    });
                }
                ')' => {
                    if open.is_empty() {
                        return Err(error(
                            ExprErrorKind::MissingOpeningParenthesis,
                            here,
                            "Missing opening parenthesis for the closing parenthesis",
                            "Remove this `)` or add the `(` it closes",
                        ));
                    }
                    if let Some(top) = self.stack.last() {
                        if top.value == "(" {
                            return Err(error(
                                ExprErrorKind::EmptyParentheses,
                                here,
                                "Found invalid empty parentheses",
                                "Put an operand between them or remove them",
                            ));
                        }
                        if !(top.operand || top.value == ")") {
                            return Err(error(
                                ExprErrorKind::MisplacedClosingParenthesis,
                                here,
                                "Found invalid positioning of closing parenthesis.",
                                "An operand must come before `)`",
                            ));
                        }
                    }
                    open.pop();
                    self.stack.push(Item {
                        value: ")".into(),
                        ty: Ty::Empty,
                        literal: false,
                        operand: false,
                        span: here,
                    });
                }
                '$' => p = self.operand(p)?,
                '-' | '\'' | 't' | 'f' => p = self.literal(p)?,
                c if c.is_ascii_digit() => p = self.literal(p)?,
                '\\' => {
                    // Meta's validator reads a stray backslash as an empty number and then fails on
                    // positioning; report it as what it is.
                    return Err(error(
                        ExprErrorKind::UnexpectedChar,
                        here,
                        "Unexpected character '\\'",
                        "A backslash only escapes a quote inside a '...' string",
                    ));
                }
                _ => p = self.operator(p)?,
            }
            p += 1;
        }
        if let Some(&at) = open.last() {
            return Err(error(
                ExprErrorKind::MissingClosingParenthesis,
                self.span(at, at),
                "Missing closing parenthesis.",
                "Add a `)` for this `(`",
            ));
        }
        if let Some(top) = self.stack.last()
            && !top.operand
            && top.value != ")"
        {
            return Err(error(
                ExprErrorKind::MissingOperandAfterOperator,
                top.span,
                &format!("Missing operand after last operator '{}'.", top.value),
                "Add the operand or remove the operator",
            ));
        }
        let items: Vec<&Item> = self
            .stack
            .iter()
            .filter(|x| x.value != "(" && x.value != ")")
            .collect();
        if let [only] = items.as_slice() {
            if !boolean_ok(only.ty) {
                return Err(error(
                    ExprErrorKind::SingleOperandNotBoolean,
                    only.span,
                    "Expected single operand to be a boolean.",
                    &format!(
                        "This operand is a {}; compare it, as in `{} != ''`",
                        ty_name(only.ty),
                        only.value
                    ),
                ));
            }
            if only.literal {
                return Err(error(
                    ExprErrorKind::SingleOperandIsLiteral,
                    only.span,
                    "The only operand is a literal value. Expected single operand to be a boolean.",
                    "A condition must read at least one `${...}` value",
                ));
            }
        }
        Ok(())
    }

    /// `WAFlowJSONValidateIfCompLiteral`: `true`/`false`, `'strings'`, integers.
    fn literal(&mut self, p: usize) -> Result<usize, ExprError> {
        let n = self.chars.len();
        let (value, ty, end) = match self.char_at(p) {
            Some('t' | 'f') => {
                let mut l = p;
                while let Some(c) = self.char_at(l) {
                    if matches!(c, ' ' | '(' | ')' | '$') || OPERATOR_INITIALS.contains(&c) {
                        break;
                    }
                    l += 1;
                }
                let word = self.text(p, l);
                if word != "true" && word != "false" {
                    return Err(error(
                        ExprErrorKind::InvalidLiteral,
                        self.span(p, l.saturating_sub(1)),
                        &format!("Invalid literal '{word}'"),
                        "The only words are `true` and `false`; quote text ('...') and write values as `${data.x}`",
                    ));
                }
                (word, Ty::Boolean, l.saturating_sub(1))
            }
            Some('\'') => {
                let mut r = p;
                loop {
                    match (r + 1..n).find(|&i| self.char_at(i) == Some('\'')) {
                        None => {
                            return Err(error(
                                ExprErrorKind::MissingClosingQuote,
                                self.span(p, p),
                                "Missing closing quote for string.",
                                "Add a `'` to close it",
                            ));
                        }
                        Some(i) => r = i,
                    }
                    if self.char_at(r - 1) != Some('\\') {
                        break;
                    }
                }
                (self.text(p + 1, r), Ty::String, r)
            }
            _ => {
                if self.leading_zero(p) {
                    return Err(error(
                        ExprErrorKind::LeadingZero,
                        self.span(p, p),
                        "Number cannot not have leading zeroes",
                        "Write the number without leading zeros (and 0 without a sign)",
                    ));
                }
                let mut a = p;
                while let Some(c) = self.char_at(a) {
                    if !(c.is_ascii_digit() || (c == '-' && a == p)) {
                        break;
                    }
                    a += 1;
                }
                let text = self.text(p, a);
                if text == "-" {
                    return Err(error(
                        ExprErrorKind::MissingNumberAfterMinus,
                        self.span(p, p),
                        "A numerical value is expected to follow the negative sign",
                        "Conditions have no subtraction; `-` only starts a negative integer",
                    ));
                }
                (text, Ty::Number, a.saturating_sub(1))
            }
        };
        let item = Item {
            value,
            ty,
            literal: true,
            operand: true,
            span: self.span(p, end),
        };
        let check = compatible(&self.stack, &item);
        if check.failed {
            let both_literals =
                !top_is_operand(&self.stack) && check.previous.as_ref().is_some_and(|x| x.literal);
            return Err(if both_literals {
                error(
                    ExprErrorKind::LiteralsOnBothSides,
                    item.span,
                    "An operator cannot not have literals on both sides. Found invalid syntax",
                    "The result would never change; compare a `${...}` value",
                )
            } else {
                error(check_kind(&check.message), item.span, &check.message, "")
            });
        }
        self.stack.push(item);
        Ok(end)
    }

    /// The leading-zero test `/^(0[0-9]|-0).*$/` on the rest of the condition (`.` stops at line ends).
    fn leading_zero(&self, p: usize) -> bool {
        let a = self.char_at(p);
        let b = self.char_at(p + 1);
        let prefix = matches!((a, b), (Some('0'), Some(d)) if d.is_ascii_digit())
            || (a, b) == (Some('-'), Some('0'));
        prefix
            && !self
                .chars
                .iter()
                .skip(p + 2)
                .any(|(_, c)| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'))
    }

    /// `WAFlowJSONValidateIfCompOperand`: a `${...}` binding.
    fn operand(&mut self, p: usize) -> Result<usize, ExprError> {
        let invalid = |v: &Self, text: &str| {
            error(
                ExprErrorKind::InvalidOperand,
                v.span(p, p),
                &format!("Invalid operand format '{text}'"),
                "A value is written `${data.field}`, `${form.field}` or `${screen.SCREEN_ID.data.field}`",
            )
        };
        if self.char_at(p + 1) != Some('{') {
            return Err(invalid(self, ""));
        }
        let Some(close) = (p..self.chars.len()).find(|&i| self.char_at(i) == Some('}')) else {
            return Err(invalid(self, ""));
        };
        let text = self.text(p, close + 1);
        let span = self.span(p, close);
        let Ok(r) = Ref::parse(&text) else {
            return Err(error(
                ExprErrorKind::InvalidOperand,
                span,
                &format!("Invalid operand format '{text}'"),
                "A value is written `${data.field}`, `${form.field}` or `${screen.SCREEN_ID.data.field}`",
            ));
        };
        let ty = match self.env {
            None => Ty::Unknown,
            Some(env) => match env.type_of(&r) {
                None => {
                    let field = r.field().unwrap_or_default();
                    let meta = match &r.screen {
                        None => format!("Missing dynamic data '{field}' in the screen data model."),
                        Some(s) => {
                            format!("Global dynamic data '{field}' does not exist on screen '{s}'.")
                        }
                    };
                    return Err(error(
                        ExprErrorKind::UnknownReference,
                        span,
                        &meta,
                        &super::infer::unknown_reference(&r, span, env).to_string(),
                    ));
                }
                Some(Type::String) => Ty::String,
                Some(Type::Number) => Ty::Number,
                Some(Type::Boolean) => Ty::Boolean,
                Some(Type::Unknown) => Ty::Unknown,
                Some(t @ (Type::Array(_) | Type::Object(_))) => {
                    let kind = if matches!(t, Type::Array(_)) {
                        "array"
                    } else {
                        "object"
                    };
                    return Err(error(
                        ExprErrorKind::UnsupportedOperandType,
                        span,
                        &format!("Operand '{text}' with type '{kind}' is not supported."),
                        "Conditions compare strings, numbers and booleans",
                    ));
                }
            },
        };
        if let Some(top) = self.stack.last().filter(|x| x.operand) {
            return Err(error(
                ExprErrorKind::MissingOperator,
                span,
                &format!("Missing operator between '{}' and '{text}'", top.value),
                "Join them with `&&`, `||`, `==`, `!=`, `>`, `>=`, `<` or `<=`",
            ));
        }
        let item = Item {
            value: text,
            ty,
            literal: false,
            operand: true,
            span,
        };
        let check = compatible(&self.stack, &item);
        if check.failed {
            return Err(error(check_kind(&check.message), span, &check.message, ""));
        }
        self.stack.push(item);
        self.refs.push((r, span));
        Ok(close)
    }

    /// `validateOperator`.
    fn operator(&mut self, p: usize) -> Result<usize, ExprError> {
        let Some(c) = self.char_at(p) else {
            return Ok(p);
        };
        if !OPERATOR_INITIALS.contains(&c) {
            let hint = match c {
                '`' => "Conditions are not nested expressions: remove the backticks",
                '"' => "Quote strings with '...'",
                '.' => "Conditions compare integers only",
                _ if c.is_whitespace() => "Only spaces separate tokens in a condition",
                _ => "Write values as `${data.field}` and text in '...'",
            };
            return Err(error(
                ExprErrorKind::UnexpectedChar,
                self.span(p, p),
                &format!("Unexpected character '{c}'"),
                hint,
            ));
        }
        let two = self.text(p, p + 2);
        let (op, end) = if p + 1 < self.chars.len() && TWO_CHAR_OPERATORS.contains(&two.as_str()) {
            (two, p + 1)
        } else {
            (c.to_string(), p)
        };
        let span = self.span(p, end);
        if op.chars().count() == 1 && !SINGLE_OPERATORS.contains(&op.as_str()) {
            let hint = match c {
                '=' => "Compare with `==`",
                '&' => "Write `&&`",
                _ => "Write `||`",
            };
            return Err(error(
                ExprErrorKind::InvalidOperator,
                span,
                &format!("Invalid operator '{op}'"),
                hint,
            ));
        }
        let after_operand = self
            .stack
            .last()
            .is_some_and(|x| x.operand || x.value == ")");
        let prefix_not = op == "!"
            && self
                .stack
                .last()
                .is_none_or(|x| ["&&", "||", "("].contains(&x.value.as_str()));
        if p + 1 >= self.chars.len() || !(after_operand || prefix_not) {
            return Err(error(
                ExprErrorKind::MisplacedOperator,
                span,
                &format!("Wrong positioning of operator '{op}'"),
                "A binary operator goes between two operands; `!` goes before one",
            ));
        }
        if let Some(prev) = self.stack.iter().rev().find(|x| !x.operand)
            && prev.value != "("
            && prev.value != ")"
            && (is_comparison(&prev.value) || is_comparison(&op))
        {
            return Err(error(
                ExprErrorKind::MisplacedOperator,
                span,
                &format!(
                    "Wrong positioning of operator '{op}'. It cannot be used in concatenation with '{}'",
                    prev.value
                ),
                "Put each comparison in parentheses, as in `(${data.a} > 1) && (${data.b} == 'x')`: the client \
                 does not give comparisons precedence",
            ));
        }
        let candidate = Item {
            value: op.clone(),
            ty: Ty::Operator,
            literal: false,
            operand: false,
            span,
        };
        let check = compatible(&self.stack, &candidate);
        if check.failed {
            return Err(error(check_kind(&check.message), span, &check.message, ""));
        }
        self.stack.push(Item {
            value: op,
            ty: Ty::Empty,
            literal: false,
            operand: false,
            span,
        });
        Ok(end)
    }
}

// ------------------------------------------------------------------------------------------------
// The evaluator [WA WAFlowsConditionalRenderingParser]
// ------------------------------------------------------------------------------------------------

/// The operators the evaluator reduces (`"()"` is tokenized but has no handler: it gives false).
const EVAL_OPERATORS: [&str; 10] = ["&&", "||", ">", ">=", "<", "<=", "==", "!", "!=", "()"];

/// How many times the final reduction runs [WA WAFlowsWhileLoopWithLimit, default limit 100].
const FINAL_REDUCTIONS: usize = 100;

struct Machine<'a> {
    chars: Vec<char>,
    values: &'a dyn Values,
    stack: Vec<JsValue>,
    parens: Vec<usize>,
}

fn op_is(v: &JsValue, op: &str) -> bool {
    matches!(v, JsValue::String(s) if s == op)
}

fn eval_source(source: &str, values: &dyn Values) -> bool {
    let mut m = Machine {
        chars: source.chars().collect(),
        values,
        stack: Vec::new(),
        parens: Vec::new(),
    };
    let len = m.chars.len();
    // The client restarts from the beginning when a `${` has no `}` and never terminates; a bound on
    // the steps turns that into `false`.
    let mut steps = 0_usize;
    let limit = len.saturating_mul(4).saturating_add(16);
    let mut l: usize = 0;
    while l < len {
        steps += 1;
        if steps > limit {
            return false;
        }
        let Some(&c) = m.chars.get(l) else { break };
        let next = match c {
            '!' | '=' | '&' | '|' | '>' | '<' | '(' => Some(m.operator(l)),
            '$' => m.variable(l),
            ')' => {
                m.close_paren();
                Some(l)
            }
            '\'' => Some(m.string(l)),
            '-' | '0'..='9' => Some(m.number(l)),
            ' ' => Some(l),
            't' | 'f' => Some(m.boolean(l)),
            _ => return false,
        };
        match next {
            Some(n) => l = n + 1,
            None => l = 0,
        }
    }
    if m.stack.len() > 1 {
        for _ in 0..FINAL_REDUCTIONS {
            m.reduce(true);
        }
    }
    matches!(m.stack.pop(), Some(JsValue::Bool(true)))
}

impl Machine<'_> {
    fn text(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from..to.min(self.chars.len()))
            .unwrap_or_default()
            .iter()
            .collect()
    }

    fn push_operand(&mut self, v: JsValue) {
        self.stack.push(v);
        if self.stack.len() > 1 {
            self.reduce(false);
        }
    }

    /// `${...}` up to the first `}`; `None` when there is none (the client jumps back to the start).
    fn variable(&mut self, n: usize) -> Option<usize> {
        if self.chars.get(n + 1) != Some(&'{') {
            return Some(n);
        }
        let close = (n..self.chars.len()).find(|&i| self.chars.get(i) == Some(&'}'))?;
        let text = self.text(n, close + 1);
        let value = if client_is_binding(&text) {
            let path = client_binding_path(&text, self.values.current_screen());
            client_get(self.values, &path).unwrap_or(JsValue::Null)
        } else {
            JsValue::String(text)
        };
        self.push_operand(value);
        Some(close)
    }

    fn operator(&mut self, o: usize) -> usize {
        if o + 1 < self.chars.len() {
            let two = self.text(o, o + 2);
            if EVAL_OPERATORS.contains(&two.as_str()) {
                self.stack.push(JsValue::String(two));
                return o + 1;
            }
        }
        let c = self.chars.get(o).copied().unwrap_or(' ');
        if c == '(' {
            self.parens.push(self.stack.len());
        }
        self.stack.push(JsValue::String(c.to_string()));
        o
    }

    fn close_paren(&mut self) {
        let Some(open) = self.parens.pop() else {
            return;
        };
        let mut o = self.stack.len();
        loop {
            if o < open {
                break;
            }
            self.reduce(true);
            match o.checked_sub(2) {
                Some(next) => o = next,
                None => break,
            }
        }
    }

    fn string(&mut self, n: usize) -> usize {
        let find =
            |from: usize| (from..self.chars.len()).find(|&i| self.chars.get(i) == Some(&'\''));
        let mut r = find(n + 1);
        while let Some(i) = r {
            if i > 0 && self.chars.get(i - 1) == Some(&'\\') {
                r = find(i + 1);
            } else {
                break;
            }
        }
        let Some(r) = r else { return self.chars.len() };
        // The text between the quotes, backslashes and all: the evaluator does not unescape.
        let text = self.text(n + 1, r);
        self.push_operand(JsValue::String(text));
        r
    }

    fn number(&mut self, n: usize) -> usize {
        let mut r = n;
        while let Some(&c) = self.chars.get(r) {
            if !(c.is_ascii_digit() || (r == n && c == '-')) {
                break;
            }
            r += 1;
        }
        let text = self.text(n, r);
        self.push_operand(JsValue::Number(parse_int(&JsValue::String(text))));
        if r > 0 { r - 1 } else { r }
    }

    /// `true`/`false`: reads 4 or 5 characters by the initial, and returns the index after them, so the
    /// character right after the literal is skipped (`(${form.ok} == true)` loses its `)`).
    fn boolean(&mut self, n: usize) -> usize {
        let len = if self.chars.get(n) == Some(&'t') {
            4
        } else {
            5
        };
        let text = self.text(n, n + len);
        self.push_operand(JsValue::Bool(text == "true"));
        n + len
    }

    fn reduce(&mut self, force: bool) {
        let below = self
            .stack
            .len()
            .checked_sub(2)
            .and_then(|i| self.stack.get(i))
            .cloned();
        let Some(below) = below else { return };
        if op_is(&below, "!") || (force && op_is(&below, "(")) {
            let top = self.stack.pop().unwrap_or(JsValue::Undefined);
            let marker = self.stack.pop().unwrap_or(JsValue::Undefined);
            let v = if op_is(&marker, "!") {
                apply(&top, "!", &JsValue::Undefined)
            } else {
                top
            };
            self.stack.push(v);
            return;
        }
        if let JsValue::String(op) = &below
            && EVAL_OPERATORS.contains(&op.as_str())
            && (force || op == "&&")
        {
            let right = self.stack.pop().unwrap_or(JsValue::Undefined);
            let op = self.stack.pop().unwrap_or(JsValue::Undefined);
            let left = self.stack.pop().unwrap_or(JsValue::Undefined);
            let JsValue::String(op) = op else { return };
            self.stack.push(apply(&right, &op, &left));
        }
    }
}

/// `isParseableToNumber` [WA WAFlowsTypeGuards]: a number (even `NaN`), or a non-empty string that
/// converts to a number.
fn parseable(v: &JsValue) -> bool {
    match v {
        JsValue::Number(_) => true,
        JsValue::String(s) => !s.is_empty() && !string_to_number(s).is_nan(),
        _ => false,
    }
}

fn is_empty_string(v: &JsValue) -> bool {
    matches!(v, JsValue::String(s) if s.is_empty())
}

/// The client's `D(right, op, left)`: operands that both parse as numbers are compared as `parseInt`
/// integers; the operator functions check JavaScript types.
fn apply(right: &JsValue, op: &str, left: &JsValue) -> JsValue {
    let numeric = parseable(right) && parseable(left);
    let (l, r) = if numeric {
        (
            JsValue::Number(parse_int(left)),
            JsValue::Number(parse_int(right)),
        )
    } else {
        (left.clone(), right.clone())
    };
    let ordered = |f: fn(f64, f64) -> bool| match (&l, &r) {
        (JsValue::Number(a), JsValue::Number(b)) => f(*a, *b),
        _ => false,
    };
    let equal = || {
        if is_empty_string(left) || is_empty_string(right) {
            left.strict_equals(right) || left.is_nullish() || right.is_nullish()
        } else {
            l.strict_equals(&r)
        }
    };
    let result = match op {
        "&&" => matches!((left, right), (JsValue::Bool(true), JsValue::Bool(true))),
        "||" => matches!(left, JsValue::Bool(true)) || matches!(right, JsValue::Bool(true)),
        "!" => matches!(right, JsValue::Bool(false)),
        ">" => ordered(|a, b| a > b),
        ">=" => ordered(|a, b| a >= b),
        "<" => ordered(|a, b| a < b),
        "<=" => ordered(|a, b| a <= b),
        "==" => equal(),
        "!=" => {
            if is_empty_string(left) || is_empty_string(right) {
                !equal()
            } else {
                !l.strict_equals(&r)
            }
        }
        _ => false,
    };
    JsValue::Bool(result)
}
