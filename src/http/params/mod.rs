//! Request parameters as Grape sees them: the query string, a form, multipart or JSON body,
//! merged into one map (body keys win), nested with Rack's `a[b][]=c` rules ([`rack`]); and
//! [`Declared`], which reads declared parameters with Grape's coercions and collects Grape's
//! error messages (`name is missing, url is missing`) in declaration order ([`declared`]).

pub mod declared;
pub mod rack;

use serde_json::{Map, Value};

use super::error::ApiError;

pub use declared::{Declared, Field};
pub use rack::{cgi_escape, normalize, parse_nested_query, to_query, to_query_replacing};

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
