//! The JSON API under `/api/v1`: every action of the pages, with the same service functions and
//! so the same permissions. Clients authenticate with `Authorization: Bearer <token>`: a staff
//! member's token from their account page, or a participant's exchanged from their sign-in
//! link. Errors are RFC 9457 problem documents.

mod analysis;
pub mod common;
mod handlers;
mod images;
pub mod openapi;

use super::errors::ApiError;
use crate::error::AppError;
use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default().error_handler(|err, _| ApiError(AppError::BadRequest(err.to_string())).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        ApiError(AppError::BadRequest(format!("The query string is not as expected: {err}"))).into()
    }))
    .route("/openapi.json", web::get().to(openapi::serve));
    handlers::configure(cfg);
    analysis::configure(cfg);
}
