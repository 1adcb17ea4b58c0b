//! Personal-data incidents: record, update, confirm, dismiss, assess the affected set,
//! preview and record the notices to the authorities, notify the subjects
//! (docs/incidents.md). Administrators and `dpo` roles.
//!
//! Every change names the `version` it was read at: a change to an incident changed since
//! is refused with 409, so two people working one incident never overwrite each other.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use obereg_core::incident::{IncidentFacts, NoticeKind};
use obereg_engine::incidents::{AffectedScope, Assessment, IncidentView};
use obereg_engine::{Engine, EngineError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{Caller, JsonBody};
use crate::problem::{ApiError, ProblemBody};

/// A new incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentIn {
    /// What is known (see docs/incidents.md for every field); `detected_at` (RFC 3339) and
    /// `description` are required.
    #[schema(value_type = Object)]
    pub facts: IncidentFacts,
    /// Whether the GDPR art. 33 notice is owed; by default when the catalog lists `eu-gdpr`.
    pub gdpr: Option<bool>,
    /// Record it as confirmed rather than suspected (the clocks run either way).
    #[serde(default)]
    pub confirmed: bool,
}

/// New facts for an open incident.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentUpdateIn {
    /// The version the incident was read at.
    pub version: i64,
    #[schema(value_type = Object)]
    pub facts: IncidentFacts,
}

/// A change that needs only the version read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionIn {
    pub version: i64,
}

/// Why an incident is not a breach.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissIn {
    pub version: i64,
    pub reason: String,
}

/// What was compromised and when.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssessIn {
    pub version: i64,
    /// `actor` (a token id or `U-…` account), `role` (a catalog role), `system` (a catalog
    /// storage location) or `everything`.
    pub scope: String,
    /// The token, account, role or storage location.
    pub id: Option<String>,
    /// The window (RFC 3339); for `everything` it is not used.
    pub from: Option<String>,
    pub to: Option<String>,
}

/// That a notice went out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeSentIn {
    pub version: i64,
    /// When it was sent (RFC 3339); now by default.
    pub sent_at: Option<String>,
}

/// An assessment with the incident after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessedOut {
    #[schema(value_type = Object)]
    pub incident: IncidentView,
    #[schema(value_type = Object)]
    pub assessment: Assessment,
}

/// Notices to subjects queued, with the incident after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifiedOut {
    #[schema(value_type = Object)]
    pub incident: IncidentView,
    pub queued: usize,
}

/// A notice rendered from the facts, to paste into the authority's form.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeOut {
    pub kind: String,
    pub title: String,
    pub text: String,
}

fn timestamp(field: &str, text: &str) -> Result<jiff::Timestamp, EngineError> {
    text.parse().map_err(|_| {
        EngineError::invalid(
            "incident.bad_time",
            format!("`{field}` is not an RFC 3339 time"),
            format!("`{field}` — не время в формате RFC 3339"),
        )
    })
}

fn notice_kind(text: &str) -> Result<NoticeKind, EngineError> {
    NoticeKind::parse(text).ok_or_else(|| {
        EngineError::invalid(
            "incident.unknown_notice",
            "the notice is one of rkn_initial, rkn_follow_up, gdpr_authority",
            "уведомление — одно из rkn_initial, rkn_follow_up, gdpr_authority",
        )
    })
}

/// Records an incident; its clocks start at `facts.detected_at`.
#[utoipa::path(post, path = "/v1/incidents", tag = "incidents", security(("bearer" = [])), request_body = IncidentIn, responses(
    (status = 201, description = "the incident with its clocks and the facts each notice still needs"),
    (status = 403, description = "not an administrator or a dpo role", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "facts missing, too long, or detected in the future", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn record(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<IncidentIn>,
) -> Result<(StatusCode, Json<IncidentView>), ApiError> {
    Ok((StatusCode::CREATED, Json(engine.record_incident(&actor, body.facts, body.gdpr, body.confirmed).await?)))
}

/// The tenant's incidents, newest detection first, each with its clocks now.
#[utoipa::path(get, path = "/v1/incidents", tag = "incidents", security(("bearer" = [])), responses(
    (status = 200, description = "the incidents"),
))]
pub async fn list(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<Vec<IncidentView>>, ApiError> {
    Ok(Json(engine.incidents(&actor).await?))
}

/// One incident with its clocks, notices sent and missing facts.
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "the incident"),
    (status = 404, description = "no such incident", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn show(State(engine): State<Engine>, Caller(actor): Caller, Path(id): Path<String>) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(engine.incident(&actor, &id).await?))
}

