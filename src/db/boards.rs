//! Boards and their staff.

use super::models::{Board, BoardMember};
use super::schema::{board_members, boards, users};
use super::DbConn;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, board: &Board) -> QueryResult<()> {
    diesel::insert_into(boards::table).values(board).execute(conn).map(drop)
}

pub fn update(conn: &mut DbConn, board: &Board) -> QueryResult<()> {
    diesel::update(boards::table.find(&board.id)).set(board).execute(conn).map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Board>> {
    boards::table.find(id).select(Board::as_select()).first(conn).optional()
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Board>> {
    boards::table.order(boards::created_at.desc()).select(Board::as_select()).load(conn)
}

/// Boards a staff member belongs to, with their role on each.
pub fn of_member(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<(Board, String)>> {
    boards::table
        .inner_join(board_members::table)
        .filter(board_members::user_id.eq(user_id))
        .order(boards::created_at.desc())
        .select((Board::as_select(), board_members::role))
        .load(conn)
}

pub fn member_role(conn: &mut DbConn, board_id: &str, user_id: &str) -> QueryResult<Option<String>> {
    board_members::table
        .find((board_id, user_id))
        .select(board_members::role)
        .first(conn)
        .optional()
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

pub fn remove_member(conn: &mut DbConn, board_id: &str, user_id: &str) -> QueryResult<usize> {
    diesel::delete(board_members::table.find((board_id, user_id))).execute(conn)
}

/// (name, email, role) of each staff member of a board.
pub fn members(conn: &mut DbConn, board_id: &str) -> QueryResult<Vec<(String, String, String, String)>> {
    board_members::table
        .inner_join(users::table)
        .filter(board_members::board_id.eq(board_id))
        .order(users::name.asc())
        .select((users::id, users::name, users::email, board_members::role))
        .load(conn)
}
