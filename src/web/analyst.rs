//! The analysts' pages: the analysis home of a board, the codebook, coding a question's
//! replies, the printable report, and export downloads.

use super::errors::PageResult;
use super::page_cache::View;
use super::refill::{again, Sent};
use super::session::{self, redirect, CsrfForm, NoFields, Viewer};
use super::state::AppState;
use crate::domain::ids::{BoardId, CodeId, ExcerptId, PostId, QuestionId};
use crate::error::AppError;
use crate::export::{self, ExportOptions, Format};
use crate::service::analysis::{self, CodeInput, CodingFilter, CodingInput, MemoInput};
use crate::service::boards;
use actix_multipart::Multipart;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/boards/{board}/analysis", web::get().to(analysis_home))
        .route("/boards/{board}/codebook", web::get().to(codebook_page))
        .route("/boards/{board}/codes", web::post().to(add_code))
        .route("/boards/{board}/codebook/template", web::post().to(apply_template))
        .route("/boards/{board}/codebook/import", web::post().to(import_codebook))
        .route("/boards/{board}/report", web::get().to(report_page))
        .route("/boards/{board}/export", web::get().to(export_download))
        .route("/codes/{code}", web::post().to(update_code))
        .route("/codes/{code}/delete", web::post().to(delete_code))
        .route("/codes/{code}/memos", web::post().to(add_code_memo))
        .route("/q/{question}/coding", web::get().to(coding_page))
        .route("/posts/{post}/codings", web::post().to(code_post))
        .route("/posts/{post}/memos", web::post().to(add_post_memo))
        .route("/codings/{coding}/delete", web::post().to(remove_coding))
        .route("/excerpts/{excerpt}/quote", web::post().to(set_quote))
        .route("/memos/{memo}/delete", web::post().to(delete_memo));
}

/// A same-site path to go back to after a form, or `fallback`.
fn back_to(back: Option<&str>, fallback: String) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_string(),
        _ => fallback,
    }
}

/// The analysts' page `back` names (a coding page or the codebook), as a GET shows it: where a
/// refused coding or memo form is shown again.
async fn page_at(state: web::Data<AppState>, viewer: Viewer, back: &str) -> PageResult {
    let back = back.split('#').next().unwrap_or_default();
    let (path, query) = back.split_once('?').unwrap_or((back, ""));
    match path.trim_matches('/').split('/').collect::<Vec<_>>().as_slice() {
        ["q", id, "coding"] => {
            let filter = serde_urlencoded::from_str(query).unwrap_or_default();
            coding_page(state, viewer, QuestionId::from(*id).into(), web::Query(filter)).await
        }
        ["boards", id, "codebook"] => codebook_page(state, viewer, BoardId::from(*id).into()).await,
        _ => Err(AppError::not_found().into()),
    }
}

async fn analysis_home(state: web::Data<AppState>, viewer: Viewer, board: web::Path<BoardId>) -> PageResult {
    let board_id = board.into_inner();
    let report = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| analysis::report(conn, ctx, actor, &board_id, None))
        .await?;
    let formats: Vec<_> = Format::ALL.iter().map(|f| json!({"name": f.name(), "label": format_label(*f)})).collect();
    viewer.render("analyst/analysis", "Analysis", &json!({"report": report, "formats": formats}))
}

fn format_label(f: Format) -> &'static str {
    match f {
        Format::Csv => "CSV, one row per reply",
        Format::Xlsx => "Excel workbook (XLSX), one row per reply",
        Format::Json => "JSON, the whole board",
        Format::DocxByQuestion => "Word transcript by question (DOCX)",
        Format::DocxByParticipant => "Word transcript by participant (DOCX)",
        Format::Quotes => "Quotes with pseudonymous ids (CSV)",
        Format::Codebook => "Codebook, REFI-QDA (.qdc)",
        Format::Qdpx => "REFI-QDA project for NVivo, ATLAS.ti, MAXQDA (.qdpx)",
    }
}

async fn codebook_page(state: web::Data<AppState>, viewer: Viewer, board: web::Path<BoardId>) -> PageResult {
    let board_id = board.into_inner();
    let (board, codes) = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            Ok((boards::get_board(conn, actor, &board_id)?, analysis::codebook(conn, actor, &board_id)?))
        })
        .await?;
    let templates: Vec<_> = crate::domain::codebook::TEMPLATES
        .iter()
        .map(|t| json!({"key": t.key, "title": t.title, "source": t.source}))
        .collect();
    // The colour picker starts at the palette's next colour, so codes added one after another
    // differ without anyone choosing.
    let next_colour = crate::domain::codebook::default_colour(codes.len());
    viewer.render(
        "analyst/codebook",
        "Codebook",
        &json!({"board": board, "codes": codes, "templates": templates, "next_colour": next_colour}),
    )
}

