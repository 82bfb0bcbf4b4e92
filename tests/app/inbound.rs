//! Answers by email, end to end: the board's emails reach the real SMTP sink with a Reply-To
//! key; replies shaped as Gmail, Outlook and Apple Mail write them are delivered into a real
//! IMAP mailbox (Dovecot on loopback, over TLS); the inbox worker reads them and the question
//! page shows exactly the new text as the right participant's answer. What cannot be matched
//! safely is never posted and waits on the moderator's email page.

use crate::helpers::*;
use focusboard::service::{self, Actor};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::on_both_databases!(
    replies_shaped_by_the_big_mail_programs_become_exactly_their_new_text,
    forged_expired_automatic_and_bounced_mail_is_never_posted,
    two_instances_reading_one_mailbox_post_each_reply_once,
    the_drop_folder_reads_eml_files_when_no_mailbox_is_set,
    only_the_boards_moderators_see_and_settle_mail_and_run_its_schedule,
);

/// The Reply-To address of the latest message of `kind` (by subject words) to `address`.
fn reply_to(sink: &SmtpSink, address: &str, subject_has: &str) -> String {
    let m = sink
        .to(address)
        .into_iter()
        .rev()
        .find(|m| m.subject().contains(subject_has))
        .unwrap_or_else(|| panic!("no message {subject_has:?} to {address}"));
    let header = m.header("Reply-To").unwrap_or_else(|| panic!("no Reply-To on {:?}", m.subject()));
    let start = header.find('<').map_or(0, |i| i + 1);
    let end = header.rfind('>').unwrap_or(header.len());
    header[start..end].to_string()
}

fn gmail(from: &str, to: &str, id: &str, new_text: &str) -> Vec<u8> {
    format!(
        "From: Someone <{from}>\r\nTo: Greenway <{to}>\r\nSubject: Re: Stage 1 is open\r\nMessage-ID: <{id}@mail.gmail.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"000g\"\r\n\r\n\
         --000g\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n{new_text}\r\n\r\n\
         On Mon, 7 Dec 2026 at 10:00, Board of mod@example.org <\r\n{to}> wrote:\r\n\r\n> Stage 1 is open\r\n> What did you hope for?\r\n\r\n\
         --000g\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n<div dir=\"ltr\">{new_text}</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Mon, 7 Dec 2026 wrote:<br></div><blockquote class=\"gmail_quote\">Stage 1 is open</blockquote></div>\r\n\
         --000g--\r\n"
    )
    .into_bytes()
}

fn outlook_html_only(from: &str, to: &str, id: &str, new_text: &str) -> Vec<u8> {
    format!(
        "From: Someone <{from}>\r\nTo: \"Greenway\" <{to}>\r\nSubject: RE: Stage 1 is open\r\nMessage-ID: <{id}@outlook.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
         <html><body><div style=3D\"font-family: Calibri\">{new_text}</div><div id=3D\"appendonsend\"></div><hr style=3D\"display:inline-block\">\
         <div id=3D\"divRplyFwdMsg\" dir=3D\"ltr\"><font face=3D\"Calibri\"><b>From:</b> Greenway &lt;{to}&gt;<br><b>Sent:</b> Monday, December 7, 2026 10:00<br><b>Subject:</b> Stage 1 is open</font></div>\
         <div>Stage 1 is open. What did you hope for?</div></body></html>\r\n"
    )
    .into_bytes()
}

fn apple_mail_with_image(from: &str, to: &str, id: &str, new_text: &str, png: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(png);
    format!(
        "From: Someone <{from}>\r\nTo: Greenway <{to}>\r\nSubject: Re: Stage 1 is open\r\nMessage-Id: <{id}@icloud.com>\r\n\
         Mime-Version: 1.0 (1.0)\r\nContent-Type: multipart/mixed; boundary=\"Apple-Mail-1\"\r\n\r\n\
         --Apple-Mail-1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{new_text}\r\n\r\nSent from my iPhone\r\n\r\n\
         > On 7 Dec 2026, at 10:00, Greenway <{to}> wrote:\r\n> \r\n> Stage 1 is open\r\n\r\n\
         --Apple-Mail-1\r\nContent-Type: image/png; name=\"IMG_0001.png\"\r\nContent-Disposition: inline; filename=\"IMG_0001.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n\
         --Apple-Mail-1\r\nContent-Type: application/pdf; name=\"notes.pdf\"\r\nContent-Disposition: attachment; filename=\"notes.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n\
         --Apple-Mail-1--\r\n"
    )
    .into_bytes()
}

