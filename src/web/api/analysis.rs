//! The analysts' API: the codebook, coding, memos, the report's counts and exports.

use super::common::{created, json, read_body, Bearer};
use crate::domain::ids::{BoardId, CodeId, ExcerptId, PostId, QuestionId};
use crate::export::ExportOptions;
use crate::service::analysis::{
    self, CodeInput, CodeView, CodingFilter, CodingInput, CodingPage, ExcerptView, ImportResult, MemoInput, MemoView,
    Report,
};
use crate::web::analyst::{export_job, file_response, FormatQuery};
use crate::web::errors::ApiResult;
use crate::web::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

type State = web::Data<AppState>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/boards/{board}/codes", web::get().to(list_codes))
        .route("/boards/{board}/codes", web::post().to(add_code))
        .route("/boards/{board}/codebook/template", web::post().to(apply_template))
        .route("/boards/{board}/codebook/import", web::post().to(import_codebook))
        .route("/boards/{board}/project/import", web::post().to(import_project))
        .route("/boards/{board}/search", web::get().to(search))
        .route("/boards/{board}/search/code", web::post().to(auto_code))
        .route("/boards/{board}/autocodings/{batch}", web::delete().to(undo_auto_code))
        .route("/boards/{board}/report", web::get().to(report))
        .route("/boards/{board}/export", web::get().to(export))
        .route("/codes/{code}", web::put().to(update_code))
        .route("/codes/{code}", web::delete().to(delete_code))
        .route("/codes/{code}/memos", web::post().to(add_code_memo))
        .route("/questions/{question}/coding", web::get().to(coding))
        .route("/posts/{post}/codings", web::post().to(code_post))
        .route("/posts/{post}/memos", web::post().to(add_post_memo))
        .route("/codings/{coding}", web::delete().to(remove_coding))
        .route("/excerpts/{excerpt}/quote", web::put().to(set_quote))
        .route("/memos/{memo}", web::delete().to(delete_memo));
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/codes",
    tag = "analysis",
    params(("board" = String, Path)),
    responses((status = 200, body = Vec<CodeView>, description = "The codebook in tree order")),
    security(("bearer" = [])),
)]
pub async fn list_codes(state: State, bearer: Bearer, id: web::Path<BoardId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| analysis::codebook(conn, actor, &id)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/codes",
    tag = "analysis",
    params(("board" = String, Path)),
    request_body = CodeInput,
    responses((status = 201, body = CodeView), (status = 409, description = "A code of that name exists")),
    security(("bearer" = [])),
)]
pub async fn add_code(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<CodeInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| analysis::add_code(conn, ctx, actor, &id, &input)).await.map(created)
}

#[derive(Deserialize, ToSchema)]
pub struct TemplateInput {
    /// value-creation or four-pillars.
    pub template: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/codebook/template",
    tag = "analysis",
    params(("board" = String, Path)),
    request_body = TemplateInput,
    responses((status = 200, body = ImportResult)),
    security(("bearer" = [])),
)]
pub async fn apply_template(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<TemplateInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer
        .run(&state, move |conn, ctx, actor| analysis::apply_template(conn, ctx, actor, &id, &input.template))
        .await
        .map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/codebook/import",
    tag = "analysis",
    params(("board" = String, Path)),
    request_body(content = String, content_type = "application/xml", description = "A REFI-QDA codebook (.qdc)"),
    responses((status = 200, body = ImportResult), (status = 422, description = "Not a readable codebook")),
    security(("bearer" = [])),
)]
pub async fn import_codebook(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload, state.settings.max_body_bytes).await?;
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| analysis::import_qdc(conn, ctx, actor, &id, &body)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/project/import",
    tag = "analysis",
    params(("board" = String, Path)),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A REFI-QDA project (.qdpx), as its bytes"),
    responses((status = 200, body = analysis::ProjectImport)),
    security(("bearer" = [])),
)]
/// Brings the codes, codings and memos of a REFI-QDA project exported from this board (and
/// coded elsewhere) back onto its replies.
pub async fn import_project(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload, state.settings.max_body_bytes).await?;
    let id = id.into_inner();
    bearer.run(&state, move |conn, ctx, actor| analysis::import_project(conn, ctx, actor, &id, &body)).await.map(json)
}

