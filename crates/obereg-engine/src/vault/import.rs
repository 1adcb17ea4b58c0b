//! Bulk import: many subjects in one transaction, deduplicated by blind index.
//!
//! A batch is validated row by row; rows that fail are reported with their line numbers and
//! left out, and every other row is written in **one** transaction with its journal
//! entries, so a crash never leaves half a batch (or half a subject) behind. A row whose
//! searchable value (email, phone) already belongs to a subject — stored earlier, or earlier
//! in the same batch — is a duplicate: it is reported with the existing subject's id and
//! not stored again. That is also what makes an interrupted import resumable: running it
//! again skips what was stored.
//!
//! Batches may be submitted concurrently, and `obereg import` keeps two in flight: the
//! CPU work (validation, sealing, blind indexes) of one batch runs while another is being
//! written. Batches are deduplicated and written in one engine-wide order, a batch against
//! every batch before it; the deduplication of one overlaps the write of the one ahead
//! ([`ImportLanes`]).

use std::collections::HashMap;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use obereg_core::Bilingual;
use obereg_core::catalog::Catalog;
use obereg_journal::EntryDraft;
use obereg_store::NewSubject;

use super::NewSubjectInput;
use super::subjects::Prepare;
use super::support::principal;
use crate::{Actor, Engine, EngineError};

/// Most rows one import batch may carry. Large batches make bulk imports fast: the random
/// indexes (public ids, blind indexes, the journal's by-subject index) are inserted in key
/// order per batch, so a batch of 50,000 rewrites each of their pages about once where ten
/// batches of 5,000 rewrite most of them ten times (docs/benchmarks.md). The HTTP API takes
/// at most [`MAX_API_IMPORT_BATCH`] per request.
pub const MAX_IMPORT_BATCH: usize = 50_000;
/// Most rows one `POST /v1/subjects/import` request may carry (a JSON body of this many
/// subjects is already several megabytes).
pub const MAX_API_IMPORT_BATCH: usize = 10_000;
/// Rows below which preparing a batch is not worth spreading over threads.
const PARALLEL_FROM: usize = 256;

/// One row of an import: its line in the source (for error reports) and the subject.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: u64,
    pub input: NewSubjectInput,
}

/// A row that was refused, and why.
#[derive(Debug, Clone)]
pub struct RowError {
    pub line: u64,
    pub code: &'static str,
    pub message: Bilingual,
}

/// What happened to an accepted row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Created(String),
    /// The row matched this existing subject by a searchable value.
    Duplicate(String),
}

/// The result of one batch.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub outcomes: Vec<(u64, ImportOutcome)>,
    pub errors: Vec<RowError>,
}

impl ImportReport {
    pub fn created(&self) -> usize {
        self.outcomes.iter().filter(|(_, o)| matches!(o, ImportOutcome::Created(_))).count()
    }

    pub fn duplicates(&self) -> usize {
        self.outcomes.len() - self.created()
    }
}

type Prepared = (u64, Result<(NewSubject, Vec<EntryDraft>), Prepare>);

/// A batch validated and sealed, waiting for [`Engine::commit_import`]. It holds no
/// plaintext: values are sealed already.
#[derive(Debug)]
pub struct PreparedImport {
    actor: Actor,
    report: ImportReport,
    ready: Vec<(u64, (NewSubject, Vec<EntryDraft>))>,
}

impl PreparedImport {
    /// Rows accepted so far (before deduplication).
    pub fn accepted(&self) -> usize {
        self.ready.len()
    }
}

#[cfg(test)]
impl PreparedImport {
    /// Gives every accepted row the id of an existing subject, so that writing the batch
    /// fails (a test of what a failed batch leaves to the one behind it).
    pub(crate) fn reuse_subject_id(&mut self, id: &str) {
        for (_, (new, _)) in &mut self.ready {
            new.subject.id = id.to_owned();
        }
    }
}

/// The order import batches commit in, with deduplication overlapping writes.
///
/// A batch is deduplicated under `dedup`, then written under `write`. It takes `write`
/// before it lets go of `dedup`, so batches are written in the order they were
/// deduplicated, and the next batch is deduplicated while this one is written: against the
/// database (which holds every batch before this one) and against this batch's own values,
/// published in `writing`. Once `write` is its, the next batch checks that this one
/// committed; if it did not, its values are not taken after all and the next batch reads
/// the database again.
#[derive(Debug, Default)]
pub(crate) struct ImportLanes {
    dedup: tokio::sync::Mutex<()>,
    write: tokio::sync::Mutex<()>,
    writing: std::sync::Mutex<Option<Arc<Writing>>>,
}

/// The batch being written: its new subjects by (category, blind index), and whether it
/// has committed.
#[derive(Debug)]
struct Writing {
    tenant: String,
    values: HashMap<(String, Vec<u8>), String>,
    committed: AtomicBool,
}

