//! [`Declared`]: declared parameters read with Grape's coercions, and Grape's error messages
//! collected in declaration order.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::Params;
use crate::domain::pagination::PageRequest;
use crate::domain::time::{self, Micros};
use crate::http::error::{ApiError, ApiResult};

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

    /// A required `type: Array[Integer]` parameter (numbers, or their text as forms send them).
    pub fn required_integer_array(&mut self, key: &str) -> Field<Vec<i64>> {
        let items = match self.params.get(key) {
            None => {
                self.fail(key, "is missing");
                return Field::Missing;
            }
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.fail(key, "is invalid");
                return Field::Missing;
            }
        };
        let integers: Option<Vec<i64>> = items
            .iter()
            .map(|v| match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            })
            .collect();
        match integers {
            Some(integers) => Field::Value(integers),
            None => {
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
    use crate::http::params::rack::parse_nested_query;

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
