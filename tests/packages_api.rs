//! Generic packages over HTTP, as GitLab's API answers them: publishing (streamed into the
//! storage), downloading (ranges, validators, HEAD), GitLab's rules for names, versions and
//! file names, the credentials package clients send, and who may do what.

use crate::common;

use reqwest::Method;
use serde_json::{json, Value};

use common::files::{random_bytes, sha256_hex};
use common::{into_reply, Caller, TestApp, World};

fn generic(project: i64, rest: &str) -> String {
    format!("/projects/{project}/packages/generic/{rest}")
}

#[tokio::test]
async fn a_developer_publishes_a_file_and_readers_download_it() {
    let w = World::new("private").await;
    let bytes = random_bytes(300_000);
    let path = generic(w.project_id, "app/1.2.3/app-linux.tar.gz");
    let put = w.app.put_file(&w.developer, &path, bytes.clone()).await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_eq!(put.text, r#"{"message":"201 Created"}"#);
    assert_eq!(put.content_type(), "application/json");

    let (status, headers, body) = w.app.get_bytes(&w.reporter, &path, &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body, bytes);
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let sha = sha256_hex(&bytes);
    assert_eq!(header("content-type"), "application/octet-stream");
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"app-linux.tar.gz\"; filename*=UTF-8''app-linux.tar.gz"
    );
    assert_eq!(header("content-length"), "300000");
    assert_eq!(header("accept-ranges"), "bytes");
    assert_eq!(header("etag"), format!("\"{sha}\""));
    assert_eq!(header("x-checksum-sha256"), sha);
    use base64::Engine as _;
    let digest = base64::engine::general_purpose::STANDARD.encode(hex::decode(&sha).expect("hex"));
    assert_eq!(header("repr-digest"), format!("sha-256=:{digest}:"));
}

#[tokio::test]
async fn select_package_file_answers_the_file_s_record() {
    let w = World::new("public").await;
    let bytes = b"hello".to_vec();
    let reply = w
        .app
        .put_file(
            &w.developer,
            &format!(
                "{}?select=package_file&status=default",
                generic(w.project_id, "p/1.0/f.txt")
            ),
            bytes,
        )
        .await;
    let record = reply.expect(200);
    let keys: Vec<&str> = record
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "id",
        "package_id",
        "created_at",
        "updated_at",
        "size",
        "file_store",
        "file_md5",
        "file_sha1",
        "file_name",
        "file",
        "file_sha256",
        "status",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert_eq!(record["file_name"], "f.txt");
    assert_eq!(record["size"], 5);
    assert_eq!(
        record["file_sha256"],
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    );
    assert_eq!(record["file_md5"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(
        record["file_sha1"],
        "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
    );
    assert!(record["file"]["url"]
        .as_str()
        .expect("file.url")
        .ends_with("/f.txt"));
}

#[tokio::test]
async fn the_newest_file_of_a_name_is_served_and_every_upload_is_kept() {
    let w = World::new("public").await;
    let path = generic(w.project_id, "p/1.0/f.bin");
    w.app
        .put_file(&w.developer, &path, b"first".to_vec())
        .await
        .expect(201);
    w.app
        .put_file(&w.developer, &path, b"second".to_vec())
        .await
        .expect(201);
    let (_, _, body) = w.app.get_bytes(&Caller::anonymous(), &path, &[]).await;
    assert_eq!(body, b"second");
    let packages = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/packages", w.project_id),
        )
        .await;
    let packages = packages.expect(200).as_array().expect("list").clone();
    assert_eq!(packages.len(), 1, "one package per name and version");
    let files = w
        .app
        .get(
            &w.developer,
            &format!(
                "/projects/{}/packages/{}/package_files",
                w.project_id, packages[0]["id"]
            ),
        )
        .await;
    let names: Vec<_> = files
        .expect(200)
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["size"].clone())
        .collect();
    assert_eq!(names, [json!(5), json!(6)]);
}

