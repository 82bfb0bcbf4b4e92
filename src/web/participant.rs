//! Pages participants use: welcome and consent, the board home, the question page with its
//! threads, and editing their own posts. Staff open the same question page and see everything.

use super::errors::{PageError, PageResult};
use super::page_cache::Look;
use super::refill::again;
use super::session::{self, redirect, CsrfForm, Viewer};
use super::state::AppState;
use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId};
use crate::error::AppError;
use crate::service::pages::{self, PageAt, QuestionPage};
use crate::service::participants::ConsentInput;
use crate::service::posting::{self, PostInput};
use crate::service::{self, access, Actor, Identity};
use crate::service::{notifications, votes};
use actix_web::web;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/data", web::get().to(my_data))
        .route("/sign-in-link", web::get().to(link_help))
        .route("/sign-in-link", web::post().to(send_my_link))
        .route("/b/{board}", web::get().to(board_home))
        .route("/b/{board}/welcome", web::get().to(welcome))
        .route("/b/{board}/welcome", web::post().to(consent))
        .route("/q/{question}", web::get().to(question))
        .route("/q/{question}/posts", web::post().to(post))
        .route("/posts/{post}/edit", web::get().to(edit_form))
        .route("/posts/{post}/edit", web::post().to(edit))
        .route("/posts/{post}/history", web::get().to(history))
        .route("/posts/{post}/agree", web::post().to(agree))
        .route("/q/{question}/vote", web::post().to(vote));
}

/// A participant who has not consented yet is sent to the welcome page first.
fn welcome_first(actor: &Actor) -> Option<String> {
    match actor {
        Actor::Participant(p) if p.consented_at.is_none() => Some(format!("/b/{}/welcome", p.board_id)),
        _ => None,
    }
}

/// `?as=<participant id>`: staff see a page exactly as that participant does.
#[derive(Deserialize, Default)]
struct ViewAs {
    #[serde(rename = "as")]
    participant: Option<ParticipantId>,
    /// Staff: count only this group's votes in the results.
    group: Option<String>,
    /// The question page: which page of its posts (see `PageAt`).
    page: Option<usize>,
    post: Option<PostId>,
}

/// What a person who is not signed in sees at a board's or question's address: how to come
/// back in with their personal link, not the staff sign-in form.
fn signed_out(viewer: &Viewer) -> Option<PageResult> {
    (viewer.identity == Identity::Anonymous).then(|| {
        let mut res = signed_out_page(viewer)?;
        *res.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
        Ok(res)
    })
}

fn signed_out_page(viewer: &Viewer) -> PageResult {
    viewer.render("participant/signed_out", "Sign in with your personal link", &json!({}))
}

/// A participant's own data, as a JSON file to keep.
async fn my_data(state: web::Data<AppState>, viewer: Viewer) -> PageResult {
    if let Some(page) = signed_out(&viewer) {
        return page;
    }
    let data = state
        .as_actor(viewer.identity.clone(), |conn, _, actor| match actor {
            Actor::Participant(p) => service::participants::data_of(conn, actor, &p.board_id, &p.id),
            Actor::User(_) | Actor::System => Err(AppError::forbidden(
                "This is a participant's own data; staff download it from the participants page.",
            )),
        })
        .await?;
    Ok(data_file(&data))
}

/// Personal data as a JSON download that no browser or proxy keeps.
pub(super) fn data_file(data: &serde_json::Value) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .insert_header((actix_web::http::header::CONTENT_TYPE, "application/json"))
        .insert_header((actix_web::http::header::CONTENT_DISPOSITION, "attachment; filename=\"my-data.json\""))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(serde_json::to_string_pretty(data).unwrap_or_default())
}

/// The signed-out page at an address of its own, for links from elsewhere (the staff sign-in).
async fn link_help(viewer: Viewer) -> PageResult {
    signed_out_page(&viewer)
}

#[derive(Deserialize)]
struct LinkRequest {
    email: String,
}

/// "Email me my link": the same answer whether or not the address is known; limited per
/// client address here and per participant in the outbox.
async fn send_my_link(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: CsrfForm<LinkRequest>,
) -> PageResult {
    let ip = state.client_ip(&req);
    if state.link_limiter.check_key(&ip).is_err() {
        return Err(AppError::TooManyRequests.into());
    }
    let CsrfForm(LinkRequest { email }, sent) = form;
    let (ctx, typed) = (state.ctx.clone(), email.clone());
    if let Err(e) = state.db.run(move |conn| notifications::send_my_link(conn, &ctx, &typed)).await {
        return again(e, &sent, async { signed_out_page(&viewer) }).await;
    }
    viewer.render("participant/link_sent", "Check your email", &json!({"email": email.trim()}))
}

