//! Release links: listing, finding (by id, or by a permanent link's filepath, old ones
//! included), and the writes, whose unique rules are the schema's; a write that loses a race on
//! one re-reads the conflicts and answers as if it had come second.

/// What link reads and writes share: their order, the conflict probe, reading a link (locked
/// when the engine does so), inserting one (also used by `create_release`), and the answer
/// to a lost race (expanded in the module of `releases_impl!`).
macro_rules! link_helpers {
    ($store:ty, $db:ty) => {
        /// Links in their explicit order when the release has one (`order_links`), else newest
        /// first, equal creation times falling back to the newest id. Links without a place in
        /// an ordered release (created by a write that raced the order) come after the others.
        const LINK_ORDER: &str = "ORDER BY position NULLS LAST, created_at DESC, id DESC";

        /// One probe of each unique index: a scan of the release's links would grow with them.
        async fn conflicts_in<'e>(
            executor: impl sqlx::Executor<'e, Database = $db>,
            release_id: i64,
            candidate: &NewLink,
            except: Option<i64>,
        ) -> StoreResult<LinkConflicts> {
            let (url, name, filepath): (bool, bool, bool) = sqlx::query_as(
                "SELECT \
                 EXISTS (SELECT 1 FROM release_links WHERE release_id = $1 AND url = $2 \
                     AND ($5 IS NULL OR id <> $5)), \
                 EXISTS (SELECT 1 FROM release_links WHERE release_id = $1 AND name = $3 \
                     AND ($5 IS NULL OR id <> $5)), \
                 EXISTS (SELECT 1 FROM release_links WHERE release_id = $1 AND filepath = $4 \
                     AND ($5 IS NULL OR id <> $5))",
            )
            .bind(release_id)
            .bind(&candidate.url)
            .bind(&candidate.name)
            .bind(&candidate.filepath)
            .bind(except)
            .fetch_one(executor)
            .await?;
            Ok(LinkConflicts {
                url,
                name,
                filepath,
            })
        }

        async fn link_in<'e>(
            executor: impl sqlx::Executor<'e, Database = $db>,
            release_id: i64,
            link_id: i64,
            lock: &str,
        ) -> StoreResult<Option<Link>> {
            let sql = format!(
                "SELECT {LINK_COLUMNS} FROM release_links WHERE release_id = $1 AND id = $2{lock}"
            );
            let row: Option<LinkRow> = sqlx::query_as(&sql)
                .bind(release_id)
                .bind(link_id)
                .fetch_optional(executor)
                .await?;
            Ok(row.map(Into::into))
        }

        async fn insert_link(
            conn: &mut <$db as sqlx::Database>::Connection,
            release_id: i64,
            link: &NewLink,
            now: i64,
        ) -> Result<Link, sqlx::Error> {
            let sql = format!(
                "INSERT INTO release_links (release_id, name, url, filepath, link_type, \
                 created_at, updated_at, digest, size) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) RETURNING {LINK_COLUMNS}"
            );
            let row: LinkRow = sqlx::query_as(&sql)
                .bind(release_id)
                .bind(&link.name)
                .bind(&link.url)
                .bind(&link.filepath)
                .bind(link.link_type.code())
                .bind(now)
                .bind(&link.digest)
                .bind(link.size)
                .fetch_one(&mut *conn)
                .await?;
            Ok(row.into())
        }

        /// A link's update where a `WITH` may write (PostgreSQL): one statement locks the
        /// link, changes it, and keeps its old filepath as a permanent link that still leads
        /// to it, with the audit context set first.
        async fn update_link_at_once(
            conn: &mut <$db as sqlx::Database>::Connection,
            release_id: i64,
            link_id: i64,
            changes: &LinkChanges,
            audit: AuditContext,
        ) -> StoreResult<Option<Link>> {
            let sql = format!(
                "{}, before AS (SELECT id, filepath FROM release_links \
                 WHERE release_id = $1 AND id = $2 FOR UPDATE), \
                 changed AS (UPDATE release_links l SET name = COALESCE($3, l.name), \
                 url = COALESCE($4, l.url), \
                 filepath = CASE WHEN $5 THEN $6 ELSE l.filepath END, \
                 link_type = COALESCE($7, l.link_type), updated_at = $8, \
                 digest = CASE WHEN $14 THEN $15 ELSE l.digest END, \
                 size = CASE WHEN $16 THEN $17 ELSE l.size END \
                 FROM before, {} WHERE l.id = before.id \
                 RETURNING l.*, before.filepath AS old_filepath), \
                 alias AS (INSERT INTO link_filepath_aliases \
                 (release_id, filepath, link_id, created_at) \
                 SELECT $1, old_filepath, id, $8 FROM changed \
                 WHERE old_filepath IS NOT NULL AND old_filepath IS DISTINCT FROM filepath \
                 ON CONFLICT (release_id, filepath) DO UPDATE \
                 SET link_id = excluded.link_id, created_at = excluded.created_at) \
                 SELECT {LINK_COLUMNS} FROM changed",
                <$store as SqlEngine>::audited(9).trim_end(),
                <$store as SqlEngine>::AUDITED_ROWS,
            );
            let row: Option<LinkRow> = sqlx::query_as(&sql)
                .bind(release_id)
                .bind(link_id)
                .bind(&changes.name)
                .bind(&changes.url)
                .bind(changes.filepath.is_some())
                .bind(changes.filepath.clone().flatten())
                .bind(changes.link_type.map(|t| t.code()))
                .bind(now_micros())
                .bind(audit.author_id)
                .bind(audit.author_name)
                .bind(audit.ip_address)
                .bind(audit.request_id)
                .bind(audit.idempotency_key)
                .bind(changes.digest.is_some())
                .bind(changes.digest.clone().flatten())
                .bind(changes.size.is_some())
                .bind(changes.size.flatten())
                .fetch_optional(&mut *conn)
                .await?;
            Ok(row.map(Into::into))
        }

        /// A link's update statement by statement, in a write transaction (SQLite): the link
        /// read, changed, and its old filepath kept as a permanent link that still leads to it.
        async fn update_link_in_steps(
            conn: &mut <$db as sqlx::Database>::Connection,
            release_id: i64,
            link_id: i64,
            changes: &LinkChanges,
        ) -> StoreResult<Option<Link>> {
            let Some(before) = link_in(
                &mut *conn,
                release_id,
                link_id,
                <$store as SqlEngine>::FOR_UPDATE,
            )
            .await?
            else {
                return Ok(None);
            };
            let after = before.with_changes(changes);
            let sql = format!(
                "UPDATE release_links SET name = $1, url = $2, filepath = $3, \
                 link_type = $4, updated_at = $5, digest = $7, size = $8 WHERE id = $6 \
                 RETURNING {LINK_COLUMNS}"
            );
            let row: Option<LinkRow> = sqlx::query_as(&sql)
                .bind(&after.name)
                .bind(&after.url)
                .bind(&after.filepath)
                .bind(after.link_type.code())
                .bind(now_micros())
                .bind(link_id)
                .bind(&after.digest)
                .bind(after.size)
                .fetch_optional(&mut *conn)
                .await?;
            // Deleted since it was read (when the delete committed first).
            let Some(row) = row else {
                return Ok(None);
            };
            // The old permanent link keeps leading to this link.
            if let Some(old) = before
                .filepath
                .as_ref()
                .filter(|old| after.filepath.as_ref() != Some(*old))
            {
                sqlx::query(
                    "DELETE FROM link_filepath_aliases WHERE release_id = $1 \
                     AND filepath = $2",
                )
                .bind(release_id)
                .bind(old)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO link_filepath_aliases \
                     (release_id, filepath, link_id, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(release_id)
                .bind(old)
                .bind(link_id)
                .bind(now_micros())
                .execute(&mut *conn)
                .await?;
            }
            Ok(Some(row.into()))
        }

        impl $store {
            /// A write that broke a unique rule although the check in its transaction passed:
            /// another transaction (on PostgreSQL, perhaps on another instance) committed the same
            /// name, URL or filepath in between. The write has been rolled back; the loser gets the
            /// same answer as if it had come second: the conflicts as they are now.
            async fn lost_race(
                &self,
                error: StoreError,
                release_id: i64,
                candidate: &NewLink,
                except: Option<i64>,
            ) -> StoreError {
                match &error {
                    StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation() => {}
                    _ => return error,
                }
                match conflicts_in(self.reader(), release_id, candidate, except).await {
                    Ok(conflicts) if conflicts.any() => StoreError::LinkConflict(conflicts),
                    Ok(_) => error,
                    Err(e) => e,
                }
            }
        }
    };
}

