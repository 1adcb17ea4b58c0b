//! Retention over HTTP (docs/retention.md): trigger events, sweeps (and dry runs), and the
//! destruction acts with their verification against the journal. Administrators only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use obereg_core::catalog::RetentionTrigger;
use obereg_engine::Engine;
use obereg_engine::retention::{ActVerification, SweepReport, SweepView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Caller, JsonBody, QueryParams};
use crate::problem::{ApiError, ProblemBody};

/// An event a purpose's retention period runs from.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionEventIn {
    /// The catalog purpose.
    pub purpose: String,
    /// `purpose_achieved`, `contract_end` or `account_closed`: the purpose's trigger.
    pub trigger: String,
    /// When it happened (RFC 3339); now when left out.
    pub at: Option<String>,
}

/// Whether to only show what a sweep would do.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SweepQuery {
    /// `true`: compute and list, change nothing.
    pub dry_run: Option<bool>,
}

/// Paging of the act list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActsQuery {
    /// Acts created before this time (RFC 3339), for the next page.
    pub before: Option<String>,
    /// At most this many (1–500, default 100).
    pub limit: Option<u32>,
}

/// The format of one act.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActQuery {
    /// `json` (default) or `html`.
    pub format: Option<String>,
}

fn timestamp(text: &str, field: &str) -> Result<jiff::Timestamp, ApiError> {
    text.parse().map_err(|_| {
        obereg_engine::EngineError::invalid(
            "retention.bad_time",
            format!("`{field}` is not an RFC 3339 time"),
            format!("`{field}` — не время в формате RFC 3339"),
        )
        .into()
    })
}

/// Records that a purpose's trigger happened for a subject (a lead closed, a contract
/// ended, an account closed): its retention period runs from then.
#[utoipa::path(post, path = "/v1/subjects/{id}/retention-events", tag = "retention", security(("bearer" = [])), params(("id" = String, Path)), request_body = RetentionEventIn, responses(
    (status = 204, description = "recorded and journaled"),
    (status = 404, description = "no such subject", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "unknown purpose, a trigger the purpose does not use, a time in the future", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn record_event(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RetentionEventIn>,
) -> Result<StatusCode, ApiError> {
    let trigger = RetentionTrigger::parse(&body.trigger).ok_or_else(|| {
        obereg_engine::EngineError::invalid(
            "retention.not_an_event",
            "trigger is purpose_achieved, contract_end or account_closed",
            "trigger — purpose_achieved, contract_end или account_closed",
        )
    })?;
    let at = body.at.as_deref().map(|t| timestamp(t, "at")).transpose()?;
    engine.record_retention_event(&actor, &id, &body.purpose, trigger, at).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs the retention sweep of the tenant now (or, with `dry_run=true`, shows what it would
/// do). `obereg serve` also runs it on its own every day.
#[utoipa::path(post, path = "/v1/retention/sweeps", tag = "retention", security(("bearer" = [])), params(SweepQuery), responses(
    (status = 200, description = "the report: counts, the first 1000 findings, the acts written"),
    (status = 403, description = "not an administrator", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn sweep(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<SweepQuery>,
) -> Result<Json<SweepReport>, ApiError> {
    Ok(Json(engine.sweep_retention(&actor, q.dry_run.unwrap_or(false), &|_| {}).await?))
}

/// The tenant's sweeps, newest first.
#[utoipa::path(get, path = "/v1/retention/sweeps", tag = "retention", security(("bearer" = [])), responses(
    (status = 200, description = "sweeps with their counts"),
))]
pub async fn sweeps(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<Vec<SweepView>>, ApiError> {
    Ok(Json(engine.list_sweeps(&actor).await?))
}

/// Destruction acts (RKN Order 179), newest first, without the subjects' names.
#[utoipa::path(get, path = "/v1/acts", tag = "retention", security(("bearer" = [])), params(ActsQuery), responses(
    (status = 200, description = "`obereg-destruction-act/1` documents with their journal range"),
))]
pub async fn acts(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<ActsQuery>,
) -> Result<Response, ApiError> {
    let before = q.before.as_deref().map(|t| timestamp(t, "before")).transpose()?;
    Ok(Json(engine.list_acts(&actor, before, q.limit.unwrap_or(100)).await?).into_response())
}

/// One act with the subjects' names, as JSON or as a printable page; the read is journaled.
#[utoipa::path(get, path = "/v1/acts/{id}", tag = "retention", security(("bearer" = [])), params(("id" = String, Path), ActQuery), responses(
    (status = 200, description = "the act, JSON or HTML"),
    (status = 404, description = "no such act", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn act(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ActQuery>,
) -> Result<Response, ApiError> {
    let view = engine.act(&actor, &id).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => Ok(Json(view).into_response()),
        "html" => Ok(super::generated_page(view.to_html(), "text/html; charset=utf-8")),
        _ => Err(obereg_engine::EngineError::invalid("act.bad_format", "format is `json` or `html`", "формат — `json` или `html`").into()),
    }
}