async fn board_home(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    view_as: web::Query<ViewAs>,
) -> PageResult {
    if let Some(page) = signed_out(&viewer) {
        return page;
    }
    let board_id = board.into_inner();
    let view_as = view_as.into_inner().participant.filter(|p| !p.is_empty());
    let home = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| match (actor, view_as) {
            (Actor::User(_), Some(p)) => pages::participant_home_as(conn, ctx, actor, &board_id, &p).map(Ok),
            (Actor::User(_), None) => Ok(Err(format!("/boards/{board_id}"))),
            (actor, _) => match welcome_first(actor) {
                Some(to) => {
                    access(conn, actor, &board_id)?;
                    Ok(Err(to))
                }
                None => pages::participant_home(conn, ctx, actor, &board_id).map(Ok),
            },
        })
        .await?;
    match home {
        Ok(mut home) => {
            // On the page the stage open now comes first, then the closed ones, newest first
            // (the API keeps the board's order).
            home.stages.sort_by_key(|s| (s.phase != "open", std::cmp::Reverse(s.position)));
            viewer.render("participant/home", &home.board.title.clone(), &home)
        }
        Err(to) => Ok(redirect(&to)),
    }
}

async fn welcome(state: web::Data<AppState>, viewer: Viewer, board: web::Path<BoardId>) -> PageResult {
    let board_id = board.into_inner();
    let (board, consented, again, screen_name) = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            let acc = access(conn, actor, &board_id)?;
            let consented = matches!(actor, Actor::Participant(p) if p.consented_at.is_some());
            let again = service::participants::asked_again(conn, actor)?;
            let screen_name = match actor {
                Actor::Participant(p) => p.screen_name.clone(),
                _ => None,
            };
            Ok((service::views::BoardView::new(&acc.board, acc.standing), consented, again, screen_name))
        })
        .await?;
    viewer.render(
        "participant/welcome",
        &board.title.clone(),
        &json!({"board": board, "consented": consented, "again": again, "screen_name": screen_name}),
    )
}

async fn consent(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<ConsentInput>,
) -> PageResult {
    let board_id = board.into_inner();
    let CsrfForm(input, sent) = form;
    let id = board_id.clone();
    let result = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            access(conn, actor, &id)?;
            service::participants::give_consent(conn, ctx, actor, &input)
        })
        .await;
    match result {
        Ok(()) => Ok(redirect(&format!("/b/{board_id}"))),
        Err(e) => again(e, &sent, welcome(state, viewer, board_id.into())).await,
    }
}

async fn question(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    view_as: web::Query<ViewAs>,
) -> PageResult {
    if let Some(page) = signed_out(&viewer) {
        return page;
    }
    let ViewAs { participant: view_as, group, page, post } = view_as.into_inner();
    let view_as = view_as.filter(|p| !p.is_empty());
    let at = PageAt { page, post: post.filter(|p| !p.is_empty()) };
    if let Some(group) = group.filter(|g| !g.is_empty()) {
        let qid = q.into_inner();
        let (mut page, results) = state
            .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
                let results = votes::results_for_group(conn, actor, &qid, &group)?;
                Ok((pages::question_page(conn, ctx, actor, &qid, &at)?, (group, results)))
            })
            .await?;
        page.results = Some(results.1);
        let keep = query_prefix("group", &results.0);
        return question_html(&viewer, page, &keep, json!({"group": results.0}));
    }
    if let Some(p) = view_as {
        let qid = q.into_inner();
        let keep = query_prefix("as", &p);
        let page = state
            .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
                pages::question_page_as(conn, ctx, actor, &qid, &p, &at)
            })
            .await?;
        return question_html(&viewer, page, &keep, json!({}));
    }
    show_question(&state, &viewer, q.into_inner(), at, None, None).await
}

