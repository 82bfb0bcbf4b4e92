//! How an `AppError` looks to a person (an HTML page) and to a program (an RFC 9457 problem).

use crate::error::AppError;
use crate::templates;
use actix_web::error::{JsonPayloadError, PayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

fn log(e: &AppError) {
    if let AppError::Internal(cause) = e {
        tracing::error!(error = ?cause, "internal error");
    }
}

/// An error in a page handler: shown as an HTML page with the reason.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }
    fn error_response(&self) -> HttpResponse {
        log(&self.0);
        if matches!(self.0, AppError::Unauthorized) {
            return HttpResponse::SeeOther().insert_header((header::LOCATION, "/login")).finish();
        }
        error_page(&self.0, None)
    }
}

pub type PageResult<T = HttpResponse> = Result<T, PageError>;

fn error_page(e: &AppError, back: Option<&str>) -> HttpResponse {
    let body = templates::render(
        "error",
        &json!({
            "title": e.title(),
            "status": e.status().as_u16(),
            "message": e.to_string(),
            "back": back,
        }),
    )
    .unwrap_or_else(|_| format!("<!doctype html><title>{0}</title><h1>{0}</h1>", e.title()));
    let mut res = HttpResponse::build(e.status());
    res.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
    if matches!(e, AppError::TooManyRequests) {
        res.insert_header((header::RETRY_AFTER, "60"));
    }
    res.body(body)
}

/// The page for an error when a request is at hand (offers a way back).
pub fn page_response(e: &AppError, req: &HttpRequest) -> HttpResponse {
    log(e);
    let back = req.headers().get(header::REFERER).and_then(|v| v.to_str().ok());
    error_page(e, back.filter(|b| b.starts_with('/') || b.contains(req.connection_info().host())))
}

/// An error in an API handler: `application/problem+json`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }
    fn error_response(&self) -> HttpResponse {
        log(&self.0);
        problem(&self.0)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

pub fn problem(e: &AppError) -> HttpResponse {
    problem_with(e, serde_json::Map::new())
}

/// A problem document with extension members (RFC 9457 section 3.2), such as an import report.
pub fn problem_with(e: &AppError, mut members: serde_json::Map<String, serde_json::Value>) -> HttpResponse {
    let status = e.status();
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
    if matches!(e, AppError::Unauthorized) {
        res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    members.insert("type".into(), format!("urn:focusboard:problem:{}", e.code()).into());
    members.insert("code".into(), e.code().into());
    members.insert("title".into(), e.title().into());
    members.insert("status".into(), status.as_u16().into());
    members.insert("detail".into(), e.to_string().into());
    if let Some(field) = e.field() {
        members.insert("field".into(), field.into());
    }
    res.body(serde_json::Value::Object(members).to_string())
}

/// Reading a request body failed: too large, cut off, or not what was expected.
pub fn from_payload_error(e: &PayloadError, limit: usize) -> AppError {
    match e {
        PayloadError::Overflow => AppError::PayloadTooLarge(limit),
        PayloadError::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => AppError::Timeout,
        other => AppError::BadRequest(format!("The request body could not be read: {other}")),
    }
}

pub fn from_json_error(e: &JsonPayloadError, limit: usize) -> AppError {
    match e {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge(limit)
        }
        JsonPayloadError::ContentType => {
            AppError::BadRequest("Send a JSON body with Content-Type: application/json.".into())
        }
        JsonPayloadError::Deserialize(d) => AppError::invalid(format!("The JSON body is not as expected: {d}")),
        JsonPayloadError::Payload(p) => from_payload_error(p, limit),
        other => AppError::BadRequest(format!("The JSON body could not be read: {other}")),
    }
}

/// Any route that does not exist: a page, or a problem under `/api/`.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let e = AppError::NotFound("There is no page at this address.".into());
    if req.path().starts_with("/api/") {
        problem(&e)
    } else {
        page_response(&e, &req)
    }
}
