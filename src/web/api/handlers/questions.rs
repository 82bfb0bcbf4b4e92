//! The API operations tagged "questions". Questions: writing, moving, deleting, reading.

use crate::domain::ids::{QuestionId, StageId};
use crate::error::AppError;
use crate::service::pages::{self, PageAt, QuestionPage};
use crate::service::stages::{self, QuestionInput};
use crate::service::views::QuestionView;
use crate::web::api::common::{created, json, Bearer};
use crate::web::errors::ApiResult;
use crate::web::page_cache::{Look, View};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

type State = web::Data<AppState>;

#[utoipa::path(
    post,
    path = "/api/v1/stages/{stage}/questions",
    tag = "questions",
    params(("stage" = String, Path)),
    request_body = QuestionInput,
    responses((status = 201, body = QuestionView)),
    security(("bearer" = [])),
)]
pub async fn add_question(
    state: State,
    bearer: Bearer,
    id: web::Path<StageId>,
    body: web::Json<QuestionInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| stages::add_question(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(
    get,
    path = "/api/v1/questions/{question}",
    tag = "questions",
    params(("question" = String, Path), PageAt),
    responses((
        status = 200,
        body = QuestionPage,
        description = "One page (50 posts) of the replies the asker may read, with the question"
    )),
    security(("bearer" = [])),
)]
pub async fn get_question(
    state: State,
    bearer: Bearer,
    id: web::Path<QuestionId>,
    at: web::Query<PageAt>,
) -> ApiResult<HttpResponse> {
    let (id, at) = (id.into_inner(), at.into_inner());
    // As the HTML page (`participant::show_question`): the first look, then the page made only
    // when none is kept.
    let (cache, view) = (state.pages.clone(), View::question(&id, &at, true));
    let (actor, look) = bearer
        .read_checked_at(&state, id.clone(), move |conn, ctx, identity, version| {
            cache.first_look_at(conn, ctx, &identity, view, version)
        })
        .await?;
    let kept_as = match look {
        Look::Kept(kept) => return Ok(HttpResponse::Ok().content_type(mime::APPLICATION_JSON).body(kept.body("", ""))),
        Look::Make(kept_as) => kept_as,
    };
    let reader = actor.clone();
    let ctx = state.ctx.clone();
    let page = state.db.run(move |conn| pages::question_page(conn, &ctx, &actor, &id, &at)).await?;
    let Some((key, made)) = kept_as else { return Ok(json(page)) };
    let until = page.changes_at;
    let bytes = serde_json::to_string(&page).map_err(|e| AppError::Internal(e.into()))?;
    let body = state.pages.put(key, made, until, reader, bytes).body("", "");
    Ok(HttpResponse::Ok().content_type(mime::APPLICATION_JSON).body(body))
}

#[utoipa::path(
    patch,
    path = "/api/v1/questions/{question}",
    tag = "questions",
    params(("question" = String, Path)),
    request_body = QuestionInput,
    responses((status = 200, body = QuestionView)),
    security(("bearer" = [])),
)]
pub async fn update_question(
    state: State,
    bearer: Bearer,
    id: web::Path<QuestionId>,
    body: web::Json<QuestionInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| stages::update_question(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(
    delete,
    path = "/api/v1/questions/{question}",
    tag = "questions",
    params(("question" = String, Path)),
    responses((status = 204), (status = 409, description = "Released or answered")),
    security(("bearer" = [])),
)]
pub async fn delete_question(state: State, bearer: Bearer, id: web::Path<QuestionId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| stages::delete_question(conn, ctx, actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct MoveInput {
    /// up or down.
    pub direction: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/questions/{question}/move",
    tag = "questions",
    params(("question" = String, Path)),
    request_body = MoveInput,
    responses((status = 204)),
    security(("bearer" = [])),
)]
pub async fn move_question(
    state: State,
    bearer: Bearer,
    id: web::Path<QuestionId>,
    body: web::Json<MoveInput>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let up = match body.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::invalid("direction must be \"up\" or \"down\".").into()),
    };
    bearer.run(&state, move |conn, ctx, actor| stages::move_question(conn, ctx, actor, &id, up)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct StageTarget {
    pub stage_id: StageId,
}

#[utoipa::path(
    post,
    path = "/api/v1/questions/{question}/stage",
    tag = "questions",
    params(("question" = String, Path)),
    request_body = StageTarget,
    responses((status = 204), (status = 409, description = "A stage is already released")),
    security(("bearer" = [])),
)]
pub async fn move_to_stage(
    state: State,
    bearer: Bearer,
    id: web::Path<QuestionId>,
    body: web::Json<StageTarget>,
) -> ApiResult<HttpResponse> {
    let (id, stage) = (id.into_inner(), body.into_inner().stage_id);
    bearer.run(&state, move |conn, ctx, actor| stages::move_question_to_stage(conn, ctx, actor, &id, &stage)).await?;
    Ok(HttpResponse::NoContent().finish())
}
