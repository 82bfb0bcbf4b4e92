//! The analysts' tables: codebook, excerpts, codings and memos. Every list is one query by an
//! indexed column; lists for a page of replies take the page's post ids.

use super::models::{Code, Coding, Excerpt, Memo};
use super::schema::{codes, codings, excerpts, memos};
use super::DbConn;
use crate::domain::ids::{BoardId, CodeId, ExcerptId, ParticipantId, PostId, QuestionId, UserId};
use diesel::prelude::*;

pub fn codes_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Code>> {
    codes::table
        .filter(codes::board_id.eq(board_id))
        .order((codes::position.asc(), codes::id.asc()))
        .select(Code::as_select())
        .load(conn)
}

pub fn find_code(conn: &mut DbConn, id: &CodeId) -> QueryResult<Option<Code>> {
    codes::table.find(id).select(Code::as_select()).first(conn).optional()
}

pub fn insert_codes(conn: &mut DbConn, rows: &[Code]) -> QueryResult<()> {
    // One statement per code keeps SQLite's bound-parameter limit out of the way for big imports.
    for row in rows {
        diesel::insert_into(codes::table).values(row).execute(conn)?;
    }
    Ok(())
}

pub fn next_code_position(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<i32> {
    let max: Option<i32> =
        codes::table.filter(codes::board_id.eq(board_id)).select(diesel::dsl::max(codes::position)).first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

pub fn update_code(
    conn: &mut DbConn,
    id: &CodeId,
    name: &str,
    description: &str,
    colour: &str,
    parent_id: Option<&CodeId>,
) -> QueryResult<usize> {
    diesel::update(codes::table.find(id))
        .set((
            codes::name.eq(name),
            codes::description.eq(description),
            codes::colour.eq(colour),
            codes::parent_id.eq(parent_id),
        ))
        .execute(conn)
}

/// Deletes a code with its subtree's codings and memos (the database cascades to children).
pub fn delete_code(conn: &mut DbConn, id: &CodeId) -> QueryResult<usize> {
    diesel::delete(codes::table.find(id)).execute(conn)
}

pub fn find_excerpt(conn: &mut DbConn, id: &ExcerptId) -> QueryResult<Option<Excerpt>> {
    excerpts::table.find(id).select(Excerpt::as_select()).first(conn).optional()
}

/// The excerpt with exactly this range on a post (null range: the whole reply), if any.
pub fn excerpt_with_range(
    conn: &mut DbConn,
    post_id: &PostId,
    start: Option<i32>,
    end: Option<i32>,
) -> QueryResult<Option<Excerpt>> {
    let mut query = excerpts::table.filter(excerpts::post_id.eq(post_id)).into_boxed();
    query = match (start, end) {
        (Some(s), Some(e)) => query.filter(excerpts::start_char.eq(s)).filter(excerpts::end_char.eq(e)),
        _ => query.filter(excerpts::start_char.is_null()),
    };
    query.select(Excerpt::as_select()).first(conn).optional()
}

pub fn insert_excerpt(conn: &mut DbConn, row: &Excerpt) -> QueryResult<()> {
    diesel::insert_into(excerpts::table).values(row).execute(conn).map(drop)
}

pub fn set_quote(conn: &mut DbConn, id: &ExcerptId, is_quote: bool) -> QueryResult<usize> {
    diesel::update(excerpts::table.find(id)).set(excerpts::is_quote.eq(is_quote)).execute(conn)
}

pub fn delete_excerpt(conn: &mut DbConn, id: &ExcerptId) -> QueryResult<usize> {
    diesel::delete(excerpts::table.find(id)).execute(conn)
}

pub fn insert_coding(conn: &mut DbConn, row: &Coding) -> QueryResult<()> {
    diesel::insert_into(codings::table).values(row).execute(conn).map(drop)
}

pub fn find_coding(conn: &mut DbConn, id: &str) -> QueryResult<Option<Coding>> {
    codings::table.find(id).select(Coding::as_select()).first(conn).optional()
}

pub fn coding_exists(conn: &mut DbConn, excerpt_id: &ExcerptId, code_id: &CodeId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        codings::table.filter(codings::excerpt_id.eq(excerpt_id)).filter(codings::code_id.eq(code_id)),
    ))
    .get_result(conn)
}

pub fn delete_coding(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(codings::table.find(id)).execute(conn)
}

pub fn codings_left_on_excerpt(conn: &mut DbConn, excerpt_id: &ExcerptId) -> QueryResult<i64> {
    codings::table.filter(codings::excerpt_id.eq(excerpt_id)).count().get_result(conn)
}

