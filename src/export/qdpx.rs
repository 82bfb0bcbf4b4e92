//! REFI-QDA exchange files (QDA-XML 1.0): the codebook (.qdc) and the project (.qdpx, a ZIP
//! holding project.qde). In the project, participants are cases with their attributes as text
//! variables, each reply is a text source (its text inline), excerpts are plain-text
//! selections with their codings, whole-reply codings sit on the source, and memos are notes.
//! GUIDs are the rows' own UUIDs, so exporting twice gives the same GUIDs.

use super::format::{io_error, Sink};
use super::source::{Frame, Reply, Scope};
use super::xml::Xml;
use crate::db::DbConn;
use crate::error::AppResult;
use std::collections::HashMap;
use std::io::Write;
use uuid::Uuid;

const PROJECT_NS: &str = "urn:QDA-XML:project:1.0";
const CODEBOOK_NS: &str = "urn:QDA-XML:codebook:1.0";

/// A GUID for something that has no UUID of its own (a variable), stable per board and name.
fn derived_guid(frame: &Frame, kind: &str, name: &str) -> String {
    let board = Uuid::parse_str(&frame.board.id).unwrap_or(Uuid::nil());
    Uuid::new_v5(&board, format!("{kind}:{name}").as_bytes()).to_string()
}

/// A GUID from a row id; ids are UUIDs, but anything else still maps to a stable one.
fn guid(frame: &Frame, id: &str) -> String {
    Uuid::parse_str(id).map(|u| u.to_string()).unwrap_or_else(|_| derived_guid(frame, "id", id))
}

