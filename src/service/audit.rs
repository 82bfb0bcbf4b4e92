//! The audit log: every action of a moderator or administrator on a board, with who, what,
//! when, and the state before and after. Co-moderators and moderators can read it.

use super::views::When;
use super::{access, Access, Actor, Ctx};
use crate::db::models::AuditEntry;
use crate::db::{self, DbConn};
use crate::domain::ids::BoardId;
use crate::error::{AppError, AppResult};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Records one action by `actor` on the board of `acc`. `subject` names what was acted on
/// ("stage 01…", "post 01…").
pub fn record(
    conn: &mut DbConn,
    ctx: &Ctx,
    acc: &Access,
    action: &str,
    subject: impl Into<String>,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    let (actor_id, actor_name) = acc.actor.audit_name();
    entry(conn, ctx, Some(&acc.board.id), actor_id, actor_name, action, subject.into(), before, after)
}

/// Records an action taken by the system itself (the scheduler), or outside any `Access`.
#[allow(clippy::too_many_arguments)]
pub fn entry(
    conn: &mut DbConn,
    ctx: &Ctx,
    board_id: Option<&BoardId>,
    actor_id: &str,
    actor_name: &str,
    action: &str,
    subject: String,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    db::moderation::insert_audit(
        conn,
        &AuditEntry {
            id: db::new_id(),
            board_id: board_id.cloned(),
            actor_id: actor_id.into(),
            actor_name: actor_name.into(),
            action: action.into(),
            subject,
            before_json: before.map(|v| v.to_string()),
            after_json: after.map(|v| v.to_string()),
            at: ctx.now(),
        },
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    pub id: String,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    pub subject: String,
    /// What changed, as it was; null when there was nothing before (a creation).
    #[schema(value_type = Option<Object>, nullable)]
    pub before: Option<Value>,
    /// As it became; null when nothing is left (a deletion).
    #[schema(value_type = Option<Object>, nullable)]
    pub after: Option<Value>,
    pub at: When,
}

/// The latest 500 entries of a board's log.
pub fn log(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Vec<AuditView>> {
    let acc = access(conn, actor, board_id)?;
    if !acc.standing.can_manage() {
        return Err(AppError::forbidden("The audit log is for the board's moderators."));
    }
    acc.require_identities()?;
    let zone = acc.zone();
    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    Ok(db::moderation::audit_of_board(conn, board_id, 500)?
        .into_iter()
        .map(|e| AuditView {
            id: e.id,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            action: e.action,
            subject: e.subject,
            before: parse(e.before_json),
            after: parse(e.after_json),
            at: When::new(&zone, e.at),
        })
        .collect())
}
