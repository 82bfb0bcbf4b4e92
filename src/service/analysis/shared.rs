//! What the parts of the analysis share: who may analyse, pseudonyms, the order of codes, memos.

use crate::db::models::{Code, Memo, Participant};
use crate::db::DbConn;
use crate::domain::ids::{BoardId, CodeId, ParticipantId, UserId};
use crate::error::{AppError, AppResult};
use crate::service::views::When;
use crate::service::{access, Access, Actor};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// Analysts, moderators, co-moderators and administrators: those who code and export.
pub fn analysis_access(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Access> {
    let acc = access(conn, actor, board_id)?;
    if acc.standing.can_analyse() {
        Ok(acc)
    } else {
        Err(AppError::forbidden("Coding and exports are for the board's analysts and moderators."))
    }
}

/// P01, P02 …: each participant's stored pseudonym, given in the order they were added and
/// never reused on the board.
pub fn pseudonyms(people: &[Participant]) -> HashMap<ParticipantId, String> {
    people.iter().map(|p| (p.id.clone(), crate::domain::roles::pseudonym(p.pseudonym_no))).collect()
}

/// Codes in tree order (each parent before its children, siblings by position) with depth.
pub fn tree_order(codes: Vec<Code>) -> Vec<(Code, usize)> {
    let ids: HashSet<CodeId> = codes.iter().map(|c| c.id.clone()).collect();
    let mut children: BTreeMap<Option<CodeId>, Vec<Code>> = BTreeMap::new();
    for c in codes {
        // A parent from another board cannot happen; treat a missing one as a root.
        let parent = c.parent_id.clone().filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(c);
    }
    fn walk(
        parent: Option<CodeId>,
        depth: usize,
        children: &mut BTreeMap<Option<CodeId>, Vec<Code>>,
        out: &mut Vec<(Code, usize)>,
    ) {
        for c in children.remove(&parent).unwrap_or_default() {
            let id = c.id.clone();
            out.push((c, depth));
            walk(Some(id), depth + 1, children, out);
        }
    }
    let mut out = Vec::new();
    walk(None, 0, &mut children, &mut out);
    out
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemoView {
    pub id: String,
    pub body: String,
    pub by: String,
    pub at: When,
}

pub fn memo_view(m: &Memo, names: &HashMap<UserId, String>, acc: &Access) -> MemoView {
    MemoView {
        id: m.id.clone(),
        body: m.body.clone(),
        by: names.get(m.created_by.as_str()).cloned().unwrap_or_default(),
        at: When::new(&acc.zone(), m.created_at),
    }
}
