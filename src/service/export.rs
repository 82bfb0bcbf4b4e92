//! Exports of a board for analysis: one row per post (CSV) or the whole board (JSON), with
//! stable pseudonymous participant ids (P01, P02 … in the order participants were added).
//! Only analysts, moderators and administrators export; the exporter chooses whether hidden
//! posts, private questions and moderators' posts are included, and names to redact.

use super::{access, Access, Actor};
use crate::db::models::{Participant, Post, Question, Stage};
use crate::db::{self, DbConn};
use crate::domain::roles::{BoardRole, ResponseMode, Standing};
use crate::domain::timezone::BoardZone;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
pub struct ExportOptions {
    /// Include posts the moderators hid.
    pub include_hidden: bool,
    /// Include answers to private questions (and private probes).
    pub include_private: bool,
    /// Include moderators' posts (probes and replies).
    pub include_moderators: bool,
    /// Names to replace by [redacted] in texts, comma separated.
    pub redact: Option<String>,
}

/// Who may export: analysts, moderators, co-moderators and administrators.
pub fn exporter_access(conn: &mut DbConn, actor: &Actor, board_id: &str) -> AppResult<Access> {
    let acc = access(conn, actor, board_id)?;
    match acc.standing {
        Standing::Admin | Standing::Staff(BoardRole::Moderator | BoardRole::CoModerator | BoardRole::Analyst) => Ok(acc),
        _ => Err(AppError::forbidden("Exports are for the board's analysts and moderators.")),
    }
}

/// Access for the command line, which runs with the database's owner's rights.
pub fn command_line_access(conn: &mut DbConn, board_id: &str) -> AppResult<Access> {
    let board = db::boards::find(conn, board_id)?.ok_or_else(|| AppError::NotFound(format!("There is no board {board_id}.")))?;
    let user = crate::db::models::User {
        id: "command-line".into(),
        email: String::new(),
        name: "command line".into(),
        password_hash: String::new(),
        is_admin: true,
        created_at: board.created_at,
    };
    Ok(Access { board, standing: Standing::Admin, actor: Actor::User(user) })
}

/// P01, P02 …: stable per board, in the order participants were added.
pub fn pseudonyms(people: &[Participant]) -> HashMap<String, String> {
    let mut ordered: Vec<&Participant> = people.iter().collect();
    ordered.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let width = ordered.len().to_string().len().max(2);
    ordered.iter().enumerate().map(|(i, p)| (p.id.clone(), format!("P{:0width$}", i + 1))).collect()
}

fn redactor(options: &ExportOptions) -> impl Fn(&str) -> String {
    let names: Vec<String> = options
        .redact
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    move |text: &str| names.iter().fold(text.to_string(), |t, name| redact_one(&t, name))
}

