//! A release's links as a set (relinks' extensions): setting their order, and replacing them
//! all at once. Each is one transaction that locks the release and its links first
//! (`lock_links`), so that it applies before or after any other write of the release's links,
//! never between their steps (on SQLite, the one writer already does).

/// `Releases`' methods for link sets (expanded inside `impl Releases for $store` by
/// `releases_impl!`, after `link_helpers!`).
macro_rules! link_set_methods {
    ($store:ty, $db:ty) => {
        async fn order_links(&self, release_id: i64, ids: &[i64]) -> StoreResult<bool> {
            retried(|| {
                let wanted = ids.to_vec();
                self.write(move |conn| {
                    Box::pin(async move {
                        let existing = lock_links(conn, release_id).await?;
                        let existing: Vec<i64> = existing.iter().map(|l| l.id).collect();
                        if !$crate::domain::link_order::is_complete_order(&existing, &wanted) {
                            return Ok(false);
                        }
                        place_links(conn, release_id, &wanted).await?;
                        Ok(true)
                    })
                })
            })
            .await
        }

        async fn replace_links(
            &self,
            release_id: i64,
            links: &[NewLink],
            max_links: i64,
        ) -> StoreResult<Vec<Link>> {
            use $crate::domain::link_order::{plan_replacement, WantedLink};
            if i64::try_from(links.len()).unwrap_or(i64::MAX) > max_links {
                return Err(StoreError::Full(max_links));
            }
            retried(|| {
                let links = links.to_vec();
                self.write(move |conn| {
                    Box::pin(async move {
                        let current = lock_links(conn, release_id).await?;
                        let wanted: Vec<WantedLink<'_>> =
                            links.iter().map(NewLink::wanted).collect();
                        let plan = plan_replacement(&current, &wanted);
                        let now = now_micros();
                        // Statements with nothing to do are not sent (a round trip each).
                        if !plan.deleted.is_empty() {
                            let sql = format!(
                                "DELETE FROM release_links WHERE release_id = $1 \
                                 AND id IN (SELECT id FROM ({}) o)",
                                <$store as SqlEngine>::JSON_IDS
                            );
                            sqlx::query(&sql)
                                .bind(release_id)
                                .bind(ids_json(&plan.deleted)?)
                                .execute(&mut *conn)
                                .await?;
                        }
                        // Out of the way of the links that take their URL or filepath (a swap).
                        if !plan.aside.is_empty() {
                            let sql = format!(
                                "UPDATE release_links SET url = 'relinks:aside:' || id, \
                                 filepath = CASE WHEN filepath IS NULL THEN NULL \
                                 ELSE 'relinks:aside:' || id END, updated_at = $3 \
                                 WHERE release_id = $1 AND id IN (SELECT id FROM ({}) o)",
                                <$store as SqlEngine>::JSON_IDS
                            );
                            sqlx::query(&sql)
                                .bind(release_id)
                                .bind(ids_json(&plan.aside)?)
                                .bind(now)
                                .execute(&mut *conn)
                                .await?;
                        }
                        // Kept links take their values first, then new links come: what a new
                        // link takes is free by then.
                        for (link, id) in links.iter().zip(&plan.kept) {
                            if let Some(id) = id {
                                let before = current.iter().find(|c| c.id == *id);
                                let old_filepath = before.and_then(|c| c.filepath.clone());
                                replace_one(conn, release_id, *id, link, old_filepath, now).await?;
                            }
                        }
                        let mut ids = Vec::with_capacity(links.len());
                        for (link, kept) in links.iter().zip(&plan.kept) {
                            ids.push(match kept {
                                Some(id) => *id,
                                None => insert_link(conn, release_id, link, now).await?.id,
                            });
                        }
                        place_links(conn, release_id, &ids).await?;
                        let sql = format!(
                            "SELECT {LINK_COLUMNS} FROM release_links WHERE release_id = $1 \
                         {LINK_ORDER}"
                        );
                        let rows: Vec<LinkRow> = sqlx::query_as(&sql)
                            .bind(release_id)
                            .fetch_all(&mut *conn)
                            .await?;
                        Ok(rows.into_iter().map(Into::into).collect())
                    })
                })
            })
            .await
        }
    };
}

