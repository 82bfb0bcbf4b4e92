//! One row per reply, as CSV or as an XLSX workbook (with the participants and the codebook on
//! sheets of their own), and the list of quotes as CSV.

use super::format::{io_error, Sink};
use super::source::{Frame, Reply, Scope};
use crate::db::DbConn;
use crate::domain::polls::Answer;
use crate::domain::spreadsheet::inert_cell;
use crate::error::AppResult;
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Workbook, Worksheet};
use time::PrimitiveDateTime;

/// A cell as typed data: text, a number, or a time (UTC, shown in the board's zone).
#[derive(Clone)]
enum Cell {
    Text(String),
    Number(f64),
    Time(PrimitiveDateTime),
}

impl Cell {
    /// As CSV writes it: numbers as digits, times in RFC 3339 with the board's offset.
    fn text(&self, frame: &Frame) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Time(t) => frame.time(*t),
        }
    }
}

/// The columns of a reply row, with the width each gets in a spreadsheet. In XLSX the time
/// column names the board's zone, as its cells are wall-clock times there.
fn header(frame: &Frame, zone_in_time: bool) -> Vec<(String, f64)> {
    let mut header: Vec<(String, f64)> =
        [("board", 24.0), ("stage", 20.0), ("question", 40.0), ("post_id", 38.0), ("participant", 12.0)]
            .map(|(h, w)| (h.to_string(), w))
            .to_vec();
    header.extend(frame.attributes.iter().map(|a| (a.clone(), 16.0)));
    let time = match zone_in_time {
        true => format!("time ({})", frame.zone.name()),
        false => "time".to_string(),
    };
    header.push((time, 18.0));
    header.extend(
        [
            ("source", 22.0),
            ("in_reply_to", 24.0),
            ("hidden", 8.0),
            ("text", 80.0),
            ("codes", 30.0),
            ("quotes", 40.0),
            ("agrees", 8.0),
            ("images", 30.0),
        ]
        .map(|(h, w)| (h.to_string(), w)),
    );
    header
}

fn names(header: Vec<(String, f64)>) -> Vec<String> {
    header.into_iter().map(|(h, _)| h).collect()
}

fn row(frame: &Frame, reply: &Reply) -> Vec<Cell> {
    let p = &reply.post;
    let q = frame.question(&p.question_id);
    let person = frame.person(p.participant_id.as_deref());
    let text = frame.text(reply);
    let t = Cell::Text;
    let mut row = vec![
        t(frame.board.title.clone()),
        t(q.and_then(|q| frame.stage_of(q)).map(|s| s.title.clone()).unwrap_or_default()),
        t(q.map(|q| frame.prompt(q)).unwrap_or_default()),
        t(p.id.to_string()),
        t(reply.author.clone()),
    ];
    row.extend(frame.attributes.iter().map(|a| t(person.map(|x| frame.attribute(x, a)).unwrap_or_default())));
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
        Cell::Time(p.created_at),
        t(frame.source(p)),
        t(reply.in_reply_to.clone().unwrap_or_default()),
        t(if p.hidden_at.is_some() { "hidden".into() } else { String::new() }),
        t(text.text.clone()),
        t(frame.code_names(reply).join("; ")),
        t(quotes.join(" | ")),
        Cell::Number(reply.agrees as f64),
        t(reply.images.iter().map(|(id, alt)| format!("{alt} (image {id})")).collect::<Vec<_>>().join(" | ")),
    ]);
    row
}

fn text_row(frame: &Frame, row: Vec<Cell>) -> Vec<String> {
    row.iter().map(|c| c.text(frame)).collect()
}

fn inert_row(row: Vec<String>) -> Vec<String> {
    row.into_iter().map(inert_cell).collect()
}

