//! Email pages: sending invitations, the board's delivery list with resending, and the
//! unsubscribe and preferences pages that work from an email without signing in.

use super::errors::PageResult;
use super::refill::{again, Sent};
use super::session::{self, redirect, CsrfForm, NoFields, Viewer};
use super::state::AppState;
use crate::domain::email::DeliveryStatus;
use crate::domain::email_texts::EditableEmail;
use crate::domain::ids::BoardId;
use crate::error::AppError;
use crate::service::email_texts::{self, Preview, WordingInput};
use crate::service::notifications::{self, DeliveryFilter};
use crate::service::{boards, inbound, participants};
use actix_web::{web, HttpResponse};
use serde_json::json;
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/boards/{board}/invitations", web::post().to(send_invitations))
        .route("/boards/{board}/emails", web::get().to(deliveries))
        .route("/boards/{board}/emails/resend-failed", web::post().to(resend_all))
        .route("/boards/{board}/emails/received/{mail}/attach", web::post().to(attach_received))
        .route("/boards/{board}/emails/received/{mail}/discard", web::post().to(discard_received))
        .route("/boards/{board}/emails/{message}/resend", web::post().to(resend_one))
        .route("/boards/{board}/email-texts", web::get().to(wordings))
        .route("/boards/{board}/email-texts/{which}", web::post().to(save_wording))
        .route("/boards/{board}/email-texts/{which}/preview", web::post().to(preview_wording))
        .route("/boards/{board}/email-texts/{which}/test", web::post().to(test_wording))
        .route("/boards/{board}/email-texts/{which}/reset", web::post().to(reset_wording))
        .route("/u/{token}", web::get().to(preferences))
        .route("/u/{token}", web::post().to(one_click))
        .route("/u/{token}/preferences", web::post().to(save_preferences));
}

async fn send_invitations(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let board_id = board.into_inner();
    let b = board_id.clone();
    let n = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            notifications::send_invitations(conn, ctx, actor, &b)
        })
        .await?;
    session::notice(
        &viewer.session,
        match n {
            0 => "Everyone already has an invitation with their current link.".to_string(),
            1 => "1 invitation is on its way.".to_string(),
            n => format!("{n} invitations are on their way."),
        },
    );
    Ok(redirect(&format!("/boards/{board_id}/participants")))
}

async fn deliveries(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    filter: web::Query<DeliveryFilter>,
) -> PageResult {
    let board_id = board.into_inner();
    let filter = filter.into_inner();
    let f = filter.clone();
    let (board, messages, participants, received, questions) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let messages = notifications::deliveries(conn, actor, &board_id, &f)?;
            Ok((
                boards::get_board(conn, actor, &board_id)?,
                messages,
                participants::list(conn, ctx, actor, &board_id)?,
                inbound::unmatched(conn, actor, &board_id)?,
                inbound::question_choices(conn, &board_id)?,
            ))
        })
        .await?;
    let names: HashMap<&str, &str> = participants.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
    let rows: Vec<_> = messages
        .iter()
        .map(|m| json!({"m": m, "name": m.participant_id.as_deref().and_then(|p| names.get(p))}))
        .collect();
    let failed = messages.iter().filter(|m| m.status == DeliveryStatus::Failed).count();
    viewer.render(
        "moderator/emails",
        "Email delivery",
        &json!({
            "board": board, "rows": rows, "failed": failed, "filter": filter,
            "statuses": DeliveryStatus::ALL, "participants": participants,
            "received": received, "questions": questions,
            "bounced": participants.iter().filter(|p| p.email_bounce.is_some()).collect::<Vec<_>>(),
        }),
    )
}

