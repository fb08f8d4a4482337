//! Projects, memberships, protected tags and tags, in SQL both engines understand.

/// Implements `Projects` for an engine's store (`$store`, an
/// [`SqlEngine`](crate::store::sql::engine::SqlEngine) over `$db`).
macro_rules! projects_impl {
    ($store:ty, $db:ty) => {
        #[allow(unused_imports)]
        mod projects_sql {
        use super::*;
        use $crate::store::sql::engine::SqlEngine;
        use $crate::store::sql::rows::*;
        use $crate::store::sql::{conflict, placeholders, like_pattern};
        use $crate::domain::access::{AccessLevel, Visibility};
        use $crate::domain::link::LinkConflicts;
        use $crate::domain::membership::Grant;
        use $crate::domain::pagination::PageRequest;
        use $crate::domain::time::now_micros;
        use chrono::NaiveDate;
        use $crate::store::*;

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

        fn member_table(source: MemberSource) -> (&'static str, &'static str, i64) {
            match source {
                MemberSource::Project(id) => ("project_members", "project_id", id),
                MemberSource::Group(id) => ("group_members", "namespace_id", id),
            }
        }

        impl $store {
            async fn project_in(conn: &mut <$db as sqlx::Database>::Connection, id: i64) -> StoreResult<Project> {
                let sql = format!("{} WHERE p.id = $1", project_select());
                let row: ProjectRow = sqlx::query_as(&sql).bind(id).fetch_one(&mut *conn).await?;
                row.try_into()
            }

            async fn member_in<'e>(
        executor: impl sqlx::Executor<'e, Database = $db>,
                source: MemberSource,
                user_id: i64,
            ) -> StoreResult<Option<Member>> {
                let (table, column, id) = member_table(source);
                let sql = format!(
                    "SELECT m.access_level, m.expires_at, m.created_at AS member_created_at, {USER_COLUMNS} \
                     FROM {table} m JOIN users u ON u.id = m.user_id WHERE m.{column} = $1 AND m.user_id = $2"
                );
                let row: Option<MemberRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .bind(user_id)
                    .fetch_optional(executor)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }
        }

        impl Projects for $store {
            async fn create_project(&self, project: &NewProject) -> StoreResult<Project> {
                let now = now_micros();
                let project = project.clone();
                self.write(move |conn| Box::pin(async move {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO projects (namespace_id, name, path, description, visibility, \
                     releases_access_level, creator_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
                )
                .bind(project.namespace.id)
                .bind(&project.name)
                .bind(&project.path)
                .bind(&project.description)
                .bind(project.visibility.as_str())
                .bind(project.releases_access.as_str())
                .bind(project.creator_id)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
                .map_err(conflict)?;
                if project.namespace.kind == NamespaceKind::User {
                    if let Some(owner) = project.namespace.owner_id {
                        sqlx::query(
                            "INSERT INTO project_members (project_id, user_id, access_level, created_at) \
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
                })).await
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
                    "($2 IS NULL OR lower(p.name) LIKE lower($2) ESCAPE '\\' OR lower(p.path) LIKE lower($2) ESCAPE '\\')".into(),
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
                    "SELECT COUNT(*) FROM projects p JOIN namespaces n ON n.id = p.namespace_id WHERE {condition}"
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

                self.write(move |conn| Box::pin(async move {
                let before = Self::project_in(&mut *conn, id).await?;
                let name = changes.name.as_ref().unwrap_or(&before.name);
                let path = changes.path.as_ref().unwrap_or(&before.path);
                let description = changes.description.as_ref().unwrap_or(&before.description);
                let visibility = changes.visibility.unwrap_or(before.visibility);
                let releases_access = changes.releases_access.unwrap_or(before.releases_access);
                sqlx::query(
                    "UPDATE projects SET name = $1, path = $2, description = $3, visibility = $4, \
                     releases_access_level = $5, updated_at = $6 WHERE id = $7",
                )
                .bind(name)
                .bind(path)
                .bind(description)
                .bind(visibility.as_str())
                .bind(releases_access.as_str())
                .bind(now_micros())
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(conflict)?;
                if !path.eq_ignore_ascii_case(&before.path) {
                    // The old address keeps working for GET (redirected) as in GitLab; the new one must
                    // not be shadowed by an older redirect.
                    let new_full_path = format!("{}/{path}", before.namespace.full_path);
                    let old_full_path = before.full_path();
                    sqlx::query("DELETE FROM redirect_routes WHERE lower(path) IN (lower($1), lower($2))")
                        .bind(&new_full_path)
                        .bind(&old_full_path)
                        .execute(&mut *conn)
                        .await?;
                    sqlx::query("INSERT INTO redirect_routes (path, project_id, created_at) VALUES ($1, $2, $3)")
                        .bind(&old_full_path)
                        .bind(id)
                        .bind(now_micros())
                        .execute(&mut *conn)
                        .await?;
                }
                let after = Self::project_in(&mut *conn, id).await?;
                Ok(after)

                })).await

            }

            async fn delete_project(&self, id: i64) -> StoreResult<bool> {

                self.write(move |conn| Box::pin(async move {
                let done = sqlx::query("DELETE FROM projects WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected() > 0)

                })).await

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

            async fn member_grants(&self, user_id: i64, project: &Project) -> StoreResult<MemberGrants> {
                let row: Option<(i64, Option<String>)> = sqlx::query_as(
                    "SELECT access_level, expires_at FROM project_members WHERE project_id = $1 AND user_id = $2",
                )
                .bind(project.id)
                .bind(user_id)
                .fetch_optional(self.reader())
                .await?;
                let groups = self.group_grants(user_id, &project.namespace).await?;
                Ok(MemberGrants {
                    project: row.map(grant).transpose()?,
                    groups,
                })
            }

            async fn group_grants(
                &self,
                user_id: i64,
                group: &Namespace,
            ) -> StoreResult<Vec<Grant>> {
                if group.kind != NamespaceKind::Group || group.traversal_ids.is_empty() {
                    return Ok(Vec::new());
                }
                // One row per group on the way up at most: the rule is applied by the caller.
                let sql = format!(
                    "SELECT access_level, expires_at FROM group_members WHERE user_id = $1 AND namespace_id IN {}",
                    placeholders(2, group.traversal_ids.len())
                );
                let mut query = sqlx::query_as::<_, (i64, Option<String>)>(&sql).bind(user_id);
                for id in &group.traversal_ids {
                    query = query.bind(id);
                }
                query.fetch_all(self.reader()).await?.into_iter().map(grant).collect()
            }

            async fn group_owners(&self, group: &Namespace, today: NaiveDate) -> StoreResult<i64> {
                if group.kind != NamespaceKind::Group || group.traversal_ids.is_empty() {
                    return Ok(0);
                }
                // The owners' expiry dates, judged here by the domain's rule: a group has few
                // owners.
                let sql = format!(
                    "SELECT access_level, expires_at FROM group_members WHERE access_level >= $1 AND namespace_id IN {}",
                    placeholders(2, group.traversal_ids.len())
                );
                let mut query = sqlx::query_as::<_, (i64, Option<String>)>(&sql).bind(AccessLevel::OWNER.0);
                for id in &group.traversal_ids {
                    query = query.bind(id);
                }
                let mut owners = 0;
                for row in query.fetch_all(self.reader()).await? {
                    if grant(row)?.level_on(today).is_some() {
                        owners += 1;
                    }
                }
                Ok(owners)
            }

            async fn members(&self, source: MemberSource, page: PageRequest) -> StoreResult<Page<Member>> {
                let (table, column, id) = member_table(source);
                let sql = format!(
                    "SELECT m.access_level, m.expires_at, m.created_at AS member_created_at, {USER_COLUMNS} \
                     FROM {table} m JOIN users u ON u.id = m.user_id WHERE m.{column} = $1 \
                     ORDER BY u.id LIMIT $2 OFFSET $3"
                );
                let rows: Vec<MemberRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .bind(page.limit())
                    .bind(page.offset())
                    .fetch_all(self.reader())
                    .await?;
                let total: i64 =
                    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
                        .bind(id)
                        .fetch_one(self.reader())
                        .await?;
                let members = rows
                    .into_iter()
                    .map(TryInto::try_into)
                    .collect::<StoreResult<_>>()?;
                Ok((members, total))
            }

            async fn member(&self, source: MemberSource, user_id: i64) -> StoreResult<Option<Member>> {
                Self::member_in(self.reader(), source, user_id).await
            }

            async fn add_member(
                &self,
                source: MemberSource,
                user_id: i64,
                level: AccessLevel,
                expires_at: Option<NaiveDate>,
            ) -> StoreResult<Member> {
                let (table, column, id) = member_table(source);

                self.write(move |conn| Box::pin(async move {
                sqlx::query(&format!(
                    "INSERT INTO {table} ({column}, user_id, access_level, expires_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5)"
                ))
                .bind(id)
                .bind(user_id)
                .bind(level.0)
                .bind(expires_at.map(format_date))
                .bind(now_micros())
                .execute(&mut *conn)
                .await
                .map_err(conflict)?;
                let member = Self::member_in(&mut *conn, source, user_id).await?;
                member.ok_or_else(|| StoreError::Corrupt("member vanished".into()))

                })).await

            }

            async fn update_member(
                &self,
                source: MemberSource,
                user_id: i64,
                level: AccessLevel,
                expires_at: Option<Option<NaiveDate>>,
            ) -> StoreResult<Option<Member>> {
                let (table, column, id) = member_table(source);

                self.write(move |conn| Box::pin(async move {
                let keep_expiry = expires_at.is_none();
                sqlx::query(&format!(
                    "UPDATE {table} SET access_level = $1, \
                     expires_at = CASE WHEN $2 THEN expires_at ELSE $3 END \
                     WHERE {column} = $4 AND user_id = $5"
                ))
                .bind(level.0)
                .bind(keep_expiry)
                .bind(expires_at.flatten().map(format_date))
                .bind(id)
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
                let member = Self::member_in(&mut *conn, source, user_id).await?;
                Ok(member)

                })).await

            }

            async fn remove_member(&self, source: MemberSource, user_id: i64) -> StoreResult<bool> {

                self.write(move |conn| Box::pin(async move {
                let (table, column, id) = member_table(source);
                let done = sqlx::query(&format!(
                    "DELETE FROM {table} WHERE {column} = $1 AND user_id = $2"
                ))
                .bind(id)
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
                Ok(done.rows_affected() > 0)

                })).await

            }

            async fn protected_tags(&self, project_id: i64) -> StoreResult<Vec<ProtectedTag>> {
                let rows: Vec<ProtectedTagRow> = sqlx::query_as(
                    "SELECT id, project_id, name, create_access_level, created_at FROM protected_tags \
                     WHERE project_id = $1 ORDER BY id",
                )
                .bind(project_id)
                .fetch_all(self.reader())
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn create_protected_tag(
                &self,
                project_id: i64,
                name: &str,
                level: AccessLevel,
            ) -> StoreResult<ProtectedTag> {

                let name = name.to_owned();

                self.write(move |conn| Box::pin(async move {
                let row: ProtectedTagRow = sqlx::query_as(
                    "INSERT INTO protected_tags (project_id, name, create_access_level, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING id, project_id, name, create_access_level, created_at",
                )
                .bind(project_id)
                .bind(name)
                .bind(level.0)
                .bind(now_micros())
                .fetch_one(&mut *conn)
                .await
                .map_err(conflict)?;
                Ok(row.into())

                })).await

            }

            async fn delete_protected_tag(&self, project_id: i64, name: &str) -> StoreResult<bool> {

                let name = name.to_owned();

                self.write(move |conn| Box::pin(async move {
                let done = sqlx::query("DELETE FROM protected_tags WHERE project_id = $1 AND name = $2")
                    .bind(project_id)
                    .bind(name)
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected() > 0)

                })).await

            }

            async fn tag(&self, project_id: i64, name: &str) -> StoreResult<Option<Tag>> {
                let row: Option<TagRow> = sqlx::query_as(
                    "SELECT id, project_id, name, target, message, created_at FROM tags \
                     WHERE project_id = $1 AND name = $2",
                )
                .bind(project_id)
                .bind(name)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(Into::into))
            }

            async fn tags(
                &self,
                project_id: i64,
                query: &TagQuery,
                page: PageRequest,
            ) -> StoreResult<Page<Tag>> {
                let direction = if query.ascending { "ASC" } else { "DESC" };
                let order = match query.order {
                    TagOrder::Name => format!("name COLLATE {} {direction}", <$store as SqlEngine>::BYTE_ORDER),
                    TagOrder::Updated => format!("created_at {direction}, id {direction}"),
                };
                let filter = "project_id = $1 AND ($2 IS NULL OR lower(name) LIKE lower($2) ESCAPE '\\')";
                let pattern = query.search.as_deref().map(like_pattern);
                let rows: Vec<TagRow> = sqlx::query_as(&format!(
                    "SELECT id, project_id, name, target, message, created_at FROM tags WHERE {filter} \
                     ORDER BY {order} LIMIT $3 OFFSET $4"
                ))
                .bind(project_id)
                .bind(&pattern)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.reader())
                .await?;
                let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM tags WHERE {filter}"))
                    .bind(project_id)
                    .bind(&pattern)
                    .fetch_one(self.reader())
                    .await?;
                Ok((rows.into_iter().map(Into::into).collect(), total))
            }

            async fn create_tag(&self, tag: &NewTag) -> StoreResult<Tag> {

                let tag = tag.clone();

                self.write(move |conn| Box::pin(async move {
                let row: TagRow = sqlx::query_as(
                    "INSERT INTO tags (project_id, name, target, message, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id, project_id, name, target, message, created_at",
                )
                .bind(tag.project_id)
                .bind(&tag.name)
                .bind(&tag.target)
                .bind(&tag.message)
                .bind(now_micros())
                .fetch_one(&mut *conn)
                .await
                .map_err(conflict)?;
                Ok(row.into())

                })).await

            }

            async fn delete_tag(&self, project_id: i64, name: &str) -> StoreResult<bool> {

                let name = name.to_owned();

                self.write(move |conn| Box::pin(async move {
                sqlx::query("DELETE FROM releases WHERE project_id = $1 AND tag = $2")
                    .bind(project_id)
                    .bind(&name)
                    .execute(&mut *conn)
                    .await?;
                let done = sqlx::query("DELETE FROM tags WHERE project_id = $1 AND name = $2")
                    .bind(project_id)
                    .bind(&name)
                    .execute(&mut *conn)
                    .await?;
                Ok(done.rows_affected() > 0)

                })).await

            }
        }

                }
    };
}

pub(crate) use projects_impl;
