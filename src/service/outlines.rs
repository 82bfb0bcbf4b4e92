//! Large questions' outlines kept in memory between views. Reading the outline of a question of
//! 2,000 posts (ids, threads, authors, privacy of every post) was most of the cost of its first
//! page; a kept outline is used again as long as the question's fingerprint (how many posts,
//! and the newest one's time) is unchanged. That is checked against the database on every view,
//! so several instances never show each other stale threads.
//!
//! This relies on what an outline holds never changing once a post is written (edits and hiding
//! change the text and flags, not the outline) and on posts being added, not removed one by one:
//! every insert changes the count. Whatever removes single posts must keep changing the
//! fingerprint too (a removal lowers the count).

use crate::db::posts::PostOutline;
use crate::db::{self, DbConn};
use crate::domain::ids::QuestionId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use time::PrimitiveDateTime;

/// Smaller outlines are read each time: counting their posts would cost as much as reading them.
const KEPT_FROM: usize = 500;
/// Posts kept at most over all outlines (about 300 bytes a post: some 30 MB).
const POSTS_KEPT_AT_MOST: usize = 100_000;

type Fingerprint = (i64, Option<PrimitiveDateTime>);
/// Per question: its fingerprint when read, and its outline.
type Kept = HashMap<QuestionId, (Fingerprint, Arc<Vec<PostOutline>>)>;

#[derive(Default)]
pub struct Outlines {
    kept: Mutex<Kept>,
}

impl Outlines {
    fn lock(&self) -> MutexGuard<'_, Kept> {
        // A panic while holding the lock leaves a map that is still whole.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The outline of `question_id`, oldest post first.
    pub fn of(&self, conn: &mut DbConn, question_id: &QuestionId) -> diesel::QueryResult<Arc<Vec<PostOutline>>> {
        let kept = self.lock().get(question_id).cloned();
        if let Some((print, outline)) = kept {
            if db::posts::outline_fingerprint(conn, question_id)? == print {
                return Ok(outline);
            }
        }
        let outline = Arc::new(db::posts::outline_of_question(conn, question_id)?);
        let mut kept = self.lock();
        kept.remove(question_id);
        if (KEPT_FROM..=POSTS_KEPT_AT_MOST).contains(&outline.len()) {
            // Room is made by dropping any others: a dropped outline is only read again.
            while kept.values().map(|(_, o)| o.len()).sum::<usize>() + outline.len() > POSTS_KEPT_AT_MOST {
                let Some(any) = kept.keys().next().cloned() else { break };
                kept.remove(&any);
            }
            let print = (outline.len() as i64, outline.last().map(|p| p.created_at));
            kept.insert(question_id.clone(), (print, outline.clone()));
        }
        Ok(outline)
    }
}
