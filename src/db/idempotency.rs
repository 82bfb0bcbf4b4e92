//! Answers kept for retried requests.

use super::schema::idempotency_keys as keys;
use super::DbConn;
use diesel::prelude::*;
use time::PrimitiveDateTime;

/// (action, status, response) stored for `owner`'s `key`.
pub fn find(conn: &mut DbConn, owner: &str, key: &str) -> QueryResult<Option<(String, i32, String)>> {
    keys::table.find((owner, key)).select((keys::action, keys::status, keys::response)).first(conn).optional()
}

pub fn insert(
    conn: &mut DbConn,
    owner: &str,
    key: &str,
    action: &str,
    status: i32,
    response: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(keys::table)
        .values((
            keys::owner_id.eq(owner),
            keys::key.eq(key),
            keys::action.eq(action),
            keys::status.eq(status),
            keys::response.eq(response),
            keys::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Forgets keys older than `before`.
pub fn prune(conn: &mut DbConn, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(keys::table.filter(keys::created_at.lt(before))).execute(conn)
}
