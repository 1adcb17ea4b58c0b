//! The consent ledger's model: events and the state they replay to.
//!
//! Consent is recorded as an append-only list of events per subject (given, withdrawn,
//! expired, refused), each for one scope: a purpose, and for marketing one channel, or for
//! site visitors one cookie category. The current state is the last event of each scope,
//! replayed from the history; nothing is ever rewritten. Proof of consent is the
//! operator's burden (152-FZ art. 9 p.3), so every event names how it was given (method)
//! and the exact document version the subject saw.
//!
//! [`ConsentState::apply`] refuses events that make no sense against the state so far (a
//! withdrawal of something never given), so a stored history always replays.

use std::collections::BTreeMap;

pub mod document;

use serde::{Deserialize, Serialize};

use crate::catalog::Channel;
use crate::text::Bilingual;

/// What happened to a consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentAction {
    Given,
    Withdrawn,
    /// Its term ran out (or a re-consent campaign ended without an answer).
    Expired,
    /// The subject was asked and said no.
    Refused,
}

impl ConsentAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsentAction::Given => "given",
            ConsentAction::Withdrawn => "withdrawn",
            ConsentAction::Expired => "expired",
            ConsentAction::Refused => "refused",
        }
    }
}

/// How an event was recorded: the evidence trail a regulator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    WebForm,
    Api,
    /// A recorded call; the event carries the recording reference.
    RecordedCall,
    /// A signed paper form; the event carries the scan reference.
    Paper,
    /// The one-click link in an email (RFC 8058).
    UnsubscribeLink,
    /// The subject's portal.
    Portal,
    /// Entered by staff from another channel.
    Staff,
    /// Set by obereg itself (a consent term running out).
    System,
    /// The cookie banner on the operator's site.
    CookieBanner,
    /// Carried out on a data-subject request (withdrawal, distribution stop).
    SubjectRequest,
}

impl ConsentMethod {
    /// How the method reads in a reason ("via unsubscribe link").
    pub fn describe(self) -> Bilingual {
        let (en, ru) = match self {
            ConsentMethod::WebForm => ("web form", "веб-форма"),
            ConsentMethod::Api => ("API", "API"),
            ConsentMethod::RecordedCall => ("recorded call", "записанный звонок"),
            ConsentMethod::Paper => ("paper form", "бумажная форма"),
            ConsentMethod::UnsubscribeLink => ("unsubscribe link", "ссылка отписки"),
            ConsentMethod::Portal => ("personal account", "личный кабинет"),
            ConsentMethod::Staff => ("staff entry", "запись сотрудника"),
            ConsentMethod::System => ("term expiry", "истечение срока"),
            ConsentMethod::CookieBanner => ("cookie banner", "баннер cookie"),
            ConsentMethod::SubjectRequest => ("data-subject request", "запрос субъекта"),
        };
        Bilingual::new(en, ru)
    }
}

/// What one consent covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ConsentScope {
    pub purpose: String,
    /// For marketing purposes: the channel (38-FZ art. 18 asks per channel).
    pub channel: Option<Channel>,
    /// For site visitors: the cookie category.
    pub cookie: Option<String>,
}

impl ConsentScope {
    pub fn purpose(purpose: impl Into<String>) -> Self {
        Self { purpose: purpose.into(), channel: None, cookie: None }
    }

    pub fn channel(purpose: impl Into<String>, channel: Channel) -> Self {
        Self { purpose: purpose.into(), channel: Some(channel), cookie: None }
    }
}

/// One ledger event, as the decision logic needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub scope: ConsentScope,
    pub action: ConsentAction,
    pub at: jiff::Timestamp,
    pub method: ConsentMethod,
    /// Hash of the consent document version the subject saw (given and refused events).
    pub document: Option<String>,
    /// When a given consent ends by its own terms.
    pub valid_until: Option<jiff::Timestamp>,
    /// Given by a parent, guardian or other legal representative (152-FZ art. 9 p.6).
    pub by_representative: bool,
}

/// Why an event cannot follow the history so far.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}")]
pub struct LedgerError {
    pub code: &'static str,
    pub message: Bilingual,
}