fn plain(from: &str, to: &str, id: &str, headers: &str, text: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: {to}\r\nSubject: Re: Stage 1 is open\r\nMessage-ID: <{id}@example.org>\r\n{headers}\r\n{text}\r\n")
        .into_bytes()
}

/// The question's answers as the moderator's API shows them, by author.
async fn answers(api: &Api, question: impl std::fmt::Display) -> Vec<Value> {
    let (status, q) = api.question(question).await;
    assert_eq!(status, StatusCode::OK, "{q}");
    q["posts"].as_array().cloned().unwrap_or_default()
}

/// A board whose participants were invited, with a second stage released after that: its
/// stage-open notice is the one replied to. `seeded.question` is the second stage's question.
/// A server that sends to the SMTP sink and reads the Dovecot mailbox.
async fn with_mailbox(backend: Backend) -> (ImapServer, SmtpSink, TestApp) {
    let imap = ImapServer::start();
    let sink = SmtpSink::start();
    let smtp = sink.url();
    let app = spawn_with(backend, |s| {
        s.smtp_url = smtp;
        imap.configure(s);
    })
    .await;
    (imap, sink, app)
}

/// What is stored for each post of the question: (author's email, text, source, parent).
async fn stored(app: &TestApp, question: &focusboard::domain::ids::QuestionId) -> Vec<(String, String, String, bool)> {
    use diesel::prelude::*;
    use focusboard::db::schema::{participants, posts};
    let q = question.clone();
    let mut rows: Vec<(String, String, String, bool)> = app
        .with_db(move |conn, _| {
            Ok(posts::table
                .inner_join(participants::table)
                .filter(posts::question_id.eq(q))
                .select((participants::email, posts::body_md, posts::source, posts::parent_id.is_not_null()))
                .load::<(String, String, String, bool)>(conn)?)
        })
        .await;
    rows.sort();
    rows
}

async fn board_emailing(app: &TestApp, people: &[&str], images: bool) -> Seeded {
    let mut seeded = app.board_with_question("mod@example.org", "open", people).await;
    let b = seeded.board.clone();
    let (stage, question) = app
        .with_db(move |conn, ctx| {
            let m = Actor::System;
            service::notifications::send_invitations(conn, ctx, &m, &b)?;
            let stage = service::stages::create_stage(
                conn,
                ctx,
                &m,
                &b,
                &service::stages::StageInput { title: Some("Stage 2".into()), ..Default::default() },
            )?;
            let q = service::stages::add_question(
                conn,
                ctx,
                &m,
                &stage.id,
                &service::stages::QuestionInput {
                    prompt_md: Some("What would make the street better?".into()),
                    mode: Some("open".into()),
                    allow_images: Some(json!(images)),
                    ..Default::default()
                },
            )?;
            service::stages::release_now(conn, ctx, &m, &stage.id)?;
            Ok((stage.id, q.id))
        })
        .await;
    seeded.stage = stage;
    seeded.question = question;
    seeded
}

