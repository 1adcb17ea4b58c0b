//! The decision index: what decisions and authentication need, held in memory and kept
//! exact across processes that share the database.
//!
//! A decision needs the catalog in force, the caller's token, the subject's standing and its
//! consent state. Reading them from the database costs several round trips per decision;
//! the pure decision itself costs about 50 ns. The index keeps them in memory, and stays
//! exact with a change feed (migration 000006): every write that changes a subject's
//! standing or consents, or revokes a token, stamps the changed key with its journal index
//! in the same transaction, and journal indexes follow commit order per tenant.
//!
//! **Freshness.** Before it answers, a caller waits for a *probe* that started after the
//! caller arrived: one query that reads the catalog hash in force and the feed past the
//! last stamp seen, and drops what changed from memory. So any write that committed before
//! the caller arrived, in this process or another, is seen: a withdrawal denies the next
//! decision, a revoked token fails the next request. Callers that arrive while a probe runs
//! share the next one, so under load a probe serves many callers (the same idea as the
//! journal's group commit), and an idle system pays one indexed query per caller.
//!
//! **Commit marks.** Where the store can tell without a query that nothing was committed
//! since the last probe began (SQLite's wal-index header, `Store::commit_mark`), a caller
//! takes that probe's view without a new one: every commit before the caller arrived came
//! before that probe's query, which saw it. Each probe records the mark read just before its
//! query; a caller whose own reading equals it skips the query, the lock and the hand-off to
//! the database's thread. A write anywhere changes the mark and the next caller probes.
//!
//! **Loading.** Entries are loaded on a miss. A load that overlapped an invalidation may
//! have read the state from before it: its result answers the caller that loaded it (that
//! read began after the caller arrived) but is not kept. A generation counter, bumped by
//! every invalidation, tells.
//!
//! Erased subjects are never kept; nor are negative answers (an unknown token or subject is
//! looked up again each time). Memory is bounded: past [`MAX_SUBJECTS`] entries a tenant's
//! subjects are dropped and reloaded on demand.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use obereg_core::consent::ConsentState;
use obereg_core::decision::{Standing, SubjectFacts};
use obereg_store::{ChangeFeed, CommitMark, Store, StoreError};

use crate::Actor;
use crate::contact_index::ContactTable;

/// Most subjects kept per tenant; past it the tenant's subjects are dropped at once.
pub(crate) const MAX_SUBJECTS: usize = 200_000;

/// Most changes one probe reads; a longer backlog clears the tenant's entries instead.
const PROBE_LIMIT: u32 = 10_000;

/// What a decision needs to know about one subject, as the index holds it.
#[derive(Debug, Clone)]
pub(crate) struct HeldFacts {
    pub standing: Standing<'static>,
    pub consents: ConsentState,
    /// Objections by purpose. Recorded with data-subject requests (issue 6); none yet.
    pub objections: BTreeMap<String, jiff::Timestamp>,
}

impl HeldFacts {
    /// A subject with an empty ledger.
    pub(crate) fn new(standing: Standing<'static>) -> Self {
        Self { standing, consents: ConsentState::default(), objections: BTreeMap::new() }
    }

    /// The core's view of these facts, with `standing` (which may be fresher than the held one).
    pub(crate) fn facts<'a>(&'a self, standing: Standing<'a>) -> SubjectFacts<'a> {
        SubjectFacts { standing, underage: false, consents: &self.consents, objections: &self.objections }
    }
}

/// A token known to be valid, as the index keeps it.
#[derive(Debug, Clone)]
struct CachedToken {
    tenant: String,
    actor: Actor,
}

/// The in-memory index of one engine.
#[derive(Debug, Default)]
pub(crate) struct DecisionIndex {
    tenants: Mutex<HashMap<String, Arc<TenantIndex>>>,
    tokens: Mutex<TokenCache>,
    /// Probes numbered so far, across tenants: a caller's [`Ticket`] is the next number.
    probes: AtomicU64,
    /// Probes that queried the database (the others were commit-mark readings); for tests.
    #[cfg(test)]
    queried: AtomicU64,
}

/// Taken when a caller arrives: any probe numbered from it on started after the arrival.
/// One request may check a token and then decide on the one ticket (one probe for both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

#[derive(Debug, Default)]
struct TokenCache {
    by_hash: HashMap<Vec<u8>, CachedToken>,
    /// Bumped whenever a token is dropped.
    generation: u64,
}

