//! The API operations tagged "boards". Boards: creating, settings, the overview, staff.

use crate::domain::ids::BoardId;
use crate::service::boards::{self, BoardInput, BoardOverview, MemberInput, MemberView};
use crate::service::views::BoardView;
use crate::web::api::common::{created, json, Bearer};
use crate::web::errors::ApiResult;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};

type State = web::Data<AppState>;

#[utoipa::path(
    get,
    path = "/api/v1/boards",
    tag = "boards",
    responses((status = 200, body = [BoardView])),
    security(("bearer" = [])),
)]
pub async fn list_boards(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    bearer.run(&state, |conn, _, actor| boards::list_boards(conn, actor)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards",
    tag = "boards",
    request_body = BoardInput,
    responses((status = 201, body = BoardView), (status = 422, description = "Invalid settings")),
    security(("bearer" = [])),
)]
pub async fn create_board(state: State, bearer: Bearer, body: web::Json<BoardInput>) -> ApiResult<HttpResponse> {
    let input = body.into_inner();
    bearer.run(&state, move |conn, ctx, actor| boards::create_board(conn, ctx, actor, &input)).await.map(created)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}",
    tag = "boards",
    params(("board" = String, Path)),
    responses((status = 200, body = BoardView), (status = 404)),
    security(("bearer" = [])),
)]
pub async fn get_board(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| boards::get_board(conn, actor, &id)).await.map(json)
}

#[utoipa::path(
    patch,
    path = "/api/v1/boards/{board}",
    tag = "boards",
    params(("board" = String, Path)),
    request_body = BoardInput,
    responses((status = 200, body = BoardView), (status = 403), (status = 404)),
    security(("bearer" = [])),
)]
pub async fn update_board(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<BoardInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| boards::update_board(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/overview",
    tag = "boards",
    params(("board" = String, Path)),
    responses((status = 200, body = BoardOverview)),
    security(("bearer" = [])),
)]
pub async fn overview(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| boards::overview(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(
    put,
    path = "/api/v1/boards/{board}/members",
    tag = "boards",
    params(("board" = String, Path)),
    request_body = MemberInput,
    responses((status = 200, body = MemberView)),
    security(("bearer" = [])),
)]
pub async fn set_member(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<MemberInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| boards::set_member(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(
    delete,
    path = "/api/v1/boards/{board}/members/{email}",
    tag = "boards",
    params(("board" = String, Path), ("email" = String, Path)),
    responses(
        (status = 204, description = "The role is taken away"),
        (status = 409, description = "The board's last moderator"),
    ),
    security(("bearer" = [])),
)]
pub async fn remove_member(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, String)>,
) -> ApiResult<HttpResponse> {
    let (id, email) = path.into_inner();
    bearer.run(&state, move |conn, ctx, actor| boards::remove_member(conn, ctx, actor, &id, &email)).await?;
    Ok(HttpResponse::NoContent().finish())
}
