//! Group commit for entries that record no stored change (reads, lookups, refusals).
//!
//! Such an entry must be durable before the data it records is handed out, so every read
//! waits for its append. Appending one entry per transaction would cap reads at the rate of
//! write transactions (about a thousand a second on SQLite); instead, appends that arrive
//! while a transaction is running are queued and written together in the next one. Each
//! caller still gets the exact indexes of its own entries, and a failed transaction fails
//! every caller in it (the read is then refused, as without batching).

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
    reply: Reply,
}

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
    pub(crate) async fn append(&self, tenant: &str, drafts: Vec<EntryDraft>) -> Result<Appended, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Request { tenant: tenant.to_owned(), drafts, reply }).map_err(|_| StoreError::NotFound("journal writer"))?;
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
