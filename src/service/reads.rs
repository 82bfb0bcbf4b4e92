//! "Read up to here" marks, kept in memory and written together. A view that shows a post newer
//! than its reader's mark only notes it here; the marks are written in one transaction every
//! second or so, at shutdown, and before anything counts what is new for that reader (so a
//! board home never counts as new what its reader has just seen). Reads therefore never queue
//! behind SQLite's single writer.
//!
//! The last use of browser sessions and API tokens (noted once a minute each, for their idle
//! limits and for showing whether a token is in use) waits here likewise: checking who is
//! asking writes nothing on the request path. A session's idle limit is checked against the
//! later of its stored and its waiting use, so nothing expires for want of a write.

use crate::db::{self, DbConn};
use crate::domain::ids::QuestionId;
use crate::error::AppResult;
use std::collections::HashMap;
use std::sync::Mutex;
use time::PrimitiveDateTime;

type Key = (String, QuestionId);

/// A mark waiting: up to when, and whether the reader had a mark in the database when the view
/// was made (then it is updated, else inserted: one statement either way).
#[derive(Clone, Copy)]
struct Mark {
    at: PrimitiveDateTime,
    stored: bool,
}

/// What a "last used" time is of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Used {
    Session,
    Token,
    /// A participant's visit ("last seen" on the staff's pages).
    Participant,
}

#[derive(Default)]
pub struct ReadMarks {
    pending: Mutex<HashMap<Key, Mark>>,
    used: Mutex<HashMap<(Used, String), PrimitiveDateTime>>,
}

impl ReadMarks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Mark>> {
        // A panic while holding the lock cannot leave the map half-changed: every change is one call.
        self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The reader's mark not yet written, if any.
    pub fn pending(&self, reader: &str, question: &QuestionId) -> Option<PrimitiveDateTime> {
        self.lock().get(&(reader.to_string(), question.clone())).map(|m| m.at)
    }

    /// Notes that the reader has seen the question up to `at` (a later mark wins); `stored`:
    /// the database holds a mark of theirs for it.
    pub fn note(&self, reader: &str, question: &QuestionId, at: PrimitiveDateTime, stored: bool) {
        self.merge((reader.to_string(), question.clone()), Mark { at, stored });
    }

    fn merge(&self, key: Key, new: Mark) {
        let mut pending = self.lock();
        let mark = pending.entry(key).or_insert(new);
        *mark = Mark { at: mark.at.max(new.at), stored: mark.stored || new.stored };
    }

    fn take(&self, reader: Option<&str>) -> Vec<(Key, Mark)> {
        let mut pending = self.lock();
        match reader {
            None => pending.drain().collect(),
            Some(r) => {
                let keys: Vec<Key> = pending.keys().filter(|(who, _)| who == r).cloned().collect();
                keys.into_iter().filter_map(|k| pending.remove_entry(&k)).collect()
            }
        }
    }

    fn put_back(&self, marks: Vec<(Key, Mark)>) {
        for (key, mark) in marks {
            self.merge(key, mark);
        }
    }

    /// How many marks and uses wait to be written.
    pub fn waiting(&self) -> usize {
        self.lock().len() + self.uses().len()
    }

    fn uses(&self) -> std::sync::MutexGuard<'_, HashMap<(Used, String), PrimitiveDateTime>> {
        self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notes that session or token `id` was used at `at` (a later use wins).
    pub fn note_use(&self, what: Used, id: &str, at: PrimitiveDateTime) {
        let mut used = self.uses();
        let last = used.entry((what, id.to_string())).or_insert(at);
        *last = (*last).max(at);
    }

    /// The use of `id` not yet written, if any.
    pub fn last_use(&self, what: Used, id: &str) -> Option<PrimitiveDateTime> {
        self.uses().get(&(what, id.to_string())).copied()
    }
}

/// Writes the marks waiting, all of them or one reader's; on failure they wait for the next
/// flush. Returns how many were written. No transaction of its own: on SQLite the writer
/// commits the flush with the writes beside it, and on PostgreSQL a mark met twice (the
/// insert refused) must not abort the others.
fn write(conn: &mut DbConn, marks: &ReadMarks, reader: Option<&str>) -> AppResult<usize> {
    let taken = marks.take(reader);
    if taken.is_empty() {
        return Ok(0);
    }
    let written: AppResult<()> = taken
        .iter()
        .try_for_each(|((who, question), m)| Ok(db::posts::mark_read(conn, question, who, m.at, m.stored)?));
    match written {
        Ok(()) => Ok(taken.len()),
        Err(e) => {
            marks.put_back(taken);
            Err(e)
        }
    }
}

/// Every mark and use waiting (the periodic flush, and at shutdown).
pub fn flush_all(conn: &mut DbConn, marks: &ReadMarks) -> AppResult<usize> {
    Ok(write(conn, marks, None)? + write_uses(conn, marks)?)
}

/// The uses waiting; on failure they wait for the next flush.
fn write_uses(conn: &mut DbConn, marks: &ReadMarks) -> AppResult<usize> {
    let taken: Vec<_> = marks.uses().drain().collect();
    let written: AppResult<()> = taken.iter().try_for_each(|((what, id), at)| {
        match what {
            Used::Session => db::users::touch_session(conn, id, *at)?,
            Used::Token => db::users::touch_token(conn, id, *at)?,
            Used::Participant => db::participants::touch(conn, &id.clone().into(), *at)?,
        }
        Ok(())
    });
    match written {
        Ok(()) => Ok(taken.len()),
        Err(e) => {
            for ((what, id), at) in taken {
                marks.note_use(what, &id, at);
            }
            Err(e)
        }
    }
}

/// The reader's own marks, before counting what is new for them.
pub fn flush_reader(conn: &mut DbConn, marks: &ReadMarks, reader: &str) -> AppResult<()> {
    write(conn, marks, Some(reader)).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_later_mark_wins_and_a_reader_is_taken_alone() {
        let marks = ReadMarks::default();
        let q = QuestionId::from("q1".to_string());
        marks.note("a", &q, datetime!(2021-03-26 09:00), false);
        marks.note("a", &q, datetime!(2021-03-26 08:00), true);
        marks.note("b", &q, datetime!(2021-03-26 10:00), false);
        assert_eq!(marks.pending("a", &q), Some(datetime!(2021-03-26 09:00)));
        let taken = marks.take(Some("a"));
        assert_eq!(taken.len(), 1);
        assert!(taken[0].1.stored, "a stored mark is updated, not inserted again");
        assert_eq!((marks.pending("a", &q), marks.waiting()), (None, 1));
        marks.put_back(taken);
        assert_eq!(marks.take(None).len(), 2);
        assert_eq!(marks.waiting(), 0);
    }

    #[test]
    fn a_later_use_wins() {
        let marks = ReadMarks::default();
        marks.note_use(Used::Session, "s", datetime!(2021-03-26 09:00));
        marks.note_use(Used::Session, "s", datetime!(2021-03-26 08:00));
        marks.note_use(Used::Token, "s", datetime!(2021-03-26 07:00));
        assert_eq!(marks.last_use(Used::Session, "s"), Some(datetime!(2021-03-26 09:00)));
        assert_eq!(marks.last_use(Used::Token, "s"), Some(datetime!(2021-03-26 07:00)));
        assert_eq!(marks.waiting(), 2);
    }
}
