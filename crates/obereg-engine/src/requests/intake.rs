//! How requests arrive and how the requester's identity is established.
//!
//! Staff enter requests that came by email, phone or paper, and may confirm identity
//! themselves (an ID document checked) — recorded as `manual`. Subjects submit through the
//! public API: the request starts in `identity_check` and a six-digit code goes to the
//! address given, valid 15 minutes, 5 tries per code, 3 codes per request, 5 requests per
//! address a day. The answer to a submission is the same whether or not the address
//! belongs to anyone obereg knows: only after the code proves the requester controls the
//! address is it matched against the vault by blind index. A match to two different
//! subjects (the email to one, the phone to another) is never merged: staff choose.

use obereg_core::catalog::{Catalog, Jurisdiction, Normalization};
use obereg_core::request::deadline::{RequestKind, deadline_rule, due};
use obereg_core::request::{RequestEvent, RequestState};
use obereg_core::value::{PlainValue, normalize};
use obereg_store::{RequestEventRecord, RequestRecord};
use zeroize::Zeroizing;

use super::notices::Notice;
use super::sealing::{Field, KEY_PREFIX, RequestPrivate, new_code, new_follow_key, same_hash};
use super::workflow::{Step, Who};
use super::{Language, RequestChannel, RequestView, check_text, jurisdiction_code, kind_code, may_handle, moscow_date, view};
use crate::journal::Record;
use crate::{Actor, Engine, EngineError};

/// How long a code is valid.
const CODE_TTL: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);
/// Wrong codes accepted per code.
const CODE_ATTEMPTS: i64 = 5;
/// Codes sent per request.
const CODES_PER_REQUEST: i64 = 3;
/// Requests from one address in 24 hours.
const REQUESTS_PER_DAY: usize = 5;
/// Submissions through the public API per tenant and hour: each sends a code to an address
/// anyone may type, so the endpoint must not become a way to mail-bomb strangers.
pub const PUBLIC_SUBMISSIONS_PER_HOUR: i64 = 500;
/// Longest request text, in characters.
const MAX_DETAILS: usize = 10_000;
/// Longest note or reason, in characters.
pub(crate) const MAX_NOTE: usize = 2_000;
/// The pseudo-category whose blind-index key keys request contacts.
const CONTACT_BLIND: &str = "request.contact";

/// A request entered by staff.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub kind: RequestKind,
    pub channel: RequestChannel,
    /// Defaults to 152-FZ when the catalog names it, else to the catalog's first.
    pub jurisdiction: Option<Jurisdiction>,
    pub email: Option<PlainValue>,
    pub phone: Option<PlainValue>,
    pub details: Option<PlainValue>,
    pub language: Language,
    /// When a letter or call was received, if before now (the term runs from receipt).
    pub received_at: Option<jiff::Timestamp>,
    /// Identity already confirmed by staff: the request starts in progress.
    pub identity: Option<ManualIdentity>,
}

/// Identity confirmed by staff (an ID document checked, a signed letter).
#[derive(Debug, Clone)]
pub struct ManualIdentity {
    /// The subject the requester is; `None` when obereg holds nothing about them.
    pub subject_id: Option<String>,
    /// How identity was checked (kept sealed).
    pub note: PlainValue,
}

/// A request submitted by the subject through the public API.
#[derive(Debug, Clone)]
pub struct SubjectSubmission {
    pub kind: RequestKind,
    pub email: Option<PlainValue>,
    pub phone: Option<PlainValue>,
    pub details: Option<PlainValue>,
    pub language: Language,
    pub jurisdiction: Option<Jurisdiction>,
}

/// What a submitter gets back: the request, and the key to follow it with (shown once).
#[derive(Debug)]
pub struct Submitted {
    pub request: RequestView,
    pub follow_key: Zeroizing<String>,
}

