//! Answers, threaded replies, their history, and the counts pages show.

use super::models::{Post, PostRevision};
use super::schema::{participants, post_revisions, posts, question_reads, users};
use super::DbConn;
use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId, StageId, UserId};
use diesel::dsl::count_star;
use diesel::prelude::*;
use std::collections::HashMap;
use time::PrimitiveDateTime;

/// A post with what is needed to show its author: the participant's screen name and name, or
/// the staff member's name.
#[derive(Debug, Clone, Queryable)]
pub struct AuthoredPost {
    pub post: Post,
    pub screen_name: Option<String>,
    pub participant_name: Option<String>,
    pub pseudonym_no: Option<i32>,
    /// When the participant author withdrew.
    pub withdrawn_at: Option<PrimitiveDateTime>,
    pub staff_name: Option<String>,
}

pub fn insert(conn: &mut DbConn, post: &Post) -> QueryResult<()> {
    diesel::insert_into(posts::table).values(post).execute(conn).map(drop)
}

/// Inserts a participant's answer (a post with no parent); `Ok(false)` when they already have
/// one for the question. The unique index `posts_one_answer` decides, so of two concurrent
/// submits one is stored and the other told.
pub fn insert_answer(conn: &mut DbConn, post: &Post) -> QueryResult<bool> {
    use diesel::result::{DatabaseErrorKind, Error};
    match insert(conn, post) {
        Ok(()) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

pub fn find(conn: &mut DbConn, id: &PostId) -> QueryResult<Option<Post>> {
    posts::table.find(id).select(Post::as_select()).first(conn).optional()
}

/// Every post of a question in one query, oldest first.
pub fn of_question(conn: &mut DbConn, question_id: &QuestionId) -> QueryResult<Vec<AuthoredPost>> {
    posts::table
        .left_join(participants::table)
        .left_join(users::table)
        .filter(posts::question_id.eq(question_id))
        .order((posts::created_at.asc(), posts::id.asc()))
        .select((
            Post::as_select(),
            participants::screen_name.nullable(),
            participants::name.nullable(),
            participants::pseudonym_no.nullable(),
            participants::withdrawn_at.nullable(),
            users::name.nullable(),
        ))
        .load(conn)
}

/// What ordering and paging a question's threads needs of each post, without its text.
#[derive(Debug, Clone, Queryable)]
pub struct PostOutline {
    pub id: PostId,
    pub parent_id: Option<PostId>,
    pub thread_id: PostId,
    pub participant_id: Option<ParticipantId>,
    pub private_to: Option<ParticipantId>,
    pub created_at: PrimitiveDateTime,
}

/// The outline of every post of a question, oldest first (the index on question and time).
pub fn outline_of_question(conn: &mut DbConn, question_id: &QuestionId) -> QueryResult<Vec<PostOutline>> {
    posts::table
        .filter(posts::question_id.eq(question_id))
        .order((posts::created_at.asc(), posts::id.asc()))
        .select((
            posts::id,
            posts::parent_id,
            posts::thread_id,
            posts::participant_id,
            posts::private_to,
            posts::created_at,
        ))
        .load(conn)
}

/// How many posts a question has and when the newest was written: what tells whether a
/// question's outline read earlier still holds (see `service::outlines`). Counted over the
/// question's index entries, without decoding them.
pub fn outline_fingerprint(
    conn: &mut DbConn,
    question_id: &QuestionId,
) -> QueryResult<(i64, Option<PrimitiveDateTime>)> {
    posts::table
        .filter(posts::question_id.eq(question_id))
        .select((count_star(), diesel::dsl::max(posts::created_at)))
        .first(conn)
}

/// The given posts with their authors' names (one page of a question), in no set order.
pub fn authored_many(conn: &mut DbConn, ids: &[PostId]) -> QueryResult<Vec<AuthoredPost>> {
    posts::table
        .left_join(participants::table)
        .left_join(users::table)
        .filter(posts::id.eq_any(ids))
        .select((
            Post::as_select(),
            participants::screen_name.nullable(),
            participants::name.nullable(),
            participants::pseudonym_no.nullable(),
            participants::withdrawn_at.nullable(),
            users::name.nullable(),
        ))
        .load(conn)
}

/// One post with its author's names: the same row `of_question` gives, without reading the rest
/// of the question.
pub fn authored(conn: &mut DbConn, post_id: &PostId) -> QueryResult<Option<AuthoredPost>> {
    posts::table
        .left_join(participants::table)
        .left_join(users::table)
        .filter(posts::id.eq(post_id))
        .select((
            Post::as_select(),
            participants::screen_name.nullable(),
            participants::name.nullable(),
            participants::pseudonym_no.nullable(),
            participants::withdrawn_at.nullable(),
            users::name.nullable(),
        ))
        .first(conn)
        .optional()
}

pub fn has_answered(conn: &mut DbConn, participant_id: &ParticipantId, question_id: &QuestionId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        posts::table
            .filter(posts::participant_id.eq(participant_id))
            .filter(posts::question_id.eq(question_id))
            .filter(posts::parent_id.is_null()),
    ))
    .get_result(conn)
}