/// The question page; after a refused post it shows the reason and keeps the text typed.
async fn show_question(
    state: &AppState,
    viewer: &Viewer,
    question_id: QuestionId,
    at: PageAt,
    error: Option<&AppError>,
    draft: Option<PostInput>,
) -> PageResult {
    // Only the plain page is kept: not one with an error, a draft or a one-time notice.
    let keep = state.pages.enabled() && error.is_none() && draft.is_none() && viewer.notice.is_none();
    // The first look (`PageCache::first_look`) is a few indexed reads, on this thread where the
    // database allows (`Db::run_reads`); the page is made on the pool only when none is kept.
    let (cache, qid, look_at, identity, ctx) =
        (state.pages.clone(), question_id.clone(), at.clone(), viewer.identity.clone(), state.ctx.clone());
    let (actor, look) = state
        .db
        .run_reads(move |conn| match keep {
            true => cache.first_look(conn, &ctx, &identity, &qid, &look_at, false),
            false => Ok((identity.load(conn, &ctx)?, Look::Make(None))),
        })
        .await?;
    if let Some(to) = welcome_first(&actor) {
        return Ok(redirect(&to));
    }
    let kept_as = match look {
        Look::Kept(kept) => return Ok(session::html_page(kept.body(&viewer.csrf, viewer.form_token()))),
        Look::Make(kept_as) => kept_as,
    };
    let (ctx, reader) = (state.ctx.clone(), actor.clone());
    let page = state.db.run(move |conn| pages::question_page(conn, &ctx, &actor, &question_id, &at)).await?;
    if let Some((key, made)) = kept_as {
        let until = page.changes_at;
        let (csrf, form) = state.pages.marks();
        let html = question_page_html(&viewer.marked(csrf, form), page, "", json!({}))?;
        let kept = state.pages.put(key, made, until, reader, html);
        return Ok(session::html_page(kept.body(&viewer.csrf, viewer.form_token())));
    }
    let status = error.map(AppError::status);
    let extra = json!({
        "error": error.map(ToString::to_string),
        "draft": draft.as_ref().map(|d| &d.body_md),
        "draft_parent": draft.as_ref().and_then(|d| d.parent_id.clone()),
    });
    let mut res = question_html(viewer, page, "", extra)?;
    if let Some(status) = status {
        *res.status_mut() = status;
    }
    Ok(res)
}

/// `name=value&`, encoded, for page links to carry.
fn query_prefix(name: &str, value: &str) -> String {
    serde_urlencoded::to_string([(name, value)]).map(|q| q + "&").unwrap_or_default()
}

#[derive(Serialize)]
struct QuestionHtml {
    q: QuestionPage,
    posts_html: String,
    /// Links to the other pages of a long question; none when it fits on one.
    pager: Option<super::threads::Pager>,
    #[serde(flatten)]
    extra: serde_json::Value,
}

/// The question page as HTML; `extra` holds the fields of this view (a refused post's error
/// and draft, the group the results are of), `keep` the query its page links carry
/// (`as=…&`).
fn question_html(viewer: &Viewer, page: QuestionPage, keep: &str, extra: serde_json::Value) -> PageResult {
    Ok(session::html_page(question_page_html(viewer, page, keep, extra)?))
}

fn question_page_html(
    viewer: &Viewer,
    mut page: QuestionPage,
    keep: &str,
    extra: serde_json::Value,
) -> Result<String, AppError> {
    let mut title = format!("{} · {}", page.stage.title, page.board.title);
    if page.pages.count > 1 {
        title = format!("{title} (page {} of {})", page.pages.number, page.pages.count);
    }
    let posts_html = super::threads::posts_html(viewer, &mut page)?;
    let pager = super::threads::Pager::new(&page.question.id, &page.pages, keep);
    viewer.render_html("question", &title, &QuestionHtml { q: page, posts_html, pager, extra })
}

/// The answer and reply forms: the post, and the page's one-time token.
#[derive(Deserialize)]
struct PostForm {
    #[serde(flatten)]
    post: PostInput,
    form_token: Option<String>,
}