#[derive(Debug, Default)]
struct TenantIndex {
    /// Held by the probe that is running; probes of one tenant run one at a time.
    probe: tokio::sync::Mutex<()>,
    /// Held by the contact index's catch-up that is running (see `contact_index`).
    catch_up: tokio::sync::Mutex<()>,
    state: Mutex<TenantState>,
}

#[derive(Debug, Default)]
struct TenantState {
    /// The number of the tenant's last probe that succeeded.
    finished: u64,
    /// The highest stamp seen; `None` until the first probe.
    watermark: Option<i64>,
    catalog_sha: Option<String>,
    /// The commit mark read just before the last successful probe's query (see "Commit
    /// marks" above); `None` when the store has none.
    mark: Option<CommitMark>,
    /// Bumped by every invalidation (see "Loading" above).
    generation: u64,
    subjects: HashMap<String, Arc<HeldFacts>>,
    /// The contact index, once a lookup asked for it (see `contact_index`).
    contacts: Option<ContactTable>,
    /// Bumped whenever the contact index is dropped, so a catch-up that began before
    /// does not install into its successor.
    contacts_epoch: u64,
    /// The tenant has more subjects than the contact index holds.
    contacts_too_big: bool,
}

/// Proof that the index of a tenant was fresh for a caller: what it saw then.
#[derive(Debug, Clone)]
pub(crate) struct Fresh {
    /// The catalog hash in force, `None` before the first catalog.
    pub catalog_sha: Option<String>,
    generation: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl DecisionIndex {
    fn tenant(&self, tenant: &str) -> Arc<TenantIndex> {
        let mut tenants = lock(&self.tenants);
        if let Some(t) = tenants.get(tenant) {
            return t.clone();
        }
        tenants.entry(tenant.to_owned()).or_default().clone()
    }

    /// Probes that queried the database so far, across tenants.
    #[cfg(test)]
    pub(crate) fn probe_queries(&self) -> u64 {
        self.queried.load(Ordering::SeqCst)
    }

    /// A ticket for a caller arriving now.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.probes.load(Ordering::SeqCst) + 1)
    }

    /// Waits until a probe that started after this call has finished, and returns what it saw.
    pub(crate) async fn fresh(&self, store: &dyn Store, tenant: &str) -> Result<Fresh, StoreError> {
        self.fresh_since(store, tenant, self.ticket()).await
    }

    /// Waits until a probe of `tenant` numbered `since` or later has finished: one that
    /// started after the ticket was taken (numbers are handed out in order, so a number
    /// at or past the ticket was handed out after it).
    pub(crate) async fn fresh_since(&self, store: &dyn Store, tenant: &str, since: Ticket) -> Result<Fresh, StoreError> {
        let index = self.tenant(tenant);
        let need = since.0;
        loop {
            if let Some(fresh) = index.seen_since(need) {
                return Ok(fresh);
            }
            // Read after the caller arrived: equal to the last probe's mark, nothing was
            // committed from that probe's start until now. The reading counts as a probe
            // numbered before it was taken, so later calls on the same ticket (a request's
            // token check, then its decision) need no second reading.
            let number = self.probes.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(fresh) = store.commit_mark().and_then(|mark| index.unchanged_since(mark, number)) {
                return Ok(fresh);
            }
            let _probing = index.probe.lock().await;
            let (number, watermark) = {
                let state = lock(&index.state);
                if state.finished >= need {
                    continue;
                }
                (self.probes.fetch_add(1, Ordering::SeqCst) + 1, state.watermark)
            };
            let mark = store.commit_mark();
            #[cfg(test)]
            self.queried.fetch_add(1, Ordering::Relaxed);
            let outcome = self.probe(store, tenant, watermark).await;
            let mut state = lock(&index.state);
            match outcome {
                Ok(Probed::Feed(feed)) => self.apply(tenant, &mut state, feed),
                // The first probe of a tenant, or too much changed to read it all: start
                // from the feed's end and forget whatever of the tenant was held before (a
                // token may have been kept before its tenant was ever probed).
                Ok(Probed::Restart(last, catalog_sha)) => {
                    state.subjects.clear();
                    state.generation += 1;
                    state.contacts = None;
                    state.contacts_epoch += 1;
                    state.watermark = Some(last);
                    state.catalog_sha = catalog_sha;
                    self.drop_tokens(|t| t.tenant == tenant);
                }
                // A failed probe proves nothing: it is not counted as finished, so each
                // caller that waited on it probes again itself.
                Err(e) => return Err(e),
            }
            // A mark reading may have counted as a later probe meanwhile: never go back.
            state.finished = state.finished.max(number);
            state.mark = mark;
        }
    }

