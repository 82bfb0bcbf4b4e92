//! Bad input gets a clear reason and loses nothing: malformed CSV rows, binary files,
//! oversized bodies, hostile markdown, malformed JSON, unknown pages.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(
    csv_problems_are_reported_by_line_and_nothing_is_imported,
    oversized_and_malformed_bodies_are_refused_clearly,
    hostile_markdown_is_neutralised
);

async fn csv_problems_are_reported_by_line_and_nothing_is_imported(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["taken@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let mut csv = b"email,name,Role\nok@example.org,Ok,Nurse\n,Nobody,GP\nnot-an-email,Bad,GP\nOK@example.org,Again,GP\ntaken@example.org,Taken,GP\nlatin@example.org,Ren".to_vec();
    csv.extend_from_slice(b"\xe9e,GP\n");
    let (st, report) =
        m.post_csv(&format!("/api/v1/boards/{}/participants/import?commit=true", s.board), csv.clone()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(report["imported"], false);
    let lines: Vec<i64> = report["errors"].as_array().unwrap().iter().map(|e| e["line"].as_i64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7]);
    let reasons = report["errors"].to_string();
    for why in ["missing", "not a valid email", "appears twice", "already a participant", "UTF-8"] {
        assert!(reasons.contains(why), "{why} in {reasons}");
    }
    let (_, people) = m.participants(&s.board).await;
    assert_eq!(people.as_array().unwrap().len(), 1, "all rows or none");

    // The same file through the page: the preview lists every problem and offers no import.
    let b = app.signed_in("mod@example.org").await;
    let page = b.get_ok(&format!("/boards/{}/participants", s.board)).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_of(&page))
        .part("file", reqwest::multipart::Part::bytes(csv).file_name("p.csv"));
    let res = b
        .client
        .post(app.url(&format!("/boards/{}/participants/preview", s.board)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Nothing was imported") && html.contains("Line 7:"));
    assert!(!html.contains("Import 1 participants"));

    // A spreadsheet or image instead of CSV.
    let form = reqwest::multipart::Form::new().text("csrf_token", csrf_of(&page)).part(
        "file",
        reqwest::multipart::Part::bytes(b"PK\x03\x04\x14\x00\x00\x00binary".to_vec()).file_name("people.xlsx"),
    );
    let res = b
        .client
        .post(app.url(&format!("/boards/{}/participants/preview", s.board)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("not a CSV text file"));
    let (st, body) = m.post_csv(&format!("/api/v1/boards/{}/participants/import", s.board), "name\nAnn\n").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("no \"email\" column"));
}

async fn oversized_and_malformed_bodies_are_refused_clearly(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["a@example.org"]).await;
    let a = app.sign_in_participant(s.link(0)).await;
    let a_api = app.participant_api(s.link(0)).await;
    let big = "x".repeat(70 * 1024); // the test server accepts 64 KiB
    let q = format!("/q/{}", s.question);
    let page = a.get_ok(&q).await;
    let res = a
        .client
        .post(app.url(&format!("{q}/posts")))
        .form(&[("csrf_token", csrf_of(&page).as_str()), ("body_md", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(res.text().await.unwrap().contains("larger than"));
    let (st, _) = a_api.write_post(&s.question, json!({"body_md": big})).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    // Within the body limit but over the length of a post.
    let (st, body) = a_api.write_post(&s.question, json!({"body_md": "y".repeat(20_001)})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("longer than"));
    // Malformed JSON and wrong shapes.
    let res = a_api
        .client
        .post(app.url(&format!("/api/v1/questions/{}/posts", s.question)))
        .bearer_auth(&a_api.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (st, _) = read(res).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = a_api.write_post(&s.question, json!({"body_md": "   "})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, body) = app
        .staff_api("m2@example.org", false)
        .await
        .post("/api/v1/boards", json!({"title": "T", "time_zone": "Mars/Base"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("time zone"));
    // Nothing was posted by any of that.
    assert!(!a.get_ok(&q).await.contains("article class=\"post"));
    // Unknown pages: an HTML page with a way home.
    let res = a.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("<h1>Not found</h1>"));
}

async fn hostile_markdown_is_neutralised(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["a@example.org", "b@example.org"]).await;
    let a = app.participant_api(s.link(0)).await;
    a.post(
        &format!("/api/v1/questions/{}/posts", s.question),
        json!({"body_md": "<img src=x onerror=alert(1)><script>alert(2)</script>[click](javascript:alert(3)) <a href=\"https://example.org\" onmouseover=\"alert(4)\">site</a>"}),
    )
    .await;
    let b = app.sign_in_participant(s.link(1)).await;
    let page = b.question_page(&s.question).await;
    for bad in ["onerror", "<script>alert", "href=\"javascript", "onmouseover"] {
        assert!(!page.contains(bad), "{bad} reached the page");
    }
    assert!(page.contains("href=\"https://example.org\""));
}