pub fn csv(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let mut w = csv::Writer::from_writer(out);
    // Attribute names come from the participants' CSV: the header gets the same guard as cells.
    w.write_record(inert_row(names(header(frame, false)))).map_err(io_error)?;
    frame.each_batch(conn, Scope::Board, |_, replies| {
        for reply in replies {
            w.write_record(inert_row(text_row(frame, row(frame, reply)))).map_err(io_error)?;
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

/// Formats of a workbook's cells.
struct Formats {
    bold: CellFormat,
    time: CellFormat,
}

fn write_cells(sheet: &mut Worksheet, frame: &Frame, row: u32, values: &[Cell], f: &Formats) -> AppResult<()> {
    for (col, value) in values.iter().enumerate() {
        let col = col as u16;
        match value {
            Cell::Text(t) => sheet.write_string(row, col, cell(t)),
            Cell::Number(n) => sheet.write_number(row, col, *n),
            Cell::Time(t) => {
                // A wall-clock time in the board's zone, which the header names.
                let local = frame.zone.local(*t);
                let when = ExcelDateTime::from_ymd(local.year() as u16, local.month() as u8, local.day())
                    .and_then(|d| d.and_hms(u16::from(local.hour()), local.minute(), f64::from(local.second())));
                match when {
                    Ok(when) => sheet.write_datetime_with_format(row, col, &when, &f.time),
                    Err(_) => sheet.write_string(row, col, frame.time(*t)),
                }
            }
        }
        .map_err(io_error)?;
    }
    Ok(())
}

/// A sheet's header row in bold, frozen, with its columns' widths (set before any row, as a
/// constant-memory sheet needs).
fn start_sheet(sheet: &mut Worksheet, name: &str, header: &[(String, f64)], f: &Formats) -> AppResult<()> {
    sheet.set_name(name).map_err(io_error)?;
    for (col, (title, width)) in header.iter().enumerate() {
        sheet.set_column_width(col as u16, *width).map_err(io_error)?;
        sheet.write_string_with_format(0, col as u16, cell(title), &f.bold).map_err(io_error)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(io_error)?;
    Ok(())
}

/// An autofilter over the header and the rows written.
fn finish_sheet(sheet: &mut Worksheet, columns: usize, rows: u32) -> AppResult<()> {
    sheet.autofilter(0, 0, rows.max(1) - 1, columns.max(1) as u16 - 1).map_err(io_error)?;
    Ok(())
}

/// Sheets "Replies", "Participants", "Votes" and "Codebook", written row by row in constant
/// memory: counts and ratings as numbers, times as date-times in the board's zone, every sheet
/// with a frozen header and an autofilter.
pub fn xlsx(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let f = Formats { bold: CellFormat::new().set_bold(), time: CellFormat::new().set_num_format("yyyy-mm-dd hh:mm") };
    let mut book = Workbook::new();
    {
        let sheet = book.add_worksheet_with_constant_memory().map_err(io_error)?;
        let header = header(frame, true);
        start_sheet(sheet, "Replies", &header, &f)?;
        let mut next = 1u32;
        frame.each_batch(conn, Scope::Board, |_, replies| {
            for reply in replies {
                write_cells(sheet, frame, next, &row(frame, reply), &f)?;
                next += 1;
            }
            Ok(())
        })?;
        finish_sheet(sheet, header.len(), next)?;
    }
    {
        let sheet = book.add_worksheet_with_constant_memory().map_err(io_error)?;
        let mut header = vec![("participant".to_string(), 12.0)];
        header.extend(frame.attributes.iter().map(|a| (a.clone(), 18.0)));
        start_sheet(sheet, "Participants", &header, &f)?;
        for (i, p) in frame.people.iter().enumerate() {
            let mut values = vec![Cell::Text(frame.pseudonym(Some(&p.id)))];
            values.extend(frame.attributes.iter().map(|a| Cell::Text(frame.attribute(p, a))));
            write_cells(sheet, frame, i as u32 + 1, &values, &f)?;
        }
        finish_sheet(sheet, header.len(), frame.people.len() as u32 + 1)?;
    }
    {
        // Current votes on choice, rating and ranking questions, as the participants gave them;
        // a rating also as its number.
        let sheet = book.add_worksheet_with_constant_memory().map_err(io_error)?;
        let header: Vec<(String, f64)> = [
            ("question", 40.0),
            ("participant", 12.0),
            ("answer", 40.0),
            ("rating", 8.0),
            (&format!("time ({})", frame.zone.name()), 18.0),
        ]
        .map(|(h, w)| (h.to_string(), w))
        .to_vec();
        start_sheet(sheet, "Votes", &header, &f)?;
        let votes = crate::db::votes::current_of_board(conn, &frame.board.id)?;
        let mut next = 1u32;
        for v in &votes {
            let Some(q) = frame.question(&v.question_id) else { continue };
            let rating = match v.answer.get() {
                Answer::Rating(r) => Cell::Number(f64::from(*r)),
                _ => Cell::Text(String::new()),
            };
            let values = [
                Cell::Text(frame.prompt(q)),
                Cell::Text(frame.pseudonym(Some(&v.participant_id))),
                Cell::Text(v.answer.describe(&q.config)),
                rating,
                Cell::Time(v.created_at),
            ];
            write_cells(sheet, frame, next, &values, &f)?;
            next += 1;
        }
        finish_sheet(sheet, header.len(), next)?;
    }
    {
        let sheet = book.add_worksheet_with_constant_memory().map_err(io_error)?;
        let header: Vec<(String, f64)> = [("code", 30.0), ("parent", 30.0), ("description", 60.0), ("colour", 10.0)]
            .map(|(h, w)| (h.to_string(), w))
            .to_vec();
        start_sheet(sheet, "Codebook", &header, &f)?;
        for (i, (code, _)) in frame.codes.iter().enumerate() {
            let parent =
                code.parent_id.as_deref().and_then(|p| frame.code(p)).map(|c| c.name.clone()).unwrap_or_default();
            let values = [code.name.clone(), parent, code.description.clone(), code.colour.clone()].map(Cell::Text);
            write_cells(sheet, frame, i as u32 + 1, &values, &f)?;
        }
        finish_sheet(sheet, header.len(), frame.codes.len() as u32 + 1)?;
    }
    book.save_to_writer(out).map_err(io_error)
}
