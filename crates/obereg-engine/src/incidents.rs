//! Personal-data breaches: record, assess, notify, remind — the 152-FZ art. 21 p.3.1 clocks
//! (24 hours, 72 hours) and GDPR art. 33 (72 hours) from detection, the notices rendered
//! from the facts (`obereg_core::incident`), and the affected set found from the journal.
//!
//! Who: administrators and catalog roles marked `dpo` (those who answer for the processing).
//! Everything is journaled with the incident id as the object; the facts themselves describe
//! systems and events and are kept out of the journal (it holds codes and ids only).
//!
//! The affected set. Given what was compromised — a token or account, a role, a system (a
//! storage location of the catalog), or the whole database — and a time window, obereg reads
//! the journal for what that actor actually reached (every successful operation on a subject
//! in the window), or the vault for the subjects holding data of the purposes the catalog keeps
//! in that system, or takes every subject not erased. The subjects found are kept with the incident
//! (ids only) for the notices to them; their number, the categories and kinds of subjects
//! go into the facts the notices are rendered from.
//!
//! Notices to subjects (GDPR art. 34 where the risk is high; 152-FZ asks none, law.md INC-6,
//! so they are optional) go through the outbox, one email per affected subject with an
//! address, sealed under that subject's key like every notice to a subject.
//!
//! Reminders: `obereg serve` runs [`Engine::remind_incidents`] every minute. When a notice has a
//! quarter of its time left, or is overdue, the person the catalog names (the DPO, else the
//! responsible person, else the requests address) gets one email per notice, naming the
//! incident and the deadline and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use obereg_core::Operation;
use obereg_core::catalog::Catalog;
use obereg_core::incident::{self, ClockState, IncidentFacts, IncidentStatus, NoticeClock, NoticeKind, NoticeOperator, RenderedNotice};
use obereg_core::text::Bilingual;
use obereg_store::{IncidentNoticeRecord, IncidentRecord, OutboxRecord, StoreError};

use crate::journal::Record;
use crate::outbox::{Channel, Message};
use crate::requests::notices::new_delivery_id;
use crate::requests::reminders::duty_address;
use crate::{Actor, Engine, EngineError};

/// Longest free text of a fact.
const MAX_TEXT: usize = 10_000;
/// Most entries of a list fact, and the longest one.
const MAX_LIST: usize = 200;
const MAX_ITEM: usize = 200;
/// Journal entries read per page when assessing.
const JOURNAL_PAGE: u64 = 5_000;
/// Most subjects one assessment keeps.
pub const MAX_AFFECTED: usize = 1_000_000;
/// The email category notices to subjects go to.
const EMAIL_CATEGORY: &str = "contact.email";

/// An incident as the API, CLI and console show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct IncidentView {
    pub id: String,
    pub status: IncidentStatus,
    pub gdpr: bool,
    pub facts: IncidentFacts,
    pub created_at: Timestamp,
    pub created_by: String,
    pub updated_at: Timestamp,
    /// Send it back with a change: a change to an incident changed since is refused.
    pub version: i64,
    pub dismissed_at: Option<Timestamp>,
    pub dismissed_reason: Option<String>,
    pub closed_at: Option<Timestamp>,
    /// Each owed notice's deadline and state now.
    pub clocks: Vec<NoticeClock>,
    /// The notices sent.
    pub notices: Vec<SentNotice>,
    /// For each notice not sent yet, the facts it still needs.
    pub missing: BTreeMap<NoticeKind, Vec<&'static str>>,
    /// Subjects the last assessment found affected.
    pub affected_subjects: usize,
    /// Whether the affected subjects must be told (GDPR art. 34, high risk) rather than may be.
    pub subjects_must_be_told: bool,
}

/// A notice as it was sent.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SentNotice {
    pub kind: NoticeKind,
    pub sent_at: Timestamp,
    pub recorded_by: String,
    pub title: String,
    pub text: String,
    pub sha256: String,
}

