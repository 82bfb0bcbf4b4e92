//! `focusboard demo`: a board shaped like a real consultation of health and care professionals
//! about their Communities of Practice: three stages over five working days with a weekend
//! between the first two, eight participants with attributes, and sample replies.

use crate::db::{self, Db, DbConn};
use crate::domain::ids::{BoardId, CodeId};
use crate::error::AppResult;
use crate::service::boards::BoardInput;
use crate::service::participants::ConsentInput;
use crate::service::posting::PostInput;
use crate::service::stages::{QuestionInput, StageInput};
use crate::service::{self, Actor, Ctx};
use std::fmt::Write;

pub const DEMO_TITLE: &str = "Communities of Practice: experiences and next steps";
pub const MODERATOR_EMAIL: &str = "moderator@example.org";

const PARTICIPANTS: &str = "email,name,Professional role,Organisation,Community of practice
ann.lee@example.org,Ann Lee,Nurse consultant,NHS trust,Positive behaviour support
bola.ade@example.org,Bola Ade,Social worker,County council,Care planning
chris.moss@example.org,Chris Moss,Service user representative,Voluntary sector,Positive behaviour support
dana.fox@example.org,Dana Fox,Occupational therapist,NHS trust,Falls prevention
eli.grant@example.org,Eli Grant,Commissioner,Integrated care board,Care planning
fay.hunt@example.org,Fay Hunt,GP,Primary care network,Falls prevention
gus.iqbal@example.org,Gus Iqbal,Public health lead,County council,Training programme
hana.jones@example.org,Hana Jones,Voluntary sector manager,Voluntary sector,Training programme
";

