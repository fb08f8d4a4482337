//! Memberships of projects and groups, and the roles they grant on a day.

use chrono::NaiveDate;

use super::User;
use crate::domain::access::AccessLevel;
use crate::domain::membership::{self, Grant};
use crate::domain::time::Micros;

/// Where a membership lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberSource {
    Project(i64),
    Group(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub access_level: AccessLevel,
    pub expires_at: Option<NaiveDate>,
    pub created_at: Micros,
}

/// A user's memberships that bear on one project, as stored: which of them count depends on
/// the day ([`MemberGrants::on`]), so this, not a decision, is what may be kept between requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberGrants {
    pub project: Option<Grant>,
    /// In the project's group and each of its ancestors.
    pub groups: Vec<Grant>,
}

impl MemberGrants {
    /// The roles these memberships grant on `day`: expired ones grant nothing.
    pub fn on(&self, day: NaiveDate) -> MemberLevels {
        MemberLevels {
            project: self.project.and_then(|g| g.level_on(day)),
            group: membership::strongest(&self.groups, day),
        }
    }
}

/// A user's roles in one project on one day, from the memberships in force then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberLevels {
    pub project: Option<AccessLevel>,
    /// The highest membership in the project's group or any of its ancestors.
    pub group: Option<AccessLevel>,
}

impl MemberLevels {
    pub fn effective(&self) -> Option<AccessLevel> {
        self.project.max(self.group)
    }
}
