//! The vault over HTTP: subjects, their values and records, lookup, restriction, erasure and
//! batch import. Values travel only in request and response bodies, never in URLs (which
//! proxies log), so lookup is a POST.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use obereg_core::value::PlainValue;
use obereg_engine::Engine;
use obereg_engine::vault::{
    AttributeView, Found, ImportOutcome, ImportRow, MAX_API_IMPORT_BATCH, NewRecord, NewSubjectInput, NewValue, RecordBody, RecordView,
    SubjectRef, SubjectView, check_import_batch,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{Caller, JsonBody, QueryParams};
use crate::problem::{ApiError, ProblemBody};

/// A value to store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValueInput {
    /// A category id of the catalog (`contact.phone`).
    pub category: String,
    /// The value; validated and normalised per the category's `normalize`.
    pub value: String,
    /// The purposes it is collected for; each must process the category.
    pub purposes: Vec<String>,
    /// Where it came from, as a code (`web_form`); `api` when left out.
    pub source: Option<String>,
}

/// An activity record to store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    pub category: String,
    /// RFC 3339 time of the call, message or submission.
    pub occurred_at: String,
    pub purposes: Vec<String>,
    pub source: Option<String>,
    /// `{"kind":"call","direction":"outbound","duration_secs":42,"number":"+7…","operator":"robot-7","transcript_ref":"s3://…"}`,
    /// `{"kind":"message","channel":"sms","direction":"inbound","text":"…"}` or
    /// `{"kind":"form","form":"callback","fields":{"comment":"…"}}`.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
}

/// A subject to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubject {
    /// A `[[subject_kinds]]` id of the catalog.
    pub kind: String,
    #[serde(default)]
    pub values: Vec<ValueInput>,
    #[serde(default)]
    pub records: Vec<RecordInput>,
}

/// Values and records to add to a subject.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToSubject {
    #[serde(default)]
    pub values: Vec<ValueInput>,
    #[serde(default)]
    pub records: Vec<RecordInput>,
}

/// A subject without its data.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectRefView {
    pub id: String,
    pub kind: String,
    /// `active`, `restricted` or `erased`.
    pub status: String,
    pub created_at: String,
    pub restricted_at: Option<String>,
}

impl From<SubjectRef> for SubjectRefView {
    fn from(s: SubjectRef) -> Self {
        Self {
            id: s.id,
            kind: s.kind,
            status: s.status.as_str().into(),
            created_at: s.created_at.to_string(),
            restricted_at: s.restricted_at.map(|t| t.to_string()),
        }
    }
}

/// One value as read.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeOut {
    pub id: String,
    pub category: String,
    /// The value, or its masked form when `masked` is true.
    pub value: String,
    pub masked: bool,
    /// The public handle of a card number.
    pub token: Option<String>,
    pub purposes: Vec<String>,
    pub source: String,
    pub collected_at: String,
}

impl From<AttributeView> for AttributeOut {
    fn from(a: AttributeView) -> Self {
        Self {
            value: a.value.expose().to_owned(),
            id: a.id,
            category: a.category,
            masked: a.masked,
            token: a.token,
            purposes: a.purposes,
            source: a.source,
            collected_at: a.collected_at.to_string(),
        }
    }
}

/// One record as read.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordOut {
    pub id: String,
    pub kind: String,
    pub category: String,
    pub occurred_at: String,
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    pub purposes: Vec<String>,
    pub source: String,
    pub collected_at: String,
}

impl From<RecordView> for RecordOut {
    fn from(r: RecordView) -> Self {
        Self {
            body: serde_json::to_value(&r.body).unwrap_or_default(),
            id: r.id,
            kind: r.kind.as_str().into(),
            category: r.category,
            occurred_at: r.occurred_at.to_string(),
            purposes: r.purposes,
            source: r.source,
            collected_at: r.collected_at.to_string(),
        }
    }
}

/// A subject as one purpose-bound read returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectOut {
    pub subject: SubjectRefView,
    pub purpose: String,
    pub attributes: Vec<AttributeOut>,
    pub records: Vec<RecordOut>,
}

impl From<SubjectView> for SubjectOut {
    fn from(v: SubjectView) -> Self {
        Self {
            subject: v.subject.into(),
            purpose: v.purpose,
            attributes: v.attributes.into_iter().map(Into::into).collect(),
            records: v.records.into_iter().map(Into::into).collect(),
        }
    }
}