async fn post(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    form: CsrfForm<PostForm>,
) -> PageResult {
    let question_id = q.into_inner();
    let CsrfForm(PostForm { post: input, form_token }, sent) = form;
    let qid = question_id.clone();
    let keep = input.clone();
    // Sent twice (a double click, a retry after a lost answer): posted once.
    let key = session::form_key(form_token.as_deref(), &[&question_id, input.parent_id.as_deref().unwrap_or("")]);
    let result = state
        .writing_as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            crate::service::idempotency::once(conn, ctx, actor, key.as_deref(), "post.create", |conn| {
                posting::create_post(conn, ctx, actor, &qid, &input)
            })
        })
        .await;
    match result {
        Ok((post, _)) => {
            let reply = !post["parent_id"].is_null();
            session::notice(&viewer.session, if reply { "Your reply is posted." } else { "Your answer is posted." });
            Ok(redirect(&format!("/q/{question_id}?post={id}#post-{id}", id = post["id"].as_str().unwrap_or_default())))
        }
        // Refused where the form is not (the stage closed meanwhile, say): the page says why
        // and gives the text back to copy.
        Err(e @ AppError::Forbidden(_)) => {
            let at = PageAt { page: None, post: keep.parent_id.clone() };
            show_question(&state, &viewer, question_id, at, Some(&e), Some(keep)).await
        }
        // Otherwise back on the page of the post replied to, in the form it was written in.
        Err(e) => {
            let at = PageAt { page: None, post: keep.parent_id.clone() };
            again(e, &sent, show_question(&state, &viewer, question_id, at, None, None)).await
        }
    }
}

async fn edit_form(state: web::Data<AppState>, viewer: Viewer, p: web::Path<PostId>) -> PageResult {
    let post_id = p.into_inner();
    let history = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| posting::post_history(conn, actor, &post_id))
        .await?;
    if !history.post.is_yours {
        return Err(PageError(AppError::forbidden("Only the author can edit a post.")));
    }
    viewer.render("participant/edit", "Edit your post", &history)
}

#[derive(Deserialize)]
struct EditForm {
    body_md: String,
}

async fn edit(
    state: web::Data<AppState>,
    viewer: Viewer,
    p: web::Path<PostId>,
    form: CsrfForm<EditForm>,
) -> PageResult {
    let post_id = p.into_inner();
    let (CsrfForm(EditForm { body_md: body }, sent), id) = (form, post_id.clone());
    let post = match state
        .writing_as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            posting::edit_post(conn, ctx, actor, &id, &body)
        })
        .await
    {
        Ok(post) => post,
        Err(e) => return again(e, &sent, edit_form(state, viewer, post_id.into())).await,
    };
    session::notice(&viewer.session, "Your changes are saved; the earlier wording is kept in the history.");
    Ok(redirect(&format!("/q/{}?post={id}#post-{id}", post.question_id, id = post.id)))
}

async fn history(state: web::Data<AppState>, viewer: Viewer, p: web::Path<PostId>) -> PageResult {
    let post_id = p.into_inner();
    let history = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| posting::post_history(conn, actor, &post_id))
        .await?;
    viewer.render("participant/history", "Post history", &history)
}

async fn agree(
    state: web::Data<AppState>,
    viewer: Viewer,
    p: web::Path<PostId>,
    _f: CsrfForm<super::session::NoFields>,
) -> PageResult {
    let post_id = p.into_inner();
    let post = state
        .writing_as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            posting::toggle_agree(conn, ctx, actor, &post_id)
        })
        .await?;
    Ok(redirect(&format!("/q/{}?post={id}#post-{id}", post.question_id, id = post.id)))
}

async fn vote(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    form: CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let qid = q.into_inner();
    let CsrfForm(fields, sent) = form;
    let q2 = qid.clone();
    let result = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            votes::vote_from_form(conn, ctx, actor, &q2, &fields)
        })
        .await;
    match result {
        Ok(_) => {
            session::notice(&viewer.session, "Your vote is saved. You can change it while the stage is open.");
            Ok(redirect(&format!("/q/{qid}")))
        }
        Err(e @ AppError::Forbidden(_)) => show_question(&state, &viewer, qid, PageAt::default(), Some(&e), None).await,
        Err(e) => again(e, &sent, show_question(&state, &viewer, qid, PageAt::default(), None, None)).await,
    }
}

/// The question page a post is on, as a GET shows it, for a refused form of that post
/// (a probe, hiding it) to be shown on again.
pub(super) async fn page_of_post(state: web::Data<AppState>, viewer: Viewer, post_id: PostId) -> PageResult {
    let id = post_id.clone();
    let question_id = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            Ok(posting::post_history(conn, actor, &id)?.post.question_id)
        })
        .await?;
    show_question(&state, &viewer, question_id, PageAt { page: None, post: Some(post_id) }, None, None).await
}

/// The question page as a GET shows it, for a refused form on it to be shown again.
pub(super) async fn page_of_question(
    state: web::Data<AppState>,
    viewer: Viewer,
    question_id: QuestionId,
) -> PageResult {
    show_question(&state, &viewer, question_id, PageAt::default(), None, None).await
}
