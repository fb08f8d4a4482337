//! Users: creating one (with its personal namespace), finding and listing them.

/// `Directory`'s methods for users (expanded inside `impl Directory for $store` by
/// `directory_impl!`).
macro_rules! user_methods {
    ($store:ty, $db:ty) => {
        async fn count_users(&self) -> StoreResult<i64> {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(self.reader())
                .await?)
        }

        async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
            let now = now_micros();
            let user = user.clone();
            self.write(move |conn| {
                Box::pin(async move {
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
                })
            })
            .await
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
            let sql =
                format!("SELECT {USER_COLUMNS} FROM users u WHERE lower(u.username) = lower($1)");
            let row: Option<UserRow> = sqlx::query_as(&sql)
                .bind(username)
                .fetch_optional(self.reader())
                .await?;
            Ok(row.map(Into::into))
        }

        async fn users(
            &self,
            username: Option<&str>,
            page: PageRequest,
        ) -> StoreResult<Page<User>> {
            let filter = "($1 IS NULL OR lower(u.username) = lower($1))";
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users u WHERE {filter} ORDER BY u.id DESC \
                 LIMIT $2 OFFSET $3"
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
    };
}

pub(crate) use user_methods;
