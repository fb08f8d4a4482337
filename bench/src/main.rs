//! `relinks-bench`: the benchmark harness's helper (bench/run drives it).
//!
//! - `seed`: fills an empty database through the store's loader (the path `relinks copy`
//!   takes): 1 group, N projects, releases and links, a root token, one release with exactly
//!   100 links for the list scenarios. Prints what the scenarios need as JSON.
//!   With `--fresh-releases K` and `--grow-links N`, project 2 also gets K empty releases
//!   (`v-fresh1`…) and one release `v-grow` with N links, for the growing-release scenario.
//! - `baseline`: a minimal axum server on the same runtime settings as relinks, answering a
//!   fixed link JSON with no database and no auth: the ceiling relinks is compared with.
//! - `floor`: the least work of answering GET of one link as relinks does (floor.rs): token
//!   keyed and looked up, link looked up and rendered, the same headers; no relinks around it.
//! - `pg-baseline`: PostgreSQL's own ceiling, a minimal axum + sqlx server answering GET of a
//!   link with one prepared `SELECT` and POST with one `INSERT … RETURNING` (pg_baseline.rs);
//!   `--plain`: into a copy of the table without its triggers.
//! - `files-baseline`: a minimal axum file server, the ceiling of relinks' file transfers:
//!   `PUT /files/:name` streams the body into a file of a directory, SHA-256 computed as it
//!   goes, fsynced, then renamed into place; `GET /files/:name` streams it back with its
//!   `Content-Length`. No auth, no database.
//! - `count-cost`: what counting one download costs a request, in-process: the project's full
//!   path made (as `Project::full_path` makes it) and `download_counter::record`, over the 100
//!   links of a release. Prints nanoseconds per download as JSON.
//! - `hash-write`: the raw speed of receiving a file on this machine, in-process: SHA-256 and
//!   a write of the same bytes into a file, then fsync; and each part alone. Prints MB/s as
//!   JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use clap::{Parser, Subcommand};
use futures_util::StreamExt;
use md5::Md5;
use serde_json::json;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use relinks::app::{open, Engine};
use relinks::config::DatabaseConfig;
use relinks::domain::token;
use relinks::store::transfer::{Cell, Loader, Table, Transfer, TABLES};

mod floor;
mod pg_baseline;

/// relinks' allocator, so that the baselines allocate as relinks does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Seed {
        #[arg(long)]
        database: String,
        #[arg(long, default_value_t = 10)]
        projects: i64,
        #[arg(long, default_value_t = 10_000)]
        releases: i64,
        #[arg(long, default_value_t = 100_000)]
        links: i64,
        /// The root token the scenarios use.
        #[arg(long)]
        token: String,
        /// Empty releases `v-fresh1`… in project 2, for creates into new releases.
        #[arg(long, default_value_t = 0)]
        fresh_releases: i64,
        /// Links of the release `v-grow` in project 2 (none: no such release).
        #[arg(long, default_value_t = 0)]
        grow_links: i64,
    },
    Baseline {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
    },
    Floor {
        #[arg(long, default_value = "127.0.0.1:8093")]
        listen: String,
        /// The token the floor accepts (the seeded one).
        #[arg(long)]
        token: String,
    },
    PgBaseline {
        #[arg(long, default_value = "127.0.0.1:8092")]
        listen: String,
        /// The seeded PostgreSQL database.
        #[arg(long)]
        database: String,
        /// POST inserts into a copy of release_links without its triggers and foreign key.
        #[arg(long)]
        plain: bool,
    },
    FilesBaseline {
        #[arg(long, default_value = "127.0.0.1:8091")]
        listen: String,
        /// Where the files go (made when missing).
        #[arg(long)]
        dir: PathBuf,
    },
    CountCost {
        #[arg(long, default_value_t = 2_000_000)]
        iterations: u64,
    },
    HashWrite {
        /// The file whose bytes are hashed and written (read into memory first, not timed).
        #[arg(long)]
        source: PathBuf,
        /// The directory written into (the same filesystem as the servers' storage).
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 3)]
        repetitions: usize,
    },
}

/// Bytes read from disk at a time when serving a file: relinks' own read size.
const READ_CHUNK: usize = 256 * 1024;

/// Bytes hashed and written at a time by `hash-write`.
const WRITE_CHUNK: usize = 256 * 1024;

type Failure = (StatusCode, String);

fn failure(error: &impl std::fmt::Display) -> Failure {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

/// A plain file name: nothing that could leave the directory.
fn file_in(dir: &Path, name: &str) -> Result<PathBuf, Failure> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if plain {
        Ok(dir.join(name))
    } else {
        Err((StatusCode::BAD_REQUEST, "a plain file name, please".into()))
    }
}

