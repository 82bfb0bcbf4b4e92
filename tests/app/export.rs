//! Exports parsed back: CSV rows per post with pseudonymous ids, the exporter's choices,
//! redaction, JSON, the command line, and who may export.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(exports_parse_back_with_pseudonyms_and_choices);

async fn exports_parse_back_with_pseudonyms_and_choices(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let (ann, bob) = (app.participant_api(s.link(0)).await, app.participant_api(s.link(1)).await);
    let q = format!("/api/v1/questions/{}/posts", s.question);
    let (_, a) = ann.post(&q, json!({"body_md": "John helped us a lot"})).await;
    let (_, b) = bob.post(&q, json!({"body_md": "Rude remark"})).await;
    m.post(&format!("/api/v1/posts/{}/hide", b["id"].as_str().unwrap()), json!({"reason": "rude"})).await;
    m.post(&format!("/api/v1/posts/{}/probe", a["id"].as_str().unwrap()), json!({"body_md": "How?"})).await;
    let (_, private) = m.post(&format!("/api/v1/stages/{}/questions", s.stage), json!({"prompt_md": "Private?", "mode": "private"})).await;
    ann.post(&format!("/api/v1/questions/{}/posts", private["id"].as_str().unwrap()), json!({"body_md": "Just for you"})).await;

    let analyst = app.staff_api("ana@example.org", false).await;
    m.client.put(app.url(&format!("/api/v1/boards/{}/members", s.board))).bearer_auth(&m.token).json(&json!({"email": "ana@example.org", "role": "analyst"})).send().await.unwrap();
    let csv_of = |query: &'static str| {
        let (api, board) = (&analyst, s.board.clone());
        async move {
            let res = api.client.get(format!("{}/api/v1/boards/{board}/export?{query}", api.base)).bearer_auth(&api.token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let body = res.bytes().await.unwrap();
            let mut r = csv::Reader::from_reader(body.as_ref());
            let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
            let rows: Vec<Vec<String>> = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
            (header, rows)
        }
    };
    // By default: participants' visible, non-private posts only.
    let (header, rows) = csv_of("format=csv&redact=John").await;
    assert_eq!(header, vec!["board", "stage", "question", "post_id", "participant", "Role", "time", "source", "in_reply_to", "text", "codes"]);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows[0][col("participant")], "P01");
    assert_eq!(rows[0][col("Role")], "Nurse");
    assert_eq!(rows[0][col("text")], "[redacted] helped us a lot");
    assert_eq!(rows[0][col("time")], "2021-03-26T08:00:00+00:00");
    assert!(!rows.iter().flatten().any(|c| c.contains("ann@example.org")), "no names or emails");
    // Everything, when chosen.
    let (_, all) = csv_of("include_hidden=true&include_private=true&include_moderators=true").await;
    assert_eq!(all.len(), 4);
    let people: Vec<&str> = all.iter().map(|r| r[col("participant")].as_str()).collect();
    assert_eq!(people, vec!["P01", "P02", "moderator", "P01"]);
    assert!(all[2][col("in_reply_to")].starts_with("P01 "), "the probe answers P01");
    let (_, again) = csv_of("include_hidden=true&include_private=true&include_moderators=true").await;
    assert_eq!(all, again, "pseudonyms are stable");
    // JSON, the whole board.
    let (st, doc) = analyst.get(&format!("/api/v1/boards/{}/export?format=json", s.board)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(doc["participants"].as_array().unwrap().len(), 2);
    assert_eq!(doc["participants"][1]["id"], "P02");
    assert_eq!(doc["posts"].as_array().unwrap().len(), 1);
    // Who may export.
    let obs = app.staff_api("obs@example.org", false).await;
    m.client.put(app.url(&format!("/api/v1/boards/{}/members", s.board))).bearer_auth(&m.token).json(&json!({"email": "obs@example.org", "role": "observer"})).send().await.unwrap();
    assert_eq!(obs.get(&format!("/api/v1/boards/{}/export", s.board)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(ann.get(&format!("/api/v1/boards/{}/export", s.board)).await.0, StatusCode::FORBIDDEN);
    let other = app.staff_api("other@example.org", false).await;
    assert_eq!(other.get(&format!("/api/v1/boards/{}/export", s.board)).await.0, StatusCode::NOT_FOUND);
    // The page's download.
    let page = app.signed_in("mod@example.org").await;
    let res = page.get(&format!("/boards/{}/export?format=csv&include_moderators=true", s.board)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap().lines().count(), 3, "header, Ann's answer, the probe");
    // The command line, against the same database.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("board.json");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_focusboard"))
        .args(["export", "--board", &s.board, "--format", "json", "--output", out.to_str().unwrap()])
        .env("FOCUSBOARD_DATABASE_URL", &app.database_url)
        .env("FOCUSBOARD_DATA_DIR", dir.path())
        .env("FOCUSBOARD_LOG", "warn")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["posts"][0]["participant"], "P01");
}
