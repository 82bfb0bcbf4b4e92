//! Votes on choice, rating and ranking questions. A changed vote supersedes the earlier one;
//! both are kept.

use super::models::Vote;
use super::schema::votes;
use super::DbConn;
use crate::domain::ids::{BoardId, ParticipantId, QuestionId};
use diesel::prelude::*;

/// Records a vote, superseding the participant's current one on the question.
pub fn cast(conn: &mut DbConn, vote: &Vote) -> QueryResult<()> {
    diesel::update(
        votes::table
            .filter(votes::question_id.eq(&vote.question_id))
            .filter(votes::participant_id.eq(&vote.participant_id))
            .filter(votes::superseded_at.is_null()),
    )
    .set(votes::superseded_at.eq(vote.created_at))
    .execute(conn)?;
    diesel::insert_into(votes::table).values(vote).execute(conn).map(drop)
}

pub fn current_vote(
    conn: &mut DbConn,
    participant_id: &ParticipantId,
    question_id: &QuestionId,
) -> QueryResult<Option<Vote>> {
    votes::table
        .filter(votes::participant_id.eq(participant_id))
        .filter(votes::question_id.eq(question_id))
        .filter(votes::superseded_at.is_null())
        .select(Vote::as_select())
        .first(conn)
        .optional()
}

/// The current votes of a question (one per participant).
pub fn current_of_question(conn: &mut DbConn, question_id: &QuestionId) -> QueryResult<Vec<Vote>> {
    votes::table
        .filter(votes::question_id.eq(question_id))
        .filter(votes::superseded_at.is_null())
        .select(Vote::as_select())
        .load(conn)
}

/// Every vote of a question, changed ones included, oldest first: for analysts.
pub fn history_of_question(conn: &mut DbConn, question_id: &QuestionId) -> QueryResult<Vec<Vote>> {
    votes::table
        .filter(votes::question_id.eq(question_id))
        .order((votes::created_at.asc(), votes::id.asc()))
        .select(Vote::as_select())
        .load(conn)
}

/// (question, participant) of every current vote on a board.
pub fn pairs_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<(QuestionId, ParticipantId)>> {
    votes::table
        .filter(votes::board_id.eq(board_id))
        .filter(votes::superseded_at.is_null())
        .select((votes::question_id, votes::participant_id))
        .load(conn)
}

/// Current votes of the participants among `ids`: (question, participant).
pub fn pairs_of_participants(
    conn: &mut DbConn,
    ids: &[ParticipantId],
) -> QueryResult<Vec<(QuestionId, ParticipantId)>> {
    votes::table
        .filter(votes::participant_id.eq_any(ids))
        .filter(votes::superseded_at.is_null())
        .select((votes::question_id, votes::participant_id))
        .load(conn)
}

/// Questions a participant has voted on.
pub fn voted_questions(conn: &mut DbConn, participant_id: &ParticipantId) -> QueryResult<Vec<QuestionId>> {
    votes::table
        .filter(votes::participant_id.eq(participant_id))
        .filter(votes::superseded_at.is_null())
        .select(votes::question_id)
        .load(conn)
}

/// The current votes of a board, for exports.
pub fn current_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Vote>> {
    votes::table
        .filter(votes::board_id.eq(board_id))
        .filter(votes::superseded_at.is_null())
        .order((votes::created_at.asc(), votes::id.asc()))
        .select(Vote::as_select())
        .load(conn)
}
