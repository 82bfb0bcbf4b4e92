//! Markdown written by moderators and participants becomes HTML that is safe to show: rendered
//! by pulldown-cmark, then cleaned by ammonia, which keeps formatting and drops scripts, event
//! handlers, styles and unsafe URLs.

use pulldown_cmark::{html, Options, Parser};
use std::sync::LazyLock;

static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    // Remote images would let a poster track readers; uploads come through the server instead.
    b.rm_tags(["img"]);
    b.link_rel(Some("noopener noreferrer nofollow ugc"));
    b
});

pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options.insert(Options::ENABLE_TABLES);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    CLEANER.clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn keeps_formatting() {
        let html = render("*quoted* and **strong**\n\n- one\n- two");
        assert!(html.contains("<em>quoted</em>"));
        assert!(html.contains("<strong>strong</strong>"));
        assert!(html.contains("<li>two</li>"));
    }

    #[test]
    fn removes_hostile_html() {
        let html = render("<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))<a href=\"https://e.org\" onclick=\"alert(4)\">ok</a>");
        for bad in ["<script", "onerror", "href=\"javascript", "onclick", "<img"] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains("href=\"https://e.org\""));
    }
}