/// What was compromised, for an assessment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AffectedScope {
    /// One API token or console account (its id: a token uuid or `U-…`).
    Actor(String),
    /// Every token and account of a role.
    Role(String),
    /// One system: a storage location of the catalog (`[[storage]]` id) — the data of every
    /// purpose the catalog keeps there.
    System(String),
    /// The whole database (a dump, a stolen backup).
    Everything,
}

/// What an assessment found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assessment {
    pub subjects: usize,
    pub categories: Vec<String>,
    pub subject_kinds: Vec<String>,
    /// Journal entries read.
    pub entries_read: u64,
}

fn micros(t: i64) -> Timestamp {
    Timestamp::from_microsecond(t).unwrap_or_default()
}

fn text_error(field: &str, limit: usize) -> EngineError {
    EngineError::invalid(
        "incident.field_too_long",
        format!("`{field}` is longer than {limit} characters"),
        format!("поле `{field}` длиннее {limit} символов"),
    )
}

/// Refuses facts no notice could carry: texts too long, lists too long, a detection time
/// in the future.
fn check_facts(facts: &IncidentFacts, now: Timestamp) -> Result<(), EngineError> {
    if facts.description.trim().is_empty() {
        return Err(EngineError::invalid("incident.description_required", "describe what happened", "опишите, что произошло"));
    }
    let texts = [
        ("description", &facts.description),
        ("causes", &facts.causes),
        ("harm", &facts.harm),
        ("measures", &facts.measures),
        ("investigation", &facts.investigation),
        ("caused_by", &facts.caused_by),
        ("delay_reason", &facts.delay_reason),
    ];
    for (field, text) in texts {
        if text.chars().count() > MAX_TEXT {
            return Err(text_error(field, MAX_TEXT));
        }
    }
    for (field, list) in [("systems", &facts.systems), ("categories", &facts.categories), ("subject_kinds", &facts.subject_kinds)] {
        if list.len() > MAX_LIST || list.iter().any(|s| s.chars().count() > MAX_ITEM || s.trim().is_empty()) {
            return Err(EngineError::invalid(
                "incident.bad_list",
                format!("`{field}` takes at most {MAX_LIST} non-empty entries of at most {MAX_ITEM} characters"),
                format!("в `{field}` — не больше {MAX_LIST} непустых значений длиной до {MAX_ITEM} символов"),
            ));
        }
    }
    if let Some(c) = &facts.contact
        && [&c.name, &c.position, &c.email, &c.phone].iter().any(|s| s.chars().count() > MAX_ITEM)
    {
        return Err(text_error("contact", MAX_ITEM));
    }
    // A few minutes of clock skew between machines are forgiven; a detection in the future
    // would push every deadline out.
    if facts.detected_at > now + jiff::SignedDuration::from_mins(5) {
        return Err(EngineError::invalid(
            "incident.detected_in_future",
            "the detection time is in the future",
            "время выявления — в будущем",
        ));
    }
    Ok(())
}

fn parse_facts(record: &IncidentRecord) -> Result<IncidentFacts, EngineError> {
    serde_json::from_str(&record.facts).map_err(|_| EngineError::Internal("stored incident facts do not decode"))
}

fn encode_facts(facts: &IncidentFacts) -> Result<String, EngineError> {
    serde_json::to_string(facts).map_err(|_| EngineError::Internal("incident facts encoding"))
}

fn status_of(record: &IncidentRecord) -> Result<IncidentStatus, EngineError> {
    IncidentStatus::parse(&record.status).ok_or(EngineError::Internal("unknown incident status"))
}

fn not_open(status: IncidentStatus) -> EngineError {
    EngineError::invalid(
        "incident.not_open",
        format!("the incident is {}: it no longer changes", status.as_str()),
        format!("инцидент в состоянии «{}»: он больше не меняется", status.as_str()),
    )
}

/// The operator's details the notices name.
fn notice_operator(catalog: &Catalog) -> NoticeOperator {
    let o = &catalog.operator;
    NoticeOperator {
        name_ru: o.legal_name.ru.clone(),
        name_en: o.legal_name.en.clone().unwrap_or_default(),
        inn: o.inn.clone().unwrap_or_default(),
        ogrn: o.ogrn.clone().unwrap_or_default(),
        address: o.address.clone(),
        registry_number: o.rkn_registry_number.clone().unwrap_or_default(),
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes()).as_ref())
}

