//! Stages and their questions.

use super::json_text::JsonText;
use super::models::{Question, Stage};
use super::schema::{question_revisions, questions, stages};
use super::DbConn;
use crate::domain::ids::{BoardId, QuestionId, StageId, SummaryId};
use crate::domain::polls::{PollConfig, QuestionKind};
use crate::domain::roles::ResponseMode;
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub fn insert(conn: &mut DbConn, stage: &Stage) -> QueryResult<()> {
    diesel::insert_into(stages::table).values(stage).execute(conn).map(drop)
}

pub fn update(conn: &mut DbConn, stage: &Stage) -> QueryResult<()> {
    diesel::update(stages::table.find(&stage.id))
        .set((
            stages::title.eq(&stage.title),
            stages::intro_md.eq(&stage.intro_md),
            stages::release_at.eq(stage.release_at),
            stages::close_at.eq(stage.close_at),
            stages::groups.eq(&stage.groups),
        ))
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &StageId) -> QueryResult<Option<Stage>> {
    stages::table.find(id).select(Stage::as_select()).first(conn).optional()
}

pub fn of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Stage>> {
    stages::table
        .filter(stages::board_id.eq(board_id))
        .order(stages::position.asc())
        .select(Stage::as_select())
        .load(conn)
}

pub fn next_position(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<i32> {
    let max: Option<i32> =
        stages::table.filter(stages::board_id.eq(board_id)).select(diesel::dsl::max(stages::position)).first(conn)?;
    Ok(max.map_or(1, |m| m + 1))
}

/// Stages whose release time has come and that have not been released.
pub fn due(conn: &mut DbConn, now: PrimitiveDateTime) -> QueryResult<Vec<Stage>> {
    use super::schema::boards;
    // A paused board releases nothing.
    stages::table
        .inner_join(boards::table)
        .filter(boards::paused_at.is_null())
        .filter(stages::released_at.is_null())
        .filter(stages::release_at.le(now))
        .select(Stage::as_select())
        .load(conn)
}

/// Marks a stage released unless someone else already did; true for the one caller that did.
/// This conditional update is what keeps two instances from releasing (and announcing) twice.
pub fn claim_release(conn: &mut DbConn, id: &StageId, now: PrimitiveDateTime) -> QueryResult<bool> {
    diesel::update(stages::table.filter(stages::id.eq(id)).filter(stages::released_at.is_null()))
        .set(stages::released_at.eq(now))
        .execute(conn)
        .map(|n| n == 1)
}

pub fn insert_question(conn: &mut DbConn, q: &Question) -> QueryResult<()> {
    diesel::insert_into(questions::table).values(q).execute(conn).map(drop)
}

pub fn find_question(conn: &mut DbConn, id: &QuestionId) -> QueryResult<Option<Question>> {
    questions::table.find(id).select(Question::as_select()).first(conn).optional()
}

pub fn questions_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Question>> {
    questions::table
        .filter(questions::board_id.eq(board_id))
        .order((questions::stage_id.asc(), questions::position.asc()))
        .select(Question::as_select())
        .load(conn)
}

pub fn questions_of_stage(conn: &mut DbConn, stage_id: &StageId) -> QueryResult<Vec<Question>> {
    questions::table
        .filter(questions::stage_id.eq(stage_id))
        .order(questions::position.asc())
        .select(Question::as_select())
        .load(conn)
}

pub fn next_question_position(conn: &mut DbConn, stage_id: &StageId) -> QueryResult<i32> {
    let max: Option<i32> = questions::table
        .filter(questions::stage_id.eq(stage_id))
        .select(diesel::dsl::max(questions::position))
        .first(conn)?;
    Ok(max.map_or(1, |m| m + 1))
}

/// Changes a question's wording and mode; when it was already released, the old wording is
/// kept and the question is marked as revised so participants can see it changed.
#[allow(clippy::too_many_arguments)] // one column each; a struct would only rename them
pub fn update_question(
    conn: &mut DbConn,
    q: &Question,
    prompt_md: &str,
    mode: ResponseMode,
    summary_id: Option<&SummaryId>,
    groups: &JsonText<Vec<String>>,
    (kind, config): (QuestionKind, &JsonText<PollConfig>),
    allow_images: bool,
    revised_at: Option<PrimitiveDateTime>,
) -> QueryResult<()> {
    if let Some(at) = revised_at {
        diesel::insert_into(question_revisions::table)
            .values((
                question_revisions::id.eq(super::new_id::<String>()),
                question_revisions::question_id.eq(&q.id),
                question_revisions::prompt_md.eq(&q.prompt_md),
                question_revisions::replaced_at.eq(at),
            ))
            .execute(conn)?;
    }
    diesel::update(questions::table.find(&q.id))
        .set((
            questions::prompt_md.eq(prompt_md),
            questions::mode.eq(mode),
            questions::summary_id.eq(summary_id),
            questions::groups.eq(groups),
            questions::kind.eq(kind),
            questions::config.eq(config),
            questions::allow_images.eq(allow_images),
            questions::revised_at.eq(revised_at.or(q.revised_at)),
        ))
        .execute(conn)
        .map(drop)
}

pub fn set_question_position(conn: &mut DbConn, id: &QuestionId, position: i32) -> QueryResult<()> {
    diesel::update(questions::table.find(id)).set(questions::position.eq(position)).execute(conn).map(drop)
}

pub fn set_question_stage(conn: &mut DbConn, id: &str, stage_id: &StageId, position: i32) -> QueryResult<()> {
    diesel::update(questions::table.find(id))
        .set((questions::stage_id.eq(stage_id), questions::position.eq(position)))
        .execute(conn)
        .map(drop)
}

pub fn delete_question(conn: &mut DbConn, id: &QuestionId) -> QueryResult<()> {
    diesel::delete(questions::table.find(id)).execute(conn).map(drop)
}

/// Released stages that close after `now`, on open boards that remind before a stage closes.
pub fn closing_with_reminders(
    conn: &mut DbConn,
    now: time::PrimitiveDateTime,
) -> QueryResult<Vec<(Stage, super::models::Board)>> {
    use super::schema::boards;
    stages::table
        .inner_join(boards::table)
        .filter(boards::state.eq("open"))
        .filter(boards::remind_before_close_hours.is_not_null())
        .filter(boards::paused_at.is_null())
        .filter(stages::released_at.is_not_null())
        .filter(stages::close_at.gt(now))
        .select((Stage::as_select(), super::models::Board::as_select()))
        .load(conn)
}
