//! Stages and questions: writing them, scheduling, and releasing them.

use super::patch_time;
use super::views::{QuestionView, StageView};
use super::{access, audit, in_tx, Access, Actor, Ctx, Field};
use crate::db::json_text::JsonText;
use crate::db::models::{Question, Stage};
use crate::db::{self, DbConn};
use crate::domain::ids::{BoardId, QuestionId, StageId, SummaryId};
use crate::domain::polls::{PollConfig, QuestionKind, Scale};
use crate::domain::roles::ResponseMode;
use crate::error::{AppError, AppResult};
use serde::Deserialize;
use serde_json::json;
use time::PrimitiveDateTime;
use utoipa::ToSchema;

/// A stage as entered in the form or sent to the API. Every field may be left out: on creation
/// it takes its default, on update it keeps its value (the form sends them all).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct StageInput {
    /// Required on creation; absent: unchanged.
    pub title: Option<String>,
    /// Absent: unchanged.
    pub intro_md: Option<String>,
    /// Local to the board's time zone ("2021-03-29T09:00") or RFC 3339. Absent: unchanged;
    /// null or empty: released by hand.
    #[serde(deserialize_with = "crate::domain::patch::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub release_at: Option<Option<String>>,
    /// As `release_at`; null or empty: the stage does not close by itself.
    #[serde(deserialize_with = "crate::domain::patch::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub close_at: Option<Option<String>>,
    /// Groups the stage is for, comma separated ("Nurses, GPs"); empty: everyone; absent: unchanged.
    pub groups: Option<String>,
}

/// The groups a stage or question is for: absent keeps `current`.
fn groups_json(input: &Option<String>, current: &[String]) -> AppResult<JsonText<Vec<String>>> {
    let groups = match input {
        None => current.to_vec(),
        Some(g) => crate::domain::visibility::parse_groups(g),
    };
    Ok(JsonText::new(groups)?)
}

fn apply(stage: &mut Stage, acc: &Access, input: &StageInput) -> AppResult<()> {
    let zone = acc.zone();
    if let Some(t) = &input.title {
        stage.title = super::required(Field("title", "Stage title"), t, 200)?;
    } else if stage.title.is_empty() {
        return Err(AppError::invalid_field("title", "Stage title is required."));
    }
    if let Some(i) = &input.intro_md {
        stage.intro_md = super::optional_text(Field("intro_md", "Introduction"), i, 20_000)?;
    }
    stage.groups = groups_json(&input.groups, &stage.groups)?;
    stage.release_at = patch_time(&zone, Field("release_at", "Release time"), &input.release_at, stage.release_at)?;
    stage.close_at = patch_time(&zone, Field("close_at", "Close time"), &input.close_at, stage.close_at)?;
    if let (Some(r), Some(c)) = (stage.release_at.or(stage.released_at), stage.close_at) {
        if c <= r {
            return Err(AppError::invalid_field("close_at", "The stage must close after it is released."));
        }
    }
    Ok(())
}

fn stage_of_board(conn: &mut DbConn, actor: &Actor, stage_id: &StageId) -> AppResult<(Access, Stage)> {
    let stage = db::stages::find(conn, stage_id)?.ok_or_else(AppError::not_found)?;
    let acc = access(conn, actor, &stage.board_id)?;
    Ok((acc, stage))
}

pub fn create_stage(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    input: &StageInput,
) -> AppResult<StageView> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let mut stage = Stage {
        id: db::new_id(),
        board_id: board_id.into(),
        position: db::stages::next_position(conn, board_id)?,
        title: String::new(),
        intro_md: String::new(),
        release_at: None,
        close_at: None,
        released_at: None,
        created_at: ctx.now(),
        groups: JsonText::new(Vec::new())?,
    };
    apply(&mut stage, &acc, input)?;
    let view = StageView::new(&stage, &acc.zone(), ctx.now());
    in_tx(conn, |conn| {
        db::stages::insert(conn, &stage)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "stage.create",
            format!("stage {}", stage.id),
            None,
            serde_json::to_value(&view).ok(),
        )
    })?;
    Ok(view)
}

