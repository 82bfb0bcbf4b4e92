//! DOCX transcripts, by question and by participant, with the analysts' quotes in italics.
//! The document is written as WordprocessingML straight into the ZIP container, a batch of
//! replies at a time, so a transcript of any length is written in bounded memory.

use super::format::{io_error, Sink};
use super::source::{Frame, Reply, Scope};
use super::xml::Xml;
use crate::db::models::{Question, Vote};
use crate::db::{self, DbConn};
use crate::domain::ids::{ImageId, ParticipantId, QuestionId};
use crate::domain::polls::{tally, Answer, QuestionKind};
use crate::domain::rich_text::{blocks, Block, BlockKind, Span};
use crate::error::AppResult;
use std::collections::HashMap;
use std::io::Write;
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#;

const RELS_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const STYLES_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles";
const LINK_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink";
const IMAGE_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image";

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/><w:sz w:val="22"/><w:lang w:val="en-GB"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="240"/></w:pPr><w:rPr><w:sz w:val="48"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="360" w:after="120"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="32"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:keepNext/><w:spacing w:before="240" w:after="120"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="26"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:pBdr><w:left w:val="single" w:sz="12" w:space="8" w:color="BBBBBB"/></w:pBdr><w:ind w:left="567"/></w:pPr><w:rPr><w:color w:val="444444"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="60"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Caption"><w:name w:val="caption"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:qFormat/><w:pPr><w:spacing w:after="200"/></w:pPr><w:rPr><w:color w:val="555555"/><w:sz w:val="18"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Results"><w:name w:val="Results"/><w:basedOn w:val="Normal"/><w:pPr><w:ind w:left="284"/><w:spacing w:after="40"/></w:pPr></w:style>
<w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:rPr><w:color w:val="0563C1"/><w:u w:val="single"/></w:rPr></w:style>
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

/// How a reply's image is placed: its relationship, file and size.
struct Picture {
    rel: String,
    image: ImageId,
    file: String,
}

struct Doc<W: Write> {
    xml: Xml<W>,
    /// External link targets, by relationship id.
    links: Vec<(String, String)>,
    pictures: Vec<Picture>,
}

