//! Personal access tokens and CI job tokens, found by the digest of their secret; and the
//! once-per-database rewrite of stored digests into their keyed form.

/// `Directory`'s methods for tokens (expanded inside `impl Directory for $store` by
/// `directory_impl!`).
macro_rules! token_methods {
    ($store:ty, $db:ty) => {
        async fn create_personal_token(
            &self,
            token: &NewPersonalToken,
        ) -> StoreResult<PersonalToken> {
            let token = token.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let sql = format!(
                        "INSERT INTO personal_access_tokens (user_id, name, digest, scopes, \
                         expires_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {TOKEN_COLUMNS}"
                    );
                    let row: TokenRow = sqlx::query_as(&sql)
                        .bind(token.user_id)
                        .bind(&token.name)
                        .bind(&token.digest)
                        .bind(token.scopes.join(" "))
                        .bind(token.expires_at.map(format_date))
                        .bind(now_micros())
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(conflict)?;
                    row.try_into()
                })
            })
            .await
        }

        async fn personal_token(&self, id: i64) -> StoreResult<Option<PersonalToken>> {
            let sql = format!("SELECT {TOKEN_COLUMNS} FROM personal_access_tokens WHERE id = $1");
            let row: Option<TokenRow> = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn personal_token_by_digest(
            &self,
            digest: &str,
        ) -> StoreResult<Option<PersonalToken>> {
            let sql =
                format!("SELECT {TOKEN_COLUMNS} FROM personal_access_tokens WHERE digest = $1");
            let row: Option<TokenRow> = sqlx::query_as(&sql)
                .bind(digest)
                .fetch_optional(self.reader())
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn touch_personal_token(
            &self,
            id: i64,
            at: Micros,
            resolution: Micros,
        ) -> StoreResult<()> {
            self.write_one(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE personal_access_tokens SET last_used_at = $2 \
                         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)",
                    )
                    .bind(id)
                    .bind(at)
                    .bind(at - resolution)
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            })
            .await
        }

        async fn revoke_personal_token(&self, id: i64) -> StoreResult<bool> {
            self.write(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "UPDATE personal_access_tokens SET revoked = TRUE WHERE id = $1",
                    )
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
        }

        async fn ensure_personal_token(
            &self,
            token: &NewPersonalToken,
        ) -> StoreResult<PersonalToken> {
            let token = token.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let sql = format!(
                        "INSERT INTO personal_access_tokens (user_id, name, digest, scopes, \
                         expires_at, created_at) \
                         VALUES ($1, $2, $3, $4, NULL, $5) \
                         ON CONFLICT (digest) DO UPDATE \
                         SET user_id = excluded.user_id, scopes = excluded.scopes, \
                         expires_at = NULL, revoked = FALSE \
                         RETURNING {TOKEN_COLUMNS}"
                    );
                    let row: TokenRow = sqlx::query_as(&sql)
                        .bind(token.user_id)
                        .bind(&token.name)
                        .bind(&token.digest)
                        .bind(token.scopes.join(" "))
                        .bind(now_micros())
                        .fetch_one(&mut *conn)
                        .await?;
                    row.try_into()
                })
            })
            .await
        }

        async fn create_job_token(&self, token: &NewJobToken) -> StoreResult<JobToken> {
            let token = token.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let row: JobTokenRow = sqlx::query_as(
                        "INSERT INTO job_tokens (digest, project_id, user_id, expires_at, \
                         created_at) \
                         VALUES ($1, $2, $3, $4, $5) \
                         RETURNING id, project_id, user_id, expires_at, created_at",
                    )
                    .bind(&token.digest)
                    .bind(token.project_id)
                    .bind(token.user_id)
                    .bind(token.expires_at)
                    .bind(now_micros())
                    .fetch_one(&mut *conn)
                    .await?;
                    Ok(row.into())
                })
            })
            .await
        }

        async fn job_token_by_digest(&self, digest: &str) -> StoreResult<Option<JobToken>> {
            let row: Option<JobTokenRow> = sqlx::query_as(
                "SELECT id, project_id, user_id, expires_at, created_at FROM job_tokens \
                 WHERE digest = $1",
            )
            .bind(digest)
            .fetch_optional(self.reader())
            .await?;
            Ok(row.map(Into::into))
        }

        async fn key_token_digests(&self, key: &TokenKey) -> StoreResult<u64> {
            let key = key.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    // The marker row is this database's "done"; on PostgreSQL a second instance
                    // starting at the same moment waits on it and then finds nothing to do.
                    let claimed = sqlx::query(
                        "INSERT INTO server_settings (name, value) \
                         VALUES ('token_digests', 'hmac-sha256') \
                         ON CONFLICT (name) DO NOTHING",
                    )
                    .execute(&mut *conn)
                    .await?;
                    if claimed.rows_affected() == 0 {
                        return Ok(0);
                    }
                    let mut rewritten = 0;
                    for table in ["personal_access_tokens", "job_tokens", "sessions"] {
                        let rows: Vec<(i64, String)> =
                            sqlx::query_as(&format!("SELECT id, digest FROM {table}"))
                                .fetch_all(&mut *conn)
                                .await?;
                        for (id, digest) in rows {
                            let Some(keyed) = key.rekey(&digest) else {
                                return Err(StoreError::Corrupt(format!(
                                    "{table} #{id} has a digest that is not hex SHA-256"
                                )));
                            };
                            sqlx::query(&format!("UPDATE {table} SET digest = $1 WHERE id = $2"))
                                .bind(keyed)
                                .bind(id)
                                .execute(&mut *conn)
                                .await?;
                            rewritten += 1;
                        }
                    }
                    Ok(rewritten)
                })
            })
            .await
        }
    };
}

pub(crate) use token_methods;
