//! The staff's search page: words across every reply, probe and summary of a board, filtered,
//! with the matched words marked; from it, auto-coding every hit, and undoing that.

use super::errors::PageResult;
use super::refill::again;
use super::session::{self, redirect, CsrfForm, NoFields, Viewer};
use super::state::AppState;
use crate::domain::ids::BoardId;
use crate::service::search::{self, AutoCodeInput, SearchInput};
use actix_web::web;
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/boards/{board}/search", web::get().to(search_page))
        .route("/boards/{board}/search/code", web::post().to(auto_code))
        .route("/boards/{board}/autocodings/{batch}/undo", web::post().to(undo));
}

/// The search's own query, for links to other pages of results and for the auto-coding form.
fn query_of(input: &SearchInput) -> Vec<(String, String)> {
    let fields = [
        ("q", &input.q),
        ("stage", &input.stage),
        ("question", &input.question),
        ("attribute", &input.attribute),
        ("value", &input.value),
        ("group", &input.group),
        ("code", &input.code),
    ];
    fields
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.trim().is_empty()).map(|v| (k.to_string(), v.to_string())))
        .collect()
}

#[derive(Deserialize, Default)]
struct Shown {
    /// An auto-coding just made, offered for undoing.
    batch: Option<String>,
    done: Option<usize>,
}

async fn search_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    input: web::Query<SearchInput>,
    shown: web::Query<Shown>,
) -> PageResult {
    let (board_id, input) = (board.into_inner(), input.into_inner());
    let query = query_of(&input);
    let i = input.clone();
    let page = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| search::search_page(conn, actor, &board_id, &i))
        .await?;
    let link = |page: usize| {
        let mut q = query.clone();
        q.push(("page".into(), page.to_string()));
        serde_urlencoded::to_string(&q).unwrap_or_default()
    };
    let r = &page.results;
    let prev = (r.page > 1).then(|| link(r.page - 1));
    let next = (r.page < r.pages).then(|| link(r.page + 1));
    let fields: Vec<_> = query.iter().map(|(n, v)| json!({"name": n, "value": v})).collect();
    let shown = shown.into_inner();
    viewer.render(
        "analyst/search",
        "Search",
        &json!({"s": page, "input": input, "prev": prev, "next": next, "fields": fields,
                "batch": shown.batch, "done": shown.done}),
    )
}

async fn auto_code(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<AutoCodeInput>,
) -> PageResult {
    let board_id = board.into_inner();
    let CsrfForm(input, sent) = form;
    let query = query_of(&input.search);
    let (b, i) = (board_id.clone(), input.clone());
    let done = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| search::auto_code(conn, ctx, actor, &b, &i))
        .await;
    match done {
        Ok(result) => {
            session::notice(
                &viewer.session,
                format!(
                    "Coded {} {} with “{}”.",
                    result.codings_added,
                    if result.codings_added == 1 { "reply" } else { "replies" },
                    result.code
                ),
            );
            let mut q = query;
            q.push(("batch".into(), result.batch_id));
            q.push(("done".into(), result.codings_added.to_string()));
            Ok(redirect(&format!("/boards/{board_id}/search?{}", serde_urlencoded::to_string(&q).unwrap_or_default())))
        }
        Err(e) => {
            let page = search_page(
                state,
                viewer,
                web::Path::from(board_id),
                web::Query(input.search.clone()),
                web::Query(Shown::default()),
            );
            again(e, &sent, page).await
        }
    }
}

async fn undo(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<(BoardId, String)>,
    _form: CsrfForm<NoFields>,
) -> PageResult {
    let (board_id, batch) = path.into_inner();
    let b = board_id.clone();
    let n = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| search::undo_auto_code(conn, ctx, actor, &b, &batch))
        .await?;
    session::notice(&viewer.session, format!("The auto-coding is undone: {n} codings removed."));
    Ok(redirect(&format!("/boards/{board_id}/search")))
}
