//! One row per reply, as CSV or as an XLSX workbook (with the participants and the codebook on
//! sheets of their own), and the list of quotes as CSV.

use super::format::{io_error, Sink};
use super::source::{Frame, Reply, Scope};
use crate::db::DbConn;
use crate::domain::spreadsheet::inert_cell;
use crate::error::AppResult;
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet};

/// The columns of a reply row.
fn header(frame: &Frame) -> Vec<String> {
    let mut header: Vec<String> = ["board", "stage", "question", "post_id", "participant"].map(String::from).to_vec();
    header.extend(frame.attributes.iter().cloned());
    header.extend(
        ["time", "source", "in_reply_to", "hidden", "text", "codes", "quotes", "agrees", "images"].map(String::from),
    );
    header
}

fn row(frame: &Frame, reply: &Reply) -> Vec<String> {
    let p = &reply.post;
    let q = frame.question(&p.question_id);
    let person = frame.person(p.participant_id.as_deref());
    let text = frame.text(reply);
    let mut row = vec![
        frame.board.title.clone(),
        q.and_then(|q| frame.stage_of(q)).map(|s| s.title.clone()).unwrap_or_default(),
        q.map(|q| frame.prompt(q)).unwrap_or_default(),
        p.id.to_string(),
        reply.author.clone(),
    ];
    row.extend(frame.attributes.iter().map(|a| person.map(|x| frame.attribute(x, a)).unwrap_or_default()));
    let quotes: Vec<String> = reply
        .excerpts
        .iter()
        .filter(|(e, _)| e.is_quote)
        .map(|(e, _)| match frame.excerpt_range(reply, &text, e) {
            Some((s, end)) => text.text.chars().skip(s).take(end - s).collect(),
            None => text.text.clone(),
        })
        .collect();
    row.extend([
        frame.time(p.created_at),
        frame.source(p),
        reply.in_reply_to.clone().unwrap_or_default(),
        if p.hidden_at.is_some() { "hidden".into() } else { String::new() },
        text.text.clone(),
        frame.code_names(reply).join("; "),
        quotes.join(" | "),
        reply.agrees.to_string(),
        reply.images.iter().map(|(id, alt)| format!("{alt} (image {id})")).collect::<Vec<_>>().join(" | "),
    ]);
    row
}

fn inert_row(row: Vec<String>) -> Vec<String> {
    row.into_iter().map(inert_cell).collect()
}

pub fn csv(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let mut w = csv::Writer::from_writer(out);
    // Attribute names come from the participants' CSV: the header gets the same guard as cells.
    w.write_record(inert_row(header(frame))).map_err(io_error)?;
    frame.each_batch(conn, Scope::Board, |_, replies| {
        for reply in replies {
            w.write_record(inert_row(row(frame, reply))).map_err(io_error)?;
        }
        Ok(())
    })?;
    w.flush().map_err(io_error)
}

/// The quotes, each with its participant's pseudonym, question, codes and time.
pub fn quotes(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["participant", "stage", "question", "quote", "codes", "time", "post_id"]).map_err(io_error)?;
    frame.each_batch(conn, Scope::Board, |_, replies| {
        for reply in replies {
            let text = frame.text(reply);
            for (e, codings) in reply.excerpts.iter().filter(|(e, _)| e.is_quote) {
                let quote: String = match frame.excerpt_range(reply, &text, e) {
                    Some((s, end)) => text.text.chars().skip(s).take(end - s).collect(),
                    None => text.text.clone(),
                };
                let codes: Vec<&str> =
                    codings.iter().filter_map(|c| frame.code(&c.code_id)).map(|c| c.name.as_str()).collect();
                let q = frame.question(&reply.post.question_id);
                w.write_record(inert_row(vec![
                    reply.author.clone(),
                    q.and_then(|q| frame.stage_of(q)).map(|s| s.title.clone()).unwrap_or_default(),
                    q.map(|q| frame.prompt(q)).unwrap_or_default(),
                    quote,
                    codes.join("; "),
                    frame.time(reply.post.created_at),
                    reply.post.id.to_string(),
                ]))
                .map_err(io_error)?;
            }
        }
        Ok(())
    })?;
    w.flush().map_err(io_error)
}

