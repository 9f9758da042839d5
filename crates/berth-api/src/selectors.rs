//! Label and field selectors.
//!
//! Behaviour follows upstream apimachinery: `labels.Parse` (the `kubectl -l` grammar, with its
//! exact error texts), `metav1.LabelSelectorAsSelector`, `fields.ParseSelector` (with `\`
//! escaping of `,` `=` and `\` in values), and the per-kind field label conversions and
//! selectable field sets of kube-apiserver (pkg/apis/core/v1/conversion.go,
//! pkg/apis/events/v1/conversion.go, pkg/registry/*/strategy.go).

use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1 as metav1;
use serde_json::{Map, Value};

use crate::Error;
use crate::printers::{EventView, pod_ip};
use crate::registry::ResourceType;

// ---------------------------------------------------------------------------------------------
// Label selectors
// ---------------------------------------------------------------------------------------------

/// The relation a label requirement checks (upstream `selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// One `key op values` term of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    /// Parsed selectors hold these sorted and deduplicated; `from_k8s` keeps them as given.
    pub values: Vec<String>,
}

impl Requirement {
    fn matches(&self, labels: &impl Labels) -> bool {
        let has_value = |v: &str| self.values.iter().any(|x| x == v);
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                labels.label(&self.key).is_some_and(has_value)
            }
            Operator::NotIn | Operator::NotEquals => {
                !labels.label(&self.key).is_some_and(has_value)
            }
            Operator::Exists => labels.label(&self.key).is_some(),
            Operator::DoesNotExist => labels.label(&self.key).is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(actual) = labels.label(&self.key).and_then(|v| v.parse::<i64>().ok())
                else {
                    return false;
                };
                let [bound] = self.values.as_slice() else {
                    return false;
                };
                let Ok(bound) = bound.parse::<i64>() else {
                    return false;
                };
                if self.operator == Operator::GreaterThan {
                    actual > bound
                } else {
                    actual < bound
                }
            }
        }
    }
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let op = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => " in ",
            Operator::NotIn => " notin ",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        };
        f.write_str(op)?;
        let set = matches!(self.operator, Operator::In | Operator::NotIn);
        let mut values = self.values.clone();
        values.sort();
        if set {
            f.write_str("(")?;
        }
        f.write_str(&values.join(","))?;
        if set {
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Anything labels can be looked up in.
pub trait Labels {
    fn label(&self, key: &str) -> Option<&str>;
}

/// `metadata.labels` of a JSON object; non-string values count as absent.
impl Labels for Map<String, Value> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }
}

impl Labels for BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// A parsed label selector: the AND of its requirements, sorted by key. The empty selector
/// matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses the `kubectl -l` / `?labelSelector=` syntax: `a=b`, `a==b`, `a!=b`,
    /// `a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`, comma separated.
    pub fn parse(s: &str) -> Result<LabelSelector, Error> {
        let mut parser = Parser {
            items: lex(s),
            position: 0,
        };
        let mut requirements = parser.parse().map_err(Error::LabelSelector)?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// Converts a `metav1.LabelSelector` (matchLabels and matchExpressions with In, NotIn,
    /// Exists, DoesNotExist), as upstream `LabelSelectorAsSelector` does.
    pub fn from_k8s(sel: &metav1::LabelSelector) -> Result<LabelSelector, Error> {
        let mut requirements = Vec::new();
        for (key, value) in sel.match_labels.iter().flatten() {
            requirements.push(
                new_requirement(key, Operator::Equals, vec![value.clone()])
                    .map_err(Error::LabelSelector)?,
            );
        }
        for expr in sel.match_expressions.iter().flatten() {
            let operator = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    return Err(Error::LabelSelector(format!(
                        "{} is not a valid label selector operator",
                        go_quote(other)
                    )));
                }
            };
            let values = expr.values.clone().unwrap_or_default();
            requirements
                .push(new_requirement(&expr.key, operator, values).map_err(Error::LabelSelector)?);
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// Whether all requirements hold for `labels`.
    pub fn matches(&self, labels: &impl Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Matches against `metadata.labels` of a JSON object (missing labels are no labels).
    pub fn matches_object(&self, obj: &Value) -> bool {
        match obj.pointer("/metadata/labels").and_then(Value::as_object) {
            Some(labels) => self.matches(labels),
            None => self.matches(&Map::new()),
        }
    }

    /// True when the selector places no restriction.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
}

/// The canonical form, as upstream `Selector.String()` (e.g. `Scale.status.selector`).
impl fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{r}")?;
        }
        Ok(())
    }
}

