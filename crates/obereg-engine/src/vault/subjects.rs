//! The vault's use cases on one subject: create, read for a purpose, find, add values and
//! records, rectify, delete a value, restrict, lift a restriction, erase.

use std::collections::BTreeMap;

use obereg_core::access::{self, Principal, Visibility, Write};
use obereg_core::catalog::Catalog;
use obereg_core::operation::Operation;
use obereg_core::value::{PlainValue, mask};
use obereg_journal::EntryDraft;
use obereg_store::{ItemChange, ItemRecord, NewSubject, SubjectData, SubjectKeyRecord, SubjectRecord};

use super::crypto::{DataKey, Sealer};
use super::records::RecordKind;
use super::support::{ATTRIBUTE, category_rules, in_catalog_order, is_id, micros, principal, random_id, subject_ref};
use super::{AttributeView, NewRecord, NewSubjectInput, NewValue, RecordBody, RecordView, SubjectRef, SubjectStatus, SubjectView};
use crate::journal::Record;
use crate::{Actor, Engine, EngineError};

/// Most values and records one call may add to a subject.
pub const MAX_ITEMS_PER_CALL: usize = 1000;
/// The data key version of every subject so far (a subject is re-keyed by a new version).
const DEK_VERSION: i64 = 1;

/// What erasing a subject did.
#[derive(Debug, Clone)]
pub struct Erasure {
    pub subject: String,
    pub erased_at: jiff::Timestamp,
    /// The journal entry recording the destruction.
    pub journal_index: u64,
    /// The destruction act (RKN Order 179).
    pub act: String,
}

