//! The API operations tagged "account". Who the token belongs to, consent, email preferences, tokens.

use crate::domain::ids::BoardId;
use crate::error::AppError;
use crate::service::accounts::{self, NewToken, TokenView};
use crate::service::Actor;
use crate::web::api::common::{created, json, Bearer};
use crate::web::errors::ApiResult;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type State = web::Data<AppState>;

/// Who the token belongs to.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// user or participant.
    pub kind: String,
    pub id: String,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    /// For a participant: their board.
    pub board_id: Option<BoardId>,
    pub consented: Option<bool>,
    pub screen_name: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "account",
    responses((status = 200, body = Me), (status = 401, description = "No or unknown token")),
    security(("bearer" = [])),
)]
pub async fn me(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    bearer
        .run(&state, |_, _, actor| {
            Ok(match actor {
                Actor::User(u) => Me {
                    kind: "user".into(),
                    id: u.id.to_string(),
                    name: u.name.clone(),
                    email: u.email.clone(),
                    is_admin: u.is_admin,
                    board_id: None,
                    consented: None,
                    screen_name: None,
                },
                Actor::Participant(p) => Me {
                    kind: "participant".into(),
                    id: p.id.to_string(),
                    name: p.name.clone(),
                    email: p.email.clone(),
                    is_admin: false,
                    board_id: Some(p.board_id.clone()),
                    consented: Some(p.consented_at.is_some()),
                    screen_name: p.screen_name.clone(),
                },
                Actor::System => return Err(AppError::forbidden("The command line has no API identity.")),
            })
        })
        .await
        .map(json)
}

#[derive(Deserialize, ToSchema)]
pub struct LinkTokenInput {
    /// The last part of the participant's personal sign-in link (`/p/<token>`).
    pub token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/participant",
    tag = "account",
    request_body = LinkTokenInput,
    responses((status = 201, body = NewToken), (status = 410, description = "Link replaced or expired")),
)]
pub async fn participant_token(state: State, body: web::Json<LinkTokenInput>) -> ApiResult<HttpResponse> {
    let ctx = state.ctx.clone();
    let token = body.into_inner().token;
    let t = state.db.run(move |conn| accounts::participant_token(conn, &ctx, &token)).await?;
    Ok(created(t))
}

#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "account",
    responses((status = 200, body = [TokenView])),
    security(("bearer" = [])),
)]
pub async fn list_tokens(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    bearer.run(&state, |conn, ctx, actor| accounts::list_tokens(conn, ctx, actor.user()?)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "account",
    request_body = accounts::TokenInput,
    responses(
        (status = 201, body = NewToken),
        (status = 403, description = "Tokens are made from the signed-in account page, never with another token"),
    ),
    security(("bearer" = [])),
)]
pub async fn create_token(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    // Checked so that a stranger still gets 401; a valid token gets the refusal.
    bearer.run(&state, |_, _, _| Ok(())).await?;
    Err(AppError::forbidden(
        "Tokens are created on the account page, by a signed-in person; a token cannot create another.",
    )
    .into())
}

#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{token}",
    tag = "account",
    params(("token" = String, Path)),
    responses((status = 204)),
    security(("bearer" = [])),
)]
pub async fn revoke_token(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| accounts::revoke_token(conn, ctx, actor.user()?, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
