//! Uploading and serving images. Files are served only after the same checks as what they
//! belong to, never as static files.

use super::errors::PageResult;
use super::refill::{again, Sent};
use super::session::{self, redirect, Viewer};
use super::state::AppState;
use crate::domain::ids::{ImageId, PostId, QuestionId, StageId};
use crate::domain::images::MAX_BYTES;
use crate::error::AppError;
use crate::service::images::{self, Target};
use crate::service::Identity;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// Room for the form fields around the file.
pub(super) const UPLOAD_LIMIT: usize = MAX_BYTES + 64 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/images/{image}", web::get().to(full))
        .route("/images/{image}/thumb", web::get().to(thumb))
        .route("/q/{question}/images", web::post().to(upload_to_question))
        .route("/posts/{post}/images", web::post().to(upload_to_post))
        .route("/stages/{stage}/images", web::post().to(upload_to_stage));
}

async fn serve(state: &AppState, identity: Identity, id: ImageId, thumb: bool) -> Result<HttpResponse, AppError> {
    let (content_type, bytes) =
        state.as_actor(identity, move |conn, _, actor| images::serve(conn, actor, &id, thumb)).await?;
    Ok(image_response(content_type, bytes))
}

pub(super) fn image_response(content_type: String, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        // Images of posts are participants' data: never kept by a browser or proxy.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
}

async fn full(state: web::Data<AppState>, viewer: Viewer, id: web::Path<ImageId>) -> PageResult {
    Ok(serve(&state, viewer.identity.clone(), id.into_inner(), false).await?)
}

async fn thumb(state: web::Data<AppState>, viewer: Viewer, id: web::Path<ImageId>) -> PageResult {
    Ok(serve(&state, viewer.identity.clone(), id.into_inner(), true).await?)
}

#[derive(Clone, Copy)]
enum To {
    Question,
    Post,
    Stage,
    Summary,
}

async fn upload(
    state: &AppState,
    viewer: &Viewer,
    payload: Multipart,
    to: To,
    id: String,
    sent: &mut Sent,
) -> Result<images::ImageView, AppError> {
    let mut fields = image_form(viewer, payload, sent).await?;
    let file = fields.remove("file").unwrap_or_default();
    let alt = String::from_utf8_lossy(&fields.remove("alt_text").unwrap_or_default()).into_owned();
    if file.is_empty() {
        return Err(AppError::invalid_field("file", "Choose an image to upload."));
    }
    let to = match (to, fields.remove("for").as_deref()) {
        (To::Stage, Some(b"summary")) => To::Summary,
        (to, _) => to,
    };
    let (i, a) = (id.clone(), alt.clone());
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            images::authorize_upload(conn, ctx, actor, page_target(to, &i), &a).map(drop)
        })
        .await
        .map_err(alt_on_page)?;
    let processed = decode(file).await?;
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            images::store_upload(conn, ctx, actor, page_target(to, &id), &alt, processed)
        })
        .await
}

/// A form with an image in it, read within the size an image may have.
pub(super) async fn image_form(
    viewer: &Viewer,
    payload: Multipart,
    sent: &mut Sent,
) -> Result<std::collections::HashMap<String, Vec<u8>>, AppError> {
    session::checked_multipart(&viewer.session, payload, UPLOAD_LIMIT, sent).await.map_err(|e| match e {
        // Said of the image, beside its field: the limit of the whole form is not the person's.
        AppError::PayloadTooLarge(_) => AppError::invalid_field(
            "file",
            format!("The image is larger than {}; choose a smaller one.", crate::error::megabytes(MAX_BYTES)),
        ),
        e => e,
    })
}

/// The API takes the description as `alt`; the page forms call it `alt_text`, and a mistake in
/// it belongs beside that field.
pub(super) fn alt_on_page(e: AppError) -> AppError {
    match e {
        AppError::Unprocessable { message, field: Some("alt") } => {
            AppError::Unprocessable { message, field: Some("alt_text") }
        }
        e => e,
    }
}

fn page_target(to: To, id: &str) -> Target {
    match to {
        To::Question => Target::Question(id.into()),
        To::Post => Target::Post(id.into()),
        To::Stage => Target::Stage(id.into()),
        To::Summary => Target::Summary(id.into()),
    }
}

/// Images decoded at once; the rest wait in a short queue, and beyond it are asked to come
/// back: a few large uploads at the same time cannot take the server's memory.
const DECODERS: usize = 2;
const DECODE_QUEUE: usize = 8;
static DECODE_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(DECODERS);
static DECODE_WAITING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Decodes and re-encodes an upload on a blocking thread, through the fixed pool of decoders.
pub(super) async fn decode(bytes: Vec<u8>) -> Result<crate::domain::images::Processed, AppError> {
    use std::sync::atomic::Ordering;
    if DECODE_WAITING.fetch_add(1, Ordering::SeqCst) >= DECODERS + DECODE_QUEUE {
        DECODE_WAITING.fetch_sub(1, Ordering::SeqCst);
        return Err(AppError::Busy("Many images are being uploaded just now; please try again in a minute.".into()));
    }
    let permit = DECODE_PERMITS.acquire().await;
    let result = web::block(move || crate::domain::images::process(&bytes)).await;
    drop(permit);
    DECODE_WAITING.fetch_sub(1, Ordering::SeqCst);
    result
        .map_err(|e| AppError::Internal(anyhow::anyhow!("decoding task failed: {e}")))?
        .map_err(|why| AppError::invalid_field("file", why))
}

async fn upload_to_question(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    payload: Multipart,
) -> PageResult {
    let qid = q.into_inner();
    let mut sent = Sent::new(&format!("/q/{qid}/images"), Vec::new());
    if let Err(e) = upload(&state, &viewer, payload, To::Question, qid.to_string(), &mut sent).await {
        return again(e, &sent, super::participant::page_of_question(state, viewer, qid)).await;
    }
    session::notice(&viewer.session, "The image is added to the question.");
    Ok(redirect(&format!("/q/{qid}")))
}

async fn upload_to_post(
    state: web::Data<AppState>,
    viewer: Viewer,
    p: web::Path<PostId>,
    payload: Multipart,
) -> PageResult {
    let pid = p.into_inner();
    let mut sent = Sent::new(&format!("/posts/{pid}/images"), Vec::new());
    let image = match upload(&state, &viewer, payload, To::Post, pid.to_string(), &mut sent).await {
        Ok(image) => image,
        Err(e) => return again(e, &sent, super::participant::page_of_post(state, viewer, pid)).await,
    };
    session::notice(&viewer.session, "The image is added to your post.");
    Ok(redirect(&format!("/q/{}?post={pid}#post-{pid}", image.question_id.map(|q| q.to_string()).unwrap_or_default())))
}

async fn upload_to_stage(
    state: web::Data<AppState>,
    viewer: Viewer,
    s: web::Path<StageId>,
    payload: Multipart,
) -> PageResult {
    let sid = s.into_inner();
    let mut sent = Sent::new(&format!("/stages/{sid}/images"), Vec::new());
    if let Err(e) = upload(&state, &viewer, payload, To::Stage, sid.to_string(), &mut sent).await {
        return again(e, &sent, super::setup::stage_page(state, viewer, sid.into())).await;
    }
    session::notice(&viewer.session, "The image is added.");
    Ok(redirect(&format!("/stages/{sid}")))
}
