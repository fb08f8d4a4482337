//! `pg-baseline`: PostgreSQL's own limit for a links endpoint, the ceiling relinks on
//! PostgreSQL is compared with. A minimal axum + sqlx server, on the same runtime settings and
//! with the same pool size as relinks' PostgreSQL store, on the benchmark's seeded database:
//!
//! - `GET /api/v4/projects/:project/releases/:tag/assets/links/:id`: ONE prepared `SELECT` of
//!   the link by id (the project and tag are not looked at), the row as JSON;
//! - `POST /api/v4/projects/:project/releases/:tag/assets/links`: ONE `INSERT … RETURNING`
//!   into `release_links` (one statement in autocommit, its own transaction), from the JSON
//!   body's `name`, `url` and optional `filepath` and `link_type`; the release is the seeded one
//!   the tag names (`v<id>`, or `v-big`, release 1), with no query to find it.
//!
//! The same URLs as relinks', so the same wrk scenarios drive both. No auth, no validation, no
//! count of the release's links; the schema's triggers (the release touched, the audit event,
//! and whatever else the schema of the day does on a link write) fire as they do for relinks.
//! With `--plain`, POST inserts instead into `relinks_bench.plain_links`, a copy of
//! `release_links` made afresh at start (`LIKE … INCLUDING ALL`: the same columns, identity and
//! unique indexes; no trigger, no foreign key): a reference that does not move with the schema.
//! A unique violation is answered 400, any other failure 500, and wrk counts either.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

/// relinks' PostgreSQL pool size (`PgSettings::default().max_connections`).
const MAX_CONNECTIONS: u32 = 10;

const SELECT: &str = "SELECT id, release_id, name, url, filepath, link_type, created_at, \
                      updated_at FROM release_links WHERE id = $1";

const INSERT: &str = "INSERT INTO release_links (release_id, name, url, filepath, link_type, \
                      created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                      RETURNING id, release_id, name, url, filepath, link_type, created_at, \
                      updated_at";

const PLAIN_INSERT: &str = "INSERT INTO relinks_bench.plain_links (release_id, name, url, \
                            filepath, link_type, created_at, updated_at) \
                            VALUES ($1, $2, $3, $4, $5, $6, $6) \
                            RETURNING id, release_id, name, url, filepath, link_type, \
                            created_at, updated_at";

const PLAIN_TABLE: [&str; 3] = [
    "CREATE SCHEMA IF NOT EXISTS relinks_bench",
    "DROP TABLE IF EXISTS relinks_bench.plain_links",
    "CREATE TABLE relinks_bench.plain_links (LIKE public.release_links INCLUDING ALL)",
];

#[derive(Clone)]
struct Server {
    pool: PgPool,
    insert: &'static str,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    release_id: i64,
    name: String,
    url: String,
    filepath: Option<String>,
    link_type: i64,
    created_at: i64,
    updated_at: i64,
}

/// About the size of relinks' link entity, with the row's own fields.
#[derive(Serialize)]
struct Entity {
    id: i64,
    release_id: i64,
    name: String,
    url: String,
    filepath: Option<String>,
    link_type: &'static str,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Entity {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            release_id: r.release_id,
            name: r.name,
            url: r.url,
            filepath: r.filepath,
            link_type: link_type_name(r.link_type),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

fn link_type_name(code: i64) -> &'static str {
    match code {
        1 => "runbook",
        2 => "package",
        3 => "image",
        _ => "other",
    }
}

fn link_type_code(name: Option<&str>) -> i64 {
    match name {
        Some("runbook") => 1,
        Some("package") => 2,
        Some("image") => 3,
        _ => 0,
    }
}

#[derive(Deserialize)]
struct NewLink {
    name: String,
    url: String,
    filepath: Option<String>,
    link_type: Option<String>,
}

type Failure = (StatusCode, String);

fn failure(error: &sqlx::Error) -> Failure {
    let unique = matches!(error, sqlx::Error::Database(e) if e.is_unique_violation());
    let status = if unique {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (status, error.to_string())
}

/// The seeded release a tag names: `v-big` is release 1, `v<n>` release n.
fn release_id(tag: &str) -> Result<i64, Failure> {
    if tag == "v-big" {
        return Ok(1);
    }
    tag.strip_prefix('v')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| (StatusCode::NOT_FOUND, "not a seeded release".to_owned()))
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

async fn get_link(
    State(Server { pool, .. }): State<Server>,
    Path((_project, _tag, id)): Path<(String, String, i64)>,
) -> Result<Json<Entity>, Failure> {
    // sqlx prepares the statement once per connection and keeps it.
    let row: Option<Row> = sqlx::query_as(SELECT)
        .bind(id)
        .fetch_optional(&pool)
        .await
        .map_err(|e| failure(&e))?;
    row.map(|r| Json(r.into()))
        .ok_or_else(|| (StatusCode::NOT_FOUND, "Not found".to_owned()))
}

async fn create_link(
    State(Server { pool, insert }): State<Server>,
    Path((_project, tag)): Path<(String, String)>,
    Json(link): Json<NewLink>,
) -> Result<(StatusCode, Json<Entity>), Failure> {
    let release = release_id(&tag)?;
    let row: Row = sqlx::query_as(insert)
        .bind(release)
        .bind(&link.name)
        .bind(&link.url)
        .bind(&link.filepath)
        .bind(link_type_code(link.link_type.as_deref()))
        .bind(now_micros())
        .fetch_one(&pool)
        .await
        .map_err(|e| failure(&e))?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

pub async fn serve(listen: &str, database: &str, plain: bool) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    let pool = PgPoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .connect(database)
        .await?;
    if plain {
        for statement in PLAIN_TABLE {
            sqlx::query(statement).execute(&pool).await?;
        }
    }
    let state = Server {
        pool,
        insert: if plain { PLAIN_INSERT } else { INSERT },
    };
    let app = Router::new()
        .route(
            "/api/v4/projects/{project}/releases/{tag}/assets/links/{id}",
            get(get_link),
        )
        .route(
            "/api/v4/projects/{project}/releases/{tag}/assets/links",
            post(create_link),
        )
        .route("/ready", get(|| async { "ready" }))
        .with_state(state);
    // TCP_NODELAY, as relinks sets it.
    let listener = tokio::net::TcpListener::bind(listen).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}
