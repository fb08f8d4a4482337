//! Rate-limit counts shared by every instance on one database: each adds what it counted and
//! reads the sums back; windows that are over are dropped.

/// `Directory`'s method for shared rate-limit counts (expanded inside `impl Directory for $store`
/// by `directory_impl!`).
macro_rules! rate_limit_methods {
    ($store:ty, $db:ty) => {
        async fn add_rate_counts(
            &self,
            counts: &[(String, i64, i64)],
        ) -> StoreResult<Vec<(String, i64, i64)>> {
            let counts = counts.to_vec();
            self.write(move |conn| {
                Box::pin(async move {
                    let mut totals = Vec::with_capacity(counts.len());
                    for (key, window, count) in counts {
                        let total: i64 = sqlx::query_scalar(
                            "INSERT INTO rate_limit_counts (key, minute, count) \
                             VALUES ($1, $2, $3) \
                             ON CONFLICT (key, minute) DO UPDATE \
                             SET count = rate_limit_counts.count + EXCLUDED.count \
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
                })
            })
            .await
        }
    };
}

pub(crate) use rate_limit_methods;
