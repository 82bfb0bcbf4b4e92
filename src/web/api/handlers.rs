//! One handler per API operation; each is a call into `service` with the bearer's identity.

use super::{created, csv_download, json, once_response, read_body, Bearer, IdempotencyKey};
use crate::error::AppError;
use crate::service::accounts::{self, NewToken, TokenView};
use crate::service::audit::{self, AuditView};
use crate::service::boards::{self, BoardInput, BoardOverview, MemberInput, MemberView};
use crate::service::grid::{self, Grid, GridFilter};
use crate::service::moderation::{self, HideInput, NoteInput, NoteView, OnBehalfInput, OpenProbe, ProbeInput};
use crate::service::notifications::{self, DeliveryFilter, DeliveryView};
use crate::service::participants::{self, ConsentInput, ImportReport, SignInLink};
use crate::service::stages::{self, QuestionInput, StageInput};
use crate::service::summaries::{self, SummaryInput};
use crate::service::threads::{self, ParticipantHome, PostHistory, PostInput, QuestionPage};
use crate::service::views::SummaryView;
use crate::service::views::{BoardView, ParticipantView, PostView, QuestionView, StageView};
use crate::service::Actor;
use crate::web::errors::{problem_with, ApiResult};
use crate::web::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

type State = web::Data<AppState>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/me", web::get().to(me))
        .route("/me/consent", web::post().to(consent))
        .route("/me/email-preferences", web::get().to(email_preferences))
        .route("/me/email-preferences", web::put().to(set_email_preferences))
        .route("/auth/participant", web::post().to(participant_token))
        .route("/tokens", web::get().to(list_tokens))
        .route("/tokens", web::post().to(create_token))
        .route("/tokens/{token}", web::delete().to(revoke_token))
        .route("/boards", web::get().to(list_boards))
        .route("/boards", web::post().to(create_board))
        .route("/boards/{board}", web::get().to(get_board))
        .route("/boards/{board}", web::patch().to(update_board))
        .route("/boards/{board}/overview", web::get().to(overview))
        .route("/boards/{board}/home", web::get().to(home))
        .route("/boards/{board}/participants", web::get().to(list_participants))
        .route("/boards/{board}/participants/import", web::post().to(import_participants))
        .route("/boards/{board}/participants/{participant}/link", web::post().to(reissue_link))
        .route("/boards/{board}/members", web::put().to(set_member))
        .route("/boards/{board}/stages", web::post().to(create_stage))
        .route("/stages/{stage}", web::get().to(get_stage))
        .route("/stages/{stage}", web::patch().to(update_stage))
        .route("/stages/{stage}/release", web::post().to(release_stage))
        .route("/stages/{stage}/questions", web::post().to(add_question))
        .route("/questions/{question}", web::get().to(get_question))
        .route("/questions/{question}", web::patch().to(update_question))
        .route("/questions/{question}", web::delete().to(delete_question))
        .route("/questions/{question}/move", web::post().to(move_question))
        .route("/questions/{question}/posts", web::post().to(create_post))
        .route("/posts/{post}", web::patch().to(edit_post))
        .route("/posts/{post}/history", web::get().to(post_history))
        .route("/boards/{board}/invitations", web::post().to(send_invitations))
        .route("/boards/{board}/audit", web::get().to(audit_log))
        .route("/boards/{board}/grid", web::get().to(grid))
        .route("/boards/{board}/probes", web::get().to(awaiting_probes))
        .route("/boards/{board}/notes", web::get().to(list_notes))
        .route("/boards/{board}/notes", web::post().to(add_note))
        .route("/boards/{board}/participants/{participant}/home", web::get().to(home_as))
        .route("/boards/{board}/participants/{participant}/group", web::put().to(set_group))
        .route("/questions/{question}/as/{participant}", web::get().to(question_as))
        .route("/questions/{question}/on-behalf", web::post().to(on_behalf))
        .route("/questions/{question}/stage", web::post().to(move_to_stage))
        .route("/posts/{post}/probe", web::post().to(probe))
        .route("/posts/{post}/agree", web::post().to(agree))
        .route("/questions/{question}/vote", web::post().to(vote))
        .route("/questions/{question}/votes", web::get().to(vote_history))
        .route("/questions/{question}/results", web::get().to(results_by_group))
        .route("/questions/{question}/images", web::post().to(question_image))
        .route("/posts/{post}/images", web::post().to(post_image))
        .route("/stages/{stage}/images", web::post().to(stage_image))
        .route("/images/{image}", web::get().to(get_image))
        .route("/images/{image}/thumb", web::get().to(get_thumb))
        .route("/posts/{post}/hide", web::post().to(hide))
        .route("/posts/{post}/restore", web::post().to(restore))
        .route("/stages/{stage}/summary", web::get().to(get_summary))
        .route("/stages/{stage}/summary", web::put().to(save_summary))
        .route("/stages/{stage}/reopen", web::post().to(reopen))
        .route("/boards/{board}/emails", web::get().to(list_emails))
        .route("/boards/{board}/emails/resend-failed", web::post().to(resend_failed))
        .route("/boards/{board}/emails/{message}/resend", web::post().to(resend_message));
}

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
    pub board_id: Option<String>,
    pub consented: Option<bool>,
    pub screen_name: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/me", tag = "account", responses((status = 200, body = Me), (status = 401, description = "No or unknown token")), security(("bearer" = [])))]