#[tokio::test]
async fn files_under_a_directory_are_stored_under_their_encoded_path() {
    let w = World::new("public").await;
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "p/1.0/dir/sub/f.txt"),
            b"deep".to_vec(),
        )
        .await
        .expect(201);
    w.app
        .put_file(
            &w.developer,
            &format!("{}?path=other/dir", generic(w.project_id, "p/1.0/g.txt")),
            b"param".to_vec(),
        )
        .await
        .expect(201);
    let anonymous = Caller::anonymous();
    let (status, _, body) = w
        .app
        .get_bytes(
            &anonymous,
            &generic(w.project_id, "p/1.0/dir/sub/f.txt"),
            &[],
        )
        .await;
    assert_eq!((status, body), (200, b"deep".to_vec()));
    let (status, _, body) = w
        .app
        .get_bytes(
            &anonymous,
            &generic(w.project_id, "p/1.0/other/dir/g.txt"),
            &[],
        )
        .await;
    assert_eq!((status, body), (200, b"param".to_vec()));
    let flat = w
        .app
        .get(&anonymous, &generic(w.project_id, "p/1.0/f.txt"))
        .await;
    assert_eq!(
        (flat.status, flat.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    let list = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/packages", w.project_id),
        )
        .await;
    let id = list.expect(200)[0]["id"].clone();
    let files = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/packages/{id}/package_files", w.project_id),
        )
        .await;
    let names: Vec<_> = files
        .expect(200)
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["file_name"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("dir%2Fsub%2Ff.txt"), json!("other%2Fdir%2Fg.txt")]
    );
}

