//! Consent in the engine: documents rendered from the catalog in force and kept by hash,
//! events validated against the subject's history before they are appended, the state
//! that history replays to, and decisions (see `obereg_core::decision`).
//!
//! Proof of consent is the operator's burden (152-FZ art. 9 p.3): every `given` or
//! `refused` event names the document version the subject saw, how it was recorded, and
//! may carry evidence (IP address, user agent, a recording or scan reference), which is
//! personal data and is sealed under the subject's data key like any value, so erasing the
//! subject erases it too.

use obereg_core::Bilingual;
use obereg_core::access::Principal;
use obereg_core::catalog::{Catalog, Channel};
use obereg_core::consent::document::render;
use obereg_core::consent::{ConsentAction, ConsentEvent, ConsentMethod, ConsentScope, ConsentState};
use obereg_core::decision::{self, Ask, SubjectFacts};
use obereg_core::value::PlainValue;
use obereg_store::{ConsentDocumentRecord, ConsentEventRecord, StoreError};

use crate::journal::Record;
use crate::vault::SubjectStatus;
use crate::vault::crypto::ItemBinding;
use crate::{Actor, Engine, EngineError, sha256_hex};

mod decisions;
pub(crate) mod reconsent;

pub use decisions::ContactCheck;
pub use reconsent::Reconsent;

/// The sealed evidence's binding kind.
const EVIDENCE: &str = "consent_evidence";
/// Attempts at appending an event when other events of the subject keep arriving.
const APPEND_ATTEMPTS: usize = 3;

/// A stored consent document version.
#[derive(Debug, Clone)]
pub struct DocumentView {
    pub sha256: String,
    pub purposes: Vec<String>,
    pub written: bool,
    pub catalog_version: i64,
    pub ru: String,
    pub en: String,
    /// `false` when this version was stored before.
    pub created: bool,
}

/// A consent event to record.
#[derive(Debug, Clone)]
pub struct NewConsentEvent {
    pub purpose: String,
    pub channel: Option<Channel>,
    pub cookie: Option<String>,
    pub action: ConsentAction,
    pub method: ConsentMethod,
    /// The document version (hash) the subject saw; required to give or refuse.
    pub document: Option<String>,
    pub valid_until: Option<jiff::Timestamp>,
    pub by_representative: bool,
    /// IP address, user agent, recording or scan reference: sealed, never journaled.
    pub evidence: Option<PlainValue>,
}

/// A recorded event; evidence is not shown back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEventView {
    pub index: i64,
    pub event: ConsentEvent,
    pub has_evidence: bool,
}

/// A subject's consents: the history, and the last event of each scope (the state it
/// replays to).
#[derive(Debug, Clone)]
pub struct ConsentHistory {
    pub events: Vec<ConsentEventView>,
    pub current: Vec<ConsentEventView>,
}

/// A decision with its reasons in words.
#[derive(Debug, Clone)]
pub struct DecisionView {
    pub allowed: bool,
    /// The purpose's 152-FZ basis code (`consent`, `contract`, …).
    pub basis: Option<String>,
    pub reasons: Vec<(&'static str, Bilingual)>,
}

/// Most consent document versions one listing shows.
pub const MAX_LISTED_DOCUMENTS: u32 = 1000;

impl Engine {
    /// Renders the consent document for `purposes` from the catalog in force and keeps the
    /// version (once). Administrators only: publishing what subjects agree to is the
    /// operator's act.
    pub async fn consent_document(&self, actor: &Actor, purposes: &[String]) -> Result<DocumentView, EngineError> {
        self.authorize(actor, actor.role.is_admin(), Record::op("consent.document_published")).await?;
        let current = self.current_catalog(actor).await?;
        let ids: Vec<&str> = purposes.iter().map(String::as_str).collect();
        let doc = render(&current.catalog, &ids).map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
        let list = doc.purposes.join(",");
        let sha256 = document_sha(&doc);
        let record = ConsentDocumentRecord {
            tenant_id: actor.tenant.clone(),
            sha256: sha256.clone(),
            purposes: list,
            written: doc.written,
            catalog_version: current.version.version,
            body_ru: doc.ru,
            body_en: doc.en,
            created_at: self.now_micros(),
        };
        let entry = self.entry(actor, &actor.tenant, Record::op("consent.document_published").object(&sha256));
        let created = match self.store.put_consent_document(&record, &[entry]).await? {
            Some(appended) => {
                self.after_append(&actor.tenant, appended).await;
                true
            }
            None => false,
        };
        let stored =
            self.store.consent_document(&actor.tenant, &sha256).await?.ok_or(EngineError::Internal("a stored document vanished"))?;
        Ok(document_view(stored, created))
    }

