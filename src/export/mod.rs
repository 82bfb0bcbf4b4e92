//! Exports of a board for analysis, all written from the same frame and the same batches of
//! replies: CSV and XLSX (one row per reply), JSON (the whole board), DOCX transcripts by
//! question and by participant, the quotes, the codebook as a REFI-QDA codebook (.qdc) and a
//! REFI-QDA project (.qdpx) for NVivo, ATLAS.ti and MAXQDA. Participants appear only under
//! stable pseudonyms (P01, P02 … in the order they were added). Exports are written to a file
//! a batch at a time, so memory stays bounded whatever the size of the board.

mod docx;
mod format;
mod json;
mod qdpx;
pub mod source;
mod tabular;
mod xml;

use crate::db::DbConn;
use crate::domain::ids::BoardId;
use crate::error::{AppError, AppResult};
use crate::service::Access;
pub use format::{io_error, ExportOptions, Format, Sink};
use source::Frame;
use std::io::{Seek, Write};

pub use crate::service::analysis::analysis_access as exporter_access;

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

/// Access for the command line, which runs with the database owner's rights.
pub fn command_line_access(conn: &mut DbConn, board_id: &BoardId) -> AppResult<Access> {
    match crate::service::access(conn, &crate::service::Actor::System, board_id) {
        Err(AppError::NotFound(_)) => Err(AppError::NotFound(format!("There is no board {board_id}."))),
        other => other,
    }
}
