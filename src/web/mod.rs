//! HTTP: server-rendered pages by area (participant, moderator, account) and the JSON API.
//! Handlers are thin: they read the request, call one `service` function inside `db.run`, and
//! render the result as a page or as JSON.

pub mod analyst;
pub mod api;
pub mod assets;
pub mod auth;
pub mod deadline;
pub mod email_pages;
pub mod errors;
pub mod health;
pub mod images;
pub mod moderation;
pub mod page_cache;
pub mod participant;
pub mod refill;
pub mod rights;
pub mod search;
pub mod session;
pub mod setup;
pub mod staff;
pub mod state;
pub mod threads;
pub mod uploads;

pub use state::AppState;

use actix_web::web;

/// The single URL map of the application.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Routes are tried in order, each dynamic one by its regex: the participants' pages, which
    // take most of the requests, come first.
    cfg.service(web::scope("/api/v1").configure(api::configure))
        .configure(participant::configure)
        .configure(rights::configure)
        .configure(search::configure)
        .route("/healthz", web::get().to(health::healthz))
        .route("/assets/{file:.*}", web::get().to(assets::serve))
        .configure(auth::configure)
        .configure(setup::configure)
        .configure(email_pages::configure)
        .configure(staff::configure)
        .configure(moderation::configure)
        .configure(images::configure)
        .configure(analyst::configure);
}
