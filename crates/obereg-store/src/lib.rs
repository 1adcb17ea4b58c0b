//! obereg's storage: the [`Store`] trait, its error type, and one implementation per backend.
//!
//! SQLite (embedded, the zero-setup default) and PostgreSQL (production) each have their own
//! migrations under `migrations/`, but share one set of queries (`queries.rs`): both accept
//! `$n` placeholders, `RETURNING` and `ON CONFLICT`, and every column uses a type both decode
//! the same way (TEXT, 64-bit integers, bytes). The same conformance suite
//! (`tests/it/conformance.rs`) runs against both.
//!
//! The trait returns boxed futures so the rest of obereg can hold an `Arc<dyn Store>` and
//! choose the backend at run time from the database URL.

mod bulk_sql;
mod checkpointer;
mod commit_mark;
mod consent_sql;
mod error;
mod incident_sql;
mod journal_sql;
mod nodelay;
mod postgres;
mod publication_sql;
mod queries;
mod records;
mod requests_sql;
mod retention_sql;
mod schema;
mod sqlite;
mod stats_sql;
mod vault_sql;
mod web_sql;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use obereg_journal::{EntryDraft, Hash, StoredRange, Subtree};

pub use commit_mark::CommitMark;
pub use error::StoreError;
pub use incident_sql::{IncidentNoticeRecord, IncidentRecord, MAX_LISTED_INCIDENTS};
pub use postgres::PgStore;
pub use publication_sql::{NoticeBatch, PublicationRecord};
pub use records::*;
pub use retention_sql::{ActRecord, GeneratedDocumentRecord, ItemMeta, RetentionBatch, RetentionSubject, SweepRecord};
pub use sqlite::{SqliteStore, keystore_path};
pub use stats_sql::{StatFact, StatReleaseRecord};
pub use web_sql::{DAY_MICROS, DashboardCounts, PortalCodeRecord, StaffAccountRecord, WebSessionRecord};

