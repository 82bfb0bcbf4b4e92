//! A refused form comes back as the page it was on, with what was typed still in it, the
//! message beside its field (`aria-invalid`, `aria-describedby`) and a summary at the top of
//! the form; nothing is saved.

use crate::helpers::*;
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::json;

crate::on_both_databases!(
    refused_set_up_forms_keep_what_was_typed,
    refused_uploads_and_codings_keep_what_was_typed,
    refused_answers_and_passwords_keep_what_was_typed
);

/// The refused form as a person sees it again.
struct Refused {
    html: Html,
    form: String,
}

impl Refused {
    /// Reads the page of a refused form sent to `action`: it must have the status `status`,
    /// and that form must be in it, with a summary of what is wrong.
    async fn read(res: reqwest::Response, status: StatusCode, action: &str) -> Refused {
        let got = res.status();
        let body = res.text().await.unwrap();
        assert_eq!(got, status, "{body}");
        assert!(body.contains("<title>Error: "), "the title says there is an error: {body}");
        let html = Html::parse_document(&body);
        let form = format!(r#"form[action="{action}"]"#);
        let refused = Refused { html, form };
        assert!(!refused.all(&format!("{} .error-summary", refused.form)).is_empty(), "a summary in the form: {body}");
        refused
    }

    fn all(&self, selector: &str) -> Vec<scraper::ElementRef<'_>> {
        self.html.select(&Selector::parse(selector).unwrap()).collect()
    }

