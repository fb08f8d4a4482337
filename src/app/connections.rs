//! Accepting connections. HTTP/1.1 only (what GitLab's clients speak; TLS ends at a proxy in
//! front), with three guards against clients that hold connections without using them:
//! - a header-read time-out: a request's headers must arrive within it, counted from the moment
//!   the connection is ready for a request (when it opens, and after each answer on a kept-alive
//!   one), so it is also how long an idle keep-alive connection stays open;
//! - a cap on concurrent connections: beyond it, new connections wait in the listen queue until
//!   one closes (they are not refused);
//! - a write-stall time-out: a client that stops reading an answer (a large download, say) for
//!   that long loses its connection (`stall.rs`);
//! - a graceful stop that lets in-flight requests finish, for at most a grace period.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::router::AppService;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::header_timer::ConnectionTimer;
use super::stall::StallGuard;

/// How connections are kept.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// A request's headers must arrive within this time of the connection being ready for one.
    pub header_read_timeout: Duration,
    /// At most this many connections are served at once.
    pub max_connections: usize,
    /// After the stop signal, in-flight requests have this long to finish.
    pub shutdown_grace: Duration,
    /// A connection whose answer cannot be written for this long (its client reads nothing)
    /// is closed.
    pub write_stall_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(30),
            write_stall_timeout: Duration::from_secs(60),
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections finish
/// their requests (within the grace period).
pub async fn serve_connections(
    listener: TcpListener,
    router: AppService,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        // A slot first: a connection beyond the cap stays in the listen queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request.map(Body::new)
            });
        // Each connection's own timer (see `header_timer`).
        let mut http = http.clone();
        http.timer(ConnectionTimer::new());
        let connection = http.serve_connection(
            TokioIo::new(StallGuard::new(stream, limits.write_stall_timeout)),
            TowerToHyperService::new(service),
        );
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = watched.await {
                tracing::debug!(%error, %peer, "connection closed with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {
            tracing::warn!(grace = ?limits.shutdown_grace, "shutdown grace period over: closing what is still open");
        }
    }
}