/// The page where the board's emails are worded; `shown` puts what was typed into one email's
/// form, with its preview.
async fn wordings_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    board_id: BoardId,
    shown: Option<(EditableEmail, WordingInput, Preview)>,
) -> PageResult {
    let (board, texts, me) = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            let texts = email_texts::wordings(conn, actor, &board_id)?;
            Ok((boards::get_board(conn, actor, &board_id)?, texts, actor.user()?.email.clone()))
        })
        .await?;
    let texts: Vec<_> = texts
        .into_iter()
        .map(|t| {
            let placeholders: Vec<_> = t
                .placeholders
                .iter()
                .map(|p| json!({"token": format!("{{{}}}", p.name), "meaning": p.meaning}))
                .collect();
            let mut view = json!({"which": t.which, "label": t.label, "when": t.when, "own": t.own,
                                  "subject": t.subject, "body_md": t.body_md, "placeholders": placeholders});
            if let Some((_, typed, preview)) = shown.as_ref().filter(|(w, ..)| *w == t.which) {
                view["subject"] = json!(typed.subject);
                view["body_md"] = json!(typed.body_md);
                view["preview"] = json!(preview);
            }
            view
        })
        .collect();
    viewer.render("moderator/email_texts", "Wording of emails", &json!({"board": board, "texts": texts, "me": me}))
}

async fn wordings(state: web::Data<AppState>, viewer: Viewer, board: web::Path<BoardId>) -> PageResult {
    wordings_page(state, viewer, board.into_inner(), None).await
}

/// The board and email a wording form is for, and the form as sent (to the address its
/// `action` names, whichever button sent it).
fn wording_form(
    path: web::Path<(BoardId, String)>,
    form: CsrfForm<WordingInput>,
) -> Result<(BoardId, EditableEmail, WordingInput, Sent), AppError> {
    let (board_id, which) = path.into_inner();
    let which = EditableEmail::parse(&which).map_err(|_| AppError::not_found())?;
    let CsrfForm(input, mut sent) = form;
    sent.action = format!("/boards/{board_id}/email-texts/{which}");
    Ok((board_id, which, input, sent))
}

async fn save_wording(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    form: CsrfForm<WordingInput>,
) -> PageResult {
    let (board_id, which, input, sent) = wording_form(path, form)?;
    let b = board_id.clone();
    if let Err(e) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            email_texts::save(conn, ctx, actor, &b, which, &input)
        })
        .await
    {
        return again(e, &sent, wordings_page(state, viewer, board_id, None)).await;
    }
    session::notice(
        &viewer.session,
        format!("The wording of \u{201c}{}\u{201d} is saved; the next messages use it.", which.label()),
    );
    Ok(redirect(&format!("/boards/{board_id}/email-texts#email-{which}")))
}

async fn preview_wording(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    form: CsrfForm<WordingInput>,
) -> PageResult {
    try_wording(state, viewer, path, form, false).await
}

async fn test_wording(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    form: CsrfForm<WordingInput>,
) -> PageResult {
    try_wording(state, viewer, path, form, true).await
}

/// A preview of what was typed (and, for a test, the message sent to the moderator): the page
/// again with the typed text kept, since neither keeps it.
async fn try_wording(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    form: CsrfForm<WordingInput>,
    test: bool,
) -> PageResult {
    let (board_id, which, input, sent) = wording_form(path, form)?;
    let (b, typed) = (board_id.clone(), input.clone());
    match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| match test {
            true => email_texts::send_test(conn, ctx, actor, &b, which, &typed),
            false => email_texts::preview(conn, ctx, actor, &b, which, &typed),
        })
        .await
    {
        Ok(preview) => wordings_page(state, viewer, board_id, Some((which, input, preview))).await,
        Err(e) => again(e, &sent, wordings_page(state, viewer, board_id, None)).await,
    }
}

async fn reset_wording(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let (board_id, which) = path.into_inner();
    let which = EditableEmail::parse(&which).map_err(|_| AppError::not_found())?;
    let b = board_id.clone();
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| email_texts::reset(conn, ctx, actor, &b, which))
        .await?;
    session::notice(&viewer.session, format!("\u{201c}{}\u{201d} is back to the standard wording.", which.label()));
    Ok(redirect(&format!("/boards/{board_id}/email-texts#email-{which}")))
}

