//! Download counts: how many downloads a link, package file or upload had on one UTC day.

use crate::domain::downloads::{Day, Subject};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadCount {
    pub subject: Subject,
    pub subject_id: i64,
    pub day: Day,
    pub count: i64,
}