impl Engine {
    /// Registers a request that reached staff.
    pub async fn open_request(&self, actor: &Actor, new: NewRequest) -> Result<RequestView, EngineError> {
        let catalog = self.catalog_for(actor).await?;
        self.authorize(actor, may_handle(&catalog, actor)?, Record::op("request.received")).await?;
        let now = self.clock.now();
        let received = match new.received_at {
            Some(at) if at > now => {
                return Err(EngineError::invalid(
                    "request.received_in_future",
                    "a request cannot be received in the future",
                    "запрос не может быть получен в будущем",
                ));
            }
            Some(at) => at,
            None => now,
        };
        if let Some(identity) = &new.identity {
            check_text(&identity.note, "identity.note", MAX_NOTE)?;
            if let Some(subject) = &identity.subject_id {
                self.subject_standing(actor, subject).await?;
            }
        }
        let contact = Contact::parse(new.email.as_ref(), new.phone.as_ref(), new.channel == RequestChannel::Paper)?;
        let (mut record, private) =
            self.draft(&catalog, &actor.tenant, new.kind, new.channel, new.jurisdiction, contact, new.details, new.language, received)?;
        let mut event = None;
        let mut entries = vec![self.entry(actor, &actor.tenant, request_record("request.received", &record.id, None))];
        if let Some(identity) = &new.identity {
            record.state = RequestState::InProgress.as_str().into();
            record.subject_id = identity.subject_id.clone();
            record.verified_by = Some("manual".into());
            record.version = 1;
            let note = self.seal_request_field(&actor.tenant, &record.id, Field::Note(0), identity.note.expose().as_bytes())?;
            event =
                Some(first_event(&record, now, RequestEvent::IdentityVerified, RequestState::InProgress, actor.role.as_str(), Some(note)));
            entries.push(self.entry(
                actor,
                &actor.tenant,
                request_record("request.identity_verified", &record.id, record.subject_id.as_deref()),
            ));
        }
        let due_on: jiff::civil::Date = record.due_on.parse().map_err(|_| EngineError::Internal("due date"))?;
        let operator = &catalog.operator.legal_name;
        let outbox: Vec<_> =
            self.notice(&actor.tenant, &record.id, new.kind, operator, &private, Notice::Received { due_on })?.into_iter().collect();
        let appended = self.store.insert_request(&record, event.as_ref(), &outbox, &entries).await?;
        self.after_append(&actor.tenant, appended).await;
        view(&record, moscow_date(now))
    }

    /// Registers a request a subject submits, and sends a code to the address given.
    pub async fn submit_request(&self, tenant: &str, submission: SubjectSubmission) -> Result<Submitted, EngineError> {
        let catalog = self.catalog_in_force(tenant).await?;
        let contact = Contact::parse(submission.email.as_ref(), submission.phone.as_ref(), false)?;
        let now = self.clock.now();
        let hour_ago = now.checked_sub(jiff::SignedDuration::from_hours(1)).map_err(|_| EngineError::Internal("clock"))?;
        let recent = self.store.count_requests_since(tenant, RequestChannel::Api.as_str(), hour_ago.as_microsecond()).await?;
        if recent >= PUBLIC_SUBMISSIONS_PER_HOUR {
            tracing::warn!(tenant = %tenant, "public request submissions over the hourly cap");
            return Err(EngineError::RateLimited(obereg_core::Bilingual::new(
                "the operator receives too many requests right now; try again in an hour or write to the operator",
                "оператор сейчас получает слишком много запросов; повторите через час или напишите оператору",
            )));
        }
        self.check_daily_requests(tenant, &contact, now).await?;
        let (mut record, private) = self.draft(
            &catalog,
            tenant,
            submission.kind,
            RequestChannel::Api,
            submission.jurisdiction,
            contact,
            submission.details,
            submission.language,
            now,
        )?;
        let follow_key = new_follow_key()?;
        record.key_hash = Some(crate::token::hash_token(&follow_key));
        let code = new_code()?;
        record.state = RequestState::IdentityCheck.as_str().into();
        record.version = 1;
        record.code_hash = Some(self.code_hash(tenant, &record.id, &code));
        record.code_expires_at = Some(now.checked_add(CODE_TTL).map_err(|_| EngineError::Internal("clock"))?.as_microsecond());
        record.codes_sent = 1;
        let event = first_event(&record, now, RequestEvent::StartIdentityCheck, RequestState::IdentityCheck, "subject", None);
        let operator = &catalog.operator.legal_name;
        let due_on: jiff::civil::Date = record.due_on.parse().map_err(|_| EngineError::Internal("due date"))?;
        let mut outbox = Vec::new();
        outbox.extend(self.notice(tenant, &record.id, submission.kind, operator, &private, Notice::Code { code: &code })?);
        outbox.extend(self.notice(tenant, &record.id, submission.kind, operator, &private, Notice::Received { due_on })?);
        let entries = vec![
            self.subject_entry(tenant, request_record("request.received", &record.id, None)),
            self.subject_entry(tenant, request_record("request.start_identity_check", &record.id, None)),
        ];
        let appended = self.store.insert_request(&record, Some(&event), &outbox, &entries).await?;
        self.after_append(tenant, appended).await;
        Ok(Submitted { request: view(&record, moscow_date(now))?, follow_key })
    }