impl Engine {
    /// Imports a batch of subjects (see the module documentation): prepares it, then
    /// commits it.
    pub async fn import_subjects(&self, actor: &Actor, rows: Vec<ImportRow>) -> Result<ImportReport, EngineError> {
        let prepared = self.prepare_import(actor, rows).await?;
        self.commit_import(prepared).await
    }

    /// Validates, checks and seals a batch; refused and invalid rows are reported, not
    /// fatal. May run while another batch commits.
    pub async fn prepare_import(&self, actor: &Actor, rows: Vec<ImportRow>) -> Result<PreparedImport, EngineError> {
        check_import_batch(rows.len(), MAX_IMPORT_BATCH)?;
        let catalog = self.catalog_for(actor).await?;
        principal(&catalog, actor)?;
        let kek = self.store.current_kek_version().await?;
        let prepared = self.prepare_rows(&catalog, actor, rows, kek).await?;

        let mut report = ImportReport::default();
        let mut refusal = None;
        let mut ready = Vec::with_capacity(prepared.len());
        for (line, result) in prepared {
            match result {
                Ok(p) => ready.push((line, p)),
                Err(Prepare::Failed(e)) => report.errors.push(row_error(line, &e)),
                Err(Prepare::Denied(denied)) => {
                    let (denial, record) = *denied;
                    report.errors.push(RowError { line, code: denial.code, message: denial.reason.clone() });
                    if !denial.invalid_request && refusal.is_none() {
                        refusal = Some(record.object("import"));
                    }
                }
            }
        }
        if let Some(record) = refusal {
            self.journal_refusal(actor, record).await;
        }
        Ok(PreparedImport { actor: actor.clone(), report, ready })
    }

    /// Tidies up once a bulk import into the actor's tenant is done: writes the by-subject
    /// rows of the import's journal entries (which name many subjects each, see
    /// [`commit_import`](Self::commit_import)), so that the first subject history read after
    /// the import does not pay for them, then the database's own upkeep (planner statistics
    /// on PostgreSQL, the write-ahead log on SQLite; see `Store::settle_bulk_load`).
    /// `obereg import` calls it after its last batch. It reads and changes no personal data.
    pub async fn settle_bulk_load(&self, actor: &Actor) -> Result<(), EngineError> {
        self.index_journal_subjects(actor).await?;
        Ok(self.store.settle_bulk_load().await?)
    }

    /// Deduplicates a prepared batch against everything committed before it and writes
    /// what is new in one transaction. Batches commit one at a time, in the order they
    /// reach this point; a batch is deduplicated while the one ahead of it is written (see
    /// [`ImportLanes`]).
    pub async fn commit_import(&self, prepared: PreparedImport) -> Result<ImportReport, EngineError> {
        let PreparedImport { actor, mut report, ready } = prepared;
        let lanes = &self.import_lanes;
        let dedup_lane = lanes.dedup.lock().await;
        let ahead = lanes.writing.lock().map_err(|_| EngineError::Internal("import lanes poisoned"))?.clone();
        let mut stored = self.stored_values(&actor.tenant, &ready).await?;
        let write_lane = lanes.write.lock().await;
        // The batch ahead is done now. Its values count as taken only if it committed; if
        // it failed, what it would have held is not stored, so read again: everything
        // before it is committed and visible now.
        let ahead = match ahead {
            Some(a) if a.tenant == actor.tenant && a.committed.load(Ordering::Acquire) => Some(a),
            Some(a) if a.tenant == actor.tenant => {
                stored = self.stored_values(&actor.tenant, &ready).await?;
                None
            }
            _ => None,
        };
        let mut mine: HashMap<(String, Vec<u8>), String> = HashMap::new();
        let mut accepted = Vec::with_capacity(ready.len());
        for (line, (new, entries)) in ready {
            let keys: Vec<(String, Vec<u8>)> =
                new.items.iter().filter_map(|i| i.blind.as_ref().map(|b| (i.category.clone(), b.clone()))).collect();
            let taken =
                keys.iter().find_map(|k| stored.get(k).or_else(|| ahead.as_ref().and_then(|a| a.values.get(k))).or_else(|| mine.get(k)));
            if let Some(existing) = taken {
                report.outcomes.push((line, ImportOutcome::Duplicate(existing.clone())));
                continue;
            }
            for k in keys {
                mine.insert(k, new.subject.id.clone());
            }
            report.outcomes.push((line, ImportOutcome::Created(new.subject.id.clone())));
            accepted.push((new, entries));
        }
        drop(ahead);
        // This batch is the one being written now: the next one may deduplicate.
        let writing = Arc::new(Writing { tenant: actor.tenant.clone(), values: mine, committed: AtomicBool::new(false) });
        *lanes.writing.lock().map_err(|_| EngineError::Internal("import lanes poisoned"))? = Some(writing.clone());
        drop(dedup_lane);

        // In order of subject id, as the store inserts them (see `insert_blinds` in the store
        // for why key order matters).
        accepted.sort_unstable_by(|a, b| a.0.subject.id.cmp(&b.0.subject.id));
        let mut batch = Vec::with_capacity(accepted.len());
        let mut journal = Vec::with_capacity(accepted.len());
        for (new, entries) in accepted {
            journal.extend(entries);
            batch.push(new);
        }
        // The batch's subjects were collected alike: one entry names up to a thousand of them
        // (`obereg_journal::gather`) instead of one entry each, which was a quarter of the
        // import's time. Each subject's history still lists it (the store indexes such
        // entries by subject behind the appends; see `settle_bulk_load`).
        let journal = obereg_journal::gather_by_subject(journal);
        if !batch.is_empty() {
            let appended = self.store.create_subjects(&actor.tenant, &batch, &journal).await?;
            self.after_append(&actor.tenant, appended).await;
        }
        writing.committed.store(true, Ordering::Release);
        // Committed: a batch deduplicated from now on reads these values from the database.
        if let Ok(mut published) = lanes.writing.lock()
            && published.as_ref().is_some_and(|w| Arc::ptr_eq(w, &writing))
        {
            *published = None;
        }
        drop(write_lane);
        Ok(report)
    }

