//! The API operations tagged "posts". Posts: answering, replying, editing, agreeing, votes and images.

use crate::domain::ids::{ImageId, PostId, QuestionId};
use crate::service::pages::QuestionPage;
use crate::service::posting::{self, PostHistory, PostInput};
use crate::service::views::PostView;
use crate::service::votes;
use crate::web::api::common::{json, once_response, Bearer, IdempotencyKey};
use crate::web::errors::ApiResult;
use crate::web::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::web::api::images::{api_serve, api_upload, AltQuery};

type State = web::Data<AppState>;

#[utoipa::path(
    post,
    path = "/api/v1/questions/{question}/posts",
    tag = "posts",
    params(
        (
            "Idempotency-Key" = Option<String>,
            Header,
            description = "A key of your choosing: a retry with the same key gets the first answer instead of doing it again",
        ),
        ("question" = String, Path),
    ),
    request_body = PostInput,
    responses(
        (status = 201, body = PostView),
        (status = 403, description = "Stage closed, or the asker may not post"),
        (status = 409, description = "Already answered"),
    ),
    security(("bearer" = [])),
)]
pub async fn create_post(
    state: State,
    bearer: Bearer,
    key: IdempotencyKey,
    id: web::Path<QuestionId>,
    body: web::Json<PostInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let action = "post.create";
    let done = bearer
        .write_once(&state, key, action, move |conn, ctx, actor| posting::create_post(conn, ctx, actor, &id, &input))
        .await?;
    Ok(once_response(StatusCode::CREATED, done))
}

#[derive(Deserialize, ToSchema)]
pub struct EditInput {
    pub body_md: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/posts/{post}",
    tag = "posts",
    params(("post" = String, Path)),
    request_body = EditInput,
    responses((status = 200, body = PostView)),
    security(("bearer" = [])),
)]
pub async fn edit_post(
    state: State,
    bearer: Bearer,
    id: web::Path<PostId>,
    body: web::Json<EditInput>,
) -> ApiResult<HttpResponse> {
    let (id, text) = (id.into_inner(), body.into_inner().body_md);
    bearer.write(&state, move |conn, ctx, actor| posting::edit_post(conn, ctx, actor, &id, &text)).await.map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/posts/{post}/history",
    tag = "posts",
    params(("post" = String, Path)),
    responses((status = 200, body = PostHistory)),
    security(("bearer" = [])),
)]
pub async fn post_history(state: State, bearer: Bearer, id: web::Path<PostId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| posting::post_history(conn, actor, &id)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{post}/agree",
    tag = "posts",
    params(("post" = String, Path)),
    responses((status = 200, body = PostView, description = "Agreement added, or taken back if it was there")),
    security(("bearer" = [])),
)]
pub async fn agree(state: State, bearer: Bearer, id: web::Path<PostId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.write(&state, move |conn, ctx, actor| posting::toggle_agree(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/questions/{question}/vote",
    tag = "posts",
    params(
        (
            "Idempotency-Key" = Option<String>,
            Header,
            description = "A key of your choosing: a retry with the same key gets the first answer instead of doing it again",
        ),
        ("question" = String, Path),
    ),
    request_body = votes::VoteInput,
    responses(
        (status = 200, body = QuestionPage),
        (status = 422, description = "The answer does not fit the question"),
    ),
    security(("bearer" = [])),
)]
pub async fn vote(
    state: State,
    bearer: Bearer,
    key: IdempotencyKey,
    id: web::Path<QuestionId>,
    body: web::Json<votes::VoteInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let done = bearer
        .run_once(&state, key, "vote", move |conn, ctx, actor| votes::vote(conn, ctx, actor, &id, &input))
        .await?;
    Ok(once_response(StatusCode::OK, done))
}

#[utoipa::path(
    get,
    path = "/api/v1/questions/{question}/votes",
    tag = "posts",
    params(("question" = String, Path)),
    responses((status = 200, body = [votes::VoteRecord], description = "Every vote, changed ones included, for staff")),
    security(("bearer" = [])),
)]
pub async fn vote_history(state: State, bearer: Bearer, id: web::Path<QuestionId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| votes::vote_history(conn, actor, &id)).await.map(json)
}

#[derive(Deserialize, IntoParams)]
pub struct GroupQuery {
    pub group: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/questions/{question}/results",
    tag = "posts",
    params(("question" = String, Path), GroupQuery),
    responses(
        (status = 200, body = crate::domain::polls::Results, description = "Results counting only this group's votes"),
    ),
    security(("bearer" = [])),
)]
pub async fn results_by_group(
    state: State,
    bearer: Bearer,
    id: web::Path<QuestionId>,
    q: web::Query<GroupQuery>,
) -> ApiResult<HttpResponse> {
    let (id, group) = (id.into_inner(), q.into_inner().group);
    bearer.run(&state, move |conn, _, actor| votes::results_for_group(conn, actor, &id, &group)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/questions/{question}/images",
    tag = "posts",
    params(("question" = String, Path), AltQuery),
    request_body(content = Vec<u8>, content_type = "image/png", description = "A PNG, JPEG, WebP or GIF file"),
    responses(
        (status = 201, body = crate::service::images::ImageView),
        (status = 422, description = "Not an accepted image, or too large"),
    ),
    security(("bearer" = [])),
)]
pub async fn question_image(
    state: State,
    bearer: Bearer,
    id: web::Path<QuestionId>,
    q: web::Query<AltQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    api_upload(&state, bearer, "question", id.into_inner().into_string(), q.into_inner(), payload).await
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{post}/images",
    tag = "posts",
    params(("post" = String, Path), AltQuery),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses(
        (status = 201, body = crate::service::images::ImageView),
        (status = 403, description = "Not the author, or the question takes no images"),
    ),
    security(("bearer" = [])),
)]
pub async fn post_image(
    state: State,
    bearer: Bearer,
    id: web::Path<PostId>,
    q: web::Query<AltQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    api_upload(&state, bearer, "post", id.into_inner().into_string(), q.into_inner(), payload).await
}

#[utoipa::path(
    get,
    path = "/api/v1/images/{image}",
    tag = "posts",
    params(("image" = String, Path)),
    responses((status = 200, description = "The image"), (status = 404)),
    security(("bearer" = [])),
)]
pub async fn get_image(state: State, bearer: Bearer, id: web::Path<ImageId>) -> ApiResult<HttpResponse> {
    api_serve(&state, bearer, id.into_inner(), false).await
}

#[utoipa::path(
    get,
    path = "/api/v1/images/{image}/thumb",
    tag = "posts",
    params(("image" = String, Path)),
    responses((status = 200, description = "The thumbnail"), (status = 404)),
    security(("bearer" = [])),
)]
pub async fn get_thumb(state: State, bearer: Bearer, id: web::Path<ImageId>) -> ApiResult<HttpResponse> {
    api_serve(&state, bearer, id.into_inner(), true).await
}
