//! Idempotent retries (relinks' extension, issue 17 point 4, after the IETF httpapi
//! Idempotency-Key draft): a POST, PUT or DELETE under /api/v4/ naming a key is answered once;
//! a retry by the same caller with the same key and request gets that answer again with
//! `Idempotent-Replayed: true` and writes nothing; the same key for another request is a 422;
//! a retry while the first runs is a 409. On both engines, and across instances on PostgreSQL.

use crate::common;

use common::{Caller, Reply, TestApp, World};
use reqwest::Method;
use serde_json::{json, Value};

const OTHER_REQUEST: &str =
    r#"{"message":"Idempotency-Key is already used for a different request"}"#;
const IN_PROGRESS: &str = r#"{"message":"A request with this Idempotency-Key is being processed"}"#;
const ANSWER_LOST: &str =
    r#"{"message":"A request with this Idempotency-Key made its change, but its answer was lost"}"#;
const INVALID: &str = r#"{"error":"Idempotency-Key is invalid"}"#;

/// Sends a JSON request as `caller` with the given `Idempotency-Key` values.
async fn keyed(
    app: &TestApp,
    caller: &Caller,
    method: Method,
    path: &str,
    keys: &[&[u8]],
    body: Option<Value>,
) -> Reply {
    let mut request = app.client.request(method, app.url(path));
    if let Some(token) = &caller.token {
        request = request.header("PRIVATE-TOKEN", token);
    }
    for key in keys {
        request = request.header(
            "Idempotency-Key",
            reqwest::header::HeaderValue::from_bytes(key).expect("a header value"),
        );
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    common::into_reply(request.send().await.expect("answered")).await
}

async fn link_names(w: &World) -> Vec<String> {
    let list = w.app.get(&w.app.root, &w.links()).await;
    let mut names: Vec<String> = list
        .expect(200)
        .as_array()
        .expect("links")
        .iter()
        .map(|l| l["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

/// Runs `sql` on the test's database behind the server's back; the rows it changed.
async fn execute(app: &TestApp, sql: &str) -> u64 {
    use sqlx::Connection;
    let url = app.database_url();
    if url.starts_with("postgres") {
        let mut connection = sqlx::PgConnection::connect(url).await.expect("opens");
        sqlx::query(sql)
            .execute(&mut connection)
            .await
            .expect("runs")
            .rows_affected()
    } else {
        let mut connection = sqlx::SqliteConnection::connect(url).await.expect("opens");
        sqlx::query(sql)
            .execute(&mut connection)
            .await
            .expect("runs")
            .rows_affected()
    }
}

fn new_link(name: &str) -> Value {
    json!({"name": name, "url": format!("https://example.com/{name}")})
}

#[tokio::test]
async fn a_retried_create_is_answered_again_and_writes_nothing() {
    let w = World::new("public").await;
    let first = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"create-1"],
        Some(new_link("a")),
    )
    .await;
    first.expect(201);
    assert_eq!(first.header("idempotent-replayed"), None);
    let events = w.app.get(&w.app.root, "/audit_events?per_page=100").await;
    let events_before = events.expect(200).as_array().map(Vec::len);

    let again = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"create-1"],
        Some(new_link("a")),
    )
    .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.text, first.text, "the same answer, byte for byte");
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.content_type(), "application/json");
    assert_eq!(link_names(&w).await, ["a", "first"]);
    let events = w.app.get(&w.app.root, "/audit_events?per_page=100").await;
    assert_eq!(
        events.expect(200).as_array().map(Vec::len),
        events_before,
        "nothing written"
    );

    // The same key for another request.
    let other = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"create-1"],
        Some(new_link("b")),
    )
    .await;
    assert_eq!((other.status, other.text.as_str()), (422, OTHER_REQUEST));
    let elsewhere = format!("/projects/{}/releases", w.project_id);
    let other = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &elsewhere,
        &[b"create-1"],
        Some(json!({"tag_name": "v2.0"})),
    )
    .await;
    assert_eq!((other.status, other.text.as_str()), (422, OTHER_REQUEST));

    // Keys are per caller: another's same key is another key.
    let theirs = keyed(
        &w.app,
        &w.maintainer,
        Method::POST,
        &w.links(),
        &[b"create-1"],
        Some(new_link("c")),
    )
    .await;
    theirs.expect(201);
    assert_eq!(link_names(&w).await, ["a", "c", "first"]);

    // The write marked its key in its own transaction; a write that failed did not.
    let marked =
        "UPDATE idempotency_keys SET method = method WHERE wrote = TRUE AND idempotency_key = ";
    assert_eq!(
        execute(&w.app, &format!("{marked}'create-1'")).await,
        2,
        "both callers' keys"
    );
    let taken = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"taken"],
        Some(json!({"name": "first", "url": "https://example.com/other"})),
    )
    .await;
    assert_eq!(taken.status, 400, "{}", taken.text);
    assert_eq!(
        execute(&w.app, &format!("{marked}'taken'")).await,
        0,
        "rolled back with its write"
    );

    // Without a key, nothing changes: a repeated create meets its own name.
    let plain = w.app.post(&w.developer, &w.links(), new_link("a")).await;
    assert_eq!(plain.status, 400, "{}", plain.text);
}