pub fn update_stage(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    stage_id: &StageId,
    input: &StageInput,
) -> AppResult<StageView> {
    let (acc, mut stage) = stage_of_board(conn, actor, stage_id)?;
    acc.require_manage()?;
    let before = serde_json::to_value(StageView::new(&stage, &acc.zone(), ctx.now())).ok();
    apply(&mut stage, &acc, input)?;
    let view = StageView::new(&stage, &acc.zone(), ctx.now());
    in_tx(conn, |conn| {
        db::stages::update(conn, &stage)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "stage.update",
            format!("stage {}", stage.id),
            before,
            serde_json::to_value(&view).ok(),
        )
    })?;
    Ok(view)
}

/// A stage with all its questions, for staff.
pub fn stage_detail(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, stage_id: &StageId) -> AppResult<StageView> {
    let (acc, stage) = stage_of_board(conn, actor, stage_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::not_found());
    }
    let zone = acc.zone();
    let mut view = StageView::new(&stage, &zone, ctx.now());
    view.images = db::images::of_stages_and_summaries(conn, &stage.board_id)?
        .iter()
        .filter(|i| i.stage_id.as_deref() == Some(stage_id))
        .map(|i| super::views::image_view(i, None))
        .collect();
    view.questions =
        db::stages::questions_of_stage(conn, stage_id)?.iter().map(|q| QuestionView::new(q, &zone)).collect();
    Ok(view)
}

/// "Release now": opens the stage at once, whatever its scheduled time.
pub fn release_now(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, stage_id: &StageId) -> AppResult<StageView> {
    let (acc, stage) = stage_of_board(conn, actor, stage_id)?;
    acc.require_manage()?;
    if stage.released_at.is_some() {
        return Err(AppError::Conflict("This stage is already released.".into()));
    }
    release(conn, ctx, &stage, ctx.now())?;
    audit::record(conn, ctx, &acc, "stage.release_now", format!("stage {}", stage.id), None, None)?;
    stage_detail(conn, ctx, actor, stage_id)
}

/// Releases one stage once: the conditional update decides, so when two instances race, only
/// one of them gets `true`, and that one queues the "stage is open" emails in the same
/// transaction.
pub fn release(conn: &mut DbConn, ctx: &Ctx, stage: &Stage, now: PrimitiveDateTime) -> AppResult<bool> {
    in_tx(conn, |conn| {
        let won = db::stages::claim_release(conn, &stage.id, now)?;
        if won {
            let emails = super::notifications::stage_opened(conn, ctx, stage)?;
            // Summaries shown at the top of this stage become readable now: announce them now.
            super::summaries::announce_shown_in(conn, ctx, stage)?;
            tracing::info!(stage = %stage.id, board = %stage.board_id, title = %stage.title, emails, "stage released");
        }
        Ok(won)
    })
}

/// Releases every stage whose time has come; returns how many this caller released.
pub fn release_due(conn: &mut DbConn, ctx: &Ctx, now: PrimitiveDateTime) -> AppResult<usize> {
    let mut released = 0;
    for stage in db::stages::due(conn, now)? {
        if release(conn, ctx, &stage, now)? {
            audit::entry(
                conn,
                ctx,
                Some(&stage.board_id),
                "scheduler",
                "scheduler",
                "stage.release",
                format!("stage {}", stage.id),
                None,
                None,
            )?;
            released += 1;
        }
    }
    Ok(released)
}

