//! Data-subject requests over HTTP (docs/requests.md): the staff work queue under
//! `/v1/requests`, and the subject's side under `/v1/public/{tenant}/requests`, where the
//! follow key (header `X-Obereg-Request-Key`) is the credential.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use obereg_core::catalog::Jurisdiction;
use obereg_core::request::RequestState;
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::PlainValue;
use obereg_engine::Engine;
use obereg_engine::requests::{
    Completion, Language, ManualIdentity, NewRequest, RefusalGround, RequestChannel, RequestDetail, RequestQuery, RequestView,
    SubjectExport, SubjectSubmission,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Caller, JsonBody, QueryParams};
use crate::problem::{ApiError, ProblemBody};
use obereg_core::text::Lang;

/// The header carrying a requester's follow key.
pub const FOLLOW_KEY_HEADER: &str = "x-obereg-request-key";

/// A request, without personal data.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOut {
    /// `R-` and 12 characters; what the subject quotes.
    pub id: String,
    /// `access`, `portability`, `rectification`, `erasure`, `restriction`, `objection`,
    /// `consent_withdrawal`, `distribution_stop`, `complaint`.
    #[schema(value_type = String)]
    pub kind: RequestKind,
    /// `ru-152fz` or `eu-gdpr`.
    #[schema(value_type = String)]
    pub jurisdiction: Jurisdiction,
    #[schema(value_type = String)]
    pub channel: RequestChannel,
    /// `received`, `identity_check`, `in_progress`, `extended`, `completed`, `refused`, `withdrawn`.
    #[schema(value_type = String)]
    pub state: RequestState,
    pub subject_id: Option<String>,
    pub received_at: String,
    /// The due date (`YYYY-MM-DD`), on the production calendar.
    pub due_on: String,
    /// A year without a published calendar decree went into the due date.
    pub due_provisional: bool,
    pub extended: bool,
    pub overdue: bool,
    pub verified_by: Option<String>,
    pub closed_at: Option<String>,
}

impl From<RequestView> for RequestOut {
    fn from(r: RequestView) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            jurisdiction: r.jurisdiction,
            channel: r.channel,
            state: r.state,
            subject_id: r.subject_id,
            received_at: r.received_at.to_string(),
            due_on: r.due_on.to_string(),
            due_provisional: r.due_provisional,
            extended: r.extended,
            overdue: r.overdue,
            verified_by: r.verified_by,
            closed_at: r.closed_at.map(|t| t.to_string()),
        }
    }
}

/// A transition of a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOut {
    pub at: String,
    pub event: String,
    pub from: String,
    pub to: String,
    /// The role that acted, or `subject`.
    pub actor: String,
    /// The reason or note given.
    pub note: Option<String>,
}

/// A message the request sent (without its text).
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageOut {
    /// The delivery id.
    pub id: String,
    pub channel: String,
    pub template: String,
    /// `pending`, `sent` or `dead`.
    pub state: String,
    pub attempts: i64,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    /// For a webhook notice: the catalog recipient, and when it confirmed acting on it.
    pub recipient: Option<String>,
    pub confirmed_at: Option<String>,
}

/// A request with its contact, text, history and messages, for staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestDetailOut {
    #[serde(flatten)]
    pub request: RequestOut,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub details: Option<String>,
    #[schema(value_type = String)]
    pub language: Language,
    /// Subjects the confirmed contact matched when it matched several (never merged).
    pub candidates: Vec<String>,
    pub answer: Option<String>,
    pub events: Vec<EventOut>,
    pub messages: Vec<MessageOut>,
}

impl From<RequestDetail> for RequestDetailOut {
    fn from(d: RequestDetail) -> Self {
        let text = |v: Option<PlainValue>| v.map(|v| v.expose().to_owned());
        Self {
            request: d.request.into(),
            email: text(d.email),
            phone: text(d.phone),
            details: text(d.details),
            language: d.language,
            candidates: d.candidates,
            answer: text(d.answer),
            events: d
                .events
                .into_iter()
                .map(|e| EventOut {
                    at: e.at.to_string(),
                    event: e.event,
                    from: e.from.as_str().into(),
                    to: e.to.as_str().into(),
                    actor: e.actor,
                    note: e.note,
                })
                .collect(),
            messages: d
                .messages
                .into_iter()
                .map(|m| MessageOut {
                    id: m.id,
                    channel: m.channel,
                    template: m.template,
                    state: m.state,
                    attempts: m.attempts,
                    sent_at: m.sent_at.map(|t| t.to_string()),
                    last_error: m.last_error,
                    recipient: m.recipient,
                    confirmed_at: m.confirmed_at.map(|t| t.to_string()),
                })
                .collect(),
        }
    }
}

