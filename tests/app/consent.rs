//! Consent with a record: the text a participant agreed to is kept as it was; a changed text
//! asks them again at their next visit (an unchanged one, saved again, does not); the JSON
//! export carries each text and each agreement.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(a_changed_consent_text_is_agreed_to_again_and_recorded);

async fn a_changed_consent_text_is_agreed_to_again_and_recorded(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let ann = app.sign_in_participant(s.link(0)).await;
    let home = format!("/b/{}", s.board);
    assert!(ann.get(&home).await.url().path() == home, "consented: the board opens");

    // Saving the settings with the same text changes nothing for her.
    let moderator = app.signed_in("mod@example.org").await;
    let settings = format!("/boards/{}/settings", s.board);
    let res = moderator.submit(&settings, &settings, &[("title", "Ward study"), ("time_zone", "Europe/London")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ann.get(&home).await.url().path(), home, "the same text is not asked again");

    // A new text: her next visit asks again, with her screen name kept.
    let (st, _) = m.edit_board(&s.board, json!({"consent_md": "I agree, and my words may be **quoted**."})).await;
    assert_eq!(st, StatusCode::OK);
    let res = ann.get(&home).await;
    assert!(res.url().path().ends_with("/welcome"), "asked again: {}", res.url());
    let page = res.text().await.unwrap();
    assert!(page.contains("The consent text has changed since you agreed"), "{page}");
    assert!(page.contains("my words may be <strong>quoted</strong>") && page.contains("value=\"sn-ann\""), "{page}");
    let (st, _) = app.participant_api(s.link(0)).await.question(&s.question).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "nothing more until she agrees again");
    let welcome = format!("{home}/welcome");
    let res = ann.submit(&welcome, &welcome, &[("screen_name", "sn-ann"), ("consent", "on")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ann.get(&home).await.url().path(), home);

    // The record: both texts as they were, and both agreements, under her pseudonym.
    let (st, _, bytes) = m.download(&format!("/api/v1/boards/{}/export?format=json", s.board)).await;
    assert_eq!(st, StatusCode::OK);
    let export: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let texts = export["consent_texts"].as_array().unwrap();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(texts[1]["text"], "I agree, and my words may be **quoted**.");
    let p01 = &export["participants"][0];
    assert_eq!(p01["id"], "P01");
    let versions: Vec<i64> =
        p01["consent"].as_array().unwrap().iter().map(|c| c["version"].as_i64().unwrap()).collect();
    assert_eq!(versions, [1, 2], "{p01}");
    assert!(p01["consent"][1]["agreed_at"].is_string());
}
