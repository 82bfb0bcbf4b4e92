//! Exports of a board for analysis, all written from the same frame and the same batches of
//! replies: CSV and XLSX (one row per reply), JSON (the whole board), DOCX transcripts by
//! question and by participant, the quotes, the codebook as a REFI-QDA codebook (.qdc) and a
//! REFI-QDA project (.qdpx) for NVivo, ATLAS.ti and MAXQDA. Participants appear only under
//! stable pseudonyms (P01, P02 … in the order they were added). Exports are written to a file
//! a batch at a time, so memory stays bounded whatever the size of the board.

mod docx;
mod json;
mod qdpx;
pub mod source;
mod tabular;
mod xml;

use crate::db::DbConn;
use crate::domain::ids::BoardId;
use crate::error::{AppError, AppResult};
use crate::service::Access;
use serde::Deserialize;
use source::Frame;
use std::io::{Seek, Write};
use utoipa::ToSchema;

pub use crate::service::analysis::analysis_access as exporter_access;

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct ExportOptions {
    /// Include posts the moderators hid.
    pub include_hidden: bool,
    /// Include private questions and private probes with their answers.
    pub include_private: bool,
    /// Include moderators' posts (probes and replies).
    pub include_moderators: bool,
    /// Names to replace by [redacted] in texts, comma separated.
    pub redact: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
    DocxByQuestion,
    DocxByParticipant,
    Quotes,
    Codebook,
    Qdpx,
}

impl Format {
    pub const ALL: [Format; 8] = [
        Format::Csv,
        Format::Xlsx,
        Format::Json,
        Format::DocxByQuestion,
        Format::DocxByParticipant,
        Format::Quotes,
        Format::Codebook,
        Format::Qdpx,
    ];

    pub fn parse(name: &str) -> AppResult<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            AppError::invalid(format!("There is no export format \"{name}\"; choose one of {}.", names.join(", ")))
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::DocxByQuestion => "docx",
            Format::DocxByParticipant => "docx-participants",
            Format::Quotes => "quotes",
            Format::Codebook => "qdc",
            Format::Qdpx => "qdpx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv | Format::Quotes => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json => "application/json",
            Format::DocxByQuestion | Format::DocxByParticipant => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Codebook => "application/xml",
            Format::Qdpx => "application/zip",
        }
    }

    pub fn file_name(self, board_title: &str) -> String {
        let stem: String =
            board_title.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let stem = stem.split('-').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("-");
        let stem = if stem.is_empty() { "board".to_string() } else { stem.chars().take(60).collect() };
        match self {
            Format::Csv => format!("{stem}.csv"),
            Format::Xlsx => format!("{stem}.xlsx"),
            Format::Json => format!("{stem}.json"),
            Format::DocxByQuestion => format!("{stem}-by-question.docx"),
            Format::DocxByParticipant => format!("{stem}-by-participant.docx"),
            Format::Quotes => format!("{stem}-quotes.csv"),
            Format::Codebook => format!("{stem}-codebook.qdc"),
            Format::Qdpx => format!("{stem}.qdpx"),
        }
    }
}

/// Where an export is written: a file, or anything seekable (ZIP containers need to seek).
pub trait Sink: Write + Seek + Send {}
impl<T: Write + Seek + Send> Sink for T {}

/// Writes the export of `format` to `out`; `acc` must come from `exporter_access` (or the
/// command line).
pub fn write<W: Write + Seek + Send>(
    conn: &mut DbConn,
    acc: &Access,
    format: Format,
    options: &ExportOptions,
    out: W,
) -> AppResult<()> {
    let frame = Frame::load(conn, acc.board.clone(), options.clone())?;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    let sink: &mut dyn Sink = &mut out;
    match format {
        Format::Csv => tabular::csv(conn, &frame, sink)?,
        Format::Quotes => tabular::quotes(conn, &frame, sink)?,
        Format::Xlsx => tabular::xlsx(conn, &frame, sink)?,
        Format::Json => json::write(conn, &frame, sink)?,
        Format::DocxByQuestion => docx::by_question(conn, &frame, sink)?,
        Format::DocxByParticipant => docx::by_participant(conn, &frame, sink)?,
        Format::Codebook => qdpx::codebook(&frame, sink)?,
        Format::Qdpx => qdpx::project(conn, &frame, sink)?,
    }
    out.flush().map_err(io_error)?;
    Ok(())
}

/// The export in an anonymous temporary file (gone when closed), rewound for reading.
pub fn to_temp_file(
    conn: &mut DbConn,
    acc: &Access,
    format: Format,
    options: &ExportOptions,
) -> AppResult<std::fs::File> {
    let mut file = tempfile::tempfile().map_err(io_error)?;
    write(conn, acc, format, options, &mut file)?;
    file.rewind().map_err(io_error)?;
    Ok(file)
}

pub fn io_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing the export failed: {e}"))
}

/// Access for the command line, which runs with the database owner's rights.
pub fn command_line_access(conn: &mut DbConn, board_id: &BoardId) -> AppResult<Access> {
    match crate::service::access(conn, &crate::service::Actor::System, board_id) {
        Err(AppError::NotFound(_)) => Err(AppError::NotFound(format!("There is no board {board_id}."))),
        other => other,
    }
}
