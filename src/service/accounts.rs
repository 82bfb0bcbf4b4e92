//! Staff accounts, passwords and API tokens.

use super::{Ctx, Field, Identity};
use crate::db::models::{ApiToken, User};
use crate::db::{self, DbConn};
use crate::domain::email::EmailAddress;
use crate::domain::ids::{ParticipantId, QuestionId, UserId};
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
    PasswordHash::new(hash).map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok()).unwrap_or(false)
}

/// A hash to verify against when the email is unknown, so a wrong email takes as long as a
/// wrong password and does not reveal which accounts exist.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

/// Creates a staff account. `can_create_boards` lets a non-administrator create boards of their
/// own (administrators always can).
pub fn create_user(
    conn: &mut DbConn,
    ctx: &Ctx,
    email: &str,
    name: &str,
    password: &str,
    is_admin: bool,
) -> AppResult<User> {
    create_user_with(conn, ctx, email, name, password, is_admin, true)
}

pub fn create_user_with(
    conn: &mut DbConn,
    ctx: &Ctx,
    email: &str,
    name: &str,
    password: &str,
    is_admin: bool,
    can_create_boards: bool,
) -> AppResult<User> {
    let email = EmailAddress::parse(email).map_err(|e| AppError::invalid_field("email", e))?;
    let name = super::required(Field("name", "Name"), name, 200)?;
    if password.chars().count() < MIN_PASSWORD {
        return Err(AppError::invalid_field(
            "password",
            format!("The password needs at least {MIN_PASSWORD} characters."),
        ));
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
        disabled_at: None,
    };
    super::in_tx(conn, |conn| {
        db::users::insert(conn, &user)?;
        // Roles given on boards to this email before the account existed.
        for (board_id, role) in db::boards::take_pending_roles(conn, &user.email)? {
            db::boards::set_member(
                conn,
                &crate::db::models::BoardMember {
                    board_id,
                    user_id: user.id.clone(),
                    role,
                    created_at: ctx.now(),
                    digest: false,
                    digest_sent_at: None,
                },
            )?;
        }
        Ok(())
    })?;
    Ok(user)
}

pub fn authenticate(conn: &mut DbConn, email: &str, password: &str) -> AppResult<User> {
    let email = email.trim().to_lowercase();
    match db::users::find_by_email(conn, &email)? {
        Some(user) if verify_password(&user.password_hash, password) && user.disabled_at.is_none() => Ok(user),
        Some(_) => Err(bad_login()),
        None => {
            verify_password(&DUMMY_HASH, password);
            Err(bad_login())
        }
    }
}

