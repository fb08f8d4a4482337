//! What a project's release settings decide (extensions; unset, relinks is GitLab): which
//! release the latest permalinks lead to, and which releases are immutable.

use super::time::Micros;

/// How "latest" is chosen: GitLab's newest `released_at`, or the highest semantic version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatestOrder {
    ReleasedAt,
    Semver,
}

impl LatestOrder {
    pub const VALUES: [&'static str; 2] = ["released_at", "semver"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "released_at" => Some(Self::ReleasedAt),
            "semver" => Some(Self::Semver),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReleasedAt => "released_at",
            Self::Semver => "semver",
        }
    }
}

/// Which releases the latest permalinks consider when a channel is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Semantic versions without a pre-release part.
    Stable,
    /// Every semantic version.
    Prerelease,
}

impl Channel {
    pub const VALUES: [&'static str; 2] = ["stable", "prerelease"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "stable" => Some(Self::Stable),
            "prerelease" => Some(Self::Prerelease),
            _ => None,
        }
    }
}

/// What the latest permalinks look for: the order, and the channel when one is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatestPick {
    pub order: LatestOrder,
    pub channel: Option<Channel>,
}

impl LatestPick {
    /// The request's `order_by` over the project's setting over GitLab's `released_at`; a
    /// channel only narrows the releases considered.
    pub fn new(
        asked: Option<LatestOrder>,
        channel: Option<Channel>,
        project: Option<LatestOrder>,
    ) -> Self {
        Self {
            order: asked.or(project).unwrap_or(LatestOrder::ReleasedAt),
            channel,
        }
    }
}

/// A release of a project with immutable releases is immutable once published: from its
/// `released_at` on. An upcoming one stays editable until then.
pub fn is_immutable(project_immutable: bool, released_at: Micros, now: Micros) -> bool {
    project_immutable && released_at <= now
}

/// The message of a write refused on an immutable release (403, as GitHub refuses it).
pub fn immutable_message(tag: &str) -> String {
    format!("403 Forbidden - Release {tag} is immutable")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_wins_over_the_project_setting_over_released_at() {
        let pick = LatestPick::new(
            Some(LatestOrder::ReleasedAt),
            Some(Channel::Stable),
            Some(LatestOrder::Semver),
        );
        assert_eq!(pick.order, LatestOrder::ReleasedAt);
        assert_eq!(pick.channel, Some(Channel::Stable));
        assert_eq!(
            LatestPick::new(None, None, Some(LatestOrder::Semver)).order,
            LatestOrder::Semver
        );
        assert_eq!(
            LatestPick::new(None, Some(Channel::Stable), None).order,
            LatestOrder::ReleasedAt
        );
    }

    #[test]
    fn releases_are_immutable_once_published() {
        assert!(is_immutable(true, 10, 10));
        assert!(!is_immutable(true, 11, 10));
        assert!(!is_immutable(false, 1, 10));
    }
}
