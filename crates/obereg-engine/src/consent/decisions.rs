//! Decisions through the engine: one subject (`decide`) and the pre-dial / pre-send check
//! over a list of contacts (`check_contacts`), both answered from the decision index
//! (`decision_index`) once it is fresh, with misses loaded from the database.
//!
//! A decision releases no personal data: it answers allow or deny with the basis and the
//! reasons. It is therefore not journaled itself; the read or use that follows an allow is
//! (a vault read, a detokenisation, the lookup a contact check makes).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use obereg_core::Bilingual;
use obereg_core::access::Principal;
use obereg_core::catalog::{Catalog, Channel};
use obereg_core::consent::ConsentState;
use obereg_core::decision::{Ask, Standing, SubjectFacts};
use obereg_store::{ConsentEventRecord, SubjectRecord};

use super::{DecisionView, Wording, decision_view, decision_view_worded, replay};
use crate::decision_index::HeldFacts;
use crate::vault::{Found, SubjectRef, SubjectStatus};
use crate::{Actor, Engine, EngineError};

/// The answer for one contact of a pre-dial or pre-send check.
#[derive(Debug, Clone)]
pub struct ContactCheck {
    /// Whether the contact may be used for the purpose and channel.
    pub allowed: bool,
    /// The subjects holding the contact (none for an unknown one).
    pub subjects: Vec<String>,
    /// The reasons of the decision (for a shared contact: of every subject that denies).
    pub reasons: Vec<(&'static str, Bilingual)>,
}

impl Engine {
    /// Decides whether `subject` may be processed for `purpose` (through `channel`, for
    /// `categories`) now, by the acting role when it is a staff one. Reflects every change
    /// committed before the call, by this process or another.
    pub async fn decide(
        &self,
        actor: &Actor,
        subject: &str,
        purpose: &str,
        channel: Option<Channel>,
        categories: &[&str],
    ) -> Result<DecisionView, EngineError> {
        self.decide_since(self.ticket(), actor, subject, purpose, channel, categories).await
    }

    /// [`Engine::decide`] for a request that took `since` when it arrived (see
    /// [`Engine::ticket`]): it reflects every change committed before then.
    pub async fn decide_since(
        &self,
        since: crate::Ticket,
        actor: &Actor,
        subject: &str,
        purpose: &str,
        channel: Option<Channel>,
        categories: &[&str],
    ) -> Result<DecisionView, EngineError> {
        let fresh = self.index.fresh_since(self.store.as_ref(), &actor.tenant, since).await?;
        let catalog = self.catalog_as_of(&actor.tenant, fresh.catalog_sha.as_deref()).await?;
        let principal = staff(&catalog, actor)?;
        if !crate::vault::is_subject_id(subject) {
            return Err(EngineError::NotFound("subject"));
        }
        let held = match self.index.subject(&actor.tenant, subject) {
            Some(held) => held,
            None => {
                let (record, _) = self.store.subject_head(&actor.tenant, subject).await?.ok_or(EngineError::NotFound("subject"))?;
                let consents = self.ledger_state(&actor.tenant, subject).await?;
                let objections = self.objections_of(&actor.tenant, &[subject.to_owned()]).await?.remove(subject).unwrap_or_default();
                let held = Arc::new(HeldFacts { standing: standing_of(&record), consents, objections });
                self.index.keep_subjects(&actor.tenant, &fresh, [(subject.to_owned(), held.clone())]);
                held
            }
        };
        let ask = Ask { purpose, channel, categories, principal };
        Ok(decision_view(&catalog, &held.facts(held.standing), &ask, self.clock.now()))
    }

    /// The suppression check a voice robot or a mailing runs before a campaign: for each
    /// of up to 1000 contacts (phones, emails) of `category`, may it be contacted for
    /// `purpose` through `channel` now? A contact held by several subjects is allowed only
    /// if every one of them is; an unknown contact has no consent, so it is never allowed
    /// for a consent-based purpose. Invalid contacts come back as `Err` in place. The
    /// lookups are journaled like any lookup.
    pub async fn check_contacts(
        &self,
        actor: &Actor,
        category: &str,
        values: &[obereg_core::value::PlainValue],
        purpose: &str,
        channel: Option<Channel>,
    ) -> Result<Vec<Result<ContactCheck, (&'static str, Bilingual)>>, EngineError> {
        // One arrival for the lookup and the decisions: the probe the lookup waited for
        // serves both (its own journal append must not call for another).
        let arrived;
        let actor = match actor.arrived {
            Some(_) => actor,
            None => {
                arrived = Actor { arrived: Some(self.ticket()), ..actor.clone() };
                &arrived
            }
        };
        let found = self.find_subjects_many(actor, category, values, purpose).await?;
        let fresh = self.fresh_for(actor).await?;
        let catalog = self.catalog_as_of(&actor.tenant, fresh.catalog_sha.as_deref()).await?;
        let consents = self.consents_of_found(actor, &fresh, &found).await?;
        let categories = [category];
        let ask = Ask { purpose, channel, categories: &categories, principal: None };
        let now = self.clock.now();
        let no_one = ConsentState::default();
        let none = BTreeMap::new();
        let mut wording = Wording::default();
        // Everyone unknown is decided alike: once.
        let mut unknown: Option<DecisionView> = None;
        let mut out = Vec::with_capacity(found.len());
        for answer in &found {
            let subjects = match answer {
                Found::Invalid { code, message } => {
                    out.push(Err((*code, message.clone())));
                    continue;
                }
                Found::Subjects(list) => list,
            };
            if subjects.is_empty() {
                // No one holds the contact: decide as for a subject with an empty ledger.
                let d = unknown.get_or_insert_with(|| {
                    let facts = SubjectFacts { standing: Standing::Active, underage: false, consents: &no_one, objections: &none };
                    decision_view_worded(&catalog, &facts, &ask, now, &mut wording)
                });
                out.push(Ok(ContactCheck { allowed: d.allowed, subjects: vec![], reasons: d.reasons.clone() }));
                continue;
            }
            let mut check = ContactCheck { allowed: true, subjects: Vec::with_capacity(subjects.len()), reasons: Vec::new() };
            for s in subjects {
                // Decided afresh for each contact that finds the subject (rarely more than
                // one): deciding is cheap, its words come from `wording`, and the answer
                // takes the reasons without copying them again.
                let facts = match consents.get(s.id.as_str()) {
                    Some(held) => held.facts(standing_of_ref(s)),
                    None => SubjectFacts { standing: standing_of_ref(s), underage: false, consents: &no_one, objections: &none },
                };
                let d = decision_view_worded(&catalog, &facts, &ask, now, &mut wording);
                if !d.allowed {
                    if check.allowed {
                        check.reasons.clear();
                    }
                    check.allowed = false;
                    check.reasons.extend(d.reasons);
                } else if check.allowed {
                    check.reasons.extend(d.reasons);
                }
                check.subjects.push(s.id.clone());
            }
            out.push(Ok(check));
        }
        Ok(out)
    }

