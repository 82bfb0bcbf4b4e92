//! Building and running the application: the same code path for `focusboard serve` and for
//! the integration tests, which bind port 0 and bring their own clock.

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db::Db;
use crate::email::inbound::InboxWorker;
use crate::email::transport::{self, Mailer};
use crate::email::worker::OutboxWorker;
use crate::scheduler::Scheduler;
use crate::service::{self, Ctx};
use crate::web::{self, errors, AppState};
use actix_session::config::PersistentSession;
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::{Server, ServiceResponse};
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web as aweb, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    state: aweb::Data<AppState>,
    /// How long a stopping instance keeps answering while it reports itself unhealthy.
    drain: Duration,
    pub db: Db,
    pub ctx: Ctx,
    pub scheduler: Scheduler,
    pub outbox: OutboxWorker,
    /// Reads replies by email from the mailbox (or the drop folder).
    pub inbox: InboxWorker,
    inbox_every: Duration,
    scheduler_every: Duration,
    outbox_every: Duration,
    /// How often "read up to here" marks are written (None: only before counts and at stop).
    reads_every: Option<Duration>,
    background: bool,
}

impl Application {
    /// Connects, migrates, and binds the listener; nothing is served until `run_until_stopped`.
    /// `background` runs the scheduler and the outbox worker beside the server (tests drive
    /// them by hand instead).
    pub fn build(settings: Settings, clock: SharedClock, background: bool) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        Self::build_on(listener, settings, clock, background)
    }

    /// As `build`, on a listener already bound: the tests bind port 0 and read the port back,
    /// so no other process can take it in between.
    pub fn build_on(
        listener: TcpListener,
        settings: Settings,
        clock: SharedClock,
        background: bool,
    ) -> anyhow::Result<Self> {
        let (db, ctx) = prepare(&settings, clock.clone())?;
        let outbox = outbox_worker(&settings, db.clone(), clock)?;
        let inbox = InboxWorker::from_settings(&settings, db.clone(), ctx.clone())?;
        let address = listener.local_addr()?;
        let state = aweb::Data::new(AppState::new(db.clone(), ctx.clone(), settings.clone())?);
        let key = session_key(&settings)?;
        let cookie_key = Key::from(&key);
        let secure = settings.secure_cookies();
        let max_body = settings.max_body_bytes;
        let session_days = settings.session_days.max(1);
        let deadline = aweb::Data::new(web::deadline::BodyDeadline {
            idle: Duration::from_secs(settings.body_idle_secs.max(1)),
            total: Duration::from_secs(settings.body_total_secs.max(1)),
        });
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(deadline.clone())
                .app_data(aweb::PayloadConfig::new(max_body))
                .app_data(web::api::common::json_config(max_body))
                .wrap(ErrorHandlers::new().default_handler(foreign_error))
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), cookie_key.clone())
                        .cookie_name("focusboard".into())
                        .cookie_secure(secure)
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        .session_lifecycle(
                            PersistentSession::default()
                                .session_ttl(actix_web::cookie::time::Duration::days(session_days)),
                        )
                        .build(),
                )
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "same-origin"))
                        .add((
                            "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
                        )),
                )
                .wrap(actix_web::middleware::from_fn(web::deadline::enforce))
                .wrap(actix_web::middleware::from_fn(no_store_by_default))
                .wrap(actix_web::middleware::from_fn(close_when_draining))
                .wrap(tracing_actix_web::TracingLogger::<crate::telemetry::RequestSpan>::new())
                .configure(web::configure)
                .default_service(aweb::to(errors::not_found))
        })
        .listen(listener)?
        .shutdown_timeout(20)
        // SIGTERM is handled below: drain first, then stop.
        .disable_signals()
        .run();
        Ok(Self {
            address,
            server,
            state: app_state,
            drain: Duration::from_secs(settings.shutdown_drain_secs),
            scheduler: Scheduler::new(db.clone(), ctx.clone()),
            ctx,
            outbox,
            inbox,
            inbox_every: Duration::from_secs(settings.inbox_interval_secs.max(1)),
            db,
            scheduler_every: Duration::from_secs(settings.scheduler_interval_secs.max(1)),
            outbox_every: Duration::from_millis(settings.outbox_interval_ms.max(50)),
            reads_every: (settings.read_marks_flush_ms > 0)
                .then(|| Duration::from_millis(settings.read_marks_flush_ms)),
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The address the server listens on (with `bind` at port 0, the port the system chose).
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// Serves until SIGTERM or Ctrl-C (actix stops accepting, lets requests in flight finish),
    /// with the scheduler and the outbox worker running beside the server. A message being
    /// sent when the worker stops is taken up again after its lease, by this or another instance.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let tasks = if self.background {
            vec![
                tokio::spawn(self.scheduler.clone().run(self.scheduler_every)),
                tokio::spawn(self.outbox.clone().run(self.outbox_every)),
                tokio::spawn(self.inbox.clone().run(self.inbox_every)),
            ]
        } else {
            Vec::new()
        };
        let marks =
            self.reads_every.map(|every| tokio::spawn(flush_read_marks(self.db.clone(), self.ctx.clone(), every)));
        let handle = self.server.handle();
        let (state, drain) = (self.state.clone(), self.drain);
        let signals = tokio::spawn(async move {
            wait_for_stop_signal().await;
            // Report unhealthy and close connections after each answer, keep answering for a
            // while so the load balancer moves away, then stop accepting and let requests in
            // flight finish.
            tracing::info!(drain_secs = drain.as_secs(), "stop requested: draining");
            state.draining.store(true, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(drain).await;
            handle.stop(true).await;
        });
        let result = self.server.await;
        signals.abort();
        // No view notes a mark any more: the last ones are written before the process exits.
        if let Some(marks) = marks {
            marks.abort();
        }
        match write_read_marks(&self.db, &self.ctx).await {
            Ok(n) => tracing::info!(marks = n, "read marks written"),
            Err(e) => tracing::warn!(error = %e.detail(), "read marks could not be written at stop"),
        }
        // The server has answered what was in flight. The worker stops claiming, finishes the
        // messages it is sending and puts back the rest; then the process may exit.
        self.outbox.stop();
        let mut tasks = tasks.into_iter();
        if let Some(scheduler) = tasks.next() {
            scheduler.abort();
        }
        if let Some(worker) = tasks.next() {
            if tokio::time::timeout(Duration::from_secs(30), worker).await.is_err() {
                tracing::warn!("the outbox worker did not stop within 30 s; its claims return after their lease");
            }
        }
        // A message read but not yet committed is read again by the next pass, and posted once.
        if let Some(inbox) = tasks.next() {
            inbox.abort();
        }
        tracing::info!("server stopped");
        Ok(result?)
    }
}

