//! REFI-QDA exchange files (QDA-XML 1.0): the codebook (.qdc) and the project (.qdpx, a ZIP
//! holding project.qde). In the project, participants are cases with their attributes as text
//! variables, each reply is a text source (its text a file in the archive), excerpts and
//! whole-reply codings are plain-text selections with their codings, and memos are notes.
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

/// A readable name for a reply's source, unique in the project: pseudonym, stage and a plain
/// cut of the question, numbered from the second of the same.
fn source_name(frame: &Frame, reply: &Reply, used: &mut HashMap<String, u32>) -> String {
    let q = frame.question(&reply.post.question_id);
    let stage = q.and_then(|q| frame.stage_of(q)).map(|s| s.title.trim().to_string()).unwrap_or_default();
    let prompt = q.map(|q| frame.prompt(q)).unwrap_or_default();
    let mut cut: String = prompt.chars().take(40).collect();
    if prompt.chars().count() > 40 {
        cut = format!("{}…", cut.trim_end());
    }
    let base = format!("{} · {stage} · {cut}", reply.author);
    let n = used.entry(base.clone()).or_insert(0);
    *n += 1;
    match *n {
        1 => base,
        n => format!("{base} ({n})"),
    }
}

/// The file inside the archive that holds a source's text.
fn source_file(frame: &Frame, post_id: &str) -> String {
    format!("{}.txt", guid(frame, post_id))
}

fn source<W: Write>(xml: &mut Xml<W>, frame: &Frame, reply: &Reply, name: &str) -> AppResult<()> {
    let p = &reply.post;
    let q = frame.question(&p.question_id);
    let prompt = q.map(|q| frame.prompt(q)).unwrap_or_default();
    let path = format!("internal://{}", source_file(frame, &p.id));
    let mut attrs = vec![
        ("guid", guid(frame, &p.id)),
        ("name", name.to_string()),
        ("plainTextPath", path),
        ("creationDateTime", datetime(p.created_at)),
    ];
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
    let length = text.text.chars().count().to_string();
    for (e, codings) in &reply.excerpts {
        let codings: Vec<_> = codings.iter().filter(|c| frame.code(&c.code_id).is_some()).collect();
        // A whole-reply coding, or an excerpt no longer found after an edit, is a selection of
        // the whole text: importers that read only selections keep it.
        let (start, end, name) = match frame.excerpt_range(reply, &text, e) {
            Some((start, end)) => (start.to_string(), end.to_string(), if e.is_quote { "quote" } else { "excerpt" }),
            None => ("0".to_string(), length.clone(), if e.is_quote { "quote (whole reply)" } else { "whole reply" }),
        };
        // What the analyst wrote about this selection is its description.
        let memos: Vec<String> = frame
            .memos_of(&p.id)
            .filter(|m| m.excerpt_id.as_deref() == Some(e.id.as_str()))
            .map(|m| frame.redactor.text(&m.body))
            .collect();
        if codings.is_empty() && !e.is_quote && memos.is_empty() {
            continue;
        }
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
        if !memos.is_empty() {
            xml.element("Description", &[], &memos.join("\n\n"))?;
        }
        for c in codings {
            coding(xml, frame, c)?;
        }
        xml.close("PlainTextSelection")?;
    }
    for memo in frame.memos_of(&p.id).filter(|m| m.excerpt_id.is_none()) {
        xml.empty("NoteRef", &[("targetGUID", &guid(frame, &memo.id))])?;
    }
    xml.close("TextSource")
}

/// The REFI-QDA project: a ZIP with project.qde and each reply's text as a UTF-8 file in
/// sources/, referred to as internal://<guid>.txt, the way NVivo, ATLAS.ti and MAXQDA write
/// them (some importers read only that form).
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
        let mut used = HashMap::new();
        frame.each_batch(conn, Scope::Board, |_, replies| {
            for reply in replies {
                if !opened {
                    xml.open("Sources", &[])?;
                    opened = true;
                }
                let name = source_name(frame, reply, &mut used);
                source(&mut xml, frame, reply, &name)?;
            }
            Ok(())
        })?;
        if opened {
            xml.close("Sources")?;
        }
        // Memos on excerpts went into their selections.
        let notes: Vec<_> = frame.memos.iter().filter(|m| m.excerpt_id.is_none()).collect();
        if !notes.is_empty() {
            xml.open("Notes", &[])?;
            for memo in notes {
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
    // The texts, a second pass over the replies: a ZIP is written one file at a time.
    frame.each_post_batch(conn, Scope::Board, |_, posts| {
        for post in posts {
            zip.start_file(format!("sources/{}", source_file(frame, &post.id)), options).map_err(io_error)?;
            // The same characters as the XML gets (forbidden ones replaced one for one), so that
            // selections' positions hold and no importer meets a control character.
            let text = frame.redactor.apply(&post.body_md).text;
            zip.write_all(super::xml::clean(&text).as_bytes()).map_err(io_error)?;
        }
        Ok(())
    })?;
    zip.finish().map_err(io_error)?;
    Ok(())
}
