//! Journaling inside the engine: building entries for the use cases, signing checkpoints
//! when they fall due, and the journal's own use cases (entries, proofs, keys, verification).
//!
//! Every write use case hands its entries to the store method that makes the change (the
//! store trait has no write method without them), so a change and its entry commit
//! together. Checkpoints are signed after the commit: when an append crosses a multiple of
//! `checkpoint_every`, on a timer (`sign_due_checkpoints`), and on demand.
//!
//! The signing key is an Ed25519 key per tenant, derived from the root key with HKDF under
//! a label that names the tenant; so a processor's client gets a key of its own to pin, and
//! nothing secret is ever stored beside the journal.

use std::collections::HashMap;

use obereg_journal::tree::{self, plan};
use obereg_journal::{Auditor, Checkpoint, CheckpointNote, EntryDraft, Frontier, Hash, NoteSigner, NoteVerifier, Outcome, Subtree};
use obereg_store::{Appended, CheckpointRecord, JournalEntryRecord, StoreError};

use base64::Engine as _;

use crate::{Actor, Engine, EngineError};

/// Most entries one page of the journal API returns.
pub const MAX_PAGE: u32 = 1000;

/// Entries and nodes read per query while verifying.
const VERIFY_CHUNK: u64 = 20_000;
/// Chunks read ahead while verifying (the SQLite store has four reader connections).
const VERIFY_READ_AHEAD: usize = 3;

/// How the journal is named and when checkpoints are signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalSettings {
    /// Prefix of each tenant's log origin (`<prefix>/<tenant>`); also the key name.
    pub origin_prefix: String,
    /// Sign a checkpoint whenever the log grows past a multiple of this many entries.
    pub checkpoint_every: u64,
    /// And at least this often while there are unsigned entries (run by the server's timer).
    pub checkpoint_interval: std::time::Duration,
}

impl JournalSettings {
    /// Defaults: an origin unique to the root key, every 1,000 entries or 60 seconds.
    pub fn defaults_for(root_key_fingerprint: &str) -> Self {
        Self {
            origin_prefix: format!("obereg/{root_key_fingerprint}"),
            checkpoint_every: 1000,
            checkpoint_interval: std::time::Duration::from_secs(60),
        }
    }

    pub fn validate(&self) -> Result<(), EngineError> {
        let ok = obereg_journal::checkpoint::is_valid_key_name(&self.origin_prefix)
            && self.origin_prefix.len() <= 200
            && self.checkpoint_every > 0
            && !self.checkpoint_interval.is_zero();
        if ok {
            Ok(())
        } else {
            Err(EngineError::invalid(
                "journal.invalid_settings",
                "journal origin must be non-empty without spaces or '+', and checkpoint_every and checkpoint_interval_secs positive",
                "источник журнала не может быть пустым или содержать пробелы и '+', а checkpoint_every и checkpoint_interval_secs должны быть положительными",
            ))
        }
    }
}

/// A tenant's public verification key.
#[derive(Debug, Clone)]
pub struct JournalKey {
    pub origin: String,
    /// The C2SP verifier key: `<name>+<key id>+<base64 key>`.
    pub verifier_key: String,
    /// The raw Ed25519 public key, base64.
    pub public_key: String,
}

/// One entry as read back: position, leaf hash and the exact bytes hashed.
#[derive(Debug, Clone)]
pub struct JournalEntryView {
    pub index: u64,
    pub leaf_hash: Hash,
    /// The entry's JSON line, exactly as hashed into the leaf.
    pub body: String,
}

impl JournalEntryView {
    /// The entry's fields, read back from its JSON line.
    pub fn entry(&self) -> Result<obereg_journal::Entry, EngineError> {
        serde_json::from_str(&self.body).map_err(|_| EngineError::Internal("a journal entry does not decode"))
    }
}

