//! One delivery: GitLab's headers (custom headers first, then `Content-Type`, `User-Agent`,
//! `Idempotency-Key`, `X-Gitlab-Event`, `X-Gitlab-Webhook-UUID`, `X-Gitlab-Instance`,
//! `X-Gitlab-Token`, `X-Gitlab-Event-UUID`; docs/research/gitlab-hooks.md §4.2), the Standard
//! Webhooks signature when the hook has a signing token, the body (or the hook's custom
//! template rendered from it), and the answer as GitLab logs it.

use std::time::Instant;

use serde_json::{Map, Value};

use super::Secrets;
use crate::domain::time::{now_micros, Micros};
use crate::domain::webhooks::{hook_url, HookHealth, SigningKey};
use crate::http::handlers::meta::GITLAB_VERSION;
use crate::http::App;
use crate::store::{Attempt, EventState, HookEvent, Store, WebHook};

/// GitLab keeps this much of an answer's body, and this many of its headers.
const RESPONSE_BODY_LIMIT: usize = 8 * 1024;
const RESPONSE_HEADERS_LIMIT: usize = 50;
const RESPONSE_HEADER_VALUE_LIMIT: usize = 1024;

/// How an attempt went, and where it leaves the event.
#[derive(Debug, Clone)]
pub struct Attempted {
    /// A 2xx or 3xx answer.
    pub succeeded: bool,
    /// The answer's status code; `None` when none came (GitLab's `internal error`).
    pub status: Option<u16>,
    /// Why no answer came.
    pub error: Option<String>,
    pub request_headers: Map<String, Value>,
    pub response_headers: Map<String, Value>,
    pub response_body: String,
    pub execution_duration: f64,
    pub sent_at: Micros,
    pub payload: String,
    pub idempotency_key: String,
    pub state: EventState,
    pub next_attempt_at: Micros,
    pub health: Option<HookHealth>,
}

impl Attempted {
    fn failed(error: String) -> Self {
        Self {
            succeeded: false,
            status: None,
            error: Some(error),
            request_headers: Map::new(),
            response_headers: Map::new(),
            response_body: String::new(),
            execution_duration: 0.0,
            sent_at: now_micros(),
            payload: String::new(),
            idempotency_key: String::new(),
            state: EventState::Failed,
            next_attempt_at: 0,
            health: None,
        }
    }

    /// An event whose subject is gone before its first attempt.
    pub fn nothing_to_send() -> Self {
        Self::failed("Nothing to send: what the event was about is gone".to_owned())
    }

    /// GitLab's `response_status`: the code, or `internal error`.
    pub fn response_status(&self) -> String {
        self.status
            .map_or_else(|| "internal error".to_owned(), |code| code.to_string())
    }

    pub fn into_attempt(self, event: &HookEvent) -> Attempt {
        let response_status = self.response_status();
        let body = match &self.error {
            Some(error) if self.status.is_none() => error.clone(),
            _ => self.response_body,
        };
        Attempt {
            payload: if self.payload.is_empty() {
                event.payload.clone().unwrap_or_default()
            } else {
                self.payload
            },
            idempotency_key: self.idempotency_key,
            request_headers: Value::Object(self.request_headers).to_string(),
            response_status,
            response_headers: Value::Object(self.response_headers).to_string(),
            response_body: body,
            execution_duration: self.execution_duration,
            sent_at: self.sent_at,
            state: self.state,
            next_attempt_at: self.next_attempt_at,
            health: self.health,
        }
    }
}

/// `X-Gitlab-Event` of a trigger: `release_hooks` → `Release Hook`.
pub fn event_header(trigger: &str) -> &'static str {
    match trigger {
        "tag_push_hooks" => "Tag Push Hook",
        "push_hooks" => "Push Hook",
        _ => "Release Hook",
    }
}

