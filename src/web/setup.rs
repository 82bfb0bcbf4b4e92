//! Pages for the board's staff: boards, settings, participants and their links, stages,
//! questions, staff members, and the account page with API tokens.

use super::errors::{PageError, PageResult};
use super::page_cache::View;
use super::refill::{again, Sent};
use super::session::{self, redirect, CsrfForm, NoFields, Viewer};
use super::state::AppState;
use crate::domain::ids::{BoardId, ParticipantId, QuestionId, StageId};
use crate::domain::roles::{BoardRole, ResponseMode};
use crate::domain::timezone::BoardZone;
use crate::error::AppError;
use crate::service::boards::{self, BoardInput, MemberInput};
use crate::service::images::Target;
use crate::service::stages::{self, QuestionInput, StageInput};
use crate::service::{accounts, participants};
use actix_multipart::Multipart;
use actix_web::web;
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/boards", web::get().to(board_list))
        .route("/boards", web::post().to(create_board))
        .route("/boards/new", web::get().to(new_board))
        .route("/boards/{board}", web::get().to(overview))
        .route("/boards/{board}/settings", web::get().to(settings_form))
        .route("/boards/{board}/settings", web::post().to(save_settings))
        .route("/boards/{board}/participants", web::get().to(participants))
        .route("/boards/{board}/participants/preview", web::post().to(import_preview))
        .route("/boards/{board}/participants/import", web::post().to(import_commit))
        .route("/boards/{board}/participants/{participant}/link", web::get().to(confirm_new_link))
        .route("/boards/{board}/participants/{participant}/link", web::post().to(reissue_link))
        .route("/boards/{board}/participants/{participant}/group", web::post().to(set_group))
        .route("/boards/{board}/members", web::post().to(set_member))
        .route("/boards/{board}/members/role", web::post().to(set_member))
        .route("/boards/{board}/participants/{participant}/data", web::get().to(participant_data))
        .route("/boards/{board}/members/remove", web::post().to(remove_member))
        .route("/boards/{board}/stages", web::post().to(create_stage))
        .route("/boards/{board}/schedule", web::post().to(schedule_stages))
        .route("/boards/{board}/pause", web::post().to(pause_board))
        .route("/boards/{board}/digest", web::post().to(staff_digest))
        .route("/boards/{board}/resume", web::post().to(resume_board))
        .route("/stages/{stage}", web::get().to(stage_page))
        .route("/stages/{stage}", web::post().to(save_stage))
        .route("/stages/{stage}/release", web::post().to(release_stage))
        .route("/stages/{stage}/questions", web::post().to(add_question))
        .route("/questions/{question}/edit", web::get().to(question_form))
        .route("/questions/{question}/edit", web::post().to(save_question))
        .route("/questions/{question}/move", web::post().to(move_question))
        .route("/questions/{question}/delete", web::get().to(confirm_delete_question))
        .route("/questions/{question}/delete", web::post().to(delete_question))
        .route("/account", web::get().to(account))
        .route("/account/tokens", web::post().to(create_token))
        .route("/account/tokens/{token}/revoke", web::post().to(revoke_token))
        .route("/account/password", web::post().to(change_password))
        .route("/account/name", web::post().to(rename))
        .route("/account/sign-out-everywhere", web::post().to(sign_out_everywhere));
}

fn modes() -> serde_json::Value {
    json!(ResponseMode::ALL.iter().map(|m| json!({"value": m.as_str(), "label": m.description()})).collect::<Vec<_>>())
}

async fn board_list(state: web::Data<AppState>, viewer: Viewer) -> PageResult {
    let (boards, is_admin) = state
        .as_actor(viewer.identity.clone(), |conn, _, actor| {
            let admin = actor.user()?.is_admin;
            Ok((boards::list_boards(conn, actor)?, admin))
        })
        .await?;
    viewer.render("moderator/boards", "Your boards", &json!({"boards": boards, "is_admin": is_admin}))
}