    /// A stored consent document version. Any role of the tenant may read it.
    pub async fn consent_document_by_hash(&self, actor: &Actor, sha256: &str) -> Result<DocumentView, EngineError> {
        let doc = self.store.consent_document(&actor.tenant, sha256).await?.ok_or(EngineError::NotFound("consent document"))?;
        Ok(document_view(doc, false))
    }

    /// The stored consent document versions, newest first, each marked whether the catalog
    /// in force still renders it for its purposes (a superseded one still proves what
    /// earlier subjects agreed to, and is kept). Any role of the tenant may read them.
    pub async fn consent_documents(&self, actor: &Actor) -> Result<Vec<(DocumentView, jiff::Timestamp, bool)>, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        let stored = self.store.consent_documents(&actor.tenant, MAX_LISTED_DOCUMENTS).await?;
        Ok(stored
            .into_iter()
            .map(|doc| {
                let purposes: Vec<&str> = doc.purposes.split(',').collect();
                let current = render(&catalog, &purposes).ok().is_some_and(|now| document_sha(&now) == doc.sha256);
                let at = crate::vault::micros_to_time(doc.created_at);
                (document_view(doc, false), at, current)
            })
            .collect())
    }

    /// Records a consent event for a subject that is not erased (a restricted one may still
    /// withdraw). The event must fit the catalog and follow the subject's history.
    pub async fn record_consent(&self, actor: &Actor, subject: &str, new: NewConsentEvent) -> Result<ConsentEventView, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        self.check_event(&catalog, &new)?;
        let allowed = match crate::vault::principal_of(&catalog, actor)? {
            Principal::Administrator => true,
            Principal::Staff(role) => role.purposes.contains(&new.purpose),
        };
        let record = Record::op(operation(new.action)).purpose(&new.purpose).subject(subject);
        self.authorize(actor, allowed, record).await?;
        self.append_consent(actor, subject, new).await
    }

    /// Appends a checked event for `actor`, whose right to record it was established by
    /// the caller (a role's purposes, or a data-subject request being carried out).
    pub(crate) async fn append_consent(&self, actor: &Actor, subject: &str, new: NewConsentEvent) -> Result<ConsentEventView, EngineError> {
        if let Some(sha) = &new.document {
            self.check_document(&actor.tenant, sha, std::slice::from_ref(&new.purpose)).await?;
        }
        let (_, key) = self.subject_standing(actor, subject).await?;
        let key = key.ok_or(EngineError::Internal("a live subject has no key"))?;
        let sealer = self.keyring.unwrap(&key.wrapped, &key.tenant_id, &key.subject_id, key.dek_version, key.kek_version)?.sealer();
        let at = self.clock.now();
        for _ in 0..APPEND_ATTEMPTS {
            let history = self.store.consent_events(&actor.tenant, subject).await?;
            let mut state = replay(&history)?;
            let event = ConsentEvent {
                scope: ConsentScope { purpose: new.purpose.clone(), channel: new.channel, cookie: new.cookie.clone() },
                action: new.action,
                at,
                method: new.method,
                document: new.document.clone(),
                valid_until: new.valid_until,
                by_representative: new.by_representative,
            };
            state.apply(event.clone()).map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
            let index = history.len() as i64;
            let evidence = match &new.evidence {
                Some(value) => {
                    let item = format!("consent-{index}");
                    let binding =
                        ItemBinding { tenant: &actor.tenant, subject, item: &item, kind: EVIDENCE, category: &new.purpose, dek_version: 1 };
                    Some(sealer.seal(&binding, value.expose().as_bytes())?.0)
                }
                None => None,
            };
            let stored = to_record(&actor.tenant, index, &event, evidence);
            let mut entry = Record::op(operation(new.action)).purpose(&new.purpose).subject(subject);
            if let Some(c) = new.channel {
                entry = entry.object(channel_code(c));
            }
            let entry = self.entry(actor, &actor.tenant, entry);
            match self.store.append_consent_event(&actor.tenant, subject, &stored, &[entry]).await {
                Ok(Some(appended)) => {
                    self.after_append(&actor.tenant, appended).await;
                    return Ok(ConsentEventView { index, event, has_evidence: new.evidence.is_some() });
                }
                Ok(None) => return Err(EngineError::NotFound("subject")),
                // Another event of this subject landed first: validate again against it.
                Err(StoreError::Conflict("consent event")) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(EngineError::Conflict("consent event"))
    }

    /// Checks that document `sha` exists and covers every one of `purposes`.
    pub(crate) async fn check_document(&self, tenant: &str, sha: &str, purposes: &[String]) -> Result<(), EngineError> {
        let doc = self.store.consent_document(tenant, sha).await?.ok_or_else(|| {
            EngineError::invalid("consent.unknown_document", "no consent document has that hash", "документа согласия с таким хешем нет")
        })?;
        match purposes.iter().find(|purpose| !doc.purposes.split(',').any(|p| p == purpose.as_str())) {
            Some(purpose) => Err(EngineError::invalid(
                "consent.document_mismatch",
                format!("that document does not cover purpose `{purpose}`"),
                format!("этот документ не охватывает цель `{purpose}`"),
            )),
            None => Ok(()),
        }
    }

    /// A subject's consent state as its ledger replays now; an internal read, not journaled.
    pub(crate) async fn ledger_state(&self, tenant: &str, subject: &str) -> Result<ConsentState, EngineError> {
        replay(&self.store.consent_events(tenant, subject).await?)
    }

    /// A subject's consent history and state. Readable by administrators and by roles
    /// granted any purpose (the history names purposes and dates, not values).
    pub async fn consents(&self, actor: &Actor, subject: &str) -> Result<ConsentHistory, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        crate::vault::principal_of(&catalog, actor)?;
        self.subject_standing(actor, subject).await?;
        let history = self.store.consent_events(&actor.tenant, subject).await?;
        let state = replay(&history)?;
        // Reading whether a person consented is processing too: journaled before it answers.
        let entry =
            self.entry(actor, &actor.tenant, Record::op(obereg_core::Operation::Extraction.code()).subject(subject).object("consents"));
        self.journal_without_change(&actor.tenant, vec![entry]).await?;
        let events = history
            .iter()
            .map(|r| Ok(ConsentEventView { index: r.idx, event: from_record(r)?, has_evidence: r.evidence.is_some() }))
            .collect::<Result<Vec<_>, EngineError>>()?;
        // The replayed state names each scope's last event; its view is the last with that scope.
        let current = state.scopes().filter_map(|(scope, _)| events.iter().rev().find(|v| &v.event.scope == scope).cloned()).collect();
        Ok(ConsentHistory { events, current })
    }

    /// A subject that exists in the actor's tenant and is not erased, without its data.
    pub(crate) async fn subject_standing(
        &self,
        actor: &Actor,
        subject: &str,
    ) -> Result<(obereg_store::SubjectRecord, Option<obereg_store::SubjectKeyRecord>), EngineError> {
        if !crate::vault::is_subject_id(subject) {
            return Err(EngineError::NotFound("subject"));
        }
        match self.store.subject_head(&actor.tenant, subject).await? {
            Some((record, key)) if record.status != SubjectStatus::Erased.as_str() => Ok((record, key)),
            _ => Err(EngineError::NotFound("subject")),
        }
    }

    /// Checks an event against the catalog: purpose, channel, cookie category, document.
    pub(crate) fn check_event(&self, catalog: &Catalog, new: &NewConsentEvent) -> Result<(), EngineError> {
        let purpose = obereg_core::access::purpose(catalog, &new.purpose)
            .map_err(|d| EngineError::Invalid { code: "consent.unknown_purpose", message: d.reason })?;
        match new.channel {
            None if purpose.marketing => {
                return Err(EngineError::invalid(
                    "consent.channel_required",
                    format!("purpose `{}` is marketing: consent is given per channel", purpose.id),
                    format!("цель `{}` — реклама: согласие даётся по каждому каналу", purpose.id),
                ));
            }
            Some(c) if !purpose.channels.contains(&c) => {
                return Err(EngineError::invalid(
                    "consent.unknown_channel",
                    format!("purpose `{}` does not use channel `{}`", purpose.id, channel_code(c)),
                    format!("цель `{}` не использует канал `{}`", purpose.id, channel_code(c)),
                ));
            }
            _ => {}
        }
        if let Some(cookie) = &new.cookie
            && !catalog.cookies.iter().any(|c| &c.id == cookie && c.purpose.as_deref() == Some(purpose.id.as_str()))
        {
            return Err(EngineError::invalid(
                "consent.unknown_cookie",
                format!("no cookie category `{cookie}` serves purpose `{}`", purpose.id),
                format!("нет категории cookie `{cookie}` для цели `{}`", purpose.id),
            ));
        }
        if matches!(new.action, ConsentAction::Given | ConsentAction::Refused) && new.document.is_none() {
            return Err(EngineError::invalid(
                "consent.document_required",
                "name the consent document version the subject saw",
                "укажите версию документа согласия, которую видел субъект",
            ));
        }
        if let Some(e) = &new.evidence
            && e.expose().len() > 2048
        {
            return Err(EngineError::invalid(
                "consent.evidence_too_long",
                "evidence is limited to 2048 bytes",
                "доказательство — не более 2048 байт",
            ));
        }
        Ok(())
    }
}