/// Writes the views' "read up to here" marks every `every`, together, through the writer.
async fn flush_read_marks(db: Db, ctx: Ctx, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if ctx.reads.waiting() == 0 {
            continue;
        }
        if let Err(e) = write_read_marks(&db, &ctx).await {
            tracing::warn!(error = %e.detail(), "read marks not written; trying again");
        }
    }
}

/// Every mark waiting, in one job of the writer: how many were written.
async fn write_read_marks(db: &Db, ctx: &Ctx) -> crate::error::AppResult<usize> {
    let reads = ctx.reads.clone();
    db.write(move |conn| service::reads::flush_all(conn, &reads)).await
}

/// The outbox worker with the configured transport and sender.
pub fn outbox_worker(settings: &Settings, db: Db, clock: SharedClock) -> anyhow::Result<OutboxWorker> {
    Ok(OutboxWorker::new(
        db,
        clock,
        Arc::new(Mailer::from_settings(settings)?),
        transport::sender(settings)?,
        settings.email_max_attempts,
        time::Duration::seconds(settings.email_retry_secs.max(1)),
        settings.smtp_connections as usize,
        settings.instance_name(),
        time::Duration::seconds(settings.email_lease_secs.max(10)),
    ))
}

/// Opens and migrates the database and builds the services' context: all that the commands
/// other than `serve` need.
pub fn prepare(settings: &Settings, clock: SharedClock) -> anyhow::Result<(Db, Ctx)> {
    let db = Db::connect_with(
        &settings.database_url,
        settings.db_pool_size,
        settings.sqlite_synchronous,
        settings.sqlite_group_commit,
    )?;
    let applied = db.migrate()?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "database migrated");
    }
    let uploads = settings.data_dir.join("uploads");
    let moved = db.get().map_err(|e| anyhow::anyhow!("{e}")).and_then(|mut conn| {
        crate::service::images::move_files_into_database(&mut conn, &uploads).map_err(|e| anyhow::anyhow!(e.detail()))
    })?;
    if moved > 0 {
        tracing::info!(images = moved, folder = %uploads.display(), "moved image files into the database");
    }
    let key = session_key(settings)?;
    let ctx = Ctx {
        clock,
        link_key: Arc::new(derive(&key, b"participant sign-in links")),
        mail_key: Arc::new(derive(&key, b"unsubscribe links")),
        base_url: settings.base().to_string(),
        link_days: settings.sign_in_link_days,
        session_idle: time::Duration::hours(settings.session_idle_hours.max(1)),
        session_max: time::Duration::days(settings.session_days.max(1)),
        token_days: settings.token_days.max(1),
        reads: Arc::default(),
        outlines: Arc::default(),
        reply_address: settings.reply_address().to_string(),
    };
    Ok((db, ctx))
}