async fn new_board(viewer: Viewer) -> PageResult {
    if !matches!(viewer.identity, crate::service::Identity::User { .. }) {
        return Err(AppError::Unauthorized.into());
    }
    viewer.render(
        "moderator/board_form",
        "New board",
        &json!({"new": true, "board": {"time_zone": "Europe/London"}, "zones": BoardZone::names(), "script": "timezone.js",
                "identity_roles": identity_roles(&[BoardRole::CoModerator])}),
    )
}

async fn create_board(state: web::Data<AppState>, viewer: Viewer, form: CsrfForm<BoardInput>) -> PageResult {
    let CsrfForm(mut input, sent) = form;
    input.identities_seen_by = identities_chosen(&sent);
    input.purge_when_due = purge_chosen(&sent);
    let board = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| boards::create_board(conn, ctx, actor, &input))
        .await
    {
        Ok(board) => board,
        Err(e) => return again(e, &sent, new_board(viewer)).await,
    };
    session::notice(&viewer.session, "Board created. Add stages and questions, then import participants.");
    Ok(redirect(&format!("/boards/{}", board.id)))
}

pub(super) async fn overview(state: web::Data<AppState>, viewer: Viewer, board: web::Path<BoardId>) -> PageResult {
    let board_id = board.into_inner();
    let (cache, keep) = (state.pages.clone(), viewer.notice.is_none());
    let page = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            if matches!(actor, crate::service::Actor::Participant(_)) {
                return Ok(Err(format!("/b/{board_id}")));
            }
            // A view with a one-time notice is neither served from nor kept. What is new for the
            // reader is theirs, outside the board's version: their read marks are part of what
            // the kept page is made at.
            let view = keep.then(|| View::Board(board_id.clone()));
            let stamp = |c: &mut _| boards::reading_stamp(c, ctx, actor, &board_id);
            cache.staff_page(conn, ctx, actor, view, stamp, |c| boards::overview(c, ctx, actor, &board_id)).map(Ok)
        })
        .await?;
    match page {
        Ok(page) => viewer.respond(
            &state.pages,
            page,
            |o| o.changes_at,
            |viewer, o| {
                let title = o.board.title.clone();
                viewer.render_html("moderator/board", &title, &json!({"o": o, "roles": BoardRole::ALL}))
            },
        ),
        Err(to) => Ok(redirect(&to)),
    }
}

async fn settings_form(state: web::Data<AppState>, viewer: Viewer, board: web::Path<BoardId>) -> PageResult {
    let board_id = board.into_inner();
    let board = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            let acc = crate::service::access(conn, actor, &board_id)?;
            acc.require_manage()?;
            Ok(crate::service::views::BoardView::new(&acc.board, acc.standing))
        })
        .await?;
    viewer.render(
        "moderator/board_form",
        "Board settings",
        &json!({"board": board, "zones": BoardZone::names(), "script": "timezone.js",
                "identity_roles": identity_roles(&board.identities_seen_by)}),
    )
}

/// The roles a board may let see participants' names and emails, with whether it does.
fn identity_roles(seen_by: &[BoardRole]) -> Vec<serde_json::Value> {
    [BoardRole::CoModerator, BoardRole::Observer, BoardRole::Analyst]
        .iter()
        .map(|r| json!({"role": r, "label": r.label(), "checked": seen_by.contains(r)}))
        .collect()
}

/// The identity checkboxes of the board form as the input's list; absent when the form had
/// none, so the setting is kept.
fn identities_chosen(sent: &Sent) -> Option<serde_json::Value> {
    sent.fields.iter().any(|(n, v)| n == "identities_shown" && v == "yes").then(|| {
        let roles: Vec<&str> =
            sent.fields.iter().filter(|(_, v)| v == "on").filter_map(|(n, _)| n.strip_prefix("identities_")).collect();
        json!(roles)
    })
}

