//! Rows as the store reads and writes them. Timestamps are UTC microseconds since the epoch.

/// A tenant: one controller whose data obereg processes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TenantRecord {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// A catalog version to be stored; the store assigns its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCatalogVersion {
    pub tenant_id: String,
    /// Hex SHA-256 of `source`.
    pub sha256: String,
    pub source: String,
    pub created_at: i64,
    /// Id of the token that uploaded it; `None` for versions loaded from the command line.
    pub created_by: Option<String>,
}

/// A stored catalog version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CatalogVersionRecord {
    pub tenant_id: String,
    pub version: i64,
    pub sha256: String,
    pub source: String,
    pub created_at: i64,
    pub created_by: Option<String>,
}

/// A catalog version without its source, for listings.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CatalogVersionSummary {
    pub version: i64,
    pub sha256: String,
    pub created_at: i64,
    pub created_by: Option<String>,
}

/// An API token. Only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenRecord {
    pub id: String,
    pub tenant_id: String,
    pub role: String,
    pub label: String,
    pub token_hash: Vec<u8>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Where an append landed: entries `first..size`, and the tree size after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub first: u64,
    pub size: u64,
}

/// A tenant's journal head: its size and the frontier hashes (see `obereg_journal::Frontier`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JournalHead {
    pub size: i64,
    pub frontier: Vec<u8>,
}

/// A stored journal entry: its position, leaf hash and the exact bytes hashed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JournalEntryRecord {
    pub idx: i64,
    pub leaf_hash: Vec<u8>,
    pub body: Vec<u8>,
}

/// A stored perfect-subtree hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JournalNodeRecord {
    pub level: i64,
    pub idx: i64,
    pub hash: Vec<u8>,
}

/// A signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckpointRecord {
    pub tenant_id: String,
    pub size: i64,
    pub root: Vec<u8>,
    /// The complete C2SP signed note.
    pub note: String,
    pub signed_at: i64,
}

/// A subject as stored: an opaque id, a kind from the catalog and a status.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubjectRecord {
    pub tenant_id: String,
    pub id: String,
    pub kind: String,
    /// `active`, `restricted` or `erased`.
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub restricted_at: Option<i64>,
    pub erased_at: Option<i64>,
}

/// A subject's wrapped data key, as the keystore holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubjectKeyRecord {
    pub tenant_id: String,
    pub subject_id: String,
    pub dek_version: i64,
    pub kek_version: i64,
    pub wrapped: Vec<u8>,
    pub created_at: i64,
}

/// A stored data key and its slot in the keystore: the position rotation resumes after.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeySlot {
    #[sqlx(rename = "subject_seq")]
    pub slot: i64,
    #[sqlx(flatten)]
    pub key: SubjectKeyRecord,
}

/// One sealed attribute value or activity record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ItemRecord {
    pub tenant_id: String,
    pub subject_id: String,
    pub id: String,
    /// `attribute`, or a record kind: `call`, `message`, `form`.
    pub kind: String,
    pub category: String,
    /// Purpose ids, comma-separated.
    pub purposes: String,
    pub source: String,
    pub collected_at: i64,
    pub occurred_at: Option<i64>,
    pub blind: Option<Vec<u8>>,
    pub token: Option<String>,
    pub sealed: Vec<u8>,
}

/// A new subject with its key and first items, stored together.
#[derive(Debug, Clone)]
pub struct NewSubject {
    pub subject: SubjectRecord,
    pub key: SubjectKeyRecord,
    pub items: Vec<ItemRecord>,
}

/// A subject with its key and items, as one read returns it.
#[derive(Debug, Clone)]
pub struct SubjectData {
    pub subject: SubjectRecord,
    /// `None` once the subject is erased (or its key is otherwise gone).
    pub key: Option<SubjectKeyRecord>,
    pub items: Vec<ItemRecord>,
}

/// A change to one subject's items, made only while the subject's status is still
/// `expected_status` (the one the caller decided on).
#[derive(Debug, Clone)]
pub struct ItemChange {
    pub tenant_id: String,
    pub subject_id: String,
    pub expected_status: &'static str,
    pub at: i64,
    pub insert: Vec<ItemRecord>,
    /// Items replaced in place (same id): new sealed value, blind index and token.
    pub update: Vec<ItemRecord>,
    pub delete: Vec<String>,
}

/// Key-encryption key versions and how many data keys each still wraps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeystoreStatus {
    pub current_version: i64,
    /// `(version, data keys wrapped by it)`, for every version that wraps any.
    pub keys_by_version: Vec<(i64, u64)>,
}

/// A consent document version as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsentDocumentRecord {
    pub tenant_id: String,
    /// Hex SHA-256 of the document (see the engine's `consent` module for what is hashed).
    pub sha256: String,
    /// Comma-separated purpose ids, in catalog order.
    pub purposes: String,
    pub written: bool,
    pub catalog_version: i64,
    pub body_ru: String,
    pub body_en: String,
    pub created_at: i64,
}

