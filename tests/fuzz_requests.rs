//! A fuzz target for request parsing: generated methods, path segments (encoded, doubly
//! encoded, broken), query strings and bodies (form, JSON, malformed, mislabelled) go through
//! the real router on a real database. Whatever arrives, the answer is GitLab's JSON and never
//! a 5xx. CI runs a brief version; a longer one is
//! `RELINKS_FUZZ_CASES=20000 cargo test --release --test integration fuzz_requests::
//! -- --nocapture`.

use crate::common;
use relinks::app::router::AppService;

use axum::body::Body;
use axum::http::{header, Method, Request};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Value};
use tower::ServiceExt;

use common::{TestDatabase, ROOT_TOKEN};

fn cases() -> u32 {
    std::env::var("RELINKS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000)
}

async fn app_router(url: &str) -> AppService {
    let settings = common::settings(url, common::test_config());
    relinks::app::build(&settings, "http://relinks.test")
        .await
        .expect("relinks builds")
        .router
}

#[derive(Debug, Clone)]
struct Generated {
    method: Method,
    path: String,
    query: String,
    body: Option<(&'static str, Vec<u8>)>,
    token: Option<String>,
}

async fn send(app: &AppService, generated: &Generated) -> Option<(u16, Vec<u8>)> {
    let uri = if generated.query.is_empty() {
        generated.path.clone()
    } else {
        format!("{}?{}", generated.path, generated.query)
    };
    // Strings no HTTP client could send (http::Uri refuses them) are not requests.
    let mut request = Request::builder()
        .method(generated.method.clone())
        .uri(uri.parse::<axum::http::Uri>().ok()?);
    if let Some(token) = &generated.token {
        request = request.header("PRIVATE-TOKEN", token.as_str());
    }
    let body = match &generated.body {
        Some((content_type, bytes)) => {
            request = request.header(header::CONTENT_TYPE, *content_type);
            Body::from(bytes.clone())
        }
        None => Body::empty(),
    };
    let response = app
        .clone()
        .oneshot(request.body(body).ok()?)
        .await
        .expect("infallible");
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Some((status, bytes.to_vec()))
}

/// A path segment: a known good one, or something generated, sometimes percent-encoded.
fn segment(good: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(good.to_owned()),
        1 => "[a-zA-Z0-9._~-]{0,12}",
        1 => "(%[0-9A-Fa-f]{2}|%[G-Z]?|[a-z.]){0,8}",
        1 => Just("root%2Fapp".to_owned()),
        1 => Just("%252F".to_owned()),
        1 => Just("%FF%FE".to_owned()),
        1 => Just("99999999999999999999999".to_owned()),
        1 => Just("-1".to_owned()),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        "[ -~é]{0,20}".prop_map(Value::String),
        "https?://[a-z]{1,8}\\.example/[a-z/]{0,10}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_owned()),
                    Just("url".to_owned()),
                    Just("filepath".to_owned()),
                    Just("direct_asset_path".to_owned()),
                    Just("link_type".to_owned()),
                    Just("tag_name".to_owned()),
                    Just("assets".to_owned()),
                    Just("links".to_owned()),
                    Just("per_page".to_owned()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn query_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "(name|url|filepath|link_type|page|per_page|private_token|[a-z]{1,4})(\\[\\]|\\[[a-z]{0,3}\\])?=[a-zA-Z0-9%+/:.\\[\\]-]{0,16}(&[a-z\\[\\]]{1,6}=[a-z0-9%]{0,6}){0,3}",
        "[a-z=&%\\[\\]+0-9A-F]{0,40}",
    ]
}

fn body() -> impl Strategy<Value = Option<(&'static str, Vec<u8>)>> {
    prop_oneof![
        Just(None),
        json_value().prop_map(|v| Some(("application/json", v.to_string().into_bytes()))),
        query_text().prop_map(|q| Some(("application/x-www-form-urlencoded", q.into_bytes()))),
        "[{}\\[\\]\":,a-z0-9 ]{0,30}".prop_map(|t| Some(("application/json", t.into_bytes()))),
        prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| Some(("application/json", b))),
        json_value().prop_map(|v| Some(("text/plain", v.to_string().into_bytes()))),
        Just(Some((
            "multipart/form-data; boundary=x",
            b"--x\r\nbroken".to_vec()
        ))),
    ]
}

fn request() -> impl Strategy<Value = Generated> {
    let method = prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::HEAD),
        Just(Method::PATCH),
    ];
    let path = prop_oneof![
        (segment("1"), segment("v1"))
            .prop_map(|(p, t)| format!("/api/v4/projects/{p}/releases/{t}/assets/links")),
        (segment("1"), segment("v1"), segment("1"))
            .prop_map(|(p, t, l)| format!("/api/v4/projects/{p}/releases/{t}/assets/links/{l}")),
        (segment("1"), segment("v1"))
            .prop_map(|(p, t)| format!("/api/v4/projects/{p}/releases/{t}")),
        segment("1").prop_map(|p| format!("/api/v4/projects/{p}/releases")),
        (segment("1"), segment("v1"), "[a-z/.%]{0,12}")
            .prop_map(|(p, t, f)| { format!("/api/v4/projects/{p}/releases/{t}/downloads/{f}") }),
        (segment("root"), segment("v1"), "[a-z/.%]{0,12}")
            .prop_map(|(n, t, f)| format!("/{n}/app/-/releases/{t}/downloads/{f}")),
        "/api/v4/[a-z_/%0-9]{0,20}",
    ];
    let token = prop_oneof![
        4 => Just(Some(ROOT_TOKEN.to_owned())),
        1 => Just(None),
        1 => "[ -~]{0,40}".prop_map(Some),
    ];
    (method, path, query_text(), body(), token).prop_map(|(method, path, query, body, token)| {
        Generated {
            method,
            path,
            query,
            body,
            token,
        }
    })
}

#[test]
fn no_generated_request_gets_a_5xx_or_a_body_that_is_not_json() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let db = runtime.block_on(TestDatabase::new());
    let app = runtime.block_on(async {
        let app = app_router(&db.url).await;
        for (path, body) in [
            ("/api/v4/projects", json!({"name": "app"})),
            ("/api/v4/projects/1/releases", json!({"tag_name": "v1"})),
            (
                "/api/v4/projects/1/releases/v1/assets/links",
                json!({"name": "l", "url": "https://e.x/l", "filepath": "/bin/l"}),
            ),
        ] {
            let created = send(
                &app,
                &Generated {
                    method: Method::POST,
                    path: path.into(),
                    query: String::new(),
                    body: Some(("application/json", body.to_string().into_bytes())),
                    token: Some(ROOT_TOKEN.into()),
                },
            )
            .await;
            assert_eq!(created.map(|(s, _)| s), Some(201), "{path}");
        }
        app
    });
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let answered = std::sync::atomic::AtomicU32::new(0);
    let result = runner.run(&request(), |generated| {
        let Some((status, body)) = runtime.block_on(send(&app, &generated)) else {
            return Ok(());
        };
        answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if status >= 500 {
            return Err(TestCaseError::fail(format!(
                "{status} {}",
                String::from_utf8_lossy(&body)
            )));
        }
        let api = generated.path.starts_with("/api/v4/");
        if api && generated.method != Method::HEAD && status != 204 {
            serde_json::from_slice::<Value>(&body).map_err(|_| {
                TestCaseError::fail(format!(
                    "{status}, not JSON: {}",
                    String::from_utf8_lossy(&body)
                ))
            })?;
        }
        Ok(())
    });
    eprintln!("{} generated requests answered", answered.into_inner());
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