/// The automatic purge checkbox, which says nothing when unticked: the retention fieldset's
/// hidden field says it was on the form.
fn purge_chosen(sent: &Sent) -> Option<bool> {
    sent.fields
        .iter()
        .any(|(n, v)| n == "retention_shown" && v == "yes")
        .then(|| sent.fields.iter().any(|(n, v)| n == "purge_on" && v == "on"))
}

async fn save_settings(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<BoardInput>,
) -> PageResult {
    let board_id = board.into_inner();
    let (CsrfForm(mut input, sent), id) = (form, board_id.clone());
    input.identities_seen_by = identities_chosen(&sent);
    input.purge_when_due = purge_chosen(&sent);
    // Closing or archiving ends participants' posting: asked once more, on a page of its own.
    let ending = matches!(input.state.as_deref(), Some("closed" | "archived"));
    if ending && !sent.fields.iter().any(|(n, v)| n == "confirmed" && v == "yes") {
        let b = board_id.clone();
        let now =
            state.as_actor(viewer.identity.clone(), move |conn, _, actor| boards::get_board(conn, actor, &b)).await?;
        if !matches!(now.state.as_str(), "closed" | "archived") {
            let mut fields: Vec<_> = sent.fields.iter().filter(|(n, _)| n != "csrf_token").cloned().collect();
            fields.push(("confirmed".into(), "yes".into()));
            let closing = input.state.as_deref() == Some("closed");
            return confirm_page(
                &viewer,
                Confirm {
                    title: format!("{} {}?", if closing { "Close" } else { "Archive" }, now.title),
                    lines: if closing {
                        vec![
                            "Participants can no longer post, vote or edit; everything stays readable.".into(),
                            "Those who receive emails from the board are sent the closing notice.".into(),
                        ]
                    } else {
                        vec!["The board becomes read-only; everything in it stays for analysis and export.".into()]
                    },
                    action: format!("/boards/{board_id}/settings"),
                    button: if closing { "Close the board" } else { "Archive the board" },
                    back: format!("/boards/{board_id}/settings"),
                    fields,
                    quote_html: None,
                    input: None,
                },
            );
        }
    }
    let board = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| boards::update_board(conn, ctx, actor, &id, &input))
        .await
    {
        Ok(board) => board,
        Err(e) => return again(e, &sent, settings_form(state, viewer, board_id.into())).await,
    };
    session::notice(&viewer.session, "Settings saved.");
    Ok(redirect(&format!("/boards/{}", board.id)))
}

async fn participants(state: web::Data<AppState>, viewer: Viewer, board: web::Path<BoardId>) -> PageResult {
    let board_id = board.into_inner();
    let (board, list) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let board = boards::get_board(conn, actor, &board_id)?;
            Ok((board, participants::list(conn, ctx, actor, &board_id)?))
        })
        .await?;
    viewer.render("moderator/participants", "Participants", &json!({"board": board, "participants": list}))
}

/// Reads an uploaded CSV file (multipart: `csrf_token`, `file`) and shows what would be imported.
async fn import_preview(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    payload: Multipart,
) -> PageResult {
    let board_id = board.into_inner();
    let mut sent = Sent::new(&format!("/boards/{board_id}/participants/preview"), Vec::new());
    let refused = |e, sent: Sent| {
        let page = participants(state.clone(), viewer.clone(), board_id.clone().into());
        async move { again(e, &sent, page).await }
    };
    let limit = state.settings.max_body_bytes;
    let file = match session::uploaded_file(&viewer.session, payload, limit, &mut sent, "Choose a CSV file to import.")
        .await
    {
        Ok(file) => file,
        Err(e) => return refused(e, sent).await,
    };
    match import(state.clone(), viewer.clone(), board_id.clone(), file, false).await {
        Err(PageError(e)) => refused(e, sent).await,
        shown => shown,
    }
}

#[derive(Deserialize)]
struct ImportForm {
    csv_text: String,
}

async fn import_commit(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<ImportForm>,
) -> PageResult {
    import(state, viewer, board.into_inner(), form.0.csv_text.into_bytes(), true).await
}