/// Replaces whole-word occurrences of `name` (ignoring ASCII case) by "[redacted]".
fn redact_one(text: &str, name: &str) -> String {
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let candidate = text.get(i..i + name.len()).filter(|w| w.eq_ignore_ascii_case(name));
        if candidate.is_some() && boundary(text[..i].chars().last()) && boundary(text[i + name.len()..].chars().next()) {
            out.push_str("[redacted]");
            i += name.len();
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_whole_names_only() {
        assert_eq!(redact_one("John and Andrée helped john; Johnson not", "john"), "[redacted] and Andrée helped [redacted]; Johnson not");
        assert_eq!(redact_one("Andrée said", "Andrée"), "[redacted] said");
    }
}

/// Everything an export needs, loaded in a fixed number of queries.
struct Loaded {
    stages: HashMap<String, Stage>,
    questions: Vec<Question>,
    people: Vec<Participant>,
    posts: Vec<Post>,
}

fn load(conn: &mut DbConn, board_id: &str) -> AppResult<Loaded> {
    use crate::db::schema::posts;
    use diesel::prelude::*;
    let stages = db::stages::of_board(conn, board_id)?.into_iter().map(|s| (s.id.clone(), s)).collect();
    let questions = db::stages::questions_of_board(conn, board_id)?;
    let people = db::participants::of_board(conn, board_id)?;
    let posts = posts::table
        .filter(posts::board_id.eq(board_id))
        .order((posts::created_at.asc(), posts::id.asc()))
        .select(Post::as_select())
        .load(conn)?;
    Ok(Loaded { stages, questions, people, posts })
}

fn included(p: &Post, q: &Question, options: &ExportOptions) -> bool {
    (options.include_hidden || p.hidden_at.is_none())
        && (options.include_private || (p.private_to.is_none() && q.mode != ResponseMode::Private.as_str()))
        && (options.include_moderators || p.participant_id.is_some())
}

/// The CSV export: one row per post.
pub fn csv(conn: &mut DbConn, acc: &Access, options: &ExportOptions) -> AppResult<Vec<u8>> {
    let data = load(conn, &acc.board.id)?;
    let zone = BoardZone::of(&acc.board.time_zone);
    let ids = pseudonyms(&data.people);
    let people: HashMap<&str, &Participant> = data.people.iter().map(|p| (p.id.as_str(), p)).collect();
    let attributes: Vec<String> = data.people.iter().flat_map(|p| p.attributes_map().keys().cloned().collect::<Vec<_>>()).collect::<BTreeSet<_>>().into_iter().collect();
    let questions: HashMap<&str, &Question> = data.questions.iter().map(|q| (q.id.as_str(), q)).collect();
    let post_author: HashMap<&str, String> = data
        .posts
        .iter()
        .map(|p| (p.id.as_str(), p.participant_id.as_ref().and_then(|id| ids.get(id).cloned()).unwrap_or_else(|| "moderator".into())))
        .collect();
    let redact = redactor(options);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["board", "stage", "question", "post_id", "participant"].map(String::from).to_vec();
    header.extend(attributes.iter().cloned());
    header.extend(["time", "source", "in_reply_to", "text", "codes"].map(String::from));
    let fail = |e: csv::Error| AppError::Internal(e.into());
    w.write_record(&header).map_err(fail)?;
    for p in &data.posts {
        let Some(q) = questions.get(p.question_id.as_str()) else { continue };
        if !included(p, q, options) {
            continue;
        }
        let person = p.participant_id.as_deref().and_then(|id| people.get(id));
        let mut row = vec![
            acc.board.title.clone(),
            data.stages.get(&q.stage_id).map(|s| s.title.clone()).unwrap_or_default(),
            redact(&q.prompt_md),
            p.id.clone(),
            p.participant_id.as_ref().and_then(|id| ids.get(id).cloned()).unwrap_or_else(|| "moderator".into()),
        ];
        let attrs = person.map(|p| p.attributes_map()).unwrap_or_default();
        row.extend(attributes.iter().map(|a| attrs.get(a).and_then(|v| v.as_str()).unwrap_or("").to_string()));
        row.push(zone.to_rfc3339(p.created_at));
        row.push(match (p.recorded_by.is_some(), p.source.as_str()) {
            (true, source) => format!("on behalf ({source})"),
            (false, _) => "web".into(),
        });
        row.push(p.parent_id.as_deref().map(|parent| format!("{} {}", post_author.get(parent).cloned().unwrap_or_default(), parent)).unwrap_or_default());
        row.push(redact(&p.body_md));
        row.push(String::new());
        w.write_record(&row).map_err(fail)?;
    }
    w.into_inner().map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

#[derive(Serialize)]
struct JsonPost {
    id: String,
    question_id: String,
    participant: String,
    in_reply_to: Option<String>,
    time: String,
    source: String,
    hidden: bool,
    text: String,
}

/// The JSON export: the whole board with pseudonymous participants.
pub fn json(conn: &mut DbConn, acc: &Access, options: &ExportOptions) -> AppResult<serde_json::Value> {
    let data = load(conn, &acc.board.id)?;
    let zone = BoardZone::of(&acc.board.time_zone);
    let ids = pseudonyms(&data.people);
    let redact = redactor(options);
    let questions: HashMap<&str, &Question> = data.questions.iter().map(|q| (q.id.as_str(), q)).collect();
    let mut stages: Vec<&Stage> = data.stages.values().collect();
    stages.sort_by_key(|s| s.position);
    let mut participants: Vec<serde_json::Value> = data
        .people
        .iter()
        .map(|p| serde_json::json!({"id": ids.get(&p.id), "attributes": p.attributes_map(), "signed_in": p.first_signed_in_at.is_some()}))
        .collect();
    participants.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let posts: Vec<JsonPost> = data
        .posts
        .iter()
        .filter(|p| questions.get(p.question_id.as_str()).is_some_and(|q| included(p, q, options)))
        .map(|p| JsonPost {
            id: p.id.clone(),
            question_id: p.question_id.clone(),
            participant: p.participant_id.as_ref().and_then(|id| ids.get(id).cloned()).unwrap_or_else(|| "moderator".into()),
            in_reply_to: p.parent_id.clone(),
            time: zone.to_rfc3339(p.created_at),
            source: if p.recorded_by.is_some() { format!("on behalf ({})", p.source) } else { "web".into() },
            hidden: p.hidden_at.is_some(),
            text: redact(&p.body_md),
        })
        .collect();
    Ok(serde_json::json!({
        "board": {"id": acc.board.id, "title": acc.board.title, "time_zone": acc.board.time_zone},
        "stages": stages.iter().map(|s| serde_json::json!({
            "id": s.id, "position": s.position, "title": s.title,
            "questions": data.questions.iter().filter(|q| q.stage_id == s.id)
                .filter(|q| options.include_private || q.mode != ResponseMode::Private.as_str())
                .map(|q| serde_json::json!({"id": q.id, "position": q.position, "prompt": redact(&q.prompt_md), "mode": q.mode, "kind": q.kind}))
                .collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "participants": participants,
        "posts": posts,
    }))
}
