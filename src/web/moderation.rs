//! Moderation pages: probes, hiding, answers on behalf, notes, summaries, the participation
//! grid, the audit log, stage preview, reopening, and moving questions between stages.

use super::errors::PageResult;
use super::page_cache::View;
use super::participant::{page_of_post, page_of_question};
use super::refill::again;
use super::session::{self, redirect, CsrfForm, NoFields, Viewer};
use super::setup::{confirm_page, overview, stage_page, Confirm};
use super::state::AppState;
use crate::domain::ids::{BoardId, PostId, QuestionId, StageId};
use crate::service::grid::{self, GridFilter};
use crate::service::moderation::{self, HideInput, NoteInput, OnBehalfInput, ProbeInput};
use crate::service::summaries::{self, SummaryInput};
use crate::service::{audit, boards, stages};
use actix_web::web;
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/boards/{board}/grid", web::get().to(grid_page))
        .route("/boards/{board}/grid.csv", web::get().to(grid_csv))
        .route("/boards/{board}/audit", web::get().to(audit_page))
        .route("/boards/{board}/notes", web::post().to(add_note))
        .route("/posts/{post}/probe", web::post().to(probe))
        .route("/posts/{post}/hide", web::get().to(confirm_hide))
        .route("/posts/{post}/hide", web::post().to(hide))
        .route("/posts/{post}/restore", web::post().to(restore))
        .route("/q/{question}/on-behalf", web::post().to(on_behalf))
        .route("/questions/{question}/stage", web::post().to(move_to_stage))
        .route("/stages/{stage}/summary", web::post().to(save_summary))
        .route("/stages/{stage}/reopen", web::post().to(reopen))
        .route("/stages/{stage}/preview", web::get().to(preview));
}

async fn grid_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    filter: web::Query<GridFilter>,
) -> PageResult {
    let board_id = board.into_inner();
    let mut filter = filter.into_inner();
    // The page shows one page of participants; the CSV (linked with the same filter) has all.
    filter.page = Some(filter.page.unwrap_or(1));
    let cache = state.pages.clone();
    // A view with a one-time notice is neither served from nor kept.
    let view = viewer
        .notice
        .is_none()
        .then(|| View::Grid(board_id.clone(), serde_urlencoded::to_string(&filter).unwrap_or_default()));
    let page = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            cache.staff_page(
                conn,
                ctx,
                actor,
                view,
                |_| Ok(0),
                |c| Ok((boards::get_board(c, actor, &board_id)?, grid::grid(c, ctx, actor, &board_id, &filter)?)),
            )
        })
        .await?;
    // When participants were last seen is written once a minute and moves no version: a kept
    // grid is made again after a minute, so it is never more than that behind.
    let until = state.ctx.now() + time::Duration::minutes(1);
    viewer.respond(
        &state.pages,
        page,
        |_| Some(until),
        |viewer, (board, grid)| {
            let at = |page: Option<u32>| {
                serde_urlencoded::to_string(GridFilter { page, ..grid.filter.clone() }).unwrap_or_default()
            };
            let query = at(None);
            let (prev, next) = match &grid.page {
                Some(p) => (
                    (p.number > 1).then(|| at(Some(p.number - 1))),
                    (p.number < p.pages).then(|| at(Some(p.number + 1))),
                ),
                None => (None, None),
            };
            viewer.render_html(
                "moderator/grid",
                "Participation",
                &json!({"board": board, "grid": grid, "query": query, "prev": prev, "next": next}),
            )
        },
    )
}

async fn grid_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    filter: web::Query<GridFilter>,
) -> PageResult {
    let board_id = board.into_inner();
    let filter = GridFilter { page: None, ..filter.into_inner() };
    let csv = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            grid::to_csv(&grid::grid(conn, ctx, actor, &board_id, &filter)?)
        })
        .await?;
    Ok(super::api::common::csv_download(&csv, "participation.csv"))
}

async fn audit_page(state: web::Data<AppState>, viewer: Viewer, board: web::Path<BoardId>) -> PageResult {
    let board_id = board.into_inner();
    let (board, log) = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            Ok((boards::get_board(conn, actor, &board_id)?, audit::log(conn, actor, &board_id)?))
        })
        .await?;
    let entries: Vec<_> = log.iter().map(|e| json!({"e": e, "before": e.before.as_ref().map(|v| v.to_string()), "after": e.after.as_ref().map(|v| v.to_string())})).collect();
    viewer.render("moderator/audit", "Audit log", &json!({"board": board, "entries": entries}))
}

async fn add_note(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<NoteInput>,
) -> PageResult {
    let board_id = board.into_inner();
    let CsrfForm(input, sent) = form;
    let (b, q) = (board_id.clone(), input.question_id.clone().filter(|q| !q.is_empty()));
    let back = input
        .question_id
        .clone()
        .filter(|q| !q.is_empty())
        .map_or(format!("/boards/{board_id}"), |q| format!("/q/{q}"));
    if let Err(e) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| moderation::add_note(conn, ctx, actor, &b, &input))
        .await
    {
        return match q {
            Some(q) => again(e, &sent, page_of_question(state, viewer, q)).await,
            None => again(e, &sent, overview(state, viewer, board_id.into())).await,
        };
    }
    session::notice(&viewer.session, "Your note is saved for the moderators.");
    Ok(redirect(&back))
}

async fn probe(
    state: web::Data<AppState>,
    viewer: Viewer,
    post: web::Path<PostId>,
    form: CsrfForm<ProbeInput>,
) -> PageResult {
    let post_id = post.into_inner();
    let (CsrfForm(input, sent), id) = (form, post_id.clone());
    let p = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| moderation::probe(conn, ctx, actor, &id, &input))
        .await
    {
        Ok(p) => p,
        Err(e) => return again(e, &sent, page_of_post(state, viewer, post_id)).await,
    };
    session::notice(&viewer.session, if p.private { "Your private probe is posted." } else { "Your probe is posted." });
    Ok(redirect(&format!("/q/{}?post={id}#post-{id}", p.question_id, id = p.id)))
}