    /// The subjects already holding a batch's searchable values, by (category, blind
    /// index). The categories are read concurrently (on SQLite each read runs on a reader
    /// connection's own thread).
    async fn stored_values(
        &self,
        tenant: &str,
        ready: &[(u64, (NewSubject, Vec<EntryDraft>))],
    ) -> Result<HashMap<(String, Vec<u8>), String>, EngineError> {
        let mut wanted: HashMap<&str, Vec<Vec<u8>>> = HashMap::new();
        for (_, (new, _)) in ready {
            for item in &new.items {
                if let Some(blind) = &item.blind {
                    wanted.entry(item.category.as_str()).or_default().push(blind.clone());
                }
            }
        }
        let mut reads = tokio::task::JoinSet::new();
        for (category, blinds) in wanted {
            let (store, tenant, category) = (self.store.clone(), tenant.to_owned(), category.to_owned());
            reads.spawn(async move {
                let found = store.find_subjects(&tenant, &category, &blinds).await;
                (category, found)
            });
        }
        let mut stored = HashMap::new();
        while let Some(read) = reads.join_next().await {
            let (category, found) = read.map_err(|_| EngineError::Internal("an import lookup failed"))?;
            for (blind, subject) in found? {
                stored.entry((category.clone(), blind)).or_insert(subject.id);
            }
        }
        Ok(stored)
    }

    /// Validates and seals every row, spreading large batches over the machine's cores
    /// (phone validation and sealing are CPU work).
    async fn prepare_rows(
        &self,
        catalog: &Arc<Catalog>,
        actor: &Actor,
        rows: Vec<ImportRow>,
        kek: i64,
    ) -> Result<Vec<Prepared>, EngineError> {
        // The caller resolved the actor's role in this same catalog, so resolving it again
        // on a worker thread gives the same principal.
        let run = move |engine: Engine, actor: Actor, rows: Vec<ImportRow>, catalog: Arc<Catalog>| -> Result<Vec<Prepared>, EngineError> {
            let principal = principal(&catalog, &actor)?;
            Ok(rows.into_iter().map(|row| (row.line, engine.prepare_subject(&catalog, principal, &actor, row.input, kek))).collect())
        };
        let catalog = catalog.clone();
        if rows.len() < PARALLEL_FROM {
            return run(self.clone(), actor.clone(), rows, catalog);
        }
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8);
        let per = rows.len().div_ceil(workers);
        let mut rows = rows;
        let mut tasks = Vec::new();
        while !rows.is_empty() {
            let rest = rows.split_off(per.min(rows.len()));
            let chunk = std::mem::replace(&mut rows, rest);
            let (engine, actor, catalog) = (self.clone(), actor.clone(), catalog.clone());
            tasks.push(tokio::task::spawn_blocking(move || run(engine, actor, chunk, catalog)));
        }
        let mut out = Vec::new();
        for task in tasks {
            out.extend(task.await.map_err(|_| EngineError::Internal("an import worker failed"))??);
        }
        Ok(out)
    }
}

/// Refuses a batch of `rows` rows when more than `limit` are allowed.
pub fn check_import_batch(rows: usize, limit: usize) -> Result<(), EngineError> {
    if rows > limit {
        return Err(EngineError::invalid(
            "import.batch_too_large",
            format!("at most {limit} rows per import batch"),
            format!("не более {limit} строк в одном пакете импорта"),
        ));
    }
    Ok(())
}

fn row_error(line: u64, e: &EngineError) -> RowError {
    match e {
        EngineError::Invalid { code, message } => RowError { line, code, message: message.clone() },
        EngineError::Refused { code, reason } => RowError { line, code, message: reason.clone() },
        other => RowError { line, code: other.code(), message: Bilingual::new(other.to_string(), other.to_string()) },
    }
}
