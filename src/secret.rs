//! The server's secret key for token digests, and where it lives:
//!
//! 1. `RELINKS_SECRET` (64 hex digits, `openssl rand -hex 32`), for deployments that keep
//!    secrets in their environment;
//! 2. else the file `--secret-file` / `RELINKS_SECRET_FILE` names;
//! 3. else, on SQLite, the file `<database file>.secret` beside the database, made on first
//!    start (mode 0600);
//! 4. else, on PostgreSQL, the `token_key` row of `server_settings`, made by the first instance
//!    and shared by all (with a warning: a copy of the database then holds its own key).
//!
//! Digests made with one key are useless with another, so the key follows the data: `relinks
//! copy` carries it to the target, `relinks backup` writes it beside the snapshot.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::domain::token::TokenKey;
use crate::store::Store;

/// The `server_settings` row that holds the key when no file or environment gives it.
pub const KEY_SETTING: &str = "token_key";
/// The `server_settings` row that says the digests are keyed (written by
/// `Directory::key_token_digests`).
pub const DIGESTS_SETTING: &str = "token_digests";

pub use crate::config::SecretConfig;

/// Where a key was found, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    Database,
}

fn parse(text: &str, origin: &str) -> anyhow::Result<TokenKey> {
    TokenKey::from_hex(text).with_context(|| {
        format!("{origin} must hold 64 hex digits (make one with `openssl rand -hex 32`)")
    })
}

/// `<database file>.secret` for a SQLite URL; none for PostgreSQL.
pub fn file_beside(database_url: &str) -> Option<PathBuf> {
    let database = crate::config::sqlite_file(database_url)?;
    let mut name = database.file_name()?.to_os_string();
    name.push(".secret");
    Some(database.with_file_name(name))
}

fn read_file(path: &Path) -> anyhow::Result<TokenKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the secret key file {}", path.display()))?;
    parse(&text, &format!("the secret key file {}", path.display()))
}

/// Writes `key` to a new file readable by its owner only. Fails if the file exists.
pub fn write_new_file(path: &Path, key: &TokenKey) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{}", key.to_hex())?;
    file.sync_all()
}

/// The key in `path`, made there first when the file does not exist yet.
fn read_or_make_file(path: &Path) -> anyhow::Result<TokenKey> {
    if !path.exists() {
        match write_new_file(path, &TokenKey::generate()) {
            Ok(()) => {
                tracing::info!(file = %path.display(), "made a new secret key for token digests");
            }
            // Another process made it at the same moment: read theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("writing the secret key file {}", path.display()))
            }
        }
    }
    read_file(path)
}

/// The key for the database at `database_url`, following the order in the module's notes.
pub async fn resolve<S: Store>(
    config: &SecretConfig,
    database_url: &str,
    store: &S,
) -> anyhow::Result<(TokenKey, KeySource)> {
    if let Some(secret) = &config.secret {
        return Ok((parse(secret, "RELINKS_SECRET")?, KeySource::Environment));
    }
    if let Some(path) = config
        .secret_file
        .clone()
        .or_else(|| file_beside(database_url))
    {
        return Ok((read_or_make_file(&path)?, KeySource::File(path)));
    }
    let stored = match store.server_setting(KEY_SETTING).await? {
        Some(stored) => stored,
        None => {
            tracing::warn!(
                "no RELINKS_SECRET or --secret-file: the key for token digests is kept in the \
                 database, where a copy of the database carries it too"
            );
            store
                .settle_server_setting(KEY_SETTING, &TokenKey::generate().to_hex())
                .await?
        }
    };
    Ok((
        parse(&stored, "the token_key server setting")?,
        KeySource::Database,
    ))
}

/// Gives the database at `to_url` the key `key` (after `relinks copy`), unless the environment
/// or a key file names one already. Refuses when the target has another key: its digests would
/// not match.
pub async fn carry<S: Store>(
    key: &TokenKey,
    config: &SecretConfig,
    to_url: &str,
    to: &S,
) -> anyhow::Result<KeySource> {
    if let Some(secret) = &config.secret {
        if &parse(secret, "RELINKS_SECRET")? != key {
            bail!("RELINKS_SECRET differs from the source's key: copied tokens would not work");
        }
        return Ok(KeySource::Environment);
    }
    if let Some(path) = config.secret_file.clone().or_else(|| file_beside(to_url)) {
        if path.exists() {
            if &read_file(&path)? != key {
                bail!(
                    "{} holds another key: copied tokens would not work",
                    path.display()
                );
            }
        } else {
            write_new_file(&path, key)
                .with_context(|| format!("writing the secret key file {}", path.display()))?;
        }
        return Ok(KeySource::File(path));
    }
    let stored = to.settle_server_setting(KEY_SETTING, &key.to_hex()).await?;
    if &parse(&stored, "the target's token_key server setting")? != key {
        bail!("the target database holds another key: copied tokens would not work");
    }
    Ok(KeySource::Database)
}
