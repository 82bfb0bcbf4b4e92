//! Uploading and serving images. Files are served only after the same checks as what they
//! belong to, never as static files.

use super::errors::PageResult;
use super::refill::{again, Sent};
use super::session::{self, redirect, Viewer};
use super::state::AppState;
use super::uploads::{alt_on_page, decode, image_form, image_response};
use crate::domain::ids::{ImageId, PostId, QuestionId, StageId};
use crate::error::AppError;
use crate::service::images::{self, Target};
use crate::service::Identity;
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/images/{image}", web::get().to(full))
        .route("/images/{image}/thumb", web::get().to(thumb))
        .route("/q/{question}/images", web::post().to(upload_to_question))
        .route("/posts/{post}/images", web::post().to(upload_to_post))
        .route("/stages/{stage}/images", web::post().to(upload_to_stage));
}

async fn serve(state: &AppState, identity: Identity, id: ImageId, thumb: bool) -> Result<HttpResponse, AppError> {
    let (content_type, bytes) =
        state.as_actor(identity, move |conn, _, actor| images::serve(conn, actor, &id, thumb)).await?;
    Ok(image_response(content_type, bytes))
}

async fn full(state: web::Data<AppState>, viewer: Viewer, id: web::Path<ImageId>) -> PageResult {
    Ok(serve(&state, viewer.identity.clone(), id.into_inner(), false).await?)
}

async fn thumb(state: web::Data<AppState>, viewer: Viewer, id: web::Path<ImageId>) -> PageResult {
    Ok(serve(&state, viewer.identity.clone(), id.into_inner(), true).await?)
}

#[derive(Clone, Copy)]
enum To {
    Question,
    Post,
    Stage,
    Summary,
}

async fn upload(
    state: &AppState,
    viewer: &Viewer,
    payload: Multipart,
    to: To,
    id: String,
    sent: &mut Sent,
) -> Result<images::ImageView, AppError> {
    let mut fields = image_form(viewer, payload, sent).await?;
    let file = fields.remove("file").unwrap_or_default();
    let alt = String::from_utf8_lossy(&fields.remove("alt_text").unwrap_or_default()).into_owned();
    if file.is_empty() {
        return Err(AppError::invalid_field("file", "Choose an image to upload."));
    }
    let to = match (to, fields.remove("for").as_deref()) {
        (To::Stage, Some(b"summary")) => To::Summary,
        (to, _) => to,
    };
    let (i, a) = (id.clone(), alt.clone());
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            images::authorize_upload(conn, ctx, actor, page_target(to, &i), &a).map(drop)
        })
        .await
        .map_err(alt_on_page)?;
    let processed = decode(file).await?;
    state
        .as_actor(viewer.identity.clone(), move |conn, ctx, actor| {
            images::store_upload(conn, ctx, actor, page_target(to, &id), &alt, processed)
        })
        .await
}

fn page_target(to: To, id: &str) -> Target {
    match to {
        To::Question => Target::Question(id.into()),
        To::Post => Target::Post(id.into()),
        To::Stage => Target::Stage(id.into()),
        To::Summary => Target::Summary(id.into()),
    }
}

async fn upload_to_question(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: web::Path<QuestionId>,
    payload: Multipart,
) -> PageResult {
    let qid = q.into_inner();
    let mut sent = Sent::new(&format!("/q/{qid}/images"), Vec::new());
    if let Err(e) = upload(&state, &viewer, payload, To::Question, qid.to_string(), &mut sent).await {
        return again(e, &sent, super::participant::page_of_question(state, viewer, qid)).await;
    }
    session::notice(&viewer.session, "The image is added to the question.");
    Ok(redirect(&format!("/q/{qid}")))
}

async fn upload_to_post(
    state: web::Data<AppState>,
    viewer: Viewer,
    p: web::Path<PostId>,
    payload: Multipart,
) -> PageResult {
    let pid = p.into_inner();
    let mut sent = Sent::new(&format!("/posts/{pid}/images"), Vec::new());
    let image = match upload(&state, &viewer, payload, To::Post, pid.to_string(), &mut sent).await {
        Ok(image) => image,
        Err(e) => return again(e, &sent, super::participant::page_of_post(state, viewer, pid)).await,
    };
    session::notice(&viewer.session, "The image is added to your post.");
    Ok(redirect(&format!("/q/{}?post={pid}#post-{pid}", image.question_id.map(|q| q.to_string()).unwrap_or_default())))
}

async fn upload_to_stage(
    state: web::Data<AppState>,
    viewer: Viewer,
    s: web::Path<StageId>,
    payload: Multipart,
) -> PageResult {
    let sid = s.into_inner();
    let mut sent = Sent::new(&format!("/stages/{sid}/images"), Vec::new());
    if let Err(e) = upload(&state, &viewer, payload, To::Stage, sid.to_string(), &mut sent).await {
        return again(e, &sent, super::setup::stage_page(state, viewer, sid.into())).await;
    }
    session::notice(&viewer.session, "The image is added.");
    Ok(redirect(&format!("/stages/{sid}")))
}
