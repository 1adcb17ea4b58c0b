//! Consent: documents rendered from the catalog, a subject's consent events and history,
//! and decisions (see docs/consent.md).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use obereg_core::catalog::Channel;
use obereg_core::consent::{ConsentAction, ConsentEvent, ConsentMethod};
use obereg_core::value::PlainValue;
use obereg_engine::Engine;
use obereg_engine::consent::{ConsentEventView, DocumentView, NewConsentEvent, channel_code};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{Caller, FreshCaller, JsonBody};
use crate::problem::{ApiError, ProblemBody};

/// The purposes one consent document covers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentRequest {
    pub purposes: Vec<String>,
}

/// A consent document version.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentOut {
    /// Hex SHA-256: what consent events name as `document`.
    pub sha256: String,
    pub purposes: Vec<String>,
    /// A written-consent form (152-FZ art. 9 p.4 fields and a signature).
    pub written: bool,
    pub catalog_version: i64,
    /// Markdown, Russian.
    pub ru: String,
    /// Markdown, English.
    pub en: String,
}

impl From<DocumentView> for DocumentOut {
    fn from(d: DocumentView) -> Self {
        Self { sha256: d.sha256, purposes: d.purposes, written: d.written, catalog_version: d.catalog_version, ru: d.ru, en: d.en }
    }
}

/// Evidence of how a consent was given: personal data, sealed, never shown back.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceIn {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// A call recording or paper scan reference.
    pub reference: Option<String>,
}

/// A consent event to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    pub purpose: String,
    /// For marketing purposes: `email`, `sms`, `phone_call`, `automated_call`, `messenger`, `post`.
    #[schema(value_type = Option<String>)]
    pub channel: Option<Channel>,
    /// For site visitors: a cookie category of the catalog.
    pub cookie: Option<String>,
    /// `given`, `withdrawn`, `expired` or `refused`.
    #[schema(value_type = String)]
    pub action: ConsentAction,
    /// `web_form`, `api`, `recorded_call`, `paper`, `unsubscribe_link`, `portal`, `staff`.
    #[schema(value_type = String)]
    pub method: ConsentMethod,
    /// The document version (`sha256`) the subject saw; required to give or refuse.
    pub document: Option<String>,
    /// RFC 3339; when a given consent ends by its own terms.
    #[schema(value_type = Option<String>)]
    pub valid_until: Option<jiff::Timestamp>,
    #[serde(default)]
    pub by_representative: bool,
    pub evidence: Option<EvidenceIn>,
}

/// A recorded consent event.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentOut {
    /// Its number in the subject's history, from 0.
    pub index: i64,
    pub purpose: String,
    pub channel: Option<String>,
    pub cookie: Option<String>,
    pub action: String,
    pub at: String,
    #[schema(value_type = String)]
    pub method: ConsentMethod,
    pub document: Option<String>,
    pub valid_until: Option<String>,
    pub by_representative: bool,
    /// Whether sealed evidence is kept (it is never returned).
    pub has_evidence: bool,
}

fn consent_out(index: i64, e: &ConsentEvent, has_evidence: bool) -> ConsentOut {
    ConsentOut {
        index,
        purpose: e.scope.purpose.clone(),
        channel: e.scope.channel.map(|c| channel_code(c).to_owned()),
        cookie: e.scope.cookie.clone(),
        action: e.action.as_str().to_owned(),
        at: e.at.to_string(),
        method: e.method,
        document: e.document.clone(),
        valid_until: e.valid_until.map(|t| t.to_string()),
        by_representative: e.by_representative,
        has_evidence,
    }
}

impl From<ConsentEventView> for ConsentOut {
    fn from(v: ConsentEventView) -> Self {
        consent_out(v.index, &v.event, v.has_evidence)
    }
}

/// A subject's consents.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentsOut {
    /// Every event, in order; history is never rewritten.
    pub events: Vec<ConsentOut>,
    /// The last event of each purpose (and channel or cookie category).
    pub state: Vec<ConsentOut>,
}

/// What to decide.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    pub subject: String,
    pub purpose: String,
    #[schema(value_type = Option<String>)]
    pub channel: Option<Channel>,
    #[serde(default)]
    pub categories: Vec<String>,
}