async fn add_code(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<CodeInput>,
) -> PageResult {
    let board_id = board.into_inner();
    let (id, CsrfForm(input, sent)) = (board_id.clone(), form);
    let code = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| analysis::add_code(conn, ctx, actor, &id, &input))
        .await
    {
        Ok(code) => code,
        Err(e) => return again(e, &sent, codebook_page(state, viewer, board_id.into())).await,
    };
    session::notice(&viewer.session, format!("Added the code \"{}\".", code.name));
    Ok(redirect(&format!("/boards/{board_id}/codebook")))
}

#[derive(Deserialize)]
struct TemplateForm {
    template: String,
}

async fn apply_template(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    form: CsrfForm<TemplateForm>,
) -> PageResult {
    let board_id = board.into_inner();
    let (id, CsrfForm(TemplateForm { template }, sent)) = (board_id.clone(), form);
    let result = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            analysis::apply_template(conn, ctx, actor, &id, &template)
        })
        .await
    {
        Ok(result) => result,
        Err(e) => return again(e, &sent, codebook_page(state, viewer, board_id.into())).await,
    };
    session::notice(&viewer.session, import_notice(&result));
    Ok(redirect(&format!("/boards/{board_id}/codebook")))
}

fn import_notice(result: &analysis::ImportResult) -> String {
    let mut text = format!("Added {} {}.", result.added, if result.added == 1 { "code" } else { "codes" });
    if !result.skipped.is_empty() {
        text.push_str(&format!(" Already in the codebook, kept as they were: {}.", result.skipped.join(", ")));
    }
    text
}

fn project_notice(r: &analysis::ProjectImport) -> String {
    let mut text = format!(
        "{} Replies matched: {}. Added {} excerpts, {} codings and {} memos.",
        import_notice(&r.codebook),
        r.sources_matched,
        r.excerpts_added,
        r.codings_added,
        r.memos_added
    );
    if r.sources_changed > 0 {
        text.push_str(&format!(
            " {} replies were left out: their text changed since the export, or names were redacted in it.",
            r.sources_changed
        ));
    }
    if r.sources_not_found > 0 {
        text.push_str(&format!(" {} sources are not replies of this board and were left out.", r.sources_not_found));
    }
    text
}

/// A .qdc or .qdpx file (multipart: `csrf_token`, `file`).
async fn import_codebook(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    payload: Multipart,
) -> PageResult {
    let board_id = board.into_inner();
    let mut sent = Sent::new(&format!("/boards/{board_id}/codebook/import"), Vec::new());
    let refused = |e, sent: Sent| {
        let page = codebook_page(state.clone(), viewer.clone(), board_id.clone().into());
        async move { again(e, &sent, page).await }
    };
    let limit = state.settings.max_body_bytes;
    let missing = "Choose a codebook (.qdc) or project (.qdpx) file to import.";
    let file = match session::uploaded_file(&viewer.session, payload, limit, &mut sent, missing).await {
        Ok(file) => file,
        Err(e) => return refused(e, sent).await,
    };
    let id = board_id.clone();
    // A project is a ZIP archive; a codebook is XML.
    let result = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| match file.starts_with(b"PK") {
            true => analysis::import_project(conn, ctx, actor, &id, &file).map(|r| project_notice(&r)),
            false => analysis::import_qdc(conn, ctx, actor, &id, &file).map(|r| import_notice(&r)),
        })
        .await
    {
        Ok(result) => result,
        Err(e) => return refused(e, sent).await,
    };
    session::notice(&viewer.session, result);
    Ok(redirect(&format!("/boards/{board_id}/codebook")))
}

async fn update_code(
    state: web::Data<AppState>,
    viewer: Viewer,
    code: web::Path<CodeId>,
    form: CsrfForm<CodeInput>,
) -> PageResult {
    let id = code.into_inner();
    let CsrfForm(input, sent) = form;
    let code = match state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| {
            let board_id = analysis::board_of_code(conn, actor, &id)?;
            Ok(analysis::update_code(conn, actor, &id, &input).map_err(|e| (e, board_id)))
        })
        .await?
    {
        Ok(code) => code,
        Err((e, board_id)) => return again(e, &sent, codebook_page(state, viewer, board_id.into())).await,
    };
    session::notice(&viewer.session, format!("Saved the code \"{}\".", code.name));
    Ok(redirect(&format!("/boards/{}/codebook#code-{}", code.board_id, code.id)))
}

