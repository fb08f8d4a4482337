//! Timestamps: stored as microseconds since the Unix epoch (one integer column on every engine,
//! ordered and compared exactly), shown as GitLab shows them: ISO 8601, UTC, milliseconds.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Microseconds since the Unix epoch.
pub type Micros = i64;

pub fn now_micros() -> Micros {
    Utc::now().timestamp_micros()
}

/// `2019-01-03T01:56:19.539Z`, as GitLab renders times in its API.
pub fn format_micros(micros: Micros) -> String {
    let time = Utc
        .timestamp_micros(micros)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `2020-10-31T14:58:32+00:00`: a commit's `timestamp` in webhooks (Ruby's `xmlschema`).
pub fn format_micros_xmlschema(micros: Micros) -> String {
    let time = Utc
        .timestamp_micros(micros)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    time.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Parses a date-time parameter as leniently as Grape's `DateTime` coercion does for the forms
/// clients send: RFC 3339 (`2019-03-15T08:00:00Z`, with or without fraction or offset), a
/// space instead of the `T`, a time without zone (taken as UTC), or a bare date (midnight UTC).
pub fn parse_datetime(value: &str) -> Option<Micros> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.timestamp_micros());
    }
    let with_t = value.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&with_t) {
        return Some(t.timestamp_micros());
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&with_t, format) {
            return Some(t.and_utc().timestamp_micros());
        }
    }
    parse_date(value).map(|d| {
        d.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp_micros())
    })
}

/// `YYYY-MM-DD`.
/// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's IMF-fixdate), or any time
/// [`parse_datetime`] reads (GitLab parses `If-Unmodified-Since` leniently).
pub fn parse_http_date(value: &str) -> Option<Micros> {
    chrono::DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|t| t.timestamp_micros())
        .or_else(|| parse_datetime(value))
}

pub fn parse_date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok()
}

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777_000_000)
        );
        assert_eq!(parse_http_date("nonsense"), None);
    }

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(
            format_micros(1_546_480_579_539_123),
            "2019-01-03T01:56:19.539Z"
        );
    }

    #[test]
    fn parses_the_forms_clients_send() {
        let expected = 1_552_636_800_000_000;
        for form in [
            "2019-03-15T08:00:00Z",
            "2019-03-15T08:00:00.000Z",
            "2019-03-15T09:00:00+01:00",
            "2019-03-15 08:00:00",
            "2019-03-15T08:00:00",
        ] {
            assert_eq!(parse_datetime(form), Some(expected), "{form}");
        }
        assert_eq!(
            parse_datetime("2019-03-15"),
            Some(expected - 8 * 3_600_000_000)
        );
        assert_eq!(parse_datetime("yesterday"), None);
    }
}