/// A question as entered in the form or sent to the API. Every field may be left out: on
/// creation it takes its default, on update it keeps its value.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct QuestionInput {
    /// Required on creation; absent: unchanged.
    pub prompt_md: Option<String>,
    /// post_first (default), open or private; absent: unchanged.
    pub mode: Option<String>,
    /// A stage summary of this board the question asks participants to react to
    /// ("Do you agree with the views summarised here?"); shown beside the reply form.
    /// Absent: unchanged; null or empty: none.
    #[serde(deserialize_with = "crate::domain::patch::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub summary_id: Option<Option<String>>,
    /// Groups the question is for, comma separated; empty: everyone; absent: unchanged.
    pub groups: Option<String>,
    /// discussion (default), single_choice, multiple_choice, rating or ranking; absent: unchanged.
    pub kind: Option<String>,
    /// The options of a choice or ranking question: a list, or text with one per line;
    /// absent: unchanged.
    #[schema(value_type = Option<Vec<String>>)]
    pub options: Option<serde_json::Value>,
    /// The top of a rating scale (it runs from 1), and the labels of its ends; absent: unchanged.
    #[schema(value_type = Option<u32>)]
    pub scale_max: Option<serde_json::Value>,
    pub scale_low: Option<String>,
    pub scale_high: Option<String>,
    /// true or "on": participants may attach images to their answers; absent: unchanged
    /// (no on a new question).
    #[schema(value_type = Option<bool>)]
    pub allow_images: Option<serde_json::Value>,
}

/// The kind and the JSON configuration of a question from its input; what the input leaves
/// out comes from `current`.
fn poll_settings(
    input: &QuestionInput,
    current: Option<(QuestionKind, &PollConfig)>,
) -> AppResult<(QuestionKind, PollConfig)> {
    let touched = input.kind.is_some()
        || input.options.is_some()
        || input.scale_max.is_some()
        || input.scale_low.is_some()
        || input.scale_high.is_some();
    if let (false, Some((kind, config))) = (touched, current) {
        return Ok((kind, config.clone()));
    }
    let (current_kind, current_config) = match current {
        Some((kind, config)) => (Some(kind), config.clone()),
        None => (None, PollConfig::default()),
    };
    let kind = match input.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => QuestionKind::parse(k).map_err(|e| AppError::invalid_field("kind", e))?,
        None => current_kind.unwrap_or(QuestionKind::Discussion),
    };
    let options: Vec<String> = match &input.options {
        Some(serde_json::Value::Array(items)) => {
            items.iter().filter_map(|v| v.as_str()).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
        }
        Some(serde_json::Value::String(text)) => {
            text.lines().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
        }
        Some(_) => Vec::new(),
        None => current_config.options.clone(),
    };
    let max = match &input.scale_max {
        Some(serde_json::Value::Number(n)) => n.as_u64().map(|n| n as u32),
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.trim().parse().ok(),
        Some(_) => None,
        None => current_config.scale.as_ref().map(|s| s.max),
    };
    let scale = current_config.scale.clone();
    let config = match kind {
        QuestionKind::Discussion => PollConfig::default(),
        QuestionKind::Rating => PollConfig {
            options: Vec::new(),
            scale: Some(Scale {
                max: max.unwrap_or(5),
                low: input.scale_low.clone().or_else(|| scale.as_ref().map(|s| s.low.clone())).unwrap_or_default(),
                high: input.scale_high.clone().or_else(|| scale.as_ref().map(|s| s.high.clone())).unwrap_or_default(),
            }),
        },
        _ => PollConfig { options, scale: None },
    };
    config.check(kind).map_err(AppError::invalid)?;
    Ok((kind, config))
}

/// The summary a question is tied to: absent keeps `current`, null or empty unties it.
fn checked_summary(
    conn: &mut DbConn,
    board_id: &BoardId,
    input: &QuestionInput,
    current: Option<&SummaryId>,
) -> AppResult<Option<SummaryId>> {
    match crate::domain::patch::clearable(&input.summary_id, current.map(|c| c.as_str())).as_deref().map(str::trim) {
        None => Ok(None),
        Some(id) if current.is_some_and(|c| c == id) => Ok(current.cloned()),
        Some(id) => db::moderation::find_summary(conn, &SummaryId::from(id))?
            .filter(|s| s.board_id == board_id)
            .map(|s| Some(s.id))
            .ok_or_else(|| AppError::invalid_field("summary_id", "The summary is not one of this board's.")),
    }
}

