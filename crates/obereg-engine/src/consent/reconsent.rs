//! Consents given under a consent document that the catalog no longer renders: the
//! re-consent list. A consent points to the exact document version the subject saw; when a
//! new catalog changes what that document says for the same purposes (a new recipient, a
//! longer term, a purpose renamed or gone), the consent still stands in the ledger, but the
//! operator must ask again before relying on the new terms (law.md MKT-7). This lists who.
//!
//! It reads the ledger a batch of subjects at a time, like a retention sweep, and renders
//! each distinct purpose set once.

use std::collections::HashMap;

use obereg_core::catalog::Channel;
use obereg_core::consent::ConsentAction;
use obereg_core::consent::document::render;

use crate::{Actor, Engine, EngineError};

/// Subjects read per batch.
const BATCH: u32 = 500;
/// Most entries one answer lists.
pub const MAX_RECONSENT: usize = 10_000;

/// A consent in force given under a document the catalog no longer renders.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reconsent {
    pub subject: String,
    pub purpose: String,
    pub channel: Option<Channel>,
    /// The document the subject agreed to.
    pub document: String,
    /// The document the catalog renders now for the same purposes; `None` when it cannot
    /// render one (a purpose left the catalog or no longer rests on consent).
    pub current: Option<String>,
}

/// Consent documents judged so far: a document's hash → the hash the catalog renders now
/// for its purposes (`None`: it cannot render one).
pub(crate) type RenderCache = HashMap<String, Option<String>>;

impl Engine {
    /// Consents in force whose document differs from what the catalog in force renders
    /// for the same purposes (at most [`MAX_RECONSENT`]). Administrators.
    pub async fn reconsent_needed(&self, actor: &Actor) -> Result<Vec<Reconsent>, EngineError> {
        actor.require_admin()?;
        let catalog = self.catalog_for(actor).await?;
        let mut cache = RenderCache::new();
        let mut out = Vec::new();
        let mut cursor = 0;
        loop {
            let page = self.store.retention_page(&actor.tenant, cursor, BATCH).await?;
            let Some(last) = page.last().map(|s| s.seq) else { break };
            cursor = last;
            let ids: Vec<String> = page.iter().map(|s| s.id.clone()).collect();
            out.extend(self.reconsent_of(&actor.tenant, &catalog, &ids, &mut cache).await?);
            if out.len() >= MAX_RECONSENT {
                out.truncate(MAX_RECONSENT);
                break;
            }
        }
        Ok(out)
    }

    /// The consents in force of `ids` given under a document the catalog no longer renders.
    pub(crate) async fn reconsent_of(
        &self,
        tenant: &str,
        catalog: &obereg_core::catalog::Catalog,
        ids: &[String],
        current: &mut RenderCache,
    ) -> Result<Vec<Reconsent>, EngineError> {
        let mut histories: HashMap<String, Vec<obereg_store::ConsentEventRecord>> = HashMap::new();
        for (id, event) in self.store.consent_events_many(tenant, ids).await? {
            histories.entry(id).or_default().push(event);
        }
        let mut out = Vec::new();
        for id in ids {
            let Some(history) = histories.get(id) else { continue };
            let state = super::replay(history)?;
            for (scope, last) in state.scopes() {
                let (ConsentAction::Given, Some(seen)) = (last.action, &last.document) else { continue };
                if !current.contains_key(seen) {
                    let now = match self.store.consent_document(tenant, seen).await? {
                        Some(doc) => {
                            let purposes: Vec<&str> = doc.purposes.split(',').collect();
                            render(catalog, &purposes).ok().map(|d| super::document_sha(&d))
                        }
                        None => None,
                    };
                    current.insert(seen.clone(), now);
                }
                let now = current.get(seen).cloned().flatten();
                if now.as_deref() != Some(seen.as_str()) {
                    out.push(Reconsent {
                        subject: id.clone(),
                        purpose: scope.purpose.clone(),
                        channel: scope.channel,
                        document: seen.clone(),
                        current: now,
                    });
                }
            }
        }
        Ok(out)
    }
}
