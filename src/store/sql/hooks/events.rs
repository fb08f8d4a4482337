//! Webhook events: the outbox rows the triggers of releases and tags write (migration 0013),
//! claimed by senders one hook's oldest at a time, and kept with each attempt's outcome.

/// `Hooks`' methods for events (expanded inside `impl Hooks for $store` by `hooks_impl!`).
macro_rules! event_methods {
    ($store:ty, $db:ty) => {
        async fn claim_hook_events(
            &self,
            now: Micros,
            lease_until: Micros,
            limit: i64,
        ) -> StoreResult<Vec<HookEvent>> {
            // PostgreSQL: instances claiming at once skip each other's rows; a hook's later
            // events wait while its oldest is pending (claimed or not).
            let lock = if <$store as SqlEngine>::FOR_UPDATE.is_empty() {
                ""
            } else {
                " FOR UPDATE OF e SKIP LOCKED"
            };
            // Most of the time nothing is due: a read says so without a write (on the claim's
            // conditions: a disabled hook's waiting events are not due).
            let due: Option<i64> = sqlx::query_scalar(
                "SELECT e.id FROM web_hook_events e JOIN web_hooks h ON h.id = e.hook_id \
                 WHERE e.state = 'pending' AND e.next_attempt_at <= $1 \
                 AND (e.claimed_until IS NULL OR e.claimed_until < $1) \
                 AND (h.recent_failures <= 3 OR (h.disabled_until IS NOT NULL \
                      AND h.disabled_until < $1)) AND h.recent_failures <= 39 \
                 LIMIT 1",
            )
            .bind(now)
            .fetch_optional(self.reader())
            .await?;
            if due.is_none() {
                return Ok(Vec::new());
            }
            self.write(move |conn| {
                Box::pin(async move {
                    let rows: Vec<EventRow> = sqlx::query_as(&format!(
                        "UPDATE web_hook_events SET claimed_until = $2 WHERE id IN (\
                         SELECT e.id FROM web_hook_events e \
                         JOIN web_hooks h ON h.id = e.hook_id \
                         WHERE e.state = 'pending' AND e.next_attempt_at <= $1 \
                         AND (e.claimed_until IS NULL OR e.claimed_until < $1) \
                         AND (h.recent_failures <= 3 OR (h.disabled_until IS NOT NULL \
                              AND h.disabled_until < $1)) AND h.recent_failures <= 39 \
                         AND NOT EXISTS (SELECT 1 FROM web_hook_events o \
                             WHERE o.hook_id = e.hook_id AND o.state = 'pending' \
                             AND o.id < e.id) \
                         ORDER BY e.id LIMIT $3{lock}) RETURNING {EVENT_COLUMNS}"
                    ))
                    .bind(now)
                    .bind(lease_until)
                    .bind(limit)
                    .fetch_all(&mut *conn)
                    .await?;
                    let mut events: Vec<HookEvent> = rows.into_iter().map(Into::into).collect();
                    events.sort_by_key(|event| event.id);
                    Ok(events)
                })
            })
            .await
        }

        async fn record_attempt(&self, event: &HookEvent, attempt: &Attempt) -> StoreResult<()> {
            let (id, hook_id) = (event.id, event.hook_id);
            let attempt = attempt.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE web_hook_events SET payload = NULLIF($2, ''), \
                         idempotency_key = NULLIF($3, ''), \
                         request_headers = $4, response_status = $5, response_headers = $6, \
                         response_body = $7, execution_duration = $8, sent_at = $9, \
                         state = $10, next_attempt_at = $11, attempts = attempts + 1, \
                         claimed_until = NULL WHERE id = $1",
                    )
                    .bind(id)
                    .bind(&attempt.payload)
                    .bind(&attempt.idempotency_key)
                    .bind(&attempt.request_headers)
                    .bind(&attempt.response_status)
                    .bind(&attempt.response_headers)
                    .bind(&attempt.response_body)
                    .bind(attempt.execution_duration)
                    .bind(attempt.sent_at)
                    .bind(attempt.state.as_str())
                    .bind(attempt.next_attempt_at)
                    .execute(&mut *conn)
                    .await?;
                    if let Some(health) = attempt.health {
                        Self::write_health(conn, hook_id, health).await?;
                    }
                    Ok(())
                })
            })
            .await
        }

        async fn record_sent_event(
            &self,
            event: &HookEvent,
            attempt: &Attempt,
        ) -> StoreResult<HookEvent> {
            let event = event.clone();
            let attempt = attempt.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let row: EventRow = sqlx::query_as(&format!(
                        "INSERT INTO web_hook_events (hook_id, trigger, project_id, \
                         subject_id, action, author_id, author_name, snapshot, payload, \
                         idempotency_key, state, attempts, next_attempt_at, request_headers, \
                         response_status, response_headers, response_body, \
                         execution_duration, created_at, sent_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13, \
                         $14, $15, $16, $17, $12, $12) RETURNING {EVENT_COLUMNS}"
                    ))
                    .bind(event.hook_id)
                    .bind(&event.trigger)
                    .bind(event.project_id)
                    .bind(event.subject_id)
                    .bind(&event.action)
                    .bind(event.author_id)
                    .bind(&event.author_name)
                    .bind(&event.snapshot)
                    .bind(&attempt.payload)
                    .bind(&attempt.idempotency_key)
                    .bind(attempt.state.as_str())
                    .bind(attempt.sent_at)
                    .bind(&attempt.request_headers)
                    .bind(&attempt.response_status)
                    .bind(&attempt.response_headers)
                    .bind(&attempt.response_body)
                    .bind(attempt.execution_duration)
                    .fetch_one(&mut *conn)
                    .await?;
                    if let Some(health) = attempt.health {
                        Self::write_health(conn, event.hook_id, health).await?;
                    }
                    Ok(row.into())
                })
            })
            .await
        }

        async fn sweep_hook_events(&self, before: Micros) -> StoreResult<u64> {
            self.write(move |conn| {
                Box::pin(async move {
                    let failed = sqlx::query(
                        "UPDATE web_hook_events SET state = 'failed' WHERE state = 'pending' \
                         AND hook_id IN (SELECT id FROM web_hooks WHERE recent_failures > 39)",
                    )
                    .execute(&mut *conn)
                    .await?;
                    let forgotten = sqlx::query(
                        "DELETE FROM web_hook_events WHERE (state <> 'pending' \
                         AND created_at < $1) \
                         OR NOT EXISTS (SELECT 1 FROM web_hooks h WHERE h.id = hook_id)",
                    )
                    .bind(before)
                    .execute(&mut *conn)
                    .await?;
                    Ok(failed.rows_affected() + forgotten.rows_affected())
                })
            })
            .await
        }

        async fn event_release(
            &self,
            project_id: i64,
            release_id: i64,
        ) -> StoreResult<Option<(Release, Vec<Link>)>> {
            let release: Option<ReleaseRow> = sqlx::query_as(&format!(
                "SELECT {RELEASE_COLUMNS} FROM releases WHERE project_id = $1 AND id = $2"
            ))
            .bind(project_id)
            .bind(release_id)
            .fetch_optional(self.reader())
            .await?;
            let Some(release) = release else {
                return Ok(None);
            };
            let links: Vec<LinkRow> = sqlx::query_as(&format!(
                "SELECT {LINK_COLUMNS} FROM release_links WHERE release_id = $1 \
                 ORDER BY position NULLS LAST, created_at DESC, id DESC"
            ))
            .bind(release_id)
            .fetch_all(self.reader())
            .await?;
            Ok(Some((
                release.into(),
                links.into_iter().map(Into::into).collect(),
            )))
        }

        async fn hook_events(
            &self,
            hook_id: i64,
            filter: &EventFilter,
            page: PageRequest,
        ) -> StoreResult<Page<HookEvent>> {
            // Codes are three digits, so text order is their order.
            let mut any: Vec<String> = Vec::new();
            let mut next = 3;
            if !filter.statuses.is_empty() {
                any.push(format!(
                    "response_status IN {}",
                    placeholders(next, filter.statuses.len())
                ));
                next += filter.statuses.len();
            }
            for (low, high) in &filter.ranges {
                any.push(format!(
                    "(length(response_status) = 3 AND response_status >= '{low}' \
                     AND response_status <= '{high}')"
                ));
            }
            if filter.internal_errors {
                any.push("response_status = 'internal error'".to_owned());
            }
            let condition = if any.is_empty() {
                String::new()
            } else {
                format!(" AND ({})", any.join(" OR "))
            };
            let filter_sql = format!("hook_id = $1 AND created_at >= $2{condition}");
            let rows_sql = format!(
                "SELECT {EVENT_COLUMNS} FROM web_hook_events WHERE {filter_sql} \
                 ORDER BY id DESC LIMIT ${next} OFFSET ${}",
                next + 1
            );
            let count_sql = format!("SELECT COUNT(*) FROM web_hook_events WHERE {filter_sql}");
            let mut rows = sqlx::query_as::<_, EventRow>(&rows_sql)
                .bind(hook_id)
                .bind(filter.since);
            let mut count = sqlx::query_scalar::<_, i64>(&count_sql)
                .bind(hook_id)
                .bind(filter.since);
            for status in &filter.statuses {
                rows = rows.bind(status);
                count = count.bind(status);
            }
            let rows = rows
                .bind(page.limit())
                .bind(page.offset())
                .fetch_all(self.reader())
                .await?;
            let total = count.fetch_one(self.reader()).await?;
            Ok((rows.into_iter().map(Into::into).collect(), total))
        }

        async fn hook_event(&self, hook_id: i64, id: i64) -> StoreResult<Option<HookEvent>> {
            let row: Option<EventRow> = sqlx::query_as(&format!(
                "SELECT {EVENT_COLUMNS} FROM web_hook_events WHERE hook_id = $1 AND id = $2"
            ))
            .bind(hook_id)
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
            Ok(row.map(Into::into))
        }
    };
}

pub(crate) use event_methods;
