//! The `BEGIN` of a write transaction, with the request's audit context set in the same round
//! trip: `BEGIN; SELECT set_config(…)` sent as one simple query. A simple query carries no
//! parameters, so the values are written as literals: escaped string constants (`E'…'`), whose
//! meaning does not depend on `standard_conforming_strings`.

use crate::store::audit::AuditContext;

/// `BEGIN` followed by the `set_config` calls the audit triggers read.
pub fn statement(context: &AuditContext) -> String {
    let author_id = context.author_id.map(|id| id.to_string());
    let idempotency_key = context.idempotency_key.map(|id| id.to_string());
    format!(
        "BEGIN; SELECT set_config('relinks.author_id', {}, true), \
         set_config('relinks.author_name', {}, true), \
         set_config('relinks.ip_address', {}, true), \
         set_config('relinks.request_id', {}, true), \
         set_config('relinks.idempotency_key', {}, true)",
        literal(author_id.as_deref()),
        literal(context.author_name.as_deref()),
        literal(context.ip_address.as_deref()),
        literal(context.request_id.as_deref()),
        literal(idempotency_key.as_deref()),
    )
}

/// An escaped string constant; absent values are the empty string, as the triggers expect.
/// NUL cannot be in a PostgreSQL string: it is dropped.
fn literal(value: Option<&str>) -> String {
    let mut out = String::from("E'");
    for c in value.unwrap_or_default().chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            '\0' => {}
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_whatever_they_hold() {
        assert_eq!(literal(None), "E''");
        assert_eq!(literal(Some("plain")), "E'plain'");
        assert_eq!(literal(Some("o'brien")), "E'o''brien'");
        assert_eq!(
            literal(Some("a\\'; DROP TABLE users; --")),
            "E'a\\\\''; DROP TABLE users; --'"
        );
        assert_eq!(literal(Some("nul\0byte")), "E'nulbyte'");
    }

    #[test]
    fn the_statement_sets_all_five() {
        let statement = statement(&AuditContext {
            author_id: Some(7),
            author_name: Some("root".into()),
            ip_address: None,
            request_id: Some("r-1".into()),
            idempotency_key: Some(9),
        });
        assert!(statement.starts_with("BEGIN; SELECT "));
        assert!(statement.contains("set_config('relinks.author_id', E'7', true)"));
        assert!(statement.contains("set_config('relinks.ip_address', E'', true)"));
        assert!(statement.contains("set_config('relinks.request_id', E'r-1', true)"));
        assert!(statement.contains("set_config('relinks.idempotency_key', E'9', true)"));
    }
}