/// An inclusion proof, against a signed checkpoint where one exists at that size.
#[derive(Debug, Clone)]
pub struct InclusionProofView {
    pub entry: JournalEntryView,
    pub size: u64,
    pub root: Hash,
    pub proof: Vec<Hash>,
    pub checkpoint: Option<String>,
}

/// A consistency proof between two sizes.
#[derive(Debug, Clone)]
pub struct ConsistencyProofView {
    pub from: u64,
    pub to: u64,
    pub from_root: Hash,
    pub to_root: Hash,
    pub proof: Vec<Hash>,
    pub from_checkpoint: Option<String>,
    pub to_checkpoint: Option<String>,
}

/// What an entry about to be written says; the engine fills time, tenant, actor and request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Record<'a> {
    pub operation: &'a str,
    pub object: Option<String>,
    pub purpose: Option<String>,
    pub subject: Option<String>,
    pub subjects: Vec<String>,
    pub categories: Vec<String>,
}

impl<'a> Record<'a> {
    pub fn op(operation: &'a str) -> Self {
        Self { operation, ..Self::default() }
    }

    pub fn object(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = Some(purpose.into());
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// The subjects one operation touched: one goes in `subject`, several in `subjects`
    /// (sorted), none in neither.
    pub fn touching(mut self, mut subjects: Vec<String>) -> Self {
        subjects.sort();
        subjects.dedup();
        if subjects.len() == 1 {
            self.subject = subjects.pop();
        } else {
            self.subjects = subjects;
        }
        self
    }

    /// The categories touched, sorted and without repeats.
    pub fn categories<I: IntoIterator<Item = S>, S: Into<String>>(mut self, categories: I) -> Self {
        let mut all: Vec<String> = categories.into_iter().map(Into::into).collect();
        all.sort();
        all.dedup();
        self.categories = all;
        self
    }
}

impl Engine {
    /// An entry for `actor` doing `record` in `tenant`, now.
    pub(crate) fn entry(&self, actor: &Actor, tenant: &str, record: Record<'_>) -> EntryDraft {
        EntryDraft {
            time: self.clock.now(),
            tenant: tenant.to_owned(),
            actor: match &actor.token_id {
                _ if actor.portal => obereg_journal::Actor::Subject,
                Some(token) => obereg_journal::Actor::Token { token: token.clone(), role: actor.role.as_str().to_owned() },
                None => obereg_journal::Actor::Operator,
            },
            operation: record.operation.to_owned(),
            purpose: record.purpose,
            subject: record.subject,
            subjects: record.subjects,
            categories: record.categories,
            object: record.object,
            // A client-chosen request id that is not a plain code is left out, not refused.
            request: actor.request_id.clone().filter(|r| obereg_journal::entry::is_code(r)),
            outcome: Outcome::Ok,
        }
    }

    /// An entry recording what the data subject did (through the public API or portal).
    pub(crate) fn subject_entry(&self, tenant: &str, record: Record<'_>) -> EntryDraft {
        EntryDraft { actor: obereg_journal::Actor::Subject, ..self.entry(&Actor::local_operator(tenant), tenant, record) }
    }

    /// An entry recording what obereg did on its own (reminders, recipients' confirmations).
    pub(crate) fn system_entry(&self, tenant: &str, record: Record<'_>) -> EntryDraft {
        EntryDraft { actor: obereg_journal::Actor::System, ..self.entry(&Actor::local_operator(tenant), tenant, record) }
    }

    /// Refuses `actor` unless `allowed`, journaling the refusal: attempts on journaled
    /// operations are part of the record too.
    pub(crate) async fn authorize(&self, actor: &Actor, allowed: bool, record: Record<'_>) -> Result<(), EngineError> {
        if allowed {
            return Ok(());
        }
        self.journal_refusal(actor, record).await;
        Err(EngineError::Forbidden)
    }

