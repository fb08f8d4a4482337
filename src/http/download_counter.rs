//! Download counts, kept off the request path: a download adds one to a count in memory (and
//! to the Prometheus counter of its project); [`flush_downloads`] adds the counts to the
//! database every few seconds and when the instance stops. A crash loses at most the counts
//! since the last flush. Answers about counts add this instance's unflushed ones, so that a
//! download is seen at once by the instance that counted it.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::Response;
use tokio::sync::oneshot;

use super::download::{serve, Download};
use super::error::ApiError;
use super::metrics::Metrics;
use super::App;
use crate::domain::downloads::{day_of, Day, Subject};
use crate::domain::time::now_micros;
use crate::store::{DownloadCount, Store, StoreResult};

/// Ids per query when reading counts.
const IDS_PER_QUERY: usize = 1_000;

/// What a served file counts as a download of.
#[derive(Debug, Clone, Copy)]
pub struct Counted<'a> {
    pub subject: Subject,
    pub subject_id: i64,
    pub project_path: &'a str,
}

/// This instance's counts since its last flush.
#[derive(Debug, Default)]
pub struct DownloadCounter {
    /// Keyed with foldhash: every redirect counts here, and SipHash was half the count's time.
    pending: Mutex<HashMap<(Subject, i64, Day), i64, foldhash::fast::RandomState>>,
}

impl DownloadCounter {
    /// Counts one download of `subject_id` today.
    pub fn count(&self, subject: Subject, subject_id: i64) {
        let day = day_of(now_micros());
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry((subject, subject_id, day)).or_default() += 1;
        }
    }

    /// The counts since the last flush, taken out, in the order of their rows (instances that
    /// write the same rows in one order cannot deadlock each other).
    fn take(&self) -> Vec<DownloadCount> {
        let Ok(mut pending) = self.pending.lock() else {
            return Vec::new();
        };
        let mut counts: Vec<DownloadCount> = pending
            .drain()
            .map(|((subject, subject_id, day), count)| DownloadCount {
                subject,
                subject_id,
                day,
                count,
            })
            .collect();
        counts.sort_by_key(|c| (c.subject.as_str(), c.subject_id, c.day));
        counts
    }

    /// Counts a flush could not write, back for the next one.
    fn give_back(&self, counts: &[DownloadCount]) {
        if let Ok(mut pending) = self.pending.lock() {
            for c in counts {
                *pending.entry((c.subject, c.subject_id, c.day)).or_default() += c.count;
            }
        }
    }

    /// The unflushed counts of these subjects, per subject and day.
    pub fn pending(&self, subject: Subject, subject_ids: &[i64]) -> Vec<DownloadCount> {
        let wanted: HashSet<i64> = subject_ids.iter().copied().collect();
        let Ok(pending) = self.pending.lock() else {
            return Vec::new();
        };
        pending
            .iter()
            .filter(|((s, id, _), _)| *s == subject && wanted.contains(id))
            .map(|(&(subject, subject_id, day), &count)| DownloadCount {
                subject,
                subject_id,
                day,
                count,
            })
            .collect()
    }
}

/// Whether an answer to a request for a hosted file is a download to count: a GET answered
/// with the file (or sent to it, a pre-signed URL of the bucket), whole or from its first byte
/// (a resumed download is the same download).
pub fn is_download(method: &Method, request: &HeaderMap, status: StatusCode) -> bool {
    let from_start = request
        .get(header::RANGE)
        .and_then(|range| range.to_str().ok())
        .is_none_or(|range| range.trim().starts_with("bytes=0-"));
    *method == Method::GET
        && match status {
            StatusCode::OK => true,
            StatusCode::PARTIAL_CONTENT | StatusCode::FOUND => from_start,
            _ => false,
        }
}

/// One download counted, all a request pays for it: in this instance's pending counts and in
/// the Prometheus counter of its project (the benchmark times this).
pub fn record(
    counter: &DownloadCounter,
    metrics: &Metrics,
    subject: Subject,
    subject_id: i64,
    project_path: &str,
) {
    counter.count(subject, subject_id);
    metrics.downloads.with_label_values(&[project_path]).inc();
}

impl<S: Store> App<S> {
    /// Counts a download of a subject of the project at `project_path`.
    pub fn count_download(&self, subject: Subject, subject_id: i64, project_path: &str) {
        record(
            &self.downloads,
            &self.metrics,
            subject,
            subject_id,
            project_path,
        );
    }

    /// Serves a file hosted here ([`serve`]) and counts it when the answer is a download
    /// ([`is_download`]): every route that hands out a hosted file goes through here.
    pub async fn serve_counted(
        &self,
        request: (&Method, &HeaderMap),
        file: &Download<'_>,
        counted: Counted<'_>,
    ) -> Result<Response, ApiError> {
        let (method, headers) = request;
        let response = serve(&self.files, method, headers, file).await?;
        if is_download(method, headers, response.status()) {
            self.count_download(counted.subject, counted.subject_id, counted.project_path);
        }
        Ok(response)
    }