async fn replies_shaped_by_the_big_mail_programs_become_exactly_their_new_text(backend: Backend) {
    let (imap, sink, app) = with_mailbox(backend).await;
    let seeded = board_emailing(&app, &["ann@example.org", "bob@example.org", "cat@example.org"], true).await;
    app.outbox.drain().await.expect("drain");
    let to_ann = reply_to(&sink, "ann@example.org", "Stage 2");
    let to_bob = reply_to(&sink, "bob@example.org", "Stage 2");
    let to_cat = reply_to(&sink, "cat@example.org", "Stage 2");
    assert!(to_ann.starts_with("focusboard+") && to_ann != to_bob, "{to_ann} {to_bob}");
    let stage_open = sink.to("ann@example.org").into_iter().find(|m| m.subject().contains("Stage 2")).unwrap();
    assert!(stage_open.text().contains("by replying to this email"), "{}", stage_open.text());
    assert_eq!(stage_open.header("Auto-Submitted").as_deref(), Some("auto-generated"));

    imap.deliver(&gmail("ann@example.org", &to_ann, "g1", "A park with shade, mostly."));
    imap.deliver(&outlook_html_only("Bob@Example.org", &to_bob, "o1", "Quieter streets &amp; more benches."));
    imap.deliver(&apple_mail_with_image(
        "cat@example.org",
        &to_cat,
        "a1",
        "Somewhere to sit.\r\n\r\nAnd trees.",
        &png(40, 30),
    ));
    let polled = app.inbox.poll().await.expect("poll");
    assert_eq!((polled.read, polled.posted, polled.unmatched), (3, 3, 0), "{polled:?}");
    assert_eq!(imap.count(""), 0, "read messages leave the inbox");
    assert_eq!(imap.count("focusboard-done"), 3, "and wait in the done folder");

    let api = app.api_of("mod@example.org").await;
    let posts = answers(&api, &seeded.question).await;
    assert_eq!(
        stored(&app, &seeded.question).await,
        vec![
            ("ann@example.org".into(), "A park with shade, mostly.".into(), "email".into(), false),
            ("bob@example.org".into(), "Quieter streets & more benches.".into(), "email".into(), false),
            ("cat@example.org".into(), "Somewhere to sit.\n\nAnd trees.".into(), "email".into(), false),
        ]
    );
    let cat = posts.iter().find(|p| p["body_html"].as_str().unwrap().contains("Somewhere to sit")).unwrap();
    assert_eq!(cat["images"].as_array().map(Vec::len), Some(1), "the photo is the post's image: {cat}");
    assert_eq!(cat["recorded_note"], "Answered by email");
    // The PDF was dropped, and Cat is told in one short email.
    app.outbox.drain().await.expect("drain");
    let note = sink.to("cat@example.org").into_iter().find(|m| m.subject().contains("posted")).expect("a note to Cat");
    assert!(note.text().contains("notes.pdf"), "{}", note.text());
    assert_eq!(note.header("Auto-Submitted").as_deref(), Some("auto-replied"));

    // The page shows it as answered by email; the same message read again posts nothing more.
    let page = app.signed_in("mod@example.org").await.question_page(&seeded.question).await;
    assert!(page.contains("Answered by email"), "the page says how the answer came");
    imap.deliver(&gmail("ann@example.org", &to_ann, "g1", "A park with shade, mostly."));
    let again = app.inbox.poll().await.expect("poll");
    assert_eq!((again.read, again.posted, again.seen_before), (1, 0, 1));
    assert_eq!(answers(&api, &seeded.question).await.len(), 3);

    // A reply to the reply notice answers inside the thread: Bob replies to Ann by web, Ann
    // answers Bob's reply by email.
    let bob = app.participant_api(seeded.link(1)).await;
    let ann_post = posts.iter().find(|p| p["body_html"].as_str().unwrap().contains("A park")).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = bob.write_post(&seeded.question, json!({"body_md": "Which park?", "parent_id": ann_post})).await;
    assert_eq!(status, StatusCode::CREATED);
    app.outbox.drain().await.expect("drain");
    let to_thread = reply_to(&sink, "ann@example.org", "replied");
    imap.deliver(&plain("ann@example.org", &to_thread, "t1", "", "The one by the river.\r\n\r\n> Which park?"));
    assert_eq!(app.inbox.poll().await.expect("poll").posted, 1);
    let rows = stored(&app, &seeded.question).await;
    assert!(
        rows.contains(&("ann@example.org".into(), "The one by the river.".into(), "email".into(), true)),
        "{rows:?}"
    );
}