    /// Journals that `actor` was refused `record`; a failure to journal is logged, and the
    /// refusal stands either way.
    pub(crate) async fn journal_refusal(&self, actor: &Actor, record: Record<'_>) {
        let mut draft = self.entry(actor, &actor.tenant, record);
        draft.outcome = Outcome::Denied;
        if let Err(e) = self.journal_without_change(&actor.tenant, vec![draft]).await {
            tracing::warn!(tenant = %actor.tenant, code = e.code(), "could not journal a refusal");
        }
    }

    /// Appends entries that record no stored change (reads, lookups, refusals) through the
    /// group-commit queue, and signs a checkpoint if one fell due.
    pub(crate) async fn journal_without_change(&self, tenant: &str, drafts: Vec<EntryDraft>) -> Result<Appended, EngineError> {
        Ok(self.journal_read(tenant, drafts, None).await?)
    }

    /// As [`Engine::journal_without_change`], for a read decided with the cached catalog
    /// `catalog` (a hash): appended only while that catalog is in force, else
    /// a `crate::group_commit::STALE_CATALOG` conflict.
    pub(crate) async fn journal_read(
        &self,
        tenant: &str,
        drafts: Vec<EntryDraft>,
        catalog: Option<String>,
    ) -> Result<Appended, StoreError> {
        let queue = self.reads.get_or_init(|| crate::group_commit::GroupCommit::start(self.store.clone()));
        let appended = queue.append(tenant, drafts, catalog).await?;
        self.after_append(tenant, appended).await;
        Ok(appended)
    }

    /// Signs a checkpoint when the append started the log or crossed a multiple of
    /// `checkpoint_every`. The change is committed already, so a signing failure is logged,
    /// not returned.
    pub(crate) async fn after_append(&self, tenant: &str, appended: Appended) {
        let every = self.journal.checkpoint_every;
        if (appended.first == 0 || appended.size / every > appended.first / every)
            && let Err(e) = self.sign_checkpoint(tenant).await
        {
            tracing::warn!(tenant = %tenant, code = e.code(), "checkpoint signing failed");
        }
    }

    /// The log origin of a tenant, which is also its key name.
    pub fn journal_origin(&self, tenant: &str) -> String {
        format!("{}/{tenant}", self.journal.origin_prefix)
    }

    fn signer(&self, tenant: &str) -> Result<NoteSigner, EngineError> {
        let mut info = b"obereg journal signing v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        let seed = self.root_key.derive(&info);
        NoteSigner::from_seed(&self.journal_origin(tenant), &seed).map_err(|_| EngineError::Internal("journal signing key"))
    }

    /// Signs the tenant's current tree head and keeps the checkpoint (or returns the one
    /// kept already at that size).
    pub async fn sign_checkpoint(&self, tenant: &str) -> Result<CheckpointRecord, EngineError> {
        let head = self.store.journal_head(tenant).await?.ok_or(EngineError::NotFound("journal"))?;
        let frontier = Frontier::from_bytes(head.size as u64, &head.frontier).map_err(|_| EngineError::Internal("journal head"))?;
        let checkpoint = Checkpoint { origin: self.journal_origin(tenant), size: frontier.size(), root: frontier.root() };
        let record = CheckpointRecord {
            tenant_id: tenant.to_owned(),
            size: head.size,
            root: checkpoint.root.0.to_vec(),
            note: self.signer(tenant)?.sign(&checkpoint),
            signed_at: self.now_micros(),
        };
        if !self.store.add_checkpoint(&record).await? {
            // Signed already at this size (by another server, or a moment ago): keep that one.
            return self.store.checkpoint_at(tenant, frontier.size()).await?.ok_or(EngineError::Internal("checkpoint"));
        }
        tracing::debug!(tenant = %tenant, size = record.size, "journal checkpoint signed");
        Ok(record)
    }