pub async fn me(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    bearer
        .run(&state, |_, _, actor| {
            Ok(match actor {
                Actor::User(u) => Me {
                    kind: "user".into(),
                    id: u.id.clone(),
                    name: u.name.clone(),
                    email: u.email.clone(),
                    is_admin: u.is_admin,
                    board_id: None,
                    consented: None,
                    screen_name: None,
                },
                Actor::Participant(p) => Me {
                    kind: "participant".into(),
                    id: p.id.clone(),
                    name: p.name.clone(),
                    email: p.email.clone(),
                    is_admin: false,
                    board_id: Some(p.board_id.clone()),
                    consented: Some(p.consented_at.is_some()),
                    screen_name: p.screen_name.clone(),
                },
            })
        })
        .await
        .map(json)
}

#[utoipa::path(post, path = "/api/v1/me/consent", tag = "participants", request_body = ConsentInput, responses((status = 204), (status = 422, description = "Consent not given or screen name unusable")), security(("bearer" = [])))]
pub async fn consent(state: State, bearer: Bearer, body: web::Json<ConsentInput>) -> ApiResult<HttpResponse> {
    let input = body.into_inner();
    bearer.run(&state, move |conn, ctx, actor| participants::give_consent(conn, ctx, actor, &input)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct LinkTokenInput {
    /// The last part of the participant's personal sign-in link (`/p/<token>`).
    pub token: String,
}

#[utoipa::path(post, path = "/api/v1/auth/participant", tag = "account", request_body = LinkTokenInput, responses((status = 201, body = NewToken), (status = 410, description = "Link replaced or expired")))]
pub async fn participant_token(state: State, body: web::Json<LinkTokenInput>) -> ApiResult<HttpResponse> {
    let ctx = state.ctx.clone();
    let token = body.into_inner().token;
    let t = state.db.run(move |conn| accounts::participant_token(conn, &ctx, &token)).await?;
    Ok(created(t))
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "account", responses((status = 200, body = [TokenView])), security(("bearer" = [])))]
pub async fn list_tokens(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    bearer.run(&state, |conn, _, actor| accounts::list_tokens(conn, actor.user()?)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "account", request_body = accounts::TokenInput, responses((status = 201, body = NewToken), (status = 403, description = "Tokens are made from the signed-in account page, never with another token")), security(("bearer" = [])))]
pub async fn create_token(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    // Checked so that a stranger still gets 401; a valid token gets the refusal.
    bearer.run(&state, |_, _, _| Ok(())).await?;
    Err(AppError::forbidden("Tokens are created on the account page, by a signed-in person; a token cannot create another.").into())
}

#[utoipa::path(delete, path = "/api/v1/tokens/{token}", tag = "account", params(("token" = String, Path)), responses((status = 204)), security(("bearer" = [])))]
pub async fn revoke_token(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| accounts::revoke_token(conn, ctx, actor.user()?, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(get, path = "/api/v1/boards", tag = "boards", responses((status = 200, body = [BoardView])), security(("bearer" = [])))]
pub async fn list_boards(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    bearer.run(&state, |conn, _, actor| boards::list_boards(conn, actor)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/boards", tag = "boards", request_body = BoardInput, responses((status = 201, body = BoardView), (status = 422, description = "Invalid settings")), security(("bearer" = [])))]
pub async fn create_board(state: State, bearer: Bearer, body: web::Json<BoardInput>) -> ApiResult<HttpResponse> {
    let input = body.into_inner();
    bearer.run(&state, move |conn, ctx, actor| boards::create_board(conn, ctx, actor, &input)).await.map(created)
}

#[utoipa::path(get, path = "/api/v1/boards/{board}", tag = "boards", params(("board" = String, Path)), responses((status = 200, body = BoardView), (status = 404)), security(("bearer" = [])))]
pub async fn get_board(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| boards::get_board(conn, actor, &id)).await.map(json)
}

#[utoipa::path(patch, path = "/api/v1/boards/{board}", tag = "boards", params(("board" = String, Path)), request_body = BoardInput, responses((status = 200, body = BoardView), (status = 403), (status = 404)), security(("bearer" = [])))]
pub async fn update_board(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<BoardInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| boards::update_board(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/overview", tag = "boards", params(("board" = String, Path)), responses((status = 200, body = BoardOverview)), security(("bearer" = [])))]
pub async fn overview(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| boards::overview(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/home", tag = "participants", params(("board" = String, Path)), responses((status = 200, body = ParticipantHome)), security(("bearer" = [])))]
pub async fn home(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| threads::participant_home(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/participants", tag = "participants", params(("board" = String, Path)), responses((status = 200, body = [ParticipantView])), security(("bearer" = [])))]
pub async fn list_participants(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| participants::list(conn, ctx, actor, &id)).await.map(json)
}

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// false (default): only check the file and report; true: add every row, or none if any is bad.
    #[serde(default)]
    pub commit: bool,
}

#[utoipa::path(post, path = "/api/v1/boards/{board}/participants/import", tag = "participants", params(("Idempotency-Key" = Option<String>, Header, description = "A key of your choosing: a retry with the same key gets the first answer instead of doing it again"), ("board" = String, Path), ImportQuery),
    request_body(content = String, content_type = "text/csv", description = "A header row with an email column, optionally name, and any attribute columns"),
    responses((status = 200, body = ImportReport, description = "Preview, or the import done"), (status = 422, body = ImportReport, description = "Rows with problems; nothing imported"), (status = 413)),
    security(("bearer" = [])))]
pub async fn import_participants(
    state: State,
    bearer: Bearer,
    key: IdempotencyKey,
    id: web::Path<String>,
    q: web::Query<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload, state.settings.max_body_bytes).await?;
    let (id, commit) = (id.into_inner(), q.commit);
    let (report, _) = bearer.run_once(&state, key, "participants.import", move |conn, ctx, actor| participants::import(conn, ctx, actor, &id, &body, commit)).await?;
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

#[utoipa::path(post, path = "/api/v1/boards/{board}/participants/{participant}/link", tag = "participants", params(("board" = String, Path), ("participant" = String, Path)), responses((status = 200, body = SignInLink)), security(("bearer" = [])))]
pub async fn reissue_link(state: State, bearer: Bearer, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (board, participant) = path.into_inner();
    bearer.run(&state, move |conn, ctx, actor| participants::reissue_link(conn, ctx, actor, &board, &participant)).await.map(json)
}

#[utoipa::path(put, path = "/api/v1/boards/{board}/members", tag = "boards", params(("board" = String, Path)), request_body = MemberInput, responses((status = 200, body = MemberView)), security(("bearer" = [])))]
pub async fn set_member(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<MemberInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| boards::set_member(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/boards/{board}/stages", tag = "stages", params(("board" = String, Path)), request_body = StageInput, responses((status = 201, body = StageView)), security(("bearer" = [])))]
pub async fn create_stage(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<StageInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| stages::create_stage(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(get, path = "/api/v1/stages/{stage}", tag = "stages", params(("stage" = String, Path)), responses((status = 200, body = StageView)), security(("bearer" = [])))]
pub async fn get_stage(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| stages::stage_detail(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(patch, path = "/api/v1/stages/{stage}", tag = "stages", params(("stage" = String, Path)), request_body = StageInput, responses((status = 200, body = StageView)), security(("bearer" = [])))]
pub async fn update_stage(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<StageInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| stages::update_stage(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/stages/{stage}/release", tag = "stages", params(("stage" = String, Path)), responses((status = 200, body = StageView), (status = 409, description = "Already released")), security(("bearer" = [])))]
pub async fn release_stage(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| stages::release_now(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/stages/{stage}/questions", tag = "questions", params(("stage" = String, Path)), request_body = QuestionInput, responses((status = 201, body = QuestionView)), security(("bearer" = [])))]
pub async fn add_question(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<QuestionInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| stages::add_question(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(get, path = "/api/v1/questions/{question}", tag = "questions", params(("question" = String, Path)), responses((status = 200, body = QuestionPage, description = "The question with the replies the asker may read")), security(("bearer" = [])))]
pub async fn get_question(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| threads::question_page(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(patch, path = "/api/v1/questions/{question}", tag = "questions", params(("question" = String, Path)), request_body = QuestionInput, responses((status = 200, body = QuestionView)), security(("bearer" = [])))]
pub async fn update_question(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<QuestionInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| stages::update_question(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(delete, path = "/api/v1/questions/{question}", tag = "questions", params(("question" = String, Path)), responses((status = 204), (status = 409, description = "Released or answered")), security(("bearer" = [])))]
pub async fn delete_question(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| stages::delete_question(conn, ctx, actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct MoveInput {
    /// up or down.
    pub direction: String,
}

#[utoipa::path(post, path = "/api/v1/questions/{question}/move", tag = "questions", params(("question" = String, Path)), request_body = MoveInput, responses((status = 204)), security(("bearer" = [])))]
pub async fn move_question(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<MoveInput>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let up = match body.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::invalid("direction must be \"up\" or \"down\".").into()),
    };
    bearer.run(&state, move |conn, ctx, actor| stages::move_question(conn, ctx, actor, &id, up)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/questions/{question}/posts", tag = "posts", params(("Idempotency-Key" = Option<String>, Header, description = "A key of your choosing: a retry with the same key gets the first answer instead of doing it again"), ("question" = String, Path)), request_body = PostInput, responses((status = 201, body = PostView), (status = 403, description = "Stage closed, or the asker may not post"), (status = 409, description = "Already answered")), security(("bearer" = [])))]
pub async fn create_post(state: State, bearer: Bearer, key: IdempotencyKey, id: web::Path<String>, body: web::Json<PostInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let action = "post.create";
    let done = bearer.run_once(&state, key, action, move |conn, ctx, actor| threads::create_post(conn, ctx, actor, &id, &input)).await?;
    Ok(once_response(StatusCode::CREATED, done))
}

#[derive(Deserialize, ToSchema)]
pub struct EditInput {
    pub body_md: String,
}

#[utoipa::path(patch, path = "/api/v1/posts/{post}", tag = "posts", params(("post" = String, Path)), request_body = EditInput, responses((status = 200, body = PostView)), security(("bearer" = [])))]
pub async fn edit_post(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<EditInput>) -> ApiResult<HttpResponse> {
    let (id, text) = (id.into_inner(), body.into_inner().body_md);
    bearer.run(&state, move |conn, ctx, actor| threads::edit_post(conn, ctx, actor, &id, &text)).await.map(json)
}

#[utoipa::path(get, path = "/api/v1/posts/{post}/history", tag = "posts", params(("post" = String, Path)), responses((status = 200, body = PostHistory)), security(("bearer" = [])))]
pub async fn post_history(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| threads::post_history(conn, actor, &id)).await.map(json)
}

/// How many messages an action queued.
#[derive(Serialize, ToSchema)]
pub struct Queued {
    pub queued: usize,
}

#[utoipa::path(post, path = "/api/v1/boards/{board}/invitations", tag = "email", params(("board" = String, Path)), responses((status = 200, body = Queued, description = "Invitations queued for everyone whose current link was not yet sent")), security(("bearer" = [])))]
pub async fn send_invitations(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let queued = bearer.run(&state, move |conn, ctx, actor| notifications::send_invitations(conn, ctx, actor, &id)).await?;
    Ok(json(Queued { queued }))
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/emails", tag = "email", params(("board" = String, Path), DeliveryFilter), responses((status = 200, body = [DeliveryView])), security(("bearer" = [])))]
pub async fn list_emails(state: State, bearer: Bearer, id: web::Path<String>, filter: web::Query<DeliveryFilter>) -> ApiResult<HttpResponse> {
    let (id, filter) = (id.into_inner(), filter.into_inner());
    bearer.run(&state, move |conn, _, actor| notifications::deliveries(conn, actor, &id, &filter)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/boards/{board}/emails/resend-failed", tag = "email", params(("board" = String, Path)), responses((status = 200, body = Queued)), security(("bearer" = [])))]
pub async fn resend_failed(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let queued = bearer.run(&state, move |conn, ctx, actor| notifications::resend_failed(conn, ctx, actor, &id, None)).await?;
    Ok(json(Queued { queued }))
}

#[utoipa::path(post, path = "/api/v1/boards/{board}/emails/{message}/resend", tag = "email", params(("board" = String, Path), ("message" = String, Path)), responses((status = 200, body = Queued), (status = 409, description = "Not a failed message of this board")), security(("bearer" = [])))]
pub async fn resend_message(state: State, bearer: Bearer, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (board, message) = path.into_inner();
    let queued = bearer.run(&state, move |conn, ctx, actor| notifications::resend_failed(conn, ctx, actor, &board, Some(&message))).await?;
    Ok(json(Queued { queued }))
}

fn participant(actor: &Actor) -> crate::error::AppResult<&crate::db::models::Participant> {
    match actor {
        Actor::Participant(p) => Ok(p),
        Actor::User(_) => Err(AppError::forbidden("Email preferences belong to participants.")),
    }
}

#[utoipa::path(get, path = "/api/v1/me/email-preferences", tag = "email", responses((status = 200, body = notifications::Preferences)), security(("bearer" = [])))]
pub async fn email_preferences(state: State, bearer: Bearer) -> ApiResult<HttpResponse> {
    bearer.run(&state, |conn, _, actor| notifications::preferences_of(conn, participant(actor)?)).await.map(json)
}

#[derive(Deserialize, ToSchema)]
pub struct PreferencesInput {
    /// The kinds to receive (stage_open, reminder, reply, closing); the rest are turned off.
    pub receive: Vec<String>,
}

#[utoipa::path(put, path = "/api/v1/me/email-preferences", tag = "email", request_body = PreferencesInput, responses((status = 200, body = notifications::Preferences)), security(("bearer" = [])))]
pub async fn set_email_preferences(state: State, bearer: Bearer, body: web::Json<PreferencesInput>) -> ApiResult<HttpResponse> {
    let receive = body.into_inner().receive;
    bearer
        .run(&state, move |conn, _, actor| {
            let p = participant(actor)?;
            notifications::set_preferences_of(conn, p, &receive)?;
            let p = crate::db::participants::find(conn, &p.id)?.ok_or_else(AppError::not_found)?;
            notifications::preferences_of(conn, &p)
        })
        .await
        .map(json)
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/audit", tag = "moderation", params(("board" = String, Path)), responses((status = 200, body = [AuditView]), (status = 403)), security(("bearer" = [])))]
pub async fn audit_log(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| audit::log(conn, actor, &id)).await.map(json)
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/grid", tag = "moderation", params(("board" = String, Path), GridFilter, ("format" = Option<String>, Query, description = "csv for a download")), responses((status = 200, body = Grid)), security(("bearer" = [])))]
pub async fn grid(state: State, bearer: Bearer, id: web::Path<String>, filter: web::Query<GridFilter>, req: actix_web::HttpRequest) -> ApiResult<HttpResponse> {
    let (id, filter) = (id.into_inner(), filter.into_inner());
    let grid = bearer.run(&state, move |conn, ctx, actor| grid::grid(conn, ctx, actor, &id, &filter)).await?;
    if req.query_string().split('&').any(|kv| kv == "format=csv") {
        return Ok(csv_download(&grid::to_csv(&grid)?, "participation.csv"));
    }
    Ok(json(grid))
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/probes", tag = "moderation", params(("board" = String, Path)), responses((status = 200, body = [OpenProbe], description = "Probes waiting for an answer")), security(("bearer" = [])))]
pub async fn awaiting_probes(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| moderation::awaiting_probes(conn, actor, &id)).await.map(json)
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/notes", tag = "moderation", params(("board" = String, Path)), responses((status = 200, body = [NoteView])), security(("bearer" = [])))]
pub async fn list_notes(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| moderation::notes(conn, actor, &id, None)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/boards/{board}/notes", tag = "moderation", params(("board" = String, Path)), request_body = NoteInput, responses((status = 201, body = NoteView)), security(("bearer" = [])))]
pub async fn add_note(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<NoteInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| moderation::add_note(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(get, path = "/api/v1/boards/{board}/participants/{participant}/home", tag = "moderation", params(("board" = String, Path), ("participant" = String, Path)), responses((status = 200, body = ParticipantHome, description = "The board home exactly as this participant sees it")), security(("bearer" = [])))]
pub async fn home_as(state: State, bearer: Bearer, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (board, participant) = path.into_inner();
    bearer.run(&state, move |conn, ctx, actor| threads::participant_home_as(conn, ctx, actor, &board, &participant)).await.map(json)
}

#[utoipa::path(get, path = "/api/v1/questions/{question}/as/{participant}", tag = "moderation", params(("question" = String, Path), ("participant" = String, Path)), responses((status = 200, body = QuestionPage, description = "The question exactly as this participant sees it")), security(("bearer" = [])))]
pub async fn question_as(state: State, bearer: Bearer, path: web::Path<(String, String)>) -> ApiResult<HttpResponse> {
    let (question, participant) = path.into_inner();
    bearer.run(&state, move |conn, ctx, actor| threads::question_page_as(conn, ctx, actor, &question, &participant)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/questions/{question}/on-behalf", tag = "moderation", params(("Idempotency-Key" = Option<String>, Header, description = "A key of your choosing: a retry with the same key gets the first answer instead of doing it again"), ("question" = String, Path)), request_body = OnBehalfInput, responses((status = 201, body = PostView), (status = 409, description = "Already answered")), security(("bearer" = [])))]
pub async fn on_behalf(state: State, bearer: Bearer, key: IdempotencyKey, id: web::Path<String>, body: web::Json<OnBehalfInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let done = bearer.run_once(&state, key, "post.on_behalf", move |conn, ctx, actor| moderation::record_on_behalf(conn, ctx, actor, &id, &input)).await?;
    Ok(once_response(StatusCode::CREATED, done))
}

#[derive(Deserialize, ToSchema)]
pub struct StageTarget {
    pub stage_id: String,
}

#[utoipa::path(post, path = "/api/v1/questions/{question}/stage", tag = "questions", params(("question" = String, Path)), request_body = StageTarget, responses((status = 204), (status = 409, description = "A stage is already released")), security(("bearer" = [])))]
pub async fn move_to_stage(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<StageTarget>) -> ApiResult<HttpResponse> {
    let (id, stage) = (id.into_inner(), body.into_inner().stage_id);
    bearer.run(&state, move |conn, ctx, actor| stages::move_question_to_stage(conn, ctx, actor, &id, &stage)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(post, path = "/api/v1/posts/{post}/probe", tag = "moderation", params(("post" = String, Path)), request_body = ProbeInput, responses((status = 201, body = PostView)), security(("bearer" = [])))]
pub async fn probe(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<ProbeInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| moderation::probe(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(post, path = "/api/v1/posts/{post}/hide", tag = "moderation", params(("post" = String, Path)), request_body = HideInput, responses((status = 200, body = PostView)), security(("bearer" = [])))]
pub async fn hide(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<HideInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| moderation::set_hidden(conn, ctx, actor, &id, true, &input)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/posts/{post}/restore", tag = "moderation", params(("post" = String, Path)), responses((status = 200, body = PostView)), security(("bearer" = [])))]
pub async fn restore(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| moderation::set_hidden(conn, ctx, actor, &id, false, &HideInput::default())).await.map(json)
}

#[utoipa::path(get, path = "/api/v1/stages/{stage}/summary", tag = "moderation", params(("stage" = String, Path)), responses((status = 200, body = SummaryView), (status = 404, description = "No summary yet")), security(("bearer" = [])))]
pub async fn get_summary(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let s = bearer.run(&state, move |conn, _, actor| summaries::of_stage(conn, actor, &id)).await?;
    Ok(json(s.ok_or_else(|| AppError::NotFound("This stage has no summary yet.".into()))?))
}

#[utoipa::path(put, path = "/api/v1/stages/{stage}/summary", tag = "moderation", params(("stage" = String, Path)), request_body = SummaryInput, responses((status = 200, body = SummaryView)), security(("bearer" = [])))]
pub async fn save_summary(state: State, bearer: Bearer, id: web::Path<String>, body: web::Json<SummaryInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| summaries::save(conn, ctx, actor, &id, &input)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/stages/{stage}/reopen", tag = "stages", params(("stage" = String, Path)), responses((status = 200, body = StageView)), security(("bearer" = [])))]
pub async fn reopen(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| stages::reopen(conn, ctx, actor, &id)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/posts/{post}/agree", tag = "posts", params(("post" = String, Path)), responses((status = 200, body = PostView, description = "Agreement added, or taken back if it was there")), security(("bearer" = [])))]
pub async fn agree(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| threads::toggle_agree(conn, ctx, actor, &id)).await.map(json)
}

#[derive(Deserialize, ToSchema)]
pub struct GroupInput {
    /// The group's name; empty for none.
    pub group: String,
}

#[utoipa::path(put, path = "/api/v1/boards/{board}/participants/{participant}/group", tag = "participants", params(("board" = String, Path), ("participant" = String, Path)), request_body = GroupInput, responses((status = 200, body = ParticipantView)), security(("bearer" = [])))]
pub async fn set_group(state: State, bearer: Bearer, path: web::Path<(String, String)>, body: web::Json<GroupInput>) -> ApiResult<HttpResponse> {
    let (board, participant) = path.into_inner();
    let group = body.into_inner().group;
    bearer.run(&state, move |conn, ctx, actor| participants::set_group(conn, ctx, actor, &board, &participant, &group)).await.map(json)
}

#[utoipa::path(post, path = "/api/v1/questions/{question}/vote", tag = "posts", params(("Idempotency-Key" = Option<String>, Header, description = "A key of your choosing: a retry with the same key gets the first answer instead of doing it again"), ("question" = String, Path)), request_body = threads::VoteInput, responses((status = 200, body = QuestionPage), (status = 422, description = "The answer does not fit the question")), security(("bearer" = [])))]
pub async fn vote(state: State, bearer: Bearer, key: IdempotencyKey, id: web::Path<String>, body: web::Json<threads::VoteInput>) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    let done = bearer.run_once(&state, key, "vote", move |conn, ctx, actor| threads::vote(conn, ctx, actor, &id, &input)).await?;
    Ok(once_response(StatusCode::OK, done))
}

#[utoipa::path(get, path = "/api/v1/questions/{question}/votes", tag = "posts", params(("question" = String, Path)), responses((status = 200, body = [threads::VoteRecord], description = "Every vote, changed ones included, for staff")), security(("bearer" = [])))]
pub async fn vote_history(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| threads::vote_history(conn, actor, &id)).await.map(json)
}

#[derive(Deserialize, IntoParams)]
pub struct GroupQuery {
    pub group: String,
}

#[utoipa::path(get, path = "/api/v1/questions/{question}/results", tag = "posts", params(("question" = String, Path), GroupQuery), responses((status = 200, body = crate::domain::polls::Results, description = "Results counting only this group's votes")), security(("bearer" = [])))]
pub async fn results_by_group(state: State, bearer: Bearer, id: web::Path<String>, q: web::Query<GroupQuery>) -> ApiResult<HttpResponse> {
    let (id, group) = (id.into_inner(), q.into_inner().group);
    bearer.run(&state, move |conn, _, actor| threads::results_for_group(conn, actor, &id, &group)).await.map(json)
}

use super::images::{api_serve, api_upload, AltQuery};

#[utoipa::path(post, path = "/api/v1/questions/{question}/images", tag = "posts", params(("question" = String, Path), AltQuery), request_body(content = Vec<u8>, content_type = "image/png", description = "A PNG, JPEG, WebP or GIF file"), responses((status = 201, body = crate::service::images::ImageView), (status = 422, description = "Not an accepted image, or too large")), security(("bearer" = [])))]
pub async fn question_image(state: State, bearer: Bearer, id: web::Path<String>, q: web::Query<AltQuery>, payload: web::Payload) -> ApiResult<HttpResponse> {
    api_upload(&state, bearer, "question", id.into_inner(), q.into_inner(), payload).await
}

#[utoipa::path(post, path = "/api/v1/posts/{post}/images", tag = "posts", params(("post" = String, Path), AltQuery), request_body(content = Vec<u8>, content_type = "image/png"), responses((status = 201, body = crate::service::images::ImageView), (status = 403, description = "Not the author, or the question takes no images")), security(("bearer" = [])))]
pub async fn post_image(state: State, bearer: Bearer, id: web::Path<String>, q: web::Query<AltQuery>, payload: web::Payload) -> ApiResult<HttpResponse> {
    api_upload(&state, bearer, "post", id.into_inner(), q.into_inner(), payload).await
}

#[utoipa::path(get, path = "/api/v1/images/{image}", tag = "posts", params(("image" = String, Path)), responses((status = 200, description = "The image"), (status = 404)), security(("bearer" = [])))]
pub async fn get_image(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    api_serve(&state, bearer, id.into_inner(), false).await
}

#[utoipa::path(get, path = "/api/v1/images/{image}/thumb", tag = "posts", params(("image" = String, Path)), responses((status = 200, description = "The thumbnail"), (status = 404)), security(("bearer" = [])))]
pub async fn get_thumb(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    api_serve(&state, bearer, id.into_inner(), true).await
}

#[utoipa::path(post, path = "/api/v1/stages/{stage}/images", tag = "stages", params(("stage" = String, Path), AltQuery), request_body(content = Vec<u8>, content_type = "image/png"), responses((status = 201, body = crate::service::images::ImageView)), security(("bearer" = [])))]
pub async fn stage_image(state: State, bearer: Bearer, id: web::Path<String>, q: web::Query<AltQuery>, payload: web::Payload) -> ApiResult<HttpResponse> {
    api_upload(&state, bearer, "stage", id.into_inner(), q.into_inner(), payload).await
}
