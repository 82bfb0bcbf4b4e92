//! "Agree" reactions: counts for everyone, names for staff, only on posts one can read.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(agreeing_with_a_post);

async fn agreeing_with_a_post(backend: Backend) {
    let app = spawn(backend).await;
    let s = app
        .board_with_question(
            "mod@example.org",
            "post_first",
            &["ann@example.org", "bob@example.org", "cat@example.org"],
        )
        .await;
    let (ann, bob, cat) = (
        app.participant_api(s.link(0)).await,
        app.participant_api(s.link(1)).await,
        app.participant_api(s.link(2)).await,
    );
    let q = format!("/api/v1/questions/{}/posts", s.question);
    let (_, a) = ann.post(&q, json!({"body_md": "Networking"})).await;
    bob.post(&q, json!({"body_md": "Learning"})).await;
    let agree = format!("/api/v1/posts/{}/agree", a["id"].as_str().unwrap());
    // Cat has not answered (post first): Ann's post does not exist for her yet.
    assert_eq!(cat.post(&agree, json!({})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ann.post(&agree, json!({})).await.0, StatusCode::UNPROCESSABLE_ENTITY, "not with yourself");
    let (st, post) = bob.post(&agree, json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!((post["agrees"].as_i64(), post["agreed_by_you"].as_bool()), (Some(1), Some(true)));
    assert_eq!(post["agreed_by"], json!([]), "participants see the count, not the names");
    let (_, for_ann) = ann.question(&s.question).await;
    assert_eq!(for_ann["posts"][0]["agrees"], 1);
    let m = app.api_of("mod@example.org").await;
    let (_, for_mod) = m.question(&s.question).await;
    assert_eq!(for_mod["posts"][0]["agreed_by"], json!(["sn-bob (bob@example.org)"]));
    assert_eq!(m.post(&agree, json!({})).await.0, StatusCode::FORBIDDEN, "staff do not agree");
    // Again takes it back.
    let (_, post) = bob.post(&agree, json!({})).await;
    assert_eq!(post["agrees"], 0);
    // Through the page: Bob presses Agree.
    let bob_page = app.sign_in_participant(s.link(1)).await;
    let page = bob_page.question_page(&s.question).await;
    let res = bob_page
        .client
        .post(app.url(&format!("/posts/{}/agree", a["id"].as_str().unwrap())))
        .form(&[("csrf_token", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert_eq!(texts(&page, "button.agree.on"), vec!["Agree · 1"]);
    let staff = app.signed_in("mod@example.org").await;
    assert!(staff.question_page(&s.question).await.contains("Agreed: sn-bob (bob@example.org)"));
}
