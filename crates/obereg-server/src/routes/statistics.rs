//! Anonymised statistics for partners: releases under k-anonymity or differential privacy,
//! their records, and each recipient's privacy budget (docs/statistics.md).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use obereg_engine::Engine;
use obereg_engine::statistics::{BudgetView, Release, ReleaseRecordView, StatsQuery};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::extract::{Caller, JsonBody};
use crate::problem::{ApiError, ProblemBody};

/// A recipient's total budget.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetIn {
    pub epsilon: f64,
    #[serde(default)]
    pub delta: f64,
}

/// Computes and releases an aggregate: `{"source", "group_by", "guarantee": {"kind":
/// "k_anonymity", "k"} | {"kind": "laplace", "epsilon"} | {"kind": "gaussian", "epsilon",
/// "delta"}, "recipient", "max_cells"?, "from"?, "to"?}`.
#[utoipa::path(post, path = "/v1/stats/releases", tag = "statistics", security(("bearer" = [])), request_body(content = Object), responses(
    (status = 201, description = "the released table, what it spent and what is left"),
    (status = 422, description = "a bad query, an unknown recipient, or a budget that does not cover it (nothing released)", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn release(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(query): JsonBody<StatsQuery>,
) -> Result<(StatusCode, Json<Release>), ApiError> {
    Ok((StatusCode::CREATED, Json(engine.release_statistics(&actor, query).await?)))
}

/// The record of every release (the numbers themselves are not kept, only their hash).
#[utoipa::path(get, path = "/v1/stats/releases", tag = "statistics", security(("bearer" = [])), responses(
    (status = 200, description = "the releases, newest first"),
))]
pub async fn releases(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<Vec<ReleaseRecordView>>, ApiError> {
    Ok(Json(engine.stat_releases(&actor).await?))
}

/// A recipient's budget, spent and left.
#[utoipa::path(get, path = "/v1/stats/budgets/{recipient}", tag = "statistics", security(("bearer" = [])), params(("recipient" = String, Path)), responses(
    (status = 200, description = "budget, spent, left as (epsilon, delta)"),
))]
pub async fn budget(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(recipient): Path<String>,
) -> Result<Json<BudgetView>, ApiError> {
    Ok(Json(engine.privacy_budget(&actor, &recipient).await?))
}

/// Sets a recipient's total budget. Administrators.
#[utoipa::path(put, path = "/v1/stats/budgets/{recipient}", tag = "statistics", security(("bearer" = [])), params(("recipient" = String, Path)), request_body = BudgetIn, responses(
    (status = 200, description = "the budget now"),
))]
pub async fn set_budget(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(recipient): Path<String>,
    JsonBody(body): JsonBody<BudgetIn>,
) -> Result<Json<BudgetView>, ApiError> {
    Ok(Json(engine.set_privacy_budget(&actor, &recipient, body.epsilon, body.delta).await?))
}
