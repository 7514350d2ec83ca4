//! The parser of nested (backtick) expressions: the client's preprocessing, then jsep 0.3.
//!
//! The client does not parse the property value itself [WA WAFlowsASTParser.cleanExpressionForJSEP]: it
//! strips the backticks, rewrites `${data` to `screen.<current>.data` (`${form`, `${external_data` alike,
//! `${screen` to `screen`), deletes every `}`, and hands the rest to jsep. So `${data.a}${data.b}` becomes one
//! identifier `ascreen`, and `'}'` is an empty string. This parser works on the same rewritten text (with
//! each character's place in the original kept for error positions) and follows jsep 0.3's grammar.

use super::ast::{BinaryOp, Expr, MAX_DEPTH, Node, UnaryOp, is_ident_part, is_ident_start};
use super::error::{ExprError, ExprErrorKind, Span};
use super::reference::{Ref, Scope};

/// One character of the rewritten text.
#[derive(Clone, Copy, Debug)]
struct Unit {
    c: char,
    /// Byte range in the original string.
    start: usize,
    end: usize,
    /// Index + 1 of the `${...` rewrite this character comes from (0: written by the author).
    group: usize,
    /// The placeholder for the current screen's id.
    current: bool,
}

/// A rewritten `${data` (etc.): where it was in the original.
#[derive(Clone, Debug)]
struct Group {
    start: usize,
    end: usize,
}

const REWRITES: [(&str, &str); 4] = [
    ("${screen", "screen"),
    ("${data", "screen.\u{0}.data"),
    ("${form", "screen.\u{0}.form"),
    ("${external_data", "screen.\u{0}.external_data"),
];

/// A node under construction, with its source span and depth.
#[derive(Debug)]
struct P {
    kind: PKind,
    span: Span,
    depth: usize,
}

#[derive(Debug)]
enum PKind {
    Number(f64),
    Str(String),
    Bool(bool),
    Null,
    Ref(Ref),
    Index(Box<P>, Box<P>),
    Member(Box<P>, String),
    Unary(UnaryOp, Box<P>),
    Binary(BinaryOp, Box<P>, Box<P>),
    Concat(Vec<P>),
}

/// Binary operators jsep knows, longest first for each length; the ones the client cannot evaluate are
/// errors.
const JSEP_BINARY_OPS: [&str; 21] = [
    "===", "!==", ">>>", "||", "&&", "==", "!=", "<=", ">=", "<<", ">>", "|", "^", "&", "<", ">",
    "+", "-", "*", "/", "%",
];

struct Parser<'a> {
    src: &'a str,
    units: Vec<Unit>,
    groups: Vec<Group>,
    /// Byte offsets of `}` the preprocessing deleted.
    dropped: Vec<usize>,
    i: usize,
    nesting: usize,
    warnings: Vec<ExprError>,
}

/// Parses a whole property value wrapped in backticks.
pub(crate) fn parse(src: &str) -> Result<Expr, ExprError> {
    if !(src.starts_with('`') && src.ends_with('`')) {
        return Err(ExprError::new(
            ExprErrorKind::NotNested,
            Span::at(0),
            "a nested expression is the whole property value wrapped in backticks, as in `${form.age} > 18`",
        ));
    }
    let mut p = Parser::new(src);
    let root = p.parse_top()?;
    let mut spans = Vec::new();
    let root = into_node(root, &mut spans);
    Ok(Expr {
        root,
        spans,
        warnings: p.warnings,
    })
}