#[tokio::test]
async fn names_versions_and_file_names_follow_gitlab_s_rules() {
    let w = World::new("public").await;
    let cases = [
        ("my%20pkg/1.0/f", r#"{"error":"package_name is invalid"}"#),
        ("pkg/1..0/f", r#"{"error":"package_version is invalid"}"#),
        ("pkg/1.0/~f", r#"{"error":"file_name is invalid"}"#),
        ("pkg/1.0/f@", r#"{"error":"file_name is invalid"}"#),
        (
            "pkg/1.0/..%2F..%2Fetc%2Fpasswd",
            r#"{"error":"file_name is invalid"}"#,
        ),
        (
            "pkg/1.0/f?status=processing",
            r#"{"error":"status does not have a valid value"}"#,
        ),
        (
            "pkg/1.0/f?select=everything",
            r#"{"error":"select does not have a valid value"}"#,
        ),
        (
            "my%20pkg/1..0/~f",
            r#"{"error":"package_name is invalid, package_version is invalid, file_name is invalid"}"#,
        ),
    ];
    for (rest, body) in cases {
        let path = generic(w.project_id, rest);
        let put = w.app.put_file(&w.developer, &path, b"x".to_vec()).await;
        assert_eq!((put.status, put.text.as_str()), (400, body), "PUT {rest}");
        if !rest.contains('?') {
            let get = w.app.get(&w.developer, &path).await;
            assert_eq!((get.status, get.text.as_str()), (400, body), "GET {rest}");
        }
    }
    // Traversal as attackers send it (clients would normalise these segments away).
    let token = w.developer.token.clone().expect("token");
    for (rest, body) in [
        (
            "%2E%2E/1.0/f",
            r#"{"error":"package_name should be a valid file path"}"#,
        ),
        (
            "pkg/1.0/%2E%2E",
            r#"{"error":"file_name should be a valid file path"}"#,
        ),
        (
            "pkg/1.0/%2e%2e%2f.ssh%2fauthorized_keys",
            r#"{"error":"file_name is invalid"}"#,
        ),
    ] {
        let path = format!("/api/v4{}", generic(w.project_id, rest));
        for method in ["PUT", "GET"] {
            let (status, text) = common::files::raw_request(
                &w.app.base,
                method,
                &path,
                &[("PRIVATE-TOKEN", &token)],
                b"x",
            )
            .await;
            assert_eq!((status, text.as_str()), (400, body), "{method} {rest}");
        }
    }
    // Go clients escape every `.` as `%2E`: each segment is decoded alone.
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "pkg/1%2E0/f%2Etxt"),
            b"dots".to_vec(),
        )
        .await
        .expect(201);
    let (status, _, body) = w
        .app
        .get_bytes(&w.developer, &generic(w.project_id, "pkg/1.0/f.txt"), &[])
        .await;
    assert_eq!((status, body), (200, b"dots".to_vec()));
    for ok in ["my+file.tar.gz", "my~file.tar.gz", "myfile@1.1.tar.gz"] {
        let put = w
            .app
            .put_file(
                &w.developer,
                &generic(w.project_id, &format!("pkg/v1.2.4-build/{ok}")),
                vec![1],
            )
            .await;
        assert_eq!(put.status, 201, "{ok}: {}", put.text);
    }
}

#[tokio::test]
async fn callers_without_credentials_are_asked_for_them() {
    let w = World::new("private").await;
    let path = generic(w.project_id, "p/1.0/f");
    for (caller, what) in [
        (Caller::anonymous(), "no token"),
        (w.developer.with_token("glpat-not-a-token"), "a bad token"),
    ] {
        for method in [Method::PUT, Method::GET] {
            let reply = w
                .app
                .send_bytes(&caller, method.clone(), &path, b"x".to_vec())
                .await;
            assert_eq!(reply.status, 401, "{method} with {what}");
            assert_eq!(reply.text, r#"{"message":"401 Unauthorized"}"#);
            assert_eq!(
                reply.header("www-authenticate"),
                Some("Basic realm=\"GitLab Packages Registry\"")
            );
        }
    }
    // Anonymous callers are asked for credentials before their parameters are read.
    let bad = w
        .app
        .put_file(
            &Caller::anonymous(),
            &generic(w.project_id, "bad%20name/1.0/f"),
            vec![],
        )
        .await;
    assert_eq!(bad.status, 401);
}

/// GitLab's table (`spec/requests/api/generic_packages_spec.rb`): who may publish (PUT) and
/// download (GET) on public, internal and private projects.
#[tokio::test]
async fn who_may_publish_and_download() {
    for (visibility, expected) in [
        // anonymous, outsider, guest, reporter, developer, maintainer: (PUT, GET)
        (
            "public",
            [
                (401, 200),
                (403, 200),
                (403, 200),
                (403, 200),
                (201, 200),
                (201, 200),
            ],
        ),
        (
            "internal",
            [
                (401, 401),
                (403, 200),
                (403, 200),
                (403, 200),
                (201, 200),
                (201, 200),
            ],
        ),
        (
            "private",
            [
                (401, 401),
                (404, 404),
                (403, 403),
                (403, 200),
                (201, 200),
                (201, 200),
            ],
        ),
    ] {
        let w = World::new(visibility).await;
        w.app
            .put_file(
                &w.app.root,
                &generic(w.project_id, "p/1.0/f"),
                b"seed".to_vec(),
            )
            .await
            .expect(201);
        let callers = [
            Caller::anonymous(),
            w.outsider.clone(),
            w.guest.clone(),
            w.reporter.clone(),
            w.developer.clone(),
            w.maintainer.clone(),
        ];
        for (caller, (put, get)) in callers.iter().zip(expected) {
            let name = if caller.token.is_some() {
                caller.username.as_str()
            } else {
                "anonymous"
            };
            let put_reply = w
                .app
                .put_file(
                    caller,
                    &generic(w.project_id, &format!("p/1.0/{name}")),
                    b"x".to_vec(),
                )
                .await;
            assert_eq!(
                put_reply.status, put,
                "{visibility}: {name} PUT: {}",
                put_reply.text
            );
            let get_reply = w.app.get(caller, &generic(w.project_id, "p/1.0/f")).await;
            assert_eq!(
                get_reply.status, get,
                "{visibility}: {name} GET: {}",
                get_reply.text
            );
            let expected_body = match get {
                401 => r#"{"message":"401 Unauthorized"}"#,
                403 => r#"{"message":"403 Forbidden"}"#,
                404 => r#"{"message":"404 Not Found"}"#,
                _ => "seed",
            };
            assert_eq!(get_reply.text, expected_body, "{visibility}: {name} GET");
        }
    }
}

async fn job_token(app: &TestApp, project: i64, user: i64) -> String {
    let job = app
        .post(
            &app.root,
            &format!("/projects/{project}/job_tokens"),
            json!({"user_id": user}),
        )
        .await;
    job.expect(201)["token"].as_str().expect("token").to_owned()
}

/// What CI jobs and package managers send: `JOB-TOKEN`, Bearer (personal or job token),
/// `private_token`, and HTTP Basic with a token as the password (`gitlab-ci-token` for a job).
#[tokio::test]
async fn credentials_as_ci_jobs_and_package_managers_send_them() {
    let w = World::new("private").await;
    let token = w.developer.token.clone().expect("token");
    let job = job_token(&w.app, w.project_id, w.developer.id).await;
    let path = generic(w.project_id, "p/1.0/f");
    let send = |method: Method, headers: Vec<(&'static str, String)>, query: &'static str| {
        let app = &w.app;
        let url = app.url(&format!("{path}{query}"));
        async move {
            let mut request = app.client.request(method, url).body(b"bytes".to_vec());
            for (name, value) in headers {
                request = request.header(name, value);
            }
            into_reply(request.send().await.expect("answered")).await
        }
    };
    use base64::Engine as _;
    let basic = |user: &str, password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    };
    let ways = [
        ("JOB-TOKEN", job.clone(), "JOB-TOKEN"),
        ("Authorization", format!("Bearer {job}"), "Bearer job token"),
        (
            "Authorization",
            format!("Bearer {token}"),
            "Bearer personal token",
        ),
        (
            "Authorization",
            basic("gitlab-ci-token", &job),
            "Basic job token",
        ),
        (
            "Authorization",
            basic("anyone", &token),
            "Basic personal token",
        ),
    ];
    for (name, value, what) in ways {
        let (headers, query) = (vec![(name, value)], "");
        let put = send(Method::PUT, headers.clone(), query).await;
        assert_eq!(put.status, 201, "PUT with {what}: {}", put.text);
        let get = send(Method::GET, headers, query).await;
        assert_eq!(
            (get.status, get.text.as_str()),
            (200, "bytes"),
            "GET with {what}"
        );
    }
    let param = w
        .app
        .get(
            &Caller::anonymous(),
            &format!("{path}?private_token={token}"),
        )
        .await;
    assert_eq!(param.status, 200, "private_token");
    let job_param = w
        .app
        .get(&Caller::anonymous(), &format!("{path}?job_token={job}"))
        .await;
    assert_eq!(job_param.status, 200, "job_token");
    // A bad Basic password on a private project: asked again.
    let bad = send(
        Method::GET,
        vec![("Authorization", basic("x", "glpat-wrong"))],
        "",
    )
    .await;
    assert_eq!(bad.status, 401);
}

#[tokio::test]
async fn bad_basic_credentials_on_a_public_project_read_as_anonymous() {
    let w = World::new("public").await;
    let path = generic(w.project_id, "p/1.0/f");
    w.app
        .put_file(&w.developer, &path, b"open".to_vec())
        .await
        .expect(201);
    use base64::Engine as _;
    let reply = into_reply(
        w.app
            .client
            .get(w.app.url(&path))
            .header(
                "Authorization",
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode("u:wrong")
                ),
            )
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "open"));
}

#[tokio::test]
async fn a_job_token_works_in_its_own_project_only() {
    let w = World::new("private").await;
    let other = w.app.project("other", "private", None).await;
    let job = job_token(&w.app, other["id"].as_i64().expect("id"), w.developer.id).await;
    let reply = into_reply(
        w.app
            .client
            .put(w.app.url(&generic(w.project_id, "p/1.0/f")))
            .header("JOB-TOKEN", job)
            .body(b"x".to_vec())
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.body["message"],
        format!(
            "403 Forbidden - Authentication by CI/CD job token not allowed from root/other to {}.",
            w.project_path
        )
    );
}

#[tokio::test]
async fn ranges_validators_and_head_as_downloads_need_them() {
    let w = World::new("public").await;
    let bytes = random_bytes(10_000);
    let path = generic(w.project_id, "p/1.0/f.bin");
    w.app
        .put_file(&w.developer, &path, bytes.clone())
        .await
        .expect(201);
    let anonymous = Caller::anonymous();
    let (status, headers, body) = w
        .app
        .get_bytes(&anonymous, &path, &[("Range", "bytes=100-199")])
        .await;
    assert_eq!(status, 206);
    assert_eq!(body, bytes[100..200]);
    assert_eq!(headers["content-range"], "bytes 100-199/10000");
    assert_eq!(headers["content-length"], "100");
    let (status, _, body) = w
        .app
        .get_bytes(&anonymous, &path, &[("Range", "bytes=-10")])
        .await;
    assert_eq!((status, body), (206, bytes[9990..].to_vec()));
    let (status, headers, body) = w
        .app
        .get_bytes(&anonymous, &path, &[("Range", "bytes=10000-")])
        .await;
    assert_eq!(status, 416);
    assert_eq!(headers["content-range"], "bytes */10000");
    assert!(body.is_empty());
    let etag = format!("\"{}\"", sha256_hex(&bytes));
    let (status, _, body) = w
        .app
        .get_bytes(&anonymous, &path, &[("If-None-Match", &etag)])
        .await;
    assert_eq!((status, body.len()), (304, 0));
    // A range of another version of the file is not served in part.
    let (status, _, body) = w
        .app
        .get_bytes(
            &anonymous,
            &path,
            &[("Range", "bytes=0-9"), ("If-Range", "\"something-else\"")],
        )
        .await;
    assert_eq!((status, body.len()), (200, 10_000));
    let head = w
        .app
        .client
        .head(w.app.url(&path))
        .send()
        .await
        .expect("answered");
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], "10000");
    assert_eq!(head.bytes().await.expect("body").len(), 0);
}

