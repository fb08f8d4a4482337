//! Blobs and their pins: the bookkeeping that lets uploads and the sweep run side by side, on
//! any number of instances, without the sweep ever removing bytes a committed file refers to.

/// `HostedFiles`' methods for blobs (expanded inside `impl HostedFiles for $store` by
/// `hosted_files_impl!`).
macro_rules! blob_methods {
    ($store:ty, $db:ty) => {
        async fn hold_instance(&self, instance: i64) -> StoreResult<()> {
            <$store as SqlEngine>::hold_instance(self, instance).await
        }

        async fn other_instances(&self, instance: i64) -> StoreResult<i64> {
            <$store as SqlEngine>::other_instances(self, instance).await
        }

        async fn pin_blob(
            &self,
            blob: &Blob,
            instance: i64,
            expires_at: Micros,
        ) -> StoreResult<Option<i64>> {
            let blob = blob.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    // A blob being removed is left alone (the upload waits for it to go);
                    // on PostgreSQL the upsert also waits for a sweep's claim to commit.
                    let known: Option<String> = sqlx::query_scalar(
                        "INSERT INTO blobs (sha256, size, sha1, md5, deleting, created_at) \
                         VALUES ($1, $2, $3, $4, FALSE, $5) \
                         ON CONFLICT (sha256) DO UPDATE SET size = excluded.size \
                         WHERE blobs.deleting = FALSE RETURNING sha256",
                    )
                    .bind(&blob.sha256)
                    .bind(blob.size)
                    .bind(&blob.sha1)
                    .bind(&blob.md5)
                    .bind(now_micros())
                    .fetch_optional(&mut *conn)
                    .await?;
                    if known.is_none() {
                        return Ok(None);
                    }
                    let pin: i64 = sqlx::query_scalar(
                        "INSERT INTO blob_pins (blob_sha256, instance, expires_at) \
                         VALUES ($1, $2, $3) RETURNING id",
                    )
                    .bind(&blob.sha256)
                    .bind(instance)
                    .bind(expires_at)
                    .fetch_one(&mut *conn)
                    .await?;
                    Ok(Some(pin))
                })
            })
            .await
        }

        async fn unpin_blob(&self, pin: i64) -> StoreResult<()> {
            self.write_one(move |conn| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM blob_pins WHERE id = $1")
                        .bind(pin)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .await
        }

        async fn sweepable_blobs(
            &self,
            instance: i64,
            now: Micros,
            limit: i64,
        ) -> StoreResult<Vec<String>> {
            let sql = format!(
                "SELECT b.sha256 FROM blobs b WHERE b.deleting OR (\
                 NOT EXISTS (SELECT 1 FROM package_files f WHERE f.blob_sha256 = b.sha256) \
                 AND NOT EXISTS (SELECT 1 FROM uploads up WHERE up.blob_sha256 = b.sha256) \
                 AND NOT EXISTS (SELECT 1 FROM blob_pins p WHERE p.blob_sha256 = b.sha256 \
                 AND {})) ORDER BY b.sha256 LIMIT $1",
                <$store as SqlEngine>::LIVE_PIN
            );
            Ok(sqlx::query_scalar(&sql)
                .bind(limit)
                .bind(now)
                .bind(instance)
                .fetch_all(self.reader())
                .await?)
        }

        async fn claim_blob(&self, sha256: &str, instance: i64, now: Micros) -> StoreResult<Claim> {
            let sha256 = sha256.to_owned();
            self.write(move |conn| {
                Box::pin(async move {
                    // The row lock first: a commit referring to the blob, or a new pin, has
                    // either happened (and the checks below, a new statement, see it) or waits.
                    let sql = format!(
                        "SELECT deleting FROM blobs WHERE sha256 = $1{}",
                        <$store as SqlEngine>::FOR_UPDATE
                    );
                    let deleting: Option<bool> = sqlx::query_scalar(&sql)
                        .bind(&sha256)
                        .fetch_optional(&mut *conn)
                        .await?;
                    match deleting {
                        None => return Ok(Claim::Gone),
                        Some(true) => return Ok(Claim::Claimed),
                        Some(false) => {}
                    }
                    let sql = format!(
                        "UPDATE blobs SET deleting = TRUE WHERE sha256 = $1 \
                         AND NOT EXISTS (SELECT 1 FROM package_files f WHERE f.blob_sha256 = $1) \
                         AND NOT EXISTS (SELECT 1 FROM uploads up WHERE up.blob_sha256 = $1) \
                         AND NOT EXISTS (SELECT 1 FROM blob_pins p WHERE p.blob_sha256 = $1 \
                         AND {})",
                        <$store as SqlEngine>::LIVE_PIN
                    );
                    let claimed = sqlx::query(&sql)
                        .bind(&sha256)
                        .bind(now)
                        .bind(instance)
                        .execute(&mut *conn)
                        .await?
                        .rows_affected()
                        > 0;
                    if !claimed {
                        return Ok(Claim::Kept);
                    }
                    // The pins left are dead ones (crashed or abandoned uploads).
                    sqlx::query("DELETE FROM blob_pins WHERE blob_sha256 = $1")
                        .bind(&sha256)
                        .execute(&mut *conn)
                        .await?;
                    Ok(Claim::Claimed)
                })
            })
            .await
        }

        async fn forget_blob(&self, sha256: &str) -> StoreResult<()> {
            let sha256 = sha256.to_owned();
            self.write_one(move |conn| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM blobs WHERE sha256 = $1 AND deleting")
                        .bind(sha256)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .await
        }

        async fn claim_unknown_blobs(&self, sha256s: &[String]) -> StoreResult<Vec<String>> {
            let sha256s = sha256s.to_vec();
            self.write(move |conn| {
                Box::pin(async move {
                    let mut claimed = Vec::new();
                    let now = now_micros();
                    for sha256 in sha256s {
                        let inserted: Option<String> = sqlx::query_scalar(
                            "INSERT INTO blobs (sha256, size, sha1, md5, deleting, created_at) \
                             VALUES ($1, 0, '', '', TRUE, $2) ON CONFLICT (sha256) DO NOTHING \
                             RETURNING sha256",
                        )
                        .bind(&sha256)
                        .bind(now)
                        .fetch_optional(&mut *conn)
                        .await?;
                        claimed.extend(inserted);
                    }
                    Ok(claimed)
                })
            })
            .await
        }

        async fn all_blobs(&self) -> StoreResult<Vec<Blob>> {
            let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
                "SELECT sha256, size, sha1, md5 FROM blobs WHERE NOT deleting ORDER BY sha256",
            )
            .fetch_all(self.reader())
            .await?;
            Ok(rows.into_iter().map(Blob::from).collect())
        }

        async fn blob(&self, sha256: &str) -> StoreResult<Option<Blob>> {
            let row: Option<(String, i64, String, String)> = sqlx::query_as(
                "SELECT sha256, size, sha1, md5 FROM blobs WHERE sha256 = $1 AND NOT deleting",
            )
            .bind(sha256)
            .fetch_optional(self.reader())
            .await?;
            Ok(row.map(Blob::from))
        }
    };
}

pub(crate) use blob_methods;
