//! The journal: its public key, signed checkpoints, entries (all, or about one subject) and
//! inclusion and consistency proofs. Reading the journal takes an admin token; the key is
//! readable with any token of the tenant.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use obereg_engine::{CheckpointRecord, ConsistencyProofView, Engine, InclusionProofView, JournalEntryView, MAX_PAGE};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rfc3339;
use crate::extract::{Caller, QueryParams};
use crate::problem::{ApiError, ProblemBody};

/// A tenant's checkpoint-signing key.
#[derive(Debug, Serialize, ToSchema)]
pub struct JournalKeyView {
    /// The log's origin, also the key name.
    pub origin: String,
    /// The C2SP verifier key, `<name>+<key id>+<base64(0x01 ‖ key)>`; pin it.
    pub verifier_key: String,
    /// The raw Ed25519 public key, base64.
    pub public_key: String,
    pub algorithm: &'static str,
}

/// A signed tree head.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointView {
    pub size: i64,
    /// Hex root hash.
    pub root: String,
    /// The C2SP signed note, verifiable with the verifier key.
    pub note: String,
    pub signed_at: String,
}

impl From<CheckpointRecord> for CheckpointView {
    fn from(c: CheckpointRecord) -> Self {
        Self { size: c.size, root: hex::encode(&c.root), note: c.note, signed_at: rfc3339(c.signed_at) }
    }
}

/// One journal entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub index: u64,
    /// Hex SHA-256(0x00 ‖ body).
    pub leaf_hash: String,
    /// The entry's JSON line exactly as hashed; hash these bytes to check the leaf.
    pub body: String,
    /// The same entry, parsed.
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
}

impl From<JournalEntryView> for EntryView {
    fn from(e: JournalEntryView) -> Self {
        let entry = serde_json::from_str(&e.body).unwrap_or(serde_json::Value::Null);
        Self { index: e.index, leaf_hash: e.leaf_hash.to_hex(), body: e.body, entry }
    }
}

/// A page of entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntriesPage {
    pub entries: Vec<EntryView>,
    /// Pass as `from` for the next page; absent on the last page.
    pub next: Option<u64>,
}

/// Paging through entries.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// First index to return (default 0).
    pub from: Option<u64>,
    /// How many entries, 1–1000 (default 100).
    pub limit: Option<u32>,
}

/// Which entry, in which tree.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    pub index: u64,
    /// Tree size; default: the latest checkpoint.
    pub size: Option<u64>,
}

/// Between which tree sizes.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    pub from: u64,
    /// Default: the latest checkpoint.
    pub to: Option<u64>,
}

/// An inclusion proof (RFC 9162 §2.1.3).
#[derive(Debug, Serialize, ToSchema)]
pub struct InclusionProofResponse {
    pub index: u64,
    pub size: u64,
    pub leaf_hash: String,
    pub body: String,
    /// Hex hashes, nearest the leaf first.
    pub proof: Vec<String>,
    pub root: String,
    /// The signed checkpoint at `size`, when one was signed at that size.
    pub checkpoint: Option<String>,
}

impl From<InclusionProofView> for InclusionProofResponse {
    fn from(p: InclusionProofView) -> Self {
        Self {
            index: p.entry.index,
            size: p.size,
            leaf_hash: p.entry.leaf_hash.to_hex(),
            body: p.entry.body,
            proof: p.proof.iter().map(|h| h.to_hex()).collect(),
            root: p.root.to_hex(),
            checkpoint: p.checkpoint,
        }
    }
}

/// A consistency proof (RFC 9162 §2.1.4).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsistencyProofResponse {
    pub from: u64,
    pub to: u64,
    pub from_root: String,
    pub to_root: String,
    pub proof: Vec<String>,
    pub from_checkpoint: Option<String>,
    pub to_checkpoint: Option<String>,
}

impl From<ConsistencyProofView> for ConsistencyProofResponse {
    fn from(p: ConsistencyProofView) -> Self {
        Self {
            from: p.from,
            to: p.to,
            from_root: p.from_root.to_hex(),
            to_root: p.to_root.to_hex(),
            proof: p.proof.iter().map(|h| h.to_hex()).collect(),
            from_checkpoint: p.from_checkpoint,
            to_checkpoint: p.to_checkpoint,
        }
    }
}

const DEFAULT_PAGE: u32 = 100;

