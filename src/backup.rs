//! `relinks backup` and `relinks restore`: consistent snapshots of a SQLite instance, taken
//! while it serves. A snapshot is SQLite's `VACUUM INTO` from a read transaction: one
//! consistent view of the whole database (WAL mode lets the server keep writing meanwhile),
//! written to a temporary file, checked, and renamed into place; the secret key file for token
//! digests is copied beside it (`<snapshot>.secret`) and restored with it, and so are the
//! hosted files of a local storage (`<snapshot>.files`, hard links where they can be: a blob
//! never changes once stored). Files in S3 stay in their bucket, which has its own backups.
//! PostgreSQL has its own tools (`pg_dump`, or `relinks copy` into SQLite).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use crate::app::storage as app_storage;
use crate::blobs::{Blobs, StorageLocation, StorageSettings};
use crate::files::carry::{carry, Carried};
use crate::store::Blob;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, SqliteConnection};

/// What a snapshot holds, as read back from it.
#[derive(Debug)]
pub struct Snapshot {
    pub path: PathBuf,
    pub bytes: u64,
    pub links: i64,
    pub releases: i64,
    /// The hosted files carried with it.
    pub files: Carried,
}

fn sqlite_path(database_url: &str) -> anyhow::Result<PathBuf> {
    crate::config::sqlite_file(database_url).context(
        "backup and restore work on SQLite databases; for PostgreSQL use pg_dump, or `relinks copy` into a SQLite file",
    )
}

async fn open_read_only(path: &Path) -> anyhow::Result<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))
}

/// Checks that `path` is a sound relinks database and reads its size.
async fn inspect(path: &Path) -> anyhow::Result<Snapshot> {
    let mut connection = open_read_only(path).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await?;
    if check != "ok" {
        bail!("{} fails SQLite's integrity check: {check}", path.display());
    }
    let counts: Result<(i64, i64), sqlx::Error> = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM release_links), (SELECT COUNT(*) FROM releases)",
    )
    .fetch_one(&mut connection)
    .await;
    let (links, releases) =
        counts.with_context(|| format!("{} is not a relinks database", path.display()))?;
    connection.close().await?;
    Ok(Snapshot {
        path: path.to_path_buf(),
        bytes: std::fs::metadata(path)?.len(),
        links,
        releases,
        files: Carried::default(),
    })
}

/// The blobs a database file refers to.
async fn referenced_blobs(path: &Path) -> anyhow::Result<Vec<Blob>> {
    let mut connection = open_read_only(path).await?;
    let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT sha256, size, sha1, md5 FROM blobs WHERE NOT deleting ORDER BY sha256",
    )
    .fetch_all(&mut connection)
    .await?;
    connection.close().await?;
    Ok(rows.into_iter().map(Blob::from).collect())
}

/// Carries the files `database` refers to from `from` into `to`.
async fn carry_files(
    database: &Path,
    from: &StorageSettings,
    to: &StorageSettings,
) -> anyhow::Result<Carried> {
    let wanted = referenced_blobs(database).await?;
    let (source, target) = (Blobs::open(from).await?, Blobs::open(to).await?);
    carry(&source, &target, &wanted)
        .await
        .context("copying the hosted files (a file deleted while the backup ran? run it again)")
}

