//! The API operations tagged "moderation". Moderation: probes, hiding, answers on behalf, notes, summaries, grid, audit.

use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId, StageId};
use crate::error::AppError;
use crate::service::audit::{self, AuditView};
use crate::service::grid::{self, Grid, GridFilter};
use crate::service::moderation::{self, HideInput, NoteInput, NoteView, OnBehalfInput, OpenProbe, ProbeInput};
use crate::service::pages::{self, PageAt, ParticipantHome, QuestionPage};
use crate::service::summaries::{self, SummaryInput};
use crate::service::views::PostView;
use crate::service::views::SummaryView;
use crate::web::api::common::{created, csv_download, json, once_response, Bearer, IdempotencyKey};
use crate::web::errors::ApiResult;
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

type State = web::Data<AppState>;

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/audit",
    tag = "moderation",
    params(("board" = String, Path)),
    responses((status = 200, body = [AuditView]), (status = 403)),
    security(("bearer" = [])),
)]
pub async fn audit_log(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| audit::log(conn, actor, &id)).await.map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/grid",
    tag = "moderation",
    params(
        ("board" = String, Path),
        GridFilter,
        ("format" = Option<String>, Query, description = "csv for a download"),
    ),
    responses((status = 200, body = Grid)),
    security(("bearer" = [])),
)]
pub async fn grid(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    filter: web::Query<GridFilter>,
    req: actix_web::HttpRequest,
) -> ApiResult<HttpResponse> {
    let (id, mut filter) = (id.into_inner(), filter.into_inner());
    let csv = req.query_string().split('&').any(|kv| kv == "format=csv");
    if csv {
        // A download has every row the filter keeps.
        filter.page = None;
    }
    let grid = bearer.run(&state, move |conn, ctx, actor| grid::grid(conn, ctx, actor, &id, &filter)).await?;
    if csv {
        return Ok(csv_download(&grid::to_csv(&grid)?, "participation.csv"));
    }
    Ok(json(grid))
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/probes",
    tag = "moderation",
    params(("board" = String, Path)),
    responses((status = 200, body = [OpenProbe], description = "Probes waiting for an answer")),
    security(("bearer" = [])),
)]
pub async fn awaiting_probes(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| moderation::awaiting_probes(conn, actor, &id)).await.map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/notes",
    tag = "moderation",
    params(("board" = String, Path)),
    responses((status = 200, body = [NoteView])),
    security(("bearer" = [])),
)]
pub async fn list_notes(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| moderation::notes(conn, actor, &id, None)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/notes",
    tag = "moderation",
    params(("board" = String, Path)),
    request_body = NoteInput,
    responses((status = 201, body = NoteView)),
    security(("bearer" = [])),
)]
pub async fn add_note(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<NoteInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| moderation::add_note(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/participants/{participant}/home",
    tag = "moderation",
    params(("board" = String, Path), ("participant" = String, Path)),
    responses(
        (status = 200, body = ParticipantHome, description = "The board home exactly as this participant sees it"),
    ),
    security(("bearer" = [])),
)]
pub async fn home_as(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, ParticipantId)>,
) -> ApiResult<HttpResponse> {
    let (board, participant) = path.into_inner();
    bearer
        .run(&state, move |conn, ctx, actor| pages::participant_home_as(conn, ctx, actor, &board, &participant))
        .await
        .map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/questions/{question}/as/{participant}",
    tag = "moderation",
    params(("question" = String, Path), ("participant" = String, Path), PageAt),
    responses((status = 200, body = QuestionPage, description = "The question exactly as this participant sees it")),
    security(("bearer" = [])),
)]
pub async fn question_as(
    state: State,
    bearer: Bearer,
    path: web::Path<(QuestionId, ParticipantId)>,
    at: web::Query<PageAt>,
) -> ApiResult<HttpResponse> {
    let (question, participant) = path.into_inner();
    let at = at.into_inner();
    bearer
        .run(&state, move |conn, ctx, actor| pages::question_page_as(conn, ctx, actor, &question, &participant, &at))
        .await
        .map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/questions/{question}/on-behalf",
    tag = "moderation",
    params(
        (
            "Idempotency-Key" = Option<String>,
            Header,
            description = "A key of your choosing: a retry with the same key gets the first answer instead of doing it again",
        ),
        ("question" = String, Path),
    ),
    request_body = OnBehalfInput,
    responses((status = 201, body = PostView), (status = 409, description = "Already answered")),
    security(("bearer" = [])),
)]
pub async fn on_behalf(
    state: State,
    bearer: Bearer,
    key: IdempotencyKey,
    id: web::Path<QuestionId>,
    body: web::Json<OnBehalfInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let done = bearer
        .run_once(&state, key, "post.on_behalf", move |conn, ctx, actor| {
            moderation::record_on_behalf(conn, ctx, actor, &id, &input)
        })
        .await?;
    Ok(once_response(StatusCode::CREATED, done))
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{post}/probe",
    tag = "moderation",
    params(("post" = String, Path)),
    request_body = ProbeInput,
    responses((status = 201, body = PostView)),
    security(("bearer" = [])),
)]
pub async fn probe(
    state: State,
    bearer: Bearer,
    id: web::Path<PostId>,
    body: web::Json<ProbeInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| moderation::probe(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{post}/hide",
    tag = "moderation",
    params(("post" = String, Path)),
    request_body = HideInput,
    responses((status = 200, body = PostView)),
    security(("bearer" = [])),
)]
pub async fn hide(
    state: State,
    bearer: Bearer,
    id: web::Path<PostId>,
    body: web::Json<HideInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer
        .run(&state, move |conn, ctx, actor| moderation::set_hidden(conn, ctx, actor, &id, true, &input))
        .await
        .map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{post}/restore",
    tag = "moderation",
    params(("post" = String, Path)),
    responses((status = 200, body = PostView)),
    security(("bearer" = [])),
)]
pub async fn restore(state: State, bearer: Bearer, id: web::Path<PostId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer
        .run(&state, move |conn, ctx, actor| {
            moderation::set_hidden(conn, ctx, actor, &id, false, &HideInput::default())
        })
        .await
        .map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/stages/{stage}/summary",
    tag = "moderation",
    params(("stage" = String, Path)),
    responses((status = 200, body = SummaryView), (status = 404, description = "No summary yet")),
    security(("bearer" = [])),
)]
pub async fn get_summary(state: State, bearer: Bearer, id: web::Path<StageId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let s = bearer.run(&state, move |conn, _, actor| summaries::of_stage(conn, actor, &id)).await?;
    Ok(json(s.ok_or_else(|| AppError::NotFound("This stage has no summary yet.".into()))?))
}

#[utoipa::path(
    put,
    path = "/api/v1/stages/{stage}/summary",
    tag = "moderation",
    params(("stage" = String, Path)),
    request_body = SummaryInput,
    responses((status = 200, body = SummaryView)),
    security(("bearer" = [])),
)]
pub async fn save_summary(
    state: State,
    bearer: Bearer,
    id: web::Path<StageId>,
    body: web::Json<SummaryInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| summaries::save(conn, ctx, actor, &id, &input)).await.map(json)
}
