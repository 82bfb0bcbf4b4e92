use super::AppState;
use actix_web::{web, HttpResponse};

/// 200 when the database answers, 503 otherwise; for load balancers and orchestration.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.run(crate::db::ping).await {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({"status": "ok"})),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "database unreachable"}))
        }
    }
}
