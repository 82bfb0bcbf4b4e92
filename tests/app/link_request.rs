//! "Email me my link" from the page a signed-out participant meets: the link arrives over SMTP
//! and signs in; the answer is the same whether the address is known or not; one email per
//! participant in ten minutes; an expired link is not sent, the moderator is named instead;
//! a malformed address comes back on the form; too many requests from one address are refused.

use crate::helpers::*;
use reqwest::StatusCode;

crate::on_both_databases!(a_participant_has_their_link_sent_again);

/// The text of the page's `main`, with the address typed taken out.
fn answer_without(html: &str, email: &str) -> String {
    texts(html, "main").join(" ").replace(email, "ADDRESS")
}

async fn a_participant_has_their_link_sent_again(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let visitor = app.browser();
    let question = format!("/q/{}", s.question);

    // The question's address, signed out, offers the form.
    let res = visitor.get(&question).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let page = res.text().await.unwrap();
    assert!(page.contains("action=\"/sign-in-link\"") && page.contains("Email me my link"), "{page}");

    // A malformed address comes back on the form, as typed.
    let res = visitor.submit("/sign-in-link", "/sign-in-link", &[("email", "ann at example")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"ann at example\"") && html.contains("aria-invalid=\"true\""), "{html}");

    // Known and unknown addresses get the same answer.
    let res = visitor.submit("/sign-in-link", "/sign-in-link", &[("email", "nobody@example.org")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let unknown = answer_without(&res.text().await.unwrap(), "nobody@example.org");
    let res = visitor.submit("/sign-in-link", "/sign-in-link", &[("email", " Ann@Example.org ")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let known = answer_without(&res.text().await.unwrap(), "Ann@Example.org");
    assert_eq!(known, unknown, "the page says nothing of whether the address is known");
    assert!(known.contains("Check your email"), "{known}");

    // Ann receives her link, and it signs her in; nobody else receives anything.
    app.outbox.drain().await.unwrap();
    assert_eq!(sink.messages().len(), 1, "one message, to ann");
    let mail = &sink.to("ann@example.org")[0];
    assert_eq!(mail.subject(), "Your sign-in link: Board of mod@example.org");
    assert!(mail.text().contains("If you did not ask for it, you can ignore this email"), "{}", mail.text());
    let link = mail.link(&format!("{}/p/", app.base));
    assert_eq!(link, s.link(0), "the same link as the invitation's: asking changes nothing");
    let ann = app.sign_in_participant(&link).await;
    ann.get_ok(&question).await;

    // Asked again at once: no second email within ten minutes; later, yes.
    visitor.submit("/sign-in-link", "/sign-in-link", &[("email", "ann@example.org")]).await;
    app.outbox.drain().await.unwrap();
    assert_eq!(sink.to("ann@example.org").len(), 1, "one email in ten minutes");
    app.clock.advance(time::Duration::minutes(11));
    visitor.submit("/sign-in-link", "/sign-in-link", &[("email", "ann@example.org")]).await;
    app.outbox.drain().await.unwrap();
    assert_eq!(sink.to("ann@example.org").len(), 2);

    // Once the link has expired, the email names whom to ask instead of carrying it.
    app.clock.advance(time::Duration::days(400));
    visitor.submit("/sign-in-link", "/sign-in-link", &[("email", "ann@example.org")]).await;
    app.outbox.drain().await.unwrap();
    let all = sink.to("ann@example.org");
    assert_eq!(all.len(), 3, "a third email once the link has expired");
    let expired = all.into_iter().find(|m| !m.text().contains("valid until")).expect("the email without a link");
    assert!(
        expired.text().contains("Your link has expired. Please write to Mod at mod@example.org"),
        "{}",
        expired.text()
    );
    assert!(!expired.text().contains("/p/"), "no dead link: {}", expired.text());

    // One client address may not make the server mail a list of addresses.
    let mut refused = false;
    for i in 0..20 {
        let res = visitor.submit("/sign-in-link", "/sign-in-link", &[("email", &format!("p{i}@example.org"))]).await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = true;
            break;
        }
    }
    assert!(refused, "requests from one address are limited");
}
