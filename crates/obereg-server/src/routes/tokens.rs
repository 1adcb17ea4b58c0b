//! API tokens of the caller's tenant: issue, list, revoke. Admin tokens only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use obereg_engine::TokenRecord;
use obereg_engine::{Engine, IssuedToken};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rfc3339;
use crate::extract::{Caller, JsonBody};
use crate::problem::{ApiError, ProblemBody};

/// What to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// `admin`, `platform` (platform tokens only) or a `[[roles]]` id of the catalog.
    pub role: String,
    /// What the token is for; no personal data.
    pub label: String,
}

/// A token as listed: never its secret or hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub role: String,
    pub label: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

impl From<TokenRecord> for TokenView {
    fn from(t: TokenRecord) -> Self {
        Self { id: t.id, role: t.role, label: t.label, created_at: rfc3339(t.created_at), revoked_at: t.revoked_at.map(rfc3339) }
    }
}

/// A token just issued, with its secret. The secret is shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedTokenView {
    pub id: String,
    pub tenant: String,
    pub role: String,
    pub label: String,
    pub created_at: String,
    /// The bearer token; store it now, it cannot be shown again.
    pub token: String,
}

impl From<IssuedToken> for IssuedTokenView {
    fn from(t: IssuedToken) -> Self {
        Self {
            token: t.secret.reveal_once().to_owned(),
            id: t.id,
            tenant: t.tenant,
            role: t.role.as_str().to_owned(),
            label: t.label,
            created_at: rfc3339(t.created_at),
        }
    }
}

/// The tenant's tokens, newest first.
#[utoipa::path(get, path = "/v1/tokens", tag = "tokens", security(("bearer" = [])), responses(
    (status = 200, description = "tokens", body = Vec<TokenView>),
    (status = 403, description = "not an admin token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn list_tokens(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<Vec<TokenView>>, ApiError> {
    Ok(Json(engine.list_tokens(&actor).await?.into_iter().map(Into::into).collect()))
}

/// Issues a token in the caller's tenant.
#[utoipa::path(post, path = "/v1/tokens", tag = "tokens", security(("bearer" = [])), request_body = CreateToken, responses(
    (status = 201, description = "issued; the secret is in `token`", body = IssuedTokenView),
    (status = 400, description = "malformed body", body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, description = "not an admin token", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "unknown role or bad label", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn create_token(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<CreateToken>,
) -> Result<(StatusCode, Json<IssuedTokenView>), ApiError> {
    let issued = engine.create_token(&actor, &body.role, &body.label).await?;
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// Revokes a token; it stops working at once.
#[utoipa::path(delete, path = "/v1/tokens/{id}", tag = "tokens", security(("bearer" = [])),
    params(("id" = String, Path, description = "token id")),
    responses(
        (status = 204, description = "revoked"),
        (status = 404, description = "no such active token in this tenant", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn revoke_token(State(engine): State<Engine>, Caller(actor): Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    engine.revoke_token(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
