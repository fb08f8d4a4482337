//! An instance's liveness, as other instances see it: a connection of its own, outside the
//! pool, holding the session advisory lock `(INSTANCE_LOCKS, instance)` for as long as the
//! process runs. PostgreSQL releases it when the connection ends, a crash included, so the pins
//! of a crashed instance are dead at once and the sweep of any instance may take its blobs.
//! A lost connection is re-made, and the lock taken again.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::store::StoreResult;

/// The first key of relinks' instance locks (the second is the instance): the bytes "rlk"
/// and a version, so that they are told apart from anyone else's advisory locks.
pub const INSTANCE_LOCKS: i32 = 1_919_249_000;

/// How often the held connection is checked.
const CHECK_EVERY: Duration = Duration::from_secs(15);

async fn lock(options: &PgConnectOptions, instance: i64) -> Result<PgConnection, sqlx::Error> {
    let mut connection = options.connect().await?;
    sqlx::query("SELECT pg_advisory_lock($1, $2)")
        .bind(INSTANCE_LOCKS)
        .bind(i32::try_from(instance).unwrap_or_default())
        .execute(&mut connection)
        .await?;
    Ok(connection)
}

/// Takes the lock (an error when the database cannot be reached now), then keeps it in the
/// background.
pub async fn hold(options: PgConnectOptions, instance: i64) -> StoreResult<()> {
    let mut connection = lock(&options, instance).await?;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(CHECK_EVERY).await;
            if connection.ping().await.is_ok() {
                continue;
            }
            tracing::warn!(
                instance,
                "the instance lock's connection was lost; taking it again"
            );
            loop {
                match lock(&options, instance).await {
                    Ok(again) => {
                        connection = again;
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, "could not take the instance lock again");
                        tokio::time::sleep(CHECK_EVERY).await;
                    }
                }
            }
        }
    });
    Ok(())
}