/// The prompt and mode of a question: what the input leaves out comes from `current`
/// (a new question has no prompt yet and is post-first).
fn checked(input: &QuestionInput, current: Option<(&str, ResponseMode)>) -> AppResult<(String, ResponseMode)> {
    let prompt = match (&input.prompt_md, current) {
        (Some(p), _) => super::required(Field("prompt_md", "The question"), p, 20_000)?,
        (None, Some((p, _))) => p.to_string(),
        (None, None) => return Err(AppError::invalid_field("prompt_md", "The question is required.")),
    };
    let mode = match (input.mode.as_deref().map(str::trim), current) {
        (Some(m), _) if !m.is_empty() => ResponseMode::parse(m).map_err(|e| AppError::invalid_field("mode", e))?,
        (_, Some((_, m))) => m,
        (_, None) => ResponseMode::PostFirst,
    };
    Ok((prompt, mode))
}

pub fn add_question(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    stage_id: &StageId,
    input: &QuestionInput,
) -> AppResult<QuestionView> {
    let (acc, stage) = stage_of_board(conn, actor, stage_id)?;
    acc.require_manage()?;
    let (prompt, mode) = checked(input, None)?;
    let summary_id = checked_summary(conn, &stage.board_id, input, None)?;
    let (kind, config) = poll_settings(input, None)?;
    let q = Question {
        id: db::new_id(),
        board_id: stage.board_id.clone(),
        stage_id: stage.id.clone(),
        position: db::stages::next_question_position(conn, &stage.id)?,
        prompt_md: prompt,
        mode,
        created_at: ctx.now(),
        revised_at: None,
        summary_id,
        groups: groups_json(&input.groups, &[])?,
        kind,
        config: JsonText::new(config)?,
        allow_images: super::truthy(&input.allow_images),
    };
    let view = QuestionView::new(&q, &acc.zone());
    in_tx(conn, |conn| {
        db::stages::insert_question(conn, &q)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "question.create",
            format!("question {}", q.id),
            None,
            Some(json!({"prompt_md": q.prompt_md, "mode": q.mode})),
        )
    })?;
    Ok(view)
}

fn question_of_board(
    conn: &mut DbConn,
    actor: &Actor,
    question_id: &QuestionId,
) -> AppResult<(Access, Stage, Question)> {
    let q = db::stages::find_question(conn, question_id)?.ok_or_else(AppError::not_found)?;
    let (acc, stage) = stage_of_board(conn, actor, &q.stage_id)?;
    Ok((acc, stage, q))
}

/// Edits a question. Before release it simply changes; after release the old wording is kept
/// and participants see that the question was revised.
pub fn update_question(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    input: &QuestionInput,
) -> AppResult<QuestionView> {
    let (acc, stage, q) = question_of_board(conn, actor, question_id)?;
    acc.require_manage()?;
    let (prompt, mode) = checked(input, Some((&q.prompt_md, q.mode)))?;
    let summary_id = checked_summary(conn, &q.board_id, input, q.summary_id.as_ref())?;
    let (kind, config) = poll_settings(input, Some((q.kind, q.config.get())))?;
    if stage.released_at.is_some() && (kind != q.kind || &config != q.config.get()) {
        return Err(AppError::Conflict(
            "The kind and options of a released question stay as they were, so votes keep their meaning.".into(),
        ));
    }
    let revised = (stage.released_at.is_some() && prompt != q.prompt_md).then(|| ctx.now());
    in_tx(conn, |conn| {
        let allow_images =
            if input.allow_images.is_some() { super::truthy(&input.allow_images) } else { q.allow_images };
        let groups = groups_json(&input.groups, &q.groups)?;
        db::stages::update_question(
            conn,
            &q,
            &prompt,
            mode,
            summary_id.as_ref(),
            &groups,
            (kind, &JsonText::new(config)?),
            allow_images,
            revised,
        )?;
        audit::record(
            conn,
            ctx,
            &acc,
            "question.update",
            format!("question {}", q.id),
            Some(json!({"prompt_md": q.prompt_md, "mode": q.mode})),
            Some(json!({"prompt_md": prompt, "mode": mode.as_str()})),
        )
    })?;
    let q = db::stages::find_question(conn, question_id)?.ok_or_else(AppError::not_found)?;
    Ok(QuestionView::new(&q, &acc.zone()))
}

