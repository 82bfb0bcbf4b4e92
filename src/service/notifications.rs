//! Who gets which email, and when. Every function here writes to the outbox inside the
//! caller's transaction, so a message exists exactly when the action that causes it does.

use super::views::When;
use super::{access, in_tx, Actor, Ctx};
use crate::db::json_text::JsonText;
use crate::db::models::{Board, EmailText, OutboxMessage, Participant, Post, ReplyKey, Stage};
use crate::db::{self, DbConn};
use crate::domain::email::{DeliveryStatus, EmailKind, ReplyNotices};
use crate::domain::email_texts::{self, EditableEmail, Values};
use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId};
use crate::domain::markdown;
use crate::domain::timezone::BoardZone;
use crate::domain::{inbound, tokens};
use crate::email::compose::{compose, compose_written, Composed};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashSet;
use time::PrimitiveDateTime;
use utoipa::ToSchema;

/// What a board's emails need beyond each recipient: the board, the moderator people may write
/// to, and the board's own wording of its emails. Loaded once for a mailing.
pub struct BoardMail {
    pub board: Board,
    moderator: String,
    contact: String,
    texts: Vec<EmailText>,
}

impl BoardMail {
    pub fn load(conn: &mut DbConn, board: Board) -> AppResult<BoardMail> {
        let creator = db::users::find(conn, &board.created_by)?;
        let texts = db::boards::email_texts(conn, &board.id)?;
        let (moderator, contact) = creator.map(|u| (u.name, u.email)).unwrap_or_default();
        Ok(BoardMail { board, moderator, contact, texts })
    }

    /// The subject and body of an email as this board words it, and whether that is its own.
    pub fn wording(&self, which: EditableEmail) -> (String, String, bool) {
        match self.texts.iter().find(|t| t.which == which) {
            Some(t) => (t.subject.clone(), t.body_md.clone(), true),
            None => {
                let (subject, body) = which.default_text();
                (subject.into(), body.into(), false)
            }
        }
    }

    /// Uses `subject` and `body` for `which` in place of the kept wording (a preview, a test).
    pub fn use_wording(&mut self, which: EditableEmail, subject: String, body_md: String) {
        self.texts.retain(|t| t.which != which);
        let (board_id, updated_at) = (self.board.id.clone(), self.board.created_at);
        let updated_by = self.board.created_by.clone();
        self.texts.push(EmailText { board_id, which, subject, body_md, updated_by, updated_at });
    }

    /// The subject and markdown body of `which` filled in for the recipient of `data`.
    pub fn filled(&self, which: EditableEmail, data: &Value) -> (String, String) {
        let (subject, body, _) = self.wording(which);
        email_texts::fill(&subject, &body, &self.values(data))
    }