    /// The held facts of every subject in `found`, loading the missing ones' consent
    /// histories in one query. Standing comes from `found` itself, read after the call began.
    async fn consents_of_found(
        &self,
        actor: &Actor,
        fresh: &crate::decision_index::Fresh,
        found: &[Found],
    ) -> Result<HashMap<String, Arc<HeldFacts>>, EngineError> {
        let all: Vec<&SubjectRef> =
            found.iter().filter_map(|f| if let Found::Subjects(list) = f { Some(list) } else { None }).flatten().collect();
        let cached = self.index.subjects(&actor.tenant, all.iter().map(|s| s.id.as_str()));
        let mut held = HashMap::new();
        let mut missing = Vec::new();
        for (s, cached) in all.into_iter().zip(cached) {
            if held.contains_key(&s.id) {
                continue;
            }
            match cached {
                Some(facts) => {
                    held.insert(s.id.clone(), facts);
                }
                None => {
                    // Placeholder so a subject found twice is asked for once.
                    held.insert(s.id.clone(), Arc::new(HeldFacts::new(standing_of_ref(s))));
                    missing.push(s.clone());
                }
            }
        }
        if missing.is_empty() {
            return Ok(held);
        }
        let ids: Vec<String> = missing.iter().map(|s| s.id.clone()).collect();
        let mut histories: HashMap<String, Vec<ConsentEventRecord>> = HashMap::new();
        for (id, event) in self.store.consent_events_many(&actor.tenant, &ids).await? {
            histories.entry(id).or_default().push(event);
        }
        let mut objections = self.objections_of(&actor.tenant, &ids).await?;
        let mut loaded = Vec::with_capacity(missing.len());
        for s in missing {
            let history = histories.remove(&s.id).unwrap_or_default();
            let objected = objections.remove(&s.id).unwrap_or_default();
            let facts = Arc::new(HeldFacts { standing: standing_of_ref(&s), consents: replay(&history)?, objections: objected });
            held.insert(s.id.clone(), facts.clone());
            loaded.push((s.id, facts));
        }
        self.index.keep_subjects(&actor.tenant, fresh, loaded);
        Ok(held)
    }
}

impl Engine {
    /// The objections of `subjects`, by subject and purpose (see `requests::execute`).
    async fn objections_of(
        &self,
        tenant: &str,
        subjects: &[String],
    ) -> Result<HashMap<String, BTreeMap<String, jiff::Timestamp>>, EngineError> {
        let mut out: HashMap<String, BTreeMap<String, jiff::Timestamp>> = HashMap::new();
        for (subject, purpose, at) in self.store.objections_many(tenant, subjects).await? {
            out.entry(subject).or_default().insert(purpose, crate::vault::micros_to_time(at));
        }
        Ok(out)
    }
}

/// The staff role a decision is asked for; `None` for an administrator, who asks on behalf
/// of the operator as a whole.
fn staff<'c>(catalog: &'c Catalog, actor: &Actor) -> Result<Option<Principal<'c>>, EngineError> {
    Ok(match crate::vault::principal_of(catalog, actor)? {
        Principal::Staff(role) => Some(Principal::Staff(role)),
        Principal::Administrator => None,
    })
}

fn standing_of(record: &SubjectRecord) -> Standing<'static> {
    match SubjectStatus::parse(&record.status) {
        SubjectStatus::Active => Standing::Active,
        SubjectStatus::Restricted => Standing::Restricted {
            since: jiff::Timestamp::from_microsecond(record.restricted_at.unwrap_or(record.updated_at)).unwrap_or_default(),
            request: None,
        },
        SubjectStatus::Erased => Standing::Erased,
    }
}

fn standing_of_ref(s: &SubjectRef) -> Standing<'static> {
    match s.status {
        SubjectStatus::Active => Standing::Active,
        SubjectStatus::Restricted => Standing::Restricted { since: s.restricted_at.unwrap_or(s.created_at), request: None },
        SubjectStatus::Erased => Standing::Erased,
    }
}
