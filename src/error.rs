//! One error type for every action. The web layer shows it as an HTML page (`PageError`) or as
//! an RFC 9457 problem document (`ApiError`); the cause of an internal error goes to the log only.

use actix_web::http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The participant already has an answer to this question (one each).
    #[error("{0}")]
    AlreadyAnswered(String),
    /// A form without the session's CSRF token.
    #[error("This form has expired or did not come from this site. Go back, reload the page and try again.")]
    Csrf,
    /// A link or token that was valid once and is not any more.
    #[error("{0}")]
    Gone(String),
    #[error("This is larger than the {} this server accepts.", megabytes(*.0))]
    PayloadTooLarge(usize),
    /// Input that fails a rule; `field` names the form field or JSON member when there is one.
    #[error("{message}")]
    Unprocessable { message: String, field: Option<&'static str> },
    #[error("Too many attempts. Please wait a minute and try again.")]
    TooManyRequests,
    /// The client stopped sending its request body, or took too long.
    #[error("The request took too long to arrive; please try again.")]
    Timeout,
    /// The server is at capacity for this kind of work (decoding images): try again shortly.
    #[error("{0}")]
    Busy(String),
    #[error("Something went wrong on our side; it has been logged.")]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// A size as people say it: "10 MB", "0.5 MB" (of 1,048,576 bytes, as file managers count).
pub fn megabytes(bytes: usize) -> String {
    let mb = bytes as f64 / 1_048_576.0;
    if mb.fract() == 0.0 {
        format!("{mb:.0} MB")
    } else {
        format!("{mb:.1} MB")
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::AlreadyAnswered(_) => StatusCode::CONFLICT,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short title for the status, as shown in a page heading or a problem's `title`.
    pub fn title(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "Bad request",
            AppError::Unauthorized => "Sign-in required",
            AppError::Forbidden(_) => "Not allowed",
            AppError::NotFound(_) => "Not found",
            AppError::Conflict(_) | AppError::AlreadyAnswered(_) => "Conflict",
            AppError::Csrf => "Not allowed",
            AppError::Gone(_) => "Link no longer valid",
            AppError::PayloadTooLarge(_) => "Too large",
            AppError::Unprocessable { .. } => "Please check what you entered",
            AppError::TooManyRequests => "Too many attempts",
            AppError::Busy(_) => "Busy",
            AppError::Timeout => "Request timeout",
            AppError::Internal(_) => "Server error",
        }
    }

    /// What went wrong, for the log: for an internal error the whole chain of causes (its
    /// `Display` is only the message a person is shown).
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(e) => format!("{e:#}"),
            other => other.to_string(),
        }
    }

    /// A stable name for the kind of error, for programs to match on (the `code` of a problem
    /// document); the English text may change, these do not.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::AlreadyAnswered(_) => "already_answered",
            AppError::Csrf => "csrf",
            AppError::Gone(_) => "gone",
            AppError::PayloadTooLarge(_) => "too_large",
            AppError::Unprocessable { .. } => "validation",
            AppError::TooManyRequests => "rate_limited",
            AppError::Busy(_) => "busy",
            AppError::Timeout => "timeout",
            AppError::Internal(_) => "internal",
        }
    }

    /// Every code `code` can return, for the OpenAPI document.
    pub const CODES: &'static [&'static str] = &[
        "bad_request",
        "unauthorized",
        "forbidden",
        "csrf",
        "not_found",
        "conflict",
        "already_answered",
        "gone",
        "too_large",
        "validation",
        "rate_limited",
        "busy",
        "timeout",
        "internal",
    ];

    pub fn not_found() -> Self {
        AppError::NotFound("There is nothing here, or you do not have access to it.".into())
    }

    pub fn forbidden(why: &str) -> Self {
        AppError::Forbidden(why.to_string())
    }

    pub fn invalid(why: impl Into<String>) -> Self {
        AppError::Unprocessable { message: why.into(), field: None }
    }

    /// Input refused because of one field, named as in the form and the JSON body.
    pub fn invalid_field(field: &'static str, why: impl Into<String>) -> Self {
        AppError::Unprocessable { message: why.into(), field: Some(field) }
    }

    /// The field a validation error is about, if any.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AppError::Unprocessable { field, .. } => *field,
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::not_found(),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Internal(e.into())
    }
}

/// JSON that could not be written for a column: a fault of the code, never of the input.
impl From<serde_json::Error> for AppError {
    fn from(e: serde_json::Error) -> Self {
        AppError::Internal(e.into())
    }
}
