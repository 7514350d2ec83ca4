//! The JavaScript values the client computes with, and the JavaScript conversions its code relies on
//! (`+x`, `String(x)`, `!!x`, `parseInt`, property access). The client is JavaScript; reproducing these
//! conversions exactly is what makes `'3' * 2` give `6` and `${form.a} + ${form.b}` add numbers here too.

use serde_json::{Map, Number, Value};

/// A value as the WhatsApp client holds it while evaluating an expression.
///
/// JSON cannot say "undefined" (a missing value, which renders empty and matters for `==`), nor `NaN`
/// and `Infinity` (which arithmetic on text can produce); this type can. Convert with
/// [`JsValue::to_json`] for payloads and with [`JsValue::to_js_string`] for text.
#[derive(Clone, Debug, PartialEq)]
pub enum JsValue {
    /// A missing value: an undeclared field, a screen not visited yet, a form field never set.
    Undefined,
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (an IEEE double, as in JavaScript; may be `NaN` or infinite).
    Number(f64),
    /// A string.
    String(String),
    /// A JSON array.
    Array(Vec<Value>),
    /// A JSON object.
    Object(Map<String, Value>),
}

impl JsValue {
    /// The value of a JSON value.
    pub fn from_json(value: &Value) -> JsValue {
        match value {
            Value::Null => JsValue::Null,
            Value::Bool(b) => JsValue::Bool(*b),
            Value::Number(n) => JsValue::Number(number_to_f64(n)),
            Value::String(s) => JsValue::String(s.clone()),
            Value::Array(a) => JsValue::Array(a.clone()),
            Value::Object(o) => JsValue::Object(o.clone()),
        }
    }

    /// The value as JSON the way `JSON.stringify` writes it: `None` for undefined (a payload key with an
    /// undefined value is left out), `null` for `NaN` and infinities, integers without a fraction.
    pub fn to_json(&self) -> Option<Value> {
        Some(match self {
            JsValue::Undefined => return None,
            JsValue::Null => Value::Null,
            JsValue::Bool(b) => Value::Bool(*b),
            JsValue::Number(x) => number_to_json(*x),
            JsValue::String(s) => Value::String(s.clone()),
            JsValue::Array(a) => Value::Array(a.clone()),
            JsValue::Object(o) => Value::Object(o.clone()),
        })
    }

    /// `undefined` or `null`.
    pub fn is_nullish(&self) -> bool {
        matches!(self, JsValue::Undefined | JsValue::Null)
    }

    /// JavaScript truthiness (`!!x`): false for undefined, null, false, `0`, `NaN` and `""`.
    pub fn is_truthy(&self) -> bool {
        match self {
            JsValue::Undefined | JsValue::Null => false,
            JsValue::Bool(b) => *b,
            JsValue::Number(x) => *x != 0.0 && !x.is_nan(),
            JsValue::String(s) => !s.is_empty(),
            JsValue::Array(_) | JsValue::Object(_) => true,
        }
    }

    /// JavaScript `+x` (ToNumber): `"12"` is 12, `""` is 0, `"abc"` is `NaN`, `true` is 1, `null` is 0,
    /// undefined is `NaN`, `[5]` is 5.
    pub fn to_number(&self) -> f64 {
        match self {
            JsValue::Undefined => f64::NAN,
            JsValue::Null => 0.0,
            JsValue::Bool(b) => f64::from(u8::from(*b)),
            JsValue::Number(x) => *x,
            JsValue::String(s) => string_to_number(s),
            JsValue::Array(_) => string_to_number(&self.to_js_string()),
            JsValue::Object(_) => f64::NAN,
        }
    }

    /// JavaScript `String(x)`: `undefined`, `null`, `true`, numbers as JavaScript prints them (`0.30000000000000004`,
    /// `1e+21`), arrays joined with `,`, objects as `[object Object]`.
    pub fn to_js_string(&self) -> String {
        match self {
            JsValue::Undefined => "undefined".to_owned(),
            JsValue::Null => "null".to_owned(),
            JsValue::Bool(b) => b.to_string(),
            JsValue::Number(x) => number_to_string(*x),
            JsValue::String(s) => s.clone(),
            JsValue::Array(a) => join_json(a),
            JsValue::Object(_) => "[object Object]".to_owned(),
        }
    }

    /// How `Array.prototype.join` writes one element: undefined and null as nothing, the rest as `String(x)`.
    pub(crate) fn to_join_string(&self) -> String {
        if self.is_nullish() {
            String::new()
        } else {
            self.to_js_string()
        }
    }

    /// `typeof x === "number"`.
    pub(crate) fn is_number(&self) -> bool {
        matches!(self, JsValue::Number(_))
    }