#[derive(serde::Deserialize)]
struct AttachForm {
    participant_id: String,
    question_id: String,
}

/// A waiting reply by email becomes a participant's answer, recorded on their behalf.
async fn attach_received(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    form: CsrfForm<AttachForm>,
) -> PageResult {
    let (board_id, mail) = path.into_inner();
    let (b, f) = (board_id.clone(), form.0);
    let result = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            inbound::attach(conn, ctx, actor, &b, &mail, &f.participant_id, &f.question_id)
        })
        .await;
    match result {
        Ok(_) => {
            session::notice(&viewer.session, "The message is now the participant's answer, marked as given by email.")
        }
        // The page lists the message again with what went wrong above it.
        Err(
            e @ (AppError::Unprocessable { .. }
            | AppError::AlreadyAnswered(_)
            | AppError::Forbidden(_)
            | AppError::Conflict(_)),
        ) => session::notice(&viewer.session, format!("Not attached: {e}")),
        Err(e) => return Err(e.into()),
    }
    Ok(redirect(&format!("/boards/{board_id}/emails#received")))
}

async fn discard_received(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let (board_id, mail) = path.into_inner();
    let b = board_id.clone();
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| inbound::discard(conn, ctx, actor, &b, &mail))
        .await?;
    session::notice(&viewer.session, "The message was discarded.");
    Ok(redirect(&format!("/boards/{board_id}/emails#received")))
}

async fn resend_all(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    resend(state, viewer, board.into_inner(), None).await
}

async fn resend_one(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let (board, message) = path.into_inner();
    resend(state, viewer, board, Some(message)).await
}

async fn resend(state: web::Data<AppState>, viewer: Viewer, board_id: BoardId, message: Option<String>) -> PageResult {
    let b = board_id.clone();
    let n = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            notifications::resend_failed(conn, ctx, actor, &b, message.as_deref())
        })
        .await?;
    session::notice(
        &viewer.session,
        format!("{n} failed {} queued again.", if n == 1 { "message is" } else { "messages are" }),
    );
    Ok(redirect(&format!("/boards/{board_id}/emails")))
}

async fn preferences(state: web::Data<AppState>, viewer: Viewer, token: web::Path<String>) -> PageResult {
    let token = token.into_inner();
    let ctx = state.ctx.clone();
    let t = token.clone();
    let prefs = state.db.run(move |conn| notifications::preferences(conn, &ctx, &t)).await?;
    viewer.render("participant/email_preferences", "Email preferences", &json!({"prefs": prefs, "token": token}))
}

/// RFC 8058 one-click unsubscribe: the mail program POSTs `List-Unsubscribe=One-Click` with no
/// cookies and no CSRF token; the signed token in the address is the authority.
async fn one_click(state: web::Data<AppState>, token: web::Path<String>) -> PageResult {
    let token = token.into_inner();
    let ctx = state.ctx.clone();
    let t = token.clone();
    let kind = state.db.run(move |conn| notifications::unsubscribe(conn, &ctx, &t)).await?;
    let html = crate::templates::render(
        "participant/unsubscribed",
        &json!({"label": kind.description(), "can_opt_out": kind.can_opt_out(), "token": token}),
    )
    .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("{e}")))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}

async fn save_preferences(
    state: web::Data<AppState>,
    viewer: Viewer,
    token: web::Path<String>,
    form: CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let token = token.into_inner();
    let receive: Vec<String> = form.0.keys().filter_map(|k| k.strip_prefix("receive_")).map(str::to_string).collect();
    let notices = form.0.get("reply_notices").cloned().unwrap_or_default();
    let ctx = state.ctx.clone();
    let t = token.clone();
    state.db.run(move |conn| notifications::set_preferences(conn, &ctx, &t, &receive, Some(&notices))).await?;
    session::notice(&viewer.session, "Your email preferences are saved.");
    Ok(redirect(&format!("/u/{token}")))
}
