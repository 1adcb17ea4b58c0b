//! Policy publications over HTTP (docs/retention.md, "Publishing the policy"): publish the
//! policy generated from the catalog with an effective date, list and read publications,
//! and the public text of each published version at a stable address.
//!
//! A publication's walk over subjects (notices, re-consent count) starts right after the
//! answer, in the background; the publication's `notices.done` turns true when it ends.
//! A walk an interruption stopped resumes with the server's periodic tasks.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use obereg_engine::Engine;
use obereg_engine::documents::{Publication, PublishPolicy};
use serde::Deserialize;
use utoipa::ToSchema;

use super::retention::{DocumentQuery, document_lang, document_response};
use crate::extract::{Caller, JsonBody, QueryParams};
use crate::problem::{ApiError, ProblemBody};

/// What to publish.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishIn {
    /// The first day the new version is in force (`YYYY-MM-DD`, Moscow time).
    pub effective_on: String,
    /// Email subjects about material changes before that day (default true).
    pub notify: Option<bool>,
}

/// Starts the walk of a new publication in the background.
pub(crate) fn start_walk(engine: Engine, tenant: String, id: String) {
    tokio::spawn(async move {
        if let Err(e) = engine.walk_publication(&tenant, &id, |_| {}).await {
            tracing::warn!(tenant = %tenant, publication = %id, code = e.code(), "publication walk failed; it resumes later");
        }
    });
}

/// Publishes the policy generated from the catalog in force, effective on the given day.
/// Material changes since the last publication are recorded; with `notify`, every active
/// subject with an email address is told before that day (one-click unsubscribe included).
#[utoipa::path(post, path = "/v1/documents/policy/publications", tag = "retention", security(("bearer" = [])), request_body = PublishIn, responses(
    (status = 201, description = "the publication; its walk over subjects runs in the background"),
    (status = 409, description = "another publication was made at the same time", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "a bad date, a date before a waiting publication's, or nothing new to publish", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn publish(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<PublishIn>,
) -> Result<(StatusCode, Json<Publication>), ApiError> {
    let effective_on: jiff::civil::Date = body.effective_on.parse().map_err(|_| {
        obereg_engine::EngineError::invalid(
            "policy.bad_effective_date",
            "`effective_on` is not a date (YYYY-MM-DD)",
            "`effective_on` — не дата (ГГГГ-ММ-ДД)",
        )
    })?;
    let publication = engine.publish_policy(&actor, PublishPolicy { effective_on, notify: body.notify.unwrap_or(true) }).await?;
    start_walk(engine, actor.tenant.clone(), publication.id.clone());
    Ok((StatusCode::CREATED, Json(publication)))
}

/// The tenant's policy publications, newest first, each with its status (upcoming, in
/// force, superseded), material changes and notice progress.
#[utoipa::path(get, path = "/v1/documents/policy/publications", tag = "retention", security(("bearer" = [])), responses(
    (status = 200, description = "the publications"),
))]
pub async fn list(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<Vec<Publication>>, ApiError> {
    Ok(Json(engine.publications(&actor).await?))
}

/// One policy publication.
#[utoipa::path(get, path = "/v1/documents/policy/publications/{id}", tag = "retention", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "the publication"),
    (status = 404, description = "no such publication", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn show(State(engine): State<Engine>, Caller(actor): Caller, Path(id): Path<String>) -> Result<Json<Publication>, ApiError> {
    Ok(Json(engine.publication(&actor, &id).await?))
}

/// The text of one published version (`/p/{tenant}/policy/{id}`), HTML unless `format=md`
/// or `json`; no token: notices link here.
pub async fn public_text(
    State(engine): State<Engine>,
    Path((tenant, id)): Path<(String, String)>,
    QueryParams(q): QueryParams<DocumentQuery>,
) -> Result<axum::response::Response, ApiError> {
    let lang = document_lang(q.lang.as_deref())?;
    document_response(engine.published_policy(&tenant, &id, lang).await?, q.format.as_deref().unwrap_or("html"))
}
