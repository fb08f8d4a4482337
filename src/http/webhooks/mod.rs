//! Webhooks leaving relinks: a hook's secrets opened, each event's body built after its change
//! is committed (so a release's links are all there), and the sender: a task per instance that
//! claims due events from the outbox (one hook's oldest at a time, so each hook gets its events
//! in order), posts them with GitLab's headers, and records the outcome and the hook's health.
//! Delivery is at least once: an attempt cut short by a crash is made again once its claim
//! lapses, with the same `Idempotency-Key`.

pub mod payload;
pub mod send;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::domain::sealed::SealingKey;
use crate::domain::time::{now_micros, Micros};
use crate::http::App;
use crate::store::{EventState, HookEvent, HookSettings, Store, StoreResult};

/// How the sender works (`relinks serve` sets them from its flags).
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// A delivery not answered within this time failed (GitLab's `webhook_timeout`, 10 s).
    pub timeout: Duration,
    /// The wait before the first retry; each next one waits twice as long, at most an hour.
    pub retry_delay: Duration,
    /// Attempts at one event before it is given up.
    pub max_attempts: i64,
    /// How often the sender looks for due events.
    pub poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            retry_delay: Duration::from_secs(10),
            max_attempts: 8,
            poll: Duration::from_secs(1),
        }
    }
}

/// Deliveries one instance makes at once (each to another hook).
const SENDS_AT_ONCE: usize = 16;

/// The columns a hook's secrets are sealed for.
pub mod column {
    pub const URL: &str = "web_hooks.url";
    pub const TOKEN: &str = "web_hooks.token";
    pub const SIGNING_TOKEN: &str = "web_hooks.signing_token";
    pub const URL_VARIABLES: &str = "web_hooks.url_variables";
    pub const CUSTOM_HEADERS: &str = "web_hooks.custom_headers";
}

/// A hook's secrets, opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    pub url: String,
    pub token: Option<String>,
    pub signing_token: Option<String>,
    pub url_variables: BTreeMap<String, String>,
    pub custom_headers: BTreeMap<String, String>,
}

fn open_map(key: &SealingKey, column: &str, sealed: Option<&str>) -> BTreeMap<String, String> {
    sealed
        .and_then(|s| key.open(column, s))
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

impl Secrets {
    /// A stored hook's secrets. One sealed under another key (a copy from an instance with
    /// another secret key) opens as empty: its URL then fails, and the hook is shown so.
    pub fn open(key: &SealingKey, settings: &HookSettings) -> Self {
        Self {
            url: key.open(column::URL, &settings.url).unwrap_or_default(),
            token: settings
                .token
                .as_deref()
                .and_then(|s| key.open(column::TOKEN, s)),
            signing_token: settings
                .signing_token
                .as_deref()
                .and_then(|s| key.open(column::SIGNING_TOKEN, s)),
            url_variables: open_map(
                key,
                column::URL_VARIABLES,
                settings.url_variables.as_deref(),
            ),
            custom_headers: open_map(
                key,
                column::CUSTOM_HEADERS,
                settings.custom_headers.as_deref(),
            ),
        }
    }

    /// Seals these secrets into `settings`.
    pub fn seal_into(&self, key: &SealingKey, settings: &mut HookSettings) {
        let map = |column: &str, map: &BTreeMap<String, String>| {
            (!map.is_empty()).then(|| {
                key.seal(
                    column,
                    &serde_json::to_string(map).unwrap_or_else(|_| "{}".into()),
                )
            })
        };
        settings.url = key.seal(column::URL, &self.url);
        settings.token = self.token.as_deref().map(|t| key.seal(column::TOKEN, t));
        settings.signing_token = self
            .signing_token
            .as_deref()
            .map(|t| key.seal(column::SIGNING_TOKEN, t));
        settings.url_variables = map(column::URL_VARIABLES, &self.url_variables);
        settings.custom_headers = map(column::CUSTOM_HEADERS, &self.custom_headers);
    }
}

/// A URL with the user and password it carries masked (GitLab's `sanitize_masked_url`:
/// `https://*****:*****@example.com/`), for the events' log; a template that does not parse
/// is left as it is.
pub fn masked_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            if !parsed.username().is_empty() {
                let _ = parsed.set_username("*****");
            }
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("*****"));
            }
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// An event's `Idempotency-Key`: a UUID made from its id and time, so that every attempt at it
/// carries the same one, even one made again after a crash cut the first short before its
/// outcome was recorded.
pub fn event_key(event: &HookEvent) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!(
        "relinks webhook event {} {}",
        event.id, event.created_at
    ));
    let mut bits = [0u8; 16];
    bits.copy_from_slice(&digest[..16]);
    crate::http::middleware::uuid_text(u128::from_be_bytes(bits))
}

