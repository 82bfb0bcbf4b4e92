//! Staff accounts in the browser: the administrators' staff page (invite, disable, enable),
//! "forgot password" and the page a single-use link opens to set a password.

use super::errors::PageResult;
use super::refill::again;
use super::session::{self, redirect, CsrfForm, NoFields, Viewer};
use super::state::AppState;
use crate::domain::ids::UserId;
use crate::error::AppError;
use crate::service::staff::{self, InviteInput, NewPasswordInput};
use actix_web::{web, HttpRequest};
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/staff", web::get().to(staff_page))
        .route("/admin/staff/invite", web::post().to(invite))
        .route("/admin/staff/{user}/disable", web::post().to(disable))
        .route("/admin/staff/{user}/enable", web::post().to(enable))
        .route("/password/forgot", web::get().to(forgot_form))
        .route("/password/forgot", web::post().to(forgot))
        .route("/password/{token}", web::get().to(set_form))
        .route("/password/{token}", web::post().to(set_password));
}

async fn staff_page(state: web::Data<AppState>, viewer: Viewer) -> PageResult {
    let accounts = state.as_actor(viewer.identity.clone(), |conn, _, actor| staff::accounts(conn, actor)).await?;
    viewer.render("moderator/staff", "Staff accounts", &json!({"accounts": accounts}))
}

async fn invite(state: web::Data<AppState>, viewer: Viewer, form: CsrfForm<InviteInput>) -> PageResult {
    let CsrfForm(input, sent) = form;
    let user = match state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| staff::invite(conn, ctx, actor, &input))
        .await
    {
        Ok(user) => user,
        Err(e) => return again(e, &sent, staff_page(state, viewer)).await,
    };
    session::notice(
        &viewer.session,
        format!("{} is invited: an email with a link to set a password is on its way to {}.", user.name, user.email),
    );
    Ok(redirect("/admin/staff"))
}

async fn switch(state: web::Data<AppState>, viewer: Viewer, user: UserId, disabled: bool) -> PageResult {
    let done = state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            staff::set_disabled(conn, ctx, actor, &user, disabled)
        })
        .await?;
    session::notice(
        &viewer.session,
        if disabled {
            format!("{} is disabled: their sessions and API tokens have stopped.", done.email)
        } else {
            format!("{} can sign in again.", done.email)
        },
    );
    Ok(redirect("/admin/staff"))
}

async fn disable(
    state: web::Data<AppState>,
    viewer: Viewer,
    user: web::Path<UserId>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    switch(state, viewer, user.into_inner(), true).await
}

async fn enable(
    state: web::Data<AppState>,
    viewer: Viewer,
    user: web::Path<UserId>,
    _f: CsrfForm<NoFields>,
) -> PageResult {
    switch(state, viewer, user.into_inner(), false).await
}

async fn forgot_form(viewer: Viewer) -> PageResult {
    viewer.render("password_forgot", "Forgot your password?", &json!({}))
}

#[derive(Deserialize)]
struct ForgotForm {
    email: String,
}

/// The same answer whether or not there is an account; limited per client address here and
/// per account in the outbox.
async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    viewer: Viewer,
    form: CsrfForm<ForgotForm>,
) -> PageResult {
    if state.link_limiter.check_key(&state.client_ip(&req)).is_err() {
        return Err(AppError::TooManyRequests.into());
    }
    let CsrfForm(ForgotForm { email }, sent) = form;
    let (ctx, typed) = (state.ctx.clone(), email.clone());
    if let Err(e) = state.db.run(move |conn| staff::forgot_password(conn, &ctx, &typed)).await {
        return again(e, &sent, forgot_form(viewer)).await;
    }
    viewer.render("password_forgot", "Check your email", &json!({"sent": true, "email": email.trim()}))
}

async fn set_form(state: web::Data<AppState>, viewer: Viewer, token: web::Path<String>) -> PageResult {
    let (ctx, token) = (state.ctx.clone(), token.into_inner());
    let t = token.clone();
    let link = state.db.run(move |conn| staff::link(conn, &ctx, &t)).await?;
    viewer.render("password_set", "Set your password", &json!({"link": link, "token": token}))
}

async fn set_password(
    state: web::Data<AppState>,
    viewer: Viewer,
    token: web::Path<String>,
    form: CsrfForm<NewPasswordInput>,
) -> PageResult {
    let (ctx, token) = (state.ctx.clone(), token.into_inner());
    let CsrfForm(input, sent) = form;
    let t = token.clone();
    if let Err(e) = state.db.run(move |conn| staff::set_password_with_link(conn, &ctx, &t, &input)).await {
        return again(e, &sent, set_form(state, viewer, web::Path::from(token))).await;
    }
    session::notice(&viewer.session, "Your password is set. Sign in with it.");
    Ok(redirect("/login"))
}
