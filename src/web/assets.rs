//! The pages' stylesheet and their one script (the copy buttons), served by relinks itself so
//! that the Content-Security-Policy can forbid everything else.

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub const STYLESHEET: &str = r#"
:root { --text: #1f2328; --muted: #59636e; --line: #d1d9e0; --accent: #0b57d0; --bg: #ffffff; --soft: #f6f8fa; --warn: #8a4600; --ok: #1a7f37; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; } .skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; z-index: 1; }
header.site { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--soft); }
header.site .brand { font-weight: 700; text-decoration: none; color: var(--text); }
header.site form { display: inline; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem; }
nav.crumbs { color: var(--muted); font-size: .9rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
article.release { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin: 0 0 1rem; }
article.release h2 { font-size: 1.3rem; margin: 0; }
.meta { color: var(--muted); font-size: .9rem; margin: .25rem 0 .75rem; }
.badge { display: inline-block; font-size: .75rem; font-weight: 600; padding: .1rem .5rem; border-radius: 999px; border: 1px solid var(--line); background: var(--soft); color: var(--text); vertical-align: middle; }
.badge.upcoming { border-color: var(--warn); color: var(--warn); }
.badge.immutable { border-color: var(--ok); color: var(--ok); }
.downloads { color: var(--muted); font-size: .85rem; margin-left: .5rem; }
figure.chart { margin: .5rem 0 1rem; color: var(--accent); }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart figcaption { color: var(--muted); font-size: .85rem; }
.description { overflow-wrap: anywhere; }
.description pre { overflow-x: auto; background: var(--soft); padding: .5rem; }
ul.assets { list-style: none; padding: 0; margin: .5rem 0 0; }
ul.assets li { display: flex; flex-wrap: wrap; gap: .25rem .75rem; align-items: center; padding: .5rem 0; border-top: 1px solid var(--line); }
.permalink { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; width: 100%; }
.permalink code { overflow-wrap: anywhere; background: var(--soft); padding: .1rem .3rem; border-radius: 4px; font-size: .85rem; }
button, .button { font: inherit; font-size: .9rem; padding: .3rem .8rem; border: 1px solid var(--accent); border-radius: 6px; background: var(--bg); color: var(--accent); cursor: pointer; }
button.primary { background: var(--accent); color: #fff; }
nav.pages { display: flex; justify-content: space-between; margin: 1rem 0; }
form.signin { display: grid; gap: .5rem; max-width: 28rem; }
form.signin input { font: inherit; padding: .5rem; border: 1px solid var(--muted); border-radius: 6px; }
.notice { padding: .75rem; border: 1px solid var(--line); border-radius: 8px; background: var(--soft); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
section.operation, section.schema { border-top: 1px solid var(--line); padding: .5rem 0; }
section.operation table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .9rem; }
section.operation caption { text-align: left; font-weight: 600; }
section.operation th, section.operation td { border: 1px solid var(--line); padding: .2rem .4rem; text-align: left; vertical-align: top; }
section.schema pre { overflow-x: auto; background: var(--soft); padding: .5rem; font-size: .8rem; }
footer { max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: var(--muted); font-size: .85rem; }
"#;

pub const SCRIPT: &str = r#"
document.addEventListener('click', async (event) => {
  const button = event.target.closest('button[data-copy]');
  if (!button) return;
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.textContent = 'Copied';
  } catch (_) {
    button.textContent = 'Press Ctrl+C';
  }
  setTimeout(() => { button.textContent = 'Copy'; }, 2000);
});
"#;

#[utoipa::path(get, path = "/-/assets/relinks.css", tag = "pages", security(()), responses((status = 200, description = "The pages' stylesheet", content_type = "text/css")))]
pub async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

#[utoipa::path(get, path = "/-/assets/relinks.js", tag = "pages", security(()), responses((status = 200, description = "The copy buttons' script", content_type = "text/javascript")))]
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
        .into_response()
}