/// The wait before attempt `attempts + 1` of an event, after `attempts` failed ones.
fn retry_wait(settings: &WebhookSettings, attempts: i64) -> Micros {
    let base = i64::try_from(settings.retry_delay.as_micros()).unwrap_or(i64::MAX);
    let doublings = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(0);
    base.saturating_mul(1 << doublings).min(3_600_000_000)
}

impl<S: Store> App<S> {
    /// Starts this instance's sender of webhook events.
    /// It holds the app only while it works: once the server has stopped and dropped it, the
    /// sender ends.
    pub fn send_webhooks(&self) {
        let weak = std::sync::Arc::downgrade(&self.0);
        let poll = self.config.webhooks.poll;
        tokio::spawn(async move {
            let sending = Arc::new(Semaphore::new(SENDS_AT_ONCE));
            // A send that ends wakes the sender: its hook's next event may be due at once.
            let wake = Arc::new(Notify::new());
            // The first look comes one period after the start, as every next one.
            let mut every = tokio::time::interval_at(tokio::time::Instant::now() + poll, poll);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut last_sweep: Micros = 0;
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    () = wake.notified() => {}
                }
                let Some(parts) = weak.upgrade() else {
                    break;
                };
                let app = App(parts);
                let now = now_micros();
                if now - last_sweep > 600_000_000 {
                    last_sweep = now;
                    // Events are kept 14 days, as GitLab keeps its hook logs.
                    if let Err(error) = app.store.sweep_hook_events(now - 14 * 86_400_000_000).await
                    {
                        tracing::warn!(%error, "could not sweep webhook events");
                    }
                }
                app.claim_and_send(&sending, &wake).await;
            }
        });
    }

    /// Claims as many due events as there are free sends, and sends each in a task of its own
    /// (one slow receiver holds up only its own hook), until none is due.
    async fn claim_and_send(&self, sending: &Arc<Semaphore>, wake: &Arc<Notify>) {
        let settings = self.config.webhooks;
        // A claim outlives any attempt; one left by a crashed instance lapses soon after.
        let lease = i64::try_from((settings.timeout * 2 + Duration::from_secs(5)).as_micros())
            .unwrap_or(i64::MAX);
        loop {
            let free = sending.available_permits();
            if free == 0 {
                return;
            }
            let now = now_micros();
            let limit = i64::try_from(free).unwrap_or(1);
            let events = match self
                .store
                .claim_hook_events(now, now.saturating_add(lease), limit)
                .await
            {
                Ok(events) if !events.is_empty() => events,
                Ok(_) => return,
                Err(error) => {
                    tracing::warn!(%error, "could not claim webhook events");
                    return;
                }
            };
            for event in events {
                let Ok(permit) = Arc::clone(sending).acquire_owned().await else {
                    return;
                };
                let (app, wake) = (self.clone(), Arc::clone(wake));
                tokio::spawn(async move {
                    if let Err(error) = app.send_claimed(&event).await {
                        tracing::warn!(%error, event = event.id, "could not record a webhook attempt");
                    }
                    drop(permit);
                    wake.notify_one();
                });
            }
        }
    }

    async fn send_claimed(&self, event: &HookEvent) -> StoreResult<()> {
        let Some(hook) = self.store.hook_by_id(event.hook_id).await? else {
            return Ok(());
        };
        let body = match &event.payload {
            Some(payload) => Some(payload.clone()),
            None => self.event_body(event).await?,
        };
        let Some(body) = body else {
            // What it was about is gone (its project deleted): nothing to say.
            let attempt = send::Attempted::nothing_to_send().into_attempt(event);
            return self.store.record_attempt(event, &attempt).await;
        };
        let key = event
            .idempotency_key
            .clone()
            .unwrap_or_else(|| event_key(event));
        let mut attempted = send::deliver(self, &hook, &event.trigger, &body, &key).await;
        let now = now_micros();
        let attempts = event.attempts + 1;
        attempted.health = Some(hook.health.after(attempted.succeeded, now));
        if attempted.succeeded {
            attempted.state = EventState::Delivered;
        } else if attempts >= self.config.webhooks.max_attempts {
            attempted.state = EventState::Failed;
        } else {
            attempted.state = EventState::Pending;
            attempted.next_attempt_at = now + retry_wait(&self.config.webhooks, attempts);
        }
        attempted.payload = body;
        attempted.idempotency_key = key;
        let attempt = attempted.into_attempt(event);
        if let Err(error) = self.store.record_attempt(event, &attempt).await {
            // Whatever in the answer the database refused, the attempt still counts: an event
            // must never be tried again and again unrecorded, holding up its hook.
            tracing::warn!(%error, event = event.id, "a webhook answer could not be recorded");
            let bare = crate::store::Attempt {
                response_headers: "{}".into(),
                response_body: String::new(),
                ..attempt
            };
            self.store.record_attempt(event, &bare).await?;
        }
        Ok(())
    }

    /// Sends `event` now, outside the outbox (a test, a resend: GitLab's synchronous
    /// executions), reaching a disabled hook too; records it as an event of its own with its
    /// one attempt and the hook's health after it (a success starts it afresh).
    pub async fn send_now(
        &self,
        hook: &crate::store::WebHook,
        event: &HookEvent,
        body: &str,
        key: &str,
    ) -> StoreResult<send::Attempted> {
        let mut attempted = send::deliver(self, hook, &event.trigger, body, key).await;
        attempted.health = Some(hook.health.after(attempted.succeeded, now_micros()));
        attempted.state = if attempted.succeeded {
            EventState::Delivered
        } else {
            EventState::Failed
        };
        let recorded = HookEvent {
            created_at: now_micros(),
            ..event.clone()
        };
        self.store
            .record_sent_event(&recorded, &attempted.clone().into_attempt(&recorded))
            .await?;
        Ok(attempted)
    }

    /// An event's body, built now from what it is about; `None` when that is gone.
    pub async fn event_body(&self, event: &HookEvent) -> StoreResult<Option<String>> {
        let Some(project) = self.store.project(event.project_id).await? else {
            return Ok(None);
        };
        let snapshot = event.snapshot.as_deref().unwrap_or("{}");
        let author = match event.author_id {
            Some(id) => self.store.user(id).await?,
            None => None,
        };
        let value = if event.trigger == "tag_push_hooks" {
            let Ok(tag) = serde_json::from_str::<payload::TagData>(snapshot) else {
                return Ok(None);
            };
            let protected = self.store.protected_tags(project.id).await?;
            let ref_protected = crate::http::scope::rules(&protected)
                .iter()
                .any(|rule| rule.matches(&tag.name));
            payload::tag_push(
                &self.urls,
                &project,
                &tag,
                &event.action,
                event.created_at,
                author.as_ref(),
                ref_protected,
            )
        } else {
            let release = if event.action == "delete" {
                serde_json::from_str::<payload::ReleaseData>(snapshot).ok()
            } else {
                self.current_release(event).await?
            };
            let Some(release) = release else {
                return Ok(None);
            };
            let tag = self.store.tag(project.id, &release.tag).await?;
            payload::release(
                &self.urls,
                &project,
                &release,
                &event.action,
                tag.as_ref().and_then(|t| t.message.as_deref()),
                author.as_ref(),
            )
        };
        Ok(Some(value.to_string()))
    }

    /// The release an event is about as it is now (by its id: a release deleted and made again
    /// under the same tag is another), with its links in the links API's order.
    async fn current_release(
        &self,
        event: &HookEvent,
    ) -> StoreResult<Option<payload::ReleaseData>> {
        let Some((release, links)) = self
            .store
            .event_release(event.project_id, event.subject_id)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(payload::ReleaseData {
            id: release.id,
            tag: release.tag,
            name: release.name,
            description: release.description,
            sha: release.sha,
            released_at: release.released_at,
            created_at: release.created_at,
            links: links
                .into_iter()
                .map(|l| payload::LinkData {
                    id: l.id,
                    name: l.name,
                    url: l.url,
                    link_type: l.link_type.code(),
                })
                .collect(),
        }))
    }
}
