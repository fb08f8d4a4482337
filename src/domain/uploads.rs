//! Project uploads as GitLab makes them (`UploadService`, `FileUploader`,
//! `Gitlab::FileMarkdownLinkBuilder`, `Gitlab::FileTypeDetection`): the stored file name, the
//! secret of its URL, its `alt` text and Markdown, and which files a browser may show inline.

use super::access::{can_read_project, AccessLevel, Actor, ProjectSettings};

/// Images a browser shows (`Gitlab::FileTypeDetection::SAFE_IMAGE_EXT`).
const IMAGES: [&str; 8] = ["png", "jpg", "jpeg", "gif", "bmp", "tiff", "ico", "webp"];
/// Videos (`SAFE_VIDEO_EXT`).
const VIDEOS: [&str; 5] = ["mp4", "m4v", "mov", "webm", "ogv"];
/// Audio (`SAFE_AUDIO_EXT`).
const AUDIO: [&str; 5] = ["mp3", "oga", "ogg", "spx", "wav"];

/// The longest stored file name (a file system's limit).
pub const MAX_FILENAME_BYTES: usize = 255;

/// The extension, lower-cased, without its dot.
pub fn extension(filename: &str) -> Option<String> {
    let (stem, extension) = filename.rsplit_once('.')?;
    (!stem.is_empty() && !extension.is_empty()).then(|| extension.to_ascii_lowercase())
}

/// An image, video or audio file that GitLab embeds (and lets a browser show inline).
pub fn is_embeddable(filename: &str) -> bool {
    extension(filename).is_some_and(|e| {
        IMAGES.contains(&e.as_str()) || VIDEOS.contains(&e.as_str()) || AUDIO.contains(&e.as_str())
    })
}

/// CarrierWave's `sanitize`: the base name only (after any `/` or `\`), every character that is
/// not a word character (Unicode letters, digits, `_`), `.`, `-` or `+` replaced by `_`, and a
/// leading `_` for a name of dots only. `None` when nothing is left, or the name is too long.
pub fn sanitize_filename(given: &str) -> Option<String> {
    let base = given.rsplit(['/', '\\']).next().unwrap_or(given);
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.chars().all(|c| c == '.') && !name.is_empty() {
        name.insert(0, '_');
    }
    (!name.is_empty() && name.len() <= MAX_FILENAME_BYTES).then_some(name)
}

/// A new upload's secret: 32 lower-case hex digits (`SecureRandom.hex`).
pub fn new_secret() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Whether a URL segment can be a secret (`\A\h{10,32}\z`: older uploads have 10 digits).
pub fn is_secret(text: &str) -> bool {
    (10..=32).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `alt` text: an embeddable file's name without its extension, else the whole name.
pub fn alt(filename: &str) -> String {
    if is_embeddable(filename) {
        filename
            .rsplit_once('.')
            .map_or(filename, |(stem, _)| stem)
            .to_owned()
    } else {
        filename.to_owned()
    }
}

/// The Markdown for the upload: `[alt](url)`, with `]` in the text escaped, and `!` in front
/// for what GitLab embeds (images, video, audio) and SVG images.
pub fn markdown(filename: &str, url: &str) -> String {
    let text = alt(filename).replace(']', "\\]");
    let image = is_embeddable(filename) || extension(filename).as_deref() == Some("svg");
    format!("{}[{text}]({url})", if image { "!" } else { "" })
}

/// Uploading: any signed-in caller who may read the project (the API checks no more).
pub fn can_upload(actor: &Actor, project: &ProjectSettings) -> bool {
    actor.signed_in && can_read_project(actor, project)
}

/// Listing, fetching by id and deleting uploads (`admin_upload`): maintainers and up.
pub fn can_admin_uploads(actor: &Actor) -> bool {
    actor.admin || actor.at_least(AccessLevel::MAINTAINER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_sanitised_as_carrierwave_does() {
        assert_eq!(
            sanitize_filename("my file (1).zip").as_deref(),
            Some("my_file__1_.zip")
        );
        assert_eq!(
            sanitize_filename("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            sanitize_filename("C:\\dir\\app.exe").as_deref(),
            Some("app.exe")
        );
        assert_eq!(sanitize_filename("..").as_deref(), Some("_.."));
        assert_eq!(
            sanitize_filename("résumé.pdf").as_deref(),
            Some("résumé.pdf")
        );
        assert_eq!(
            sanitize_filename("a+b-c_d.tar.gz").as_deref(),
            Some("a+b-c_d.tar.gz")
        );
        assert_eq!(sanitize_filename(""), None);
        assert_eq!(sanitize_filename("dir/"), None);
        assert_eq!(sanitize_filename(&"a".repeat(256)), None);
    }

    #[test]
    fn alt_text_and_markdown_as_gitlab_writes_them() {
        assert_eq!(alt("dk.png"), "dk");
        assert_eq!(alt("app-1.0.tar.gz"), "app-1.0.tar.gz");
        assert_eq!(
            markdown("dk.png", "/uploads/s/dk.png"),
            "![dk](/uploads/s/dk.png)"
        );
        assert_eq!(
            markdown("app-1.0.tar.gz", "/uploads/s/app-1.0.tar.gz"),
            "[app-1.0.tar.gz](/uploads/s/app-1.0.tar.gz)"
        );
        assert_eq!(markdown("logo.svg", "/u"), "![logo.svg](/u)");
        assert_eq!(markdown("a]b.txt", "/u"), "[a\\]b.txt](/u)");
        assert!(is_embeddable("clip.WEBM"));
        assert!(!is_embeddable("png"));
    }

    #[test]
    fn secrets() {
        let secret = new_secret();
        assert_eq!(secret.len(), 32);
        assert!(is_secret(&secret));
        assert!(is_secret("0123456789"));
        assert!(!is_secret("012345678"));
        assert!(!is_secret("zz23456789"));
    }
}
