//! Moving a request: the one place a request row is written after intake, and the staff
//! and subject actions that are pure transitions (extend, refuse, withdraw), the queue and
//! the detail view.
//!
//! [`Engine::save`] takes the row as read and the row as it should become, checks the
//! transition with the core state machine, and writes row, event, messages and journal
//! entries in one store call that succeeds only on the version read.

use obereg_core::request::deadline::{deadline_rule, due};
use obereg_core::request::{RequestEvent, RequestState, transition};
use obereg_core::text::Bilingual;
use obereg_core::value::PlainValue;
use obereg_store::{OutboxRecord, RequestEventRecord, RequestFilter, RequestRecord};

use super::intake::{MAX_NOTE, is_request_id, request_record};
use super::notices::Notice;
use super::sealing::Field;
use super::{Language, MAX_LIST, RequestView, check_text, may_handle, moscow_date, parse_jurisdiction, parse_kind, parse_state, view};
use crate::vault::micros_to_time;
use crate::{Actor, Engine, EngineError};

/// Who acts on a request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Who<'a> {
    Staff(&'a Actor),
    /// The requester, holding the follow key.
    Subject,
    /// obereg on its own (reminders).
    System,
}

impl Who<'_> {
    fn label(&self) -> String {
        match self {
            Who::Staff(actor) => actor.role.as_str().to_owned(),
            Who::Subject => "subject".into(),
            Who::System => "system".into(),
        }
    }
}

/// One write of a request: an optional transition, its note and the messages it sends.
#[derive(Debug)]
pub(crate) struct Step<'a> {
    who: Who<'a>,
    event: Option<RequestEvent>,
    note: Option<String>,
    outbox: Vec<OutboxRecord>,
}

impl<'a> Step<'a> {
    /// A write that moves no state (a counted attempt, a re-sent code).
    pub fn quiet(who: Who<'a>) -> Self {
        Self { who, event: None, note: None, outbox: Vec::new() }
    }

    pub fn transition(who: Who<'a>, event: RequestEvent) -> Self {
        Self { event: Some(event), ..Self::quiet(who) }
    }

    pub fn note(mut self, note: &str) -> Self {
        self.note = Some(note.to_owned());
        self
    }

    pub fn send(mut self, message: OutboxRecord) -> Self {
        self.outbox.push(message);
        self
    }
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestQuery {
    /// Closed ones too.
    pub all: bool,
    pub state: Option<RequestState>,
    pub subject_id: Option<String>,
    /// Only those overdue today.
    pub overdue: bool,
    /// Resume after this request (as `(due_on, id)` of the last one seen).
    pub after: Option<(jiff::civil::Date, String)>,
    pub limit: Option<u32>,
}

/// A transition as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEventView {
    pub at: jiff::Timestamp,
    pub event: String,
    pub from: RequestState,
    pub to: RequestState,
    pub actor: String,
    pub note: Option<String>,
}

/// A message a request sent, without its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestMessageView {
    pub id: String,
    pub channel: String,
    pub template: String,
    pub state: String,
    pub attempts: i64,
    pub sent_at: Option<jiff::Timestamp>,
    pub last_error: Option<String>,
    /// The catalog recipient of a webhook notice, and when it confirmed acting on it.
    pub recipient: Option<String>,
    pub confirmed_at: Option<jiff::Timestamp>,
}

/// Everything about one request, for the staff member working it.
#[derive(Debug, Clone)]
pub struct RequestDetail {
    pub request: RequestView,
    pub email: Option<PlainValue>,
    pub phone: Option<PlainValue>,
    pub details: Option<PlainValue>,
    pub language: Language,
    /// Subjects the verified contact matched when there were several.
    pub candidates: Vec<String>,
    pub answer: Option<PlainValue>,
    pub events: Vec<RequestEventView>,
    pub messages: Vec<RequestMessageView>,
}

/// Why a request is refused.
#[derive(Debug, Clone)]
pub enum RefusalGround {
    /// A repeated access request within 30 days of a complete answer (152-FZ art. 14 p.4–5):
    /// obereg finds the earlier answer and cites it.
    Repeated,
    /// The requester's identity could not be confirmed (art. 14 p.3).
    IdentityNotConfirmed,
    /// Another ground, in the staff member's words, citing the norm.
    Other { reason: PlainValue, norm: String },
}