#[tokio::test]
async fn a_file_beyond_the_limit_is_refused_as_gitlab_refuses_it() {
    let mut config = common::test_config();
    config.transfers.max_generic_file_bytes = 1000;
    let app = TestApp::start_with(config).await;
    let project = app.project("p", "private", None).await["id"]
        .as_i64()
        .expect("id");
    let too_big = app
        .put_file(&app.root, &generic(project, "p/1.0/f"), vec![0; 1001])
        .await;
    assert_eq!(
        (too_big.status, too_big.text.as_str()),
        (400, r#"{"message":"400 Bad request - File is too large"}"#)
    );
    // Without a Content-Length, the body is cut where it passes the limit.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![Ok(vec![0; 600]), Ok(vec![0; 600])];
    let streamed = into_reply(
        app.client
            .put(app.url(&generic(project, "p/1.0/g")))
            .header("PRIVATE-TOKEN", common::ROOT_TOKEN)
            .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(
        (streamed.status, streamed.text.as_str()),
        (400, r#"{"message":"400 Bad request - File is too large"}"#)
    );
    app.put_file(&app.root, &generic(project, "p/1.0/h"), vec![0; 1000])
        .await
        .expect(201);
    let files = app
        .get(&app.root, &format!("/projects/{project}/packages"))
        .await;
    assert_eq!(
        files.expect(200).as_array().map(Vec::len),
        Some(1),
        "nothing of the refused files was kept"
    );
}

#[tokio::test]
async fn an_empty_file_and_any_content_type_are_accepted() {
    let w = World::new("public").await;
    let path = generic(w.project_id, "p/1.0/empty");
    let reply = into_reply(
        w.app
            .client
            .put(w.app.url(&path))
            .header("PRIVATE-TOKEN", w.developer.token.clone().expect("token"))
            .header("content-type", "application/json")
            .body("{\"looks\": \"like json\"}")
            .send()
            .await
            .expect("answered"),
    )
    .await;
    reply.expect(201);
    let (_, _, body) = w.app.get_bytes(&Caller::anonymous(), &path, &[]).await;
    assert_eq!(body, b"{\"looks\": \"like json\"}");
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "p/1.0/zero"),
            Vec::new(),
        )
        .await
        .expect(201);
    let (status, headers, body) = w
        .app
        .get_bytes(
            &Caller::anonymous(),
            &generic(w.project_id, "p/1.0/zero"),
            &[],
        )
        .await;
    assert_eq!((status, body.len()), (200, 0));
    assert_eq!(
        headers["x-checksum-sha256"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|p| {
            format!(
                "{}@{}",
                p["name"].as_str().unwrap_or_default(),
                p["version"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[tokio::test]
async fn packages_are_listed_filtered_and_sorted_as_gitlab_lists_them() {
    let w = World::new("public").await;
    for (name, version, status) in [
        ("beta", "2.0", ""),
        ("alpha", "1.0", ""),
        ("alpha", "1.1", "?status=hidden"),
        ("gamma", "0.1", ""),
    ] {
        w.app
            .put_file(
                &w.developer,
                &format!(
                    "{}{status}",
                    generic(w.project_id, &format!("{name}/{version}/f"))
                ),
                vec![1],
            )
            .await
            .expect(201);
    }
    let list = |query: &'static str| {
        let app = &w.app;
        let path = format!("/projects/{}/packages{query}", w.project_id);
        async move { app.get(&Caller::anonymous(), &path).await }
    };
    let all = list("").await;
    assert_eq!(
        ids(all.expect(200)),
        ["beta@2.0", "alpha@1.0", "gamma@0.1"],
        "created_at ascending; hidden left out"
    );
    assert_eq!(all.header("x-total"), Some("3"));
    assert_eq!(
        ids(list("?order_by=name&sort=desc").await.expect(200)),
        ["gamma@0.1", "beta@2.0", "alpha@1.0"]
    );
    assert_eq!(
        ids(list("?package_name=AL").await.expect(200)),
        ["alpha@1.0"]
    );
    assert_eq!(ids(list("?status=hidden").await.expect(200)), ["alpha@1.1"]);
    assert_eq!(
        ids(list("?package_version=2.0").await.expect(200)),
        ["beta@2.0"]
    );
    assert_eq!(
        ids(list("?package_type=npm").await.expect(200)),
        Vec::<String>::new()
    );
    let page = list("?per_page=2&page=2").await;
    assert_eq!(ids(page.expect(200)), ["gamma@0.1"]);
    assert_eq!(page.header("x-total-pages"), Some("2"));
    assert_eq!(page.header("x-prev-page"), Some("1"));
    let entity = &list("?package_name=beta").await.expect(200)[0].clone();
    let keys: Vec<&str> = entity
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "version",
            "package_type",
            "status",
            "_links",
            "created_at",
            "last_downloaded_at",
            "tags"
        ]
    );
    assert_eq!(
        entity["_links"]["web_path"],
        format!("/{}/-/packages/{}", w.project_path, entity["id"])
    );
    assert!(
        entity["_links"].get("delete_api_path").is_none(),
        "only for who may delete"
    );
    let as_maintainer = w
        .app
        .get(
            &w.maintainer,
            &format!("/projects/{}/packages?package_name=beta", w.project_id),
        )
        .await;
    assert_eq!(
        as_maintainer.expect(200)[0]["_links"]["delete_api_path"],
        format!(
            "{}/api/v4/projects/{}/packages/{}",
            w.app.base, w.project_id, entity["id"]
        )
    );
    for (query, error) in [
        (
            "?package_type=jar",
            r#"{"error":"package_type does not have a valid value"}"#,
        ),
        (
            "?order_by=size",
            r#"{"error":"order_by does not have a valid value"}"#,
        ),
        (
            "?status=gone",
            r#"{"error":"status does not have a valid value"}"#,
        ),
    ] {
        let reply = list(query).await;
        assert_eq!((reply.status, reply.text.as_str()), (400, error), "{query}");
    }
}

#[tokio::test]
async fn a_package_is_shown_with_its_other_versions_and_its_files() {
    let w = World::new("private").await;
    for version in ["1.0", "1.1", "2.0"] {
        w.app
            .put_file(
                &w.developer,
                &generic(w.project_id, &format!("tool/{version}/tool.bin")),
                vec![7; 3],
            )
            .await
            .expect(201);
    }
    w.app
        .put_file(
            &w.developer,
            &format!(
                "{}?status=hidden",
                generic(w.project_id, "tool/3.0/tool.bin")
            ),
            vec![1],
        )
        .await
        .expect(201);
    let list = w
        .app
        .get(
            &w.reporter,
            &format!("/projects/{}/packages?status=hidden", w.project_id),
        )
        .await;
    let hidden = list.expect(200)[0]["id"].clone();
    let list = w
        .app
        .get(
            &w.reporter,
            &format!("/projects/{}/packages?package_version=1.1", w.project_id),
        )
        .await;
    let id = list.expect(200)[0]["id"].clone();
    let shown = w
        .app
        .get(
            &w.reporter,
            &format!("/projects/{}/packages/{id}", w.project_id),
        )
        .await;
    let versions: Vec<_> = shown.expect(200)["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["version"].clone())
        .collect();
    assert_eq!(versions, [json!("1.0"), json!("2.0")]);
    let hidden = w
        .app
        .get(
            &w.reporter,
            &format!("/projects/{}/packages/{hidden}", w.project_id),
        )
        .await;
    assert_eq!(
        (hidden.status, hidden.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#),
        "hidden packages cannot be fetched by id"
    );
    let bad = w
        .app
        .get(
            &w.reporter,
            &format!("/projects/{}/packages/x", w.project_id),
        )
        .await;
    assert_eq!(
        (bad.status, bad.text.as_str()),
        (400, r#"{"error":"package_id is invalid"}"#)
    );
    let guest = w
        .app
        .get(
            &w.guest,
            &format!("/projects/{}/packages/{id}", w.project_id),
        )
        .await;
    assert_eq!(
        (guest.status, guest.text.as_str()),
        (403, r#"{"message":"403 Forbidden"}"#)
    );
    let outsider = w
        .app
        .get(&w.outsider, &format!("/projects/{}/packages", w.project_id))
        .await;
    assert_eq!(
        (outsider.status, outsider.text.as_str()),
        (404, r#"{"message":"404 Project Not Found"}"#)
    );
    let files = w
        .app
        .get(
            &w.reporter,
            &format!("/projects/{}/packages/{id}/package_files", w.project_id),
        )
        .await;
    let file = files.expect(200)[0].clone();
    let keys: Vec<&str> = file
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "package_id",
            "created_at",
            "file_name",
            "size",
            "file_md5",
            "file_sha1",
            "file_sha256"
        ]
    );
    let (status, _, body) = w
        .app
        .get_bytes(
            &w.reporter,
            &format!(
                "/projects/{}/packages/{id}/package_files/{}/download",
                w.project_id, file["id"]
            ),
            &[],
        )
        .await;
    assert_eq!((status, body), (200, vec![7; 3]));
}

#[tokio::test]
async fn maintainers_delete_packages_and_files_and_uploads_start_again() {
    let w = World::new("public").await;
    let path = generic(w.project_id, "p/1.0/f");
    w.app
        .put_file(&w.developer, &path, b"one".to_vec())
        .await
        .expect(201);
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "p/1.0/g"),
            b"two".to_vec(),
        )
        .await
        .expect(201);
    let id = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/packages", w.project_id),
        )
        .await
        .expect(200)[0]["id"]
        .clone();
    let package = format!("/projects/{}/packages/{id}", w.project_id);
    for (caller, status) in [(Caller::anonymous(), 403), (w.developer.clone(), 403)] {
        let reply = w.app.delete(&caller, &package).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (status, r#"{"message":"403 Forbidden"}"#)
        );
    }
    let files = w
        .app
        .get(&w.developer, &format!("{package}/package_files"))
        .await;
    let g = files.expect(200)[1]["id"].clone();
    let gone = w
        .app
        .delete(&w.maintainer, &format!("{package}/package_files/{g}"))
        .await;
    assert_eq!((gone.status, gone.text.as_str()), (204, ""));
    let again = w
        .app
        .delete(&w.maintainer, &format!("{package}/package_files/{g}"))
        .await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    assert_eq!(
        w.app
            .get(&Caller::anonymous(), &generic(w.project_id, "p/1.0/g"))
            .await
            .status,
        404
    );
    // A client whose copy is older than the package's last change deletes nothing.
    let stale = into_reply(
        w.app
            .client
            .delete(w.app.url(&package))
            .header("PRIVATE-TOKEN", w.maintainer.token.clone().expect("token"))
            .header("If-Unmodified-Since", "Sun, 06 Nov 1994 08:49:37 GMT")
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(
        (stale.status, stale.text.as_str()),
        (412, r#"{"message":"412 Precondition Failed"}"#)
    );
    w.app.delete(&w.maintainer, &package).await.expect(204);
    assert_eq!(w.app.get(&w.maintainer, &package).await.status, 404);
    let download = w.app.get(&Caller::anonymous(), &path).await;
    assert_eq!(
        (download.status, download.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    w.app
        .put_file(&w.developer, &path, b"fresh".to_vec())
        .await
        .expect(201);
    let fresh = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/packages", w.project_id),
        )
        .await;
    assert_ne!(fresh.expect(200)[0]["id"], id, "a new package");
}