    /// What each placeholder becomes for the recipient the message data `data` is for.
    fn values(&self, data: &Value) -> Values {
        let at = |path: &[&str]| {
            let mut v = data;
            for key in path {
                v = &v[*key];
            }
            match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let or = |v: Option<String>, fallback: &str| v.unwrap_or_else(|| fallback.to_string());
        Values {
            text: vec![
                ("name", or(at(&["participant", "name"]), "there")),
                ("link", or(at(&["sign_in_url"]), "")),
                ("link_expires", or(at(&["link_expires"]), "")),
                ("board", or(at(&["board", "title"]), "")),
                ("moderator", self.moderator.clone()),
                ("contact", self.contact.clone()),
                ("opens", or(at(&["board", "opens_at"]), "now")),
                ("closes", or(at(&["board", "closes_at"]), "when the study ends")),
                ("stage", or(at(&["stage", "title"]), "")),
                ("stage_closes", or(at(&["stage", "close_at"]), "the board closes")),
                ("unanswered", or(at(&["unanswered"]), "")),
            ],
            questions: data["questions"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|q| {
                    (q["prompt"].as_str().unwrap_or_default().into(), q["url"].as_str().unwrap_or_default().into())
                })
                .collect(),
        }
    }
}

/// Which of the board-worded emails a message of `kind` with `data` is, if any: a reminder
/// about a stage, or to sign in.
fn worded_as(kind: EmailKind, data: &Value) -> Option<EditableEmail> {
    match kind {
        EmailKind::Invitation => Some(EditableEmail::Invitation),
        EmailKind::StageOpen => Some(EditableEmail::StageOpen),
        EmailKind::Reminder if data.get("stage").is_some() => Some(EditableEmail::ReminderClosing),
        EmailKind::Reminder => Some(EditableEmail::ReminderSignIn),
        EmailKind::Reply
        | EmailKind::Summary
        | EmailKind::Closing
        | EmailKind::SignInLink
        | EmailKind::StaffInvitation
        | EmailKind::PasswordReset
        | EmailKind::ReplyByEmail
        | EmailKind::Digest
        | EmailKind::StaffDigest => None,
    }
}

/// A message's subject, HTML and text: in the board's wording for the emails it words, from the
/// templates for the rest.
pub(super) fn render(mail: &BoardMail, kind: EmailKind, data: &Value) -> AppResult<Composed> {
    Ok(match worded_as(kind, data) {
        Some(which) => {
            let (subject, body) = mail.filled(which, data);
            compose_written(subject, &body, data)?
        }
        None => compose(kind, data)?,
    })
}

/// The data every message's wording draws on: the board, and the recipient with their link.
pub(super) fn message_data(ctx: &Ctx, board: &Board, p: &Participant, unsubscribe_url: Option<&str>) -> Value {
    let zone = BoardZone::of(&board.time_zone);
    json!({
        "board": {
            "title": board.title,
            "opens_at": board.opens_at.map(|t| zone.display(t)),
            "closes_at": board.closes_at.map(|t| zone.display(t)),
        },
        "participant": {"name": p.name, "screen_name": p.screen_name},
        "sign_in_url": ctx.link_url(p),
        "link_expires": p.token_expires_at.map(|t| zone.display(t)),
        "home_url": format!("{}/b/{}", ctx.base_url, board.id),
        "unsubscribe_url": unsubscribe_url,
    })
}

/// Renders and queues one message to a participant, unless they turned this kind off or a
/// message with the same `dedup` key exists. Returns whether it was queued.
pub fn queue(
    conn: &mut DbConn,
    ctx: &Ctx,
    mail: &BoardMail,
    p: &Participant,
    kind: EmailKind,
    dedup: Option<String>,
    extra: Value,
) -> AppResult<bool> {
    queue_answerable(conn, ctx, mail, p, kind, dedup, extra, None)
}

/// What a reply to a message answers: a question, or a post in its thread.
pub struct ReplyTarget<'a> {
    pub question_id: &'a QuestionId,
    pub post_id: Option<&'a PostId>,
    /// The question's prompt, for the line that says a reply answers it.
    pub prompt: &'a str,
}

/// As `queue`, with a Reply-To address carrying a new reply key for `reply`: answering the
/// message by email answers the question (or the post).
#[allow(clippy::too_many_arguments)]
pub fn queue_answerable(
    conn: &mut DbConn,
    ctx: &Ctx,
    mail: &BoardMail,
    p: &Participant,
    kind: EmailKind,
    dedup: Option<String>,
    extra: Value,
    reply: Option<ReplyTarget>,
) -> AppResult<bool> {
    // A withdrawn participant gets nothing more, whatever the kind.
    if p.withdrawn_at.is_some() || (kind.can_opt_out() && p.opted_out_of(kind)) {
        return Ok(false);
    }
    let board = &mail.board;
    // Every message carries one-click unsubscribe; from an invitation it turns off everything
    // that can be turned off.
    let unsubscribe_url = Some(format!("{}/u/{}", ctx.base_url, ctx.unsubscribe_token(&p.id, kind.as_str())));
    let mut data = message_data(ctx, board, p, unsubscribe_url.as_deref());
    if let (Some(map), Value::Object(extra)) = (data.as_object_mut(), extra) {
        map.extend(extra);
    }
    let key = reply.as_ref().map(|_| tokens::random_key());
    let reply_to = key.as_ref().and_then(|k| inbound::reply_address_with(&ctx.reply_address, k));
    if let (Some(target), Some(map), Some(_)) = (&reply, data.as_object_mut(), &reply_to) {
        let hint = match target.post_id {
            Some(_) => "You can answer by replying to this email: write above the quoted text.".to_string(),
            None => format!(
                "You can answer \u{201c}{}\u{201d} by replying to this email: write above the quoted text.",
                markdown::one_line(target.prompt)
            ),
        };
        map.insert("reply_hint".into(), hint.into());
    }
    let composed = render(mail, kind, &data)?;
    let mut message =
        outbox_message(ctx, Some(&board.id), Some(&p.id), &p.email, kind, dedup, composed, unsubscribe_url);
    message.reply_to = reply_to;
    if !db::outbox::insert(conn, &message)? {
        return Ok(false);
    }
    if let (Some(target), Some(key)) = (reply, key) {
        db::inbound::insert_key(
            conn,
            &ReplyKey {
                key_hash: tokens::hash(&key),
                board_id: board.id.clone(),
                participant_id: p.id.clone(),
                question_id: target.question_id.clone(),
                post_id: target.post_id.cloned(),
                address: p.email.clone(),
                created_at: ctx.now(),
            },
        )?;
    }
    Ok(true)
}