    fn one(&self, selector: &str) -> scraper::ElementRef<'_> {
        let found = self.all(selector);
        assert_eq!(found.len(), 1, "one {selector} in {}", self.html.html());
        found[0]
    }

    /// The value of the form's field (an input's value, a textarea's text).
    fn value(&self, name: &str) -> String {
        let el = self.all(&format!(r#"{} [name="{name}"]"#, self.form))[0];
        match el.value().name() {
            "textarea" => el.text().collect(),
            _ => el.value().attr("value").unwrap_or_default().to_string(),
        }
    }

    fn checked(&self, name: &str, value: &str) -> bool {
        self.one(&format!(r#"{} [name="{name}"][value="{value}"]"#, self.form)).value().attr("checked").is_some()
    }

    fn selected(&self, name: &str) -> String {
        let el = self.one(&format!(r#"{} select[name="{name}"] option[selected]"#, self.form));
        el.value().attr("value").unwrap_or_default().to_string()
    }

    /// The message beside the field in error, which must be the one marked invalid, and
    /// the one the summary links to.
    fn message_of(&self, name: &str) -> String {
        let field = self.one(&format!(r#"{} [aria-invalid="true"]"#, self.form));
        let got = field.value().attr("name").unwrap_or_default();
        assert!(got == name || got.to_string() + "s" == name, "{name} is the field marked, not {got}");
        let id = field.value().attr("id").expect("the field has an id");
        let described = field.value().attr("aria-describedby").expect("aria-describedby");
        let first = described.split_whitespace().next().unwrap();
        let message: String = self.one(&format!("#{first}")).text().collect();
        assert!(!message.trim().is_empty());
        let link = self.one(&format!("{} .error-summary a", self.form));
        assert_eq!(link.value().attr("href"), Some(format!("#{id}").as_str()));
        assert_eq!(link.text().collect::<String>(), message, "the summary says the same");
        message
    }
}

async fn refused_set_up_forms_keep_what_was_typed(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let b = app.signed_in("mod@example.org").await;

    // A new board in a time zone that does not exist.
    let res = b
        .submit(
            "/boards/new",
            "/boards",
            &[
                ("title", "Ward study"),
                ("welcome_md", "Welcome, **all**."),
                ("consent_md", "I agree & I understand."),
                ("time_zone", "Mars/Olympus"),
                ("opens_at", "2027-01-04T09:00"),
                ("closes_at", ""),
                ("anonymity", "real_names"),
                ("remind_before_close_hours", "12"),
                ("remind_not_signed_in_hours", ""),
                ("closing_message_md", "Thank you."),
            ],
        )
        .await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, "/boards").await;
    assert!(page.message_of("time_zone").contains("Mars/Olympus"));
    assert_eq!(page.value("time_zone"), "Mars/Olympus");
    assert_eq!(page.value("title"), "Ward study");
    assert_eq!(page.value("welcome_md"), "Welcome, **all**.");
    assert_eq!(page.value("consent_md"), "I agree & I understand.");
    assert_eq!(page.value("opens_at"), "2027-01-04T09:00");
    assert_eq!(page.value("remind_before_close_hours"), "12");
    assert_eq!(page.value("remind_not_signed_in_hours"), "");
    assert!(page.checked("anonymity", "real_names") && !page.checked("anonymity", "screen_names"));
    // The zone is picked from the list of zones (searchable as it is typed).
    assert_eq!(page.one("#time_zone").value().attr("list"), Some("zones"));
    assert_eq!(page.all(r#"datalist#zones option[value="America/New_York"]"#).len(), 1);
    let (_, boards) = m.get("/api/v1/boards").await;
    assert!(!boards.to_string().contains("Ward study"), "nothing was created: {boards}");

    // A release time that is not a time, on a stage not yet released.
    let (_, later) = m.add_stage(&s.board, json!({"title": "Later"})).await;
    let later = later["id"].as_str().unwrap().to_string();
    let stage_url = format!("/stages/{later}");
    let res = b
        .submit(
            &stage_url,
            &stage_url,
            &[("title", "Later, renamed"), ("release_at", "next monday 9am"), ("close_at", "")],
        )
        .await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &stage_url).await;
    let message = page.message_of("release_at");
    assert!(message.contains("“next monday 9am”"), "what was typed, as typed: {message}");
    assert!(message.contains("Europe/London"), "in the board's zone: {message}");
    assert_eq!(page.value("release_at"), "next monday 9am");
    assert_eq!(page.value("title"), "Later, renamed");
    let (_, stage) = m.get(&format!("/api/v1/stages/{later}")).await;
    assert_eq!(stage["title"], "Later", "nothing was saved: {stage}");

    // A staff member by an address that is not one, and a role that does not exist.
    let members = format!("/boards/{}/members", s.board);
    let res =
        b.submit(&format!("/boards/{}", s.board), &members, &[("email", "ana at example"), ("role", "analyst")]).await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &members).await;
    page.message_of("email");
    assert_eq!(page.value("email"), "ana at example");
    assert_eq!(page.selected("role"), "analyst");

    // A question with no text: the kind and options chosen stay.
    let add = format!("/stages/{later}/questions");
    let res = b
        .submit(
            &stage_url,
            &add,
            &[("prompt_md", " "), ("kind", "single_choice"), ("options", "Yes\nNo"), ("mode", "open")],
        )
        .await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &add).await;
    page.message_of("prompt_md");
    assert_eq!(page.selected("kind"), "single_choice");
    assert_eq!(page.value("options"), "Yes\nNo");
}

async fn refused_uploads_and_codings_keep_what_was_typed(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let b = app.signed_in("mod@example.org").await;

    // A spreadsheet where a CSV file was asked for.
    let people = format!("/boards/{}/participants", s.board);
    let html = b.get_ok(&people).await;
    let form = reqwest::multipart::Form::new().text("csrf_token", csrf_of(&html)).part(
        "file",
        reqwest::multipart::Part::bytes(b"PK\x03\x04\x14\x00\x00\x00binary".to_vec()).file_name("people.xlsx"),
    );
    let preview = format!("{people}/preview");
    let res = b.client.post(app.url(&preview)).multipart(form).send().await.unwrap();
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &preview).await;
    assert!(page.message_of("file").contains("CSV UTF-8"));

    // An image larger than the limit: the description typed stays, the size is in MB.
    let question = b.question_page(&s.question).await;
    let images = format!("/q/{}/images", s.question);
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_of(&question))
        .text("alt_text", "A diagram of the ward")
        .part("file", reqwest::multipart::Part::bytes(vec![7u8; 21 << 20]).file_name("ward.png"));
    let res = b.client.post(app.url(&images)).multipart(form).send().await.unwrap();
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &images).await;
    let message = page.message_of("file");
    assert!(message.contains(" MB") && !message.contains("bytes"), "{message}");
    assert_eq!(page.value("alt_text"), "A diagram of the ward");

    // Coding: an excerpt that is not in the reply, then no code at all.
    let ann = app.participant_api(s.link(0)).await;
    let (_, post) = ann.write_post(&s.question, json!({"body_md": "The night shifts were the hardest part."})).await;
    let post = post["id"].as_str().unwrap().to_string();
    let ana = crate::analysis::analyst(&app, &m, &s.board, "ana@example.org").await;
    let (_, code) = ana.post(&format!("/api/v1/boards/{}/codes", s.board), json!({"name": "Workload"})).await;
    let code = code["id"].as_str().unwrap().to_string();
    let coder = app.signed_in("ana@example.org").await;
    let coding_url = format!("/q/{}/coding", s.question);
    let action = format!("/posts/{post}/codings");
    let back = format!("{coding_url}#post-{post}");
    let fields = [
        ("back", back.as_str()),
        ("start", ""),
        ("end", ""),
        ("excerpt", "the day shifts"),
        ("code_id", code.as_str()),
        ("memo", "Compare with the managers"),
    ];
    let res = coder.submit(&coding_url, &action, &fields).await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &action).await;
    assert!(page.message_of("excerpt").contains("not in the reply"));
    assert_eq!(page.value("excerpt"), "the day shifts");
    assert_eq!(page.value("memo"), "Compare with the managers");
    assert!(page.checked("code_id", &code));
    let res = coder.submit(&coding_url, &action, &[("back", &back), ("excerpt", "night shifts")]).await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &action).await;
    assert!(page.message_of("code_ids").contains("Choose at least one code"));
    assert_eq!(page.value("excerpt"), "night shifts");
    let (_, view) = ana.get(&format!("/api/v1/questions/{}/coding", s.question)).await;
    assert!(!view.to_string().contains("Compare with the managers"), "nothing was saved: {view}");
}