    /// Registers a request a subject files in the portal. Signing in proved the address,
    /// so the request starts in progress, verified by `portal`; `subject` is the one subject
    /// the address led to (none, or several for staff to sort out: then `None`).
    pub(crate) async fn portal_request(
        &self,
        tenant: &str,
        address: &PlainValue,
        subject: Option<String>,
        kind: RequestKind,
        details: Option<PlainValue>,
        language: Language,
    ) -> Result<RequestView, EngineError> {
        let catalog = self.catalog_in_force(tenant).await?;
        let is_email = address.expose().contains('@');
        let contact = if is_email { Contact::parse(Some(address), None, false)? } else { Contact::parse(None, Some(address), false)? };
        let now = self.clock.now();
        self.check_daily_requests(tenant, &contact, now).await?;
        let (mut record, private) = self.draft(&catalog, tenant, kind, RequestChannel::Portal, None, contact, details, language, now)?;
        record.state = RequestState::InProgress.as_str().into();
        record.subject_id = subject;
        record.verified_by = Some("portal".into());
        record.version = 1;
        let event = first_event(&record, now, RequestEvent::IdentityVerified, RequestState::InProgress, "subject", None);
        let entries = vec![
            self.subject_entry(tenant, request_record("request.received", &record.id, record.subject_id.as_deref())),
            self.subject_entry(tenant, request_record("request.identity_verified", &record.id, record.subject_id.as_deref())),
        ];
        let due_on: jiff::civil::Date = record.due_on.parse().map_err(|_| EngineError::Internal("due date"))?;
        let operator = &catalog.operator.legal_name;
        let outbox: Vec<_> = self.notice(tenant, &record.id, kind, operator, &private, Notice::Received { due_on })?.into_iter().collect();
        let appended = self.store.insert_request(&record, Some(&event), &outbox, &entries).await?;
        self.after_append(tenant, appended).await;
        view(&record, moscow_date(now))
    }

    /// The requests a portal user may follow: those made from the address they proved, and
    /// those of the subject it led to. Newest first.
    pub(crate) async fn portal_requests_of(
        &self,
        tenant: &str,
        address: &str,
        subject: Option<&str>,
    ) -> Result<Vec<RequestView>, EngineError> {
        let blind = self.keyring.blind_index(tenant, CONTACT_BLIND, address);
        let mut records = self.store.requests_by_contact(tenant, &blind, 0).await?;
        if let Some(subject) = subject {
            let filter = obereg_store::RequestFilter { subject_id: Some(subject.to_owned()), limit: 200, ..Default::default() };
            for r in self.store.requests(tenant, &filter).await? {
                if !records.iter().any(|known| known.id == r.id) {
                    records.push(r);
                }
            }
        }
        records.sort_by(|a, b| b.received_at.cmp(&a.received_at).then_with(|| a.id.cmp(&b.id)));
        let today = moscow_date(self.clock.now());
        records.iter().map(|r| view(r, today)).collect()
    }

    /// The subjects whose searchable email or phone categories hold `address` (normalised).
    pub(crate) async fn subjects_at_address(&self, tenant: &str, address: &str) -> Result<Vec<String>, EngineError> {
        let catalog = self.catalog_in_force(tenant).await?;
        let is_email = address.contains('@');
        self.match_contact(&catalog, tenant, is_email.then_some(address), (!is_email).then_some(address)).await
    }

