//! Request parameters as Grape sees them: the query string, a form, multipart or JSON body,
//! merged into one map (body keys win), nested with Rack's `a[b][]=c` rules; and [`Declared`],
//! which reads declared parameters with Grape's coercions and collects Grape's error messages
//! (`name is missing, url is missing`) in declaration order.

use chrono::NaiveDate;
use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult};
use crate::domain::pagination::PageRequest;
use crate::domain::time::{self, Micros};

/// How deep `a[b][c]…` may nest before the request is refused (Rack's limit is similar).
const MAX_DEPTH: usize = 32;

/// All parameters of a request, merged.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Map<String, Value>);

impl Params {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Adds `other`'s keys, replacing existing ones (Rack's `GET.merge(POST)`).
    pub fn merge(&mut self, other: Map<String, Value>) {
        for (key, value) in other {
            self.0.insert(key, value);
        }
    }

    /// A parameter as a plain string, when it is one (used for credentials).
    pub fn str(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }
}

/// Why a query string or form could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct MalformedParams(pub String);

impl From<MalformedParams> for ApiError {
    fn from(error: MalformedParams) -> Self {
        ApiError::params(error.0)
    }
}

fn decode_component(raw: &str) -> Result<String, MalformedParams> {
    let spaced = raw.replace('+', " ");
    percent_decode(spaced.as_bytes())
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| MalformedParams("invalid byte sequence in UTF-8".into()))
}

/// Rack's `parse_nested_query`, for query strings and form bodies.
pub fn parse_nested_query(input: &str) -> Result<Map<String, Value>, MalformedParams> {
    let mut params = Map::new();
    for pair in input.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = match pair.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (pair, None),
        };
        let key = decode_component(raw_key)?;
        let value = match raw_value {
            Some(v) => Value::String(decode_component(v)?),
            None => Value::Null,
        };
        normalize(&mut params, &key, value, MAX_DEPTH)?;
    }
    Ok(params)
}

/// Adds one `name=value` pair to `params` the way Rack's `normalize_params` does.
pub fn normalize(
    params: &mut Map<String, Value>,
    name: &str,
    value: Value,
    depth: usize,
) -> Result<(), MalformedParams> {
    if depth == 0 {
        return Err(MalformedParams("parameters are nested too deeply".into()));
    }
    let trimmed = name.trim_start_matches(['[', ']']);
    let key_end = trimmed.find(['[', ']']).unwrap_or(trimmed.len());
    let key = &trimmed[..key_end];
    if key.is_empty() {
        return Ok(());
    }
    let after = trimmed[key_end..].trim_start_matches(']');
    let type_error = |expected: &str| {
        MalformedParams(format!(
            "expected {expected} (got another type) for param `{key}'"
        ))
    };
    if after.is_empty() {
        params.insert(key.to_owned(), value);
    } else if after == "[" {
        params.insert(name.to_owned(), value);
    } else if after == "[]" {
        let entry = params
            .entry(key.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        entry
            .as_array_mut()
            .ok_or_else(|| type_error("Array"))?
            .push(value);
    } else if let Some(child) = after.strip_prefix("[]") {
        let child_key = child
            .strip_prefix('[')
            .and_then(|c| c.strip_suffix(']'))
            .filter(|c| !c.contains(['[', ']']))
            .unwrap_or(child);
        let entry = params
            .entry(key.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        let array = entry.as_array_mut().ok_or_else(|| type_error("Array"))?;
        let reuse_last =
            matches!(array.last(), Some(Value::Object(last)) if !has_nested_key(last, child_key));
        if reuse_last {
            if let Some(Value::Object(last)) = array.last_mut() {
                normalize(last, child_key, value, depth - 1)?;
            }
        } else {
            let mut fresh = Map::new();
            normalize(&mut fresh, child_key, value, depth - 1)?;
            array.push(Value::Object(fresh));
        }
    } else {
        let entry = params
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        let object = entry.as_object_mut().ok_or_else(|| type_error("Hash"))?;
        normalize(object, after, value, depth - 1)?;
    }
    Ok(())
}

/// Rack's `params_hash_has_key?`.
fn has_nested_key(hash: &Map<String, Value>, key: &str) -> bool {
    if key.contains("[]") {
        return false;
    }
    let mut current = hash;
    let parts: Vec<&str> = key.split(['[', ']']).filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        match current.get(*part) {
            Some(Value::Object(inner)) => current = inner,
            Some(_) if i + 1 == parts.len() => return true,
            _ => return false,
        }
    }
    true
}

/// What `CGI.escape` leaves alone: letters, digits and `_ . - ~`.
const CGI_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'_')
    .remove(b'.')
    .remove(b'-')
    .remove(b'~');