pub(crate) use link_helpers;

/// `Releases`' methods for links (expanded inside `impl Releases for $store` by `releases_impl!`).
macro_rules! link_methods {
    ($store:ty, $db:ty) => {
        async fn link_by_filepath(
            &self,
            release_id: i64,
            filepath: &str,
        ) -> StoreResult<Option<Link>> {
            let sql = format!(
                "SELECT {LINK_COLUMNS}, 0 AS alias FROM release_links \
                 WHERE release_id = $1 AND filepath = $2 \
                 UNION ALL \
                 SELECT {ALIASED_LINK_COLUMNS}, 1 AS alias FROM link_filepath_aliases a \
                 JOIN release_links l ON l.id = a.link_id \
                 WHERE a.release_id = $1 AND a.filepath = $2 \
                 ORDER BY alias LIMIT 1"
            );
            let row: Option<LinkRow> = sqlx::query_as(&sql)
                .bind(release_id)
                .bind(filepath)
                .fetch_optional(self.reader())
                .await?;
            Ok(row.map(Into::into))
        }

        async fn links_of_releases(&self, release_ids: &[i64]) -> StoreResult<Vec<Link>> {
            if release_ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT {LINK_COLUMNS} FROM release_links WHERE release_id IN {} {LINK_ORDER}",
                placeholders(1, release_ids.len())
            );
            let mut query = sqlx::query_as::<_, LinkRow>(&sql);
            for id in release_ids {
                query = query.bind(id);
            }
            Ok(query
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        }

        async fn links(&self, release_id: i64, page: PageRequest) -> StoreResult<Page<Link>> {
            let sql = format!(
                "SELECT {LINK_COLUMNS} FROM release_links \
                 WHERE release_id = $1 {LINK_ORDER} LIMIT $2 OFFSET $3"
            );
            let rows: Vec<LinkRow> = sqlx::query_as(&sql)
                .bind(release_id)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.reader())
                .await?;
            let total: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM release_links WHERE release_id = $1")
                    .bind(release_id)
                    .fetch_one(self.reader())
                    .await?;
            Ok((rows.into_iter().map(Into::into).collect(), total))
        }

        async fn link(&self, release_id: i64, link_id: i64) -> StoreResult<Option<Link>> {
            link_in(self.reader(), release_id, link_id, "").await
        }

        async fn link_conflicts(
            &self,
            release_id: i64,
            candidate: &NewLink,
            except: Option<i64>,
        ) -> StoreResult<LinkConflicts> {
            conflicts_in(self.reader(), release_id, candidate, except).await
        }

        async fn create_link(
            &self,
            release_id: i64,
            link: &NewLink,
            max_links: i64,
        ) -> StoreResult<Link> {
            let candidate = link.clone();
            let written = self
                .write_one_audited(move |conn, audit| {
                    Box::pin(async move {
                        // One statement (triggers touch the release and count its links);
                        // the unique indexes decide, `lost_race` tells which rule was hit. The
                        // release's count of links is read in the same statement: no row back
                        // means full. The statement sets the audit context itself ($8…$12).
                        let sql = format!(
                            "{}INSERT INTO release_links (release_id, name, url, \
                             filepath, link_type, created_at, updated_at, position, digest, \
                             size) \
                             SELECT $1, $2, $3, $4, $5, $6, $6, (SELECT MAX(position) + 1 \
                             FROM release_links WHERE release_id = $1 \
                             AND position IS NOT NULL), $13, $14 FROM {} \
                             WHERE COALESCE((SELECT links FROM release_link_counts \
                             WHERE release_id = $1), 0) < $7 \
                             RETURNING {LINK_COLUMNS}",
                            <$store as SqlEngine>::audited(8),
                            <$store as SqlEngine>::AUDITED_ROWS,
                        );
                        let query = sqlx::query_as(&sql)
                            .bind(release_id)
                            .bind(&candidate.name)
                            .bind(&candidate.url)
                            .bind(&candidate.filepath)
                            .bind(candidate.link_type.code())
                            .bind(now_micros())
                            .bind(max_links)
                            .bind(audit.author_id)
                            .bind(audit.author_name)
                            .bind(audit.ip_address)
                            .bind(audit.request_id)
                            .bind(audit.idempotency_key)
                            .bind(&candidate.digest)
                            .bind(candidate.size);
                        let row: Option<LinkRow> = query.fetch_optional(&mut *conn).await?;
                        row.map(Into::into).ok_or(StoreError::Full(max_links))
                    })
                })
                .await;
            match written {
                Err(error) => Err(self.lost_race(error, release_id, link, None).await),
                ok => ok,
            }
        }

        async fn update_link(
            &self,
            release_id: i64,
            link_id: i64,
            changes: &LinkChanges,
        ) -> StoreResult<Option<Link>> {
            let changes_for_race = changes.clone();
            let changes = changes.clone();
            let written = if <$store as SqlEngine>::WRITES_IN_WITH {
                self.write_one_audited(move |conn, audit| {
                    Box::pin(async move {
                        update_link_at_once(conn, release_id, link_id, &changes, audit).await
                    })
                })
                .await
            } else {
                self.write(move |conn| {
                    Box::pin(async move {
                        update_link_in_steps(conn, release_id, link_id, &changes).await
                    })
                })
                .await
            };
            match written {
                Ok(found) => Ok(found),
                Err(error @ StoreError::Database(_)) => {
                    // The candidate is needed to re-read the conflicts; recompute it.
                    let Some(before) = self.link(release_id, link_id).await? else {
                        return Err(error);
                    };
                    let candidate = NewLink::from(before.with_changes(&changes_for_race));
                    Err(self
                        .lost_race(error, release_id, &candidate, Some(link_id))
                        .await)
                }
                Err(other) => Err(other),
            }
        }

        async fn delete_link(&self, release_id: i64, link_id: i64) -> StoreResult<Option<Link>> {
            self.write_one_audited(move |conn, audit| {
                Box::pin(async move {
                    let sql = format!(
                        "{}DELETE FROM release_links WHERE release_id = $1 AND id = $2 \
                         AND EXISTS (SELECT 1 FROM {}) RETURNING {LINK_COLUMNS}",
                        <$store as SqlEngine>::audited(3),
                        <$store as SqlEngine>::AUDITED_ROWS,
                    );
                    let row: Option<LinkRow> = sqlx::query_as(&sql)
                        .bind(release_id)
                        .bind(link_id)
                        .bind(audit.author_id)
                        .bind(audit.author_name)
                        .bind(audit.ip_address)
                        .bind(audit.request_id)
                        .bind(audit.idempotency_key)
                        .fetch_optional(&mut *conn)
                        .await?;
                    Ok(row.map(Into::into))
                })
            })
            .await
        }
    };
}

pub(crate) use link_methods;
