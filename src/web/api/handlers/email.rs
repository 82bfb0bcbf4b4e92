//! The API operations tagged "email". Email: invitations, the delivery list, resending.

use crate::domain::email_texts::EditableEmail;
use crate::domain::ids::{BoardId, PostId};
use crate::error::AppError;
use crate::service::email_texts::{self, Preview, WordingInput, WordingView};
use crate::service::inbound::{self, UnmatchedView};
use crate::service::notifications::{self, DeliveryFilter, DeliveryView};
use crate::service::Actor;
use crate::web::api::common::{json, Bearer};
use crate::web::errors::ApiResult;
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type State = web::Data<AppState>;

/// How many messages an action queued.
#[derive(Serialize, ToSchema)]
pub struct Queued {
    pub queued: usize,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/invitations",
    tag = "email",
    params(("board" = String, Path)),
    responses(
        (
            status = 200,
            body = Queued,
            description = "Invitations queued for everyone whose current link was not yet sent",
        ),
    ),
    security(("bearer" = [])),
)]
pub async fn send_invitations(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let queued =
        bearer.run(&state, move |conn, ctx, actor| notifications::send_invitations(conn, ctx, actor, &id)).await?;
    Ok(json(Queued { queued }))
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/emails",
    tag = "email",
    params(("board" = String, Path), DeliveryFilter),
    responses((status = 200, body = [DeliveryView])),
    security(("bearer" = [])),
)]
pub async fn list_emails(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    filter: web::Query<DeliveryFilter>,
) -> ApiResult<HttpResponse> {
    let (id, filter) = (id.into_inner(), filter.into_inner());
    bearer.run(&state, move |conn, _, actor| notifications::deliveries(conn, actor, &id, &filter)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/emails/resend-failed",
    tag = "email",
    params(("board" = String, Path)),
    responses((status = 200, body = Queued)),
    security(("bearer" = [])),
)]
pub async fn resend_failed(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let queued =
        bearer.run(&state, move |conn, ctx, actor| notifications::resend_failed(conn, ctx, actor, &id, None)).await?;
    Ok(json(Queued { queued }))
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/emails/{message}/resend",
    tag = "email",
    params(("board" = String, Path), ("message" = String, Path)),
    responses((status = 200, body = Queued), (status = 409, description = "Not a failed message of this board")),
    security(("bearer" = [])),
)]
pub async fn resend_message(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, String)>,
) -> ApiResult<HttpResponse> {
    let (board, message) = path.into_inner();
    let queued = bearer
        .run(&state, move |conn, ctx, actor| notifications::resend_failed(conn, ctx, actor, &board, Some(&message)))
        .await?;
    Ok(json(Queued { queued }))
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/email-texts",
    tag = "email",
    params(("board" = String, Path)),
    responses((status = 200, body = [WordingView], description = "Each email the board words, as worded now")),
    security(("bearer" = [])),
)]
pub async fn list_wordings(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| email_texts::wordings(conn, actor, &id)).await.map(json)
}

#[utoipa::path(
    put,
    path = "/api/v1/boards/{board}/email-texts/{which}",
    tag = "email",
    params(("board" = String, Path), ("which" = EditableEmail, Path)),
    request_body = WordingInput,
    responses(
        (status = 200, body = [WordingView], description = "Kept; every email as worded now"),
        (status = 422, description = "An unknown placeholder, or one the email needs is missing"),
    ),
    security(("bearer" = [])),
)]
pub async fn save_wording(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, EditableEmail)>,
    body: web::Json<WordingInput>,
) -> ApiResult<HttpResponse> {
    let ((id, which), input) = (path.into_inner(), body.into_inner());
    bearer
        .run(&state, move |conn, ctx, actor| {
            email_texts::save(conn, ctx, actor, &id, which, &input)?;
            email_texts::wordings(conn, actor, &id)
        })
        .await
        .map(json)
}

