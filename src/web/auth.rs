//! Signing in and out: staff with email and password, participants with their personal link.

use super::errors::{PageError, PageResult};
use super::session::{self, redirect, CsrfForm, NoFields, Viewer};
use super::state::AppState;
use crate::error::AppError;
use crate::service::{self, participants, Identity};
use actix_web::{web, HttpRequest};
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/p/{token}", web::get().to(link_landing))
        .route("/p/{token}", web::post().to(link_sign_in));
}

/// Sends each person to where they work: staff to their boards, participants to their board.
async fn home(state: web::Data<AppState>, viewer: Viewer) -> PageResult {
    match &viewer.identity {
        Identity::Anonymous => viewer.render("landing", "Welcome", &json!({})),
        Identity::User { .. } => Ok(redirect("/boards")),
        Identity::Participant { .. } => {
            let actor = state.as_actor(viewer.identity.clone(), |_, _, a| Ok(a.clone())).await;
            match actor {
                Ok(service::Actor::Participant(p)) => Ok(redirect(&format!("/b/{}", p.board_id))),
                _ => {
                    session::sign_out(&viewer.session);
                    Ok(redirect("/login"))
                }
            }
        }
    }
}

async fn login_form(viewer: Viewer) -> PageResult {
    viewer.render("login", "Sign in", &json!({}))
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login(req: HttpRequest, state: web::Data<AppState>, viewer: Viewer, form: CsrfForm<LoginForm>) -> PageResult {
    let ip = state.client_ip(&req);
    if state.login_limiter.check_key(&ip).is_err() {
        return Err(AppError::TooManyRequests.into());
    }
    let CsrfForm(LoginForm { email, password }, _) = form;
    let entered = email.clone();
    let account = email.trim().to_lowercase();
    let wait = state.account_wait(&account);
    if wait > 0 {
        let why = format!("Too many wrong passwords for this account. Please wait {wait} seconds and try again.");
        let mut res = viewer.render("login", "Sign in", &json!({"error": why, "email": entered}))?;
        *res.status_mut() = actix_web::http::StatusCode::TOO_MANY_REQUESTS;
        return Ok(res);
    }
    let ctx = state.ctx.clone();
    let result = state
        .db
        .run(move |conn| {
            let user = service::accounts::authenticate(conn, &email, &password)?;
            let secret = service::accounts::start_user_session(conn, &ctx, &user)?;
            Ok((user, secret))
        })
        .await;
    match &result {
        Ok(_) => state.account_attempt(&account, true),
        Err(AppError::Unprocessable { .. }) => state.account_attempt(&account, false),
        Err(_) => {}
    }
    match result {
        Ok((user, secret)) => {
            session::sign_in_user(&viewer.session, &user.id, &secret)?;
            Ok(redirect("/boards"))
        }
        Err(AppError::Unprocessable { message: why, .. }) => {
            let mut res = viewer.render("login", "Sign in", &json!({"error": why, "email": entered}))?;
            *res.status_mut() = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(e.into()),
    }
}

async fn logout(state: web::Data<AppState>, viewer: Viewer, _form: CsrfForm<NoFields>) -> PageResult {
    if let Some(secret) = session::session_secret(&viewer.session) {
        let ctx = state.ctx.clone();
        state.db.run(move |conn| service::accounts::end_session(conn, &ctx, &secret)).await?;
    }
    session::sign_out(&viewer.session);
    Ok(redirect("/"))
}

/// The page a sign-in link opens. Signing in takes a button press, so mail scanners that
/// fetch links do not sign anyone in or count as a visit.
async fn link_landing(state: web::Data<AppState>, viewer: Viewer, token: web::Path<String>) -> PageResult {
    let ctx = state.ctx.clone();
    let token = token.into_inner();
    let (p, board) = state
        .db
        .run(move |conn| {
            let p = participants::participant_of_link(conn, &ctx, &token)?;
            let board = crate::db::boards::find(conn, &p.board_id)?.ok_or_else(AppError::not_found)?;
            Ok((p, board))
        })
        .await?;
    viewer.render("participant/link", &board.title, &json!({"board_title": board.title, "name": p.name}))
}

async fn link_sign_in(
    state: web::Data<AppState>,
    viewer: Viewer,
    token: web::Path<String>,
    _form: CsrfForm<NoFields>,
) -> PageResult {
    let ctx = state.ctx.clone();
    let token = token.into_inner();
    let (p, secret) = state
        .db
        .run(move |conn| {
            let p = participants::sign_in_with_link(conn, &ctx, &token)?;
            let secret = service::accounts::start_participant_session(conn, &ctx, &p)?;
            Ok((p, secret))
        })
        .await?;
    session::sign_in_participant(&viewer.session, &p, &secret).map_err(PageError)?;
    Ok(redirect(&format!("/b/{}", p.board_id)))
}
