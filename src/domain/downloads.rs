//! Download statistics (an extension): what is counted, per UTC day, and the ranges of days a
//! caller may ask for.

use chrono::{Duration, NaiveDate};

use super::time::Micros;

/// What a download is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A release link, followed through its permanent link (web or API, latest included).
    Link,
    /// A package file hosted here, downloaded.
    PackageFile,
    /// A project upload hosted here, downloaded.
    Upload,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::PackageFile => "package_file",
            Self::Upload => "upload",
        }
    }
}

/// A UTC day, as days since 1970-01-01.
pub type Day = i64;

const MICROS_PER_DAY: Micros = 86_400_000_000;

/// The UTC day of an instant.
pub fn day_of(micros: Micros) -> Day {
    micros.div_euclid(MICROS_PER_DAY)
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

pub fn day_of_date(date: NaiveDate) -> Day {
    (date - epoch()).num_days()
}

/// The date of a day; days outside the years 1 to 9999 (never asked for: [`range`] keeps to
/// them) read as the epoch.
pub fn date_of_day(day: Day) -> NaiveDate {
    Duration::try_days(day)
        .and_then(|days| epoch().checked_add_signed(days))
        .unwrap_or_else(epoch)
}

/// The days a range may cover: the years 1 to 9999.
fn bounds() -> (Day, Day) {
    let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    (day_of_date(first), day_of_date(last))
}

/// Days shown when the caller names none: the last 30, today included.
pub const DEFAULT_DAYS: i64 = 30;
/// The longest range one request may ask for (a leap year's days).
pub const MAX_DAYS: i64 = 366;

/// The days from `from` to `to`, both included: by default the last [`DEFAULT_DAYS`] up to
/// `today`, or that many days from `from`, or up to `to`. The problem, in Grape's words, when
/// they are the wrong way round or span more than [`MAX_DAYS`].
pub fn range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(Day, Day), &'static str> {
    let (from, to) = match (from.map(day_of_date), to.map(day_of_date)) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, from.saturating_add(DEFAULT_DAYS - 1)),
        (None, Some(to)) => (to.saturating_sub(DEFAULT_DAYS - 1), to),
        (None, None) => {
            let to = day_of_date(today);
            (to - (DEFAULT_DAYS - 1), to)
        }
    };
    let (first, last) = bounds();
    if from < first || to > last {
        return Err("from and to must be within the years 1 to 9999");
    }
    if from > to {
        return Err("from must not be after to");
    }
    if to - from >= MAX_DAYS {
        return Err("from and to may span at most 366 days");
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn days_are_utc_days_since_the_epoch() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(MICROS_PER_DAY - 1), 0);
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of_date(date("2026-12-05")), 20_792);
        assert_eq!(date_of_day(20_792), date("2026-12-05"));
    }

    #[test]
    fn ranges_default_to_the_last_30_days_and_are_bounded() {
        let today = date("2026-12-05");
        let day = day_of_date;
        assert_eq!(
            range(None, None, today),
            Ok((day(date("2026-11-06")), day(today)))
        );
        assert_eq!(
            range(Some(date("2026-01-01")), None, today),
            Ok((day(date("2026-01-01")), day(date("2026-01-30"))))
        );
        assert_eq!(
            range(None, Some(date("2026-01-30")), today),
            Ok((day(date("2026-01-01")), day(date("2026-01-30"))))
        );
        assert!(range(Some(date("2026-01-02")), Some(date("2026-01-01")), today).is_err());
        assert!(range(Some(date("2025-01-01")), Some(date("2026-01-01")), today).is_ok());
        assert!(range(Some(date("2025-01-01")), Some(date("2026-01-02")), today).is_err());
        // The ends of chrono's calendar are refused, not overflowed.
        assert!(range(None, Some(date("0001-01-05")), today).is_err());
        assert!(range(Some(date("9999-12-20")), None, today).is_err());
        assert_eq!(date_of_day(Day::MAX), date("1970-01-01"));
    }
}