async fn put_file(
    State(dir): State<Arc<PathBuf>>,
    axum::extract::Path(name): axum::extract::Path<String>,
    body: Body,
) -> Result<Response, Failure> {
    let target = file_in(&dir, &name)?;
    let partial = dir.join(format!(".{name}.{:016x}.part", rand::random::<u64>()));
    let mut file = tokio::fs::File::create(&partial)
        .await
        .map_err(|e| failure(&e))?;
    let mut sha256 = Sha256::new();
    let mut size = 0_u64;
    let mut body = body.into_data_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()))?;
        sha256.update(&chunk);
        size += chunk.len() as u64;
        file.write_all(&chunk).await.map_err(|e| failure(&e))?;
    }
    file.sync_all().await.map_err(|e| failure(&e))?;
    drop(file);
    tokio::fs::rename(&partial, &target)
        .await
        .map_err(|e| failure(&e))?;
    let answer = json!({ "sha256": hex::encode(sha256.finalize()), "size": size });
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

async fn get_file(
    State(dir): State<Arc<PathBuf>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Response, Failure> {
    let path = file_in(&dir, &name)?;
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| (StatusCode::NOT_FOUND, e.to_string()))?;
    let size = file.metadata().await.map_err(|e| failure(&e))?.len();
    let body = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(
        file, READ_CHUNK,
    ));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        body,
    )
        .into_response())
}

async fn files_baseline(listen: &str, dir: PathBuf) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    tokio::fs::create_dir_all(&dir).await?;
    let app = Router::new()
        .route("/files/{name}", get(get_file).put(put_file))
        .route("/ready", get(|| async { "ready" }))
        .with_state(Arc::new(dir));
    // No body size limit (axum's default is 2 MB for extractors; a streamed body has none,
    // but say so), and TCP_NODELAY as relinks sets it.
    let app = app.layer(axum::extract::DefaultBodyLimit::disable());
    let listener = tokio::net::TcpListener::bind(listen).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// MB/s (10^6 bytes) of `work` over `bytes`, the median of `repetitions` runs.
fn rate(
    bytes: usize,
    repetitions: usize,
    mut work: impl FnMut(usize) -> std::io::Result<()>,
) -> std::io::Result<(f64, Vec<f64>)> {
    let mut runs = Vec::new();
    for run in 0..repetitions.max(1) {
        let started = Instant::now();
        work(run)?;
        runs.push(bytes as f64 / 1e6 / started.elapsed().as_secs_f64());
    }
    let mut sorted = runs.clone();
    Ok((median(&mut sorted), runs))
}

fn hash_only<D: Digest>(data: &[u8]) -> String {
    let mut digest = D::new();
    for chunk in data.chunks(WRITE_CHUNK) {
        digest.update(chunk);
    }
    hex::encode(digest.finalize())
}

fn hash_write(source: &Path, dir: &Path, repetitions: usize) -> anyhow::Result<()> {
    let data = std::fs::read(source)?;
    std::fs::create_dir_all(dir)?;
    let bytes = data.len();
    let write = |path: &Path, hash: bool| -> std::io::Result<()> {
        let mut file = std::fs::File::create(path)?;
        let mut sha256 = Sha256::new();
        for chunk in data.chunks(WRITE_CHUNK) {
            if hash {
                sha256.update(chunk);
            }
            file.write_all(chunk)?;
        }
        file.sync_all()?;
        std::hint::black_box(sha256.finalize());
        drop(file);
        std::fs::remove_file(path)
    };
    let (mb_s, runs) = rate(bytes, repetitions, |run| {
        write(&dir.join(format!("hash-write-{run}.bin")), true)
    })?;
    let (write_mb_s, _) = rate(bytes, repetitions, |run| {
        write(&dir.join(format!("write-{run}.bin")), false)
    })?;
    let (sha256_mb_s, _) = rate(bytes, repetitions, |_| {
        std::hint::black_box(hash_only::<Sha256>(&data));
        Ok(())
    })?;
    let (sha1_mb_s, _) = rate(bytes, repetitions, |_| {
        std::hint::black_box(hash_only::<Sha1>(&data));
        Ok(())
    })?;
    let (md5_mb_s, _) = rate(bytes, repetitions, |_| {
        std::hint::black_box(hash_only::<Md5>(&data));
        Ok(())
    })?;
    println!(
        "{}",
        json!({
            "bytes": bytes, "repetitions": repetitions, "mb_s": mb_s, "runs": runs,
            "write_fsync_mb_s": write_mb_s, "sha256_mb_s": sha256_mb_s,
            "sha1_mb_s": sha1_mb_s, "md5_mb_s": md5_mb_s,
        })
    );
    Ok(())
}

fn table(name: &str) -> &'static Table {
    TABLES.iter().find(|t| t.name == name).expect("known table")
}

