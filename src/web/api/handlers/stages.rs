//! The API operations tagged "stages". Stages: creating, editing, releasing, reopening.

use crate::domain::ids::{BoardId, StageId};
use crate::service::schedule::{self, WorkingDaysInput};
use crate::service::stages::{self, StageInput};
use crate::service::views::StageView;
use crate::web::api::common::{created, json, Bearer};
use crate::web::errors::ApiResult;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

use crate::web::api::images::{api_upload, AltQuery};

type State = web::Data<AppState>;

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/stages",
    tag = "stages",
    params(("board" = String, Path)),
    request_body = StageInput,
    responses((status = 201, body = StageView)),
    security(("bearer" = [])),
)]
pub async fn create_stage(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<StageInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| stages::create_stage(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(
    get,
    path = "/api/v1/stages/{stage}",
    tag = "stages",
    params(("stage" = String, Path)),
    responses((status = 200, body = StageView)),
    security(("bearer" = [])),
)]
pub async fn get_stage(state: State, bearer: Bearer, id: web::Path<StageId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| stages::stage_detail(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(
    patch,
    path = "/api/v1/stages/{stage}",
    tag = "stages",
    params(("stage" = String, Path)),
    request_body = StageInput,
    responses((status = 200, body = StageView)),
    security(("bearer" = [])),
)]
pub async fn update_stage(
    state: State,
    bearer: Bearer,
    id: web::Path<StageId>,
    body: web::Json<StageInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| stages::update_stage(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/stages/{stage}/release",
    tag = "stages",
    params(("stage" = String, Path)),
    responses((status = 200, body = StageView), (status = 409, description = "Already released")),
    security(("bearer" = [])),
)]
pub async fn release_stage(state: State, bearer: Bearer, id: web::Path<StageId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| stages::release_now(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/stages/{stage}/reopen",
    tag = "stages",
    params(("stage" = String, Path)),
    responses((status = 200, body = StageView)),
    security(("bearer" = [])),
)]
pub async fn reopen(state: State, bearer: Bearer, id: web::Path<StageId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| stages::reopen(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/stages/{stage}/images",
    tag = "stages",
    params(("stage" = String, Path), AltQuery),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 201, body = crate::service::images::ImageView)),
    security(("bearer" = [])),
)]
pub async fn stage_image(
    state: State,
    bearer: Bearer,
    id: web::Path<StageId>,
    q: web::Query<AltQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    api_upload(&state, bearer, "stage", id.into_inner().into_string(), q.into_inner(), payload).await
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Scheduled {
    pub scheduled: usize,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/schedule",
    tag = "stages",
    params(("board" = String, Path)),
    request_body = WorkingDaysInput,
    responses((status = 200, body = Scheduled)),
    security(("bearer" = [])),
)]
/// Schedules every unreleased stage every N working days at HH:MM from a date (weekends and
/// the board's holidays skipped, in its time zone), each closing after M working days.
pub async fn schedule_stages(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<WorkingDaysInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let scheduled = bearer
        .run(&state, move |conn, ctx, actor| schedule::schedule_working_days(conn, ctx, actor, &id, &input))
        .await?;
    Ok(json(Scheduled { scheduled }))
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/pause",
    tag = "stages",
    params(("board" = String, Path)),
    responses((status = 204, description = "Paused: no releases and no reminders until resumed")),
    security(("bearer" = [])),
)]
pub async fn pause_board(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| schedule::pause(conn, ctx, actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(serde::Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct ResumeInput {
    /// Move the releases and closes still to come on by the working days the board was paused.
    pub shift: bool,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Resumed {
    pub shifted_working_days: u32,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/resume",
    tag = "stages",
    params(("board" = String, Path)),
    request_body = ResumeInput,
    responses((status = 200, body = Resumed)),
    security(("bearer" = [])),
)]
pub async fn resume_board(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<ResumeInput>,
) -> ApiResult<HttpResponse> {
    let (id, shift) = (id.into_inner(), body.into_inner().shift);
    let shifted_working_days =
        bearer.run(&state, move |conn, ctx, actor| schedule::resume(conn, ctx, actor, &id, shift)).await?;
    Ok(json(Resumed { shifted_working_days }))
}