/// A boxed, sendable future returning a storage result.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Everything obereg keeps, behind one interface. Each method is atomic.
///
/// Every method that changes something takes the journal entries that record the change
/// and appends them in the same transaction (see `journal_sql.rs`): there is no way to
/// write through the store without journaling, and no entry without its change.
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    fn backend(&self) -> Backend;

    /// Answers when the database is reachable; used by `/readyz`.
    fn ping(&self) -> StoreFuture<'_, ()>;

    /// A mark of the database's commit state read without a query (see `commit_mark.rs`):
    /// two equal marks prove that nothing was committed between their readings, by any
    /// connection. `None` when the backend has no such mark; callers then query.
    fn commit_mark(&self) -> Option<CommitMark>;

    /// Tidies up after a bulk load. PostgreSQL: `ANALYZE` of the vault's tables; until
    /// autovacuum gets there, it plans a lookup of many values over a freshly imported table
    /// as a full scan (135 ms instead of well under one at 100,000 subjects). SQLite (whose
    /// queries are written for a planner without statistics): a `TRUNCATE` checkpoint, which
    /// copies the write-ahead log into the database files and cuts the log files, grown to
    /// up to a gigabyte by the import, back to nothing (`checkpointer.rs`).
    fn settle_bulk_load(&self) -> StoreFuture<'_, ()>;

    /// Creates a tenant with its journal, its first admin token and, optionally, its first
    /// catalog, in one transaction. Fails with [`StoreError::Conflict`] when the tenant exists.
    fn create_tenant<'a>(
        &'a self,
        tenant: &'a TenantRecord,
        catalog: Option<&'a NewCatalogVersion>,
        admin: &'a TokenRecord,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Appended>;

    fn tenant<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<TenantRecord>>;

    fn tenants(&self) -> StoreFuture<'_, Vec<TenantRecord>>;

    /// Stores a new catalog version numbered one above the tenant's latest.
    fn add_catalog_version<'a>(
        &'a self,
        new: &'a NewCatalogVersion,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, (CatalogVersionRecord, Appended)>;

    /// The version number and hash of the tenant's catalog in force, without its source.
    fn current_catalog_sha<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Option<(i64, String)>>;

    /// The tenant's catalog in force: its highest version.
    fn current_catalog<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Option<CatalogVersionRecord>>;

    fn catalog_version<'a>(&'a self, tenant: &'a str, version: i64) -> StoreFuture<'a, Option<CatalogVersionRecord>>;

    /// All versions of the tenant's catalog, newest first, without their sources.
    fn catalog_versions<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<CatalogVersionSummary>>;

    fn add_token<'a>(&'a self, token: &'a TokenRecord, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// The token whose hash is `hash`, revoked or not.
    fn token_by_hash<'a>(&'a self, hash: &'a [u8]) -> StoreFuture<'a, Option<TokenRecord>>;

    /// The tenant's tokens, newest first.
    fn tokens<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<TokenRecord>>;

    /// Revokes an active token of `tenant`; `None` (and nothing journaled) when there is no
    /// such active token.
    fn revoke_token<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64, journal: &'a [EntryDraft]) -> StoreFuture<'a, Option<Appended>>;

    /// Appends entries that record no stored change: reads, refusals.
    fn append_journal<'a>(&'a self, tenant: &'a str, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// The tenant's journal size and frontier; `None` for an unknown tenant.
    fn journal_head<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Option<JournalHead>>;

    /// Entries `from..to`, in index order.
    fn journal_entries<'a>(&'a self, tenant: &'a str, from: u64, to: u64) -> StoreFuture<'a, Vec<JournalEntryRecord>>;

    /// Up to `limit` entries about one subject (naming it in `subject` or among `subjects`)
    /// with index ≥ `from`, in index order.
    fn journal_subject_entries<'a>(
        &'a self,
        tenant: &'a str,
        subject: &'a str,
        from: u64,
        limit: u32,
    ) -> StoreFuture<'a, Vec<JournalEntryRecord>>;

    /// Indexes by subject the entries naming several subjects appended since the last call
    /// (by-subject reads do this first themselves); returns the rows written.
    fn index_journal_subjects<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, u64>;

    /// The newest `limit` entries about a subject, newest first.
    fn journal_subject_latest<'a>(&'a self, tenant: &'a str, subject: &'a str, limit: u32) -> StoreFuture<'a, Vec<JournalEntryRecord>>;

    /// The stored subtree hashes in `ranges` (leaf hashes for level 0), in one query.
    fn journal_hashes<'a>(&'a self, tenant: &'a str, ranges: &'a [StoredRange]) -> StoreFuture<'a, Vec<(Subtree, Hash)>>;

    /// Up to `limit` stored interior hashes after `(level, idx)`, ordered by level then idx.
    fn journal_nodes<'a>(&'a self, tenant: &'a str, after: Option<(u8, u64)>, limit: u32) -> StoreFuture<'a, Vec<JournalNodeRecord>>;

    /// Keeps a signed checkpoint; `false` when one of that size exists already.
    fn add_checkpoint<'a>(&'a self, checkpoint: &'a CheckpointRecord) -> StoreFuture<'a, bool>;

    /// Every checkpoint of the tenant, smallest first.
    fn checkpoints<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<CheckpointRecord>>;

    /// The tenant's checkpoint at `size`, if one was signed there.
    fn checkpoint_at<'a>(&'a self, tenant: &'a str, size: u64) -> StoreFuture<'a, Option<CheckpointRecord>>;

    /// The tenant's largest checkpoint.
    fn latest_checkpoint<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Option<CheckpointRecord>>;

    // --- the vault (see `vault_sql.rs`) ---

    /// Stores new subjects with their wrapped keys and first items. Fails with
    /// [`StoreError::Conflict`] when an id or a card token exists already.
    fn create_subjects<'a>(&'a self, tenant: &'a str, subjects: &'a [NewSubject], journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// Stores a new site visitor: a subject, and the hash of the secret its browser holds,
    /// together. Fails with [`StoreError::Conflict`] when the hash is taken.
    fn create_visitor<'a>(
        &'a self,
        tenant: &'a str,
        secret_hash: &'a [u8],
        subject: &'a NewSubject,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Appended>;

    /// The id of the visitor whose secret has `secret_hash`, unless erased.
    fn visitor<'a>(&'a self, tenant: &'a str, secret_hash: &'a [u8]) -> StoreFuture<'a, Option<String>>;

    /// A subject with its key and, unless erased, its items.
    fn subject<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<SubjectData>>;

    /// The subject holding the card token `token`, if any.
    fn subject_by_token<'a>(&'a self, tenant: &'a str, token: &'a str) -> StoreFuture<'a, Option<String>>;

    /// A subject and its key, without its items (for decisions and consent events, which
    /// need the standing and the key, not the data).
    fn subject_head<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<(SubjectRecord, Option<SubjectKeyRecord>)>>;

    /// Up to `limit` subjects of `tenant` created after position `after` (a page's `last`;
    /// `-1` from the start) with their blind indexes. A tenant's subjects are numbered in the
    /// order their transactions committed (numbers are taken under the journal head lock),
    /// so a reader that has seen a page has seen every earlier subject.
    fn contact_rows<'a>(&'a self, tenant: &'a str, after: i64, limit: u32) -> StoreFuture<'a, ContactPage>;

    /// The named subjects (those that exist) with their blind indexes, as they are now.
    fn contact_rows_of<'a>(&'a self, tenant: &'a str, ids: &'a [String]) -> StoreFuture<'a, ContactPage>;

    /// Subjects (not erased) with an item of `category` whose blind index is one of
    /// `blinds`, each with the blind index that matched.
    fn find_subjects<'a>(
        &'a self,
        tenant: &'a str,
        category: &'a str,
        blinds: &'a [Vec<u8>],
    ) -> StoreFuture<'a, Vec<(Vec<u8>, SubjectRecord)>>;

    /// Applies `change` if the subject exists with the expected status; `None` (nothing
    /// written) otherwise. Fails with [`StoreError::NotFound`] when an item to update or
    /// delete does not exist.
    fn change_items<'a>(&'a self, change: &'a ItemChange, journal: &'a [EntryDraft]) -> StoreFuture<'a, Option<Appended>>;

    /// Moves a subject from status `from` to `to` (`active` ⇄ `restricted`); `None` (nothing
    /// written) when it is not in `from`.
    fn set_subject_status<'a>(
        &'a self,
        tenant: &'a str,
        id: &'a str,
        from: &'a str,
        to: &'a str,
        at: i64,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Option<Appended>>;

    /// Erases a subject: destroys its wrapped key and marks it erased, in one transaction,
    /// in time independent of how much data it has. Its item rows go later, in
    /// [`Store::purge_erased`]. `None` when there is no such subject not yet erased.
    fn erase_subject<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64, journal: &'a [EntryDraft]) -> StoreFuture<'a, Option<Appended>>;

    /// Deletes the item rows (and any key left behind) of up to `limit` erased subjects;
    /// returns how many subjects it finished. The erasure was journaled when the key went:
    /// this only removes ciphertext nobody can open.
    fn purge_erased(&self, limit: u32) -> StoreFuture<'_, u64>;

    /// The current key-encryption key version and how many data keys each version wraps.
    fn keystore_status(&self) -> StoreFuture<'_, KeystoreStatus>;

    /// The key-encryption key version new data keys are wrapped with (the highest).
    fn current_kek_version(&self) -> StoreFuture<'_, i64>;

    /// Adds the next key-encryption key version and returns it.
    fn add_kek_version(&self, at: i64) -> StoreFuture<'_, i64>;

    /// Stores a consent document version with its journal entries, unless the tenant has
    /// that version already (then nothing is written and `None` returned).
    fn put_consent_document<'a>(
        &'a self,
        document: &'a ConsentDocumentRecord,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Option<Appended>>;

    /// One stored consent document version.
    fn consent_document<'a>(&'a self, tenant: &'a str, sha256: &'a str) -> StoreFuture<'a, Option<ConsentDocumentRecord>>;

    /// The tenant's stored consent document versions, newest first (at most `limit`).
    fn consent_documents<'a>(&'a self, tenant: &'a str, limit: u32) -> StoreFuture<'a, Vec<ConsentDocumentRecord>>;

    /// Appends `event` as event number `event.idx` of a subject that is not erased; `None`
    /// when there is no such subject. Fails with [`StoreError::Conflict`] when that number
    /// is taken (another event was recorded since the caller read the history).
    fn append_consent_event<'a>(
        &'a self,
        tenant: &'a str,
        subject: &'a str,
        event: &'a ConsentEventRecord,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Option<Appended>>;

    /// A subject's consent events in order (none for an unknown or erased subject).
    fn consent_events<'a>(&'a self, tenant: &'a str, subject: &'a str) -> StoreFuture<'a, Vec<ConsentEventRecord>>;

    /// The consent events of many subjects at once, each with its subject's id, in subject
    /// and event order; unknown and erased subjects have none.
    fn consent_events_many<'a>(&'a self, tenant: &'a str, subjects: &'a [String]) -> StoreFuture<'a, Vec<(String, ConsentEventRecord)>>;

    /// The highest stamp in the tenant's change feed, `-1` when it is empty.
    fn last_change<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, i64>;

    /// The tenant's catalog hash in force and up to `limit` changes stamped after `after`,
    /// oldest first, read together in one query.
    fn changes_since<'a>(&'a self, tenant: &'a str, after: i64, limit: u32) -> StoreFuture<'a, ChangeFeed>;

    // --- requests and the outbox (see `requests_sql.rs`) ---

    /// Stores a new request with its first event, the messages it sends and its journal
    /// entries. Fails with [`StoreError::Conflict`] when the id exists.
    fn insert_request<'a>(
        &'a self,
        request: &'a RequestRecord,
        event: Option<&'a RequestEventRecord>,
        outbox: &'a [OutboxRecord],
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Appended>;

    /// Replaces a request by `request` (whose `version` is one above the stored one) with
    /// its event, messages and entries; `None` (nothing written) when the stored version is
    /// not `request.version - 1` any more.
    fn update_request<'a>(
        &'a self,
        request: &'a RequestRecord,
        event: Option<&'a RequestEventRecord>,
        outbox: &'a [OutboxRecord],
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Option<Appended>>;

    fn request<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<RequestRecord>>;

    /// A request's transitions in order.
    fn request_events<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Vec<RequestEventRecord>>;

    /// Requests matching `filter`, by due date then id.
    fn requests<'a>(&'a self, tenant: &'a str, filter: &'a RequestFilter) -> StoreFuture<'a, Vec<RequestRecord>>;

    /// Requests from one contact address (by its blind index) received since `since`.
    fn requests_by_contact<'a>(&'a self, tenant: &'a str, contact_blind: &'a [u8], since: i64) -> StoreFuture<'a, Vec<RequestRecord>>;

    /// Claims up to `limit` pending messages of `channels` due at `now`, moving their next
    /// attempt to `lease_until` so no other worker takes them meanwhile.
    fn claim_outbox<'a>(&'a self, now: i64, lease_until: i64, limit: u32, channels: &'a [&'a str]) -> StoreFuture<'a, Vec<OutboxRecord>>;

    /// One message of the outbox.
    fn outbox_message<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<OutboxRecord>>;

    /// Records that the recipient of a webhook notice confirmed it; `false` when there is no
    /// such notice or it was confirmed already.
    fn confirm_outbox<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64) -> StoreFuture<'a, bool>;

    /// Marks a pending message sent and wipes its payload; `false` if it was not pending.
    fn outbox_delivered<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64) -> StoreFuture<'a, bool>;

    /// Records a failed attempt: retried at `next_attempt_at`, or dead (payload wiped) when
    /// `None`. `error` is a code, never the message.
    fn outbox_failed<'a>(&'a self, tenant: &'a str, id: &'a str, next_attempt_at: Option<i64>, error: &'a str) -> StoreFuture<'a, bool>;

    /// The messages a request sent, oldest first.
    fn outbox_of_request<'a>(&'a self, tenant: &'a str, request: &'a str) -> StoreFuture<'a, Vec<OutboxRecord>>;

    /// Records that a subject (not erased) objects to `purposes`, with the request it came
    /// on; an objection already made keeps its first date. `None` for no such subject.
    #[allow(clippy::too_many_arguments)]
    fn add_objections<'a>(
        &'a self,
        tenant: &'a str,
        subject: &'a str,
        purposes: &'a [String],
        at: i64,
        request: Option<&'a str>,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Option<Appended>>;

    /// `(subject, purpose, at)` of every objection of `subjects` (erased ones have none).
    fn objections_many<'a>(&'a self, tenant: &'a str, subjects: &'a [String]) -> StoreFuture<'a, Vec<(String, String, i64)>>;

    /// How many requests of `tenant` arrived through `channel` since `since`.
    fn count_requests_since<'a>(&'a self, tenant: &'a str, channel: &'a str, since: i64) -> StoreFuture<'a, i64>;

    /// Up to `limit` open requests of any tenant due on or before `due_by` whose staff were
    /// not reminded yet, most urgent first.
    fn requests_to_remind<'a>(&'a self, due_by: &'a str, limit: u32) -> StoreFuture<'a, Vec<RequestRecord>>;

    /// How many open requests, over all tenants, were due before `today` (`YYYY-MM-DD`).
    fn overdue_requests<'a>(&'a self, today: &'a str) -> StoreFuture<'a, i64>;

    /// How many messages wait for delivery, over all tenants.
    fn outbox_pending(&self) -> StoreFuture<'_, i64>;

    /// Records that `trigger` (`purpose_achieved`, `contract_end`, `account_closed`) happened
    /// for a live subject and `purpose` at `at` (the latest time wins); `None` (nothing
    /// written) when there is no such subject.
    fn record_retention_event<'a>(
        &'a self,
        tenant: &'a str,
        subject: &'a str,
        purpose: &'a str,
        trigger: &'a str,
        at: i64,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Option<Appended>>;

    /// How many subjects of the tenant are not erased.
    fn count_live_subjects<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, i64>;

    /// A subject's sequence number (its storage key), whatever its status.
    fn subject_seq<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<i64>>;

    /// The retention events of subjects by sequence number: `(seq, purpose, trigger, at)`.
    fn retention_events_many<'a>(&'a self, tenant: &'a str, seqs: &'a [i64]) -> StoreFuture<'a, Vec<(i64, String, String, i64)>>;

    /// Up to `limit` subjects not erased after sequence number `after`, in order, each with
    /// the metadata of its items.
    fn retention_page<'a>(&'a self, tenant: &'a str, after: i64, limit: u32) -> StoreFuture<'a, Vec<RetentionSubject>>;

    /// The distinct categories a subject (by sequence number) holds items of.
    fn subject_categories<'a>(&'a self, seq: i64) -> StoreFuture<'a, Vec<String>>;

    /// The items of `category` of the subjects `seqs`, each with its subject's key.
    fn sealed_items_of<'a>(
        &'a self,
        tenant: &'a str,
        seqs: &'a [i64],
        category: &'a str,
    ) -> StoreFuture<'a, Vec<(ItemRecord, SubjectKeyRecord)>>;

    /// Applies one sweep batch with its journal entries, act and progress, atomically.
    fn apply_retention<'a>(&'a self, batch: &'a RetentionBatch, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// Stores a destruction act with the journal entries it is bound to.
    fn insert_act<'a>(&'a self, act: &'a ActRecord, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// Stores a sweep as given (a new one starts with a zero cursor and counts).
    fn insert_sweep<'a>(&'a self, sweep: &'a SweepRecord) -> StoreFuture<'a, ()>;

    /// The tenant's sweeps, newest first (only unfinished ones if asked).
    fn sweeps<'a>(&'a self, tenant: &'a str, unfinished_only: bool, limit: u32) -> StoreFuture<'a, Vec<SweepRecord>>;

    /// Marks a sweep finished.
    fn finish_sweep<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64) -> StoreFuture<'a, ()>;

    /// Destruction acts created before `before` (all when `None`), newest first.
    fn acts<'a>(&'a self, tenant: &'a str, before: Option<i64>, limit: u32) -> StoreFuture<'a, Vec<ActRecord>>;

    fn act<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<ActRecord>>;

    /// Keeps a generated document unless the same text is kept already; returns the stored
    /// row (the first generation of that text).
    fn save_document<'a>(&'a self, doc: &'a GeneratedDocumentRecord) -> StoreFuture<'a, GeneratedDocumentRecord>;

    /// Every text of a document kind and language generated so far, newest first.
    fn document_versions<'a>(&'a self, tenant: &'a str, kind: &'a str, lang: &'a str) -> StoreFuture<'a, Vec<GeneratedDocumentRecord>>;

    /// Deletes acts kept until before `before` (their three years are over); returns how many.
    fn purge_acts(&self, before: i64) -> StoreFuture<'_, u64>;

    /// Stores a publication with its journal entries; `seq` must follow the tenant's last
    /// publication (a conflict otherwise: another publication came first).
    fn insert_publication<'a>(&'a self, publication: &'a PublicationRecord, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// The tenant's publications, newest first.
    fn publications<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<PublicationRecord>>;

    /// Publications of every tenant whose notices are not all queued yet, oldest first.
    fn publications_to_notify(&self) -> StoreFuture<'_, Vec<PublicationRecord>>;

    /// Queues one batch of a publication's notices with their journal entries and moves its
    /// cursor, atomically; a conflict when the cursor moved since the batch was read.
    fn queue_notices<'a>(&'a self, batch: &'a NoticeBatch, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// Records that a subject wants no more notices on `topic`, journaling it the first
    /// time: `Some(true)` when recorded now, `Some(false)` when it was already, `None` when
    /// there is no such subject (or it is erased).
    fn opt_out_notices<'a>(
        &'a self,
        tenant: &'a str,
        subject: &'a str,
        topic: &'a str,
        at: i64,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Option<bool>>;

    /// Which of the subjects `seqs` opted out of notices on `topic`.
    fn notice_optouts_many<'a>(&'a self, tenant: &'a str, seqs: &'a [i64], topic: &'a str) -> StoreFuture<'a, Vec<i64>>;

    /// One kept text of a generated document, by its hash.
    fn document_text<'a>(
        &'a self,
        tenant: &'a str,
        kind: &'a str,
        lang: &'a str,
        sha256: &'a str,
    ) -> StoreFuture<'a, Option<GeneratedDocumentRecord>>;

    /// Adds a staff account with its journal entries; a conflict when the login is taken.
    fn insert_staff_account<'a>(&'a self, account: &'a StaffAccountRecord, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// Saves an account's role, password, second factor and state with its journal entries,
    /// ending its console sessions when `end_sessions`.
    fn update_staff_account<'a>(
        &'a self,
        account: &'a StaffAccountRecord,
        end_sessions: bool,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Appended>;

    fn staff_account_by_login<'a>(&'a self, tenant: &'a str, login: &'a str) -> StoreFuture<'a, Option<StaffAccountRecord>>;

    fn staff_account<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<StaffAccountRecord>>;

    /// The tenant's staff accounts by login.
    fn staff_accounts<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<StaffAccountRecord>>;

    /// Records the failed sign-ins counted so far and any lock (not journaled).
    fn note_sign_in<'a>(&'a self, tenant: &'a str, id: &'a str, failed_sign_ins: i64, locked_until: Option<i64>) -> StoreFuture<'a, ()>;

    /// Opens a browser session with its journal entries.
    fn insert_web_session<'a>(&'a self, session: &'a WebSessionRecord, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    fn web_session<'a>(&'a self, id_hash: &'a [u8]) -> StoreFuture<'a, Option<WebSessionRecord>>;

    /// Moves a session's last activity forward to `at`.
    fn touch_web_session<'a>(&'a self, id_hash: &'a [u8], at: i64) -> StoreFuture<'a, ()>;

    /// Ends a session; whether there was one.
    fn delete_web_session<'a>(&'a self, id_hash: &'a [u8]) -> StoreFuture<'a, bool>;

    /// Deletes sessions idle since before `idle_before` or past their end, and portal codes
    /// expired before `idle_before`; returns how many rows went.
    fn purge_web_sessions(&self, idle_before: i64, now: i64) -> StoreFuture<'_, u64>;

    /// Stores a portal code with the message carrying it, unless `limit` codes for the same
    /// contact were made since `since` (then `false`, nothing stored).
    fn insert_portal_code<'a>(
        &'a self,
        code: &'a PortalCodeRecord,
        message: &'a OutboxRecord,
        limit: i64,
        since: i64,
    ) -> StoreFuture<'a, bool>;

    fn portal_code<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<PortalCodeRecord>>;

    /// Counts one try of a code, marking it used when `used_at`; `false` when the count read
    /// is no longer current or the code was used (another try came first).
    fn portal_code_tried<'a>(&'a self, tenant: &'a str, id: &'a str, attempts_read: i64, used_at: Option<i64>) -> StoreFuture<'a, bool>;

    /// What the console's dashboard counts, consent events from `since` on.
    fn dashboard_counts<'a>(&'a self, tenant: &'a str, since: i64) -> StoreFuture<'a, DashboardCounts>;

    /// Stores a new incident with its journal entries.
    fn insert_incident<'a>(&'a self, incident: &'a IncidentRecord, journal: &'a [EntryDraft]) -> StoreFuture<'a, Appended>;

    /// Saves an incident read at `version_read` (a conflict if it changed since), with a
    /// notice sent (a conflict if that kind was recorded before), the affected subjects
    /// (replacing those stored) when given, messages to queue and its journal entries — all
    /// or nothing.
    fn update_incident<'a>(
        &'a self,
        incident: &'a IncidentRecord,
        version_read: i64,
        notice: Option<&'a IncidentNoticeRecord>,
        affected: Option<&'a [String]>,
        outbox: &'a [OutboxRecord],
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Appended>;

    fn incident<'a>(&'a self, tenant: &'a str, id: &'a str) -> StoreFuture<'a, Option<IncidentRecord>>;

    /// The tenant's incidents, newest detection first (at most [`MAX_LISTED_INCIDENTS`]).
    fn incidents<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<IncidentRecord>>;

    /// Every tenant's suspected and confirmed incidents, for the reminder sweep.
    fn open_incidents(&self) -> StoreFuture<'_, Vec<IncidentRecord>>;

    fn incident_notices<'a>(&'a self, tenant: &'a str, incident: &'a str) -> StoreFuture<'a, Vec<IncidentNoticeRecord>>;

    /// The sequence numbers of the subjects `ids` that are not erased.
    fn subject_seqs<'a>(&'a self, tenant: &'a str, ids: &'a [String]) -> StoreFuture<'a, Vec<i64>>;

    /// The subject ids the last assessment found affected.
    fn incident_subjects<'a>(&'a self, tenant: &'a str, incident: &'a str) -> StoreFuture<'a, Vec<String>>;

    /// The facts an aggregate over `source` (`subjects`, `consents`, `requests`, `records`)
    /// counts: ids and codes only.
    fn stat_facts<'a>(&'a self, tenant: &'a str, source: &'a str) -> StoreFuture<'a, Vec<StatFact>>;

    /// A recipient's privacy budget (ε, δ), when one was set.
    fn privacy_budget<'a>(&'a self, tenant: &'a str, recipient: &'a str) -> StoreFuture<'a, Option<(f64, f64)>>;

    /// The privacy a recipient's releases have spent (ε, δ).
    fn privacy_spent<'a>(&'a self, tenant: &'a str, recipient: &'a str) -> StoreFuture<'a, (f64, f64)>;

    /// Sets a recipient's budget, with its journal entries.
    fn set_privacy_budget<'a>(
        &'a self,
        tenant: &'a str,
        recipient: &'a str,
        budget: (f64, f64),
        at: i64,
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Appended>;

    /// Records a release with its journal entries if its cost fits the recipient's budget
    /// (`default_budget` when none was set); `None`, writing nothing, when it does not.
    fn insert_release<'a>(
        &'a self,
        release: &'a StatReleaseRecord,
        default_budget: (f64, f64),
        journal: &'a [EntryDraft],
    ) -> StoreFuture<'a, Option<Appended>>;

    /// The tenant's releases, newest first (at most 1000).
    fn stat_releases<'a>(&'a self, tenant: &'a str) -> StoreFuture<'a, Vec<StatReleaseRecord>>;

    /// Up to `limit` data keys wrapped by a version below `version`, in slot order, after
    /// the slot `after`.
    fn keys_to_rewrap(&self, version: i64, after: Option<i64>, limit: u32) -> StoreFuture<'_, Vec<KeySlot>>;

    /// Stores re-wrapped keys; each replaces the stored key only if that is still wrapped by
    /// `old_versions[i]` (an erased subject's key stays erased). Returns how many replaced.
    fn rewrap_keys<'a>(&'a self, keys: &'a [KeySlot], old_versions: &'a [i64]) -> StoreFuture<'a, u64>;
}

/// Opens the store a URL names (`sqlite:PATH` or `postgres://…`), creating a SQLite file if
/// needed and applying migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::open(url).await?))
    } else {
        let scheme = url.split(':').next().unwrap_or_default();
        Err(StoreError::UnsupportedUrl(format!("`{scheme}:` (use sqlite:PATH or postgres://…)")))
    }
}
