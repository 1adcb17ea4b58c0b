//! Grouped blind-index reads: concurrent lookups share one database query.
//!
//! A lookup by phone or email is one indexed query, but on SQLite each query is also a trip
//! to a reader connection's worker thread and back; with hundreds of lookups in flight those
//! hand-offs (futex wake-ups, task switches) cost more than the queries. Lookups therefore
//! queue their blind indexes here, and one task reads everything queued with one query per
//! tenant and category (the same idea as the journal's group commit, `group_commit.rs`).
//!
//! Used when the contact index (`contact_index`) does not hold the tenant, and on SQLite
//! only: PostgreSQL runs concurrent queries on separate connections in
//! parallel, and there one grouped query with a long `IN` list could be planned as a full
//! scan while table statistics lag behind a bulk import (measured: 135 ms per group).
//!
//! Freshness is unchanged: the query that answers a lookup starts after the lookup was
//! queued, so it sees every change committed before the lookup began. An idle system pays
//! nothing extra: the first lookup is read at once, and only those arriving while a query
//! runs wait for the next one.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use obereg_store::{Store, StoreError, SubjectRecord};
use tokio::sync::{mpsc, oneshot};

/// Most blind indexes read in one group query.
const MAX_GROUP_BLINDS: usize = 4096;

/// What a lookup gets: each matching subject with the blind index it matched by.
pub(crate) type Matches = Vec<(Vec<u8>, SubjectRecord)>;

struct Ask {
    tenant: String,
    category: String,
    blinds: Vec<Vec<u8>>,
    reply: oneshot::Sender<Result<Matches, StoreError>>,
}

/// A queue in front of `Store::find_subjects`, drained by one task.
#[derive(Debug, Clone)]
pub(crate) struct BlindReads {
    queue: mpsc::UnboundedSender<Ask>,
}

impl BlindReads {
    /// Starts the draining task on the current Tokio runtime.
    pub(crate) fn start(store: Arc<dyn Store>) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        tokio::spawn(drain(store, rx));
        Self { queue }
    }

    /// The subjects (not erased) of `tenant` holding one of `blinds` in `category`, read
    /// together with whatever else is queued.
    pub(crate) async fn find(&self, tenant: &str, category: &str, blinds: Vec<Vec<u8>>) -> Result<Matches, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Ask { tenant: tenant.to_owned(), category: category.to_owned(), blinds, reply })
            .map_err(|_| StoreError::NotFound("blind-index reader"))?;
        answer.await.map_err(|_| StoreError::NotFound("blind-index reader"))?
    }
}

async fn drain(store: Arc<dyn Store>, mut rx: mpsc::UnboundedReceiver<Ask>) {
    while let Some(first) = rx.recv().await {
        let mut count = first.blinds.len();
        let mut pending = vec![first];
        while count < MAX_GROUP_BLINDS {
            match rx.try_recv() {
                Ok(next) => {
                    count += next.blinds.len();
                    pending.push(next);
                }
                Err(_) => break,
            }
        }
        let mut groups: BTreeMap<(String, String), Vec<Ask>> = BTreeMap::new();
        for ask in pending {
            groups.entry((ask.tenant.clone(), ask.category.clone())).or_default().push(ask);
        }
        for ((tenant, category), mut asks) in groups {
            if asks.len() == 1
                && let Some(ask) = asks.pop()
            {
                let _ = ask.reply.send(store.find_subjects(&tenant, &category, &ask.blinds).await);
                continue;
            }
            let mut all: Vec<Vec<u8>> = asks.iter().flat_map(|a| a.blinds.iter().cloned()).collect();
            all.sort_unstable();
            all.dedup();
            match store.find_subjects(&tenant, &category, &all).await {
                Ok(rows) => {
                    let mut by_blind: HashMap<&[u8], Vec<&(Vec<u8>, SubjectRecord)>> = HashMap::with_capacity(rows.len());
                    for row in &rows {
                        by_blind.entry(row.0.as_slice()).or_default().push(row);
                    }
                    for ask in asks {
                        let mut wanted: Vec<&[u8]> = ask.blinds.iter().map(Vec::as_slice).collect();
                        wanted.sort_unstable();
                        wanted.dedup();
                        let matches = wanted.iter().filter_map(|b| by_blind.get(b)).flatten().map(|row| (*row).clone()).collect();
                        let _ = ask.reply.send(Ok(matches));
                    }
                }
                Err(e) => {
                    // The group failed as a whole: read each ask alone so each gets its own answer.
                    tracing::debug!(code = e.code(), "grouped blind-index read failed; reading one by one");
                    for ask in asks {
                        let _ = ask.reply.send(store.find_subjects(&tenant, &category, &ask.blinds).await);
                    }
                }
            }
        }
    }
}