    /// Checks a code the requester entered. On success the contact is matched against the
    /// vault and the request moves in progress.
    pub async fn verify_request_code(&self, tenant: &str, id: &str, key: &str, code: &str) -> Result<RequestView, EngineError> {
        let record = self.followed_request(tenant, id, key).await?;
        if record.state != RequestState::IdentityCheck.as_str() {
            return Err(EngineError::invalid(
                "request.not_awaiting_code",
                "this request is not waiting for a confirmation code",
                "этот запрос не ожидает кода подтверждения",
            ));
        }
        let now = self.clock.now();
        let expired = record.code_expires_at.is_none_or(|at| at < now.as_microsecond());
        if expired || record.code_attempts >= CODE_ATTEMPTS {
            return Err(EngineError::invalid(
                "request.code_expired",
                "the code has expired or was entered wrong too often; ask for a new one",
                "срок действия кода истёк или код слишком часто вводился неверно; запросите новый",
            ));
        }
        let wanted = record.code_hash.as_deref().unwrap_or_default();
        let good = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) && same_hash(&self.code_hash(tenant, id, code), wanted);
        let mut next = record.clone();
        if !good {
            next.code_attempts += 1;
            // A wrong code is counted, not journaled: it touches no personal data.
            self.save(tenant, &record, next, Step::quiet(Who::Subject)).await?;
            return Err(EngineError::invalid("request.code_wrong", "the code is wrong", "код неверен"));
        }
        let catalog = self.catalog_in_force(tenant).await?;
        let mut private = self.open_private(tenant, id, &record.sealed)?;
        let matched = self.match_contact(&catalog, tenant, private.email.as_deref(), private.phone.as_deref()).await?;
        next.code_hash = None;
        next.code_expires_at = None;
        next.verified_by = Some("code".into());
        if matched.len() == 1 {
            next.subject_id = matched.first().cloned();
        } else if matched.len() > 1 {
            private.candidates = matched;
            next.sealed = self.seal_private(tenant, id, &private)?;
        }
        let step = Step::transition(Who::Subject, RequestEvent::IdentityVerified);
        let saved = self.save(tenant, &record, next, step).await?;
        view(&saved, moscow_date(now))
    }

    /// Sends a new code (at most three per request); the old one stops working.
    pub async fn resend_request_code(&self, tenant: &str, id: &str, key: &str) -> Result<RequestView, EngineError> {
        let record = self.followed_request(tenant, id, key).await?;
        if record.state != RequestState::IdentityCheck.as_str() {
            return Err(EngineError::invalid(
                "request.not_awaiting_code",
                "this request is not waiting for a confirmation code",
                "этот запрос не ожидает кода подтверждения",
            ));
        }
        if record.codes_sent >= CODES_PER_REQUEST {
            return Err(EngineError::RateLimited(obereg_core::Bilingual::new(
                "no more codes for this request; submit a new one or contact the operator",
                "кодов для этого запроса больше не будет; подайте новый запрос или обратитесь к оператору",
            )));
        }
        let saved = self.send_code(Who::Subject, tenant, &record, None).await?;
        view(&saved, moscow_date(self.clock.now()))
    }

    /// Staff start a code check for a request entered without confirmed identity.
    pub async fn start_code_check(&self, actor: &Actor, id: &str) -> Result<RequestView, EngineError> {
        let (_, record) = self.request_for_staff(actor, id).await?;
        let saved = self.send_code(Who::Staff(actor), &actor.tenant, &record, Some(RequestEvent::StartIdentityCheck)).await?;
        view(&saved, moscow_date(self.clock.now()))
    }

    /// Staff confirm identity themselves; the request moves in progress.
    pub async fn verify_identity(&self, actor: &Actor, id: &str, identity: ManualIdentity) -> Result<RequestView, EngineError> {
        check_text(&identity.note, "note", MAX_NOTE)?;
        if identity.note.expose().trim().is_empty() {
            return Err(EngineError::invalid("request.note_required", "say how identity was checked", "укажите, как проверена личность"));
        }
        let (_, record) = self.request_for_staff(actor, id).await?;
        if let Some(subject) = &identity.subject_id {
            self.subject_standing(actor, subject).await?;
        }
        let mut next = record.clone();
        next.subject_id = identity.subject_id.clone();
        next.verified_by = Some("manual".into());
        next.code_hash = None;
        next.code_expires_at = None;
        let step = Step::transition(Who::Staff(actor), RequestEvent::IdentityVerified).note(identity.note.expose());
        let saved = self.save(&actor.tenant, &record, next, step).await?;
        view(&saved, moscow_date(self.clock.now()))
    }

    /// A fresh code to the request's contact, with `event` (or none when re-sending).
    async fn send_code(
        &self,
        who: Who<'_>,
        tenant: &str,
        record: &RequestRecord,
        event: Option<RequestEvent>,
    ) -> Result<RequestRecord, EngineError> {
        let catalog = self.catalog_in_force(tenant).await?;
        let private = self.open_private(tenant, &record.id, &record.sealed)?;
        let code = new_code()?;
        let now = self.clock.now();
        let mut next = record.clone();
        next.code_hash = Some(self.code_hash(tenant, &record.id, &code));
        next.code_expires_at = Some(now.checked_add(CODE_TTL).map_err(|_| EngineError::Internal("clock"))?.as_microsecond());
        next.code_attempts = 0;
        next.codes_sent += 1;
        let kind = super::parse_kind(&record.kind)?;
        let message = self.notice(tenant, &record.id, kind, &catalog.operator.legal_name, &private, Notice::Code { code: &code })?;
        let Some(message) = message else {
            return Err(EngineError::invalid(
                "request.no_contact",
                "the request has no email or phone to send a code to",
                "в запросе нет адреса электронной почты или телефона для кода",
            ));
        };
        let step = match event {
            Some(event) => Step::transition(who, event),
            None => Step::quiet(who),
        };
        self.save(tenant, record, next, step.send(message)).await
    }

    /// A request the holder of `key` follows; any mismatch is "not found".
    pub(crate) async fn followed_request(&self, tenant: &str, id: &str, key: &str) -> Result<RequestRecord, EngineError> {
        if !is_request_id(id) || !key.starts_with(KEY_PREFIX) || key.len() > 100 {
            return Err(EngineError::NotFound("request"));
        }
        let record = self.store.request(tenant, id).await?.ok_or(EngineError::NotFound("request"))?;
        match &record.key_hash {
            Some(hash) if same_hash(&crate::token::hash_token(key), hash) => Ok(record),
            _ => Err(EngineError::NotFound("request")),
        }
    }

    /// A new request row and its sealed part.
    #[allow(clippy::too_many_arguments)]
    fn draft(
        &self,
        catalog: &Catalog,
        tenant: &str,
        kind: RequestKind,
        channel: RequestChannel,
        jurisdiction: Option<Jurisdiction>,
        contact: Contact,
        details: Option<PlainValue>,
        language: Language,
        received: jiff::Timestamp,
    ) -> Result<(RequestRecord, RequestPrivate), EngineError> {
        if let Some(d) = &details {
            check_text(d, "details", MAX_DETAILS)?;
        }
        let jurisdictions = &catalog.operator.jurisdictions;
        let jurisdiction = match jurisdiction {
            Some(j) if jurisdictions.contains(&j) => j,
            Some(j) => {
                return Err(EngineError::invalid(
                    "request.unknown_jurisdiction",
                    format!("the catalog does not name jurisdiction `{}`", jurisdiction_code(j)),
                    format!("юрисдикции `{}` нет в каталоге", jurisdiction_code(j)),
                ));
            }
            None if jurisdictions.contains(&Jurisdiction::Ru152Fz) || jurisdictions.is_empty() => Jurisdiction::Ru152Fz,
            None => jurisdictions[0],
        };
        let rule = deadline_rule(kind, jurisdiction);
        let deadline = due(&self.calendar, moscow_date(received), &rule, false)
            .map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
        let id = new_request_id()?;
        let contact_blind = self.contact_blind(tenant, &contact);
        let private = RequestPrivate {
            email: contact.email.map(|e| e.expose().to_owned()),
            phone: contact.phone.map(|p| p.expose().to_owned()),
            details: details.map(|d| d.expose().to_owned()),
            language,
            candidates: Vec::new(),
            answer: None,
        };
        let now = self.now_micros();
        let record = RequestRecord {
            tenant_id: tenant.to_owned(),
            sealed: self.seal_private(tenant, &id, &private)?,
            id,
            kind: kind_code(kind).into(),
            jurisdiction: jurisdiction_code(jurisdiction).into(),
            channel: channel.as_str().into(),
            state: RequestState::Received.as_str().into(),
            version: 0,
            subject_id: None,
            contact_blind,
            received_at: received.as_microsecond(),
            due_on: deadline.date.to_string(),
            due_provisional: deadline.provisional,
            extended: false,
            verified_by: None,
            code_hash: None,
            code_expires_at: None,
            code_attempts: 0,
            codes_sent: 0,
            key_hash: None,
            updated_at: now,
            reminded_at: None,
            closed_at: None,
        };
        Ok((record, private))
    }

    /// Refuses a sixth request from the same address within 24 hours.
    async fn check_daily_requests(&self, tenant: &str, contact: &Contact, now: jiff::Timestamp) -> Result<(), EngineError> {
        let Some(blind) = self.contact_blind(tenant, contact) else { return Ok(()) };
        let since = now.checked_sub(jiff::SignedDuration::from_hours(24)).map_err(|_| EngineError::Internal("clock"))?;
        if self.store.requests_by_contact(tenant, &blind, since.as_microsecond()).await?.len() >= REQUESTS_PER_DAY {
            return Err(EngineError::RateLimited(obereg_core::Bilingual::new(
                "too many requests from this address today; try again tomorrow or write to the operator",
                "слишком много запросов с этого адреса за сутки; повторите завтра или напишите оператору",
            )));
        }
        Ok(())
    }

    /// The blind index of the contact's address (the email when there is one).
    fn contact_blind(&self, tenant: &str, contact: &Contact) -> Option<Vec<u8>> {
        let address = contact.email.as_ref().or(contact.phone.as_ref())?;
        Some(self.keyring.blind_index(tenant, CONTACT_BLIND, address.expose()))
    }

    /// The subjects whose searchable email or phone categories hold these normalised values.
    async fn match_contact(
        &self,
        catalog: &Catalog,
        tenant: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<Vec<String>, EngineError> {
        let mut found = std::collections::BTreeSet::new();
        for (value, rule) in [(email, Normalization::Email), (phone, Normalization::PhoneE164)] {
            let Some(value) = value else { continue };
            for category in catalog.categories.iter().filter(|c| c.searchable && c.normalize == rule) {
                let blind = self.keyring.blind_index(tenant, &category.id, value);
                for (_, subject) in self.store.find_subjects(tenant, &category.id, &[blind]).await? {
                    found.insert(subject.id);
                }
            }
        }
        Ok(found.into_iter().collect())
    }
}

