use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use std::time::Duration;

/// How long the health check waits for the database: a load balancer must see 503 within
/// its own timeout, not wait out the pool's ten seconds.
const HEALTH_DEADLINE: Duration = Duration::from_secs(2);

/// 200 when the database answers within two seconds, 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.load(std::sync::atomic::Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "shutting down"}));
    }
    let check = state.db.run_within(HEALTH_DEADLINE, crate::db::ping);
    match tokio::time::timeout(HEALTH_DEADLINE, check).await {
        Ok(Ok(())) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Ok(Err(e)) => {
            tracing::warn!(error = ?e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unreachable"}))
        }
        Err(_) => {
            tracing::warn!("health check: the database did not answer within 2 s");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unreachable"}))
        }
    }
}