impl Engine {
    /// Creates a subject with its first values and records, sealed under a new data key.
    pub async fn create_subject(&self, actor: &Actor, input: NewSubjectInput) -> Result<SubjectRef, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        let principal = principal(&catalog, actor)?;
        let kek = self.store.current_kek_version().await?;
        let (new, journal) = match self.prepare_subject(&catalog, principal, actor, input, kek) {
            Ok(prepared) => prepared,
            Err(Prepare::Denied(denied)) => return Err(self.refuse(actor, denied.0, denied.1).await),
            Err(Prepare::Failed(e)) => return Err(e),
        };
        let appended = self.store.create_subjects(&actor.tenant, std::slice::from_ref(&new), &journal).await?;
        self.after_append(&actor.tenant, appended).await;
        Ok(subject_ref(&new.subject))
    }

    /// Creates a site visitor of `input.kind` (no values), found later by the hash of the
    /// secret its browser holds (see `cookies`). Returns the subject id.
    pub(crate) async fn create_visitor_subject(
        &self,
        actor: &Actor,
        input: NewSubjectInput,
        secret_hash: &[u8],
    ) -> Result<String, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        let principal = principal(&catalog, actor)?;
        let kek = self.store.current_kek_version().await?;
        let (new, mut journal) = match self.prepare_subject(&catalog, principal, actor, input, kek) {
            Ok(prepared) => prepared,
            Err(Prepare::Denied(denied)) => return Err(self.refuse(actor, denied.0, denied.1).await),
            Err(Prepare::Failed(e)) => return Err(e),
        };
        // A visitor starts with no data; its creation is still on the record.
        let id = new.subject.id.clone();
        journal.push(self.entry(actor, &actor.tenant, Record::op(Operation::Collection.code()).subject(id.clone()).object("visitor")));
        let appended = self.store.create_visitor(&actor.tenant, secret_hash, &new, &journal).await?;
        self.after_append(&actor.tenant, appended).await;
        Ok(id)
    }

    /// Validates, checks and seals one new subject; shared by creation and import.
    pub(crate) fn prepare_subject(
        &self,
        catalog: &Catalog,
        principal: Principal<'_>,
        actor: &Actor,
        input: NewSubjectInput,
        kek_version: i64,
    ) -> Result<(NewSubject, Vec<EntryDraft>), Prepare> {
        if !catalog.subject_kinds.iter().any(|k| k.id == input.kind) {
            return Err(Prepare::Failed(EngineError::invalid(
                "subject.unknown_kind",
                format!("subject kind `{}` is not in the catalog", input.kind),
                format!("вида субъектов `{}` нет в каталоге", input.kind),
            )));
        }
        check_count(input.values.len() + input.records.len()).map_err(Prepare::Failed)?;
        let id = random_id().map_err(Prepare::Failed)?;
        let tenant = actor.tenant.as_str();
        check_items(catalog, principal, &input.kind, false, &input.values, &input.records)
            .map_err(|d| Prepare::Denied(Box::new((d, Record::op(Operation::Collection.code()).subject(id.clone())))))?;
        let now = self.now_micros();
        let key = DataKey::generate().map_err(Prepare::Failed)?;
        let sealer = key.sealer();
        let items = self.seal_items(catalog, tenant, &id, &sealer, input.values, input.records, now).map_err(Prepare::Failed)?;
        let wrapped = self.keyring.wrap(&key, tenant, &id, DEK_VERSION, kek_version).map_err(Prepare::Failed)?;
        let journal = self.collection_entries(actor, &id, &items);
        let subject = SubjectRecord {
            tenant_id: tenant.to_owned(),
            id: id.clone(),
            kind: input.kind,
            status: SubjectStatus::Active.as_str().into(),
            created_at: now,
            updated_at: now,
            restricted_at: None,
            erased_at: None,
        };
        let key = SubjectKeyRecord {
            tenant_id: tenant.to_owned(),
            subject_id: id,
            dek_version: DEK_VERSION,
            kek_version,
            wrapped,
            created_at: now,
        };
        Ok((NewSubject { subject, key, items }, journal))
    }

    #[allow(clippy::too_many_arguments)]
    fn seal_items(
        &self,
        catalog: &Catalog,
        tenant: &str,
        subject: &str,
        sealer: &Sealer,
        values: Vec<NewValue>,
        records: Vec<NewRecord>,
        now: i64,
    ) -> Result<Vec<ItemRecord>, EngineError> {
        let mut items = Vec::with_capacity(values.len() + records.len());
        for v in &values {
            items.push(self.seal_value(catalog, tenant, subject, sealer, DEK_VERSION, v, now, None)?);
        }
        for r in records {
            items.push(self.seal_record(catalog, tenant, subject, sealer, DEK_VERSION, r, now)?);
        }
        Ok(items)
    }

    /// One `collection` entry per purpose for values, one `recording` entry per purpose for
    /// records, each naming the categories stored.
    fn collection_entries(&self, actor: &Actor, subject: &str, items: &[ItemRecord]) -> Vec<EntryDraft> {
        let mut by: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
        for item in items {
            let op = if item.kind == ATTRIBUTE { Operation::Collection.code() } else { Operation::Recording.code() };
            for purpose in item.purposes.split(',') {
                by.entry((op, purpose)).or_default().push(&item.category);
            }
        }
        by.into_iter()
            .map(|((op, purpose), cats)| {
                self.entry(actor, &actor.tenant, Record::op(op).purpose(purpose).subject(subject).categories(cats))
            })
            .collect()
    }

    /// Reads a subject for `purpose`: only the categories the role and purpose allow, only
    /// values collected for that purpose, masked where the role's catalog entry says so.
    pub async fn read_subject(&self, actor: &Actor, id: &str, purpose: &str) -> Result<SubjectView, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        let principal = principal(&catalog, actor)?;
        let mut data = self.live_subject(actor, id).await?;
        in_catalog_order(&catalog, &mut data.items);
        let status = SubjectStatus::parse(&data.subject.status);
        let record = || Record::op(Operation::Extraction.code()).purpose(purpose).subject(id);
        let scope = match access::read_scope(&catalog, principal, purpose, status == SubjectStatus::Restricted) {
            Ok(scope) => scope,
            Err(denial) => return Err(self.refuse(actor, denial, record()).await),
        };
        let sealer = self.subject_sealer(&data)?;
        let mut attributes = Vec::new();
        let mut records = Vec::new();
        for item in &data.items {
            let purposes: Vec<String> = item.purposes.split(',').map(str::to_owned).collect();
            let Some(visibility) = scope.categories.get(&item.category) else { continue };
            if !purposes.iter().any(|p| p == purpose) {
                continue;
            }
            let masked = *visibility == Visibility::Masked;
            let plain = self.open_item(&sealer, item, DEK_VERSION)?;
            if item.kind == ATTRIBUTE {
                let (rule, _) = category_rules(&catalog, &item.category);
                let value = if masked { PlainValue::new(mask(rule, &plain)) } else { plain };
                attributes.push(AttributeView {
                    id: item.id.clone(),
                    category: item.category.clone(),
                    value,
                    masked,
                    token: item.token.clone(),
                    purposes,
                    source: item.source.clone(),
                    collected_at: micros(item.collected_at),
                });
            } else {
                let body: RecordBody =
                    serde_json::from_str(plain.expose()).map_err(|_| EngineError::Internal("a sealed record does not decode"))?;
                records.push(RecordView {
                    id: item.id.clone(),
                    kind: RecordKind::parse(&item.kind).ok_or(EngineError::Internal("unknown record kind"))?,
                    category: item.category.clone(),
                    occurred_at: micros(item.occurred_at.unwrap_or(item.collected_at)),
                    body: if masked { body.masked() } else { body },
                    purposes,
                    source: item.source.clone(),
                    collected_at: micros(item.collected_at),
                });
            }
        }
        let shown = attributes.iter().map(|a| a.category.as_str()).chain(records.iter().map(|r| r.category.as_str()));
        let entry = self.entry(actor, &actor.tenant, record().categories(shown));
        // Journaled before anything is returned: a read that cannot be recorded does not happen.
        self.journal_without_change(&actor.tenant, vec![entry]).await?;
        Ok(SubjectView { subject: subject_ref(&data.subject), purpose: purpose.to_owned(), attributes, records })
    }

    /// Adds values and records to an existing, active subject.
    pub async fn add_to_subject(
        &self,
        actor: &Actor,
        id: &str,
        values: Vec<NewValue>,
        records: Vec<NewRecord>,
    ) -> Result<Vec<String>, EngineError> {
        check_count(values.len() + records.len())?;
        let catalog = self.catalog_for(actor).await?;
        let principal = principal(&catalog, actor)?;
        let data = self.live_subject(actor, id).await?;
        let restricted = data.subject.status == SubjectStatus::Restricted.as_str();
        if let Err(denial) = check_items(&catalog, principal, &data.subject.kind, restricted, &values, &records) {
            return Err(self.refuse(actor, denial, Record::op(Operation::Collection.code()).subject(id)).await);
        }
        let sealer = self.subject_sealer(&data)?;
        let items = self.seal_items(&catalog, &actor.tenant, id, &sealer, values, records, self.now_micros())?;
        let ids = items.iter().map(|i| i.id.clone()).collect();
        let journal = self.collection_entries(actor, id, &items);
        let change = ItemChange {
            tenant_id: actor.tenant.clone(),
            subject_id: id.to_owned(),
            expected_status: SubjectStatus::Active.as_str(),
            at: self.now_micros(),
            insert: items,
            update: vec![],
            delete: vec![],
        };
        self.apply_change(actor, &change, &journal).await?;
        Ok(ids)
    }

    /// Replaces one value with a corrected one (уточнение), acting for `purpose`.
    pub async fn rectify_value(
        &self,
        actor: &Actor,
        id: &str,
        item_id: &str,
        value: &PlainValue,
        purpose: &str,
    ) -> Result<(), EngineError> {
        let (catalog, data, item) = self.item_for_change(actor, id, item_id, purpose, Operation::Clarification).await?;
        let sealer = self.subject_sealer(&data)?;
        let new = NewValue {
            category: item.category.clone(),
            value: value.clone(),
            purposes: item.purposes.split(',').map(str::to_owned).collect(),
            source: item.source.clone(),
        };
        let sealed = self.seal_value(&catalog, &actor.tenant, id, &sealer, DEK_VERSION, &new, item.collected_at, Some(&item.id))?;
        self.change_one_item(actor, &data, &item, Operation::Clarification, purpose, Some(sealed)).await
    }

    /// Deletes one value (удаление), acting for `purpose`.
    pub async fn delete_value(&self, actor: &Actor, id: &str, item_id: &str, purpose: &str) -> Result<(), EngineError> {
        let (_, data, item) = self.item_for_change(actor, id, item_id, purpose, Operation::Deletion).await?;
        self.change_one_item(actor, &data, &item, Operation::Deletion, purpose, None).await
    }

    /// Replaces `item` with `replacement`, or deletes it when there is none, journaling
    /// `operation` for `purpose`; only while the subject keeps the status it was read with.
    async fn change_one_item(
        &self,
        actor: &Actor,
        data: &SubjectData,
        item: &ItemRecord,
        operation: Operation,
        purpose: &str,
        replacement: Option<ItemRecord>,
    ) -> Result<(), EngineError> {
        let id = data.subject.id.as_str();
        let entry = self.entry(
            actor,
            &actor.tenant,
            Record::op(operation.code()).purpose(purpose).subject(id).categories([item.category.as_str()]),
        );
        let (update, delete) = match replacement {
            Some(sealed) => (vec![sealed], vec![]),
            None => (vec![], vec![item.id.clone()]),
        };
        let change = ItemChange {
            tenant_id: actor.tenant.clone(),
            subject_id: id.to_owned(),
            expected_status: SubjectStatus::parse(&data.subject.status).as_str(),
            at: self.now_micros(),
            insert: vec![],
            update,
            delete,
        };
        self.apply_change(actor, &change, &[entry]).await
    }

    /// Blocks a subject (блокирование): data kept, every use but storage refused.
    pub async fn restrict_subject(&self, actor: &Actor, id: &str) -> Result<SubjectRef, EngineError> {
        self.change_status(actor, id, SubjectStatus::Active, SubjectStatus::Restricted).await
    }

    /// Lifts a restriction; only a `dpo` role or an administrator may.
    pub async fn lift_restriction(&self, actor: &Actor, id: &str) -> Result<SubjectRef, EngineError> {
        self.change_status(actor, id, SubjectStatus::Restricted, SubjectStatus::Active).await
    }

    async fn change_status(&self, actor: &Actor, id: &str, from: SubjectStatus, to: SubjectStatus) -> Result<SubjectRef, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        let principal = principal(&catalog, actor)?;
        let lifting = to == SubjectStatus::Active;
        let record = || Record::op(Operation::Blocking.code()).subject(id).object(if lifting { "lift" } else { "restrict" });
        if let Err(denial) = access::check_subject_operation(principal, Operation::Blocking, lifting) {
            return Err(self.refuse(actor, denial, record()).await);
        }
        let data = self.live_subject(actor, id).await?;
        if data.subject.status != from.as_str() {
            return Err(EngineError::invalid(
                "subject.wrong_status",
                format!("the subject is {}, not {}", data.subject.status, from.as_str()),
                format!("статус субъекта — {}, а не {}", data.subject.status, from.as_str()),
            ));
        }
        let entry = self.entry(actor, &actor.tenant, record());
        let now = self.now_micros();
        let appended = self
            .store
            .set_subject_status(&actor.tenant, id, from.as_str(), to.as_str(), now, &[entry])
            .await?
            .ok_or(EngineError::Conflict("subject status"))?;
        self.after_append(&actor.tenant, appended).await;
        let mut subject = data.subject;
        subject.status = to.as_str().into();
        subject.restricted_at = (to == SubjectStatus::Restricted).then_some(now);
        Ok(subject_ref(&subject))
    }

    /// Erases a subject by crypto-shredding (уничтожение): its data key is destroyed in one
    /// transaction with the journal entry, so no copy of its data, backups included, can be
    /// opened again. The ciphertext rows are purged afterwards in the background; the
    /// time this takes does not depend on how much data the subject had.
    pub async fn erase_subject(&self, actor: &Actor, id: &str) -> Result<Erasure, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        let principal = principal(&catalog, actor)?;
        let record = || Record::op(Operation::Destruction.code()).subject(id).object("crypto_shredding");
        if let Err(denial) = access::check_subject_operation(principal, Operation::Destruction, false) {
            return Err(self.refuse(actor, denial, record()).await);
        }
        if !is_id(id) {
            return Err(EngineError::NotFound("subject"));
        }
        let subject = self.subject_for_erasure(&actor.tenant, id).await?.ok_or(EngineError::NotFound("subject"))?;
        let origin = actor.token_id.clone().unwrap_or_else(|| "cli".into());
        let reason = obereg_core::retention::DestructionReason::OperatorDecision;
        let destroyed = self.destroy_with_act(actor, &catalog, &subject, None, reason, ("staff", &origin)).await?;
        let now = self.now_micros();
        tracing::info!(tenant = %actor.tenant, subject = %id, act = %destroyed.act, "subject erased");
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.purge_erased(100).await {
                tracing::warn!(code = e.code(), "purging erased subjects failed; the next sweep retries");
            }
        });
        Ok(Erasure { subject: id.to_owned(), erased_at: micros(now), journal_index: destroyed.appended.first, act: destroyed.act })
    }

    /// Deletes the ciphertext rows of up to `limit` erased subjects; returns how many.
    pub async fn purge_erased(&self, limit: u32) -> Result<u64, EngineError> {
        Ok(self.store.purge_erased(limit).await?)
    }

    /// A subject that exists in the actor's tenant and is not erased.
    pub(crate) async fn live_subject(&self, actor: &Actor, id: &str) -> Result<SubjectData, EngineError> {
        if !is_id(id) {
            return Err(EngineError::NotFound("subject"));
        }
        match self.store.subject(&actor.tenant, id).await? {
            Some(data) if data.subject.status != SubjectStatus::Erased.as_str() => Ok(data),
            _ => Err(EngineError::NotFound("subject")),
        }
    }

    /// The sealer of a subject's data key.
    pub(crate) fn subject_sealer(&self, data: &SubjectData) -> Result<Sealer, EngineError> {
        let key = data.key.as_ref().ok_or(EngineError::Internal("a live subject has no key"))?;
        Ok(self.keyring.unwrap(&key.wrapped, &key.tenant_id, &key.subject_id, key.dek_version, key.kek_version)?.sealer())
    }

    /// The catalog, the subject and one of its attribute items, after checking that the
    /// actor may perform `operation` on it for `purpose`.
    async fn item_for_change(
        &self,
        actor: &Actor,
        id: &str,
        item_id: &str,
        purpose: &str,
        operation: Operation,
    ) -> Result<(std::sync::Arc<Catalog>, SubjectData, ItemRecord), EngineError> {
        let catalog = self.catalog_for(actor).await?;
        let principal = principal(&catalog, actor)?;
        let data = self.live_subject(actor, id).await?;
        let item = data
            .items
            .iter()
            .find(|i| i.id == item_id && i.kind == ATTRIBUTE && i.purposes.split(',').any(|p| p == purpose))
            .cloned()
            .ok_or(EngineError::NotFound("value"))?;
        let restricted = data.subject.status == SubjectStatus::Restricted.as_str();
        let purposes = [purpose.to_owned()];
        let write = Write { operation, subject_kind: &data.subject.kind, category: &item.category, purposes: &purposes };
        if let Err(denial) = access::check_write(&catalog, principal, restricted, &write) {
            let record = Record::op(operation.code()).purpose(purpose).subject(id).categories([item.category.as_str()]);
            return Err(self.refuse(actor, denial, record).await);
        }
        Ok((catalog, data, item))
    }

    async fn apply_change(&self, actor: &Actor, change: &ItemChange, journal: &[EntryDraft]) -> Result<(), EngineError> {
        let appended = self.store.change_items(change, journal).await?.ok_or(EngineError::Conflict("subject status"))?;
        self.after_append(&actor.tenant, appended).await;
        Ok(())
    }
}

/// Why preparing a subject failed: a refusal to journal, or any other error.
#[derive(Debug)]
pub(crate) enum Prepare {
    Denied(Box<(access::Denial, Record<'static>)>),
    Failed(EngineError),
}

fn check_count(n: usize) -> Result<(), EngineError> {
    if n <= MAX_ITEMS_PER_CALL {
        Ok(())
    } else {
        Err(EngineError::invalid(
            "subject.too_many_items",
            "at most 1000 values and records per call",
            "не более 1000 значений и записей за один вызов",
        ))
    }
}

/// Checks every value (`collection`) and record (`recording`) against the matrix.
fn check_items(
    catalog: &Catalog,
    principal: Principal<'_>,
    kind: &str,
    restricted: bool,
    values: &[NewValue],
    records: &[NewRecord],
) -> Result<(), access::Denial> {
    let writes = values
        .iter()
        .map(|v| (Operation::Collection, &v.category, &v.purposes))
        .chain(records.iter().map(|r| (Operation::Recording, &r.category, &r.purposes)));
    for (operation, category, purposes) in writes {
        access::check_write(catalog, principal, restricted, &Write { operation, subject_kind: kind, category, purposes })?;
    }
    Ok(())
}
