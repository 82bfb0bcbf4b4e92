//! HTTP: server-rendered pages by area (participant, moderator, account) and the JSON API.
//! Handlers are thin: they read the request, call one `service` function inside `db.run`, and
//! render the result as a page or as JSON.

pub mod analyst;
pub mod api;
pub mod assets;
pub mod auth;
pub mod errors;
pub mod health;
pub mod images;
pub mod mail;
pub mod moderation;
pub mod moderator;
pub mod participant;
pub mod session;

use crate::config::Settings;
use crate::db::{Db, DbConn};
use crate::error::AppResult;
use crate::service::{Actor, Ctx, Identity};
use actix_web::web;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Shared by every request.
pub struct AppState {
    pub db: Db,
    pub ctx: Ctx,
    pub settings: Settings,
    /// Sign-in attempts per client address.
    pub login_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AppState {
    pub fn new(db: Db, ctx: Ctx, settings: Settings) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(10).expect("non-zero"));
        Self { db, ctx, settings, login_limiter: Arc::new(RateLimiter::keyed(quota)) }
    }

    /// Loads the person behind `identity` and runs `f` with them on a pooled connection.
    pub async fn as_actor<T, F>(&self, identity: Identity, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let ctx = self.ctx.clone();
        self.db
            .run(move |conn| {
                let actor = identity.load(conn)?;
                f(conn, &ctx, &actor)
            })
            .await
    }
}

/// The single URL map of the application.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api/v1").configure(api::configure))
        .route("/healthz", web::get().to(health::healthz))
        .route("/assets/{file:.*}", web::get().to(assets::serve))
        .configure(auth::configure)
        .configure(participant::configure)
        .configure(moderator::configure)
        .configure(mail::configure)
        .configure(moderation::configure)
        .configure(images::configure)
        .configure(analyst::configure);
}