    /// JavaScript `===`. Arrays and objects compare by content here; JavaScript compares them by identity,
    /// which only matters when two different references hold equal arrays (then JavaScript says false).
    pub(crate) fn strict_equals(&self, other: &JsValue) -> bool {
        match (self, other) {
            (JsValue::Undefined, JsValue::Undefined) | (JsValue::Null, JsValue::Null) => true,
            (JsValue::Bool(a), JsValue::Bool(b)) => a == b,
            (JsValue::Number(a), JsValue::Number(b)) => a == b,
            (JsValue::String(a), JsValue::String(b)) => a == b,
            (JsValue::Array(a), JsValue::Array(b)) => a == b,
            (JsValue::Object(a), JsValue::Object(b)) => a == b,
            _ => false,
        }
    }

    /// `x[key]` for the own properties a JSON value has: object members, array elements and `length`,
    /// string characters and `length`. Anything else is undefined (prototype methods are not modelled).
    pub(crate) fn get(&self, key: &str) -> JsValue {
        match self {
            JsValue::Object(map) => map.get(key).map_or(JsValue::Undefined, JsValue::from_json),
            JsValue::Array(items) => {
                if key == "length" {
                    return JsValue::Number(usize_to_f64(items.len()));
                }
                array_index(key)
                    .and_then(|i| items.get(i))
                    .map_or(JsValue::Undefined, JsValue::from_json)
            }
            JsValue::String(s) => {
                let units: Vec<u16> = s.encode_utf16().collect();
                if key == "length" {
                    return JsValue::Number(usize_to_f64(units.len()));
                }
                match array_index(key).and_then(|i| units.get(i)) {
                    Some(unit) => JsValue::String(
                        char::decode_utf16([*unit])
                            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
                            .collect(),
                    ),
                    None => JsValue::Undefined,
                }
            }
            _ => JsValue::Undefined,
        }
    }
}

impl From<&Value> for JsValue {
    fn from(value: &Value) -> Self {
        JsValue::from_json(value)
    }
}

impl From<Value> for JsValue {
    fn from(value: Value) -> Self {
        match value {
            Value::Array(a) => JsValue::Array(a),
            Value::Object(o) => JsValue::Object(o),
            Value::String(s) => JsValue::String(s),
            other => JsValue::from_json(&other),
        }
    }
}

fn number_to_f64(n: &Number) -> f64 {
    // Every serde_json number has an f64 view (big integers round, as they do in JavaScript).
    n.as_f64().unwrap_or(f64::NAN)
}

fn usize_to_f64(n: usize) -> f64 {
    // Lengths of JSON values are far below 2^53, so this is exact.
    u32::try_from(n).map_or(f64::MAX, f64::from)
}

/// JSON.stringify of a number: integers print without a fraction, non-finite values become null.
fn number_to_json(x: f64) -> Value {
    if !x.is_finite() {
        return Value::Null;
    }
    const SAFE: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() <= SAFE {
        // In range and integral, so the conversion is exact (and -0 becomes 0, as JSON.stringify does).
        #[allow(clippy::cast_possible_truncation)]
        let i = x as i64;
        return Value::Number(Number::from(i));
    }
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn join_json(items: &[Value]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&JsValue::from_json(item).to_join_string());
    }
    out
}

/// A canonical array index ("0", "12"; not "01", "-1", "1.0").
fn array_index(key: &str) -> Option<usize> {
    if key.is_empty()
        || !key.bytes().all(|b| b.is_ascii_digit())
        || (key.len() > 1 && key.starts_with('0'))
    {
        return None;
    }
    key.parse().ok()
}

/// JavaScript `Number.prototype.toString()` (radix 10), ECMA-262 Number::toString.
pub(crate) fn number_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    if x < 0.0 {
        return format!("-{}", number_to_string(-x));
    }
    // Rust's `{:e}` prints the shortest digits that round-trip, like JavaScript does: "1.2345e3".
    let exp_form = format!("{x:e}");
    let (mantissa, exponent) = exp_form.split_once('e').unwrap_or((exp_form.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let e: i64 = exponent.parse().unwrap_or(0);
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX);
    let n = e + 1;
    if k <= n && n <= 21 {
        let zeros = usize::try_from(n - k).unwrap_or(0);
        format!("{digits}{}", "0".repeat(zeros))
    } else if 0 < n && n <= 21 {
        let split = usize::try_from(n).unwrap_or(0);
        let (int, frac) = digits.split_at(split.min(digits.len()));
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        let zeros = usize::try_from(-n).unwrap_or(0);
        format!("0.{}{digits}", "0".repeat(zeros))
    } else {
        let e = n - 1;
        let sign = if e >= 0 { '+' } else { '-' };
        let (first, rest) = digits.split_at(1.min(digits.len()));
        if rest.is_empty() {
            format!("{first}e{sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{sign}{}", e.abs())
        }
    }
}