/// Replaces the facts of an open incident.
#[utoipa::path(put, path = "/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), request_body = IncidentUpdateIn, responses(
    (status = 200, description = "the incident"),
    (status = 409, description = "changed since it was read", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "bad facts, or the incident is dismissed or closed", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn update(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<IncidentUpdateIn>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(engine.update_incident(&actor, &id, body.version, body.facts).await?))
}

/// Confirms a suspected incident.
#[utoipa::path(post, path = "/v1/incidents/{id}/confirm", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), request_body = VersionIn, responses(
    (status = 200, description = "the incident"),
))]
pub async fn confirm(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<VersionIn>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(engine.confirm_incident(&actor, &id, body.version).await?))
}

/// Dismisses an incident found not to be a breach.
#[utoipa::path(post, path = "/v1/incidents/{id}/dismiss", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), request_body = DismissIn, responses(
    (status = 200, description = "the incident; notices not yet due are no longer owed"),
))]
pub async fn dismiss(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<DismissIn>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(engine.dismiss_incident(&actor, &id, body.version, &body.reason).await?))
}

/// Finds the subjects a compromised token, account, role or the whole database reached in a
/// window, from the journal and the vault, and puts their number, categories and kinds into
/// the facts.
#[utoipa::path(post, path = "/v1/incidents/{id}/assess", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), request_body = AssessIn, responses(
    (status = 200, description = "the incident and what the assessment found", body = AssessedOut),
))]
pub async fn assess(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AssessIn>,
) -> Result<Json<AssessedOut>, ApiError> {
    let who = || {
        body.id.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
            EngineError::invalid("incident.scope_id_required", "name the token, account or role", "укажите токен, учётную запись или роль")
        })
    };
    let scope = match body.scope.as_str() {
        "actor" => AffectedScope::Actor(who()?),
        "role" => AffectedScope::Role(who()?),
        "system" => AffectedScope::System(who()?),
        "everything" => AffectedScope::Everything,
        _ => {
            return Err(EngineError::invalid(
                "incident.bad_scope",
                "the scope is actor, role, system or everything",
                "область — actor, role, system или everything",
            )
            .into());
        }
    };
    let from = match &body.from {
        Some(t) => timestamp("from", t)?,
        None => jiff::Timestamp::MIN,
    };
    let to = match &body.to {
        Some(t) => timestamp("to", t)?,
        None => jiff::Timestamp::MAX,
    };
    let (incident, assessment) = engine.assess_incident(&actor, &id, body.version, scope, from, to).await?;
    Ok(Json(AssessedOut { incident, assessment }))
}

/// Emails every affected subject with an address about the incident (GDPR art. 34;
/// optional under 152-FZ).
#[utoipa::path(post, path = "/v1/incidents/{id}/notify-subjects", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path)), request_body = VersionIn, responses(
    (status = 200, description = "how many were queued", body = NotifiedOut),
))]
pub async fn notify_subjects(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<VersionIn>,
) -> Result<Json<NotifiedOut>, ApiError> {
    let (incident, queued) = engine.notify_incident_subjects(&actor, &id, body.version).await?;
    Ok(Json(NotifiedOut { incident, queued }))
}

/// A notice rendered from the facts as they are now: `rkn_initial` (24 h), `rkn_follow_up`
/// (72 h), `gdpr_authority` (72 h).
#[utoipa::path(get, path = "/v1/incidents/{id}/notices/{kind}", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path), ("kind" = String, Path)), responses(
    (status = 200, description = "the notice", body = NoticeOut),
    (status = 422, description = "facts it needs are missing (named), or it is not owed", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn notice(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Json<NoticeOut>, ApiError> {
    let kind = notice_kind(&kind)?;
    let rendered = engine.incident_notice(&actor, &id, kind).await?;
    Ok(Json(NoticeOut { kind: kind.as_str().into(), title: rendered.title, text: rendered.text }))
}

/// Records that a notice went out; obereg keeps the exact text rendered at that time and its
/// hash. The incident closes when every owed notice is sent.
#[utoipa::path(post, path = "/v1/incidents/{id}/notices/{kind}", tag = "incidents", security(("bearer" = [])), params(("id" = String, Path), ("kind" = String, Path)), request_body = NoticeSentIn, responses(
    (status = 200, description = "the incident"),
    (status = 409, description = "changed since it was read, or this notice was recorded before", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn notice_sent(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path((id, kind)): Path<(String, String)>,
    JsonBody(body): JsonBody<NoticeSentIn>,
) -> Result<Json<IncidentView>, ApiError> {
    let kind = notice_kind(&kind)?;
    let sent_at = body.sent_at.as_deref().map(|t| timestamp("sent_at", t)).transpose()?;
    Ok(Json(engine.record_incident_notice(&actor, &id, body.version, kind, sent_at).await?))
}