    async fn probe(&self, store: &dyn Store, tenant: &str, watermark: Option<i64>) -> Result<Probed, StoreError> {
        let Some(after) = watermark else {
            // The first probe of a tenant: nothing is held yet, so only the stamp to start
            // from is needed. It is read before anything is loaded.
            let last = store.last_change(tenant).await?;
            let feed = store.changes_since(tenant, last, 1).await?;
            return Ok(Probed::Restart(last, feed.catalog_sha));
        };
        let feed = store.changes_since(tenant, after, PROBE_LIMIT).await?;
        if feed.complete {
            return Ok(Probed::Feed(feed));
        }
        let last = store.last_change(tenant).await?;
        Ok(Probed::Restart(last, feed.catalog_sha))
    }

    fn apply(&self, tenant: &str, state: &mut TenantState, feed: ChangeFeed) {
        state.catalog_sha = feed.catalog_sha;
        if feed.changes.is_empty() {
            return;
        }
        state.generation += 1;
        let mut revoked = Vec::new();
        for change in &feed.changes {
            match change.kind.as_str() {
                "subject" => {
                    state.subjects.remove(&change.key);
                    if let Some(contacts) = &mut state.contacts {
                        contacts.mark_stale(&change.key);
                    }
                }
                "contacts" => {
                    if let Some(contacts) = &mut state.contacts {
                        contacts.mark_new();
                    }
                }
                _ => revoked.push(change.key.as_str()),
            }
            state.watermark = Some(state.watermark.unwrap_or(-1).max(change.idx));
        }
        if !revoked.is_empty() {
            self.drop_tokens(|t| t.tenant == tenant && t.actor.token_id.as_deref().is_some_and(|id| revoked.contains(&id)));
        }
    }

    fn drop_tokens(&self, which: impl Fn(&CachedToken) -> bool) {
        let mut tokens = lock(&self.tokens);
        tokens.by_hash.retain(|_, t| !which(t));
        tokens.generation += 1;
    }

    /// The facts of a subject as of `fresh`, if held.
    pub(crate) fn subject(&self, tenant: &str, id: &str) -> Option<Arc<HeldFacts>> {
        lock(&self.tenant(tenant).state).subjects.get(id).cloned()
    }

    /// The held facts of each of `ids`, under one lock (a contact check asks for a thousand).
    pub(crate) fn subjects<'i>(&self, tenant: &str, ids: impl IntoIterator<Item = &'i str>) -> Vec<Option<Arc<HeldFacts>>> {
        let index = self.tenant(tenant);
        let state = lock(&index.state);
        ids.into_iter().map(|id| state.subjects.get(id).cloned()).collect()
    }

    /// Keeps facts loaded after `fresh`, unless something was invalidated since.
    pub(crate) fn keep_subjects(&self, tenant: &str, fresh: &Fresh, loaded: impl IntoIterator<Item = (String, Arc<HeldFacts>)>) {
        let index = self.tenant(tenant);
        let mut state = lock(&index.state);
        if state.generation != fresh.generation {
            return;
        }
        for (id, facts) in loaded {
            if matches!(facts.standing, Standing::Erased) {
                continue;
            }
            if state.subjects.len() >= MAX_SUBJECTS {
                state.subjects.clear();
            }
            state.subjects.insert(id, facts);
        }
    }

    /// A valid token's actor by the token's hash, if held. Its tenant must then be made
    /// fresh and the token asked for again (see [`Engine::authenticate`](crate::Engine::authenticate)).
    pub(crate) fn token(&self, hash: &[u8]) -> Option<(String, Actor)> {
        lock(&self.tokens).by_hash.get(hash).map(|t| (t.tenant.clone(), t.actor.clone()))
    }

    /// The token generation, read before a token is looked up in the database.
    pub(crate) fn token_generation(&self) -> u64 {
        lock(&self.tokens).generation
    }

    /// Keeps a token read from the database, unless a token was dropped since `generation`.
    pub(crate) fn keep_token(&self, hash: Vec<u8>, actor: &Actor, generation: u64) {
        let mut tokens = lock(&self.tokens);
        if tokens.generation == generation {
            tokens.by_hash.insert(hash, CachedToken { tenant: actor.tenant.clone(), actor: actor.clone() });
        }
    }
}

