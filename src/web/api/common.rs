//! What the API handlers share: the bearer token and the idempotency key of a request, and
//! the shapes of their answers.

use crate::db::DbConn;
use crate::domain::ids::QuestionId;
use crate::error::{AppError, AppResult};
use crate::service::{accounts, Actor, Ctx, Identity};
use crate::web::errors::{from_json_error, ApiError, ApiResult};
use crate::web::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde::Serialize;
use std::future::{ready, Ready};

/// The bearer token of a request, looked up when the handler runs.
#[derive(Clone)]
pub struct Bearer {
    token: Option<String>,
    /// Whether the request only reads: a read-only token may make no other.
    reads_only: bool,
}

impl FromRequest for Bearer {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_string());
        let reads_only = matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD);
        ready(Ok(Bearer { token, reads_only }))
    }
}

impl Bearer {
    /// Resolves the token to a person and runs `f` for them, all on one pooled connection.
    pub async fn run<T, F>(self, state: &AppState, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_on(state, On::Pool, f).await
    }

    /// For a view of `question`, a few indexed reads that may run on this thread
    /// (`Db::run_reads`): the token and the version of the question's board, read in one
    /// statement; `f` is given the identity behind the token and the version, for it to load
    /// the person (`Identity::load_with`, `PageCache::first_look_at`).
    pub async fn read_checked_at<T, F>(self, state: &AppState, question: QuestionId, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn, &Ctx, Identity, Option<i64>) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let token = self.token.ok_or(AppError::Unauthorized)?;
        let (reads_only, ctx) = (self.reads_only, state.ctx.clone());
        Ok(state
            .db
            .run_reads(move |conn| {
                let (identity, read_only, version) = accounts::identity_of_bearer_at(conn, &ctx, &token, &question)?;
                refuse_writes(read_only, reads_only)?;
                f(conn, &ctx, identity, version)
            })
            .await?)
    }

    /// As `run`, through the database's writer (`Db::write`): for the writes many
    /// participants make at once (posts, edits, agreements).
    pub async fn write<T, F>(self, state: &AppState, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.run_on(state, On::Writer, f).await
    }

    async fn run_on<T, F>(self, state: &AppState, on: On, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let token = self.token.ok_or(AppError::Unauthorized)?;
        let reads_only = self.reads_only;
        let ctx = state.ctx.clone();
        let job = move |conn: &mut DbConn| {
            let actor = checked(conn, &ctx, &token, reads_only)?.load(conn, &ctx)?;
            f(conn, &ctx, &actor)
        };
        Ok(match on {
            On::Pool => state.db.run(job).await?,
            On::Writer => state.db.write(job).await?,
        })
    }
}

/// The identity behind a bearer token, if the token holds and may make this request.
fn checked(conn: &mut DbConn, ctx: &Ctx, token: &str, reads_only: bool) -> AppResult<Identity> {
    let (identity, read_only) = accounts::identity_of_bearer(conn, ctx, token)?;
    refuse_writes(read_only, reads_only)?;
    Ok(identity)
}

/// A read-only token used for a request that may write.
fn refuse_writes(token_read_only: bool, request_reads_only: bool) -> AppResult<()> {
    if token_read_only && !request_reads_only {
        return Err(AppError::forbidden("This token may only read."));
    }
    Ok(())
}

/// Where a request's database work runs.
enum On {
    Pool,
    Writer,
}

/// The `Idempotency-Key` header of a request, if any.
pub struct IdempotencyKey(pub Option<String>);

impl FromRequest for IdempotencyKey {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string());
        ready(Ok(IdempotencyKey(key)))
    }
}

impl Bearer {
    /// As `run`, done once per `Idempotency-Key`: a retry with the same key gets the first
    /// answer (and `true`), not a second post.
    pub async fn run_once<T, F>(
        self,
        state: &AppState,
        key: IdempotencyKey,
        action: &'static str,
        f: F,
    ) -> ApiResult<(serde_json::Value, bool)>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        self.once_on(state, On::Pool, key, action, f).await
    }

    /// As `run_once`, through the database's writer.
    pub async fn write_once<T, F>(
        self,
        state: &AppState,
        key: IdempotencyKey,
        action: &'static str,
        f: F,
    ) -> ApiResult<(serde_json::Value, bool)>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        self.once_on(state, On::Writer, key, action, f).await
    }

    async fn once_on<T, F>(
        self,
        state: &AppState,
        on: On,
        key: IdempotencyKey,
        action: &'static str,
        f: F,
    ) -> ApiResult<(serde_json::Value, bool)>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Serialize + Send + 'static,
    {
        let key = key.0;
        self.run_on(state, on, move |conn, ctx, actor| {
            crate::service::idempotency::once(conn, ctx, actor, key.as_deref(), action, |conn| f(conn, ctx, actor))
        })
        .await
    }
}

/// A response for `run_once`: the status, the JSON, and `Idempotent-Replayed: true` on a replay.
pub fn once_response(
    status: actix_web::http::StatusCode,
    (value, replayed): (serde_json::Value, bool),
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.json(value)
}

/// JSON bodies up to the configured size; errors as problem documents.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default().limit(limit).error_handler(move |err, _| ApiError(from_json_error(&err, limit)).into())
}

/// A CSV file to download.
pub fn csv_download(body: &[u8], filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{filename}\"")))
        .body(body.to_vec())
}

pub fn json<T: Serialize>(value: T) -> HttpResponse {
    HttpResponse::Ok().json(value)
}

pub fn created<T: Serialize>(value: T) -> HttpResponse {
    HttpResponse::Created().json(value)
}

/// Reads a raw request body (a CSV upload) up to the configured limit.
pub async fn read_body(mut payload: web::Payload, limit: usize) -> AppResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| crate::web::errors::from_payload_error(&e, limit))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