fn into_node(p: P, spans: &mut Vec<Span>) -> Node {
    spans.push(p.span);
    match p.kind {
        PKind::Number(x) => Node::Number(x),
        PKind::Str(s) => Node::String(s),
        PKind::Bool(b) => Node::Bool(b),
        PKind::Null => Node::Null,
        PKind::Ref(r) => Node::Ref(r),
        PKind::Index(o, i) => {
            let object = Box::new(into_node(*o, spans));
            let index = Box::new(into_node(*i, spans));
            Node::Index { object, index }
        }
        PKind::Member(o, property) => Node::Member {
            object: Box::new(into_node(*o, spans)),
            property,
        },
        PKind::Unary(op, a) => Node::Unary {
            op,
            operand: Box::new(into_node(*a, spans)),
        },
        PKind::Binary(op, l, r) => {
            let left = Box::new(into_node(*l, spans));
            let right = Box::new(into_node(*r, spans));
            Node::Binary { op, left, right }
        }
        PKind::Concat(items) => {
            Node::Concat(items.into_iter().map(|p| into_node(p, spans)).collect())
        }
    }
}

/// What a member chain has read so far.
enum Chain {
    /// The identifier `screen`.
    Root(Span),
    /// `screen.ID` (`None`: the current screen).
    Screen(Option<String>, Span),
    /// A complete node.
    Node(P),
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        let mut units = Vec::new();
        let mut groups = Vec::new();
        let mut dropped = Vec::new();
        let inner_end = src.len().saturating_sub(1).max(1);
        let mut pos = 1;
        while pos < inner_end {
            let rest = src.get(pos..inner_end).unwrap_or_default();
            if let Some((from, to)) = REWRITES.iter().find(|(from, _)| rest.starts_with(from)) {
                groups.push(Group {
                    start: pos,
                    end: pos + from.len(),
                });
                let group = groups.len();
                for c in to.chars() {
                    let current = c == '\u{0}';
                    units.push(Unit {
                        c: if current { '_' } else { c },
                        start: pos,
                        end: pos + from.len(),
                        group,
                        current,
                    });
                }
                pos += from.len();
                continue;
            }
            let Some(c) = rest.chars().next() else { break };
            if c == '}' {
                dropped.push(pos);
            } else {
                units.push(Unit {
                    c,
                    start: pos,
                    end: pos + c.len_utf8(),
                    group: 0,
                    current: false,
                });
            }
            pos += c.len_utf8();
        }
        // The client's own quoting fix: a final `\'` gets one more backslash [WA cleanExpressionForJSEP].
        if let [.., a, b] = units.as_slice()
            && a.c == '\\'
            && b.c == '\''
            && a.group == 0
            && b.group == 0
        {
            let extra = *a;
            let at = units.len() - 2;
            units.insert(at, extra);
        }
        Parser {
            src,
            units,
            groups,
            dropped,
            i: 0,
            nesting: 0,
            warnings: Vec::new(),
        }
    }

    fn ch(&self) -> Option<char> {
        self.units.get(self.i).map(|u| u.c)
    }

    fn ch_at(&self, i: usize) -> Option<char> {
        self.units.get(i).map(|u| u.c)
    }

    /// Byte offset of unit `i` (the closing backtick past the end).
    fn off(&self, i: usize) -> usize {
        self.units
            .get(i)
            .map_or(self.src.len().saturating_sub(1), |u| u.start)
    }

    fn end_off(&self, i: usize) -> usize {
        match i.checked_sub(1).and_then(|j| self.units.get(j)) {
            Some(u) => u.end,
            None => self.off(i),
        }
    }

    fn span_from(&self, start_unit: usize) -> Span {
        Span::new(
            self.off(start_unit),
            self.end_off(self.i).max(self.off(start_unit)),
        )
    }

    fn err(&self, kind: ExprErrorKind, at: usize, message: impl Into<String>) -> ExprError {
        let start = self.off(at);
        let end = self.units.get(at).map_or(start, |u| u.end);
        ExprError::new(kind, Span::new(start, end), message)
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.nesting += 1;
        if self.nesting > 2 * MAX_DEPTH {
            return Err(self.err(
                ExprErrorKind::TooDeep,
                self.i,
                format!("the expression nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting = self.nesting.saturating_sub(1);
    }

    fn node(&self, kind: PKind, span: Span, children_depth: usize) -> Result<P, ExprError> {
        let depth = children_depth + 1;
        if depth > MAX_DEPTH {
            return Err(ExprError::new(
                ExprErrorKind::TooDeep,
                span,
                format!(
                    "the expression nests deeper than {MAX_DEPTH} levels; split it into simpler parts"
                ),
            ));
        }
        Ok(P { kind, span, depth })
    }

    fn gobble_spaces(&mut self) {
        while matches!(self.ch(), Some(' ' | '\t' | '\n' | '\r')) {
            self.i += 1;
        }
    }

    fn parse_top(&mut self) -> Result<P, ExprError> {
        let mut nodes = Vec::new();
        while self.i < self.units.len() {
            if let Some(c @ (',' | ';')) = self.ch() {
                self.warnings.push(self.err(
                    ExprErrorKind::IgnoredSeparator,
                    self.i,
                    format!(
                        "the client joins the parts of a concatenation with nothing: this `{c}` is dropped; \
                         put it inside quotes to show it"
                    ),
                ));
                self.i += 1;
                continue;
            }
            match self.gobble_expression()? {
                Some(node) => nodes.push(node),
                None => {
                    if self.i < self.units.len() {
                        return Err(self.unexpected(self.i));
                    }
                }
            }
        }
        if nodes.len() == 1
            && let Some(node) = nodes.pop()
        {
            return Ok(node);
        }
        let depth = nodes.iter().map(|n| n.depth).max().unwrap_or(0);
        let span = Span::new(0, self.src.len());
        self.node(PKind::Concat(nodes), span, depth)
    }

    fn unexpected(&self, at: usize) -> ExprError {
        let c = self.ch_at(at).unwrap_or(' ');
        let hint = match c {
            '{' | '$' => {
                "; only `${data...}`, `${form...}` and `${screen...}` references are evaluated"
            }
            '=' => "; compare with `==`",
            '`' => {
                "; only the whole value is wrapped in backticks (write a backtick inside quotes as \\\\`)"
            }
            _ => "",
        };
        self.err(
            ExprErrorKind::UnexpectedChar,
            at,
            format!("unexpected `{c}`{hint}"),
        )
    }

    fn gobble_expression(&mut self) -> Result<Option<P>, ExprError> {
        self.enter()?;
        let test = self.gobble_binary_expression()?;
        self.gobble_spaces();
        if self.ch() == Some('?') {
            return Err(self.err(
                ExprErrorKind::UnsupportedSyntax,
                self.i,
                "the ternary operator `? :` is not supported (Meta: \"Operation ConditionalExpression is not \
                 supported\"); use an If or Switch component, or `visible`, to choose between texts",
            ));
        }
        self.leave();
        Ok(test)
    }

    fn gobble_binary_op(&mut self) -> Option<(&'static str, usize)> {
        self.gobble_spaces();
        let at = self.i;
        for len in [3, 2, 1] {
            let text: Option<String> = (0..len)
                .map(|k| self.units.get(at + k).filter(|u| u.group == 0).map(|u| u.c))
                .collect();
            let Some(text) = text else { continue };
            if let Some(op) = JSEP_BINARY_OPS.iter().find(|op| **op == text) {
                self.i += len;
                return Some((op, at));
            }
        }
        None
    }

    fn binary_op(&self, symbol: &str, at: usize) -> Result<BinaryOp, ExprError> {
        BinaryOp::from_symbol(symbol).ok_or_else(|| {
            let hint = match symbol {
                "===" => "; write `==`",
                "!==" => "; write `!=`",
                "&" => "; write `&&`",
                "|" => "; write `||`",
                _ => "",
            };
            self.err(
                ExprErrorKind::UnsupportedOperator,
                at,
                format!("the client does not evaluate `{symbol}`{hint}"),
            )
        })
    }

    fn gobble_binary_expression(&mut self) -> Result<Option<P>, ExprError> {
        let left = self.gobble_token()?;
        let Some((symbol, at)) = self.gobble_binary_op() else {
            return Ok(left);
        };
        let op = self.binary_op(symbol, at)?;
        let Some(left) = left else {
            return Err(self.err(
                ExprErrorKind::ExpectedOperand,
                at,
                format!("missing operand before `{symbol}`"),
            ));
        };
        let Some(right) = self.gobble_token()? else {
            return Err(self.err(
                ExprErrorKind::ExpectedOperand,
                self.i,
                format!("expected an operand after `{symbol}`"),
            ));
        };
        // jsep's shift-reduce over (operand, operator, operand, ...): equal precedence reduces left first.
        let mut operands = vec![left, right];
        let mut ops = vec![op];
        while let Some((symbol, at)) = self.gobble_binary_op() {
            let op = self.binary_op(symbol, at)?;
            while let Some(top) = ops.last().copied() {
                if op.precedence() > top.precedence() {
                    break;
                }
                ops.pop();
                self.reduce(&mut operands, top)?;
            }
            let Some(next) = self.gobble_token()? else {
                return Err(self.err(
                    ExprErrorKind::ExpectedOperand,
                    self.i,
                    format!("expected an operand after `{symbol}`"),
                ));
            };
            operands.push(next);
            ops.push(op);
        }
        while let Some(top) = ops.pop() {
            self.reduce(&mut operands, top)?;
        }
        match operands.pop() {
            Some(node) if operands.is_empty() => Ok(Some(node)),
            _ => Err(self.err(
                ExprErrorKind::ExpectedOperand,
                self.i,
                "unbalanced operands",
            )),
        }
    }

    fn reduce(&self, operands: &mut Vec<P>, op: BinaryOp) -> Result<(), ExprError> {
        let (Some(right), Some(left)) = (operands.pop(), operands.pop()) else {
            return Err(self.err(
                ExprErrorKind::ExpectedOperand,
                self.i,
                "unbalanced operands",
            ));
        };
        let span = Span::new(left.span.start, right.span.end);
        let depth = left.depth.max(right.depth);
        operands.push(self.node(
            PKind::Binary(op, Box::new(left), Box::new(right)),
            span,
            depth,
        )?);
        Ok(())
    }

    fn gobble_token(&mut self) -> Result<Option<P>, ExprError> {
        self.enter()?;
        self.gobble_spaces();
        let start = self.i;
        let token = match self.ch() {
            None => None,
            Some(c) if c.is_ascii_digit() || c == '.' => Some(self.gobble_number()?),
            Some(q @ ('\'' | '"')) => Some(self.gobble_string(q)?),
            Some('[') => {
                return Err(self.err(
                    ExprErrorKind::UnsupportedSyntax,
                    start,
                    "array literals `[...]` are not supported",
                ));
            }
            Some(c @ ('-' | '!' | '~' | '+'))
                if self.units.get(start).is_some_and(|u| u.group == 0) =>
            {
                self.i += 1;
                let op = match c {
                    '-' => UnaryOp::Neg,
                    '!' => UnaryOp::Not,
                    '+' => UnaryOp::Plus,
                    _ => {
                        return Err(self.err(
                            ExprErrorKind::UnsupportedOperator,
                            start,
                            "the client does not evaluate `~`",
                        ));
                    }
                };
                let Some(operand) = self.gobble_token()? else {
                    return Err(self.err(
                        ExprErrorKind::ExpectedOperand,
                        self.i,
                        format!("expected an operand after `{c}`"),
                    ));
                };
                let depth = operand.depth;
                Some(self.node(
                    PKind::Unary(op, Box::new(operand)),
                    self.span_from(start),
                    depth,
                )?)
            }
            Some(c) if is_ident_start(c) || c == '(' || self.is_current(start) => {
                Some(self.gobble_variable()?)
            }
            Some(_) => None,
        };
        self.leave();
        Ok(token)
    }

    fn is_current(&self, i: usize) -> bool {
        self.units.get(i).is_some_and(|u| u.current)
    }

    fn gobble_number(&mut self) -> Result<P, ExprError> {
        let start = self.i;
        let mut int = String::new();
        while let Some(c) = self.ch().filter(char::is_ascii_digit) {
            int.push(c);
            self.i += 1;
        }
        let mut frac = None;
        if self.ch() == Some('.') {
            self.i += 1;
            let mut f = String::new();
            while let Some(c) = self.ch().filter(char::is_ascii_digit) {
                f.push(c);
                self.i += 1;
            }
            frac = Some(f);
        }
        let mut exp = None;
        if let Some('e' | 'E') = self.ch() {
            self.i += 1;
            let mut e = String::new();
            if let Some(sign @ ('+' | '-')) = self.ch() {
                e.push(sign);
                self.i += 1;
            }
            let digits_start = e.len();
            while let Some(c) = self.ch().filter(char::is_ascii_digit) {
                e.push(c);
                self.i += 1;
            }
            if e.len() == digits_start {
                return Err(self.err(
                    ExprErrorKind::InvalidNumber,
                    self.i,
                    "expected the exponent's digits",
                ));
            }
            exp = Some(e);
        }
        match self.ch() {
            Some(c) if is_ident_start(c) || self.is_current(self.i) => {
                return Err(self.err(
                    ExprErrorKind::InvalidNumber,
                    self.i,
                    "a name cannot start with a digit (a reference right after a number needs a space before it)",
                ));
            }
            Some('.') => {
                return Err(self.err(
                    ExprErrorKind::InvalidNumber,
                    self.i,
                    "unexpected `.` after a number",
                ));
            }
            _ => {}
        }
        if int.is_empty() && frac.as_deref().is_none_or(str::is_empty) {
            return Err(self.err(
                ExprErrorKind::InvalidNumber,
                start,
                "a `.` alone is not a number",
            ));
        }
        let text = format!(
            "{}.{}e{}",
            if int.is_empty() { "0" } else { &int },
            frac.as_deref().filter(|f| !f.is_empty()).unwrap_or("0"),
            exp.as_deref().unwrap_or("0")
        );
        let value = text.parse::<f64>().map_err(|_| {
            self.err(
                ExprErrorKind::InvalidNumber,
                start,
                format!("`{text}` is not a number"),
            )
        })?;
        self.node(PKind::Number(value), self.span_from(start), 0)
    }

    fn gobble_string(&mut self, quote: char) -> Result<P, ExprError> {
        let start = self.i;
        self.i += 1;
        let mut value = String::new();
        let mut last_group = 0;
        let mut has_ref = false;
        loop {
            let Some(u) = self.units.get(self.i).copied() else {
                return Err(self.err(
                    ExprErrorKind::UnclosedString,
                    start,
                    format!("this string is not closed: add a `{quote}`"),
                ));
            };
            self.i += 1;
            if u.group != 0 {
                if u.group != last_group {
                    last_group = u.group;
                    has_ref = true;
                    if let Some(g) = self.groups.get(u.group - 1) {
                        value.push_str(self.src.get(g.start..g.end).unwrap_or_default());
                    }
                }
                continue;
            }
            last_group = 0;
            if u.c == quote {
                break;
            }
            if u.c == '\\' {
                let Some(next) = self.units.get(self.i).copied() else {
                    continue;
                };
                if next.group != 0 {
                    // `\s` is `s`: an escape in front of a rewritten `${...` changes nothing.
                    continue;
                }
                self.i += 1;
                value.push(match next.c {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'v' => '\u{b}',
                    c => c,
                });
                continue;
            }
            value.push(u.c);
        }
        let span = self.span_from(start);
        if has_ref {
            self.warnings.push(ExprError::new(
                ExprErrorKind::RefInString,
                span,
                "a reference inside quotes is not evaluated: the client shows it as text (rewritten to \
                 `screen.<id>.data...`); close the quote before the reference, as in `'Hello ' ${data.name}`",
            ));
        }
        if self.dropped.iter().any(|&b| b > span.start && b < span.end) {
            self.warnings.push(ExprError::new(
                ExprErrorKind::DroppedBrace,
                span,
                "the client deletes every `}` before evaluating, including this one inside quotes",
            ));
        }
        self.node(PKind::Str(value), span, 0)
    }

    /// Identifier or `(`, then `.name`, `[expr]` and `(...)` as jsep's gobbleVariable reads them.
    fn gobble_variable(&mut self) -> Result<P, ExprError> {
        let start = self.i;
        let mut chain = if self.ch() == Some('(') {
            Chain::Node(self.gobble_group()?)
        } else {
            self.gobble_leading_identifier()?
        };
        self.gobble_spaces();
        while let Some(c @ ('.' | '[' | '(')) = self.ch() {
            let at = self.i;
            self.i += 1;
            chain = match c {
                '.' => {
                    self.gobble_spaces();
                    let name_at = self.i;
                    let (name, current) = self.gobble_identifier()?;
                    self.member(chain, name, current, name_at, start)?
                }
                '[' => {
                    let Some(index) = self.gobble_expression()? else {
                        return Err(self.err(
                            ExprErrorKind::ExpectedOperand,
                            self.i,
                            "expected an index inside `[]`",
                        ));
                    };
                    self.gobble_spaces();
                    if self.ch() != Some(']') {
                        return Err(self.err(
                            ExprErrorKind::UnclosedBracket,
                            at,
                            "this `[` is not closed: add a `]`",
                        ));
                    }
                    self.i += 1;
                    let object = self.finish(chain)?;
                    if !matches!(
                        object.kind,
                        PKind::Ref(_) | PKind::Index(..) | PKind::Member(..)
                    ) {
                        return Err(self.err(
                            ExprErrorKind::UnsupportedSyntax,
                            at,
                            "`[...]` can only follow a reference",
                        ));
                    }
                    let depth = object.depth.max(index.depth);
                    let span = self.span_from(start);
                    Chain::Node(self.node(
                        PKind::Index(Box::new(object), Box::new(index)),
                        span,
                        depth,
                    )?)
                }
                _ => {
                    return Err(self.err(
                        ExprErrorKind::UnsupportedSyntax,
                        at,
                        "function calls are not supported (a `(` right after a reference or a `)` is read as \
                         a call: put the parts in separate strings or separate them with `,`)",
                    ));
                }
            };
            self.gobble_spaces();
        }
        self.finish(chain)
    }

    fn gobble_group(&mut self) -> Result<P, ExprError> {
        let open = self.i;
        self.i += 1;
        let node = self.gobble_expression()?;
        self.gobble_spaces();
        if self.ch() != Some(')') {
            return Err(self.err(
                ExprErrorKind::UnclosedParen,
                open,
                "this `(` is not closed: add a `)`",
            ));
        }
        self.i += 1;
        node.ok_or_else(|| {
            self.err(
                ExprErrorKind::UnsupportedSyntax,
                open,
                "empty parentheses `()`",
            )
        })
    }

    /// An identifier: its text, or `None` text with `true` for the current-screen placeholder.
    fn gobble_identifier(&mut self) -> Result<(String, bool), ExprError> {
        let start = self.i;
        match self.units.get(start) {
            Some(u) if u.current => {
                self.i += 1;
                return Ok((String::new(), true));
            }
            Some(u) if is_ident_start(u.c) => {}
            _ => return Err(self.unexpected(start)),
        }
        let mut name = String::new();
        while let Some(u) = self
            .units
            .get(self.i)
            .filter(|u| is_ident_part(u.c) && !u.current)
        {
            name.push(u.c);
            self.i += 1;
        }
        Ok((name, false))
    }

    fn gobble_leading_identifier(&mut self) -> Result<Chain, ExprError> {
        let start = self.i;
        let (name, _) = self.gobble_identifier()?;
        let span = self.span_from(start);
        Ok(match name.as_str() {
            "screen" => Chain::Root(span),
            "true" => Chain::Node(self.node(PKind::Bool(true), span, 0)?),
            "false" => Chain::Node(self.node(PKind::Bool(false), span, 0)?),
            "null" => Chain::Node(self.node(PKind::Null, span, 0)?),
            "this" => {
                return Err(self.err(
                    ExprErrorKind::UnsupportedSyntax,
                    start,
                    "`this` is not supported",
                ));
            }
            _ if name.starts_with('$') && self.ch() == Some('{') => {
                return Err(ExprError::new(
                    ExprErrorKind::BareIdentifier,
                    span,
                    "only `${data...}`, `${form...}` and `${screen...}` references are evaluated",
                ));
            }
            _ => {
                let merged = name.len() > "screen".len() && name.ends_with("screen");
                let hint = if merged {
                    " (two references or a name and a reference written without a space between them run \
                     together: separate them with a space)"
                } else {
                    " (a `-` in a field name reads as minus inside backticks, so `${data.first-name}` is \
                     `${data.first} - name`; rename the field with `_`)"
                };
                return Err(ExprError::new(
                    ExprErrorKind::BareIdentifier,
                    span,
                    format!(
                        "`{name}` is not a reference: write values as `${{data.field}}`, `${{form.field}}` or \
                         `${{screen.SCREEN_ID.data.field}}`, and text in quotes{hint}"
                    ),
                ));
            }
        })
    }

    fn member(
        &self,
        chain: Chain,
        name: String,
        current: bool,
        name_at: usize,
        start: usize,
    ) -> Result<Chain, ExprError> {
        if !current && matches!(name.as_str(), "true" | "false" | "null" | "this") {
            return Err(self.err(
                ExprErrorKind::UnsupportedSyntax,
                name_at,
                format!("`{name}` cannot be used as a property name"),
            ));
        }
        let span = self.span_from(start);
        if current && !matches!(chain, Chain::Root(_)) {
            return Err(self.err(
                ExprErrorKind::BareIdentifier,
                name_at,
                "two references written without a space between them run together into one name:                  separate them with a space",
            ));
        }
        Ok(match chain {
            Chain::Root(_) => Chain::Screen(if current { None } else { Some(name) }, span),
            Chain::Screen(screen, _) => {
                let scope = match (current, name.as_str()) {
                    (false, "data") => Scope::Data,
                    (false, "form") => Scope::Form,
                    _ => {
                        return Err(self.err(
                            ExprErrorKind::IncompleteReference,
                            name_at,
                            format!(
                                "a screen reference continues with `.data` or `.form`, not `.{name}`{}",
                                if name == "external_data" { " (external_data is not supported)" } else { "" }
                            ),
                        ));
                    }
                };
                let r = Ref {
                    screen,
                    scope,
                    path: Vec::new(),
                };
                Chain::Node(self.node(PKind::Ref(r), self.ref_span(span), 0)?)
            }
            Chain::Node(P {
                kind: PKind::Ref(mut r),
                ..
            }) => {
                r.path.push(name);
                Chain::Node(self.node(PKind::Ref(r), self.ref_span(span), 0)?)
            }
            Chain::Node(
                object @ P {
                    kind: PKind::Index(..) | PKind::Member(..),
                    ..
                },
            ) => {
                let depth = object.depth;
                Chain::Node(self.node(PKind::Member(Box::new(object), name), span, depth)?)
            }
            Chain::Node(_) => {
                return Err(self.err(
                    ExprErrorKind::UnsupportedSyntax,
                    name_at,
                    "`.name` can only follow a reference (`${data.a}.b` is `${data.a.b}`)",
                ));
            }
        })
    }

    /// A reference's span, including the `}` that closed it in the original.
    fn ref_span(&self, span: Span) -> Span {
        if self
            .src
            .get(span.end..)
            .is_some_and(|rest| rest.starts_with('}'))
        {
            Span::new(span.start, span.end + 1)
        } else {
            span
        }
    }

    fn finish(&self, chain: Chain) -> Result<P, ExprError> {
        match chain {
            Chain::Node(node) => Ok(node),
            Chain::Root(span) | Chain::Screen(_, span) => Err(ExprError::new(
                ExprErrorKind::IncompleteReference,
                span,
                "a `${screen...}` reference names a screen and a store: `${screen.SCREEN_ID.data.field}` or \
                 `${screen.SCREEN_ID.form.field}`",
            )),
        }
    }
}