/// Upstream `labels.NewRequirement`: validates key, operator arity and values; the error is
/// the aggregate of field errors, with upstream's field paths (`key`, `values[0][k]`).
fn new_requirement(
    key: &str,
    operator: Operator,
    values: Vec<String>,
) -> Result<Requirement, String> {
    let mut errs: Vec<String> = Vec::new();
    let key_errs = label_key_errors(key);
    if !key_errs.is_empty() {
        errs.push(invalid("key", &go_quote(key), &key_errs.join("; ")));
    }
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => {
            errs.push(invalid(
                "values",
                &go_string_slice(&values),
                "for 'in', 'notin' operators, values set can't be empty",
            ));
        }
        Operator::Equals | Operator::DoubleEquals | Operator::NotEquals if values.len() != 1 => {
            errs.push(invalid(
                "values",
                &go_string_slice(&values),
                "exact-match compatibility requires one single value",
            ));
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            errs.push(invalid(
                "values",
                &go_string_slice(&values),
                "values set must be empty for exists and does not exist",
            ));
        }
        Operator::GreaterThan | Operator::LessThan => {
            if values.len() != 1 {
                errs.push(invalid(
                    "values",
                    &go_string_slice(&values),
                    "for 'Gt', 'Lt' operators, exactly one value is required",
                ));
            }
            for (i, v) in values.iter().enumerate() {
                if v.parse::<i64>().is_err() {
                    errs.push(invalid(
                        &format!("values[{i}]"),
                        &go_quote(v),
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    ));
                }
            }
        }
        _ => {}
    }
    for (i, v) in values.iter().enumerate() {
        let value_errs = label_value_errors(v);
        if !value_errs.is_empty() {
            errs.push(invalid(
                &format!("values[{i}][{key}]"),
                &go_quote(v),
                &value_errs.join("; "),
            ));
        }
    }
    if errs.is_empty() {
        Ok(Requirement {
            key: key.to_string(),
            operator,
            values,
        })
    } else {
        Err(aggregate(errs))
    }
}

/// Upstream `field.Invalid(...).Error()`.
fn invalid(path: &str, quoted_value: &str, detail: &str) -> String {
    format!("{path}: Invalid value: {quoted_value}: {detail}")
}

/// Upstream `utilerrors.NewAggregate(...).Error()`: duplicates dropped, brackets for several.
fn aggregate(errs: Vec<String>) -> String {
    let mut unique: Vec<String> = Vec::new();
    for e in errs {
        if !unique.contains(&e) {
            unique.push(e);
        }
    }
    if unique.len() == 1 {
        unique.remove(0)
    } else {
        format!("[{}]", unique.join(", "))
    }
}

/// Go's `%q` for the strings that appear in selectors.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `[]string` as upstream's field errors print it: JSON.
fn go_string_slice(values: &[String]) -> String {
    serde_json::to_string(values).unwrap_or_default()
}

const LABEL_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

/// Upstream `validation.RegexError`, including its odd `',  or '` spacing.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    let shown: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!(
        "{msg} (e.g. {}regex used for validation is '{fmt}')",
        shown.join(" or ")
    )
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
fn is_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

fn is_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(|label| {
        let b = label.as_bytes();
        let (Some(first), Some(last)) = (b.first(), b.last()) else {
            return false;
        };
        let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        alnum(first) && alnum(last) && b.iter().all(|c| alnum(c) || *c == b'-')
    })
}

/// Upstream `content.IsLabelKey`.
fn label_key_errors(key: &str) -> Vec<String> {
    let examples = ["MyName", "my.name", "123-abc"];
    let mut errs = Vec::new();
    let name = match key.split_once('/') {
        None => key,
        Some((_, suffix)) if suffix.contains('/') => {
            return vec![format!(
                "a valid label key {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(LABEL_NAME_MSG, LABEL_NAME_FMT, &examples)
            )];
        }
        Some((prefix, suffix)) => {
            if prefix.is_empty() {
                errs.push("prefix part must be non-empty".to_string());
            } else {
                if prefix.len() > 253 {
                    errs.push("prefix part must be no more than 253 characters".to_string());
                }
                if !is_dns1123_subdomain(prefix) {
                    errs.push(format!(
                        "prefix part {}",
                        regex_error(
                            DNS1123_SUBDOMAIN_MSG,
                            DNS1123_SUBDOMAIN_FMT,
                            &["example.com"]
                        )
                    ));
                }
            }
            suffix
        }
    };
    if name.is_empty() {
        errs.push("name part must be non-empty".to_string());
    } else if name.len() > 63 {
        errs.push("name part must be no more than 63 characters".to_string());
    }
    if !is_label_name(name) {
        errs.push(format!(
            "name part {}",
            regex_error(LABEL_NAME_MSG, LABEL_NAME_FMT, &examples)
        ));
    }
    errs
}

