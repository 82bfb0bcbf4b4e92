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

/// Markdown as plain text, for wherever HTML is not wanted (plain-text emails, exports): the
/// words without their markup, paragraphs and list items on lines of their own, a link's
/// address after its text, raw HTML dropped.
pub fn plain(markdown: &str) -> String {
    use pulldown_cmark::{Event, Tag, TagEnd};
    let mut out = String::with_capacity(markdown.len());
    let mut links: Vec<String> = Vec::new();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let new_line = |out: &mut String| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    };
    for event in Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak => out.push(' '),
            Event::HardBreak | Event::Rule => new_line(&mut out),
            Event::Start(Tag::List(first)) => lists.push(first),
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                new_line(&mut out);
                if lists.is_empty() {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                new_line(&mut out);
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::Start(Tag::Link { dest_url, .. }) => links.push(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                if let Some(url) = links.pop().filter(|u| !out.ends_with(u.as_str())) {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::Start(Tag::TableCell) => out.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::BlockQuote(_) | TagEnd::TableRow,
            ) => {
                new_line(&mut out);
                if lists.is_empty() {
                    out.push('\n');
                }
            }
            _ => {}
        }
    }
    let lines: Vec<&str> = out.lines().map(str::trim_end).collect();
    let mut text = lines.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_string()
}

/// Markdown as one line of plain text, for a heading, a page title, a table cell or an email
/// subject.
pub fn one_line(markdown: &str) -> String {
    plain(markdown).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `one_line`, cut at a word to at most `max` characters with "…" when longer: the short form
/// of a question's text in a grid's heading or a file name.
pub fn short(markdown: &str, max: usize) -> String {
    let line = one_line(markdown);
    if line.chars().count() <= max {
        return line;
    }
    let cut: String = line.chars().take(max.saturating_sub(1)).collect();
    let at_word = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head).trim_end_matches([',', ';', ':', '.']);
    format!("{at_word}…")
}

#[cfg(test)]
mod tests {
    use super::{one_line, plain, render, short};

    #[test]
    fn plain_text_has_the_words_and_no_markup() {
        assert_eq!(one_line("Describe **the day you left hospital**"), "Describe the day you left hospital");
        assert_eq!(
            plain("# Welcome\n\nRead *this*, then [the form](https://example.org/f).\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted `code`\n\n<b>raw</b> html"),
            "Welcome\n\nRead this, then the form (https://example.org/f).\n\n- one\n- two\n\n1. first\n2. second\n\nquoted code\n\nraw html"
        );
        assert_eq!(one_line("A <https://example.org> link"), "A https://example.org link");
        assert_eq!(
            short("What did **you** hope for, when you first joined the ward team?", 30),
            "What did you hope for, when…"
        );
        assert_eq!(short("Short", 30), "Short");
    }

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