/// Excel keeps at most 32,767 characters in a cell.
fn cell(text: &str) -> String {
    const MAX: usize = 32_767;
    if text.len() <= MAX || text.chars().count() <= MAX {
        text.to_string()
    } else {
        text.chars().take(MAX).collect()
    }
}

fn write_row(sheet: &mut Worksheet, row: u32, values: &[String], format: Option<&CellFormat>) -> AppResult<()> {
    for (col, value) in values.iter().enumerate() {
        match format {
            Some(f) => sheet.write_string_with_format(row, col as u16, cell(value), f),
            None => sheet.write_string(row, col as u16, cell(value)),
        }
        .map_err(io_error)?;
    }
    Ok(())
}

/// Sheets "Replies", "Participants", "Votes" and "Codebook", written row by row in constant
/// memory.
pub fn xlsx(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let bold = CellFormat::new().set_bold();
    let mut book = Workbook::new();
    {
        let sheet = book.add_worksheet_with_constant_memory().map_err(io_error)?;
        sheet.set_name("Replies").map_err(io_error)?;
        let header = header(frame);
        write_row(sheet, 0, &header, Some(&bold))?;
        sheet.set_freeze_panes(1, 0).map_err(io_error)?;
        let text_col = header.iter().position(|h| h == "text").unwrap_or(0) as u16;
        sheet.set_column_width(text_col, 80).map_err(io_error)?;
        let mut next = 1u32;
        frame.each_batch(conn, Scope::Board, |_, replies| {
            for reply in replies {
                write_row(sheet, next, &row(frame, reply), None)?;
                next += 1;
            }
            Ok(())
        })?;
    }
    {
        let sheet = book.add_worksheet_with_constant_memory().map_err(io_error)?;
        sheet.set_name("Participants").map_err(io_error)?;
        let mut header = vec!["participant".to_string()];
        header.extend(frame.attributes.iter().cloned());
        write_row(sheet, 0, &header, Some(&bold))?;
        for (i, p) in frame.people.iter().enumerate() {
            let mut values = vec![frame.pseudonym(Some(&p.id))];
            values.extend(frame.attributes.iter().map(|a| frame.attribute(p, a)));
            write_row(sheet, i as u32 + 1, &values, None)?;
        }
    }
    {
        // Current votes on choice, rating and ranking questions, as the participants gave them.
        let sheet = book.add_worksheet_with_constant_memory().map_err(io_error)?;
        sheet.set_name("Votes").map_err(io_error)?;
        write_row(sheet, 0, &["question", "participant", "answer", "time"].map(String::from), Some(&bold))?;
        let votes = crate::db::votes::current_of_board(conn, &frame.board.id)?;
        let mut next = 1u32;
        for v in &votes {
            let Some(q) = frame.question(&v.question_id) else { continue };
            let answer = v.answer.describe(&q.config);
            write_row(
                sheet,
                next,
                &[frame.prompt(q), frame.pseudonym(Some(&v.participant_id)), answer, frame.time(v.created_at)],
                None,
            )?;
            next += 1;
        }
    }
    {
        let sheet = book.add_worksheet_with_constant_memory().map_err(io_error)?;
        sheet.set_name("Codebook").map_err(io_error)?;
        write_row(sheet, 0, &["code", "parent", "description", "colour"].map(String::from), Some(&bold))?;
        for (i, (code, _)) in frame.codes.iter().enumerate() {
            let parent =
                code.parent_id.as_deref().and_then(|p| frame.code(p)).map(|c| c.name.clone()).unwrap_or_default();
            write_row(
                sheet,
                i as u32 + 1,
                &[code.name.clone(), parent, code.description.clone(), code.colour.clone()],
                None,
            )?;
        }
    }
    book.save_to_writer(out).map_err(io_error)
}