/// A message ready for the outbox, to be sent at once.
#[allow(clippy::too_many_arguments)]
pub(super) fn outbox_message(
    ctx: &Ctx,
    board_id: Option<&BoardId>,
    participant_id: Option<&ParticipantId>,
    recipient: &str,
    kind: EmailKind,
    dedup_key: Option<String>,
    composed: Composed,
    unsubscribe_url: Option<String>,
) -> OutboxMessage {
    let id: String = db::new_id();
    let now = ctx.now();
    OutboxMessage {
        message_id: ctx.message_id(&id),
        id,
        board_id: board_id.cloned(),
        participant_id: participant_id.cloned(),
        recipient: recipient.to_string(),
        kind,
        dedup_key,
        subject: composed.subject,
        body_text: composed.text,
        body_html: composed.html,
        unsubscribe_url,
        status: DeliveryStatus::Queued,
        attempts: 0,
        last_error: None,
        next_attempt_at: now,
        locked_until: None,
        locked_by: None,
        created_at: now,
        sent_at: None,
        reply_to: None,
    }
}

/// Participants who have been invited to a board: the ones later messages go to.
fn invited(conn: &mut DbConn, board_id: &BoardId) -> AppResult<Vec<Participant>> {
    Ok(db::participants::of_board(conn, board_id)?.into_iter().filter(|p| p.invited_at.is_some()).collect())
}

/// Queues an invitation for every participant whose current sign-in link has not been sent
/// yet: everyone on the first call, then newcomers and those given a new link.
pub fn send_invitations(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId) -> AppResult<usize> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let now = ctx.now();
    in_tx(conn, |conn| {
        let mail = BoardMail::load(conn, acc.board.clone())?;
        let people = db::participants::of_board(conn, board_id)?;
        let key = |p: &Participant| format!("invitation:{}:{}", p.id, super::link_generation(p).unwrap_or(0));
        let keys: Vec<String> = people.iter().map(key).collect();
        let sent: HashSet<String> = db::outbox::existing_keys(conn, &keys)?.into_iter().collect();
        let mut queued = Vec::new();
        for p in people.iter().filter(|p| !sent.contains(&key(p))) {
            if queue(conn, ctx, &mail, p, EmailKind::Invitation, Some(key(p)), json!({}))? {
                queued.push(p.id.clone());
            }
        }
        db::participants::mark_invited(conn, &queued, now)?;
        if !queued.is_empty() {
            super::audit::record(
                conn,
                ctx,
                &acc,
                "email.invitations",
                format!("{} participants", queued.len()),
                None,
                Some(json!({"participants": queued})),
            )?;
        }
        Ok(queued.len())
    })
}

