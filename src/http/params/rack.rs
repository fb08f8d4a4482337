//! Rack's nested parameters (`a[b][]=c`) from a query string or form, and Rails' `to_query`
//! back (pagination links carry the request's own parameters).

use percent_encoding::{percent_decode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

use super::{MalformedParams, MAX_DEPTH};

fn decode_component(raw: &str) -> Result<String, MalformedParams> {
    let spaced = raw.replace('+', " ");
    percent_decode(spaced.as_bytes())
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
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
    let escaped = utf8_percent_encode(text, CGI_ESCAPE).to_string();
    if escaped.contains("%20") {
        escaped.replace("%20", "+")
    } else {
        escaped
    }
}

/// Rails' `Hash#to_query`: `key=value` pairs, nested keys bracketed. Each key's pairs are
/// sorted as a whole, so an array keeps its order (and a hash inside an array its own).
pub fn to_query(params: &Map<String, Value>) -> String {
    hash_to_query(params, None)
}

/// [`to_query`] of `params` with the top-level keys of `replaced` set to their text values
/// (added, or in place of the given ones), without copying `params`: what every page link of a
/// list answer encodes.
pub fn to_query_replacing(params: &Map<String, Value>, replaced: &[(&str, &str)]) -> String {
    let mut parts: Vec<String> = params
        .iter()
        .filter(|(key, value)| {
            !is_empty_collection(value) && !replaced.iter().any(|(name, _)| name == key)
        })
        .map(|(key, value)| value_to_query(value, key))
        .chain(
            replaced
                .iter()
                .map(|(key, value)| format!("{}={}", cgi_escape(key), cgi_escape(value))),
        )
        .collect();
    parts.sort();
    parts.join("&")
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
}
