//! Images on questions (moderators) and posts (their authors, where the question allows it).
//! Each is served only to those who may read what it belongs to: post-first, private, hidden
//! and group rules included.

use super::rules::{can_read_post, question_access};
use super::{audit, Actor, Ctx, Field};
use crate::db::models::Image;
use crate::db::{self, DbConn};
use crate::domain::ids::{ImageId, PostId, QuestionId, StageId, SummaryId};
use crate::error::{AppError, AppResult};

pub use super::views::{image_view as view, ImageView};

/// What an image is attached to.
#[derive(Clone, Debug)]
pub enum Target {
    Question(QuestionId),
    Post(PostId),
    /// A stage's introduction.
    Stage(StageId),
    /// The summary of a stage (by the stage's id).
    Summary(StageId),
}

impl Target {
    /// The target an upload names by kind ("question", "post", "stage") and id.
    pub fn named(kind: &str, summary: bool, id: &str) -> Target {
        match (kind, summary) {
            ("question", _) => Target::Question(id.into()),
            ("post", _) => Target::Post(id.into()),
            (_, true) => Target::Summary(id.into()),
            _ => Target::Stage(id.into()),
        }
    }
}

/// Where an upload would go, once the asker is known to be allowed to put it there.
pub struct Authorized {
    acc: super::Access,
    question_id: Option<QuestionId>,
    post_id: Option<PostId>,
    stage_id: Option<StageId>,
    summary_id: Option<SummaryId>,
    of_question: Option<QuestionId>,
    alt: String,
}

/// A new question and its image, created together: a refused image leaves no question behind.
/// The image was decoded after `authorize_upload` for the question's stage said yes.
pub fn add_question_with_image(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    stage_id: &StageId,
    input: &super::stages::QuestionInput,
    image: Option<(&str, crate::domain::images::Processed)>,
) -> AppResult<super::views::QuestionView> {
    super::in_tx(conn, |conn| {
        let q = super::stages::add_question(conn, ctx, actor, stage_id, input)?;
        if let Some((alt, processed)) = image {
            store_upload(conn, ctx, actor, Target::Question(q.id.clone()), alt, processed)?;
        }
        Ok(q)
    })
}

/// Checks that `actor` may add an image to `target`, before any byte of it is decoded.
pub fn authorize_upload(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    target: Target,
    alt: &str,
) -> AppResult<Authorized> {
    let alt = super::required(Field("alt", "A description of the image (alt text)"), alt, 300)?;
    let mut stage_id = None;
    let mut summary_id = None;
    let is_summary = matches!(target, Target::Summary(_));
    let (acc, question_id, post_id, of_question) = match &target {
        Target::Question(qid) => {
            let (acc, _stage, q) = question_access(conn, actor, qid)?;
            acc.require_manage()?;
            (acc, Some(q.id.clone()), None, Some(q.id))
        }
        Target::Stage(sid) | Target::Summary(sid) => {
            let stage = db::stages::find(conn, sid)?.ok_or_else(AppError::not_found)?;
            let acc = super::access(conn, actor, &stage.board_id)?;
            acc.require_manage()?;
            if is_summary {
                let summary = db::moderation::summary_of_stage(conn, sid)?
                    .ok_or_else(|| AppError::invalid("Write the summary first, then add images to it."))?;
                summary_id = Some(summary.id);
            } else {
                stage_id = Some(stage.id);
            }
            (acc, None, None, None)
        }
        Target::Post(pid) => {
            let post = db::posts::find(conn, pid)?.ok_or_else(AppError::not_found)?;
            let (acc, stage, q) = question_access(conn, actor, &post.question_id)?;
            if !can_read_post(conn, actor, &post)? {
                return Err(AppError::not_found());
            }
            // Adding to a post is writing: the board and stage must take it, and a hidden
            // post takes nothing more.
            let phase = crate::domain::visibility::stage_phase(stage.released_at, stage.close_at, ctx.now());
            if let Some(why) = crate::domain::visibility::reply_refusal(acc.state(), phase) {
                return Err(AppError::Forbidden(why.into()));
            }
            if !super::rules::may_write_under(conn, actor, &post)? {
                return Err(AppError::forbidden("A moderator has hidden this post; it can no longer be changed."));
            }
            if post.participant_id.as_deref() != Some(actor.reader_id()) {
                return Err(AppError::forbidden("Only the author adds images to a post."));
            }
            if !q.allow_images {
                return Err(AppError::forbidden("This question does not take images."));
            }
            (acc, None, Some(post.id), Some(q.id))
        }
    };
    Ok(Authorized { acc, question_id, post_id, stage_id, summary_id, of_question, alt })
}

