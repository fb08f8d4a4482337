//! `Projects` in SQL both engines understand. Projects themselves are here (creating, finding by
//! id, path or old path, listing what a caller may see, renaming with a redirect, deleting);
//! memberships are in `members.rs`, tags and their protection in `tags.rs`. `projects_impl!`
//! below puts the three together into one `impl Projects` per engine.

pub(crate) mod members;
pub(crate) mod tags;

/// The select of a project with its namespace, the SQL of "a member on that day", and reading
/// a project in a write (expanded in the module of `projects_impl!`).
macro_rules! project_helpers {
    ($store:ty, $db:ty) => {
        fn project_select() -> String {
            format!(
                "SELECT {PROJECT_COLUMNS}, {NAMESPACE_COLUMNS} \
                 FROM projects p JOIN namespaces n ON n.id = p.namespace_id"
            )
        }

        /// The SQL condition "the user ($1) is a member of this project, directly or through a
        /// group, on the day `$day`". It is `domain::membership::in_force` written in SQL, since
        /// a listing is filtered and counted in the database: a membership counts while its
        /// `expires_at` is unset or after that day. Dates are `YYYY-MM-DD` text on both engines,
        /// whose order is the dates' order.
        fn member_of_project(day: usize) -> String {
            format!(
                "(EXISTS (SELECT 1 FROM project_members pm \
                    WHERE pm.project_id = p.id AND pm.user_id = $1 \
                    AND (pm.expires_at IS NULL OR pm.expires_at > ${day})) \
                 OR EXISTS (SELECT 1 FROM group_members gm WHERE gm.user_id = $1 \
                    AND (gm.expires_at IS NULL OR gm.expires_at > ${day}) \
                    AND ('/' || n.traversal_ids || '/') LIKE ('%/' || gm.namespace_id || '/%')))"
            )
        }

        impl $store {
            async fn project_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: i64,
            ) -> StoreResult<Project> {
                let sql = format!("{} WHERE p.id = $1", project_select());
                let row: ProjectRow = sqlx::query_as(&sql).bind(id).fetch_one(&mut *conn).await?;
                row.try_into()
            }
        }
    };
}

pub(crate) use project_helpers;