async fn forged_expired_automatic_and_bounced_mail_is_never_posted(backend: Backend) {
    let (imap, sink, app) = with_mailbox(backend).await;
    let seeded = board_emailing(&app, &["ann@example.org", "bob@example.org"], false).await;
    app.outbox.drain().await.expect("drain");
    let to_ann = reply_to(&sink, "ann@example.org", "Stage 2");
    let to_bob = reply_to(&sink, "bob@example.org", "Stage 2");
    // Someone else using Ann's key; Ann's out-of-office; a bounce of Bob's address; a message to
    // the plain address with no key; and Bob writing nothing of his own.
    imap.deliver(&plain("mallory@example.net", &to_ann, "f1", "", "Post this as Ann."));
    imap.deliver(&plain(
        "ann@example.org",
        &to_ann,
        "ooo1",
        "Auto-Submitted: auto-replied\r\nSubject: Out of office\r\n",
        "I am away until Monday.",
    ));
    imap.deliver(
        format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: {to_bob}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
             Message-ID: <b1@mx.example.org>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
             --r\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n\
             --r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\
             --r--\r\n"
        )
        .as_bytes(),
    );
    imap.deliver(&plain("ann@example.org", "focusboard@localhost", "nokey", "", "Hello?"));
    imap.deliver(&plain("bob@example.org", &to_bob, "empty", "", "> What did you hope for?"));
    // Ann's key and address, but the receiving server found the address forged.
    imap.deliver(&format!(
        "Authentication-Results: mx.example.org; spf=fail smtp.mailfrom=example.org; dmarc=fail (p=reject) header.from=example.org\r\n{}",
        String::from_utf8(plain("ann@example.org", &to_ann, "spoof", "", "Spoofed words.")).unwrap()
    ).into_bytes());
    let polled = app.inbox.poll().await.expect("poll");
    assert_eq!((polled.read, polled.posted, polled.unmatched), (6, 0, 6), "{polled:?}");
    let api = app.api_of("mod@example.org").await;
    assert!(answers(&api, &seeded.question).await.is_empty(), "nothing is posted");

    // Only Bob, a participant whose own reply had nothing in it, is told why; no one answers
    // the forger, the auto-reply or the bounce.
    app.outbox.drain().await.expect("drain");
    let notes: Vec<_> = sink.messages().into_iter().filter(|m| m.subject().contains("not posted")).collect();
    assert_eq!(notes.len(), 1, "{:?}", notes.iter().map(|m| m.envelope_to()).collect::<Vec<_>>());
    assert_eq!(notes[0].envelope_to(), "bob@example.org");
    assert!(sink.to("mallory@example.net").is_empty());

    // The bounce marks Bob's address failing on the participants page and the email page.
    let (_, people) = api.participants(&seeded.board).await;
    let bob = people.as_array().unwrap().iter().find(|p| p["email"] == "bob@example.org").unwrap().clone();
    assert_eq!(bob["email_failed"], true, "{bob}");
    let moderator = app.signed_in("mod@example.org").await;
    let page = moderator.get_ok(&format!("/boards/{}/emails", seeded.board)).await;
    let bounced = texts(&page, "#bounced-h + ul li");
    assert_eq!(bounced.len(), 1, "{bounced:?}");
    assert!(bounced[0].contains("bob@example.org") && bounced[0].contains("bounced"), "{bounced:?}");
    let waiting = texts(&page, "article.received h3");
    assert_eq!(waiting.len(), 6, "{waiting:?}");
    assert!(
        page.contains("found the sender&#x27;s address forged") || page.contains("found the sender's address forged")
    );
    assert!(page.contains("not the address this reply key was sent to"));
    assert!(page.contains("An automatic reply"));

    // The moderator attaches the forged one to Ann after checking with her, and discards the
    // out-of-office.
    let doc = scraper::Html::parse_document(&page);
    let sel = scraper::Selector::parse("article.received").unwrap();
    let form_of = |needle: &str, action: &str| -> String {
        let article = doc.select(&sel).find(|a| a.html().contains(needle)).expect("article");
        let f = scraper::Selector::parse(&format!("form[action$='/{action}']")).unwrap();
        article.select(&f).next().unwrap().value().attr("action").unwrap().to_string()
    };
    let attach = form_of("Post this as Ann", "attach");
    let discard = form_of("I am away", "discard");
    let ann_id = seeded.participants[0].1.to_string();
    let res = moderator
        .submit(
            &format!("/boards/{}/emails", seeded.board),
            &attach,
            &[("participant_id", ann_id.as_str()), ("question_id", seeded.question.as_str())],
        )
        .await;
    assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    let res = moderator.submit(&format!("/boards/{}/emails", seeded.board), &discard, &[]).await;
    assert!(res.status().is_success() || res.status().is_redirection());
    let posts = answers(&api, &seeded.question).await;
    assert_eq!(posts.len(), 1);
    assert_eq!(stored(&app, &seeded.question).await[0].1, "Post this as Ann.");
    assert!(posts[0]["recorded_note"].as_str().unwrap().contains("by email, recorded by"), "{}", posts[0]);
    let page = moderator.get_ok(&format!("/boards/{}/emails", seeded.board)).await;
    assert_eq!(texts(&page, "article.received h3").len(), 4);

    // Once the board closes, Bob's key has expired: his reply waits, and he is told.
    app.with_db({
        let b = seeded.board.clone();
        move |conn, ctx| {
            let input = service::boards::BoardInput { state: Some("closed".into()), ..Default::default() };
            service::boards::update_board(conn, ctx, &Actor::System, &b, &input)
        }
    })
    .await;
    imap.deliver(&plain("bob@example.org", &to_bob, "late", "", "Sorry I am late: benches."));
    let polled = app.inbox.poll().await.expect("poll");
    assert_eq!((polled.posted, polled.unmatched), (0, 1));
    assert_eq!(answers(&api, &seeded.question).await.len(), 1);
}

