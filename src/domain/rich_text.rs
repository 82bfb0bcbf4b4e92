//! Markdown as blocks of styled runs, for documents that format text themselves (the DOCX
//! transcripts): bold, italics, links, code, list items and block quotes, never the literal
//! asterisks. Character ranges of the source can be marked (the analysts' quotes), and the
//! runs they fall in carry the mark.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Span {
    pub text: String,
    pub bold: bool,
    pub italic: bool,
    pub strike: bool,
    pub code: bool,
    /// Inside a range marked by the caller.
    pub marked: bool,
    pub link: Option<String>,
    /// A line break before this span's text.
    pub break_before: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Paragraph,
    /// A heading inside the text (shown as a bold paragraph).
    Heading,
    /// A list item at `level` (0 outermost), with its marker ("•", "1.").
    Item,
    Quote,
    Code,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: BlockKind,
    pub level: usize,
    /// "•" or "3." for list items.
    pub marker: Option<String>,
    pub spans: Vec<Span>,
}

#[derive(Default)]
struct Style {
    bold: usize,
    italic: usize,
    strike: usize,
    link: Vec<String>,
}

/// Splits `markdown` into blocks. `marked[i]` says whether character `i` of the source is in
/// a marked range (may be shorter than the text: the rest is unmarked).
pub fn blocks(markdown: &str, marked: &[bool]) -> Vec<Block> {
    // Byte offset to character index, for the marks.
    let mut char_at = vec![0usize; markdown.len() + 1];
    let mut n = 0;
    for (b, _) in markdown.char_indices() {
        char_at[b] = n;
        n += 1;
    }
    char_at[markdown.len()] = n;
    let is_marked = |byte: usize| marked.get(char_at[byte.min(markdown.len())]).copied().unwrap_or(false);

    let mut out: Vec<Block> = Vec::new();
    let mut current: Option<Block> = None;
    let mut style = Style::default();
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut quote = 0usize;
    let mut code_block = false;
    let mut pending_marker: Option<String> = None;
    let mut pending_break = false;
    let flush = |current: &mut Option<Block>, out: &mut Vec<Block>| {
        if let Some(b) = current.take() {
            if b.spans.iter().any(|s| !s.text.trim().is_empty()) {
                out.push(b);
            }
        }
    };
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    for (event, range) in Parser::new_ext(markdown, options).into_offset_iter() {
        let inline_code = matches!(event, Event::Code(_));
        match event {
            Event::Start(Tag::Paragraph) => flush(&mut current, &mut out),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::TableCell) => {
                flush(&mut current, &mut out);
                code_block = false;
            }
            Event::Start(Tag::Heading { .. }) => {
                flush(&mut current, &mut out);
                current = Some(Block { kind: BlockKind::Heading, level: 0, marker: None, spans: vec![] });
            }
            Event::Start(Tag::CodeBlock(_)) => {
                flush(&mut current, &mut out);
                code_block = true;
            }
            Event::Start(Tag::BlockQuote(_)) => {
                flush(&mut current, &mut out);
                quote += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                flush(&mut current, &mut out);
                quote = quote.saturating_sub(1);
            }
            Event::Start(Tag::List(first)) => {
                flush(&mut current, &mut out);
                lists.push(first);
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut current, &mut out);
                lists.pop();
            }
            Event::Start(Tag::Item) => {
                flush(&mut current, &mut out);
                pending_marker = Some(match lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}.", *n - 1)
                    }
                    _ => "•".to_string(),
                });
            }
            Event::End(TagEnd::Item) => flush(&mut current, &mut out),
            Event::Start(Tag::Strong) => style.bold += 1,
            Event::End(TagEnd::Strong) => style.bold = style.bold.saturating_sub(1),
            Event::Start(Tag::Emphasis) => style.italic += 1,
            Event::End(TagEnd::Emphasis) => style.italic = style.italic.saturating_sub(1),
            Event::Start(Tag::Strikethrough) => style.strike += 1,
            Event::End(TagEnd::Strikethrough) => style.strike = style.strike.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => style.link.push(dest_url.to_string()),
            Event::End(TagEnd::Link) => {
                style.link.pop();
            }
            Event::SoftBreak => push_text(&mut current, " ", range.start, &style, false, is_marked, false),
            Event::HardBreak => pending_break = true,
            Event::Text(t) | Event::Code(t) => {
                let code = code_block || inline_code;
                current.get_or_insert_with(|| Block {
                    kind: if code_block {
                        BlockKind::Code
                    } else if pending_marker.is_some() || !lists.is_empty() {
                        BlockKind::Item
                    } else if quote > 0 {
                        BlockKind::Quote
                    } else {
                        BlockKind::Paragraph
                    },
                    level: lists.len().saturating_sub(1),
                    marker: pending_marker.take(),
                    spans: vec![],
                });
                // The source's own characters when the text is them (no escapes, no entities):
                // marks apply character by character; otherwise the whole text takes the mark
                // at its start.
                let same = markdown.get(range.clone()) == Some(&*t);
                if same {
                    let mut start = range.start;
                    for (i, _) in t.char_indices() {
                        let byte = range.start + i;
                        if byte > start && is_marked(start) != is_marked(byte) {
                            push_text(
                                &mut current,
                                &markdown[start..byte],
                                start,
                                &style,
                                code,
                                is_marked,
                                pending_break,
                            );
                            pending_break = false;
                            start = byte;
                        }
                    }
                    push_text(&mut current, &markdown[start..range.end], start, &style, code, is_marked, pending_break);
                } else {
                    push_text(&mut current, &t, range.start, &style, code, is_marked, pending_break);
                }
                pending_break = false;
            }
            Event::Rule => flush(&mut current, &mut out),
            _ => {}
        }
    }
    flush(&mut current, &mut out);
    out
}