impl Engine {
    async fn incident_record(&self, actor: &Actor, id: &str) -> Result<IncidentRecord, EngineError> {
        self.require_oversight(actor).await?;
        if !obereg_journal::entry::is_code(id) {
            return Err(EngineError::NotFound("incident"));
        }
        self.store.incident(&actor.tenant, id).await?.ok_or(EngineError::NotFound("incident"))
    }

    async fn incident_view(&self, record: IncidentRecord) -> Result<IncidentView, EngineError> {
        let facts = parse_facts(&record)?;
        let status = status_of(&record)?;
        let notices: Vec<SentNotice> = self
            .store
            .incident_notices(&record.tenant_id, &record.id)
            .await?
            .into_iter()
            .filter_map(|n| {
                Some(SentNotice {
                    kind: NoticeKind::parse(&n.kind)?,
                    sent_at: micros(n.sent_at),
                    recorded_by: n.recorded_by,
                    title: n.title,
                    text: n.body,
                    sha256: n.sha256,
                })
            })
            .collect();
        let sent: Vec<(NoticeKind, Timestamp)> = notices.iter().map(|n| (n.kind, n.sent_at)).collect();
        let clocks = incident::clocks(micros(record.detected_at), record.gdpr, &sent, record.dismissed_at.map(micros), self.clock.now());
        let missing = incident::owed_notices(record.gdpr)
            .into_iter()
            .filter(|k| !sent.iter().any(|(s, _)| s == k))
            .map(|k| (k, incident::missing_fields(k, &facts)))
            .filter(|(_, m)| !m.is_empty())
            .collect();
        let affected_subjects = self.store.incident_subjects(&record.tenant_id, &record.id).await?.len();
        let subjects_must_be_told = incident::subjects_must_be_told(record.gdpr, &facts);
        Ok(IncidentView {
            subjects_must_be_told,
            id: record.id,
            status,
            gdpr: record.gdpr,
            facts,
            created_at: micros(record.created_at),
            created_by: record.created_by,
            updated_at: micros(record.updated_at),
            version: record.version,
            dismissed_at: record.dismissed_at.map(micros),
            dismissed_reason: record.dismissed_reason,
            closed_at: record.closed_at.map(micros),
            clocks,
            notices,
            missing,
            affected_subjects,
        })
    }

    /// Records an incident. `gdpr` says whether the GDPR notice is owed; by default it is
    /// when the catalog lists the GDPR among the operator's jurisdictions.
    pub async fn record_incident(
        &self,
        actor: &Actor,
        facts: IncidentFacts,
        gdpr: Option<bool>,
        confirmed: bool,
    ) -> Result<IncidentView, EngineError> {
        self.require_oversight(actor).await?;
        let now = self.clock.now();
        check_facts(&facts, now)?;
        let catalog = self.catalog_for(actor).await?;
        let gdpr = gdpr.unwrap_or_else(|| catalog.operator.jurisdictions.contains(&obereg_core::catalog::Jurisdiction::EuGdpr));
        let status = if confirmed { IncidentStatus::Confirmed } else { IncidentStatus::Suspected };
        let record = IncidentRecord {
            tenant_id: actor.tenant.clone(),
            id: crate::requests::intake::short_id("I")?,
            status: status.as_str().to_owned(),
            gdpr,
            detected_at: facts.detected_at.as_microsecond(),
            facts: encode_facts(&facts)?,
            created_at: now.as_microsecond(),
            created_by: actor.token_id.clone().unwrap_or_else(|| "operator".into()),
            updated_at: now.as_microsecond(),
            version: 1,
            dismissed_at: None,
            dismissed_reason: None,
            closed_at: None,
            reminded: String::new(),
        };
        let entry = self.entry(actor, &actor.tenant, Record::op("incident.recorded").object(record.id.as_str()));
        let appended = self.store.insert_incident(&record, &[entry]).await?;
        self.after_append(&actor.tenant, appended).await;
        tracing::warn!(tenant = %actor.tenant, incident = %record.id, "personal-data incident recorded; the 24-hour clock runs");
        self.incident_view(record).await
    }

