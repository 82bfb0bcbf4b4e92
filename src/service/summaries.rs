//! Stage summaries: the moderator's account of what the group said in a stage, fed back at
//! the top of a later stage (by default the next one), optionally only to those who
//! contributed, with an email to the participants when it is published.

use super::views::{SummaryView, When};
use super::{access, audit, in_tx, Access, Actor, Ctx, Field};
use crate::db::models::{Board, Participant, Stage, StageSummary};
use crate::db::{self, DbConn};
use crate::domain::email::EmailKind;
use crate::domain::ids::{BoardId, ParticipantId, StageId};
use crate::domain::markdown;
use crate::domain::visibility::for_group;
use crate::error::{AppError, AppResult};
use serde::Deserialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct SummaryInput {
    pub body_md: String,
    /// The stage at whose top it is shown; empty: the next stage.
    pub shown_in_stage_id: Option<StageId>,
    /// true or "on": shown only to participants who answered in the summarised stage.
    #[schema(value_type = Option<String>)]
    pub contributors_only: Option<serde_json::Value>,
    /// true or "on": published (shown and announced); otherwise kept as a draft.
    #[schema(value_type = Option<String>)]
    pub publish: Option<serde_json::Value>,
}

pub fn view(s: &StageSummary, stage_title: &str, acc: &Access) -> SummaryView {
    SummaryView {
        id: s.id.clone(),
        stage_id: s.stage_id.clone(),
        stage_title: stage_title.to_string(),
        shown_in_stage_id: s.shown_in_stage_id.clone(),
        body_md: acc.standing.sees_everything().then(|| s.body_md.clone()),
        body_html: markdown::render(&s.body_md),
        contributors_only: s.contributors_only,
        published: When::opt(&acc.zone(), s.published_at),
        images: Vec::new(),
    }
}

/// Saves the summary of a stage as a draft or published. Publishing the first time emails
/// the participants who may read it (their email preferences apply).
pub fn save(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    stage_id: &StageId,
    input: &SummaryInput,
) -> AppResult<SummaryView> {
    let stage = db::stages::find(conn, stage_id)?.ok_or_else(AppError::not_found)?;
    let acc = access(conn, actor, &stage.board_id)?;
    acc.require_manage()?;
    let stages = db::stages::of_board(conn, &stage.board_id)?;
    let shown_in = match input.shown_in_stage_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(id) => Some(stages.iter().find(|s| s.id == id).map(|s| s.id.clone()).ok_or_else(|| {
            AppError::invalid_field("shown_in_stage_id", "Choose a stage of this board to show the summary in.")
        })?),
        None => stages.iter().find(|s| s.position > stage.position).map(|s| s.id.clone()),
    };
    let body = super::required(Field("body_md", "The summary"), &input.body_md, 50_000)?;
    let existing = db::moderation::summary_of_stage(conn, stage_id)?;
    let now = ctx.now();
    let publish = super::truthy(&input.publish);
    let first_publication = publish && existing.as_ref().is_none_or(|e| e.published_at.is_none());
    let summary = StageSummary {
        id: existing.as_ref().map_or_else(db::new_id, |e| e.id.clone()),
        board_id: stage.board_id.clone(),
        stage_id: stage.id.clone(),
        shown_in_stage_id: shown_in,
        body_md: body,
        contributors_only: super::truthy(&input.contributors_only),
        published_at: if publish { existing.as_ref().and_then(|e| e.published_at).or(Some(now)) } else { None },
        updated_at: now,
    };
    let before = existing.as_ref().map(|e| json!({"body_md": e.body_md, "published": e.published_at.is_some()}));
    in_tx(conn, |conn| {
        db::moderation::save_summary(conn, &summary)?;
        if first_publication {
            announce(conn, ctx, &acc.board, &stage, &summary)?;
        }
        audit::record(
            conn,
            ctx,
            &acc,
            if first_publication { "summary.publish" } else { "summary.save" },
            format!("stage {}", stage.id),
            before,
            Some(
                json!({"body_md": summary.body_md, "published": summary.published_at.is_some(), "contributors_only": summary.contributors_only}),
            ),
        )
    })?;
    Ok(view(&summary, &stage.title, &acc))
}

/// Emails a published summary to each participant who may read it now. Those who may not yet
/// (the stage it is shown in is not released) get it when that stage is released: see
/// `announce_shown_in`. The dedup key makes both paths send it once.
fn announce(conn: &mut DbConn, ctx: &Ctx, board: &Board, stage: &Stage, summary: &StageSummary) -> AppResult<()> {
    let stages: HashMap<StageId, Stage> =
        db::stages::of_board(conn, &board.id)?.into_iter().map(|s| (s.id.clone(), s)).collect();
    let contributors = contributors(conn, &stage.id)?;
    let extra = json!({"summary": {"stage_title": stage.title, "html": markdown::render(&summary.body_md), "text": markdown::plain(&summary.body_md)}});
    let mail = super::notifications::BoardMail::load(conn, board.clone())?;
    for p in db::participants::of_board(conn, &board.id)? {
        if p.invited_at.is_none() || !visible_to(summary, &stages, &p, contributors.contains(&p.id))? {
            continue;
        }
        super::notifications::queue(
            conn,
            ctx,
            &mail,
            &p,
            EmailKind::Summary,
            Some(format!("summary:{}:{}", p.id, summary.id)),
            extra.clone(),
        )?;
    }
    Ok(())
}

