//! What every vault use case shares: the caller's role in the catalog in force, turning refusals into errors (journaled), building sealed items and opening
//! them again.

use aws_lc_rs::rand;
use obereg_core::access::{Denial, Principal};
use obereg_core::catalog::{Catalog, FreeText, Normalization};
use obereg_core::value::{PlainValue, normalize};
use obereg_store::{ItemRecord, SubjectRecord};

use super::crypto::{ItemBinding, Sealer};
use super::{NewRecord, NewValue, RecordBody, SubjectRef, SubjectStatus};
use crate::journal::Record;
use crate::token::Role;
use crate::{Actor, Engine, EngineError};

/// Item kind of an attribute value (records use their record kind).
pub(crate) const ATTRIBUTE: &str = "attribute";

/// A fresh random id: 128 bits as 32 hex digits. Not time-ordered, not sequential, so an
/// id says nothing about when or in what order subjects arrived.
pub(crate) fn random_id() -> Result<String, EngineError> {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes).map_err(|_| EngineError::Internal("random generator failed"))?;
    Ok(hex::encode(bytes))
}

/// Whether `id` could be a subject or item id; anything else cannot exist and must not
/// reach a query or the journal.
pub(crate) fn is_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub(crate) fn micros(t: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_microsecond(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Puts a subject's items in the order people read them: categories as the catalog lists
/// them, then by collection time, then by id. Items stored by one call share a collection
/// time and have random ids, so without this the same subject would read differently from one
/// request to the next.
pub(crate) fn in_catalog_order(catalog: &Catalog, items: &mut [ItemRecord]) {
    let rank = |category: &str| catalog.categories.iter().position(|c| c.id == category).unwrap_or(usize::MAX);
    items.sort_by(|a, b| (rank(&a.category), a.collected_at, &a.id).cmp(&(rank(&b.category), b.collected_at, &b.id)));
}

pub(crate) fn subject_ref(s: &SubjectRecord) -> SubjectRef {
    SubjectRef {
        id: s.id.clone(),
        kind: s.kind.clone(),
        status: SubjectStatus::parse(&s.status),
        created_at: micros(s.created_at),
        restricted_at: s.restricted_at.map(micros),
        erased_at: s.erased_at.map(micros),
    }
}

/// A catalog category's normalisation and whether it is searchable.
/// Free text of a category the catalog declares free of personal data, screened by
/// obereg-detect: `Ok(None)` when it may be stored as given, `Ok(Some(text))` with every
/// finding replaced by its type label (`redact`), or a refusal naming the types found
/// (`refuse`) — never the values.
pub(crate) fn screen_free_text(catalog: &Catalog, category: &str, text: &str) -> Result<Option<String>, EngineError> {
    let policy = catalog.categories.iter().find(|c| c.id == category).map_or(FreeText::Allow, |c| c.free_text);
    if policy == FreeText::Allow {
        return Ok(None);
    }
    let found = obereg_detect::detect(text.as_bytes());
    if found.is_empty() {
        return Ok(None);
    }
    if policy == FreeText::Refuse {
        let mut kinds: Vec<&str> = found.iter().map(|f| f.kind.as_str()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let kinds = kinds.join(", ");
        return Err(EngineError::invalid(
            "value.personal_data_in_free_text",
            format!("`{category}` must hold no personal data, and this text holds some: {kinds}"),
            format!("в `{category}` не должно быть персональных данных, а в этом тексте они есть: {kinds}"),
        ));
    }
    let redacted = obereg_detect::redact(text.as_bytes(), &found, &obereg_detect::Method::Label);
    String::from_utf8(redacted).map(Some).map_err(|_| EngineError::Internal("redaction broke a character"))
}

pub(crate) fn category_rules(catalog: &Catalog, category: &str) -> (Normalization, bool) {
    catalog.categories.iter().find(|c| c.id == category).map_or((Normalization::None, false), |c| (c.normalize, c.searchable))
}

impl Engine {
    /// Turns a denial into an error; refusals of rights are journaled with `record`.
    pub(crate) async fn refuse(&self, actor: &Actor, denial: Denial, record: Record<'_>) -> EngineError {
        if denial.invalid_request {
            return EngineError::Invalid { code: denial.code, message: denial.reason };
        }
        self.journal_refusal(actor, record).await;
        EngineError::Refused { code: denial.code, reason: denial.reason }
    }

    /// Seals one value of `subject` as an item: a new one, or `item` re-sealed in place.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn seal_value(
        &self,
        catalog: &Catalog,
        tenant: &str,
        subject: &str,
        sealer: &Sealer,
        dek_version: i64,
        value: &NewValue,
        now: i64,
        item: Option<&str>,
    ) -> Result<ItemRecord, EngineError> {
        let (rule, searchable) = category_rules(catalog, &value.category);
        let screened = screen_free_text(catalog, &value.category, value.value.expose())?.map(PlainValue::new);
        let normal = normalize(rule, screened.as_ref().unwrap_or(&value.value))
            .map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
        check_source(&value.source)?;
        let id = match item {
            Some(id) => id.to_owned(),
            None => random_id()?,
        };
        let binding = ItemBinding { tenant, subject, item: &id, kind: ATTRIBUTE, category: &value.category, dek_version };
        let sealed = sealer.seal(&binding, normal.expose().as_bytes())?;
        Ok(ItemRecord {
            tenant_id: tenant.to_owned(),
            subject_id: subject.to_owned(),
            kind: ATTRIBUTE.into(),
            category: value.category.clone(),
            purposes: value.purposes.join(","),
            source: value.source.clone(),
            collected_at: now,
            occurred_at: None,
            blind: searchable.then(|| self.keyring.blind_index(tenant, &value.category, normal.expose())),
            token: if rule == Normalization::Card { Some(format!("crd_{}", random_id()?)) } else { None },
            sealed: sealed.0,
            id,
        })
    }

    /// Seals one activity record of `subject` as a new item.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn seal_record(
        &self,
        catalog: &Catalog,
        tenant: &str,
        subject: &str,
        sealer: &Sealer,
        dek_version: i64,
        record: NewRecord,
        now: i64,
    ) -> Result<ItemRecord, EngineError> {
        check_source(&record.source)?;
        let mut body = record.body.validated()?;
        // A message's text and a form's answers are free text the catalog may screen.
        match &mut body {
            RecordBody::Message { text, .. } => {
                if let Some(clean) = screen_free_text(catalog, &record.category, text)? {
                    *text = clean;
                }
            }
            RecordBody::Form { fields, .. } => {
                for answer in fields.values_mut() {
                    if let Some(clean) = screen_free_text(catalog, &record.category, answer)? {
                        *answer = clean;
                    }
                }
            }
            RecordBody::Call { .. } => {}
        }
        let kind = body.kind().as_str();
        let json = zeroize::Zeroizing::new(serde_json::to_vec(&body).map_err(|_| EngineError::Internal("record encoding"))?);
        let id = random_id()?;
        let binding = ItemBinding { tenant, subject, item: &id, kind, category: &record.category, dek_version };
        let sealed = sealer.seal(&binding, &json)?;
        Ok(ItemRecord {
            tenant_id: tenant.to_owned(),
            subject_id: subject.to_owned(),
            kind: kind.into(),
            category: record.category,
            purposes: record.purposes.join(","),
            source: record.source,
            collected_at: now,
            occurred_at: Some(record.occurred_at.as_microsecond()),
            blind: None,
            token: None,
            sealed: sealed.0,
            id,
        })
    }

    /// Opens an item's plaintext.
    pub(crate) fn open_item(&self, sealer: &Sealer, item: &ItemRecord, dek_version: i64) -> Result<PlainValue, EngineError> {
        let binding = ItemBinding {
            tenant: &item.tenant_id,
            subject: &item.subject_id,
            item: &item.id,
            kind: &item.kind,
            category: &item.category,
            dek_version,
        };
        let bytes = sealer.open(&binding, &item.sealed)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| EngineError::Internal("a sealed value is not text"))?;
        Ok(PlainValue::new(text))
    }
}

/// The principal `actor` is in `catalog`: a staff role must still exist there.
pub(crate) fn principal<'c>(catalog: &'c Catalog, actor: &Actor) -> Result<Principal<'c>, EngineError> {
    match &actor.role {
        Role::Admin | Role::Platform => Ok(Principal::Administrator),
        Role::Staff(id) => catalog.roles.iter().find(|r| &r.id == id).map(Principal::Staff).ok_or(EngineError::Forbidden),
    }
}

/// Sources are codes (`web_form`, `crm_import`), never free text that could carry data.
fn check_source(source: &str) -> Result<(), EngineError> {
    if obereg_journal::entry::is_code(source) && source.len() <= 64 {
        Ok(())
    } else {
        Err(EngineError::invalid(
            "subject.invalid_source",
            "a source is a code of up to 64 letters, digits and ._:- (for example web_form)",
            "источник — код до 64 символов: буквы, цифры и ._:- (например web_form)",
        ))
    }
}