/// Checks an act against the journal: entries hashed, included in a signed checkpoint, and
/// naming exactly the act's subjects and categories.
#[utoipa::path(get, path = "/v1/acts/{id}/verification", tag = "retention", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "`valid` and the problems found"),
    (status = 404, description = "no such act", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn verify(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<ActVerification>, ApiError> {
    Ok(Json(engine.verify_act(&actor, &id).await?))
}

/// Which language and format of a generated document.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    /// `ru` (default) or `en`.
    pub lang: Option<String>,
    /// `json` (default: text, hash, version, warnings), `md` or `html`.
    pub format: Option<String>,
}

pub(crate) fn document_lang(lang: Option<&str>) -> Result<obereg_core::text::Lang, ApiError> {
    match lang.unwrap_or("ru") {
        "ru" => Ok(obereg_core::text::Lang::Ru),
        "en" => Ok(obereg_core::text::Lang::En),
        _ => Err(obereg_engine::EngineError::invalid("document.bad_lang", "lang is `ru` or `en`", "lang — `ru` или `en`").into()),
    }
}

pub(crate) fn document_response(doc: obereg_engine::documents::GeneratedDocument, format: &str) -> Result<Response, ApiError> {
    let text = |body: String, content_type: &'static str| {
        let mut response = super::generated_page(body, content_type);
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", doc.sha256)) {
            response.headers_mut().insert(header::ETAG, etag);
        }
        response
    };
    match format {
        "json" => Ok(Json(doc).into_response()),
        "md" => Ok(text(doc.markdown.clone(), "text/markdown; charset=utf-8")),
        "html" => Ok(text(doc.html.clone(), "text/html; charset=utf-8")),
        _ => Err(obereg_engine::EngineError::invalid(
            "document.bad_format",
            "format is `json`, `md` or `html`",
            "формат — `json`, `md` или `html`",
        )
        .into()),
    }
}

fn document_kind(kind: &str) -> Result<obereg_core::documents::DocumentKind, ApiError> {
    obereg_core::documents::DocumentKind::parse(kind).ok_or_else(|| ApiError::from(obereg_engine::EngineError::NotFound("document")))
}

/// A document generated from the catalog in force: `policy`, `rkn_notice`,
/// `cross_border_notice` or `processing_record`. A changed text is kept as a new version.
#[utoipa::path(get, path = "/v1/documents/{kind}", tag = "retention", security(("bearer" = [])), params(("kind" = String, Path), DocumentQuery), responses(
    (status = 200, description = "the document: JSON with its hash, catalog version and warnings, or Markdown, or HTML"),
    (status = 404, description = "no such kind", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "bad lang or format; a cross-border notice with nothing abroad", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn document(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(kind): Path<String>,
    QueryParams(q): QueryParams<DocumentQuery>,
) -> Result<Response, ApiError> {
    let kind = document_kind(&kind)?;
    let lang = document_lang(q.lang.as_deref())?;
    let format = q.format.as_deref().unwrap_or("json");
    document_response(engine.generate_document(&actor, kind, lang).await?, format)
}

/// The versions of a generated document, newest first.
#[utoipa::path(get, path = "/v1/documents/{kind}/versions", tag = "retention", security(("bearer" = [])), params(("kind" = String, Path), DocumentQuery), responses(
    (status = 200, description = "hash, catalog version and first generation of each text"),
))]
pub async fn document_versions(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(kind): Path<String>,
    QueryParams(q): QueryParams<DocumentQuery>,
) -> Result<Response, ApiError> {
    let kind = document_kind(&kind)?;
    let lang = document_lang(q.lang.as_deref())?;
    Ok(Json(engine.document_versions(&actor, kind, lang).await?).into_response())
}

/// The tenant's privacy policy at a stable public URL (`/p/{tenant}/policy`), HTML unless
/// `format=md` or `json`; no token: it must be published with unrestricted access.
pub async fn public_policy(
    State(engine): State<Engine>,
    Path(tenant): Path<String>,
    QueryParams(q): QueryParams<DocumentQuery>,
) -> Result<Response, ApiError> {
    let lang = document_lang(q.lang.as_deref())?;
    document_response(engine.public_policy(&tenant, lang).await?, q.format.as_deref().unwrap_or("html"))
}

/// From which catalog version to compare.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// The catalog version the published policy was generated from.
    pub from: i64,
}

/// The material changes of the policy since catalog version `from`: what subjects must be
/// told before the new version takes effect (new purposes, data, recipients, longer terms,
/// another basis, another country).
#[utoipa::path(get, path = "/v1/documents/policy/changes", tag = "retention", security(("bearer" = [])), params(ChangesQuery), responses(
    (status = 200, description = "`[{code, purpose, message}]`, empty when nothing material changed"),
    (status = 404, description = "no such catalog version", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn policy_changes(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<ChangesQuery>,
) -> Result<Json<Vec<obereg_core::documents::MaterialChange>>, ApiError> {
    Ok(Json(engine.policy_changes(&actor, q.from).await?))
}