/// One ground of a decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonOut {
    pub code: String,
    /// In the request's language (`Accept-Language`).
    pub text: String,
}

/// A decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionOut {
    pub allowed: bool,
    /// The purpose's 152-FZ basis (`consent`, `contract`, `law`, …).
    pub basis: Option<String>,
    /// Every denying reason, or the allowing ground.
    pub reasons: Vec<ReasonOut>,
}

/// Renders the consent document for a set of purposes from the catalog in force and keeps
/// that version.
#[utoipa::path(post, path = "/v1/consent-documents", tag = "consent", security(("bearer" = [])), request_body = DocumentRequest, responses(
    (status = 201, description = "a new version", body = DocumentOut),
    (status = 200, description = "this version was kept already", body = DocumentOut),
    (status = 422, description = "unknown purpose, a purpose not on consent, or advertising merged with other purposes", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn create_document(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<DocumentRequest>,
) -> Result<(StatusCode, Json<DocumentOut>), ApiError> {
    let doc = engine.consent_document(&actor, &body.purposes).await?;
    let status = if doc.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(doc.into())))
}

/// One consent document version.
#[utoipa::path(get, path = "/v1/consent-documents/{sha256}", tag = "consent", security(("bearer" = [])), params(("sha256" = String, Path)), responses(
    (status = 200, description = "the document", body = DocumentOut),
    (status = 404, description = "no such version", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn get_document(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(sha256): Path<String>,
) -> Result<Json<DocumentOut>, ApiError> {
    Ok(Json(engine.consent_document_by_hash(&actor, &sha256).await?.into()))
}

/// Records a consent event: given, withdrawn, expired or refused.
#[utoipa::path(post, path = "/v1/subjects/{id}/consents", tag = "consent", security(("bearer" = [])), params(("id" = String, Path)), request_body = ConsentIn, responses(
    (status = 201, description = "recorded", body = ConsentOut),
    (status = 403, description = "the role may not record consent for this purpose", body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "no such subject", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "the event does not fit the catalog or the history (e.g. withdrawing what was never given)", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn record(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ConsentIn>,
) -> Result<(StatusCode, Json<ConsentOut>), ApiError> {
    let evidence = body.evidence.and_then(|e| {
        let parts: Vec<String> = [("ip", e.ip), ("user_agent", e.user_agent), ("reference", e.reference)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}={v}")))
            .collect();
        (!parts.is_empty()).then(|| PlainValue::new(parts.join("\n")))
    });
    let event = NewConsentEvent {
        purpose: body.purpose,
        channel: body.channel,
        cookie: body.cookie,
        action: body.action,
        method: body.method,
        document: body.document,
        valid_until: body.valid_until,
        by_representative: body.by_representative,
        evidence,
    };
    let recorded = engine.record_consent(&actor, &id, event).await?;
    Ok((StatusCode::CREATED, Json(recorded.into())))
}

/// A subject's consent history and the state it replays to.
#[utoipa::path(get, path = "/v1/subjects/{id}/consents", tag = "consent", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "history and state", body = ConsentsOut),
    (status = 404, description = "no such subject", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn history(State(engine): State<Engine>, Caller(actor): Caller, Path(id): Path<String>) -> Result<Json<ConsentsOut>, ApiError> {
    let h = engine.consents(&actor, &id).await?;
    Ok(Json(ConsentsOut { events: h.events.into_iter().map(Into::into).collect(), state: h.current.into_iter().map(Into::into).collect() }))
}

/// May this subject be processed for this purpose (through this channel, for these
/// categories, by the calling role) now? With the legal basis and the reasons in words.
#[utoipa::path(post, path = "/v1/decisions", tag = "consent", security(("bearer" = [])), request_body = DecisionIn, responses(
    (status = 200, description = "the decision", body = DecisionOut),
    (status = 404, description = "no such subject", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn decide(
    State(engine): State<Engine>,
    FreshCaller { actor, since }: FreshCaller,
    JsonBody(body): JsonBody<DecisionIn>,
) -> Result<Json<DecisionOut>, ApiError> {
    let lang = crate::context::current().map(|c| c.lang).unwrap_or_default();
    let categories: Vec<&str> = body.categories.iter().map(String::as_str).collect();
    let d = engine.decide_since(since, &actor, &body.subject, &body.purpose, body.channel, &categories).await?;
    Ok(Json(DecisionOut {
        allowed: d.allowed,
        basis: d.basis,
        reasons: d.reasons.into_iter().map(|(code, text)| ReasonOut { code: code.to_owned(), text: text.get(lang).to_owned() }).collect(),
    }))
}

/// A list of contacts to check before a campaign.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsIn {
    /// A searchable category: `contact.phone`, `contact.email`.
    pub category: String,
    /// At most 1000 contacts, in any spelling the category accepts.
    pub values: Vec<String>,
    pub purpose: String,
    #[schema(value_type = Option<String>)]
    pub channel: Option<Channel>,
}

/// The answer for one contact, by position.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactOut {
    pub index: usize,
    pub allowed: bool,
    /// The subjects holding the contact (empty for an unknown one).
    pub subjects: Vec<String>,
    pub reasons: Vec<ReasonOut>,
}

/// The pre-dial / pre-send check: which contacts may be used for a purpose and channel,
/// and why not for the rest. Unknown contacts are never allowed for consent purposes.
#[utoipa::path(post, path = "/v1/contacts/check", tag = "consent", security(("bearer" = [])), request_body = ContactsIn, responses(
    (status = 200, description = "one answer per contact, by position; an invalid contact is denied with its code", body = Vec<ContactOut>),
    (status = 422, description = "category not searchable, or more than 1000 contacts", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn check_contacts(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ContactsIn>,
) -> Result<Json<Vec<ContactOut>>, ApiError> {
    let lang = crate::context::current().map(|c| c.lang).unwrap_or_default();
    let values: Vec<PlainValue> = body.values.into_iter().map(PlainValue::new).collect();
    let checks = engine.check_contacts(&actor, &body.category, &values, &body.purpose, body.channel).await?;
    let reason = |(code, text): (&str, obereg_core::Bilingual)| ReasonOut { code: code.to_owned(), text: text.get(lang).to_owned() };
    let out = checks
        .into_iter()
        .enumerate()
        .map(|(index, c)| match c {
            Ok(c) => ContactOut { index, allowed: c.allowed, subjects: c.subjects, reasons: c.reasons.into_iter().map(reason).collect() },
            Err(invalid) => ContactOut { index, allowed: false, subjects: vec![], reasons: vec![reason(invalid)] },
        })
        .collect();
    Ok(Json(out))
}

/// The tenant's consent-receipt key, to pin when verifying receipts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptKeyOut {
    pub key_id: String,
    /// Standard base64 of the Ed25519 public key.
    pub public_key: String,
}

/// The tenant's consent-receipt verification key.
#[utoipa::path(get, path = "/v1/consent-receipts/key", tag = "consent", security(("bearer" = [])), responses(
    (status = 200, description = "the key", body = ReceiptKeyOut),
))]
pub async fn receipt_key(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<ReceiptKeyOut>, ApiError> {
    let key = engine.receipt_key(&actor)?;
    Ok(Json(ReceiptKeyOut { key_id: key.key_id, public_key: key.public_key }))
}

/// The signed receipt (ISO/IEC TS 27560 structure, Ed25519) of one consent event; verify
/// it with `obereg receipt verify` or any Ed25519 library (docs/consent.md).
#[utoipa::path(get, path = "/v1/subjects/{id}/consents/{index}/receipt", tag = "consent", security(("bearer" = [])), params(("id" = String, Path), ("index" = i64, Path)), responses(
    (status = 200, description = "the receipt file", content_type = "application/json"),
    (status = 404, description = "no such subject or event", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn receipt(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path((id, index)): Path<(String, i64)>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let file = engine.consent_receipt(&actor, &id, index).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], file).into_response())
}

/// Consents in force given under a consent document the catalog in force no longer renders
/// for the same purposes: whom to ask again (at most 10,000).
#[utoipa::path(get, path = "/v1/consents/reconsent", tag = "consent", security(("bearer" = [])), responses(
    (status = 200, description = "`[{subject, purpose, channel, document, current}]`"),
    (status = 403, description = "not an administrator", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn reconsent(
    State(engine): State<Engine>,
    Caller(actor): Caller,
) -> Result<Json<Vec<obereg_engine::consent::Reconsent>>, ApiError> {
    Ok(Json(engine.reconsent_needed(&actor).await?))
}
