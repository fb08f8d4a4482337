//! Who may do what: GitLab's access levels, visibility, the releases feature setting, protected
//! tags, and the policy that turns them into abilities (GitLab's `ProjectPolicy` and
//! `GroupPolicy`). This is the one place where the permission matrix lives; tests/permissions.rs
//! checks it over HTTP for every caller and endpoint.

use std::fmt;

/// A member's role in a project or group. GitLab's integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccessLevel(pub i64);

impl AccessLevel {
    pub const NO_ACCESS: Self = Self(0);
    pub const GUEST: Self = Self(10);
    pub const REPORTER: Self = Self(20);
    pub const DEVELOPER: Self = Self(30);
    pub const MAINTAINER: Self = Self(40);
    pub const OWNER: Self = Self(50);

    /// The levels a membership may have.
    pub const MEMBER_VALUES: [i64; 5] = [10, 20, 30, 40, 50];

    pub fn member_level(value: i64) -> Option<Self> {
        Self::MEMBER_VALUES.contains(&value).then_some(Self(value))
    }
}

/// Project or group visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Visibility {
    Private,
    Internal,
    Public,
}

impl Visibility {
    pub const VALUES: [&'static str; 3] = ["private", "internal", "public"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "private" => Some(Self::Private),
            "internal" => Some(Self::Internal),
            "public" => Some(Self::Public),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Internal => "internal",
            Self::Public => "public",
        }
    }

    /// GitLab's `visibility_level` integers (0, 10, 20).
    pub fn level(self) -> i64 {
        match self {
            Self::Private => 0,
            Self::Internal => 10,
            Self::Public => 20,
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A project feature's access setting, here the releases feature (`releases_access_level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureAccess {
    Disabled,
    Private,
    Enabled,
}

impl FeatureAccess {
    pub const VALUES: [&'static str; 3] = ["disabled", "private", "enabled"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "disabled" => Some(Self::Disabled),
            "private" => Some(Self::Private),
            "enabled" => Some(Self::Enabled),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Private => "private",
            Self::Enabled => "enabled",
        }
    }
}

/// A protected tag's rule: the name or wildcard pattern, and who may create matching tags
/// (0 no one, 30 developers and maintainers, 40 maintainers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedTagRule {
    pub pattern: String,
    pub create_access_level: AccessLevel,
}

impl ProtectedTagRule {
    /// The allowed `create_access_level` values.
    pub const LEVEL_VALUES: [i64; 3] = [0, 30, 40];

    pub fn level_description(level: AccessLevel) -> &'static str {
        match level.0 {
            0 => "No one",
            30 => "Developers + Maintainers",
            40 => "Maintainers",
            50 => "Owners",
            _ => "Unknown",
        }
    }

    pub fn matches(&self, tag: &str) -> bool {
        wildcard_matches(&self.pattern, tag)
    }
}

/// GitLab's `RefMatcher`: a name without `*` must match exactly; each `*` matches any run of
/// characters, `/` included.
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let pieces: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// What the policy needs to know about the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub signed_in: bool,
    pub admin: bool,
    /// The highest of the caller's project membership and inherited group memberships.
    pub level: Option<AccessLevel>,
}

impl Actor {
    pub const ANONYMOUS: Self = Self {
        signed_in: false,
        admin: false,
        level: None,
    };

    pub fn at_least(&self, level: AccessLevel) -> bool {
        self.level.is_some_and(|l| l >= level)
    }
}

/// What the policy needs to know about the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectSettings {
    pub visibility: Visibility,
    pub releases_access: FeatureAccess,
}

/// The outcome of a policy question, in the HTTP terms GitLab gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The caller may not know the project exists: 404 Project Not Found.
    Hidden,
    Forbidden,
}

/// `read_project`: admins; anyone on public projects; signed-in users on internal ones; members
/// (guest and up) on private ones.
pub fn can_read_project(actor: &Actor, project: &ProjectSettings) -> bool {
    can_see(actor, project.visibility)
}

/// Whether something of this visibility (a project or a group) is visible to the actor.
pub fn can_see(actor: &Actor, visibility: Visibility) -> bool {
    actor.admin
        || match visibility {
            Visibility::Public => true,
            Visibility::Internal => actor.signed_in,
            Visibility::Private => actor.at_least(AccessLevel::GUEST),
        }
}