fn local(path: PathBuf) -> StorageSettings {
    StorageSettings {
        location: StorageLocation::Directory(path),
        s3: Default::default(),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes a snapshot of the (possibly running) instance at `database_url` to `to`, which must
/// not exist yet.
pub async fn backup(
    database_url: &str,
    to: &Path,
    storage: Option<&StorageSettings>,
) -> anyhow::Result<Snapshot> {
    let source = sqlite_path(database_url)?;
    if !source.exists() {
        bail!("{} does not exist", source.display());
    }
    if to.exists() {
        bail!("{} exists already; choose a new file", to.display());
    }
    require_directory_of(to)?;
    let partial = sibling(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    let mut connection = open_read_only(&source).await?;
    let target = partial
        .to_str()
        .context("the backup path is not valid UTF-8")?
        .to_owned();
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut connection)
        .await
        .context("writing the snapshot")?;
    connection.close().await?;
    // The snapshot is complete on disk before it takes its final name.
    std::fs::File::open(&partial)?.sync_all()?;
    let mut snapshot = inspect(&partial).await?;
    // The files the snapshot refers to, beside it (after the snapshot: every file it refers to
    // was there when it was taken).
    let files = app_storage::settings(storage, &crate::config::DatabaseConfig::new(database_url));
    if files.location.is_local() {
        snapshot.files = carry_files(&partial, &files, &local(sibling(to, ".files"))).await?;
    } else {
        eprintln!(
            "the hosted files are in {:?}: back the bucket up with its own tools",
            files.location
        );
    }
    // The digests in the snapshot need their key: it goes beside the snapshot, as it sits
    // beside the database (when the key comes from the environment, it stays there).
    if let Some(key_file) = crate::secret::file_beside(database_url).filter(|f| f.exists()) {
        let copy = sibling(to, ".secret");
        std::fs::copy(&key_file, &copy).context("copying the secret key file")?;
        std::fs::File::open(&copy)?.sync_all()?;
    }
    std::fs::rename(&partial, to)?;
    sync_directory(to);
    Ok(Snapshot {
        path: to.to_path_buf(),
        ..snapshot
    })
}

/// Puts the snapshot `from` in place of the database at `database_url`. The server must be
/// stopped; an existing database is replaced only with `replace`.
pub async fn restore(
    from: &Path,
    database_url: &str,
    replace: bool,
    storage: Option<&StorageSettings>,
) -> anyhow::Result<Snapshot> {
    let target = sqlite_path(database_url)?;
    let snapshot = inspect(from)
        .await
        .with_context(|| format!("checking the snapshot {}", from.display()))?;
    require_directory_of(&target)?;
    if target.exists() && !replace {
        bail!(
            "{} exists; stop relinks and pass --replace to put the snapshot in its place",
            target.display()
        );
    }
    let incoming = sibling(&target, ".restoring");
    std::fs::copy(from, &incoming).context("copying the snapshot")?;
    std::fs::File::open(&incoming)?.sync_all()?;
    // The old database's write-ahead log belongs to the old file: it must not be replayed
    // into the snapshot.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(&target, suffix));
    }
    std::fs::rename(&incoming, &target)?;
    let key_file = sibling(from, ".secret");
    if key_file.exists() {
        if let Some(beside) = crate::secret::file_beside(database_url) {
            std::fs::copy(&key_file, &beside).context("restoring the secret key file")?;
            std::fs::File::open(&beside)?.sync_all()?;
        }
    }
    sync_directory(&target);
    inspect(&target).await?;
    // The snapshot's files go into the instance's storage (what else is there is swept at its
    // next start, when nothing refers to it).
    let files = sibling(from, ".files");
    let carried = if files.is_dir() {
        let into =
            app_storage::settings(storage, &crate::config::DatabaseConfig::new(database_url));
        carry_files(&target, &local(files), &into).await?
    } else {
        Carried::default()
    };
    Ok(Snapshot {
        path: target,
        files: carried,
        ..snapshot
    })
}

/// The directory a file is to be written into must exist: said plainly here, where SQLite
/// would only say it is "unable to open database file".
fn require_directory_of(file: &Path) -> anyhow::Result<()> {
    let directory = match file.parent() {
        Some(directory) if !directory.as_os_str().is_empty() => directory,
        _ => return Ok(()),
    };
    if !directory.is_dir() {
        bail!(
            "the directory {} does not exist: create it first (mkdir -p {})",
            directory.display(),
            directory.display()
        );
    }
    Ok(())
}

/// A rename is durable once its directory is synced.
fn sync_directory(path: &Path) {
    if let Some(directory) = path.parent() {
        let directory = if directory.as_os_str().is_empty() {
            Path::new(".")
        } else {
            directory
        };
        if let Ok(handle) = std::fs::File::open(directory) {
            let _ = handle.sync_all();
        }
    }
}
