//! Browser sessions: made by signing in with a personal token, found by digest, ended.

/// `Directory`'s methods for sessions (expanded inside `impl Directory for $store` by
/// `directory_impl!`).
macro_rules! session_methods {
    ($store:ty, $db:ty) => {
        async fn create_session(
            &self,
            digest: &str,
            user_id: i64,
            token_id: i64,
            expires_at: i64,
        ) -> StoreResult<Session> {
            let digest = digest.to_owned();
            self.write(move |conn| {
                Box::pin(async move {
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
                    Ok(Session {
                        id: row.0,
                        user_id,
                        token_id,
                        created_at: row.1,
                        expires_at,
                    })
                })
            })
            .await
        }

        async fn session_by_digest(&self, digest: &str) -> StoreResult<Option<Session>> {
            let row: Option<(i64, i64, i64, i64, i64)> = sqlx::query_as(
                "SELECT id, user_id, token_id, created_at, expires_at FROM sessions \
                 WHERE digest = $1",
            )
            .bind(digest)
            .fetch_optional(self.reader())
            .await?;
            Ok(
                row.map(|(id, user_id, token_id, created_at, expires_at)| Session {
                    id,
                    user_id,
                    token_id,
                    created_at,
                    expires_at,
                }),
            )
        }

        async fn delete_session(&self, digest: &str) -> StoreResult<()> {
            let digest = digest.to_owned();
            self.write(move |conn| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM sessions WHERE digest = $1 OR expires_at < $2")
                        .bind(digest)
                        .bind(now_micros())
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .await
        }
    };
}

pub(crate) use session_methods;
