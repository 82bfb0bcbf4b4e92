//! Writing answers: posting an answer or a reply under the rules of its question, editing
//! with history, and agreeing with another's post.

use super::post_trees::{reactions_of_post, recorder_names, thread_tree, Reader};
use super::rules::{can_read_post, may_write_under, question_access};
use super::views::{participant_label, PostView, When};
use super::{Access, Actor, Ctx, Field};
use crate::db::models::Post;
use crate::db::{self, DbConn};
use crate::domain::ids::{PostId, QuestionId};
use crate::domain::markdown;
use crate::domain::polls::QuestionKind;
use crate::domain::roles::{PostSource, Seen, Standing};
use crate::domain::visibility::{answer_refusal, reply_refusal, stage_phase};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

pub use super::post_trees::MAX_POST_CHARS;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PostInput {
    pub body_md: String,
    /// The post this replies to; none for an answer to the question.
    pub parent_id: Option<PostId>,
}

/// Writes an answer (no parent) or a reply inside a thread the asker can see.
pub fn create_post(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    input: &PostInput,
) -> AppResult<PostView> {
    create_post_from(conn, ctx, actor, question_id, input, PostSource::Web)
}

/// As `create_post`, for a post that reached the board another way than the web page (a
/// participant's reply by email), under exactly the same rules.
pub fn create_post_from(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    input: &PostInput,
    source: PostSource,
) -> AppResult<PostView> {
    let (acc, stage, q) = question_access(conn, actor, question_id)?;
    let now = ctx.now();
    let phase = stage_phase(stage.released_at, stage.close_at, now);
    let body = super::required(Field("body_md", "Your reply"), &input.body_md, MAX_POST_CHARS)?;
    let parent_id = input.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(PostId::from);
    let parent = match &parent_id {
        Some(pid) => Some(
            db::posts::find(conn, pid)?
                .filter(|p| p.question_id == q.id)
                .ok_or_else(|| AppError::invalid("The post you are replying to is not part of this question."))?,
        ),
        None => None,
    };
    let (participant_id, author_user_id) = match (&acc.standing, &parent) {
        (Standing::Participant, _) => {
            let me = acc.participant()?;
            let answered = db::posts::has_answered(conn, &me.id, &q.id)?;
            match &parent {
                None => {
                    if let Some(why) = answer_refusal(acc.state(), phase) {
                        return Err(AppError::Forbidden(why.into()));
                    }
                    if q.kind != QuestionKind::Discussion && db::votes::current_vote(conn, &me.id, &q.id)?.is_none() {
                        return Err(AppError::invalid("Vote first; your comment goes with your vote."));
                    }
                    if answered {
                        return Err(already_answered());
                    }
                }
                Some(parent) => {
                    if let Some(why) = reply_refusal(acc.state(), phase) {
                        return Err(AppError::Forbidden(why.into()));
                    }
                    // Writing into a thread needs the same right as reading it: not under a
                    // post they may not read (post-first, another's private exchange), and
                    // not under a hidden post. Same answer as for a post that does not exist.
                    if !may_write_under(conn, actor, parent)? {
                        return Err(AppError::invalid("The post you are replying to is not part of this question."));
                    }
                }
            }
            (Some(me.id.clone()), None)
        }
        (standing, Some(_)) if standing.can_manage() => {
            if let Some(why) = reply_refusal(acc.state(), phase) {
                return Err(AppError::Forbidden(why.into()));
            }
            (None, Some(acc.actor.user()?.id.clone()))
        }
        (standing, None) if standing.can_manage() => {
            return Err(AppError::invalid(
                "Moderators reply inside a participant's thread; answers come from participants.",
            ))
        }
        _ => return Err(AppError::forbidden("Observers and analysts read the board but do not post.")),
    };
    let is_probe = author_user_id.is_some() && parent.as_ref().is_some_and(|p| p.participant_id.is_some());
    let id: PostId = db::new_id();
    let post = Post {
        thread_id: parent.as_ref().map_or(id.clone(), |p| p.thread_id.clone()),
        id,
        board_id: q.board_id.clone(),
        question_id: q.id.clone(),
        parent_id: parent.as_ref().map(|p| p.id.clone()),
        participant_id,
        author_user_id,
        body_html: markdown::render(&body),
        body_md: body,
        created_at: now,
        edited_at: None,
        hidden_at: None,
        hidden_reason: None,
        // A moderator's reply to a participant is a probe: the participant is asked to answer.
        is_probe,
        // A reply inside a private exchange stays private to the same participant.
        private_to: parent.as_ref().and_then(|p| p.private_to.clone()),
        source,
        recorded_by: None,
        removed_at: None,
    };
    super::in_tx(conn, |conn| {
        if post.parent_id.is_none() {
            if !db::posts::insert_answer(conn, &post)? {
                return Err(already_answered());
            }
        } else {
            db::posts::insert(conn, &post)?;
        }
        if let Some(parent) = &parent {
            // How the replier appears to the author of the post replied to, a participant.
            let replier = match actor {
                Actor::Participant(p) => {
                    let anonymity = acc.board.anonymity;
                    participant_label(p.screen_name.as_deref(), &p.name, p.pseudonym_no, anonymity, Seen::AsParticipant)
                }
                Actor::User(u) => format!("{} (moderator)", u.name),
                Actor::System => "The moderators".to_string(),
            };
            super::notifications::reply_posted(conn, ctx, &acc.board, parent, &post, &replier, &q.prompt_md, false)?;
        }
        if let Actor::Participant(p) = actor {
            super::note_seen(ctx, p, now);
        }
        Ok(())
    })?;
    find_post_view(conn, actor, &acc, &post.id)
}

