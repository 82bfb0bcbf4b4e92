//! The moderator's set-up checklist on the board page: each step with its state and the page
//! where it is done, folded away once everything is done; and the pages that ask before a
//! disruptive action.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(
    the_set_up_checklist_follows_the_board,
    disruptive_actions_ask_first_on_a_page_of_their_own,
    a_question_takes_its_image_when_it_is_created
);

/// (step, state) as the board page shows them.
async fn checklist(b: &Browser, board: &str) -> (Vec<(String, String)>, bool) {
    let html = b.get_ok(&format!("/boards/{board}")).await;
    let doc = scraper::Html::parse_document(&html);
    let item = scraper::Selector::parse(".setup li").unwrap();
    let (link, tag) = (scraper::Selector::parse("a").unwrap(), scraper::Selector::parse(".tag").unwrap());
    let steps = doc
        .select(&item)
        .map(|li| {
            let text =
                |s: &scraper::Selector| li.select(s).next().map(|e| e.text().collect::<String>()).unwrap_or_default();
            (text(&link), text(&tag))
        })
        .collect();
    let open = doc.select(&scraper::Selector::parse("details.setup[open]").unwrap()).next().is_some();
    (steps, open)
}

async fn the_set_up_checklist_follows_the_board(backend: Backend) {
    let app = spawn(backend).await;
    let b = app.moderator("mod@example.org").await;
    let m = app.api_of("mod@example.org").await;
    let (st, board) = m.post("/api/v1/boards", json!({"title": "Ward study", "time_zone": "Europe/London"})).await;
    assert_eq!(st, StatusCode::CREATED);
    let board = board["id"].as_str().unwrap().to_string();
    let (steps, open) = checklist(&b, &board).await;
    let states: Vec<&str> = steps.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(states, vec!["To do", "To do", "To do", "Advised", "To do", "To do"], "{steps:?}");
    assert!(open, "open while there is something to do");
    assert_eq!(steps[0].0, "Write the welcome and consent texts");

    m.edit_board(&board, json!({"welcome_md": "Welcome.", "consent_md": "I agree."})).await;
    m.post_csv(&format!("/api/v1/boards/{board}/participants/import?commit=true"), "email\nann@example.org\n").await;
    let (_, stage) = m.add_stage(&board, json!({"title": "Stage 1"})).await;
    let stage = stage["id"].as_str().unwrap().to_string();
    let (steps, _) = checklist(&b, &board).await;
    assert_eq!(steps[2].1, "To do", "a stage without questions is not ready");
    m.add_question(&stage, json!({"prompt_md": "What did you hope for?"})).await;
    b.submit(&format!("/boards/{board}/participants"), &format!("/boards/{board}/invitations"), &[]).await;
    let (steps, open) = checklist(&b, &board).await;
    let states: Vec<&str> = steps.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(states, vec!["Done", "Done", "Done", "Advised", "Done", "To do"], "{steps:?}");
    assert!(open);
    m.release_stage(&stage, json!({})).await;
    let (steps, open) = checklist(&b, &board).await;
    assert_eq!(steps[5].1, "Done");
    assert!(!open, "folded away once everything is done");
}