#[tokio::test]
async fn the_fingerprint_ignores_how_the_parameters_are_sent() {
    let w = World::new("public").await;
    let first = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"k"],
        Some(json!({"name": "a", "url": "https://example.com/a"})),
    )
    .await;
    first.expect(201);
    // The same parameters in another order, and in the query string: the same request.
    let again = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &format!("{}?name=a", w.links()),
        &[b"k"],
        Some(json!({"url": "https://example.com/a"})),
    )
    .await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    // Another token of the same user is the same caller.
    let token = w
        .app
        .post(
            &w.app.root,
            &format!("/users/{}/personal_access_tokens", w.developer.id),
            json!({"name": "second", "scopes": ["api"]}),
        )
        .await;
    let second = w
        .developer
        .with_token(token.expect(201)["token"].as_str().expect("token"));
    let again = keyed(
        &w.app,
        &second,
        Method::POST,
        &w.links(),
        &[b"k"],
        Some(json!({"url": "https://example.com/a", "name": "a"})),
    )
    .await;
    assert_eq!(
        again.header("idempotent-replayed"),
        Some("true"),
        "{}",
        again.text
    );
}

#[tokio::test]
async fn updates_deletes_and_failures_are_kept_too() {
    let w = World::new("public").await;
    let link = w.link(w.link_id);
    let renamed = keyed(
        &w.app,
        &w.developer,
        Method::PUT,
        &link,
        &[b"put"],
        Some(json!({"name": "renamed"})),
    )
    .await;
    renamed.expect(200);
    let again = keyed(
        &w.app,
        &w.developer,
        Method::PUT,
        &link,
        &[b"put"],
        Some(json!({"name": "renamed"})),
    )
    .await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (200, renamed.text.as_str())
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    let deleted = keyed(
        &w.app,
        &w.developer,
        Method::DELETE,
        &link,
        &[b"delete"],
        None,
    )
    .await;
    deleted.expect(200);
    // Without its key, a second delete finds nothing; with it, the first answer again.
    let again = keyed(
        &w.app,
        &w.developer,
        Method::DELETE,
        &link,
        &[b"delete"],
        None,
    )
    .await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (200, deleted.text.as_str())
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let plain = w.app.delete(&w.developer, &link).await;
    assert_eq!(plain.status, 404);

    // A final refusal is kept as well: the retry gets it again, whatever changed since.
    let bad = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"bad"],
        Some(json!({"name": "x", "url": "not a url"})),
    )
    .await;
    assert_eq!(bad.status, 400);
    let again = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"bad"],
        Some(json!({"name": "x", "url": "not a url"})),
    )
    .await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (400, bad.text.as_str())
    );
    assert_eq!(again.header("idempotent-replayed"), Some("true"));

    // A refusal of the caller's rights too (the key is the caller's; the answer is the same).
    let refused = keyed(
        &w.app,
        &w.reporter,
        Method::POST,
        &w.links(),
        &[b"r"],
        Some(new_link("r")),
    )
    .await;
    assert_eq!(refused.status, 403);
    let again = keyed(
        &w.app,
        &w.reporter,
        Method::POST,
        &w.links(),
        &[b"r"],
        Some(new_link("r")),
    )
    .await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn invalid_keys_are_refused_before_anything_runs() {
    let w = World::new("public").await;
    let long = vec![b'k'; 256];
    let longest = vec![b'k'; 255];
    for keys in [
        vec![&b"a b"[..]],
        vec![&long[..]],
        vec![&b"caf\xc3\xa9"[..]],
        vec![&b"tab\there"[..]],
        vec![&b"one"[..], &b"two"[..]],
        vec![&b""[..]],
    ] {
        let reply = keyed(
            &w.app,
            &w.developer,
            Method::POST,
            &w.links(),
            &keys,
            Some(new_link("x")),
        )
        .await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (400, INVALID),
            "{keys:?}"
        );
    }
    assert_eq!(link_names(&w).await, ["first"]);
    let ok = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[&longest],
        Some(new_link("x")),
    )
    .await;
    ok.expect(201);
    let quoted = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"\"8e03978e-40d5-43e8-bc93-6894a57f9324\""],
        Some(new_link("y")),
    )
    .await;
    quoted.expect(201);
    // Reads take no key; an anonymous write gets GitLab's answer as ever (the key is a
    // caller's: there is none).
    let read = keyed(
        &w.app,
        &w.developer,
        Method::GET,
        &w.links(),
        &[b"a b"],
        None,
    )
    .await;
    read.expect(200);
    let anonymous = keyed(
        &w.app,
        &Caller::anonymous(),
        Method::POST,
        &w.links(),
        &[b"k"],
        Some(new_link("z")),
    )
    .await;
    let plain = w
        .app
        .post(&Caller::anonymous(), &w.links(), new_link("z"))
        .await;
    assert_eq!(
        (anonymous.status, anonymous.text),
        (plain.status, plain.text)
    );
    assert_eq!(anonymous.status, 403);
}

