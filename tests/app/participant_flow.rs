//! The participant is led: the board home puts the open stage first with a Continue button to
//! the next unanswered question; after answering, "Next question", or "You have answered
//! everything for now" with the date the next stage opens; a vote to change starts from the
//! current one. Signed out, a board's address says how to come back in.

use crate::helpers::*;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::json;

crate::on_both_databases!(participants_are_led_from_question_to_question);

fn hrefs(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(selector).unwrap()).filter_map(|a| a.value().attr("href").map(str::to_string)).collect()
}

async fn participants_are_led_from_question_to_question(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let (st, poll) = m
        .add_question(&s.stage, json!({"prompt_md": "Which day suits you?", "kind": "single_choice", "options": ["Monday", "Tuesday", "Friday"]}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{poll}");
    let poll = poll["id"].as_str().unwrap().to_string();
    let opens = app.clock_now() + time::Duration::days(3);
    let local = format!("{}-{:02}-{:02}T09:00", opens.year(), opens.month() as u8, opens.day());
    let (st, later) = m.add_stage(&s.board, json!({"title": "Stage 2", "release_at": local})).await;
    assert_eq!(st, StatusCode::CREATED, "{later}");

    // Signed out, a question's or the board's address explains how to come back in, rather
    // than offering the staff's password form.
    let stranger = app.browser();
    for path in [format!("/q/{}", s.question), format!("/b/{}", s.board)] {
        let res = stranger.get(&path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("personal link") && !html.contains("type=\"password\""), "{html}");
    }

    let ann = app.sign_in_participant(s.link(0)).await;
    let home = ann.board_home_page(&s.board).await;
    assert_eq!(hrefs(&home, "a.button"), vec![format!("/q/{}", s.question)], "Continue to the first question");
    let upcoming = texts(&home, ".upcoming");
    assert!(upcoming[0].starts_with("The next stage opens ") && upcoming[0].contains(&format!(" {} ", opens.day())));

    // Answering the first: the page leads on to the next.
    let res = ann
        .submit(&format!("/q/{}", s.question), &format!("/q/{}/posts", s.question), &[("body_md", "A calmer ward.")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert_eq!(hrefs(&page, ".next-step a.button"), vec![format!("/q/{poll}")], "{page}");

    // Voting on the last: everything is answered for now, and when the next stage opens is said.
    let res = ann.submit(&format!("/q/{poll}"), &format!("/q/{poll}/vote"), &[("choice", "1")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    let next = texts(&page, ".next-step").join(" ");
    assert!(next.starts_with("You have answered everything for now; the next stage opens"), "{next}");
    // Changing the vote starts from it.
    let doc = Html::parse_document(&page);
    let checked: Vec<_> = doc
        .select(&Selector::parse(r#"form.vote input[name="choice"][checked]"#).unwrap())
        .map(|i| i.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(checked, vec!["1"], "Tuesday, as voted");
    let home = ann.board_home_page(&s.board).await;
    assert!(hrefs(&home, "a.button").is_empty(), "nothing to continue to: {home}");
}
