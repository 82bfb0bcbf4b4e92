//! The participation grid: participants by released questions, each cell saying whether the
//! participant answered (themselves or on their behalf), has a probe waiting, or has not
//! answered yet; filterable by a participant attribute, shown in pages of participants and
//! downloadable whole as CSV.

use super::boards::{funnel, Funnel};
use super::views::When;
use super::{access, Actor, Ctx};
use crate::db::{self, DbConn};
use crate::domain::ids::{BoardId, ParticipantId, QuestionId};
use crate::domain::roles::pseudonym;
use crate::domain::threads::{PageSpan, PageWanted};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct GridFilter {
    /// A participant attribute (column of the imported CSV), e.g. "Professional role".
    pub attribute: Option<String>,
    /// Keep participants whose attribute has this value.
    pub value: Option<String>,
    /// Show this page of participants (from 1), `GRID_PAGE_SIZE` to a page; without it, all.
    pub page: Option<u32>,
}

/// Participants to a page of the grid: a board of a thousand is twenty pages, each as quick to
/// show as a small board's whole grid. The CSV has every row.
pub const GRID_PAGE_SIZE: usize = 50;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridPage {
    /// This page, from 1.
    pub number: u32,
    pub pages: u32,
    /// The participants the filter keeps, on all pages.
    pub participants: usize,
    /// The rows on this page, as positions among them (from 1).
    pub first: usize,
    pub last: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridColumn {
    pub question_id: QuestionId,
    pub stage_title: String,
    /// "S1 Q2": the stage and question numbers.
    pub label: String,
    pub prompt_md: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GridRow {
    pub participant_id: ParticipantId,
    /// The name, or for staff who do not see identities the pseudonym.
    pub name: String,
    /// Null for staff who do not see identities.
    pub email: Option<String>,
    pub pseudonym: String,
    pub screen_name: Option<String>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// not_signed_in, signed_in, posted or withdrawn.
    pub status: crate::domain::roles::ParticipantStatus,
    pub last_seen: Option<When>,
    pub email_failed: bool,
    /// One per column: answered, on_behalf, probe_waiting, not_answered, not_signed_in, withdrawn, or
    /// not_for_group (the question is for other groups).
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Grid {
    pub funnel: Funnel,
    pub columns: Vec<GridColumn>,
    pub rows: Vec<GridRow>,
    /// Attribute names participants have, for the filter.
    pub attributes: Vec<String>,
    pub filter: GridFilter,
    /// Where this page lies, when a page was asked for.
    pub page: Option<GridPage>,
}

pub fn grid(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId, filter: &GridFilter) -> AppResult<Grid> {
    let acc = access(conn, actor, board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("The participation grid is for the board's staff."));
    }
    let identities = acc.seen == crate::domain::roles::Seen::WithIdentities;
    let zone = acc.zone();
    let stages = db::stages::of_board(conn, board_id)?;
    let mut questions = db::stages::questions_of_board(conn, board_id)?;
    let stage_rows: HashMap<&str, &crate::db::models::Stage> = stages.iter().map(|s| (s.id.as_str(), s)).collect();
    let stage_pos: HashMap<&str, (i32, &str)> = stages
        .iter()
        .filter(|s| s.released_at.is_some())
        .map(|s| (s.id.as_str(), (s.position, s.title.as_str())))
        .collect();
    questions.retain(|q| stage_pos.contains_key(q.stage_id.as_str()));
    questions.sort_by_key(|q| (stage_pos[q.stage_id.as_str()].0, q.position));
    let mut numbering: HashMap<&str, i32> = HashMap::new();
    let columns: Vec<GridColumn> = questions
        .iter()
        .map(|q| {
            let (pos, title) = stage_pos[q.stage_id.as_str()];
            let n = numbering.entry(q.stage_id.as_str()).or_default();
            *n += 1;
            GridColumn {
                question_id: q.id.clone(),
                stage_title: title.into(),
                label: format!("S{pos} Q{n}"),
                prompt_md: q.prompt_md.clone(),
            }
        })
        .collect();
    let mut people = db::participants::of_board(conn, board_id)?;
    // In order of name for those who see names; otherwise by pseudonym, so the order says
    // nothing of the names.
    if !identities {
        people.sort_by_key(|p| p.pseudonym_no);
    }
    let attributes = crate::domain::attributes::names_in(people.iter().map(|p| p.attributes.get()));
    let wanted = |p: &&crate::db::models::Participant| match (
        filter.attribute.as_deref().filter(|a| !a.is_empty()),
        filter.value.as_deref(),
    ) {
        (Some(a), Some(v)) if !v.is_empty() => p.attributes.get().get(a).and_then(|x| x.as_str()) == Some(v),
        _ => true,
    };
    let kept: Vec<&crate::db::models::Participant> = people.iter().filter(wanted).collect();
    let (shown, page) = match filter.page {
        None => (&kept[..], None),
        Some(asked) => {
            let span = PageSpan::sized(kept.len(), PageWanted::Number(asked as usize), GRID_PAGE_SIZE);
            let page = GridPage {
                number: span.number as u32,
                pages: span.count as u32,
                participants: kept.len(),
                first: span.start + 1,
                last: span.end,
            };
            (&kept[span.start..span.end], Some(page))
        }
    };
    // A page reads only its participants' answers, so it costs the same on any board.
    let (answers, votes) = if page.is_some() {
        let ids: Vec<ParticipantId> = shown.iter().map(|p| p.id.clone()).collect();
        (db::posts::answers_of_participants(conn, &ids)?, db::votes::pairs_of_participants(conn, &ids)?)
    } else {
        (db::posts::answers_of_board(conn, board_id)?, db::votes::pairs_of_board(conn, board_id)?)
    };
    let mut answered: HashMap<(ParticipantId, QuestionId), bool> =
        answers.into_iter().map(|(p, q, by)| ((p, q), by)).collect();
    for (q, p) in votes {
        answered.entry((p, q)).or_insert(false);
    }
    let probes: HashSet<(ParticipantId, QuestionId)> = super::moderation::open_probes(conn, &acc, None)?
        .into_iter()
        .map(|p| (p.participant_id, p.question_id))
        .collect();
    let failed: HashSet<ParticipantId> = db::outbox::failed_participants(conn, board_id)?.into_iter().collect();
    let posted: HashSet<&ParticipantId> = answered.keys().map(|(p, _)| p).collect();

    let rows = shown
        .iter()
        .map(|p| GridRow {
            participant_id: p.id.clone(),
            name: p.shown_identity(identities).0,
            email: p.shown_identity(identities).1,
            pseudonym: pseudonym(p.pseudonym_no),
            screen_name: p.screen_name.clone(),
            attributes: p.attributes.get().clone(),
            status: match p.withdrawn_at {
                Some(_) => crate::domain::roles::ParticipantStatus::Withdrawn,
                None => {
                    crate::domain::roles::ParticipantStatus::of(p.first_signed_in_at.is_some(), posted.contains(&p.id))
                }
            },
            last_seen: When::opt(&zone, super::last_seen(ctx, p)),
            email_failed: failed.contains(&p.id) || p.email_failing_at.is_some(),
            cells: questions
                .iter()
                .map(|q| {
                    let key = (p.id.clone(), q.id.clone());
                    let for_them = stage_rows.get(q.stage_id.as_str()).is_some_and(|s| p.is_for(s, q));
                    if !for_them {
                        "not_for_group"
                    } else if probes.contains(&key) {
                        "probe_waiting"
                    } else {
                        match answered.get(&key) {
                            Some(true) => "on_behalf",
                            Some(false) => "answered",
                            None if p.withdrawn_at.is_some() => "withdrawn",
                            None if p.first_signed_in_at.is_none() => "not_signed_in",
                            None => "not_answered",
                        }
                    }
                    .to_string()
                })
                .collect(),
        })
        .collect();
    let posted_at_all = db::participants::active_count(conn, board_id)?;
    Ok(Grid {
        funnel: funnel(conn, &acc, &people, posted_at_all)?,
        columns,
        rows,
        attributes,
        filter: filter.clone(),
        page,
    })
}

/// The grid as CSV: one row per participant, one column per question.
pub fn to_csv(grid: &Grid) -> AppResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["name".to_string(), "email".into(), "pseudonym".into(), "screen name".into()];
    header.extend(grid.attributes.iter().cloned());
    header.extend(["status".into(), "last seen".into(), "email failed".into()]);
    header.extend(grid.columns.iter().map(|c| c.label.clone()));
    let fail = |e: csv::Error| AppError::Internal(e.into());
    w.write_record(header.into_iter().map(crate::domain::spreadsheet::inert_cell)).map_err(fail)?;
    for r in &grid.rows {
        let mut rec = vec![
            r.name.clone(),
            r.email.clone().unwrap_or_default(),
            r.pseudonym.clone(),
            r.screen_name.clone().unwrap_or_default(),
        ];
        rec.extend(
            grid.attributes.iter().map(|a| r.attributes.get(a).and_then(|v| v.as_str()).unwrap_or("").to_string()),
        );
        rec.extend([
            r.status.label().to_string(),
            r.last_seen.as_ref().map(|w| w.at.clone()).unwrap_or_default(),
            if r.email_failed { "yes".into() } else { String::new() },
        ]);
        rec.extend(r.cells.iter().cloned());
        w.write_record(rec.into_iter().map(crate::domain::spreadsheet::inert_cell)).map_err(fail)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}
