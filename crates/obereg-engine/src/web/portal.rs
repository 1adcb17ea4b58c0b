//! The subject portal's use cases: sign-in by a one-time code sent to an email address or
//! phone, then the subject's own data, consents, requests and journal.
//!
//! A code goes to whatever valid address is typed, and the answer is the same whether or
//! not obereg knows the address: the portal never tells a stranger who is a customer. Only
//! after the code proves the person controls the address is it matched against the vault by
//! blind index. An address that leads to two subjects is never merged: the person sees no
//! one's data and may file a request for staff to sort out. Codes are valid 10 minutes, five
//! tries each, five codes per address an hour.

use obereg_core::catalog::{Channel, Normalization};
use obereg_core::consent::{ConsentAction, ConsentMethod};
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::{PlainValue, normalize};
use obereg_store::PortalCodeRecord;
use zeroize::Zeroizing;

use super::{OpenedSession, SessionKind};
use crate::consent::{ConsentEventView, ConsentHistory, DocumentView, NewConsentEvent};
use crate::journal::Record;
use crate::outbox::Message;
use crate::requests::SubjectExport;
use crate::requests::{Language, RequestView};
use crate::{Actor, Engine, EngineError, JournalEntryView};

const CODE_TTL: jiff::SignedDuration = jiff::SignedDuration::from_mins(10);
const CODE_ATTEMPTS: i64 = 5;
const CODES_PER_HOUR: i64 = 5;
/// The pseudo-category keying the blind index of portal addresses (the rate limit).
const PORTAL_BLIND: &str = "portal.contact";
/// Journal entries a portal page shows at most.
const JOURNAL_PAGE: u32 = 200;
/// The principal of a session whose address leads to several subjects.
const SEVERAL: &str = "*";

/// A consent the portal offers: its scope, and the last event when there is one (none: the
/// purpose rests on consent and the subject was never asked).
#[derive(Debug, Clone)]
pub struct ConsentChoice {
    pub purpose: String,
    pub channel: Option<Channel>,
    pub current: Option<ConsentEventView>,
}

/// A signed-in portal user.
pub struct PortalSession {
    pub tenant: String,
    /// The subject the proved address leads to; `None` when it leads to none or several.
    pub subject: Option<String>,
    /// The address leads to several subjects: staff must sort it out.
    pub several: bool,
    address: Zeroizing<String>,
}

impl std::fmt::Debug for PortalSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalSession").field("tenant", &self.tenant).field("subject", &self.subject).finish_non_exhaustive()
    }
}

impl PortalSession {
    /// The proved address, masked for display (`i***@example.ru`, `+7 *** ***-**-89`).
    pub fn masked_address(&self) -> String {
        mask_address(&self.address)
    }
}

fn mask_address(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => {
            let digits: Vec<char> = address.chars().filter(char::is_ascii_digit).collect();
            let last: String = digits[digits.len().saturating_sub(2)..].iter().collect();
            format!("+{} *** ***-**-{last}", digits.first().copied().unwrap_or('*'))
        }
    }
}

fn code_failed() -> EngineError {
    EngineError::invalid(
        "portal.code_wrong",
        "the code is wrong or has expired; ask for a new one",
        "код неверен или его срок истёк; запросите новый",
    )
}

/// A subject session's principal: the subject id, `*` for several, empty for none.
fn principal_of(subjects: &[String]) -> String {
    match subjects {
        [one] => one.clone(),
        [] => String::new(),
        _ => SEVERAL.to_owned(),
    }
}

