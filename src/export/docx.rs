//! DOCX transcripts, by question and by participant, with the analysts' quotes in italics.
//! The document is written as WordprocessingML straight into the ZIP container, a batch of
//! replies at a time, so a transcript of any length is written in bounded memory.

use super::format::{io_error, Sink};
use super::source::{Frame, Reply, Scope};
use super::xml::Xml;
use crate::db::DbConn;
use crate::error::AppResult;
use std::io::Write;
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/><w:sz w:val="22"/><w:lang w:val="en-GB"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="240"/></w:pPr><w:rPr><w:sz w:val="48"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="360" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="26"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Speaker"><w:name w:val="Speaker"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="200" w:after="40"/></w:pPr><w:rPr><w:color w:val="555555"/><w:sz w:val="20"/></w:rPr></w:style>
</w:styles>"#;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// A run of text, bold or italic.
struct Run<'a> {
    text: &'a str,
    bold: bool,
    italic: bool,
}

fn plain(text: &str) -> Run<'_> {
    Run { text, bold: false, italic: false }
}

struct Doc<W: Write> {
    xml: Xml<W>,
}

impl<Out: Write> Doc<Out> {
    fn paragraph(&mut self, style: Option<&str>, runs: &[Run]) -> AppResult<()> {
        let xml = &mut self.xml;
        xml.open("w:p", &[])?;
        if let Some(style) = style {
            xml.open("w:pPr", &[])?;
            xml.empty("w:pStyle", &[("w:val", style)])?;
            xml.close("w:pPr")?;
        }
        for run in runs {
            xml.open("w:r", &[])?;
            if run.bold || run.italic {
                xml.open("w:rPr", &[])?;
                if run.bold {
                    xml.empty("w:b", &[])?;
                }
                if run.italic {
                    xml.empty("w:i", &[])?;
                }
                xml.close("w:rPr")?;
            }
            // Line breaks inside a paragraph; a blank line starts a new paragraph (see `reply`).
            for (i, line) in run.text.split('\n').enumerate() {
                if i > 0 {
                    xml.empty("w:br", &[])?;
                }
                xml.element("w:t", &[("xml:space", "preserve")], line.trim_end_matches('\r'))?;
            }
            xml.close("w:r")?;
        }
        xml.close("w:p")
    }

