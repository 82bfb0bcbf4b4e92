//! "Read up to here" marks, which every view of a question would otherwise write: kept in
//! memory and written together every few seconds and when the server stops, so a page view
//! never queues behind the database's single writer.

use crate::db::{self, DbConn};
use crate::domain::ids::QuestionId;
use crate::error::AppResult;
use std::collections::HashMap;
use std::sync::Mutex;
use time::PrimitiveDateTime;

/// How often the server writes the marks it holds.
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Marks not yet written: (question, reader) to the time of the latest view.
#[derive(Default)]
pub struct ReadMarks {
    pending: Mutex<HashMap<(QuestionId, String), PrimitiveDateTime>>,
}

impl ReadMarks {
    /// Notes that `reader` has read `question` up to `at`.
    pub fn note(&self, question: &QuestionId, reader: &str, at: PrimitiveDateTime) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let mark = pending.entry((question.clone(), reader.to_string())).or_insert(at);
        *mark = (*mark).max(at);
    }

    /// Writes every mark held, in one transaction; on failure they are kept for the next try.
    pub fn flush(&self, conn: &mut DbConn) -> AppResult<usize> {
        let taken = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        self.write(conn, taken)
    }

    /// The questions `reader` has read since the marks were last written. Counts of what they
    /// have not read leave these out, so no page view waits for a write.
    pub fn read_since_flush(&self, reader: &str) -> std::collections::HashSet<QuestionId> {
        let pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.keys().filter(|(_, r)| r == reader).map(|(q, _)| q.clone()).collect()
    }

    fn write(&self, conn: &mut DbConn, marks: HashMap<(QuestionId, String), PrimitiveDateTime>) -> AppResult<usize> {
        if marks.is_empty() {
            return Ok(0);
        }
        let rows: Vec<_> = marks.iter().map(|((q, r), at)| (q, r.as_str(), *at)).collect();
        let written = db::posts::mark_read_all(conn, &rows);
        match written {
            Ok(()) => Ok(marks.len()),
            Err(e) => {
                for ((question, reader), at) in marks {
                    self.note(&question, &reader, at);
                }
                Err(e.into())
            }
        }
    }
}
