//! Full-text search in each database's own engine: SQLite's FTS5 tables (kept by triggers) and
//! PostgreSQL's `tsvector` columns with GIN indexes (see the search migration). The two speak
//! different SQL, so this module is the one place where queries are written per backend; the
//! query text they are given is only ever a list of plain words.

use super::DbConn;
use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId, StageId};
use diesel::prelude::*;
use diesel::sql_types::{Double, Integer, Text};

/// Where a search looks, besides the board.
#[derive(Debug, Clone, Default)]
pub struct Within {
    pub stage: Option<StageId>,
    pub question: Option<QuestionId>,
    /// Include posts the moderators hid (staff see them, marked).
    pub hidden: bool,
}

#[derive(QueryableByName, Debug)]
struct Hit {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    participant_id: Option<String>,
    #[diesel(sql_type = Double)]
    rank: f64,
}

/// A post found: its id, its participant author (none for staff posts) and its rank.
pub type Found = (PostId, Option<ParticipantId>, f64);

#[derive(QueryableByName, Debug)]
struct Snip {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    snippet: String,
}

/// Start and end of a matched word in snippets: characters no text holds.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// The FTS5 query for words: each a quoted term, all of them required.
fn fts5_query(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{}\"", w.replace('"', ""))).collect::<Vec<_>>().join(" ")
}

/// Posts of the board matching every word, best first, at most `limit`: (post, rank). Posts
/// removed with a withdrawal are never found; hidden ones only when `within.hidden`.
pub fn matching_posts(
    conn: &mut DbConn,
    board: &BoardId,
    words: &[String],
    within: &Within,
    limit: i64,
) -> QueryResult<Vec<Found>> {
    let mut filters = String::new();
    if !within.hidden {
        filters.push_str(" AND p.hidden_at IS NULL");
    }
    let rows: Vec<Hit> = match conn {
        DbConn::Sqlite(c) => {
            let mut binds: Vec<String> = vec![fts5_query(words), board.to_string()];
            if let Some(s) = &within.stage {
                filters.push_str(" AND q.stage_id = ?");
                binds.push(s.to_string());
            }
            if let Some(q) = &within.question {
                filters.push_str(" AND p.question_id = ?");
                binds.push(q.to_string());
            }
            let sql = format!(
                "SELECT p.id AS id, p.participant_id AS participant_id, bm25(posts_fts) AS rank FROM posts_fts \
                 JOIN posts p ON p.rowid = posts_fts.rowid JOIN questions q ON q.id = p.question_id \
                 WHERE posts_fts MATCH ? AND p.board_id = ? AND p.removed_at IS NULL{filters} \
                 ORDER BY rank LIMIT ?"
            );
            let mut query = diesel::sql_query(sql).into_boxed();
            for b in binds {
                query = query.bind::<Text, _>(b);
            }
            query.bind::<Integer, _>(limit as i32).load(c)?
        }
        DbConn::Postgresql(c) => {
            let mut binds: Vec<String> = vec![words.join(" "), board.to_string()];
            if let Some(s) = &within.stage {
                binds.push(s.to_string());
                filters.push_str(&format!(" AND q.stage_id = ${}", binds.len()));
            }
            if let Some(q) = &within.question {
                binds.push(q.to_string());
                filters.push_str(&format!(" AND p.question_id = ${}", binds.len()));
            }
            let sql = format!(
                "SELECT p.id AS id, p.participant_id AS participant_id, ts_rank(p.search, w)::float8 AS rank \
                 FROM posts p JOIN questions q ON q.id = p.question_id, plainto_tsquery('english', $1) w \
                 WHERE p.search @@ w AND p.board_id = $2 AND p.removed_at IS NULL{filters} \
                 ORDER BY rank DESC, p.id LIMIT ${}",
                binds.len() + 1
            );
            let mut query = diesel::sql_query(sql).into_boxed();
            for b in binds {
                query = query.bind::<Text, _>(b);
            }
            query.bind::<Integer, _>(limit as i32).load(c)?
        }
    };
    Ok(rows.into_iter().map(|h| (PostId::from(h.id), h.participant_id.map(ParticipantId::from), h.rank)).collect())
}

/// The matched words of some posts in their context, marked with `MARK_START` and `MARK_END`.
pub fn snippets(conn: &mut DbConn, words: &[String], ids: &[PostId]) -> QueryResult<Vec<(PostId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Snip> = match conn {
        DbConn::Sqlite(c) => {
            let marks = format!("'{MARK_START}', '{MARK_END}'");
            let list = vec!["?"; ids.len()].join(", ");
            let sql = format!(
                "SELECT p.id AS id, snippet(posts_fts, 0, {marks}, '…', 32) AS snippet FROM posts_fts \
                 JOIN posts p ON p.rowid = posts_fts.rowid WHERE posts_fts MATCH ? AND p.id IN ({list})"
            );
            let mut query = diesel::sql_query(sql).into_boxed().bind::<Text, _>(fts5_query(words));
            for id in ids {
                query = query.bind::<Text, _>(id.to_string());
            }
            query.load(c)?
        }
        DbConn::Postgresql(c) => {
            let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT p.id AS id, ts_headline('english', p.body_md, plainto_tsquery('english', $1), \
                 'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=32, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet \
                 FROM posts p WHERE p.id IN ({})",
                list.join(", ")
            );
            let mut query = diesel::sql_query(sql).into_boxed().bind::<Text, _>(words.join(" "));
            for id in ids {
                query = query.bind::<Text, _>(id.to_string());
            }
            query.load(c)?
        }
    };
    Ok(rows.into_iter().map(|s| (PostId::from(s.id), s.snippet)).collect())
}

/// Stage summaries of the board matching every word: (summary id, snippet).
pub fn matching_summaries(conn: &mut DbConn, board: &BoardId, words: &[String]) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<Snip> = match conn {
        DbConn::Sqlite(c) => {
            let sql = format!(
                "SELECT s.id AS id, snippet(summaries_fts, 0, '{MARK_START}', '{MARK_END}', '…', 32) AS snippet \
                 FROM summaries_fts JOIN stage_summaries s ON s.rowid = summaries_fts.rowid \
                 WHERE summaries_fts MATCH ? AND s.board_id = ? ORDER BY bm25(summaries_fts) LIMIT 50"
            );
            diesel::sql_query(sql).bind::<Text, _>(fts5_query(words)).bind::<Text, _>(board.to_string()).load(c)?
        }
        DbConn::Postgresql(c) => {
            let sql = format!(
                "SELECT s.id AS id, ts_headline('english', s.body_md, w, 'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=32, MinWords=12') AS snippet \
                 FROM stage_summaries s, plainto_tsquery('english', $1) w \
                 WHERE s.search @@ w AND s.board_id = $2 ORDER BY ts_rank(s.search, w) DESC LIMIT 50"
            );
            diesel::sql_query(sql).bind::<Text, _>(words.join(" ")).bind::<Text, _>(board.to_string()).load(c)?
        }
    };
    Ok(rows.into_iter().map(|s| (s.id, s.snippet)).collect())
}

/// Rebuilds SQLite's indexes from their tables (after a restore); PostgreSQL's are columns.
pub fn rebuild(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(c) = conn {
        diesel::sql_query("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')").execute(c)?;
        diesel::sql_query("INSERT INTO summaries_fts(summaries_fts) VALUES ('rebuild')").execute(c)?;
    }
    Ok(())
}
