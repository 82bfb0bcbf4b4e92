use focusboard::clock::ManualClock;
use focusboard::config::Settings;
use focusboard::db::{Db, DbConn};
use focusboard::domain::ids::{BoardId, ParticipantId, QuestionId, StageId};
use focusboard::email::worker::OutboxWorker;
use focusboard::error::AppResult;
use focusboard::scheduler::Scheduler;
use focusboard::service::{self, Actor, Ctx};
use focusboard::startup::Application;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use std::fmt::Display;
use std::sync::Arc;
use time::macros::datetime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(backend: Backend)` once per database.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name($crate::helpers::Backend::Postgres).await } )*
        }
    };
}

pub struct TestApp {
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub db: Db,
    pub ctx: Ctx,
    pub scheduler: Scheduler,
    /// The outbox worker, driven by hand: `app.outbox.drain().await`.
    pub outbox: OutboxWorker,
    /// The inbox worker, driven by hand: `app.inbox.poll().await`.
    pub inbox: focusboard::email::inbound::InboxWorker,
    pub settings: Settings,
    pub database_url: String,
    /// Holds the SQLite file and session key until the test ends.
    pub _dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "correct horse battery";

/// A fresh database URL for one test.
pub fn fresh_database(backend: Backend, dir: &std::path::Path) -> String {
    match backend {
        Backend::Sqlite => dir.join("test.db").display().to_string(),
        Backend::Postgres => {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            let admin = std::env::var("FOCUSBOARD_TEST_PG_URL").expect("FOCUSBOARD_TEST_PG_URL is not set: run the tests with scripts/test, which starts a throwaway PostgreSQL");
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            let mut conn = diesel::PgConnection::establish(&admin).expect("connect to the test PostgreSQL");
            conn.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
            let (server, _) = admin.rsplit_once('/').expect("URL with a database name");
            format!("{server}/{name}")
        }
    }
}

/// Starts the application; the clock stands at Friday 26 March 2021, 08:00 UTC. Email goes
/// to .eml files in the test's folder.
pub async fn spawn(backend: Backend) -> TestApp {
    spawn_with(backend, |_| {}).await
}

/// Starts the application with email going to a real SMTP server on loopback.
pub async fn spawn_with_smtp(backend: Backend) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start();
    let url = sink.url();
    let app = spawn_with(backend, move |s| {
        s.smtp_url = url;
        s.mail_from = "board@focusboard.test".into();
        s.email_max_attempts = 3;
        s.email_retry_secs = 60;
    })
    .await;
    (app, sink)
}

pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = fresh_database(backend, dir.path());
    spawn_on(url, dir, adjust).await
}

pub async fn spawn_on(database_url: String, dir: tempfile::TempDir, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    // Bound once, here: the server takes this listener, so no other test can take the port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("addr").port();
    let mut settings = Settings {
        database_url: database_url.clone(),
        bind: format!("127.0.0.1:{port}"),
        base_url: format!("http://127.0.0.1:{port}"),
        data_dir: dir.path().to_path_buf(),
        session_key: "ab".repeat(64),
        max_body_bytes: 64 * 1024,
        db_pool_size: 4,
        // Marks are written before the counts that read them; a timed write in the background
        // would land in the statement counts of whatever page it met (tests/app/queries.rs).
        read_marks_flush_ms: 0,
        ..Settings::defaults()
    };
    adjust(&mut settings);
    // Errors go to the captured output of the failing test.
    focusboard::telemetry::init(&std::env::var("TEST_LOG").unwrap_or_else(|_| "error".into()), "text");
    let clock = Arc::new(ManualClock::new(datetime!(2021-03-26 08:00 UTC)));
    let app = Application::build_on(listener, settings.clone(), clock.clone(), false).expect("application builds");
    assert_eq!(app.port(), port);
    let (db, ctx, scheduler, outbox) = (app.db.clone(), app.ctx.clone(), app.scheduler.clone(), app.outbox.clone());
    let inbox = app.inbox.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        clock,
        db,
        ctx,
        scheduler,
        outbox,
        inbox,
        settings,
        database_url,
        _dir: dir,
    }
}

impl TestApp {
    pub fn clock_now(&self) -> time::PrimitiveDateTime {
        use focusboard::clock::Clock;
        self.clock.now()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Runs a service call directly, for setting up what a test is not about.
    pub async fn with_db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn, &Ctx) -> AppResult<T> + Send + 'static,
    ) -> T {
        let ctx = self.ctx.clone();
        self.db.run(move |conn| f(conn, &ctx)).await.expect("setup step succeeds")
    }

    pub async fn create_user(&self, email: &str, admin: bool) -> focusboard::db::models::User {
        let email = email.to_string();
        self.with_db(move |conn, ctx| service::accounts::create_user(conn, ctx, &email, "Test User", PASSWORD, admin))
            .await
    }

    /// A browser with its own cookie jar; follows redirects like a browser does.
    pub fn browser(&self) -> Browser {
        Browser { base: self.base.clone(), client: Client::builder().cookie_store(true).build().expect("client") }
    }

    /// A browser signed in to an existing staff account.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let b = self.browser();
        b.login(email, PASSWORD).await;
        b
    }

    /// A browser signed in to a new moderator account.
    pub async fn moderator(&self, email: &str) -> Browser {
        self.create_user(email, false).await;
        self.signed_in(email).await
    }

    pub fn api(&self, token: &str) -> Api {
        Api { base: self.base.clone(), token: token.to_string(), client: Client::new() }
    }

    /// An API client for an existing staff account.
    pub async fn api_of(&self, email: &str) -> Api {
        let email = email.to_string();
        let token = self
            .with_db(move |conn, ctx| {
                let user = focusboard::db::users::find_by_email(conn, &email)?.expect("the account exists");
                service::accounts::create_token(
                    conn,
                    ctx,
                    &user,
                    &service::accounts::TokenInput { name: "test".into(), ..Default::default() },
                )
            })
            .await;
        self.api(&token.token)
    }

    /// An API client for a new staff account.
    pub async fn staff_api(&self, email: &str, admin: bool) -> Api {
        let user = self.create_user(email, admin).await;
        let token = self
            .with_db(move |conn, ctx| {
                service::accounts::create_token(
                    conn,
                    ctx,
                    &user,
                    &service::accounts::TokenInput { name: "test".into(), ..Default::default() },
                )
            })
            .await;
        self.api(&token.token)
    }

    /// Sets up a board with one released stage of one question in `mode`, and the given
    /// participants (by email), who have consented. Returns (board id, stage id, question id).
    pub async fn board_with_question(&self, moderator_email: &str, mode: &str, participants: &[&str]) -> Seeded {
        let email = moderator_email.to_string();
        let mode = mode.to_string();
        let people: Vec<String> = participants.iter().map(|s| s.to_string()).collect();
        self.with_db(move |conn, ctx| {
            let user = match focusboard::db::users::find_by_email(conn, &email)? {
                Some(u) => u,
                None => service::accounts::create_user(conn, ctx, &email, "Mod", PASSWORD, false)?,
            };
            let m = Actor::User(user);
            let board = service::boards::create_board(
                conn,
                ctx,
                &m,
                &service::boards::BoardInput {
                    title: Some(format!("Board of {email}")),
                    time_zone: Some("Europe/London".into()),
                    ..Default::default()
                },
            )?;
            let mut csv = String::from("email,name,Role\n");
            for p in &people {
                csv.push_str(&format!("{p},{p},Nurse\n"));
            }
            if !people.is_empty() {
                service::participants::import(conn, ctx, &m, &board.id, csv.as_bytes(), true)?;
            }
            let stage = service::stages::create_stage(
                conn,
                ctx,
                &m,
                &board.id,
                &service::stages::StageInput { title: Some("Stage 1".into()), ..Default::default() },
            )?;
            let q = service::stages::add_question(
                conn,
                ctx,
                &m,
                &stage.id,
                &service::stages::QuestionInput {
                    prompt_md: Some("What did you hope for?".into()),
                    mode: Some(mode),
                    ..Default::default()
                },
            )?;
            service::stages::release_now(conn, ctx, &m, &stage.id)?;
            let mut ids = Vec::new();
            for p in focusboard::db::participants::of_board(conn, &board.id)? {
                let a = Actor::Participant(p.clone());
                service::participants::give_consent(
                    conn,
                    ctx,
                    &a,
                    &service::participants::ConsentInput {
                        consent: Some("on".into()),
                        screen_name: Some(format!("sn-{}", &p.email[..p.email.find('@').unwrap_or(1)])),
                    },
                )?;
                ids.push((p.email.clone(), p.id.clone(), ctx.link_url(&p).unwrap_or_default()));
            }
            ids.sort();
            Ok(Seeded { board: board.id, stage: stage.id, question: q.id, participants: ids })
        })
        .await
    }

    /// Signs a participant in through their link, in a new browser.
    pub async fn sign_in_participant(&self, link: &str) -> Browser {
        let b = self.browser();
        let page = b.get_ok(link).await;
        let csrf = csrf_of(&page);
        let res = b.client.post(link).form(&[("csrf_token", csrf.as_str())]).send().await.expect("post");
        assert_eq!(res.status(), StatusCode::OK, "sign-in through the link");
        b
    }

    /// A participant's API token, exchanged from their link.
    pub async fn participant_api(&self, link: &str) -> Api {
        let token = link.rsplit('/').next().unwrap_or_default();
        let res = Client::new()
            .post(self.url("/api/v1/auth/participant"))
            .json(&serde_json::json!({"token": token}))
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::CREATED);
        let body: Value = res.json().await.expect("json");
        self.api(body["token"].as_str().expect("token"))
    }
}

pub struct Seeded {
    pub board: BoardId,
    pub stage: StageId,
    pub question: QuestionId,
    /// (email, participant id, sign-in link), sorted by email.
    pub participants: Vec<(String, ParticipantId, String)>,
}

impl Seeded {
    pub fn link(&self, i: usize) -> &str {
        &self.participants[i].2
    }
}

pub struct Browser {
    pub base: String,
    pub client: Client,
}

pub fn csrf_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=csrf_token]").expect("selector");
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .expect("the page has a form with a CSRF token")
        .to_string()
}

/// The visible text of the elements matching `selector`.
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .map(|e| e.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

impl Browser {
    fn abs(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{}", self.base, path)
        }
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.abs(path)).send().await.expect("request")
    }

    /// GETs a page that must answer 200 and returns its HTML.
    pub async fn get_ok(&self, path: &str) -> String {
        let res = self.get(path).await;
        let status = res.status();
        let body = res.text().await.expect("body");
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body
    }

    pub async fn login(&self, email: &str, password: &str) {
        let page = self.get_ok("/login").await;
        let res = self
            .client
            .post(self.abs("/login"))
            .form(&[("csrf_token", csrf_of(&page).as_str()), ("email", email), ("password", password)])
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.url().path().starts_with("/boards"), "signed in lands on boards, got {}", res.url());
    }

    /// Submits a form the way the page does: fetches `page` for the CSRF token, then posts,
    /// as multipart when the page's form to `action` is.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        self.submit_with_file(page, action, fields, None).await
    }

    /// As `submit`, with a file (field `file`, its name and bytes) when given.
    pub async fn submit_with_file(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
    ) -> Response {
        let html = self.get_ok(page).await;
        let csrf = csrf_of(&html);
        let multipart = {
            let doc = scraper::Html::parse_document(&html);
            let forms = scraper::Selector::parse("form[enctype='multipart/form-data']").unwrap();
            let path = action.split('?').next().unwrap_or(action);
            doc.select(&forms).any(|f| f.value().attr("action").is_some_and(|a| a.split('?').next() == Some(path)))
        };
        if !multipart {
            assert!(file.is_none(), "the form to {action} on {page} takes no file");
            let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
            form.extend_from_slice(fields);
            return self.client.post(self.abs(action)).form(&form).send().await.expect("post");
        }
        // The token first, as the page's forms send it.
        let mut form = reqwest::multipart::Form::new().text("csrf_token", csrf);
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        if let Some((name, bytes)) = file {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
        }
        self.client.post(self.abs(action)).multipart(form).send().await.expect("post")
    }

    /// The question page as this browser's person sees it (must answer 200).
    pub async fn question_page(&self, question: impl Display) -> String {
        self.get_ok(&format!("/q/{question}")).await
    }

    /// A participant's board home page (must answer 200).
    pub async fn board_home_page(&self, board: impl Display) -> String {
        self.get_ok(&format!("/b/{board}")).await
    }
}

pub struct Api {
    pub base: String,
    pub token: String,
    pub client: Client,
}

impl Api {
    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{}", self.base, path)).bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        read(self.req(reqwest::Method::GET, path).send().await.expect("request")).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.req(reqwest::Method::POST, path).json(&body).send().await.expect("request")).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.req(reqwest::Method::PATCH, path).json(&body).send().await.expect("request")).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        read(self.req(reqwest::Method::PUT, path).json(&body).send().await.expect("request")).await
    }

    pub async fn delete(&self, path: &str) -> StatusCode {
        self.req(reqwest::Method::DELETE, path).send().await.expect("request").status()
    }

    /// A file download: status, content type and bytes.
    pub async fn download(&self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let res = self.req(reqwest::Method::GET, path).send().await.expect("request");
        let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        (res.status(), ct, res.bytes().await.expect("body").to_vec())
    }

    /// Posts a raw body with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (StatusCode, Value) {
        read(
            self.req(reqwest::Method::POST, path)
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// Posts raw image bytes to an upload route, as the API takes them.
    pub async fn upload(&self, path: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        self.post_raw(path, "application/octet-stream", bytes).await
    }

    pub async fn post_csv(&self, path: &str, csv: impl Into<reqwest::Body>) -> (StatusCode, Value) {
        read(
            self.req(reqwest::Method::POST, path)
                .header("content-type", "text/csv")
                .body(csv)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// POSTs JSON with an `Idempotency-Key`, as a client that retries does; the raw response.
    pub async fn post_with_key(&self, path: &str, key: &str, body: Value) -> Response {
        self.req(reqwest::Method::POST, path).header("Idempotency-Key", key).json(&body).send().await.expect("request")
    }

    // What people do through the API, named for the action, so test bodies read as a story.

    /// Posts an answer to a question, or with `parent_id` in the body a reply.
    pub async fn write_post(&self, question: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/questions/{question}/posts"), body).await
    }

    /// The question as this token's owner may read it, with its replies.
    pub async fn question(&self, question: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/questions/{question}")).await
    }

    /// A participant's board home.
    pub async fn home(&self, board: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/boards/{board}/home")).await
    }

    pub async fn add_stage(&self, board: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/boards/{board}/stages"), body).await
    }

    pub async fn edit_stage(&self, stage: impl Display, body: Value) -> (StatusCode, Value) {
        self.patch(&format!("/api/v1/stages/{stage}"), body).await
    }

    pub async fn add_question(&self, stage: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/stages/{stage}/questions"), body).await
    }

    /// Releases a stage now (the body may carry nothing).
    pub async fn release_stage(&self, stage: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/stages/{stage}/release"), body).await
    }

    pub async fn edit_board(&self, board: impl Display, body: Value) -> (StatusCode, Value) {
        self.patch(&format!("/api/v1/boards/{board}"), body).await
    }

    pub async fn participants(&self, board: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/boards/{board}/participants")).await
    }

    pub async fn overview(&self, board: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/boards/{board}/overview")).await
    }

    /// The board's outbox as the moderator's email page lists it.
    pub async fn emails(&self, board: impl Display) -> (StatusCode, Value) {
        self.get(&format!("/api/v1/boards/{board}/emails")).await
    }

    pub async fn invite(&self, board: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/boards/{board}/invitations"), body).await
    }

    pub async fn vote(&self, question: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/questions/{question}/vote"), body).await
    }

    /// A moderator records an answer given by email or telephone.
    pub async fn answer_on_behalf(&self, question: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/questions/{question}/on-behalf"), body).await
    }

    pub async fn probe(&self, post: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/posts/{post}/probe"), body).await
    }

    pub async fn hide_post(&self, post: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/posts/{post}/hide"), body).await
    }

    /// An analyst codes a reply (or a selection of it).
    pub async fn code_post(&self, post: impl Display, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/posts/{post}/codings"), body).await
    }
}

/// Status and JSON body; problem documents must say why.
pub async fn read(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    if !status.is_success() {
        assert_eq!(ct, "application/problem+json", "errors are problem documents: {status} {body}");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "a problem says why: {body}");
        // And what kind of problem, as a code programs can match on.
        let code = body["code"].as_str().unwrap_or_default();
        assert!(focusboard::error::AppError::CODES.contains(&code), "a problem has a known code: {body}");
        assert_eq!(body["type"], format!("urn:focusboard:problem:{code}"));
    }
    (status, body)
}

/// A real SMTP server on loopback (`tests/support/smtp_sink.py`, aiosmtpd) that keeps every
/// message it accepts; some recipients fail on purpose (see the script). Stops when dropped.
pub struct SmtpSink {
    child: std::process::Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    pub fn start() -> Self {
        use std::io::BufRead;
        let dir = tempfile::tempdir().expect("temp dir");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg("--dir")
            .arg(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the SMTP sink (python3 with aiosmtpd; scripts/test installs it)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("sink output");
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("SMTP sink did not start: {line:?}"));
        SmtpSink { child, port, dir }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, in order of arrival.
    pub fn messages(&self) -> Vec<Received> {
        let mut files: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("sink folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files.into_iter().map(|p| Received { raw: std::fs::read(p).expect("message") }).collect()
    }

    /// Messages received for `address`.
    pub fn to(&self, address: &str) -> Vec<Received> {
        self.messages().into_iter().filter(|m| m.envelope_to() == address).collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real IMAP server on loopback: Debian's Dovecot, started in the foreground with its own
/// configuration in a temporary folder, serving one mailbox over TLS (imaps) with a
/// certificate from a certificate authority made for the test. Messages are delivered by
/// writing them into the mailbox's Maildir, as a mail server would.
pub struct ImapServer {
    child: std::process::Child,
    pub port: u16,
    dir: tempfile::TempDir,
    n: std::sync::atomic::AtomicUsize,
}

impl ImapServer {
    pub const USER: &'static str = "replies";
    pub const PASSWORD: &'static str = "imap secret";

    pub fn start() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        // Dovecot's own users must reach the mailbox inside the folder.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl").args(args).current_dir(d).output().expect("openssl");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=focusboard test CA",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.csr",
            "-subj",
            "/CN=localhost",
        ]);
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n",
        )
        .expect("ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "cert.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ]);
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let home = d.join("home").join(Self::USER);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(home.join("Maildir").join(sub)).expect("maildir");
        }
        std::fs::write(d.join("passwd"), format!("{}:{{PLAIN}}{}::::::\n", Self::USER, Self::PASSWORD))
            .expect("passwd");
        let dh = if std::path::Path::new("/usr/share/dovecot/dh.pem").exists() {
            "ssl_dh = </usr/share/dovecot/dh.pem\n"
        } else {
            ""
        };
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\nprotocols = imap\n\
             listen = 127.0.0.1\nssl = required\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n{dh}\
             default_login_user = dovenull\ndefault_internal_user = dovecot\n\
             auth_mechanisms = plain\ndisable_plaintext_auth = yes\nfirst_valid_uid = 1\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid=dovecot gid=dovecot home={d}/home/%u\n}}\n\
             mail_location = maildir:~/Maildir\n\
             service imap-login {{\n  inet_listener imap {{\n    port = 0\n  }}\n  inet_listener imaps {{\n    port = {port}\n    ssl = yes\n  }}\n}}\n",
            d = d.display()
        );
        std::fs::write(d.join("dovecot.conf"), conf).expect("conf");
        let status = std::process::Command::new("chown").args(["-R", "dovecot:dovecot"]).arg(d.join("home")).status();
        assert!(status.is_ok_and(|s| s.success()), "chown the mailbox to dovecot");
        let child = std::process::Command::new("dovecot")
            .args(["-F", "-c"])
            .arg(d.join("dovecot.conf"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start dovecot (Debian's dovecot-imapd; scripts/test installs it)");
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(20),
                "dovecot did not start: {}",
                std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        ImapServer { child, port, dir, n: Default::default() }
    }

    /// Settings that read this mailbox, trusting the test's certificate authority.
    pub fn configure(&self, s: &mut Settings) {
        s.imap_url = format!("imaps://{}:{}@localhost:{}", Self::USER, Self::PASSWORD.replace(' ', "%20"), self.port);
        s.imap_ca_file = self.dir.path().join("ca.pem");
    }

    /// Puts a message in the mailbox's inbox.
    pub fn deliver(&self, raw: &[u8]) {
        let n = self.n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let maildir = self.dir.path().join("home").join(Self::USER).join("Maildir");
        let name = format!("{}.M{n}P{}.test", 1_700_000_000 + n, std::process::id());
        let tmp = maildir.join("tmp").join(&name);
        std::fs::write(&tmp, raw).expect("write message");
        let _ = std::process::Command::new("chown").args(["dovecot:dovecot"]).arg(&tmp).status();
        std::fs::rename(&tmp, maildir.join("new").join(&name)).expect("deliver");
    }

    /// How many messages are in `folder` (the inbox is "", others by name), new and seen.
    pub fn count(&self, folder: &str) -> usize {
        let mut base = self.dir.path().join("home").join(Self::USER).join("Maildir");
        if !folder.is_empty() {
            base = base.join(format!(".{folder}"));
        }
        ["new", "cur"].iter().map(|s| std::fs::read_dir(base.join(s)).map(|d| d.count()).unwrap_or(0)).sum()
    }
}

impl Drop for ImapServer {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "dovecot log:\n{}",
                std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message as the SMTP server received it.
pub struct Received {
    pub raw: Vec<u8>,
}

impl Received {
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default().parse(&self.raw).expect("a parseable message")
    }
    pub fn envelope_to(&self) -> String {
        self.header("X-Envelope-To").unwrap_or_default()
    }
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed().header_raw(name).map(|v| v.trim().to_string())
    }
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_string()
    }
    pub fn text(&self) -> String {
        self.parsed().body_text(0).map(|t| t.into_owned()).unwrap_or_default()
    }
    pub fn html(&self) -> String {
        self.parsed().body_html(0).map(|t| t.into_owned()).unwrap_or_default()
    }
    /// The first link in the plain-text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> String {
        let text = self.text();
        let start = text.find(prefix).unwrap_or_else(|| panic!("no link {prefix} in: {text}"));
        text[start..].split_whitespace().next().unwrap_or_default().to_string()
    }
}

/// A PNG of one colour, `w` × `h` pixels.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(w, h, image::Rgb([200, 80, 20]))
        .write_to(&mut buf, image::ImageFormat::Png)
        .expect("encode a PNG");
    buf.into_inner()
}

/// Reads the server's standard output up to "is listening on 127.0.0.1:PORT" and returns the
/// port; the rest of the output is drained in the background so the server never blocks on it.
pub fn listening_port(stdout: std::process::ChildStdout) -> u16 {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.expect("server output");
        if let Some(rest) = line.split("is listening on ").nth(1) {
            let addr: std::net::SocketAddr = rest.split_whitespace().next().unwrap().parse().unwrap();
            std::thread::spawn(move || lines.for_each(drop));
            return addr.port();
        }
    }
    panic!("the server stopped before it said where it listens");
}

/// A client that neither keeps cookies nor follows redirects: the cookie is handled by hand,
/// as an attacker holding a copy of it would.
pub fn raw() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("focusboard="))
        .map(|c| c.split(';').next().unwrap().to_string())
}

/// Signs in by hand; returns the session cookie.
pub async fn raw_login(app: &TestApp, email: &str) -> String {
    let c = raw();
    let res = c.get(app.url("/login")).send().await.unwrap();
    let cookie = session_cookie(&res).unwrap();
    let csrf = csrf_of(&res.text().await.unwrap());
    let res = c
        .post(app.url("/login"))
        .header("cookie", &cookie)
        .form(&[("csrf_token", csrf.as_str()), ("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "signed in: {}", res.status());
    session_cookie(&res).expect("a new cookie on sign-in")
}

/// The text of every entry of a ZIP container (XLSX, DOCX, QDPX), joined.
pub fn zip_text(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP container");
    let mut all = String::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let mut text = String::new();
        if file.read_to_string(&mut text).is_ok() {
            all.push_str(&text);
        }
    }
    all
}
