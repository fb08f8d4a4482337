//! The cache and member expiry: what it keeps of memberships is rows with their dates, never
//! the levels of one day.

use super::Cached;
use crate::domain::access::{AccessLevel, FeatureAccess, Visibility};
use crate::store::sqlite::SqliteStore;
use crate::store::{
    Directory, MemberLevels, MemberSource, NewGroup, NewProject, NewUser, Projects,
};
use chrono::NaiveDate;
use sqlx::Connection;

/// A membership kept in memory stops counting on its expiry day with no write in between:
/// what is kept is the membership and its date, and each request judges it on its own day.
#[tokio::test]
async fn kept_memberships_are_judged_on_the_day_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("cache.db").display());
    let store = Cached::new(SqliteStore::connect(&url).await.expect("opens"));
    let user = store
        .create_user(&NewUser {
            username: "alice".into(),
            name: "Alice".into(),
            email: "alice@example.com".into(),
            is_admin: false,
        })
        .await
        .expect("user");
    let group = store
        .create_group(&NewGroup {
            name: "g".into(),
            path: "g".into(),
            parent: None,
            visibility: Visibility::Private,
            description: String::new(),
            creator_id: user.id,
        })
        .await
        .expect("group");
    let project = store
        .create_project(&NewProject {
            namespace: group.clone(),
            name: "p".into(),
            path: "p".into(),
            description: None,
            visibility: Visibility::Private,
            releases_access: FeatureAccess::Enabled,
            releases_latest_order: None,
            releases_immutable: false,
            creator_id: user.id,
        })
        .await
        .expect("project");
    let end = NaiveDate::from_ymd_opt(2026, 3, 10).expect("a date");
    let day_before = end.pred_opt().expect("a date");
    let day_after = end.succ_opt().expect("a date");
    store
        .update_member(
            MemberSource::Group(group.id),
            user.id,
            AccessLevel::OWNER,
            Some(Some(end)),
        )
        .await
        .expect("group membership ends");
    store
        .add_member(
            MemberSource::Project(project.id),
            user.id,
            AccessLevel::DEVELOPER,
            Some(day_after),
        )
        .await
        .expect("project membership");
    let read = || async {
        let project_grants = store.member_grants(user.id, &project).await;
        let group_grants = store.group_grants(user.id, &group).await;
        (
            project_grants.expect("grants"),
            group_grants.expect("group grants"),
        )
    };
    let first = read().await;
    // Behind the cache's back: the next answers can only come from memory.
    let mut behind = sqlx::SqliteConnection::connect(&url).await.expect("opens");
    sqlx::query("DELETE FROM group_members")
        .execute(&mut behind)
        .await
        .expect("deleted");
    let (kept, groups) = read().await;
    assert_eq!((&kept, &groups), (&first.0, &first.1), "served from memory");
    let levels = |day| kept.on(day);
    assert_eq!(
        levels(day_before),
        MemberLevels {
            project: Some(AccessLevel::DEVELOPER),
            group: Some(AccessLevel::OWNER),
        }
    );
    assert_eq!(
        levels(end),
        MemberLevels {
            project: Some(AccessLevel::DEVELOPER),
            group: None,
        }
    );
    assert_eq!(levels(day_after), MemberLevels::default());
    assert_eq!(
        crate::domain::membership::strongest(&groups, day_before),
        Some(AccessLevel::OWNER)
    );
    assert_eq!(crate::domain::membership::strongest(&groups, end), None);
}
