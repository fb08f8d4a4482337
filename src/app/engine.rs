//! The engine a database URL names, opened (created or migrated) once, by its scheme.

use anyhow::{bail, Context};

use crate::config::DatabaseConfig;
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

/// An opened store of either engine.
#[derive(Clone, Debug)]
pub enum Engine {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Opens the database a URL names (creating or migrating it), by its scheme.
pub async fn open(database: &DatabaseConfig) -> anyhow::Result<Engine> {
    let url = database.url.as_str();
    let engine = if url.starts_with("sqlite:") {
        Engine::Sqlite(
            SqliteStore::connect(url)
                .await
                .with_context(|| format!("opening {url}"))?,
        )
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = PgStore::connect(url, &database.pg_settings())
            .await
            .with_context(|| format!("connecting to {}", redact(url)))?;
        Engine::Postgres(store)
    } else {
        bail!(
            "unsupported database URL {}: use sqlite://path.db or postgres://user@host/db",
            redact(url)
        );
    };
    Ok(engine)
}

/// A URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// `relinks migrate`: create or upgrade the schema, then close.
pub async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    match open(database).await? {
        Engine::Sqlite(store) => store.close().await,
        Engine::Postgres(store) => store.close().await,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
