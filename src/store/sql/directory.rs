//! Users, tokens and namespaces, in SQL both engines understand.

/// Implements `Directory` for an engine's store (`$store`, an
/// [`SqlEngine`](crate::store::sql::engine::SqlEngine) over `$db`).
macro_rules! directory_impl {
    ($store:ty, $db:ty) => {
        #[allow(unused_imports)]
        mod directory_sql {
        use super::*;
        use $crate::store::sql::engine::SqlEngine;
        use $crate::store::sql::rows::*;
        use $crate::store::sql::{conflict, placeholders, like_pattern};
        use $crate::domain::access::{AccessLevel, Visibility};
        use $crate::domain::link::LinkConflicts;
        use $crate::domain::pagination::PageRequest;
        use $crate::domain::time::{now_micros, Micros};
        use $crate::domain::token::TokenKey;
        use chrono::NaiveDate;
        use $crate::store::*;

        impl Directory for $store {
            async fn count_users(&self) -> StoreResult<i64> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
                    .fetch_one(self.reader())
                    .await?)
            }

            async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
                let now = now_micros();

                let user = user.clone();

                self.write(move |conn| Box::pin(async move {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO users (username, name, email, is_admin, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&user.username)
                .bind(&user.name)
                .bind(&user.email)
                .bind(user.is_admin)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map_err(conflict)?;
                insert_namespace(
                    &mut *conn,
                    NamespaceKind::User,
                    &user.name,
                    &user.username,
                    None,
                    Some(id),
                    Visibility::Public,
                    "",
                )
                .await
                .map_err(|e| match e {
                    // The personal namespace's path is the username: a namespace holding it
                    // already (a group's) makes the username taken.
                    StoreError::Conflict(_) => StoreError::Conflict(Constraint::Username),
                    other => other,
                })?;
                Ok(User {
                    id,
                    username: user.username.clone(),
                    name: user.name.clone(),
                    email: user.email.clone(),
                    is_admin: user.is_admin,
                    state: "active".to_owned(),
                    created_at: now,
                })

                })).await

            }

            async fn user(&self, id: i64) -> StoreResult<Option<User>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
                let row: Option<UserRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE lower(u.username) = lower($1)");
                let row: Option<UserRow> = sqlx::query_as(&sql)
                    .bind(username)
                    .fetch_optional(self.reader())
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn users(&self, username: Option<&str>, page: PageRequest) -> StoreResult<Page<User>> {
                let filter = "($1 IS NULL OR lower(u.username) = lower($1))";
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE {filter} ORDER BY u.id DESC LIMIT $2 OFFSET $3"
                );
                let rows: Vec<UserRow> = sqlx::query_as(&sql)
                    .bind(username)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(self.reader())
                    .await?;
                let total: i64 =
                    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM users u WHERE {filter}"))
                        .bind(username)
                        .fetch_one(self.reader())
                        .await?;
                Ok((rows.into_iter().map(Into::into).collect(), total))
            }

            async fn users_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<User>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users u WHERE u.id IN {}",
                    placeholders(1, ids.len())
                );
                let mut query = sqlx::query_as::<_, UserRow>(&sql);
                for id in ids {
                    query = query.bind(id);
                }
                Ok(query
                    .fetch_all(self.reader())
                    .await?
                    .into_iter()
                    .map(Into::into)
                    .collect())
            }

            async fn create_personal_token(&self, token: &NewPersonalToken) -> StoreResult<PersonalToken> {

                let token = token.clone();

                self.write(move |conn| Box::pin(async move {
                let sql = format!(
                    "INSERT INTO personal_access_tokens (user_id, name, digest, scopes, expires_at, created_at) \
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

                })).await

            }

            async fn personal_token(&self, id: i64) -> StoreResult<Option<PersonalToken>> {
                let sql = format!("SELECT {TOKEN_COLUMNS} FROM personal_access_tokens WHERE id = $1");
                let row: Option<TokenRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn personal_token_by_digest(&self, digest: &str) -> StoreResult<Option<PersonalToken>> {
                let sql = format!("SELECT {TOKEN_COLUMNS} FROM personal_access_tokens WHERE digest = $1");
                let row: Option<TokenRow> = sqlx::query_as(&sql)
                    .bind(digest)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn touch_personal_token(&self, id: i64, at: Micros, resolution: Micros) -> StoreResult<()> {
                self.write_one(move |conn| Box::pin(async move {
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
                })).await
            }

            async fn server_setting(&self, name: &str) -> StoreResult<Option<String>> {
                Ok(sqlx::query_scalar("SELECT value FROM server_settings WHERE name = $1")
                    .bind(name)
                    .fetch_optional(self.reader())
                    .await?)
            }

            async fn settle_server_setting(&self, name: &str, value: &str) -> StoreResult<String> {
                let (name, value) = (name.to_owned(), value.to_owned());
                self.write(move |conn| Box::pin(async move {
                    sqlx::query("INSERT INTO server_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                        .bind(&name)
                        .bind(&value)
                        .execute(&mut *conn)
                        .await?;
                    Ok(sqlx::query_scalar("SELECT value FROM server_settings WHERE name = $1")
                        .bind(&name)
                        .fetch_one(&mut *conn)
                        .await?)
                })).await
            }

            async fn audit_events(&self, filter: &AuditFilter, page: PageRequest) -> StoreResult<Page<AuditEvent>> {
                let condition = "(CAST($1 AS BIGINT) IS NULL OR created_at >= $1) \
                    AND (CAST($2 AS BIGINT) IS NULL OR created_at <= $2) \
                    AND (CAST($3 AS TEXT) IS NULL OR entity_type = $3) \
                    AND (CAST($4 AS BIGINT) IS NULL OR entity_id = $4)";
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_events WHERE {condition}"))
                    .bind(filter.created_after)
                    .bind(filter.created_before)
                    .bind(&filter.entity_type)
                    .bind(filter.entity_id)
                    .fetch_one(self.reader())
                    .await?;
                let rows: Vec<AuditRow> = sqlx::query_as(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE {condition} ORDER BY id DESC LIMIT $5 OFFSET $6"
                ))
                .bind(filter.created_after)
                .bind(filter.created_before)
                .bind(&filter.entity_type)
                .bind(filter.entity_id)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.reader())
                .await?;
                Ok((rows.into_iter().map(Into::into).collect(), total))
            }

            async fn audit_event(&self, id: i64) -> StoreResult<Option<AuditEvent>> {
                let row: Option<AuditRow> = sqlx::query_as(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(Into::into))
            }

            async fn add_rate_counts(&self, counts: &[(String, i64, i64)]) -> StoreResult<Vec<(String, i64, i64)>> {
                let counts = counts.to_vec();
                self.write(move |conn| Box::pin(async move {
                    let mut totals = Vec::with_capacity(counts.len());
                    for (key, window, count) in counts {
                        let total: i64 = sqlx::query_scalar(
                            "INSERT INTO rate_limit_counts (key, minute, count) VALUES ($1, $2, $3) \
                             ON CONFLICT (key, minute) DO UPDATE SET count = rate_limit_counts.count + EXCLUDED.count \
                             RETURNING count",
                        )
                        .bind(&key)
                        .bind(window)
                        .bind(count)
                        .fetch_one(&mut *conn)
                        .await?;
                        totals.push((key, window, total));
                    }
                    if let Some(newest) = totals.iter().map(|(_, window, _)| *window).max() {
                        sqlx::query("DELETE FROM rate_limit_counts WHERE minute < $1")
                            .bind(newest - 1)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(totals)
                })).await
            }

            async fn key_token_digests(&self, key: &TokenKey) -> StoreResult<u64> {
                let key = key.clone();
                self.write(move |conn| Box::pin(async move {
                    // The marker row is this database's "done"; on PostgreSQL a second instance
                    // starting at the same moment waits on it and then finds nothing to do.
                    let claimed = sqlx::query(
                        "INSERT INTO server_settings (name, value) VALUES ('token_digests', 'hmac-sha256') \
                         ON CONFLICT (name) DO NOTHING",
                    )
                    .execute(&mut *conn)
                    .await?;
                    if claimed.rows_affected() == 0 {
                        return Ok(0);
                    }
                    let mut rewritten = 0;
                    for table in ["personal_access_tokens", "job_tokens", "sessions"] {
                        let rows: Vec<(i64, String)> = sqlx::query_as(&format!("SELECT id, digest FROM {table}"))
                            .fetch_all(&mut *conn)
                            .await?;
                        for (id, digest) in rows {
                            let Some(keyed) = key.rekey(&digest) else {
                                return Err(StoreError::Corrupt(format!("{table} #{id} has a digest that is not hex SHA-256")));
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
                })).await
            }

            async fn revoke_personal_token(&self, id: i64) -> StoreResult<bool> {

                self.write(move |conn| Box::pin(async move {
                let done = sqlx::query("UPDATE personal_access_tokens SET revoked = TRUE WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected() > 0)

                })).await

            }

            async fn ensure_personal_token(&self, token: &NewPersonalToken) -> StoreResult<PersonalToken> {

                let token = token.clone();

                self.write(move |conn| Box::pin(async move {
                let sql = format!(
                    "INSERT INTO personal_access_tokens (user_id, name, digest, scopes, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, NULL, $5) \
                     ON CONFLICT (digest) DO UPDATE SET user_id = excluded.user_id, scopes = excluded.scopes, \
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

                })).await

            }

            async fn create_job_token(&self, token: &NewJobToken) -> StoreResult<JobToken> {

                let token = token.clone();

                self.write(move |conn| Box::pin(async move {
                let row: JobTokenRow = sqlx::query_as(
                    "INSERT INTO job_tokens (digest, project_id, user_id, expires_at, created_at) \
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

                })).await

            }

            async fn job_token_by_digest(&self, digest: &str) -> StoreResult<Option<JobToken>> {
                let row: Option<JobTokenRow> = sqlx::query_as(
                    "SELECT id, project_id, user_id, expires_at, created_at FROM job_tokens WHERE digest = $1",
                )
                .bind(digest)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(Into::into))
            }

            async fn create_session(
                &self,
                digest: &str,
                user_id: i64,
                token_id: i64,
                expires_at: i64,
            ) -> StoreResult<Session> {

                let digest = digest.to_owned();

                self.write(move |conn| Box::pin(async move {
                let row: (i64, i64) = sqlx::query_as(
                    "INSERT INTO sessions (digest, user_id, token_id, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id, created_at",
                )
                .bind(digest)
                .bind(user_id)
                .bind(token_id)
                .bind(now_micros())
                .bind(expires_at)
                .fetch_one(&mut *conn)
                .await?;
                Ok(Session { id: row.0, user_id, token_id, created_at: row.1, expires_at })

                })).await

            }

            async fn session_by_digest(&self, digest: &str) -> StoreResult<Option<Session>> {
                let row: Option<(i64, i64, i64, i64, i64)> = sqlx::query_as(
                    "SELECT id, user_id, token_id, created_at, expires_at FROM sessions WHERE digest = $1",
                )
                .bind(digest)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|(id, user_id, token_id, created_at, expires_at)| Session {
                    id,
                    user_id,
                    token_id,
                    created_at,
                    expires_at,
                }))
            }

            async fn delete_session(&self, digest: &str) -> StoreResult<()> {

                let digest = digest.to_owned();

                self.write(move |conn| Box::pin(async move {
                sqlx::query("DELETE FROM sessions WHERE digest = $1 OR expires_at < $2")
                    .bind(digest)
                    .bind(now_micros())
                    .execute(&mut *conn)
                    .await?;
                Ok(())

                })).await

            }

            async fn create_group(&self, group: &NewGroup) -> StoreResult<Namespace> {

                let group = group.clone();

                self.write(move |conn| Box::pin(async move {
                let id = insert_namespace(
                    &mut *conn,
                    NamespaceKind::Group,
                    &group.name,
                    &group.path,
                    group.parent.as_ref(),
                    None,
                    group.visibility,
                    &group.description,
                )
                .await?;
                sqlx::query(
                    "INSERT INTO group_members (namespace_id, user_id, access_level, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(group.creator_id)
                .bind(AccessLevel::OWNER.0)
                .bind(now_micros())
                .execute(&mut *conn)
                .await?;
                let namespace = namespace_in(&mut *conn, id).await?;
                namespace.ok_or_else(|| StoreError::Corrupt("group vanished".into()))

                })).await

            }

            async fn namespace(&self, id: i64) -> StoreResult<Option<Namespace>> {
                let sql = format!("SELECT {NAMESPACE_COLUMNS} FROM namespaces n WHERE n.id = $1");
                let row: Option<NamespaceRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn namespace_by_full_path(&self, full_path: &str) -> StoreResult<Option<Namespace>> {
                let sql = format!("SELECT {NAMESPACE_COLUMNS} FROM namespaces n WHERE lower(n.full_path) = lower($1)");
                let row: Option<NamespaceRow> = sqlx::query_as(&sql)
                    .bind(full_path)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }

            async fn user_namespace(&self, user_id: i64) -> StoreResult<Option<Namespace>> {
                let sql = format!(
                    "SELECT {NAMESPACE_COLUMNS} FROM namespaces n WHERE n.owner_id = $1 AND n.kind = 'user'"
                );
                let row: Option<NamespaceRow> = sqlx::query_as(&sql)
                    .bind(user_id)
                    .fetch_optional(self.reader())
                    .await?;
                row.map(TryInto::try_into).transpose()
            }
        }

        async fn namespace_in(conn: &mut <$db as sqlx::Database>::Connection, id: i64) -> StoreResult<Option<Namespace>> {
            let sql = format!("SELECT {NAMESPACE_COLUMNS} FROM namespaces n WHERE n.id = $1");
            let row: Option<NamespaceRow> = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        /// Inserts a namespace under `parent`, computing its full path, full name and traversal ids.
        #[allow(clippy::too_many_arguments)]
        async fn insert_namespace(
            conn: &mut <$db as sqlx::Database>::Connection,
            kind: NamespaceKind,
            name: &str,
            path: &str,
            parent: Option<&Namespace>,
            owner_id: Option<i64>,
            visibility: Visibility,
            description: &str,
        ) -> StoreResult<i64> {
            let (full_path, full_name) = match parent {
                Some(p) => (
                    format!("{}/{path}", p.full_path),
                    format!("{} / {name}", p.full_name),
                ),
                None => (path.to_owned(), name.to_owned()),
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO namespaces (kind, name, path, full_path, full_name, parent_id, owner_id, \
                 visibility, description, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(kind.as_str())
            .bind(name)
            .bind(path)
            .bind(&full_path)
            .bind(&full_name)
            .bind(parent.map(|p| p.id))
            .bind(owner_id)
            .bind(visibility.as_str())
            .bind(description)
            .bind(now_micros())
            .fetch_one(&mut *conn)
            .await
            .map_err(conflict)?;
            let mut traversal: Vec<String> = parent
                .map(|p| p.traversal_ids.iter().map(i64::to_string).collect())
                .unwrap_or_default();
            traversal.push(id.to_string());
            sqlx::query("UPDATE namespaces SET traversal_ids = $1 WHERE id = $2")
                .bind(traversal.join("/"))
                .bind(id)
                .execute(&mut *conn)
                .await?;
            Ok(id)
        }
        }
    };
}

pub(crate) use directory_impl;
