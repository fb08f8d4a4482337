//! The unique rules of the schema, by name: what [`StoreError::Conflict`](super::StoreError)
//! says was hit. Each rule is a named unique index, with the same name on both engines (or a
//! primary key that is a rule of its own: one membership per user and project or group), so a
//! violation is told apart by the name the database reports, in [`Constraint::reported`] and
//! nowhere else.

use std::fmt;

/// A unique rule of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Constraint {
    /// A username, case-insensitively.
    Username,
    /// An email address, case-insensitively.
    Email,
    /// A namespace's full path (users' and groups' share one path space), case-insensitively.
    NamespacePath,
    /// One personal namespace per user.
    UserNamespace,
    /// A project's path within its namespace, case-insensitively.
    ProjectPath,
    /// A project's name within its namespace.
    ProjectName,
    /// An old path of a renamed project, case-insensitively.
    RedirectPath,
    /// One membership per user and project.
    ProjectMember,
    /// One membership per user and group.
    GroupMember,
    /// A personal access token's digest.
    PersonalTokenDigest,
    /// A job token's digest.
    JobTokenDigest,
    /// A browser session's digest.
    SessionDigest,
    /// A protected tag's name (or wildcard) within its project.
    ProtectedTagName,
    /// A tag's name within its project.
    TagName,
    /// One release per tag of a project.
    ReleaseTag,
    /// A link's name within its release.
    LinkName,
    /// A link's URL within its release.
    LinkUrl,
    /// A link's filepath within its release.
    LinkFilepath,
    /// An old filepath within a release, leading to one link.
    LinkFilepathAlias,
}

impl Constraint {
    /// Every rule, in schema order.
    pub const ALL: [Constraint; 19] = [
        Self::Username,
        Self::Email,
        Self::NamespacePath,
        Self::UserNamespace,
        Self::ProjectPath,
        Self::ProjectName,
        Self::RedirectPath,
        Self::ProjectMember,
        Self::GroupMember,
        Self::PersonalTokenDigest,
        Self::JobTokenDigest,
        Self::SessionDigest,
        Self::ProtectedTagName,
        Self::TagName,
        Self::ReleaseTag,
        Self::LinkName,
        Self::LinkUrl,
        Self::LinkFilepath,
        Self::LinkFilepathAlias,
    ];

    /// The index that keeps the rule, as the migrations name it (PostgreSQL's name for a
    /// primary key: `{table}_pkey`).
    pub fn index(self) -> &'static str {
        self.names().0
    }

    /// How SQLite's message (`UNIQUE constraint failed: …`) names the rule: `index '…'` for an
    /// index on expressions (`lower(…)`), else the indexed columns as `table.column, …`.
    pub fn sqlite_name(self) -> &'static str {
        self.names().1
    }

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Self::Username => ("users_username_unique", "index 'users_username_unique'"),
            Self::Email => ("users_email_unique", "index 'users_email_unique'"),
            Self::NamespacePath => (
                "namespaces_full_path_unique",
                "index 'namespaces_full_path_unique'",
            ),
            Self::UserNamespace => ("namespaces_owner", "namespaces.owner_id"),
            Self::ProjectPath => ("projects_path_unique", "index 'projects_path_unique'"),
            Self::ProjectName => (
                "projects_name_unique",
                "projects.namespace_id, projects.name",
            ),
            Self::RedirectPath => (
                "redirect_routes_path_unique",
                "index 'redirect_routes_path_unique'",
            ),
            Self::ProjectMember => (
                "project_members_pkey",
                "project_members.project_id, project_members.user_id",
            ),
            Self::GroupMember => (
                "group_members_pkey",
                "group_members.namespace_id, group_members.user_id",
            ),
            Self::PersonalTokenDigest => (
                "personal_access_tokens_digest_unique",
                "personal_access_tokens.digest",
            ),
            Self::JobTokenDigest => ("job_tokens_digest_unique", "job_tokens.digest"),
            Self::SessionDigest => ("sessions_digest_unique", "sessions.digest"),
            Self::ProtectedTagName => (
                "protected_tags_name_unique",
                "protected_tags.project_id, protected_tags.name",
            ),
            Self::TagName => ("tags_name_unique", "tags.project_id, tags.name"),
            Self::ReleaseTag => ("releases_tag_unique", "releases.project_id, releases.tag"),
            Self::LinkName => (
                "release_links_name_unique",
                "release_links.release_id, release_links.name",
            ),
            Self::LinkUrl => (
                "release_links_url_unique",
                "release_links.release_id, release_links.url",
            ),
            Self::LinkFilepath => (
                "release_links_filepath_unique",
                "release_links.release_id, release_links.filepath",
            ),
            Self::LinkFilepathAlias => (
                "link_filepath_aliases_unique",
                "link_filepath_aliases.release_id, link_filepath_aliases.filepath",
            ),
        }
    }

    /// The rule a unique violation names: PostgreSQL reports the index (`constraint_name`),
    /// SQLite only a message, `UNIQUE constraint failed: ` and then [`Self::sqlite_name`].
    /// `None` for a name no rule has.
    pub fn reported(name: &str) -> Option<Self> {
        match name.strip_prefix("UNIQUE constraint failed: ") {
            Some(sqlite) => Self::ALL.into_iter().find(|c| c.sqlite_name() == sqlite),
            None => Self::ALL.into_iter().find(|c| c.index() == name),
        }
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.index())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_is_found_by_both_names_and_no_two_share_one() {
        for rule in Constraint::ALL {
            assert_eq!(Constraint::reported(rule.index()), Some(rule));
            let message = format!("UNIQUE constraint failed: {}", rule.sqlite_name());
            assert_eq!(Constraint::reported(&message), Some(rule));
        }
        assert_eq!(Constraint::reported("users_pkey"), None);
        assert_eq!(
            Constraint::reported("UNIQUE constraint failed: users.id"),
            None
        );
    }
}
