//! Pages cost a fixed number of database statements, whatever the size of the board: the
//! same pages are counted with 10 and with 200 replies.

use crate::helpers::*;
use focusboard::domain::ids::ParticipantId;
use focusboard::service::{self, Actor};

crate::on_both_databases!(page_query_counts_do_not_grow_with_replies);

/// Statements run while `path` is fetched.
async fn cost(app: &TestApp, browser: &Browser, path: &str) -> u64 {
    let before = app.db.queries_run();
    browser.get_ok(path).await;
    app.db.queries_run() - before
}

async fn board_with_replies(app: &TestApp, moderator: &str, n: usize) -> Seeded {
    let emails: Vec<String> = (0..n).map(|i| format!("p{i:03}@example.org")).collect();
    let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
    let s = app.board_with_question(moderator, "open", &refs).await;
    let q = s.question.clone();
    let ids: Vec<ParticipantId> = s.participants.iter().map(|p| p.1.clone()).collect();
    let (board, email) = (s.board.clone(), moderator.to_string());
    app.with_db(move |conn, ctx| {
        // Every reply coded whole and in an excerpt, quoted, with a memo: the analysts' pages
        // read all of it.
        let m = Actor::User(focusboard::db::users::find_by_email(conn, &email)?.expect("moderator"));
        service::analysis::apply_template(conn, ctx, &m, &board, "value-creation")?;
        let code = service::analysis::codebook(conn, &m, &board)?[1].id.clone();
        for id in ids {
            let p = focusboard::db::participants::find(conn, &id)?.expect("participant");
            let post = service::posting::create_post(
                conn,
                ctx,
                &Actor::Participant(p),
                &q,
                &service::posting::PostInput { body_md: "An answer".into(), parent_id: None },
            )?;
            let coding = |start, quote| service::analysis::CodingInput {
                code_ids: vec![code.clone()],
                start,
                end: start.map(|s| s + 3),
                quote,
                memo: Some("memo".into()),
                ..Default::default()
            };
            service::analysis::code_post(conn, ctx, &m, &post.id, &coding(None, false))?;
            service::analysis::code_post(conn, ctx, &m, &post.id, &coding(Some(0), true))?;
        }
        Ok(())
    })
    .await;
    s
}

async fn page_query_counts_do_not_grow_with_replies(backend: Backend) {
    let app = spawn(backend).await;
    let mut costs = Vec::new();
    for (moderator, n) in [("small@example.org", 10), ("large@example.org", 200)] {
        let s = board_with_replies(&app, moderator, n).await;
        let staff = app.signed_in(moderator).await;
        let participant = app.sign_in_participant(s.link(0)).await;
        let pages = [
            cost(&app, &participant, &format!("/q/{}", s.question)).await,
            cost(&app, &participant, &format!("/b/{}", s.board)).await,
            cost(&app, &staff, &format!("/q/{}", s.question)).await,
            cost(&app, &staff, &format!("/boards/{}", s.board)).await,
            cost(&app, &staff, &format!("/boards/{}/participants", s.board)).await,
            cost(&app, &staff, &format!("/q/{}/coding", s.question)).await,
            cost(&app, &staff, &format!("/boards/{}/report", s.board)).await,
            cost(&app, &staff, &format!("/boards/{}/analysis", s.board)).await,
            cost(&app, &staff, &format!("/boards/{}/codebook", s.board)).await,
            cost(&app, &staff, &format!("/boards/{}/grid", s.board)).await,
        ];
        // Fifty posts to a page: the 200 replies come in four.
        assert_eq!(staff.question_page(&s.question).await.matches("class=\"post ").count(), n.min(50));
        costs.push(pages);
    }
    assert_eq!(costs[0], costs[1], "statements per page with 10 and with 200 replies (question, home, staff question, overview, participants, coding, report, analysis, codebook, grid)");
    // The session lookup is one of them on every page; the pages kept per reader
    // (`web::page_cache`) read their board's version first, and the staff's board page the
    // reader's read marks too.
    assert!(costs[0].iter().all(|&c| c <= 19), "a small constant number of statements: {:?}", costs[0]);
}