    /// The tenant's incidents, newest detection first.
    pub async fn incidents(&self, actor: &Actor) -> Result<Vec<IncidentView>, EngineError> {
        self.require_oversight(actor).await?;
        let mut out = Vec::new();
        for record in self.store.incidents(&actor.tenant).await? {
            out.push(self.incident_view(record).await?);
        }
        Ok(out)
    }

    pub async fn incident(&self, actor: &Actor, id: &str) -> Result<IncidentView, EngineError> {
        let record = self.incident_record(actor, id).await?;
        self.incident_view(record).await
    }

    /// Saves `next` (read at `record.version`) with what goes with it, journaling `operation`.
    #[allow(clippy::too_many_arguments)]
    async fn save_incident(
        &self,
        actor: Option<&Actor>,
        record: &IncidentRecord,
        mut next: IncidentRecord,
        operation: &str,
        notice: Option<&IncidentNoticeRecord>,
        affected: Option<&[String]>,
        outbox: &[OutboxRecord],
        mut journal: Vec<obereg_journal::EntryDraft>,
    ) -> Result<IncidentRecord, EngineError> {
        next.version = record.version + 1;
        next.updated_at = self.now_micros();
        let tenant = record.tenant_id.as_str();
        let main = Record::op(operation).object(record.id.as_str());
        journal.insert(
            0,
            match actor {
                Some(actor) => self.entry(actor, tenant, main),
                None => self.system_entry(tenant, main),
            },
        );
        let appended =
            self.store.update_incident(&next, record.version, notice, affected, outbox, &journal).await.map_err(|e| match e {
                StoreError::Conflict(what) => EngineError::Conflict(what),
                e => e.into(),
            })?;
        self.after_append(tenant, appended).await;
        Ok(next)
    }

    /// Checks the caller's version and that the incident still changes.
    async fn open_incident(&self, actor: &Actor, id: &str, version: i64) -> Result<IncidentRecord, EngineError> {
        let record = self.incident_record(actor, id).await?;
        if record.version != version {
            return Err(EngineError::Conflict("incident (changed since it was read; reload it)"));
        }
        let status = status_of(&record)?;
        if !status.open() {
            return Err(not_open(status));
        }
        Ok(record)
    }

    /// Replaces the facts of an open incident (as read at `version`).
    pub async fn update_incident(&self, actor: &Actor, id: &str, version: i64, facts: IncidentFacts) -> Result<IncidentView, EngineError> {
        check_facts(&facts, self.clock.now())?;
        let record = self.open_incident(actor, id, version).await?;
        let next = IncidentRecord { detected_at: facts.detected_at.as_microsecond(), facts: encode_facts(&facts)?, ..record.clone() };
        let saved = self.save_incident(Some(actor), &record, next, "incident.updated", None, None, &[], Vec::new()).await?;
        self.incident_view(saved).await
    }

    /// Confirms a suspected incident.
    pub async fn confirm_incident(&self, actor: &Actor, id: &str, version: i64) -> Result<IncidentView, EngineError> {
        let record = self.open_incident(actor, id, version).await?;
        let next = IncidentRecord { status: IncidentStatus::Confirmed.as_str().into(), ..record.clone() };
        let saved = self.save_incident(Some(actor), &record, next, "incident.confirmed", None, None, &[], Vec::new()).await?;
        self.incident_view(saved).await
    }

    /// Dismisses an incident found not to be a breach, with the reason. Notices already due
    /// stay on record as they are (sent, or overdue); those not yet due are no longer owed.
    pub async fn dismiss_incident(&self, actor: &Actor, id: &str, version: i64, reason: &str) -> Result<IncidentView, EngineError> {
        if reason.trim().is_empty() || reason.chars().count() > MAX_TEXT {
            return Err(EngineError::invalid(
                "incident.reason_required",
                "say why this is not a breach (up to 10 000 characters)",
                "укажите, почему это не нарушение (до 10 000 символов)",
            ));
        }
        let record = self.open_incident(actor, id, version).await?;
        let next = IncidentRecord {
            status: IncidentStatus::Dismissed.as_str().into(),
            dismissed_at: Some(self.now_micros()),
            dismissed_reason: Some(reason.trim().to_owned()),
            ..record.clone()
        };
        let saved = self.save_incident(Some(actor), &record, next, "incident.dismissed", None, None, &[], Vec::new()).await?;
        self.incident_view(saved).await
    }