async fn delete_code(
    state: web::Data<AppState>,
    viewer: Viewer,
    code: web::Path<CodeId>,
    _form: CsrfForm<NoFields>,
) -> PageResult {
    let id = code.into_inner();
    let board_id =
        state.as_actor(viewer.identity.clone(), move |conn, _, actor| analysis::delete_code(conn, actor, &id)).await?;
    session::notice(&viewer.session, "Deleted the code with its sub-codes and codings.");
    Ok(redirect(&format!("/boards/{board_id}/codebook")))
}

#[derive(Deserialize)]
struct MemoForm {
    body: String,
    back: Option<String>,
}

async fn add_code_memo(
    state: web::Data<AppState>,
    viewer: Viewer,
    code: web::Path<CodeId>,
    form: CsrfForm<MemoForm>,
) -> PageResult {
    let id = code.into_inner();
    let CsrfForm(MemoForm { body, back }, sent) = form;
    if let Err(e) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            analysis::add_code_memo(conn, ctx, actor, &id, &MemoInput { body })
        })
        .await
    {
        return again(e, &sent, page_at(state, viewer, back.as_deref().unwrap_or_default())).await;
    }
    session::notice(&viewer.session, "Memo added.");
    Ok(redirect(&back_to(back.as_deref(), "/boards".into())))
}

async fn add_post_memo(
    state: web::Data<AppState>,
    viewer: Viewer,
    post: web::Path<PostId>,
    form: CsrfForm<MemoForm>,
) -> PageResult {
    let id = post.into_inner();
    let CsrfForm(MemoForm { body, back }, sent) = form;
    if let Err(e) = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            analysis::add_post_memo(conn, ctx, actor, &id, &MemoInput { body })
        })
        .await
    {
        return again(e, &sent, page_at(state, viewer, back.as_deref().unwrap_or_default())).await;
    }
    session::notice(&viewer.session, "Memo added.");
    Ok(redirect(&back_to(back.as_deref(), "/boards".into())))
}

#[derive(Deserialize)]
struct BackForm {
    back: Option<String>,
}

async fn delete_memo(
    state: web::Data<AppState>,
    viewer: Viewer,
    memo: web::Path<String>,
    form: CsrfForm<BackForm>,
) -> PageResult {
    let id = memo.into_inner();
    let board_id =
        state.as_actor(viewer.identity.clone(), move |conn, _, actor| analysis::delete_memo(conn, actor, &id)).await?;
    session::notice(&viewer.session, "Memo deleted.");
    Ok(redirect(&back_to(form.0.back.as_deref(), format!("/boards/{board_id}/analysis"))))
}

async fn coding_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    question: web::Path<QuestionId>,
    filter: web::Query<CodingFilter>,
) -> PageResult {
    let (id, filter) = (question.into_inner(), filter.into_inner());
    let page = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| analysis::coding_page(conn, actor, &id, &filter))
        .await?;
    viewer.render("analyst/coding", "Coding", &json!({"coding": page, "script": "coding.js"}))
}

/// The coding form: repeated `code_id` fields, `start`/`end` filled in by the page's script
/// when text is selected, `excerpt` (typed or filled in), `quote`, `memo`.
async fn code_post(
    state: web::Data<AppState>,
    viewer: Viewer,
    post: web::Path<PostId>,
    form: CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let id = post.into_inner();
    let CsrfForm(fields, sent) = form;
    let mut input = CodingInput::default();
    let mut back = None;
    let number = |field: &str, v: &str| -> Result<Option<i32>, AppError> {
        if v.trim().is_empty() {
            Ok(None)
        } else {
            v.trim()
                .parse()
                .map(Some)
                .map_err(|_| AppError::invalid(format!("The selection's {field} must be a whole number.")))
        }
    };
    let mut unreadable = None;
    for (k, v) in fields {
        match k.as_str() {
            "code_id" => input.code_ids.push(v.into()),
            "start" | "end" => match number(&k, &v) {
                Ok(n) if k == "start" => input.start = n,
                Ok(n) => input.end = n,
                Err(e) => unreadable = Some(e),
            },
            "excerpt" => input.excerpt = Some(v).filter(|v| !v.trim().is_empty()),
            "quote" => input.quote = matches!(v.as_str(), "on" | "true" | "1"),
            "memo" => input.memo = Some(v),
            "back" => back = Some(v),
            _ => {}
        }
    }
    let back = back_to(back.as_deref(), "/boards".into());
    if let Some(e) = unreadable {
        return again(e, &sent, page_at(state, viewer, &back)).await;
    }
    // The form also takes a memo on its own, without codes or a quote.
    if input.code_ids.is_empty() && !input.quote && input.memo.as_deref().is_some_and(|m| !m.trim().is_empty()) {
        let body = input.memo.unwrap_or_default();
        if let Err(e) = state
            .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
                analysis::add_post_memo(conn, ctx, actor, &id, &MemoInput { body })
            })
            .await
        {
            return again(e, &sent, page_at(state, viewer, &back)).await;
        }
        session::notice(&viewer.session, "Memo added.");
        return Ok(redirect(&back));
    }
    let excerpt = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| analysis::code_post(conn, ctx, actor, &id, &input))
        .await
    {
        Ok(excerpt) => excerpt,
        Err(e) => return again(e, &sent, page_at(state, viewer, &back)).await,
    };
    let what = if excerpt.whole { "the whole reply".to_string() } else { format!("“{}”", excerpt.text) };
    session::notice(&viewer.session, format!("Saved: {what}."));
    Ok(redirect(&back))
}

