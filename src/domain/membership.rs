//! When a membership counts: GitLab's member expiry. A membership with an `expires_at` grants its
//! role up to the day before that date and nothing from that day on; one without never expires.
//! GitLab's `expired` scope is `expires_at <= now` on a date column and its `not_expired` is
//! `expires_at > today`, so a membership ending today is over today (its daily purge deletes it
//! at 00:10). Days are UTC days, as [`super::time::today`] gives them.
//!
//! This is the one statement of the rule: the store hands out memberships with their dates and
//! everything that grants access asks [`in_force`] (the project listing, filtered and counted in
//! the database, says the same in SQL beside its call to this module).

use chrono::NaiveDate;

use super::access::AccessLevel;

/// GitLab's message for an `expires_at` before today (`FutureDateValidator`).
pub const PAST_EXPIRY: &str = "cannot be a date in the past";

/// One membership as stored: its role and the day it ends, if it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub level: AccessLevel,
    pub expires_at: Option<NaiveDate>,
}

impl Grant {
    /// The role this membership grants on `day`, if it is in force then.
    pub fn level_on(&self, day: NaiveDate) -> Option<AccessLevel> {
        in_force(self.expires_at, day).then_some(self.level)
    }
}

/// How GitLab shows one user's memberships of a project as one (`MembersFinder`): the project's
/// own membership when there is one, else the strongest group membership; its level is the
/// user's effective role, the strongest in force on `day` (the shown row's own when none is).
/// `memberships` are `(grant, direct)`; returns the index of the one shown and the level.
pub fn effective(memberships: &[(Grant, bool)], day: NaiveDate) -> Option<(usize, AccessLevel)> {
    let shown = memberships
        .iter()
        .enumerate()
        .max_by_key(|(_, (grant, direct))| (*direct, grant.level))
        .map(|(at, _)| at)?;
    let grants: Vec<Grant> = memberships.iter().map(|(grant, _)| *grant).collect();
    let level = strongest(&grants, day).unwrap_or(memberships[shown].0.level);
    Some((shown, level))
}

/// Whether a membership ending on `expires_at` (never, when `None`) is in force on `day`.
pub fn in_force(expires_at: Option<NaiveDate>, day: NaiveDate) -> bool {
    expires_at.is_none_or(|end| end > day)
}

/// The highest role among `grants` that are in force on `day` (inherited memberships: the
/// group's and its ancestors').
pub fn strongest(grants: &[Grant], day: NaiveDate) -> Option<AccessLevel> {
    grants.iter().filter_map(|g| g.level_on(day)).max()
}

/// Whether a membership may be given, or changed, to end on `expires_at` when it is `today`:
/// GitLab validates `future_date`, which refuses only days before today. Today itself is
/// accepted, although such a membership grants nothing from the start (GitLab's purge of that
/// day has run, or runs at 00:10 and removes it).
pub fn may_end_on(expires_at: NaiveDate, today: NaiveDate) -> bool {
    expires_at >= today
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_user_s_memberships_are_shown_as_one() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).expect("a day");
        let grant = |level: i64, expires_at: Option<NaiveDate>| Grant {
            level: AccessLevel(level),
            expires_at,
        };
        // The project's own reporter row is shown, with the developer role the group gives.
        let rows = [(grant(30, None), false), (grant(20, None), true)];
        assert_eq!(effective(&rows, day), Some((1, AccessLevel(30))));
        // An expired group row grants nothing.
        let rows = [(grant(40, Some(day)), false), (grant(10, None), false)];
        assert_eq!(effective(&rows, day), Some((0, AccessLevel(10))));
        // Nothing in force: the shown row's own level.
        let rows = [(grant(30, Some(day)), true)];
        assert_eq!(effective(&rows, day), Some((0, AccessLevel(30))));
        assert_eq!(effective(&[], day), None);
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
    }

    #[test]
    fn a_membership_is_over_on_its_expiry_day() {
        let today = day("2026-03-10");
        assert!(in_force(None, today));
        assert!(in_force(Some(day("2026-03-11")), today), "tomorrow");
        assert!(!in_force(Some(day("2026-03-10")), today), "today");
        assert!(!in_force(Some(day("2026-03-09")), today), "yesterday");
    }

    #[test]
    fn the_strongest_role_in_force_wins() {
        let today = day("2026-03-10");
        let grants = [
            Grant {
                level: AccessLevel::OWNER,
                expires_at: Some(today),
            },
            Grant {
                level: AccessLevel::DEVELOPER,
                expires_at: Some(day("2026-12-31")),
            },
            Grant {
                level: AccessLevel::GUEST,
                expires_at: None,
            },
        ];
        assert_eq!(strongest(&grants, today), Some(AccessLevel::DEVELOPER));
        assert_eq!(
            strongest(&grants, day("2026-03-09")),
            Some(AccessLevel::OWNER)
        );
        assert_eq!(
            strongest(&grants, day("2027-01-01")),
            Some(AccessLevel::GUEST)
        );
        assert_eq!(strongest(&grants[..2], day("2027-01-01")), None);
        assert_eq!(strongest(&[], today), None);
    }

    #[test]
    fn past_days_are_refused_today_is_not() {
        let today = day("2026-03-10");
        assert!(may_end_on(day("2026-03-11"), today));
        assert!(may_end_on(today, today));
        assert!(!may_end_on(day("2026-03-09"), today));
    }
}