fn find_post_view(conn: &mut DbConn, actor: &Actor, acc: &Access, post_id: &PostId) -> AppResult<PostView> {
    // This post alone (its row, its reactions): the cost of answering does not grow with the
    // number of posts in the question.
    let ap = db::posts::authored(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let ap = &ap;
    let anonymity = acc.board.anonymity;
    let recorders = recorder_names(conn, std::slice::from_ref(ap))?;
    let reactions = reactions_of_post(conn, post_id, anonymity, acc.seen)?;
    let zone = acc.zone();
    let no_images = HashMap::new();
    let mut tree = thread_tree(
        &[ap],
        &Reader {
            me: actor.reader_id(),
            zone: &zone,
            anonymity,
            standing: acc.standing,
            seen: acc.seen,
            recorders: &recorders,
            reactions: &reactions,
            images: &no_images,
        },
    );
    tree.pop().ok_or_else(AppError::not_found)
}

/// The author edits their own post; the earlier wording is kept.
pub fn edit_post(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, post_id: &PostId, body_md: &str) -> AppResult<PostView> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let (acc, stage, _q) = question_access(conn, actor, &post.question_id)?;
    let me = actor.reader_id();
    if post.participant_id.as_deref() != Some(me) && post.author_user_id.as_deref() != Some(me) {
        return Err(AppError::forbidden("Only the author can edit a post."));
    }
    let phase = stage_phase(stage.released_at, stage.close_at, ctx.now());
    if let Some(why) = reply_refusal(acc.state(), phase) {
        return Err(AppError::Forbidden(why.into()));
    }
    if !may_write_under(conn, actor, &post)? {
        return Err(AppError::forbidden("A moderator has hidden this post; it can no longer be changed."));
    }
    let body = super::required(Field("body_md", "Your reply"), body_md, MAX_POST_CHARS)?;
    if body != post.body_md {
        super::in_tx(conn, |conn| {
            Ok(db::posts::update_body(conn, &post, &body, &markdown::render(&body), ctx.now())?)
        })?;
    }
    find_post_view(conn, actor, &acc, post_id)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Revision {
    pub body_md: String,
    pub body_html: String,
    pub replaced_at: When,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostHistory {
    pub post: PostView,
    /// Earlier wordings, oldest first.
    pub revisions: Vec<Revision>,
}

/// A post's earlier wordings, for its author and the board's staff.
pub fn post_history(conn: &mut DbConn, actor: &Actor, post_id: &PostId) -> AppResult<PostHistory> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let (acc, ..) = question_access(conn, actor, &post.question_id)?;
    let me = actor.reader_id();
    let own = post.participant_id.as_deref() == Some(me) || post.author_user_id.as_deref() == Some(me);
    if !own && !acc.standing.sees_everything() {
        return Err(AppError::not_found());
    }
    let zone = acc.zone();
    let revisions = db::posts::revisions(conn, post_id)?
        .into_iter()
        .map(|r| Revision {
            body_html: markdown::render(&r.body_md),
            body_md: r.body_md,
            replaced_at: When::new(&zone, r.replaced_at),
        })
        .collect();
    Ok(PostHistory { post: find_post_view(conn, actor, &acc, post_id)?, revisions })
}

/// A participant agrees with a post they can read, or takes their agreement back. Returns the
/// post as they now see it.
pub fn toggle_agree(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, post_id: &PostId) -> AppResult<PostView> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let (acc, stage, _q) = question_access(conn, actor, &post.question_id)?;
    let me = match acc.standing {
        Standing::Participant => acc.participant()?.clone(),
        _ => return Err(AppError::forbidden("Only participants agree with posts.")),
    };
    let visible = can_read_post(conn, actor, &post)? && post.hidden_at.is_none() && post.removed_at.is_none();
    if !visible {
        return Err(AppError::not_found());
    }
    if post.participant_id.as_deref() == Some(me.id.as_str()) {
        return Err(AppError::invalid("You cannot agree with your own post."));
    }
    if let Some(why) = reply_refusal(acc.state(), stage_phase(stage.released_at, stage.close_at, ctx.now())) {
        return Err(AppError::Forbidden(why.into()));
    }
    db::posts::toggle_reaction(conn, &post, &me.id, ctx.now())?;
    find_post_view(conn, actor, &acc, post_id)
}

fn already_answered() -> AppError {
    AppError::AlreadyAnswered("You have already answered this question; edit your answer or reply in a thread.".into())
}
