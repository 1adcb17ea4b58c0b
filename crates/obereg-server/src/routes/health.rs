//! Liveness and readiness.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use obereg_engine::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use crate::problem::ApiError;

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "alive", body = Status)))]
pub async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// The process can serve: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "ready", body = Status),
    (status = 503, description = "the database does not answer", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
))]
pub async fn readyz(State(engine): State<Engine>) -> Result<Json<Status>, ApiError> {
    match engine.ready().await {
        Ok(()) => Ok(Json(Status { status: "ready" })),
        Err(e) => {
            tracing::warn!(code = e.code(), "readiness check failed");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "service.not_ready",
                "the database does not answer",
                "база данных не отвечает",
            ))
        }
    }
}
