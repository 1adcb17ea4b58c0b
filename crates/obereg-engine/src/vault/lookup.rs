//! Lookup without decryption: subjects by a searchable value (phone, email), one value or a
//! batch of up to [`MAX_LOOKUP_BATCH`], through the blind index.
//!
//! The hot path of the vault. A lookup decides with the engine's cached catalog and has the
//! journal's group commit confirm that catalog is still in force (see `group_commit`); if
//! it is not, or anything fails under the cached one, the lookup is repeated once under the
//! catalog read from the database. A refusal is only ever given under that one.

use std::collections::HashMap;

use obereg_core::access;
use obereg_core::catalog::Catalog;
use obereg_core::operation::Operation;
use obereg_core::value::{PlainValue, normalize};
use obereg_store::StoreError;

use super::SubjectRef;
use super::support::{category_rules, micros, principal, subject_ref};
use crate::journal::Record;
use crate::{Actor, Engine, EngineError};

/// Most values one batch lookup may carry.
pub const MAX_LOOKUP_BATCH: usize = 1000;

/// The answer for one value of a batch lookup.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// The subjects holding the value (none, one, or several), never erased ones.
    Subjects(Vec<SubjectRef>),
    /// The value is not a valid one of its category (the batch goes on).
    Invalid { code: &'static str, message: obereg_core::Bilingual },
}

/// Why one lookup attempt did not answer.
enum Lookup {
    /// It decided under a cached catalog that is no longer in force.
    Stale,
    Failed(EngineError),
}

impl From<EngineError> for Lookup {
    fn from(e: EngineError) -> Self {
        Lookup::Failed(e)
    }
}

impl Engine {
    /// Finds subjects by a searchable value through its blind index, without decrypting
    /// anything. Returns ids and status only; erased subjects are never found.
    pub async fn find_subjects(
        &self,
        actor: &Actor,
        category: &str,
        value: &PlainValue,
        purpose: &str,
    ) -> Result<Vec<SubjectRef>, EngineError> {
        let found = self.find_subjects_many(actor, category, std::slice::from_ref(value), purpose).await?;
        match found.into_iter().next() {
            Some(Found::Subjects(subjects)) => Ok(subjects),
            Some(Found::Invalid { code, message }) => Err(EngineError::Invalid { code, message }),
            None => Err(EngineError::Internal("a lookup answered nothing")),
        }
    }

    /// Looks up each of `values` (at most [`MAX_LOOKUP_BATCH`]): one blind-index read and
    /// one journal entry for the whole batch. Answers by position.
    pub async fn find_subjects_many(
        &self,
        actor: &Actor,
        category: &str,
        values: &[PlainValue],
        purpose: &str,
    ) -> Result<Vec<Found>, EngineError> {
        if values.len() > MAX_LOOKUP_BATCH {
            return Err(EngineError::invalid(
                "lookup.batch_too_large",
                "at most 1000 values per lookup",
                "не более 1000 значений в одном поиске",
            ));
        }
        if let Some((catalog, sha)) = self.cached_catalog(&actor.tenant) {
            match self.find_once(actor, &catalog, Some(sha.clone()), category, values, purpose).await {
                Ok(found) => return Ok(found),
                Err(Lookup::Stale) => {}
                // What went wrong under a cached catalog is only final under the current one.
                Err(Lookup::Failed(e)) if self.store.current_catalog_sha(&actor.tenant).await?.is_some_and(|(_, s)| s == sha) => {
                    return Err(e);
                }
                Err(Lookup::Failed(_)) => {}
            }
        }
        let catalog = self.catalog_for(actor).await?;
        self.find_once(actor, &catalog, None, category, values, purpose).await.map_err(|e| match e {
            Lookup::Failed(e) => e,
            Lookup::Stale => EngineError::Internal("a lookup without a cached catalog was stale"),
        })
    }