/// Questions of a board the participant has answered.
pub fn answered_questions(conn: &mut DbConn, participant_id: &ParticipantId) -> QueryResult<Vec<QuestionId>> {
    posts::table
        .filter(posts::participant_id.eq(participant_id))
        .filter(posts::parent_id.is_null())
        .select(posts::question_id)
        .distinct()
        .load(conn)
}

pub fn update_body(
    conn: &mut DbConn,
    post: &Post,
    body_md: &str,
    body_html: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(post_revisions::table)
        .values(PostRevision {
            id: super::new_id(),
            post_id: post.id.clone(),
            body_md: post.body_md.clone(),
            replaced_at: now,
        })
        .execute(conn)?;
    diesel::update(posts::table.find(&post.id))
        .set((posts::body_md.eq(body_md), posts::body_html.eq(body_html), posts::edited_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn revisions(conn: &mut DbConn, post_id: &PostId) -> QueryResult<Vec<PostRevision>> {
    post_revisions::table
        .filter(post_revisions::post_id.eq(post_id))
        .order(post_revisions::replaced_at.asc())
        .select(PostRevision::as_select())
        .load(conn)
}

/// Per question of a board: how many participants answered it, in writing or by a current
/// vote (one who did both counted once). One statement over the board's questions, each
/// counted over its own index entries: the written answers (one per participant and question,
/// as `posts_one_answer` enforces) and the current votes of those with no written answer. The
/// answers themselves are not read.
pub fn answered_counts(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<(QuestionId, i64)>> {
    use super::schema::{questions, votes};
    use diesel::dsl::{count, exists, not};
    let written = posts::table
        .filter(posts::question_id.eq(questions::id))
        .filter(posts::parent_id.is_null())
        .filter(posts::participant_id.is_not_null())
        .filter(posts::removed_at.is_null())
        .select(count_star())
        .single_value();
    let voted = votes::table
        .filter(votes::question_id.eq(questions::id))
        .filter(votes::superseded_at.is_null())
        .filter(not(exists(
            posts::table
                .filter(posts::question_id.eq(votes::question_id))
                .filter(posts::participant_id.eq(votes::participant_id.nullable()))
                .filter(posts::parent_id.is_null()),
        )))
        .select(count(votes::participant_id).aggregate_distinct())
        .single_value();
    let rows: Vec<(QuestionId, Option<i64>, Option<i64>)> =
        questions::table.filter(questions::board_id.eq(board_id)).select((questions::id, written, voted)).load(conn)?;
    Ok(rows.into_iter().map(|(q, w, v)| (q, w.unwrap_or(0) + v.unwrap_or(0))).collect())
}

/// Per participant among `ids`: the questions they answered in writing, and whether someone
/// else recorded the answer on their behalf.
pub fn answers_of_participants(
    conn: &mut DbConn,
    ids: &[ParticipantId],
) -> QueryResult<Vec<(ParticipantId, QuestionId, bool)>> {
    let rows: Vec<(Option<ParticipantId>, QuestionId, Option<UserId>)> = posts::table
        .filter(posts::participant_id.eq_any(ids))
        .filter(posts::parent_id.is_null())
        .filter(posts::removed_at.is_null())
        .select((posts::participant_id, posts::question_id, posts::recorded_by))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(p, q, by)| p.map(|p| (p, q, by.is_some()))).collect())
}

/// Per participant of a board: how many posts (answers and replies) they wrote.
pub fn post_counts_by_participant(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<HashMap<ParticipantId, i64>> {
    let rows: Vec<(Option<ParticipantId>, i64)> = posts::table
        .filter(posts::board_id.eq(board_id))
        .filter(posts::participant_id.is_not_null())
        .filter(posts::removed_at.is_null())
        .group_by(posts::participant_id)
        .select((posts::participant_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(p, n)| p.map(|p| (p, n))).collect())
}

/// Per question of a board: posts by others the reader has not seen, counted since the
/// reader last opened that question (all of them if never opened). One query, driven by the
/// board's questions: each is counted over its own part of the `posts_outline` index, which
/// holds every column the rules need, so no row and no sort is touched. Private posts of
/// others count only for staff (`all_private`).
pub fn unseen_counts(
    conn: &mut DbConn,
    board_id: &BoardId,
    reader_id: &str,
    all_private: bool,
) -> QueryResult<HashMap<QuestionId, i64>> {
    use super::schema::questions;
    let read_at = question_reads::read_at.nullable();
    let unseen = posts::table
        .filter(posts::question_id.eq(questions::id))
        .filter(read_at.is_null().or(posts::created_at.nullable().gt(read_at)))
        .filter(posts::participant_id.ne(reader_id).or(posts::participant_id.is_null()))
        .filter(posts::author_user_id.ne(reader_id).or(posts::author_user_id.is_null()))
        .filter(
            posts::private_to
                .is_null()
                .or(posts::private_to.eq(reader_id))
                .or(all_private.into_sql::<diesel::sql_types::Bool>()),
        )
        .select(count_star())
        .single_value();
    let rows: Vec<(QuestionId, Option<i64>)> = questions::table
        .left_join(
            question_reads::table
                .on(question_reads::question_id.eq(questions::id).and(question_reads::reader_id.eq(reader_id))),
        )
        .filter(questions::board_id.eq(board_id))
        .select((questions::id, unseen))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(q, n)| n.filter(|&n| n > 0).map(|n| (q, n))).collect())
}

/// Where a reader has read up to in each question of a board that they have opened: what, with
/// the board's posts, decides what is new for them.
pub fn read_marks_on_board(
    conn: &mut DbConn,
    board_id: &BoardId,
    reader_id: &str,
) -> QueryResult<Vec<(QuestionId, PrimitiveDateTime)>> {
    use super::schema::questions;
    question_reads::table
        .inner_join(questions::table.on(questions::id.eq(question_reads::question_id)))
        .filter(question_reads::reader_id.eq(reader_id))
        .filter(questions::board_id.eq(board_id))
        .order(question_reads::question_id.asc())
        .select((question_reads::question_id, question_reads::read_at))
        .load(conn)
}

/// One participant's agreement with a post, with what is needed to name them.
#[derive(Debug, Clone, Queryable)]
pub struct Reaction {
    pub post_id: PostId,
    pub participant_id: ParticipantId,
    pub screen_name: Option<String>,
    pub name: String,
    pub pseudonym_no: i32,
}

/// The columns of a `Reaction`, shared by the queries that read them.
const REACTION: (
    super::schema::reactions::post_id,
    super::schema::reactions::participant_id,
    participants::screen_name,
    participants::name,
    participants::pseudonym_no,
) = (
    super::schema::reactions::post_id,
    super::schema::reactions::participant_id,
    participants::screen_name,
    participants::name,
    participants::pseudonym_no,
);

/// Everyone who agreed with a post of a question.
pub fn reactions_of_question(conn: &mut DbConn, question_id: &QuestionId) -> QueryResult<Vec<Reaction>> {
    use super::schema::reactions;
    reactions::table
        .inner_join(participants::table)
        .filter(reactions::question_id.eq(question_id))
        .order(reactions::created_at.asc())
        .select(REACTION)
        .load(conn)
}

/// The "agree" reactions on one post (by the primary key).
pub fn reactions_of_post(conn: &mut DbConn, post_id: &PostId) -> QueryResult<Vec<Reaction>> {
    use super::schema::reactions;
    reactions::table
        .inner_join(participants::table)
        .filter(reactions::post_id.eq(post_id))
        .order(reactions::created_at.asc())
        .select(REACTION)
        .load(conn)
}

/// The "agree" reactions on the given posts (one page of a question).
pub fn reactions_of_posts(conn: &mut DbConn, post_ids: &[PostId]) -> QueryResult<Vec<Reaction>> {
    use super::schema::reactions;
    reactions::table
        .inner_join(participants::table)
        .filter(reactions::post_id.eq_any(post_ids))
        .order(reactions::created_at.asc())
        .select(REACTION)
        .load(conn)
}

/// Adds or removes a participant's "agree" on a post; returns whether they now agree.
pub fn toggle_reaction(
    conn: &mut DbConn,
    post: &Post,
    participant_id: &ParticipantId,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    use super::schema::reactions;
    let removed = diesel::delete(reactions::table.find((&post.id, participant_id))).execute(conn)?;
    if removed > 0 {
        return Ok(false);
    }
    diesel::insert_into(reactions::table)
        .values((
            reactions::post_id.eq(&post.id),
            reactions::participant_id.eq(participant_id),
            reactions::question_id.eq(&post.question_id),
            reactions::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// When `reader_id` last read the question, if ever (by the primary key).
pub fn read_mark(
    conn: &mut DbConn,
    question_id: &QuestionId,
    reader_id: &str,
) -> QueryResult<Option<PrimitiveDateTime>> {
    question_reads::table.find((reader_id, question_id)).select(question_reads::read_at).first(conn).optional()
}

/// Records that the reader has seen the question up to `at`. `stored`: the reader had a mark
/// when the view was made, so it is updated (one statement); otherwise it is inserted.
pub fn mark_read(
    conn: &mut DbConn,
    question_id: &QuestionId,
    reader_id: &str,
    at: PrimitiveDateTime,
    stored: bool,
) -> QueryResult<()> {
    // A mark only moves forward: marks are written late, and by several instances.
    let update = |conn: &mut DbConn| {
        diesel::update(question_reads::table.find((reader_id, question_id)))
            .filter(question_reads::read_at.lt(at))
            .set(question_reads::read_at.eq(at))
            .execute(conn)
    };
    // False when the reader has a mark already (a later one, or one another instance wrote).
    let insert = |conn: &mut DbConn| {
        let inserted = diesel::insert_into(question_reads::table)
            .values((
                question_reads::question_id.eq(question_id),
                question_reads::reader_id.eq(reader_id),
                question_reads::read_at.eq(at),
            ))
            .execute(conn);
        match inserted {
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                Ok(false)
            }
            other => other.map(|_| true),
        }
    };
    if stored {
        if update(conn)? == 0 {
            insert(conn)?;
        }
    } else if !insert(conn)? {
        update(conn)?;
    }
    Ok(())
}

/// Question ids of a stage that have at least one post (such questions are not deleted).
pub fn question_has_posts(conn: &mut DbConn, question_id: &QuestionId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(posts::table.filter(posts::question_id.eq(question_id)))).get_result(conn)
}

pub fn find_many(conn: &mut DbConn, ids: &[PostId]) -> QueryResult<Vec<Post>> {
    posts::table.filter(posts::id.eq_any(ids)).select(Post::as_select()).load(conn)
}

/// (question, participant) of every participant's answer (not replies within threads) on a board.
pub fn answer_pairs_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<(QuestionId, ParticipantId)>> {
    posts::table
        .filter(posts::board_id.eq(board_id))
        .filter(posts::parent_id.is_null())
        .filter(posts::participant_id.is_not_null())
        .select((posts::question_id, posts::participant_id.assume_not_null()))
        .load(conn)
}

/// Participants who answered (a post with no parent) at least one question of a stage.
pub fn answerers_of_stage(conn: &mut DbConn, stage_id: &StageId) -> QueryResult<Vec<ParticipantId>> {
    use super::schema::questions;
    let ids: Vec<Option<ParticipantId>> = posts::table
        .inner_join(questions::table)
        .filter(questions::stage_id.eq(stage_id))
        .filter(posts::parent_id.is_null())
        .select(posts::participant_id)
        .distinct()
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}

/// Every answer of a board as (participant, question, recorded on their behalf).
pub fn answers_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<(ParticipantId, QuestionId, bool)>> {
    let rows: Vec<(Option<ParticipantId>, QuestionId, Option<UserId>)> = posts::table
        .filter(posts::board_id.eq(board_id))
        .filter(posts::parent_id.is_null())
        .filter(posts::participant_id.is_not_null())
        .filter(posts::removed_at.is_null())
        .select((posts::participant_id, posts::question_id, posts::recorded_by))
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(p, q, by)| p.map(|p| (p, q, by.is_some()))).collect())
}

