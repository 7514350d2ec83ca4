//! `If.condition`: the client's evaluator (WAFlowsConditionalRenderingParser, flow-client.md §5.4) and
//! Meta's validator (WAFlowJSONConditionalRenderingValidatorV500, flow-json-rules.md rule 45), with the
//! examples of Meta's component reference and error-code pages (copies read:
//! `eudresfs/whatsapp-flows` docs/reference/components.md and docs/reference/error-codes.md @ ad906004).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use flows_json::expr::{Condition, ExprErrorKind, Scope, Type, TypeTable, ValueTable};
use serde_json::json;

fn values() -> ValueTable {
    ValueTable::new("S")
        .with(
            Scope::Data,
            "S",
            json!({"n": 5, "num_s": "12", "s": "abc", "empty": "", "t": true, "f": false, "q": "it's",
                   "q_raw": "it\\'s", "price": 10, "list": [1]}),
        )
        .with(Scope::Form, "S", json!({"age": "20", "frac": "17.9", "opt_in": true, "city": "London", "address": ""}))
        .with(Scope::Data, "OTHER", json!({"x": "yes"}))
}

fn env() -> TypeTable {
    TypeTable::new("S")
        .with(Scope::Data, "S", "n", Type::Number)
        .with(Scope::Data, "S", "num_value", Type::Number)
        .with(Scope::Data, "S", "num_value2", Type::Number)
        .with(Scope::Data, "S", "s", Type::String)
        .with(Scope::Data, "S", "string_value", Type::String)
        .with(Scope::Data, "S", "t", Type::Boolean)
        .with(Scope::Data, "S", "f", Type::Boolean)
        .with(Scope::Data, "S", "boolean_value", Type::Boolean)
        .with(
            Scope::Data,
            "S",
            "list",
            Type::Array(Box::new(Type::Number)),
        )
        .with(Scope::Form, "S", "opt_in", Type::Boolean)
        .with(Scope::Form, "S", "value1", Type::Boolean)
        .with(Scope::Form, "S", "address", Type::String)
        .with(Scope::Form, "S", "city", Type::String)
        .with(Scope::Form, "S", "age", Type::Number)
        .with(Scope::Data, "OTHER", "x", Type::String)
}

fn eval(src: &str) -> bool {
    Condition::eval_source(src, &values())
}

#[test]
fn evaluation_basics() {
    let cases = [
        ("${data.t}", true),
        ("${data.f}", false),
        ("!${data.f}", true),
        ("!!${data.f}", false),
        // A lone string is not the boolean `true`.
        ("${data.s}", false),
        ("${data.n} == 5", true),
        ("${data.num_s} == 12", true),
        ("${data.s} == 'abc'", true),
        ("${data.s} != 'abc'", false),
        ("${data.t} == true", true),
        ("${data.f} != true", true),
        ("${form.age} > 17", true),
        ("${form.age} >= 21", false),
        ("${screen.OTHER.data.x} == 'yes'", true),
        // Missing values are null; `==` with an empty string side is true when the other is missing.
        ("${data.missing} == ''", true),
        ("${data.empty} == ''", true),
        ("${data.s} == ''", false),
        ("${data.missing} != ''", false),
        ("(${data.n} > 1)", true),
        ("((${data.n} > 1))", true),
    ];
    for (src, want) in cases {
        assert_eq!(eval(src), want, "{src}");
    }
}

#[test]
fn numbers_are_integers_compared_with_parse_int() {
    // "17.9" parses as a number, then parseInt makes it 17.
    assert!(!eval("${form.frac} > 17"));
    assert!(eval("${form.frac} == 17"));
    // A decimal literal: the tokenizer does not know `.`, and any unknown character makes it false.
    assert!(!eval("${data.price} > 1.5"));
    assert!(eval("${data.price} > -1"));
}

