//! Email pages: sending invitations, the board's delivery list with resending, and the
//! unsubscribe and preferences pages that work from an email without signing in.

use super::errors::PageResult;
use super::session::{self, redirect, CsrfForm, NoFields, Viewer};
use super::state::AppState;
use crate::domain::email::DeliveryStatus;
use crate::domain::ids::BoardId;
use crate::service::notifications::{self, DeliveryFilter};
use crate::service::{boards, participants};
use actix_web::{web, HttpResponse};
use serde_json::json;
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/boards/{board}/invitations", web::post().to(send_invitations))
        .route("/boards/{board}/emails", web::get().to(deliveries))
        .route("/boards/{board}/emails/resend-failed", web::post().to(resend_all))
        .route("/boards/{board}/emails/{message}/resend", web::post().to(resend_one))
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
    let (board, messages, participants) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let messages = notifications::deliveries(conn, actor, &board_id, &f)?;
            Ok((boards::get_board(conn, actor, &board_id)?, messages, participants::list(conn, ctx, actor, &board_id)?))
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
        }),
    )
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
    let ctx = state.ctx.clone();
    let t = token.clone();
    state.db.run(move |conn| notifications::set_preferences(conn, &ctx, &t, &receive)).await?;
    session::notice(&viewer.session, "Your email preferences are saved.");
    Ok(redirect(&format!("/u/{token}")))
}