/// SIGTERM or Ctrl-C.
async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// While draining, each response closes its connection, so no client sends another request
/// down a connection that is about to close.
async fn close_when_draining(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> actix_web::Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>> {
    let draining =
        req.app_data::<aweb::Data<AppState>>().is_some_and(|s| s.draining.load(std::sync::atomic::Ordering::SeqCst));
    let mut res = next.call(req).await?;
    if draining {
        res.response_mut().head_mut().set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(res)
}

/// Pages, JSON and downloads carry participants' words, names and sign-in links: no browser or
/// proxy may keep them. Only responses that set their own policy (the public assets) differ.
async fn no_store_by_default(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> actix_web::Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>> {
    use actix_web::http::header::{HeaderValue, CACHE_CONTROL};
    let mut res = next.call(req).await?;
    if !res.headers().contains_key(CACHE_CONTROL) {
        res.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// Errors raised inside actix itself (an unreadable path, a body over the limit, a wrong
/// method) get the same page or problem document as the application's own errors.
fn foreign_error<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let foreign = res
        .response()
        .error()
        .filter(|e| e.as_error::<errors::PageError>().is_none() && e.as_error::<errors::ApiError>().is_none());
    let Some(err) = foreign else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    use crate::error::AppError;
    let limit = res.request().app_data::<aweb::Data<AppState>>().map_or(0, |s| s.settings.max_body_bytes);
    let message = err.to_string();
    let app = match res.status().as_u16() {
        401 => AppError::Unauthorized,
        408 => AppError::Timeout,
        403 => AppError::Forbidden(message),
        404 => AppError::NotFound(message),
        413 => AppError::PayloadTooLarge(limit),
        s if s >= 500 => AppError::Internal(anyhow::anyhow!(message)),
        _ => AppError::BadRequest(message),
    };
    let (req, _) = res.into_parts();
    let response =
        if req.path().starts_with("/api/") { errors::problem(&app) } else { errors::page_response(&app, &req) };
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

/// The 64-byte session key: from the settings, or generated once and kept in the data folder.
fn session_key(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if !settings.session_key.is_empty() {
        let key = hex::decode(settings.session_key.trim())
            .map_err(|_| anyhow::anyhow!("session_key must be 128 hexadecimal characters"))?;
        anyhow::ensure!(key.len() >= 64, "session_key must be 64 bytes (128 hexadecimal characters)");
        return Ok(key);
    }
    let path = settings.data_dir.join("session.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Ok(key) = hex::decode(text.trim()) {
            if key.len() >= 64 {
                return Ok(key);
            }
        }
    }
    let key = Key::generate().master().to_vec();
    std::fs::create_dir_all(&settings.data_dir)?;
    std::fs::write(&path, hex::encode(&key))?;
    tracing::info!(path = %path.display(), "generated a session key; set session_key to share one between instances");
    Ok(key)
}

/// A sub-key for one purpose, so the session key is never used directly for two things.
fn derive(key: &[u8], purpose: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(purpose);
    mac.finalize().into_bytes().to_vec()
}

pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}
