//! The schema and the code that must know all of it, on each engine's migrated schema:
//! `relinks copy` copies every table and column or says why not (`store::transfer`), and every
//! unique rule a write can break has its `Constraint`, found by the name the engine reports.
//! A table, column or unique index added by a migration fails here until the code knows it.

use crate::common;

use std::collections::BTreeSet;

use relinks::app::{open, Engine};
use relinks::config::DatabaseConfig;
use relinks::store::transfer::{NOT_COPIED, TABLES};
use relinks::store::{Constraint, Store};

use common::TestDatabase;

/// Unique indexes no write can break, as PostgreSQL names them: their rows are written with
/// `ON CONFLICT` only (by the store, or by triggers: each release's count of links, webhook events), or only
/// by their migration (the one row of the caches' generations).
const WRITTEN_WITH_ON_CONFLICT: [&str; 9] = [
    "server_settings_pkey",
    "rate_limit_counts_pkey",
    "blobs_pkey",
    "packages_name_version_unique",
    "release_link_counts_pkey",
    "cache_generations_pkey",
    "idempotency_keys_caller_key",
    "download_counts_pkey",
    "web_hook_events_write",
];

/// Creates and migrates the schema the way the server does.
async fn migrate(url: &str) {
    match open(&DatabaseConfig::new(url)).await.expect("opens") {
        Engine::Sqlite(store) => store.close().await,
        Engine::Postgres(store) => store.close().await,
    }
}

/// Every table of the schema is copied or named as not copied, and every copied table exists.
fn check_tables(schema: &BTreeSet<String>) {
    let copied: BTreeSet<&str> = TABLES.iter().map(|t| t.name).collect();
    let skipped: BTreeSet<&str> = NOT_COPIED.iter().map(|t| t.name).collect();
    let unknown: Vec<&String> = schema
        .iter()
        .filter(|t| !copied.contains(t.as_str()) && !skipped.contains(t.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "tables `relinks copy` does not know: {unknown:?}; add them to store::transfer::TABLES \
         (parents first), or to NOT_COPIED with the reason"
    );
    let missing: Vec<&&str> = copied.iter().filter(|t| !schema.contains(**t)).collect();
    assert!(
        missing.is_empty(),
        "copied tables not in the schema: {missing:?}"
    );
    for table in &NOT_COPIED {
        assert!(
            !copied.contains(table.name),
            "{} is both copied and not",
            table.name
        );
    }
}

/// The copy reads and writes exactly the columns the table has.
fn check_columns(table: &str, schema: &BTreeSet<String>) {
    let copy = TABLES.iter().find(|t| t.name == table).expect("copied");
    let copied: BTreeSet<String> = copy.columns.iter().map(|(c, _)| c.to_string()).collect();
    assert_eq!(
        &copied, schema,
        "the columns `relinks copy` moves for {table}"
    );
}

/// The unique rules of the schema, by the name PostgreSQL gives their index, are the
/// constraints (and the rules written with `ON CONFLICT` only).
fn check_unique_rules(schema: &BTreeSet<String>) {
    let mut known: BTreeSet<String> = Constraint::ALL
        .iter()
        .map(|c| c.index().to_owned())
        .collect();
    known.extend(WRITTEN_WITH_ON_CONFLICT.iter().map(ToString::to_string));
    assert_eq!(
        schema, &known,
        "unique indexes of the schema against store::Constraint (a new unique index needs its \
         variant, with the names both engines report)"
    );
}

mod sqlite_only {
    use super::*;
    use sqlx::{Connection, SqliteConnection};

    async fn connect() -> (TestDatabase, SqliteConnection) {
        let database = TestDatabase::sqlite();
        migrate(&database.url).await;
        let connection = SqliteConnection::connect(&database.url)
            .await
            .expect("opens");
        (database, connection)
    }

    async fn tables(connection: &mut SqliteConnection) -> BTreeSet<String> {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations'",
        )
        .fetch_all(connection)
        .await
        .expect("tables")
        .into_iter()
        .collect()
    }

    #[tokio::test]
    async fn copy_knows_every_table_and_column() {
        let (_database, mut connection) = connect().await;
        let schema = tables(&mut connection).await;
        check_tables(&schema);
        for table in &TABLES {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                .bind(table.name)
                .fetch_all(&mut connection)
                .await
                .expect("columns");
            check_columns(table.name, &columns.into_iter().collect());
        }
    }

    /// SQLite reports a broken rule only in its message: by the index's name for an index on
    /// expressions, by `table.column, …` otherwise (primary keys included). Each message it
    /// can give names the constraint of that index.
    #[tokio::test]
    async fn every_unique_rule_is_a_constraint_found_by_its_message() {
        let (_database, mut connection) = connect().await;
        let mut rules = BTreeSet::new();
        for table in tables(&mut connection).await {
            let indexes: Vec<(String, bool, String)> =
                sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                    .bind(&table)
                    .fetch_all(&mut connection)
                    .await
                    .expect("indexes");
            for (index, unique, origin) in indexes {
                if !unique {
                    continue;
                }
                // PostgreSQL's name for the index of a primary key.
                let name = if origin == "pk" {
                    format!("{table}_pkey")
                } else {
                    index.clone()
                };
                let columns: Vec<Option<String>> =
                    sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                        .bind(&index)
                        .fetch_all(&mut connection)
                        .await
                        .expect("index columns");
                let reported = if columns.iter().any(Option::is_none) {
                    format!("index '{index}'")
                } else {
                    let names: Vec<String> = columns
                        .into_iter()
                        .flatten()
                        .map(|c| format!("{table}.{c}"))
                        .collect();
                    names.join(", ")
                };
                let message = format!("UNIQUE constraint failed: {reported}");
                if !WRITTEN_WITH_ON_CONFLICT.contains(&name.as_str()) {
                    let found = Constraint::reported(&message);
                    assert_eq!(
                        found.map(Constraint::index),
                        Some(name.as_str()),
                        "{message}"
                    );
                }
                rules.insert(name);
            }
        }
        check_unique_rules(&rules);
    }
}