/// "Stage N is open", to every invited participant, with links to its questions. Called by
/// whoever released the stage, in the same transaction.
pub fn stage_opened(conn: &mut DbConn, ctx: &Ctx, stage: &Stage) -> AppResult<usize> {
    let board = db::boards::find(conn, &stage.board_id)?.ok_or_else(AppError::not_found)?;
    let zone = BoardZone::of(&board.time_zone);
    let questions = db::stages::questions_of_stage(conn, &stage.id)?;
    let mail = BoardMail::load(conn, board)?;
    let board = &mail.board;
    let mut n = 0;
    for p in invited(conn, &board.id)? {
        // Each participant hears only of the questions that are for their group.
        let mut theirs: Vec<Value> = Vec::new();
        let mut first = None;
        for q in &questions {
            if p.is_for(stage, q) {
                first = first.or(Some(q));
                theirs.push(
                    json!({"prompt": markdown::one_line(&q.prompt_md), "url": format!("{}/q/{}", ctx.base_url, q.id)}),
                );
            }
        }
        if theirs.is_empty() {
            continue;
        }
        let extra = json!({
            "stage": {"title": stage.title, "close_at": stage.close_at.map(|t| zone.display(t))},
            "questions": theirs,
        });
        let key = format!("stage_open:{}:{}", p.id, stage.id);
        // A reply answers the stage's first question for them.
        let reply = first.map(|q| ReplyTarget { question_id: &q.id, post_id: None, prompt: &q.prompt_md });
        n += queue_answerable(conn, ctx, &mail, &p, EmailKind::StageOpen, Some(key), extra, reply)? as usize;
    }
    Ok(n)
}

/// Tells the author of a post that someone replied to it (not when they reply to themselves);
/// a moderator's probe reads as their question.
#[allow(clippy::too_many_arguments)]
pub fn reply_posted(
    conn: &mut DbConn,
    ctx: &Ctx,
    board: &Board,
    parent: &Post,
    reply: &Post,
    replier: &str,
    question_md: &str,
    probe: bool,
) -> AppResult<()> {
    let Some(author_id) = parent.participant_id.as_ref() else { return Ok(()) };
    if reply.participant_id.as_ref() == Some(author_id) {
        return Ok(());
    }
    let Some(author) = db::participants::find(conn, author_id)? else { return Ok(()) };
    // A probe asks them something: it always comes. Other replies come one by one only to
    // those who chose so; the others read them in their digest, or on the board.
    if !probe && author.reply_notices != ReplyNotices::Each {
        return Ok(());
    }
    let excerpt = markdown::short(&reply.body_md, 400);
    let extra = json!({
        "replier": replier,
        "probe": probe,
        "question": markdown::one_line(question_md),
        "excerpt": excerpt,
        "post_url": format!("{}/q/{}?post={id}#post-{id}", ctx.base_url, reply.question_id, id = reply.id),
    });
    let mail = BoardMail::load(conn, board.clone())?;
    // Answering the notice by email replies to the post it tells of.
    let target = ReplyTarget { question_id: &reply.question_id, post_id: Some(&reply.id), prompt: question_md };
    let dedup = Some(format!("reply:{}", reply.id));
    queue_answerable(conn, ctx, &mail, &author, EmailKind::Reply, dedup, extra, Some(target))?;
    Ok(())
}

/// At most one requested link per participant in each ten minutes (by the outbox's dedup key,
/// so across instances too).
const LINK_REQUEST_WINDOW_SECS: i64 = 600;

/// "Send me my link", asked by someone who is not signed in: each participant with this address
/// (on a board that is not archived) is emailed their sign-in link, or, when it has expired,
/// whom to ask for a new one. What the asker sees never says whether the address is known.
pub fn send_my_link(conn: &mut DbConn, ctx: &Ctx, email: &str) -> AppResult<()> {
    let address = crate::domain::email::EmailAddress::parse(email)
        .map_err(|why| AppError::invalid_field("email", format!("Please check the address: {why}.")))?;
    let now = ctx.now();
    let window = now.assume_utc().unix_timestamp() / LINK_REQUEST_WINDOW_SECS;
    in_tx(conn, |conn| {
        for p in db::participants::with_email(conn, address.as_str())? {
            let Some(board) = db::boards::find(conn, &p.board_id)? else { continue };
            if board.state == crate::domain::roles::BoardState::Archived {
                continue;
            }
            let expired = p.token_expires_at.is_none_or(|t| t <= now);
            let mail = BoardMail::load(conn, board)?;
            let extra = json!({"expired": expired, "moderator": mail.moderator, "contact": mail.contact});
            let key = format!("sign_in_link:{}:{window}", p.id);
            queue(conn, ctx, &mail, &p, EmailKind::SignInLink, Some(key), extra)?;
        }
        Ok(())
    })
}