#[tokio::test]
async fn racing_retries_write_once() {
    const RACE: &[&[u8]] = &[b"race"];
    let w = World::new("public").await;
    let links = w.links();
    let sends = (0..24).map(|_| {
        keyed(
            &w.app,
            &w.developer,
            Method::POST,
            &links,
            RACE,
            Some(new_link("raced")),
        )
    });
    let replies = futures::future::join_all(sends).await;
    let mut created = 0;
    let mut replayed = 0;
    let mut running = 0;
    for reply in &replies {
        match (reply.status, reply.header("idempotent-replayed")) {
            (201, None) => created += 1,
            (201, Some("true")) => replayed += 1,
            (409, None) if reply.text == IN_PROGRESS => running += 1,
            _ => panic!("unexpected answer {} {}", reply.status, reply.text),
        }
    }
    assert_eq!(
        created, 1,
        "one write ({replayed} replays, {running} in progress)"
    );
    assert_eq!(replayed + running, 23);
    assert_eq!(link_names(&w).await, ["first", "raced"]);
}

#[tokio::test]
async fn a_file_upload_is_kept_with_its_length() {
    let w = World::new("public").await;
    let path = format!(
        "/projects/{}/packages/generic/tool/1.0.0/tool.bin",
        w.project_id
    );
    let send = |bytes: &'static [u8]| {
        let mut request = w
            .app
            .client
            .put(w.app.url(&path))
            .header("PRIVATE-TOKEN", w.developer.token.clone().expect("token"))
            .header("Idempotency-Key", "upload-1")
            .body(bytes);
        request = request.header("Content-Type", "application/octet-stream");
        async move { common::into_reply(request.send().await.expect("answered")).await }
    };
    let first = send(b"first bytes").await;
    first.expect(201);
    let again = send(b"first bytes").await;
    assert_eq!(
        (again.status, again.header("idempotent-replayed")),
        (201, Some("true"))
    );
    let other = send(b"other, longer bytes").await;
    assert_eq!((other.status, other.text.as_str()), (422, OTHER_REQUEST));
    let files = w
        .app
        .get(&w.app.root, &format!("/projects/{}/packages", w.project_id))
        .await;
    let package = files.expect(200)[0]["id"].as_i64().expect("package");
    let files = w
        .app
        .get(
            &w.app.root,
            &format!(
                "/projects/{}/packages/{package}/package_files",
                w.project_id
            ),
        )
        .await;
    assert_eq!(
        files.expect(200).as_array().map(Vec::len),
        Some(1),
        "one file stored"
    );
}

#[tokio::test]
async fn a_claim_left_by_a_stopped_instance_is_taken_over_or_reported() {
    let w = World::new("public").await;
    let first = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"left"],
        Some(new_link("a")),
    )
    .await;
    first.expect(201);
    // As if the instance that claimed the key had stopped before writing and answering: the
    // retry runs in its place.
    let changed = execute(
        &w.app,
        "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL, \
         wrote = FALSE, instance = 0, lease_until = 9000000000000000 \
         WHERE idempotency_key = 'left'",
    )
    .await;
    assert_eq!(changed, 1);
    let retried = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"left"],
        Some(new_link("a")),
    )
    .await;
    // It runs: and meets the link the first made (this stop was staged after the write).
    assert_eq!(retried.status, 400, "{}", retried.text);
    assert_eq!(retried.header("idempotent-replayed"), None);

    // Stopped after its write, before its answer: the retry is told, and writes nothing.
    let second = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"lost"],
        Some(new_link("b")),
    )
    .await;
    second.expect(201);
    execute(
        &w.app,
        "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL, \
         instance = 0 WHERE idempotency_key = 'lost'",
    )
    .await;
    let retried = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"lost"],
        Some(new_link("b")),
    )
    .await;
    assert_eq!((retried.status, retried.text.as_str()), (422, ANSWER_LOST));

    // A claim still held (its instance runs): 409.
    let third = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"held"],
        Some(new_link("c")),
    )
    .await;
    third.expect(201);
    execute(
        &w.app,
        "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL, \
         lease_until = 9000000000000000 WHERE idempotency_key = 'held'",
    )
    .await;
    let retried = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"held"],
        Some(new_link("c")),
    )
    .await;
    assert_eq!((retried.status, retried.text.as_str()), (409, IN_PROGRESS));
    // Its lease over (the request was dropped, and its grace passed): as a stopped one.
    execute(
        &w.app,
        "UPDATE idempotency_keys SET lease_until = 1 WHERE idempotency_key = 'held'",
    )
    .await;
    let retried = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"held"],
        Some(new_link("c")),
    )
    .await;
    assert_eq!((retried.status, retried.text.as_str()), (422, ANSWER_LOST));
}

