//! How a hosted file is handed to a browser: its `Content-Type` and whether it is shown or
//! saved (`Content-Disposition`), by GitLab's rules. A file a browser could run as part of this
//! site (HTML, SVG, scripts) is never shown inline: text of any kind goes out as
//! `text/plain`, SVG as an attachment, as Workhorse does for uploads.

use super::uploads::{extension, is_embeddable};

/// Shown in the browser, or saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

/// The type and disposition of a project upload served on its web route: embeddable media and
/// PDFs inline, everything else an attachment; text (HTML and scripts included) as plain text.
pub fn upload_presentation(filename: &str) -> (&'static str, Disposition) {
    let kind = content_type(filename);
    let shown = is_embeddable(filename) || kind == "application/pdf";
    (
        kind,
        if shown {
            Disposition::Inline
        } else {
            Disposition::Attachment
        },
    )
}

/// The media type of a file, by its extension; anything text-like is `text/plain` (so that no
/// upload is ever run as a page or a script of this site), anything unknown a byte stream.
pub fn content_type(filename: &str) -> &'static str {
    match extension(filename).as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("bmp") => "image/bmp",
        Some("tiff") => "image/tiff",
        Some("ico") => "image/vnd.microsoft.icon",
        Some("webp") => "image/webp",
        Some("svg") => "image/svg+xml",
        Some("mp4") => "video/mp4",
        Some("m4v") => "video/x-m4v",
        Some("mov") => "video/quicktime",
        Some("webm") => "video/webm",
        Some("ogv") => "video/ogg",
        Some("mp3") => "audio/mpeg",
        Some("oga" | "ogg" | "spx") => "audio/ogg",
        Some("wav") => "audio/x-wav",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("gz" | "tgz") => "application/gzip",
        Some("tar") => "application/x-tar",
        Some(
            "txt" | "md" | "log" | "csv" | "json" | "xml" | "yml" | "yaml" | "html" | "htm"
            | "xhtml" | "js" | "mjs" | "css" | "sh" | "toml" | "ini",
        ) => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `Content-Disposition` as Rails' `ActionDispatch::Http::ContentDisposition.format` writes it:
/// `attachment; filename="<ASCII>"; filename*=UTF-8''<UTF-8>`, each part percent-encoded
/// beyond its safe characters (non-ASCII becomes `?` in the ASCII part, as Rails'
/// transliteration does for what it cannot spell in ASCII).
pub fn content_disposition(disposition: Disposition, filename: &str) -> String {
    const ASCII_SAFE: &str = " !#$+.^_`|~-";
    const UTF8_SAFE: &str = "!#$&+.^_`|~-";
    let kind = match disposition {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    let mut ascii = String::new();
    for c in filename.chars() {
        let c = if c.is_ascii() { c } else { '?' };
        if c.is_ascii_alphanumeric() || ASCII_SAFE.contains(c) {
            ascii.push(c);
        } else {
            ascii.push_str(&format!("%{:02X}", c as u32));
        }
    }
    let mut utf8 = String::new();
    for byte in filename.bytes() {
        if byte.is_ascii_alphanumeric() || UTF8_SAFE.as_bytes().contains(&byte) {
            utf8.push(char::from(byte));
        } else {
            utf8.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{utf8}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_as_rails_formats_them() {
        assert_eq!(
            content_disposition(Disposition::Attachment, "test.jpg"),
            "attachment; filename=\"test.jpg\"; filename*=UTF-8''test.jpg"
        );
        assert_eq!(
            content_disposition(Disposition::Inline, "my file\".png"),
            "inline; filename=\"my file%22.png\"; filename*=UTF-8''my%20file%22.png"
        );
        assert_eq!(
            content_disposition(Disposition::Attachment, "résumé.pdf"),
            "attachment; filename=\"r%3Fsum%3F.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
        );
    }

    #[test]
    fn nothing_runnable_is_shown_inline() {
        assert_eq!(
            upload_presentation("shot.png"),
            ("image/png", Disposition::Inline)
        );
        assert_eq!(
            upload_presentation("manual.pdf"),
            ("application/pdf", Disposition::Inline)
        );
        assert_eq!(
            upload_presentation("logo.svg"),
            ("image/svg+xml", Disposition::Attachment)
        );
        assert_eq!(
            upload_presentation("page.html"),
            ("text/plain; charset=utf-8", Disposition::Attachment)
        );
        assert_eq!(
            upload_presentation("app.tar.gz"),
            ("application/gzip", Disposition::Attachment)
        );
        assert_eq!(
            upload_presentation("binary"),
            ("application/octet-stream", Disposition::Attachment)
        );
    }
}
