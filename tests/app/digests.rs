//! Daily digests: a participant who chose one gets, at the board's hour, what is new in the
//! questions they may read — post first, groups and hidden posts as on the pages — and nothing
//! when nothing is; staff who asked get the board's activity.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;
use time::macros::datetime;

crate::on_both_databases!(a_digest_tells_only_what_the_pages_would_show);

async fn a_digest_tells_only_what_the_pages_would_show(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let people = ["ann@example.org", "bob@example.org", "cat@example.org", "dan@example.org"];
    let s = app.board_with_question("mod@example.org", "post_first", &people).await;
    let m = app.api_of("mod@example.org").await;
    // Dan is in group B; a second question of the stage is for group B only.
    let dan = s.participants[3].1.clone();
    let (status, _) =
        m.put(&format!("/api/v1/boards/{}/participants/{dan}/group", s.board), json!({"group": "B"})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, q2) =
        m.add_question(&s.stage, json!({"prompt_md": "Only for group B?", "mode": "open", "groups": "B"})).await;
    let q2 = q2["id"].as_str().unwrap().to_string();
    let [ann, bob, cat, dan] = [0, 1, 2, 3].map(|i| s.link(i).to_string());
    let (ann, bob, cat, dan) = (
        app.participant_api(&ann).await,
        app.participant_api(&bob).await,
        app.participant_api(&cat).await,
        app.participant_api(&dan).await,
    );
    // Ann and Dan choose a daily digest instead of an email for each reply.
    for who in [&ann, &dan] {
        let (status, prefs) =
            who.put("/api/v1/me/email-preferences", json!({"receive": ["stage_open"], "reply_notices": "daily"})).await;
        assert_eq!((status, prefs["reply_notices"].as_str()), (StatusCode::OK, Some("daily")), "{prefs}");
    }
    // The moderator asks for the staff digest on the board page.
    let moderator = app.signed_in("mod@example.org").await;
    let res = moderator
        .submit(&format!("/boards/{}", s.board), &format!("/boards/{}/digest", s.board), &[("on", "yes")])
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());

    // Day 1: Bob and Cat answer; Dan answers the group B question. Ann has not answered, so
    // post first keeps their answers from her; Dan has not answered the first question either.
    app.clock.set(datetime!(2021-03-26 09:00 UTC));
    assert_eq!(bob.write_post(&s.question, json!({"body_md": "Bob: more trees"})).await.0, StatusCode::CREATED);
    assert_eq!(cat.write_post(&s.question, json!({"body_md": "Cat: wider paths"})).await.0, StatusCode::CREATED);
    assert_eq!(dan.write_post(&q2, json!({"body_md": "Dan: for B only"})).await.0, StatusCode::CREATED);
    app.clock.set(datetime!(2021-03-26 17:59 UTC));
    app.scheduler.tick().await.unwrap();
    app.clock.set(datetime!(2021-03-26 18:00 UTC));
    app.scheduler.tick().await.unwrap();
    app.outbox.drain().await.unwrap();
    let digests = |to: &str| {
        sink.to(to).into_iter().filter(|m| m.subject().contains("since your last digest")).collect::<Vec<_>>()
    };
    assert!(digests("ann@example.org").is_empty(), "nothing Ann may read is new: no digest");
    assert!(digests("dan@example.org").is_empty(), "nothing Dan may read is new: no digest");
    let staff =
        sink.to("mod@example.org").into_iter().filter(|m| m.subject().contains("today's activity")).collect::<Vec<_>>();
    assert_eq!(staff.len(), 1, "the moderator's digest");
    assert!(staff[0].text().contains("new answers and replies from participants: 3"), "{}", staff[0].text());

    // Day 2: Ann answers; Bob replies to her; Cat writes a reply the moderator hides; Dan
    // replies in group B's question.
    app.clock.set(datetime!(2021-03-27 10:00 UTC));
    let (_, mine) = ann.write_post(&s.question, json!({"body_md": "Ann: benches"})).await;
    let mine = mine["id"].as_str().unwrap().to_string();
    let (_, bob_reply) = bob.write_post(&s.question, json!({"body_md": "Bob: where, Ann?", "parent_id": mine})).await;
    let (_, hidden) = cat.write_post(&s.question, json!({"body_md": "Cat: something rude", "parent_id": mine})).await;
    let hidden = hidden["id"].as_str().unwrap().to_string();
    assert_eq!(m.post(&format!("/api/v1/posts/{hidden}/hide"), json!({"reason": "rude"})).await.0, StatusCode::OK);
    let (_, dan_post) = m.question(&q2).await;
    let dan_post = dan_post["posts"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        dan.write_post(&q2, json!({"body_md": "Dan again", "parent_id": dan_post})).await.0,
        StatusCode::CREATED
    );
    app.outbox.drain().await.unwrap();
    assert!(
        sink.to("ann@example.org").iter().all(|m| !m.text().contains("where, Ann?")),
        "Ann chose the digest: no email for the reply itself"
    );
    app.clock.set(datetime!(2021-03-27 18:00 UTC));
    app.scheduler.tick().await.unwrap();
    app.clock.set(datetime!(2021-03-27 18:05 UTC));
    app.scheduler.tick().await.unwrap();
    app.outbox.drain().await.unwrap();
    let ann_digests = digests("ann@example.org");
    assert_eq!(ann_digests.len(), 1, "one digest, once");
    let text = ann_digests[0].text();
    assert!(text.contains("Bob: where, Ann?"), "{text}");
    assert!(!text.contains("rude") && !text.contains("Dan again") && !text.contains("Ann: benches"), "{text}");
    assert!(text.contains(&format!("post={}", bob_reply["id"].as_str().unwrap())), "links to the post: {text}");
    assert!(digests("dan@example.org").is_empty(), "Dan still has not answered the first question");
    let unsubscribe = ann_digests[0].header("List-Unsubscribe").unwrap_or_default();
    assert!(unsubscribe.contains("/u/"), "a digest can be stopped in one click");
}
