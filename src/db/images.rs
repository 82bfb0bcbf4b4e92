//! Images attached to questions and posts.

use super::models::Image;
use super::schema::{images, posts};
use super::DbConn;
use crate::domain::ids::{BoardId, ImageId, PostId, QuestionId};
use diesel::prelude::*;

pub fn insert(conn: &mut DbConn, image: &Image) -> QueryResult<()> {
    diesel::insert_into(images::table).values(image).execute(conn).map(drop)
}

/// Stores an image's bytes (the re-encoded image and its thumbnail).
pub fn insert_data(conn: &mut DbConn, image_id: &ImageId, full: &[u8], thumb: &[u8]) -> QueryResult<()> {
    use super::schema::image_data as d;
    diesel::insert_into(d::table)
        .values((d::image_id.eq(image_id), d::full_bytes.eq(full), d::thumb_bytes.eq(thumb)))
        .execute(conn)
        .map(drop)
}

/// The bytes of an image, or of its thumbnail.
pub fn data(conn: &mut DbConn, image_id: &ImageId, thumb: bool) -> QueryResult<Option<Vec<u8>>> {
    use super::schema::image_data as d;
    let q = d::table.find(image_id);
    if thumb {
        q.select(d::thumb_bytes).first(conn).optional()
    } else {
        q.select(d::full_bytes).first(conn).optional()
    }
}

/// Ids of images whose bytes are not in the database yet (kept as files by earlier versions).
pub fn without_data(conn: &mut DbConn) -> QueryResult<Vec<ImageId>> {
    use super::schema::image_data as d;
    images::table
        .filter(diesel::dsl::not(diesel::dsl::exists(d::table.filter(d::image_id.eq(images::id)))))
        .select(images::id)
        .load(conn)
}

pub fn find(conn: &mut DbConn, id: &ImageId) -> QueryResult<Option<Image>> {
    images::table.find(id).select(Image::as_select()).first(conn).optional()
}

/// The images of a board's stage introductions and summaries, in one query.
pub fn of_stages_and_summaries(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Image>> {
    images::table
        .filter(images::board_id.eq(board_id))
        .filter(images::stage_id.is_not_null().or(images::summary_id.is_not_null()))
        .order(images::created_at.asc())
        .select(Image::as_select())
        .load(conn)
}

/// The images of a question and of all its posts, in one query.
// One statement whatever the number of posts, so it is prepared once per connection: a list
// of post ids made a new statement to parse on every page view.
pub fn of_question(conn: &mut DbConn, question_id: &QuestionId) -> QueryResult<Vec<Image>> {
    let posts_of_question = posts::table.filter(posts::question_id.eq(question_id)).select(posts::id.nullable());
    images::table
        .filter(images::question_id.eq(question_id).or(images::post_id.eq_any(posts_of_question)))
        .order(images::created_at.asc())
        .select(Image::as_select())
        .load(conn)
}

/// (post, image id, alt text) of the images of the given posts, oldest first.
pub fn alt_texts_of_posts(conn: &mut DbConn, post_ids: &[PostId]) -> QueryResult<Vec<(PostId, ImageId, String)>> {
    images::table
        .filter(images::post_id.eq_any(post_ids))
        .order((images::created_at.asc(), images::id.asc()))
        .select((images::post_id.assume_not_null(), images::id, images::alt_text))
        .load(conn)
}

/// (id, content type, width, height) of the given images: what a document needs to place them.
pub fn shapes_of(conn: &mut DbConn, ids: &[ImageId]) -> QueryResult<Vec<(ImageId, String, i32, i32)>> {
    images::table
        .filter(images::id.eq_any(ids))
        .select((images::id, images::content_type, images::width, images::height))
        .load(conn)
}