/// Identity confirmed by staff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityIn {
    /// The subject the requester is; absent when obereg holds nothing about them.
    pub subject_id: Option<String>,
    /// How identity was checked (e.g. "passport seen at the office").
    pub note: String,
}

/// A request that reached staff by email, phone or paper.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequestIn {
    #[schema(value_type = String)]
    pub kind: RequestKind,
    /// `email`, `phone`, `paper` (or `api`, `portal`).
    #[schema(value_type = String)]
    pub channel: RequestChannel,
    #[schema(value_type = Option<String>)]
    pub jurisdiction: Option<Jurisdiction>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub details: Option<String>,
    /// `ru` or `en`: the language of the answers; defaults to the request's.
    #[schema(value_type = Option<String>)]
    pub language: Option<Language>,
    /// RFC 3339, when received, if before now.
    #[schema(value_type = Option<String>)]
    pub received_at: Option<jiff::Timestamp>,
    /// Identity already confirmed by staff: the request starts in progress.
    pub identity: Option<IdentityIn>,
}

/// Which requests to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Closed requests too.
    #[serde(default)]
    pub all: bool,
    /// Only overdue ones.
    #[serde(default)]
    pub overdue: bool,
    pub state: Option<String>,
    pub subject: Option<String>,
    /// Resume after the request with this due date and id.
    pub after_due: Option<String>,
    pub after_id: Option<String>,
    /// 1–1000, default 100.
    pub limit: Option<u32>,
}

/// A reason for the subject.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonIn {
    pub reason: String,
}

/// Why a request is refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefusalIn {
    /// `repeated` (obereg finds and cites the earlier answer), `identity_not_confirmed`, or `other`.
    pub ground: String,
    /// For `other`: the reason in words.
    pub reason: Option<String>,
    /// For `other`: the norm it rests on.
    pub norm: Option<String>,
}

/// One corrected value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionIn {
    pub item: String,
    pub value: String,
}

/// What completing a request needs; which fields matter depends on its kind.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteIn {
    /// Words for the subject (required for a complaint).
    pub answer: Option<String>,
    /// Rectification: the values to correct.
    #[serde(default)]
    pub corrections: Vec<CorrectionIn>,
    /// Objection, consent withdrawal, distribution stop: the purposes concerned.
    #[serde(default)]
    pub purposes: Vec<String>,
    /// Portability: the other operator's `https://` address to post the signed answer to.
    pub transfer_to: Option<String>,
}

/// `json` (default) or `html`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    pub format: Option<String>,
}

/// A request a subject submits.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionIn {
    #[schema(value_type = String)]
    pub kind: RequestKind,
    /// Where to send the confirmation code and the answers (one of the two is required).
    pub email: Option<String>,
    pub phone: Option<String>,
    pub details: Option<String>,
    #[schema(value_type = Option<String>)]
    pub language: Option<Language>,
    #[schema(value_type = Option<String>)]
    pub jurisdiction: Option<Jurisdiction>,
}

/// What a submitter gets back. The follow key is shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmittedOut {
    #[serde(flatten)]
    pub request: RequestOut,
    /// Send it as `X-Obereg-Request-Key` to follow the request; obereg keeps only its hash.
    pub follow_key: String,
}

/// The code the requester received.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeIn {
    pub code: String,
}

fn language() -> Language {
    match crate::context::current().map(|c| c.lang).unwrap_or_default() {
        Lang::En => Language::En,
        Lang::Ru => Language::Ru,
    }
}

fn plain(text: Option<String>) -> Option<PlainValue> {
    text.map(PlainValue::new)
}