/// The purpose a read or change acts for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PurposeQuery {
    /// A `[[purposes]]` id of the catalog.
    pub purpose: String,
}

/// A lookup by a searchable value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchSubjects {
    /// A searchable category (`contact.phone`, `contact.email`).
    pub category: String,
    /// The value in any spelling the category's normalisation accepts.
    pub value: String,
    pub purpose: String,
}

/// A lookup of many values of one category at once (a call list, a CRM sync).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchSubjectsBatch {
    pub category: String,
    /// At most 1000 values, each in any spelling the category's normalisation accepts.
    pub values: Vec<String>,
    pub purpose: String,
}

/// The answer for one value, by position.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultOut {
    /// Position in `values`, from 0.
    pub index: usize,
    /// The subjects holding the value; empty when none (or when the value is invalid).
    pub subjects: Vec<SubjectRefView>,
    /// Set when the value is not a valid one of its category.
    pub code: Option<String>,
    pub message: Option<String>,
}

/// A corrected value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectifyValue {
    pub value: String,
    pub purpose: String,
}

/// Ids of the items added.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddedItems {
    pub ids: Vec<String>,
}

/// What an erasure did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureOut {
    pub subject: String,
    pub erased_at: String,
    /// The journal entry recording the destruction.
    pub journal_index: u64,
    /// The destruction act (RKN Order 179), at `/v1/acts/{act}`.
    pub act: String,
}

/// A batch of subjects to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportBatch {
    pub subjects: Vec<CreateSubject>,
}

/// One row's outcome.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRowOut {
    /// Position in the batch, from 0.
    pub row: u64,
    /// `created`, `duplicate` or `error`.
    pub outcome: String,
    /// The new subject, or the existing one a duplicate matched.
    pub subject: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
}

/// The outcome of an import batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOut {
    pub created: usize,
    pub duplicates: usize,
    pub errors: usize,
    pub rows: Vec<ImportRowOut>,
}

fn values(input: Vec<ValueInput>) -> Vec<NewValue> {
    input
        .into_iter()
        .map(|v| NewValue {
            category: v.category,
            value: PlainValue::new(v.value),
            purposes: v.purposes,
            source: v.source.unwrap_or_else(|| "api".into()),
        })
        .collect()
}

fn records(input: Vec<RecordInput>) -> Result<Vec<NewRecord>, ApiError> {
    input
        .into_iter()
        .map(|r| {
            let body: RecordBody = serde_json::from_value(r.body).map_err(|_| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "record.invalid_body",
                    "a record body must be a call, message or form object as documented",
                    "тело записи должно быть объектом call, message или form, как описано в документации",
                )
            })?;
            let occurred_at = r.occurred_at.parse().map_err(|_| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "record.invalid_time",
                    "occurred_at must be an RFC 3339 time like 2026-11-20T09:30:00Z",
                    "occurred_at должно быть временем RFC 3339, например 2026-11-20T09:30:00Z",
                )
            })?;
            Ok(NewRecord {
                category: r.category,
                occurred_at,
                body,
                purposes: r.purposes,
                source: r.source.unwrap_or_else(|| "api".into()),
            })
        })
        .collect()
}

fn subject_input(s: CreateSubject) -> Result<NewSubjectInput, ApiError> {
    Ok(NewSubjectInput { kind: s.kind, values: values(s.values), records: records(s.records)? })
}