    /// Signs a checkpoint for every tenant with entries newer than its latest one; the
    /// server runs this every `checkpoint_interval`. Returns how many were signed.
    pub async fn sign_due_checkpoints(&self) -> Result<usize, EngineError> {
        let mut signed = 0;
        for tenant in self.store.tenants().await? {
            let Some(head) = self.store.journal_head(&tenant.id).await? else { continue };
            let latest = self.store.latest_checkpoint(&tenant.id).await?.map_or(0, |c| c.size);
            if head.size > latest {
                self.sign_checkpoint(&tenant.id).await?;
                signed += 1;
            }
        }
        Ok(signed)
    }

    pub fn journal_settings(&self) -> &JournalSettings {
        &self.journal
    }

    /// The tenant's verification key. Any role may read it: it is public by design.
    pub fn journal_key(&self, actor: &Actor) -> Result<JournalKey, EngineError> {
        self.journal_key_of(&actor.tenant)
    }

    pub(crate) fn journal_key_of(&self, tenant: &str) -> Result<JournalKey, EngineError> {
        let verifier = self.signer(tenant)?.verifier();
        Ok(JournalKey {
            origin: self.journal_origin(tenant),
            verifier_key: verifier.encode(),
            public_key: base64::engine::general_purpose::STANDARD.encode(verifier.public_key()),
        })
    }

    /// The latest signed checkpoint. Admins only, like everything that reads the journal.
    pub async fn latest_checkpoint(&self, actor: &Actor) -> Result<CheckpointRecord, EngineError> {
        actor.require_admin()?;
        self.store.latest_checkpoint(&actor.tenant).await?.ok_or(EngineError::NotFound("checkpoint"))
    }

    /// Signs a checkpoint now.
    pub async fn checkpoint_now(&self, actor: &Actor) -> Result<CheckpointRecord, EngineError> {
        actor.require_admin()?;
        self.sign_checkpoint(&actor.tenant).await
    }

    /// Entries `from..from+limit` (at most [`MAX_PAGE`]).
    pub async fn journal_entries(&self, actor: &Actor, from: u64, limit: u32) -> Result<Vec<JournalEntryView>, EngineError> {
        self.require_oversight(actor).await?;
        let limit = u64::from(limit.clamp(1, MAX_PAGE));
        self.store.journal_entries(&actor.tenant, from, from.saturating_add(limit)).await?.into_iter().map(view).collect()
    }

    /// Administrators, and catalog roles marked `dpo` (who answer for the processing and
    /// read the journal to do so); anyone else is refused.
    pub(crate) async fn require_oversight(&self, actor: &Actor) -> Result<(), EngineError> {
        if actor.role.is_admin() {
            return Ok(());
        }
        let catalog = self.catalog_for(actor).await?;
        match crate::vault::principal_of(&catalog, actor)? {
            obereg_core::access::Principal::Staff(role) if role.dpo => Ok(()),
            _ => Err(EngineError::Forbidden),
        }
    }

    /// Entries about one subject from index `from` on: "who touched my data, and why".
    pub async fn subject_journal(&self, actor: &Actor, subject: &str, from: u64, limit: u32) -> Result<Vec<JournalEntryView>, EngineError> {
        actor.require_admin()?;
        self.store.journal_subject_entries(&actor.tenant, subject, from, limit.clamp(1, MAX_PAGE)).await?.into_iter().map(view).collect()
    }

    /// Writes the by-subject rows of entries naming several subjects (batch lookups,
    /// pre-dial checks) appended since the last time; by-subject reads do it themselves
    /// first, `obereg check-list` after its last batch. Returns the rows written. It reads
    /// and changes no personal data and no entry.
    pub async fn index_journal_subjects(&self, actor: &Actor) -> Result<u64, EngineError> {
        Ok(self.store.index_journal_subjects(&actor.tenant).await?)
    }

    /// The newest `limit` entries about one subject, newest first (the portal's page).
    pub(crate) async fn latest_subject_entries(
        &self,
        tenant: &str,
        subject: &str,
        limit: u32,
    ) -> Result<Vec<JournalEntryView>, EngineError> {
        self.store.journal_subject_latest(tenant, subject, limit.clamp(1, MAX_PAGE)).await?.into_iter().map(view).collect()
    }

