//! Namespaces: groups (with their first owner) and the lookups of any namespace. Inserting one
//! is shared with `users.rs`, which makes each user's personal namespace.

/// What creating a user or a group shares: inserting a namespace, reading one in a write
/// (expanded in the module of `directory_impl!`).
macro_rules! namespace_helpers {
    ($store:ty, $db:ty) => {
        async fn namespace_in(
            conn: &mut <$db as sqlx::Database>::Connection,
            id: i64,
        ) -> StoreResult<Option<Namespace>> {
            let sql = format!("SELECT {NAMESPACE_COLUMNS} FROM namespaces n WHERE n.id = $1");
            let row: Option<NamespaceRow> = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        /// Inserts a namespace under `parent`, computing its full path, full name and traversal
        /// ids.
        #[allow(clippy::too_many_arguments)]
        async fn insert_namespace(
            conn: &mut <$db as sqlx::Database>::Connection,
            kind: NamespaceKind,
            name: &str,
            path: &str,
            parent: Option<&Namespace>,
            owner_id: Option<i64>,
            visibility: Visibility,
            description: &str,
        ) -> StoreResult<i64> {
            let (full_path, full_name) = match parent {
                Some(p) => (
                    format!("{}/{path}", p.full_path),
                    format!("{} / {name}", p.full_name),
                ),
                None => (path.to_owned(), name.to_owned()),
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO namespaces (kind, name, path, full_path, full_name, \
                 parent_id, owner_id, \
                 visibility, description, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(kind.as_str())
            .bind(name)
            .bind(path)
            .bind(&full_path)
            .bind(&full_name)
            .bind(parent.map(|p| p.id))
            .bind(owner_id)
            .bind(visibility.as_str())
            .bind(description)
            .bind(now_micros())
            .fetch_one(&mut *conn)
            .await
            .map_err(conflict)?;
            let mut traversal: Vec<String> = parent
                .map(|p| p.traversal_ids.iter().map(i64::to_string).collect())
                .unwrap_or_default();
            traversal.push(id.to_string());
            sqlx::query("UPDATE namespaces SET traversal_ids = $1 WHERE id = $2")
                .bind(traversal.join("/"))
                .bind(id)
                .execute(&mut *conn)
                .await?;
            Ok(id)
        }
    };
}

pub(crate) use namespace_helpers;

/// `Directory`'s methods for namespaces and groups (expanded inside `impl Directory for $store` by
/// `directory_impl!`).
macro_rules! namespace_methods {
    ($store:ty, $db:ty) => {
        async fn create_group(&self, group: &NewGroup) -> StoreResult<Namespace> {
            let group = group.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let id = insert_namespace(
                        &mut *conn,
                        NamespaceKind::Group,
                        &group.name,
                        &group.path,
                        group.parent.as_ref(),
                        None,
                        group.visibility,
                        &group.description,
                    )
                    .await?;
                    sqlx::query(
                        "INSERT INTO group_members (namespace_id, user_id, access_level, \
                         created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(group.creator_id)
                    .bind(AccessLevel::OWNER.0)
                    .bind(now_micros())
                    .execute(&mut *conn)
                    .await?;
                    let namespace = namespace_in(&mut *conn, id).await?;
                    namespace.ok_or_else(|| StoreError::Corrupt("group vanished".into()))
                })
            })
            .await
        }

        async fn namespace(&self, id: i64) -> StoreResult<Option<Namespace>> {
            let sql = format!("SELECT {NAMESPACE_COLUMNS} FROM namespaces n WHERE n.id = $1");
            let row: Option<NamespaceRow> = sqlx::query_as(&sql)
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn namespace_by_full_path(&self, full_path: &str) -> StoreResult<Option<Namespace>> {
            let sql = format!(
                "SELECT {NAMESPACE_COLUMNS} FROM namespaces n WHERE lower(n.full_path) = lower($1)"
            );
            let row: Option<NamespaceRow> = sqlx::query_as(&sql)
                .bind(full_path)
                .fetch_optional(self.reader())
                .await?;
            row.map(TryInto::try_into).transpose()
        }

        async fn user_namespace(&self, user_id: i64) -> StoreResult<Option<Namespace>> {
            let sql = format!(
                "SELECT {NAMESPACE_COLUMNS} FROM namespaces n WHERE n.owner_id = $1 \
                 AND n.kind = 'user'"
            );
            let row: Option<NamespaceRow> = sqlx::query_as(&sql)
                .bind(user_id)
                .fetch_optional(self.reader())
                .await?;
            row.map(TryInto::try_into).transpose()
        }
    };
}

pub(crate) use namespace_methods;