pub fn excerpts_of_posts(conn: &mut DbConn, post_ids: &[PostId]) -> QueryResult<Vec<Excerpt>> {
    excerpts::table
        .filter(excerpts::post_id.eq_any(post_ids))
        .order((excerpts::created_at.asc(), excerpts::id.asc()))
        .select(Excerpt::as_select())
        .load(conn)
}

pub fn codings_of_posts(conn: &mut DbConn, post_ids: &[PostId]) -> QueryResult<Vec<Coding>> {
    codings::table
        .filter(codings::post_id.eq_any(post_ids))
        .order((codings::created_at.asc(), codings::id.asc()))
        .select(Coding::as_select())
        .load(conn)
}

/// A coding as counted: (code, post, the post's question, the post's participant).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct CountedCoding {
    pub code_id: CodeId,
    pub post_id: PostId,
    /// The question of the coded post.
    pub question_id: QuestionId,
    /// Who wrote the coded post; none for a moderator's post.
    pub participant_id: Option<ParticipantId>,
}

/// Every coding of a board, for counts.
pub fn counted_codings_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<CountedCoding>> {
    use super::schema::posts;
    codings::table
        .inner_join(posts::table)
        .filter(codings::board_id.eq(board_id))
        .select((codings::code_id, codings::post_id, posts::question_id, posts::participant_id))
        .load(conn)
}

/// The quotes of a board, oldest first.
pub fn quotes_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Excerpt>> {
    excerpts::table
        .filter(excerpts::board_id.eq(board_id))
        .filter(excerpts::is_quote.eq(true))
        .order((excerpts::created_at.asc(), excerpts::id.asc()))
        .select(Excerpt::as_select())
        .load(conn)
}

pub fn memos_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Memo>> {
    memos::table
        .filter(memos::board_id.eq(board_id))
        .order((memos::created_at.asc(), memos::id.asc()))
        .select(Memo::as_select())
        .load(conn)
}

pub fn insert_memo(conn: &mut DbConn, row: &Memo) -> QueryResult<()> {
    diesel::insert_into(memos::table).values(row).execute(conn).map(drop)
}

pub fn find_memo(conn: &mut DbConn, id: &str) -> QueryResult<Option<Memo>> {
    memos::table.find(id).select(Memo::as_select()).first(conn).optional()
}

pub fn delete_memo(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(memos::table.find(id)).execute(conn)
}

/// The users who coded or selected excerpts on a board.
pub fn coders_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<UserId>> {
    let mut ids: Vec<UserId> =
        codings::table.filter(codings::board_id.eq(board_id)).select(codings::created_by).distinct().load(conn)?;
    ids.extend(
        excerpts::table
            .filter(excerpts::board_id.eq(board_id))
            .select(excerpts::created_by)
            .distinct()
            .load::<UserId>(conn)?,
    );
    Ok(ids)
}

/// Adds excerpts and codings in bulk (an auto-coding), in the caller's transaction. Row by
/// row: multi-row inserts are not portable through the two-backend connection, and one
/// prepared statement repeated is quick inside a transaction.
pub fn insert_many(conn: &mut DbConn, excerpts_new: &[Excerpt], codings_new: &[Coding]) -> QueryResult<()> {
    for row in excerpts_new {
        insert_excerpt(conn, row)?;
    }
    for row in codings_new {
        insert_coding(conn, row)?;
    }
    Ok(())
}

/// Deletes the codings of one auto-coding on a board; returns the excerpts they were on.
pub fn delete_batch(conn: &mut DbConn, board_id: &BoardId, batch: &str) -> QueryResult<Vec<ExcerptId>> {
    let of_batch = codings::table.filter(codings::board_id.eq(board_id)).filter(codings::batch_id.eq(batch));
    let excerpts_of: Vec<ExcerptId> = of_batch.select(codings::excerpt_id).load(conn)?;
    diesel::delete(of_batch).execute(conn)?;
    Ok(excerpts_of)
}

/// Deletes those of the excerpts left with no coding and no quote mark.
pub fn delete_bare_excerpts(conn: &mut DbConn, ids: &[ExcerptId]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in ids.chunks(500) {
        let coded: Vec<ExcerptId> =
            codings::table.filter(codings::excerpt_id.eq_any(chunk)).select(codings::excerpt_id).load(conn)?;
        let bare: Vec<&ExcerptId> = chunk.iter().filter(|id| !coded.contains(id)).collect();
        n += diesel::delete(excerpts::table.filter(excerpts::id.eq_any(bare)).filter(excerpts::is_quote.eq(false)))
            .execute(conn)?;
    }
    Ok(n)
}
