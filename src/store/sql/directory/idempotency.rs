//! Idempotency keys (an extension): claimed before a request runs, marked by its writes (the
//! triggers of migration 0011, in the writes' own transactions), and given its answer after.

use crate::store::{IdempotencyKey, KeptAnswer};

/// A key as both engines return it.
#[derive(sqlx::FromRow)]
pub struct IdempotencyKeyRow {
    pub id: i64,
    fingerprint: String,
    status: Option<i32>,
    wrote: bool,
    pub instance: i64,
    pub lease_until: i64,
    headers: Option<String>,
    body: Option<Vec<u8>>,
}

impl IdempotencyKeyRow {
    /// The key as the store hands it out; `live`: whether its claim still holds.
    pub fn existing(self, live: bool) -> IdempotencyKey {
        let status = self.status.and_then(|s| u16::try_from(s).ok());
        let answer = status.filter(|s| *s >= 100).map(|status| KeptAnswer {
            status,
            headers: self
                .headers
                .and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or_default(),
            body: self.body.unwrap_or_default(),
        });
        IdempotencyKey {
            id: self.id,
            fingerprint: self.fingerprint,
            status,
            wrote: self.wrote,
            live,
            answer,
        }
    }
}

/// `Directory`'s methods for idempotency keys (expanded inside `impl Directory for $store` by
/// `directory_impl!`).
macro_rules! idempotency_methods {
    ($store:ty, $db:ty) => {
        async fn claim_idempotency_key(&self, new: &NewIdempotencyKey) -> StoreResult<KeyClaim> {
            let new = new.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    use $crate::domain::idempotency::{self as rules, Verdict};
                    // Keys past their day go as they are met: this one, and a few others.
                    sqlx::query(
                        "DELETE FROM idempotency_keys WHERE id IN (SELECT id \
                         FROM idempotency_keys WHERE expires_at < $1 ORDER BY expires_at \
                         LIMIT 100) OR (user_id = $2 AND idempotency_key = $3 \
                         AND expires_at < $1)",
                    )
                    .bind(new.now)
                    .bind(new.user_id)
                    .bind(&new.key)
                    .execute(&mut *conn)
                    .await?;
                    let claimed: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO idempotency_keys (user_id, idempotency_key, method, path, \
                         fingerprint, created_at, expires_at, instance, lease_until) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) \
                         ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id",
                    )
                    .bind(new.user_id)
                    .bind(&new.key)
                    .bind(&new.method)
                    .bind(&new.path)
                    .bind(&new.fingerprint)
                    .bind(new.now)
                    .bind(new.now + rules::KEPT_FOR_MICROS)
                    .bind(new.instance)
                    .fetch_optional(&mut *conn)
                    .await?;
                    if let Some(id) = claimed {
                        return Ok(KeyClaim::Claimed(id));
                    }
                    let row: Option<$crate::store::sql::directory::idempotency::IdempotencyKeyRow> = sqlx::query_as(
                        "SELECT id, fingerprint, status, wrote, instance, lease_until, headers, \
                         body FROM idempotency_keys WHERE user_id = $1 AND idempotency_key = $2",
                    )
                    .bind(new.user_id)
                    .bind(&new.key)
                    .fetch_optional(&mut *conn)
                    .await?;
                    let Some(row) = row else {
                        // Only a key past its day is ever removed, and this one was not.
                        return Err(StoreError::Vanished(sqlx::Error::RowNotFound));
                    };
                    // Whether the claim still holds: the pins' rule ([`SqlEngine::LIVE_PIN`]),
                    // asked of the claim's lease and instance as if they were a pin's.
                    let live: i64 = sqlx::query_scalar(&format!(
                        "SELECT COUNT(*) FROM (SELECT CAST($1 AS BIGINT) AS expires_at, \
                         CAST($4 AS BIGINT) AS instance) p WHERE {}",
                        <$store as SqlEngine>::LIVE_PIN
                    ))
                    .bind(row.lease_until)
                    .bind(new.now)
                    .bind(new.instance)
                    .bind(row.instance)
                    .fetch_one(&mut *conn)
                    .await?;
                    let (id, instance, lease_until) = (row.id, row.instance, row.lease_until);
                    let existing = row.existing(live > 0);
                    if rules::verdict(&existing.rules(), &new.fingerprint) != Verdict::TakeOver {
                        return Ok(KeyClaim::Taken(existing));
                    }
                    // The claim lapsed without a write or an answer: this request runs in its
                    // place, unless another retry took it over first.
                    let taken_over = sqlx::query(
                        "UPDATE idempotency_keys SET instance = $2, lease_until = $3 \
                         WHERE id = $1 AND status IS NULL AND wrote = FALSE \
                         AND instance = $4 AND lease_until = $5",
                    )
                    .bind(id)
                    .bind(new.instance)
                    .bind(new.now + rules::KEPT_FOR_MICROS)
                    .bind(instance)
                    .bind(lease_until)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                    Ok(if taken_over == 1 {
                        KeyClaim::Claimed(id)
                    } else {
                        KeyClaim::Taken(IdempotencyKey {
                            live: true,
                            ..existing
                        })
                    })
                })
            })
            .await
        }

        async fn finish_idempotency_key(
            &self,
            id: i64,
            answer: Option<&KeptAnswer>,
        ) -> StoreResult<()> {
            let answer = answer.cloned();
            self.write(move |conn| {
                Box::pin(async move {
                    match answer {
                        Some(answer) => {
                            let headers =
                                serde_json::to_string(&answer.headers).unwrap_or_default();
                            sqlx::query(
                                "UPDATE idempotency_keys SET status = $2, headers = $3, \
                                 body = $4, lease_until = 0 WHERE id = $1",
                            )
                            .bind(id)
                            .bind(i32::from(answer.status))
                            .bind(headers)
                            .bind(answer.body)
                            .execute(&mut *conn)
                            .await?;
                        }
                        None => {
                            // Given back when nothing was written; else its answer is lost.
                            sqlx::query("DELETE FROM idempotency_keys WHERE id = $1 AND wrote = FALSE")
                                .bind(id)
                                .execute(&mut *conn)
                                .await?;
                            sqlx::query(
                                "UPDATE idempotency_keys SET status = 0, lease_until = 0 \
                                 WHERE id = $1",
                            )
                            .bind(id)
                            .execute(&mut *conn)
                            .await?;
                        }
                    }
                    Ok(())
                })
            })
            .await
        }

        async fn lapse_idempotency_claim(&self, id: i64, at: Micros) -> StoreResult<()> {
            self.write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE idempotency_keys SET lease_until = $2 \
                         WHERE id = $1 AND status IS NULL AND lease_until > $2",
                    )
                    .bind(id)
                    .bind(at)
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            })
            .await
        }
    };
}

pub(crate) use idempotency_methods;