/// The closing notice, when a board is closed.
pub fn board_closed(conn: &mut DbConn, ctx: &Ctx, board: &Board) -> AppResult<usize> {
    let mut n = 0;
    let mail = BoardMail::load(conn, board.clone())?;
    for p in invited(conn, &board.id)? {
        let key = format!("closing:{}:{}", p.id, board.id);
        n += queue(conn, ctx, &mail, &p, EmailKind::Closing, Some(key), json!({}))? as usize;
    }
    Ok(n)
}

/// Queues the reminders that are due at `now`, by each open board's rules: before a stage
/// closes, to invited participants who have not answered all its questions; some hours after
/// the invitation, to those who never signed in. Each person gets each reminder once.
pub fn queue_reminders(conn: &mut DbConn, ctx: &Ctx, now: PrimitiveDateTime) -> AppResult<usize> {
    let mut n = 0;
    // Stages that are open, close later, and whose board reminds before closing.
    let closing: Vec<(Stage, Board)> = db::stages::closing_with_reminders(conn, now)?;
    for (stage, board) in closing {
        let (Some(close), Some(hours)) = (stage.close_at, board.remind_before_close_hours) else { continue };
        if now < close - time::Duration::hours(hours as i64) {
            continue;
        }
        let stage_questions = db::stages::questions_of_stage(conn, &stage.id)?;
        let question_ids: Vec<QuestionId> = stage_questions.iter().map(|q| q.id.clone()).collect();
        let mut answered: HashSet<(ParticipantId, QuestionId)> =
            db::posts::answerers_of_questions(conn, &question_ids)?.into_iter().collect();
        answered.extend(db::votes::pairs_of_board(conn, &board.id)?.into_iter().map(|(q, p)| (p, q)));
        let zone = BoardZone::of(&board.time_zone);
        let people = invited(conn, &board.id)?;
        let mail = BoardMail::load(conn, board)?;
        let keys: Vec<String> = people.iter().map(|p| format!("reminder_close:{}:{}", p.id, stage.id)).collect();
        let done: HashSet<String> = db::outbox::existing_keys(conn, &keys)?.into_iter().collect();
        for (p, key) in people.iter().zip(keys) {
            // Only the questions that are for this participant's group count.
            let mut missing = 0;
            let mut first_missing = None;
            for q in &stage_questions {
                if p.is_for(&stage, q) && !answered.contains(&(p.id.clone(), q.id.clone())) {
                    missing += 1;
                    first_missing = first_missing.or(Some(q));
                }
            }
            if missing == 0 || done.contains(&key) {
                continue;
            }
            let extra = json!({
                "stage": {"title": stage.title, "close_at": zone.display(close)},
                "unanswered": missing,
            });
            // A reply answers the first question they have not answered.
            let reply = first_missing.map(|q| ReplyTarget { question_id: &q.id, post_id: None, prompt: &q.prompt_md });
            n += queue_answerable(conn, ctx, &mail, p, EmailKind::Reminder, Some(key), extra, reply)? as usize;
        }
    }
    // Invited, never signed in, and the board's wait has passed.
    let waiting: Vec<(Participant, Board)> = db::participants::never_signed_in_with_reminders(conn)?;
    let keys: Vec<String> = waiting.iter().map(|(p, _)| format!("reminder_signin:{}", p.id)).collect();
    let done: HashSet<String> = db::outbox::existing_keys(conn, &keys)?.into_iter().collect();
    // Each board's wording is loaded once, however many of its participants are reminded.
    let mut mails: std::collections::HashMap<BoardId, BoardMail> = std::collections::HashMap::new();
    for ((p, board), key) in waiting.into_iter().zip(keys) {
        let (Some(invited_at), Some(hours)) = (p.invited_at, board.remind_not_signed_in_hours) else { continue };
        if done.contains(&key) || now < invited_at + time::Duration::hours(hours as i64) {
            continue;
        }
        let mail = match mails.entry(board.id.clone()) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(BoardMail::load(conn, board)?),
        };
        n += queue(conn, ctx, mail, &p, EmailKind::Reminder, Some(key), json!({}))? as usize;
    }
    Ok(n)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: String,
    pub participant_id: Option<ParticipantId>,
    pub recipient: String,
    pub kind: EmailKind,
    pub kind_name: String,
    pub subject: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub queued_at: When,
    pub sent_at: Option<When>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct DeliveryFilter {
    pub participant: Option<String>,
    pub status: Option<String>,
}