const T0: i64 = 1_700_000_000_000_000;

/// What `seed` makes.
struct Shape {
    projects: i64,
    releases: i64,
    links: i64,
    fresh_releases: i64,
    grow_links: i64,
}

fn release_row(id: i64, project: i64, tag: &str) -> Vec<Cell> {
    let text = |s: &str| Cell::Text(s.to_owned());
    vec![
        Cell::Int(id),
        Cell::Int(project),
        text(tag),
        text(tag),
        text("Release notes"),
        Cell::Int(1),
        Cell::Null,
        Cell::Int(T0 + id),
        Cell::Int(T0 + id),
        Cell::Int(T0 + id),
        Cell::Text(relinks::domain::semver::sort_key(tag).unwrap_or_default()),
    ]
}

fn link_row(id: i64, release: i64, name: &str) -> Vec<Cell> {
    vec![
        Cell::Int(id),
        Cell::Int(release),
        Cell::Text(name.to_owned()),
        Cell::Text(format!("https://downloads.example.com/{release}/{name}")),
        Cell::Text(format!("/bin/{name}")),
        Cell::Int(2),
        Cell::Int(T0 + id),
        Cell::Int(T0 + id),
        // No explicit order, no digest, no size.
        Cell::Null,
        Cell::Null,
        Cell::Null,
    ]
}