impl Engine {
    /// Writes `next` over `old` as `step` says; see the module documentation.
    pub(crate) async fn save(
        &self,
        tenant: &str,
        old: &RequestRecord,
        mut next: RequestRecord,
        step: Step<'_>,
    ) -> Result<RequestRecord, EngineError> {
        let now = self.now_micros();
        next.version = old.version + 1;
        next.updated_at = now;
        let mut entries = Vec::new();
        let mut event = None;
        if let Some(e) = &step.event {
            let from = parse_state(&old.state)?;
            let to = transition(from, e).map_err(|err| EngineError::Invalid { code: err.code, message: err.message })?;
            next.state = to.as_str().into();
            if to.is_closed() {
                next.closed_at = Some(now);
            }
            let sealed_note = match &step.note {
                Some(note) => Some(self.seal_request_field(tenant, &old.id, Field::Note(old.version), note.as_bytes())?),
                None => None,
            };
            event = Some(RequestEventRecord {
                tenant_id: tenant.to_owned(),
                request_id: old.id.clone(),
                idx: old.version,
                at: now,
                event: e.as_str().into(),
                from_state: from.as_str().into(),
                to_state: to.as_str().into(),
                actor: step.who.label(),
                sealed_note,
            });
            let operation = format!("request.{}", e.as_str());
            let record = request_record(&operation, &old.id, next.subject_id.as_deref());
            entries.push(match step.who {
                Who::Staff(actor) => self.entry(actor, tenant, record),
                Who::Subject => self.subject_entry(tenant, record),
                Who::System => self.system_entry(tenant, record),
            });
        }
        let appended =
            self.store.update_request(&next, event.as_ref(), &step.outbox, &entries).await?.ok_or(EngineError::Conflict("request"))?;
        if !entries.is_empty() {
            self.after_append(tenant, appended).await;
        }
        Ok(next)
    }

