//! GitLab's offset pagination headers: `X-Total`, `X-Total-Pages`, `X-Per-Page`, `X-Page`,
//! `X-Next-Page`, `X-Prev-Page` (empty when there is none) and an absolute `Link` header whose
//! URLs carry every request parameter, route captures included, as GitLab's do.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use super::error::{json_response, rendered_json_response};
use super::params::to_query_replacing;
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
    /// `base`: the absolute URL of the path; `params`: the request's, `per_page` set.
    fn new(base: &str, params: &Map<String, Value>, per_page: &str) -> Self {
        let query = to_query_replacing(params, &[("per_page", per_page), ("page", "0")]);
        let mut start = 0;
        for pair in query.split('&') {
            if pair == "page=0" {
                return Self {
                    before: [base, "?", &query[..start]].concat(),
                    after: query[start + pair.len()..].to_owned(),
                };
            }
            start += pair.len() + 1;
        }
        // Unreachable: the pair was just added. The page goes last.
        Self {
            before: [base, "?", &query, "&"].concat(),
            after: String::new(),
        }
    }

    /// Appends `<url of page>; rel="rel"` to a `Link` header's text.
    fn push_link(&self, link: &mut String, page: i64, rel: &str) {
        if !link.is_empty() {
            link.push_str(", ");
        }
        link.push('<');
        link.push_str(&self.before);
        link.push_str("page=");
        link.push_str(itoa::Buffer::new().format(page));
        link.push_str(&self.after);
        link.push_str(">; rel=\"");
        link.push_str(rel);
        link.push('"');
    }

    #[cfg(test)]
    fn url(&self, page: i64) -> String {
        format!("{}page={page}{}", self.before, self.after)
    }
}

/// The headers for one page of `total` items. Written without `format!` or copies of the
/// request's parameters: every list answer makes them.
pub fn headers(urls: &Urls, request: &ApiRequest, page: PageRequest, total: i64) -> HeaderMap {
    let info = PageInfo::new(page, total);
    let mut number = itoa::Buffer::new();
    let per_page = number.format(info.per_page).to_owned();
    let pages = PageUrls::new(
        &urls.absolute(&request.raw_path),
        &request.params.0,
        &per_page,
    );
    let mut link = String::with_capacity(4 * (pages.before.len() + pages.after.len() + 32));
    if let Some(prev) = info.prev_page {
        pages.push_link(&mut link, prev, "prev");
    }
    if let Some(next) = info.next_page {
        pages.push_link(&mut link, next, "next");
    }
    pages.push_link(&mut link, 1, "first");
    pages.push_link(&mut link, info.total_pages, "last");

    let mut headers = HeaderMap::with_capacity(8);
    let mut insert = |name: &'static str, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    insert("link", &link);
    insert(
        "x-next-page",
        info.next_page.map_or("", |n| number.format(n)),
    );
    insert("x-page", number.format(info.page));
    insert("x-per-page", &per_page);
    insert(
        "x-prev-page",
        info.prev_page.map_or("", |n| number.format(n)),
    );
    insert("x-total", number.format(info.total));
    insert("x-total-pages", number.format(info.total_pages));
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
            for per_page in ["20", "100"] {
                let pages = PageUrls::new(base, &params, per_page);
                for page in [1, 2, 10, 123_456] {
                    let mut with_page = params.clone();
                    with_page.insert("per_page".into(), Value::String(per_page.into()));
                    with_page.insert("page".into(), Value::String(page.to_string()));
                    assert_eq!(
                        pages.url(page),
                        format!("{base}?{}", super::super::params::to_query(&with_page))
                    );
                }
            }
        }
    }
}
