//! The whole board as one JSON document: board, stages with questions, participants under
//! pseudonyms, the codebook with memos, every reply with its excerpts, codings and memos, and
//! the votes. Replies are written a batch at a time.

use super::format::{io_error, Sink};
use super::source::{Frame, Scope};
use crate::db::DbConn;
use crate::error::AppResult;
use serde_json::{json, Value};
use std::collections::HashMap;

fn put(out: &mut dyn Sink, bytes: &[u8]) -> AppResult<()> {
    out.write_all(bytes).map_err(io_error)
}

fn value(out: &mut dyn Sink, v: &Value) -> AppResult<()> {
    serde_json::to_writer(&mut *out, v).map_err(io_error)
}

pub fn write(conn: &mut DbConn, frame: &Frame, out: &mut dyn Sink) -> AppResult<()> {
    let names: HashMap<&str, &str> = frame.coders.iter().map(|(id, name)| (id.as_str(), name.as_str())).collect();
    let name = |id: &str| names.get(id).copied().unwrap_or("");
    let memo = |m: &crate::db::models::Memo| json!({"body": m.body, "by": name(&m.created_by), "at": frame.time(m.created_at), "excerpt_id": m.excerpt_id});
    put(out, b"{\"board\":")?;
    value(out, &json!({"id": frame.board.id, "title": frame.board.title, "time_zone": frame.board.time_zone}))?;
    put(out, b",\n\"stages\":")?;
    let stages: Vec<Value> = frame
        .stages
        .iter()
        .map(|s| {
            json!({
                "id": s.id, "position": s.position, "title": s.title,
                "questions": frame.questions.iter().filter(|q| q.stage_id == s.id).map(|q| json!({
                    "id": q.id, "position": q.position, "prompt": frame.prompt(q), "mode": q.mode, "kind": q.kind,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    value(out, &Value::Array(stages))?;
    // The consent record: each text as it was agreed to, once, and each participant's
    // agreements by version and time.
    let records = crate::db::participants::consent_records_of_board(conn, &frame.board.id)?;
    let mut texts: std::collections::BTreeMap<i32, &str> =
        records.iter().map(|r| (r.version, r.consent_md.as_str())).collect();
    texts.entry(frame.board.consent_version).or_insert(frame.board.consent_md.as_str());
    put(out, b",\n\"consent_texts\":")?;
    value(out, &Value::Array(texts.iter().map(|(v, t)| json!({"version": v, "text": t})).collect()))?;
    put(out, b",\n\"participants\":")?;
    let people: Vec<Value> = frame
        .people
        .iter()
        .map(|p| {
            let consent: Vec<Value> = records
                .iter()
                .filter(|r| r.participant_id == p.id)
                .map(|r| json!({"version": r.version, "agreed_at": frame.time(r.agreed_at)}))
                .collect();
            // A withdrawal belongs to the consent record: when, the day asked, and how.
            let withdrawal = p.withdrawn_at.map(|at| {
                json!({"at": frame.time(at), "asked_on": p.withdrawal_asked_on.map(|d| d.to_string()),
                       "source": p.withdrawal_source, "policy": frame.board.withdrawal_policy})
            });
            json!({"id": frame.pseudonym(Some(&p.id)), "attributes": p.attributes.get(),
                   "signed_in": p.first_signed_in_at.is_some(), "consent": consent,
                   "withdrawal": withdrawal, "erased": p.erased_at.is_some()})
        })
        .collect();
    value(out, &Value::Array(people))?;
    put(out, b",\n\"codebook\":")?;
    let codes: Vec<Value> = frame
        .codes
        .iter()
        .map(|(c, depth)| {
            json!({
                "id": c.id, "parent_id": c.parent_id, "name": c.name, "description": c.description, "colour": c.colour, "depth": depth,
                "memos": frame.memos.iter().filter(|m| m.code_id.as_deref() == Some(c.id.as_str())).map(memo).collect::<Vec<_>>(),
            })
        })
        .collect();
    value(out, &Value::Array(codes))?;
    put(out, b",\n\"votes\":")?;
    let votes: Vec<Value> = crate::db::votes::current_of_board(conn, &frame.board.id)?
        .into_iter()
        .filter(|v| frame.question(&v.question_id).is_some())
        .map(|v| {
            json!({
                "question_id": v.question_id, "participant": frame.pseudonym(Some(&v.participant_id)),
                "answer": v.answer.get(), "time": frame.time(v.created_at),
            })
        })
        .collect();
    value(out, &Value::Array(votes))?;
    put(out, b",\n\"posts\":[")?;
    let mut first = true;
    frame.each_batch(conn, Scope::Board, |_, replies| {
        for reply in replies {
            let p = &reply.post;
            let text = frame.text(reply);
            let excerpts: Vec<Value> = reply
                .excerpts
                .iter()
                .map(|(e, codings)| {
                    let range = frame.excerpt_range(reply, &text, e);
                    json!({
                        "whole": e.start_char.is_none(),
                        "start": range.map(|r| r.0), "end": range.map(|r| r.1),
                        "text": range.map(|(s, end)| text.text.chars().skip(s).take(end - s).collect::<String>()).unwrap_or_else(|| text.text.clone()),
                        "quote": e.is_quote,
                        "codings": codings.iter().filter_map(|c| frame.code(&c.code_id).map(|code| json!({
                            "code_id": code.id, "code": code.name, "by": name(&c.created_by), "at": frame.time(c.created_at),
                        }))).collect::<Vec<_>>(),
                    })
                })
                .collect();
            let v = json!({
                "id": p.id,
                "question_id": p.question_id,
                "participant": reply.author,
                "in_reply_to": p.parent_id,
                "in_reply_to_removed": reply.in_reply_to.as_deref() == Some(super::source::REMOVED_PARENT),
                "time": frame.time(p.created_at),
                "source": frame.source(p),
                "probe": p.is_probe,
                "private": p.private_to.is_some(),
                "hidden": p.hidden_at.is_some(),
                "text": text.text,
                "codes": frame.code_names(reply),
                "agrees": reply.agrees,
                "images": reply.images.iter().map(|(id, alt)| json!({"id": id, "alt_text": alt, "url": format!("/images/{id}")})).collect::<Vec<_>>(),
                "excerpts": excerpts,
                "memos": frame.memos_of(&p.id).map(memo).collect::<Vec<_>>(),
            });
            put(out, if first { b"\n" } else { b",\n" })?;
            first = false;
            value(out, &v)?;
        }
        Ok(())
    })?;
    put(out, b"\n]}\n")
}