    /// The tree size a proof is made against: the one asked, else the latest checkpoint.
    async fn proof_size(&self, tenant: &str, asked: Option<u64>) -> Result<(u64, u64), EngineError> {
        let head = self.store.journal_head(tenant).await?.ok_or(EngineError::NotFound("journal"))?.size as u64;
        let size = match asked {
            Some(size) => size,
            None => self.store.latest_checkpoint(tenant).await?.ok_or(EngineError::NotFound("checkpoint"))?.size as u64,
        };
        if size > head {
            return Err(EngineError::invalid(
                "journal.size_beyond_log",
                format!("the journal has {head} entries; ask for a size up to that"),
                format!("в журнале {head} записей; укажите размер не больше"),
            ));
        }
        Ok((size, head))
    }

    async fn fetch(&self, tenant: &str, ranges: &[(u64, u64)]) -> Result<HashMap<Subtree, Hash>, EngineError> {
        Ok(self.store.journal_hashes(tenant, &plan(ranges)).await?.into_iter().collect())
    }

    async fn checkpoint_note(&self, tenant: &str, size: u64) -> Result<Option<String>, EngineError> {
        Ok(self.store.checkpoint_at(tenant, size).await?.map(|c| c.note))
    }

    /// The proof that entry `index` is in the tree of `size` entries (default: the latest
    /// checkpoint), with that checkpoint when one was signed at that size.
    pub async fn inclusion_proof(&self, actor: &Actor, index: u64, size: Option<u64>) -> Result<InclusionProofView, EngineError> {
        self.require_oversight(actor).await?;
        let tenant = &actor.tenant;
        let (size, _) = self.proof_size(tenant, size).await?;
        if index >= size {
            return Err(EngineError::invalid(
                "journal.index_beyond_size",
                format!("entry {index} is not in a tree of {size} entries"),
                format!("записи {index} нет в дереве из {size} записей"),
            ));
        }
        let ranges = tree::inclusion_ranges(index, size).map_err(|_| EngineError::Internal("proof ranges"))?;
        let mut all = ranges.clone();
        all.push((0, size));
        let hashes = self.fetch(tenant, &all).await?;
        let proof = tree::inclusion_proof(&hashes, index, size).map_err(|_| EngineError::Internal("stored journal hashes are missing"))?;
        let root = tree::root_at(&hashes, size).map_err(|_| EngineError::Internal("stored journal hashes are missing"))?;
        let entry = self.store.journal_entries(tenant, index, index + 1).await?.pop().ok_or(EngineError::NotFound("journal entry"))?;
        Ok(InclusionProofView { entry: view(entry)?, size, root, proof, checkpoint: self.checkpoint_note(tenant, size).await? })
    }

    /// The proof that the tree of `from` entries is a prefix of the tree of `to` entries
    /// (default: the latest checkpoint).
    pub async fn consistency_proof(&self, actor: &Actor, from: u64, to: Option<u64>) -> Result<ConsistencyProofView, EngineError> {
        self.require_oversight(actor).await?;
        let tenant = &actor.tenant;
        let (to, _) = self.proof_size(tenant, to).await?;
        if from > to {
            return Err(EngineError::invalid(
                "journal.sizes_reversed",
                format!("size {from} is larger than {to}"),
                format!("размер {from} больше {to}"),
            ));
        }
        let ranges = tree::consistency_ranges(from, to).map_err(|_| EngineError::Internal("proof ranges"))?;
        let mut all = ranges.clone();
        all.extend([(0, from), (0, to)]);
        let hashes = self.fetch(tenant, &all).await?;
        let missing = |_| EngineError::Internal("stored journal hashes are missing");
        Ok(ConsistencyProofView {
            from,
            to,
            from_root: tree::root_at(&hashes, from).map_err(missing)?,
            to_root: tree::root_at(&hashes, to).map_err(missing)?,
            proof: tree::consistency_proof(&hashes, from, to).map_err(missing)?,
            from_checkpoint: self.checkpoint_note(tenant, from).await?,
            to_checkpoint: self.checkpoint_note(tenant, to).await?,
        })
    }

