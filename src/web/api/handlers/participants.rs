//! The API operations tagged "participants". Participants: import, sign-in links, groups, their home.

use crate::domain::ids::{BoardId, ParticipantId};
use crate::error::AppError;
use crate::service::pages::{self, ParticipantHome};
use crate::service::participants::{self, ConsentInput, ImportReport, SignInLink};
use crate::service::views::ParticipantView;
use crate::service::withdrawal::{self, WithdrawalInput, WithdrawalReport};
use crate::web::api::common::{json, read_body, Bearer, IdempotencyKey};
use crate::web::errors::{problem_with, ApiResult};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

type State = web::Data<AppState>;

#[utoipa::path(
    post,
    path = "/api/v1/me/consent",
    tag = "participants",
    request_body = ConsentInput,
    responses((status = 204), (status = 422, description = "Consent not given or screen name unusable")),
    security(("bearer" = [])),
)]
pub async fn consent(state: State, bearer: Bearer, body: web::Json<ConsentInput>) -> ApiResult<HttpResponse> {
    let input = body.into_inner();
    bearer.run(&state, move |conn, ctx, actor| participants::give_consent(conn, ctx, actor, &input)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/home",
    tag = "participants",
    params(("board" = String, Path)),
    responses((status = 200, body = ParticipantHome)),
    security(("bearer" = [])),
)]
pub async fn home(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| pages::participant_home(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/participants",
    tag = "participants",
    params(("board" = String, Path)),
    responses((status = 200, body = [ParticipantView])),
    security(("bearer" = [])),
)]
pub async fn list_participants(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| participants::list(conn, ctx, actor, &id)).await.map(json)
}

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// false (default): only check the file and report; true: add every row, or none if any is bad.
    #[serde(default)]
    pub commit: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/participants/import",
    tag = "participants",
    params(
        (
            "Idempotency-Key" = Option<String>,
            Header,
            description = "A key of your choosing: a retry with the same key gets the first answer instead of doing it again",
        ),
        ("board" = String, Path),
        ImportQuery,
    ),
    request_body(
        content = String,
        content_type = "text/csv",
        description = "A header row with an email column, optionally name, and any attribute columns",
    ),
    responses(
        (status = 200, body = ImportReport, description = "Preview, or the import done"),
        (status = 422, body = ImportReport, description = "Rows with problems; nothing imported"),
        (status = 413),
    ),
    security(("bearer" = [])),
)]
pub async fn import_participants(
    state: State,
    bearer: Bearer,
    key: IdempotencyKey,
    id: web::Path<BoardId>,
    q: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload, state.settings.max_body_bytes).await?;
    let (id, commit) = (id.into_inner(), q.commit);
    let (report, _) = bearer
        .run_once(&state, key, "participants.import", move |conn, ctx, actor| {
            participants::import(conn, ctx, actor, &id, &body, commit)
        })
        .await?;
    let problems = report["errors"].as_array().map_or(0, Vec::len);
    if problems == 0 {
        return Ok(json(report));
    }
    // A problem document whose extension members carry the whole report.
    let why = AppError::invalid(format!("{problems} row(s) of the file have problems; nothing was imported."));
    let members = match report {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    Ok(problem_with(&why, members))
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/participants/{participant}/link",
    tag = "participants",
    params(("board" = String, Path), ("participant" = String, Path)),
    responses((status = 200, body = SignInLink)),
    security(("bearer" = [])),
)]
pub async fn reissue_link(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, ParticipantId)>,
) -> ApiResult<HttpResponse> {
    let (board, participant) = path.into_inner();
    bearer
        .run(&state, move |conn, ctx, actor| participants::reissue_link(conn, ctx, actor, &board, &participant))
        .await
        .map(json)
}

#[derive(Deserialize, ToSchema)]
pub struct GroupInput {
    /// The group's name; empty for none.
    pub group: String,
}

#[utoipa::path(
    put,
    path = "/api/v1/boards/{board}/participants/{participant}/group",
    tag = "participants",
    params(("board" = String, Path), ("participant" = String, Path)),
    request_body = GroupInput,
    responses((status = 200, body = ParticipantView)),
    security(("bearer" = [])),
)]
pub async fn set_group(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, ParticipantId)>,
    body: web::Json<GroupInput>,
) -> ApiResult<HttpResponse> {
    let (board, participant) = path.into_inner();
    let group = body.into_inner().group;
    bearer
        .run(&state, move |conn, ctx, actor| participants::set_group(conn, ctx, actor, &board, &participant, &group))
        .await
        .map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/participants/{participant}/withdrawal",
    tag = "participants",
    params(("board" = String, Path), ("participant" = String, Path)),
    request_body = WithdrawalInput,
    responses((status = 200, body = WithdrawalReport)),
    security(("bearer" = [])),
)]
/// Records a withdrawal the participant sent by email, telephone or in person: every email
/// to them stops, their link and sessions end, and the board's policy applies to what they wrote.
pub async fn record_withdrawal(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, ParticipantId)>,
    body: web::Json<WithdrawalInput>,
) -> ApiResult<HttpResponse> {
    let (board, participant) = path.into_inner();
    let input = body.into_inner();
    bearer
        .run(&state, move |conn, ctx, actor| {
            withdrawal::record_withdrawal(conn, ctx, actor, &board, &participant, &input)
        })
        .await
        .map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/participants/{participant}/erasure",
    tag = "participants",
    params(("board" = String, Path), ("participant" = String, Path)),
    request_body = WithdrawalInput,
    responses((status = 200, body = WithdrawalReport)),
    security(("bearer" = [])),
)]
/// Erases a participant (moderators and administrators): their identity, images and, by the
/// board's policy, what they wrote. A participant who had not withdrawn is withdrawn first, with
/// the source and day given.
pub async fn erase_participant(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, ParticipantId)>,
    body: web::Json<WithdrawalInput>,
) -> ApiResult<HttpResponse> {
    let (board, participant) = path.into_inner();
    let input = body.into_inner();
    bearer
        .run(&state, move |conn, ctx, actor| withdrawal::erase(conn, ctx, actor, &board, &participant, &input))
        .await
        .map(json)
}