impl Engine {
    /// Sends a sign-in code to `address` (an email or a phone number) and returns the
    /// code's id, which the code must be entered with. The same for known and unknown
    /// addresses.
    pub async fn portal_send_code(&self, tenant: &str, address: &PlainValue, language: Language) -> Result<String, EngineError> {
        let raw = address.expose().trim();
        let (rule, channel) = if raw.contains('@') {
            (Normalization::Email, crate::outbox::Channel::Email)
        } else {
            (Normalization::PhoneE164, crate::outbox::Channel::Sms)
        };
        let normal = normalize(rule, &PlainValue::new(raw)).map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
        let catalog = self.catalog_in_force(tenant).await?;
        let id = format!("L-{}", crate::vault::random_hex_id()?);
        let code = crate::requests::sealing::new_code()?;
        let operator = match (language, &catalog.operator.legal_name.en) {
            (Language::En, Some(en)) => en.clone(),
            _ => catalog.operator.legal_name.ru.clone(),
        };
        let (subject, body) = match language {
            Language::En => (
                format!("Sign-in code {}", code.as_str()),
                format!(
                    "Your code to sign in to the personal data portal of {operator}: {}\nIt is valid for 10 minutes. \
                     If you did not ask for it, ignore this message.",
                    code.as_str()
                ),
            ),
            Language::Ru => (
                format!("Код входа {}", code.as_str()),
                format!(
                    "Ваш код для входа в личный кабинет персональных данных {operator}: {}\nКод действует 10 минут. \
                     Если вы его не запрашивали, не отвечайте на это сообщение.",
                    code.as_str()
                ),
            ),
        };
        let message = Message { to: normal.expose().to_owned(), subject, body, recipient: None, signature: None, unsubscribe: None };
        // The message is sealed like a request's, under the code's id.
        let outgoing = crate::requests::notices::Outgoing {
            tenant,
            request: &id,
            id: crate::requests::notices::new_delivery_id(),
            channel,
            template: "portal_code",
        };
        let record = self.outbox_record(outgoing, &message)?;
        let now = self.clock.now();
        let code_row = PortalCodeRecord {
            tenant_id: tenant.to_owned(),
            id: id.clone(),
            contact: hex::encode(self.keyring.blind_index(tenant, PORTAL_BLIND, normal.expose())),
            code_hash: self.code_hash(tenant, &id, &code),
            sealed: self.seal_web(tenant, &id, "address", normal.expose().as_bytes())?,
            created_at: now.as_microsecond(),
            expires_at: now.checked_add(CODE_TTL).map_err(|_| EngineError::Internal("clock"))?.as_microsecond(),
            attempts: 0,
            used_at: None,
        };
        let hour_ago = now.checked_sub(jiff::SignedDuration::from_hours(1)).map_err(|_| EngineError::Internal("clock"))?;
        if !self.store.insert_portal_code(&code_row, &record, CODES_PER_HOUR, hour_ago.as_microsecond()).await? {
            return Err(EngineError::RateLimited(obereg_core::Bilingual::new(
                "too many codes for this address in the last hour; try again later",
                "слишком много кодов для этого адреса за последний час; повторите позже",
            )));
        }
        Ok(id)
    }

    /// Checks a sign-in code; on success opens a portal session for the proved address.
    pub async fn portal_verify_code(&self, tenant: &str, id: &str, code: &str) -> Result<OpenedSession, EngineError> {
        if !id.starts_with("L-") || id.len() != 34 {
            return Err(code_failed());
        }
        let row = self.store.portal_code(tenant, id).await?.ok_or_else(code_failed)?;
        let now = self.clock.now().as_microsecond();
        if row.used_at.is_some() || row.expires_at < now || row.attempts >= CODE_ATTEMPTS {
            return Err(code_failed());
        }
        let code = code.trim();
        let good = code.len() == 6
            && code.bytes().all(|b| b.is_ascii_digit())
            && aws_lc_rs::constant_time::verify_slices_are_equal(&self.code_hash(tenant, id, code), &row.code_hash).is_ok();
        // The try is counted first, atomically: of two tries at once only one counts as the
        // one that used the code.
        if !self.store.portal_code_tried(tenant, id, row.attempts, good.then_some(now)).await? || !good {
            return Err(code_failed());
        }
        let address = self.open_web(tenant, id, "address", &row.sealed)?;
        let address = std::str::from_utf8(&address).map_err(|_| EngineError::Internal("sealed address"))?.to_owned();
        let subjects = self.subjects_at_address(tenant, &address).await?;
        let principal = principal_of(&subjects);
        let mut record = Record::op("portal.signed_in");
        if let [one] = subjects.as_slice() {
            record = record.subject(one.clone());
        }
        let entry = self.subject_entry(tenant, record);
        let sealed = self.seal_web(tenant, &principal, "session address", address.as_bytes())?;
        self.open_session(SessionKind::Subject, tenant, &principal, Some(sealed), vec![entry]).await
    }

    /// The portal user behind a cookie.
    pub async fn portal_session(&self, cookie: &str) -> Result<PortalSession, EngineError> {
        let session = self.live_session(cookie, SessionKind::Subject).await?;
        let sealed = session.sealed.as_deref().ok_or(EngineError::Unauthenticated)?;
        let address = self.open_web(&session.tenant_id, &session.principal, "session address", sealed)?;
        let address = Zeroizing::new(std::str::from_utf8(&address).map_err(|_| EngineError::Internal("sealed address"))?.to_owned());
        let several = session.principal == SEVERAL;
        let subject = (!session.principal.is_empty() && !several).then(|| session.principal.clone());
        // A subject erased since sign-in is no longer anyone's to show.
        let subject = match subject {
            Some(id) => self.store.subject_head(&session.tenant_id, &id).await?.filter(|(h, _)| h.status != "erased").map(|_| id),
            None => None,
        };
        Ok(PortalSession { tenant: session.tenant_id, subject, several, address })
    }

