//! What an export is asked for (its format and the exporter's choices) and where it is
//! written; shared by every writer below `export`.

use crate::error::{AppError, AppResult};
use serde::Deserialize;
use std::io::{Seek, Write};
use utoipa::ToSchema;

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

/// A failure to write the export: never the exporter's fault.
pub fn io_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("writing the export failed: {e}"))
}