/// Decides and words the answer.
pub(crate) fn decision_view(catalog: &Catalog, facts: &SubjectFacts<'_>, ask: &Ask<'_>, now: jiff::Timestamp) -> DecisionView {
    decision_view_worded(catalog, facts, ask, now, &mut Wording::default())
}

/// Reasons already put in words, for many decisions of one call (a pre-dial check decides a
/// million contacts on a handful of distinct reasons; wording each one anew was 15% of it),
/// keyed by `Reason::worded_alike` (times to the day, as the words show them).
pub(crate) type Wording<'a> = std::collections::HashMap<decision::Reason<'a>, Bilingual>;

/// [`decision_view`], wording each distinct reason once per `wording`.
pub(crate) fn decision_view_worded<'a>(
    catalog: &'a Catalog,
    facts: &SubjectFacts<'a>,
    ask: &Ask<'a>,
    now: jiff::Timestamp,
    wording: &mut Wording<'a>,
) -> DecisionView {
    let d = decision::decide(catalog, facts, ask, now);
    let reasons = d
        .reasons
        .into_iter()
        .map(|r| (r.code(), wording.entry(r.worded_alike()).or_insert_with_key(decision::Reason::explain).clone()))
        .collect();
    DecisionView { allowed: d.allowed, basis: d.basis.map(code), reasons }
}

