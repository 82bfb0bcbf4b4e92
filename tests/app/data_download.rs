//! A participant's own data as a JSON file: by them, and by the board's moderators who see
//! identities; never by another participant, an analyst or a stranger.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(a_participant_downloads_what_the_board_holds_about_them);

async fn a_participant_downloads_what_the_board_holds_about_them(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let ann_api = app.participant_api(s.link(0)).await;
    ann_api.write_post(&s.question, json!({"body_md": "The night shifts were the hardest."})).await;
    let bob_api = app.participant_api(s.link(1)).await;
    bob_api.write_post(&s.question, json!({"body_md": "Bob's own words."})).await;
    let m = app.api_of("mod@example.org").await;
    m.post(&format!("/api/v1/boards/{}/invitations", s.board), json!({})).await;

    let ann = app.sign_in_participant(s.link(0)).await;
    let home = ann.board_home_page(&s.board).await;
    assert!(home.contains("href=\"/me/data\""), "{home}");
    let res = ann.get("/me/data").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert_eq!(res.headers()["cache-control"], "no-store");
    let data: serde_json::Value = res.json().await.unwrap();
    assert_eq!(data["participant"]["email"], "ann@example.org");
    assert_eq!(data["posts"][0]["text"], "The night shifts were the hardest.");
    assert_eq!(data["posts"][0]["question"], "What did you hope for?");
    assert_eq!(data["consent"].as_array().unwrap().len(), 1, "{data}");
    assert!(data["emails"].to_string().contains("You are invited"), "{data}");
    assert!(!data.to_string().contains("Bob's own words") && !data.to_string().contains("bob@example.org"));

    // The moderator downloads it for her from the participants page; others may not.
    let moderator = app.signed_in("mod@example.org").await;
    let ann_id = &s.participants[0].1;
    let path = format!("/boards/{}/participants/{ann_id}/data", s.board);
    assert!(moderator.get_ok(&format!("/boards/{}/participants", s.board)).await.contains(&path));
    let res = moderator.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let theirs: serde_json::Value = res.json().await.unwrap();
    assert_eq!(theirs["participant"]["email"], "ann@example.org");
    let bob = app.sign_in_participant(s.link(1)).await;
    assert_eq!(bob.get(&path).await.status(), StatusCode::NOT_FOUND, "another participant");
    app.create_user("ana@example.org", false).await;
    let board = s.board.clone();
    app.with_db(move |conn, ctx| {
        let m =
            focusboard::service::Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
        let member =
            focusboard::service::boards::MemberInput { email: "ana@example.org".into(), role: "analyst".into() };
        focusboard::service::boards::set_member(conn, ctx, &m, &board, &member)
    })
    .await;
    let analyst = app.signed_in("ana@example.org").await;
    assert_eq!(analyst.get(&path).await.status(), StatusCode::FORBIDDEN, "an analyst");
    assert_eq!(analyst.get("/me/data").await.status(), StatusCode::FORBIDDEN, "staff have no /me/data");
    let stranger = app.browser().get("/me/data").await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
}
