//! Who may read and write what on a question, by the same rules for pages, the API, images
//! and email: released stages and groups, the response mode (post first, private), private
//! follow-ups and hidden posts. Below the pages and actions that use them.

use super::{access, Access, Actor};
use crate::db::models::{Post, Question, Stage};
use crate::db::{self, DbConn};
use crate::domain::ids::QuestionId;
use crate::domain::roles::Standing;
use crate::domain::visibility::{participant_scope, ReplyScope};
use crate::error::{AppError, AppResult};

/// The board, stage and question for someone who may open the question.
pub fn question_access(
    conn: &mut DbConn,
    actor: &Actor,
    question_id: &QuestionId,
) -> AppResult<(Access, Stage, Question)> {
    let q = db::stages::find_question(conn, question_id)?.ok_or_else(AppError::not_found)?;
    let acc = access(conn, actor, &q.board_id)?;
    let stage = db::stages::find(conn, &q.stage_id)?.ok_or_else(AppError::not_found)?;
    if acc.standing == Standing::Participant {
        let p = acc.participant()?;
        // Unreleased questions, and those for other groups, do not exist for participants.
        if stage.released_at.is_none() || !p.is_for(&stage, &q) {
            return Err(AppError::not_found());
        }
    }
    Ok((acc, stage, q))
}

/// Whether `actor` may read a post: staff always; a participant by the question's mode
/// (post first, private), private follow-ups, and hiding.
pub fn can_read_post(conn: &mut DbConn, actor: &Actor, post: &Post) -> AppResult<bool> {
    let (acc, _stage, q) = question_access(conn, actor, &post.question_id)?;
    if acc.standing.sees_everything() {
        return Ok(true);
    }
    let me = acc.participant()?;
    let mode = q.mode;
    let answered =
        db::posts::has_answered(conn, &me.id, &q.id)? || db::votes::current_vote(conn, &me.id, &q.id)?.is_some();
    let own_thread = db::posts::find(conn, &post.thread_id)?
        .is_some_and(|root| root.participant_id.as_deref() == Some(me.id.as_str()));
    Ok((participant_scope(mode, answered) == ReplyScope::All || own_thread)
        && post.private_to.as_deref().is_none_or(|to| to == me.id)
        && (post.hidden_at.is_none() || post.participant_id.as_deref() == Some(me.id.as_str())))
}

/// Whether a participant may add to a post (reply under it, edit it, add an image to it): they
/// may read it, and neither it nor its thread's first post is hidden. Staff always may, except
/// under a post removed with its author's withdrawal, which holds nothing to answer.
pub fn may_write_under(conn: &mut DbConn, actor: &Actor, post: &Post) -> AppResult<bool> {
    if post.removed_at.is_some() {
        return Ok(false);
    }
    if !matches!(actor, Actor::Participant(_)) {
        return Ok(true);
    }
    if post.hidden_at.is_some() || !can_read_post(conn, actor, post)? {
        return Ok(false);
    }
    if post.thread_id != post.id {
        let root_hidden = db::posts::find(conn, &post.thread_id)?.is_none_or(|root| root.hidden_at.is_some());
        if root_hidden {
            return Ok(false);
        }
    }
    Ok(true)
}