/// (stage title, intro, days from now to release, [(question, mode)])
type DemoStage = (&'static str, &'static str, i64, &'static [(&'static str, &'static str)]);
const STAGES: &[DemoStage] = &[
    (
        "Stage 1 (Friday): your hopes and how you worked together",
        "Welcome! Please answer at your own pace. You will see what others wrote once you have posted your own answer.",
        -3,
        &[
            ("What did you hope to achieve when you joined your Community of Practice?", "post_first"),
            ("How did members of your CoP work together? What helped, and what got in the way?", "post_first"),
            ("What are your initial personal reflections on your CoP?", "open"),
        ],
    ),
    (
        "Stage 2 (Monday): reflecting on what others said",
        "After the weekend, please read the summary of stage 1 and what your colleagues wrote.",
        -1,
        &[
            ("What has surprised you (if anything) about your engagement so far with your CoP? Does this resonate with the views of others?", "open"),
            ("Do you agree with the views summarised here? Do you agree with others about what went well and what did not?", "post_first"),
        ],
    ),
    (
        "Stage 3 (Wednesday): looking forward",
        "Our final stage: how would you run a CoP next time?",
        1,
        &[
            ("How would you change the way the CoP worked?", "post_first"),
            ("What was best about how it worked?", "post_first"),
            ("What was the worst thing about it?", "post_first"),
            (
                "Would you use this method again to implement research-based improvements to your service? (If so why, if not why not?) Only the moderators see your answer.",
                "private",
            ),
        ],
    ),
];

/// (participant index, stage index, question index, reply)
const REPLIES: &[(usize, usize, usize, &str)] = &[
    (0, 0, 0, "At the moment the system is confusing and hard to navigate. I hoped the CoP would help make it easier for service users to engage with."),
    (1, 0, 0, "*Networking ideas and talking with others is a huge support.*"),
    (2, 0, 0, "It was a forum where all stakeholders could discuss findings, including service user representation, and develop a plan."),
    (3, 0, 0, "To get a better understanding of how other communities and services deliver services."),
    (4, 0, 0, "Opportunity to learn from others, and to develop relationships with colleagues we would be working more closely with."),
    (0, 0, 1, "The pace of progress has been slowed by the availability of all partners. Working remotely has compounded this."),
    (2, 0, 1, "Tasks to complete before meetings were very clear."),
    (5, 0, 1, "The vocabulary and language of CoPs was confusing at first, but that was quickly resolved."),
    (1, 0, 2, "It felt like a very collaborative approach that ensured all people's perspectives were taken into account."),
    (3, 0, 2, "For me the real benefit was giving the space for clinicians and managers to come together and properly think through what was being asked of us."),
    (0, 1, 0, "I think my views resonate with others: the CoP does rely on the facilitators."),
    (4, 1, 1, "I would agree with the views summarised here. Success is also about the process the facilitators follow."),
];

pub fn generate_password() -> String {
    crate::domain::tokens::generate().plain[..16].to_string()
}

/// Seeds the demo board unless it exists, and returns what to print: a block saying where to
/// go, how to sign in as the moderator and the links of two participants. The moderator's
/// password is printed when it is made: on the first run, or with `new_password`.
pub async fn seed(db: &Db, ctx: &Ctx, new_password: bool) -> anyhow::Result<String> {
    let ctx = ctx.clone();
    Ok(db.run(move |conn| service::in_tx(conn, |conn| seed_in(conn, &ctx, new_password))).await?)
}

fn seed_in(conn: &mut DbConn, ctx: &Ctx, new_password: bool) -> AppResult<String> {
    let (moderator, password) = match db::users::find_by_email(conn, MODERATOR_EMAIL)? {
        Some(u) if new_password => {
            let pw = generate_password();
            service::accounts::set_password(conn, ctx, &u, &pw)?;
            (u, Some(pw))
        }
        Some(u) => (u, None),
        None => {
            let pw = generate_password();
            let u = service::accounts::create_user(conn, ctx, MODERATOR_EMAIL, "Demo Moderator", &pw, true)?;
            (u, Some(pw))
        }
    };
    let mod_actor = Actor::User(moderator.clone());
    let existing = service::boards::list_boards(conn, &mod_actor)?.into_iter().find(|b| b.title == DEMO_TITLE);
    let board_id = match existing {
        Some(b) => b.id,
        None => create_board(conn, ctx, &mod_actor)?,
    };
    let participants = db::participants::of_board(conn, &board_id)?;
    let rule = "-".repeat(72);
    let mut out = String::new();
    let _ = writeln!(out, "\n{rule}\nThe demo board \"{DEMO_TITLE}\" is ready.\n");
    let _ = writeln!(out, "As its moderator, sign in at {}/login", ctx.base_url);
    let _ = writeln!(out, "  email:    {MODERATOR_EMAIL}");
    match password {
        Some(pw) => {
            let _ = writeln!(out, "  password: {pw}");
        }
        None => {
            let _ = writeln!(out, "  password: as printed when it was made; for a new one, run again with");
            let _ = writeln!(out, "            --new-demo-password (serve) or --new-password (demo)");
        }
    }
    let _ = writeln!(out, "\nAs a participant, open a personal link (no password):");
    for p in
        participants.iter().filter(|p| ["ann.lee@example.org", "hana.jones@example.org"].contains(&p.email.as_str()))
    {
        let _ = writeln!(out, "  {}: {}", p.name, ctx.link_url(p).unwrap_or_default());
    }
    let _ = writeln!(
        out,
        "\nInvitations and stage notices are queued and sent by the server; with no smtp_url set,\n\
         they are written as .eml files to the data folder's mail/ (open them in a mail program).\n\
         To answer by email without a mailbox (no imap_url set): copy a stage notice from mail/\n\
         into the data folder's inbox/, swap its headers so that From: is the participant (the\n\
         notice's To:) and To: is the notice's Reply-To address, and write above the text; within\n\
         a minute the server posts it as their answer, or lists it under \"Unmatched mail\" on the\n\
         board's email page (README: \"Answers by email\").\n{rule}"
    );
    Ok(out)
}

fn create_board(conn: &mut DbConn, ctx: &Ctx, moderator: &Actor) -> AppResult<BoardId> {
    let now = ctx.now();
    let zone = crate::domain::timezone::BoardZone::of("Europe/London");
    let local = |days: i64| zone.to_input(now + time::Duration::days(days));
    let board = service::boards::create_board(
        conn,
        ctx,
        moderator,
        &BoardInput {
            title: Some(DEMO_TITLE.into()),
            welcome_md: Some("Thank you for joining this online bulletin board. Over the next week we will ask a few questions in three stages. **Dip in and out at your own pace**: there is no need to be online at the same time as anyone else.".into()),
            consent_md: Some("Your answers will be used in an evaluation memo. Quotations may be used **without your name**. You can withdraw at any time by writing to the moderator.".into()),
            time_zone: Some("Europe/London".into()),
            opens_at: Some(Some(local(-3))),
            closes_at: Some(Some(local(4))),
            anonymity: Some("screen_names".into()),
            state: Some("open".into()),
            ..Default::default()
        },
    )?;
    service::participants::import(conn, ctx, moderator, &board.id, PARTICIPANTS.as_bytes(), true)?;
    let people = db::participants::of_board(conn, &board.id)?;
    let by_email = |i: usize| {
        let email = PARTICIPANTS.lines().nth(i + 1).and_then(|l| l.split(',').next()).unwrap_or_default();
        people.iter().find(|p| p.email == email).cloned()
    };
    let mut question_ids = Vec::new();
    for (title, intro, days, questions) in STAGES {
        let stage = service::stages::create_stage(
            conn,
            ctx,
            moderator,
            &board.id,
            &StageInput {
                title: Some((*title).into()),
                intro_md: Some((*intro).into()),
                release_at: Some(Some(local(*days))),
                close_at: Some(Some(local(4))),
                groups: None,
            },
        )?;
        let mut ids = Vec::new();
        for (prompt, mode) in *questions {
            let q = service::stages::add_question(
                conn,
                ctx,
                moderator,
                &stage.id,
                &QuestionInput { prompt_md: Some((*prompt).into()), mode: Some((*mode).into()), ..Default::default() },
            )?;
            ids.push(q.id);
        }
        question_ids.push(ids);
    }
    // Invitations first, so the stage notices of the release go out too.
    service::notifications::send_invitations(conn, ctx, moderator, &board.id)?;
    service::stages::release_due(conn, ctx, now)?;
    // Seven of eight sign in and consent; Hana is left for the visitor to walk through.
    for i in 0..7 {
        let Some(p) = by_email(i) else { continue };
        db::participants::record_sign_in(conn, &p, now)?;
        let actor = Actor::Participant(p.clone());
        let screen = p.name.split(' ').next().unwrap_or("P").to_string();
        service::participants::give_consent(
            conn,
            ctx,
            &actor,
            &ConsentInput { consent: Some("on".into()), screen_name: Some(screen) },
        )?;
    }
    let mut replies = Vec::new();
    for (who, stage, question, text) in REPLIES {
        let Some(p) = by_email(*who).and_then(|p| db::participants::find(conn, &p.id).ok().flatten()) else { continue };
        let qid = &question_ids[*stage][*question];
        replies.push(service::posting::create_post(
            conn,
            ctx,
            &Actor::Participant(p),
            qid,
            &PostInput { body_md: (*text).into(), parent_id: None },
        )?);
    }
    code_some_replies(conn, ctx, moderator, &board.id, &replies)?;
    Ok(board.id)
}

/// A start on the analysis for the visitor to look at: the value-creation codebook, the first
/// replies coded, their first sentences quoted, and a memo.
fn code_some_replies(
    conn: &mut DbConn,
    ctx: &Ctx,
    moderator: &Actor,
    board_id: &BoardId,
    replies: &[crate::service::views::PostView],
) -> AppResult<()> {
    use crate::service::analysis::{self, CodingInput};
    analysis::apply_template(conn, ctx, moderator, board_id, "value-creation")?;
    let codes: Vec<CodeId> = analysis::codebook(conn, moderator, board_id)?.into_iter().skip(1).map(|c| c.id).collect();
    for (i, reply) in replies.iter().take(4).enumerate() {
        let Some(post) = db::posts::find(conn, &reply.id)? else { continue };
        let first_sentence = post.body_md.split_inclusive('.').next().unwrap_or("").trim().to_string();
        analysis::code_post(
            conn,
            ctx,
            moderator,
            &post.id,
            &CodingInput { code_ids: vec![codes[i % codes.len()].clone()], ..Default::default() },
        )?;
        if !first_sentence.is_empty() {
            let memo =
                (i == 0).then(|| "A clear example of value felt at once; compare with later stages.".to_string());
            let input = CodingInput {
                code_ids: vec![codes[(i + 1) % codes.len()].clone()],
                excerpt: Some(first_sentence),
                quote: true,
                memo,
                ..Default::default()
            };
            analysis::code_post(conn, ctx, moderator, &post.id, &input)?;
        }
    }
    Ok(())
}
