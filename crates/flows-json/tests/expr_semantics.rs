//! Runtime semantics of bindings and nested (backtick) expressions, pinned against the client's code
//! (flow-client.md §5.1-5.2; Meta's WAFlowsASTParser, WAFlowsStateParser, WAFlowsGet) and Meta's
//! documentation examples (developers.facebook.com/docs/whatsapp/flows/reference/flowjson, "Nested
//! Expressions"; the copy read is `eudresfs/whatsapp-flows` docs/reference/flow-json.md @ ad906004).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use flows_json::expr::{
    Dynamic, Expr, ExprErrorKind, JsValue, Ref, Scope, ValueTable, eval_str, parse_dynamic,
    switch_case,
};
use serde_json::{Value, json};

fn values() -> ValueTable {
    ValueTable::new("S")
        .with(
            Scope::Data,
            "S",
            json!({
                "n": 5, "zero": 0, "s": "abc", "num_s": "12", "empty": "", "t": true, "f": false,
                "list": [1, 2, 3], "obj": {"a": 1, "b": {"c": "deep"}}, "nul": null, "total": 100,
                "names": [{"name": "Ana"}, {"name": "Bo"}], "i": 1
            }),
        )
        .with(
            Scope::Form,
            "S",
            json!({"age": "20", "a": "2", "b": "3", "group_size": "3", "first_name": "Ana"}),
        )
        .with(Scope::Data, "OTHER", json!({"x": "from other"}))
}