async fn remove_coding(
    state: web::Data<AppState>,
    viewer: Viewer,
    coding: web::Path<String>,
    form: CsrfForm<BackForm>,
) -> PageResult {
    let id = coding.into_inner();
    let board_id = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| analysis::remove_coding(conn, actor, &id))
        .await?;
    session::notice(&viewer.session, "Coding removed.");
    Ok(redirect(&back_to(form.0.back.as_deref(), format!("/boards/{board_id}/analysis"))))
}

#[derive(Deserialize)]
struct QuoteForm {
    quote: String,
    back: Option<String>,
}

async fn set_quote(
    state: web::Data<AppState>,
    viewer: Viewer,
    excerpt: web::Path<ExcerptId>,
    form: CsrfForm<QuoteForm>,
) -> PageResult {
    let id = excerpt.into_inner();
    let quote = form.0.quote == "true";
    let board_id = state
        .as_actor(viewer.identity.clone(), move |conn, _, actor| analysis::set_quote(conn, actor, &id, quote))
        .await?;
    session::notice(&viewer.session, if quote { "Marked as a quote." } else { "No longer a quote." });
    Ok(redirect(&back_to(form.0.back.as_deref(), format!("/boards/{board_id}/analysis"))))
}

#[derive(Deserialize)]
struct ReportQuery {
    by: Option<String>,
}

async fn report_page(
    state: web::Data<AppState>,
    viewer: Viewer,
    board: web::Path<BoardId>,
    q: web::Query<ReportQuery>,
) -> PageResult {
    let board_id = board.into_inner();
    let by = q.into_inner().by.filter(|b| !b.is_empty());
    let cache = state.pages.clone();
    // A view with a one-time notice is neither served from nor kept.
    let view = viewer.notice.is_none().then(|| View::Report(board_id.clone(), by.clone()));
    let page = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            cache.staff_page(
                conn,
                ctx,
                actor,
                view,
                |_| Ok(0),
                |c| analysis::report(c, ctx, actor, &board_id, by.as_deref()),
            )
        })
        .await?;
    viewer.respond(
        &state.pages,
        page,
        |_| None,
        |viewer, report| viewer.render_html("analyst/report", "Report", &json!({"report": report})),
    )
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct FormatQuery {
    /// csv (default), xlsx, json, docx, docx-participants, quotes, qdc or qdpx.
    pub format: Option<String>,
}

impl FormatQuery {
    pub fn format(&self) -> Result<Format, AppError> {
        Format::parse(self.format.as_deref().unwrap_or("csv"))
    }
}

/// The work of an export download, run on a database worker: checks who asks, then writes
/// the export to an anonymous temporary file. Returns the file and the board's title.
pub fn export_job(
    board_id: BoardId,
    format: Format,
    options: ExportOptions,
) -> impl FnOnce(
    &mut crate::db::DbConn,
    &crate::service::Ctx,
    &crate::service::Actor,
) -> crate::error::AppResult<(std::fs::File, String)>
       + Send
       + 'static {
    move |conn, _, actor| {
        let acc = export::exporter_access(conn, actor, &board_id)?;
        Ok((export::to_temp_file(conn, &acc, format, &options)?, acc.board.title))
    }
}

/// Sends an export file as a download that is not cached.
pub fn file_response(
    req: &HttpRequest,
    file: std::fs::File,
    format: Format,
    title: &str,
) -> Result<HttpResponse, AppError> {
    let name = format.file_name(title);
    let mime: mime::Mime = format.content_type().parse().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let named = actix_files::NamedFile::from_file(file, &name).map_err(export::io_error)?;
    let mut res = named
        .use_etag(false)
        .use_last_modified(false)
        .set_content_type(mime)
        .set_content_disposition(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .into_response(req);
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn export_download(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    board: web::Path<BoardId>,
    format: web::Query<FormatQuery>,
    options: web::Query<ExportOptions>,
) -> PageResult {
    let format = format.format()?;
    let (file, title) =
        state.as_actor(viewer.identity.clone(), export_job(board.into_inner(), format, options.into_inner())).await?;
    Ok(file_response(&req, file, format, &title)?)
}
