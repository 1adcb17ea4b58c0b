//! Tenants: created and listed with a platform token.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use obereg_engine::TenantRecord;
use obereg_engine::{Engine, NewTenant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rfc3339;
use super::tokens::IssuedTokenView;
use crate::extract::{Caller, JsonBody};
use crate::problem::{ApiError, ProblemBody};

/// A tenant to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTenant {
    /// Lowercase latin letters, digits and `-`, starting with a letter.
    pub id: String,
    pub name: String,
    /// The first catalog as TOML; optional, the tenant's admin may upload it later.
    pub catalog: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantView {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

impl From<TenantRecord> for TenantView {
    fn from(t: TenantRecord) -> Self {
        Self { id: t.id, name: t.name, created_at: rfc3339(t.created_at) }
    }
}

/// A new tenant and its first admin token.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenantView {
    pub tenant: TenantView,
    pub admin_token: IssuedTokenView,
}

/// Every tenant.
#[utoipa::path(get, path = "/v1/tenants", tag = "tenants", security(("bearer" = [])), responses(
    (status = 200, description = "tenants", body = Vec<TenantView>),
    (status = 403, description = "not a platform token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn list_tenants(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<Vec<TenantView>>, ApiError> {
    Ok(Json(engine.list_tenants(&actor).await?.into_iter().map(Into::into).collect()))
}

/// Creates a tenant with its first admin token (and optionally its first catalog).
#[utoipa::path(post, path = "/v1/tenants", tag = "tenants", security(("bearer" = [])), request_body = CreateTenant, responses(
    (status = 201, description = "created", body = CreatedTenantView),
    (status = 403, description = "not a platform token", body = ProblemBody, content_type = "application/problem+json"),
    (status = 409, description = "the tenant exists", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "bad id or name, or invalid catalog", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn create_tenant(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<CreateTenant>,
) -> Result<(StatusCode, Json<CreatedTenantView>), ApiError> {
    let new = NewTenant { id: body.id, name: body.name, catalog_source: body.catalog };
    let (tenant, token) = engine.create_tenant(&actor, new).await?;
    Ok((StatusCode::CREATED, Json(CreatedTenantView { tenant: tenant.into(), admin_token: token.into() })))
}
