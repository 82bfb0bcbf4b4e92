//! The board's own wording of its invitation, stage-open and reminder emails: read, kept,
//! previewed for a sample participant, sent to oneself as a test, and put back to the default.

use super::notifications::{message_data, outbox_message, render, BoardMail};
use super::{access, audit, in_tx, Actor, Ctx};
use crate::db::json_text::JsonText;
use crate::db::models::{EmailText, Participant};
use crate::db::{self, DbConn};
use crate::domain::email_texts::{self, EditableEmail, Placeholder};
use crate::domain::ids::BoardId;
use crate::domain::markdown;
use crate::email::compose::Composed;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct WordingInput {
    pub subject: String,
    pub body_md: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WordingView {
    pub which: EditableEmail,
    pub label: &'static str,
    pub when: &'static str,
    pub subject: String,
    pub body_md: String,
    /// The board's own wording, rather than the default.
    pub own: bool,
    pub placeholders: Vec<Placeholder>,
}

/// A message as a participant would receive it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    pub which: EditableEmail,
    pub subject: String,
    /// The message's words as safe HTML, without the email's layout (whose inline styles the
    /// page's content policy would drop).
    pub body_html: String,
    pub text: String,
    /// Where a test of it was sent.
    pub sent_to: Option<String>,
}

/// Each editable email of the board as it is worded now, for its moderators.
pub fn wordings(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Vec<WordingView>> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let mail = BoardMail::load(conn, acc.board)?;
    Ok(EditableEmail::ALL
        .iter()
        .map(|&which| {
            let (subject, body_md, own) = mail.wording(which);
            WordingView {
                which,
                label: which.label(),
                when: which.when(),
                subject,
                body_md,
                own,
                placeholders: which.placeholders(),
            }
        })
        .collect())
}

fn checked(which: EditableEmail, input: &WordingInput) -> AppResult<(String, String)> {
    let (subject, body) = (input.subject.trim(), input.body_md.trim());
    email_texts::check(which, subject, body).map_err(|(field, why)| AppError::invalid_field(field, why))?;
    Ok((subject.to_string(), format!("{body}\n")))
}

/// Keeps the board's wording of one email; later messages of that kind use it.
pub fn save(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    which: EditableEmail,
    input: &WordingInput,
) -> AppResult<()> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let (subject, body_md) = checked(which, input)?;
    let text = EmailText {
        board_id: board_id.clone(),
        which,
        subject,
        body_md,
        updated_by: actor.user()?.id.clone(),
        updated_at: ctx.now(),
    };
    in_tx(conn, |conn| {
        db::boards::set_email_text(conn, &text)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "email.wording",
            which.label().to_string(),
            None,
            Some(json!({"subject": text.subject, "body_md": text.body_md})),
        )
    })
}

/// Puts one email back to its default wording.
pub fn reset(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId, which: EditableEmail) -> AppResult<()> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    in_tx(conn, |conn| {
        if db::boards::remove_email_text(conn, board_id, which)? {
            audit::record(conn, ctx, &acc, "email.wording_reset", which.label().to_string(), None, None)?;
        }
        Ok(())
    })
}

/// A made-up participant for previews and tests, so no one's real link leaves the board (the
/// sample's link leads nowhere).
fn sample(ctx: &Ctx, board_id: &BoardId) -> AppResult<Participant> {
    let now = ctx.now();
    Ok(Participant {
        id: "sample".into(),
        board_id: board_id.clone(),
        email: "alex@example.org".into(),
        name: "Alex Example".into(),
        attributes: JsonText::new(Default::default())?,
        screen_name: Some("Alex".into()),
        consented_at: None,
        first_signed_in_at: None,
        last_seen_at: None,
        token_hash: None,
        token_expires_at: Some(now + time::Duration::days(30)),
        created_at: now,
        email_opt_out: JsonText::new(Vec::new())?,
        invited_at: None,
        pseudonym_no: 0,
        withdrawn_at: None,
        withdrawal_asked_on: None,
        withdrawal_source: None,
        erased_at: None,
        email_failing_at: None,
        email_failing_reason: None,
        reply_notices: crate::domain::email::ReplyNotices::Each,
        digest_sent_at: None,
    })
}

/// What one email would look like with `input` (as typed, not yet kept), for a sample
/// participant, in the board's first stage where the email speaks of a stage.
pub fn preview(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    which: EditableEmail,
    input: &WordingInput,
) -> AppResult<Preview> {
    let (body_md, composed) = composed_sample(conn, ctx, actor, board_id, which, input)?;
    Ok(preview_of(which, &body_md, composed))
}

fn preview_of(which: EditableEmail, body_md: &str, composed: Composed) -> Preview {
    Preview {
        which,
        subject: composed.subject,
        body_html: markdown::render(body_md),
        text: composed.text,
        sent_to: None,
    }
}

/// The filled markdown body and the whole message, for the sample participant.
fn composed_sample(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    which: EditableEmail,
    input: &WordingInput,
) -> AppResult<(String, Composed)> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let (subject, body) = checked(which, input)?;
    let stage = db::stages::of_board(conn, board_id)?.into_iter().next();
    let questions = match &stage {
        Some(s) => db::stages::questions_of_stage(conn, &s.id)?,
        None => Vec::new(),
    };
    let zone = acc.zone();
    let p = sample(ctx, board_id)?;
    let mut data = message_data(ctx, &acc.board, &p, None);
    if which != EditableEmail::ReminderSignIn {
        data["stage"] = json!({
            "title": stage.as_ref().map_or("Stage 1".to_string(), |s| s.title.clone()),
            "close_at": stage.as_ref().and_then(|s| s.close_at).map(|t| zone.display(t)),
        });
    }
    data["unanswered"] = json!(questions.len().max(1));
    data["questions"] = questions
        .iter()
        .map(|q| json!({"prompt": markdown::one_line(&q.prompt_md), "url": format!("{}/q/{}", ctx.base_url, q.id)}))
        .collect();
    let mut mail = BoardMail::load(conn, acc.board)?;
    mail.use_wording(which, subject, body);
    let (_, body_md) = mail.filled(which, &data);
    Ok((body_md, render(&mail, which.kind(), &data)?))
}

/// Sends the email as worded in `input`, for the sample participant, to the moderator who
/// asks; returns its preview, with the address it went to.
pub fn send_test(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    which: EditableEmail,
    input: &WordingInput,
) -> AppResult<Preview> {
    let me = actor.user()?.email.clone();
    let (body_md, composed) = composed_sample(conn, ctx, actor, board_id, which, input)?;
    let test = Composed { subject: format!("[Test] {}", composed.subject), ..composed.clone() };
    let message = outbox_message(ctx, Some(board_id), None, &me, which.kind(), None, test, None);
    db::outbox::insert(conn, &message)?;
    Ok(Preview { sent_to: Some(me), ..preview_of(which, &body_md, composed) })
}