/// An image's size in EMUs (914,400 an inch), at 96 dots an inch, no wider than the text.
fn extent(width: i32, height: i32) -> (i64, i64) {
    const EMU_PER_PX: i64 = 9525;
    const MAX_WIDTH: i64 = 5_760_720; // 6.3 inches: the A4 page less its margins
    let (w, h) = (i64::from(width.max(1)) * EMU_PER_PX, i64::from(height.max(1)) * EMU_PER_PX);
    match w > MAX_WIDTH {
        true => (MAX_WIDTH, h * MAX_WIDTH / w),
        false => (w, h),
    }
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
            // Line breaks inside a paragraph.
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

    /// One styled span of a reply's text.
    fn span(&mut self, span: &Span) -> AppResult<()> {
        let link = match &span.link {
            Some(url) if url.starts_with("http://") || url.starts_with("https://") || url.starts_with("mailto:") => {
                let id = format!("rIdL{}", self.links.len() + 1);
                self.links.push((id.clone(), url.clone()));
                self.xml.open("w:hyperlink", &[("r:id", &id)])?;
                true
            }
            _ => false,
        };
        let xml = &mut self.xml;
        xml.open("w:r", &[])?;
        xml.open("w:rPr", &[])?;
        if link {
            xml.empty("w:rStyle", &[("w:val", "Hyperlink")])?;
        }
        if span.code {
            xml.empty("w:rFonts", &[("w:ascii", "Consolas"), ("w:hAnsi", "Consolas"), ("w:cs", "Consolas")])?;
        }
        if span.bold {
            xml.empty("w:b", &[])?;
        }
        // The analysts' quotes are italic as well, on a pale ground that tells them apart.
        if span.italic || span.marked {
            xml.empty("w:i", &[])?;
        }
        if span.strike {
            xml.empty("w:strike", &[])?;
        }
        if span.marked {
            xml.empty("w:shd", &[("w:val", "clear"), ("w:color", "auto"), ("w:fill", "FFF2CC")])?;
        }
        xml.close("w:rPr")?;
        if span.break_before {
            xml.empty("w:br", &[])?;
        }
        for (i, line) in span.text.split('\n').enumerate() {
            if i > 0 {
                xml.empty("w:br", &[])?;
            }
            xml.element("w:t", &[("xml:space", "preserve")], line.trim_end_matches('\r'))?;
        }
        xml.close("w:r")?;
        if link {
            xml.close("w:hyperlink")?;
        }
        Ok(())
    }

    /// A block of a reply's text: a paragraph, list item, block quote or code.
    fn block(&mut self, block: &Block) -> AppResult<()> {
        self.xml.open("w:p", &[])?;
        self.xml.open("w:pPr", &[])?;
        match block.kind {
            BlockKind::Item => {
                self.xml.empty("w:pStyle", &[("w:val", "ListParagraph")])?;
                let left = (360 * (block.level + 1) + 360).to_string();
                self.xml.empty("w:ind", &[("w:left", &left), ("w:hanging", "360")])?;
            }
            BlockKind::Quote => self.xml.empty("w:pStyle", &[("w:val", "Quote")])?,
            BlockKind::Code => self.xml.empty("w:ind", &[("w:left", "284")])?,
            BlockKind::Paragraph | BlockKind::Heading => {}
        }
        self.xml.close("w:pPr")?;
        if let Some(marker) = &block.marker {
            self.xml.open("w:r", &[])?;
            self.xml.element("w:t", &[("xml:space", "preserve")], marker)?;
            self.xml.empty("w:tab", &[])?;
            self.xml.close("w:r")?;
        }
        for span in &block.spans {
            self.span(span)?;
        }
        self.xml.close("w:p")
    }

    /// An image in its own paragraph, its description as the caption below.
    fn picture(&mut self, id: &ImageId, alt: &str, shape: Option<&(String, i32, i32)>) -> AppResult<()> {
        let Some((content_type, width, height)) = shape else {
            return self.paragraph(Some("Caption"), &[plain(&format!("[Image: {alt}]"))]);
        };
        let n = self.pictures.len() + 1;
        let ext = if content_type == "image/png" { "png" } else { "jpeg" };
        let rel = format!("rIdP{n}");
        self.pictures.push(Picture { rel: rel.clone(), image: id.clone(), file: format!("image{n}.{ext}") });
        let (cx, cy) = extent(*width, *height);
        let (cx, cy, n) = (cx.to_string(), cy.to_string(), n.to_string());
        let xml = &mut self.xml;
        xml.open("w:p", &[])?;
        xml.open("w:pPr", &[])?;
        xml.empty("w:keepNext", &[])?;
        xml.close("w:pPr")?;
        xml.open("w:r", &[])?;
        xml.open("w:drawing", &[])?;
        xml.open("wp:inline", &[("distT", "0"), ("distB", "0"), ("distL", "0"), ("distR", "0")])?;
        xml.empty("wp:extent", &[("cx", &cx), ("cy", &cy)])?;
        xml.empty("wp:docPr", &[("id", &n), ("name", &format!("Picture {n}")), ("descr", alt)])?;
        xml.open("a:graphic", &[])?;
        xml.open("a:graphicData", &[("uri", "http://schemas.openxmlformats.org/drawingml/2006/picture")])?;
        xml.open("pic:pic", &[])?;
        xml.open("pic:nvPicPr", &[])?;
        xml.empty("pic:cNvPr", &[("id", &n), ("name", &format!("Picture {n}")), ("descr", alt)])?;
        xml.empty("pic:cNvPicPr", &[])?;
        xml.close("pic:nvPicPr")?;
        xml.open("pic:blipFill", &[])?;
        xml.empty("a:blip", &[("r:embed", &rel)])?;
        xml.open("a:stretch", &[])?;
        xml.empty("a:fillRect", &[])?;
        xml.close("a:stretch")?;
        xml.close("pic:blipFill")?;
        xml.open("pic:spPr", &[])?;
        xml.open("a:xfrm", &[])?;
        xml.empty("a:off", &[("x", "0"), ("y", "0")])?;
        xml.empty("a:ext", &[("cx", &cx), ("cy", &cy)])?;
        xml.close("a:xfrm")?;
        xml.open("a:prstGeom", &[("prst", "rect")])?;
        xml.empty("a:avLst", &[])?;
        xml.close("a:prstGeom")?;
        xml.close("pic:spPr")?;
        xml.close("pic:pic")?;
        xml.close("a:graphicData")?;
        xml.close("a:graphic")?;
        xml.close("wp:inline")?;
        xml.close("w:drawing")?;
        xml.close("w:r")?;
        xml.close("w:p")?;
        self.paragraph(Some("Caption"), &[plain(alt)])
    }

    /// A reply: who and when, then its text formatted as written, the analysts' quotes in
    /// italics, and its images.
    fn reply(&mut self, frame: &Frame, reply: &Reply, heading: &str, extra: &Extra) -> AppResult<()> {
        let p = &reply.post;
        let mut about = format!(" · {} · {}", frame.zone.display(p.created_at), frame.source(p));
        if let Some(vote) =
            extra.votes.get(&(p.participant_id.clone(), p.question_id.clone())).filter(|_| p.parent_id.is_none())
        {
            about.push_str(&format!(" · answered: {vote}"));
        }
        if let Some(parent) = &reply.in_reply_to {
            match parent.as_str() {
                super::source::REMOVED_PARENT => about.push_str(" · in reply to a removed post"),
                _ => about.push_str(&format!(" · in reply to {}", parent.split(' ').next().unwrap_or(""))),
            }
        }
        if p.hidden_at.is_some() {
            about.push_str(" · hidden by the moderators");
        }
        if reply.agrees > 0 {
            about.push_str(&format!(" · {} agreed", reply.agrees));
        }
        self.paragraph(Some("Speaker"), &[Run { text: heading, bold: true, italic: false }, plain(&about)])?;
        let text = frame.text(reply);
        let length = text.text.chars().count();
        let mut marked = vec![false; length];
        for (e, _) in reply.excerpts.iter().filter(|(e, _)| e.is_quote) {
            let (s, end) = frame.excerpt_range(reply, &text, e).unwrap_or((0, length));
            marked[s.min(length)..end.min(length)].iter_mut().for_each(|x| *x = true);
        }
        for block in blocks(&text.text, &marked) {
            self.block(&block)?;
        }
        for (id, alt) in &reply.images {
            self.picture(id, &frame.redactor.text(alt), extra.shapes.get(id))?;
        }
        Ok(())
    }

    /// A voted question's results: the counts, then each participant's answer.
    fn results(&mut self, frame: &Frame, q: &Question, votes: &[Vote]) -> AppResult<()> {
        let answers: Vec<Answer> = votes.iter().map(|v| v.answer.get().clone()).collect();
        let results = tally(q.kind, q.config.get(), &answers);
        let heading = format!("Results: {} {}", results.voters, if results.voters == 1 { "vote" } else { "votes" });
        self.paragraph(None, &[Run { text: &heading, bold: true, italic: false }])?;
        if let Some(average) = results.average {
            self.paragraph(Some("Results"), &[plain(&format!("Average rating: {average}"))])?;
        }
        for row in &results.rows {
            let line = match row.average_place {
                Some(place) => format!("{}: average place {place}, first for {}", row.label, row.count),
                None if q.kind == QuestionKind::Ranking => format!("{}: not ranked", row.label),
                None => format!("{}: {} ({}%)", row.label, row.count, row.percent),
            };
            self.paragraph(Some("Results"), &[plain(&line)])?;
        }
        for v in votes {
            let who = frame.pseudonym(Some(&v.participant_id));
            let answer = v.answer.describe(q.config.get());
            self.paragraph(
                Some("Results"),
                &[Run { text: &who, bold: true, italic: false }, plain(&format!(": {answer}"))],
            )?;
        }
        Ok(())
    }
}