#[test]
fn any_unexpected_character_makes_the_condition_false() {
    // Backticks: a nested expression is not a condition (flow-client.md §5.4).
    assert!(!eval("`${data.t}`"));
    assert!(!eval("`${data.n} > 1`"));
    assert!(!eval("${data.s} == \"abc\""));
    assert!(!eval("${data.t}\t"));
    assert!(!eval("${data.t} && ${data.t}\n"));
}

#[test]
fn and_takes_the_operand_just_before_it() {
    // `&&` reduces as soon as its right operand arrives, with the operand right before it: here `5 && t`,
    // which is false (5 is not a boolean); then `n == false`. Logically the condition is true.
    assert!(!eval("${data.n} == 5 && ${data.t}"));
    // Parenthesised, it means what it says.
    assert!(eval("(${data.n} == 5) && ${data.t}"));
    assert!(eval("${data.t} && (${data.n} == 5)"));
    // `||` and comparisons reduce right to left at the end.
    assert!(eval("${data.f} || ${data.t}"));
    assert!(eval("(${data.n} == 5) || (${data.n} == 6)"));
}

#[test]
fn the_character_after_true_or_false_is_skipped() {
    // The boolean literal reader returns the index after the literal and the loop steps once more, so the
    // `)` right after `true` is lost and the group is reduced right to left with `||` inside it:
    // `f == (true || t)`, which is false. Logically the condition is true.
    assert!(!eval("(${data.f} == true) || ${data.t}"));
    // With a space before `)`, the space is what gets skipped.
    assert!(eval("(${data.f} == true ) || ${data.t}"));
}

#[test]
fn quoted_text_is_compared_without_unescaping() {
    // The evaluator keeps backslashes: 'it\'s' is the text `it\'s`.
    assert!(!eval(r"${data.q} == 'it\'s'"));
    assert!(eval(r"${data.q_raw} == 'it\'s'"));
}

#[test]
fn a_reference_without_closing_brace_is_false_instead_of_a_hang() {
    assert!(!eval("${data.t"));
    assert!(!eval("${data.t} && ${data.t"));
}

#[test]
fn documented_examples_are_valid_and_evaluate() {
    // Meta's component reference, If, "Supported Operators".
    let v = values();
    let cases = [
        ("${form.opt_in} || (${data.num_value} > 5)", true),
        ("${form.opt_in} && (${form.address} != '')", false),
        // `!` of a missing value (null) is false: NOT needs an actual boolean.
        ("!${form.value1}", false),
        ("${form.opt_in} == true", true),
        ("${data.num_value} == 5", false),
        ("${form.city} == 'London'", true),
        ("${form.opt_in} != true", false),
        ("${data.num_value} != 5", true),
        ("${form.city} != 'London'", false),
        ("${form.opt_in} && ${data.boolean_value}", false),
        ("${form.opt_in} || ${data.boolean_value}", true),
        ("!(${form.opt_in} || ${data.boolean_value})", false),
        ("!(${data.num_value} > 5)", true),
        ("${data.num_value} > 5", false),
        ("${data.num_value} > ${data.num_value2}", false),
        ("${data.num_value} >= 5", false),
        ("${data.num_value} >= ${data.num_value}", false),
        ("${data.num_value} < 5", false),
        ("${data.num_value} <= ${data.num_value}", false),
    ];
    for (src, want) in cases {
        let c = Condition::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        c.check(&env()).unwrap_or_else(|e| panic!("{src}: {e}"));
        // num_value, value1 and boolean_value have no value: null compares false everywhere.
        assert_eq!(c.eval(&v), want, "{src}");
    }
}

