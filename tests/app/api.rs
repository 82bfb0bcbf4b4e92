//! The JSON API on its own: the journey through `/api/v1`, and the OpenAPI document.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use time::macros::datetime;

crate::on_both_databases!(
    board_reminder_settings_default_on_and_switch_off,
    journey_through_the_api,
    tokens_are_made_on_the_account_page_and_revoked,
    openapi_document_describes_every_route
);

/// Reminders are on by default; null or empty switches one off, absent keeps it, and junk is refused.
async fn board_reminder_settings_default_on_and_switch_off(backend: Backend) {
    let app = spawn(backend).await;
    let m = app.staff_api("mod@example.org", false).await;
    let (st, board) = m
        .post(
            "/api/v1/boards",
            json!({"title": "API board", "time_zone": "America/New_York", "opens_at": "2021-03-26T09:00"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{board}");
    assert_eq!(board["opens_at"]["at"], "2021-03-26T09:00:00-04:00");
    assert_eq!(
        (board["remind_before_close_hours"].as_i64(), board["remind_not_signed_in_hours"].as_i64()),
        (Some(24), Some(48)),
        "reminders on by default"
    );
    let (_, quiet) = m.post("/api/v1/boards", json!({"title": "Quiet", "time_zone": "UTC", "remind_before_close_hours": null, "remind_not_signed_in_hours": ""})).await;
    assert!(
        quiet["remind_before_close_hours"].is_null() && quiet["remind_not_signed_in_hours"].is_null(),
        "null or empty switches a rule off: {quiet}"
    );
    let (_, stored) = m.get(&format!("/api/v1/boards/{}", quiet["id"].as_str().unwrap())).await;
    assert!(
        stored["remind_before_close_hours"].is_null() && stored["remind_not_signed_in_hours"].is_null(),
        "stored off, not the column default: {stored}"
    );
    let (_, on) = m
        .edit_board(
            &quiet["id"].as_str().unwrap(),
            json!({"title": "Quiet", "time_zone": "UTC", "remind_before_close_hours": 12}),
        )
        .await;
    assert_eq!(
        (on["remind_before_close_hours"].as_i64(), on["remind_not_signed_in_hours"].as_i64()),
        (Some(12), None),
        "absent keeps"
    );
    let (_, off) = m
        .edit_board(
            &quiet["id"].as_str().unwrap(),
            json!({"title": "Quiet", "time_zone": "UTC", "remind_before_close_hours": null}),
        )
        .await;
    assert!(off["remind_before_close_hours"].is_null());
    let (_, stored) = m.get(&format!("/api/v1/boards/{}", quiet["id"].as_str().unwrap())).await;
    assert!(stored["remind_before_close_hours"].is_null(), "switched off in the database: {stored}");
    let (st, _) = m
        .post("/api/v1/boards", json!({"title": "Bad", "time_zone": "UTC", "remind_before_close_hours": "soon"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A board set up, filled, released, answered and watched through the JSON API alone.
async fn journey_through_the_api(backend: Backend) {
    let app = spawn(backend).await;
    let m = app.staff_api("mod@example.org", false).await;
    let (_, board) = m
        .post(
            "/api/v1/boards",
            json!({"title": "API board", "time_zone": "America/New_York", "opens_at": "2021-03-26T09:00"}),
        )
        .await;
    let b = board["id"].as_str().unwrap();
    let (st, stage) = m.add_stage(&b, json!({"title": "One", "release_at": "2021-03-26T10:00:00Z"})).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(stage["phase"], "scheduled");
    let sid = stage["id"].as_str().unwrap();
    let (_, q1) = m.add_question(&sid, json!({"prompt_md": "First?", "mode": "open"})).await;
    let (_, q2) = m.add_question(&sid, json!({"prompt_md": "Second?"})).await;
    assert_eq!(q2["mode"], "post_first", "post first is the default");
    let (st, _) =
        m.post(&format!("/api/v1/questions/{}/move", q2["id"].as_str().unwrap()), json!({"direction": "up"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, stage) = m.get(&format!("/api/v1/stages/{sid}")).await;
    let order: Vec<&str> =
        stage["questions"].as_array().unwrap().iter().map(|q| q["prompt_md"].as_str().unwrap()).collect();
    assert_eq!(order, vec!["Second?", "First?"]);

    let (st, report) = m
        .post_csv(
            &format!("/api/v1/boards/{b}/participants/import?commit=true"),
            "email,name,Group\nx@example.org,X,A\ny@example.org,Y,B\n",
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], true);
    let (_, people) = m.participants(&b).await;
    assert_eq!(people.as_array().unwrap().len(), 2);
    assert_eq!(people[0]["attributes"]["Group"], "A");
    let link = people[0]["sign_in_link"].as_str().unwrap().to_string();

    let x = app.participant_api(&link).await;
    let (_, me) = x.get("/api/v1/me").await;
    assert_eq!(me["kind"], "participant");
    let (st, _) = x.home(&b).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "consent comes first");
    let (st, _) = x.post("/api/v1/me/consent", json!({"consent": "true"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "screen name required");
    let (st, _) = x.post("/api/v1/me/consent", json!({"consent": "true", "screen_name": "Ex"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, home) = x.home(&b).await;
    assert_eq!(home["stages"].as_array().unwrap().len(), 0, "nothing released yet");

    app.clock.set(datetime!(2021-03-26 10:00 UTC));
    assert_eq!(app.scheduler.tick().await.unwrap(), 1);
    let (st, _) = m.release_stage(&sid, json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT, "released once");
    let (_, home) = x.home(&b).await;
    assert_eq!(home["unanswered"], 2);
    let (st, post) = x
        .write_post(&q1["id"].as_str().unwrap(), json!({"body_md": "Hello <script>alert(1)</script> **world**"}))
        .await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(post["body_html"], "<p>Hello  <strong>world</strong></p>\n");
    app.clock.advance(time::Duration::minutes(1));
    let (st, edited) =
        x.patch(&format!("/api/v1/posts/{}", post["id"].as_str().unwrap()), json!({"body_md": "Hello world"})).await;
    assert_eq!(st, StatusCode::OK);
    assert!(edited["edited"]["text"].as_str().unwrap().contains("26 Mar 2021, 06:01 EDT"));
    let (_, history) = x.get(&format!("/api/v1/posts/{}/history", post["id"].as_str().unwrap())).await;
    assert_eq!(history["revisions"].as_array().unwrap().len(), 1);

    let (_, overview) = m.overview(&b).await;
    assert_eq!(
        overview["funnel"],
        json!({"invited": 2, "signed_in": 1, "posted": 1, "email_failed": 0, "withdrawn": 0})
    );
    let first = &overview["stages"][0]["questions"][1];
    assert_eq!((first["answered_count"].as_i64(), first["participant_count"].as_i64()), (Some(1), Some(2)));
}

/// Tokens: a token cannot make another; the account page makes them, 90 days by default, and a
/// revoked token stops at once.
async fn tokens_are_made_on_the_account_page_and_revoked(backend: Backend) {
    let app = spawn(backend).await;
    let m = app.staff_api("mod@example.org", false).await;
    // Tokens: list, revoke, and a revoked token no longer works.
    // A token cannot make another; a signed-in person makes them on the account page.
    let (st, _) = m.post("/api/v1/tokens", json!({"name": "script"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let page = app
        .signed_in("mod@example.org")
        .await
        .submit("/account", "/account/tokens", &[("name", "script")])
        .await
        .text()
        .await
        .unwrap();
    let plain = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("input.link-copy").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_string();
    let script = app.api(&plain);
    assert_eq!(script.get("/api/v1/me").await.0, StatusCode::OK);
    let (_, tokens) = m.get("/api/v1/tokens").await;
    let t = tokens.as_array().unwrap().iter().find(|t| t["name"] == "script").unwrap().clone();
    assert!(t["expires_at"].as_str().unwrap().starts_with("2021-06-24"), "90 days by default: {t}");
    let res = m
        .client
        .delete(app.url(&format!("/api/v1/tokens/{}", t["id"].as_str().unwrap())))
        .bearer_auth(&m.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(script.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
}

async fn openapi_document_describes_every_route(backend: Backend) {
    let app = spawn(backend).await;
    let doc: serde_json::Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/boards",
        "/api/v1/boards/{board}/participants/import",
        "/api/v1/questions/{question}/posts",
        "/api/v1/stages/{stage}/release",
        "/api/v1/auth/participant",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["QuestionPage"].is_object());
    // Unknown API routes answer with a problem document too.
    let (st, _) = read(reqwest::get(app.url("/api/v1/nothing-here")).await.unwrap()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
