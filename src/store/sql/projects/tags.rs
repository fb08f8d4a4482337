//! Protected tags (who may create which tags) and the tags relinks records; deleting a tag
//! deletes the release made from it.

/// `Projects`' methods for protected tags and tags (expanded inside `impl Projects for $store` by
/// `projects_impl!`).
macro_rules! tag_methods {
    ($store:ty, $db:ty) => {
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
            self.write(move |conn| {
                Box::pin(async move {
                    let row: ProtectedTagRow = sqlx::query_as(
                        "INSERT INTO protected_tags (project_id, name, create_access_level, \
                         created_at) \
                         VALUES ($1, $2, $3, $4) RETURNING id, project_id, name, \
                         create_access_level, created_at",
                    )
                    .bind(project_id)
                    .bind(name)
                    .bind(level.0)
                    .bind(now_micros())
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(conflict)?;
                    Ok(row.into())
                })
            })
            .await
        }

        async fn delete_protected_tag(&self, project_id: i64, name: &str) -> StoreResult<bool> {
            let name = name.to_owned();
            self.write(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                        "DELETE FROM protected_tags WHERE project_id = $1 AND name = $2",
                    )
                    .bind(project_id)
                    .bind(name)
                    .execute(&mut *conn)
                    .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
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
                TagOrder::Name => format!(
                    "name COLLATE {} {direction}",
                    <$store as SqlEngine>::BYTE_ORDER
                ),
                TagOrder::Updated => format!("created_at {direction}, id {direction}"),
            };
            let filter =
                "project_id = $1 AND ($2 IS NULL OR lower(name) LIKE lower($2) ESCAPE '\\')";
            let pattern = query.search.as_deref().map(like_pattern);
            let rows: Vec<TagRow> = sqlx::query_as(&format!(
                "SELECT id, project_id, name, target, message, created_at FROM tags \
                 WHERE {filter} \
                 ORDER BY {order} LIMIT $3 OFFSET $4"
            ))
            .bind(project_id)
            .bind(&pattern)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(self.reader())
            .await?;
            let total: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM tags WHERE {filter}"))
                    .bind(project_id)
                    .bind(&pattern)
                    .fetch_one(self.reader())
                    .await?;
            Ok((rows.into_iter().map(Into::into).collect(), total))
        }

        async fn create_tag(&self, tag: &NewTag) -> StoreResult<Tag> {
            let tag = tag.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let row: TagRow = sqlx::query_as(
                        "INSERT INTO tags (project_id, name, target, message, created_at) \
                         VALUES ($1, $2, $3, $4, $5) RETURNING id, project_id, name, target, \
                         message, created_at",
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
                })
            })
            .await
        }

        async fn delete_tag(&self, project_id: i64, name: &str) -> StoreResult<bool> {
            let name = name.to_owned();
            self.write(move |conn| {
                Box::pin(async move {
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
                })
            })
            .await
        }
    };
}

pub(crate) use tag_methods;