async fn import(
    state: web::Data<AppState>,
    viewer: Viewer,
    board_id: BoardId,
    csv: Vec<u8>,
    commit: bool,
) -> PageResult {
    let id = board_id.clone();
    let text = String::from_utf8_lossy(&csv).into_owned();
    let (board, report) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let board = boards::get_board(conn, actor, &id)?;
            Ok((board, participants::import(conn, ctx, actor, &id, &csv, commit)?))
        })
        .await?;
    if report.imported {
        session::notice(
            &viewer.session,
            format!("{} participants imported. Their sign-in links are below.", report.rows.len()),
        );
        return Ok(redirect(&format!("/boards/{board_id}/participants")));
    }
    let mut res = viewer.render(
        "moderator/import",
        "Import participants",
        &json!({"board": board, "report": report, "csv_text": text}),
    )?;
    if !report.errors.is_empty() {
        *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// A page that asks before something that cannot be undone or that disrupts participants; its
/// button sends the form (with `fields`) that does it, so it works without JavaScript.
pub(super) struct Confirm<'a> {
    pub title: String,
    pub lines: Vec<String>,
    /// What is about to be affected, as safe HTML (a post's text).
    pub quote_html: Option<String>,
    /// A text the action needs (name, label, most characters), asked for on the page.
    pub input: Option<(&'a str, &'a str, usize)>,
    pub action: String,
    pub button: &'a str,
    pub back: String,
    pub fields: Vec<(String, String)>,
}

pub(super) fn confirm_page(viewer: &Viewer, c: Confirm) -> PageResult {
    let fields: Vec<_> = c.fields.iter().map(|(n, v)| json!({"name": n, "value": v})).collect();
    let input = c.input.map(|(name, label, max)| json!({"name": name, "label": label, "max": max}));
    viewer.render(
        "moderator/confirm",
        &c.title,
        &json!({"title": c.title, "lines": c.lines, "quote_html": c.quote_html, "input": input,
                "action": c.action, "button": c.button, "back": c.back, "fields": fields}),
    )
}

async fn confirm_new_link(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, ParticipantId)>,
) -> PageResult {
    let (board_id, participant_id) = path.into_inner();
    let (b, p) = (board_id.clone(), participant_id.clone());
    let name = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let acc = crate::service::access(conn, actor, &b)?;
            acc.require_manage()?;
            let people = participants::list(conn, ctx, actor, &b)?;
            people.into_iter().find(|x| x.id == p).map(|x| x.name).ok_or_else(AppError::not_found)
        })
        .await?;
    confirm_page(
        &viewer,
        Confirm {
            title: format!("Issue a new sign-in link for {name}?"),
            lines: vec![
                "Their current link stops working at once, in every email it was sent in.".into(),
                "Send them the new link (the participants page shows it), or send the invitations again.".into(),
            ],
            action: format!("/boards/{board_id}/participants/{participant_id}/link"),
            button: "Issue a new link",
            back: format!("/boards/{board_id}/participants"),
            fields: Vec::new(),
            quote_html: None,
            input: None,
        },
    )
}

/// A question as its page shows it, for the board's moderators only (`refusal` says why not).
async fn managed_question(
    state: &AppState,
    viewer: &Viewer,
    qid: QuestionId,
    refusal: &'static str,
) -> Result<crate::service::pages::QuestionPage, AppError> {
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let page = crate::service::pages::question_page(conn, ctx, actor, &qid, &Default::default())?;
            if !page.board.can_manage {
                return Err(AppError::forbidden(refusal));
            }
            Ok(page)
        })
        .await
}

async fn confirm_delete_question(state: web::Data<AppState>, viewer: Viewer, q: web::Path<QuestionId>) -> PageResult {
    let qid = q.into_inner();
    let page =
        managed_question(&state, &viewer, qid.clone(), "Only the board's moderators can delete questions.").await?;
    confirm_page(
        &viewer,
        Confirm {
            title: "Delete this question?".into(),
            lines: vec![
                format!("\u{201c}{}\u{201d}", crate::domain::markdown::one_line(&page.question.prompt_md)),
                "It is removed from the stage for good.".into(),
            ],
            action: format!("/questions/{qid}/delete"),
            button: "Delete the question",
            back: format!("/stages/{}", page.stage.id),
            fields: Vec::new(),
            quote_html: None,
            input: None,
        },
    )
}

