//! Prometheus metrics at `/-/metrics`: requests by route template, method and status, latency
//! histograms, the database pool's use, and how many projects, releases and links there are.
//! Each `App` has its own registry (no process-wide state), so several servers in one process
//! (the tests) keep separate figures.

use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

use super::error::ApiError;
use super::App;
use crate::store::Store;

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    objects: IntGaugeVec,
    /// Downloads counted by this instance (permanent links and hosted files), by project.
    pub downloads: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    // The metrics are defined here, once, with names and labels that are valid: their
    // constructors cannot fail.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let requests = IntCounterVec::new(
            Opts::new(
                "relinks_http_requests_total",
                "HTTP requests by route template, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "relinks_http_request_duration_seconds",
                "Time to answer, by route template and method",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["route", "method"],
        )
        .expect("valid metric");
        let pool = IntGaugeVec::new(
            Opts::new(
                "relinks_database_connections",
                "Database connections of this instance, by state",
            ),
            &["state"],
        )
        .expect("valid metric");
        let objects = IntGaugeVec::new(
            Opts::new("relinks_objects", "Stored projects, releases and links"),
            &["kind"],
        )
        .expect("valid metric");
        let downloads = IntCounterVec::new(
            Opts::new(
                "relinks_downloads_total",
                "Downloads through permanent links and of hosted files, by project full path",
            ),
            &["project"],
        )
        .expect("valid metric");
        let registry = Registry::new();
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool.clone()),
            Box::new(objects.clone()),
            Box::new(downloads.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Self {
            registry,
            requests,
            latency,
            pool,
            objects,
            downloads,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The method labels; anything unusual counts as `OTHER` (the label stays bounded).
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER",
];

/// The index of `method`'s label in [`METHODS`].
fn method_index(method: &Method) -> usize {
    match *method {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::DELETE => 4,
        Method::PATCH => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

/// What the request counter needs: the metrics, and the route templates to file requests
/// under. The router has matched the request already (one match for both): a request comes
/// with its template's index, or none.
pub struct Tracker {
    metrics: Arc<Metrics>,
    /// Each template's series, by the router's index, and last the one of requests no route
    /// matched.
    routes: Vec<RouteSeries>,
}

/// A route template's series, each resolved on first use and kept: `with_label_values` hashes
/// its labels and takes a lock on every call. The series appear in `/-/metrics` only once a
/// request has been counted in them, as before.
struct RouteSeries {
    template: String,
    /// By method.
    latency: [OnceLock<Histogram>; METHODS.len()],
    /// By method, then by status.
    requests: [RwLock<Vec<(StatusCode, IntCounter)>>; METHODS.len()],
}

impl RouteSeries {
    fn new(template: String) -> Self {
        Self {
            template,
            latency: Default::default(),
            requests: Default::default(),
        }
    }
}

impl Tracker {
    /// The tracker of the route templates `templates`, in the router's order.
    pub fn new(metrics: Arc<Metrics>, templates: impl IntoIterator<Item = String>) -> Self {
        let mut routes: Vec<_> = templates.into_iter().map(RouteSeries::new).collect();
        routes.push(RouteSeries::new("unmatched".to_owned()));
        Self { metrics, routes }
    }

    fn series(&self, route: Option<usize>) -> Option<&RouteSeries> {
        let unmatched = self.routes.len() - 1;
        self.routes.get(route.unwrap_or(unmatched))
    }

    fn observe(&self, series: &RouteSeries, method: usize, seconds: f64) {
        let Some(slot) = series.latency.get(method) else {
            return;
        };
        slot.get_or_init(|| {
            self.metrics
                .latency
                .with_label_values(&[series.template.as_str(), METHODS[method]])
        })
        .observe(seconds);
    }

    fn count(&self, series: &RouteSeries, method: usize, status: StatusCode) {
        let Some(by_status) = series.requests.get(method) else {
            return;
        };
        let counted = by_status.read().is_ok_and(|seen| {
            seen.iter()
                .find(|(seen, _)| *seen == status)
                .map(|(_, counter)| counter.inc())
                .is_some()
        });
        if counted {
            return;
        }
        let counter = self.metrics.requests.with_label_values(&[
            series.template.as_str(),
            METHODS[method],
            status.as_str(),
        ]);
        counter.inc();
        if let Ok(mut seen) = by_status.write() {
            if !seen.iter().any(|(seen, _)| *seen == status) {
                seen.push((status, counter));
            }
        }
    }
}

/// A request being counted and timed under its route template (never the concrete path,
/// which would hold names and tokens and grow without bound).
pub struct Tracked<'a> {
    tracker: &'a Tracker,
    series: Option<&'a RouteSeries>,
    method: usize,
    started: Instant,
}

impl Tracker {
    /// Times `request`, which matched the template of index `route` (or none), from `started`.
    pub fn start(&self, request: &Request, route: Option<usize>, started: Instant) -> Tracked<'_> {
        Tracked {
            tracker: self,
            series: self.series(route),
            method: method_index(request.method()),
            started,
        }
    }
}

impl Tracked<'_> {
    /// Counts the request, answered with `status`, and its time.
    pub fn finish(self, status: StatusCode) {
        if let Some(series) = self.series {
            let seconds = self.started.elapsed().as_secs_f64();
            self.tracker.observe(series, self.method, seconds);
            self.tracker.count(series, self.method, status);
        }
    }
}

#[utoipa::path(get, path = "/-/metrics", tag = "meta", security(()),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn scrape<S: Store>(State(app): State<App<S>>) -> Response {
    let (size, idle) = app.store.pool_usage();
    app.metrics
        .pool
        .with_label_values(&["open"])
        .set(i64::from(size));
    app.metrics
        .pool
        .with_label_values(&["idle"])
        .set(i64::try_from(idle).unwrap_or(i64::MAX));
    match app.store.counts().await {
        Ok(counts) => {
            app.metrics
                .objects
                .with_label_values(&["projects"])
                .set(counts.projects);
            app.metrics
                .objects
                .with_label_values(&["releases"])
                .set(counts.releases);
            app.metrics
                .objects
                .with_label_values(&["links"])
                .set(counts.links);
        }
        Err(error) => return ApiError::Store(error).into_response(),
    }
    let mut buffer = Vec::new();
    if TextEncoder::new()
        .encode(&app.metrics.registry.gather(), &mut buffer)
        .is_err()
    {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        buffer,
    )
        .into_response()
}