    /// One attempt under `catalog`; `cached` is its hash when it came from the cache.
    async fn find_once(
        &self,
        actor: &Actor,
        catalog: &Catalog,
        cached: Option<String>,
        category: &str,
        values: &[PlainValue],
        purpose: &str,
    ) -> Result<Vec<Found>, Lookup> {
        let principal = principal(catalog, actor)?;
        let (rule, searchable) = category_rules(catalog, category);
        if !searchable {
            return Err(Lookup::Failed(EngineError::invalid(
                "subject.category_not_searchable",
                format!("category `{category}` is not searchable (set `searchable = true` in the catalog)"),
                format!("по категории `{category}` нельзя искать (укажите `searchable = true` в каталоге)"),
            )));
        }
        let record = || Record::op(Operation::Use.code()).purpose(purpose).categories([category]).object("lookup");
        if let Err(denial) = access::check_lookup(catalog, principal, purpose, category) {
            if cached.is_some() {
                return Err(Lookup::Stale);
            }
            return Err(Lookup::Failed(self.refuse(actor, denial, record()).await));
        }
        // Normalise and blind every value; invalid ones are answered in place.
        let mut answers: Vec<Found> = Vec::with_capacity(values.len());
        let mut blinds: Vec<Option<Vec<u8>>> = Vec::with_capacity(values.len());
        let blinder = self.keyring.blinder(&actor.tenant, category);
        for value in values {
            match normalize(rule, value) {
                Ok(normal) => {
                    blinds.push(Some(blinder.blind(normal.expose())));
                    answers.push(Found::Subjects(Vec::new()));
                }
                Err(e) => {
                    blinds.push(None);
                    answers.push(Found::Invalid { code: e.code, message: e.message });
                }
            }
        }
        // The valid values' blinds, each with its value's position.
        let (at, wanted): (Vec<usize>, Vec<Vec<u8>>) = blinds.into_iter().enumerate().filter_map(|(i, b)| Some((i, b?))).unzip();
        if wanted.is_empty() {
            // Nothing valid to look for: nothing was looked up, nothing to journal.
            return Ok(answers);
        }
        let mut subjects = Vec::new();
        for (w, subject) in self.read_blinds(actor, category, wanted).await? {
            subjects.push(subject.id.clone());
            if let Found::Subjects(list) = &mut answers[at[w]]
                && !list.iter().any(|s| s.id == subject.id)
            {
                list.push(subject);
            }
        }
        subjects.sort_unstable();
        subjects.dedup();
        for answer in &mut answers {
            if let Found::Subjects(list) = answer {
                list.sort_by(|a, b| a.id.cmp(&b.id));
            }
        }
        // One entry for the whole lookup, naming every subject found (one in `subject`,
        // several in `subjects`; journal_subjects finds it by each of them). An entry per
        // subject cost a leaf, a body and two index rows each: for a pre-dial check of a
        // million contacts, half a million entries and most of the time.
        // (A contact shared by several subjects can make more subjects than values: past
        // the most one entry may name, the next entry goes on.)
        let subjects: Vec<String> = subjects.into_iter().collect();
        let entries = if subjects.is_empty() {
            vec![self.entry(actor, &actor.tenant, record())]
        } else {
            subjects
                .chunks(obereg_journal::entry::MAX_ENTRY_SUBJECTS)
                .map(|some| self.entry(actor, &actor.tenant, record().touching(some.to_vec())))
                .collect()
        };
        // Journaled before anything is returned: a lookup that cannot be recorded does not happen.
        match self.journal_read(&actor.tenant, entries, cached).await {
            Ok(_) => Ok(answers),
            Err(StoreError::Conflict(crate::group_commit::STALE_CATALOG)) => Err(Lookup::Stale),
            Err(e) => Err(Lookup::Failed(e.into())),
        }
    }
}

impl Engine {
    /// The subjects (not erased) holding each of `wanted` in `category`, each with the
    /// position in `wanted` of the blind index it matched: from the contact index
    /// (`contact_index`) once a freshness probe after the caller's arrival has run, else
    /// from the database.
    async fn read_blinds(&self, actor: &Actor, category: &str, wanted: Vec<Vec<u8>>) -> Result<Vec<(usize, SubjectRef)>, EngineError> {
        self.fresh_for(actor).await?;
        let held = self
            .index
            .with_contacts(self.store.as_ref(), &actor.tenant, |table| {
                let mut rows = Vec::new();
                for (w, blind) in wanted.iter().enumerate() {
                    table.each_holder(category, blind, |holder| rows.push((w, holder_ref(holder))));
                }
                rows
            })
            .await?;
        if let Some(rows) = held {
            return Ok(rows);
        }
        let mut positions: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (w, blind) in wanted.iter().enumerate() {
            positions.entry(blind.clone()).or_default().push(w);
        }
        // On SQLite, read together with the lookups running beside this one (see
        // `blind_reads`). PostgreSQL runs each lookup's query on its own pooled connection in
        // parallel, and a long `IN` list can be planned as a full scan while the statistics
        // lag behind a bulk import; there each lookup asks alone.
        let rows = if self.store.backend() == obereg_store::Backend::Sqlite {
            let reader = self.blind_reads.get_or_init(|| crate::blind_reads::BlindReads::start(self.store.clone()));
            reader.find(&actor.tenant, category, wanted).await
        } else {
            self.store.find_subjects(&actor.tenant, category, &wanted).await
        }?;
        let mut out = Vec::with_capacity(rows.len());
        for (blind, record) in rows {
            for &w in positions.get(&blind).into_iter().flatten() {
                out.push((w, subject_ref(&record)));
            }
        }
        Ok(out)
    }
}

/// A subject found in the contact index, as the vault reports it.
fn holder_ref(holder: crate::contact_index::Holder<'_>) -> SubjectRef {
    SubjectRef {
        id: holder.id,
        kind: holder.kind.to_owned(),
        status: if holder.restricted { super::SubjectStatus::Restricted } else { super::SubjectStatus::Active },
        created_at: micros(holder.created_at),
        restricted_at: holder.restricted_at.map(micros),
        erased_at: None,
    }
}