#[test]
fn conditions_from_a_published_flow_are_valid() {
    // Orenda-Project/NIETE-Rumi docs/flows/observe2-field-form.json @ 0beb596d (Flow JSON 7.3): single
    // comparisons only, because Meta rejected the combined form (see `meta_rejects_two_grouped_comparisons`).
    let env = TypeTable::new("PART_ONE")
        .with(Scope::Form, "PART_ONE", "p1_groups", Type::String)
        .with(Scope::Form, "PART_ONE", "p1_change", Type::String);
    for src in [
        "${form.p1_groups} != 'none'",
        "${form.p1_groups} != 'cannot'",
        "${form.p1_change} == 'yes'",
    ] {
        Condition::parse(src)
            .unwrap()
            .check(&env)
            .unwrap_or_else(|e| panic!("{src}: {e}"));
    }
    let v =
        ValueTable::new("PART_ONE").with(Scope::Form, "PART_ONE", json!({"p1_groups": "roles"}));
    assert!(
        Condition::parse("${form.p1_groups} != 'none'")
            .unwrap()
            .eval(&v)
    );
    assert!(
        !Condition::parse("${form.p1_change} == 'yes'")
            .unwrap()
            .eval(&v)
    );
}

#[test]
fn meta_rejects_two_grouped_comparisons() {
    // Meta's validator takes the group ending at the last `)` as the left side of the next `==`/`!=`, so
    // two parenthesised comparisons joined by `&&` are a type mismatch. Observed on Meta's sandbox with
    // exactly this message: "Type mismatch in an equality operation between '(${form.p1_groups} != none)'
    // and 'cannot'" (recorded in Orenda-Project/NIETE-Rumi tests, code index id 70549473550).
    let env = TypeTable::new("PART_ONE").with(Scope::Form, "PART_ONE", "p1_groups", Type::String);
    // The literal 'cannot' has a known type, so this fails without the declarations already.
    let e = Condition::parse("(${form.p1_groups} != 'none') && (${form.p1_groups} != 'cannot')")
        .unwrap_err();
    assert_eq!(e.kind(), ExprErrorKind::EqualityTypeMismatch);
    assert!(
        e.message()
            .starts_with("Type mismatch in an equality operation between '(${form.p1_groups} != none)' and 'cannot'"),
        "{e}"
    );
    // Without the parentheses the comparison cannot be combined at all.
    let e = Condition::parse("${form.p1_groups} != 'none' && ${form.p1_groups} != 'cannot'")
        .unwrap_err();
    assert_eq!(e.kind(), ExprErrorKind::MisplacedOperator);
    assert!(e.message().starts_with(
        "Wrong positioning of operator '&&'. It cannot be used in concatenation with '!='"
    ));
    // A grouped comparison against a boolean is fine.
    let env = env.with(Scope::Form, "PART_ONE", "ok", Type::Boolean);
    Condition::parse("(${form.p1_groups} != 'none') && (${form.ok} == true)")
        .unwrap()
        .check(&env)
        .unwrap();
}