/// Hides a post with a reason, or shows it again (`None`).
pub fn set_hidden(
    conn: &mut DbConn,
    id: &PostId,
    hidden_at: Option<time::PrimitiveDateTime>,
    reason: Option<&str>,
) -> QueryResult<()> {
    diesel::update(posts::table.find(id))
        .set((posts::hidden_at.eq(hidden_at), posts::hidden_reason.eq(reason)))
        .execute(conn)
        .map(drop)
}

/// A board's probes that are not hidden, oldest first.
pub fn probes_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Post>> {
    posts::table
        .filter(posts::board_id.eq(board_id))
        .filter(posts::is_probe.eq(true))
        .filter(posts::hidden_at.is_null())
        .order(posts::created_at.asc())
        .select(Post::as_select())
        .load(conn)
}

/// (post id, its participant) of the given posts.
pub fn participants_of_posts(conn: &mut DbConn, ids: &[PostId]) -> QueryResult<Vec<(PostId, Option<ParticipantId>)>> {
    posts::table.filter(posts::id.eq_any(ids)).select((posts::id, posts::participant_id)).load(conn)
}

/// The author of each of the given posts, and whether the post was removed with its author's
/// withdrawal.
pub fn authors_of_posts(conn: &mut DbConn, ids: &[PostId]) -> QueryResult<Vec<(PostId, Option<ParticipantId>, bool)>> {
    let rows: Vec<(PostId, Option<ParticipantId>, Option<PrimitiveDateTime>)> = posts::table
        .filter(posts::id.eq_any(ids))
        .select((posts::id, posts::participant_id, posts::removed_at))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, p, removed)| (id, p, removed.is_some())).collect())
}

