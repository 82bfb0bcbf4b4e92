//! The cookie session (who is signed in, the CSRF token, a one-time notice), the extractor for
//! state-changing forms that checks the CSRF token, and page rendering.

use super::errors::{PageError, PageResult};
use super::page_cache::{PageCache, Staff};
use crate::db::models::Participant;
use crate::domain::ids::UserId;
use crate::domain::tokens;
use crate::error::AppError;
use crate::service::Identity;
use crate::templates;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::{ready, Ready};

const USER: &str = "uid";
const PARTICIPANT: &str = "pid";
const LINK: &str = "link";
const CSRF: &str = "csrf";
/// The secret of the server-side session; a cookie without one is not signed in.
const SID: &str = "sid";
const NOTICE: &str = "notice";

pub fn identity(session: &Session) -> Identity {
    let Ok(Some(sid)) = session.get::<String>(SID) else { return Identity::Anonymous };
    if let Ok(Some(id)) = session.get::<String>(USER) {
        Identity::User { id: id.into(), session: Some(sid) }
    } else if let Ok(Some(id)) = session.get::<String>(PARTICIPANT) {
        Identity::Participant { id: id.into(), link: session.get::<i64>(LINK).ok().flatten(), session: Some(sid) }
    } else {
        Identity::Anonymous
    }
}

/// The secret of the server-side session this cookie belongs to, if signed in.
pub fn session_secret(session: &Session) -> Option<String> {
    session.get::<String>(SID).ok().flatten()
}

fn csrf_token(session: &Session) -> String {
    match session.get::<String>(CSRF) {
        Ok(Some(t)) => t,
        _ => {
            let t = tokens::generate().plain;
            let _ = session.insert(CSRF, &t);
            t
        }
    }
}

/// Starts a fresh session (a new cookie, a new CSRF token) for a staff member; `secret` names
/// the session kept on the server.
pub fn sign_in_user(session: &Session, user_id: &UserId, secret: &str) -> Result<(), AppError> {
    start_session(session, USER, user_id, secret)
}

/// Starts a session for a participant who followed their link; it lasts until that link is
/// replaced by a new one or expires.
pub fn sign_in_participant(session: &Session, participant: &Participant, secret: &str) -> Result<(), AppError> {
    start_session(session, PARTICIPANT, &participant.id, secret)?;
    if let Some(link) = crate::service::link_generation(participant) {
        session.insert(LINK, link).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    }
    Ok(())
}

fn start_session(session: &Session, key: &str, id: &str, secret: &str) -> Result<(), AppError> {
    // clear + renew rather than purge: a purged session drops its cookie whatever is
    // inserted afterwards.
    session.clear();
    session.insert(key, id).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    session.insert(SID, secret).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    session.renew();
    Ok(())
}

pub fn sign_out(session: &Session) {
    session.purge();
}

/// A message shown once on the next page ("Stage released", "12 participants imported").
pub fn notice(session: &Session, text: impl Into<String>) {
    let _ = session.insert(NOTICE, text.into());
}

/// The person looking at a page, with what every page needs.
#[derive(Clone)]
pub struct Viewer {
    pub identity: Identity,
    pub csrf: String,
    pub notice: Option<String>,
    pub session: Session,
    /// The page's one-time form token, made when first asked for: the page and the parts of it
    /// rendered apart (each post's reply form) share it.
    form_token: std::cell::OnceCell<String>,
}

impl FromRequest for Viewer {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        // Removing marks the session changed, which re-encrypts and re-sends the cookie: only
        // when there is a notice to take.
        let notice =
            session.contains_key(NOTICE).then(|| session.remove_as::<String>(NOTICE)).flatten().and_then(Result::ok);
        ready(Ok(Viewer {
            identity: identity(&session),
            csrf: csrf_token(&session),
            notice,
            session,
            form_token: std::cell::OnceCell::new(),
        }))
    }
}

#[derive(Serialize)]
struct Chrome<'a, T: Serialize> {
    title: &'a str,
    csrf: &'a str,
    /// A fresh token for the forms that create something: submitting one twice creates it once.
    form_token: &'a str,
    notice: Option<&'a str>,
    signed_in: bool,
    staff: bool,
    page: &'a T,
}

impl Viewer {
    /// A fresh token for the forms of this page that create something.
    pub fn form_token(&self) -> &str {
        self.form_token.get_or_init(tokens::random)
    }

    /// The same person with `csrf` and `form_token` in place of their tokens and no notice: how
    /// a page to be kept is rendered (`page_cache`), the tokens going in for each response.
    pub fn marked(&self, csrf: &str, form_token: &str) -> Viewer {
        Viewer {
            identity: self.identity.clone(),
            csrf: csrf.to_string(),
            notice: None,
            session: self.session.clone(),
            form_token: std::cell::OnceCell::from(form_token.to_string()),
        }
    }

    /// A staff page's response (`PageCache::staff_page`): the kept bytes with this response's
    /// tokens, or the page rendered now by `render`, with the marks in place of the tokens and
    /// kept until `until` when it may be kept.
    pub fn respond<T>(
        &self,
        cache: &PageCache,
        page: Staff<T>,
        until: impl FnOnce(&T) -> Option<time::PrimitiveDateTime>,
        render: impl FnOnce(&Viewer, T) -> Result<String, AppError>,
    ) -> PageResult {
        let body = match page {
            Staff::Kept(kept) => kept.body(&self.csrf, self.form_token()),
            Staff::Made(fresh) => match fresh.keep {
                Some((key, made)) => {
                    let until = until(&fresh.data);
                    let (csrf, form) = cache.marks();
                    let html = render(&self.marked(csrf, form), fresh.data)?;
                    cache.put(key, made, until, fresh.reader, html).body(&self.csrf, self.form_token())
                }
                None => render(self, fresh.data)?.into(),
            },
        };
        Ok(html_page(body))
    }

