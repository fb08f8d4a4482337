//! Download counts in SQL both engines understand: one row per subject and UTC day, added to
//! by an upsert (each instance adds what it counted since its last flush).

/// `Releases`' methods for download counts (expanded inside `impl Releases for $store` by
/// `releases_impl!`).
macro_rules! download_methods {
    ($store:ty, $db:ty) => {
        async fn add_download_counts(&self, counts: &[DownloadCount]) -> StoreResult<()> {
            let counts = counts.to_vec();
            self.write(move |conn| {
                Box::pin(async move {
                    for count in &counts {
                        sqlx::query(
                            "INSERT INTO download_counts (subject_type, subject_id, day, count) \
                             VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (subject_type, subject_id, day) \
                             DO UPDATE SET count = download_counts.count + excluded.count",
                        )
                        .bind(count.subject.as_str())
                        .bind(count.subject_id)
                        .bind(count.day)
                        .bind(count.count)
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .await
        }

        async fn download_days(
            &self,
            subject: $crate::domain::downloads::Subject,
            subject_ids: &[i64],
            from: $crate::domain::downloads::Day,
            to: $crate::domain::downloads::Day,
        ) -> StoreResult<Vec<($crate::domain::downloads::Day, i64)>> {
            if subject_ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT day, CAST(SUM(count) AS BIGINT) FROM download_counts \
                 WHERE subject_type = $1 AND day BETWEEN $2 AND $3 AND subject_id IN {} \
                 GROUP BY day ORDER BY day",
                placeholders(4, subject_ids.len())
            );
            let mut query = sqlx::query_as(&sql)
                .bind(subject.as_str())
                .bind(from)
                .bind(to);
            for id in subject_ids {
                query = query.bind(id);
            }
            Ok(query.fetch_all(self.reader()).await?)
        }

        async fn download_totals(
            &self,
            subject: $crate::domain::downloads::Subject,
            subject_ids: &[i64],
        ) -> StoreResult<Vec<(i64, i64)>> {
            if subject_ids.is_empty() {
                return Ok(Vec::new());
            }
            // SUM is NUMERIC on PostgreSQL: cast back to a 64-bit count.
            let sql = format!(
                "SELECT subject_id, CAST(SUM(count) AS BIGINT) FROM download_counts \
                 WHERE subject_type = $1 AND subject_id IN {} GROUP BY subject_id",
                placeholders(2, subject_ids.len())
            );
            let mut query = sqlx::query_as(&sql).bind(subject.as_str());
            for id in subject_ids {
                query = query.bind(id);
            }
            Ok(query.fetch_all(self.reader()).await?)
        }
    };
}

pub(crate) use download_methods;