mod postgres_only {
    use super::*;
    use sqlx::{Connection, PgConnection};

    async fn connect() -> (TestDatabase, PgConnection) {
        let database = TestDatabase::postgres().await;
        migrate(&database.url).await;
        let connection = PgConnection::connect(&database.url)
            .await
            .expect("connects");
        (database, connection)
    }

    #[tokio::test]
    async fn copy_knows_every_table_and_column() {
        let (_database, mut connection) = connect().await;
        let schema: BTreeSet<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
             AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut connection)
        .await
        .expect("tables")
        .into_iter()
        .collect();
        check_tables(&schema);
        for table in &TABLES {
            let columns: Vec<String> = sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1",
            )
            .bind(table.name)
            .fetch_all(&mut connection)
            .await
            .expect("columns");
            check_columns(table.name, &columns.into_iter().collect());
        }
    }

    /// PostgreSQL reports a broken rule by its index's name: each unique index is a constraint,
    /// except the primary keys of generated ids, which no insert chooses.
    #[tokio::test]
    async fn every_unique_rule_is_a_constraint() {
        let (_database, mut connection) = connect().await;
        let rules: BTreeSet<String> = sqlx::query_scalar(
            "SELECT i.indexname::text FROM pg_indexes i \
             WHERE i.schemaname = current_schema() AND i.indexdef LIKE 'CREATE UNIQUE INDEX%' \
             AND i.tablename <> '_sqlx_migrations' \
             AND NOT (i.indexname = i.tablename || '_pkey' AND EXISTS ( \
                 SELECT 1 FROM information_schema.columns c \
                 WHERE c.table_schema = i.schemaname AND c.table_name = i.tablename \
                 AND c.column_name = 'id' \
                 AND (c.is_identity = 'YES' OR c.column_default LIKE 'nextval(%')))",
        )
        .fetch_all(&mut connection)
        .await
        .expect("unique indexes")
        .into_iter()
        .collect();
        check_unique_rules(&rules);
    }
}
