//! Images: accepted by content, metadata stripped, thumbnails made, and served only to
//! those who may read what they belong to.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use std::io::Cursor;

crate::on_both_databases!(
    question_images_are_resized_checked_and_kept_to_the_board,
    participants_images_lose_metadata_and_follow_their_post,
    images_in_pages_stage_introductions_and_summaries
);

/// A JPEG photo carrying an EXIF block with a GPS position, as phones write them.
fn jpeg_with_gps() -> Vec<u8> {
    let mut buf = Cursor::new(Vec::new());
    image::RgbImage::from_pixel(64, 48, image::Rgb([10, 110, 80]))
        .write_to(&mut buf, image::ImageFormat::Jpeg)
        .unwrap();
    let jpeg = buf.into_inner();
    let payload = b"Exif\0\0MM\0*GPSLatitude 52.2053 N GPSLongitude 0.1218 E";
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

async fn upload(api: &Api, path: &str, alt: &str, bytes: Vec<u8>) -> (StatusCode, serde_json::Value) {
    api.upload(&format!("{path}?alt={alt}"), bytes).await
}

/// A post-first board with Ann and Bob, another board with Zed, and their API clients.
async fn two_boards(backend: Backend) -> (TestApp, Seeded, Api, Api, Api, Api) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "post_first", &["ann@example.org", "bob@example.org"]).await;
    let other = app.board_with_question("other@example.org", "open", &["zed@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let (ann, bob, zed) = (
        app.participant_api(s.link(0)).await,
        app.participant_api(s.link(1)).await,
        app.participant_api(other.link(0)).await,
    );
    (app, s, m, ann, bob, zed)
}

/// A question's diagram is served whole and as a thumbnail to the board only; files that are
/// not images, or have no alt text, are refused by their content.
async fn question_images_are_resized_checked_and_kept_to_the_board(backend: Backend) {
    let (app, s, m, ann, _, zed) = two_boards(backend).await;
    // A diagram on the question, for everyone on the board.
    let (st, diagram) =
        upload(&m, &format!("/api/v1/questions/{}/images", s.question), "The%20four%20pillars", png(1200, 800)).await;
    assert_eq!(st, StatusCode::CREATED, "{diagram}");
    let id = diagram["id"].as_str().unwrap();
    let res = ann.client.get(app.url(&format!("/api/v1/images/{id}"))).bearer_auth(&ann.token).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/png");
    let full = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((full.width(), full.height()), (1200, 800));
    let res =
        ann.client.get(app.url(&format!("/api/v1/images/{id}/thumb"))).bearer_auth(&ann.token).send().await.unwrap();
    let thumb = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (1024, 683));
    assert_eq!(zed.get(&format!("/api/v1/images/{id}")).await.0, StatusCode::NOT_FOUND, "another board's participant");
    let (_, q) = ann.question(&s.question).await;
    assert_eq!(q["question"]["images"][0]["alt_text"], "The four pillars");
    // A photo larger than anyone looks at is taken and scaled down to 2,048 pixels.
    let (st, photo) =
        upload(&m, &format!("/api/v1/questions/{}/images", s.question), "A%20ward", png(4096, 1024)).await;
    assert_eq!(st, StatusCode::CREATED, "{photo}");
    assert_eq!((photo["width"].as_u64(), photo["height"].as_u64()), (Some(2048), Some(512)), "{photo}");
    let res = ann
        .client
        .get(app.url(&format!("/api/v1/images/{}", photo["id"].as_str().unwrap())))
        .bearer_auth(&ann.token)
        .send()
        .await
        .unwrap();
    let full = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((full.width(), full.height()), (2048, 512));
    // Not an image, or a name that lies: refused by content.
    let (st, body) =
        upload(&m, &format!("/api/v1/questions/{}/images", s.question), "x", b"%PDF-1.7 a report".to_vec()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["detail"].as_str().unwrap().contains("not an image"));
    let (st, _) = upload(&m, &format!("/api/v1/questions/{}/images", s.question), "", png(10, 10)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "alt text is required");
}

