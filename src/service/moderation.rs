//! Moderating a live board: probes (follow-ups on one reply, public or private), answers
//! recorded on a participant's behalf, hiding and restoring posts, and notes from observers
//! and staff to the moderators. Every action here is written to the audit log.

use super::parse_time;
use super::post_trees::{recorder_names, thread_tree, Reader, MAX_POST_CHARS};
use super::views::{participant_label, PostView, When};
use super::{access, audit, in_tx, Access, Actor, Ctx, Field};
use crate::db::models::{Post, StaffNote};
use crate::db::{self, DbConn};
use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId, UserId};
use crate::domain::markdown;
use crate::domain::roles::{PostSource, Seen};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

fn post_of_board(conn: &mut DbConn, actor: &Actor, post_id: &PostId) -> AppResult<(Access, Post)> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let acc = access(conn, actor, &post.board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::not_found());
    }
    Ok((acc, post))
}

/// One post as the asker sees it.
fn view(conn: &mut DbConn, acc: &Access, post_id: &PostId) -> AppResult<PostView> {
    // This post alone: the cost does not grow with the number of posts in the question.
    let ap = db::posts::authored(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let ap = &ap;
    let recorders = recorder_names(conn, std::slice::from_ref(ap))?;
    let zone = acc.zone();
    let anonymity = acc.board.anonymity;
    let reactions = super::post_trees::reactions_of_post(conn, post_id, anonymity, acc.seen)?;
    let no_images = HashMap::new();
    let reader = Reader {
        me: acc.actor.reader_id(),
        zone: &zone,
        anonymity,
        standing: acc.standing,
        seen: acc.seen,
        recorders: &recorders,
        reactions: &reactions,
        images: &no_images,
    };
    thread_tree(&[ap], &reader).pop().ok_or_else(AppError::not_found)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProbeInput {
    pub body_md: String,
    /// true (or "on"): only the participant who wrote the reply, and the staff, see the probe
    /// and the answer to it.
    #[schema(value_type = Option<String>)]
    pub private: Option<serde_json::Value>,
}

/// A moderator's follow-up on one participant's post; the participant is told by email.
pub fn probe(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, post_id: &PostId, input: &ProbeInput) -> AppResult<PostView> {
    let (acc, parent) = post_of_board(conn, actor, post_id)?;
    acc.require_manage()?;
    let Some(participant) = parent.participant_id.clone() else {
        return Err(AppError::invalid("Probes follow up a participant's post."));
    };
    let body = super::required(Field("body_md", "The probe"), &input.body_md, MAX_POST_CHARS)?;
    let user = actor.user()?;
    let now = ctx.now();
    let private = super::truthy(&input.private);
    let id: PostId = db::new_id();
    let post = Post {
        thread_id: parent.thread_id.clone(),
        board_id: parent.board_id.clone(),
        question_id: parent.question_id.clone(),
        parent_id: Some(parent.id.clone()),
        participant_id: None,
        author_user_id: Some(user.id.clone()),
        body_html: markdown::render(&body),
        body_md: body,
        created_at: now,
        edited_at: None,
        hidden_at: None,
        hidden_reason: None,
        is_probe: true,
        private_to: if private { Some(participant) } else { parent.private_to.clone() },
        source: PostSource::Web,
        recorded_by: None,
        removed_at: None,
        id,
    };
    let q = db::stages::find_question(conn, &post.question_id)?.ok_or_else(AppError::not_found)?;
    in_tx(conn, |conn| {
        db::posts::insert(conn, &post)?;
        super::notifications::reply_posted(conn, ctx, &acc.board, &parent, &post, &user.name, &q.prompt_md, true)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "post.probe",
            format!("post {}", parent.id),
            None,
            Some(json!({"probe": post.id, "private": private, "body_md": post.body_md})),
        )
    })?;
    view(conn, &acc, &post.id)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct OnBehalfInput {
    pub participant_id: String,
    pub body_md: String,
    /// email (default), telephone or other.
    pub source: Option<String>,
    /// When the participant gave the answer, local to the board or RFC 3339; default now.
    pub given_at: Option<String>,
}

/// Records an answer a participant gave outside the board. It is marked as such wherever it
/// is shown and counts like any other answer.
pub fn record_on_behalf(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    input: &OnBehalfInput,
) -> AppResult<PostView> {
    let q = db::stages::find_question(conn, question_id)?.ok_or_else(AppError::not_found)?;
    let acc = access(conn, actor, &q.board_id)?;
    acc.require_manage()?;
    let user = actor.user()?;
    let p = db::participants::find(conn, &ParticipantId::from(input.participant_id.trim()))?
        .filter(|p| p.board_id == q.board_id)
        .ok_or_else(|| AppError::invalid_field("participant_id", "Choose a participant of this board."))?;
    if p.withdrawn_at.is_some() {
        return Err(AppError::invalid_field("participant_id", "This participant has withdrawn from the study."));
    }
    let source = match input.source.as_deref().map(str::trim) {
        None | Some("") => PostSource::Email,
        Some("web") => return Err(AppError::invalid_field("source", "\"web\" is not one of: email, telephone, other")),
        Some(other) => PostSource::parse(other).map_err(|_| {
            AppError::invalid_field("source", format!("{other:?} is not one of: email, telephone, other"))
        })?,
    };
    let body = super::required(Field("body_md", "The answer"), &input.body_md, MAX_POST_CHARS)?;
    let given_at =
        parse_time(&acc.zone(), Field("given_at", "Given on"), &input.given_at)?.unwrap_or_else(|| ctx.now());
    if db::posts::has_answered(conn, &p.id, &q.id)? {
        return Err(AppError::AlreadyAnswered("This participant has already answered this question.".into()));
    }
    let id: PostId = db::new_id();
    let post = Post {
        thread_id: id.clone(),
        board_id: q.board_id.clone(),
        question_id: q.id.clone(),
        parent_id: None,
        participant_id: Some(p.id.clone()),
        author_user_id: None,
        body_html: markdown::render(&body),
        body_md: body,
        created_at: given_at,
        edited_at: None,
        hidden_at: None,
        hidden_reason: None,
        is_probe: false,
        private_to: None,
        source,
        recorded_by: Some(user.id.clone()),
        removed_at: None,
        id,
    };
    in_tx(conn, |conn| {
        if !db::posts::insert_answer(conn, &post)? {
            return Err(AppError::AlreadyAnswered("This participant has already answered this question.".into()));
        }
        audit::record(
            conn,
            ctx,
            &acc,
            "post.on_behalf",
            format!("question {}", q.id),
            None,
            Some(json!({"post": post.id, "participant": p.id, "source": source, "body_md": post.body_md})),
        )
    })?;
    view(conn, &acc, &post.id)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct HideInput {
    /// Required when hiding; kept in the audit log.
    pub reason: String,
}

/// A post as the page that asks before hiding it shows it; for the board's moderators only.
pub fn post_to_hide(conn: &mut DbConn, actor: &Actor, post_id: &PostId) -> AppResult<PostView> {
    let (acc, post) = post_of_board(conn, actor, post_id)?;
    acc.require_manage()?;
    view(conn, &acc, &post.id)
}

/// Hides a post (participants see that something was removed, not what) or restores it.
pub fn set_hidden(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    post_id: &PostId,
    hide: bool,
    input: &HideInput,
) -> AppResult<PostView> {
    let (acc, post) = post_of_board(conn, actor, post_id)?;
    acc.require_manage()?;
    let reason = if hide { Some(super::required(Field("reason", "The reason"), &input.reason, 500)?) } else { None };
    let before = json!({"hidden": post.hidden_at.is_some(), "reason": post.hidden_reason});
    in_tx(conn, |conn| {
        db::posts::set_hidden(conn, &post.id, hide.then(|| ctx.now()), reason.as_deref())?;
        audit::record(
            conn,
            ctx,
            &acc,
            if hide { "post.hide" } else { "post.restore" },
            format!("post {}", post.id),
            Some(before),
            Some(json!({"hidden": hide, "reason": reason})),
        )
    })?;
    view(conn, &acc, post_id)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenProbe {
    pub probe_id: PostId,
    pub question_id: QuestionId,
    pub question: String,
    pub author: String,
    pub body_html: String,
    pub private: bool,
    pub asked: When,
    /// The participant it waits for: their id, and their name for staff.
    pub participant_id: ParticipantId,
    pub participant: Option<String>,
}

/// Probes on a board that wait for an answer: for one participant (their board home), or
/// all of them (the moderators' list). A probe is answered when its participant replies to it.
pub fn open_probes(
    conn: &mut DbConn,
    acc: &Access,
    participant_id: Option<&ParticipantId>,
) -> AppResult<Vec<OpenProbe>> {
    let probes: Vec<Post> = db::posts::probes_of_board(conn, &acc.board.id)?;
    if probes.is_empty() {
        return Ok(Vec::new());
    }
    let parent_ids: Vec<PostId> = probes.iter().filter_map(|p| p.parent_id.clone()).collect();
    let parents: HashMap<PostId, Option<ParticipantId>> =
        db::posts::participants_of_posts(conn, &parent_ids)?.into_iter().collect();
    let probe_ids: Vec<PostId> = probes.iter().map(|p| p.id.clone()).collect();
    let answered: HashSet<(PostId, ParticipantId)> =
        db::posts::participant_replies_under(conn, &probe_ids)?.into_iter().collect();
    // Only the probes' participants are named: a large board's others are not read.
    let targets: Vec<ParticipantId> = parents.values().flatten().cloned().collect();
    let people: HashMap<ParticipantId, (Option<String>, String, i32)> = db::participants::names_of(conn, &targets)?
        .into_iter()
        .map(|(id, screen, name, number)| (id, (screen, name, number)))
        .collect();
    // A participant's own probes name them as they are; staff by their rule.
    let seen = match acc.seen {
        Seen::ByPseudonym => Seen::ByPseudonym,
        Seen::AsParticipant | Seen::WithIdentities => Seen::WithIdentities,
    };
    let questions: HashMap<QuestionId, String> =
        db::stages::questions_of_board(conn, &acc.board.id)?.into_iter().map(|q| (q.id, q.prompt_md)).collect();
    let staff_names: HashMap<UserId, String> =
        db::users::names(conn, &probes.iter().filter_map(|p| p.author_user_id.clone()).collect::<Vec<_>>())?
            .into_iter()
            .collect();
    let zone = acc.zone();
    let anonymity = acc.board.anonymity;
    Ok(probes
        .into_iter()
        .filter_map(|probe| {
            let target = parents.get(probe.parent_id.as_deref()?)?.clone()?;
            if participant_id.is_some_and(|me| *me != target) || answered.contains(&(probe.id.clone(), target.clone()))
            {
                return None;
            }
            let participant = people
                .get(&target)
                .map(|(screen, name, number)| participant_label(screen.as_deref(), name, *number, anonymity, seen));
            Some(OpenProbe {
                question: questions.get(&probe.question_id).cloned().unwrap_or_default(),
                question_id: probe.question_id,
                author: probe
                    .author_user_id
                    .as_ref()
                    .and_then(|u| staff_names.get(u))
                    .map_or("Moderator".into(), |n| format!("{n} (moderator)")),
                body_html: probe.body_html,
                private: probe.private_to.is_some(),
                asked: When::new(&zone, probe.created_at),
                participant: participant.filter(|_| participant_id.is_none()),
                participant_id: target,
                probe_id: probe.id,
            })
        })
        .collect())
}

/// The probes of a board waiting for an answer, for its staff.
pub fn awaiting_probes(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Vec<OpenProbe>> {
    let acc = access(conn, actor, board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("This list is for the board's staff."));
    }
    open_probes(conn, &acc, None)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NoteInput {
    pub body_md: String,
    /// The question the note is about, if any.
    pub question_id: Option<QuestionId>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NoteView {
    pub id: String,
    pub author: String,
    pub question_id: Option<QuestionId>,
    pub body_html: String,
    pub created: When,
}

/// A note from any of the board's staff (observers and analysts included) to the moderators.
/// Participants never see notes.
pub fn add_note(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    input: &NoteInput,
) -> AppResult<NoteView> {
    let acc = access(conn, actor, board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("Notes are written by the board's staff."));
    }
    let user = actor.user()?;
    let question_id = input.question_id.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(QuestionId::from);
    if let Some(q) = &question_id {
        db::stages::find_question(conn, q)?
            .filter(|q| q.board_id == board_id)
            .ok_or_else(|| AppError::invalid_field("question_id", "The question is not part of this board."))?;
    }
    let body = super::required(Field("body_md", "The note"), &input.body_md, 20_000)?;
    let note = StaffNote {
        id: db::new_id(),
        board_id: board_id.into(),
        question_id,
        author_id: user.id.clone(),
        body_md: body,
        created_at: ctx.now(),
    };
    db::moderation::insert_note(conn, &note)?;
    Ok(NoteView {
        id: note.id,
        author: user.name.clone(),
        question_id: note.question_id,
        body_html: markdown::render(&note.body_md),
        created: When::new(&acc.zone(), note.created_at),
    })
}

/// A board's notes (optionally about one question), for its staff.
pub fn notes(
    conn: &mut DbConn,
    actor: &Actor,
    board_id: &BoardId,
    question_id: Option<&QuestionId>,
) -> AppResult<Vec<NoteView>> {
    let acc = access(conn, actor, board_id)?;
    notes_for(conn, &acc, question_id)
}

pub fn notes_for(conn: &mut DbConn, acc: &Access, question_id: Option<&QuestionId>) -> AppResult<Vec<NoteView>> {
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("Notes are for the board's staff."));
    }
    let board_id = &acc.board.id;
    let zone = acc.zone();
    Ok(db::moderation::notes_of_board(conn, board_id)?
        .into_iter()
        .filter(|(n, _)| question_id.is_none() || n.question_id.as_ref() == question_id)
        .map(|(n, author)| NoteView {
            id: n.id,
            author,
            question_id: n.question_id,
            body_html: markdown::render(&n.body_md),
            created: When::new(&zone, n.created_at),
        })
        .collect())
}
