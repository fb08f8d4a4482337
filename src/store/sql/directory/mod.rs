//! `Directory` in SQL both engines understand, one file per resource: users, tokens, sessions,
//! namespaces (personal ones and groups), server settings, shared rate-limit counts, audit
//! events and idempotency keys. Each file holds a macro of methods; `directory_impl!` below puts them together into
//! one `impl Directory` per engine, in a module that brings what they use into scope.

pub(crate) mod audit_events;
pub(crate) mod idempotency;
pub(crate) mod namespaces;
pub(crate) mod rate_limits;
pub(crate) mod sessions;
pub(crate) mod settings;
pub(crate) mod tokens;
pub(crate) mod users;

/// Implements `Directory` for an engine's store (`$store`, an
/// [`SqlEngine`](crate::store::sql::engine::SqlEngine) over `$db`) from the methods of each
/// file of this folder.
macro_rules! directory_impl {
    ($store:ty, $db:ty) => {
        #[allow(unused_imports)]
        mod directory_sql {
            use super::*;
            use chrono::NaiveDate;
            use $crate::domain::access::{AccessLevel, Visibility};
            use $crate::domain::link::LinkConflicts;
            use $crate::domain::pagination::PageRequest;
            use $crate::domain::time::{now_micros, Micros};
            use $crate::domain::token::TokenKey;
            use $crate::store::sql::engine::SqlEngine;
            use $crate::store::sql::rows::*;
            use $crate::store::sql::{conflict, like_pattern, placeholders};
            use $crate::store::*;

            $crate::store::sql::directory::namespaces::namespace_helpers!($store, $db);

            impl Directory for $store {
                $crate::store::sql::directory::users::user_methods!($store, $db);
                $crate::store::sql::directory::tokens::token_methods!($store, $db);
                $crate::store::sql::directory::sessions::session_methods!($store, $db);
                $crate::store::sql::directory::namespaces::namespace_methods!($store, $db);
                $crate::store::sql::directory::settings::setting_methods!($store, $db);
                $crate::store::sql::directory::rate_limits::rate_limit_methods!($store, $db);
                $crate::store::sql::directory::audit_events::audit_event_methods!($store, $db);
                $crate::store::sql::directory::idempotency::idempotency_methods!($store, $db);
            }
        }
    };
}

pub(crate) use directory_impl;
