//! Project uploads (GitLab's Markdown uploads): a file under an unguessable secret.

/// `HostedFiles`' methods for uploads (expanded inside `impl HostedFiles for $store` by
/// `hosted_files_impl!`).
macro_rules! upload_methods {
    ($store:ty, $db:ty) => {
        async fn create_upload(&self, upload: &NewUpload) -> StoreResult<Upload> {
            let upload = upload.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    release_pin(&mut *conn, &upload.sha256, upload.pin).await?;
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO uploads (project_id, secret, filename, blob_sha256, size, \
                         uploaded_by_id, created_at) \
                         SELECT $1, $2, $3, b.sha256, b.size, $4, $5 FROM blobs b \
                         WHERE b.sha256 = $6 RETURNING id",
                    )
                    .bind(upload.project_id)
                    .bind(&upload.secret)
                    .bind(&upload.filename)
                    .bind(upload.uploaded_by_id)
                    .bind(now_micros())
                    .bind(&upload.sha256)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(conflict)?;
                    let sql = format!(
                        "SELECT {UPLOAD_COLUMNS} FROM uploads up \
                         JOIN blobs b ON b.sha256 = up.blob_sha256 WHERE up.id = $1"
                    );
                    let row: UploadRow = sqlx::query_as(&sql).bind(id).fetch_one(&mut *conn).await?;
                    Ok(row.into())
                })
            })
            .await
        }

        async fn upload_by_secret(
            &self,
            project_id: i64,
            secret: &str,
            filename: &str,
        ) -> StoreResult<Option<Upload>> {
            let sql = format!(
                "SELECT {UPLOAD_COLUMNS} FROM uploads up JOIN blobs b ON b.sha256 = up.blob_sha256 \
                 WHERE up.project_id = $1 AND up.secret = $2 AND up.filename = $3"
            );
            let row: Option<UploadRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(secret)
                .bind(filename)
                .fetch_optional(self.reader())
                .await?;
            Ok(row.map(Into::into))
        }

        async fn upload(&self, project_id: i64, upload_id: i64) -> StoreResult<Option<Upload>> {
            let sql = format!(
                "SELECT {UPLOAD_COLUMNS} FROM uploads up JOIN blobs b ON b.sha256 = up.blob_sha256 \
                 WHERE up.project_id = $1 AND up.id = $2"
            );
            let row: Option<UploadRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(upload_id)
                .fetch_optional(self.reader())
                .await?;
            Ok(row.map(Into::into))
        }

        async fn uploads(&self, project_id: i64, page: PageRequest) -> StoreResult<Page<Upload>> {
            let sql = format!(
                "SELECT {UPLOAD_COLUMNS} FROM uploads up JOIN blobs b ON b.sha256 = up.blob_sha256 \
                 WHERE up.project_id = $1 ORDER BY up.created_at DESC, up.id DESC \
                 LIMIT $2 OFFSET $3"
            );
            let rows: Vec<UploadRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.reader())
                .await?;
            let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE project_id = $1")
                .bind(project_id)
                .fetch_one(self.reader())
                .await?;
            Ok((rows.into_iter().map(Into::into).collect(), total))
        }

        async fn delete_upload(&self, project_id: i64, upload_id: i64) -> StoreResult<bool> {
            self.write_one(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query("DELETE FROM uploads WHERE project_id = $1 AND id = $2")
                        .bind(project_id)
                        .bind(upload_id)
                        .execute(&mut *conn)
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
        }
    };
}

pub(crate) use upload_methods;