/// The contact a request came with, normalised.
struct Contact {
    email: Option<PlainValue>,
    phone: Option<PlainValue>,
}

impl Contact {
    /// Normalises what was given; at least one address unless `paper_allowed`.
    fn parse(email: Option<&PlainValue>, phone: Option<&PlainValue>, paper_allowed: bool) -> Result<Self, EngineError> {
        let norm = |rule, v: Option<&PlainValue>| {
            v.filter(|v| !v.expose().trim().is_empty())
                .map(|v| normalize(rule, v))
                .transpose()
                .map_err(|e| EngineError::Invalid { code: e.code, message: e.message })
        };
        let contact = Contact { email: norm(Normalization::Email, email)?, phone: norm(Normalization::PhoneE164, phone)? };
        if contact.email.is_none() && contact.phone.is_none() && !paper_allowed {
            return Err(EngineError::invalid(
                "request.contact_required",
                "give an email address or a phone number to be answered at",
                "укажите адрес электронной почты или телефон для ответа",
            ));
        }
        Ok(contact)
    }
}

/// The journal record of a request step: the request id as the object.
/// The first event of a new request: from `received` to `to`, by `actor`.
fn first_event(
    record: &RequestRecord,
    now: jiff::Timestamp,
    event: RequestEvent,
    to: RequestState,
    actor: &str,
    sealed_note: Option<Vec<u8>>,
) -> RequestEventRecord {
    RequestEventRecord {
        tenant_id: record.tenant_id.clone(),
        request_id: record.id.clone(),
        idx: 0,
        at: now.as_microsecond(),
        event: event.as_str().into(),
        from_state: RequestState::Received.as_str().into(),
        to_state: to.as_str().into(),
        actor: actor.to_owned(),
        sealed_note,
    }
}