async fn reissue_link(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, ParticipantId)>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let (board_id, participant_id) = path.into_inner();
    let b = board_id.clone();
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            participants::reissue_link(conn, ctx, actor, &b, &participant_id)
        })
        .await?;
    session::notice(&viewer.session, "A new sign-in link was issued; the previous one no longer works.");
    Ok(redirect(&format!("/boards/{board_id}/participants")))
}

#[derive(Deserialize)]
struct GroupForm {
    group: String,
}

async fn set_group(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, ParticipantId)>,
    form: CsrfForm<GroupForm>,
) -> PageResult {
    let (board_id, participant_id) = path.into_inner();
    let b = board_id.clone();
    let CsrfForm(GroupForm { group }, sent) = form;
    let p = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            participants::set_group(conn, ctx, actor, &b, &participant_id, &group)
        })
        .await
    {
        Ok(p) => p,
        Err(e) => return again(e, &sent, participants(state, viewer, board_id.into())).await,
    };
    session::notice(
        &viewer.session,
        format!("{} is in group {}.", p.name, p.attributes.get("group").and_then(|g| g.as_str()).unwrap_or("none")),
    );
    Ok(redirect(&format!("/boards/{board_id}/participants")))
}

async fn set_member(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<MemberInput>,
) -> PageResult {
    let board_id = board.into_inner();
    let b = board_id.clone();
    let CsrfForm(input, sent) = form;
    let m = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| boards::set_member(conn, ctx, actor, &b, &input))
        .await
    {
        Ok(m) => m,
        Err(e) => return again(e, &sent, overview(state, viewer, board_id.into())).await,
    };
    session::notice(
        &viewer.session,
        format!("{} is now {} of this board.", m.email, m.role.as_str().replace('_', "-")),
    );
    Ok(redirect(&format!("/boards/{board_id}")))
}

/// One participant's data as a JSON file, for the board's moderators who see identities (to
/// answer a request for it).
async fn participant_data(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, ParticipantId)>,
) -> PageResult {
    let (board_id, participant_id) = path.into_inner();
    let data = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            participants::data_of(conn, actor, &board_id, &participant_id)
        })
        .await?;
    Ok(super::participant::data_file(&data))
}

#[derive(Deserialize)]
struct RemoveMember {
    email: String,
}

async fn remove_member(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<RemoveMember>,
) -> PageResult {
    let board_id = board.into_inner();
    let b = board_id.clone();
    let CsrfForm(RemoveMember { email }, sent) = form;
    let e = email.clone();
    if let Err(err) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| boards::remove_member(conn, ctx, actor, &b, &e))
        .await
    {
        return again(err, &sent, overview(state, viewer, board_id.into())).await;
    }
    session::notice(&viewer.session, format!("{} no longer has a role on this board.", email.trim()));
    Ok(redirect(&format!("/boards/{board_id}")))
}

async fn create_stage(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<StageInput>,
) -> PageResult {
    let board_id = board.into_inner();
    let (CsrfForm(input, sent), b) = (form, board_id.clone());
    let stage = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| stages::create_stage(conn, ctx, actor, &b, &input))
        .await
    {
        Ok(stage) => stage,
        Err(e) => return again(e, &sent, overview(state, viewer, board_id.into())).await,
    };
    session::notice(&viewer.session, "Stage added. Now write its questions.");
    Ok(redirect(&format!("/stages/{}", stage.id)))
}