async fn two_instances_reading_one_mailbox_post_each_reply_once(backend: Backend) {
    let imap = ImapServer::start();
    let sink = SmtpSink::start();
    let smtp = sink.url();
    let first = spawn_with(backend, |s| {
        s.smtp_url = smtp.clone();
        imap.configure(s);
    })
    .await;
    let people: Vec<String> = (0..12).map(|i| format!("p{i:02}@example.org")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let seeded = board_emailing(&first, &refs, false).await;
    first.outbox.drain().await.expect("drain");
    let second = spawn_on(first.database_url.clone(), tempfile::tempdir().unwrap(), |s| {
        s.smtp_url = smtp.clone();
        imap.configure(s);
    })
    .await;
    for (i, p) in people.iter().enumerate() {
        let to = reply_to(&sink, p, "Stage 2");
        imap.deliver(&plain(p, &to, &format!("race{i}"), "", &format!("Answer number {i}.")));
    }
    let (a, b) = tokio::join!(first.inbox.poll(), second.inbox.poll());
    let (a, b) = (a.expect("first"), b.expect("second"));
    assert_eq!(a.posted + b.posted, 12, "{a:?} {b:?}");
    // Whatever one instance read after the other had it, it recognised.
    assert_eq!(a.read + b.read, 12 + a.seen_before + b.seen_before);
    let api = first.api_of("mod@example.org").await;
    let posts = answers(&api, &seeded.question).await;
    assert_eq!(posts.len(), 12);
    assert_eq!(imap.count(""), 0);
}

async fn the_drop_folder_reads_eml_files_when_no_mailbox_is_set(backend: Backend) {
    let app = spawn(backend).await;
    let seeded = board_emailing(&app, &["ann@example.org"], false).await;
    app.outbox.drain().await.expect("drain");
    // With no SMTP server the messages are .eml files; the Reply-To is read from Ann's.
    let mail_dir = app.settings.data_dir.join("mail");
    let ann_mail = std::fs::read_dir(&mail_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains("stage_open-ann"))
        .expect("Ann's stage-open notice");
    let raw = std::fs::read(ann_mail).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let to = parsed.reply_to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap().to_string();
    let inbox = app.settings.data_dir.join("inbox");
    std::fs::write(inbox.join("reply.eml"), plain("ann@example.org", &to, "drop1", "", "Written in a file.")).unwrap();
    let polled = app.inbox.poll().await.expect("poll");
    assert_eq!(polled.posted, 1, "{polled:?}");
    assert!(inbox.join("done").join("reply.eml").exists() && !inbox.join("reply.eml").exists());
    assert_eq!(stored(&app, &seeded.question).await[0].1, "Written in a file.");
    // The words live in the post only, where withdrawal and erasure find them.
    let kept: Vec<String> = app
        .with_db(|conn, _| {
            use diesel::prelude::*;
            use focusboard::db::schema::inbound_mail;
            Ok(inbound_mail::table.select(inbound_mail::body_text).load(conn)?)
        })
        .await;
    assert_eq!(kept, vec![String::new()]);
    // A message larger than a reply may be is read by its header only, and waits.
    let mut big = plain("ann@example.org", &to, "big1", "", "");
    big.resize(big.len() + 41 * 1024 * 1024, b'A');
    std::fs::write(inbox.join("big.eml"), big).unwrap();
    let polled = app.inbox.poll().await.expect("poll");
    assert_eq!((polled.posted, polled.unmatched), (0, 1), "{polled:?}");
    let api = app.api_of("mod@example.org").await;
    let (_, waiting) = api.get(&format!("/api/v1/boards/{}/received", seeded.board)).await;
    assert!(waiting[0]["reason"].as_str().unwrap().contains("more than the 40 MB"), "{waiting}");
    assert_eq!(stored(&app, &seeded.question).await.len(), 1);
}

async fn only_the_boards_moderators_see_and_settle_mail_and_run_its_schedule(backend: Backend) {
    let app = spawn(backend).await;
    let seeded = board_emailing(&app, &["ann@example.org"], false).await;
    let b = seeded.board.clone();
    // One message waits: Ann wrote to the plain address.
    let inbox = app.settings.data_dir.join("inbox");
    std::fs::write(inbox.join("a.eml"), plain("ann@example.org", "focusboard@localhost", "m1", "", "Hello?")).unwrap();
    assert_eq!(app.inbox.poll().await.unwrap().unmatched, 1);
    for (email, role) in
        [("co@example.org", "co_moderator"), ("obs@example.org", "observer"), ("ana@example.org", "analyst")]
    {
        app.create_user(email, false).await;
        let (board, e, r) = (b.clone(), email.to_string(), role.to_string());
        app.with_db(move |conn, ctx| {
            let m = Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
            service::boards::set_member(conn, ctx, &m, &board, &service::boards::MemberInput { email: e, role: r })
        })
        .await;
    }
    app.board_with_question("other@example.org", "open", &[]).await;
    let moderator = app.api_of("mod@example.org").await;
    let (_, waiting) = moderator.get(&format!("/api/v1/boards/{b}/received")).await;
    let mail = waiting[0]["id"].as_str().expect("a waiting message").to_string();
    let participant = app.participant_api(seeded.link(0)).await;
    let anonymous = app.api("not-a-token");
    let mut refused = [
        ("observer", app.api_of("obs@example.org").await),
        ("analyst", app.api_of("ana@example.org").await),
        ("another board's moderator", app.api_of("other@example.org").await),
        ("participant", participant),
        ("anonymous", anonymous),
    ];
    for (who, api) in refused.iter_mut() {
        let (st, body) = api.get(&format!("/api/v1/boards/{b}/received")).await;
        assert!(matches!(st.as_u16(), 401 | 403 | 404), "{who} lists mail: {st} {body}");
        for (path, body) in [
            (format!("/api/v1/boards/{b}/received/{mail}/discard"), json!({})),
            (
                format!("/api/v1/boards/{b}/received/{mail}/attach"),
                json!({"participant_id": seeded.participants[0].1, "question_id": seeded.question}),
            ),
            (format!("/api/v1/boards/{b}/pause"), json!({})),
            (format!("/api/v1/boards/{b}/schedule"), json!({"from": "2030-01-07", "every": 1, "at": "09:00"})),
        ] {
            let (st, _) = api.post(&path, body).await;
            assert!(matches!(st.as_u16(), 401 | 403 | 404), "{who} may POST {path}: {st}");
        }
    }
    // The pages answer the same for staff who may not.
    for email in ["obs@example.org", "ana@example.org", "other@example.org"] {
        let browser = app.signed_in(email).await;
        let st = browser.get(&format!("/boards/{b}/emails")).await.status();
        assert!(matches!(st.as_u16(), 403 | 404), "{email} opens the email page: {st}");
    }
    // Nothing changed: the message still waits and the board runs.
    let (_, waiting) = moderator.get(&format!("/api/v1/boards/{b}/received")).await;
    assert_eq!(waiting.as_array().unwrap().len(), 1);
    assert!(moderator.get(&format!("/api/v1/boards/{b}")).await.1["paused_at"].is_null());
    // A co-moderator who sees identities settles it.
    let co = app.api_of("co@example.org").await;
    let (st, _) = co.post(&format!("/api/v1/boards/{b}/received/{mail}/discard"), json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = co.post(&format!("/api/v1/boards/{b}/received/{mail}/discard"), json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "settled once");
}
