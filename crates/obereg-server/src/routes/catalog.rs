//! The tenant's catalog: read the version in force, upload a new one, browse history.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use obereg_core::catalog::Diagnostic;
use obereg_engine::Engine;
use obereg_engine::{CatalogVersionRecord, CatalogVersionSummary};
use serde::Serialize;
use utoipa::ToSchema;

use super::rfc3339;
use crate::extract::{Caller, TomlText};
use crate::problem::{ApiError, ProblemBody};

/// A stored catalog version.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogView {
    pub tenant: String,
    pub version: i64,
    /// Hex SHA-256 of the TOML source.
    pub sha256: String,
    pub created_at: String,
    /// Id of the token that uploaded it; null when loaded at set-up.
    pub created_by: Option<String>,
    /// The parsed catalog (see docs/catalog.md for its fields).
    #[schema(value_type = Object)]
    pub catalog: serde_json::Value,
}

/// Outcome of an upload: the version in force and any warnings.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogPutView {
    pub version: i64,
    pub sha256: String,
    /// False when the upload equals the version in force (nothing new was stored).
    pub created: bool,
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<Diagnostic>,
}

/// One line of the version history.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogVersionView {
    pub version: i64,
    pub sha256: String,
    pub created_at: String,
    pub created_by: Option<String>,
}

impl From<CatalogVersionSummary> for CatalogVersionView {
    fn from(v: CatalogVersionSummary) -> Self {
        Self { version: v.version, sha256: v.sha256, created_at: rfc3339(v.created_at), created_by: v.created_by }
    }
}

fn wants_toml(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/toml"))
}

fn toml_response(record: CatalogVersionRecord) -> Response {
    let mut response = record.source.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/toml; charset=utf-8"));
    response
}

/// The catalog in force. `Accept: application/toml` returns the TOML source as uploaded.
#[utoipa::path(get, path = "/v1/catalog", tag = "catalog", security(("bearer" = [])), responses(
    (status = 200, description = "the catalog in force", body = CatalogView),
    (status = 401, description = "no valid token", body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "the tenant has no catalog yet", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn get_catalog(State(engine): State<Engine>, Caller(actor): Caller, headers: HeaderMap) -> Result<Response, ApiError> {
    let current = engine.current_catalog(&actor).await?;
    if wants_toml(&headers) {
        return Ok(toml_response(current.version));
    }
    let catalog = serde_json::to_value(&*current.catalog)
        .map_err(|_| ApiError::from(obereg_engine::EngineError::Internal("catalog serialisation")))?;
    let v = current.version;
    Ok(Json(CatalogView {
        tenant: v.tenant_id,
        version: v.version,
        sha256: v.sha256,
        created_at: rfc3339(v.created_at),
        created_by: v.created_by,
        catalog,
    })
    .into_response())
}

/// Uploads a new catalog version (TOML). It is checked with the same rules and messages as
/// `obereg check`; an invalid catalog changes nothing. Re-sending the version in force is a
/// no-op answered with 200.
#[utoipa::path(put, path = "/v1/catalog", tag = "catalog", security(("bearer" = [])),
    request_body(content = String, content_type = "application/toml", description = "the catalog in TOML, see docs/catalog.md"),
    responses(
        (status = 201, description = "stored as a new version", body = CatalogPutView),
        (status = 200, description = "identical to the version in force; nothing stored", body = CatalogPutView),
        (status = 403, description = "not an admin token", body = ProblemBody, content_type = "application/problem+json"),
        (status = 413, description = "body too large", body = ProblemBody, content_type = "application/problem+json"),
        (status = 415, description = "not TOML", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "invalid catalog; `errors` lists every finding", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn put_catalog(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    TomlText(source): TomlText,
) -> Result<(StatusCode, Json<CatalogPutView>), ApiError> {
    let put = engine.put_catalog(&actor, &source).await?;
    let status = if put.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((
        status,
        Json(CatalogPutView { version: put.version.version, sha256: put.version.sha256, created: put.created, warnings: put.warnings }),
    ))
}

/// Every stored version, newest first.
#[utoipa::path(get, path = "/v1/catalog/versions", tag = "catalog", security(("bearer" = [])), responses(
    (status = 200, description = "version history", body = Vec<CatalogVersionView>),
    (status = 401, description = "no valid token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn list_versions(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<Vec<CatalogVersionView>>, ApiError> {
    Ok(Json(engine.catalog_versions(&actor).await?.into_iter().map(Into::into).collect()))
}

/// One stored version's TOML source.
#[utoipa::path(get, path = "/v1/catalog/versions/{version}", tag = "catalog", security(("bearer" = [])),
    params(("version" = i64, Path, description = "version number, from 1")),
    responses(
        (status = 200, description = "the TOML source", body = String, content_type = "application/toml"),
        (status = 404, description = "no such version", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn get_version(State(engine): State<Engine>, Caller(actor): Caller, Path(version): Path<String>) -> Result<Response, ApiError> {
    let version: i64 = version.parse().map_err(|_| ApiError::not_found())?;
    Ok(toml_response(engine.catalog_version(&actor, version).await?))
}
