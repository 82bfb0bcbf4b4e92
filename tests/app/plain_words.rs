//! Plain words everywhere: a question written in markdown reads as words (no asterisks) in
//! page headings, table cells, email subjects and plain-text parts, and every export; stored
//! codes such as `post_first` are shown by their labels.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(markdown_and_stored_codes_read_as_plain_words);

const PROMPT: &str = "Describe **the day you left hospital**, or [read the *guide*](https://example.org/guide)";
const WORDS: &str = "Describe the day you left hospital, or read the guide (https://example.org/guide)";

/// Markup that must not reach a person who reads plain text.
fn assert_no_markup(what: &str, text: &str) {
    for mark in ["**", "](", "*guide*"] {
        assert!(!text.contains(mark), "{what} has {mark:?}: {text}");
    }
}

async fn markdown_and_stored_codes_read_as_plain_words(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let (_, stage) = m.add_stage(&s.board, json!({"title": "Going home"})).await;
    let stage = stage["id"].as_str().unwrap().to_string();
    let (st, q) = m.add_question(&stage, json!({"prompt_md": PROMPT, "mode": "post_first"})).await;
    assert_eq!(st, StatusCode::CREATED, "{q}");
    let q = q["id"].as_str().unwrap().to_string();
    let b = app.signed_in("mod@example.org").await;
    let people = format!("/boards/{}/participants", s.board);
    b.submit(&people, &format!("/boards/{}/invitations", s.board), &[]).await;
    app.outbox.drain().await.unwrap();
    let res = b.submit(&format!("/stages/{stage}"), &format!("/stages/{stage}/release"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ann = app.participant_api(s.link(0)).await;
    let (_, post) = ann.write_post(&q, json!({"body_md": "The taxi was late."})).await;
    let ana = crate::analysis::analyst(&app, &m, &s.board, "ana@example.org").await;
    let (_, code) = ana.post(&format!("/api/v1/boards/{}/codes", s.board), json!({"name": "Discharge"})).await;
    let (st, _) = ana
        .code_post(post["id"].as_str().unwrap(), json!({"code_ids": [code["id"]], "excerpt": "taxi", "quote": true}))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    app.outbox.drain().await.unwrap();

    // Pages: headings and cells have the words; modes, roles and states their labels.
    let board = b.get_ok(&format!("/boards/{}", s.board)).await;
    assert!(texts(&board, "table td a").iter().any(|r| r == WORDS), "{board}");
    let rows = texts(&board, "table td");
    assert!(rows.iter().any(|r| r == "Post first") && !board.contains(">post_first<"), "{rows:?}");
    assert!(board.contains("Analyst") && !board.contains("· analyst"), "roles by their labels");
    assert!(texts(&board, ".tag").iter().any(|t| t == "Open"), "a released stage is open");
    let grid = b.get_ok(&format!("/boards/{}/grid", s.board)).await;
    assert!(grid.contains(&format!(": {WORDS}\"")), "the grid's heading titles are plain");
    let heads = texts(&grid, ".qhead small");
    assert!(
        heads.iter().any(|h| h.starts_with("Describe the day") && h.ends_with('…') && h.chars().count() <= 32),
        "{heads:?}"
    );
    assert_eq!(texts(&grid, ".legend dt").len(), 7, "a legend of every state a cell can be in");
    assert!(texts(&grid, "td .tag").iter().any(|t| t == "Posted"));
    let coding = app.signed_in("ana@example.org").await.get_ok(&format!("/q/{q}/coding")).await;
    assert_eq!(texts(&coding, "h1"), vec![format!("Coding: {WORDS}")]);
    assert!(texts(&coding, ".muted").iter().any(|t| t.contains("On the web")), "how the answer came, in words");
    let (_, later) = m.add_stage(&s.board, json!({"title": "Later"})).await;
    let later = b.get_ok(&format!("/stages/{}", later["id"].as_str().unwrap())).await;
    assert!(texts(&later, "h1 .tag") == vec!["Not released"] && !later.contains("Not scheduled"));

    // Emails: the stage notice lists the question in words, subject and text alike.
    let mail = sink.to("ann@example.org");
    let notice = mail.iter().find(|m| m.subject().contains("Going home")).expect("the stage notice");
    assert!(notice.text().contains(WORDS), "{}", notice.text());
    for m in &mail {
        assert_no_markup("an email subject", &m.subject());
        assert_no_markup("an email's text part", &m.text());
    }

    // Exports, read as an analyst's program would.
    let export = |format: &'static str| {
        let (ana, board) = (&ana, s.board.clone());
        async move {
            let (st, _, bytes) = ana.download(&format!("/api/v1/boards/{board}/export?format={format}")).await;
            assert_eq!(st, StatusCode::OK, "{format}");
            bytes
        }
    };
    let csv = String::from_utf8(export("csv").await).unwrap();
    assert!(csv.contains(WORDS) && csv.contains("On the web"), "{csv}");
    assert_no_markup("the CSV", &csv);
    let quotes = String::from_utf8(export("quotes").await).unwrap();
    assert!(quotes.contains(WORDS), "{quotes}");
    assert_no_markup("the quotes", &quotes);
    for format in ["xlsx", "docx", "docx-participants", "qdpx"] {
        let text = zip_text(&export(format).await);
        assert!(text.contains("Describe the day you left hospital"), "{format}");
        assert_no_markup(format, &text);
    }
}