fn bad_login() -> AppError {
    AppError::invalid("That email and password do not match an account.")
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    /// When the token stops working (RFC 3339); null for tokens made before tokens expired.
    pub expires_at: Option<String>,
    /// Only reads are allowed with it.
    pub read_only: bool,
    pub revoked: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewToken {
    pub id: String,
    pub name: String,
    /// The bearer token. It is shown this once and cannot be recovered.
    pub token: String,
    pub expires_at: Option<String>,
    pub read_only: bool,
}

fn utc_text(t: time::PrimitiveDateTime) -> String {
    t.assume_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

pub fn list_tokens(conn: &mut DbConn, ctx: &Ctx, user: &User) -> AppResult<Vec<TokenView>> {
    Ok(db::users::tokens_of_user(conn, &user.id)?
        .into_iter()
        .map(|t| TokenView {
            // A use not yet written (`reads`) counts too.
            last_used_at: t.last_used_at.max(ctx.reads.last_use(super::reads::Used::Token, &t.id)).map(utc_text),
            id: t.id,
            name: t.name,
            created_at: utc_text(t.created_at),
            expires_at: t.expires_at.map(utc_text),
            read_only: t.read_only,
            revoked: t.revoked_at.is_some(),
        })
        .collect())
}

/// What a staff member chooses for a new token.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
#[serde(default)]
pub struct TokenInput {
    pub name: String,
    /// Days until it stops working, 1 to 366; absent: the instance's default (90).
    #[schema(value_type = Option<String>)]
    pub days: Option<serde_json::Value>,
    /// true or "on": it may only read.
    #[schema(value_type = Option<bool>)]
    pub read_only: Option<serde_json::Value>,
}

/// A staff member's token, made from their signed-in account page (never with another token:
/// a leaked token cannot mint fresh ones).
pub fn create_token(conn: &mut DbConn, ctx: &Ctx, user: &User, input: &TokenInput) -> AppResult<NewToken> {
    let name = super::required(Field("name", "Token name"), &input.name, 100)?;
    let days = match &input.days {
        None | Some(serde_json::Value::Null) => ctx.token_days,
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => ctx.token_days,
        Some(serde_json::Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| AppError::invalid_field("days", "Days must be a whole number from 1 to 366."))?,
        Some(serde_json::Value::Number(n)) => {
            n.as_i64().ok_or_else(|| AppError::invalid_field("days", "Days must be a whole number from 1 to 366."))?
        }
        Some(_) => return Err(AppError::invalid_field("days", "Days must be a whole number from 1 to 366.")),
    };
    if !(1..=366).contains(&days) {
        return Err(AppError::invalid_field("days", "Days must be a whole number from 1 to 366."));
    }
    issue_token(
        conn,
        ctx,
        Some(&user.id),
        None,
        &name,
        Some(ctx.now() + time::Duration::days(days)),
        super::truthy(&input.read_only),
    )
}

fn issue_token(
    conn: &mut DbConn,
    ctx: &Ctx,
    user_id: Option<&UserId>,
    participant_id: Option<&ParticipantId>,
    name: &str,
    expires_at: Option<time::PrimitiveDateTime>,
    read_only: bool,
) -> AppResult<NewToken> {
    let secret = tokens::generate();
    let token = ApiToken {
        id: db::new_id(),
        user_id: user_id.cloned(),
        participant_id: participant_id.cloned(),
        name: name.to_string(),
        token_hash: secret.hash,
        created_at: ctx.now(),
        last_used_at: None,
        revoked_at: None,
        expires_at,
        read_only,
    };
    db::users::insert_token(conn, &token)?;
    Ok(NewToken {
        id: token.id,
        name: token.name,
        token: format!("fb_{}", secret.plain),
        expires_at: expires_at.map(utc_text),
        read_only,
    })
}

pub fn revoke_token(conn: &mut DbConn, ctx: &Ctx, user: &User, token_id: &str) -> AppResult<()> {
    if db::users::revoke_token(conn, &user.id, token_id, ctx.now())? {
        Ok(())
    } else {
        Err(AppError::not_found())
    }
}

/// A bearer token's holder and whether it may only read. Unknown, revoked and expired tokens
/// are refused alike.
pub fn identity_of_bearer(conn: &mut DbConn, ctx: &Ctx, bearer: &str) -> AppResult<(Identity, bool)> {
    let token = db::users::find_active_token(conn, &bearer_hash(bearer)?)?;
    identity_of_token(ctx, token)
}

/// As `identity_of_bearer`, with the version of the board of `question` read in the same
/// statement (`pages::board_version`, which needs no permission): what the API's question view
/// reads first on every request.
pub fn identity_of_bearer_at(
    conn: &mut DbConn,
    ctx: &Ctx,
    bearer: &str,
    question: &QuestionId,
) -> AppResult<(Identity, bool, Option<i64>)> {
    let found = db::users::find_active_token_with_version(conn, &bearer_hash(bearer)?, question)?;
    let version = found.as_ref().and_then(|(_, v)| *v);
    let (identity, read_only) = identity_of_token(ctx, found.map(|(t, _)| t))?;
    Ok((identity, read_only, version))
}

fn bearer_hash(bearer: &str) -> AppResult<String> {
    let plain = bearer.strip_prefix("fb_").ok_or(AppError::Unauthorized)?;
    Ok(tokens::hash(plain))
}

/// Who a token found by its hash stands for, if it is still good.
fn identity_of_token(ctx: &Ctx, token: Option<ApiToken>) -> AppResult<(Identity, bool)> {
    let now = ctx.now();
    let token = token.filter(|t| t.expires_at.is_none_or(|end| end > now)).ok_or(AppError::Unauthorized)?;
    // Recording every use would make each API read a write; once a minute is enough to see
    // whether a token is in use, written later with the read marks (`reads`).
    let waiting = ctx.reads.last_use(super::reads::Used::Token, &token.id);
    if token.last_used_at.max(waiting).is_none_or(|t| now - t > time::Duration::minutes(1)) {
        ctx.reads.note_use(super::reads::Used::Token, &token.id, now);
    }
    let identity = match (token.user_id, token.participant_id) {
        (Some(u), _) => Identity::User { id: u, session: None },
        (None, Some(p)) => Identity::Participant { id: p, link: None, session: None },
        (None, None) => return Err(AppError::Unauthorized),
    };
    Ok((identity, token.read_only))
}

/// Exchanges a participant's sign-in link token for an API bearer token, which ends with the
/// link.
pub fn participant_token(conn: &mut DbConn, ctx: &Ctx, link_token: &str) -> AppResult<NewToken> {
    let p = super::participants::participant_of_link(conn, ctx, link_token)?;
    db::participants::record_sign_in(conn, &p, ctx.now())?;
    issue_token(conn, ctx, None, Some(&p.id), "sign-in link", p.token_expires_at, false)
}

/// A new browser session for a staff member who signed in; returns the cookie's secret.
pub fn start_user_session(conn: &mut DbConn, ctx: &Ctx, user: &User) -> AppResult<String> {
    start_session(conn, ctx, Some(&user.id), None, ctx.now() + ctx.session_max)
}

/// A new browser session for a participant who followed their link; it ends with the link.
pub fn start_participant_session(
    conn: &mut DbConn,
    ctx: &Ctx,
    p: &crate::db::models::Participant,
) -> AppResult<String> {
    let end = ctx.now() + ctx.session_max;
    let end = p.token_expires_at.map_or(end, |link_end| link_end.min(end));
    start_session(conn, ctx, None, Some(&p.id), end)
}

fn start_session(
    conn: &mut DbConn,
    ctx: &Ctx,
    user_id: Option<&UserId>,
    participant_id: Option<&ParticipantId>,
    expires_at: time::PrimitiveDateTime,
) -> AppResult<String> {
    let secret = tokens::generate();
    let now = ctx.now();
    db::users::insert_session(
        conn,
        &crate::db::models::SessionRow {
            id: secret.hash,
            user_id: user_id.cloned(),
            participant_id: participant_id.cloned(),
            created_at: now,
            last_seen_at: now,
            expires_at,
            revoked_at: None,
        },
    )?;
    Ok(secret.plain)
}

/// Signing out: the session ends on the server, so a copy of the cookie is worth nothing.
pub fn end_session(conn: &mut DbConn, ctx: &Ctx, secret: &str) -> AppResult<()> {
    db::users::revoke_session(conn, &tokens::hash(secret), ctx.now())?;
    Ok(())
}

/// Ends every session and token of a staff account: "sign out everywhere", a new password, a
/// disabled account.
pub fn end_everything_of(conn: &mut DbConn, ctx: &Ctx, user_id: &UserId) -> AppResult<()> {
    super::in_tx(conn, |conn| {
        db::users::revoke_user_sessions(conn, user_id, ctx.now())?;
        db::users::revoke_user_tokens(conn, user_id, ctx.now())?;
        Ok(())
    })
}

/// A staff member changes their password; every other session and every token ends.
pub fn change_password(conn: &mut DbConn, ctx: &Ctx, user: &User, current: &str, new: &str) -> AppResult<()> {
    if !verify_password(&user.password_hash, current) {
        return Err(AppError::invalid_field("current_password", "The current password is not right."));
    }
    if new.chars().count() < MIN_PASSWORD {
        return Err(AppError::invalid_field(
            "password",
            format!("The password needs at least {MIN_PASSWORD} characters."),
        ));
    }
    set_password(conn, ctx, user, new)
}

/// Sets a new password on an account (the command line asks no current password: who runs it
/// owns the server); every session and token of the account ends.
pub fn set_password(conn: &mut DbConn, ctx: &Ctx, user: &User, new: &str) -> AppResult<()> {
    let hash = hash_password(new)?;
    super::in_tx(conn, |conn| {
        db::users::set_password_hash(conn, &user.id, &hash)?;
        end_everything_of(conn, ctx, &user.id)
    })
}

/// Lets a staff account create boards, or stops it (the command line).
pub fn set_board_creation(conn: &mut DbConn, _ctx: &Ctx, email: &str, allow: bool) -> AppResult<User> {
    let user = db::users::find_by_email(conn, &email.trim().to_lowercase())?
        .ok_or_else(|| AppError::NotFound(format!("There is no account for {email}.")))?;
    db::users::set_board_creation(conn, &user.id, allow)?;
    Ok(User { can_create_boards: allow, ..user })
}

/// Disables or re-enables a staff account (administrators; the command line). Disabling ends
/// its sessions and tokens at once.
pub fn set_disabled(conn: &mut DbConn, ctx: &Ctx, email: &str, disabled: bool) -> AppResult<User> {
    let user = db::users::find_by_email(conn, &email.trim().to_lowercase())?
        .ok_or_else(|| AppError::NotFound(format!("There is no account for {email}.")))?;
    super::in_tx(conn, |conn| {
        db::users::set_disabled(conn, &user.id, disabled.then(|| ctx.now()))?;
        if disabled {
            end_everything_of(conn, ctx, &user.id)?;
        }
        Ok(())
    })?;
    Ok(user)
}