/// (condition, kind, byte offset, start of Meta's message)
const SYNTAX_ERRORS: &[(&str, ExprErrorKind, usize, &str)] = &[
    // The error-code page's own examples.
    (
        "",
        ExprErrorKind::EmptyCondition,
        0,
        "Expected property 'condition' to contain at least one operand.",
    ),
    (
        " ",
        ExprErrorKind::EmptyCondition,
        0,
        "Expected property 'condition' to contain at least one operand.",
    ),
    (
        "( )",
        ExprErrorKind::EmptyParentheses,
        2,
        "Found invalid empty parentheses",
    ),
    (
        "573 == 376",
        ExprErrorKind::LiteralsOnBothSides,
        7,
        "An operator cannot not have literals on both sides.",
    ),
    (
        "))${data.value_1}((",
        ExprErrorKind::MissingOpeningParenthesis,
        0,
        "Missing opening parenthesis for the closing parenthesis",
    ),
    (
        "true",
        ExprErrorKind::SingleOperandIsLiteral,
        0,
        "The only operand is a literal value.",
    ),
    // The other messages of rule 45.
    (
        "(${data.t}",
        ExprErrorKind::MissingClosingParenthesis,
        0,
        "Missing closing parenthesis.",
    ),
    (
        "${data.s} == 'abc",
        ExprErrorKind::MissingClosingQuote,
        13,
        "Missing closing quote for string.",
    ),
    (
        "${data.a} ${data.b}",
        ExprErrorKind::MissingOperator,
        10,
        "Missing operator between '${data.a}' and '${data.b}'",
    ),
    (
        "${data.n} = 5",
        ExprErrorKind::InvalidOperator,
        10,
        "Invalid operator '='",
    ),
    (
        "${data.t} & ${data.f}",
        ExprErrorKind::InvalidOperator,
        10,
        "Invalid operator '&'",
    ),
    (
        "${data.n} == 05",
        ExprErrorKind::LeadingZero,
        13,
        "Number cannot not have leading zeroes",
    ),
    (
        "${data.n} > -a",
        ExprErrorKind::MissingNumberAfterMinus,
        12,
        "A numerical value is expected to follow the negative sign",
    ),
    (
        "${data.n} ==",
        ExprErrorKind::MissingOperandAfterOperator,
        10,
        "Missing operand after last operator '=='.",
    ),
    (
        "${data.n} >",
        ExprErrorKind::MisplacedOperator,
        10,
        "Wrong positioning of operator '>'",
    ),
    (
        "== ${data.n}",
        ExprErrorKind::MisplacedOperator,
        0,
        "Wrong positioning of operator '=='",
    ),
    (
        "${data.t} == tru",
        ExprErrorKind::InvalidLiteral,
        13,
        "Invalid literal 'tru'",
    ),
    (
        "'abc'",
        ExprErrorKind::SingleOperandNotBoolean,
        0,
        "Expected single operand to be a boolean.",
    ),
    (
        "$data.x == 1",
        ExprErrorKind::InvalidOperand,
        0,
        "Invalid operand format",
    ),
    (
        "${datax} == 1",
        ExprErrorKind::InvalidOperand,
        0,
        "Invalid operand format '${datax}'",
    ),
    (
        "${data.n} > 1.5",
        ExprErrorKind::UnexpectedChar,
        13,
        "Unexpected character '.'",
    ),
    (
        "${data.n} > 1 && ${data.t}",
        ExprErrorKind::MisplacedOperator,
        14,
        "Wrong positioning of operator '&&'. It cannot be used in concatenation with '>'",
    ),
    (
        "${data.n} > 1 > 2",
        ExprErrorKind::MisplacedOperator,
        14,
        "Wrong positioning of operator '>'. It cannot be used in concatenation with '>'",
    ),
    (
        "!${data.n} == 1",
        ExprErrorKind::MisplacedOperator,
        11,
        "Wrong positioning of operator '=='. It cannot be used in concatenation with '!'",
    ),
    (
        "${data.t} == !${data.f}",
        ExprErrorKind::MisplacedOperator,
        13,
        "Wrong positioning of operator '!'",
    ),
    (
        "${data.t} )",
        ExprErrorKind::MissingOpeningParenthesis,
        10,
        "Missing opening parenthesis",
    ),
    (
        "(${data.t} ==)",
        ExprErrorKind::MisplacedClosingParenthesis,
        13,
        "Found invalid positioning of closing parenthesis.",
    ),
    (
        "`${data.t}`",
        ExprErrorKind::BacktickCondition,
        0,
        "A condition in backticks is always false on the client.",
    ),
    (
        "${data.t} `x`",
        ExprErrorKind::UnexpectedChar,
        10,
        "Unexpected character '`'",
    ),
    (
        "${data.t} \\",
        ExprErrorKind::UnexpectedChar,
        10,
        "Unexpected character '\\'",
    ),
    // Literals have types of their own.
    (
        "${data.n} > 'x'",
        ExprErrorKind::MisplacedOperator,
        12,
        "Wrong positioning of operand 'x'. It cannot be used after '>'",
    ),
    (
        "${data.t} && 5",
        ExprErrorKind::MisplacedOperator,
        13,
        "Wrong positioning of operand '5'. It cannot be used after '&&'",
    ),
    // The group ending at the last `)` is the left side of a later `==`: Meta's own quirk.
    (
        "(${data.n} > 1) || (${data.s} == 'a')",
        ExprErrorKind::EqualityTypeMismatch,
        33,
        "Type mismatch in an equality operation between '(${data.n} > 1)' and 'a'",
    ),
];