/// Moves a question one place up or down within its stage; returns the stage's id.
pub fn move_question(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    up: bool,
) -> AppResult<StageId> {
    let (acc, _stage, q) = question_of_board(conn, actor, question_id)?;
    acc.require_manage()?;
    let siblings = db::stages::questions_of_stage(conn, &q.stage_id)?;
    let i = siblings.iter().position(|s| s.id == q.id).ok_or_else(AppError::not_found)?;
    let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < siblings.len()) };
    let Some(j) = j else { return Ok(q.stage_id) };
    let mut order: Vec<&Question> = siblings.iter().collect();
    order.swap(i, j);
    in_tx(conn, |conn| {
        for (pos, s) in order.iter().enumerate() {
            db::stages::set_question_position(conn, &s.id, pos as i32 + 1)?;
        }
        audit::record(
            conn,
            ctx,
            &acc,
            "question.move",
            format!("question {}", q.id),
            Some(json!({"position": i + 1})),
            Some(json!({"position": j + 1})),
        )
    })?;
    Ok(q.stage_id)
}

/// Moves a question of an unreleased stage to the end of another unreleased stage of the
/// same board; returns the new stage's id.
pub fn move_question_to_stage(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    stage_id: &StageId,
) -> AppResult<StageId> {
    let (acc, from, q) = question_of_board(conn, actor, question_id)?;
    acc.require_manage()?;
    let to = db::stages::find(conn, stage_id)?
        .filter(|s| s.board_id == q.board_id)
        .ok_or_else(|| AppError::invalid_field("stage_id", "The stage to move to is not a stage of this board."))?;
    if from.released_at.is_some() || to.released_at.is_some() {
        return Err(AppError::Conflict(
            "Only questions of unreleased stages move, and only to an unreleased stage.".into(),
        ));
    }
    let position = db::stages::next_question_position(conn, &to.id)?;
    in_tx(conn, |conn| {
        db::stages::set_question_stage(conn, &q.id, &to.id, position)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "question.move_stage",
            format!("question {}", q.id),
            Some(json!({"stage_id": from.id})),
            Some(json!({"stage_id": to.id})),
        )
    })?;
    Ok(to.id)
}

/// Opens a closed stage again for new answers (its close time is removed).
pub fn reopen(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, stage_id: &StageId) -> AppResult<StageView> {
    let (acc, mut stage) = stage_of_board(conn, actor, stage_id)?;
    acc.require_manage()?;
    let before = stage.close_at;
    stage.close_at = None;
    in_tx(conn, |conn| {
        db::stages::update(conn, &stage)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "stage.reopen",
            format!("stage {}", stage.id),
            Some(json!({"close_at": before.map(|t| acc.zone().to_rfc3339(t))})),
            Some(json!({"close_at": null})),
        )
    })?;
    stage_detail(conn, ctx, actor, stage_id)
}

/// Deletes a question of an unreleased stage that nobody has answered.
pub fn delete_question(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, question_id: &QuestionId) -> AppResult<StageId> {
    let (acc, stage, q) = question_of_board(conn, actor, question_id)?;
    acc.require_manage()?;
    if stage.released_at.is_some() || db::posts::question_has_posts(conn, &q.id)? {
        return Err(AppError::Conflict("Released or answered questions are kept; edit the wording instead.".into()));
    }
    in_tx(conn, |conn| {
        db::stages::delete_question(conn, &q.id)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "question.delete",
            format!("question {}", q.id),
            Some(json!({"prompt_md": q.prompt_md, "mode": q.mode})),
            None,
        )
    })?;
    Ok(stage.id)
}
