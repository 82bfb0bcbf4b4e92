//! Answers by email. A message read from the mailbox is posted as its participant's answer only
//! when its reply key, its sender and the board's rules all agree; anything else waits on the
//! board's email page ("unmatched mail") for a moderator to attach or discard. Each message is
//! recorded once, by its Message-ID, in the same transaction as the post it makes, so several
//! instances reading one mailbox post each reply once.

use super::moderation::{record_on_behalf, OnBehalfInput};
use super::notifications::outbox_message;
use super::posting::{create_post_from, PostInput};
use super::views::When;
use super::{access, audit, in_tx, Actor, Ctx};
use crate::db::models::{InboundMail, ReplyKey};
use crate::db::{self, DbConn};
use crate::domain::email::{EmailKind, InboundOutcome};
use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId};
use crate::domain::inbound::{reply_key, IncomingMail, MailKind};
use crate::domain::roles::{BoardState, PostSource};
use crate::domain::{images, tokens};
use crate::email::compose::Composed;
use crate::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

/// At most this many images of one reply are kept.
const MAX_IMAGES: usize = 4;
/// The text of a message kept for the moderators, in characters.
const MAX_KEPT_CHARS: usize = 20_000;

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub outcome: InboundOutcome,
    pub reason: Option<String>,
    pub post_id: Option<PostId>,
}

/// Why a reply was not posted, and whether its sender is told.
struct Refusal {
    reason: String,
    tell_sender: bool,
}

impl Refusal {
    fn told(reason: impl Into<String>) -> Self {
        Refusal { reason: reason.into(), tell_sender: true }
    }
    fn quiet(reason: impl Into<String>) -> Self {
        Refusal { reason: reason.into(), tell_sender: false }
    }
}

/// Handles one message; `None` if it was handled before (here or by another instance).
pub fn receive(conn: &mut DbConn, ctx: &Ctx, mail: &IncomingMail) -> AppResult<Option<Received>> {
    // Images are decoded before the transaction: decoding is slow, and a write lock is not
    // held for it.
    let mut decoded = Vec::new();
    let mut dropped: Vec<String> = mail.dropped.iter().map(|n| format!("{n} (not an image)")).collect();
    for (i, image) in mail.images.iter().enumerate() {
        if i >= MAX_IMAGES {
            dropped.push(format!("{} (only {MAX_IMAGES} images are kept from one email)", image.name));
            continue;
        }
        match images::process(&image.bytes) {
            Ok(p) => decoded.push((image.name.clone(), p)),
            Err(why) => dropped.push(format!("{} ({})", image.name, why.trim_end_matches('.'))),
        }
    }
    let now = ctx.now();
    let key = reply_key(&mail.recipients, &ctx.reply_address);
    in_tx(conn, |conn| {
        let found = match &key {
            Some(k) => db::inbound::find_key(conn, &tokens::hash(k))?,
            None => None,
        };
        let row = InboundMail {
            id: db::new_id(),
            dedup_key: mail.dedup_key.clone(),
            board_id: found.as_ref().map(|k| k.board_id.clone()),
            participant_id: found.as_ref().map(|k| k.participant_id.clone()),
            question_id: found.as_ref().map(|k| k.question_id.clone()),
            parent_post_id: found.as_ref().and_then(|k| k.post_id.clone()),
            sender: mail.sender.clone().unwrap_or_default(),
            subject: mail.subject.chars().take(500).collect(),
            body_text: mail.text.chars().take(MAX_KEPT_CHARS).collect(),
            outcome: InboundOutcome::Unmatched,
            reason: None,
            post_id: None,
            received_at: now,
            handled_by: None,
            handled_at: None,
        };
        if !db::inbound::insert_mail(conn, &row)? {
            return Ok(None);
        }
        let result = match mail.kind {
            MailKind::Bounce => {
                let mut marked = 0;
                for address in &mail.failed_recipients {
                    let reason = format!("A message to {address} bounced: {}", mail.subject);
                    marked += db::inbound::mark_failing(conn, address, &reason, now)?.len();
                }
                Err(Refusal::quiet(format!(
                    "A bounce: delivery failed to {} ({marked} participants marked as failing).",
                    if mail.failed_recipients.is_empty() {
                        "an unknown address".into()
                    } else {
                        mail.failed_recipients.join(", ")
                    }
                )))
            }
            MailKind::AutoReply => Err(Refusal::quiet("An automatic reply (such as out of office); not an answer.")),
            MailKind::Reply => post_reply(conn, ctx, mail, found.as_ref(), &decoded, &mut dropped, now)?,
        };
        let received = match result {
            Ok(post_id) => {
                db::inbound::settle(conn, &row.id, InboundOutcome::Posted, Some(&post_id), "email", now)?;
                if !dropped.is_empty() {
                    tell_sender(conn, ctx, &row, true, &format!("Left out: {}.", dropped.join("; ")))?;
                }
                Received { outcome: InboundOutcome::Posted, reason: None, post_id: Some(post_id) }
            }
            Err(refusal) => {
                db::inbound::set_reason(conn, &row.id, &refusal.reason)?;
                if refusal.tell_sender {
                    tell_sender(conn, ctx, &row, false, &refusal.reason)?;
                }
                Received { outcome: InboundOutcome::Unmatched, reason: Some(refusal.reason), post_id: None }
            }
        };
        Ok(Some(received))
    })
}