async fn schedule_stages(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<crate::service::schedule::WorkingDaysInput>,
) -> PageResult {
    let board_id = board.into_inner();
    let (CsrfForm(input, sent), b) = (form, board_id.clone());
    let n = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            crate::service::schedule::schedule_working_days(conn, ctx, actor, &b, &input)
        })
        .await
    {
        Ok(n) => n,
        Err(e) => return again(e, &sent, overview(state, viewer, board_id.into())).await,
    };
    session::notice(&viewer.session, format!("{n} {} scheduled.", if n == 1 { "stage is" } else { "stages are" }));
    Ok(redirect(&format!("/boards/{board_id}")))
}

async fn pause_board(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let board_id = board.into_inner();
    let b = board_id.clone();
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            crate::service::schedule::pause(conn, ctx, actor, &b)
        })
        .await?;
    session::notice(&viewer.session, "The board is paused: no releases and no reminders until you resume it.");
    Ok(redirect(&format!("/boards/{board_id}")))
}

#[derive(serde::Deserialize)]
struct DigestForm {
    on: String,
}

async fn staff_digest(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<DigestForm>,
) -> PageResult {
    let board_id = board.into_inner();
    let (b, on) = (board_id.clone(), form.0.on == "yes");
    state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            crate::service::digests::set_staff_digest(conn, actor, &b, on)
        })
        .await?;
    session::notice(
        &viewer.session,
        if on { "You will get a daily digest of this board." } else { "Your daily digest of this board is stopped." },
    );
    Ok(redirect(&format!("/boards/{board_id}")))
}

#[derive(serde::Deserialize)]
struct ResumeForm {
    shift: String,
}

async fn resume_board(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<ResumeForm>,
) -> PageResult {
    let board_id = board.into_inner();
    let (b, shift) = (board_id.clone(), form.0.shift == "yes");
    let days = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            crate::service::schedule::resume(conn, ctx, actor, &b, shift)
        })
        .await?;
    session::notice(
        &viewer.session,
        match days {
            0 => "The board is running again.".to_string(),
            n => format!(
                "The board is running again; what was still to come moved on by {n} working {}.",
                if n == 1 { "day" } else { "days" }
            ),
        },
    );
    Ok(redirect(&format!("/boards/{board_id}")))
}

pub(super) async fn stage_page(state: web::Data<AppState>, viewer: Viewer, stage: web::Path<StageId>) -> PageResult {
    let stage_id = stage.into_inner();
    let (board, stage, summary, overview, summaries) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let stage = stages::stage_detail(conn, ctx, actor, &stage_id)?;
            let summary = crate::service::summaries::of_stage(conn, actor, &stage_id)?;
            let overview = boards::overview(conn, ctx, actor, &stage.board_id)?;
            let summaries = crate::service::summaries::of_board(conn, actor, &stage.board_id)?;
            Ok((boards::get_board(conn, actor, &stage.board_id)?, stage, summary, overview, summaries))
        })
        .await?;
    let others: Vec<_> = overview
        .stages
        .iter()
        .filter(|s| s.id != stage.id)
        .map(|s| json!({"id": s.id, "title": s.title, "released": s.released_at.is_some(), "shown_here": summary.as_ref().and_then(|x| x.shown_in_stage_id.as_deref()) == Some(s.id.as_str())}))
        .collect();
    viewer.render("moderator/stage", &stage.title.clone(), &json!({"board": board, "stage": stage, "modes": modes(), "summary": summary, "others": others, "summaries": summaries}))
}

async fn save_stage(
    state: web::Data<AppState>,
    viewer: Viewer,
    stage: web::Path<StageId>,
    form: CsrfForm<StageInput>,
) -> PageResult {
    let stage_id = stage.into_inner();
    let (CsrfForm(input, sent), s) = (form, stage_id.clone());
    let stage = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| stages::update_stage(conn, ctx, actor, &s, &input))
        .await
    {
        Ok(stage) => stage,
        Err(e) => return again(e, &sent, stage_page(state, viewer, stage_id.into())).await,
    };
    session::notice(&viewer.session, "Stage saved.");
    Ok(redirect(&format!("/stages/{}", stage.id)))
}

