//! Generic packages and their files, as GitLab's `Packages::Package` and `PackageFile` keep
//! them: a package per project, type, name and version; a new file row for every upload (the
//! newest of a name is the one served).

/// `HostedFiles`' methods for packages (expanded inside `impl HostedFiles for $store` by
/// `hosted_files_impl!`).
macro_rules! package_methods {
    ($store:ty, $db:ty) => {
        async fn add_package_file(&self, file: &NewPackageFile) -> StoreResult<(Package, PackageFile)> {
            let file = file.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    release_pin(&mut *conn, &file.sha256, file.pin).await?;
                    let now = now_micros();
                    // Find or create: a racing upload into the same new version finds the row
                    // the other one made (GitLab's find_or_create_by!). A given status is taken.
                    let sql = format!(
                        "INSERT INTO packages AS pk (project_id, name, version, package_type, \
                         status, creator_id, created_at, updated_at) \
                         VALUES ($1, $2, $3, 'generic', COALESCE($4, 'default'), $5, $6, $6) \
                         ON CONFLICT (project_id, package_type, name, version) DO UPDATE \
                         SET status = COALESCE($4, pk.status), updated_at = $6 \
                         RETURNING {}",
                        PACKAGE_COLUMNS.replace("pk.", "")
                    );
                    let package: PackageRow = sqlx::query_as(&sql)
                        .bind(file.project_id)
                        .bind(&file.name)
                        .bind(&file.version)
                        .bind(&file.status)
                        .bind(file.creator_id)
                        .bind(now)
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(conflict)?;
                    let package: Package = package.into();
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO package_files (package_id, project_id, file_name, \
                         blob_sha256, size, created_at, updated_at) \
                         SELECT $1, $2, $3, b.sha256, b.size, $4, $4 FROM blobs b \
                         WHERE b.sha256 = $5 RETURNING id",
                    )
                    .bind(package.id)
                    .bind(file.project_id)
                    .bind(&file.file_name)
                    .bind(now)
                    .bind(&file.sha256)
                    .fetch_one(&mut *conn)
                    .await?;
                    let sql = format!(
                        "SELECT {PACKAGE_FILE_COLUMNS} FROM package_files f \
                         JOIN blobs b ON b.sha256 = f.blob_sha256 WHERE f.id = $1"
                    );
                    let added: PackageFileRow =
                        sqlx::query_as(&sql).bind(id).fetch_one(&mut *conn).await?;
                    Ok((package, added.into()))
                })
            })
            .await
        }

        async fn generic_package_file(
            &self,
            project_id: i64,
            name: &str,
            version: &str,
            file_name: &str,
        ) -> StoreResult<Option<(Package, PackageFile)>> {
            let sql = format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages pk WHERE pk.project_id = $1 \
                 AND pk.package_type = 'generic' AND pk.name = $2 AND pk.version = $3 \
                 AND pk.status IN ('default', 'hidden', 'deprecated')"
            );
            let package: Option<PackageRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(name)
                .bind(version)
                .fetch_optional(self.reader())
                .await?;
            let Some(package) = package else {
                return Ok(None);
            };
            let package: Package = package.into();
            let sql = format!(
                "SELECT {PACKAGE_FILE_COLUMNS} FROM package_files f \
                 JOIN blobs b ON b.sha256 = f.blob_sha256 \
                 WHERE f.package_id = $1 AND f.file_name = $2 ORDER BY f.id DESC LIMIT 1"
            );
            let file: Option<PackageFileRow> = sqlx::query_as(&sql)
                .bind(package.id)
                .bind(file_name)
                .fetch_optional(self.reader())
                .await?;
            Ok(file.map(|file| (package, file.into())))
        }

        async fn touch_package(&self, package_id: i64, now: Micros) -> StoreResult<()> {
            self.write_one(move |conn| {
                Box::pin(async move {
                    sqlx::query("UPDATE packages SET last_downloaded_at = $2 WHERE id = $1")
                        .bind(package_id)
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .await
        }

        async fn packages(
            &self,
            project_id: i64,
            query: &PackageQuery,
            page: PageRequest,
        ) -> StoreResult<Page<Package>> {
            let column = match query.order {
                PackageOrder::CreatedAt => "pk.created_at",
                PackageOrder::Name => "pk.name",
                PackageOrder::Version => "pk.version",
                PackageOrder::Type => "pk.package_type",
            };
            let direction = if query.ascending { "ASC" } else { "DESC" };
            // GitLab lists the "displayable" statuses unless one is asked for.
            let filter = "pk.project_id = $1 AND ($2 IS NULL OR pk.package_type = $2) \
                 AND ($3 IS NULL OR lower(pk.name) LIKE lower($3) ESCAPE '\\') \
                 AND ($4 IS NULL OR pk.version = $4) \
                 AND (($5 IS NULL AND pk.status IN ('default', 'error', 'deprecated')) \
                      OR pk.status = $5)";
            let sql = format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages pk WHERE {filter} \
                 ORDER BY {column} {direction}, pk.id {direction} LIMIT $6 OFFSET $7"
            );
            let name = query.name.as_deref().map(like_pattern);
            let rows: Vec<PackageRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(&query.package_type)
                .bind(&name)
                .bind(&query.version)
                .bind(&query.status)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.reader())
                .await?;
            let total: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM packages pk WHERE {filter}"))
                    .bind(project_id)
                    .bind(&query.package_type)
                    .bind(&name)
                    .bind(&query.version)
                    .bind(&query.status)
                    .fetch_one(self.reader())
                    .await?;
            Ok((rows.into_iter().map(Into::into).collect(), total))
        }

        async fn package(&self, project_id: i64, package_id: i64) -> StoreResult<Option<Package>> {
            let sql = format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages pk WHERE pk.project_id = $1 AND pk.id = $2"
            );
            let row: Option<PackageRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(package_id)
                .fetch_optional(self.reader())
                .await?;
            Ok(row.map(Into::into))
        }

        async fn package_versions(
            &self,
            project_id: i64,
            package_type: &str,
            name: &str,
        ) -> StoreResult<Vec<Package>> {
            let sql = format!(
                "SELECT {PACKAGE_COLUMNS} FROM packages pk WHERE pk.project_id = $1 \
                 AND pk.package_type = $2 AND pk.name = $3 ORDER BY pk.version, pk.id"
            );
            let rows: Vec<PackageRow> = sqlx::query_as(&sql)
                .bind(project_id)
                .bind(package_type)
                .bind(name)
                .fetch_all(self.reader())
                .await?;
            Ok(rows.into_iter().map(Into::into).collect())
        }

        async fn package_files(
            &self,
            package_id: i64,
            order: PackageFileOrder,
            ascending: bool,
            page: PageRequest,
        ) -> StoreResult<Page<PackageFile>> {
            let column = match order {
                PackageFileOrder::Id => "f.id",
                PackageFileOrder::CreatedAt => "f.created_at",
                PackageFileOrder::FileName => "f.file_name",
            };
            let direction = if ascending { "ASC" } else { "DESC" };
            let sql = format!(
                "SELECT {PACKAGE_FILE_COLUMNS} FROM package_files f \
                 JOIN blobs b ON b.sha256 = f.blob_sha256 WHERE f.package_id = $1 \
                 ORDER BY {column} {direction}, f.id {direction} LIMIT $2 OFFSET $3"
            );
            let rows: Vec<PackageFileRow> = sqlx::query_as(&sql)
                .bind(package_id)
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.reader())
                .await?;
            let total: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM package_files WHERE package_id = $1")
                    .bind(package_id)
                    .fetch_one(self.reader())
                    .await?;
            Ok((rows.into_iter().map(Into::into).collect(), total))
        }

        async fn files_of_packages(&self, package_ids: &[i64]) -> StoreResult<Vec<PackageFile>> {
            if package_ids.is_empty() {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT {PACKAGE_FILE_COLUMNS} FROM package_files f \
                 JOIN blobs b ON b.sha256 = f.blob_sha256 WHERE f.package_id IN {} \
                 ORDER BY f.id",
                placeholders(1, package_ids.len())
            );
            let mut query = sqlx::query_as::<_, PackageFileRow>(&sql);
            for id in package_ids {
                query = query.bind(id);
            }
            Ok(query
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        }

        async fn delete_package(&self, package_id: i64) -> StoreResult<bool> {
            self.write(move |conn| {
                Box::pin(async move {
                    // Files first, so that each file's deletion is audited before the package's.
                    sqlx::query("DELETE FROM package_files WHERE package_id = $1")
                        .bind(package_id)
                        .execute(&mut *conn)
                        .await?;
                    let done = sqlx::query("DELETE FROM packages WHERE id = $1")
                        .bind(package_id)
                        .execute(&mut *conn)
                        .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
        }

        async fn delete_package_file(&self, package_id: i64, file_id: i64) -> StoreResult<bool> {
            self.write_one(move |conn| {
                Box::pin(async move {
                    let done =
                        sqlx::query("DELETE FROM package_files WHERE package_id = $1 AND id = $2")
                            .bind(package_id)
                            .bind(file_id)
                            .execute(&mut *conn)
                            .await?;
                    Ok(done.rows_affected() > 0)
                })
            })
            .await
        }
    };
}

pub(crate) use package_methods;