    /// Recomputes the tenant's whole tree from its stored entries and checks every stored
    /// hash, the head, and every checkpoint (stored ones and `extra`, e.g. one an auditor
    /// kept) against `pinned` or, without one, the key derived from this root key.
    /// Platform rights: it reads everything and can take a while.
    pub async fn verify_journal(
        &self,
        actor: &Actor,
        tenant: &str,
        extra: &[String],
        pinned: Option<&NoteVerifier>,
    ) -> Result<obereg_journal::AuditReport, EngineError> {
        actor.require_platform()?;
        let own = self.signer(tenant)?.verifier();
        let verifier = pinned.unwrap_or(&own);
        let head = self.store.journal_head(tenant).await?.ok_or(EngineError::NotFound("journal"))?;
        let mut notes: Vec<CheckpointNote> =
            self.store.checkpoints(tenant).await?.into_iter().map(|c| CheckpointNote { size: c.size as u64, note: c.note }).collect();
        for note in extra {
            // A kept checkpoint states its own size; one that does not parse is reported.
            let size = obereg_journal::checkpoint::unverified_checkpoint(note).map_or(u64::MAX, |c| c.size);
            notes.push(CheckpointNote { size, note: note.clone() });
        }
        let mut auditor = Auditor::new(verifier, &notes);
        // Reading rows costs more than hashing them, so chunks up to the head are read
        // ahead on several reader connections while the auditor works through them in
        // order; then reading goes on until the table ends, so rows stored past the head
        // are seen too.
        let read = |from: u64| {
            let (store, tenant) = (self.store.clone(), tenant.to_owned());
            tokio::spawn(async move { store.journal_entries(&tenant, from, from + VERIFY_CHUNK).await })
        };
        let mut starts = (0..=head.size as u64).step_by(VERIFY_CHUNK as usize);
        let mut next = 0u64;
        let mut pending = std::collections::VecDeque::new();
        loop {
            while pending.len() < VERIFY_READ_AHEAD
                && let Some(from) = starts.next()
            {
                pending.push_back(read(from));
                next = from + VERIFY_CHUNK;
            }
            let chunk = match pending.pop_front() {
                Some(task) => task.await.map_err(|_| EngineError::Internal("journal reader stopped"))??,
                None => {
                    let beyond = self.store.journal_entries(tenant, next, next + VERIFY_CHUNK).await?;
                    if beyond.is_empty() {
                        break;
                    }
                    next += VERIFY_CHUNK;
                    beyond
                }
            };
            for e in &chunk {
                let leaf = Hash::from_slice(&e.leaf_hash).unwrap_or_default();
                auditor.entry(e.idx as u64, &e.body, &leaf);
            }
        }
        let mut after = None;
        loop {
            let chunk = self.store.journal_nodes(tenant, after, VERIFY_CHUNK as u32).await?;
            let Some(last) = chunk.last() else { break };
            after = Some((last.level as u8, last.idx as u64));
            for n in &chunk {
                auditor.node(Subtree { level: n.level as u8, index: n.idx as u64 }, &Hash::from_slice(&n.hash).unwrap_or_default());
            }
        }
        Ok(auditor.finish(head.size as u64, &head.frontier))
    }
}

fn view(record: JournalEntryRecord) -> Result<JournalEntryView, EngineError> {
    Ok(JournalEntryView {
        index: record.idx as u64,
        leaf_hash: Hash::from_slice(&record.leaf_hash).ok_or(EngineError::Internal("stored leaf hash"))?,
        body: String::from_utf8(record.body).map_err(|_| EngineError::Internal("stored journal entry is not UTF-8"))?,
    })
}