/// Stores a decoded image, checking the asker's right again (it may have changed while the
/// image was decoded).
pub fn store_upload(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    target: Target,
    alt: &str,
    processed: crate::domain::images::Processed,
) -> AppResult<ImageView> {
    let Authorized { acc, question_id, post_id, stage_id, summary_id, of_question, alt } =
        authorize_upload(conn, ctx, actor, target, alt)?;
    let image = Image {
        id: db::new_id(),
        board_id: acc.board.id.clone(),
        question_id,
        post_id,
        stage_id,
        summary_id,
        alt_text: alt,
        content_type: processed.content_type.into(),
        width: processed.width as i32,
        height: processed.height as i32,
        uploaded_by: actor.reader_id().to_string(),
        created_at: ctx.now(),
    };
    // The row and its bytes together: no image without bytes, no bytes without an image.
    super::in_tx(conn, |conn| {
        db::images::insert(conn, &image)?;
        db::images::insert_data(conn, &image.id, &processed.full, &processed.thumb)?;
        if acc.standing.can_manage() {
            audit::record(
                conn,
                ctx,
                &acc,
                "image.upload",
                format!("image {}", image.id),
                None,
                Some(serde_json::json!({"alt_text": image.alt_text})),
            )?;
        }
        Ok(())
    })?;
    Ok(view(&image, of_question.as_ref()))
}

/// The bytes and content type of an image (or its thumbnail), for someone allowed to see it.
pub fn serve(conn: &mut DbConn, actor: &Actor, image_id: &ImageId, thumb: bool) -> AppResult<(String, Vec<u8>)> {
    let image = db::images::find(conn, image_id)?.ok_or_else(AppError::not_found)?;
    if let Some(qid) = &image.question_id {
        question_access(conn, actor, qid)?;
    } else if let Some(pid) = &image.post_id {
        let post = db::posts::find(conn, pid)?.ok_or_else(AppError::not_found)?;
        if !can_read_post(conn, actor, &post)? {
            return Err(AppError::not_found());
        }
    } else {
        // A stage introduction or a summary: visible where the stage or summary is.
        let acc = super::access(conn, actor, &image.board_id)?;
        if let super::Actor::Participant(p) = actor {
            let visible = match (&image.stage_id, &image.summary_id) {
                (Some(sid), _) => match db::stages::find(conn, sid)? {
                    Some(s) => {
                        s.released_at.is_some() && crate::domain::visibility::for_group(&s.groups, p.group().as_deref())
                    }
                    None => false,
                },
                (None, Some(sum)) => super::summaries::readable(conn, &acc, Some(p))?.iter().any(|s| s.id == sum),
                (None, None) => false,
            };
            if !visible {
                return Err(AppError::not_found());
            }
        }
    }
    let bytes = db::images::data(conn, &image.id, thumb)?.ok_or_else(AppError::not_found)?;
    Ok((image.content_type, bytes))
}

/// Moves images that earlier versions kept as files in `uploads` into the database, once, at
/// start-up; the files are left where they are (remove them once a backup holds the database).
pub fn move_files_into_database(conn: &mut DbConn, uploads: &std::path::Path) -> AppResult<usize> {
    let mut moved = 0;
    for id in db::images::without_data(conn)? {
        let (full, thumb) =
            (std::fs::read(uploads.join(id.as_str())), std::fs::read(uploads.join(format!("{id}.thumb"))));
        match (full, thumb) {
            (Ok(full), Ok(thumb)) => {
                db::images::insert_data(conn, &id, &full, &thumb)?;
                moved += 1;
            }
            _ => {
                tracing::warn!(image = %id, folder = %uploads.display(), "an image's file is missing; it cannot be shown")
            }
        }
    }
    Ok(moved)
}
