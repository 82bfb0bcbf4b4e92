//! Participants' rights in pages: a participant's own preferences (emails, their data,
//! withdrawing), and the moderator's pages to record a withdrawal and to erase a participant.

use super::errors::PageResult;
use super::refill::again;
use super::session::{self, redirect, CsrfForm, Viewer};
use super::setup::{confirm_page, Confirm};
use super::state::AppState;
use crate::domain::ids::{BoardId, ParticipantId};
use crate::domain::roles::WithdrawalSource;
use crate::domain::timezone::BoardZone;
use crate::error::AppError;
use crate::service::views::{BoardView, ParticipantView};
use crate::service::withdrawal::{self, WithdrawalInput, WithdrawalReport};
use crate::service::{notifications, participants, Actor};
use actix_web::web;
use serde_json::json;
use std::collections::HashMap;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(preferences))
        .route("/me/emails", web::post().to(save_emails))
        .route("/me/withdraw", web::get().to(confirm_withdraw))
        .route("/me/withdraw", web::post().to(withdraw))
        .route("/boards/{board}/participants/{participant}/withdraw", web::get().to(withdrawal_form))
        .route("/boards/{board}/participants/{participant}/withdraw", web::post().to(record_withdrawal))
        .route("/boards/{board}/participants/{participant}/erase", web::get().to(erasure_form))
        .route("/boards/{board}/participants/{participant}/erase", web::post().to(erase));
}

/// A signed-in participant's own page: which emails they receive, their data, withdrawing.
async fn preferences(state: web::Data<AppState>, viewer: Viewer) -> PageResult {
    let page = state
        .as_actor(viewer.identity.clone(), |conn, _, actor| match actor {
            Actor::Participant(p) => {
                let board = crate::service::boards::get_board(conn, actor, &p.board_id)?;
                Ok(Some((board, notifications::preferences_of(conn, p)?)))
            }
            Actor::User(_) | Actor::System => Ok(None),
        })
        .await?;
    let Some((board, prefs)) = page else { return Ok(redirect("/boards")) };
    viewer.render("participant/preferences", "Your preferences", &json!({"board": board, "prefs": prefs}))
}

async fn save_emails(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let receive: Vec<String> = form.0.keys().filter_map(|k| k.strip_prefix("receive_")).map(str::to_string).collect();
    let notices = form.0.get("reply_notices").cloned().unwrap_or_default();
    state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| match actor {
            Actor::Participant(p) => notifications::set_preferences_of(conn, p, &receive, Some(&notices)),
            Actor::User(_) | Actor::System => Err(AppError::forbidden("These are a participant's own preferences.")),
        })
        .await?;
    session::notice(&viewer.session, "Your email preferences are saved.");
    Ok(redirect("/me"))
}

async fn confirm_withdraw(state: web::Data<AppState>, viewer: Viewer) -> PageResult {
    let board = state
        .as_actor(viewer.identity.clone(), |conn, _, actor| match actor {
            Actor::Participant(p) => crate::service::boards::get_board(conn, actor, &p.board_id),
            Actor::User(_) | Actor::System => {
                Err(AppError::forbidden("Staff record a participant's withdrawal from the participants page."))
            }
        })
        .await?;
    confirm_page(
        &viewer,
        Confirm {
            title: format!("Withdraw from {}?", board.title),
            lines: vec![
                board.withdrawal_notice.clone(),
                "You will be signed out, your personal link will stop working, and you will receive no more \
                 emails from this board. This cannot be undone."
                    .into(),
                "You may want to download your data first, from your preferences page.".into(),
            ],
            action: "/me/withdraw".into(),
            button: "Withdraw from the study",
            back: "/me".into(),
            fields: Vec::new(),
            quote_html: None,
            input: None,
        },
    )
}

async fn withdraw(state: web::Data<AppState>, viewer: Viewer, _form: CsrfForm<HashMap<String, String>>) -> PageResult {
    let (board, report) = state
        .as_actor(viewer.identity.clone(), |conn, ctx, actor| {
            let board = match actor {
                Actor::Participant(p) => crate::service::boards::get_board(conn, actor, &p.board_id)?,
                Actor::User(_) | Actor::System => {
                    return Err(AppError::forbidden(
                        "Staff record a participant's withdrawal from the participants page.",
                    ))
                }
            };
            Ok((board, withdrawal::withdraw_self(conn, ctx, actor)?))
        })
        .await?;
    session::sign_out(&viewer.session);
    viewer.render("participant/withdrawn", "You have withdrawn", &json!({"board": board, "report": report}))
}

