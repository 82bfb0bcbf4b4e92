//! Who is due which daily digest, and the conditional updates that take each digest once.

use super::models::{Board, BoardMember, Participant, User};
use super::schema::{board_members, participants, users};
use super::DbConn;
use crate::domain::email::ReplyNotices;
use crate::domain::ids::{BoardId, ParticipantId, UserId};
use crate::domain::roles::BoardState;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// Participants of `board_id` who asked for a daily digest and have not had one since
/// `day_start`: the candidates of today's run.
pub fn digest_due(
    conn: &mut DbConn,
    board_id: &BoardId,
    day_start: PrimitiveDateTime,
) -> QueryResult<Vec<Participant>> {
    participants::table
        .filter(participants::board_id.eq(board_id))
        .filter(participants::reply_notices.eq(ReplyNotices::Daily))
        .filter(participants::withdrawn_at.is_null())
        .filter(participants::consented_at.is_not_null())
        .filter(participants::digest_sent_at.is_null().or(participants::digest_sent_at.lt(day_start)))
        .select(Participant::as_select())
        .load(conn)
}

/// Takes today's digest run for one participant: true for the one caller (of any instance)
/// whose conditional update moved the mark.
pub fn claim_digest(
    conn: &mut DbConn,
    id: &ParticipantId,
    day_start: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        participants::table
            .find(id)
            .filter(participants::digest_sent_at.is_null().or(participants::digest_sent_at.lt(day_start))),
    )
    .set(participants::digest_sent_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Staff of `board_id` who asked for a daily digest and have not had one since `day_start`.
pub fn staff_digest_due(
    conn: &mut DbConn,
    board_id: &BoardId,
    day_start: PrimitiveDateTime,
) -> QueryResult<Vec<(BoardMember, User)>> {
    board_members::table
        .inner_join(users::table)
        .filter(board_members::board_id.eq(board_id))
        .filter(board_members::digest.eq(true))
        .filter(users::disabled_at.is_null())
        .filter(board_members::digest_sent_at.is_null().or(board_members::digest_sent_at.lt(day_start)))
        .select((BoardMember::as_select(), User::as_select()))
        .load(conn)
}

/// As `claim_digest`, for a staff member's digest of a board.
pub fn claim_staff_digest(
    conn: &mut DbConn,
    board_id: &BoardId,
    user_id: &UserId,
    day_start: PrimitiveDateTime,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        board_members::table
            .find((board_id, user_id))
            .filter(board_members::digest_sent_at.is_null().or(board_members::digest_sent_at.lt(day_start))),
    )
    .set(board_members::digest_sent_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// A staff member's choice of the board's daily digest; false if they are not on its staff.
pub fn set_staff_digest(conn: &mut DbConn, board_id: &BoardId, user_id: &UserId, on: bool) -> QueryResult<bool> {
    let n = diesel::update(board_members::table.find((board_id, user_id)))
        .set(board_members::digest.eq(on))
        .execute(conn)?;
    Ok(n == 1)
}

/// Open boards (not paused or not: digests tell of activity, which a pause does not stop).
pub fn open_boards(conn: &mut DbConn) -> QueryResult<Vec<Board>> {
    use super::schema::boards;
    boards::table.filter(boards::state.eq(BoardState::Open)).select(Board::as_select()).load(conn)
}
