//! Markdown to safe HTML for `description_html`: pulldown-cmark renders, ammonia removes
//! scripts, event handlers and anything else a release description could smuggle in.

use pulldown_cmark::{html, Options, Parser};

pub fn to_html(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut rendered = String::new();
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    ammonia::clean(&rendered)
}

#[cfg(test)]
mod tests {
    #[test]
    fn renders_and_sanitises() {
        let html = super::to_html("# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **b** <img src=x onerror=alert(1)>");
        assert!(html.contains("<h1>Title</h1>"));
        assert!(html.contains("<strong>b</strong>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
    }
}