    /// Each subject's downloads ever: stored, and this instance's not yet stored.
    pub async fn download_totals(
        &self,
        subject: Subject,
        subject_ids: &[i64],
    ) -> StoreResult<HashMap<i64, i64>> {
        let mut totals: HashMap<i64, i64> = HashMap::new();
        // A page may show thousands of links: ids go to the database in batches, far below
        // either engine's limit of bound parameters.
        for ids in subject_ids.chunks(IDS_PER_QUERY) {
            for (id, total) in self.store.download_totals(subject, ids).await? {
                *totals.entry(id).or_default() += total;
            }
        }
        for pending in self.downloads.pending(subject, subject_ids) {
            *totals.entry(pending.subject_id).or_default() += pending.count;
        }
        Ok(totals)
    }

    /// The subjects' downloads added up per day from `from` to `to` (days without any left out):
    /// stored, and this instance's not yet stored.
    pub async fn downloads_per_day(
        &self,
        subject: Subject,
        subject_ids: &[i64],
        from: Day,
        to: Day,
    ) -> StoreResult<HashMap<Day, i64>> {
        let mut per_day: HashMap<Day, i64> = HashMap::new();
        for ids in subject_ids.chunks(IDS_PER_QUERY) {
            for (day, count) in self.store.download_days(subject, ids, from, to).await? {
                *per_day.entry(day).or_default() += count;
            }
        }
        for pending in self.downloads.pending(subject, subject_ids) {
            if (from..=to).contains(&pending.day) {
                *per_day.entry(pending.day).or_default() += pending.count;
            }
        }
        Ok(per_day)
    }

    /// Adds the counts since the last flush to the database; on failure they wait for the next
    /// (`last`: there is none, and they are lost).
    pub async fn flush_downloads(&self, last: bool) {
        let counts = self.downloads.take();
        if counts.is_empty() {
            return;
        }
        match self.store.add_download_counts(&counts).await {
            Ok(()) => {}
            Err(error) if last => {
                let lost: i64 = counts.iter().map(|c| c.count).sum();
                tracing::error!(%error, lost, "could not store the last download counts");
            }
            Err(error) => {
                tracing::warn!(%error, "could not store download counts; they are kept for the next try");
                self.downloads.give_back(&counts);
            }
        }
    }
}

/// The background work that flushes an instance's download counts: every `every`, and once
/// more when stopped.
pub struct DownloadFlusher {
    stop: oneshot::Sender<()>,
    done: tokio::task::JoinHandle<()>,
}

impl DownloadFlusher {
    pub fn start<S: Store>(app: App<S>, every: Duration) -> Self {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let done = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => app.flush_downloads(false).await,
                    _ = &mut stopped => break,
                }
            }
            app.flush_downloads(true).await;
        });
        Self { stop, done }
    }

    /// Flushes a last time and ends.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.done.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_answers_and_first_ranges_are_downloads() {
        let none = HeaderMap::new();
        let mut first = HeaderMap::new();
        first.insert(header::RANGE, "bytes=0-99".parse().unwrap());
        let mut later = HeaderMap::new();
        later.insert(header::RANGE, "bytes=100-".parse().unwrap());
        assert!(is_download(&Method::GET, &none, StatusCode::OK));
        assert!(is_download(
            &Method::GET,
            &first,
            StatusCode::PARTIAL_CONTENT
        ));
        assert!(!is_download(
            &Method::GET,
            &later,
            StatusCode::PARTIAL_CONTENT
        ));
        assert!(!is_download(&Method::HEAD, &none, StatusCode::OK));
        assert!(!is_download(&Method::GET, &none, StatusCode::NOT_MODIFIED));
        // To the bucket's pre-signed URL.
        assert!(is_download(&Method::GET, &none, StatusCode::FOUND));
        assert!(!is_download(&Method::GET, &later, StatusCode::FOUND));
    }

    #[test]
    fn counts_are_taken_once_and_given_back_on_failure() {
        let counter = DownloadCounter::default();
        counter.count(Subject::Link, 7);
        counter.count(Subject::Link, 7);
        counter.count(Subject::Upload, 7);
        assert_eq!(counter.pending(Subject::Link, &[7])[0].count, 2);
        let taken = counter.take();
        assert_eq!(taken.len(), 2);
        assert!(counter.take().is_empty());
        counter.give_back(&taken);
        assert_eq!(counter.pending(Subject::Upload, &[7])[0].count, 1);
    }
}
