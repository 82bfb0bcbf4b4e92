//! What every image upload shares, pages and API alike: the size a form with an image may have,
//! reading such a form, decoding through a bounded pool, and the response that serves an image.

use super::refill::Sent;
use super::session::{self, Viewer};
use crate::domain::images::MAX_BYTES;
use crate::error::AppError;
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// Room for the form fields around the file.
pub(super) const UPLOAD_LIMIT: usize = MAX_BYTES + 64 * 1024;

pub(super) fn image_response(content_type: String, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        // Images of posts are participants' data: never kept by a browser or proxy.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes)
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
