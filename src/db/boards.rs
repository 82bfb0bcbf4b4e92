//! Boards and their staff.

use super::models::{Board, BoardMember, EmailText};
use super::schema::{board_members, board_versions, boards, email_texts, questions, users};
use super::DbConn;
use crate::domain::email_texts::EditableEmail;
use crate::domain::ids::{BoardId, QuestionId, UserId};
use crate::domain::roles::BoardRole;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, board: &Board) -> QueryResult<()> {
    diesel::insert_into(boards::table).values(board).execute(conn).map(drop)
}

pub fn update(conn: &mut DbConn, board: &Board) -> QueryResult<()> {
    diesel::update(boards::table.find(&board.id)).set(board).execute(conn).map(drop)
}

pub fn find(conn: &mut DbConn, id: &BoardId) -> QueryResult<Option<Board>> {
    boards::table.find(id).select(Board::as_select()).first(conn).optional()
}

/// The titles of the boards `ids`: the sender's name of their emails.
pub fn titles(conn: &mut DbConn, ids: &[BoardId]) -> QueryResult<Vec<(BoardId, String)>> {
    boards::table.filter(boards::id.eq_any(ids)).select((boards::id, boards::title)).load(conn)
}

/// The version of the board `question_id` belongs to: triggers move it on at every change to
/// what the board's pages show, on whichever instance or connection it is made.
/// On every view of a question, so on the backend's own connection (`on_own_backend`).
pub fn version_of_question(conn: &mut DbConn, question_id: &QuestionId) -> QueryResult<Option<i64>> {
    let board = questions::table.find(question_id).select(questions::board_id).single_value();
    super::on_own_backend!(conn, |c| board_versions::table
        .filter(board_versions::board_id.nullable().eq(board))
        .select(board_versions::version)
        .first(c)
        .optional())
}

/// The version of a board (`version_of_question`), for the staff's pages of the board.
pub fn version_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Option<i64>> {
    super::on_own_backend!(conn, |c| board_versions::table
        .find(board_id)
        .select(board_versions::version)
        .first(c)
        .optional())
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Board>> {
    boards::table.order(boards::created_at.desc()).select(Board::as_select()).load(conn)
}

/// Boards a staff member belongs to, with their role on each.
pub fn of_member(conn: &mut DbConn, user_id: &UserId) -> QueryResult<Vec<(Board, BoardRole)>> {
    boards::table
        .inner_join(board_members::table)
        .filter(board_members::user_id.eq(user_id))
        .order(boards::created_at.desc())
        .select((Board::as_select(), board_members::role))
        .load(conn)
}

pub fn member_role(conn: &mut DbConn, board_id: &BoardId, user_id: &UserId) -> QueryResult<Option<BoardRole>> {
    board_members::table.find((board_id, user_id)).select(board_members::role).first(conn).optional()
}

/// Adds a staff member, or changes their role if they already have one.
pub fn set_member(conn: &mut DbConn, member: &BoardMember) -> QueryResult<()> {
    let changed = diesel::update(board_members::table.find((&member.board_id, &member.user_id)))
        .set(board_members::role.eq(&member.role))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(board_members::table).values(member).execute(conn)?;
    }
    Ok(())
}

/// Takes a staff account off a board; how many roles were removed.
pub fn remove_member(conn: &mut DbConn, board_id: &BoardId, user_id: &UserId) -> QueryResult<usize> {
    diesel::delete(board_members::table.find((board_id, user_id))).execute(conn)
}

/// Forgets a role waiting for an account; how many were forgotten.
pub fn remove_pending_member(conn: &mut DbConn, board_id: &BoardId, email: &str) -> QueryResult<usize> {
    use super::schema::pending_members as pm;
    diesel::delete(pm::table.find((board_id, email))).execute(conn)
}

