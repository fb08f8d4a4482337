//! `Releases` in SQL both engines understand. Releases themselves are here (with the tag and
//! links a new one brings, the latest, the instance's counts); links are in `links.rs`.
//! `releases_impl!` below puts both together into one `impl Releases` per engine.

pub(crate) mod downloads;
pub(crate) mod link_sets;
pub(crate) mod links;

/// `Releases`' methods for releases themselves (expanded inside `impl Releases for $store` by
/// `releases_impl!`).
macro_rules! release_methods {
    ($store:ty, $db:ty) => {
        async fn release(&self, project_id: i64, tag: &str) -> StoreResult<Option<Release>> {
            let sql = format!(
                "SELECT {RELEASE_COLUMNS} FROM releases WHERE project_id = $1 AND tag = $2"
            );
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
            let direction = if query.ascending { "ASC" } else { "DESC" };
            let not_a_version = crate::store::sql::releases::NOT_A_VERSION;
            let order = match query.order {
                ReleaseOrder::ReleasedAt => format!("released_at {direction}, id {direction}"),
                ReleaseOrder::CreatedAt => format!("created_at {direction}, id {direction}"),
                ReleaseOrder::Semver => format!(
                    "{not_a_version}, version_key {direction}, released_at {direction}, \
                     id {direction}"
                ),
            };
            let filter = "project_id = $1 AND ($2 IS NULL OR updated_at < $2) \
                          AND ($3 IS NULL OR updated_at > $3)";
            let sql = format!(
                "SELECT {RELEASE_COLUMNS} FROM releases WHERE {filter} \
                 ORDER BY {order} LIMIT $4 OFFSET $5"
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
            self.write(move |conn| {
                Box::pin(async move {
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
                        "INSERT INTO releases (project_id, tag, name, description, author_id, \
                         sha, released_at, created_at, updated_at, version_key) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) \
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
                        .bind(crate::domain::semver::sort_key(&release.tag).unwrap_or_default())
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(conflict)?;
                    let created: Release = row.into();
                    // Links of one request share a creation time; ids keep them in request order.
                    for link in &release.links {
                        insert_link(&mut *conn, created.id, link, now)
                            .await
                            .map_err(conflict)?;
                    }
                    Ok(created)
                })
            })
            .await
        }

        async fn update_release(&self, id: i64, changes: &ReleaseChanges) -> StoreResult<Release> {
            let changes = changes.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let sql = format!("SELECT {RELEASE_COLUMNS} FROM releases WHERE id = $1");
                    let before: Release = sqlx::query_as::<_, ReleaseRow>(&sql)
                        .bind(id)
                        .fetch_one(&mut *conn)
                        .await?
                        .into();
                    let update = format!(
                        "UPDATE releases SET name = $1, description = $2, released_at = $3, \
                         updated_at = $4 \
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
                })
            })
            .await
        }

        async fn delete_release(&self, id: i64) -> StoreResult<bool> {
            self.write(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query("DELETE FROM releases WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
        }

        async fn latest_release(
            &self,
            project_id: i64,
            now: i64,
            pick: crate::domain::release_policy::LatestPick,
        ) -> StoreResult<Option<Release>> {
            use crate::domain::release_policy::{Channel, LatestOrder};
            let channel = match pick.channel {
                None => "",
                Some(Channel::Stable) => "AND version_key LIKE '%~'",
                Some(Channel::Prerelease) => "AND version_key <> ''",
            };
            let order = match pick.order {
                LatestOrder::ReleasedAt => "released_at DESC, id DESC".to_owned(),
                LatestOrder::Semver => format!(
                    "{}, version_key DESC, released_at DESC, id DESC",
                    crate::store::sql::releases::NOT_A_VERSION
                ),
            };
            let sql = format!(
                "SELECT {RELEASE_COLUMNS} FROM releases WHERE project_id = $1 \
                 AND released_at <= $2 {channel} ORDER BY {order} LIMIT 1"
            );
            let row: Option<ReleaseRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(now)
                .fetch_optional(self.reader())
                .await?;
            Ok(row.map(Into::into))
        }

        async fn has_published_releases(&self, project_id: i64, now: i64) -> StoreResult<bool> {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM releases WHERE project_id = $1 AND released_at <= $2 LIMIT 1",
            )
            .bind(project_id)
            .bind(now)
            .fetch_optional(self.reader())
            .await?;
            Ok(found.is_some())
        }

        async fn fill_version_keys(&self) -> StoreResult<u64> {
            self.write(move |conn| {
                Box::pin(async move {
                    let rows: Vec<(i64, String)> = sqlx::query_as(
                        "SELECT id, tag FROM releases WHERE version_key IS NULL",
                    )
                    .fetch_all(&mut *conn)
                    .await?;
                    for (id, tag) in &rows {
                        sqlx::query("UPDATE releases SET version_key = $1 WHERE id = $2")
                            .bind(crate::domain::semver::sort_key(tag).unwrap_or_default())
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(rows.len() as u64)
                })
            })
            .await
        }

        async fn counts(&self) -> StoreResult<Counts> {
            let (projects, releases, links): (i64, i64, i64) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM projects), (SELECT COUNT(*) FROM releases), \
                 (SELECT COUNT(*) FROM release_links)",
            )
            .fetch_one(self.reader())
            .await?;
            Ok(Counts {
                projects,
                releases,
                links,
            })
        }
    };
}

pub(crate) use release_methods;

/// Sorts releases whose tag is not a semantic version after those whose tag is.
pub(crate) const NOT_A_VERSION: &str = "(COALESCE(version_key, '') = '')";

/// Implements `Releases` for an engine's store (`$store`, an
/// [`SqlEngine`](crate::store::sql::engine::SqlEngine) over `$db`) from the methods of this file
/// and `links.rs`.
macro_rules! releases_impl {
    ($store:ty, $db:ty) => {
        #[allow(unused_imports)]
        mod releases_sql {
            use super::*;
            use chrono::NaiveDate;
            use $crate::domain::access::{AccessLevel, Visibility};
            use $crate::domain::link::LinkConflicts;
            use $crate::domain::pagination::PageRequest;
            use $crate::domain::time::now_micros;
            use $crate::store::sql::engine::SqlEngine;
            use $crate::store::sql::rows::*;
            use $crate::store::sql::{conflict, like_pattern, placeholders};
            use $crate::store::*;

            $crate::store::sql::releases::links::link_helpers!($store, $db);
            $crate::store::sql::releases::link_sets::link_set_helpers!($store, $db);

            impl Releases for $store {
                $crate::store::sql::releases::release_methods!($store, $db);
                $crate::store::sql::releases::links::link_methods!($store, $db);
                $crate::store::sql::releases::link_sets::link_set_methods!($store, $db);
                $crate::store::sql::releases::downloads::download_methods!($store, $db);
            }
        }
    };
}

pub(crate) use releases_impl;