async fn release_stage(
    state: web::Data<AppState>,
    viewer: Viewer,
    stage: web::Path<StageId>,
    form: CsrfForm<NoFields>,
) -> PageResult {
    let stage_id = stage.into_inner();
    let s = stage_id.clone();
    let stage = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| stages::release_now(conn, ctx, actor, &s))
        .await
    {
        Ok(stage) => stage,
        Err(e) => return again(e, &form.1, stage_page(state, viewer, stage_id.into())).await,
    };
    session::notice(
        &viewer.session,
        format!("{} is released: participants can now answer its questions.", stage.title),
    );
    Ok(redirect(&format!("/stages/{}", stage.id)))
}

/// A new question, with an image if one is chosen: the form is multipart so that the image
/// comes with the question rather than in a second step.
async fn add_question(
    state: web::Data<AppState>,
    viewer: Viewer,
    stage: web::Path<StageId>,
    payload: Multipart,
) -> PageResult {
    let stage_id = stage.into_inner();
    let mut sent = Sent::new(&format!("/stages/{stage_id}/questions"), Vec::new());
    if let Err(e) = add_question_from(&state, &viewer, &stage_id, payload, &mut sent).await {
        return again(e, &sent, stage_page(state, viewer, stage_id.into())).await;
    }
    session::notice(&viewer.session, "Question added.");
    Ok(redirect(&format!("/stages/{stage_id}")))
}

async fn add_question_from(
    state: &AppState,
    viewer: &Viewer,
    stage_id: &StageId,
    payload: Multipart,
    sent: &mut Sent,
) -> Result<(), AppError> {
    let mut fields = super::uploads::image_form(viewer, payload, sent).await?;
    let text: Vec<&(String, String)> = sent.fields.iter().filter(|(n, _)| n != "alt_text").collect();
    let input: QuestionInput = serde_urlencoded::from_str(&serde_urlencoded::to_string(text).unwrap_or_default())
        .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
    let file = fields.remove("file").unwrap_or_default();
    let alt = String::from_utf8_lossy(&fields.remove("alt_text").unwrap_or_default()).trim().to_string();
    let image = if file.is_empty() {
        if !alt.is_empty() {
            return Err(AppError::invalid_field("file", "Choose the image this describes, or clear its description."));
        }
        None
    } else {
        // Who may add it, and its description, are checked before the image is decoded.
        let (s, a) = (stage_id.clone(), alt.clone());
        state
            .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
                crate::service::images::authorize_upload(conn, ctx, actor, Target::Stage(s), &a).map(drop)
            })
            .await
            .map_err(super::uploads::alt_on_page)?;
        Some(super::uploads::decode(file).await?)
    };
    let s = stage_id.clone();
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            crate::service::images::add_question_with_image(
                conn,
                ctx,
                actor,
                &s,
                &input,
                image.map(|i| (alt.as_str(), i)),
            )
        })
        .await
        .map(drop)
}

async fn question_form(state: web::Data<AppState>, viewer: Viewer, q: web::Path<QuestionId>) -> PageResult {
    let page =
        managed_question(&state, &viewer, q.into_inner(), "Only the board's moderators can edit questions.").await?;
    viewer.render("moderator/question_form", "Edit question", &json!({"q": page, "modes": modes()}))
}

async fn save_question(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    form: CsrfForm<QuestionInput>,
) -> PageResult {
    let qid = q.into_inner();
    let (CsrfForm(input, sent), id) = (form, qid.clone());
    let q = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            stages::update_question(conn, ctx, actor, &id, &input)
        })
        .await
    {
        Ok(q) => q,
        Err(e) => return again(e, &sent, question_form(state, viewer, qid.into())).await,
    };
    session::notice(&viewer.session, "Question saved.");
    Ok(redirect(&format!("/stages/{}", q.stage_id)))
}

#[derive(Deserialize)]
struct MoveForm {
    direction: String,
}