/// Creates a subject with its first values and records.
#[utoipa::path(post, path = "/v1/subjects", tag = "subjects", security(("bearer" = [])), request_body = CreateSubject, responses(
    (status = 201, description = "created", body = SubjectRefView),
    (status = 403, description = "the role may not collect this", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "invalid value, unknown category or purpose", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn create_subject(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<CreateSubject>,
) -> Result<(StatusCode, Json<SubjectRefView>), ApiError> {
    let created = engine.create_subject(&actor, subject_input(body)?).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// Reads a subject for a purpose: only what the role and purpose allow, masked per the catalog.
#[utoipa::path(get, path = "/v1/subjects/{id}", tag = "subjects", security(("bearer" = [])), params(("id" = String, Path), PurposeQuery), responses(
    (status = 200, description = "the subject's data for this purpose", body = SubjectOut),
    (status = 403, description = "the role may not read for this purpose, or the subject is restricted", body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "no such subject", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn read_subject(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<PurposeQuery>,
) -> Result<Json<SubjectOut>, ApiError> {
    Ok(Json(engine.read_subject(&actor, &id, &q.purpose).await?.into()))
}

/// Finds subjects by a searchable value through its blind index.
#[utoipa::path(post, path = "/v1/subjects/search", tag = "subjects", security(("bearer" = [])), request_body = SearchSubjects, responses(
    (status = 200, description = "matching subjects (never erased ones)", body = Vec<SubjectRefView>),
    (status = 422, description = "category not searchable or value invalid", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn search_subjects(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<SearchSubjects>,
) -> Result<Json<Vec<SubjectRefView>>, ApiError> {
    let found = engine.find_subjects(&actor, &body.category, &PlainValue::new(body.value), &body.purpose).await?;
    Ok(Json(found.into_iter().map(Into::into).collect()))
}

/// Finds subjects for up to 1000 values at once, with one journal entry for the whole
/// batch naming every subject found. An invalid value is answered in place; the others go on.
#[utoipa::path(post, path = "/v1/subjects/search/batch", tag = "subjects", security(("bearer" = [])), request_body = SearchSubjectsBatch, responses(
    (status = 200, description = "one result per value, by position", body = Vec<SearchResultOut>),
    (status = 422, description = "category not searchable, or more than 1000 values", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn search_subjects_batch(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<SearchSubjectsBatch>,
) -> Result<Json<Vec<SearchResultOut>>, ApiError> {
    let lang = crate::context::current().map(|c| c.lang).unwrap_or_default();
    let values: Vec<PlainValue> = body.values.into_iter().map(PlainValue::new).collect();
    let found = engine.find_subjects_many(&actor, &body.category, &values, &body.purpose).await?;
    let out = found
        .into_iter()
        .enumerate()
        .map(|(index, f)| match f {
            Found::Subjects(list) => {
                SearchResultOut { index, subjects: list.into_iter().map(Into::into).collect(), code: None, message: None }
            }
            Found::Invalid { code, message } => {
                SearchResultOut { index, subjects: vec![], code: Some(code.to_owned()), message: Some(message.get(lang).to_owned()) }
            }
        })
        .collect();
    Ok(Json(out))
}

/// Adds values and records to an active subject.
#[utoipa::path(post, path = "/v1/subjects/{id}/items", tag = "subjects", security(("bearer" = [])), params(("id" = String, Path)), request_body = AddToSubject, responses(
    (status = 201, description = "added", body = AddedItems),
    (status = 403, description = "refused (role, or a restricted subject)", body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "no such subject", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn add_items(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AddToSubject>,
) -> Result<(StatusCode, Json<AddedItems>), ApiError> {
    let ids = engine.add_to_subject(&actor, &id, values(body.values), records(body.records)?).await?;
    Ok((StatusCode::CREATED, Json(AddedItems { ids })))
}

/// Replaces a value with a corrected one (уточнение).
#[utoipa::path(put, path = "/v1/subjects/{id}/items/{item}", tag = "subjects", security(("bearer" = [])), params(("id" = String, Path), ("item" = String, Path)), request_body = RectifyValue, responses(
    (status = 204, description = "corrected"),
    (status = 404, description = "no such subject or value for this purpose", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn rectify_value(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path((id, item)): Path<(String, String)>,
    JsonBody(body): JsonBody<RectifyValue>,
) -> Result<StatusCode, ApiError> {
    engine.rectify_value(&actor, &id, &item, &PlainValue::new(body.value), &body.purpose).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes one value (удаление).
#[utoipa::path(delete, path = "/v1/subjects/{id}/items/{item}", tag = "subjects", security(("bearer" = [])), params(("id" = String, Path), ("item" = String, Path), PurposeQuery), responses(
    (status = 204, description = "deleted"),
    (status = 404, description = "no such subject or value for this purpose", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn delete_value(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path((id, item)): Path<(String, String)>,
    QueryParams(q): QueryParams<PurposeQuery>,
) -> Result<StatusCode, ApiError> {
    engine.delete_value(&actor, &id, &item, &q.purpose).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restricts (blocks) a subject: data kept, every use but storage refused.
#[utoipa::path(post, path = "/v1/subjects/{id}/restriction", tag = "subjects", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "restricted", body = SubjectRefView),
    (status = 422, description = "not active", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn restrict(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<SubjectRefView>, ApiError> {
    Ok(Json(engine.restrict_subject(&actor, &id).await?.into()))
}

/// Lifts a restriction (a `dpo` role or an administrator).
#[utoipa::path(delete, path = "/v1/subjects/{id}/restriction", tag = "subjects", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "active again", body = SubjectRefView),
    (status = 422, description = "not restricted", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn lift_restriction(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<SubjectRefView>, ApiError> {
    Ok(Json(engine.lift_restriction(&actor, &id).await?.into()))
}

/// Erases a subject by destroying its data key (crypto-shredding).
#[utoipa::path(delete, path = "/v1/subjects/{id}", tag = "subjects", security(("bearer" = [])), params(("id" = String, Path)), responses(
    (status = 200, description = "erased", body = ErasureOut),
    (status = 404, description = "no such subject, or erased already", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn erase_subject(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
) -> Result<Json<ErasureOut>, ApiError> {
    let e = engine.erase_subject(&actor, &id).await?;
    Ok(Json(ErasureOut { subject: e.subject, erased_at: e.erased_at.to_string(), journal_index: e.journal_index, act: e.act }))
}

/// Imports up to 10,000 subjects: valid rows are stored in one transaction, duplicates (by
/// a searchable value) are skipped, invalid rows are reported by position.
#[utoipa::path(post, path = "/v1/subjects/import", tag = "subjects", security(("bearer" = [])), request_body = ImportBatch, responses(
    (status = 200, description = "per-row outcomes", body = ImportOut),
    (status = 422, description = "batch too large", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn import(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<ImportBatch>,
) -> Result<Json<ImportOut>, ApiError> {
    check_import_batch(body.subjects.len(), MAX_API_IMPORT_BATCH)?;
    let lang = crate::context::current().map(|c| c.lang).unwrap_or_default();
    let mut rows = Vec::with_capacity(body.subjects.len());
    let mut early = Vec::new();
    for (i, s) in body.subjects.into_iter().enumerate() {
        match subject_input(s) {
            Ok(input) => rows.push(ImportRow { line: i as u64, input }),
            Err(e) => early.push(ImportRowOut {
                row: i as u64,
                outcome: "error".into(),
                subject: None,
                code: Some(e.code.to_owned()),
                message: Some(e.title.get(lang).to_owned()),
            }),
        }
    }
    let report = engine.import_subjects(&actor, rows).await?;
    let mut out: Vec<ImportRowOut> = early;
    for (row, outcome) in &report.outcomes {
        let (kind, subject) = match outcome {
            ImportOutcome::Created(id) => ("created", id),
            ImportOutcome::Duplicate(id) => ("duplicate", id),
        };
        out.push(ImportRowOut { row: *row, outcome: kind.into(), subject: Some(subject.clone()), code: None, message: None });
    }
    for e in &report.errors {
        out.push(ImportRowOut {
            row: e.line,
            outcome: "error".into(),
            subject: None,
            code: Some(e.code.to_owned()),
            message: Some(e.message.get(lang).to_owned()),
        });
    }
    out.sort_by_key(|r| r.row);
    let errors = out.iter().filter(|r| r.outcome == "error").count();
    Ok(Json(ImportOut { created: report.created(), duplicates: report.duplicates(), errors, rows: out }))
}

/// A card token to resolve.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetokenizeIn {
    /// `crd_…`, as reads return it.
    pub token: String,
    pub purpose: String,
}

/// The card number behind a token.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardOut {
    pub subject: String,
    pub item: String,
    pub token: String,
    /// The number, or `**** 0004` for a role that sees cards masked.
    pub value: String,
    pub masked: bool,
}

/// The card number behind a token, for a role and purpose the catalog allows (masked where
/// it says so); journaled as an extraction.
#[utoipa::path(post, path = "/v1/cards/detokenize", tag = "subjects", security(("bearer" = [])), request_body = DetokenizeIn, responses(
    (status = 200, description = "the number", body = CardOut),
    (status = 403, description = "the role may not see cards for this purpose", body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "no such token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn detokenize(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    JsonBody(body): JsonBody<DetokenizeIn>,
) -> Result<Json<CardOut>, ApiError> {
    let card = engine.detokenize(&actor, &body.token, &body.purpose).await?;
    Ok(Json(CardOut {
        subject: card.subject,
        item: card.item,
        token: card.token,
        value: card.value.expose().to_owned(),
        masked: card.masked,
    }))
}