fn eval(src: &str) -> Value {
    Expr::parse(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .eval(&values())
}

fn eval_js(src: &str) -> JsValue {
    Expr::parse(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .eval_js(&values())
}

fn table(cases: &[(&str, Value)]) {
    for (src, want) in cases {
        assert_eq!(&eval(src), want, "{src}");
    }
}

#[test]
fn arithmetic_is_numeric_with_empty_operands_as_zero() {
    table(&[
        ("`1 + 2`", json!(3)),
        // `+` adds, it never concatenates: form values are text and still add up.
        ("`${form.a} + ${form.b}`", json!(5)),
        ("`'3' * 2`", json!(6)),
        // `*` is evaluated although Meta's docs list only `+ - / %`.
        ("`${data.n} * 2`", json!(10)),
        ("`2 - 5`", json!(-3)),
        ("`7 % 3`", json!(1)),
        ("`-7 % 3`", json!(-1)),
        ("`${data.missing} + 1`", json!(1)),
        ("`${data.empty} + 1`", json!(1)),
        ("`${data.nul} + 1`", json!(1)),
        ("`${data.t} + 1`", json!(2)),
        ("`${screen.NEVER_VISITED.data.x} * 3`", json!(0)),
    ]);
}

#[test]
fn division_and_modulo_by_zero_or_missing_give_zero() {
    table(&[
        ("`10 / 0`", json!(0)),
        ("`10 % 0`", json!(0)),
        ("`10 / ${data.zero}`", json!(0)),
        ("`10 / ${data.missing}`", json!(0)),
        ("`10 % ${data.nul}`", json!(0)),
    ]);
    // The divisor test is `r != null && r !== 0` on the raw value: an empty string or the text '0' is
    // "present", so the division happens and gives Infinity (null in JSON).
    assert_eq!(
        eval_js("`10 / ${data.empty}`"),
        JsValue::Number(f64::INFINITY)
    );
    assert_eq!(eval_js("`10 / '0'`"), JsValue::Number(f64::INFINITY));
    assert_eq!(eval("`10 / '0'`"), Value::Null);
}

#[test]
fn every_arithmetic_result_is_rounded_to_two_decimals() {
    table(&[
        ("`2 / 3`", json!(0.67)),
        ("`0.1 + 0.2`", json!(0.3)),
        // Rounded at each operation: 1/3 is 0.33 before the multiplication.
        ("`1 / 3 * 3`", json!(0.99)),
        // Math.round(x * 100) / 100 in doubles: 1.005 * 100 is 100.49999999999999.
        ("`1.005 * 1`", json!(1)),
        ("`2.675 * 1`", json!(2.68)),
        ("`-2.5 / 100`", json!(-0.02)),
        ("`${data.total} / ${form.group_size}`", json!(33.33)),
    ]);
    // A literal alone is not an operation and is not rounded.
    assert_eq!(eval("`1.23456`"), json!(1.23456));
}

#[test]
fn unary_operators() {
    table(&[
        ("`-${data.n}`", json!(-5)),
        ("`-'4'`", json!(-4)),
        ("`!${data.f}`", json!(true)),
        ("`!${data.s}`", json!(false)),
        ("`!${data.missing}`", json!(true)),
        ("`!!${data.s}`", json!(true)),
        // Unary plus returns its operand unchanged: no conversion to a number.
        ("`+'5'`", json!("5")),
    ]);
    // Negating a missing value is NaN (null in JSON).
    assert!(matches!(eval_js("`-${data.missing}`"), JsValue::Number(x) if x.is_nan()));
    assert!(matches!(eval_js("`${data.s} * 2`"), JsValue::Number(x) if x.is_nan()));
}

#[test]
fn comparisons_need_a_number_on_one_side_and_no_empty_side() {
    table(&[
        ("`${form.age} > 18`", json!(true)),
        ("`${data.n} >= 5`", json!(true)),
        ("`${data.n} < 5`", json!(false)),
        ("`10 > '9'`", json!(true)),
        // Neither side is a number (form values are text): always false.
        ("`${form.a} < ${form.b}`", json!(false)),
        ("`'10' > '9'`", json!(false)),
        // An empty or missing side: false.
        ("`${data.missing} < 1`", json!(false)),
        ("`${data.empty} <= 1`", json!(false)),
        ("`${data.s} > 1`", json!(false)),
    ]);
}

#[test]
fn equality_treats_empty_values_alike_and_numbers_numerically() {
    table(&[
        ("`${data.missing} == ''`", json!(true)),
        ("`${data.empty} == ${data.missing}`", json!(true)),
        ("`${data.nul} == ''`", json!(true)),
        ("`${data.missing} == 0`", json!(false)),
        ("`${data.missing} != ''`", json!(false)),
        ("`${data.s} != ''`", json!(true)),
        ("`${data.n} == '5'`", json!(true)),
        ("`${data.num_s} == 12`", json!(true)),
        ("`${data.t} == 1`", json!(true)),
        ("`'abc' == 'abc'`", json!(true)),
        ("`'abc' == 'ABC'`", json!(false)),
        ("`${data.t} == true`", json!(true)),
        // No number on either side: strict equality, so 'true' is not true.
        ("`${data.t} == 'true'`", json!(false)),
        ("`${form.a} == '2'`", json!(true)),
    ]);
}

#[test]
fn logical_operators_use_javascript_truthiness_and_give_booleans() {
    table(&[
        ("`${data.t} && ${data.f}`", json!(false)),
        ("`${data.t} || ${data.f}`", json!(true)),
        ("`${data.s} && 1`", json!(true)),
        ("`${data.missing} || 0`", json!(false)),
        ("`${data.empty} || ${data.zero}`", json!(false)),
        // Precedence is JavaScript's: && before ||, comparisons before both.
        ("`${data.t} || ${data.f} && ${data.f}`", json!(true)),
        ("`${data.n} > 1 && ${data.n} < 10`", json!(true)),
    ]);
}

#[test]
fn concatenation_joins_the_parts_as_text() {
    table(&[
        ("`'Hello ' ${data.s}`", json!("Hello abc")),
        ("`'n=' ${data.n} ' ok'`", json!("n=5 ok")),
        ("`'x' ${data.missing} 'y'`", json!("xy")),
        ("`'x' ${data.nul}`", json!("x")),
        ("`'list: ' ${data.list}`", json!("list: 1,2,3")),
        ("`'obj: ' ${data.obj}`", json!("obj: [object Object]")),
        ("`'b: ' ${data.t}`", json!("b: true")),
        ("`'v' 0.1 + 0.2`", json!("v0.3")),
        ("`${data.n} ${data.s}`", json!("5abc")),
        (
            "`'other: ' ${screen.OTHER.data.x}`",
            json!("other: from other"),
        ),
        ("`'d' ${data.obj.b.c}`", json!("ddeep")),
        ("``", json!("")),
    ]);
    // A single part is not a concatenation: a number stays a number.
    assert_eq!(eval("`${data.n}`"), json!(5));
}

#[test]
fn commas_between_parts_are_dropped_with_a_warning() {
    let e = Expr::parse("`${data.s}, ${data.n}`").unwrap();
    assert_eq!(e.eval(&values()), json!("abc5"));
    assert_eq!(e.warnings().len(), 1);
    assert_eq!(e.warnings()[0].kind(), ExprErrorKind::IgnoredSeparator);
    assert_eq!(e.warnings()[0].offset(), 10);
}

#[test]
fn references_inside_quotes_are_text_and_warned_about() {
    let e = Expr::parse("`'Hi ${data.s}'`").unwrap();
    // The client rewrites `${data` before parsing, inside quotes too, and deletes `}`.
    assert_eq!(e.eval(&values()), json!("Hi screen.S.data.s"));
    assert_eq!(e.warnings()[0].kind(), ExprErrorKind::RefInString);
    assert!(e.warnings()[0].is_warning());
    let e = Expr::parse("`'a}b'`").unwrap();
    assert_eq!(e.eval(&values()), json!("ab"));
    assert_eq!(e.warnings()[0].kind(), ExprErrorKind::DroppedBrace);
}

#[test]
fn member_and_index_access() {
    table(&[
        ("`${data.list}[1]`", json!(2)),
        ("`${data.list}[${data.i}]`", json!(2)),
        ("`${data.obj}['a']`", json!(1)),
        ("`${data.names}[0].name`", json!("Ana")),
        ("`${data.names}[5].name`", Value::Null),
        ("`${data.list.length}`", json!(3)),
        ("`${data.s}.length`", json!(3)),
        ("`${data.list}[0] + ${data.list}[2]`", json!(4)),
    ]);
    // `${data.a}.b` is the same reference as `${data.a.b}`.
    let e = Expr::parse("`${data.obj}.b.c`").unwrap();
    assert_eq!(e.refs().next().unwrap().to_string(), "${data.obj.b.c}");
}

#[test]
fn meta_documentation_examples_evaluate() {
    let v = ValueTable::new("S").with(
        Scope::Form,
        "S",
        json!({"first_name": "Ana", "last_name": "Ana", "accept": true, "subscribe": false, "age": "30",
               "group_size": "4"}),
    ).with(Scope::Data, "S", json!({"total": 100}));
    let cases = [
        // The backtick example: `\\`` in the JSON source is `\`` in the value.
        (
            "`'This is an example for Ana\\`s house.'`",
            json!("This is an example for Ana`s house."),
        ),
        ("`${form.first_name} == ${form.last_name}`", json!(true)),
        ("`${form.accept} != true`", json!(false)),
        ("`${form.age} == 18`", json!(false)),
        ("`${form.age} > 18`", json!(true)),
        ("`${form.age} >= 18`", json!(true)),
        ("`${form.accept} && ${form.subscribe}`", json!(false)),
        ("`(${form.age} > 18) && ${form.accept}`", json!(true)),
        (
            "`(${form.first_name} != '') || (${form.last_name} != '')`",
            json!(true),
        ),
        ("`'Hello ' ${form.first_name}`", json!("Hello Ana")),
        (
            "`${form.first_name} ' you are ' ${form.age} ' years old.'`",
            json!("Ana you are 30 years old."),
        ),
        // Works only because a string literal cannot be called in jsep 0.3 (see the module docs).
        (
            "`'You were born on either ' (2024 - ${form.age}) ' or ' (2023 - ${form.age})`",
            json!("You were born on either 1994 or 1993"),
        ),
        (
            "`'The amount per person is: ' ${data.total} / ${form.group_size}`",
            json!("The amount per person is: 25"),
        ),
    ];
    for (src, want) in cases {
        let e = Expr::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(e.eval(&v), want, "{src}");
    }
}

#[test]
fn published_flow_expression_evaluates() {
    // anneli-izmaanecosystem/kanaan-hub whatsapp-backend/app/bot/flows.py @ f18ee7cd (a published 7.1 flow).
    let e = Expr::parse("`${data.hour} ':' ${data.minute}`").unwrap();
    let v = ValueTable::new("CONFIRM").with(
        Scope::Data,
        "CONFIRM",
        json!({"hour": "05", "minute": "30"}),
    );
    assert_eq!(e.eval(&v), json!("05:30"));
}

#[test]
fn syntax_the_client_cannot_evaluate_is_an_error() {
    let cases = [
        (
            "`${form.age} > 17 ? 'adult' : 'minor'`",
            ExprErrorKind::UnsupportedSyntax,
            18,
        ),
        ("`${data.s} (1)`", ExprErrorKind::UnsupportedSyntax, 11),
        ("`[1, 2]`", ExprErrorKind::UnsupportedSyntax, 1),
        ("`${data.n} === 5`", ExprErrorKind::UnsupportedOperator, 11),
        ("`${data.n} & 1`", ExprErrorKind::UnsupportedOperator, 11),
        ("`~${data.n}`", ExprErrorKind::UnsupportedOperator, 1),
        ("`this`", ExprErrorKind::UnsupportedSyntax, 1),
        ("`()`", ExprErrorKind::UnsupportedSyntax, 1),
        ("`'abc`", ExprErrorKind::UnclosedString, 1),
        ("`(1 + 2`", ExprErrorKind::UnclosedParen, 1),
        ("`${data.list}[0`", ExprErrorKind::UnclosedBracket, 13),
        ("`1 +`", ExprErrorKind::ExpectedOperand, 4),
        ("`* 2`", ExprErrorKind::ExpectedOperand, 1),
        ("`-`", ExprErrorKind::ExpectedOperand, 2),
        ("`1e`", ExprErrorKind::InvalidNumber, 3),
        ("`1.2.3`", ExprErrorKind::InvalidNumber, 4),
        ("`12abc`", ExprErrorKind::InvalidNumber, 3),
        ("`${data.n} = 5`", ExprErrorKind::UnexpectedChar, 11),
        ("`${foo}`", ExprErrorKind::BareIdentifier, 1),
        ("`name`", ExprErrorKind::BareIdentifier, 1),
        // A hyphen is a minus inside backticks: `${data.first-name}` is `${data.first} - name`.
        ("`${data.first-name}`", ExprErrorKind::BareIdentifier, 14),
        // Two references without a space run together into one identifier.
        ("`${data.a}${data.b}`", ExprErrorKind::BareIdentifier, 10),
        ("`${screen.OTHER}`", ExprErrorKind::IncompleteReference, 1),
        (
            "`${screen.OTHER.foo.x}`",
            ExprErrorKind::IncompleteReference,
            16,
        ),
        ("`${data.true}`", ExprErrorKind::UnsupportedSyntax, 8),
        // jsep 0.3 does not read members of a string literal: `.length` starts a number.
        ("`'a'.length`", ExprErrorKind::InvalidNumber, 5),
        ("not backticks", ExprErrorKind::NotNested, 0),
    ];
    for (src, kind, offset) in cases {
        let e = Expr::parse(src).expect_err(src);
        assert_eq!((e.kind(), e.offset()), (kind, offset), "{src}: {e}");
        assert!(!e.message().is_empty());
    }
}

#[test]
fn a_closing_brace_is_deleted_so_text_after_a_reference_extends_its_name() {
    // `${data.b}x` is `screen.S.data.bx` once `}` is gone.
    let e = Expr::parse("`'a' ${data.b}x`").unwrap();
    assert_eq!(
        e.refs().map(ToString::to_string).collect::<Vec<_>>(),
        ["${data.bx}"]
    );
}

#[test]
fn a_final_escaped_backslash_breaks_like_on_the_client() {
    // The client rewrites a final `\'` to `\\'`, so a string ending in an escaped backslash at the very end
    // of the expression loses its closing quote.
    let e = Expr::parse(r"`'a\\'`").unwrap_err();
    assert_eq!(e.kind(), ExprErrorKind::UnclosedString);
    // With anything after it, it is fine.
    assert_eq!(
        Expr::parse(r"`'a\\' `").unwrap().eval(&values()),
        json!("a\\")
    );
}

#[test]
fn null_evaluates_to_null() {
    assert_eq!(eval("`null`"), Value::Null);
    assert_eq!(eval("`null == ''`"), json!(true));
}

#[test]
fn bindings_resolve_like_waflowsget() {
    let v = values();
    let cases: &[(&str, JsValue)] = &[
        ("${data.n}", JsValue::Number(5.0)),
        ("${data.s}", JsValue::String("abc".into())),
        ("${form.age}", JsValue::String("20".into())),
        ("${data.list.1}", JsValue::Number(2.0)),
        ("${data.s.length}", JsValue::Number(3.0)),
        ("${data.obj.b.c}", JsValue::String("deep".into())),
        (
            "${screen.OTHER.data.x}",
            JsValue::String("from other".into()),
        ),
        ("${data.missing}", JsValue::Undefined),
        ("${data.missing.deeper}", JsValue::Undefined),
        // JSON null reads as missing: the client then uses the property's default.
        ("${data.nul}", JsValue::Undefined),
        ("${screen.NEVER.form.x}", JsValue::Undefined),
    ];
    for (s, want) in cases {
        let Some(Ok(Dynamic::Binding(r))) = parse_dynamic(s) else {
            panic!("{s} is a binding")
        };
        assert_eq!(&r.resolve(&v), want, "{s}");
        assert_eq!(&eval_str(s, &v).unwrap(), want, "{s}");
    }
    // The whole store, as payloads send it.
    let Some(Ok(Dynamic::Binding(r))) = parse_dynamic("${form}") else {
        panic!()
    };
    assert_eq!(r.resolve(&v).to_json().unwrap()["first_name"], json!("Ana"));
}

#[test]
fn strings_are_literal_unless_the_whole_value_is_dynamic() {
    let v = values();
    assert!(parse_dynamic("Hi ${data.s}").is_none());
    assert_eq!(
        eval_str("Hi ${data.s}", &v).unwrap(),
        JsValue::String("Hi ${data.s}".into())
    );
    assert_eq!(
        eval_str("${data.s} hi", &v).unwrap(),
        JsValue::String("${data.s} hi".into())
    );
    // The client takes this for one binding and finds nothing under the path `a} ${data.b`: empty.
    let err = parse_dynamic("${data.s} ${data.n}").unwrap().unwrap_err();
    assert_eq!(err.kind(), ExprErrorKind::MalformedBinding);
    assert_eq!(
        eval_str("${data.s} ${data.n}", &v).unwrap(),
        JsValue::Undefined
    );
    // A global binding with text after it: the client still takes it for a binding (its test has no end
    // anchor), and the path `S.data.s} more` finds nothing.
    assert!(parse_dynamic("${screen.S.data.s} more").unwrap().is_err());
    assert_eq!(
        eval_str("${screen.S.data.s} more", &v).unwrap(),
        JsValue::Undefined
    );
    // Backticks in a value below 6.0 are the caller's to treat as text; eval_str assumes >= 6.0.
    assert_eq!(
        eval_str("`${data.n} + 1`", &v).unwrap(),
        JsValue::Number(6.0)
    );
}

#[test]
fn current_screen_references_resolve_to_global_ones() {
    let r = Ref::parse("${data.x}").unwrap();
    assert_eq!(
        r.resolved("WELCOME"),
        Ref::parse("${screen.WELCOME.data.x}").unwrap()
    );
    let g = Ref::parse("${screen.OTHER.form.y}").unwrap();
    assert_eq!(g.resolved("WELCOME"), g);
    // Evaluation reads a local reference from the current screen.
    let mut v = values();
    v.set_current_screen("OTHER");
    assert_eq!(
        Ref::parse("${data.x}").unwrap().resolve(&v),
        JsValue::String("from other".into())
    );
}

#[test]
fn switch_picks_the_case_named_by_the_value() {
    // Meta's example: Switch on `${screen.SELECT_INSURANCE.form.insurance}` with a `default` case.
    let keys = ["car", "home", "default"];
    assert_eq!(
        switch_case(&JsValue::String("car".into()), keys),
        Some("car")
    );
    assert_eq!(
        switch_case(&JsValue::String("boat".into()), keys),
        Some("default")
    );
    assert_eq!(switch_case(&JsValue::Undefined, ["car", "home"]), None);
    // The value is used as a property key, so it is compared as text.
    assert_eq!(switch_case(&JsValue::Number(1.0), ["1", "2"]), Some("1"));
    assert_eq!(
        switch_case(&JsValue::Bool(true), ["true", "false"]),
        Some("true")
    );
    assert_eq!(
        switch_case(&JsValue::Undefined, ["undefined"]),
        Some("undefined")
    );
}

#[test]
fn json_output_matches_json_stringify() {
    assert_eq!(eval("`${data.n} / 2`"), json!(2.5));
    assert_eq!(eval("`4 / 2`"), json!(2));
    assert_eq!(eval_js("`${data.missing}`"), JsValue::Undefined);
    assert_eq!(eval("`${data.missing}`"), Value::Null);
    assert_eq!(eval("`${data.list}`"), json!([1, 2, 3]));
}