/// Deleting a question, issuing a new sign-in link, hiding a post and closing a board each ask first, on a
/// page whose button does it (no JavaScript needed); Cancel goes back.
async fn disruptive_actions_ask_first_on_a_page_of_their_own(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let b = app.signed_in("mod@example.org").await;
    let (_, later) = m.add_stage(&s.board, json!({"title": "Later"})).await;
    let later = later["id"].as_str().unwrap().to_string();
    let (_, q) = m.add_question(&later, json!({"prompt_md": "Describe **the ward**"})).await;
    let q = q["id"].as_str().unwrap().to_string();

    // The stage page links to the question's confirmation; its button deletes.
    let stage = b.get_ok(&format!("/stages/{later}")).await;
    assert!(stage.contains(&format!("href=\"/questions/{q}/delete\"")), "{stage}");
    let ask = b.get_ok(&format!("/questions/{q}/delete")).await;
    assert!(ask.contains("Delete this question?") && ask.contains("“Describe the ward”"), "{ask}");
    assert!(
        ask.contains(&format!("action=\"/questions/{q}/delete\""))
            && ask.contains(&format!("href=\"/stages/{later}\""))
    );
    let res = b.submit(&format!("/questions/{q}/delete"), &format!("/questions/{q}/delete"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(m.get(&format!("/api/v1/questions/{q}")).await.0, StatusCode::NOT_FOUND);

    // A new sign-in link: the old one keeps working until the button is pressed.
    let ann = &s.participants[0];
    let ask = b.get_ok(&format!("/boards/{}/participants/{}/link", s.board, ann.1)).await;
    assert!(ask.contains("stops working at once"), "{ask}");
    assert_eq!(app.browser().get(&ann.2).await.status(), StatusCode::OK, "asking changed nothing");

    // Hiding a post: the question page links to a page that shows the post and takes the
    // reason; a missing reason comes back on that page; the button hides.
    let ann_api = app.participant_api(&ann.2).await;
    let (_, post) = ann_api.write_post(&s.question, json!({"body_md": "My neighbour *Mrs Shaw* said so"})).await;
    let post = post["id"].as_str().unwrap().to_string();
    let page = b.question_page(&s.question).await;
    assert!(page.contains(&format!("href=\"/posts/{post}/hide\"")), "{page}");
    let hide = format!("/posts/{post}/hide");
    let ask = b.get_ok(&hide).await;
    assert!(ask.contains("Hide this post by sn-ann") && ask.contains("<em>Mrs Shaw</em>"), "{ask}");
    assert!(ask.contains("Reason (kept in the audit log)"), "{ask}");
    let outsider = app.browser().get(&hide).await.text().await.unwrap();
    assert!(!outsider.contains("Mrs Shaw") && !outsider.contains("Hide this post"), "signed out: {outsider}");
    let as_ann = app.sign_in_participant(&ann.2).await;
    let res = as_ann.get(&hide).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a participant may not hide");
    let res = b.submit(&hide, &hide, &[("reason", "  ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(again.contains("Hide this post by sn-ann") && again.contains("aria-invalid=\"true\""), "{again}");
    let (_, q) = ann_api.question(&s.question).await;
    assert!(q.to_string().contains("Mrs Shaw"), "not hidden before the button");
    let res = b.submit(&hide, &hide, &[("reason", "Names a neighbour")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("The post is hidden from participants."));
    let (_, q) = ann_api.question(&s.question).await;
    assert!(!q.to_string().contains("Mrs Shaw"), "hidden from participants: {q}");

    // Closing the board from its settings asks first, and carries the settings through.
    let settings = format!("/boards/{}/settings", s.board);
    let res = b
        .submit(
            &settings,
            &settings,
            &[("title", "Ward study, closed"), ("time_zone", "Europe/London"), ("state", "closed")],
        )
        .await;
    let ask = res.text().await.unwrap();
    assert!(ask.contains("Close the board") && ask.contains("name=\"confirmed\" value=\"yes\""), "{ask}");
    let (_, board) = m.get(&format!("/api/v1/boards/{}", s.board)).await;
    assert_eq!(board["state"], "open", "not closed before the button");
    let res = b
        .submit(
            &settings,
            &settings,
            &[
                ("title", "Ward study, closed"),
                ("time_zone", "Europe/London"),
                ("state", "closed"),
                ("confirmed", "yes"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, board) = m.get(&format!("/api/v1/boards/{}", s.board)).await;
    assert_eq!((board["state"].as_str(), board["title"].as_str()), (Some("closed"), Some("Ward study, closed")));
}

/// The add-question form takes an image with the question: both are created, or neither, and
/// a refused image keeps the question's text on the form.
async fn a_question_takes_its_image_when_it_is_created(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let b = app.signed_in("mod@example.org").await;
    let (stage, add) = (format!("/stages/{}", s.stage), format!("/stages/{}/questions", s.stage));
    let count = |v: &serde_json::Value| v["questions"].as_array().map(Vec::len).unwrap_or(0);
    let (_, before) = m.get(&format!("/api/v1/stages/{}", s.stage)).await;

    // An image without its description: refused beside the description, nothing created.
    let res = b
        .submit_with_file(
            &stage,
            &add,
            &[("prompt_md", "Which of these wards felt like home?")],
            Some(("ward.png", png(64, 48))),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("Which of these wards felt like home?"), "the question's text stays: {page}");
    let doc = scraper::Html::parse_document(&page);
    let alt = doc.select(&scraper::Selector::parse("#q-alt").unwrap()).next().expect("the description field");
    assert_eq!(alt.value().attr("aria-invalid"), Some("true"), "{page}");
    // Not an image at all: refused beside the file, nothing created either.
    let res = b
        .submit_with_file(
            &stage,
            &add,
            &[("prompt_md", "Which ward?"), ("alt_text", "A ward")],
            Some(("ward.png", b"not a png".to_vec())),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, after) = m.get(&format!("/api/v1/stages/{}", s.stage)).await;
    assert_eq!(count(&after), count(&before), "a refused image leaves no question behind: {after}");

    // With both, the question and its image arrive together, and participants see it.
    let res = b
        .submit_with_file(
            &stage,
            &add,
            &[
                ("prompt_md", "Which of these wards felt like home?"),
                ("mode", "open"),
                ("alt_text", "Two wards side by side"),
            ],
            Some(("ward.png", png(64, 48))),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, after) = m.get(&format!("/api/v1/stages/{}", s.stage)).await;
    assert_eq!(count(&after), count(&before) + 1, "{after}");
    let q = after["questions"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_string();
    let ann = app.sign_in_participant(s.link(0)).await;
    let page = ann.question_page(&q).await;
    assert!(page.contains("alt=\"Two wards side by side\""), "{page}");
    let src = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("figure.image img").unwrap())
        .next()
        .and_then(|i| i.value().attr("src").map(str::to_string))
        .expect("an image on the question");
    assert_eq!(ann.get(&src).await.status(), StatusCode::OK);
    // A question without an image still comes through the same form.
    let res = b.submit(&stage, &add, &[("prompt_md", "Anything else?"), ("mode", "open")]).await;
    assert_eq!(res.status(), StatusCode::OK);
}
