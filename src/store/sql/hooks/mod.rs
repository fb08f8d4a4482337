//! `Hooks` in SQL both engines understand: hooks here, their events (the outbox and the record
//! of each sending) in `events.rs`. `hooks_impl!` puts them into one `impl Hooks` per engine.

pub(crate) mod events;
pub mod rows;

use crate::store::HookOwner;

/// The column a hook's owner is kept in, and its id.
pub fn owner_column(owner: HookOwner) -> (&'static str, i64) {
    match owner {
        HookOwner::Project(id) => ("project_id", id),
        HookOwner::Group(id) => ("group_id", id),
    }
}

/// Binds a hook's settings, in the order of `web_hooks`' columns from `url` to
/// `custom_webhook_template`.
macro_rules! bind_settings {
    ($query:expr, $settings:expr) => {
        $query
            .bind(&$settings.url)
            .bind(&$settings.name)
            .bind(&$settings.description)
            .bind(&$settings.token)
            .bind(&$settings.signing_token)
            .bind(&$settings.url_variables)
            .bind(&$settings.custom_headers)
            .bind($settings.releases_events)
            .bind($settings.tag_push_events)
            .bind(&$settings.other_events)
            .bind($settings.enable_ssl_verification)
            .bind(&$settings.push_events_branch_filter)
            .bind(&$settings.branch_filter_strategy)
            .bind(&$settings.custom_webhook_template)
    };
}

pub(crate) use bind_settings;

/// Writing a hook's health in a write (expanded in the module of `hooks_impl!`).
macro_rules! hook_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn write_health(
                conn: &mut <$db as sqlx::Database>::Connection,
                hook_id: i64,
                health: HookHealth,
            ) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE web_hooks SET recent_failures = $2, disabled_until = $3 \
                     WHERE id = $1",
                )
                .bind(hook_id)
                .bind(i64::from(health.recent_failures))
                .bind(health.disabled_until)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use hook_helpers;

/// `Hooks`' methods for hooks themselves (expanded inside `impl Hooks for $store` by
/// `hooks_impl!`).
macro_rules! hook_methods {
    ($store:ty, $db:ty) => {
        async fn create_hook(
            &self,
            owner: HookOwner,
            settings: &HookSettings,
        ) -> StoreResult<WebHook> {
            let settings = settings.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let (column, owner_id) = owner_column(owner);
                    let sql = format!(
                        "INSERT INTO web_hooks ({column}, url, name, description, token, \
                         signing_token, url_variables, custom_headers, releases_events, \
                         tag_push_events, other_events, enable_ssl_verification, \
                         push_events_branch_filter, branch_filter_strategy, \
                         custom_webhook_template, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                         $15, $16, $16) RETURNING {HOOK_COLUMNS}"
                    );
                    let query = sqlx::query_as(&sql).bind(owner_id);
                    let row: HookRow = bind_settings!(query, settings)
                        .bind(now_micros())
                        .fetch_one(&mut *conn)
                        .await?;
                    Ok(row.into())
                })
            })
            .await
        }

        async fn hook(&self, owner: HookOwner, id: i64) -> StoreResult<Option<WebHook>> {
            let (column, owner_id) = owner_column(owner);
            let row: Option<HookRow> = sqlx::query_as(&format!(
                "SELECT {HOOK_COLUMNS} FROM web_hooks WHERE {column} = $1 AND id = $2"
            ))
            .bind(owner_id)
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
            Ok(row.map(Into::into))
        }

        async fn hook_by_id(&self, id: i64) -> StoreResult<Option<WebHook>> {
            let row: Option<HookRow> = sqlx::query_as(&format!(
                "SELECT {HOOK_COLUMNS} FROM web_hooks WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
            Ok(row.map(Into::into))
        }

        async fn hooks(&self, owner: HookOwner, page: PageRequest) -> StoreResult<Page<WebHook>> {
            let (column, owner_id) = owner_column(owner);
            let rows: Vec<HookRow> = sqlx::query_as(&format!(
                "SELECT {HOOK_COLUMNS} FROM web_hooks WHERE {column} = $1 \
                 ORDER BY id LIMIT $2 OFFSET $3"
            ))
            .bind(owner_id)
            .bind(page.limit())
            .bind(page.offset())
            .fetch_all(self.reader())
            .await?;
            let total: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM web_hooks WHERE {column} = $1"
            ))
            .bind(owner_id)
            .fetch_one(self.reader())
            .await?;
            Ok((rows.into_iter().map(Into::into).collect(), total))
        }

        async fn update_hook(
            &self,
            owner: HookOwner,
            id: i64,
            settings: &HookSettings,
        ) -> StoreResult<Option<WebHook>> {
            let settings = settings.clone();
            self.write(move |conn| {
                Box::pin(async move {
                    let (column, owner_id) = owner_column(owner);
                    let sql = format!(
                        "UPDATE web_hooks SET url = $3, name = $4, description = $5, \
                         token = $6, signing_token = $7, url_variables = $8, \
                         custom_headers = $9, releases_events = $10, tag_push_events = $11, \
                         other_events = $12, enable_ssl_verification = $13, \
                         push_events_branch_filter = $14, branch_filter_strategy = $15, \
                         custom_webhook_template = $16, updated_at = $17 \
                         WHERE {column} = $1 AND id = $2 RETURNING {HOOK_COLUMNS}"
                    );
                    let query = sqlx::query_as(&sql).bind(owner_id).bind(id);
                    let row: Option<HookRow> = bind_settings!(query, settings)
                        .bind(now_micros())
                        .fetch_optional(&mut *conn)
                        .await?;
                    Ok(row.map(Into::into))
                })
            })
            .await
        }

        async fn delete_hook(&self, owner: HookOwner, id: i64) -> StoreResult<bool> {
            self.write(move |conn| {
                Box::pin(async move {
                    let (column, owner_id) = owner_column(owner);
                    let done = sqlx::query(&format!(
                        "DELETE FROM web_hooks WHERE {column} = $1 AND id = $2"
                    ))
                    .bind(owner_id)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                    if done.rows_affected() == 0 {
                        return Ok(false);
                    }
                    sqlx::query("DELETE FROM web_hook_events WHERE hook_id = $1")
                        .bind(id)
                        .execute(&mut *conn)
                        .await?;
                    Ok(true)
                })
            })
            .await
        }

        async fn set_hook_health(&self, id: i64, health: HookHealth) -> StoreResult<()> {
            self.write(move |conn| Box::pin(Self::write_health(conn, id, health)))
                .await
        }
    };
}

pub(crate) use hook_methods;

/// Implements `Hooks` for an engine's store from the methods of this file and `events.rs`.
macro_rules! hooks_impl {
    ($store:ty, $db:ty) => {
        #[allow(unused_imports)]
        mod hooks_sql {
            use super::*;
            use $crate::domain::pagination::PageRequest;
            use $crate::domain::time::{now_micros, Micros};
            use $crate::domain::webhooks::HookHealth;
            use $crate::store::sql::engine::SqlEngine;
            use $crate::store::sql::hooks::rows::*;
            use $crate::store::sql::hooks::{bind_settings, owner_column};
            use $crate::store::sql::placeholders;
            use $crate::store::sql::rows::{LinkRow, ReleaseRow, LINK_COLUMNS, RELEASE_COLUMNS};
            use $crate::store::*;

            $crate::store::sql::hooks::hook_helpers!($store, $db);

            impl Hooks for $store {
                $crate::store::sql::hooks::hook_methods!($store, $db);
                $crate::store::sql::hooks::events::event_methods!($store, $db);
            }
        }
    };
}

pub(crate) use hooks_impl;