/// JavaScript's white space and line terminators, as `String.prototype.trim` and `Number()` strip them.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}' | '\u{a}' | '\u{b}' | '\u{c}' | '\u{d}' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// JavaScript `Number(string)` (ECMA-262 StringToNumber).
pub(crate) fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = t.strip_prefix(prefix) {
            return radix_to_number(digits, radix);
        }
    }
    let (sign, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    if unsigned == "Infinity" {
        return sign * f64::INFINITY;
    }
    if !is_decimal_literal(unsigned) {
        return f64::NAN;
    }
    unsigned.parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

fn radix_to_number(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    let mut value = 0.0_f64;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => value = value * f64::from(radix) + f64::from(d),
            None => return f64::NAN,
        }
    }
    value
}

/// StrUnsignedDecimalLiteral: `digits [. digits?] | . digits`, then an optional exponent.
fn is_decimal_literal(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    let int_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        frac_digits = i - frac_start;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == bytes.len()
}

/// JavaScript `parseInt(String(value), 10)`.
pub(crate) fn parse_int(value: &JsValue) -> f64 {
    let s = value.to_js_string();
    let t = s.trim_start_matches(is_js_space);
    let (sign, rest) = match t.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return f64::NAN;
    }
    digits.parse::<f64>().map_or(f64::NAN, |v| sign * v)
}

/// JavaScript `Math.round` (halves round towards +infinity).
pub(crate) fn js_round(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let floor = x.floor();
    // x - floor is exact for finite doubles, so this is the correctly rounded result.
    let rounded = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    if rounded == 0.0 && x.is_sign_negative() {
        -0.0
    } else {
        rounded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_javascript() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (100.0, "100"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123_456_789_012_345_680_000.0, "123456789012345680000"),
            (0.000_001, "0.000001"),
            (0.000_000_1, "1e-7"),
            (1.234e-7, "1.234e-7"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (12.34, "12.34"),
        ];
        for (x, want) in cases {
            assert_eq!(number_to_string(*x), *want, "{x}");
        }
    }

    #[test]
    fn strings_convert_like_javascript_number() {
        let cases: &[(&str, f64)] = &[
            ("", 0.0),
            ("  ", 0.0),
            (" 12 ", 12.0),
            ("1.5", 1.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("-2", -2.0),
            ("+2", 2.0),
            ("0x1A", 26.0),
            ("Infinity", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
        ];
        for (s, want) in cases {
            assert_eq!(string_to_number(s), *want, "{s:?}");
        }
        for s in [
            "abc", "1,5", "12px", "inf", "nan", "1e", "-0x1", ".", "1_000",
        ] {
            assert!(string_to_number(s).is_nan(), "{s:?}");
        }
    }

    #[test]
    fn parse_int_reads_a_leading_integer() {
        assert_eq!(parse_int(&JsValue::String(" 42px".into())), 42.0);
        assert_eq!(parse_int(&JsValue::String("-7.9".into())), -7.0);
        assert_eq!(parse_int(&JsValue::Number(1e21)), 1.0);
        assert!(parse_int(&JsValue::String("x1".into())).is_nan());
        assert!(parse_int(&JsValue::Bool(true)).is_nan());
    }

    #[test]
    fn math_round_rounds_halves_up() {
        assert_eq!(js_round(2.5), 3.0);
        assert_eq!(js_round(-2.5), -2.0);
        assert_eq!(js_round(0.499_999_999_999_999_94), 0.0);
        assert_eq!(js_round(1.005 * 100.0), 100.0);
    }

    #[test]
    fn json_round_trip_writes_integers_without_fraction() {
        assert_eq!(JsValue::Number(5.0).to_json(), Some(serde_json::json!(5)));
        assert_eq!(JsValue::Number(-0.0).to_json(), Some(serde_json::json!(0)));
        assert_eq!(JsValue::Number(2.5).to_json(), Some(serde_json::json!(2.5)));
        assert_eq!(JsValue::Number(f64::NAN).to_json(), Some(Value::Null));
        assert_eq!(JsValue::Undefined.to_json(), None);
    }

    #[test]
    fn property_access_follows_javascript() {
        let v = JsValue::from_json(&serde_json::json!({"a": [1, 2], "s": "héllo"}));
        assert_eq!(v.get("a").get("length"), JsValue::Number(2.0));
        assert_eq!(v.get("a").get("1"), JsValue::Number(2.0));
        assert_eq!(v.get("a").get("01"), JsValue::Undefined);
        assert_eq!(v.get("s").get("length"), JsValue::Number(5.0));
        assert_eq!(v.get("s").get("1"), JsValue::String("é".into()));
        assert_eq!(v.get("missing").get("x"), JsValue::Undefined);
        assert_eq!(JsValue::Number(1.0).get("x"), JsValue::Undefined);
    }

    #[test]
    fn arrays_join_like_javascript() {
        let v = JsValue::from_json(&serde_json::json!([1, null, "a", [2, 3], {"k": 1}, true]));
        assert_eq!(v.to_js_string(), "1,,a,2,3,[object Object],true");
        assert_eq!(JsValue::from_json(&serde_json::json!([5])).to_number(), 5.0);
        assert_eq!(JsValue::from_json(&serde_json::json!([])).to_number(), 0.0);
    }
}