/// What link sets share (expanded in the module of `releases_impl!`).
macro_rules! link_set_helpers {
    ($store:ty, $db:ty) => {
        /// The release's links, locked with the release in the order single-link writes lock
        /// them (a link, then its release, which the link's triggers touch), so that those
        /// never wait in a circle with a set: the links known now (by id: every set takes
        /// them in one order), then the release (which waits for creates in flight: they hold
        /// a key-share lock on it), then the links again, those creates' included. Once the
        /// release is held, no link can be created in it until commit. Two sets can still meet
        /// in a circle when links are created between their first steps: PostgreSQL ends one,
        /// and it is tried again ([`retried`]).
        async fn lock_links(
            conn: &mut <$db as sqlx::Database>::Connection,
            release_id: i64,
        ) -> StoreResult<Vec<$crate::domain::link_order::CurrentLink>> {
            let lock = <$store as SqlEngine>::FOR_UPDATE;
            let sql =
                format!("SELECT id FROM release_links WHERE release_id = $1 ORDER BY id{lock}");
            sqlx::query_scalar::<_, i64>(&sql)
                .bind(release_id)
                .fetch_all(&mut *conn)
                .await?;
            let sql = format!("SELECT id FROM releases WHERE id = $1{lock}");
            let found: Option<i64> = sqlx::query_scalar(&sql)
                .bind(release_id)
                .fetch_optional(&mut *conn)
                .await?;
            if found.is_none() {
                return Err(StoreError::Vanished(sqlx::Error::RowNotFound));
            }
            let sql = format!(
                "SELECT id, name, url, filepath FROM release_links WHERE release_id = $1 \
                 ORDER BY id{lock}"
            );
            let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(&sql)
                .bind(release_id)
                .fetch_all(&mut *conn)
                .await?;
            Ok(rows
                .into_iter()
                .map(|(id, name, url, filepath)| $crate::domain::link_order::CurrentLink {
                    id,
                    name,
                    url,
                    filepath,
                })
                .collect())
        }

        /// Runs a link set's transaction again when PostgreSQL ended it to break a deadlock
        /// (SQLSTATE 40P01): nothing of it was written, and the next try usually goes through.
        async fn retried<T, F, Fut>(mut attempt: F) -> StoreResult<T>
        where
            F: FnMut() -> Fut,
            Fut: std::future::Future<Output = StoreResult<T>>,
        {
            let mut tries = 0;
            loop {
                match attempt().await {
                    Err(StoreError::Database(sqlx::Error::Database(db)))
                        if db.code().as_deref() == Some("40P01") && tries < 8 =>
                    {
                        tries += 1;
                    }
                    other => return other,
                }
            }
        }

        fn ids_json(ids: &[i64]) -> StoreResult<String> {
            serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(format!("link ids: {e}")))
        }

        /// Gives the links `ids` their places, 1 for the first.
        async fn place_links(
            conn: &mut <$db as sqlx::Database>::Connection,
            release_id: i64,
            ids: &[i64],
        ) -> StoreResult<()> {
            let sql = format!(
                "UPDATE release_links SET position = o.ord, updated_at = $3 \
                 FROM ({}) o WHERE release_links.release_id = $1 AND release_links.id = o.id \
                 AND release_links.position IS DISTINCT FROM o.ord",
                <$store as SqlEngine>::JSON_IDS
            );
            sqlx::query(&sql)
                .bind(release_id)
                .bind(ids_json(ids)?)
                .bind(now_micros())
                .execute(&mut *conn)
                .await?;
            Ok(())
        }

        /// A kept link takes the wanted fields; a filepath it leaves stays a permanent link to
        /// it, as for an update.
        async fn replace_one(
            conn: &mut <$db as sqlx::Database>::Connection,
            release_id: i64,
            id: i64,
            link: &NewLink,
            old_filepath: Option<String>,
            now: i64,
        ) -> StoreResult<()> {
            sqlx::query(
                "UPDATE release_links SET url = $3, filepath = $4, link_type = $5, \
                 updated_at = $6, digest = $7, size = $8 WHERE release_id = $1 AND id = $2 \
                 AND (url IS DISTINCT FROM $3 OR filepath IS DISTINCT FROM $4 \
                 OR link_type IS DISTINCT FROM $5 OR digest IS DISTINCT FROM $7 \
                 OR size IS DISTINCT FROM $8)",
            )
            .bind(release_id)
            .bind(id)
            .bind(&link.url)
            .bind(&link.filepath)
            .bind(link.link_type.code())
            .bind(now)
            .bind(&link.digest)
            .bind(link.size)
            .execute(&mut *conn)
            .await?;
            if let Some(old) = old_filepath.filter(|old| Some(old) != link.filepath.as_ref()) {
                sqlx::query(
                    "INSERT INTO link_filepath_aliases (release_id, filepath, link_id, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (release_id, filepath) DO UPDATE \
                     SET link_id = excluded.link_id, created_at = excluded.created_at",
                )
                .bind(release_id)
                .bind(old)
                .bind(id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            Ok(())
        }
    };
}

pub(crate) use link_set_helpers;
pub(crate) use link_set_methods;