    /// Renders `templates/<template>.hbs` with the page data under `page`.
    pub fn render<T: Serialize>(&self, template: &str, title: &str, page: &T) -> PageResult {
        Ok(html_page(self.render_html(template, title, page)?))
    }

    /// The HTML of `render`.
    pub fn render_html<T: Serialize>(&self, template: &str, title: &str, page: &T) -> Result<String, AppError> {
        let chrome = Chrome {
            title,
            csrf: &self.csrf,
            form_token: self.form_token(),
            notice: self.notice.as_deref(),
            signed_in: self.identity != Identity::Anonymous,
            staff: matches!(self.identity, Identity::User { .. }),
            page,
        };
        templates::render(template, &chrome).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
    }
}

/// A page's HTML as a response; pages are never stored by browsers or proxies.
pub fn html_page(html: impl actix_web::body::MessageBody + 'static) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html)
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf_token: String,
}

/// Checks a submitted CSRF token against the session's.
pub fn check_csrf(session: &Session, submitted: &str) -> Result<(), AppError> {
    match session.get::<String>(CSRF) {
        Ok(Some(expected)) if !submitted.is_empty() && tokens::constant_time_eq(&expected, submitted) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

/// A URL-encoded form whose `csrf_token` field matched the session's: the only way page
/// handlers accept state-changing input.
/// A submitted form, read as `T`, with what was sent as it was typed (to show it again when it
/// is refused: `refill::again`).
pub struct CsrfForm<T>(pub T, pub super::refill::Sent);

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let limit = req.app_data::<web::Data<super::state::AppState>>().map_or(1 << 20, |s| s.settings.max_body_bytes);
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        let body = web::Bytes::from_request(req, payload);
        let action = req.path().to_string();
        Box::pin(async move {
            if !is_form {
                return Err(PageError(AppError::BadRequest("Expected a submitted form.".into())).into());
            }
            let bytes = body.await.map_err(|e| {
                let app = match e.as_error::<actix_web::error::PayloadError>() {
                    Some(p) => super::errors::from_payload_error(p, limit),
                    None => AppError::PayloadTooLarge(limit),
                };
                PageError(app)
            })?;
            let field: CsrfField = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| PageError(AppError::BadRequest(format!("The form could not be read: {e}"))))?;
            check_csrf(&session, &field.csrf_token).map_err(PageError)?;
            let value = serde_urlencoded::from_bytes(&bytes)
                .map_err(|e| PageError(AppError::BadRequest(format!("The form could not be read: {e}"))))?;
            let fields = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
            Ok(CsrfForm(value, super::refill::Sent::new(&action, fields)))
        })
    }
}

/// Reads a multipart form (a file upload) up to `limit` bytes in all, and checks its
/// `csrf_token` field against the session's. Returns the other fields by name; the text fields
/// read are also noted in `sent`, so that a refused upload shows them again (the forms put
/// them before the file, so they are kept when the file is too large).
pub async fn checked_multipart(
    session: &Session,
    mut payload: actix_multipart::Multipart,
    limit: usize,
    sent: &mut super::refill::Sent,
) -> Result<std::collections::HashMap<String, Vec<u8>>, AppError> {
    use futures_util::StreamExt;
    // Who is asking and the CSRF token are checked before any file is read: a stranger's
    // upload is refused without taking its bytes in. The forms send the token first.
    if identity(session) == Identity::Anonymous {
        return Err(AppError::Unauthorized);
    }
    let unreadable = |e: actix_multipart::MultipartError| match e {
        actix_multipart::MultipartError::Payload(p) => super::errors::from_payload_error(&p, limit),
        other => AppError::BadRequest(format!("The upload could not be read: {other}")),
    };
    let mut fields = std::collections::HashMap::new();
    let mut total = 0usize;
    let mut checked = false;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.content_disposition().and_then(|d| d.get_filename()).is_some();
        if !checked && name != "csrf_token" {
            return Err(AppError::Csrf);
        }
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(unreadable)?;
            total += chunk.len();
            if total > limit {
                return Err(AppError::PayloadTooLarge(limit));
            }
            data.extend_from_slice(&chunk);
        }
        if !checked {
            check_csrf(session, &String::from_utf8_lossy(&data))?;
            checked = true;
            continue;
        }
        if !is_file {
            if let Ok(text) = std::str::from_utf8(&data) {
                sent.fields.push((name.clone(), text.to_string()));
            }
        }
        fields.insert(name, data);
    }
    if !checked {
        check_csrf(session, "")?;
    }
    Ok(fields)
}

/// The `file` field of an upload form (`checked_multipart`); `missing` says what to choose when
/// none was sent.
pub async fn uploaded_file(
    session: &Session,
    payload: actix_multipart::Multipart,
    limit: usize,
    sent: &mut super::refill::Sent,
    missing: &str,
) -> Result<Vec<u8>, AppError> {
    let file = checked_multipart(session, payload, limit, sent).await?.remove("file").unwrap_or_default();
    if file.is_empty() {
        return Err(AppError::invalid_field("file", missing));
    }
    Ok(file)
}

/// An empty form: only the CSRF token (for buttons such as "Release now").
#[derive(Deserialize)]
pub struct NoFields {}

/// The key under which a page's create form is done once: its one-time token, with what the
/// form writes into (several forms of one page share the token).
pub fn form_key(form_token: Option<&str>, parts: &[&str]) -> Option<String> {
    let token = form_token.map(str::trim).filter(|t| !t.is_empty())?;
    Some(format!("form:{token}:{}", parts.join(":")))
}