fn document_view(doc: ConsentDocumentRecord, created: bool) -> DocumentView {
    DocumentView {
        sha256: doc.sha256,
        purposes: doc.purposes.split(',').map(str::to_owned).collect(),
        written: doc.written,
        catalog_version: doc.catalog_version,
        ru: doc.body_ru,
        en: doc.body_en,
        created,
    }
}

/// The journal operation of an event.
fn operation(action: ConsentAction) -> &'static str {
    match action {
        ConsentAction::Given => "consent.given",
        ConsentAction::Withdrawn => "consent.withdrawn",
        ConsentAction::Expired => "consent.expired",
        ConsentAction::Refused => "consent.refused",
    }
}

/// A catalog enum's snake_case code, as serde writes it.
pub fn code<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The code of a channel (`email`, `sms`, …).
pub fn channel_code(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => "email",
        Channel::Sms => "sms",
        Channel::PhoneCall => "phone_call",
        Channel::AutomatedCall => "automated_call",
        Channel::Messenger => "messenger",
        Channel::Post => "post",
    }
}

fn parse<T: serde::de::DeserializeOwned>(code: &str) -> Result<T, EngineError> {
    serde_json::from_value(serde_json::Value::String(code.to_owned()))
        .map_err(|_| EngineError::Internal("a stored consent event does not decode"))
}

fn to_record(tenant: &str, index: i64, e: &ConsentEvent, evidence: Option<Vec<u8>>) -> ConsentEventRecord {
    ConsentEventRecord {
        idx: index,
        tenant_id: tenant.to_owned(),
        purpose: e.scope.purpose.clone(),
        channel: e.scope.channel.map(|c| channel_code(c).to_owned()),
        cookie: e.scope.cookie.clone(),
        action: e.action.as_str().to_owned(),
        at: e.at.as_microsecond(),
        method: code(e.method),
        document: e.document.clone(),
        valid_until: e.valid_until.map(|t| t.as_microsecond()),
        by_representative: e.by_representative,
        evidence,
    }
}

fn from_record(r: &ConsentEventRecord) -> Result<ConsentEvent, EngineError> {
    let time = |t: i64| jiff::Timestamp::from_microsecond(t).map_err(|_| EngineError::Internal("a stored consent time is out of range"));
    Ok(ConsentEvent {
        scope: ConsentScope { purpose: r.purpose.clone(), channel: r.channel.as_deref().map(parse).transpose()?, cookie: r.cookie.clone() },
        action: parse(&r.action)?,
        at: time(r.at)?,
        method: parse(&r.method)?,
        document: r.document.clone(),
        valid_until: r.valid_until.map(time).transpose()?,
        by_representative: r.by_representative,
    })
}

/// The state a stored history replays to; a history that does not replay is corrupt.
pub(crate) fn replay(history: &[ConsentEventRecord]) -> Result<ConsentState, EngineError> {
    let events = history.iter().map(from_record).collect::<Result<Vec<_>, _>>()?;
    ConsentState::replay(&events).map_err(|_| EngineError::Internal("a stored consent history does not replay"))
}

/// The hash of a rendered consent document. What is hashed: a label, the purposes, the form
/// and both texts, unambiguously joined.
pub(crate) fn document_sha(doc: &obereg_core::consent::document::ConsentDocument) -> String {
    let list = doc.purposes.join(",");
    sha256_hex(&format!("obereg consent document v1\n{list}\n{}\n{}\n\0\n{}", doc.written, doc.ru, doc.en))
}