/// (parent, participant) of participants' replies under the given posts.
pub fn participant_replies_under(
    conn: &mut DbConn,
    parent_ids: &[PostId],
) -> QueryResult<Vec<(PostId, ParticipantId)>> {
    posts::table
        .filter(posts::parent_id.eq_any(parent_ids))
        .filter(posts::participant_id.is_not_null())
        .select((posts::parent_id.assume_not_null(), posts::participant_id.assume_not_null()))
        .load(conn)
}

/// (participant, question) of every answer to the given questions.
pub fn answerers_of_questions(
    conn: &mut DbConn,
    question_ids: &[QuestionId],
) -> QueryResult<Vec<(ParticipantId, QuestionId)>> {
    let rows: Vec<(Option<ParticipantId>, QuestionId)> = posts::table
        .filter(posts::question_id.eq_any(question_ids))
        .filter(posts::parent_id.is_null())
        .select((posts::participant_id, posts::question_id))
        .distinct()
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|(p, q)| p.map(|p| (p, q))).collect())
}

/// Whose posts a batch is taken from: filtering by the scope's own column lets the database use
/// its index.
pub enum PostScope<'a> {
    Board(&'a BoardId),
    Question(&'a QuestionId),
    Participant(&'a ParticipantId),
}

/// Up to `limit` posts of `scope` after `after` (created_at, id), oldest first: keyset paging,
/// so a batch costs the same however far into the board it is.
pub fn batch(
    conn: &mut DbConn,
    scope: PostScope,
    after: Option<&(time::PrimitiveDateTime, PostId)>,
    limit: i64,
) -> QueryResult<Vec<Post>> {
    let mut query = match scope {
        PostScope::Board(b) => posts::table.filter(posts::board_id.eq(b.clone())).into_boxed(),
        PostScope::Question(q) => posts::table.filter(posts::question_id.eq(q.clone())).into_boxed(),
        PostScope::Participant(p) => posts::table.filter(posts::participant_id.eq(p.clone())).into_boxed(),
    };
    if let Some((t, id)) = after {
        query = query.filter(posts::created_at.gt(*t).or(posts::created_at.eq(*t).and(posts::id.gt(id.clone()))));
    }
    query.order((posts::created_at.asc(), posts::id.asc())).limit(limit).select(Post::as_select()).load(conn)
}

/// (post, how many agreed) for the given posts that have agreements.
pub fn agree_counts(conn: &mut DbConn, ids: &[PostId]) -> QueryResult<Vec<(PostId, i64)>> {
    use super::schema::reactions;
    reactions::table
        .filter(reactions::post_id.eq_any(ids))
        .group_by(reactions::post_id)
        .select((reactions::post_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Everything a participant wrote (answers and replies), oldest first.
pub fn of_participant(conn: &mut DbConn, participant_id: &ParticipantId) -> QueryResult<Vec<Post>> {
    posts::table
        .filter(posts::participant_id.eq(participant_id))
        .order((posts::created_at.asc(), posts::id.asc()))
        .select(Post::as_select())
        .load(conn)
}

/// A board's posts written after `since` (oldest first), not removed: what a digest tells of.
pub fn of_board_since(conn: &mut DbConn, board_id: &BoardId, since: PrimitiveDateTime) -> QueryResult<Vec<Post>> {
    posts::table
        .filter(posts::board_id.eq(board_id))
        .filter(posts::created_at.gt(since))
        .filter(posts::removed_at.is_null())
        .order((posts::created_at, posts::id))
        .select(Post::as_select())
        .load(conn)
}