/// Every message of a board, newest first (the latest 1,000), for the board's moderators.
pub fn deliveries(
    conn: &mut DbConn,
    actor: &Actor,
    board_id: &BoardId,
    filter: &DeliveryFilter,
) -> AppResult<Vec<DeliveryView>> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    acc.require_identities()?;
    let status = filter
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(DeliveryStatus::parse)
        .transpose()
        .map_err(AppError::invalid)?;
    let participant = filter.participant.as_deref().filter(|s| !s.is_empty()).map(ParticipantId::from);
    let zone = acc.zone();
    Ok(db::outbox::of_board(conn, board_id, participant.as_ref(), status, 1000)?
        .into_iter()
        .map(|m| DeliveryView {
            id: m.id,
            participant_id: m.participant_id,
            recipient: m.recipient,
            kind_name: m.kind.label().to_string(),
            kind: m.kind,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            queued_at: When::new(&zone, m.created_at),
            sent_at: When::opt(&zone, m.sent_at),
        })
        .collect())
}

/// Sends failed messages again (one, or all of the board's); returns how many were requeued.
pub fn resend_failed(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    message_id: Option<&str>,
) -> AppResult<usize> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let n = db::outbox::requeue_failed(conn, board_id, message_id, ctx.now())?;
    if message_id.is_some() && n == 0 {
        return Err(AppError::Conflict("Only a failed message of this board can be sent again.".into()));
    }
    super::audit::record(
        conn,
        ctx,
        &acc,
        "email.resend",
        message_id.map_or_else(|| format!("{n} failed messages"), |m| format!("message {m}")),
        None,
        None,
    )?;
    Ok(n)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindChoice {
    pub kind: EmailKind,
    pub label: String,
    pub receiving: bool,
    pub can_opt_out: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preferences {
    pub board_title: String,
    pub email: String,
    pub kinds: Vec<KindChoice>,
    /// How they hear of replies: each (an email per reply), daily (a digest) or off.
    pub reply_notices: ReplyNotices,
    pub reply_choices: Vec<ReplyChoice>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyChoice {
    pub value: ReplyNotices,
    pub label: String,
    pub chosen: bool,
}

/// How a participant hears of replies in effect: their choice, unless they unsubscribed from
/// that kind of email since.
fn reply_notices_of(p: &Participant) -> ReplyNotices {
    match p.reply_notices {
        ReplyNotices::Each if p.opted_out_of(EmailKind::Reply) => ReplyNotices::Off,
        ReplyNotices::Daily if p.opted_out_of(EmailKind::Digest) => ReplyNotices::Off,
        other => other,
    }
}

/// The participant and the kind of email an unsubscribe link names.
fn token_of(ctx: &Ctx, token: &str) -> AppResult<(ParticipantId, EmailKind)> {
    let invalid = || AppError::NotFound("This unsubscribe link is not valid.".into());
    let (id, kind) = ctx.check_unsubscribe_token(token).ok_or_else(invalid)?;
    let kind = EmailKind::parse(&kind).map_err(|_| invalid())?;
    Ok((id, kind))
}

fn participant_of_token(conn: &mut DbConn, ctx: &Ctx, token: &str) -> AppResult<(Participant, EmailKind)> {
    let (id, kind) = token_of(ctx, token)?;
    // An erased participant's row names no one: there are no preferences left to show.
    let p = db::participants::find(conn, &id)?
        .filter(|p| p.erased_at.is_none())
        .ok_or_else(|| AppError::NotFound("This unsubscribe link is not valid.".into()))?;
    Ok((p, kind))
}

fn set_opt_out(conn: &mut DbConn, participant_id: &ParticipantId, kinds: Vec<EmailKind>) -> AppResult<()> {
    db::participants::set_opt_out(conn, participant_id, &JsonText::new(kinds)?)?;
    Ok(())
}

/// The one-click unsubscribe of RFC 8058: turns off the kind the message was, or, from an
/// invitation, every kind that can be turned off.
pub fn unsubscribe(conn: &mut DbConn, ctx: &Ctx, token: &str) -> AppResult<EmailKind> {
    let (id, kind) = token_of(ctx, token)?;
    // Unsubscribing must work even if the stored row cannot be read: it only adds refusals.
    let mut off = match db::participants::find(conn, &id) {
        Ok(Some(p)) => p.email_opt_out.into_inner(),
        Ok(None) => return Err(AppError::NotFound("This unsubscribe link is not valid.".into())),
        Err(diesel::result::Error::DeserializationError(e)) => {
            tracing::error!(participant = %id, error = %e, "unreadable participant row; its email opt-outs are replaced by this unsubscribe");
            Vec::new()
        }
        Err(e) => return Err(e.into()),
    };
    let turning_off: Vec<EmailKind> = if kind.can_opt_out() {
        vec![kind]
    } else {
        EmailKind::ALL.iter().copied().filter(|k| k.can_opt_out()).collect()
    };
    for k in turning_off {
        if !off.contains(&k) {
            off.push(k);
        }
    }
    set_opt_out(conn, &id, off)?;
    Ok(kind)
}

pub fn preferences(conn: &mut DbConn, ctx: &Ctx, token: &str) -> AppResult<Preferences> {
    let (p, _) = participant_of_token(conn, ctx, token)?;
    preferences_of(conn, &p)
}

/// The email choices of a participant (from an unsubscribe link, or signed in).
pub fn preferences_of(conn: &mut DbConn, p: &Participant) -> AppResult<Preferences> {
    let board = db::boards::find(conn, &p.board_id)?.ok_or_else(AppError::not_found)?;
    let notices = reply_notices_of(p);
    Ok(Preferences {
        board_title: board.title,
        email: p.email.clone(),
        reply_notices: notices,
        reply_choices: ReplyNotices::ALL
            .iter()
            .map(|n| ReplyChoice { value: *n, label: n.label().into(), chosen: *n == notices })
            .collect(),
        // Replies and digests are chosen apart, as one of three ways to hear of replies.
        kinds: EmailKind::ALL
            .iter()
            .filter(|k| k.for_participants() && !matches!(k, EmailKind::Reply | EmailKind::Digest))
            .map(|k| KindChoice {
                kind: *k,
                label: k.description().into(),
                receiving: !p.opted_out_of(*k),
                can_opt_out: k.can_opt_out(),
            })
            .collect(),
    })
}

/// Keeps exactly the kinds in `receive` (those that cannot be turned off always stay), and how
/// they hear of replies.
pub fn set_preferences(
    conn: &mut DbConn,
    ctx: &Ctx,
    token: &str,
    receive: &[String],
    notices: Option<&str>,
) -> AppResult<()> {
    let (p, _) = participant_of_token(conn, ctx, token)?;
    set_preferences_of(conn, &p, receive, notices)
}

/// As `set_preferences`. Without `notices` (older clients), "reply" in `receive` means each
/// reply, "digest" a daily digest, neither none.
pub fn set_preferences_of(
    conn: &mut DbConn,
    p: &Participant,
    receive: &[String],
    notices: Option<&str>,
) -> AppResult<()> {
    for kind in receive {
        EmailKind::parse(kind).map_err(AppError::invalid)?;
    }
    let has = |k: EmailKind| receive.iter().any(|r| r == k.as_str());
    let notices = match notices.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => ReplyNotices::parse(n).map_err(|e| AppError::invalid_field("reply_notices", e))?,
        None if has(EmailKind::Reply) => ReplyNotices::Each,
        None if has(EmailKind::Digest) => ReplyNotices::Daily,
        None => ReplyNotices::Off,
    };
    // The choice of replies is `notices`; a new choice undoes an unsubscribe from its kind.
    let off: Vec<EmailKind> = EmailKind::ALL
        .iter()
        .copied()
        .filter(|k| k.can_opt_out() && !matches!(k, EmailKind::Reply | EmailKind::Digest) && !has(*k))
        .collect();
    in_tx(conn, |conn| {
        set_opt_out(conn, &p.id, off)?;
        db::participants::set_reply_notices(conn, &p.id, notices)?;
        Ok(())
    })
}