/// Ruby's `CGI.escape`: percent-encoding with spaces as `+`.
pub fn cgi_escape(text: &str) -> String {
    utf8_percent_encode(text, CGI_ESCAPE)
        .to_string()
        .replace("%20", "+")
}

/// Rails' `Hash#to_query`: `key=value` pairs, nested keys bracketed. Each key's pairs are
/// sorted as a whole, so an array keeps its order (and a hash inside an array its own).
pub fn to_query(params: &Map<String, Value>) -> String {
    hash_to_query(params, None)
}

fn hash_to_query(hash: &Map<String, Value>, namespace: Option<&str>) -> String {
    let mut parts: Vec<String> = hash
        .iter()
        .filter(|(_, value)| !is_empty_collection(value))
        .map(|(key, value)| match namespace {
            Some(namespace) => value_to_query(value, &format!("{namespace}[{key}]")),
            None => value_to_query(value, key),
        })
        .collect();
    if !namespace.is_some_and(|n| n.contains("[]")) {
        parts.sort();
    }
    parts.join("&")
}

fn is_empty_collection(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

fn value_to_query(value: &Value, key: &str) -> String {
    match value {
        Value::Object(map) => hash_to_query(map, Some(key)),
        Value::Array(items) if items.is_empty() => format!("{}=", cgi_escape(&format!("{key}[]"))),
        Value::Array(items) => {
            let prefix = format!("{key}[]");
            let parts: Vec<String> = items
                .iter()
                .map(|item| value_to_query(item, &prefix))
                .collect();
            parts.join("&")
        }
        Value::Null => format!("{}=", cgi_escape(key)),
        Value::String(s) => format!("{}={}", cgi_escape(key), cgi_escape(s)),
        other => format!("{}={}", cgi_escape(key), cgi_escape(&other.to_string())),
    }
}

/// A declared parameter as read: absent, explicitly null, or a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    Missing,
    Null,
    Value(T),
}

impl<T> Field<T> {
    pub fn value(self) -> Option<T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_present(&self) -> bool {
        !matches!(self, Field::Missing)
    }

    pub fn as_ref(&self) -> Field<&T> {
        match self {
            Field::Missing => Field::Missing,
            Field::Null => Field::Null,
            Field::Value(v) => Field::Value(v),
        }
    }

    /// `None` when absent, `Some(None)` when null, `Some(Some(v))` otherwise.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Field::Missing => None,
            Field::Null => Some(None),
            Field::Value(v) => Some(Some(v)),
        }
    }
}

/// Reads declared parameters with Grape's coercions, collecting its error messages.
pub struct Declared<'a> {
    params: &'a Map<String, Value>,
    prefix: String,
    errors: Vec<String>,
}

impl<'a> Declared<'a> {
    pub fn new(params: &'a Params) -> Self {
        Self::within(&params.0, String::new())
    }

    /// Parameters nested under `prefix` (`assets[links][0]`), for arrays of hashes.
    pub fn within(params: &'a Map<String, Value>, prefix: String) -> Self {
        Self {
            params,
            prefix,
            errors: Vec::new(),
        }
    }