    /// The notice `kind` rendered from the facts as they are now (a preview to paste into
    /// the authority's form); refused, naming the fields, while one is missing.
    pub async fn incident_notice(&self, actor: &Actor, id: &str, kind: NoticeKind) -> Result<RenderedNotice, EngineError> {
        let record = self.incident_record(actor, id).await?;
        let catalog = self.catalog_for(actor).await?;
        self.render_incident_notice(&catalog, &record, kind, self.clock.now())
    }

    fn render_incident_notice(
        &self,
        catalog: &Catalog,
        record: &IncidentRecord,
        kind: NoticeKind,
        at: Timestamp,
    ) -> Result<RenderedNotice, EngineError> {
        if !incident::owed_notices(record.gdpr).contains(&kind) {
            return Err(EngineError::invalid(
                "incident.notice_not_owed",
                "this incident owes no GDPR notice (the operator does not answer to the GDPR for it)",
                "по этому инциденту уведомление по GDPR не требуется",
            ));
        }
        let facts = parse_facts(record)?;
        incident::render_notice(kind, &record.id, &facts, &notice_operator(catalog), at).map_err(|missing| {
            let list = missing.0.join(", ");
            EngineError::invalid(
                "incident.notice_incomplete",
                format!("the notice needs these facts first: {list}"),
                format!("для уведомления сначала нужны сведения: {list}"),
            )
        })
    }

    /// Records that notice `kind` was sent (at `sent_at`, default now), keeping the exact
    /// text rendered from the facts at that moment and its hash. When every owed notice has
    /// been sent, the incident is closed.
    pub async fn record_incident_notice(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        kind: NoticeKind,
        sent_at: Option<Timestamp>,
    ) -> Result<IncidentView, EngineError> {
        let record = self.open_incident(actor, id, version).await?;
        let now = self.clock.now();
        let sent_at = sent_at.unwrap_or(now);
        if sent_at > now + jiff::SignedDuration::from_mins(5) || sent_at.as_microsecond() < record.detected_at {
            return Err(EngineError::invalid(
                "incident.bad_sent_time",
                "a notice is sent after detection and not in the future",
                "уведомление отправляется после выявления и не в будущем",
            ));
        }
        let catalog = self.catalog_for(actor).await?;
        let rendered = self.render_incident_notice(&catalog, &record, kind, sent_at)?;
        let notice = IncidentNoticeRecord {
            tenant_id: record.tenant_id.clone(),
            incident_id: record.id.clone(),
            kind: kind.as_str().into(),
            sent_at: sent_at.as_microsecond(),
            recorded_at: now.as_microsecond(),
            recorded_by: actor.token_id.clone().unwrap_or_else(|| "operator".into()),
            sha256: sha256_hex(&rendered.text),
            title: rendered.title,
            body: rendered.text,
        };
        let mut sent: Vec<NoticeKind> =
            self.store.incident_notices(&record.tenant_id, &record.id).await?.iter().filter_map(|n| NoticeKind::parse(&n.kind)).collect();
        if sent.contains(&kind) {
            return Err(EngineError::Conflict("incident notice (already recorded)"));
        }
        sent.push(kind);
        let all_sent = incident::owed_notices(record.gdpr).iter().all(|k| sent.contains(k));
        let next = IncidentRecord {
            status: if all_sent { IncidentStatus::Closed.as_str().into() } else { record.status.clone() },
            closed_at: all_sent.then_some(now.as_microsecond()),
            ..record.clone()
        };
        let journal = vec![self.entry(actor, &record.tenant_id, Record::op(kind_operation(kind)).object(record.id.as_str()))];
        let saved = self.save_incident(Some(actor), &record, next, "incident.notice_sent", Some(&notice), None, &[], journal).await?;
        self.incident_view(saved).await
    }