/// The board and one participant as the asking staff member sees them.
async fn person(
    state: &AppState,
    viewer: &Viewer,
    board_id: BoardId,
    participant_id: ParticipantId,
) -> Result<(BoardView, ParticipantView), AppError> {
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let board = crate::service::boards::get_board(conn, actor, &board_id)?;
            let acc = crate::service::access(conn, actor, &board_id)?;
            acc.require_manage()?;
            acc.require_identities()?;
            let person = participants::list(conn, ctx, actor, &board_id)?
                .into_iter()
                .find(|p| p.id == participant_id)
                .ok_or_else(AppError::not_found)?;
            Ok((board, person))
        })
        .await
}

fn sources() -> Vec<serde_json::Value> {
    WithdrawalSource::ALL
        .iter()
        .filter(|s| **s != WithdrawalSource::Participant)
        .map(|s| json!({"value": s, "label": s.label()}))
        .collect()
}

/// What a moderator's page does to one participant.
#[derive(Clone, Copy, PartialEq)]
enum Act {
    Withdraw,
    Erase,
}

async fn withdrawal_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, ParticipantId)>,
) -> PageResult {
    form_page(state, viewer, path.into_inner(), Act::Withdraw).await
}

async fn erasure_form(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, ParticipantId)>,
) -> PageResult {
    form_page(state, viewer, path.into_inner(), Act::Erase).await
}

async fn form_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    (board_id, participant_id): (BoardId, ParticipantId),
    act: Act,
) -> PageResult {
    let (board, person) = person(&state, &viewer, board_id, participant_id).await?;
    if act == Act::Erase && !matches!(board.your_role.as_str(), "moderator" | "administrator") {
        return Err(AppError::forbidden("Erasing a participant is for the board's moderators.").into());
    }
    let today = BoardZone::of(&board.time_zone).local_date(state.ctx.now()).to_string();
    let title = if act == Act::Erase { "Erase a participant" } else { "Record a withdrawal" };
    viewer.render(
        "moderator/withdraw",
        title,
        &json!({"board": board, "person": person, "sources": sources(), "today": today, "erase": act == Act::Erase}),
    )
}

/// "3 posts removed, 1 kept empty for the replies to it, …": what a withdrawal did.
fn outcome(r: &WithdrawalReport) -> String {
    let mut parts = Vec::new();
    if r.posts_removed > 0 {
        parts.push(format!("{} posts removed", r.posts_removed));
    }
    if r.posts_emptied > 0 {
        parts.push(format!("{} emptied and kept for the replies to them", r.posts_emptied));
    }
    if r.votes_and_reactions_removed > 0 {
        parts.push(format!("{} votes and agreements removed", r.votes_and_reactions_removed));
    }
    if r.images_removed > 0 {
        parts.push(format!("{} images deleted", r.images_removed));
    }
    if r.emails_cancelled > 0 {
        parts.push(format!("{} waiting emails cancelled", r.emails_cancelled));
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!(" ({})", parts.join("; ")),
    }
}

async fn record_withdrawal(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, ParticipantId)>,
    form: CsrfForm<WithdrawalInput>,
) -> PageResult {
    act_on(state, viewer, path.into_inner(), form, Act::Withdraw).await
}

async fn erase(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, ParticipantId)>,
    form: CsrfForm<WithdrawalInput>,
) -> PageResult {
    act_on(state, viewer, path.into_inner(), form, Act::Erase).await
}

/// Records a withdrawal or erases; back to the participants page with what was done, or to the
/// same form with what was typed and why it was refused.
async fn act_on(
    state: web::Data<AppState>,
    viewer: Viewer,
    (board_id, participant_id): (BoardId, ParticipantId),
    form: CsrfForm<WithdrawalInput>,
    act: Act,
) -> PageResult {
    let CsrfForm(input, sent) = form;
    let (b, p) = (board_id.clone(), participant_id.clone());
    let done = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| match act {
            Act::Withdraw => withdrawal::record_withdrawal(conn, ctx, actor, &b, &p, &input),
            Act::Erase => withdrawal::erase(conn, ctx, actor, &b, &p, &input),
        })
        .await;
    match done {
        Ok(report) => {
            let what = match act {
                Act::Withdraw => format!("The withdrawal of {} is recorded", report.pseudonym),
                Act::Erase => format!("{} is erased", report.pseudonym),
            };
            session::notice(&viewer.session, format!("{what}{}.", outcome(&report)));
            Ok(redirect(&format!("/boards/{board_id}/participants")))
        }
        Err(e) => again(e, &sent, form_page(state, viewer, (board_id, participant_id), act)).await,
    }
}
