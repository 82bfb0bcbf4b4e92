//! Staff accounts and API tokens.

use super::models::{AccountLink, ApiToken, SessionRow, User};
use super::schema::{account_links, api_tokens, sessions, users};
use super::DbConn;
use crate::domain::ids::{ParticipantId, QuestionId, UserId};
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub fn insert(conn: &mut DbConn, user: &User) -> QueryResult<()> {
    diesel::insert_into(users::table).values(user).execute(conn).map(drop)
}

/// Who is asking, on every request of a staff member: on the backend's own connection.
pub fn find(conn: &mut DbConn, id: &UserId) -> QueryResult<Option<User>> {
    super::on_own_backend!(conn, |c| users::table.find(id).select(User::as_select()).first(c).optional())
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table.filter(users::email.eq(email)).select(User::as_select()).first(conn).optional()
}

/// (id, name) of the given accounts.
pub fn names(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<(UserId, String)>> {
    users::table.filter(users::id.eq_any(ids)).select((users::id, users::name)).load(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn insert_token(conn: &mut DbConn, token: &ApiToken) -> QueryResult<()> {
    diesel::insert_into(api_tokens::table).values(token).execute(conn).map(drop)
}

/// On every API request: on the backend's own connection.
pub fn find_active_token(conn: &mut DbConn, hash: &str) -> QueryResult<Option<ApiToken>> {
    super::on_own_backend!(conn, |c| api_tokens::table
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .select(ApiToken::as_select())
        .first(c)
        .optional())
}

/// As `find_active_token`, with the version of the board of `question` in the same statement
/// (`boards::version_of_question`): the API's question view reads both on every request, and
/// one statement is one round trip and one read of the database instead of two.
pub fn find_active_token_with_version(
    conn: &mut DbConn,
    hash: &str,
    question: &QuestionId,
) -> QueryResult<Option<(ApiToken, Option<i64>)>> {
    use super::schema::{board_versions, questions};
    let board = questions::table.find(question).select(questions::board_id).single_value();
    let version = board_versions::table
        .filter(board_versions::board_id.nullable().eq(board))
        .select(board_versions::version)
        .single_value();
    super::on_own_backend!(conn, |c| api_tokens::table
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .select((ApiToken::as_select(), version))
        .first(c)
        .optional())
}

pub fn tokens_of_user(conn: &mut DbConn, user_id: &UserId) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at.desc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// Revokes one of the user's own tokens; returns whether there was one to revoke.
pub fn revoke_token(conn: &mut DbConn, user_id: &UserId, token_id: &str, now: PrimitiveDateTime) -> QueryResult<bool> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(token_id))
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// Revokes every API token a participant exchanged from a sign-in link.
pub fn revoke_participant_tokens(
    conn: &mut DbConn,
    participant_id: &ParticipantId,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::participant_id.eq(participant_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
}

pub fn touch_token(conn: &mut DbConn, id: &str, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(api_tokens::table.find(id)).set(api_tokens::last_used_at.eq(now)).execute(conn).map(drop)
}

/// Revokes every token of a staff account (password changed, account disabled, signed out
/// everywhere).
pub fn revoke_user_tokens(conn: &mut DbConn, user_id: &UserId, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(api_tokens::table.filter(api_tokens::user_id.eq(user_id)).filter(api_tokens::revoked_at.is_null()))
        .set(api_tokens::revoked_at.eq(now))
        .execute(conn)
}

pub fn set_disabled(conn: &mut DbConn, user_id: &UserId, at: Option<PrimitiveDateTime>) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id)).set(users::disabled_at.eq(at)).execute(conn)
}

pub fn set_board_creation(conn: &mut DbConn, user_id: &UserId, allow: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id)).set(users::can_create_boards.eq(allow)).execute(conn)
}

pub fn set_password_hash(conn: &mut DbConn, user_id: &UserId, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id)).set(users::password_hash.eq(hash)).execute(conn)
}

pub fn insert_session(conn: &mut DbConn, session: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(sessions::table).values(session).execute(conn).map(drop)
}

/// A session that is neither revoked nor past its absolute end.
/// On every request from a browser: on the backend's own connection.
pub fn find_live_session(conn: &mut DbConn, id: &str, now: PrimitiveDateTime) -> QueryResult<Option<SessionRow>> {
    super::on_own_backend!(conn, |c| sessions::table
        .find(id)
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(c)
        .optional())
}

pub fn touch_session(conn: &mut DbConn, id: &str, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id)).set(sessions::last_seen_at.eq(now)).execute(conn).map(drop)
}

pub fn revoke_session(conn: &mut DbConn, id: &str, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id).filter(sessions::revoked_at.is_null()))
        .set(sessions::revoked_at.eq(now))
        .execute(conn)
}

/// Ends every session of a staff account.
pub fn revoke_user_sessions(conn: &mut DbConn, user_id: &UserId, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::user_id.eq(user_id)).filter(sessions::revoked_at.is_null()))
        .set(sessions::revoked_at.eq(now))
        .execute(conn)
}

/// Ends every session of a participant (a new link was issued).
pub fn revoke_participant_sessions(
    conn: &mut DbConn,
    participant_id: &ParticipantId,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table.filter(sessions::participant_id.eq(participant_id)).filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)
}

pub fn insert_account_link(conn: &mut DbConn, link: &AccountLink) -> QueryResult<()> {
    diesel::insert_into(account_links::table).values(link).execute(conn).map(drop)
}

/// Uses a link: marks it used if it was unused and unexpired at `now`, and returns it; `None`
/// when it is unknown, used or expired. The update decides, so a link is used once even when
/// two requests race.
pub fn use_account_link(
    conn: &mut DbConn,
    token_hash: &str,
    now: PrimitiveDateTime,
) -> QueryResult<Option<AccountLink>> {
    let unused = account_links::table
        .filter(account_links::token_hash.eq(token_hash))
        .filter(account_links::used_at.is_null())
        .filter(account_links::expires_at.gt(now));
    if diesel::update(unused).set(account_links::used_at.eq(now)).execute(conn)? == 0 {
        return Ok(None);
    }
    account_links::table.find(token_hash).select(AccountLink::as_select()).first(conn).optional()
}

/// A link as it stands, without using it (the page that asks for the new password).
pub fn find_account_link(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<AccountLink>> {
    account_links::table.find(token_hash).select(AccountLink::as_select()).first(conn).optional()
}

/// Every staff account, by name.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<User>> {
    users::table.order((users::name.asc(), users::email.asc())).select(User::as_select()).load(conn)
}

pub fn set_name(conn: &mut DbConn, user_id: &UserId, name: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id)).set(users::name.eq(name)).execute(conn)
}

/// Accounts with an invitation link not used yet: they have not set a password.
pub fn with_open_invitation(conn: &mut DbConn) -> QueryResult<Vec<UserId>> {
    account_links::table
        .filter(account_links::purpose.eq(crate::domain::roles::AccountLinkPurpose::Invitation))
        .filter(account_links::used_at.is_null())
        .select(account_links::user_id)
        .load(conn)
}
