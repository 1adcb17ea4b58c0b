//! Destruction outside a sweep — an erasure by staff or on a subject's request — with its
//! act, in one transaction (`obereg_store::RetentionBatch` again: the same path a sweep's
//! batch takes, so the act, the entries and the destruction cannot part).

use obereg_core::Operation;
use obereg_core::catalog::Catalog;
use obereg_core::retention::DestructionReason;
use obereg_store::{Appended, RetentionBatch, RetentionSubject};

use super::acts::ActSubject;
use crate::journal::Record;
use crate::requests::short_id;
use crate::{Actor, Engine, EngineError};

/// What an erasure destroyed.
#[derive(Debug, Clone)]
pub(crate) struct Destroyed {
    pub appended: Appended,
    pub act: String,
}

impl Engine {
    /// The subject with its items' metadata, as a sweep reads it; `None` once erased.
    pub(crate) async fn subject_for_retention(&self, tenant: &str, id: &str) -> Result<Option<RetentionSubject>, EngineError> {
        let Some(seq) = self.store.subject_seq(tenant, id).await? else { return Ok(None) };
        let page = self.store.retention_page(tenant, seq - 1, 1).await?;
        Ok(page.into_iter().next().filter(|s| s.seq == seq))
    }

    /// A subject to erase whole: its head only, without its items (an erasure's act names
    /// categories, which [`Engine::destroy_with_act`] then reads as such). Erased: `None`.
    pub(crate) async fn subject_for_erasure(&self, tenant: &str, id: &str) -> Result<Option<RetentionSubject>, EngineError> {
        let Some(seq) = self.store.subject_seq(tenant, id).await? else { return Ok(None) };
        let Some((head, _)) = self.store.subject_head(tenant, id).await? else { return Ok(None) };
        if head.status == "erased" {
            return Ok(None);
        }
        Ok(Some(RetentionSubject { seq, id: head.id, status: head.status, updated_at: head.updated_at, items: Vec::new() }))
    }

    /// Destroys `items` of `subject` (all of it, crypto-shredded, when `None`) for
    /// `reason`, with an act naming `origin` (`("request", id)` or `("staff", token)`).
    pub(crate) async fn destroy_with_act(
        &self,
        actor: &Actor,
        catalog: &Catalog,
        subject: &RetentionSubject,
        items: Option<&[String]>,
        reason: DestructionReason,
        origin: (&str, &str),
    ) -> Result<Destroyed, EngineError> {
        let act_id = short_id("A")?;
        let now = self.clock.now();
        // A whole subject's act names its categories, read as such: the subject may hold many
        // thousands of records, and erasure must cost about the same for one or ten thousand.
        let mut categories: Vec<String> = match items {
            None if subject.items.is_empty() => self.store.subject_categories(subject.seq).await?,
            _ => subject.items.iter().filter(|i| items.is_none_or(|only| only.contains(&i.id))).map(|i| i.category.clone()).collect(),
        };
        categories.sort();
        categories.dedup();
        let erased = items.is_none();
        let method = if erased { "crypto_shredding" } else { "deletion" };
        let record = Record::op(Operation::Destruction.code())
            .subject(&subject.id)
            .categories(categories.clone())
            .object(format!("act:{act_id}:{method}"));
        let entry = self.entry(actor, &actor.tenant, record);
        let act_subject = ActSubject { id: subject.id.clone(), erased, categories, reason, since: now };
        let performed_by = format!("{} ({})", actor.role.as_str(), actor.token_id.as_deref().unwrap_or("CLI"));
        let act = self.draft_act(&actor.tenant, catalog, &act_id, origin, vec![(subject.seq, act_subject)], &performed_by).await?;
        let mut batch =
            RetentionBatch { tenant_id: actor.tenant.clone(), at: now.as_microsecond(), act: Some(act), ..RetentionBatch::default() };
        match items {
            None => batch.erase.push((subject.seq, subject.id.clone(), subject.updated_at)),
            Some(ids) => batch.delete.extend(ids.iter().map(|id| (subject.seq, id.clone()))),
        }
        let appended = self.store.apply_retention(&batch, &[entry]).await?;
        self.after_append(&actor.tenant, appended).await;
        Ok(Destroyed { appended, act: act_id })
    }
}