/// The last event of every scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConsentState {
    last: BTreeMap<ConsentScope, ConsentEvent>,
}

impl ConsentState {
    /// Replays a history in order; the first event that cannot follow stops the replay.
    pub fn replay<'e>(events: impl IntoIterator<Item = &'e ConsentEvent>) -> Result<Self, LedgerError> {
        let mut state = Self::default();
        for e in events {
            state.apply(e.clone())?;
        }
        Ok(state)
    }

    /// Records `event` if it can follow the state: a withdrawal or an expiry needs a
    /// consent in force, and time never runs backwards within a scope.
    pub fn apply(&mut self, event: ConsentEvent) -> Result<(), LedgerError> {
        let previous = self.last.get(&event.scope);
        if let Some(p) = previous
            && event.at < p.at
        {
            return Err(LedgerError {
                code: "consent.out_of_order",
                message: Bilingual::new(
                    "the event is dated before the last event of the same consent",
                    "событие датировано раньше последнего события того же согласия",
                ),
            });
        }
        let in_force = previous.is_some_and(|p| p.action == ConsentAction::Given);
        if matches!(event.action, ConsentAction::Withdrawn | ConsentAction::Expired) && !in_force {
            return Err(LedgerError {
                code: "consent.not_given",
                message: Bilingual::new(
                    "there is no consent in force to withdraw or expire for this purpose and channel",
                    "по этой цели и каналу нет действующего согласия, которое можно отозвать или прекратить",
                ),
            });
        }
        self.last.insert(event.scope.clone(), event);
        Ok(())
    }

    /// The last event of `scope`, if any.
    pub fn last(&self, scope: &ConsentScope) -> Option<&ConsentEvent> {
        self.last.get(scope)
    }

    /// Every scope with its last event.
    pub fn scopes(&self) -> impl Iterator<Item = (&ConsentScope, &ConsentEvent)> {
        self.last.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: ConsentAction, at: &str) -> ConsentEvent {
        ConsentEvent {
            scope: ConsentScope::channel("news", Channel::Email),
            action,
            at: at.parse().unwrap(),
            method: ConsentMethod::WebForm,
            document: Some("abc".into()),
            valid_until: None,
            by_representative: false,
        }
    }

    #[test]
    fn the_last_event_of_a_scope_is_its_state() {
        let history = [
            event(ConsentAction::Given, "2026-01-01T00:00:00Z"),
            event(ConsentAction::Withdrawn, "2026-02-01T00:00:00Z"),
            event(ConsentAction::Given, "2026-03-01T00:00:00Z"),
        ];
        let state = ConsentState::replay(&history).unwrap();
        let last = state.last(&ConsentScope::channel("news", Channel::Email)).unwrap();
        assert_eq!((last.action, last.at.to_string().as_str()), (ConsentAction::Given, "2026-03-01T00:00:00Z"));
        assert!(state.last(&ConsentScope::channel("news", Channel::Sms)).is_none(), "channels are separate");
        assert_eq!(ConsentState::replay(&history).unwrap(), state, "a replay is deterministic");
    }

    #[test]
    fn a_withdrawal_needs_a_consent_in_force_and_time_runs_forward() {
        let mut state = ConsentState::default();
        assert_eq!(state.apply(event(ConsentAction::Withdrawn, "2026-01-01T00:00:00Z")).unwrap_err().code, "consent.not_given");
        state.apply(event(ConsentAction::Refused, "2026-01-01T00:00:00Z")).unwrap();
        assert_eq!(state.apply(event(ConsentAction::Expired, "2026-01-02T00:00:00Z")).unwrap_err().code, "consent.not_given");
        state.apply(event(ConsentAction::Given, "2026-01-03T00:00:00Z")).unwrap();
        assert_eq!(state.apply(event(ConsentAction::Withdrawn, "2026-01-02T00:00:00Z")).unwrap_err().code, "consent.out_of_order");
        state.apply(event(ConsentAction::Withdrawn, "2026-01-03T00:00:00Z")).unwrap();
        assert_eq!(state.apply(event(ConsentAction::Withdrawn, "2026-01-04T00:00:00Z")).unwrap_err().code, "consent.not_given");
    }
}
