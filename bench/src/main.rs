//! `relinks-bench`: the benchmark harness's helper (bench/run drives it).
//!
//! - `seed`: fills an empty database through the store's loader (the path `relinks copy`
//!   takes): 1 group, N projects, releases and links, a root token, one release with exactly
//!   100 links for the list scenarios. Prints what the scenarios need as JSON.
//! - `baseline`: a minimal axum server on the same runtime settings as relinks, answering a
//!   fixed link JSON with no database and no auth: the ceiling relinks is compared with.

use std::time::Instant;

use axum::routing::get;
use axum::Router;
use clap::{Parser, Subcommand};
use serde_json::json;

use relinks::app::{open, Engine};
use relinks::config::DatabaseConfig;
use relinks::domain::token;
use relinks::store::transfer::{Cell, Loader, Table, Transfer, TABLES};

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
    },
    Baseline {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: String,
    },
}

fn table(name: &str) -> &'static Table {
    TABLES.iter().find(|t| t.name == name).expect("known table")
}

const T0: i64 = 1_700_000_000_000_000;

async fn seed<B: Transfer>(
    store: &B,
    projects: i64,
    releases: i64,
    links: i64,
    secret: &str,
) -> anyhow::Result<()> {
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
        batch_releases.push(vec![
            Cell::Int(r),
            Cell::Int(project),
            text(&tag),
            text(&tag),
            text("Release notes"),
            Cell::Int(1),
            Cell::Null,
            Cell::Int(T0 + r),
            Cell::Int(T0 + r),
            Cell::Int(T0 + r),
        ]);
        let count = if r == 1 {
            big
        } else if r == releases {
            others - per_release * (releases - 2)
        } else {
            per_release
        };
        for n in 0..count {
            link_id += 1;
            batch_links.push(vec![
                Cell::Int(link_id),
                Cell::Int(r),
                text(&format!("file{n}")),
                text(&format!("https://downloads.example.com/{r}/file{n}")),
                text(&format!("/bin/file{n}")),
                Cell::Int(2),
                Cell::Int(T0 + link_id),
                Cell::Int(T0 + link_id),
            ]);
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
    for t in TABLES.iter().filter(|t| t.identity) {
        let next = match t.name {
            "users" | "personal_access_tokens" => 2,
            "namespaces" => 3,
            "projects" => projects + 1,
            "releases" => releases + 1,
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
            "projects": projects, "releases": releases, "links": link_id,
            "project_path": "bench/app1", "big_release": "v-big", "first_link": 1
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
        Command::Seed { database, projects, releases, links, token } => runtime().block_on(async {
            match open(&DatabaseConfig::new(&database)).await? {
                Engine::Sqlite(store) => seed(&store, projects, releases, links, &token).await,
                Engine::Postgres(store) => seed(&store, projects, releases, links, &token).await,
            }
        }),
        Command::Baseline { listen } => runtime().block_on(async {
            // The same answer relinks gives for one link, as fixed bytes.
            let body = r#"{"id":1,"name":"file0","url":"https://downloads.example.com/1/file0","direct_asset_url":"http://127.0.0.1:8080/bench/app1/-/releases/v-big/downloads/bin/file0","external":true,"link_type":"package"}"#;
            let app = Router::new().route(
                "/fixed",
                get(move || async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], body) }),
            );
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            axum::serve(listener, app).await?;
            Ok(())
        }),
    }
}
