//! Retention that executes itself: trigger events, sweeps and destruction acts.
//!
//! The arithmetic is the core's (`obereg_core::retention`): each purpose holds a value
//! until its term ends, the latest end wins, consent withdrawal ends a consent purpose at
//! once, legal duties keep data restricted. This module feeds it what the database knows —
//! the items' purposes and collection times, the subject's last interaction, its consent
//! ledger and the trigger events recorded here — and carries the verdicts out (`sweep`),
//! with an act for every destruction (`acts`).
//!
//! Trigger events (`purpose_achieved`, `contract_end`, `account_closed`) are facts only the
//! operator's systems know: a lead closed, a contract ended. They are recorded per subject
//! and purpose through [`Engine::record_retention_event`] and journaled; until one is
//! recorded, a purpose with that trigger holds its data open-ended.

mod acts;
mod erasure;
mod sweep;

use std::collections::{BTreeMap, HashMap};

use obereg_core::catalog::RetentionTrigger;
use obereg_core::consent::{ConsentAction, ConsentState};
use obereg_core::retention::Timeline;
use obereg_store::{ConsentEventRecord, ItemMeta};

use crate::journal::Record;
use crate::vault::micros_to_time;
use crate::{Actor, Engine, EngineError};

pub use acts::{ActSubject, ActVerification, ActView, DestructionAct};
pub use sweep::{Finding, FindingAction, SweepProgress, SweepReport, SweepView};

/// The category whose value names a subject in a destruction act (Order 179 asks for the
/// subject's name "or other information identifying them"; the opaque id is always there).
pub const NAME_CATEGORY: &str = "identity.name";

impl Engine {
    /// Records that `trigger` happened for `subject` and `purpose` at `at` (now when
    /// `None`): the event the purpose's retention period runs from. A later event of the
    /// same trigger replaces an earlier one (a contract renewed and ended again).
    pub async fn record_retention_event(
        &self,
        actor: &Actor,
        subject: &str,
        purpose: &str,
        trigger: RetentionTrigger,
        at: Option<jiff::Timestamp>,
    ) -> Result<(), EngineError> {
        actor.require_admin()?;
        let catalog = self.catalog_for(actor).await?;
        let Some(p) = catalog.purposes.iter().find(|p| p.id == purpose) else {
            return Err(EngineError::invalid(
                "retention.unknown_purpose",
                format!("the catalog has no purpose `{purpose}`"),
                format!("в каталоге нет цели `{purpose}`"),
            ));
        };
        if !RetentionTrigger::EVENTS.contains(&trigger) {
            return Err(EngineError::invalid(
                "retention.not_an_event",
                "only purpose_achieved, contract_end and account_closed are recorded as events",
                "событиями записываются только purpose_achieved, contract_end и account_closed",
            ));
        }
        if p.retention.as_ref().map(|r| r.trigger) != Some(trigger) {
            return Err(EngineError::invalid(
                "retention.trigger_mismatch",
                format!("the retention of purpose `{purpose}` does not run from `{}`", trigger.as_str()),
                format!("срок хранения по цели `{purpose}` не отсчитывается от `{}`", trigger.as_str()),
            ));
        }
        let now = self.clock.now();
        let at = at.unwrap_or(now);
        if at > now {
            return Err(EngineError::invalid(
                "retention.event_in_future",
                "an event cannot be recorded before it happens",
                "событие нельзя записать раньше, чем оно произошло",
            ));
        }
        if !crate::vault::is_subject_id(subject) {
            return Err(EngineError::NotFound("subject"));
        }
        let record = Record::op("retention.event").purpose(purpose).subject(subject).object(trigger.as_str());
        let entry = self.entry(actor, &actor.tenant, record);
        let appended = self
            .store
            .record_retention_event(&actor.tenant, subject, purpose, trigger.as_str(), at.as_microsecond(), &[entry])
            .await?
            .ok_or(EngineError::NotFound("subject"))?;
        self.after_append(&actor.tenant, appended).await;
        Ok(())
    }
}

/// Builds the timeline of each subject from its items, its retention events and its
/// consent ledger.
pub(crate) fn timelines(
    items: &HashMap<i64, &[ItemMeta]>,
    events: Vec<(i64, String, String, i64)>,
    ledgers: HashMap<i64, ConsentState>,
    as_of: jiff::Timestamp,
) -> HashMap<i64, Timeline> {
    let mut out: HashMap<i64, Timeline> = HashMap::new();
    for (seq, list) in items {
        let last = list.iter().map(|i| i.occurred_at.unwrap_or(i.collected_at).max(i.collected_at)).max();
        out.entry(*seq).or_default().last_interaction = last.map(micros_to_time);
    }
    for (seq, purpose, trigger, at) in events {
        if let Some(trigger) = RetentionTrigger::parse(&trigger) {
            out.entry(seq).or_default().events.insert((purpose, trigger), micros_to_time(at));
        }
    }
    for (seq, ledger) in ledgers {
        let ended = consent_ended(&ledger, as_of);
        out.entry(seq).or_default().consent_ended = ended;
    }
    out
}

/// The purposes every consent scope of which is withdrawn, expired or past its term at
/// `as_of`, with when the last one ended. Whether a purpose rests on consent at all is the
/// core's question (`retention::hold`); a withdrawal under another basis changes nothing.
fn consent_ended(ledger: &ConsentState, as_of: jiff::Timestamp) -> BTreeMap<String, jiff::Timestamp> {
    // Per purpose: (any scope in force, latest end seen).
    let mut by_purpose: BTreeMap<&str, (bool, Option<jiff::Timestamp>)> = BTreeMap::new();
    for (scope, last) in ledger.scopes() {
        if scope.cookie.is_some() {
            continue;
        }
        let slot = by_purpose.entry(scope.purpose.as_str()).or_default();
        match last.action {
            ConsentAction::Given => match last.valid_until {
                Some(until) if until <= as_of => slot.1 = slot.1.max(Some(until)),
                _ => slot.0 = true,
            },
            ConsentAction::Withdrawn | ConsentAction::Expired => slot.1 = slot.1.max(Some(last.at)),
            ConsentAction::Refused => {}
        }
    }
    by_purpose
        .into_iter()
        .filter_map(|(purpose, (in_force, ended))| if in_force { None } else { ended.map(|at| (purpose.to_owned(), at)) })
        .collect()
}

/// Replays the ledgers of a page of subjects: `(subject id, event)` rows to states by seq.
pub(crate) fn ledgers(
    rows: Vec<(String, ConsentEventRecord)>,
    seq_of: &HashMap<&str, i64>,
) -> Result<HashMap<i64, ConsentState>, EngineError> {
    let mut histories: HashMap<i64, Vec<ConsentEventRecord>> = HashMap::new();
    for (id, event) in rows {
        if let Some(seq) = seq_of.get(id.as_str()) {
            histories.entry(*seq).or_default().push(event);
        }
    }
    histories.into_iter().map(|(seq, history)| Ok((seq, crate::consent::replay(&history)?))).collect()
}
