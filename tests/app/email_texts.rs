//! A board's own wording of its invitation, stage-open and reminder emails: kept and used for
//! the next messages as received over SMTP, refused with the typed text kept when a placeholder
//! is unknown or the link is missing, previewed without being kept, sent to the moderator as a
//! test, put back to the standard wording, and only for the board's moderators.

use crate::helpers::*;
use focusboard::service::{self, Actor};
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(
    a_board_words_its_own_emails,
    only_the_boards_moderators_word_its_emails,
    the_api_words_emails_as_the_page_does
);

fn field<'a>(doc: &'a scraper::Html, selector: &str) -> scraper::ElementRef<'a> {
    doc.select(&scraper::Selector::parse(selector).unwrap()).next().unwrap_or_else(|| panic!("{selector}"))
}

async fn a_board_words_its_own_emails(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    let m = app.api_of("mod@example.org").await;
    m.post_csv(
        &format!("/api/v1/boards/{}/participants/import?commit=true", s.board),
        "email,name\nann@example.org,Ann *Lee*\n",
    )
    .await;
    let b = app.signed_in("mod@example.org").await;
    let page_url = format!("/boards/{}/email-texts", s.board);
    let save = format!("/boards/{}/email-texts/invitation", s.board);

    // Every editable email shows its standard wording and the placeholders it knows.
    let page = b.get_ok(&page_url).await;
    for id in ["invitation", "stage_open", "reminder_closing", "reminder_sign_in"] {
        assert!(page.contains(&format!("id=\"email-{id}\"")), "{id}");
    }
    let doc = scraper::Html::parse_document(&page);
    assert_eq!(field(&doc, "#subject-invitation").value().attr("value"), Some("You are invited: {board}"));
    assert!(page.contains("<code>{link}</code>") && page.contains("<code>{questions}</code>"), "{page}");

    // An unknown placeholder: refused beside the message, with what was typed kept.
    let typed_subject = "Join the {board} study";
    let res = b.submit(&page_url, &save, &[("subject", typed_subject), ("body_md", "Dear {nmae}, {link}")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    assert_eq!(field(&doc, "#subject-invitation").value().attr("value"), Some(typed_subject));
    let body = field(&doc, "#body-invitation");
    assert_eq!(body.text().collect::<String>(), "Dear {nmae}, {link}");
    assert_eq!(body.value().attr("aria-invalid"), Some("true"));
    assert!(html.contains("{nmae} is not a placeholder of this email"), "{html}");
    // Without the link an invitation is no way in.
    let res = b.submit(&page_url, &save, &[("subject", typed_subject), ("body_md", "Dear {name}")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("must contain {link}"));

    // A preview fills the placeholders for a sample participant and keeps nothing.
    let wording = "**Dear {name}**, the *{board}* study starts soon.\n\nYour link: {link}\n\nQuestions? {contact}";
    let res =
        b.submit(&page_url, &format!("{save}/preview"), &[("subject", typed_subject), ("body_md", wording)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let doc = scraper::Html::parse_document(&html);
    let preview = field(&doc, "#preview-invitation").html();
    assert!(preview.contains("<strong>Dear Alex Example</strong>"), "{preview}");
    assert!(preview.contains("Join the Board of mod@example.org study"), "{preview}");
    assert!(preview.contains("mod@example.org") && preview.contains(&format!("href=\"{}/p/", app.base)), "{preview}");
    assert_eq!(field(&doc, "#body-invitation").text().collect::<String>(), wording, "the typed text stays");
    let doc = scraper::Html::parse_document(&b.get_ok(&page_url).await);
    assert_eq!(field(&doc, "#subject-invitation").value().attr("value"), Some("You are invited: {board}"), "not kept");

    // A test goes to the moderator, marked as a test, with the sample's words.
    let res = b.submit(&page_url, &format!("{save}/test"), &[("subject", typed_subject), ("body_md", wording)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("A test of this wording is on its way to mod@example.org"), "{html}");
    app.outbox.drain().await.unwrap();
    let test = &sink.to("mod@example.org")[0];
    assert_eq!(test.subject(), "[Test] Join the Board of mod@example.org study");
    assert!(test.text().contains("Dear Alex Example"), "{}", test.text());
    assert!(sink.to("ann@example.org").is_empty(), "no participant hears of a test");

    // Saved, it words the invitations: the participant's name stays words, the link signs in.
    let res = b.submit(&page_url, &save, &[("subject", typed_subject), ("body_md", wording)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Your wording"));
    b.submit(&format!("/boards/{}/participants", s.board), &format!("/boards/{}/invitations", s.board), &[]).await;
    app.outbox.drain().await.unwrap();
    let mail = &sink.to("ann@example.org")[0];
    assert_eq!(mail.subject(), "Join the Board of mod@example.org study");
    assert!(mail.html().contains("<strong>Dear Ann *Lee*</strong>"), "{}", mail.html());
    assert!(
        mail.text().starts_with("Dear Ann *Lee*, the Board of mod@example.org study starts soon."),
        "{}",
        mail.text()
    );
    assert!(!mail.text().contains("**"), "no markup in the text part: {}", mail.text());
    let link = mail.link(&format!("{}/p/", app.base));
    assert_eq!(app.browser().get(&link).await.status(), StatusCode::OK, "the link in the worded email signs in");
    assert!(mail.header("List-Unsubscribe").is_some(), "still unsubscribable");

    // The audit log has the change; going back to the standard wording is one button.
    let (_, log) = m.get(&format!("/api/v1/boards/{}/audit", s.board)).await;
    assert!(log.to_string().contains("email.wording"), "{log}");
    let res = b.submit(&page_url, &format!("{save}/reset"), &[]).await;
    assert!(res.text().await.unwrap().contains("back to the standard wording"));
    let doc = scraper::Html::parse_document(&b.get_ok(&page_url).await);
    assert_eq!(field(&doc, "#subject-invitation").value().attr("value"), Some("You are invited: {board}"));

    // A stage-open wording lists the participant's questions as links.
    let stage_open = format!("/boards/{}/email-texts/stage_open", s.board);
    let res = b
        .submit(&page_url, &stage_open, &[("subject", "{stage} is open"), ("body_md", "Hi {name}:\n\n{questions}")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, later) = m.add_stage(&s.board, json!({"title": "Stage 2"})).await;
    let later = later["id"].as_str().unwrap().to_string();
    let (_, q) = m.add_question(&later, json!({"prompt_md": "What *changed*?"})).await;
    m.release_stage(&later, json!({})).await;
    app.outbox.drain().await.unwrap();
    let notice = sink.to("ann@example.org").into_iter().find(|r| r.subject() == "Stage 2 is open").expect("notice");
    let url = format!("{}/q/{}", app.base, q["id"].as_str().unwrap());
    let html = notice.html();
    assert!(html.contains(&format!("<a href=\"{url}\"")) && html.contains(">What changed?</a>"), "{html}");
}

async fn only_the_boards_moderators_word_its_emails(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    app.board_with_question("other@example.org", "open", &[]).await;
    let board = s.board.clone();
    app.with_db(move |conn, ctx| {
        let m = Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
        let member = service::boards::MemberInput { email: "obs@example.org".into(), role: "observer".into() };
        service::boards::set_member(conn, ctx, &m, &board, &member)
    })
    .await;
    app.create_user("obs@example.org", false).await;
    let page = format!("/boards/{}/email-texts", s.board);
    let save = format!("{page}/invitation");
    let fields = [("subject", "Taken over {board}"), ("body_md", "{link}")];
    let observer = app.signed_in("obs@example.org").await;
    let other = app.signed_in("other@example.org").await;
    let ann = app.sign_in_participant(s.link(0)).await;
    for (who, browser, expected) in [
        ("an observer", &observer, StatusCode::FORBIDDEN),
        ("another board's moderator", &other, StatusCode::NOT_FOUND),
        ("one of its participants", &ann, StatusCode::FORBIDDEN),
    ] {
        assert_eq!(browser.get(&page).await.status(), expected, "{who} reads the wording page");
        for action in [save.clone(), format!("{save}/preview"), format!("{save}/test"), format!("{save}/reset")] {
            // Each with a token of their own session, from a page they may see.
            let res = browser.submit("/", &action, &fields).await;
            assert_eq!(res.status(), expected, "{who} posts {action}");
        }
    }
    let res = app.browser().get(&page).await;
    assert!(!res.text().await.unwrap().contains("Wording of emails"), "signed out");
    let mod_page = app.signed_in("mod@example.org").await.get_ok(&page).await;
    assert!(!mod_page.contains("Taken over"), "nothing was saved");
    assert!(app
        .signed_in("mod@example.org")
        .await
        .get(&format!("/boards/{}/email-texts/nonsense/reset", s.board))
        .await
        .status()
        .is_client_error());
}

async fn the_api_words_emails_as_the_page_does(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    app.board_with_question("other@example.org", "open", &[]).await;
    let m = app.api_of("mod@example.org").await;
    let texts = format!("/api/v1/boards/{}/email-texts", s.board);
    let (st, list) = m.get(&texts).await;
    assert_eq!(st, StatusCode::OK);
    let which: Vec<&str> = list.as_array().unwrap().iter().map(|t| t["which"].as_str().unwrap()).collect();
    assert_eq!(which, ["invitation", "stage_open", "reminder_closing", "reminder_sign_in"]);
    assert_eq!(list[0]["own"], false);

    let reminder = format!("{texts}/reminder_closing");
    let (st, problem) =
        m.put(&reminder, json!({"subject": "Closing {stage_closes}", "body_md": "{questions} {link}"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "body_md", "{problem}");
    let wording = json!({"subject": "{stage} closes {stage_closes}", "body_md": "{unanswered} to go, {name}: {link}"});
    let (st, preview) = m.post(&format!("{reminder}/preview"), wording.clone()).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(preview["subject"], "Stage 1 closes the board closes");
    assert!(preview["text"].as_str().unwrap().starts_with("1 to go, Alex Example: http"), "{preview}");
    let (st, test) = m.post(&format!("{reminder}/test"), wording.clone()).await;
    assert_eq!((st, test["sent_to"].as_str()), (StatusCode::OK, Some("mod@example.org")), "{test}");
    let (_, sent) = m.get(&format!("/api/v1/boards/{}/emails", s.board)).await;
    assert_eq!(sent[0]["subject"], "[Test] Stage 1 closes the board closes", "{sent}");
    let (st, list) = m.put(&reminder, wording).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (list[2]["own"].as_bool(), list[2]["subject"].as_str()),
        (Some(true), Some("{stage} closes {stage_closes}"))
    );
    assert_eq!(m.delete(&reminder).await, StatusCode::NO_CONTENT);
    assert_eq!(m.get(&texts).await.1[2]["own"], false);
    assert_eq!(m.get(&format!("{texts}/nonsense/preview")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(m.delete(&format!("{texts}/nonsense")).await, StatusCode::BAD_REQUEST, "an email it does not know");

    let other = app.api_of("other@example.org").await;
    assert_eq!(other.get(&texts).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        other.put(&format!("{texts}/invitation"), json!({"subject": "x", "body_md": "{link}"})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(other.delete(&format!("{texts}/invitation")).await, StatusCode::NOT_FOUND);
}