#[tokio::test]
async fn a_key_is_kept_for_a_day() {
    let w = World::new("public").await;
    keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"day"],
        Some(new_link("a")),
    )
    .await
    .expect(201);
    let rows = execute(
        &w.app,
        "UPDATE idempotency_keys SET expires_at = 1 WHERE idempotency_key = 'day'",
    )
    .await;
    assert_eq!(rows, 1);
    // Past its day, the key is new again: the request runs (and meets its own link).
    let retried = keyed(
        &w.app,
        &w.developer,
        Method::POST,
        &w.links(),
        &[b"day"],
        Some(new_link("a")),
    )
    .await;
    assert_eq!(retried.status, 400, "{}", retried.text);
    assert_eq!(retried.header("idempotent-replayed"), None);
    let kept = execute(
        &w.app,
        "UPDATE idempotency_keys SET method = method WHERE expires_at > 1",
    )
    .await;
    assert_eq!(kept, 1, "the old row went, the new one is kept");
}

/// Two instances on one PostgreSQL: a retry reaching the other one is answered from the key.
mod postgres_only {
    use super::*;

    #[tokio::test]
    async fn a_retry_on_another_instance_gets_the_first_answer() {
        const BOTH: &[&[u8]] = &[b"both"];
        let w = World::new("public").await;
        let (other, _stop) = common::writer_for(&w.app).await;
        let links = w.links();
        let first = keyed(
            &w.app,
            &w.developer,
            Method::POST,
            &w.links(),
            &[b"across"],
            Some(new_link("a")),
        )
        .await;
        first.expect(201);
        let again = keyed(
            &other,
            &w.developer,
            Method::POST,
            &w.links(),
            &[b"across"],
            Some(new_link("a")),
        )
        .await;
        assert_eq!(
            (again.status, again.text.as_str()),
            (201, first.text.as_str())
        );
        assert_eq!(again.header("idempotent-replayed"), Some("true"));
        let sends = (0..12).flat_map(|_| {
            [&w.app, &other].map(|app| {
                keyed(
                    app,
                    &w.developer,
                    Method::POST,
                    &links,
                    BOTH,
                    Some(new_link("b")),
                )
            })
        });
        let replies = futures::future::join_all(sends).await;
        let created = replies
            .iter()
            .filter(|r| r.status == 201 && r.header("idempotent-replayed").is_none())
            .count();
        assert_eq!(created, 1);
        assert!(replies
            .iter()
            .all(|r| r.status == 201 || (r.status == 409 && r.text == IN_PROGRESS)));
        assert_eq!(link_names(&w).await, ["a", "b", "first"]);
    }
}

#[tokio::test]
async fn an_answer_holding_a_secret_is_not_kept() {
    let w = World::new("public").await;
    let path = format!("/users/{}/personal_access_tokens", w.developer.id);
    let body = json!({"name": "ci", "scopes": ["api"]});
    let first = keyed(
        &w.app,
        &w.app.root,
        Method::POST,
        &path,
        &[b"token-1"],
        Some(body.clone()),
    )
    .await;
    let token = first.expect(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    // Secrets are kept as digests only: the retry is told, and no second token is made.
    let again = keyed(
        &w.app,
        &w.app.root,
        Method::POST,
        &path,
        &[b"token-1"],
        Some(body),
    )
    .await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (
            422,
            r#"{"message":"A request with this Idempotency-Key made its change; its answer held a secret, which is not kept"}"#
        )
    );
    let kept = execute(
        &w.app,
        &format!(
            "UPDATE idempotency_keys SET method = method WHERE idempotency_key = 'token-1' \
             AND (body IS NULL OR length(body) = 0) AND headers NOT LIKE '%{token}%'"
        ),
    )
    .await;
    assert_eq!(kept, 1, "the key is kept without the answer");
    let made = execute(
        &w.app,
        &format!(
            "UPDATE personal_access_tokens SET name = name WHERE name = 'ci' AND user_id = {}",
            w.developer.id
        ),
    )
    .await;
    assert_eq!(made, 1, "one token");
}
