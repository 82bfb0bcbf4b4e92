//! Doing a thing once when it is asked for twice: a client that retries after a lost answer
//! (`Idempotency-Key` in the API, a one-time token in a page's form) gets the first answer
//! again instead of a second post, vote or import.

use super::{in_tx, Actor, Ctx};
use crate::db::{self, DbConn};
use crate::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::Value;

/// The longest key accepted.
pub const MAX_KEY: usize = 200;
/// How long a key is remembered.
pub const KEPT: time::Duration = time::Duration::hours(24);

/// Runs `f` unless `actor` already ran `action` with `key`, in which case the stored answer is
/// returned (with `true`). The action and the stored answer share one transaction, so a crash
/// leaves neither or both; of two concurrent tries with one key, the second gets the first's
/// answer. Answers are JSON, as the API sends them. Without a key, `f` simply runs.
pub fn once<T, F>(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    key: Option<&str>,
    action: &str,
    f: F,
) -> AppResult<(Value, bool)>
where
    T: Serialize,
    F: FnOnce(&mut DbConn) -> AppResult<T>,
{
    let Some(key) = key else {
        return Ok((serde_json::to_value(f(conn)?).map_err(|e| AppError::Internal(e.into()))?, false));
    };
    let key = key.trim();
    if key.is_empty() || key.chars().count() > MAX_KEY {
        return Err(AppError::BadRequest(format!("An idempotency key is 1 to {MAX_KEY} characters.")));
    }
    let owner = actor.reader_id().to_string();
    let result = in_tx(conn, |conn| {
        if let Some(stored) = db::idempotency::find(conn, &owner, key)? {
            return replay(stored, action).map(|v| (v, true));
        }
        let value = serde_json::to_value(f(conn)?).map_err(|e| AppError::Internal(e.into()))?;
        let text = value.to_string();
        db::idempotency::insert(conn, &owner, key, action, 200, &text, ctx.now())?;
        Ok((value, false))
    });
    match result {
        Ok(done) => Ok(done),
        // Another request with the same key may have won the race: its answer is ours.
        Err(e) => match db::idempotency::find(conn, &owner, key)? {
            Some(stored) => replay(stored, action).map(|v| (v, true)),
            None => Err(e),
        },
    }
}

fn replay((stored_action, _status, response): (String, i32, String), action: &str) -> AppResult<Value> {
    if stored_action != action {
        return Err(AppError::invalid("This idempotency key was already used for a different request."));
    }
    serde_json::from_str(&response)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("a stored answer could not be read: {e}")))
}

/// Forgets keys older than a day; the scheduler calls it.
pub fn prune(conn: &mut DbConn, now: time::PrimitiveDateTime) -> AppResult<usize> {
    Ok(db::idempotency::prune(conn, now - KEPT)?)
}