async fn move_question(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    form: CsrfForm<MoveForm>,
) -> PageResult {
    let qid = q.into_inner();
    let up = form.0.direction == "up";
    let stage_id = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| stages::move_question(conn, ctx, actor, &qid, up))
        .await?;
    Ok(redirect(&format!("/stages/{stage_id}")))
}

async fn delete_question(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let qid = q.into_inner();
    let stage_id = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| stages::delete_question(conn, ctx, actor, &qid))
        .await?;
    session::notice(&viewer.session, "Question deleted.");
    Ok(redirect(&format!("/stages/{stage_id}")))
}

async fn account(state: web::Data<AppState>, viewer: Viewer) -> PageResult {
    render_account(&state, &viewer, None).await
}

async fn render_account(state: &AppState, viewer: &Viewer, new_token: Option<accounts::NewToken>) -> PageResult {
    let (name, email, tokens) = state
        .as_actor(viewer.identity.clone(), |conn, ctx, actor| {
            let user = actor.user()?;
            Ok((user.name.clone(), user.email.clone(), accounts::list_tokens(conn, ctx, user)?))
        })
        .await?;
    viewer.render(
        "moderator/account",
        "Your account",
        &json!({"name": name, "email": email, "tokens": tokens, "new_token": new_token}),
    )
}

#[derive(Deserialize)]
struct NameForm {
    name: String,
}

async fn rename(state: web::Data<AppState>, viewer: Viewer, form: CsrfForm<NameForm>) -> PageResult {
    let CsrfForm(NameForm { name }, sent) = form;
    if let Err(e) = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| crate::service::staff::rename(conn, actor, &name))
        .await
    {
        return again(e, &sent, render_account(&state, &viewer, None)).await;
    }
    session::notice(&viewer.session, "Your name is saved.");
    Ok(redirect("/account"))
}

async fn create_token(state: web::Data<AppState>, viewer: Viewer, form: CsrfForm<accounts::TokenInput>) -> PageResult {
    let CsrfForm(input, sent) = form;
    let token = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            accounts::create_token(conn, ctx, actor.user()?, &input)
        })
        .await
    {
        Ok(token) => token,
        Err(e) => return again(e, &sent, render_account(&state, &viewer, None)).await,
    };
    // Shown on this response only; it is never stored in readable form.
    render_account(&state, &viewer, Some(token)).await
}

async fn revoke_token(
    state: web::Data<AppState>,
    viewer: Viewer,
    t: web::Path<String>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let id = t.into_inner();
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            accounts::revoke_token(conn, ctx, actor.user()?, &id)
        })
        .await
        .map_err(PageError)?;
    session::notice(&viewer.session, "Token revoked.");
    Ok(redirect("/account"))
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: String,
    password: String,
}

/// A new password ends every session and token of the account; this browser is signed in
/// again with a fresh session.
async fn change_password(state: web::Data<AppState>, viewer: Viewer, form: CsrfForm<PasswordForm>) -> PageResult {
    let CsrfForm(PasswordForm { current_password: current, password: new }, sent) = form;
    let result = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let user = actor.user()?.clone();
            accounts::change_password(conn, ctx, &user, &current, &new)?;
            Ok((user.id.clone(), accounts::start_user_session(conn, ctx, &user)?))
        })
        .await;
    match result {
        Ok((user_id, secret)) => {
            session::sign_in_user(&viewer.session, &user_id, &secret)?;
            session::notice(&viewer.session, "Password changed. Every other session and every API token has ended.");
            Ok(redirect("/account"))
        }
        Err(e) => again(e, &sent, render_account(&state, &viewer, None)).await,
    }
}

async fn sign_out_everywhere(state: web::Data<AppState>, viewer: Viewer, _f: CsrfForm<NoFields>) -> PageResult {
    state
        .as_actor(viewer.identity.clone(), |conn, ctx, actor| {
            let user = actor.user()?;
            accounts::end_everything_of(conn, ctx, &user.id)
        })
        .await?;
    session::sign_out(&viewer.session);
    Ok(redirect("/login"))
}