fn follow_key(headers: &HeaderMap) -> Result<String, ApiError> {
    headers
        .get(FOLLOW_KEY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_owned())
        .ok_or_else(|| ApiError::from(obereg_engine::EngineError::NotFound("request")))
}

fn export_response(export: SubjectExport, format: Option<&str>) -> Result<Response, ApiError> {
    match format.unwrap_or("json") {
        "json" => Ok(Json(export).into_response()),
        "html" => Ok(super::generated_page(export.to_html(), "text/html; charset=utf-8")),
        _ => {
            Err(obereg_engine::EngineError::invalid("request.bad_format", "format is `json` or `html`", "формат — `json` или `html`")
                .into())
        }
    }
}

/// Registers a request that reached staff.
#[utoipa::path(post, path = "/v1/requests", tag = "requests", security(("bearer" = [])), request_body = NewRequestIn, responses(
    (status = 201, description = "registered; the subject is told the due date", body = RequestOut),
    (status = 403, description = "the role does not work requests", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "no contact, an invalid address, an unknown jurisdiction", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn open(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<NewRequestIn>,
) -> Result<(StatusCode, Json<RequestOut>), ApiError> {
    let new = NewRequest {
        kind: body.kind,
        channel: body.channel,
        jurisdiction: body.jurisdiction,
        email: plain(body.email),
        phone: plain(body.phone),
        details: plain(body.details),
        language: body.language.unwrap_or_else(language),
        received_at: body.received_at,
        identity: body.identity.map(|i| ManualIdentity { subject_id: i.subject_id, note: PlainValue::new(i.note) }),
    };
    Ok((StatusCode::CREATED, Json(engine.open_request(&actor, new).await?.into())))
}

/// The work queue: open requests, most urgent first.
#[utoipa::path(get, path = "/v1/requests", tag = "requests", security(("bearer" = [])), params(ListQuery), responses(
    (status = 200, description = "requests by due date", body = Vec<RequestOut>),
))]
pub async fn list(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<Vec<RequestOut>>, ApiError> {
    let bad = |what: &str| {
        obereg_engine::EngineError::invalid("request.bad_query", format!("`{what}` is not valid"), format!("`{what}` недопустим"))
    };
    let state = match q.state.as_deref() {
        Some(s) => Some(RequestState::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| bad("state"))?),
        None => None,
    };
    let after = match (q.after_due, q.after_id) {
        (Some(d), Some(id)) => Some((d.parse().map_err(|_| bad("after_due"))?, id)),
        (None, None) => None,
        _ => return Err(bad("after_due").into()),
    };
    let query = RequestQuery { all: q.all, state, subject_id: q.subject, overdue: q.overdue, after, limit: q.limit };
    Ok(Json(engine.list_requests(&actor, query).await?.into_iter().map(Into::into).collect()))
}

/// One request with contact, text, history and messages (the read is journaled).
#[utoipa::path(get, path = "/v1/requests/{id}", tag = "requests", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "the request", body = RequestDetailOut),
    (status = 404, description = "no such request", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn detail(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<RequestDetailOut>, ApiError> {
    Ok(Json(engine.request_detail(&actor, &id).await?.into()))
}

/// Staff confirm the requester's identity (an ID document checked).
#[utoipa::path(post, path = "/v1/requests/{id}/verify", tag = "requests", security(("bearer" = [])), params(("id" = String, Path)), request_body = IdentityIn, responses(
    (status = 200, description = "in progress", body = RequestOut),
    (status = 422, description = "no note, or the request is past identity checks", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn verify(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<IdentityIn>,
) -> Result<Json<RequestOut>, ApiError> {
    let identity = ManualIdentity { subject_id: body.subject_id, note: PlainValue::new(body.note) };
    Ok(Json(engine.verify_identity(&actor, &id, identity).await?.into()))
}

/// Staff send the requester a confirmation code.
#[utoipa::path(post, path = "/v1/requests/{id}/code", tag = "requests", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "a code is on its way", body = RequestOut),
))]
pub async fn send_code(State(engine): State<Engine>, Caller(actor): Caller, Path(id): Path<String>) -> Result<Json<RequestOut>, ApiError> {
    Ok(Json(engine.start_code_check(&actor, &id).await?.into()))
}

