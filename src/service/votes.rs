//! Poll, rating and ranking questions: voting (a changed vote is kept in the history), the
//! results as a participant may see them, and the votes for staff.

use super::pages::{question_page, PageAt, QuestionPage};
use super::posting::{create_post, PostInput};
use super::rules::question_access;
use super::views::When;
use super::{Actor, Ctx};
use crate::db::json_text::JsonText;
use crate::db::{self, DbConn};
use crate::domain::ids::{ParticipantId, QuestionId};
use crate::domain::polls::{tally, Answer, QuestionKind, Results};
use crate::domain::roles::Standing;
use crate::domain::visibility::{answer_refusal, stage_phase};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct VoteInput {
    pub answer: Answer,
    /// An optional comment, posted as the participant's written answer the first time.
    #[serde(default)]
    pub comment_md: Option<String>,
}

/// Casts or changes a participant's vote while the stage is open; every change is kept.
pub fn vote(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    input: &VoteInput,
) -> AppResult<QuestionPage> {
    let (acc, stage, q) = question_access(conn, actor, question_id)?;
    let me = match acc.standing {
        Standing::Participant => acc.participant()?.clone(),
        _ => return Err(AppError::forbidden("Only participants vote.")),
    };
    let kind = q.kind;
    q.config.check_answer(kind, &input.answer).map_err(|e| AppError::invalid_field("answer", e))?;
    if let Some(why) = answer_refusal(acc.state(), stage_phase(stage.released_at, stage.close_at, ctx.now())) {
        return Err(AppError::Forbidden(why.into()));
    }
    let vote = crate::db::models::Vote {
        id: db::new_id(),
        board_id: q.board_id.clone(),
        question_id: q.id.clone(),
        participant_id: me.id.clone(),
        answer: JsonText::new(input.answer.clone())?,
        created_at: ctx.now(),
        superseded_at: None,
    };
    super::in_tx(conn, |conn| Ok(db::votes::cast(conn, &vote)?))?;
    let comment = input.comment_md.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(comment) = comment {
        if !db::posts::has_answered(conn, &me.id, &q.id)? {
            create_post(conn, ctx, actor, question_id, &PostInput { body_md: comment.into(), parent_id: None })?;
        }
    }
    question_page(conn, ctx, actor, question_id, &PageAt::default())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoteRecord {
    pub participant_id: ParticipantId,
    pub answer: Answer,
    pub cast: When,
    /// When a later vote replaced it; empty for the current vote.
    pub superseded: Option<When>,
}

/// Every vote of a question, changed ones included, for the board's staff.
pub fn vote_history(conn: &mut DbConn, actor: &Actor, question_id: &QuestionId) -> AppResult<Vec<VoteRecord>> {
    let (acc, ..) = question_access(conn, actor, question_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("Vote histories are for the board's staff."));
    }
    let zone = acc.zone();
    Ok(db::votes::history_of_question(conn, question_id)?
        .into_iter()
        .map(|v| VoteRecord {
            answer: v.answer.into_inner(),
            participant_id: v.participant_id,
            cast: When::new(&zone, v.created_at),
            superseded: When::opt(&zone, v.superseded_at),
        })
        .collect())
}

/// A vote submitted from the question page's form.
pub fn vote_from_form(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    form: &HashMap<String, String>,
) -> AppResult<QuestionPage> {
    let q = db::stages::find_question(conn, question_id)?.ok_or_else(AppError::not_found)?;
    let answer =
        crate::domain::polls::answer_from_form(q.kind, q.config.options.len(), form).map_err(AppError::invalid)?;
    vote(conn, ctx, actor, question_id, &VoteInput { answer, comment_md: form.get("comment_md").cloned() })
}

/// The results of a voted question counting only the votes of one group, for staff.
pub fn results_for_group(
    conn: &mut DbConn,
    actor: &Actor,
    question_id: &QuestionId,
    group: &str,
) -> AppResult<Results> {
    let (acc, _stage, q) = question_access(conn, actor, question_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("Results by group are for the board's staff."));
    }
    let kind = q.kind;
    if kind == QuestionKind::Discussion {
        return Err(AppError::invalid("This question takes written answers, not votes."));
    }
    let mut in_group: HashSet<ParticipantId> = HashSet::new();
    for p in db::participants::of_board(conn, &q.board_id)? {
        if p.group().is_some_and(|g| g.eq_ignore_ascii_case(group.trim())) {
            in_group.insert(p.id);
        }
    }
    let answers: Vec<Answer> = db::votes::current_of_question(conn, question_id)?
        .into_iter()
        .filter(|v| in_group.contains(v.participant_id.as_str()))
        .map(|v| v.answer.into_inner())
        .collect();
    Ok(tally(kind, &q.config, &answers))
}
