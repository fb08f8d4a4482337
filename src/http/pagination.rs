//! GitLab's offset pagination headers: `X-Total`, `X-Total-Pages`, `X-Per-Page`, `X-Page`,
//! `X-Next-Page`, `X-Prev-Page` (empty when there is none) and an absolute `Link` header whose
//! URLs carry every request parameter, route captures included, as GitLab's do.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::error::{json_response, rendered_json_response};
use super::params::to_query;
use super::request::ApiRequest;
use super::urls::Urls;
use crate::domain::pagination::{PageInfo, PageRequest};

fn page_url(urls: &Urls, request: &ApiRequest, params: &Map<String, Value>, page: i64) -> String {
    let mut params = params.clone();
    params.insert("page".into(), Value::String(page.to_string()));
    format!("{}?{}", urls.absolute(&request.raw_path), to_query(&params))
}

/// The headers for one page of `total` items.
pub fn headers(urls: &Urls, request: &ApiRequest, page: PageRequest, total: i64) -> HeaderMap {
    let info = PageInfo::new(page, total);
    let mut params = request.params.0.clone();
    params.insert("per_page".into(), Value::String(info.per_page.to_string()));
    let mut links = Vec::new();
    if let Some(prev) = info.prev_page {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            page_url(urls, request, &params, prev)
        ));
    }
    if let Some(next) = info.next_page {
        links.push(format!(
            "<{}>; rel=\"next\"",
            page_url(urls, request, &params, next)
        ));
    }
    links.push(format!(
        "<{}>; rel=\"first\"",
        page_url(urls, request, &params, 1)
    ));
    links.push(format!(
        "<{}>; rel=\"last\"",
        page_url(urls, request, &params, info.total_pages)
    ));

    let optional = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let mut headers = HeaderMap::new();
    let pairs = [
        ("link", links.join(", ")),
        ("x-next-page", optional(info.next_page)),
        ("x-page", info.page.to_string()),
        ("x-per-page", info.per_page.to_string()),
        ("x-prev-page", optional(info.prev_page)),
        ("x-total", info.total.to_string()),
        ("x-total-pages", info.total_pages.to_string()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    headers
}

/// A 200 JSON array with the pagination headers.
pub fn paginated<T: serde::Serialize>(
    urls: &Urls,
    request: &ApiRequest,
    page: PageRequest,
    total: i64,
    items: &[T],
) -> Response {
    with_headers(
        urls,
        request,
        page,
        total,
        json_response(StatusCode::OK, items),
    )
}

/// A 200 with a JSON array rendered beforehand, and the pagination headers.
pub fn paginated_rendered(
    urls: &Urls,
    request: &ApiRequest,
    page: PageRequest,
    total: i64,
    items: Bytes,
) -> Response {
    let response = rendered_json_response(StatusCode::OK, items);
    with_headers(urls, request, page, total, response)
}

fn with_headers(
    urls: &Urls,
    request: &ApiRequest,
    page: PageRequest,
    total: i64,
    mut response: Response,
) -> Response {
    response
        .headers_mut()
        .extend(headers(urls, request, page, total));
    response
}
