//! Staff accounts from the browser: administrators invite staff by email and disable or enable
//! accounts; anyone can ask for a password reset from the sign-in page; a single-use,
//! expiring link sets the password; staff rename themselves.

use super::accounts::{create_user_with, end_everything_of, hash_password, MIN_PASSWORD};
use super::notifications::outbox_message;
use super::{in_tx, Actor, Ctx, Field};
use crate::db::models::{AccountLink, User};
use crate::db::{self, DbConn};
use crate::domain::email::{EmailAddress, EmailKind};
use crate::domain::ids::UserId;
use crate::domain::roles::AccountLinkPurpose;
use crate::domain::timezone::BoardZone;
use crate::domain::tokens;
use crate::email::compose::compose;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How long an invitation to set a first password works.
const INVITATION_DAYS: i64 = 7;
/// How long a password reset link works.
const RESET_MINUTES: i64 = 60;
/// At most one reset email per account in each such window (by the outbox's dedup key).
const RESET_WINDOW_SECS: i64 = 600;

fn require_admin(actor: &Actor) -> AppResult<&User> {
    match actor {
        Actor::User(u) if u.is_admin => Ok(u),
        _ => Err(AppError::forbidden("Staff accounts are managed by administrators.")),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StaffAccount {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub can_create_boards: bool,
    pub disabled: bool,
    /// Invited and has not set a password yet.
    pub invited: bool,
    pub is_you: bool,
}

/// Every staff account, for administrators.
pub fn accounts(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<StaffAccount>> {
    let me = require_admin(actor)?;
    let waiting: std::collections::HashSet<UserId> = db::users::with_open_invitation(conn)?.into_iter().collect();
    Ok(db::users::all(conn)?
        .into_iter()
        .map(|u| StaffAccount {
            invited: waiting.contains(&u.id),
            is_you: u.id == me.id,
            disabled: u.disabled_at.is_some(),
            id: u.id,
            name: u.name,
            email: u.email,
            is_admin: u.is_admin,
            can_create_boards: u.can_create_boards || u.is_admin,
        })
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InviteInput {
    pub email: String,
    pub name: String,
    /// "on": the account may create boards of its own.
    pub can_create_boards: Option<String>,
}

/// A new staff account, invited by an administrator: the person sets their password from the
/// link in the email (single-use, a week). Roles given on boards to the address before come
/// with it.
pub fn invite(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, input: &InviteInput) -> AppResult<User> {
    let admin = require_admin(actor)?.clone();
    // Nobody knows this password: the account signs in once its owner sets one.
    let unusable = tokens::generate().plain;
    let can_create = input.can_create_boards.as_deref().is_some_and(|v| matches!(v, "on" | "true" | "yes"));
    in_tx(conn, |conn| {
        let user = create_user_with(conn, ctx, &input.email, &input.name, &unusable, false, can_create)?;
        let (url, expires) =
            new_link(conn, ctx, &user, AccountLinkPurpose::Invitation, time::Duration::days(INVITATION_DAYS))?;
        let data = json!({"name": user.name, "email": user.email, "inviter": admin.name, "url": url,
                          "expires": expires, "login_url": format!("{}/login", ctx.base_url)});
        send(conn, ctx, &user, EmailKind::StaffInvitation, None, &data)?;
        tracing::info!(admin = %admin.id, user = %user.id, "staff account invited");
        Ok(user)
    })
}

/// "Forgot password": emails a reset link to an enabled account with this address. Says
/// nothing of whether there is one; one email per account in ten minutes.
pub fn forgot_password(conn: &mut DbConn, ctx: &Ctx, email: &str) -> AppResult<()> {
    let address = EmailAddress::parse(email)
        .map_err(|why| AppError::invalid_field("email", format!("Please check the address: {why}.")))?;
    let Some(user) = db::users::find_by_email(conn, address.as_str())?.filter(|u| u.disabled_at.is_none()) else {
        return Ok(());
    };
    let window = ctx.now().assume_utc().unix_timestamp() / RESET_WINDOW_SECS;
    let key = format!("password_reset:{}:{window}", user.id);
    in_tx(conn, |conn| {
        if !db::outbox::existing_keys(conn, std::slice::from_ref(&key))?.is_empty() {
            return Ok(());
        }
        let (url, expires) =
            new_link(conn, ctx, &user, AccountLinkPurpose::Reset, time::Duration::minutes(RESET_MINUTES))?;
        let data = json!({"name": user.name, "email": user.email, "url": url, "expires": expires});
        send(conn, ctx, &user, EmailKind::PasswordReset, Some(key), &data)
    })
}

/// Stores a new link for `user` and returns its address and when it stops working.
fn new_link(
    conn: &mut DbConn,
    ctx: &Ctx,
    user: &User,
    purpose: AccountLinkPurpose,
    valid: time::Duration,
) -> AppResult<(String, String)> {
    let secret = tokens::generate();
    let now = ctx.now();
    let link = AccountLink {
        token_hash: secret.hash,
        user_id: user.id.clone(),
        purpose,
        created_at: now,
        expires_at: now + valid,
        used_at: None,
    };
    db::users::insert_account_link(conn, &link)?;
    let expires = BoardZone::of("UTC").display(link.expires_at);
    Ok((format!("{}/password/{}", ctx.base_url, secret.plain), expires))
}

fn send(
    conn: &mut DbConn,
    ctx: &Ctx,
    user: &User,
    kind: EmailKind,
    dedup: Option<String>,
    data: &serde_json::Value,
) -> AppResult<()> {
    let composed = compose(kind, data)?;
    db::outbox::insert(conn, &outbox_message(ctx, None, None, &user.email, kind, dedup, composed, None))?;
    Ok(())
}

/// What the page that sets a password shows about its link.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    pub email: String,
    pub name: String,
    pub purpose: AccountLinkPurpose,
}

fn link_refused() -> AppError {
    AppError::NotFound(
        "This link has been used, has expired or is not one we sent. Ask for a new one on the sign-in page.".into(),
    )
}

/// The account a link is for, if the link can still be used (it is not used by looking).
pub fn link(conn: &mut DbConn, ctx: &Ctx, token: &str) -> AppResult<LinkView> {
    let link = db::users::find_account_link(conn, &tokens::hash(token))?
        .filter(|l| l.used_at.is_none() && l.expires_at > ctx.now())
        .ok_or_else(link_refused)?;
    let user = db::users::find(conn, &link.user_id)?.filter(|u| u.disabled_at.is_none()).ok_or_else(link_refused)?;
    Ok(LinkView { email: user.email, name: user.name, purpose: link.purpose })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewPasswordInput {
    pub password: String,
    pub password_again: String,
}

/// Sets the password of the link's account and uses the link up; every earlier session and
/// token of the account ends. Returns the account, to sign it in.
pub fn set_password_with_link(conn: &mut DbConn, ctx: &Ctx, token: &str, input: &NewPasswordInput) -> AppResult<User> {
    if input.password.chars().count() < MIN_PASSWORD {
        return Err(AppError::invalid_field(
            "password",
            format!("The password needs at least {MIN_PASSWORD} characters."),
        ));
    }
    if input.password != input.password_again {
        return Err(AppError::invalid_field("password_again", "The two passwords are not the same."));
    }
    let hash = hash_password(&input.password)?;
    in_tx(conn, |conn| {
        let link = db::users::use_account_link(conn, &tokens::hash(token), ctx.now())?.ok_or_else(link_refused)?;
        let user =
            db::users::find(conn, &link.user_id)?.filter(|u| u.disabled_at.is_none()).ok_or_else(link_refused)?;
        db::users::set_password_hash(conn, &user.id, &hash)?;
        end_everything_of(conn, ctx, &user.id)?;
        Ok(user)
    })
}

/// An administrator disables or enables another account; disabling ends its sessions and API
/// tokens at once.
pub fn set_disabled(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, user_id: &UserId, disabled: bool) -> AppResult<User> {
    let admin = require_admin(actor)?;
    if admin.id == *user_id {
        return Err(AppError::Conflict("You cannot disable your own account.".into()));
    }
    let user = db::users::find(conn, user_id)?.ok_or_else(AppError::not_found)?;
    super::accounts::set_disabled(conn, ctx, &user.email, disabled)
}

/// Staff change the name others see.
pub fn rename(conn: &mut DbConn, actor: &Actor, name: &str) -> AppResult<()> {
    let user = actor.user()?;
    let name = super::required(Field("name", "Your name"), name, 200)?;
    db::users::set_name(conn, &user.id, &name)?;
    Ok(())
}