/// `read_release` on the project. A disabled releases feature stops everyone, administrators
/// included (GitLab's `prevent` wins over `enable`).
pub fn can_read_releases(actor: &Actor, project: &ProjectSettings) -> bool {
    if !can_read_project(actor, project) {
        return false;
    }
    match project.releases_access {
        FeatureAccess::Disabled => false,
        FeatureAccess::Private => actor.admin || actor.at_least(AccessLevel::GUEST),
        FeatureAccess::Enabled => true,
    }
}

/// `read_code` (download code): on private projects reporters and up; elsewhere whoever can read
/// the project. It guards `GET /releases/:tag` and the tag listing.
pub fn can_read_code(actor: &Actor, project: &ProjectSettings) -> bool {
    can_read_project(actor, project)
        && (actor.admin
            || project.visibility != Visibility::Private
            || actor.at_least(AccessLevel::REPORTER))
}

/// One release in full: `GET /releases/:tag_name`, and what leads to one (its permanent links,
/// the latest-release permalinks): reading releases, and reading code (GitLab's
/// `authorize_read_code!` on those routes). Guests of private projects may list releases but
/// not open one.
pub fn can_read_release(actor: &Actor, project: &ProjectSettings) -> bool {
    can_read_releases(actor, project) && can_read_code(actor, project)
}

/// The step of the links request path that decides between 404 and 403 for reading releases.
pub fn read_releases_decision(actor: &Actor, project: &ProjectSettings) -> Decision {
    if !can_read_project(actor, project) {
        Decision::Hidden
    } else if !can_read_releases(actor, project) {
        Decision::Forbidden
    } else {
        Decision::Allow
    }
}

/// `can_create_tag?` for one tag: with matching protected tags, any of them must let the caller
/// in ("No one" stops administrators too); without, developers and up (`admin_tag`).
pub fn can_create_tag(actor: &Actor, tag: &str, rules: &[ProtectedTagRule]) -> bool {
    let matching: Vec<&ProtectedTagRule> = rules.iter().filter(|r| r.matches(tag)).collect();
    if matching.is_empty() {
        return actor.admin || actor.at_least(AccessLevel::DEVELOPER);
    }
    matching.iter().any(|rule| {
        rule.create_access_level != AccessLevel::NO_ACCESS
            && (actor.admin || actor.at_least(rule.create_access_level))
    })
}

/// `create_release` on the project (before any tag is known): developers and up.
pub fn can_write_releases(actor: &Actor, project: &ProjectSettings) -> bool {
    can_read_releases(actor, project) && (actor.admin || actor.at_least(AccessLevel::DEVELOPER))
}

/// `create/update/destroy_release` on a release: the project rule plus the protected-tag rule.
pub fn can_write_release(
    actor: &Actor,
    project: &ProjectSettings,
    tag: &str,
    rules: &[ProtectedTagRule],
) -> bool {
    can_write_releases(actor, project) && can_create_tag(actor, tag, rules)
}

/// Managing a project's settings, members below owner, protected tags: maintainers and up.
pub fn can_admin_project(actor: &Actor) -> bool {
    actor.admin || actor.at_least(AccessLevel::MAINTAINER)
}

/// Deleting a project: owners.
pub fn can_remove_project(actor: &Actor) -> bool {
    actor.admin || actor.at_least(AccessLevel::OWNER)
}

/// Granting or changing a project membership at `level`: maintainers, and only owners may
/// touch owners (`admin_project_member`).
pub fn can_manage_member(actor: &Actor, level: AccessLevel) -> bool {
    actor.admin
        || (actor.at_least(AccessLevel::MAINTAINER)
            && (level < AccessLevel::OWNER || actor.at_least(AccessLevel::OWNER)))
}

/// Granting, changing or removing a group membership: owners only (GitLab's GroupPolicy gives
/// `admin_group_member` to owners, not to maintainers).
pub fn can_manage_group_member(actor: &Actor) -> bool {
    actor.admin || actor.at_least(AccessLevel::OWNER)
}

/// A group's webhooks (GitLab's `admin_group`): owners.
pub fn can_admin_group(actor: &Actor) -> bool {
    actor.admin || actor.at_least(AccessLevel::OWNER)
}

/// Creating a subgroup in a group (`create_subgroup`): maintainers and up.
pub fn can_create_subgroup(actor: &Actor) -> bool {
    actor.admin || actor.at_least(AccessLevel::MAINTAINER)
}

