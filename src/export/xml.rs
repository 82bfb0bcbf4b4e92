//! A small layer over quick-xml's writer for the exports' XML (DOCX parts, REFI-QDA files):
//! elements with attributes, escaped text, and characters XML 1.0 cannot hold left out.

use super::io_error;
use crate::error::AppResult;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::Write;

pub struct Xml<W: Write> {
    w: quick_xml::Writer<W>,
}

/// Text as XML 1.0 allows it: no control characters but tab, newline and carriage return.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| !c.is_control() || matches!(c, '\t' | '\n' | '\r');
    if text.chars().all(allowed) {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(text.chars().filter(|&c| allowed(c)).collect())
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
