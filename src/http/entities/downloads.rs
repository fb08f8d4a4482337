//! Download statistics (relinks' extension): a link's downloads per day, and each link's total
//! for a release.

use serde::Serialize;
use utoipa::ToSchema;

/// One UTC day's downloads.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayCount {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub count: i64,
}

/// A link's downloads: every day of the range asked for (days without any too), and its total
/// since counting began.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkDownloads {
    pub link_id: i64,
    /// Every download ever counted, not only those of the range.
    pub total: i64,
    pub days: Vec<DayCount>,
}

/// One link of a release and its total downloads.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkTotal {
    pub link_id: i64,
    pub name: String,
    pub total: i64,
}