async fn seed<B: Transfer>(store: &B, shape: &Shape, secret: &str) -> anyhow::Result<()> {
    let Shape {
        projects,
        releases,
        links,
        fresh_releases,
        grow_links,
    } = *shape;
    let started = Instant::now();
    let mut loader = store.loader().await?;
    let text = |s: &str| Cell::Text(s.to_owned());
    loader
        .insert(
            table("users"),
            &[vec![
                Cell::Int(1),
                text("root"),
                text("Administrator"),
                text("admin@example.com"),
                Cell::Bool(true),
                text("active"),
                Cell::Int(T0),
            ]],
        )
        .await?;
    loader
        .insert(
            table("namespaces"),
            &[
                vec![
                    Cell::Int(1),
                    text("user"),
                    text("Administrator"),
                    text("root"),
                    text("root"),
                    text("Administrator"),
                    Cell::Null,
                    text("1"),
                    Cell::Int(1),
                    text("public"),
                    text(""),
                    Cell::Int(T0),
                ],
                vec![
                    Cell::Int(2),
                    text("group"),
                    text("Bench"),
                    text("bench"),
                    text("bench"),
                    text("Bench"),
                    Cell::Null,
                    text("2"),
                    Cell::Null,
                    text("private"),
                    text(""),
                    Cell::Int(T0),
                ],
            ],
        )
        .await?;
    loader
        .insert(
            table("group_members"),
            &[vec![
                Cell::Int(2),
                Cell::Int(1),
                Cell::Int(50),
                Cell::Null,
                Cell::Int(T0),
            ]],
        )
        .await?;
    loader
        .insert(
            table("personal_access_tokens"),
            &[vec![
                Cell::Int(1),
                Cell::Int(1),
                text("bench"),
                // The unkeyed form: relinks keys it with its secret on first start, as it does
                // for a database from before token keys.
                text(&token::unkeyed_digest(secret)),
                text("api"),
                Cell::Null,
                Cell::Bool(false),
                Cell::Int(T0),
                Cell::Null,
            ]],
        )
        .await?;
    let project_rows: Vec<Vec<Cell>> = (1..=projects)
        .map(|p| {
            vec![
                Cell::Int(p),
                Cell::Int(2),
                text(&format!("app{p}")),
                text(&format!("app{p}")),
                Cell::Null,
                text("private"),
                text("enabled"),
                Cell::Null,
                Cell::Bool(false),
                Cell::Int(1),
                Cell::Int(T0),
                Cell::Int(T0),
            ]
        })
        .collect();
    loader.insert(table("projects"), &project_rows).await?;

    // Release 1 of project 1 (`v-big`) has exactly 100 links; the others share the rest.
    let big = 100.min(links);
    let others = (links - big).max(0);
    let per_release = if releases > 1 {
        others / (releases - 1)
    } else {
        0
    };
    let mut link_id = 0;
    let mut batch_releases = Vec::new();
    let mut batch_links = Vec::new();
    for r in 1..=releases {
        let project = (r - 1) % projects + 1;
        let tag = if r == 1 {
            "v-big".to_owned()
        } else {
            format!("v{r}")
        };
        batch_releases.push(release_row(r, project, &tag));
        let count = if r == 1 {
            big
        } else if r == releases {
            others - per_release * (releases - 2)
        } else {
            per_release
        };
        for n in 0..count {
            link_id += 1;
            batch_links.push(link_row(link_id, r, &format!("file{n}")));
        }
        if batch_links.len() >= 5_000 || r == releases {
            loader
                .insert(table("releases"), &std::mem::take(&mut batch_releases))
                .await?;
            for chunk in batch_links.chunks(2_000) {
                loader.insert(table("release_links"), chunk).await?;
            }
            batch_links.clear();
        }
    }
    // The growing-release scenario's releases, in project 2 (1 when there is only one).
    let extra_project = projects.min(2);
    let mut release_id = releases;
    let fresh: Vec<Vec<Cell>> = (1..=fresh_releases)
        .map(|k| {
            release_id += 1;
            release_row(release_id, extra_project, &format!("v-fresh{k}"))
        })
        .collect();
    for chunk in fresh.chunks(2_000) {
        loader.insert(table("releases"), chunk).await?;
    }
    if grow_links > 0 {
        release_id += 1;
        loader
            .insert(
                table("releases"),
                &[release_row(release_id, extra_project, "v-grow")],
            )
            .await?;
        let rows: Vec<Vec<Cell>> = (0..grow_links)
            .map(|n| link_row(link_id + 1 + n, release_id, &format!("grow{n}")))
            .collect();
        link_id += grow_links;
        for chunk in rows.chunks(2_000) {
            loader.insert(table("release_links"), chunk).await?;
        }
    }
    for t in TABLES.iter().filter(|t| t.identity) {
        let next = match t.name {
            "users" | "personal_access_tokens" => 2,
            "namespaces" => 3,
            "projects" => projects + 1,
            "releases" => release_id + 1,
            "release_links" => link_id + 1,
            _ => 1,
        };
        loader.set_next_id(t, next).await?;
    }
    loader.commit().await?;
    println!(
        "{}",
        json!({
            "seconds": started.elapsed().as_secs_f64(),
            "projects": projects, "releases": releases, "links": link_id - grow_links,
            "project_path": "bench/app1", "big_release": "v-big", "first_link": 1,
            "extra_project": extra_project, "fresh_releases": fresh_releases,
            "grow_release": (grow_links > 0).then_some("v-grow"), "grow_links": grow_links,
        })
    );
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Seed {
            database,
            projects,
            releases,
            links,
            token,
            fresh_releases,
            grow_links,
        } => runtime().block_on(async {
            let shape = Shape {
                projects,
                releases,
                links,
                fresh_releases,
                grow_links,
            };
            match open(&DatabaseConfig::new(&database)).await? {
                Engine::Sqlite(store) => seed(&store, &shape, &token).await,
                Engine::Postgres(store) => seed(&store, &shape, &token).await,
            }
        }),
        Command::Baseline { listen } => runtime().block_on(async {
            use axum::serve::ListenerExt;
            // The same answer relinks gives for one link, as fixed bytes.
            let body = r#"{"id":1,"name":"file0","url":"https://downloads.example.com/1/file0","direct_asset_url":"http://127.0.0.1:8080/bench/app1/-/releases/v-big/downloads/bin/file0","external":true,"link_type":"package"}"#;
            let app = Router::new().route(
                "/fixed",
                get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }),
            );
            // TCP_NODELAY, as relinks sets it.
            let listener = tokio::net::TcpListener::bind(&listen).await?.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            axum::serve(listener, app).await?;
            Ok(())
        }),
        Command::Floor { listen, token } => runtime().block_on(floor::serve(&listen, &token)),
        Command::PgBaseline {
            listen,
            database,
            plain,
        } => runtime().block_on(pg_baseline::serve(&listen, &database, plain)),
        Command::FilesBaseline { listen, dir } => {
            runtime().block_on(files_baseline(&listen, dir))
        }
        Command::HashWrite {
            source,
            dir,
            repetitions,
        } => hash_write(&source, &dir, repetitions),
        Command::CountCost { iterations } => count_cost(iterations),
    }
}

fn count_cost(iterations: u64) -> anyhow::Result<()> {
    use relinks::domain::downloads::Subject;
    use relinks::http::download_counter::{record, DownloadCounter};
    let counter = DownloadCounter::default();
    let metrics = relinks::http::metrics::Metrics::new();
    let (namespace, project) = (std::hint::black_box("bench"), "app1");
    let started = Instant::now();
    for i in 0..iterations {
        let full_path = format!("{namespace}/{project}");
        let link = i64::try_from(i % 100).unwrap_or_default() + 1;
        record(&counter, &metrics, Subject::Link, link, &full_path);
    }
    let ns = started.elapsed().as_nanos() as f64 / iterations.max(1) as f64;
    println!(
        "{}",
        json!({ "ns_per_download": ns, "iterations": iterations })
    );
    Ok(())
}
