//! Who is writing: the context of the request a write belongs to, recorded with every audit
//! event. The HTTP layer opens a context for each request ([`scope`]) and names the author once
//! the caller is known ([`set_author`]); the store reads it ([`current`]) when it starts a
//! write and hands it to the database, whose triggers record the event in the same transaction.

use std::future::Future;
use std::sync::Mutex;

/// Who, from where, under which request id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub ip_address: Option<String>,
    pub request_id: Option<String>,
    /// The request's idempotency key (its row), which its writes mark as used.
    pub idempotency_key: Option<i64>,
}

tokio::task_local! {
    static CONTEXT: Mutex<AuditContext>;
}

/// Runs `work` (a request) with `context` as its audit context.
pub async fn scope<F: Future>(context: AuditContext, work: F) -> F::Output {
    CONTEXT.scope(Mutex::new(context), work).await
}

/// Names the author of the current request's writes.
pub fn set_author(id: i64, name: &str) {
    let _ = CONTEXT.try_with(|context| {
        if let Ok(mut context) = context.lock() {
            context.author_id = Some(id);
            context.author_name = Some(name.to_owned());
        }
    });
}

/// Names the key (its row) the current request's writes mark: a write and the mark on its key
/// are kept or lost together.
pub fn set_idempotency_key(id: i64) {
    let _ = CONTEXT.try_with(|context| {
        if let Ok(mut context) = context.lock() {
            context.idempotency_key = Some(id);
        }
    });
}

/// The current request's context (empty outside a request: start-up, `relinks copy`).
pub fn current() -> AuditContext {
    CONTEXT
        .try_with(|context| context.lock().map(|c| c.clone()).unwrap_or_default())
        .unwrap_or_default()
}