#[utoipa::path(
    delete,
    path = "/api/v1/boards/{board}/email-texts/{which}",
    tag = "email",
    params(("board" = String, Path), ("which" = EditableEmail, Path)),
    responses((status = 204, description = "Back to the standard wording")),
    security(("bearer" = [])),
)]
pub async fn reset_wording(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, EditableEmail)>,
) -> ApiResult<HttpResponse> {
    let (id, which) = path.into_inner();
    bearer.run(&state, move |conn, ctx, actor| email_texts::reset(conn, ctx, actor, &id, which)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/email-texts/{which}/preview",
    tag = "email",
    params(("board" = String, Path), ("which" = EditableEmail, Path)),
    request_body = WordingInput,
    responses((status = 200, body = Preview, description = "The wording filled in for a sample participant; nothing kept")),
    security(("bearer" = [])),
)]
pub async fn preview_wording(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, EditableEmail)>,
    body: web::Json<WordingInput>,
) -> ApiResult<HttpResponse> {
    let ((id, which), input) = (path.into_inner(), body.into_inner());
    bearer
        .run(&state, move |conn, ctx, actor| email_texts::preview(conn, ctx, actor, &id, which, &input))
        .await
        .map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/email-texts/{which}/test",
    tag = "email",
    params(("board" = String, Path), ("which" = EditableEmail, Path)),
    request_body = WordingInput,
    responses((status = 200, body = Preview, description = "Sent to the asker's own address for a sample participant; nothing kept")),
    security(("bearer" = [])),
)]
pub async fn test_wording(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, EditableEmail)>,
    body: web::Json<WordingInput>,
) -> ApiResult<HttpResponse> {
    let ((id, which), input) = (path.into_inner(), body.into_inner());
    bearer
        .run(&state, move |conn, ctx, actor| email_texts::send_test(conn, ctx, actor, &id, which, &input))
        .await
        .map(json)
}

fn participant(actor: &Actor) -> crate::error::AppResult<&crate::db::models::Participant> {
    match actor {
        Actor::Participant(p) => Ok(p),
        Actor::User(_) | Actor::System => Err(AppError::forbidden("Email preferences belong to participants.")),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/me/email-preferences",
    tag = "email",
    responses((status = 200, body = notifications::Preferences)),
    security(("bearer" = [])),
)]
pub async fn email_preferences(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    bearer.run(&state, |conn, _, actor| notifications::preferences_of(conn, participant(actor)?)).await.map(json)
}

#[derive(Deserialize, ToSchema)]
pub struct PreferencesInput {
    /// The kinds to receive (stage_open, reminder, summary, closing); the rest are turned off.
    pub receive: Vec<String>,
    /// How to hear of replies: each, daily or off. Absent: "reply" in `receive` means each,
    /// "digest" daily, neither off.
    #[serde(default)]
    pub reply_notices: Option<String>,
}

#[utoipa::path(
    put,
    path = "/api/v1/me/email-preferences",
    tag = "email",
    request_body = PreferencesInput,
    responses((status = 200, body = notifications::Preferences)),
    security(("bearer" = [])),
)]
pub async fn set_email_preferences(
    state: State,
    bearer: Bearer,
    body: web::Json<PreferencesInput>,
) -> ApiResult<HttpResponse> {
    let input = body.into_inner();
    let (receive, notices) = (input.receive, input.reply_notices);
    bearer
        .run(&state, move |conn, _, actor| {
            let p = participant(actor)?;
            notifications::set_preferences_of(conn, p, &receive, notices.as_deref())?;
            let p = crate::db::participants::find(conn, &p.id)?.ok_or_else(AppError::not_found)?;
            notifications::preferences_of(conn, &p)
        })
        .await
        .map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/received",
    tag = "email",
    params(("board" = String, Path)),
    responses((status = 200, body = [UnmatchedView], description = "Replies by email waiting for a moderator")),
    security(("bearer" = [])),
)]
/// Replies by email that were not posted (unmatched mail), newest first.
pub async fn list_received(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| inbound::unmatched(conn, actor, &id)).await.map(json)
}

#[derive(Deserialize, ToSchema)]
pub struct AttachInput {
    pub participant_id: String,
    pub question_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct Attached {
    pub post_id: PostId,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/received/{mail}/attach",
    tag = "email",
    params(("board" = String, Path), ("mail" = String, Path)),
    request_body = AttachInput,
    responses((status = 200, body = Attached)),
    security(("bearer" = [])),
)]
/// Records a waiting reply by email as the participant's answer to the question, given by
/// email on the day it arrived.
pub async fn attach_received(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, String)>,
    body: web::Json<AttachInput>,
) -> ApiResult<HttpResponse> {
    let ((board, mail), input) = (path.into_inner(), body.into_inner());
    let post_id = bearer
        .run(&state, move |conn, ctx, actor| {
            inbound::attach(conn, ctx, actor, &board, &mail, &input.participant_id, &input.question_id)
        })
        .await?;
    Ok(json(Attached { post_id }))
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/received/{mail}/discard",
    tag = "email",
    params(("board" = String, Path), ("mail" = String, Path)),
    responses((status = 204, description = "Discarded: kept as such, never posted")),
    security(("bearer" = [])),
)]
pub async fn discard_received(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, String)>,
) -> ApiResult<HttpResponse> {
    let (board, mail) = path.into_inner();
    bearer.run(&state, move |conn, ctx, actor| inbound::discard(conn, ctx, actor, &board, &mail)).await?;
    Ok(HttpResponse::NoContent().finish())
}
