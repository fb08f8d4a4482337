//! Releases and their links, in SQL both engines understand.

/// Implements `Releases` for an engine's store (`$store`, an
/// [`SqlEngine`](crate::store::sql::engine::SqlEngine) over `$db`).
macro_rules! releases_impl {
    ($store:ty, $db:ty) => {
        #[allow(unused_imports)]
        mod releases_sql {
        use super::*;
        use $crate::store::sql::engine::SqlEngine;
        use $crate::store::sql::rows::*;
        use $crate::store::sql::{conflict, placeholders, like_pattern};
        use $crate::domain::access::{AccessLevel, Visibility};
        use $crate::domain::link::LinkConflicts;
        use $crate::domain::pagination::PageRequest;
        use $crate::domain::time::now_micros;
        use chrono::NaiveDate;
        use $crate::store::*;

        /// Links newest first; equal creation times fall back to the newest id.
        const LINK_ORDER: &str = "ORDER BY created_at DESC, id DESC";

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
            let sql = format!("SELECT {LINK_COLUMNS} FROM release_links WHERE release_id = $1 AND id = $2{lock}");
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
                "INSERT INTO release_links (release_id, name, url, filepath, link_type, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {LINK_COLUMNS}"
            );
            let row: LinkRow = sqlx::query_as(&sql)
                .bind(release_id)
                .bind(&link.name)
                .bind(&link.url)
                .bind(&link.filepath)
                .bind(link.link_type.code())
                .bind(now)
                .fetch_one(&mut *conn)
                .await?;
            Ok(row.into())
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

        impl Releases for $store {
            async fn release(&self, project_id: i64, tag: &str) -> StoreResult<Option<Release>> {
                let sql =
                    format!("SELECT {RELEASE_COLUMNS} FROM releases WHERE project_id = $1 AND tag = $2");
                let row: Option<ReleaseRow> = sqlx::query_as(&sql)
                    .bind(project_id)
                    .bind(tag)
                    .fetch_optional(self.reader())
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn releases_for_tags(
                &self,
                project_id: i64,
                tags: &[String],
            ) -> StoreResult<Vec<Release>> {
                if tags.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT {RELEASE_COLUMNS} FROM releases WHERE project_id = $1 AND tag IN {}",
                    placeholders(2, tags.len())
                );
                let mut query = sqlx::query_as::<_, ReleaseRow>(&sql).bind(project_id);
                for tag in tags {
                    query = query.bind(tag);
                }
                Ok(query
                    .fetch_all(self.reader())
                    .await?
                    .into_iter()
                    .map(Into::into)
                    .collect())
            }

            async fn releases(
                &self,
                project_id: i64,
                query: &ReleaseQuery,
                page: PageRequest,
            ) -> StoreResult<Page<Release>> {
                let column = match query.order {
                    ReleaseOrder::ReleasedAt => "released_at",
                    ReleaseOrder::CreatedAt => "created_at",
                };
                let direction = if query.ascending { "ASC" } else { "DESC" };
                let filter = "project_id = $1 AND ($2 IS NULL OR updated_at < $2) \
                              AND ($3 IS NULL OR updated_at > $3)";
                let sql = format!(
                    "SELECT {RELEASE_COLUMNS} FROM releases WHERE {filter} \
                     ORDER BY {column} {direction}, id {direction} LIMIT $4 OFFSET $5"
                );
                let rows: Vec<ReleaseRow> = sqlx::query_as(&sql)
                    .bind(project_id)
                    .bind(query.updated_before)
                    .bind(query.updated_after)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(self.reader())
                    .await?;
                let total: i64 =
                    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM releases WHERE {filter}"))
                        .bind(project_id)
                        .bind(query.updated_before)
                        .bind(query.updated_after)
                        .fetch_one(self.reader())
                        .await?;
                Ok((rows.into_iter().map(Into::into).collect(), total))
            }

            async fn create_release(&self, release: &NewRelease) -> StoreResult<Release> {
                let now = now_micros();

                let release = release.clone();

                self.write(move |conn| Box::pin(async move {
                if let Some(tag) = &release.new_tag {
                    // A tag recorded by a racing request is as good as ours.
                    sqlx::query(
                        "INSERT INTO tags (project_id, name, target, message, created_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (project_id, name) DO NOTHING",
                    )
                    .bind(tag.project_id)
                    .bind(&tag.name)
                    .bind(&tag.target)
                    .bind(&tag.message)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                let sql = format!(
                    "INSERT INTO releases (project_id, tag, name, description, author_id, sha, released_at, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                     RETURNING {RELEASE_COLUMNS}"
                );
                let row: ReleaseRow = sqlx::query_as(&sql)
                    .bind(release.project_id)
                    .bind(&release.tag)
                    .bind(&release.name)
                    .bind(&release.description)
                    .bind(release.author_id)
                    .bind(&release.sha)
                    .bind(release.released_at.unwrap_or(now))
                    .bind(now)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(conflict)?;
                let created: Release = row.into();
                // Links of one request share a creation time; ids keep them in request order.
                for link in &release.links {
                    insert_link(&mut *conn, created.id, link, now).await.map_err(conflict)?;
                }
                Ok(created)

                })).await

            }

            async fn update_release(&self, id: i64, changes: &ReleaseChanges) -> StoreResult<Release> {

                let changes = changes.clone();

                self.write(move |conn| Box::pin(async move {
                let sql = format!("SELECT {RELEASE_COLUMNS} FROM releases WHERE id = $1");
                let before: Release = sqlx::query_as::<_, ReleaseRow>(&sql)
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?
                    .into();
                let update = format!(
                    "UPDATE releases SET name = $1, description = $2, released_at = $3, updated_at = $4 \
                     WHERE id = $5 RETURNING {RELEASE_COLUMNS}"
                );
                let row: ReleaseRow = sqlx::query_as(&update)
                    .bind(changes.name.clone().unwrap_or(before.name))
                    .bind(changes.description.clone().unwrap_or(before.description))
                    .bind(changes.released_at.unwrap_or(before.released_at))
                    .bind(now_micros())
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(row.into())

                })).await

            }

            async fn delete_release(&self, id: i64) -> StoreResult<bool> {

                self.write(move |conn| Box::pin(async move {
                let done = sqlx::query("DELETE FROM releases WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected() > 0)

                })).await

            }

            async fn latest_release(&self, project_id: i64, now: i64) -> StoreResult<Option<Release>> {
                let sql = format!(
                    "SELECT {RELEASE_COLUMNS} FROM releases WHERE project_id = $1 AND released_at <= $2 \
                     ORDER BY released_at DESC, id DESC LIMIT 1"
                );
                let row: Option<ReleaseRow> = sqlx::query_as(&sql)
                    .bind(project_id)
                    .bind(now)
                    .fetch_optional(self.reader())
                    .await?;
                Ok(row.map(Into::into))
            }

            async fn link_by_filepath(&self, release_id: i64, filepath: &str) -> StoreResult<Option<Link>> {
                let sql = format!(
                    "SELECT {LINK_COLUMNS}, 0 AS alias FROM release_links WHERE release_id = $1 AND filepath = $2 \
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

            async fn counts(&self) -> StoreResult<Counts> {
                let (projects, releases, links): (i64, i64, i64) = sqlx::query_as(
                    "SELECT (SELECT COUNT(*) FROM projects), (SELECT COUNT(*) FROM releases), \
                     (SELECT COUNT(*) FROM release_links)",
                )
                .fetch_one(self.reader())
                .await?;
                Ok(Counts { projects, releases, links })
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
                    "SELECT {LINK_COLUMNS} FROM release_links WHERE release_id = $1 {LINK_ORDER} LIMIT $2 OFFSET $3"
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

            async fn create_link(&self, release_id: i64, link: &NewLink, max_links: i64) -> StoreResult<Link> {
                let candidate = link.clone();
                let written = self
                    .write_one_audited(move |conn, audit| {
                        Box::pin(async move {
                            // One statement (the release is touched by a trigger); the unique
                            // indexes decide, `lost_race` tells which rule was hit. The count of
                            // links is read in the same statement: no row back means full.
                            // The engine may set the audit context in the same call ($8…$11).
                            let sql = format!(
                                "{}INSERT INTO release_links (release_id, name, url, filepath, link_type, created_at, updated_at) \
                                 SELECT $1, $2, $3, $4, $5, $6, $6 \
                                 WHERE (SELECT COUNT(*) FROM release_links WHERE release_id = $1) < $7 \
                                 RETURNING {LINK_COLUMNS}",
                                <$store as SqlEngine>::AUDIT_FROM_8.unwrap_or_default()
                            );
                            let mut query = sqlx::query_as(&sql)
                                .bind(release_id)
                                .bind(&candidate.name)
                                .bind(&candidate.url)
                                .bind(&candidate.filepath)
                                .bind(candidate.link_type.code())
                                .bind(now_micros())
                                .bind(max_links);
                            if <$store as SqlEngine>::AUDIT_FROM_8.is_some() {
                                query = query
                                    .bind(audit.author_id)
                                    .bind(audit.author_name)
                                    .bind(audit.ip_address)
                                    .bind(audit.request_id);
                            }
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

                let written = self.write(move |conn| Box::pin(async move {
                let Some(before) = link_in(&mut *conn, release_id, link_id, <$store as SqlEngine>::FOR_UPDATE).await? else {
                    return Ok(None);
                };
                let after = before.with_changes(&changes);
                let sql = format!(
                    "UPDATE release_links SET name = $1, url = $2, filepath = $3, link_type = $4, \
                     updated_at = $5 WHERE id = $6 RETURNING {LINK_COLUMNS}"
                );
                let row: Option<LinkRow> = sqlx::query_as(&sql)
                    .bind(&after.name)
                    .bind(&after.url)
                    .bind(&after.filepath)
                    .bind(after.link_type.code())
                    .bind(now_micros())
                    .bind(link_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                // Deleted since it was read (PostgreSQL, when the delete committed first).
                let Some(row) = row else {
                    return Ok(None);
                };
                // The old permanent link keeps leading to this link.
                if let Some(old) = before.filepath.as_ref().filter(|old| after.filepath.as_ref() != Some(*old)) {
                    sqlx::query("DELETE FROM link_filepath_aliases WHERE release_id = $1 AND filepath = $2")
                        .bind(release_id)
                        .bind(old)
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query(
                        "INSERT INTO link_filepath_aliases (release_id, filepath, link_id, created_at) \
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

                })).await;
                match written {
                    Ok(found) => Ok(found),
                    Err(error @ StoreError::Database(_)) => {
                        // The candidate is needed to re-read the conflicts; recompute it.
                        let Some(before) = self.link(release_id, link_id).await? else { return Err(error) };
                        let candidate = NewLink::from(before.with_changes(&changes_for_race));
                        Err(self.lost_race(error, release_id, &candidate, Some(link_id)).await)
                    }
                    Err(other) => Err(other),
                }
            }

            async fn delete_link(&self, release_id: i64, link_id: i64) -> StoreResult<Option<Link>> {

                self.write(move |conn| Box::pin(async move {
                let sql = format!(
                    "DELETE FROM release_links WHERE release_id = $1 AND id = $2 RETURNING {LINK_COLUMNS}"
                );
                let row: Option<LinkRow> = sqlx::query_as(&sql)
                    .bind(release_id)
                    .bind(link_id)
                    .fetch_optional(&mut *conn)
                    .await?;
                Ok(row.map(Into::into))

                })).await

            }
        }
        }
    };
}

pub(crate) use releases_impl;