/// Extends the term once, with the reason sent to the subject.
#[utoipa::path(post, path = "/v1/requests/{id}/extend", tag = "requests", security(("bearer" = [])), params(("id" = String, Path)), request_body = ReasonIn, responses(
    (status = 200, description = "extended", body = RequestOut),
    (status = 422, description = "no extension for this kind, extended already, or no reason", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn extend(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ReasonIn>,
) -> Result<Json<RequestOut>, ApiError> {
    Ok(Json(engine.extend_request(&actor, &id, &PlainValue::new(body.reason)).await?.into()))
}

/// Refuses a request with a reasoned notice citing the norm.
#[utoipa::path(post, path = "/v1/requests/{id}/refuse", tag = "requests", security(("bearer" = [])), params(("id" = String, Path)), request_body = RefusalIn, responses(
    (status = 200, description = "refused", body = RequestOut),
    (status = 422, description = "no ground, no norm, or not a repeated request", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn refuse(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RefusalIn>,
) -> Result<Json<RequestOut>, ApiError> {
    let ground = match body.ground.as_str() {
        "repeated" => RefusalGround::Repeated,
        "identity_not_confirmed" => RefusalGround::IdentityNotConfirmed,
        "other" => RefusalGround::Other { reason: PlainValue::new(body.reason.unwrap_or_default()), norm: body.norm.unwrap_or_default() },
        _ => {
            return Err(obereg_engine::EngineError::invalid(
                "request.bad_ground",
                "ground is `repeated`, `identity_not_confirmed` or `other`",
                "основание — `repeated`, `identity_not_confirmed` или `other`",
            )
            .into());
        }
    };
    Ok(Json(engine.refuse_request(&actor, &id, ground).await?.into()))
}

/// Carries out the request (erasure, correction, restriction, …) and answers the subject.
#[utoipa::path(post, path = "/v1/requests/{id}/complete", tag = "requests", security(("bearer" = [])), params(("id" = String, Path)), request_body = CompleteIn, responses(
    (status = 200, description = "completed", body = RequestOut),
    (status = 409, description = "another staff member acted first", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "not in progress, missing corrections or answer, ambiguous subject", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn complete(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CompleteIn>,
) -> Result<Json<RequestOut>, ApiError> {
    let completion = Completion {
        answer: plain(body.answer),
        corrections: body.corrections.into_iter().map(|c| (c.item, PlainValue::new(c.value))).collect(),
        purposes: body.purposes,
        transfer_to: body.transfer_to,
    };
    Ok(Json(engine.complete_request(&actor, &id, completion).await?.into()))
}

/// The answer to an access or portability request (journaled as a provision).
#[utoipa::path(get, path = "/v1/requests/{id}/export", tag = "requests", security(("bearer" = [])), params(("id" = String, Path), ExportQuery), responses(
    (status = 200, description = "`obereg-subject-export/1` JSON, or HTML"),
))]
pub async fn export(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Response, ApiError> {
    export_response(engine.request_export(&actor, &id).await?, q.format.as_deref())
}

/// Submits a request as the subject; a confirmation code goes to the address given. The
/// answer is the same whether or not obereg knows the address.
#[utoipa::path(post, path = "/v1/public/{tenant}/requests", tag = "subject requests", params(("tenant" = String, Path)), request_body = SubmissionIn, responses(
    (status = 202, description = "registered; confirm with the code sent", body = SubmittedOut),
    (status = 422, description = "no contact or an invalid one", body = ProblemBody, content_type = "application/problem+json"),
    (status = 429, description = "too many requests from this address today", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn submit(
    State(engine): State<Engine>,
    Path(tenant): Path<String>,
    JsonBody(body): JsonBody<SubmissionIn>,
) -> Result<(StatusCode, Json<SubmittedOut>), ApiError> {
    let submission = SubjectSubmission {
        kind: body.kind,
        email: plain(body.email),
        phone: plain(body.phone),
        details: plain(body.details),
        language: body.language.unwrap_or_else(language),
        jurisdiction: body.jurisdiction,
    };
    let submitted = engine.submit_request(&tenant, submission).await?;
    let out = SubmittedOut { request: submitted.request.into(), follow_key: submitted.follow_key.to_string() };
    Ok((StatusCode::ACCEPTED, Json(out)))
}

/// The request's status and due date, for its follower.
#[utoipa::path(get, path = "/v1/public/{tenant}/requests/{id}", tag = "subject requests", params(("tenant" = String, Path), ("id" = String, Path)), responses(
    (status = 200, description = "the request", body = RequestOut),
    (status = 404, description = "no such request, or a wrong key", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn status(
    State(engine): State<Engine>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<RequestOut>, ApiError> {
    Ok(Json(engine.followed_request_view(&tenant, &id, &follow_key(&headers)?).await?.into()))
}

/// Confirms the address with the code received.
#[utoipa::path(post, path = "/v1/public/{tenant}/requests/{id}/verify", tag = "subject requests", params(("tenant" = String, Path), ("id" = String, Path)), request_body = CodeIn, responses(
    (status = 200, description = "confirmed; the request is in progress", body = RequestOut),
    (status = 422, description = "a wrong or expired code", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn confirm(
    State(engine): State<Engine>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<CodeIn>,
) -> Result<Json<RequestOut>, ApiError> {
    Ok(Json(engine.verify_request_code(&tenant, &id, &follow_key(&headers)?, body.code.trim()).await?.into()))
}

/// Sends a new code (at most three per request).
#[utoipa::path(post, path = "/v1/public/{tenant}/requests/{id}/code", tag = "subject requests", params(("tenant" = String, Path), ("id" = String, Path)), responses(
    (status = 200, description = "a new code is on its way", body = RequestOut),
    (status = 429, description = "no more codes for this request", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn resend(
    State(engine): State<Engine>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<RequestOut>, ApiError> {
    Ok(Json(engine.resend_request_code(&tenant, &id, &follow_key(&headers)?).await?.into()))
}

/// The subject withdraws the request.
#[utoipa::path(post, path = "/v1/public/{tenant}/requests/{id}/withdraw", tag = "subject requests", params(("tenant" = String, Path), ("id" = String, Path)), responses(
    (status = 200, description = "withdrawn", body = RequestOut),
))]
pub async fn withdraw(
    State(engine): State<Engine>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<RequestOut>, ApiError> {
    Ok(Json(engine.withdraw_request(&tenant, &id, &follow_key(&headers)?).await?.into()))
}

/// The answer to a completed access or portability request.
#[utoipa::path(get, path = "/v1/public/{tenant}/requests/{id}/export", tag = "subject requests", params(("tenant" = String, Path), ("id" = String, Path), ExportQuery), responses(
    (status = 200, description = "`obereg-subject-export/1` JSON, or HTML"),
    (status = 422, description = "not answered yet", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn download(
    State(engine): State<Engine>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    QueryParams(q): QueryParams<ExportQuery>,
) -> Result<Response, ApiError> {
    export_response(engine.followed_export(&tenant, &id, &follow_key(&headers)?).await?, q.format.as_deref())
}

/// A recipient's secret for verifying notices and signing confirmations.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotifySecretOut {
    pub recipient: String,
    /// 32 bytes, hex: the HMAC-SHA256 key of `Obereg-Signature`.
    pub secret: String,
}

/// The secret a recipient with a `notify_url` verifies notices with; give it to the recipient.
#[utoipa::path(get, path = "/v1/recipients/{id}/notify-secret", tag = "requests", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "the secret", body = NotifySecretOut),
    (status = 404, description = "no such recipient, or it has no notify_url", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn notify_secret(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<NotifySecretOut>, ApiError> {
    let secret = engine.recipient_notify_secret(&actor, &id).await?;
    Ok(Json(NotifySecretOut { recipient: id, secret }))
}

/// A recipient confirms it carried out a notice (signed like the notice, header
/// `Obereg-Signature`, over the body it sends).
#[utoipa::path(post, path = "/v1/public/{tenant}/notices/{id}/confirm", tag = "subject requests", params(("tenant" = String, Path), ("id" = String, Path)), request_body(content = String, description = "any body, as signed", content_type = "application/json"), responses(
    (status = 204, description = "confirmed"),
    (status = 404, description = "no such notice, or the signature does not verify", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn confirm_notice(
    State(engine): State<Engine>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let signature = headers.get("obereg-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    engine.confirm_notice(&tenant, &id, signature, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
