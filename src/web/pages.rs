//! The HTML of the release pages, sign-in, home and not-found, with maud (escaping by default).
//! Pages are plain server-rendered HTML with landmarks and labels; the only script is the copy
//! button's, and everything works without it.

use chrono::{TimeZone, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::domain::pagination::PageInfo;
use crate::domain::time::Micros;

/// What every page knows: who is looking, and where they are (to come back after signing in).
pub struct Frame<'a> {
    pub viewer: Option<&'a str>,
    pub here: &'a str,
    /// The token the page's forms carry (`web::csrf`); empty on pages without a form.
    pub csrf: &'a (dyn FormToken + Sync),
}

/// The token of a page's forms, asked for only when a form is rendered: an answer without one
/// (a permanent link's redirect, followed by a script with a token) need not make it.
pub trait FormToken {
    fn token(&self) -> &str;
}

impl FormToken for &str {
    fn token(&self) -> &str {
        self
    }
}

impl FormToken for String {
    fn token(&self) -> &str {
        self
    }
}

/// One asset link as a page shows it.
pub struct LinkView {
    pub name: String,
    pub url: String,
    pub link_type: &'static str,
    pub external: bool,
    /// The permanent link, when the link has a filepath.
    pub permanent: Option<String>,
    /// When the link leads to a file hosted here: its size and SHA-256.
    pub hosted: Option<HostedView>,
    /// Downloads through its permanent link, ever.
    pub downloads: i64,
}

/// A file hosted by this relinks, as a page describes it.
pub struct HostedView {
    pub size: String,
    pub sha256: String,
}

/// One release as a page shows it.
pub struct ReleaseView {
    pub name: String,
    pub tag: String,
    pub page_url: String,
    pub released_at: Micros,
    pub upcoming: bool,
    /// Published in a project whose releases are immutable: its links and tag stay as they are.
    pub immutable: bool,
    pub author: Option<String>,
    /// Rendered from Markdown and sanitised.
    pub description_html: String,
    pub links: Vec<LinkView>,
    /// The downloads of the last days (oldest first), on the release's own page.
    pub chart: Option<Vec<(chrono::NaiveDate, i64)>>,
}

pub fn date(micros: Micros) -> String {
    Utc.timestamp_micros(micros)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

pub(crate) fn layout(frame: &Frame<'_>, title: &str, content: &Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · relinks" }
                link rel="stylesheet" href="/-/assets/relinks.css";
                script src="/-/assets/relinks.js" defer {}
            }
            body {
                a.skip href="#content" { "Skip to content" }
                header.site {
                    a.brand href="/" { "relinks" }
                    nav aria-label="Account" {
                        @if let Some(name) = frame.viewer {
                            span { "Signed in as " strong { (name) } " " }
                            form method="post" action="/users/sign_out" {
                                input type="hidden" name=(super::csrf::CSRF_FIELD) value=(frame.csrf.token());
                                button type="submit" { "Sign out" }
                            }
                        } @else {
                            a href={ "/users/sign_in?return_to=" (urlencode(frame.here)) } { "Sign in" }
                        }
                    }
                }
                main #content { (content) }
                footer { "relinks — GitLab's release links, self-hosted." }
            }
        }
    }
}

fn urlencode(text: &str) -> String {
    crate::http::params::cgi_escape(text)
}

