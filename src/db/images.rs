//! Images attached to questions and posts.

use super::models::Image;
use super::schema::images;
use super::DbConn;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, image: &Image) -> QueryResult<()> {
    diesel::insert_into(images::table).values(image).execute(conn).map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Image>> {
    images::table.find(id).select(Image::as_select()).first(conn).optional()
}

/// The images of a board's stage introductions and summaries, in one query.
pub fn of_stages_and_summaries(conn: &mut DbConn, board_id: &str) -> QueryResult<Vec<Image>> {
    images::table
        .filter(images::board_id.eq(board_id))
        .filter(images::stage_id.is_not_null().or(images::summary_id.is_not_null()))
        .order(images::created_at.asc())
        .select(Image::as_select())
        .load(conn)
}

/// The images of a question and of the given posts, in one query.
pub fn of_question(conn: &mut DbConn, question_id: &str, post_ids: &[String]) -> QueryResult<Vec<Image>> {
    images::table
        .filter(images::question_id.eq(question_id).or(images::post_id.eq_any(post_ids)))
        .order(images::created_at.asc())
        .select(Image::as_select())
        .load(conn)
}