    fn name(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}[{key}]", self.prefix)
        }
    }

    pub fn fail(&mut self, key: &str, problem: &str) {
        let name = self.name(key);
        self.errors.push(format!("{name} {problem}"));
    }

    /// Adds the errors of a nested reader.
    pub fn absorb(&mut self, nested: Declared<'_>) {
        self.errors.extend(nested.errors);
    }

    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.params.get(key)
    }

    /// A `type: String` parameter.
    pub fn string(&mut self, key: &str) -> Field<String> {
        match self.params.get(key) {
            None => Field::Missing,
            Some(Value::Null) => Field::Null,
            Some(Value::String(s)) if !s.contains('\0') => Field::Value(s.clone()),
            Some(Value::Number(n)) => Field::Value(n.to_string()),
            Some(Value::Bool(b)) => Field::Value(b.to_string()),
            Some(_) => {
                self.fail(key, "is invalid");
                Field::Missing
            }
        }
    }

    /// A `requires :key, type: String` parameter.
    pub fn required_string(&mut self, key: &str) -> Field<String> {
        if !self.params.contains_key(key) {
            self.fail(key, "is missing");
            return Field::Missing;
        }
        self.string(key)
    }

    /// A string restricted to `values`.
    pub fn one_of(&mut self, key: &str, values: &[&str]) -> Field<String> {
        match self.string(key) {
            Field::Value(v) if !values.contains(&v.as_str()) => {
                self.fail(key, "does not have a valid value");
                Field::Missing
            }
            other => other,
        }
    }

    /// A `type: Integer` parameter. An empty string counts as null, as in Grape.
    pub fn integer(&mut self, key: &str) -> Field<i64> {
        let parsed = match self.params.get(key) {
            None => return Field::Missing,
            Some(Value::Null) => return Field::Null,
            Some(Value::String(s)) if s.trim().is_empty() => return Field::Null,
            Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
            Some(Value::Number(n)) => n.as_i64(),
            Some(_) => None,
        };
        match parsed {
            Some(n) => Field::Value(n),
            None => {
                self.fail(key, "is invalid");
                Field::Missing
            }
        }
    }

    pub fn required_integer(&mut self, key: &str) -> Field<i64> {
        if !self.params.contains_key(key) {
            self.fail(key, "is missing");
            return Field::Missing;
        }
        self.integer(key)
    }

    /// An integer restricted to `values`.
    pub fn integer_one_of(&mut self, key: &str, values: &[i64]) -> Field<i64> {
        match self.integer(key) {
            Field::Value(v) if !values.contains(&v) => {
                self.fail(key, "does not have a valid value");
                Field::Missing
            }
            other => other,
        }
    }

    /// A `type: Boolean` parameter.
    pub fn boolean(&mut self, key: &str) -> Field<bool> {
        let parsed = match self.params.get(key) {
            None => return Field::Missing,
            Some(Value::Null) => return Field::Null,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Number(n)) => n.as_i64().and_then(|n| match n {
                1 => Some(true),
                0 => Some(false),
                _ => None,
            }),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "t" | "1" | "yes" | "y" | "on" => Some(true),
                "false" | "f" | "0" | "no" | "n" | "off" => Some(false),
                "" => return Field::Null,
                _ => None,
            },
            Some(_) => None,
        };
        match parsed {
            Some(b) => Field::Value(b),
            None => {
                self.fail(key, "is invalid");
                Field::Missing
            }
        }
    }

    /// A `type: Array[String]` parameter; a comma-separated string is accepted too.
    pub fn string_array(&mut self, key: &str) -> Field<Vec<String>> {
        match self.params.get(key) {
            None => Field::Missing,
            Some(Value::Null) => Field::Null,
            Some(Value::String(s)) => Field::Value(
                s.split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
            ),
            Some(Value::Array(items)) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) if !s.contains('\0') => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect();
                match strings {
                    Some(s) => Field::Value(s),
                    None => {
                        self.fail(key, "is invalid");
                        Field::Missing
                    }
                }
            }
            Some(_) => {
                self.fail(key, "is invalid");
                Field::Missing
            }
        }
    }

    /// A `type: DateTime` parameter.
    pub fn datetime(&mut self, key: &str) -> Field<Micros> {
        match self.string(key) {
            Field::Value(s) if s.trim().is_empty() => Field::Null,
            Field::Value(s) => match time::parse_datetime(&s) {
                Some(t) => Field::Value(t),
                None => {
                    self.fail(key, "is invalid");
                    Field::Missing
                }
            },
            Field::Null => Field::Null,
            Field::Missing => Field::Missing,
        }
    }

    /// A `type: Date` parameter (`YYYY-MM-DD`).
    pub fn date(&mut self, key: &str) -> Field<NaiveDate> {
        match self.string(key) {
            Field::Value(s) if s.trim().is_empty() => Field::Null,
            Field::Value(s) => match time::parse_date(&s) {
                Some(d) => Field::Value(d),
                None => {
                    self.fail(key, "is invalid");
                    Field::Missing
                }
            },
            Field::Null => Field::Null,
            Field::Missing => Field::Missing,
        }
    }

    /// A `type: Hash` parameter.
    pub fn hash(&mut self, key: &str) -> Option<&'a Map<String, Value>> {
        match self.params.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map),
            Some(_) => {
                self.fail(key, "is invalid");
                None
            }
        }
    }

    /// A `type: Array` of hashes.
    pub fn hash_array(&mut self, key: &str) -> Option<Vec<&'a Map<String, Value>>> {
        match self.params.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let hashes: Option<Vec<_>> = items.iter().map(Value::as_object).collect();
                if hashes.is_none() {
                    self.fail(key, "is invalid");
                }
                hashes
            }
            // A form sends `links[0][name]=…` as a hash keyed by index.
            Some(Value::Object(map)) if map.keys().all(|k| k.parse::<usize>().is_ok()) => {
                let hashes: Option<Vec<_>> = map.values().map(Value::as_object).collect();
                if hashes.is_none() {
                    self.fail(key, "is invalid");
                }
                hashes
            }
            Some(_) => {
                self.fail(key, "is invalid");
                None
            }
        }
    }

    /// Grape's `at_least_one_of`.
    pub fn at_least_one_of(&mut self, keys: &[&str]) {
        if !keys.iter().any(|k| self.params.contains_key(*k)) {
            let names: Vec<String> = keys.iter().map(|k| self.name(k)).collect();
            self.errors.push(format!(
                "{} are missing, at least one parameter must be provided",
                names.join(", ")
            ));
        }
    }

    /// Grape's `mutually_exclusive`.
    pub fn mutually_exclusive(&mut self, keys: &[&str]) {
        if keys
            .iter()
            .filter(|k| self.params.contains_key(**k))
            .count()
            > 1
        {
            let names: Vec<String> = keys.iter().map(|k| self.name(k)).collect();
            self.errors
                .push(format!("{} are mutually exclusive", names.join(", ")));
        }
    }

    /// GitLab's pagination parameters: `page` and `per_page` (which may not be 0).
    pub fn page(&mut self) -> PageRequest {
        let page = self.integer("page").value();
        let per_page = match self.integer("per_page") {
            Field::Value(0) => {
                self.fail("per_page", "has a value not allowed");
                None
            }
            other => other.value(),
        };
        PageRequest::new(page, per_page)
    }

    /// Ends reading: a 400 `{"error": …}` listing every problem, or nothing.
    pub fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::params(self.errors.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(q: &str) -> Value {
        Value::Object(parse_nested_query(q).expect("parses"))
    }

    #[test]
    fn nested_query_follows_rack() {
        assert_eq!(parse("a=1&b=x+y%21"), json!({"a": "1", "b": "x y!"}));
        assert_eq!(
            parse("s[]=api&s[]=read_api"),
            json!({"s": ["api", "read_api"]})
        );
        assert_eq!(
            parse("assets[links][][name]=a&assets[links][][url]=u&assets[links][][name]=b"),
            json!({"assets": {"links": [{"name": "a", "url": "u"}, {"name": "b"}]}})
        );
        assert_eq!(parse("a[b][c]=1"), json!({"a": {"b": {"c": "1"}}}));
        assert_eq!(parse("flag"), json!({"flag": null}));
        assert_eq!(parse("a=1&a=2"), json!({"a": "2"}));
        assert!(parse_nested_query("a=1&a[b]=2").is_err());
        assert!(parse_nested_query("a=%FF").is_err());
    }

    #[test]
    fn to_query_sorts_and_escapes_like_rails() {
        let params =
            parse_nested_query("tag_name=release/1.0&id=5&page=2&x[]=a b").expect("parses");
        assert_eq!(
            to_query(&params),
            "id=5&page=2&tag_name=release%2F1.0&x%5B%5D=a+b"
        );
    }

    #[test]
    fn declared_collects_grape_messages_in_order() {
        let params =
            Params(parse_nested_query("link_type=bogus&page=x&per_page=0").expect("parses"));
        let mut d = Declared::new(&params);
        d.required_string("name");
        d.required_string("url");
        d.one_of("link_type", &["other"]);
        d.page();
        let err = d.finish().expect_err("fails");
        match err {
            ApiError::Error(_, text) => assert_eq!(
                text,
                "name is missing, url is missing, link_type does not have a valid value, \
                 page is invalid, per_page has a value not allowed"
            ),
            other => panic!("unexpected {other:?}"),
        }
    }
}
