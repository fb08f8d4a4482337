//! Settings the server keeps with its data (`server_settings`): read, and settled by the
//! first writer when several instances race.

/// `Directory`'s methods for server settings (expanded inside `impl Directory for $store` by
/// `directory_impl!`).
macro_rules! setting_methods {
    ($store:ty, $db:ty) => {
        async fn server_setting(&self, name: &str) -> StoreResult<Option<String>> {
            Ok(
                sqlx::query_scalar("SELECT value FROM server_settings WHERE name = $1")
                    .bind(name)
                    .fetch_optional(self.reader())
                    .await?,
            )
        }

        async fn settle_server_setting(&self, name: &str, value: &str) -> StoreResult<String> {
            let (name, value) = (name.to_owned(), value.to_owned());
            self.write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO server_settings (name, value) VALUES ($1, $2) \
                         ON CONFLICT (name) DO NOTHING",
                    )
                    .bind(&name)
                    .bind(&value)
                    .execute(&mut *conn)
                    .await?;
                    Ok(
                        sqlx::query_scalar("SELECT value FROM server_settings WHERE name = $1")
                            .bind(&name)
                            .fetch_one(&mut *conn)
                            .await?,
                    )
                })
            })
            .await
        }
    };
}

pub(crate) use setting_methods;