pub(crate) fn request_record<'a>(operation: &'a str, request: &str, subject: Option<&str>) -> Record<'a> {
    let record = Record::op(operation).object(request);
    match subject {
        Some(s) => record.subject(s),
        None => record,
    }
}

/// `R-` and 12 characters of Crockford base32 (60 random bits): short enough to read out
/// on the phone, not guessable, not sequential.
fn new_request_id() -> Result<String, EngineError> {
    short_id("R")
}

/// `<prefix>-` and 12 characters of Crockford base32 (60 random bits): the ids of
/// requests, sweeps and destruction acts, which people read out and write down.
pub(crate) fn short_id(prefix: &str) -> Result<String, EngineError> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 8];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| EngineError::Internal("random generator failed"))?;
    let n = u64::from_le_bytes(bytes);
    let text: String = (0..12).map(|i| ALPHABET[((n >> (5 * i)) & 31) as usize] as char).collect();
    Ok(format!("{prefix}-{text}"))
}

/// Whether `id` is `<prefix>-` and 12 characters of [`short_id`]'s alphabet.
pub(crate) fn is_short_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|rest| rest.len() == 12 && rest.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()))
}

/// Whether `id` could be a request id.
pub(crate) fn is_request_id(id: &str) -> bool {
    is_short_id(id, "R")
}