/// What a batch of replies needs besides themselves: their images' sizes, and who voted what.
#[derive(Default)]
struct Extra {
    shapes: HashMap<ImageId, (String, i32, i32)>,
    /// (participant, question) to the answer in words.
    votes: HashMap<(Option<ParticipantId>, QuestionId), String>,
}

impl Extra {
    fn load_shapes(&mut self, conn: &mut DbConn, replies: &[Reply]) -> AppResult<()> {
        let ids: Vec<ImageId> = replies.iter().flat_map(|r| r.images.iter().map(|(id, _)| id.clone())).collect();
        if !ids.is_empty() {
            for (id, ct, w, h) in db::images::shapes_of(conn, &ids)? {
                self.shapes.insert(id, (ct, w, h));
            }
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
    for (name, content) in
        [("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", ROOT_RELS), ("word/styles.xml", STYLES)]
    {
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
    let (links, pictures) = {
        let mut doc = Doc { xml: Xml::new(&mut zip)?, links: Vec::new(), pictures: Vec::new() };
        doc.xml.open(
            "w:document",
            &[
                ("xmlns:w", W),
                ("xmlns:r", "http://schemas.openxmlformats.org/officeDocument/2006/relationships"),
                ("xmlns:wp", "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"),
                ("xmlns:a", "http://schemas.openxmlformats.org/drawingml/2006/main"),
                ("xmlns:pic", "http://schemas.openxmlformats.org/drawingml/2006/picture"),
            ],
        )?;
        doc.xml.open("w:body", &[])?;
        doc.paragraph(Some("Title"), &[plain(title)])?;
        let mut note = String::from("Participants are shown under pseudonyms. Direct quotations chosen by the analysts are in italics on a pale yellow ground. Times are in the board's time zone, ");
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
        (doc.links, doc.pictures)
    };
    // The images, once the text is written (a ZIP is written one file at a time), each read
    // alone so that memory holds one at a time.
    for p in &pictures {
        let bytes = db::images::data(conn, &p.image, false)?.unwrap_or_default();
        zip.start_file(format!("word/media/{}", p.file), options()).map_err(io_error)?;
        zip.write_all(&bytes).map_err(io_error)?;
    }
    zip.start_file("word/_rels/document.xml.rels", options()).map_err(io_error)?;
    {
        let mut xml = Xml::new(&mut zip)?;
        xml.open("Relationships", &[("xmlns", RELS_NS)])?;
        xml.empty("Relationship", &[("Id", "rId1"), ("Type", STYLES_REL), ("Target", "styles.xml")])?;
        for (id, url) in &links {
            xml.empty("Relationship", &[("Id", id), ("Type", LINK_REL), ("Target", url), ("TargetMode", "External")])?;
        }
        for p in &pictures {
            let target = format!("media/{}", p.file);
            xml.empty("Relationship", &[("Id", &p.rel), ("Type", IMAGE_REL), ("Target", &target)])?;
        }
        xml.close("Relationships")?;
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
                let mut extra = Extra::default();
                // Votes of the participants the export shows (a moderator's test vote is none).
                let votes: Vec<Vote> = match q.kind {
                    QuestionKind::Discussion => Vec::new(),
                    _ => db::votes::current_of_question(conn, &q.id)?
                        .into_iter()
                        .filter(|v| frame.person(Some(&v.participant_id)).is_some())
                        .collect(),
                };
                if !votes.is_empty() {
                    doc.results(frame, q, &votes)?;
                    for v in &votes {
                        extra.votes.insert(
                            (Some(v.participant_id.clone()), v.question_id.clone()),
                            v.answer.describe(q.config.get()),
                        );
                    }
                }
                let mut any = !votes.is_empty();
                frame.each_batch(conn, Scope::Question(&q.id), |conn, replies| {
                    extra.load_shapes(conn, replies)?;
                    for reply in replies {
                        any = true;
                        doc.reply(frame, reply, &reply.author, &extra)?;
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
    let votes = db::votes::current_of_board(conn, &frame.board.id)?;
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
            let mut extra = Extra::default();
            for v in votes.iter().filter(|v| v.participant_id == person.id) {
                let Some(q) = frame.question(&v.question_id) else { continue };
                extra.votes.insert((Some(v.participant_id.clone()), q.id.clone()), v.answer.describe(q.config.get()));
            }
            let mut written: std::collections::HashSet<QuestionId> = Default::default();
            frame.each_batch(conn, Scope::Participant(&person.id), |conn, replies| {
                extra.load_shapes(conn, replies)?;
                for reply in replies {
                    if reply.post.parent_id.is_none() {
                        written.insert(reply.post.question_id.clone());
                    }
                    let prompt = frame.question(&reply.post.question_id).map(|q| frame.prompt(q)).unwrap_or_default();
                    doc.reply(frame, reply, &prompt, &extra)?;
                }
                Ok(())
            })?;
            // Answers given by voting, with no written comment.
            for v in votes.iter().filter(|v| v.participant_id == person.id) {
                let Some(q) = frame.question(&v.question_id) else { continue };
                if written.contains(&q.id) {
                    continue;
                }
                let answer = v.answer.describe(q.config.get());
                doc.paragraph(Some("Speaker"), &[Run { text: &frame.prompt(q), bold: true, italic: false }])?;
                doc.paragraph(None, &[plain(&format!("Voted: {answer}"))])?;
            }
        }
        Ok(())
    })
}
