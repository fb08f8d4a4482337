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

/// The URLs of one answer's pages: its absolute path and query, encoded once with the page
/// left to fill in. Rails' `to_query` sorts its `key=value` pairs, and `page=N` takes the same
/// place among them whatever N is: no other pair starts with `page=` (keys and values are
/// escaped, so `&` and `=` appear only between and within pairs).
struct PageUrls {
    /// Up to the `page=` pair, `?` or `&` included.
    before: String,
    /// After the page's number, `&` included.
    after: String,
}

impl PageUrls {
    /// `base`: the absolute URL of the path.
    fn new(base: &str, params: &Map<String, Value>) -> Self {
        let mut params = params.clone();
        params.insert("page".into(), Value::String("0".into()));
        let query = to_query(&params);
        let mut start = 0;
        for pair in query.split('&') {
            if pair == "page=0" {
                return Self {
                    before: format!("{base}?{}", &query[..start]),
                    after: query[start + pair.len()..].to_owned(),
                };
            }
            start += pair.len() + 1;
        }
        // Unreachable: the pair was just inserted. The page goes last.
        Self {
            before: format!("{base}?{query}&"),
            after: String::new(),
        }
    }

    fn url(&self, page: i64) -> String {
        format!("{}page={page}{}", self.before, self.after)
    }
}

/// The headers for one page of `total` items.
pub fn headers(urls: &Urls, request: &ApiRequest, page: PageRequest, total: i64) -> HeaderMap {
    let info = PageInfo::new(page, total);
    let mut params = request.params.0.clone();
    params.insert("per_page".into(), Value::String(info.per_page.to_string()));
    let pages = PageUrls::new(&urls.absolute(&request.raw_path), &params);
    let mut links = Vec::new();
    if let Some(prev) = info.prev_page {
        links.push(format!("<{}>; rel=\"prev\"", pages.url(prev)));
    }
    if let Some(next) = info.next_page {
        links.push(format!("<{}>; rel=\"next\"", pages.url(next)));
    }
    links.push(format!("<{}>; rel=\"first\"", pages.url(1)));
    links.push(format!("<{}>; rel=\"last\"", pages.url(info.total_pages)));

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn page_urls_are_the_query_encoded_with_each_page() {
        let base = "http://relinks.test/api/v4/projects/1/releases";
        for params in [
            json!({}),
            json!({"per_page": "100"}),
            json!({"page": "3", "per_page": "2", "id": "g/p"}),
            json!({"pag": "a", "page_size": "b", "pagf": "c", "pagd": "=&?"}),
            json!({"page": {"x": "1"}, "zeta": ["b", "a"], "alpha": {"k": "v w"}}),
        ] {
            let Value::Object(params) = params else {
                continue;
            };
            let pages = PageUrls::new(base, &params);
            for page in [1, 2, 10, 123_456] {
                let mut with_page = params.clone();
                with_page.insert("page".into(), Value::String(page.to_string()));
                assert_eq!(pages.url(page), format!("{base}?{}", to_query(&with_page)));
            }
        }
    }
}