/// Upstream `content.IsLabelValue`.
fn label_value_errors(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > 63 {
        errs.push("must be no more than 63 characters".to_string());
    }
    if !value.is_empty() && !is_label_name(value) {
        errs.push(regex_error(
            LABEL_VALUE_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

/// One lexed token with its literal text (the literal is what error messages show).
#[derive(Debug, Clone)]
struct Item {
    token: Token,
    literal: String,
}

fn keyword(s: &str) -> Option<Token> {
    Some(match s {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

fn is_whitespace(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Splits the selector into tokens, ending with `EndOfString`. Operators are the longest
/// run of special characters that still forms a token; everything else up to a special
/// character or whitespace is an identifier or the keywords `in` / `notin`.
fn lex(s: &str) -> Vec<Item> {
    let bytes = s.as_bytes();
    let mut items = Vec::new();
    let mut pos = 0;
    loop {
        while pos < bytes.len() && is_whitespace(bytes[pos]) {
            pos += 1;
        }
        if pos >= bytes.len() {
            items.push(Item {
                token: Token::EndOfString,
                literal: String::new(),
            });
            return items;
        }
        let start = pos;
        if is_special(bytes[pos]) {
            // Every single special character is a token, so the first one always matches.
            let mut best = (Token::EndOfString, pos);
            while pos < bytes.len() && is_special(bytes[pos]) {
                match keyword(&s[start..=pos]) {
                    Some(token) => best = (token, pos + 1),
                    None => break,
                }
                pos += 1;
            }
            pos = best.1;
            items.push(Item {
                token: best.0,
                literal: s[start..pos].to_string(),
            });
        } else {
            while pos < bytes.len() && !is_special(bytes[pos]) && !is_whitespace(bytes[pos]) {
                pos += 1;
            }
            let literal = &s[start..pos];
            let token = match keyword(literal) {
                Some(t @ (Token::In | Token::NotIn)) => t,
                _ => Token::Identifier,
            };
            items.push(Item {
                token,
                literal: literal.to_string(),
            });
        }
    }
}

/// Whether `in`/`notin` are operators (after a key) or plain values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    KeyAndOperator,
    Values,
}

struct Parser {
    items: Vec<Item>,
    position: usize,
}

impl Parser {
    fn peek(&self, ctx: Context) -> (Token, String) {
        let item = &self.items[self.position.min(self.items.len() - 1)];
        let token = match item.token {
            Token::In | Token::NotIn if ctx == Context::Values => Token::Identifier,
            t => t,
        };
        (token, item.literal.clone())
    }

    fn next(&mut self, ctx: Context) -> (Token, String) {
        let item = self.peek(ctx);
        self.position += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        loop {
            let (token, literal) = self.peek(Context::Values);
            match token {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .parse_requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    requirements.push(r);
                    let (token, literal) = self.next(Context::Values);
                    match token {
                        Token::EndOfString => return Ok(requirements),
                        Token::Comma => {
                            let (next, literal) = self.peek(Context::Values);
                            if next != Token::Identifier && next != Token::DoesNotExist {
                                return Err(format!(
                                    "found '{literal}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => {
                            return Err(format!(
                                "found '{literal}', expected: ',' or 'end of string'"
                            ));
                        }
                    }
                }
                Token::EndOfString => return Ok(requirements),
                _ => {
                    return Err(format!(
                        "found '{literal}', expected: !, identifier, or 'end of string'"
                    ));
                }
            }
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let (key, inferred) = self.parse_key_and_infer_operator()?;
        if let Some(op) = inferred {
            return new_requirement(&key, op, Vec::new());
        }
        let operator = self.parse_operator()?;
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values()?,
            _ => self.parse_exact_value()?,
        };
        new_requirement(&key, operator, values)
    }

    /// The key, and `Exists`/`DoesNotExist` when no binary operator follows.
    fn parse_key_and_infer_operator(&mut self) -> Result<(String, Option<Operator>), String> {
        let (mut token, mut literal) = self.next(Context::Values);
        let mut operator = None;
        if token == Token::DoesNotExist {
            operator = Some(Operator::DoesNotExist);
            (token, literal) = self.next(Context::Values);
        }
        if token != Token::Identifier {
            return Err(format!("found '{literal}', expected: identifier"));
        }
        let key_errs = label_key_errors(&literal);
        if !key_errs.is_empty() {
            // Upstream validates with a nil field path here, which prints as "<nil>".
            return Err(invalid("<nil>", &go_quote(&literal), &key_errs.join("; ")));
        }
        let (next, _) = self.peek(Context::Values);
        if (next == Token::EndOfString || next == Token::Comma) && operator.is_none() {
            operator = Some(Operator::Exists);
        }
        Ok((literal, operator))
    }

    fn parse_operator(&mut self) -> Result<Operator, String> {
        let (token, literal) = self.next(Context::KeyAndOperator);
        Ok(match token {
            Token::In => Operator::In,
            Token::Equals => Operator::Equals,
            Token::DoubleEquals => Operator::DoubleEquals,
            Token::GreaterThan => Operator::GreaterThan,
            Token::LessThan => Operator::LessThan,
            Token::NotIn => Operator::NotIn,
            Token::NotEquals => Operator::NotEquals,
            _ => {
                return Err(format!(
                    "found '{literal}', expected: in, notin, =, ==, !=, gt, lt"
                ));
            }
        })
    }

    /// `(a,b,c)`; empty entries are the empty value.
    fn parse_values(&mut self) -> Result<Vec<String>, String> {
        let (token, literal) = self.next(Context::Values);
        if token != Token::OpenPar {
            return Err(format!("found '{literal}' expected: '('"));
        }
        let (token, literal) = self.peek(Context::Values);
        match token {
            Token::Identifier | Token::Comma => {
                let values = self.parse_identifiers_list()?;
                if self.next(Context::Values).0 != Token::ClosedPar {
                    // Upstream reports the token seen before the list, not the offending one.
                    return Err(format!("found '{literal}', expected: ')'"));
                }
                Ok(values)
            }
            Token::ClosedPar => {
                self.next(Context::Values);
                Ok(vec![String::new()])
            }
            _ => Err(format!(
                "found '{literal}', expected: ',', ')' or identifier"
            )),
        }
    }

    fn parse_identifiers_list(&mut self) -> Result<Vec<String>, String> {
        let mut set = std::collections::BTreeSet::new();
        loop {
            let (token, literal) = self.next(Context::Values);
            match token {
                Token::Identifier => {
                    set.insert(literal);
                    let (next, literal) = self.peek(Context::Values);
                    match next {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(set.into_iter().collect()),
                        _ => return Err(format!("found '{literal}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if set.is_empty() {
                        set.insert(String::new());
                    }
                    let (next, _) = self.peek(Context::Values);
                    if next == Token::ClosedPar {
                        set.insert(String::new());
                        return Ok(set.into_iter().collect());
                    }
                    if next == Token::Comma {
                        set.insert(String::new());
                    }
                }
                _ => return Err(format!("found '{literal}', expected: ',', or identifier")),
            }
        }
    }

    fn parse_exact_value(&mut self) -> Result<Vec<String>, String> {
        let (next, _) = self.peek(Context::Values);
        if next == Token::EndOfString || next == Token::Comma {
            return Ok(vec![String::new()]);
        }
        let (token, literal) = self.next(Context::Values);
        if token == Token::Identifier {
            Ok(vec![literal])
        } else {
            Err(format!("found '{literal}', expected: identifier"))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Field selectors
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct FieldTerm {
    field: String,
    equals: bool,
    value: String,
}

/// A parsed field selector: the AND of `field=value` / `field!=value` terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    terms: Vec<FieldTerm>,
}

impl FieldSelector {
    /// Parses `a=b`, `a==b`, `a!=b`, comma separated; `\,` `\=` `\\` escape in values.
    pub fn parse(s: &str) -> Result<FieldSelector, Error> {
        let mut parts = split_terms(s);
        // Upstream sorts the raw terms before parsing them.
        parts.sort();
        let mut terms = Vec::new();
        for part in parts.into_iter().filter(|p| !p.is_empty()) {
            let Some((field, op, raw_value)) = split_term(part) else {
                return Err(Error::FieldSelector(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                )));
            };
            let value = unescape_value(raw_value).map_err(Error::FieldSelector)?;
            terms.push(FieldTerm {
                field: field.to_string(),
                equals: op != "!=",
                value,
            });
        }
        Ok(FieldSelector { terms })
    }

    /// Whether every term holds; `get` returns a field's value, and a missing field reads
    /// as the empty string, as upstream's `fields.Set.Get` does.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|t| {
            let actual = get(&t.field).unwrap_or_default();
            (actual == t.value) == t.equals
        })
    }

    /// The field names the selector refers to, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().map(|t| t.field.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value a term requires with `=`/`==`, if any (e.g. `metadata.name` for a watch of
    /// one object).
    pub fn requires_exact_match(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|t| t.equals && t.field == field)
            .map(|t| t.value.as_str())
    }
}

impl fmt::Display for FieldSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = if t.equals { "=" } else { "!=" };
            write!(f, "{}{op}{}", t.field, escape_value(&t.value))?;
        }
        Ok(())
    }
}

/// Splits at commas not preceded by an escaping backslash (the backslash stays).
fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

/// Splits at the first `!=`, `==` or `=` (tried in that order at each position).
fn split_term(term: &str) -> Option<(&str, &str, &str)> {
    for (i, _) in term.char_indices() {
        for op in ["!=", "==", "="] {
            if term[i..].starts_with(op) {
                return Some((&term[..i], op, &term[i + op.len()..]));
            }
        }
    }
    None
}

fn unescape_value(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            if !matches!(c, '\\' | ',' | '=') {
                return Err(format!(
                    "invalid field selector: invalid escape sequence: \\{c}"
                ));
            }
            out.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            ',' | '=' => {
                return Err(format!(
                    "invalid field selector: unescaped character in value: {c}"
                ));
            }
            c => out.push(c),
        }
    }
    if escaped {
        return Err("invalid field selector: invalid escape sequence: \\".to_string());
    }
    Ok(out)
}

/// Escapes a literal for use as a field selector value.
pub fn escape_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace('=', "\\=")
}

/// The value of a selectable field of `obj` (JSON in the shape served for `rt`), or None
/// when the kind does not offer `field` for selection. A supported field that is unset
/// reads as "". `field` is the label as a client of `rt` writes it: `spec.host` is
/// accepted for pods, and events.k8s.io events take `regarding.*` and
/// `reportingController`.
pub fn field_value(rt: &ResourceType, obj: &Value, field: &str) -> Option<String> {
    let text = |ptr: &str| {
        obj.pointer(ptr)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let meta = |f: &str, namespaced_field: bool| match f {
        "metadata.name" => Some(text("/metadata/name")),
        // Cluster-scoped kinds accept the label but have no namespace to match.
        "metadata.namespace" if namespaced_field => Some(if rt.namespaced {
            text("/metadata/namespace")
        } else {
            String::new()
        }),
        _ => None,
    };
    match (rt.group, rt.kind) {
        ("", "Pod") => match field {
            "spec.nodeName" | "spec.host" => Some(text("/spec/nodeName")),
            "spec.restartPolicy" => Some(text("/spec/restartPolicy")),
            "spec.schedulerName" => Some(text("/spec/schedulerName")),
            "spec.serviceAccountName" => Some(text("/spec/serviceAccountName")),
            "spec.hostNetwork" => Some(
                obj.pointer("/spec/hostNetwork")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    .to_string(),
            ),
            "status.phase" => Some(text("/status/phase")),
            "status.podIP" => Some(pod_ip(obj).to_string()),
            // Accepted upstream but absent from the pod's selectable field set.
            "status.podIPs" => Some(String::new()),
            "status.nominatedNodeName" => Some(text("/status/nominatedNodeName")),
            f => meta(f, true),
        },
        ("", "Node") => match field {
            "spec.unschedulable" => Some(
                obj.pointer("/spec/unschedulable")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
                    .to_string(),
            ),
            f => meta(f, false),
        },
        ("", "Namespace") => match field {
            "status.phase" => Some(text("/status/phase")),
            f => meta(f, false),
        },
        ("", "Secret") => match field {
            "type" => Some(text("/type")),
            f => meta(f, true),
        },
        ("", "Service") => match field {
            "spec.clusterIP" => Some(text("/spec/clusterIP")),
            "spec.type" => Some(text("/spec/type")),
            f => meta(f, true),
        },
        ("", "Event") | ("events.k8s.io", "Event") => {
            let ev = EventView::new(obj);
            let core = rt.group.is_empty();
            let involved_prefix = if core {
                "involvedObject."
            } else {
                "regarding."
            };
            match (field, field.strip_prefix(involved_prefix)) {
                (
                    _,
                    Some(
                        k @ ("kind" | "namespace" | "name" | "uid" | "apiVersion"
                        | "resourceVersion" | "fieldPath"),
                    ),
                ) => Some(ev.involved_str(k).to_string()),
                ("reason", _) => Some(ev.reason.to_string()),
                ("type", _) => Some(ev.type_.to_string()),
                ("reportingComponent", _) if core => Some(ev.reporting_controller.to_string()),
                ("reportingController", _) if !core => Some(ev.reporting_controller.to_string()),
                ("source", _) => {
                    Some(first_non_empty(ev.source_component, ev.reporting_controller).to_string())
                }
                (f, _) => meta(f, true),
            }
        }
        _ => meta(field, true),
    }
}

fn first_non_empty<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.is_empty() { b } else { a }
}

/// Checks every field of `sel` against what `rt` offers, with upstream's message for the
/// first unsupported one (terms are checked in their sorted order, as upstream does).
pub fn check_field_selector(rt: &ResourceType, sel: &FieldSelector) -> Result<(), Error> {
    match sel
        .fields()
        .find(|f| field_value(rt, &Value::Null, f).is_none())
    {
        None => Ok(()),
        Some(f) => Err(Error::UnsupportedFieldSelector(unsupported_field_message(
            rt, f,
        ))),
    }
}

/// Kinds with their own field label conversion say "field label not supported"; all
/// others fall back to the generic metadata-only conversion and its message.
fn unsupported_field_message(rt: &ResourceType, field: &str) -> String {
    let own_conversion = matches!(
        (rt.group, rt.kind),
        (
            "",
            "Pod" | "Node" | "Namespace" | "Secret" | "Service" | "Event"
        ) | ("events.k8s.io", "Event")
    );
    if own_conversion {
        format!("field label not supported: {field}")
    } else {
        format!(
            "{} is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            go_quote(field)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::find;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selector_matching() {
        let web = labels(&[("app", "web"), ("tier", "front"), ("n", "5")]);
        let none = labels(&[]);
        let cases: &[(&str, bool, bool)] = &[
            // selector, matches `web`, matches no labels
            ("", true, true),
            ("app=web", true, false),
            ("app==web", true, false),
            ("app!=web", false, true),
            ("app!=db", true, true),
            ("app in (web,db)", true, false),
            ("app notin (web)", false, true),
            ("app notin (db)", true, true),
            ("app", true, false),
            ("!app", false, true),
            ("app=web,tier=front", true, false),
            ("app=web,tier=back", false, false),
            ("n>4", true, false),
            ("n<5", false, false),
            ("app>1", false, false),
            ("app=", false, false),
            ("x in (,a)", false, false),
            ("app in (in,notin,web)", true, false),
        ];
        for (s, on_web, on_none) in cases {
            let sel = LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(sel.matches(&web), *on_web, "{s} on web");
            assert_eq!(sel.matches(&none), *on_none, "{s} on no labels");
        }
    }

    #[test]
    fn label_selector_canonical_string() {
        let cases = [
            ("app=web", "app=web"),
            ("tier=front, app = web", "app=web,tier=front"),
            ("x in (c,a,b,a)", "x in (a,b,c)"),
            ("x notin ()", "x notin ()"),
            ("!a,b", "!a,b"),
            ("a==b,c!=d", "a==b,c!=d"),
            (
                "x in (foo,,baz),y,z notin ()",
                "x in (,baz,foo),y,z notin ()",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                LabelSelector::parse(input).unwrap().to_string(),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn label_selector_parse_errors_match_upstream() {
        let name_regex = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
        let cases = [
            ("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt".to_string()),
            ("a=b c", "found 'c', expected: ',' or 'end of string'".to_string()),
            ("a,", "found '', expected: identifier after ','".to_string()),
            ("=a", "found '=', expected: !, identifier, or 'end of string'".to_string()),
            ("a in b", "unable to parse requirement: found 'b' expected: '('".to_string()),
            ("a in (b", "unable to parse requirement: found '', expected: ',' or ')'".to_string()),
            ("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier".to_string()),
            ("a in (b,=)", "unable to parse requirement: found '=', expected: ',', or identifier".to_string()),
            ("a=(", "unable to parse requirement: found '(', expected: identifier".to_string()),
            ("!", "unable to parse requirement: found '', expected: identifier".to_string()),
            ("a>b", "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer".to_string()),
            ("a_=b", format!("unable to parse requirement: <nil>: Invalid value: \"a_\": name part {name_regex}")),
            (
                "a=b_",
                "unable to parse requirement: values[0][a]: Invalid value: \"b_\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".to_string(),
            ),
            ("a/b/c", format!("unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a valid label key {name_regex} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")),
            ("/b", "unable to parse requirement: <nil>: Invalid value: \"/b\": prefix part must be non-empty".to_string()),
            (
                "Ex.com/b",
                "unable to parse requirement: <nil>: Invalid value: \"Ex.com/b\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".to_string(),
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                LabelSelector::parse(input).unwrap_err(),
                Error::LabelSelector(want),
                "{input}"
            );
        }
        let long = "a".repeat(64);
        let got = LabelSelector::parse(&format!("{long}=b"))
            .unwrap_err()
            .to_string();
        assert!(
            got.ends_with("name part must be no more than 63 characters"),
            "{got}"
        );
    }

    #[test]
    fn label_selector_from_k8s() {
        let sel = metav1::LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![
                metav1::LabelSelectorRequirement {
                    key: "tier".into(),
                    operator: "In".into(),
                    values: Some(vec!["front".into(), "edge".into()]),
                },
                metav1::LabelSelectorRequirement {
                    key: "canary".into(),
                    operator: "DoesNotExist".into(),
                    values: None,
                },
            ]),
        };
        let s = LabelSelector::from_k8s(&sel).unwrap();
        assert_eq!(s.to_string(), "app=web,!canary,tier in (edge,front)");
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "edge")])));
        assert!(!s.matches(&labels(&[
            ("app", "web"),
            ("tier", "edge"),
            ("canary", "1")
        ])));
        assert!(!s.matches(&labels(&[("app", "web")])));

        let empty = LabelSelector::from_k8s(&metav1::LabelSelector::default()).unwrap();
        assert!(empty.is_empty() && empty.matches(&labels(&[])));

        let bad_op = metav1::LabelSelector {
            match_expressions: Some(vec![metav1::LabelSelectorRequirement {
                key: "a".into(),
                operator: "Gt".into(),
                values: None,
            }]),
            ..Default::default()
        };
        assert_eq!(
            LabelSelector::from_k8s(&bad_op).unwrap_err().to_string(),
            "\"Gt\" is not a valid label selector operator"
        );
        let empty_in = metav1::LabelSelector {
            match_expressions: Some(vec![metav1::LabelSelectorRequirement {
                key: "a".into(),
                operator: "In".into(),
                values: Some(vec![]),
            }]),
            ..Default::default()
        };
        assert_eq!(
            LabelSelector::from_k8s(&empty_in).unwrap_err().to_string(),
            "values: Invalid value: []: for 'in', 'notin' operators, values set can't be empty"
        );
        let exists_with_values = metav1::LabelSelector {
            match_expressions: Some(vec![metav1::LabelSelectorRequirement {
                key: "a".into(),
                operator: "Exists".into(),
                values: Some(vec!["x".into(), "y".into()]),
            }]),
            ..Default::default()
        };
        assert_eq!(
            LabelSelector::from_k8s(&exists_with_values)
                .unwrap_err()
                .to_string(),
            "values: Invalid value: [\"x\",\"y\"]: values set must be empty for exists and does not exist"
        );
    }

    #[test]
    fn label_selector_on_json_labels() {
        let sel = LabelSelector::parse("app=web").unwrap();
        assert!(sel.matches_object(&json!({"metadata": {"labels": {"app": "web"}}})));
        assert!(!sel.matches_object(&json!({"metadata": {"name": "x"}})));
        assert!(
            LabelSelector::parse("!app")
                .unwrap()
                .matches_object(&json!({"metadata": {}}))
        );
    }

    #[test]
    fn field_selector_parsing_and_matching() {
        // selector, the fields an object has, whether it matches
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
        let cases: &[Case] = &[
            ("", &[], true),
            ("metadata.name=web-0", &[("metadata.name", "web-0")], true),
            ("metadata.name==web-0", &[("metadata.name", "web-1")], false),
            (
                "status.phase!=Running",
                &[("status.phase", "Pending")],
                true,
            ),
            ("status.phase!=Running", &[], true),
            ("spec.nodeName=", &[], true),
            ("a=b,c=d", &[("a", "b"), ("c", "d")], true),
            ("a=b,c=d", &[("a", "b"), ("c", "x")], false),
            (r"a=x\,y\=z\\", &[("a", r"x,y=z\")], true),
            ("a=b,,", &[("a", "b")], true),
        ];
        for (s, fields, want) in cases {
            let sel = FieldSelector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            let map: BTreeMap<&str, &str> = fields.iter().copied().collect();
            assert_eq!(
                sel.matches(|f| map.get(f).map(|v| v.to_string())),
                *want,
                "{s}"
            );
        }
        let sel = FieldSelector::parse("metadata.namespace=ns,metadata.name=a").unwrap();
        assert_eq!(
            sel.fields().collect::<Vec<_>>(),
            ["metadata.name", "metadata.namespace"]
        );
        assert_eq!(sel.requires_exact_match("metadata.name"), Some("a"));
        assert_eq!(sel.to_string(), "metadata.name=a,metadata.namespace=ns");
        assert_eq!(
            FieldSelector::parse(r"a!=x\,y").unwrap().to_string(),
            r"a!=x\,y"
        );
    }

    #[test]
    fn field_selector_errors_match_upstream() {
        let cases = [
            ("abc", "invalid selector: 'abc'; can't understand 'abc'"),
            ("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'"),
            (
                r"a=b\c",
                r"invalid field selector: invalid escape sequence: \c",
            ),
            (
                r"a=b\",
                r"invalid field selector: invalid escape sequence: \",
            ),
            (
                "a=b=c",
                "invalid field selector: unescaped character in value: =",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                FieldSelector::parse(input).unwrap_err(),
                Error::FieldSelector(want.to_string()),
                "{input}"
            );
        }
    }

    #[test]
    fn pod_field_values() {
        let pods = find("", "v1", "pods").unwrap();
        let pod = json!({
            "metadata": {"name": "web-0", "namespace": "default"},
            "spec": {"nodeName": "node-1", "restartPolicy": "Always", "schedulerName": "default-scheduler",
                     "serviceAccountName": "default", "hostNetwork": true},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "podIPs": [{"ip": "10.0.0.5"}, {"ip": "fd00::5"}]}
        });
        let cases = [
            ("metadata.name", Some("web-0")),
            ("metadata.namespace", Some("default")),
            ("spec.nodeName", Some("node-1")),
            ("spec.host", Some("node-1")),
            ("spec.restartPolicy", Some("Always")),
            ("spec.schedulerName", Some("default-scheduler")),
            ("spec.serviceAccountName", Some("default")),
            ("spec.hostNetwork", Some("true")),
            ("status.phase", Some("Running")),
            ("status.podIP", Some("10.0.0.5")),
            ("status.podIPs", Some("")),
            ("status.nominatedNodeName", Some("")),
            ("spec.containers", None),
        ];
        for (field, want) in cases {
            assert_eq!(field_value(pods, &pod, field).as_deref(), want, "{field}");
        }
        let bare = json!({"metadata": {"name": "p"}, "status": {"podIP": "10.0.0.9"}});
        assert_eq!(
            field_value(pods, &bare, "spec.hostNetwork").as_deref(),
            Some("false")
        );
        assert_eq!(
            field_value(pods, &bare, "status.podIP").as_deref(),
            Some("10.0.0.9")
        );
    }

    #[test]
    fn field_values_of_other_kinds() {
        let node = find("", "v1", "nodes").unwrap();
        let ns = find("", "v1", "namespaces").unwrap();
        let secret = find("", "v1", "secrets").unwrap();
        let svc = find("", "v1", "services").unwrap();
        let pv = find("", "v1", "persistentvolumes").unwrap();
        let sts = find("apps", "v1", "statefulsets").unwrap();
        let cases: &[(&ResourceType, serde_json::Value, &str, Option<&str>)] = &[
            (
                node,
                json!({"metadata": {"name": "n1"}, "spec": {"unschedulable": true}}),
                "spec.unschedulable",
                Some("true"),
            ),
            (
                node,
                json!({"metadata": {"name": "n1"}}),
                "spec.unschedulable",
                Some("false"),
            ),
            (
                node,
                json!({"metadata": {"name": "n1"}}),
                "metadata.name",
                Some("n1"),
            ),
            (node, json!({}), "metadata.namespace", None),
            (
                ns,
                json!({"status": {"phase": "Terminating"}}),
                "status.phase",
                Some("Terminating"),
            ),
            (ns, json!({}), "metadata.namespace", None),
            (
                secret,
                json!({"type": "kubernetes.io/tls"}),
                "type",
                Some("kubernetes.io/tls"),
            ),
            (
                svc,
                json!({"spec": {"clusterIP": "10.96.0.1", "type": "ClusterIP"}}),
                "spec.clusterIP",
                Some("10.96.0.1"),
            ),
            (
                svc,
                json!({"spec": {"type": "NodePort"}}),
                "spec.type",
                Some("NodePort"),
            ),
            (
                pv,
                json!({"metadata": {"name": "pv-1"}}),
                "metadata.namespace",
                Some(""),
            ),
            (pv, json!({}), "spec.storageClassName", None),
            (
                sts,
                json!({"metadata": {"name": "web", "namespace": "prod"}}),
                "metadata.namespace",
                Some("prod"),
            ),
            (sts, json!({}), "status.replicas", None),
        ];
        for (rt, obj, field, want) in cases {
            assert_eq!(
                field_value(rt, obj, field).as_deref(),
                *want,
                "{} {field}",
                rt.plural
            );
        }
    }

    #[test]
    fn event_field_values_in_both_groups() {
        let core = find("", "v1", "events").unwrap();
        let new = find("events.k8s.io", "v1", "events").unwrap();
        let core_ev = json!({
            "metadata": {"name": "web.1", "namespace": "prod"},
            "involvedObject": {"kind": "StatefulSet", "name": "web", "namespace": "prod", "uid": "u-1"},
            "reason": "SuccessfulCreate", "type": "Normal", "source": {"component": "statefulset-controller"},
            "reportingComponent": "statefulset-controller"
        });
        let new_ev = json!({
            "metadata": {"name": "web.1", "namespace": "prod"},
            "regarding": {"kind": "StatefulSet", "name": "web", "namespace": "prod", "uid": "u-1"},
            "reason": "SuccessfulCreate", "type": "Normal", "reportingController": "statefulset-controller"
        });
        let core_cases = [
            ("involvedObject.kind", Some("StatefulSet")),
            ("involvedObject.uid", Some("u-1")),
            ("involvedObject.fieldPath", Some("")),
            ("reason", Some("SuccessfulCreate")),
            ("type", Some("Normal")),
            ("source", Some("statefulset-controller")),
            ("reportingComponent", Some("statefulset-controller")),
            ("regarding.kind", None),
            ("note", None),
        ];
        for (field, want) in core_cases {
            assert_eq!(
                field_value(core, &core_ev, field).as_deref(),
                want,
                "core {field}"
            );
        }
        let new_cases = [
            ("regarding.kind", Some("StatefulSet")),
            ("regarding.name", Some("web")),
            ("reportingController", Some("statefulset-controller")),
            ("source", Some("statefulset-controller")),
            ("metadata.namespace", Some("prod")),
            ("involvedObject.kind", None),
            ("reportingComponent", None),
        ];
        for (field, want) in new_cases {
            assert_eq!(
                field_value(new, &new_ev, field).as_deref(),
                want,
                "events.k8s.io {field}"
            );
        }
        // describe's query works on the stored core shape through either group.
        let describe = FieldSelector::parse(
            "involvedObject.kind=StatefulSet,involvedObject.name=web,involvedObject.namespace=prod,involvedObject.uid=u-1",
        )
        .unwrap();
        assert!(check_field_selector(core, &describe).is_ok());
        assert!(describe.matches(|f| field_value(core, &core_ev, f)));
    }

    #[test]
    fn unsupported_fields_use_upstream_messages() {
        let cases = [
            (
                "",
                "v1",
                "pods",
                "spec.foo",
                "field label not supported: spec.foo",
            ),
            (
                "",
                "v1",
                "nodes",
                "metadata.namespace",
                "field label not supported: metadata.namespace",
            ),
            (
                "events.k8s.io",
                "v1",
                "events",
                "note",
                "field label not supported: note",
            ),
            (
                "apps",
                "v1",
                "statefulsets",
                "spec.replicas",
                "\"spec.replicas\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            ),
            (
                "",
                "v1",
                "persistentvolumeclaims",
                "status.phase",
                "\"status.phase\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
            ),
        ];
        for (group, version, plural, field, want) in cases {
            let rt = find(group, version, plural).unwrap();
            let sel = FieldSelector::parse(&format!("metadata.name=x,{field}=y")).unwrap();
            assert_eq!(
                check_field_selector(rt, &sel),
                Err(Error::UnsupportedFieldSelector(want.to_string())),
                "{plural} {field}"
            );
        }
        let every_kind_has_metadata = crate::registry::RESOURCES.iter().all(|rt| {
            check_field_selector(rt, &FieldSelector::parse("metadata.name=x").unwrap()).is_ok()
        });
        assert!(every_kind_has_metadata);
    }
}