fn datetime(t: time::PrimitiveDateTime) -> String {
    t.assume_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// `<Codes>` with the code tree, shared by the codebook and the project file (only a project
/// holds notes, so only there do codes refer to their memos).
fn codes<W: Write>(xml: &mut Xml<W>, frame: &Frame, with_notes: bool) -> AppResult<()> {
    xml.open("Codes", &[])?;
    let mut depth_open: Vec<usize> = Vec::new();
    for (code, depth) in &frame.codes {
        while depth_open.last().is_some_and(|d| d >= depth) {
            xml.close("Code")?;
            depth_open.pop();
        }
        let id = guid(frame, &code.id);
        xml.open("Code", &[("guid", &id), ("name", &code.name), ("isCodable", "true"), ("color", &code.colour)])?;
        if !code.description.is_empty() {
            xml.element("Description", &[], &code.description)?;
        }
        for memo in frame.memos.iter().filter(|m| with_notes && m.code_id.as_deref() == Some(code.id.as_str())) {
            xml.empty("NoteRef", &[("targetGUID", &guid(frame, &memo.id))])?;
        }
        depth_open.push(*depth);
    }
    for _ in depth_open {
        xml.close("Code")?;
    }
    xml.close("Codes")
}

/// The codebook as a REFI-QDA codebook file.
pub fn codebook(frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let mut xml = Xml::new(out)?;
    xml.open("CodeBook", &[("xmlns", CODEBOOK_NS), ("origin", "focusboard")])?;
    // The schema requires at least one code; an empty codebook still gets a valid file.
    if frame.codes.is_empty() {
        xml.open("Codes", &[])?;
        xml.empty(
            "Code",
            &[("guid", &derived_guid(frame, "code", "uncoded")), ("name", "Uncoded"), ("isCodable", "false")],
        )?;
        xml.close("Codes")?;
    } else {
        codes(&mut xml, frame, false)?;
    }
    xml.close("CodeBook")
}

fn coding<W: Write>(xml: &mut Xml<W>, frame: &Frame, c: &crate::db::models::Coding) -> AppResult<()> {
    xml.open(
        "Coding",
        &[
            ("guid", &guid(frame, &c.id)),
            ("creatingUser", &guid(frame, &c.created_by)),
            ("creationDateTime", &datetime(c.created_at)),
        ],
    )?;
    xml.empty("CodeRef", &[("targetGUID", &guid(frame, &c.code_id))])?;
    xml.close("Coding")
}

fn source<W: Write>(xml: &mut Xml<W>, frame: &Frame, reply: &Reply) -> AppResult<()> {
    let p = &reply.post;
    let q = frame.question(&p.question_id);
    let prompt = q.map(|q| frame.prompt(q)).unwrap_or_default();
    let short: String = prompt.chars().take(60).collect();
    let name = format!("{} · {} · {}", reply.author, short, frame.zone.display(p.created_at));
    let mut attrs = vec![("guid", guid(frame, &p.id)), ("name", name), ("creationDateTime", datetime(p.created_at))];
    if let Some(author) = &p.author_user_id {
        attrs.push(("creatingUser", guid(frame, author)));
    }
    let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    xml.open("TextSource", &attrs)?;
    let stage = q.and_then(|q| frame.stage_of(q)).map(|s| s.title.as_str()).unwrap_or("");
    let mut description = format!("{stage} · {prompt} · {}", frame.source(p));
    if let Some(parent) = &reply.in_reply_to {
        description.push_str(&format!(" · in reply to {parent}"));
    }
    xml.element("Description", &[], &description)?;
    let text = frame.text(reply);
    xml.element("PlainTextContent", &[], &text.text)?;
    let mut whole = Vec::new();
    for (e, codings) in &reply.excerpts {
        match frame.excerpt_range(reply, &text, e) {
            Some((start, end)) => {
                let (start, end) = (start.to_string(), end.to_string());
                let name = if e.is_quote { "quote" } else { "excerpt" };
                xml.open(
                    "PlainTextSelection",
                    &[
                        ("guid", &guid(frame, &e.id)),
                        ("name", name),
                        ("startPosition", &start),
                        ("endPosition", &end),
                        ("creatingUser", &guid(frame, &e.created_by)),
                        ("creationDateTime", &datetime(e.created_at)),
                    ],
                )?;
                for c in codings.iter().filter(|c| frame.code(&c.code_id).is_some()) {
                    coding(xml, frame, c)?;
                }
                xml.close("PlainTextSelection")?;
            }
            // Whole-reply codings, and those of excerpts no longer found after an edit.
            None => whole.extend(codings.iter()),
        }
    }
    for c in whole.into_iter().filter(|c| frame.code(&c.code_id).is_some()) {
        coding(xml, frame, c)?;
    }
    for memo in frame.memos_of(&p.id) {
        xml.empty("NoteRef", &[("targetGUID", &guid(frame, &memo.id))])?;
    }
    xml.close("TextSource")
}

/// The REFI-QDA project: a ZIP with project.qde (sources inline, so no sources/ folder).
pub fn project(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let mut zip = zip::ZipWriter::new(out);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    zip.start_file("project.qde", options).map_err(io_error)?;
    {
        let mut xml = Xml::new(&mut zip)?;
        let created = datetime(frame.board.created_at);
        xml.open(
            "Project",
            &[
                ("xmlns", PROJECT_NS),
                ("name", &frame.board.title),
                ("origin", "focusboard"),
                ("creationDateTime", &created),
            ],
        )?;
        if !frame.coders.is_empty() {
            xml.open("Users", &[])?;
            for (id, name) in &frame.coders {
                xml.empty("User", &[("guid", &guid(frame, id)), ("name", name)])?;
            }
            xml.close("Users")?;
        }
        if !frame.codes.is_empty() {
            xml.open("CodeBook", &[])?;
            codes(&mut xml, frame, true)?;
            xml.close("CodeBook")?;
        }
        let variables: HashMap<&str, String> =
            frame.attributes.iter().map(|a| (a.as_str(), derived_guid(frame, "variable", a))).collect();
        if !frame.attributes.is_empty() {
            xml.open("Variables", &[])?;
            for a in &frame.attributes {
                xml.empty("Variable", &[("guid", &variables[a.as_str()]), ("name", a), ("typeOfVariable", "Text")])?;
            }
            xml.close("Variables")?;
        }
        if !frame.people.is_empty() {
            xml.open("Cases", &[])?;
            for person in &frame.people {
                let name = frame.pseudonym(Some(&person.id));
                xml.open("Case", &[("guid", &guid(frame, &person.id)), ("name", &name)])?;
                for a in &frame.attributes {
                    let value = frame.attribute(person, a);
                    if value.is_empty() {
                        continue;
                    }
                    xml.open("VariableValue", &[])?;
                    xml.empty("VariableRef", &[("targetGUID", &variables[a.as_str()])])?;
                    xml.element("TextValue", &[], &value)?;
                    xml.close("VariableValue")?;
                }
                // Only the ids are needed here; codings come with the sources below.
                frame.each_post_batch(conn, Scope::Participant(&person.id), |_, posts| {
                    for post in posts {
                        xml.empty("SourceRef", &[("targetGUID", &guid(frame, &post.id))])?;
                    }
                    Ok(())
                })?;
                xml.close("Case")?;
            }
            xml.close("Cases")?;
        }
        let mut opened = false;
        frame.each_batch(conn, Scope::Board, |_, replies| {
            for reply in replies {
                if !opened {
                    xml.open("Sources", &[])?;
                    opened = true;
                }
                source(&mut xml, frame, reply)?;
            }
            Ok(())
        })?;
        if opened {
            xml.close("Sources")?;
        }
        if !frame.memos.is_empty() {
            xml.open("Notes", &[])?;
            for memo in &frame.memos {
                let about = match (&memo.post_id, &memo.code_id) {
                    (_, Some(code)) => {
                        format!("Memo on the code {}", frame.code(code).map(|c| c.name.as_str()).unwrap_or(""))
                    }
                    _ => "Memo on a reply".to_string(),
                };
                xml.open(
                    "Note",
                    &[
                        ("guid", &guid(frame, &memo.id)),
                        ("name", &about),
                        ("creatingUser", &guid(frame, &memo.created_by)),
                        ("creationDateTime", &datetime(memo.created_at)),
                    ],
                )?;
                xml.element("PlainTextContent", &[], &frame.redactor.text(&memo.body))?;
                xml.close("Note")?;
            }
            xml.close("Notes")?;
        }
        xml.close("Project")?;
    }
    zip.finish().map_err(io_error)?;
    Ok(())
}