/// One consent event of a subject, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConsentEventRecord {
    /// The event's number in the subject's history, from 0.
    pub idx: i64,
    pub tenant_id: String,
    pub purpose: String,
    pub channel: Option<String>,
    pub cookie: Option<String>,
    /// `given`, `withdrawn`, `expired` or `refused`.
    pub action: String,
    pub at: i64,
    pub method: String,
    pub document: Option<String>,
    pub valid_until: Option<i64>,
    pub by_representative: bool,
    /// Sealed under the subject's data key.
    pub evidence: Option<Vec<u8>>,
}

/// A consent event row with its subject's id, as `consent_events_many` reads it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SubjectConsentRow {
    #[sqlx(rename = "id")]
    pub subject_id: String,
    #[sqlx(flatten)]
    pub event: ConsentEventRecord,
}

impl From<SubjectConsentRow> for ConsentEventRecord {
    fn from(row: SubjectConsentRow) -> Self {
        row.event
    }
}

/// One entry of the change feed: `key` of `kind` (`subject` or `token`) changed in the
/// transaction whose first journal entry has index `idx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub idx: i64,
    pub kind: String,
    pub key: String,
}

/// A page of the tenant's subjects with their blind indexes, for the engine's in-memory
/// contact index (`Store::contact_rows`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactPage {
    /// Every subject read, erased ones included (they hold no blinds), in sequence order.
    pub subjects: Vec<SubjectRecord>,
    /// `(subject id, category, blind index)` for each searchable value of those subjects.
    pub blinds: Vec<(String, String, Vec<u8>)>,
    /// The highest sequence number read: where the next page starts. Internal, opaque to
    /// callers; `None` when the page is empty.
    pub last: Option<i64>,
}

/// What a freshness probe reads: the catalog in force and the changes since the last probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeFeed {
    /// The SHA-256 of the catalog version in force, `None` before the first.
    pub catalog_sha: Option<String>,
    pub changes: Vec<ChangeRecord>,
    /// `false` when the limit cut the list short: there may be more.
    pub complete: bool,
}

/// A data-subject request's current state, as one row (migration 000008).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RequestRecord {
    pub tenant_id: String,
    pub id: String,
    pub kind: String,
    pub jurisdiction: String,
    /// How it arrived: `api`, `portal`, `email`, `phone`, `paper`.
    pub channel: String,
    pub state: String,
    /// Bumped by every change; the optimistic lock.
    pub version: i64,
    /// The subject it concerns, once identity is established and matched.
    pub subject_id: Option<String>,
    /// Blind index of the normalised contact address.
    pub contact_blind: Option<Vec<u8>>,
    pub received_at: i64,
    /// The due date, `YYYY-MM-DD`.
    pub due_on: String,
    /// A year without a published production calendar went into the due date.
    pub due_provisional: bool,
    pub extended: bool,
    /// How identity was established: `code`, `manual`, `staff`.
    pub verified_by: Option<String>,
    /// Keyed hash of the pending one-time code.
    pub code_hash: Option<Vec<u8>>,
    pub code_expires_at: Option<i64>,
    pub code_attempts: i64,
    pub codes_sent: i64,
    /// Hash of the secret the requester follows the request with.
    pub key_hash: Option<Vec<u8>>,
    /// Contact, request text and answer, sealed.
    pub sealed: Vec<u8>,
    pub updated_at: i64,
    /// When staff were reminded of the due date.
    pub reminded_at: Option<i64>,
    pub closed_at: Option<i64>,
}

/// One transition of a request.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RequestEventRecord {
    pub tenant_id: String,
    pub request_id: String,
    /// The version the request left.
    pub idx: i64,
    pub at: i64,
    pub event: String,
    pub from_state: String,
    pub to_state: String,
    /// The role that acted, or `subject`.
    pub actor: String,
    /// The reason given, sealed.
    pub sealed_note: Option<Vec<u8>>,
}

/// Which requests a listing returns, most urgent first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFilter {
    /// Only requests not yet completed, refused or withdrawn.
    pub open_only: bool,
    pub state: Option<String>,
    pub subject_id: Option<String>,
    /// Only requests due on or before this date (`YYYY-MM-DD`).
    pub due_by: Option<String>,
    /// Resume after this `(due_on, id)`.
    pub after: Option<(String, String)>,
    pub limit: u32,
}

/// One message of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxRecord {
    pub tenant_id: String,
    /// The delivery id: receivers de-duplicate by it.
    pub id: String,
    pub request_id: Option<String>,
    /// The subject a notice about a subject (not a request) goes to; such a message is
    /// sealed under the subject's data key.
    pub subject_id: Option<String>,
    /// The catalog recipient a webhook notice goes to.
    pub recipient: Option<String>,
    /// `email`, `sms` or `webhook`.
    pub channel: String,
    /// What the message is (`verification_code`, `request_received`, …).
    pub template: String,
    /// `pending`, `sent` or `dead`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    /// Address and text, sealed; wiped once delivered.
    pub sealed: Option<Vec<u8>>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    /// The code of the last delivery failure (never the message or the address).
    pub last_error: Option<String>,
    /// When the recipient confirmed it acted on a webhook notice.
    pub confirmed_at: Option<i64>,
}