/// Hiding a post changes what every participant reads, so it is asked for on a page of its own
/// that shows the post and takes the reason.
async fn confirm_hide(state: web::Data<AppState>, viewer: Viewer, post: web::Path<PostId>) -> PageResult {
    let post_id = post.into_inner();
    let id = post_id.clone();
    let p = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| moderation::post_to_hide(conn, actor, &id))
        .await?;
    confirm_page(
        &viewer,
        Confirm {
            title: format!("Hide this post by {}?", p.author),
            lines: vec![
                "Participants will see that a post was here, not what it said; staff still read it.".into(),
                "You can show it again at any time.".into(),
            ],
            quote_html: Some(p.body_html),
            input: Some(("reason", "Reason (kept in the audit log)", 500)),
            action: format!("/posts/{post_id}/hide"),
            button: "Hide from participants",
            back: format!("/q/{}?post={post_id}#post-{post_id}", p.question_id),
            fields: Vec::new(),
        },
    )
}

async fn hide(
    state: web::Data<AppState>,
    viewer: Viewer,
    post: web::Path<PostId>,
    form: CsrfForm<HideInput>,
) -> PageResult {
    let post_id = post.into_inner();
    let (CsrfForm(input, sent), id) = (form, post_id.clone());
    let p = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            moderation::set_hidden(conn, ctx, actor, &id, true, &input)
        })
        .await
    {
        Ok(p) => p,
        Err(e) => return again(e, &sent, confirm_hide(state, viewer, web::Path::from(post_id))).await,
    };
    session::notice(&viewer.session, "The post is hidden from participants.");
    Ok(redirect(&format!("/q/{}?post={id}#post-{id}", p.question_id, id = p.id)))
}

async fn restore(
    state: web::Data<AppState>,
    viewer: Viewer,
    post: web::Path<PostId>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let post_id = post.into_inner();
    let p = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            moderation::set_hidden(conn, ctx, actor, &post_id, false, &HideInput::default())
        })
        .await?;
    session::notice(&viewer.session, "The post is shown again.");
    Ok(redirect(&format!("/q/{}?post={id}#post-{id}", p.question_id, id = p.id)))
}

#[derive(Deserialize)]
struct OnBehalfForm {
    #[serde(flatten)]
    answer: OnBehalfInput,
    form_token: Option<String>,
}

async fn on_behalf(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    form: CsrfForm<OnBehalfForm>,
) -> PageResult {
    let qid = q.into_inner();
    let CsrfForm(OnBehalfForm { answer: input, form_token }, sent) = form;
    let q2 = qid.clone();
    let key = session::form_key(form_token.as_deref(), &[&qid, &input.participant_id]);
    let (p, _) = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            crate::service::idempotency::once(conn, ctx, actor, key.as_deref(), "post.on_behalf", |conn| {
                moderation::record_on_behalf(conn, ctx, actor, &q2, &input)
            })
        })
        .await
    {
        Ok(done) => done,
        Err(e) => return again(e, &sent, page_of_question(state, viewer, qid)).await,
    };
    session::notice(&viewer.session, "The answer is recorded on the participant's behalf.");
    Ok(redirect(&format!("/q/{qid}?post={id}#post-{id}", id = p["id"].as_str().unwrap_or_default())))
}

#[derive(Deserialize)]
struct StageForm {
    stage_id: StageId,
}

async fn move_to_stage(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    form: CsrfForm<StageForm>,
) -> PageResult {
    let qid = q.into_inner();
    let to = form.0.stage_id;
    let stage = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            stages::move_question_to_stage(conn, ctx, actor, &qid, &to)
        })
        .await?;
    session::notice(&viewer.session, "The question moved to this stage.");
    Ok(redirect(&format!("/stages/{stage}")))
}

async fn save_summary(
    state: web::Data<AppState>,
    viewer: Viewer,
    stage: web::Path<StageId>,
    form: CsrfForm<SummaryInput>,
) -> PageResult {
    let stage_id = stage.into_inner();
    let CsrfForm(input, sent) = form;
    let s = stage_id.clone();
    let saved = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| summaries::save(conn, ctx, actor, &s, &input))
        .await
    {
        Ok(saved) => saved,
        Err(e) => return again(e, &sent, stage_page(state, viewer, stage_id.into())).await,
    };
    session::notice(
        &viewer.session,
        if saved.published.is_some() { "The summary is published." } else { "The summary is saved as a draft." },
    );
    Ok(redirect(&format!("/stages/{stage_id}")))
}

async fn reopen(
    state: web::Data<AppState>,
    viewer: Viewer,
    stage: web::Path<StageId>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    let stage_id = stage.into_inner();
    let s = stage_id.clone();
    state.as_actor(viewer.identity.clone(), move |conn, ctx, actor| stages::reopen(conn, ctx, actor, &s)).await?;
    session::notice(&viewer.session, "The stage is open again for new answers.");
    Ok(redirect(&format!("/stages/{stage_id}")))
}

/// A stage as participants will see it, before or after its release.
async fn preview(state: web::Data<AppState>, viewer: Viewer, stage: web::Path<StageId>) -> PageResult {
    let stage_id = stage.into_inner();
    let (board, stage) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            let stage = stages::stage_detail(conn, ctx, actor, &stage_id)?;
            Ok((boards::get_board(conn, actor, &stage.board_id)?, stage))
        })
        .await?;
    viewer.render("moderator/preview", &format!("Preview: {}", stage.title), &json!({"board": board, "stage": stage}))
}
