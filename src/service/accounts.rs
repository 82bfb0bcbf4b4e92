//! Staff accounts, passwords and API tokens.

use super::{Ctx, Identity};
use crate::db::models::{ApiToken, User};
use crate::db::{self, DbConn};
use crate::domain::email::EmailAddress;
use crate::domain::tokens;
use crate::error::{AppError, AppResult};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;
use std::sync::LazyLock;
use utoipa::ToSchema;

pub const MIN_PASSWORD: usize = 10;

pub fn hash_password(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false)
}

/// A hash to verify against when the email is unknown, so a wrong email takes as long as a
/// wrong password and does not reveal which accounts exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

/// Creates a staff account. `can_create_boards` lets a non-administrator create boards of their
/// own (administrators always can).
pub fn create_user(conn: &mut DbConn, ctx: &Ctx, email: &str, name: &str, password: &str, is_admin: bool) -> AppResult<User> {
    create_user_with(conn, ctx, email, name, password, is_admin, true)
}

pub fn create_user_with(conn: &mut DbConn, ctx: &Ctx, email: &str, name: &str, password: &str, is_admin: bool, can_create_boards: bool) -> AppResult<User> {
    let email = EmailAddress::parse(email).map_err(AppError::invalid)?;
    let name = super::required("Name", name, 200)?;
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::invalid(format!("The password needs at least {MIN_PASSWORD} characters.")));
    }
    if db::users::find_by_email(conn, email.as_str())?.is_some() {
        return Err(AppError::Conflict(format!("An account for {} already exists.", email.as_str())));
    }
    let user = User {
        id: db::new_id(),
        email: email.as_str().to_string(),
        name,
        password_hash: hash_password(password)?,
        is_admin,
        created_at: ctx.now(),
        can_create_boards,
    };
    super::in_tx(conn, |conn| {
        db::users::insert(conn, &user)?;
        // Roles given on boards to this email before the account existed.
        for (board_id, role) in db::boards::take_pending_roles(conn, &user.email)? {
            db::boards::set_member(conn, &crate::db::models::BoardMember { board_id, user_id: user.id.clone(), role, created_at: ctx.now() })?;
        }
        Ok(())
    })?;
    Ok(user)
}

pub fn authenticate(conn: &mut DbConn, email: &str, password: &str) -> AppResult<User> {
    let email = email.trim().to_lowercase();
    match db::users::find_by_email(conn, &email)? {
        Some(user) if verify_password(&user.password_hash, password) => Ok(user),
        Some(_) => Err(bad_login()),
        None => {
            verify_password(&DUMMY_HASH, password);
            Err(bad_login())
        }
    }
}

fn bad_login() -> AppError {
    AppError::Unprocessable("That email and password do not match an account.".into())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewToken {
    pub id: String,
    pub name: String,
    /// The bearer token. It is shown this once and cannot be recovered.
    pub token: String,
}

fn utc_text(t: time::PrimitiveDateTime) -> String {
    t.assume_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

pub fn list_tokens(conn: &mut DbConn, user: &User) -> AppResult<Vec<TokenView>> {
    Ok(db::users::tokens_of_user(conn, &user.id)?
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            name: t.name,
            created_at: utc_text(t.created_at),
            last_used_at: t.last_used_at.map(utc_text),
            revoked: t.revoked_at.is_some(),
        })
        .collect())
}

pub fn create_token(conn: &mut DbConn, ctx: &Ctx, user: &User, name: &str) -> AppResult<NewToken> {
    let name = super::required("Token name", name, 100)?;
    issue_token(conn, ctx, Some(&user.id), None, &name)
}

fn issue_token(conn: &mut DbConn, ctx: &Ctx, user_id: Option<&str>, participant_id: Option<&str>, name: &str) -> AppResult<NewToken> {
    let secret = tokens::generate();
    let token = ApiToken {
        id: db::new_id(),
        user_id: user_id.map(str::to_string),
        participant_id: participant_id.map(str::to_string),
        name: name.to_string(),
        token_hash: secret.hash,
        created_at: ctx.now(),
        last_used_at: None,
        revoked_at: None,
    };
    db::users::insert_token(conn, &token)?;
    Ok(NewToken { id: token.id, name: token.name, token: format!("fb_{}", secret.plain) })
}

pub fn revoke_token(conn: &mut DbConn, ctx: &Ctx, user: &User, token_id: &str) -> AppResult<()> {
    if db::users::revoke_token(conn, &user.id, token_id, ctx.now())? {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

/// Who a bearer token belongs to. Unknown and revoked tokens are refused alike.
pub fn identity_of_bearer(conn: &mut DbConn, ctx: &Ctx, bearer: &str) -> AppResult<Identity> {
    let plain = bearer.strip_prefix("fb_").ok_or(AppError::Unauthorized)?;
    let token = db::users::find_active_token(conn, &tokens::hash(plain))?.ok_or(AppError::Unauthorized)?;
    let now = ctx.now();
    // Recording every use would make each API read a write; once a minute is enough to see
    // whether a token is in use.
    if token.last_used_at.is_none_or(|t| now - t > time::Duration::minutes(1)) {
        db::users::touch_token(conn, &token.id, now)?;
    }
    match (token.user_id, token.participant_id) {
        (Some(u), _) => Ok(Identity::User(u)),
        (None, Some(p)) => Ok(Identity::Participant { id: p, link: None }),
        (None, None) => Err(AppError::Unauthorized),
    }
}

/// Exchanges a participant's sign-in link token for an API bearer token.
pub fn participant_token(conn: &mut DbConn, ctx: &Ctx, link_token: &str) -> AppResult<NewToken> {
    let p = super::people::participant_of_link(conn, ctx, link_token)?;
    db::participants::record_sign_in(conn, &p, ctx.now())?;
    issue_token(conn, ctx, None, Some(&p.id), "sign-in link")
}