    /// Everything obereg holds about the signed-in subject, with purposes, recipients and
    /// rights (what an access request answers); empty when the address leads to no one.
    pub async fn portal_data(&self, session: &PortalSession) -> Result<SubjectExport, EngineError> {
        let catalog = self.catalog_in_force(&session.tenant).await?;
        self.export_of(&catalog, &session.tenant, "portal", session.subject.as_deref(), |r| self.subject_entry(&session.tenant, r)).await
    }

    /// The subject's consent history and current state.
    pub async fn portal_consents(&self, session: &PortalSession) -> Result<Option<ConsentHistory>, EngineError> {
        match &session.subject {
            Some(subject) => Ok(Some(self.consents(&Actor::portal_subject(&session.tenant), subject).await?)),
            None => Ok(None),
        }
    }

    /// What the consents page offers: every consent scope of the subject's history (cookie
    /// choices stay with the banner), then each purpose resting on consent — per channel for
    /// marketing — that the subject has no event for yet. `None` without a subject.
    pub async fn portal_consent_choices(&self, session: &PortalSession) -> Result<Option<Vec<ConsentChoice>>, EngineError> {
        let Some(history) = self.portal_consents(session).await? else { return Ok(None) };
        let catalog = self.catalog_in_force(&session.tenant).await?;
        let mut choices: Vec<ConsentChoice> = history
            .current
            .into_iter()
            .filter(|c| c.event.scope.cookie.is_none())
            .map(|c| ConsentChoice { purpose: c.event.scope.purpose.clone(), channel: c.event.scope.channel, current: Some(c) })
            .collect();
        for purpose in catalog.purposes.iter().filter(|p| obereg_core::retention::rests_on_consent(p)) {
            let channels: Vec<Option<Channel>> =
                if purpose.marketing { purpose.channels.iter().copied().map(Some).collect() } else { vec![None] };
            for channel in channels {
                if !choices.iter().any(|c| c.purpose == purpose.id && c.channel == channel) {
                    choices.push(ConsentChoice { purpose: purpose.id.clone(), channel, current: None });
                }
            }
        }
        Ok(Some(choices))
    }

    /// The consent document a subject is shown before giving consent to `purpose`.
    pub async fn portal_consent_document(&self, session: &PortalSession, purpose: &str) -> Result<DocumentView, EngineError> {
        self.consent_document(&Actor::local_operator(&session.tenant), &[purpose.to_owned()]).await
    }

    /// Gives or withdraws consent to `purpose` (through `channel` for marketing), as the
    /// subject in the portal. Giving names the document version shown.
    pub async fn portal_set_consent(
        &self,
        session: &PortalSession,
        purpose: &str,
        channel: Option<Channel>,
        give: Option<&str>,
    ) -> Result<ConsentEventView, EngineError> {
        let subject = session.subject.as_deref().ok_or(EngineError::NotFound("subject"))?;
        let catalog = self.catalog_in_force(&session.tenant).await?;
        let event = NewConsentEvent {
            purpose: purpose.to_owned(),
            channel,
            cookie: None,
            action: if give.is_some() { ConsentAction::Given } else { ConsentAction::Withdrawn },
            method: ConsentMethod::Portal,
            document: give.map(str::to_owned),
            valid_until: None,
            by_representative: false,
            evidence: None,
        };
        self.check_event(&catalog, &event)?;
        self.append_consent(&Actor::portal_subject(&session.tenant), subject, event).await
    }

    /// Files a request from the portal; it starts in progress (the address is proved).
    pub async fn portal_submit_request(
        &self,
        session: &PortalSession,
        kind: RequestKind,
        details: Option<PlainValue>,
        language: Language,
    ) -> Result<RequestView, EngineError> {
        let address = PlainValue::new(session.address.as_str());
        self.portal_request(&session.tenant, &address, session.subject.clone(), kind, details, language).await
    }

    /// The requests the portal user may follow, newest first.
    pub async fn portal_requests(&self, session: &PortalSession) -> Result<Vec<RequestView>, EngineError> {
        self.portal_requests_of(&session.tenant, &session.address, session.subject.as_deref()).await
    }

    /// The journal entries about the subject, newest first: who touched the data and why.
    pub async fn portal_journal(&self, session: &PortalSession) -> Result<Vec<JournalEntryView>, EngineError> {
        let Some(subject) = &session.subject else { return Ok(Vec::new()) };
        self.latest_subject_entries(&session.tenant, subject, JOURNAL_PAGE).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked_for_display() {
        assert_eq!(mask_address("ivan.petrov@example.ru"), "i***@example.ru");
        assert_eq!(mask_address("+79161234589"), "+7 *** ***-**-89");
    }

    #[test]
    fn principals_never_merge_several_subjects() {
        assert_eq!(principal_of(&[]), "");
        assert_eq!(principal_of(&["a".into()]), "a");
        assert_eq!(principal_of(&["a".into(), "b".into()]), SEVERAL);
    }
}
