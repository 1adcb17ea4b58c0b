//! Technical logs: ingest a chunk of an access log, traffic statistics, and the journaled
//! re-identification of one address on one day (docs/weblogs.md). Large files go through
//! `obereg logs ingest`; the API takes what a log shipper posts, up to the body limit.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use obereg_engine::weblogs::{IngestReport, IpMode, QueryMode, TrafficStats, WeblogOptions};
use obereg_engine::{Engine, EngineError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Caller, JsonBody, QueryParams};
use crate::problem::{ApiError, ProblemBody};

/// How to keep what is posted.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct IngestQuery {
    /// `pseudonym` (default: a keyed pseudonym that changes daily) or `truncate` (/24, /48).
    pub ip: Option<String>,
    /// `scan` (default: personal data in query values replaced by its type) or `strip`.
    pub query: Option<String>,
    /// The catalog category the logs are (default `technical.web_log`).
    pub category: Option<String>,
}

/// A range of UTC dates.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// `YYYY-MM-DD`.
    pub from: String,
    pub to: String,
}

/// One address on one day, for a named purpose.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReidentifyIn {
    /// A short code, journaled with the lookup (e.g. `fraud_investigation`).
    pub purpose: String,
    pub ip: String,
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
}

/// That day's kept lines of the address.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReidentifiedOut {
    pub lines: Vec<String>,
}

fn date(field: &str, text: &str) -> Result<jiff::civil::Date, EngineError> {
    text.parse().map_err(|_| {
        EngineError::invalid(
            "weblog.bad_date",
            format!("`{field}` is not a date (YYYY-MM-DD)"),
            format!("`{field}` — не дата (ГГГГ-ММ-ДД)"),
        )
    })
}

fn options(q: IngestQuery) -> Result<WeblogOptions, EngineError> {
    let ip = match q.ip.as_deref() {
        None | Some("pseudonym") => IpMode::Pseudonym,
        Some("truncate") => IpMode::Truncate,
        Some(_) => return Err(EngineError::invalid("weblog.bad_option", "`ip` is pseudonym or truncate", "`ip` — pseudonym или truncate")),
    };
    let query = match q.query.as_deref() {
        None | Some("scan") => QueryMode::Scan,
        Some("strip") => QueryMode::Strip,
        Some(_) => return Err(EngineError::invalid("weblog.bad_option", "`query` is scan or strip", "`query` — scan или strip")),
    };
    Ok(WeblogOptions { ip, query, category: q.category.unwrap_or_else(|| obereg_engine::weblogs::DEFAULT_CATEGORY.into()) })
}

/// Ingests access-log lines (nginx/Apache combined format or JSON lines, as the body):
/// nothing that points at a person is kept. Administrators.
#[utoipa::path(post, path = "/v1/logs", tag = "logs", security(("bearer" = [])), params(IngestQuery), request_body(content = String, content_type = "text/plain"), responses(
    (status = 200, description = "what was kept and skipped"),
    (status = 422, description = "an unknown or non-technical category, a category no purpose lists, a bad option", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn ingest(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<IngestQuery>,
    body: Bytes,
) -> Result<Json<IngestReport>, ApiError> {
    let options = options(q)?;
    let root = engine.weblog_root()?.to_owned();
    Ok(Json(engine.ingest_weblog(&actor, &root, std::io::Cursor::new(body), options).await?))
}

/// Traffic statistics over the kept lines of a range of days. Administrators and `dpo` roles.
#[utoipa::path(get, path = "/v1/logs/stats", tag = "logs", security(("bearer" = [])), params(RangeQuery), responses(
    (status = 200, description = "requests, bytes, visitors per day, by hour, by status, top paths, browsers"),
))]
pub async fn stats(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<RangeQuery>,
) -> Result<Json<TrafficStats>, ApiError> {
    let root = engine.weblog_root()?.to_owned();
    Ok(Json(engine.weblog_stats(&actor, &root, date("from", &q.from)?, date("to", &q.to)?).await?))
}

/// The one way back from kept lines to an address, for a named purpose; journaled.
#[utoipa::path(post, path = "/v1/logs/reidentify", tag = "logs", security(("bearer" = [])), request_body = ReidentifyIn, responses(
    (status = 200, description = "that day's kept lines of the address", body = ReidentifiedOut),
))]
pub async fn reidentify(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ReidentifyIn>,
) -> Result<Json<ReidentifiedOut>, ApiError> {
    let root = engine.weblog_root()?.to_owned();
    let lines = engine.reidentify_weblog(&actor, &root, &body.purpose, &body.ip, date("date", &body.date)?).await?;
    Ok(Json(ReidentifiedOut { lines }))
}
