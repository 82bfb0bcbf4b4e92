//! The staged board end to end, through the pages: set-up, import, scheduled release,
//! participants signing in by link, post-first answering, threads, edits, and the overview.

use crate::helpers::*;
use reqwest::StatusCode;
use time::macros::datetime;

crate::on_both_databases!(
    whole_journey_through_the_pages,
    closed_stage_refuses_answers_and_keeps_the_draft,
    released_question_edit_is_visible
);

async fn whole_journey_through_the_pages(backend: Backend) {
    let app = spawn(backend).await;
    let moderator = app.moderator("mod@example.org").await;
    let (board_path, board_id) = set_up_board_and_stages(&moderator).await;
    let links = import_participants_after_a_preview(&app, &moderator, &board_path).await;
    let (ann, bob, q_path) = release_on_time_and_consent(&app, &board_id, &links).await;
    let bob_post = answer_post_first_reply_and_edit(&app, &ann, &bob, &q_path).await;
    overview_and_new_since_last_visit(&app, &moderator, (&board_path, &board_id), (&ann, &bob), &q_path, &bob_post)
        .await;
}

/// A board in London time with two stages, their release times shown in the board's zone.
async fn set_up_board_and_stages(moderator: &Browser) -> (String, String) {
    // Set up a board in London time.
    let res = moderator
        .submit(
            "/boards/new",
            "/boards",
            &[
                ("title", "CoP consultation"),
                ("welcome_md", "Welcome to *our* board"),
                ("consent_md", "Quotes may be used anonymously."),
                ("time_zone", "Europe/London"),
                ("opens_at", "2021-03-26T09:00"),
                ("closes_at", "2021-04-01T17:00"),
                ("anonymity", "screen_names"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let board_path = res.url().path().to_string();
    let board_id = board_path.trim_start_matches("/boards/").to_string();
    let html = res.text().await.unwrap();
    assert!(html.contains("Board created"), "a notice confirms the board");

    // Stage 1 on Friday at 09:00; stage 2 on Monday 29 March at 09:00 (summer time by then).
    let res = moderator
        .submit(
            &board_path,
            &format!("{board_path}/stages"),
            &[
                ("title", "Stage 1: hopes"),
                ("intro_md", "Tell us what you hoped for."),
                ("release_at", "2021-03-26T09:00"),
                ("close_at", ""),
            ],
        )
        .await;
    let stage1 = res.url().path().to_string();
    moderator
        .submit(
            &stage1,
            &format!("{stage1}/questions"),
            &[("prompt_md", "What did you hope to achieve?"), ("mode", "post_first")],
        )
        .await;
    let res = moderator
        .submit(
            &board_path,
            &format!("{board_path}/stages"),
            &[
                ("title", "Stage 2: reflections"),
                ("intro_md", ""),
                ("release_at", "2021-03-29T09:00"),
                ("close_at", ""),
            ],
        )
        .await;
    let stage2 = res.url().path().to_string();
    let html = moderator
        .submit(
            &stage2,
            &format!("{stage2}/questions"),
            &[("prompt_md", "Do you agree with the views summarised here?"), ("mode", "open")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Mon 29 Mar 2021, 09:00 BST"), "release time shown in the board's zone");
    (board_path, board_id)
}

/// A CSV import is previewed first (adding nobody), then committed; each person gets a link.
async fn import_participants_after_a_preview(app: &TestApp, moderator: &Browser, board_path: &str) -> Vec<String> {
    // Import three participants: preview first, nothing added yet.
    let csv = "email,name,Professional role,Organisation\nann@nhs.net,Ann Lee,Nurse,NHS\nbob@council.gov.uk,Bob Ray,Social worker,Council\ncat@vol.org,Cat Sim,Volunteer,Charity\n";
    let page = moderator.get_ok(&format!("{board_path}/participants")).await;
    let form = reqwest::multipart::Form::new().text("csrf_token", csrf_of(&page)).part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("people.csv").mime_str("text/csv").unwrap(),
    );
    let res = moderator
        .client
        .post(app.url(&format!("{board_path}/participants/preview")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let preview = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert!(preview.contains("3 participants will be added"));
    assert!(preview.contains("Professional role"));
    let before = moderator.get_ok(&format!("{board_path}/participants")).await;
    assert!(!before.contains("ann@nhs.net"), "a preview adds nobody");
    let res = moderator
        .client
        .post(app.url(&format!("{board_path}/participants/import")))
        .form(&[("csrf_token", csrf_of(&preview).as_str()), ("csv_text", csv)])
        .send()
        .await
        .unwrap();
    let list = res.text().await.unwrap();
    assert!(list.contains("3 participants imported"));
    let links: Vec<String> = {
        let doc = scraper::Html::parse_document(&list);
        let sel = scraper::Selector::parse("input.link-copy").unwrap();
        doc.select(&sel).map(|e| e.value().attr("value").unwrap().to_string()).collect()
    };
    assert_eq!(links.len(), 3);
    assert!(links.iter().all(|l| l.starts_with(&format!("{}/p/", app.base))));
    links
}

/// Nothing shows before the release time; the scheduler releases stage 1 once; consent with a
/// screen name comes first; Bob answers first. Returns Ann, Bob and the question's page.
async fn release_on_time_and_consent(app: &TestApp, board_id: &str, links: &[String]) -> (Browser, Browser, String) {
    let (ann_link, bob_link) = (&links[0], &links[1]);
    // Before 09:00 nothing is released; the scheduler releases stage 1 on time, not stage 2.
    assert_eq!(app.scheduler.tick().await.unwrap(), 0);
    let ann = app.sign_in_participant(ann_link).await;
    let home = ann.board_home_page(&board_id).await;
    assert!(home.contains("Before you start"), "first visit asks for consent: {home}");
    app.clock.set(datetime!(2021-03-26 09:00 UTC));
    assert_eq!(app.scheduler.tick().await.unwrap(), 1);
    assert_eq!(app.scheduler.tick().await.unwrap(), 0, "released once only");

    // Consent with a screen name, then the board home lists the unanswered question.
    let res = ann
        .submit(
            &format!("/b/{board_id}/welcome"),
            &format!("/b/{board_id}/welcome"),
            &[("consent", "on"), ("screen_name", "Annie")],
        )
        .await;
    let home = res.text().await.unwrap();
    assert!(home.contains("Stage 1: hopes"));
    assert!(!home.contains("Stage 2"), "unreleased stages stay hidden");
    assert!(home.contains("1</strong> question is waiting for your answer"), "{home}");

    // Bob answers first.
    let bob = app.sign_in_participant(bob_link).await;
    bob.submit(
        &format!("/b/{board_id}/welcome"),
        &format!("/b/{board_id}/welcome"),
        &[("consent", "on"), ("screen_name", "Bobby")],
    )
    .await;
    let q_path = {
        let doc = scraper::Html::parse_document(&home);
        let sel = scraper::Selector::parse("ol.questions a").unwrap();
        doc.select(&sel).next().unwrap().value().attr("href").unwrap().to_string()
    };
    let res = bob.submit(&q_path, &format!("{q_path}/posts"), &[("body_md", "A *simpler* system to navigate")]).await;
    assert!(res.text().await.unwrap().contains("<em>simpler</em>"));
    (ann, bob, q_path)
}

/// Post first hides others' answers until one's own; replies nest; an edit keeps its history.
/// Returns Bob's post.
async fn answer_post_first_reply_and_edit(app: &TestApp, ann: &Browser, bob: &Browser, q_path: &str) -> String {
    // Post first: Ann does not see Bob's answer until she has posted hers.
    app.clock.advance(time::Duration::minutes(5));
    let page = ann.get_ok(q_path).await;
    assert!(!page.contains("simpler"), "others' answers are hidden before posting");
    assert!(page.contains("1 answer from others will appear here once you have posted your own"));
    let page = ann
        .submit(q_path, &format!("{q_path}/posts"), &[("body_md", "Networking with others")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Networking with others"));
    assert!(page.contains("<em>simpler</em>"), "after posting, others' answers appear");
    assert_eq!(texts(&page, "article.post > header strong"), vec!["Bobby", "Annie"], "screen names, not real names");
    assert!(!page.contains("Bob Ray"));

    // Ann replies in Bob's thread; Bob sees it nested under his answer.
    let bob_post = {
        let doc = scraper::Html::parse_document(&page);
        let sel = scraper::Selector::parse("article.post").unwrap();
        doc.select(&sel).next().unwrap().value().attr("id").unwrap().trim_start_matches("post-").to_string()
    };
    ann.submit(q_path, &format!("{q_path}/posts"), &[("body_md", "Agreed, Bobby!"), ("parent_id", &bob_post)]).await;
    let bob_view = bob.get_ok(q_path).await;
    assert_eq!(texts(&bob_view, &format!("#post-{bob_post} .replies .prose")), vec!["Agreed, Bobby!"]);

    // Ann edits her answer; the history keeps the first wording.
    let ann_page = ann.get_ok(q_path).await;
    let edit_link = {
        let doc = scraper::Html::parse_document(&ann_page);
        let sel = scraper::Selector::parse("section.thread > article.yours > footer a[href$='/edit']").unwrap();
        doc.select(&sel).next().unwrap().value().attr("href").unwrap().to_string()
    };
    let page = ann
        .submit(&edit_link, &edit_link, &[("body_md", "Networking, and learning from others")])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("learning from others"));
    let history = ann.get_ok(&edit_link.replace("/edit", "/history")).await;
    assert!(history.contains("Networking with others") && history.contains("learning from others"), "{history}");
    bob_post
}

/// The moderator's overview and the participants' "new since your last visit".
async fn overview_and_new_since_last_visit(
    app: &TestApp,
    moderator: &Browser,
    (board_path, board_id): (&str, &str),
    (ann, bob): (&Browser, &Browser),
    q_path: &str,
    bob_post: &str,
) {
    app.clock.advance(time::Duration::minutes(5));
    // The moderator's overview: 3 invited, 2 signed in, 2 posted; 2 of 3 answered.
    let overview = moderator.get_ok(board_path).await;
    assert_eq!(texts(&overview, ".figures dd"), vec!["3", "2", "2"]);
    assert!(overview.contains("2 of 3"));
    let participants = moderator.get_ok(&format!("{board_path}/participants")).await;
    assert!(participants.contains("Never signed in") && participants.contains("Volunteer"));
    let mod_q = moderator.get_ok(q_path).await;
    assert!(mod_q.contains("Annie (Ann Lee)"), "staff see who wrote what");
    assert!(mod_q.contains("2 of 3</strong> participants answered"));

    // New since last visit: Bob has read the thread; a later reply by Ann shows as new.
    assert!(!bob.board_home_page(&board_id).await.contains(" new</span>"));
    ann.submit(q_path, &format!("{q_path}/posts"), &[("body_md", "One more thought"), ("parent_id", bob_post)]).await;
    let bob_home = bob.board_home_page(&board_id).await;
    assert!(bob_home.contains("1 new"), "{bob_home}");
    bob.get_ok(q_path).await;
    let bob_home = bob.board_home_page(&board_id).await;
    assert!(!bob_home.contains(" new</span>"), "read posts are no longer new");
}

async fn closed_stage_refuses_answers_and_keeps_the_draft(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let moderator = app.signed_in("mod@example.org").await;
    let stage = format!("/stages/{}", s.stage);
    moderator
        .submit(
            &stage,
            &stage,
            &[("title", "Stage 1"), ("intro_md", ""), ("release_at", ""), ("close_at", "2021-03-26T10:00")],
        )
        .await;
    let ann = app.sign_in_participant(s.link(0)).await;
    let q = format!("/q/{}", s.question);
    let page = ann.get_ok(&q).await;
    assert!(page.contains("id=\"answer\""), "open before the close time");
    app.clock.set(datetime!(2021-03-26 10:00 UTC));
    let res = ann
        .client
        .post(app.url(&format!("{q}/posts")))
        .form(&[("csrf_token", csrf_of(&page).as_str()), ("body_md", "My long considered answer")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = res.text().await.unwrap();
    assert!(page.contains("This stage is closed"), "{page}");
    assert!(page.contains("My long considered answer"), "the text typed is not lost");
    let page = ann.get_ok(&q).await;
    assert!(!page.contains("id=\"answer\""), "no answer form on a closed stage");
}

async fn released_question_edit_is_visible(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let moderator = app.signed_in("mod@example.org").await;
    let edit = format!("/questions/{}/edit", s.question);
    app.clock.set(datetime!(2021-03-27 12:00 UTC));
    moderator
        .submit(&edit, &edit, &[("prompt_md", "What did you hope to achieve, in a sentence?"), ("mode", "open")])
        .await;
    let ann = app.sign_in_participant(s.link(0)).await;
    let page = ann.question_page(&s.question).await;
    assert!(page.contains("in a sentence?"));
    assert!(page.contains("Wording updated Sat 27 Mar 2021, 12:00 GMT"), "{page}");
}
