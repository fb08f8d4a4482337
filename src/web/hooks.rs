//! A project's webhooks and their recent events, as a page: `/<project>/-/hooks` (each hook's
//! URL, events, alert status, and its last 20 events: trigger, action, answer, attempts,
//! duration, time). Who may see it is who may manage the hooks (maintainers and up, the API's
//! rule); the others get the 404 page. Secrets are never shown, as in the API.

use maud::{html, Markup};

use super::pages::{date, layout, Frame};
use super::{html as page, WebError, WebResult};
use crate::domain::pagination::PageRequest;
use crate::domain::time::now_micros;
use crate::http::auth::Caller;
use crate::http::scope::scope_for;
use crate::http::webhooks::Secrets;
use crate::http::App;
use crate::store::{EventFilter, HookEvent, HookOwner, Store, WebHook};

/// `/<project>/-/hooks`: the project's path.
pub fn parse(path: &str) -> Option<String> {
    let project = path.trim_end_matches('/').strip_suffix("/-/hooks")?;
    let project = percent_encoding::percent_decode_str(project.trim_start_matches('/'))
        .decode_utf8()
        .ok()?
        .into_owned();
    (!project.is_empty() && !project.contains('\0')).then_some(project)
}

fn action_of(event: &HookEvent) -> String {
    let payload: serde_json::Value = event
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_default();
    match payload["action"].as_str() {
        Some(action) => action.to_owned(),
        None => event.action.clone(),
    }
}

fn duration(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "–".into(), |d| format!("{:.0} ms", d * 1000.0))
}

fn events_table(events: &[HookEvent]) -> Markup {
    html! {
        @if events.is_empty() {
            p.meta { "No events yet." }
        } @else {
            table.events {
                thead { tr { th { "Event" } th { "Trigger" } th { "Action" } th { "Answer" } th { "State" } th { "Attempts" } th { "Duration" } th { "Time" } } }
                tbody {
                    @for event in events {
                        tr {
                            td { (event.id) }
                            td { (event.trigger) }
                            td { (action_of(event)) }
                            td { (event.response_status.as_deref().unwrap_or("–")) }
                            td { (event.state.as_str()) }
                            td { (event.attempts) }
                            td { (duration(event.execution_duration)) }
                            td { (date(event.sent_at.unwrap_or(event.created_at))) }
                        }
                    }
                }
            }
        }
    }
}

fn hook_article(hook: &WebHook, secrets: &Secrets, events: &[HookEvent]) -> Markup {
    let s = &hook.settings;
    let mut kinds = Vec::new();
    if s.releases_events {
        kinds.push("releases");
    }
    if s.tag_push_events {
        kinds.push("tag pushes");
    }
    let status = hook.health.alert_status(now_micros()).as_str();
    html! {
        article.release aria-labelledby={ "hook-" (hook.id) } {
            h2 id={ "hook-" (hook.id) } { (s.name.as_deref().unwrap_or("Webhook")) " " small { "#" (hook.id) } }
            p.meta {
                code { (crate::http::webhooks::masked_url(&secrets.url)) } " · "
                @if kinds.is_empty() { "no events relinks sends" } @else { (kinds.join(", ")) }
                " · " (status)
                @if let Some(until) = hook.health.disabled_until { " until " (date(until)) }
            }
            (events_table(events))
        }
    }
}

/// Serves `/<project>/-/hooks` for `caller`.
pub async fn serve_path<S: Store>(app: &App<S>, caller: &Caller, frame: &Frame<'_>) -> WebResult {
    let path = parse(frame.here).ok_or(WebError::NotFound)?;
    let project = app
        .store
        .project_by_full_path(&path)
        .await?
        .ok_or(WebError::NotFound)?;
    let scope = scope_for(app, caller, project)
        .await
        .map_err(|_| WebError::NotFound)?;
    if !scope.can_admin() {
        return Err(WebError::NotFound);
    }
    let project = &scope.project;
    let full_path = project.full_path();
    let owner = HookOwner::Project(project.id);
    let (hooks, _) = app
        .store
        .hooks(owner, PageRequest::new(Some(1), Some(100)))
        .await?;
    let filter = EventFilter {
        since: now_micros() - 7 * 86_400_000_000,
        ..EventFilter::default()
    };
    let mut articles = Vec::new();
    for hook in &hooks {
        let (events, _) = app
            .store
            .hook_events(hook.id, &filter, PageRequest::new(Some(1), Some(20)))
            .await?;
        let secrets = Secrets::open(&app.sealing, &hook.settings);
        articles.push(hook_article(hook, &secrets, &events));
    }
    let content = html! {
        nav.crumbs aria-label="Breadcrumb" {
            a href={ "/" (full_path) "/-/releases" } { (full_path) " releases" }
            " · " a href={ "/" (full_path) "/-/hooks" } { "webhooks" }
        }
        h1 { "Webhooks of " (project.name) }
        @if hooks.is_empty() { p.notice { "No webhooks yet." } }
        @for article in &articles { (article) }
    };
    Ok(page(
        axum::http::StatusCode::OK,
        layout(frame, &format!("Webhooks · {}", project.name), &content),
    ))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn hook_paths() {
        assert_eq!(parse("/g/p/-/hooks"), Some("g/p".into()));
        assert_eq!(parse("/g/p/-/hooks/"), Some("g/p".into()));
        assert_eq!(parse("/g/p/-/hooks/1"), None);
        assert_eq!(parse("/-/hooks"), None);
    }
}
