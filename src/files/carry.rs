//! Carrying hosted files from one storage to another: `relinks copy` (between any two
//! storages, local or S3) and `relinks backup`/`restore` (a local storage beside the snapshot).
//! Each blob is read from the source and stored in the target as an upload would be (hashed
//! as it goes, durable before it counts), and its digest checked; between two local
//! directories on one file system a hard link does it at once (blobs never change once
//! stored). Blobs the target has already are skipped. Progress goes to stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::blobs::{Blobs, BodyLimits};
use crate::store::Blob;

/// What was carried.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Carried {
    pub files: u64,
    pub bytes: u64,
    /// Already in the target.
    pub present: u64,
}

/// Copies every blob of `wanted` from `from` to `to`.
pub async fn carry(from: &Blobs, to: &Blobs, wanted: &[Blob]) -> anyhow::Result<Carried> {
    let terminal = std::io::stderr().is_terminal();
    let total: u64 = wanted
        .iter()
        .map(|b| u64::try_from(b.size).unwrap_or_default())
        .sum();
    let mut carried = Carried::default();
    for (done, blob) in wanted.iter().enumerate() {
        if to.exists(&blob.sha256).await? {
            carried.present += 1;
        } else {
            carry_one(from, to, blob).await?;
            carried.files += 1;
            carried.bytes += u64::try_from(blob.size).unwrap_or_default();
        }
        let line = format!(
            "  files {:>7} / {} ({} of {} MiB)",
            done + 1,
            wanted.len(),
            (carried.bytes) / (1024 * 1024),
            total / (1024 * 1024)
        );
        if terminal {
            eprint!("\r{line}");
            let _ = std::io::stderr().flush();
        } else if (done + 1) % 1000 == 0 || done + 1 == wanted.len() {
            eprintln!("{line}");
        }
    }
    if terminal && !wanted.is_empty() {
        eprintln!();
    }
    Ok(carried)
}

async fn carry_one(from: &Blobs, to: &Blobs, blob: &Blob) -> anyhow::Result<()> {
    if let Some(source) = from.local_path(&blob.sha256) {
        if to.link_from(&source, &blob.sha256).await? {
            return Ok(());
        }
    }
    let bytes = from
        .read(&blob.sha256, None)
        .await
        .with_context(|| format!("reading the file {} from {}", blob.sha256, from.describe()))?;
    let limits = BodyLimits::new(u64::MAX, Duration::from_secs(300));
    let mut staged = to
        .stage(bytes, limits)
        .await
        .with_context(|| format!("writing the file {} to {}", blob.sha256, to.describe()))?;
    if staged.info.sha256 != blob.sha256 {
        bail!(
            "the file {} in {} has other bytes (their SHA-256 is {}): it is left out",
            blob.sha256,
            from.describe(),
            staged.info.sha256
        );
    }
    to.place(&mut staged).await?;
    Ok(())
}
