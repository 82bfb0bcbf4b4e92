//! The images of the API: uploads as the raw request body with the alt text in the query, and
//! the bytes of an image for those who may see it. Decoding and the response are shared with
//! the pages (`web::images`).

use super::common::{read_body, Bearer};
use crate::domain::ids::ImageId;
use crate::service::images::{self, Target};
use crate::web::errors::ApiResult;
use crate::web::state::AppState;
use crate::web::uploads::{decode, image_response, UPLOAD_LIMIT};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

fn api_target(kind: &str, summary: bool, id: &str) -> Target {
    Target::named(kind, summary, id)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AltQuery {
    /// What the image shows, for people who cannot see it.
    pub alt: String,
    /// For a stage: "summary" adds it to the stage's summary, otherwise to its introduction.
    #[serde(rename = "for")]
    pub target: Option<String>,
}

/// API: the image bytes as the request body, the alt text in the query.
pub async fn api_upload(
    state: &AppState,
    bearer: Bearer,
    kind: &'static str,
    id: String,
    query: AltQuery,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body = read_body(payload, UPLOAD_LIMIT).await?;
    let alt = query.alt;
    let summary = query.target.as_deref() == Some("summary");
    let (i, a) = (id.clone(), alt.clone());
    bearer
        .clone()
        .run(state, move |conn, ctx, actor| {
            images::authorize_upload(conn, ctx, actor, api_target(kind, summary, &i), &a).map(drop)
        })
        .await?;
    let processed = decode(body).await?;
    let view = bearer
        .run(state, move |conn, ctx, actor| {
            images::store_upload(conn, ctx, actor, api_target(kind, summary, &id), &alt, processed)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

pub async fn api_serve(state: &AppState, bearer: Bearer, id: ImageId, thumb: bool) -> ApiResult<HttpResponse> {
    let (content_type, bytes) = bearer.run(state, move |conn, _, actor| images::serve(conn, actor, &id, thumb)).await?;
    Ok(image_response(content_type, bytes))
}