/// How many moderators a board has.
pub fn moderator_count(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<i64> {
    board_members::table
        .filter(board_members::board_id.eq(board_id))
        .filter(board_members::role.eq(BoardRole::Moderator))
        .count()
        .get_result(conn)
}

/// Keeps a role for an email that has no account yet (replacing an earlier one).
pub fn set_pending_member(
    conn: &mut DbConn,
    board_id: &BoardId,
    email: &str,
    role: BoardRole,
    now: time::PrimitiveDateTime,
) -> QueryResult<()> {
    use super::schema::pending_members as pm;
    let changed = diesel::update(pm::table.find((board_id, email))).set(pm::role.eq(role)).execute(conn)?;
    if changed == 0 {
        diesel::insert_into(pm::table)
            .values((pm::board_id.eq(board_id), pm::email.eq(email), pm::role.eq(role), pm::created_at.eq(now)))
            .execute(conn)?;
    }
    Ok(())
}

/// (email, role) of the roles waiting on a board for accounts that do not exist yet.
pub fn pending_members(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<(String, BoardRole)>> {
    use super::schema::pending_members as pm;
    pm::table.filter(pm::board_id.eq(board_id)).order(pm::email.asc()).select((pm::email, pm::role)).load(conn)
}

/// Takes the roles waiting for `email`: (board id, role), removed from the waiting list.
pub fn take_pending_roles(conn: &mut DbConn, email: &str) -> QueryResult<Vec<(BoardId, BoardRole)>> {
    use super::schema::pending_members as pm;
    let roles = pm::table.filter(pm::email.eq(email)).select((pm::board_id, pm::role)).load(conn)?;
    diesel::delete(pm::table.filter(pm::email.eq(email))).execute(conn)?;
    Ok(roles)
}

/// A staff member of a board, with their account's name and email.
#[derive(Debug, Clone, Queryable)]
pub struct StaffMember {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: BoardRole,
    /// Whether they get the board's daily digest.
    pub digest: bool,
}

/// Each staff member of a board, by name.
pub fn members(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<StaffMember>> {
    board_members::table
        .inner_join(users::table)
        .filter(board_members::board_id.eq(board_id))
        .order(users::name.asc())
        .select((users::id, users::name, users::email, board_members::role, board_members::digest))
        .load(conn)
}

/// The board's own wordings of its emails (none: every email in its default wording).
pub fn email_texts(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<EmailText>> {
    email_texts::table.filter(email_texts::board_id.eq(board_id)).select(EmailText::as_select()).load(conn)
}

/// Keeps a wording, replacing the board's earlier one for the same email.
pub fn set_email_text(conn: &mut DbConn, text: &EmailText) -> QueryResult<()> {
    let changed = diesel::update(email_texts::table.find((&text.board_id, text.which)))
        .set((
            email_texts::subject.eq(&text.subject),
            email_texts::body_md.eq(&text.body_md),
            email_texts::updated_by.eq(&text.updated_by),
            email_texts::updated_at.eq(text.updated_at),
        ))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(email_texts::table).values(text).execute(conn)?;
    }
    Ok(())
}

/// Goes back to the default wording of an email; whether the board had its own.
pub fn remove_email_text(conn: &mut DbConn, board_id: &BoardId, which: EditableEmail) -> QueryResult<bool> {
    Ok(diesel::delete(email_texts::table.find((board_id, which))).execute(conn)? > 0)
}

/// Reserves `n` pseudonym numbers on a board and returns the first. The update comes first, so
/// a concurrent import waits for this one's row lock and numbers after it. Numbers still in use
/// are never given again, even if a settings save wrote back an older count meanwhile.
pub fn take_pseudonyms(conn: &mut DbConn, board_id: &BoardId, n: i32) -> QueryResult<i32> {
    use super::schema::participants;
    diesel::update(boards::table.find(board_id))
        .set(boards::pseudonyms_issued.eq(boards::pseudonyms_issued + n))
        .execute(conn)?;
    let issued: i32 = boards::table.find(board_id).select(boards::pseudonyms_issued).first(conn)?;
    let highest: Option<i32> = participants::table
        .filter(participants::board_id.eq(board_id))
        .select(diesel::dsl::max(participants::pseudonym_no))
        .first(conn)?;
    let first = (issued - n).max(highest.unwrap_or(0)) + 1;
    if first + n - 1 > issued {
        diesel::update(boards::table.find(board_id)).set(boards::pseudonyms_issued.eq(first + n - 1)).execute(conn)?;
    }
    Ok(first)
}
