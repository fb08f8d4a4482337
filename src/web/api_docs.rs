//! `/help/api`: the OpenAPI document as a page, rendered from the document itself, so that
//! browsing the API needs neither a viewer from the internet nor JavaScript. Operations are
//! grouped by tag, each with its parameters, request body and answers; the schemas follow.

use axum::http::StatusCode;
use axum::response::Response;
use maud::{html, Markup};
use serde_json::Value;

use super::pages::{layout, Frame};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The name a `$ref` points to (`#/components/schemas/Link` → `Link`).
fn reference_name(schema: &Value) -> Option<&str> {
    let reference = schema
        .get("$ref")
        .or_else(|| schema.get("items").and_then(|items| items.get("$ref")))?;
    reference.as_str()?.rsplit('/').next()
}

/// A schema in a few words: its name, `[Name]` for a list of them, or its type.
fn schema_summary(schema: Option<&Value>) -> Markup {
    let Some(schema) = schema else {
        return html! {};
    };
    if let Some(name) = reference_name(schema) {
        let list = schema.get("items").is_some();
        return html! {
            a href={ "#schema-" (name) } { @if list { "[" (name) "]" } @else { (name) } }
        };
    }
    let kind = schema
        .get("type")
        .map(|t| match t {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    html! { code { (kind) } }
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn operation(method: &str, path: &str, op: &Value) -> Markup {
    let parameters = op
        .get("parameters")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let body = op.get("requestBody").and_then(|b| b.get("content"));
    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    html! {
        section.operation id=(text(op, "operationId")) {
            h3 { code { (method.to_uppercase()) " " (path) } }
            @if !text(op, "summary").is_empty() { p { (text(op, "summary")) } }
            @if !text(op, "description").is_empty() { p { (text(op, "description")) } }
            @if !parameters.is_empty() {
                table {
                    caption { "Parameters" }
                    thead { tr { th { "Name" } th { "In" } th { "Type" } th { "Required" } th { "Description" } } }
                    tbody {
                        @for parameter in &parameters {
                            tr {
                                td { code { (text(parameter, "name")) } }
                                td { (text(parameter, "in")) }
                                td { (schema_summary(parameter.get("schema"))) }
                                td { @if parameter.get("required").and_then(Value::as_bool).unwrap_or(false) { "yes" } }
                                td { (text(parameter, "description")) }
                            }
                        }
                    }
                }
            }
            @if let Some(Value::Object(content)) = body {
                p { "Body: "
                    @for (media, item) in content {
                        code { (media) } " " (schema_summary(item.get("schema"))) " "
                    }
                }
            }
            table {
                caption { "Answers" }
                thead { tr { th { "Status" } th { "Description" } th { "Body" } } }
                tbody {
                    @for (status, answer) in &responses {
                        tr {
                            td { (status) }
                            td { (text(answer, "description")) }
                            td {
                                @if let Some(Value::Object(content)) = answer.get("content") {
                                    @for (media, item) in content {
                                        code { (media) } " " (schema_summary(item.get("schema"))) " "
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The page: every operation under its first tag, in the document's order, then the schemas.
pub fn page(document: &Value) -> Markup {
    let tags: Vec<&str> = document
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| tags.iter().map(|t| text(t, "name")).collect())
        .unwrap_or_default();
    let mut operations: Vec<(&str, &str, &str, &Value)> = Vec::new();
    if let Some(Value::Object(paths)) = document.get("paths") {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let tag = op
                        .get("tags")
                        .and_then(|t| t.get(0))
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    operations.push((tag, method, path.as_str(), op));
                }
            }
        }
    }
    let schemas = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let frame = Frame {
        viewer: None,
        here: "/help/api",
        csrf: &"",
    };
    let content = html! {
        h1 { (text(&document["info"], "title")) " " (text(&document["info"], "version")) }
        p { "Every route this server answers, from its OpenAPI document ("
            a href="/api/v4/openapi.json" { "openapi.json" } ")." }
        nav aria-label="Tags" { ul { @for tag in &tags { li { a href={ "#tag-" (tag.replace(' ', "-")) } { (tag) } } } } }
        @for tag in &tags {
            h2 id={ "tag-" (tag.replace(' ', "-")) } { (tag) }
            @for (_, method, path, op) in operations.iter().filter(|(t, ..)| t == tag) {
                (operation(method, path, op))
            }
        }
        h2 id="schemas" { "Schemas" }
        @for (name, schema) in &schemas {
            section.schema id={ "schema-" (name) } {
                h3 { (name) }
                pre { (serde_json::to_string_pretty(schema).unwrap_or_default()) }
            }
        }
    };
    layout(&frame, "API", &content)
}

/// `GET /help/api`, for the document given.
pub fn answer(document: &Value) -> Response {
    super::html(StatusCode::OK, page(document))
}