/// Emails the published summaries shown in `stage`, which has just been released, to those
/// who may now read them. Called in the release's transaction.
pub fn announce_shown_in(conn: &mut DbConn, ctx: &Ctx, stage: &Stage) -> AppResult<()> {
    let summaries: Vec<StageSummary> = db::moderation::summaries_of_board(conn, &stage.board_id)?
        .into_iter()
        .filter(|s| s.published_at.is_some() && s.shown_in_stage_id.as_deref() == Some(stage.id.as_str()))
        .collect();
    if summaries.is_empty() {
        return Ok(());
    }
    let board = db::boards::find(conn, &stage.board_id)?.ok_or_else(AppError::not_found)?;
    for summary in summaries {
        let summarised = db::stages::find(conn, &summary.stage_id)?.ok_or_else(AppError::not_found)?;
        announce(conn, ctx, &board, &summarised, &summary)?;
    }
    Ok(())
}

/// Whether participant `p` may read a summary: it is published; the summarised stage and the
/// stage it is shown in are both released and for their group; and, when it is for
/// contributors only, they answered in the summarised stage. The same rule serves the home
/// page, the question page, the summary's images and its email.
fn visible_to(
    s: &StageSummary,
    stages: &HashMap<StageId, Stage>,
    p: &Participant,
    contributor: bool,
) -> AppResult<bool> {
    let group = p.group();
    let open_to = |id: &str| -> AppResult<bool> {
        Ok(match stages.get(id) {
            Some(st) => st.released_at.is_some() && for_group(&st.groups, group.as_deref()),
            None => false,
        })
    };
    let shown_in_open = match s.shown_in_stage_id.as_deref() {
        Some(id) => open_to(id)?,
        None => true,
    };
    Ok(s.published_at.is_some() && open_to(&s.stage_id)? && shown_in_open && (!s.contributors_only || contributor))
}

/// Participants who answered at least one question of a stage.
fn contributors(conn: &mut DbConn, stage_id: &StageId) -> AppResult<HashSet<ParticipantId>> {
    Ok(db::posts::answerers_of_stage(conn, stage_id)?.into_iter().collect())
}

/// The summary of a stage, draft or published, for staff.
pub fn of_stage(conn: &mut DbConn, actor: &Actor, stage_id: &StageId) -> AppResult<Option<SummaryView>> {
    let stage = db::stages::find(conn, stage_id)?.ok_or_else(AppError::not_found)?;
    let acc = access(conn, actor, &stage.board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::not_found());
    }
    let images = db::images::of_stages_and_summaries(conn, &stage.board_id)?;
    Ok(db::moderation::summary_of_stage(conn, stage_id)?.map(|s| {
        let mut v = view(&s, &stage.title, &acc);
        v.images = images
            .iter()
            .filter(|i| i.summary_id.as_deref() == Some(s.id.as_str()))
            .map(|i| super::views::image_view(i, None))
            .collect();
        v
    }))
}

/// Every summary of a board, drafts included, for its staff.
pub fn of_board(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Vec<SummaryView>> {
    let acc = access(conn, actor, board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::not_found());
    }
    readable(conn, &acc, None)
}

/// The published summaries of a board that `participant` may read (all of them for staff).
pub fn readable(conn: &mut DbConn, acc: &Access, participant: Option<&Participant>) -> AppResult<Vec<SummaryView>> {
    let mut out = readable_text(conn, acc, participant)?;
    if !out.is_empty() {
        let images = db::images::of_stages_and_summaries(conn, &acc.board.id)?;
        for s in &mut out {
            s.images = images
                .iter()
                .filter(|i| i.summary_id.as_deref() == Some(s.id.as_str()))
                .map(|i| super::views::image_view(i, None))
                .collect();
        }
    }
    Ok(out)
}

fn readable_text(conn: &mut DbConn, acc: &Access, participant: Option<&Participant>) -> AppResult<Vec<SummaryView>> {
    let summaries: Vec<StageSummary> = db::moderation::summaries_of_board(conn, &acc.board.id)?
        .into_iter()
        .filter(|s| s.published_at.is_some() || participant.is_none())
        .collect();
    if summaries.is_empty() {
        return Ok(Vec::new());
    }
    let stages: HashMap<StageId, Stage> =
        db::stages::of_board(conn, &acc.board.id)?.into_iter().map(|s| (s.id.clone(), s)).collect();
    let mut out = Vec::new();
    for s in summaries {
        if let Some(p) = participant {
            let contributor = s.contributors_only && contributors(conn, &s.stage_id)?.contains(&p.id);
            if !visible_to(&s, &stages, p, contributor)? {
                continue;
            }
        }
        out.push(view(&s, stages.get(&s.stage_id).map_or("", |st| st.title.as_str()), acc));
    }
    Ok(out)
}
