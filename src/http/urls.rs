//! Absolute URLs relinks hands out, built from the configured external URL the way Rails' route
//! helpers build GitLab's.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

/// What Rails' `escape_segment` encodes: everything but unreserved characters, sub-delimiters,
/// `:` and `@`. A `/` inside a tag becomes `%2F`.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// `escape_path`: like a segment, but `/` separates segments.
const PATH: &AsciiSet = &SEGMENT.remove(b'/');

pub fn escape_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

pub fn escape_path(text: &str) -> String {
    utf8_percent_encode(text, PATH).to_string()
}

/// The public base URL, without a trailing slash.
#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
}

impl Urls {
    pub fn new(external_url: &str) -> Self {
        Self {
            base: external_url.trim_end_matches('/').to_owned(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// `https://host/<path>` for a path starting with `/`.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn project(&self, full_path: &str) -> String {
        format!("{}/{full_path}", self.base)
    }

    pub fn user(&self, username: &str) -> String {
        format!("{}/{username}", self.base)
    }

    pub fn group(&self, full_path: &str) -> String {
        format!("{}/groups/{full_path}", self.base)
    }

    pub fn release(&self, project_full_path: &str, tag: &str) -> String {
        format!(
            "{}/{project_full_path}/-/releases/{}",
            self.base,
            escape_segment(tag)
        )
    }

    /// `host` or `host:port` of the external URL, for ssh clone URLs.
    pub fn host(&self) -> &str {
        let without_scheme = self
            .base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, r)| r);
        let host_port = without_scheme.split('/').next().unwrap_or(without_scheme);
        host_port.split(':').next().unwrap_or(host_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_asset_urls_escape_like_rails() {
        let urls = Urls::new("https://example.com/");
        assert_eq!(
            urls.release("group/sub/app", "release/1.0"),
            "https://example.com/group/sub/app/-/releases/release%2F1.0"
        );
        assert_eq!(escape_path("bin/app-v1+b.exe"), "bin/app-v1+b.exe");
        assert_eq!(escape_segment("v1 b?#"), "v1%20b%3F%23");
        assert_eq!(urls.host(), "example.com");
    }
}