#[utoipa::path(
    put,
    path = "/api/v1/codes/{code}",
    tag = "analysis",
    params(("code" = String, Path)),
    request_body = CodeInput,
    responses((status = 200, body = CodeView)),
    security(("bearer" = [])),
)]
pub async fn update_code(
    state: State,
    bearer: Bearer,
    id: web::Path<CodeId>,
    body: web::Json<CodeInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, _, actor| analysis::update_code(conn, actor, &id, &input)).await.map(json)
}

#[utoipa::path(
    delete,
    path = "/api/v1/codes/{code}",
    tag = "analysis",
    params(("code" = String, Path)),
    responses((status = 204, description = "Deleted with its sub-codes, codings and memos")),
    security(("bearer" = [])),
)]
pub async fn delete_code(state: State, bearer: Bearer, id: web::Path<CodeId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| analysis::delete_code(conn, actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post,
    path = "/api/v1/codes/{code}/memos",
    tag = "analysis",
    params(("code" = String, Path)),
    request_body = MemoInput,
    responses((status = 201, body = MemoView)),
    security(("bearer" = [])),
)]
pub async fn add_code_memo(
    state: State,
    bearer: Bearer,
    id: web::Path<CodeId>,
    body: web::Json<MemoInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer
        .run(&state, move |conn, ctx, actor| analysis::add_code_memo(conn, ctx, actor, &id, &input))
        .await
        .map(created)
}

#[utoipa::path(
    get,
    path = "/api/v1/questions/{question}/coding",
    tag = "analysis",
    params(("question" = String, Path), CodingFilter),
    responses((status = 200, body = CodingPage, description = "Every reply with its excerpts, codings and memos")),
    security(("bearer" = [])),
)]
pub async fn coding(
    state: State,
    bearer: Bearer,
    id: web::Path<QuestionId>,
    filter: web::Query<CodingFilter>,
) -> ApiResult<HttpResponse> {
    let (id, filter) = (id.into_inner(), filter.into_inner());
    bearer.run(&state, move |conn, _, actor| analysis::coding_page(conn, actor, &id, &filter)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{post}/codings",
    tag = "analysis",
    params(("post" = String, Path)),
    request_body = CodingInput,
    responses(
        (status = 201, body = ExcerptView),
        (status = 409, description = "The selection no longer matches the reply's text"),
    ),
    security(("bearer" = [])),
)]
pub async fn code_post(
    state: State,
    bearer: Bearer,
    id: web::Path<PostId>,
    body: web::Json<CodingInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer.run(&state, move |conn, ctx, actor| analysis::code_post(conn, ctx, actor, &id, &input)).await.map(created)
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{post}/memos",
    tag = "analysis",
    params(("post" = String, Path)),
    request_body = MemoInput,
    responses((status = 201, body = MemoView)),
    security(("bearer" = [])),
)]
pub async fn add_post_memo(
    state: State,
    bearer: Bearer,
    id: web::Path<PostId>,
    body: web::Json<MemoInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer
        .run(&state, move |conn, ctx, actor| analysis::add_post_memo(conn, ctx, actor, &id, &input))
        .await
        .map(created)
}