impl DecisionIndex {
    /// Runs `answer` on the tenant's contact index once it holds every change the last
    /// probe saw; call it after [`DecisionIndex::fresh_since`] for the caller, and the answer
    /// reflects every change committed before the caller arrived. The first call for a
    /// tenant reads all its subjects. `None` when the tenant is not held (more than
    /// `contact_index::MAX_SUBJECTS` subjects, or the index restarted meanwhile): the
    /// caller reads the database instead.
    pub(crate) async fn with_contacts<R>(
        &self,
        store: &dyn Store,
        tenant: &str,
        answer: impl FnOnce(&ContactTable) -> R,
    ) -> Result<Option<R>, StoreError> {
        let index = self.tenant(tenant);
        loop {
            {
                let mut state = lock(&index.state);
                if state.contacts_too_big {
                    return Ok(None);
                }
                match &state.contacts {
                    Some(table) if !table.behind() => return Ok(Some(answer(table))),
                    Some(_) => {}
                    None => state.contacts = Some(ContactTable::new()),
                }
            }
            let _catching_up = index.catch_up.lock().await;
            let (pending, epoch) = {
                let state = lock(&index.state);
                match &state.contacts {
                    Some(table) if table.behind() => (table.pending(), state.contacts_epoch),
                    _ => continue,
                }
            };
            if !Self::catch_up(store, tenant, &index, pending, epoch).await? {
                return Ok(None);
            }
        }
    }

    /// Reads what the contact index owes (stale subjects, then subjects past the last one
    /// read, page by page) and installs it; `false` if the index was dropped meanwhile or
    /// grew past its bound.
    async fn catch_up(
        store: &dyn Store,
        tenant: &str,
        index: &TenantIndex,
        (stale, mut from, marks): (Vec<(String, u64)>, i64, u64),
        epoch: u64,
    ) -> Result<bool, StoreError> {
        if !stale.is_empty() {
            let ids: Vec<String> = stale.iter().map(|(id, _)| id.clone()).collect();
            let page = store.contact_rows_of(tenant, &ids).await?;
            let installed = Self::install(index, epoch, |table| {
                // A subject no longer there (never expected) is dropped, not kept stale.
                for id in ids.iter().filter(|id| !page.subjects.iter().any(|s| &s.id == *id)) {
                    table.remove(id);
                }
                table.apply(page, false);
            });
            if !installed {
                return Ok(false);
            }
        }
        loop {
            let page = store.contact_rows(tenant, from, crate::contact_index::PAGE).await?;
            let full = page.subjects.len() >= crate::contact_index::PAGE as usize;
            from = page.last.unwrap_or(from);
            if !Self::install(index, epoch, |table| table.apply(page, true)) {
                return Ok(false);
            }
            if !full {
                break;
            }
        }
        Ok(Self::install(index, epoch, |table| table.caught_up(&stale, marks)))
    }

    /// Applies `change` to the tenant's contact index if it is still the one of `epoch`;
    /// drops the index (for good) once it holds more than its bound.
    fn install(index: &TenantIndex, epoch: u64, change: impl FnOnce(&mut ContactTable)) -> bool {
        let mut state = lock(&index.state);
        if state.contacts_epoch != epoch {
            return false;
        }
        let Some(table) = state.contacts.as_mut() else { return false };
        change(table);
        if table.len() > crate::contact_index::MAX_SUBJECTS {
            state.contacts = None;
            state.contacts_epoch += 1;
            state.contacts_too_big = true;
            return false;
        }
        true
    }
}

enum Probed {
    Feed(ChangeFeed),
    /// Start over from this stamp, with this catalog hash.
    Restart(i64, Option<String>),
}

impl TenantIndex {
    /// What the index saw, if a probe numbered `need` or later has finished.
    fn seen_since(&self, need: u64) -> Option<Fresh> {
        let state = lock(&self.state);
        (state.finished >= need && state.watermark.is_some())
            .then(|| Fresh { catalog_sha: state.catalog_sha.clone(), generation: state.generation })
    }

    /// What the index saw, if the last probe began at commit mark `mark`, read after probe
    /// number `number` was handed out; that number then counts as finished.
    fn unchanged_since(&self, mark: CommitMark, number: u64) -> Option<Fresh> {
        let mut state = lock(&self.state);
        if state.watermark.is_none() || state.mark != Some(mark) {
            return None;
        }
        state.finished = state.finished.max(number);
        Some(Fresh { catalog_sha: state.catalog_sha.clone(), generation: state.generation })
    }
}