/// Posts a reply whose key, sender and board all check out; the post's id.
fn post_reply(
    conn: &mut DbConn,
    ctx: &Ctx,
    mail: &IncomingMail,
    key: Option<&ReplyKey>,
    decoded: &[(String, images::Processed)],
    dropped: &mut Vec<String>,
    now: time::PrimitiveDateTime,
) -> AppResult<Result<PostId, Refusal>> {
    let Some(key) = key else {
        return Ok(Err(Refusal::quiet(
            "Not sent to a reply address this board gave out (or its key is unknown), so it cannot be matched.",
        )));
    };
    let Some(board) = db::boards::find(conn, &key.board_id)? else {
        return Ok(Err(Refusal::quiet("The board is gone.")));
    };
    let Some(participant) = db::participants::find(conn, &key.participant_id)? else {
        return Ok(Err(Refusal::quiet("The participant is gone.")));
    };
    if participant.withdrawn_at.is_some() || participant.erased_at.is_some() {
        return Ok(Err(Refusal::quiet("The participant has withdrawn from the study.")));
    }
    // A reply key is bound to the address it was sent to: a message from any other address is
    // never posted as them, whatever its key.
    let sender = mail.sender.as_deref().unwrap_or_default();
    if sender != key.address || sender != participant.email {
        return Ok(Err(Refusal::quiet(format!(
            "Sent from {}, which is not the address this reply key was sent to.",
            if sender.is_empty() { "no readable address" } else { sender }
        ))));
    }
    if mail.forged {
        return Ok(Err(Refusal::quiet("The receiving mail server found the sender's address forged (DMARC failed).")));
    }
    // Keys end with their board (checked after the sender and forgery, so only the participant is told).
    if board.state != BoardState::Open || board.closes_at.is_some_and(|t| t <= now) {
        return Ok(Err(Refusal::told("The board has closed, so replies by email are no longer posted.")));
    }
    if let Some(size) = mail.too_large {
        return Ok(Err(Refusal::told(format!(
            "The email was {} MB, more than the {} MB a reply may be; send fewer or smaller pictures.",
            size / 1024 / 1024,
            crate::domain::inbound::MAX_MESSAGE_BYTES / 1024 / 1024
        ))));
    }
    if mail.text.trim().is_empty() && decoded.is_empty() {
        return Ok(Err(Refusal::told("The reply had no text of its own above the quoted message.")));
    }
    let body = if mail.text.trim().is_empty() { "(images sent by email)".to_string() } else { mail.text.clone() };
    let actor = Actor::Participant(participant.clone());
    let input = PostInput { body_md: body, parent_id: key.post_id.clone() };
    let question_id: QuestionId = key.question_id.clone();
    let post = match create_post_from(conn, ctx, &actor, &question_id, &input, PostSource::Email) {
        Ok(post) => post,
        // The board's rules said no (stage closed, already answered, vote first…): the sender
        // is told why, in the words the page would use.
        Err(e @ AppError::Internal(_)) => return Err(e),
        Err(e) => return Ok(Err(Refusal::told(e.to_string()))),
    };
    for (name, processed) in decoded {
        let alt = format!("Image sent by email ({name})");
        let target = super::images::Target::Post(post.id.clone());
        // The question may not take images: the answer stands, the image is left out.
        match super::images::store_upload(conn, ctx, &actor, target, &alt, processed.clone()) {
            Ok(_) => {}
            Err(e @ AppError::Internal(_)) => return Err(e),
            Err(e) => dropped.push(format!("{name} ({})", e.to_string().trim_end_matches('.'))),
        }
    }
    // A reply from the address shows it works.
    db::inbound::clear_failing(conn, &participant.id)?;
    Ok(Ok(post.id))
}