/// Creating a project in a group's namespace (`create_projects`): developers and up.
pub fn can_create_project_in_group(actor: &Actor) -> bool {
    actor.admin || actor.at_least(AccessLevel::DEVELOPER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(level: i64) -> Actor {
        Actor {
            signed_in: true,
            admin: false,
            level: Some(AccessLevel(level)),
        }
    }

    const STRANGER: Actor = Actor {
        signed_in: true,
        admin: false,
        level: None,
    };
    const ADMIN: Actor = Actor {
        signed_in: true,
        admin: true,
        level: None,
    };

    fn project(visibility: Visibility, releases_access: FeatureAccess) -> ProjectSettings {
        ProjectSettings {
            visibility,
            releases_access,
        }
    }

    #[test]
    fn who_creates_in_a_group() {
        assert!(can_create_subgroup(&member(40)) && !can_create_subgroup(&member(30)));
        assert!(can_create_project_in_group(&member(30)));
        assert!(!can_create_project_in_group(&member(20)));
        assert!(can_create_subgroup(&ADMIN) && can_create_project_in_group(&ADMIN));
        assert!(!can_create_project_in_group(&STRANGER));
    }

    #[test]
    fn guests_of_private_projects_list_releases_but_open_none() {
        let private = project(Visibility::Private, FeatureAccess::Enabled);
        assert!(can_read_releases(&member(10), &private));
        assert!(!can_read_release(&member(10), &private));
        assert!(can_read_release(&member(20), &private));
        let public = project(Visibility::Public, FeatureAccess::Enabled);
        assert!(can_read_release(&Actor::ANONYMOUS, &public));
        let members_only = project(Visibility::Public, FeatureAccess::Private);
        assert!(!can_read_release(&STRANGER, &members_only));
        assert!(can_read_release(&member(10), &members_only));
        assert!(can_read_release(&ADMIN, &private));
    }

    #[test]
    fn wildcards_match_like_gitlabs_ref_matcher() {
        assert!(wildcard_matches("*", "v1.0"));
        assert!(wildcard_matches("v*", "v1.0"));
        assert!(wildcard_matches("release-*-stable", "release-1.2-stable"));
        assert!(wildcard_matches("*-stable", "release/1-stable"));
        assert!(!wildcard_matches("v*", "x1"));
        assert!(!wildcard_matches("v1", "v1.0"));
        assert!(wildcard_matches("v1.0", "v1.0"));
        assert!(!wildcard_matches("a*a", "a"));
    }

    #[test]
    fn private_projects_are_hidden_from_strangers() {
        let private = project(Visibility::Private, FeatureAccess::Enabled);
        assert_eq!(
            read_releases_decision(&Actor::ANONYMOUS, &private),
            Decision::Hidden
        );
        assert_eq!(
            read_releases_decision(&STRANGER, &private),
            Decision::Hidden
        );
        assert_eq!(
            read_releases_decision(&member(10), &private),
            Decision::Allow
        );
        assert_eq!(read_releases_decision(&ADMIN, &private), Decision::Allow);
    }

    #[test]
    fn members_only_releases_forbid_outsiders_of_public_projects() {
        let public = project(Visibility::Public, FeatureAccess::Private);
        assert_eq!(
            read_releases_decision(&Actor::ANONYMOUS, &public),
            Decision::Forbidden
        );
        assert_eq!(
            read_releases_decision(&member(10), &public),
            Decision::Allow
        );
        let disabled = project(Visibility::Public, FeatureAccess::Disabled);
        assert_eq!(
            read_releases_decision(&ADMIN, &disabled),
            Decision::Forbidden
        );
    }

    #[test]
    fn protected_tags_gate_developers_and_maintainers() {
        let p = project(Visibility::Private, FeatureAccess::Enabled);
        let maintainers = [ProtectedTagRule {
            pattern: "v*".into(),
            create_access_level: AccessLevel(40),
        }];
        assert!(!can_write_release(&member(30), &p, "v1", &maintainers));
        assert!(can_write_release(&member(40), &p, "v1", &maintainers));
        assert!(can_write_release(&member(30), &p, "x1", &maintainers));
        let no_one = [ProtectedTagRule {
            pattern: "*".into(),
            create_access_level: AccessLevel(0),
        }];
        assert!(!can_write_release(&member(50), &p, "v1", &no_one));
        assert!(!can_write_release(&ADMIN, &p, "v1", &no_one));
        assert!(!can_write_release(&member(20), &p, "x1", &[]));
    }
}
