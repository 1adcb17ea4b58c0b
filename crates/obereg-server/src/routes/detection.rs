//! Personal-data detection over HTTP (docs/detect.md): `POST /v1/detect` lists what a text
//! holds, `POST /v1/redact` returns it replaced. Any token of the tenant may call them
//! (nothing stored is read or kept); keyed pseudonyms need an administrator's token.

use axum::Json;
use axum::extract::State;
use obereg_engine::Engine;
use obereg_engine::detection::RedactionMethod;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{Caller, JsonBody};
use crate::problem::{ApiError, ProblemBody};

/// A text to look at.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectIn {
    pub text: String,
}

/// A text to redact, and how.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedactIn {
    pub text: String,
    /// `label` (default), `mask` or `pseudonym` (administrators).
    #[schema(value_type = Option<String>)]
    pub method: Option<RedactionMethod>,
}

/// What the text holds: type, UTF-8 byte span, confidence, reason; never the value.
#[derive(Debug, Serialize, ToSchema)]
pub struct DetectOut {
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<obereg_detect::Finding>,
}

/// The redacted text and what was replaced (spans into the original).
#[derive(Debug, Serialize, ToSchema)]
pub struct RedactOut {
    pub text: String,
    #[schema(value_type = Vec<Object>)]
    pub findings: Vec<obereg_detect::Finding>,
}

/// Finds personal data in a text.
#[utoipa::path(post, path = "/v1/detect", tag = "detection", security(("bearer" = [])), request_body = DetectIn, responses(
    (status = 200, description = "the findings", body = DetectOut),
    (status = 400, description = "malformed JSON", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn detect(State(engine): State<Engine>, Caller(actor): Caller, JsonBody(body): JsonBody<DetectIn>) -> Json<DetectOut> {
    Json(DetectOut { findings: engine.detect_for(&actor, &body.text) })
}

/// Replaces the personal data in a text by type label, mask or keyed pseudonym.
#[utoipa::path(post, path = "/v1/redact", tag = "detection", security(("bearer" = [])), request_body = RedactIn, responses(
    (status = 200, description = "the redacted text", body = RedactOut),
    (status = 400, description = "malformed JSON or an unknown method", body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, description = "pseudonyms without an administrator's token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn redact(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<RedactIn>,
) -> Result<Json<RedactOut>, ApiError> {
    let (text, findings) = engine.redact_for(&actor, &body.text, body.method.unwrap_or(RedactionMethod::Label))?;
    Ok(Json(RedactOut { text, findings }))
}