fn push_text(
    current: &mut Option<Block>,
    text: &str,
    at: usize,
    style: &Style,
    code: bool,
    is_marked: impl Fn(usize) -> bool,
    break_before: bool,
) {
    let block =
        current.get_or_insert_with(|| Block { kind: BlockKind::Paragraph, level: 0, marker: None, spans: vec![] });
    let span = Span {
        text: text.to_string(),
        bold: style.bold > 0 || block.kind == BlockKind::Heading,
        italic: style.italic > 0,
        strike: style.strike > 0,
        code,
        marked: is_marked(at),
        link: style.link.last().cloned(),
        break_before,
    };
    // Runs of the same look join.
    if let Some(last) = block.spans.last_mut() {
        let same = Span { text: last.text.clone(), break_before: span.break_before, ..span.clone() };
        if *last == same && !span.break_before {
            last.text.push_str(text);
            return;
        }
    }
    block.spans.push(span);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(b: &Block) -> Vec<(&str, bool, bool)> {
        b.spans.iter().map(|s| (s.text.as_str(), s.bold, s.italic)).collect()
    }

    #[test]
    fn emphasis_becomes_styles_not_asterisks() {
        let b = blocks("We **really** liked *the calls*.", &[]);
        assert_eq!(b.len(), 1);
        assert_eq!(
            texts(&b[0]),
            vec![
                ("We ", false, false),
                ("really", true, false),
                (" liked ", false, false),
                ("the calls", false, true),
                (".", false, false)
            ]
        );
    }

    #[test]
    fn lists_quotes_and_links() {
        let b = blocks(
            "Two things:\n\n- calls\n- [visits](https://example.org)\n\n1. first\n2. second\n\n> said before",
            &[],
        );
        let kinds: Vec<_> = b.iter().map(|b| (b.kind, b.marker.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (BlockKind::Paragraph, None),
                (BlockKind::Item, Some("•".into())),
                (BlockKind::Item, Some("•".into())),
                (BlockKind::Item, Some("1.".into())),
                (BlockKind::Item, Some("2.".into())),
                (BlockKind::Quote, None),
            ]
        );
        assert_eq!(b[2].spans[0].link.as_deref(), Some("https://example.org"));
        assert_eq!(b[2].spans[0].text, "visits");
    }

    #[test]
    fn marks_follow_the_source_characters() {
        let text = "Weekly **calls** kept us going.";
        // Mark "calls kept": characters 9..21 of the source (inside and after the bold).
        let mut marked = vec![false; text.chars().count()];
        marked[9..21].iter_mut().for_each(|m| *m = true);
        let b = blocks(text, &marked);
        let spans: Vec<(&str, bool, bool)> = b[0].spans.iter().map(|s| (s.text.as_str(), s.bold, s.marked)).collect();
        assert_eq!(
            spans,
            vec![
                ("Weekly ", false, false),
                ("calls", true, true),
                (" kept", false, true),
                (" us going.", false, false)
            ]
        );
    }
}
