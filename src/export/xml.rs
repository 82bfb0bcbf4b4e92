//! A small layer over quick-xml's writer for the exports' XML (DOCX parts, REFI-QDA files):
//! elements with attributes, escaped text, and characters XML 1.0 cannot hold left out.

use super::format::io_error;
use crate::error::AppResult;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::Write;

pub struct Xml<W: Write> {
    w: quick_xml::Writer<W>,
}

/// Whether XML 1.0 can hold a character: not the control characters but tab, newline and
/// carriage return, and not U+FFFE or U+FFFF (a Rust `char` is never a surrogate).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Text as XML 1.0 allows it: each character it cannot hold becomes U+FFFD, so the text keeps
/// its length and excerpts' character offsets still point at the same words.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().all(xml_char) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().map(|c| if xml_char(c) { c } else { '\u{FFFD}' }).collect())
    }
}

impl<W: Write> Xml<W> {
    pub fn new(w: W) -> AppResult<Xml<W>> {
        let mut xml = Xml { w: quick_xml::Writer::new(w) };
        xml.w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), Some("yes")))).map_err(io_error)?;
        xml.w.get_mut().write_all(b"\n").map_err(io_error)?;
        Ok(xml)
    }

    fn start(name: &str, attrs: &[(&str, &str)]) -> BytesStart<'static> {
        let mut start = BytesStart::new(name.to_string());
        for (k, v) in attrs {
            start.push_attribute((*k, clean(v).as_ref()));
        }
        start
    }

    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> AppResult<()> {
        self.w.write_event(Event::Start(Self::start(name, attrs))).map_err(io_error)
    }

    pub fn close(&mut self, name: &str) -> AppResult<()> {
        self.w.write_event(Event::End(BytesEnd::new(name))).map_err(io_error)
    }

    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> AppResult<()> {
        self.w.write_event(Event::Empty(Self::start(name, attrs))).map_err(io_error)
    }

    pub fn text(&mut self, text: &str) -> AppResult<()> {
        self.w.write_event(Event::Text(BytesText::new(&clean(text)))).map_err(io_error)
    }

    /// `<name attrs>text</name>`
    pub fn element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> AppResult<()> {
        self.open(name, attrs)?;
        self.text(text)?;
        self.close(name)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn characters_xml_forbids_are_replaced_one_for_one() {
        let text = "a\u{FFFE}b\u{FFFF}c\u{0}d\u{1b}e\tf\u{1F600}";
        let cleaned = super::clean(text);
        assert_eq!(cleaned, "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\tf\u{1F600}");
        assert_eq!(cleaned.chars().count(), text.chars().count());
        assert!(roxmltree_free_check(&cleaned));
    }

    /// quick-xml reads back what was written, as a minimal well-formedness check.
    fn roxmltree_free_check(text: &str) -> bool {
        let mut out = Vec::new();
        let mut xml = super::Xml::new(&mut out).unwrap();
        xml.element("t", &[("a", text)], text).unwrap();
        let mut reader = quick_xml::Reader::from_reader(out.as_slice());
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Eof) => return true,
                Ok(_) => buf.clear(),
                Err(_) => return false,
            }
        }
    }
}