async fn refused_answers_and_passwords_keep_what_was_typed(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;

    // An answer too long to post: the text is in the answer box, not lost.
    let ann = app.sign_in_participant(s.link(0)).await;
    let long = "A long answer. ".repeat(3000);
    let action = format!("/q/{}/posts", s.question);
    let res = ann.submit(&format!("/q/{}", s.question), &action, &[("body_md", &long)]).await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &action).await;
    assert!(page.message_of("body_md").contains("characters"));
    assert_eq!(page.value("body_md"), long);

    // Editing the answer into something too long: the edit form keeps the text.
    let (_, mine) = app.participant_api(s.link(0)).await.write_post(&s.question, json!({"body_md": "Short."})).await;
    let edit = format!("/posts/{}/edit", mine["id"].as_str().unwrap());
    let res = ann.submit(&edit, &edit, &[("body_md", &long)]).await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &edit).await;
    page.message_of("body_md");
    assert_eq!(page.value("body_md"), long);

    // A newcomer who forgets the consent box keeps the screen name they chose.
    let m = app.api_of("mod@example.org").await;
    m.post_csv(&format!("/api/v1/boards/{}/participants/import?commit=true", s.board), "email\nbo@example.org\n").await;
    let (_, people) = m.participants(&s.board).await;
    let bo = people.as_array().unwrap().iter().find(|p| p["email"] == "bo@example.org").unwrap().clone();
    let bo = app.sign_in_participant(bo["sign_in_link"].as_str().unwrap()).await;
    let welcome = format!("/b/{}/welcome", s.board);
    let res = bo.submit(&welcome, &welcome, &[("screen_name", "Bo from ward 9")]).await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &welcome).await;
    assert!(page.message_of("consent").contains("tick the box"));
    assert_eq!(page.value("screen_name"), "Bo from ward 9");

    // A question edited to nothing: the edit form keeps the other choices.
    let b = app.signed_in("mod@example.org").await;
    let edit = format!("/questions/{}/edit", s.question);
    let res = b.submit(&edit, &edit, &[("prompt_md", "  "), ("mode", "private"), ("groups", "Nurses")]).await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, &edit).await;
    page.message_of("prompt_md");
    assert_eq!((page.selected("mode"), page.value("groups")), ("private".to_string(), "Nurses".to_string()));

    // A wrong current password: never sent back; the message sits by that field.
    let res = b
        .submit(
            "/account",
            "/account/password",
            &[("current_password", "not it"), ("password", "a new passphrase here")],
        )
        .await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, "/account/password").await;
    assert!(page.message_of("current_password").contains("not right"));
    assert_eq!(page.value("current_password"), "");
    assert_eq!(page.value("password"), "");

    // A token with a lifetime that is not a number of days.
    let res = b.submit("/account", "/account/tokens", &[("name", "Nightly export"), ("days", "ninety")]).await;
    let page = Refused::read(res, StatusCode::UNPROCESSABLE_ENTITY, "/account/tokens").await;
    page.message_of("days");
    assert_eq!(page.value("name"), "Nightly export");
    assert_eq!(page.value("days"), "ninety");
}
