//! Memberships of projects and groups: what a user is granted (with expiry dates, judged by the
//! caller on its day), a group's owners, and adding, changing and removing members.

/// Which table and column hold a source's memberships, and reading one membership (expanded
/// in the module of `projects_impl!`).
macro_rules! member_helpers {
    ($store:ty, $db:ty) => {
        fn member_table(source: MemberSource) -> (&'static str, &'static str, i64) {
            match source {
                MemberSource::Project(id) => ("project_members", "project_id", id),
                MemberSource::Group(id) => ("group_members", "namespace_id", id),
            }
        }

        impl $store {
            async fn member_in<'e>(
                executor: impl sqlx::Executor<'e, Database = $db>,
                source: MemberSource,
                user_id: i64,
            ) -> StoreResult<Option<Member>> {
                let (table, column, id) = member_table(source);
                let sql = format!(
                    "SELECT m.access_level, m.expires_at, \
                     m.created_at AS member_created_at, {USER_COLUMNS} \
                     FROM {table} m JOIN users u ON u.id = m.user_id \
                     WHERE m.{column} = $1 AND m.user_id = $2"
                );
                let row: Option<MemberRow> = sqlx::query_as(&sql)
                    .bind(id)
                    .bind(user_id)
                    .fetch_optional(executor)
                    .await?;
                row.map(TryInto::try_into).transpose()
            }
        }
    };
}

pub(crate) use member_helpers;

/// `Projects`' methods for memberships (expanded inside `impl Projects for $store` by
/// `projects_impl!`).
macro_rules! member_methods {
    ($store:ty, $db:ty) => {
        async fn member_grants(
            &self,
            user_id: i64,
            project: &Project,
        ) -> StoreResult<MemberGrants> {
            let row: Option<(i64, Option<String>)> = sqlx::query_as(
                "SELECT access_level, expires_at FROM project_members \
                 WHERE project_id = $1 AND user_id = $2",
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

        async fn group_grants(&self, user_id: i64, group: &Namespace) -> StoreResult<Vec<Grant>> {
            if group.kind != NamespaceKind::Group || group.traversal_ids.is_empty() {
                return Ok(Vec::new());
            }
            // One row per group on the way up at most: the rule is applied by the caller.
            let sql = format!(
                "SELECT access_level, expires_at FROM group_members WHERE user_id = $1 \
                 AND namespace_id IN {}",
                placeholders(2, group.traversal_ids.len())
            );
            let mut query = sqlx::query_as::<_, (i64, Option<String>)>(&sql).bind(user_id);
            for id in &group.traversal_ids {
                query = query.bind(id);
            }
            query
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(grant)
                .collect()
        }

        async fn group_owners(&self, group: &Namespace, today: NaiveDate) -> StoreResult<i64> {
            if group.kind != NamespaceKind::Group || group.traversal_ids.is_empty() {
                return Ok(0);
            }
            // The owners' expiry dates, judged here by the domain's rule: a group has few
            // owners.
            let sql = format!(
                "SELECT access_level, expires_at FROM group_members \
                 WHERE access_level >= $1 AND namespace_id IN {}",
                placeholders(2, group.traversal_ids.len())
            );
            let mut query =
                sqlx::query_as::<_, (i64, Option<String>)>(&sql).bind(AccessLevel::OWNER.0);
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

        async fn members(
            &self,
            source: MemberSource,
            page: PageRequest,
        ) -> StoreResult<Page<Member>> {
            let (table, column, id) = member_table(source);
            let sql = format!(
                "SELECT m.access_level, m.expires_at, m.created_at AS member_created_at, \
                 {USER_COLUMNS} \
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

        async fn project_memberships(
            &self,
            project: &Project,
            user_id: Option<i64>,
        ) -> StoreResult<Vec<(Member, bool)>> {
            let group = &project.namespace;
            let groups: &[i64] = if group.kind == NamespaceKind::Group {
                &group.traversal_ids
            } else {
                &[]
            };
            let in_groups = if groups.is_empty() {
                "FALSE".to_owned()
            } else {
                format!("m.namespace_id IN {}", placeholders(3, groups.len()))
            };
            let sql = format!(
                "SELECT m.access_level, m.expires_at, m.created_at AS member_created_at, \
                 {USER_COLUMNS}, TRUE AS direct \
                 FROM project_members m JOIN users u ON u.id = m.user_id \
                 WHERE m.project_id = $1 AND ($2 IS NULL OR m.user_id = $2) \
                 UNION ALL \
                 SELECT m.access_level, m.expires_at, m.created_at AS member_created_at, \
                 {USER_COLUMNS}, FALSE AS direct \
                 FROM group_members m JOIN users u ON u.id = m.user_id \
                 WHERE {in_groups} AND ($2 IS NULL OR m.user_id = $2) \
                 ORDER BY id, direct DESC"
            );
            let mut query = sqlx::query_as::<_, MembershipRow>(&sql)
                .bind(project.id)
                .bind(user_id);
            for id in groups {
                query = query.bind(id);
            }
            query
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(TryInto::try_into)
                .collect()
        }

        async fn add_member(
            &self,
            source: MemberSource,
            user_id: i64,
            level: AccessLevel,
            expires_at: Option<NaiveDate>,
        ) -> StoreResult<Member> {
            let (table, column, id) = member_table(source);
            self.write(move |conn| {
                Box::pin(async move {
                    sqlx::query(&format!(
                        "INSERT INTO {table} ({column}, user_id, access_level, expires_at, \
                         created_at) \
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
                })
            })
            .await
        }

        async fn update_member(
            &self,
            source: MemberSource,
            user_id: i64,
            level: AccessLevel,
            expires_at: Option<Option<NaiveDate>>,
        ) -> StoreResult<Option<Member>> {
            let (table, column, id) = member_table(source);
            self.write(move |conn| {
                Box::pin(async move {
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
                })
            })
            .await
        }

        async fn remove_member(&self, source: MemberSource, user_id: i64) -> StoreResult<bool> {
            self.write(move |conn| {
                Box::pin(async move {
                    let (table, column, id) = member_table(source);
                    let done = sqlx::query(&format!(
                        "DELETE FROM {table} WHERE {column} = $1 AND user_id = $2"
                    ))
                    .bind(id)
                    .bind(user_id)
                    .execute(&mut *conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
        }
    };
}

pub(crate) use member_methods;