    /// The open requests, most urgent first (or as `query` says).
    pub async fn list_requests(&self, actor: &Actor, query: RequestQuery) -> Result<Vec<RequestView>, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        actor_may_handle(&catalog, actor)?;
        let today = moscow_date(self.clock.now());
        let filter = RequestFilter {
            open_only: !query.all || query.overdue,
            state: query.state.map(|s| s.as_str().to_owned()),
            subject_id: query.subject_id,
            due_by: query
                .overdue
                .then(|| today.yesterday().map(|d| d.to_string()))
                .transpose()
                .map_err(|_| EngineError::Internal("date"))?,
            after: query.after.map(|(d, id)| (d.to_string(), id)),
            limit: query.limit.unwrap_or(100).clamp(1, MAX_LIST),
        };
        self.store.requests(&actor.tenant, &filter).await?.iter().map(|r| view(r, today)).collect()
    }

    /// One request with its contact, text, history and messages. Reading the contact is
    /// processing of personal data, so the read is journaled.
    pub async fn request_detail(&self, actor: &Actor, id: &str) -> Result<RequestDetail, EngineError> {
        let (_, record) = self.request_for_staff(actor, id).await?;
        let entry = self.entry(actor, &actor.tenant, request_record("extraction", id, record.subject_id.as_deref()));
        self.journal_without_change(&actor.tenant, vec![entry]).await?;
        self.detail_of(&actor.tenant, &record).await
    }

    /// The request as its follower sees it (no contact or text: they sent those).
    pub async fn followed_request_view(&self, tenant: &str, id: &str, key: &str) -> Result<RequestView, EngineError> {
        let record = self.followed_request(tenant, id, key).await?;
        view(&record, moscow_date(self.clock.now()))
    }

    /// Extends the term once, with the reason sent to the subject.
    pub async fn extend_request(&self, actor: &Actor, id: &str, reason: &PlainValue) -> Result<RequestView, EngineError> {
        check_text(reason, "reason", MAX_NOTE)?;
        let (catalog, record) = self.request_for_staff(actor, id).await?;
        let kind = parse_kind(&record.kind)?;
        let rule = deadline_rule(kind, parse_jurisdiction(&record.jurisdiction));
        if rule.extension.is_none() {
            return Err(EngineError::invalid(
                "request.no_extension",
                format!("the law allows no extension for this kind of request ({})", rule.source),
                format!("для запроса этого вида продление срока не предусмотрено ({})", rule.source),
            ));
        }
        let received = moscow_date(micros_to_time(record.received_at));
        let deadline = due(&self.calendar, received, &rule, true).map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
        let mut next = record.clone();
        next.extended = true;
        next.due_on = deadline.date.to_string();
        next.due_provisional = deadline.provisional;
        let private = self.open_private(&actor.tenant, id, &record.sealed)?;
        let notice = Notice::Extended { due_on: deadline.date, reason: reason.expose() };
        let mut step =
            Step::transition(Who::Staff(actor), RequestEvent::Extend { reason: reason.expose().to_owned() }).note(reason.expose());
        if let Some(m) = self.notice(&actor.tenant, id, kind, &catalog.operator.legal_name, &private, notice)? {
            step = step.send(m);
        }
        let saved = self.save(&actor.tenant, &record, next, step).await?;
        view(&saved, moscow_date(self.clock.now()))
    }

    /// Refuses a request with a reasoned notice citing the norm.
    pub async fn refuse_request(&self, actor: &Actor, id: &str, ground: RefusalGround) -> Result<RequestView, EngineError> {
        let (catalog, record) = self.request_for_staff(actor, id).await?;
        let kind = parse_kind(&record.kind)?;
        let reason: Bilingual = match &ground {
            RefusalGround::Repeated => self.repeated_access_reason(&actor.tenant, &record).await?,
            RefusalGround::IdentityNotConfirmed => Bilingual::new(
                "the requester's identity could not be confirmed (152-FZ art. 14 p.3: the request must identify the subject)",
                "личность заявителя не подтверждена (ч. 3 ст. 14 152-ФЗ: запрос должен содержать сведения, позволяющие установить субъекта)",
            ),
            RefusalGround::Other { reason, norm } => {
                check_text(reason, "reason", MAX_NOTE)?;
                if norm.trim().is_empty() || norm.chars().count() > 200 {
                    return Err(EngineError::invalid(
                        "request.norm_required",
                        "a refusal must cite the norm it rests on",
                        "отказ должен ссылаться на норму закона",
                    ));
                }
                let text = format!("{} ({})", reason.expose().trim(), norm.trim());
                Bilingual::new(text.clone(), text)
            }
        };
        let private = self.open_private(&actor.tenant, id, &record.sealed)?;
        let said = if private.language == Language::En { &reason.en } else { &reason.ru };
        let mut step = Step::transition(Who::Staff(actor), RequestEvent::Refuse { reason: said.clone() }).note(said);
        if let Some(m) = self.notice(&actor.tenant, id, kind, &catalog.operator.legal_name, &private, Notice::Refused { reason: said })? {
            step = step.send(m);
        }
        let saved = self.save(&actor.tenant, &record, record.clone(), step).await?;
        view(&saved, moscow_date(self.clock.now()))
    }

    /// The subject withdraws their request.
    pub async fn withdraw_request(&self, tenant: &str, id: &str, key: &str) -> Result<RequestView, EngineError> {
        let record = self.followed_request(tenant, id, key).await?;
        let catalog = self.catalog_in_force(tenant).await?;
        let private = self.open_private(tenant, id, &record.sealed)?;
        let kind = parse_kind(&record.kind)?;
        let mut step = Step::transition(Who::Subject, RequestEvent::Withdraw);
        if let Some(m) = self.notice(tenant, id, kind, &catalog.operator.legal_name, &private, Notice::Withdrawn)? {
            step = step.send(m);
        }
        let saved = self.save(tenant, &record, record.clone(), step).await?;
        view(&saved, moscow_date(self.clock.now()))
    }

    /// The reason for refusing a repeated access request, naming the earlier answer; an
    /// error when there is no complete answer to the same subject within 30 days.
    async fn repeated_access_reason(&self, tenant: &str, record: &RequestRecord) -> Result<Bilingual, EngineError> {
        let kind = parse_kind(&record.kind)?;
        let not_repeated = || {
            EngineError::invalid(
                "request.not_repeated",
                "no complete answer to an access request of this subject in the last 30 days: this request cannot be refused as repeated",
                "за последние 30 дней полного ответа на запрос этого субъекта не было: отказать как в повторном нельзя",
            )
        };
        if !matches!(kind, obereg_core::request::deadline::RequestKind::Access | obereg_core::request::deadline::RequestKind::Portability) {
            return Err(not_repeated());
        }
        let subject = record.subject_id.clone().ok_or_else(not_repeated)?;
        let filter = RequestFilter { subject_id: Some(subject), limit: MAX_LIST, ..Default::default() };
        let window = 30 * 24 * 3600 * 1_000_000i64;
        let earlier = self.store.requests(tenant, &filter).await?.into_iter().find(|r| {
            r.id != record.id
                && matches!(r.kind.as_str(), "access" | "portability")
                && r.state == RequestState::Completed.as_str()
                && r.closed_at.is_some_and(|at| record.received_at - at <= window && at <= record.received_at)
        });
        let earlier = earlier.ok_or_else(not_repeated)?;
        let on = moscow_date(micros_to_time(earlier.closed_at.unwrap_or_default()));
        Ok(Bilingual::new(
            format!("a complete answer to your request {} was given on {on}, less than 30 days ago (152-FZ art. 14 p.4–5)", earlier.id),
            format!("полный ответ на ваш запрос {} дан {on}, менее 30 дней назад (ч. 4–5 ст. 14 152-ФЗ)", earlier.id),
        ))
    }

    /// The catalog and a request of the actor's tenant, once the actor may work requests.
    pub(crate) async fn request_for_staff(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(std::sync::Arc<obereg_core::catalog::Catalog>, RequestRecord), EngineError> {
        let catalog = self.catalog_for(actor).await?;
        actor_may_handle(&catalog, actor)?;
        if !is_request_id(id) {
            return Err(EngineError::NotFound("request"));
        }
        let record = self.store.request(&actor.tenant, id).await?.ok_or(EngineError::NotFound("request"))?;
        Ok((catalog, record))
    }

    pub(crate) async fn detail_of(&self, tenant: &str, record: &RequestRecord) -> Result<RequestDetail, EngineError> {
        let private = self.open_private(tenant, &record.id, &record.sealed)?;
        let events = self
            .store
            .request_events(tenant, &record.id)
            .await?
            .into_iter()
            .map(|e| {
                let note = match &e.sealed_note {
                    Some(sealed) => {
                        let bytes = self.open_request_field(tenant, &record.id, Field::Note(e.idx), sealed)?;
                        Some(String::from_utf8_lossy(&bytes).into_owned())
                    }
                    None => None,
                };
                Ok(RequestEventView {
                    at: micros_to_time(e.at),
                    from: parse_state(&e.from_state)?,
                    to: parse_state(&e.to_state)?,
                    event: e.event,
                    actor: e.actor,
                    note,
                })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        let messages = self
            .store
            .outbox_of_request(tenant, &record.id)
            .await?
            .into_iter()
            .map(|m| RequestMessageView {
                id: m.id,
                channel: m.channel,
                template: m.template,
                state: m.state,
                attempts: m.attempts,
                sent_at: m.sent_at.map(micros_to_time),
                last_error: m.last_error,
                recipient: m.recipient,
                confirmed_at: m.confirmed_at.map(micros_to_time),
            })
            .collect();
        let plain = |v: &Option<String>| v.as_deref().map(PlainValue::new);
        Ok(RequestDetail {
            request: view(record, moscow_date(self.clock.now()))?,
            email: plain(&private.email),
            phone: plain(&private.phone),
            details: plain(&private.details),
            language: private.language,
            candidates: private.candidates.clone(),
            answer: plain(&private.answer),
            events,
            messages,
        })
    }
}

/// Forbidden unless the actor works requests (not journaled: a listing touches no one).
fn actor_may_handle(catalog: &obereg_core::catalog::Catalog, actor: &Actor) -> Result<(), EngineError> {
    if may_handle(catalog, actor)? { Ok(()) } else { Err(EngineError::Forbidden) }
}