/// Participants add images only where the question allows, without their metadata; others see
/// them under post first, and not once the post is hidden (staff still do).
async fn participants_images_lose_metadata_and_follow_their_post(backend: Backend) {
    let (app, s, m, ann, bob, _) = two_boards(backend).await;
    // Participants add images only where the question allows it.
    let (_, answer) = ann.write_post(&s.question, json!({"body_md": "Here is our ward"})).await;
    let post_images = format!("/api/v1/posts/{}/images", answer["id"].as_str().unwrap());
    assert_eq!(upload(&ann, &post_images, "Ward", jpeg_with_gps()).await.0, StatusCode::FORBIDDEN);
    m.patch(
        &format!("/api/v1/questions/{}", s.question),
        json!({"prompt_md": "What did you hope for?", "allow_images": true}),
    )
    .await;
    let (st, photo) = upload(&ann, &post_images, "Our%20ward", jpeg_with_gps()).await;
    assert_eq!(st, StatusCode::CREATED, "{photo}");
    assert_eq!(
        upload(&bob, &post_images, "Not mine", png(10, 10)).await.0,
        StatusCode::NOT_FOUND,
        "Bob cannot even see Ann's post yet"
    );
    let photo_id = photo["id"].as_str().unwrap();
    let res =
        ann.client.get(app.url(&format!("/api/v1/images/{photo_id}"))).bearer_auth(&ann.token).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let bytes = res.bytes().await.unwrap();
    assert!(
        !bytes.windows(4).any(|w| w == b"Exif") && !bytes.windows(11).any(|w| w == b"GPSLatitude"),
        "metadata stripped"
    );
    // Post first: Bob sees Ann's photo only after answering; hidden, it is refused again.
    assert_eq!(bob.get(&format!("/api/v1/images/{photo_id}")).await.0, StatusCode::NOT_FOUND);
    bob.write_post(&s.question, json!({"body_md": "Mine"})).await;
    let res =
        bob.client.get(app.url(&format!("/api/v1/images/{photo_id}"))).bearer_auth(&bob.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    m.hide_post(&answer["id"].as_str().unwrap(), json!({"reason": "Shows a patient"})).await;
    assert_eq!(bob.get(&format!("/api/v1/images/{photo_id}")).await.0, StatusCode::NOT_FOUND);
    let staff = app.signed_in("mod@example.org").await;
    assert_eq!(staff.get(&format!("/images/{photo_id}")).await.status(), StatusCode::OK, "staff still see it");
}

/// Images in the question page and its upload form, in a stage's introduction (after release)
/// and in a summary (once published); strangers are sent to sign in.
async fn images_in_pages_stage_introductions_and_summaries(backend: Backend) {
    let (app, s, m, ann, _, _) = two_boards(backend).await;
    let staff = app.signed_in("mod@example.org").await;
    let (_, diagram) =
        upload(&m, &format!("/api/v1/questions/{}/images", s.question), "The%20four%20pillars", png(1200, 800)).await;
    let id = diagram["id"].as_str().unwrap();
    // In the page, with its alt text; and through the page's upload form.
    let page = staff.question_page(&s.question).await;
    assert!(page.contains("alt=\"The four pillars\""));
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_of(&page))
        .text("alt_text", "A second diagram")
        .part("file", reqwest::multipart::Part::bytes(png(300, 200)).file_name("diagram.png"));
    let res = staff.client.post(app.url(&format!("/q/{}/images", s.question))).multipart(form).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("alt=\"A second diagram\""));
    // A diagram in a stage's introduction: invisible to participants until the stage is out.
    let (_, later) = m.add_stage(&s.board, json!({"title": "Later"})).await;
    let later = later["id"].as_str().unwrap();
    let (st, intro) = upload(&m, &format!("/api/v1/stages/{later}/images"), "A%20map", png(40, 40)).await;
    assert_eq!(st, StatusCode::CREATED);
    let intro_id = intro["id"].as_str().unwrap();
    assert_eq!(ann.get(&format!("/api/v1/images/{intro_id}")).await.0, StatusCode::NOT_FOUND, "stage not released");
    m.release_stage(&later, json!({})).await;
    let res =
        ann.client.get(app.url(&format!("/api/v1/images/{intro_id}"))).bearer_auth(&ann.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, home) = ann.home(&s.board).await;
    assert_eq!(home["stages"][1]["images"][0]["alt_text"], "A map");
    // A diagram in a summary: there must be a summary, and participants see it once published.
    let summary_image = format!("/api/v1/stages/{}/images", s.stage);
    let (st, body) = upload(&m, &summary_image, "Themes&for=summary", png(20, 20)).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let put = |publish: bool| {
        m.client
            .put(app.url(&format!("/api/v1/stages/{}/summary", s.stage)))
            .bearer_auth(&m.token)
            .json(&json!({"body_md": "Themes", "publish": publish}))
            .send()
    };
    put(false).await.unwrap();
    let (st, themes) = upload(&m, &summary_image, "Themes&for=summary", png(20, 20)).await;
    assert_eq!(st, StatusCode::CREATED);
    let themes_id = themes["id"].as_str().unwrap();
    assert_eq!(
        ann.get(&format!("/api/v1/images/{themes_id}")).await.0,
        StatusCode::NOT_FOUND,
        "a draft's images stay with the staff"
    );
    put(true).await.unwrap();
    let res =
        ann.client.get(app.url(&format!("/api/v1/images/{themes_id}"))).bearer_auth(&ann.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let anon = app.browser();
    assert_eq!(anon.get(&format!("/images/{id}")).await.url().path(), "/login", "strangers are sent to sign in");
}