/// `Projects`' methods for projects themselves (expanded inside `impl Projects for $store` by
/// `projects_impl!`).
macro_rules! project_methods {
    ($store:ty, $db:ty) => {
        async fn create_project(&self, project: &NewProject) -> StoreResult<Project> {
            let now = now_micros();
            let project = project.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO projects (namespace_id, name, path, description, visibility, \
                         releases_access_level, creator_id, created_at, updated_at, \
                         releases_latest_order, releases_immutable) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) RETURNING id",
                    )
                    .bind(project.namespace.id)
                    .bind(&project.name)
                    .bind(&project.path)
                    .bind(&project.description)
                    .bind(project.visibility.as_str())
                    .bind(project.releases_access.as_str())
                    .bind(project.creator_id)
                    .bind(now)
                    .bind(project.releases_latest_order.map(crate::domain::release_policy::LatestOrder::as_str))
                    .bind(project.releases_immutable)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(conflict)?;
                    if project.namespace.kind == NamespaceKind::User {
                        if let Some(owner) = project.namespace.owner_id {
                            sqlx::query(
                                "INSERT INTO project_members (project_id, user_id, access_level, \
                                 created_at) \
                                 VALUES ($1, $2, $3, $4)",
                            )
                            .bind(id)
                            .bind(owner)
                            .bind(AccessLevel::OWNER.0)
                            .bind(now)
                            .execute(&mut *conn)
                            .await?;
                        }
                    }
                    let created = Self::project_in(&mut *conn, id).await?;
                    Ok(created)
                })
            })
            .await
        }

        async fn project(&self, id: i64) -> StoreResult<Option<Project>> {
            let sql = format!("{} WHERE p.id = $1", project_select());
            let row: Option<ProjectRow> = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn project_by_full_path(&self, full_path: &str) -> StoreResult<Option<Project>> {
            let Some((namespace, path)) = full_path.rsplit_once('/') else {
                return Ok(None);
            };
            let sql = format!(
                "{} WHERE lower(n.full_path) = lower($1) AND lower(p.path) = lower($2)",
                project_select()
            );
            let row: Option<ProjectRow> = sqlx::query_as(&sql)
                .bind(namespace)
                .bind(path)
                .fetch_optional(self.reader())
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn project_by_redirect(&self, full_path: &str) -> StoreResult<Option<Project>> {
            let sql = format!(
                "{} JOIN redirect_routes r ON r.project_id = p.id WHERE lower(r.path) = lower($1)",
                project_select()
            );
            let row: Option<ProjectRow> = sqlx::query_as(&sql)
                .bind(full_path)
                .fetch_optional(self.reader())
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn projects(
            &self,
            filter: &ProjectFilter,
            page: PageRequest,
        ) -> StoreResult<Page<Project>> {
            // Every branch references $1, $2 and $3, so the same binds serve every filter.
            // The day memberships are judged on is $4 when a condition names it, and bound
            // only then: PostgreSQL cannot prepare a parameter that nothing uses.
            let names_day = !filter.all || filter.membership;
            let mut conditions: Vec<String> = vec![
                "($2 IS NULL OR lower(p.name) LIKE lower($2) ESCAPE '\\' \
                 OR lower(p.path) LIKE lower($2) ESCAPE '\\')"
                    .into(),
                "($3 IS NULL OR p.visibility = $3)".into(),
            ];
            if filter.all {
                conditions.push("(p.visibility = 'public' OR $1 IS NOT NULL)".into());
            } else {
                conditions.push(format!(
                    "(p.visibility = 'public' OR ($1 IS NOT NULL AND p.visibility = 'internal') \
                     OR {})",
                    member_of_project(4)
                ));
            }
            if filter.membership {
                conditions.push(member_of_project(4));
            }
            if filter.owned {
                conditions.push("n.owner_id = $1".into());
            }
            let condition = conditions.join(" AND ");
            let order_column = if filter.order_by_id {
                "p.id"
            } else {
                "p.created_at"
            };
            let direction = if filter.ascending { "ASC" } else { "DESC" };
            let (limit, offset) = if names_day { (5, 6) } else { (4, 5) };
            let sql = format!(
                "{} WHERE {condition} ORDER BY {order_column} {direction}, p.id {direction} \
                 LIMIT ${limit} OFFSET ${offset}",
                project_select()
            );
            let pattern = filter.search.as_deref().map(like_pattern);
            let visibility = filter.visibility.map(|v| v.as_str());
            let day = names_day.then(|| format_date(filter.today));
            let mut query = sqlx::query_as::<_, ProjectRow>(&sql)
                .bind(filter.user_id)
                .bind(&pattern)
                .bind(visibility);
            if let Some(day) = &day {
                query = query.bind(day);
            }
            let rows = query
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.reader())
                .await?;
            let count_sql = format!(
                "SELECT COUNT(*) FROM projects p \
                 JOIN namespaces n ON n.id = p.namespace_id WHERE {condition}"
            );
            let mut count = sqlx::query_scalar::<_, i64>(&count_sql)
                .bind(filter.user_id)
                .bind(&pattern)
                .bind(visibility);
            if let Some(day) = &day {
                count = count.bind(day);
            }
            let total = count.fetch_one(self.reader()).await?;
            let projects = rows
                .into_iter()
                .map(TryInto::try_into)
                .collect::<StoreResult<_>>()?;
            Ok((projects, total))
        }

        async fn update_project(&self, id: i64, changes: &ProjectChanges) -> StoreResult<Project> {
            let changes = changes.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let before = Self::project_in(&mut *conn, id).await?;
                    let name = changes.name.as_ref().unwrap_or(&before.name);
                    let path = changes.path.as_ref().unwrap_or(&before.path);
                    let description = changes.description.as_ref().unwrap_or(&before.description);
                    let visibility = changes.visibility.unwrap_or(before.visibility);
                    let releases_access = changes.releases_access.unwrap_or(before.releases_access);
                    let latest_order = changes
                        .releases_latest_order
                        .unwrap_or(before.releases_latest_order);
                    let immutable = changes
                        .releases_immutable
                        .unwrap_or(before.releases_immutable);
                    sqlx::query(
                        "UPDATE projects SET name = $1, path = $2, description = $3, \
                         visibility = $4, releases_access_level = $5, updated_at = $6, \
                         releases_latest_order = $7, releases_immutable = $8 \
                         WHERE id = $9",
                    )
                    .bind(name)
                    .bind(path)
                    .bind(description)
                    .bind(visibility.as_str())
                    .bind(releases_access.as_str())
                    .bind(now_micros())
                    .bind(latest_order.map(crate::domain::release_policy::LatestOrder::as_str))
                    .bind(immutable)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(conflict)?;
                    if !path.eq_ignore_ascii_case(&before.path) {
                        // The old address keeps working for GET (redirected) as in GitLab; the new
                        // one must not be shadowed by an older redirect.
                        let new_full_path = format!("{}/{path}", before.namespace.full_path);
                        let old_full_path = before.full_path();
                        sqlx::query(
                            "DELETE FROM redirect_routes \
                             WHERE lower(path) IN (lower($1), lower($2))",
                        )
                        .bind(&new_full_path)
                        .bind(&old_full_path)
                        .execute(&mut *conn)
                        .await?;
                        sqlx::query(
                            "INSERT INTO redirect_routes (path, project_id, created_at) \
                             VALUES ($1, $2, $3)",
                        )
                        .bind(&old_full_path)
                        .bind(id)
                        .bind(now_micros())
                        .execute(&mut *conn)
                        .await?;
                    }
                    let after = Self::project_in(&mut *conn, id).await?;
                    Ok(after)
                })
            })
            .await
        }

        async fn delete_project(&self, id: i64) -> StoreResult<bool> {
            self.write(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query("DELETE FROM projects WHERE id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
        }

        async fn project_name_conflicts(
            &self,
            namespace_id: i64,
            name: &str,
            path: &str,
            except: Option<i64>,
        ) -> StoreResult<(bool, bool)> {
            Ok(sqlx::query_as(
                "SELECT COUNT(*) FILTER (WHERE name = $2) > 0, \
                 COUNT(*) FILTER (WHERE lower(path) = lower($3)) > 0 \
                 FROM projects WHERE namespace_id = $1 AND ($4 IS NULL OR id <> $4)",
            )
            .bind(namespace_id)
            .bind(name)
            .bind(path)
            .bind(except)
            .fetch_one(self.reader())
            .await?)
        }
    };
}

