//! Finding a request's handler: one match of its path among every route's template, whose
//! index also files the request under its template in the metrics; then the handler of its
//! method, with the path's captures for `ApiRequest`. Paths no route matches go to the web
//! dispatcher (the pages, and the API's 404).
//!
//! axum's `Router` did this with a second match of the path (after the metrics' own), made
//! its captures once for itself and again for `ApiRequest`, and cloned a boxed service for
//! each request: a tenth of the time relinks spent on a cached read.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};

use crate::http::error::ApiError;
use crate::http::request::Captures;
use crate::http::routes::{Answer, Endpoint, Route};
use crate::http::App;
use crate::store::Store;

/// Every route's handlers, by template.
pub struct Dispatch<S> {
    /// Template → its index in `routes`.
    paths: matchit::Router<usize>,
    routes: Vec<Template<S>>,
    /// Paths no route matches.
    fallback: Endpoint<S>,
}

/// One path template and the handlers of its methods.
struct Template<S> {
    path: String,
    /// The names of its captures, shared by every request's captures.
    names: Vec<Arc<str>>,
    handlers: Vec<(Method, Endpoint<S>)>,
}

/// Where a request's path led: the index of its template (none when no route matched), and
/// the captures of its path.
pub struct Found {
    pub route: Option<usize>,
    captures: Option<Captures>,
}

impl<S: Store> Dispatch<S> {
    /// The dispatch of `routes` (those with a handler; several may share a path, each with
    /// its own methods), and `fallback` for every other path.
    // The route tables are fixed in the code: a template the router refuses, or two that
    // conflict, is a bug every test meets at start-up (as axum's router panicked too).
    #[allow(clippy::expect_used)]
    pub fn new(routes: Vec<Route<S>>, fallback: Endpoint<S>) -> Self {
        let mut paths = matchit::Router::new();
        let mut templates: Vec<Template<S>> = Vec::new();
        let mut index_of: HashMap<String, usize> = HashMap::new();
        for route in routes {
            let Some(handler) = route.handler.clone() else {
                continue;
            };
            let path = route.router_path();
            let index = *index_of.entry(path.clone()).or_insert_with(|| {
                paths
                    .insert(path.clone(), templates.len())
                    .expect("the route tables' templates are valid and distinct");
                templates.push(Template {
                    names: capture_names(&path),
                    path,
                    handlers: Vec::new(),
                });
                templates.len() - 1
            });
            if let Some(template) = templates.get_mut(index) {
                for method in route.methods() {
                    template.handlers.push((method, handler.clone()));
                }
            }
        }
        Self {
            paths,
            routes: templates,
            fallback,
        }
    }

    /// The templates, in the order of their indexes.
    pub fn templates(&self) -> impl Iterator<Item = String> + '_ {
        self.routes.iter().map(|template| template.path.clone())
    }

    /// The template `path` matches, and its captures, percent-decoded each on its own.
    pub fn find(&self, path: &str) -> Found {
        let Ok(matched) = self.paths.at(path) else {
            return Found {
                route: None,
                captures: None,
            };
        };
        let index = *matched.value;
        // The template's names, in the order matchit gives its values.
        let names = self.routes.get(index).map_or(&[][..], |t| &t.names[..]);
        let mut captures = Vec::with_capacity(names.len());
        for (name, (_, value)) in names.iter().zip(matched.params.iter()) {
            let Ok(decoded) = percent_encoding::percent_decode_str(value).decode_utf8() else {
                return Found {
                    route: Some(index),
                    captures: Some(Captures::InvalidUtf8),
                };
            };
            captures.push((name.clone(), decoded.into_owned()));
        }
        Found {
            route: Some(index),
            captures: Some(Captures::Decoded(captures)),
        }
    }

    /// The answer of the handler `found` leads to. A known path without a handler for the
    /// method gets GitLab's catch-all 404; HEAD is answered by GET's handler where it has
    /// none of its own (and [`without_body_for_head`] empties the answer).
    pub fn call(&self, found: Found, mut request: Request, app: App<S>) -> Answer {
        let Some(template) = found.route.and_then(|index| self.routes.get(index)) else {
            return (self.fallback)(request, app);
        };
        let method = request.method();
        let handler = template.handler(method).or_else(|| match *method {
            Method::HEAD => template.handler(&Method::GET),
            _ => None,
        });
        let Some(handler) = handler else {
            return Box::pin(std::future::ready(
                ApiError::route_not_found().into_response(),
            ));
        };
        if let Some(captures) = found.captures {
            request.extensions_mut().insert(captures);
        }
        handler(request, app)
    }
}

impl<S> Template<S> {
    fn handler(&self, method: &Method) -> Option<&Endpoint<S>> {
        self.handlers
            .iter()
            .find(|(served, _)| served == method)
            .map(|(_, handler)| handler)
    }
}

/// The names of a template's captures (`{id}`, `{*path}`), in order.
fn capture_names(template: &str) -> Vec<Arc<str>> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(name, _)| Arc::from(name.trim_start_matches('*')))
        .collect()
}

/// As axum's router answered: every answer whose body's size is known says it in
/// `Content-Length`, and an answer to HEAD keeps that header but not the body.
pub fn without_body_for_head(head: bool, response: &mut Response) {
    use axum::body::HttpBody as _;
    if !response.headers().contains_key(header::CONTENT_LENGTH) {
        if let Some(size) = response.body().size_hint().exact() {
            let length = HeaderValue::from(size);
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, length);
        }
    }
    if head {
        *response.body_mut() = Body::empty();
    }
}

#[cfg(test)]
mod tests {
    use super::capture_names;

    #[test]
    fn capture_names_come_in_the_templates_order() {
        let names = capture_names("/api/v4/projects/{id}/releases/{tag_name}/downloads/{*path}");
        let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
        assert_eq!(names, ["id", "tag_name", "path"]);
        assert!(capture_names("/-/health").is_empty());
    }
}