fn release_article(release: &ReleaseView, heading_links: bool) -> Markup {
    html! {
        article.release aria-labelledby={ "release-" (release.tag) } {
            h2 id={ "release-" (release.tag) } {
                @if heading_links { a href=(release.page_url) { (release.name) } } @else { (release.name) }
                @if release.upcoming { " " span.badge.upcoming { "Upcoming release" } }
                @if release.immutable {
                    " " span.badge.immutable title="Its links and tag can no longer change" { "Immutable" }
                }
            }
            p.meta {
                "Tag " code { (release.tag) }
                " · " @if release.upcoming { "to be released " } @else { "released " }
                time datetime=(crate::domain::time::format_micros(release.released_at)) { (date(release.released_at)) }
                @if let Some(author) = &release.author { " by " (author) }
            }
            @if !release.description_html.is_empty() {
                div.description { (PreEscaped(&release.description_html)) }
            }
            @if let Some(days) = &release.chart {
                (super::chart::downloads_chart(days))
            }
            @if release.links.is_empty() {
                p.meta { "No assets." }
            } @else {
                h3.sr-only { "Assets" }
                ul.assets aria-label={ "Assets of " (release.name) } {
                    @for link in &release.links {
                        li {
                            a href=(link.url) rel="noopener noreferrer" {
                                (link.name)
                                @if link.external { " ↗" span.sr-only { " (external link)" } }
                            }
                            span.badge { (link.link_type) }
                            @if link.permanent.is_some() {
                                span.downloads { (link.downloads) @if link.downloads == 1 { " download" } @else { " downloads" } }
                            }
                            @if let Some(file) = &link.hosted {
                                span.hosted {
                                    (file.size) " · SHA-256 "
                                    code.digest { (file.sha256) }
                                    button type="button" data-copy=(file.sha256) aria-label={ "Copy the SHA-256 of " (link.name) } { "Copy" }
                                }
                            }
                            @if let Some(permanent) = &link.permanent {
                                span.permalink {
                                    span { "Permanent link: " }
                                    code { (permanent) }
                                    button type="button" data-copy=(permanent) aria-label={ "Copy the permanent link of " (link.name) } { "Copy" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub fn releases_page(
    frame: &Frame<'_>,
    project_name: &str,
    project_path: &str,
    releases: &[ReleaseView],
    page: &PageInfo,
) -> Markup {
    let base = format!("/{project_path}/-/releases");
    let content = html! {
        nav.crumbs aria-label="Breadcrumb" {
            (project_path) " · " a href={ "/" (project_path) "/-/packages" } { "packages" }
        }
        h1 { "Releases of " (project_name) }
        @if releases.is_empty() { p.notice { "No releases yet." } }
        @for release in releases { (release_article(release, true)) }
        @if page.total_pages > 1 {
            nav.pages aria-label="Pages" {
                @if let Some(prev) = page.prev_page { a rel="prev" href={ (base) "?page=" (prev) } { "← Newer" } } @else { span {} }
                span { "Page " (page.page) " of " (page.total_pages) }
                @if let Some(next) = page.next_page { a rel="next" href={ (base) "?page=" (next) } { "Older →" } } @else { span {} }
            }
        }
    };
    layout(frame, &format!("Releases · {project_name}"), &content)
}

pub fn release_page(
    frame: &Frame<'_>,
    project_name: &str,
    project_path: &str,
    release: &ReleaseView,
) -> Markup {
    let content = html! {
        nav.crumbs aria-label="Breadcrumb" {
            a href={ "/" (project_path) "/-/releases" } { (project_path) " releases" }
        }
        h1 { (release.name) }
        (release_article(release, false))
    };
    layout(
        frame,
        &format!("{} · {project_name}", release.name),
        &content,
    )
}

pub fn home_page(frame: &Frame<'_>, projects: &[(String, String)]) -> Markup {
    let content = html! {
        h1 { "Projects" }
        @if projects.is_empty() {
            p.notice {
                "No project to show."
                @if frame.viewer.is_none() { " " a href="/users/sign_in" { "Sign in" } " to see private ones." }
            }
        } @else {
            ul {
                @for (name, path) in projects {
                    li { a href={ "/" (path) "/-/releases" } { (name) } " " span.meta { (path) } }
                }
            }
        }
    };
    layout(frame, "Projects", &content)
}

pub fn sign_in_page(frame: &Frame<'_>, error: Option<&str>, return_to: &str) -> Markup {
    let content = html! {
        h1 { "Sign in" }
        @if let Some(error) = error { p.notice role="alert" { (error) } }
        form.signin method="post" action="/users/sign_in" {
            label for="token" { "Personal access token" }
            input #token type="password" name="token" autocomplete="current-password" required;
            input type="hidden" name="return_to" value=(return_to);
            input type="hidden" name=(super::csrf::CSRF_FIELD) value=(frame.csrf.token());
            button.primary type="submit" { "Sign in" }
        }
        p.meta { "A token with the api or read_api scope. Your session ends when you sign out or the token stops working." }
    };
    layout(frame, "Sign in", &content)
}

/// A form posted from elsewhere, or from a page too old to have the browser's cookie.
pub fn refused_form_page(frame: &Frame<'_>) -> Markup {
    let content = html! {
        h1 { "The form was refused" }
        p { "It was not sent from this site's own page, or that page has expired. "
            a href="/users/sign_in" { "Open the sign-in page" } " and try again." }
    };
    layout(frame, "Refused", &content)
}

pub fn not_found_page(frame: &Frame<'_>) -> Markup {
    let content = html! {
        h1 { "404: Page not found" }
        p { "Make sure the address is correct and the page has not moved. If it is private, sign in first." }
    };
    layout(frame, "Not found", &content)
}