pub(crate) use project_methods;

/// Implements `Projects` for an engine's store (`$store`, an
/// [`SqlEngine`](crate::store::sql::engine::SqlEngine) over `$db`) from the methods of this file,
/// `members.rs` and `tags.rs`.
macro_rules! projects_impl {
    ($store:ty, $db:ty) => {
        #[allow(unused_imports)]
        mod projects_sql {
            use super::*;
            use chrono::NaiveDate;
            use $crate::domain::access::{AccessLevel, Visibility};
            use $crate::domain::link::LinkConflicts;
            use $crate::domain::membership::Grant;
            use $crate::domain::pagination::PageRequest;
            use $crate::domain::time::now_micros;
            use $crate::store::sql::engine::SqlEngine;
            use $crate::store::sql::rows::*;
            use $crate::store::sql::{conflict, like_pattern, placeholders};
            use $crate::store::*;

            $crate::store::sql::projects::project_helpers!($store, $db);
            $crate::store::sql::projects::members::member_helpers!($store, $db);

            impl Projects for $store {
                $crate::store::sql::projects::project_methods!($store, $db);
                $crate::store::sql::projects::members::member_methods!($store, $db);
                $crate::store::sql::projects::tags::tag_methods!($store, $db);
            }
        }
    };
}

pub(crate) use projects_impl;