#[utoipa::path(
    delete,
    path = "/api/v1/codings/{coding}",
    tag = "analysis",
    params(("coding" = String, Path)),
    responses((status = 204, description = "Removed")),
    security(("bearer" = [])),
)]
pub async fn remove_coding(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| analysis::remove_coding(conn, actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct QuoteInput {
    pub quote: bool,
}

#[utoipa::path(
    put,
    path = "/api/v1/excerpts/{excerpt}/quote",
    tag = "analysis",
    params(("excerpt" = String, Path)),
    request_body = QuoteInput,
    responses((status = 204, description = "Saved")),
    security(("bearer" = [])),
)]
pub async fn set_quote(
    state: State,
    bearer: Bearer,
    id: web::Path<ExcerptId>,
    body: web::Json<QuoteInput>,
) -> ApiResult<HttpResponse> {
    let (id, quote) = (id.into_inner(), body.quote);
    bearer.run(&state, move |conn, _, actor| analysis::set_quote(conn, actor, &id, quote)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    delete,
    path = "/api/v1/memos/{memo}",
    tag = "analysis",
    params(("memo" = String, Path)),
    responses((status = 204, description = "Deleted")),
    security(("bearer" = [])),
)]
pub async fn delete_memo(state: State, bearer: Bearer, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    bearer.run(&state, move |conn, _, actor| analysis::delete_memo(conn, actor, &id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
pub struct ReportQuery {
    /// A participant attribute to break the code counts down by.
    pub by: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/report",
    tag = "analysis",
    params(("board" = String, Path), ReportQuery),
    responses((status = 200, body = Report)),
    security(("bearer" = [])),
)]
pub async fn report(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    q: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let (id, by) = (id.into_inner(), q.into_inner().by);
    bearer.run(&state, move |conn, ctx, actor| analysis::report(conn, ctx, actor, &id, by.as_deref())).await.map(json)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/export",
    tag = "analysis",
    params(("board" = String, Path), FormatQuery, ExportOptions),
    responses(
        (status = 200, description = "The export file, as a download"),
        (status = 403, description = "Only analysts, moderators and administrators export"),
        (status = 422, description = "Unknown format"),
    ),
    security(("bearer" = [])),
)]
pub async fn export(
    state: State,
    bearer: Bearer,
    req: HttpRequest,
    id: web::Path<BoardId>,
    format: web::Query<FormatQuery>,
    options: web::Query<ExportOptions>,
) -> ApiResult<HttpResponse> {
    let format = format.format()?;
    let (file, title) = bearer.run(&state, export_job(id.into_inner(), format, options.into_inner())).await?;
    Ok(file_response(&req, file, format, &title)?)
}

#[utoipa::path(
    get,
    path = "/api/v1/boards/{board}/search",
    tag = "analysis",
    params(("board" = String, Path), crate::service::search::SearchInput),
    responses((status = 200, body = crate::service::search::SearchResults)),
    security(("bearer" = [])),
)]
/// Full-text search of a board's replies, probes and summaries (staff), twenty hits a page.
pub async fn search(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    input: web::Query<crate::service::search::SearchInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), input.into_inner());
    bearer.run(&state, move |conn, _, actor| crate::service::search::search(conn, actor, &id, &input)).await.map(json)
}

#[utoipa::path(
    post,
    path = "/api/v1/boards/{board}/search/code",
    tag = "analysis",
    params(("board" = String, Path)),
    request_body = crate::service::search::AutoCodeInput,
    responses((status = 200, body = crate::service::search::AutoCodeResult)),
    security(("bearer" = [])),
)]
/// Codes every reply a search finds with one code, as one action that can be undone.
pub async fn auto_code(
    state: State,
    bearer: Bearer,
    id: web::Path<BoardId>,
    body: web::Json<crate::service::search::AutoCodeInput>,
) -> ApiResult<HttpResponse> {
    let (id, input) = (id.into_inner(), body.into_inner());
    bearer
        .run(&state, move |conn, ctx, actor| crate::service::search::auto_code(conn, ctx, actor, &id, &input))
        .await
        .map(json)
}

#[utoipa::path(
    delete,
    path = "/api/v1/boards/{board}/autocodings/{batch}",
    tag = "analysis",
    params(("board" = String, Path), ("batch" = String, Path)),
    responses((status = 204, description = "The auto-coding's codings are removed")),
    security(("bearer" = [])),
)]
/// Undoes an auto-coding.
pub async fn undo_auto_code(
    state: State,
    bearer: Bearer,
    path: web::Path<(BoardId, String)>,
) -> ApiResult<HttpResponse> {
    let (id, batch) = path.into_inner();
    bearer
        .run(&state, move |conn, ctx, actor| crate::service::search::undo_auto_code(conn, ctx, actor, &id, &batch))
        .await
        .map(|_| HttpResponse::NoContent().finish())
}