    /// Finds the subjects `scope` reached in `from..=to`, keeps them with the incident and
    /// puts their number, categories and kinds into its facts.
    pub async fn assess_incident(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        scope: AffectedScope,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<(IncidentView, Assessment), EngineError> {
        if from > to {
            return Err(EngineError::invalid(
                "incident.bad_window",
                "the window ends before it starts",
                "окно заканчивается раньше начала",
            ));
        }
        let record = self.open_incident(actor, id, version).await?;
        let tenant = record.tenant_id.clone();
        let catalog = self.catalog_for(actor).await?;
        let mut subjects = BTreeSet::new();
        let mut categories = BTreeSet::new();
        let mut entries_read = 0;
        match &scope {
            AffectedScope::Everything | AffectedScope::System(_) => {
                // For a system: the purposes the catalog keeps there; an item is reached when
                // one of its purposes is among them.
                let kept_there: Option<BTreeSet<&str>> = match &scope {
                    AffectedScope::System(location) => {
                        if !catalog.storage.iter().any(|s| &s.id == location) {
                            return Err(EngineError::invalid(
                                "incident.unknown_system",
                                format!("the catalog has no storage location `{location}`"),
                                format!("в каталоге нет места хранения `{location}`"),
                            ));
                        }
                        Some(catalog.purposes.iter().filter(|p| p.storage.contains(location)).map(|p| p.id.as_str()).collect())
                    }
                    _ => None,
                };
                let mut cursor = 0;
                loop {
                    let page = self.store.retention_page(&tenant, cursor, 500).await?;
                    let Some(last) = page.last().map(|s| s.seq) else { break };
                    cursor = last;
                    for s in page.into_iter().filter(|s| s.status != "erased") {
                        let reached: Vec<&obereg_store::ItemMeta> = s
                            .items
                            .iter()
                            .filter(|i| kept_there.as_ref().is_none_or(|set| i.purposes.split(',').any(|p| set.contains(p))))
                            .collect();
                        if reached.is_empty() {
                            continue;
                        }
                        categories.extend(reached.iter().map(|i| i.category.clone()));
                        subjects.insert(s.id);
                    }
                    if subjects.len() >= MAX_AFFECTED {
                        break;
                    }
                }
            }
            AffectedScope::Actor(_) | AffectedScope::Role(_) => {
                let size = self.store.journal_head(&tenant).await?.map_or(0, |h| h.size as u64);
                let mut at = 0;
                while at < size && subjects.len() < MAX_AFFECTED {
                    let end = (at + JOURNAL_PAGE).min(size);
                    for row in self.store.journal_entries(&tenant, at, end).await? {
                        entries_read += 1;
                        let Ok(entry) = serde_json::from_slice::<obereg_journal::Entry>(&row.body) else { continue };
                        let by = match &entry.actor {
                            obereg_journal::Actor::Token { token, role } => match &scope {
                                AffectedScope::Actor(id) => token == id,
                                AffectedScope::Role(r) => role == r,
                                AffectedScope::Everything | AffectedScope::System(_) => false,
                            },
                            _ => false,
                        };
                        if by && entry.outcome == obereg_journal::Outcome::Ok && entry.time >= from && entry.time <= to {
                            // One subject, or several (a batch lookup, a pre-dial check).
                            subjects.extend(entry.subject);
                            subjects.extend(entry.subjects);
                            categories.extend(entry.categories);
                        }
                    }
                    at = end;
                }
            }
        }
        // Kinds of the subjects found, read from the vault (ids and kinds only).
        let mut kinds = BTreeSet::new();
        for subject in &subjects {
            if kinds.len() == catalog.subject_kinds.len() {
                break;
            }
            if let Some((s, _)) = self.store.subject_head(&tenant, subject).await? {
                kinds.insert(s.kind);
            }
        }
        let mut facts = parse_facts(&record)?;
        facts.subjects_count = Some(subjects.len() as u64);
        facts.categories = categories.iter().cloned().collect();
        facts.subject_kinds = kinds.iter().cloned().collect();
        let affected: Vec<String> = subjects.into_iter().collect();
        let next = IncidentRecord { facts: encode_facts(&facts)?, ..record.clone() };
        let saved = self.save_incident(Some(actor), &record, next, "incident.assessed", None, Some(&affected), &[], Vec::new()).await?;
        let assessment = Assessment {
            subjects: affected.len(),
            categories: facts.categories.clone(),
            subject_kinds: facts.subject_kinds.clone(),
            entries_read,
        };
        Ok((self.incident_view(saved).await?, assessment))
    }

    /// Queues a notice to every affected subject with an email address (GDPR art. 34;
    /// optional under 152-FZ): what happened, what data, what was done, whom to ask. Returns
    /// how many were queued.
    pub async fn notify_incident_subjects(&self, actor: &Actor, id: &str, version: i64) -> Result<(IncidentView, usize), EngineError> {
        let record = self.open_incident(actor, id, version).await?;
        let tenant = record.tenant_id.clone();
        let catalog = self.catalog_for(actor).await?;
        let facts = parse_facts(&record)?;
        for field in ["harm", "measures"] {
            let empty = if field == "harm" { facts.harm.trim().is_empty() } else { facts.measures.trim().is_empty() };
            if empty {
                return Err(EngineError::invalid(
                    "incident.notice_incomplete",
                    format!("a notice to subjects needs `{field}` first"),
                    format!("для уведомления субъектов сначала нужно поле `{field}`"),
                ));
            }
        }
        let affected = self.store.incident_subjects(&tenant, &record.id).await?;
        if affected.is_empty() {
            return Err(EngineError::invalid(
                "incident.not_assessed",
                "no affected subjects are known: assess the incident first",
                "затронутые субъекты не определены: сначала оцените инцидент",
            ));
        }
        let contact = duty_address(&catalog).unwrap_or_default();
        let operator = &catalog.operator.legal_name;
        let body = format!(
            "Здравствуйте!\n\n{op_ru} сообщает об инциденте с персональными данными, который мог затронуть ваши данные.\n\
             Что произошло: {what}\nВозможные последствия: {harm}\nПринятые меры: {measures}\nВопросы: {contact}\n\n\
             Hello,\n\n{op_en} is telling you of a personal data incident that may have affected your data.\n\
             What happened: {what}\nLikely consequences: {harm}\nMeasures taken: {measures}\nQuestions: {contact}\n",
            op_ru = operator.ru,
            op_en = operator.en.as_deref().unwrap_or(&operator.ru),
            what = facts.description.trim(),
            harm = facts.harm.trim(),
            measures = facts.measures.trim(),
        );
        let mut outbox = Vec::new();
        let mut journal = Vec::new();
        for chunk in affected.chunks(500) {
            let seqs = self.store.subject_seqs(&tenant, chunk).await?;
            let mut seen = BTreeSet::new();
            for (item, key) in self.store.sealed_items_of(&tenant, &seqs, EMAIL_CATEGORY).await? {
                if !seen.insert(item.subject_id.clone()) {
                    continue;
                }
                let subject = item.subject_id.as_str();
                let sealer = self.keyring.unwrap(&key.wrapped, &tenant, subject, key.dek_version, key.kek_version)?.sealer();
                let address = self.open_item(&sealer, &item, key.dek_version)?;
                let message = Message {
                    to: address.expose().to_owned(),
                    subject: format!("Инцидент с персональными данными / Personal data incident ({})", record.id),
                    body: body.clone(),
                    recipient: None,
                    signature: None,
                    unsubscribe: None,
                };
                let delivery = new_delivery_id();
                let sealed = self.seal_subject_message(&sealer, (&tenant, subject, key.dek_version), &delivery, &message)?;
                let mut out = self.pending_message(&tenant, delivery, Channel::Email, "incident_subject_notice", sealed);
                out.subject_id = Some(subject.to_owned());
                outbox.push(out);
                journal.push(self.entry(
                    actor,
                    &tenant,
                    Record::op(Operation::Use.code()).subject(subject).categories([EMAIL_CATEGORY]).object(record.id.as_str()),
                ));
            }
        }
        let queued = outbox.len();
        let next = record.clone();
        let saved = self.save_incident(Some(actor), &record, next, "incident.subjects_notified", None, None, &outbox, journal).await?;
        Ok((self.incident_view(saved).await?, queued))
    }

    /// Sends the reminders that fell due (a quarter of a notice's time left, or overdue),
    /// once per notice; returns how many were queued.
    pub async fn remind_incidents(&self) -> Result<usize, EngineError> {
        let now = self.clock.now();
        let mut queued = 0;
        for record in self.store.open_incidents().await? {
            let sent: Vec<(NoticeKind, Timestamp)> = self
                .store
                .incident_notices(&record.tenant_id, &record.id)
                .await?
                .iter()
                .filter_map(|n| Some((NoticeKind::parse(&n.kind)?, micros(n.sent_at))))
                .collect();
            let reminded: BTreeSet<&str> = record.reminded.split(',').filter(|s| !s.is_empty()).collect();
            let due: Vec<NoticeClock> = incident::clocks(micros(record.detected_at), record.gdpr, &sent, None, now)
                .into_iter()
                .filter(|c| matches!(c.state, ClockState::Running { remind: true, .. } | ClockState::Overdue { .. }))
                .filter(|c| !reminded.contains(c.kind.as_str()))
                .collect();
            if due.is_empty() {
                continue;
            }
            let catalog = self.catalog_in_force(&record.tenant_id).await?;
            let mut outbox = Vec::new();
            if let Some(to) = duty_address(&catalog) {
                let lines: Vec<Bilingual> = due.iter().map(|c| reminder_line(&record.id, c)).collect();
                let join = |pick: fn(&Bilingual) -> &str| lines.iter().map(pick).collect::<Vec<_>>().join("\n");
                let text = Bilingual::new(join(|l| l.en.as_str()), join(|l| l.ru.as_str()));
                let subject = format!("obereg: инцидент {} — сроки уведомлений / incident notice deadlines", record.id);
                // Sealed like a request's message, under the incident id.
                outbox.push(self.staff_mail(&record.tenant_id, &record.id, to, subject, &text, "incident_reminder")?);
            }
            for c in &due {
                tracing::warn!(tenant = %record.tenant_id, incident = %record.id, notice = c.kind.as_str(), overdue = matches!(c.state, ClockState::Overdue { .. }), "incident notice deadline");
            }
            let mut all: Vec<&str> = reminded.iter().copied().chain(due.iter().map(|c| c.kind.as_str())).collect();
            all.sort_unstable();
            let next = IncidentRecord { reminded: all.join(","), ..record.clone() };
            match self.save_incident(None, &record, next, "incident.reminded", None, None, &outbox, Vec::new()).await {
                Ok(_) => queued += outbox.len(),
                // Someone changed it meanwhile: the next round sees it as it is now.
                Err(EngineError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(queued)
    }
}

/// The journal operation of a notice sent.
fn kind_operation(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::RknInitial => "incident.rkn_initial_sent",
        NoticeKind::RknFollowUp => "incident.rkn_follow_up_sent",
        NoticeKind::GdprAuthority => "incident.gdpr_authority_sent",
    }
}

fn reminder_line(id: &str, clock: &NoticeClock) -> Bilingual {
    let due = clock.due.strftime("%Y-%m-%d %H:%M UTC");
    let norm = clock.kind.norm();
    match clock.state {
        ClockState::Overdue { .. } => Bilingual::new(
            format!("Incident {id}: the notice under {} was due at {due} and is OVERDUE.", norm.en),
            format!("Инцидент {id}: уведомление по {} нужно было направить до {due} — срок ПРОПУЩЕН.", norm.ru),
        ),
        _ => Bilingual::new(
            format!("Incident {id}: the notice under {} is due by {due}.", norm.en),
            format!("Инцидент {id}: уведомление по {} нужно направить до {due}.", norm.ru),
        ),
    }
}
