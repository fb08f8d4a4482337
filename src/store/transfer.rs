//! Moving a whole instance between databases (`relinks copy`): every table, row by row, ids
//! kept, so that every URL and token keeps working. Each engine reads a consistent snapshot
//! ([`Snapshot`]) and writes everything in one transaction ([`Loader`]): a copy that fails
//! leaves the target as empty as it found it, and can simply be run again.

use std::future::Future;

use super::StoreResult;

/// A column's type, as both engines can bind and read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Bool,
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

/// A table as the copy sees it: the same name and columns on every engine.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// The order rows are read in (the primary key).
    pub order_by: &'static str,
    /// Whether `id` is generated, so that the target's generator must move past copied ids.
    pub identity: bool,
}

use Kind::{Bool, Int, Text};

/// Every table that is copied, parents before children. The others are in [`NOT_COPIED`].
pub const TABLES: [Table; 20] = [
    Table {
        name: "users",
        columns: &[
            ("id", Int),
            ("username", Text),
            ("name", Text),
            ("email", Text),
            ("is_admin", Bool),
            ("state", Text),
            ("created_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "namespaces",
        columns: &[
            ("id", Int),
            ("kind", Text),
            ("name", Text),
            ("path", Text),
            ("full_path", Text),
            ("full_name", Text),
            ("parent_id", Int),
            ("traversal_ids", Text),
            ("owner_id", Int),
            ("visibility", Text),
            ("description", Text),
            ("created_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "projects",
        columns: &[
            ("id", Int),
            ("namespace_id", Int),
            ("name", Text),
            ("path", Text),
            ("description", Text),
            ("visibility", Text),
            ("releases_access_level", Text),
            ("releases_latest_order", Text),
            ("releases_immutable", Bool),
            ("creator_id", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "redirect_routes",
        columns: &[("path", Text), ("project_id", Int), ("created_at", Int)],
        order_by: "path",
        identity: false,
    },
    Table {
        name: "project_members",
        columns: &[
            ("project_id", Int),
            ("user_id", Int),
            ("access_level", Int),
            ("expires_at", Text),
            ("created_at", Int),
        ],
        order_by: "project_id, user_id",
        identity: false,
    },
    Table {
        name: "group_members",
        columns: &[
            ("namespace_id", Int),
            ("user_id", Int),
            ("access_level", Int),
            ("expires_at", Text),
            ("created_at", Int),
        ],
        order_by: "namespace_id, user_id",
        identity: false,
    },
    Table {
        name: "personal_access_tokens",
        columns: &[
            ("id", Int),
            ("user_id", Int),
            ("name", Text),
            ("digest", Text),
            ("scopes", Text),
            ("expires_at", Text),
            ("revoked", Bool),
            ("created_at", Int),
            ("last_used_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "job_tokens",
        columns: &[
            ("id", Int),
            ("digest", Text),
            ("project_id", Int),
            ("user_id", Int),
            ("expires_at", Int),
            ("created_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "protected_tags",
        columns: &[
            ("id", Int),
            ("project_id", Int),
            ("name", Text),
            ("create_access_level", Int),
            ("created_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "tags",
        columns: &[
            ("id", Int),
            ("project_id", Int),
            ("name", Text),
            ("target", Text),
            ("message", Text),
            ("created_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "releases",
        columns: &[
            ("id", Int),
            ("project_id", Int),
            ("tag", Text),
            ("name", Text),
            ("description", Text),
            ("author_id", Int),
            ("sha", Text),
            ("released_at", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("version_key", Text),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "release_links",
        columns: &[
            ("id", Int),
            ("release_id", Int),
            ("name", Text),
            ("url", Text),
            ("filepath", Text),
            ("link_type", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("position", Int),
            ("digest", Text),
            ("size", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "link_filepath_aliases",
        columns: &[
            ("release_id", Int),
            ("filepath", Text),
            ("link_id", Int),
            ("created_at", Int),
        ],
        order_by: "release_id, filepath",
        identity: false,
    },
    Table {
        name: "blobs",
        columns: &[
            ("sha256", Text),
            ("size", Int),
            ("sha1", Text),
            ("md5", Text),
            ("deleting", Bool),
            ("created_at", Int),
        ],
        order_by: "sha256",
        identity: false,
    },
    Table {
        name: "packages",
        columns: &[
            ("id", Int),
            ("project_id", Int),
            ("name", Text),
            ("version", Text),
            ("package_type", Text),
            ("status", Text),
            ("creator_id", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("last_downloaded_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "package_files",
        columns: &[
            ("id", Int),
            ("package_id", Int),
            ("project_id", Int),
            ("file_name", Text),
            ("blob_sha256", Text),
            ("size", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "uploads",
        columns: &[
            ("id", Int),
            ("project_id", Int),
            ("secret", Text),
            ("filename", Text),
            ("blob_sha256", Text),
            ("size", Int),
            ("uploaded_by_id", Int),
            ("created_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "audit_events",
        columns: &[
            ("id", Int),
            ("created_at", Int),
            ("author_id", Int),
            ("author_name", Text),
            ("ip_address", Text),
            ("request_id", Text),
            ("entity_type", Text),
            ("entity_id", Int),
            ("target_type", Text),
            ("target_id", Int),
            ("event_name", Text),
            ("old_value", Text),
            ("new_value", Text),
        ],
        order_by: "id",
        identity: true,
    },
    Table {
        name: "download_counts",
        columns: &[
            ("subject_type", Text),
            ("subject_id", Int),
            ("day", Int),
            ("count", Int),
        ],
        order_by: "subject_type, subject_id, day",
        identity: false,
    },
    Table {
        name: "web_hooks",
        columns: &[
            ("id", Int),
            ("project_id", Int),
            ("group_id", Int),
            ("url", Text),
            ("name", Text),
            ("description", Text),
            ("token", Text),
            ("signing_token", Text),
            ("url_variables", Text),
            ("custom_headers", Text),
            ("releases_events", Bool),
            ("tag_push_events", Bool),
            ("other_events", Text),
            ("enable_ssl_verification", Bool),
            ("push_events_branch_filter", Text),
            ("branch_filter_strategy", Text),
            ("custom_webhook_template", Text),
            ("recent_failures", Int),
            ("disabled_until", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
        order_by: "id",
        identity: true,
    },
];

/// A table of the schema that `relinks copy` leaves out on purpose.
#[derive(Debug)]
pub struct NotCopied {
    pub name: &'static str,
    /// Why the target is as good without its rows.
    pub reason: &'static str,
}

/// The tables `relinks copy` leaves out, and why. Every table of each engine's schema is in
/// [`TABLES`] or here, and every column of a copied table is in its `columns`:
/// `tests/schema_tables.rs` checks both engines, so a table or column added by a migration
/// fails a test until the copy knows what to do with it.
pub const NOT_COPIED: [NotCopied; 9] = [
    NotCopied {
        name: "blob_pins",
        reason: "uploads in flight on the source: none is acknowledged, so none is owed",
    },
    NotCopied {
        name: "sessions",
        reason: "browser sessions: people sign in again on the new instance",
    },
    NotCopied {
        name: "server_settings",
        reason: "`relinks copy` carries what matters itself, after the rows: the key for token \
                 digests (or checks that the target has the same) and the form the digests are \
                 stored in",
    },
    NotCopied {
        name: "rate_limit_counts",
        reason: "counts of the last minute or two, shared by running instances: they start \
                 again from zero",
    },
    NotCopied {
        name: "audit_context",
        reason: "SQLite only: the one row telling the audit triggers who is writing, made by \
                 its migration and set before each write",
    },
    NotCopied {
        name: "release_link_counts",
        reason: "each release's number of links, kept by the triggers of release_links: they \
                 count the links again as the copy loads them",
    },
    NotCopied {
        name: "idempotency_keys",
        reason: "answers kept for a day for clients retrying a request: a retry reaching the \
                 new instance runs as a new request (the checks of its write still apply)",
    },
    NotCopied {
        name: "web_hook_events",
        reason: "the source's webhook outbox and its record of deliveries: the hooks are \
                 copied (their secrets open under the same key), and their next events are \
                 the target's; events still pending on the source are sent by the source",
    },
    NotCopied {
        name: "cache_generations",
        reason: "the generations of the running instances' read caches: the target's own row \
                 starts them, and every loaded row moves them on",
    },
];

impl Table {
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// An engine that can be copied from and to.
pub trait Transfer {
    type Snapshot: Snapshot + Send;
    type Loader: Loader + Send;

    /// A read-only, consistent view of the whole database.
    fn snapshot(&self) -> impl Future<Output = StoreResult<Self::Snapshot>> + Send;
    /// One write transaction covering the whole copy.
    fn loader(&self) -> impl Future<Output = StoreResult<Self::Loader>> + Send;
}

pub trait Snapshot {
    fn count(&mut self, table: &Table) -> impl Future<Output = StoreResult<i64>> + Send;
    /// The id the source would give the table's next row: deleted ids stay used after a copy.
    fn next_id(&mut self, table: &Table) -> impl Future<Output = StoreResult<i64>> + Send;
    fn read(
        &mut self,
        table: &Table,
        offset: i64,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<Vec<Cell>>>> + Send;
}

pub trait Loader {
    fn count(&mut self, table: &Table) -> impl Future<Output = StoreResult<i64>> + Send;
    fn insert(
        &mut self,
        table: &Table,
        rows: &[Vec<Cell>],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Makes the table's next generated id `next`.
    fn set_next_id(
        &mut self,
        table: &Table,
        next: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn commit(self) -> impl Future<Output = StoreResult<()>> + Send;
}