#[test]
fn syntax_rules_give_metas_messages() {
    for (src, kind, offset, meta) in SYNTAX_ERRORS {
        let e = Condition::parse(src).expect_err(src);
        assert_eq!((e.kind(), e.offset()), (*kind, *offset), "{src:?}: {e}");
        assert!(e.message().starts_with(meta), "{src:?}: {e}");
    }
}

/// (condition, kind, start of Meta's message): errors only the declarations reveal.
const TYPE_ERRORS: &[(&str, ExprErrorKind, &str)] = &[
    // The error-code page's example (string_value is a string).
    (
        "((${data.string_value}))",
        ExprErrorKind::SingleOperandNotBoolean,
        "Expected single operand to be a boolean.",
    ),
    (
        "${data.nope} == 1",
        ExprErrorKind::UnknownReference,
        "Missing dynamic data 'nope' in the screen data model.",
    ),
    (
        "${screen.OTHER.data.nope} == 'a'",
        ExprErrorKind::UnknownReference,
        "Global dynamic data 'nope' does not exist on screen 'OTHER'.",
    ),
    (
        "${data.list} == 1",
        ExprErrorKind::UnsupportedOperandType,
        "Operand '${data.list}' with type 'array' is not supported.",
    ),
    (
        "${data.s} == 5",
        ExprErrorKind::EqualityTypeMismatch,
        "Type mismatch in an equality operation between '${data.s}' and '5'",
    ),
    (
        "${data.n} == ${data.s}",
        ExprErrorKind::EqualityTypeMismatch,
        "Type mismatch in an equality operation between '${data.n}' and '${data.s}'",
    ),
    (
        "${data.s} > 1",
        ExprErrorKind::MisplacedOperator,
        "Wrong positioning of operator '>'. It cannot be used after '${data.s}'",
    ),
    (
        "${data.n} && ${data.t}",
        ExprErrorKind::MisplacedOperator,
        "Wrong positioning of operator '&&'. It cannot be used after '${data.n}'",
    ),
    (
        "${data.t} && ${data.s}",
        ExprErrorKind::MisplacedOperator,
        "Wrong positioning of operand '${data.s}'. It cannot be used after '&&'",
    ),
    (
        "${data.n}",
        ExprErrorKind::SingleOperandNotBoolean,
        "Expected single operand to be a boolean.",
    ),
    (
        "!${data.s}",
        ExprErrorKind::MisplacedOperator,
        "Wrong positioning of operand '${data.s}'. It cannot be used after '!'",
    ),
];

#[test]
fn type_rules_need_the_declarations() {
    for (src, kind, meta) in TYPE_ERRORS {
        let c = Condition::parse(src).unwrap_or_else(|e| panic!("{src}: parse failed: {e}"));
        let e = c.check(&env()).expect_err(src);
        assert_eq!(e.kind(), *kind, "{src}: {e}");
        assert!(e.message().starts_with(meta), "{src}: {e}");
    }
}

#[test]
fn refs_are_listed_with_their_place() {
    let c = Condition::parse("(${data.n} > 1) || ${screen.OTHER.data.x}").unwrap();
    let refs: Vec<(String, usize, usize)> = c
        .ref_spans()
        .map(|(r, s)| (r.to_string(), s.start, s.end))
        .collect();
    assert_eq!(
        refs,
        [
            ("${data.n}".to_owned(), 1, 10),
            ("${screen.OTHER.data.x}".to_owned(), 19, 41)
        ]
    );
    assert_eq!(c.to_string(), c.source());
}

#[test]
fn quoted_operators_and_parentheses_are_text() {
    let c = Condition::parse("${data.s} == '(&&)'").unwrap();
    assert_eq!(c.refs().count(), 1);
    c.check(&env()).unwrap();
    assert!(!c.eval(&values()));
}