    /// A reply: who and when, then its text with quotes in italics.
    fn reply(&mut self, frame: &Frame, reply: &Reply, heading: &str) -> AppResult<()> {
        let p = &reply.post;
        let mut about = format!(" · {} · {}", frame.zone.display(p.created_at), frame.source(p));
        if let Some(parent) = &reply.in_reply_to {
            about.push_str(&format!(" · in reply to {}", parent.split(' ').next().unwrap_or("")));
        }
        if p.hidden_at.is_some() {
            about.push_str(" · hidden by the moderators");
        }
        if reply.agrees > 0 {
            about.push_str(&format!(" · {} agreed", reply.agrees));
        }
        self.paragraph(Some("Speaker"), &[Run { text: heading, bold: true, italic: false }, plain(&about)])?;
        let text = frame.text(reply);
        let chars: Vec<char> = text.text.chars().collect();
        let mut italic = vec![false; chars.len()];
        for (e, _) in reply.excerpts.iter().filter(|(e, _)| e.is_quote) {
            let (s, end) = frame.excerpt_range(reply, &text, e).unwrap_or((0, chars.len()));
            italic[s.min(chars.len())..end.min(chars.len())].iter_mut().for_each(|x| *x = true);
        }
        // Paragraphs at blank lines; runs where italics start or stop.
        let mut start = 0;
        while start < chars.len() {
            let mut end = start;
            while end < chars.len() && !(chars[end] == '\n' && chars.get(end + 1) == Some(&'\n')) {
                end += 1;
            }
            let mut segments: Vec<(String, bool)> = Vec::new();
            for i in start..end {
                match segments.last_mut() {
                    Some((s, it)) if *it == italic[i] => s.push(chars[i]),
                    _ => segments.push((chars[i].to_string(), italic[i])),
                }
            }
            let runs: Vec<Run> = segments.iter().map(|(s, it)| Run { text: s, bold: false, italic: *it }).collect();
            if !runs.is_empty() {
                self.paragraph(None, &runs)?;
            }
            start = end;
            while start < chars.len() && chars[start] == '\n' {
                start += 1;
            }
        }
        for (_, alt) in &reply.images {
            self.paragraph(None, &[plain(&format!("[Image: {}]", frame.redactor.text(alt)))])?;
        }
        Ok(())
    }
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

/// Writes the package around the body that `body` writes.
fn package<'s>(
    conn: &mut DbConn,
    frame: &Frame,
    out: &'s mut dyn Sink,
    title: &str,
    body: impl FnOnce(&mut DbConn, &mut Doc<&mut ZipWriter<&'s mut dyn Sink>>) -> AppResult<()>,
) -> AppResult<()> {
    let mut zip = ZipWriter::new(out);
    for (name, content) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS),
        ("word/styles.xml", STYLES),
    ] {
        zip.start_file(name, options()).map_err(io_error)?;
        zip.write_all(content.as_bytes()).map_err(io_error)?;
    }
    zip.start_file("docProps/core.xml", options()).map_err(io_error)?;
    {
        let mut xml = Xml::new(&mut zip)?;
        xml.open(
            "cp:coreProperties",
            &[
                ("xmlns:cp", "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"),
                ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ],
        )?;
        xml.element("dc:title", &[], title)?;
        xml.element("dc:creator", &[], "focusboard")?;
        xml.close("cp:coreProperties")?;
    }
    zip.start_file("word/document.xml", options()).map_err(io_error)?;
    {
        let mut doc = Doc { xml: Xml::new(&mut zip)? };
        doc.xml.open("w:document", &[("xmlns:w", W)])?;
        doc.xml.open("w:body", &[])?;
        doc.paragraph(Some("Title"), &[plain(title)])?;
        let mut note = String::from("Participants are shown under pseudonyms. Direct quotations chosen by the analysts are in italics. Times are in the board's time zone, ");
        note.push_str(frame.zone.name());
        note.push('.');
        if !frame.redactor.is_empty() {
            note.push_str(" Names are redacted.");
        }
        doc.paragraph(None, &[Run { text: &note, bold: false, italic: false }])?;
        body(conn, &mut doc)?;
        doc.xml.open("w:sectPr", &[])?;
        doc.xml.empty("w:pgSz", &[("w:w", "11906"), ("w:h", "16838")])?;
        doc.xml.empty(
            "w:pgMar",
            &[
                ("w:top", "1440"),
                ("w:right", "1440"),
                ("w:bottom", "1440"),
                ("w:left", "1440"),
                ("w:header", "708"),
                ("w:footer", "708"),
                ("w:gutter", "0"),
            ],
        )?;
        doc.xml.close("w:sectPr")?;
        doc.xml.close("w:body")?;
        doc.xml.close("w:document")?;
    }
    zip.finish().map_err(io_error)?;
    Ok(())
}

/// Stage and question headings, then every reply to the question in order.
pub fn by_question(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let title = format!("{}: transcript by question", frame.board.title);
    package(conn, frame, out, &title, |conn, doc| {
        for stage in &frame.stages {
            doc.paragraph(Some("Heading1"), &[plain(&stage.title)])?;
            for q in frame.questions.iter().filter(|q| q.stage_id == stage.id) {
                doc.paragraph(Some("Heading2"), &[plain(&frame.prompt(q))])?;
                let mut any = false;
                frame.each_batch(conn, Scope::Question(&q.id), |_, replies| {
                    for reply in replies {
                        any = true;
                        doc.reply(frame, reply, &reply.author)?;
                    }
                    Ok(())
                })?;
                if !any {
                    doc.paragraph(None, &[Run { text: "No replies.", bold: false, italic: false }])?;
                }
            }
        }
        Ok(())
    })
}

/// A section per participant with their attributes, then their replies, each under its question.
pub fn by_participant(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let title = format!("{}: transcript by participant", frame.board.title);
    package(conn, frame, out, &title, |conn, doc| {
        for person in &frame.people {
            let id = frame.pseudonym(Some(&person.id));
            doc.paragraph(Some("Heading1"), &[plain(&id)])?;
            let attributes: Vec<String> = frame
                .attributes
                .iter()
                .map(|a| format!("{a}: {}", frame.attribute(person, a)))
                .filter(|s| !s.ends_with(": "))
                .collect();
            if !attributes.is_empty() {
                doc.paragraph(None, &[plain(&attributes.join("; "))])?;
            }
            frame.each_batch(conn, Scope::Participant(&person.id), |_, replies| {
                for reply in replies {
                    let prompt = frame.question(&reply.post.question_id).map(|q| frame.prompt(q)).unwrap_or_default();
                    doc.reply(frame, reply, &prompt)?;
                }
                Ok(())
            })?;
        }
        Ok(())
    })
}
