//! Group commit for entries that record no stored change (reads, lookups, refusals).
//!
//! Such an entry must be durable before the data it records is handed out, so every read
//! waits for its append. Appending one entry per transaction would cap reads at the rate of
//! write transactions (about a thousand a second on SQLite); instead, appends that arrive
//! while a transaction is running are queued and written together in the next one. Each
//! caller still gets the exact indexes of its own entries, and a failed transaction fails
//! every caller in it (the read is then refused, as without batching).
//!
//! A read may have decided with a cached catalog. It then names the catalog hash it used,
//! and the group checks that hash against the catalog in force (one query per group, not
//! per read) before appending: a read decided under a catalog that has since changed is
//! answered with a conflict and repeated by its caller under the new one. The read's
//! linearisation point is that check.

use std::collections::BTreeMap;
use std::sync::Arc;

use obereg_journal::EntryDraft;
use obereg_store::{Appended, Store, StoreError};
use tokio::sync::{mpsc, oneshot};

/// Most entries written in one group transaction.
const MAX_GROUP_ENTRIES: usize = 4096;

type Reply = oneshot::Sender<Result<Appended, StoreError>>;

struct Request {
    tenant: String,
    drafts: Vec<EntryDraft>,
    /// The catalog hash the read decided with, when it came from a cache.
    catalog: Option<String>,
    reply: Reply,
}

/// A request decided under a catalog no longer in force is answered with
/// `StoreError::Conflict(STALE_CATALOG)`.
pub(crate) const STALE_CATALOG: &str = "catalog changed";

/// A queue in front of `Store::append_journal`, drained by one task.
#[derive(Debug, Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::UnboundedSender<Request>,
}

impl GroupCommit {
    /// Starts the draining task on the current Tokio runtime.
    pub(crate) fn start(store: Arc<dyn Store>) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        tokio::spawn(drain(store, rx));
        Self { queue }
    }

    /// Appends `drafts` for `tenant`, together with whatever else is queued.
    /// With `catalog`, only if that catalog hash is still the one in force.
    pub(crate) async fn append(&self, tenant: &str, drafts: Vec<EntryDraft>, catalog: Option<String>) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Request { tenant: tenant.to_owned(), drafts, catalog, reply })
            .map_err(|_| StoreError::NotFound("journal writer"))?;
        answer.await.map_err(|_| StoreError::NotFound("journal writer"))?
    }
}

async fn drain(store: Arc<dyn Store>, mut rx: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut pending = vec![first];
        let mut count = pending[0].drafts.len();
        while count < MAX_GROUP_ENTRIES {
            match rx.try_recv() {
                Ok(next) => {
                    count += next.drafts.len();
                    pending.push(next);
                }
                Err(_) => break,
            }
        }
        let mut by_tenant: BTreeMap<String, Vec<Request>> = BTreeMap::new();
        for r in pending {
            by_tenant.entry(r.tenant.clone()).or_default().push(r);
        }
        for (tenant, requests) in by_tenant {
            let Some(requests) = current_only(store.as_ref(), &tenant, requests).await else { continue };
            let all: Vec<EntryDraft> = requests.iter().flat_map(|r| r.drafts.iter().cloned()).collect();
            match store.append_journal(&tenant, &all).await {
                Ok(appended) => {
                    let mut first = appended.first;
                    for r in requests {
                        let size = first + r.drafts.len() as u64;
                        let _ = r.reply.send(Ok(Appended { first, size }));
                        first = size;
                    }
                }
                Err(e) => {
                    // One bad draft fails the group: retry each request alone so only it fails.
                    tracing::debug!(code = e.code(), "group journal append failed; retrying one by one");
                    for r in requests {
                        let _ = r.reply.send(store.append_journal(&tenant, &r.drafts).await);
                    }
                }
            }
        }
    }
}

/// The requests whose catalog (if they name one) is still in force; the others are
/// answered with a [`STALE_CATALOG`] conflict here.
async fn current_only(store: &dyn Store, tenant: &str, requests: Vec<Request>) -> Option<Vec<Request>> {
    if requests.iter().all(|r| r.catalog.is_none()) {
        return Some(requests);
    }
    // If the check itself fails, every cached decision counts as stale: its caller then
    // reads the catalog itself and meets the failure there.
    let current = store.current_catalog_sha(tenant).await.ok().flatten().map(|(_, sha)| sha);
    let mut kept = Vec::with_capacity(requests.len());
    for r in requests {
        match &r.catalog {
            Some(sha) if Some(sha) != current.as_ref() => {
                let _ = r.reply.send(Err(StoreError::Conflict(STALE_CATALOG)));
            }
            _ => kept.push(r),
        }
    }
    (!kept.is_empty()).then_some(kept)
}