fn page(entries: Vec<JournalEntryView>, limit: u32) -> EntriesPage {
    let next = (entries.len() as u32 == limit).then(|| entries.last().map(|e| e.index + 1)).flatten();
    EntriesPage { entries: entries.into_iter().map(Into::into).collect(), next }
}

fn limit(asked: Option<u32>) -> u32 {
    asked.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
}

/// The tenant's checkpoint-signing public key.
#[utoipa::path(get, path = "/v1/journal/key", tag = "journal", security(("bearer" = [])), responses(
    (status = 200, description = "the key", body = JournalKeyView),
    (status = 401, description = "no valid token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn key(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<JournalKeyView>, ApiError> {
    let k = engine.journal_key(&actor)?;
    Ok(Json(JournalKeyView { origin: k.origin, verifier_key: k.verifier_key, public_key: k.public_key, algorithm: "ed25519" }))
}

/// The latest signed checkpoint.
#[utoipa::path(get, path = "/v1/journal/checkpoint", tag = "journal", security(("bearer" = [])), responses(
    (status = 200, description = "the latest checkpoint", body = CheckpointView),
    (status = 403, description = "not an admin token", body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "nothing signed yet", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn latest_checkpoint(State(engine): State<Engine>, Caller(actor): Caller) -> Result<Json<CheckpointView>, ApiError> {
    Ok(Json(engine.latest_checkpoint(&actor).await?.into()))
}

/// Signs a checkpoint of the journal as it is now (or returns the one at this size).
#[utoipa::path(post, path = "/v1/journal/checkpoints", tag = "journal", security(("bearer" = [])), responses(
    (status = 201, description = "signed", body = CheckpointView),
    (status = 403, description = "not an admin token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn sign_checkpoint(State(engine): State<Engine>, Caller(actor): Caller) -> Result<(StatusCode, Json<CheckpointView>), ApiError> {
    Ok((StatusCode::CREATED, Json(engine.checkpoint_now(&actor).await?.into())))
}

/// Entries in index order.
#[utoipa::path(get, path = "/v1/journal/entries", tag = "journal", security(("bearer" = [])), params(PageQuery), responses(
    (status = 200, description = "a page of entries", body = EntriesPage),
    (status = 400, description = "malformed query", body = ProblemBody, content_type = "application/problem+json"),
    (status = 403, description = "not an admin token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn entries(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<PageQuery>,
) -> Result<Json<EntriesPage>, ApiError> {
    let limit = limit(q.limit);
    Ok(Json(page(engine.journal_entries(&actor, q.from.unwrap_or(0), limit).await?, limit)))
}

/// Entries about one subject: who touched the subject's data, when and why.
#[utoipa::path(get, path = "/v1/journal/subjects/{subject}/entries", tag = "journal", security(("bearer" = [])),
    params(("subject" = String, Path, description = "the subject's opaque id"), PageQuery), responses(
    (status = 200, description = "a page of entries", body = EntriesPage),
    (status = 403, description = "not an admin token", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn subject_entries(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(subject): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> Result<Json<EntriesPage>, ApiError> {
    let limit = limit(q.limit);
    Ok(Json(page(engine.subject_journal(&actor, &subject, q.from.unwrap_or(0), limit).await?, limit)))
}

/// The proof that an entry is in the tree of a given size.
#[utoipa::path(get, path = "/v1/journal/proofs/inclusion", tag = "journal", security(("bearer" = [])), params(InclusionQuery), responses(
    (status = 200, description = "the proof", body = InclusionProofResponse),
    (status = 400, description = "malformed query", body = ProblemBody, content_type = "application/problem+json"),
    (status = 404, description = "no checkpoint yet (give `size`)", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "index or size beyond the log", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn inclusion(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<InclusionQuery>,
) -> Result<Json<InclusionProofResponse>, ApiError> {
    Ok(Json(engine.inclusion_proof(&actor, q.index, q.size).await?.into()))
}

/// The proof that the tree of `from` entries is a prefix of the tree of `to` entries.
#[utoipa::path(get, path = "/v1/journal/proofs/consistency", tag = "journal", security(("bearer" = [])), params(ConsistencyQuery), responses(
    (status = 200, description = "the proof", body = ConsistencyProofResponse),
    (status = 400, description = "malformed query", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "sizes reversed or beyond the log", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn consistency(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    QueryParams(q): QueryParams<ConsistencyQuery>,
) -> Result<Json<ConsistencyProofResponse>, ApiError> {
    Ok(Json(engine.consistency_proof(&actor, q.from, q.to).await?.into()))
}