/// One short email to the sender of a reply by email: why it was not posted, or what was left
/// out. At most one an hour to an address, and never to a message that was itself automatic
/// (the caller knows), so two programs cannot answer each other for ever.
fn tell_sender(conn: &mut DbConn, ctx: &Ctx, row: &InboundMail, posted: bool, why: &str) -> AppResult<()> {
    if row.sender.is_empty() || crate::domain::email::EmailAddress::parse(&row.sender).is_err() {
        return Ok(());
    }
    // Only people the study wrote to are answered: mail from strangers gets no reply.
    if db::participants::with_email(conn, &row.sender)?.is_empty() {
        return Ok(());
    }
    let hour = ctx.now().assume_utc().unix_timestamp() / 3600;
    let dedup = format!("reply_by_email:{}:{hour}", row.sender);
    let data = json!({
        "posted": posted,
        "why": why,
        "subject": row.subject,
        "home_url": ctx.base_url,
    });
    let composed: Composed = crate::email::compose::compose(EmailKind::ReplyByEmail, &data)?;
    let message = outbox_message(
        ctx,
        row.board_id.as_ref(),
        None,
        &row.sender,
        EmailKind::ReplyByEmail,
        Some(dedup),
        composed,
        None,
    );
    db::outbox::insert(conn, &message)?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmatchedView {
    pub id: String,
    pub sender: String,
    pub subject: String,
    pub body_text: String,
    pub reason: Option<String>,
    pub received: When,
    /// The participant and question its key named, when it had one.
    pub participant_id: Option<ParticipantId>,
    pub question_id: Option<QuestionId>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionChoice {
    pub id: QuestionId,
    pub label: String,
}

/// The questions a waiting message can be attached to, in board order.
pub fn question_choices(conn: &mut DbConn, board_id: &BoardId) -> AppResult<Vec<QuestionChoice>> {
    let stages = db::stages::of_board(conn, board_id)?;
    let mut questions = db::stages::questions_of_board(conn, board_id)?;
    let stage_no = |q: &crate::db::models::Question| stages.iter().position(|s| s.id == q.stage_id).unwrap_or(0);
    questions.sort_by_key(|q| (stage_no(q), q.position));
    Ok(questions
        .iter()
        .map(|q| QuestionChoice {
            id: q.id.clone(),
            label: format!("Stage {} · {}", stage_no(q) + 1, crate::domain::markdown::short(&q.prompt_md, 80)),
        })
        .collect())
}

/// The board's mail waiting for a moderator (the latest 200). It names senders, so it is for
/// the moderators who see identities.
pub fn unmatched(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Vec<UnmatchedView>> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    acc.require_identities()?;
    let zone = acc.zone();
    Ok(db::inbound::unmatched_of_board(conn, board_id, None, 200)?
        .into_iter()
        .map(|m| UnmatchedView {
            id: m.id,
            sender: m.sender,
            subject: m.subject,
            body_text: m.body_text,
            reason: m.reason,
            received: When::new(&zone, m.received_at),
            participant_id: m.participant_id,
            question_id: m.question_id,
        })
        .collect())
}

/// A waiting message of this board, for a moderator who may settle it.
fn waiting(
    conn: &mut DbConn,
    actor: &Actor,
    board_id: &BoardId,
    mail_id: &str,
) -> AppResult<(super::Access, InboundMail)> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    acc.require_identities()?;
    let mail = db::inbound::unmatched_of_board(conn, board_id, Some(mail_id), 1)?.pop().ok_or_else(|| {
        AppError::NotFound("This message is not waiting on this board (it may have been settled already).".into())
    })?;
    Ok((acc, mail))
}

/// Attaches a waiting message to a participant and question: its text becomes their answer,
/// recorded on their behalf as given by email on the day it arrived.
pub fn attach(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    mail_id: &str,
    participant_id: &str,
    question_id: &str,
) -> AppResult<PostId> {
    let (acc, mail) = waiting(conn, actor, board_id, mail_id)?;
    let question_id = QuestionId::from(question_id.trim());
    match db::stages::find_question(conn, &question_id)? {
        Some(q) if q.board_id == *board_id => {}
        _ => return Err(AppError::invalid_field("question_id", "Choose a question of this board.")),
    }
    let input = OnBehalfInput {
        participant_id: participant_id.to_string(),
        body_md: if mail.body_text.trim().is_empty() { mail.subject.clone() } else { mail.body_text.clone() },
        source: Some("email".into()),
        given_at: Some(acc.zone().to_rfc3339(mail.received_at)),
    };
    in_tx(conn, |conn| {
        let post = record_on_behalf(conn, ctx, actor, &question_id, &input)?;
        if !db::inbound::settle(conn, &mail.id, InboundOutcome::Attached, Some(&post.id), actor.reader_id(), ctx.now())?
        {
            return Err(AppError::Conflict("Someone settled this message a moment ago.".into()));
        }
        audit::record(
            conn,
            ctx,
            &acc,
            "email.attach",
            format!("message {}", mail.id),
            None,
            Some(json!({"post": post.id})),
        )?;
        Ok(post.id)
    })
}

/// Discards a waiting message: it is kept as discarded, never posted.
pub fn discard(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId, mail_id: &str) -> AppResult<()> {
    let (acc, mail) = waiting(conn, actor, board_id, mail_id)?;
    in_tx(conn, |conn| {
        if !db::inbound::settle(conn, &mail.id, InboundOutcome::Discarded, None, actor.reader_id(), ctx.now())? {
            return Err(AppError::Conflict("Someone settled this message a moment ago.".into()));
        }
        audit::record(conn, ctx, &acc, "email.discard", format!("message {}", mail.id), None, None)
    })
}
