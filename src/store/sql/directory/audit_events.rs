//! Audit events, as the database's triggers wrote them: listed newest first, or one by id.

/// `Directory`'s methods for audit events (expanded inside `impl Directory for $store` by
/// `directory_impl!`).
macro_rules! audit_event_methods {
    ($store:ty, $db:ty) => {
        async fn audit_events(
            &self,
            filter: &AuditFilter,
            page: PageRequest,
        ) -> StoreResult<Page<AuditEvent>> {
            let condition = "(CAST($1 AS BIGINT) IS NULL OR created_at >= $1) \
                             AND (CAST($2 AS BIGINT) IS NULL OR created_at <= $2) \
                             AND (CAST($3 AS TEXT) IS NULL OR entity_type = $3) \
                             AND (CAST($4 AS BIGINT) IS NULL OR entity_id = $4)";
            let total: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM audit_events WHERE {condition}"
            ))
            .bind(filter.created_after)
            .bind(filter.created_before)
            .bind(&filter.entity_type)
            .bind(filter.entity_id)
            .fetch_one(self.reader())
            .await?;
            let rows: Vec<AuditRow> = sqlx::query_as(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE {condition} \
                 ORDER BY id DESC LIMIT $5 OFFSET $6"
            ))
            .bind(filter.created_after)
            .bind(filter.created_before)
            .bind(&filter.entity_type)
            .bind(filter.entity_id)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(self.reader())
            .await?;
            Ok((rows.into_iter().map(Into::into).collect(), total))
        }

        async fn audit_event(&self, id: i64) -> StoreResult<Option<AuditEvent>> {
            let row: Option<AuditRow> = sqlx::query_as(&format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
            Ok(row.map(Into::into))
        }
    };
}

pub(crate) use audit_event_methods;