/// A custom template rendered from the body (GitLab's `{{path.to.value}}`: strings
/// JSON-escaped without their quotes, anything else as JSON), which must then be JSON.
fn render_template(template: &str, body: &Value) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}").filter(|&c| c > 0) else {
            break;
        };
        out.push_str(&rest[..open]);
        let mut value = body;
        for key in after[..close].split('.') {
            value = value.get(key).unwrap_or(&Value::Null);
        }
        match value {
            Value::String(text) => {
                let quoted = Value::String(text.clone()).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
            Value::Null => {}
            other => out.push_str(&other.to_string()),
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    serde_json::from_str::<Value>(&out)
        .map(|_| out)
        .map_err(|e| format!("Error while parsing rendered custom webhook template: {e}"))
}

/// Sends `body` to `hook` once, as `trigger`'s event, under `key` (its `Idempotency-Key`).
pub async fn deliver<S: Store>(
    app: &App<S>,
    hook: &WebHook,
    trigger: &str,
    body: &str,
    key: &str,
) -> Attempted {
    let secrets = Secrets::open(&app.sealing, &hook.settings);
    let mut attempted = Attempted::failed(String::new());
    attempted.payload = body.to_owned();
    attempted.idempotency_key = key.to_owned();
    let Ok(mut url) = hook_url(&secrets.url, &secrets.url_variables) else {
        attempted.error = Some("Invalid URL template".to_owned());
        return attempted;
    };
    let basic = (!url.username().is_empty()).then(|| {
        let user = percent_decode(url.username());
        let password = url.password().map(percent_decode);
        (user, password)
    });
    let _ = url.set_username("");
    let _ = url.set_password(None);
    // Names are checked as they are resolved; an address written in the URL, here.
    if let Some(why) = app.outbound.refuse_before_resolving(&url) {
        attempted.error = Some(format!("URL is blocked: {why}"));
        return attempted;
    }
    let sent_body = match &hook.settings.custom_webhook_template {
        Some(template) if !template.is_empty() => {
            let parsed: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            match render_template(template, &parsed) {
                Ok(rendered) => rendered,
                Err(error) => {
                    attempted.error = Some(error);
                    return attempted;
                }
            }
        }
        _ => body.to_owned(),
    };
    let headers = headers(app, &secrets, trigger, key, &sent_body);
    attempted.request_headers = logged_headers(&headers, &secrets);
    let client = match app
        .outbound
        .hook_client(hook.settings.enable_ssl_verification)
    {
        Ok(client) => client,
        Err(error) => {
            attempted.error = Some(error);
            return attempted;
        }
    };
    let mut request = client.post(url).body(sent_body);
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some((user, password)) = basic {
        request = request.basic_auth(user, password);
    }
    let started = Instant::now();
    attempted.sent_at = now_micros();
    let timeout = app.config.webhooks.timeout;
    let answer = tokio::time::timeout(timeout, async {
        let mut response = request.send().await?;
        let status = response.status();
        let mut kept = Map::new();
        for (name, value) in response.headers().iter().take(RESPONSE_HEADERS_LIMIT) {
            let text = String::from_utf8_lossy(value.as_bytes());
            let text: String = text.chars().take(RESPONSE_HEADER_VALUE_LIMIT).collect();
            kept.insert(capitalize(name.as_str()), Value::String(text));
        }
        let mut bytes = Vec::new();
        while bytes.len() < RESPONSE_BODY_LIMIT {
            match response.chunk().await? {
                Some(chunk) => bytes.extend_from_slice(&chunk),
                None => break,
            }
        }
        bytes.truncate(RESPONSE_BODY_LIMIT);
        Ok::<_, reqwest::Error>((status, kept, bytes))
    })
    .await;
    attempted.execution_duration = started.elapsed().as_secs_f64();
    match answer {
        Ok(Ok((status, kept, bytes))) => {
            attempted.status = Some(status.as_u16());
            attempted.succeeded = status.is_success() || status.is_redirection();
            attempted.response_headers = kept;
            // Text as GitLab keeps it; a NUL, which a database's text refuses, as U+FFFD.
            attempted.response_body = String::from_utf8_lossy(&bytes).replace('\0', "\u{fffd}");
            attempted.error = None;
        }
        Ok(Err(error)) => attempted.error = Some(why_failed(error)),
        Err(_) => {
            attempted.error = Some(format!(
                "Request timed out after {} seconds",
                timeout.as_secs()
            ));
        }
    }
    attempted
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// `content-type` → `Content-Type`, as GitLab logs an answer's headers.
fn capitalize(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The error of a request that got no answer, with its cause (the refused address, the
/// connection refused), without the URL (its variables' values are secrets).
fn why_failed(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// The headers of a delivery, in GitLab's order (a custom header of the same name as one of
/// GitLab's is overridden by it).
fn headers<S: Store>(
    app: &App<S>,
    secrets: &Secrets,
    trigger: &str,
    key: &str,
    body: &str,
) -> Vec<(String, String)> {
    let own = [
        "content-type",
        "user-agent",
        "idempotency-key",
        "x-gitlab-event",
        "x-gitlab-webhook-uuid",
        "x-gitlab-instance",
        "x-gitlab-token",
        "x-gitlab-event-uuid",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    ];
    let mut headers: Vec<(String, String)> = secrets
        .custom_headers
        .iter()
        .filter(|(name, _)| !own.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    headers.push(("Content-Type".into(), "application/json".into()));
    headers.push(("User-Agent".into(), format!("GitLab/{GITLAB_VERSION}")));
    headers.push(("Idempotency-Key".into(), key.to_owned()));
    headers.push(("X-Gitlab-Event".into(), event_header(trigger).to_owned()));
    headers.push((
        "X-Gitlab-Webhook-UUID".into(),
        crate::http::middleware::random_uuid(),
    ));
    headers.push(("X-Gitlab-Instance".into(), app.urls.base().to_owned()));
    if let Some(token) = secrets.token.as_deref().filter(|t| !t.is_empty()) {
        headers.push(("X-Gitlab-Token".into(), token.replace(['\r', '\n'], "")));
    }
    headers.push((
        "X-Gitlab-Event-UUID".into(),
        crate::http::middleware::random_uuid(),
    ));
    if let Some(signing) = secrets.signing_token.as_deref().and_then(SigningKey::parse) {
        let timestamp = now_micros() / 1_000_000;
        headers.push(("webhook-id".into(), key.to_owned()));
        headers.push(("webhook-timestamp".into(), timestamp.to_string()));
        headers.push((
            "webhook-signature".into(),
            signing.signature(key, timestamp, body.as_bytes()),
        ));
    }
    headers
}

/// The headers as the hook's events show them: custom headers' values and the token
/// redacted (the signature is not a secret: GitLab shows it).
fn logged_headers(headers: &[(String, String)], secrets: &Secrets) -> Map<String, Value> {
    headers
        .iter()
        .map(|(name, value)| {
            let shown = if secrets.custom_headers.contains_key(name) || name == "X-Gitlab-Token" {
                "[REDACTED]".to_owned()
            } else {
                value.clone()
            };
            (name.clone(), Value::String(shown))
        })
        .collect()
}
