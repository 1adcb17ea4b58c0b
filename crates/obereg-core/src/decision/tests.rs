//! Every combination of purpose, channel, categories, role, standing, consent history,
//! objection, age and basis, checked against the rules written out as one formula; then
//! the wording of the reasons people read.

use std::collections::BTreeMap;

use super::*;
use crate::catalog::{AgeRule, Role};
use crate::consent::ConsentEvent;

const VOICE_ROBOT: &str = include_str!("../../../../examples/voice-robot-calls.toml");

fn catalog() -> Catalog {
    toml::from_str(VOICE_ROBOT).unwrap()
}

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

const NOW: &str = "2026-11-21T12:00:00Z";

/// The consent history of the asked scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum History {
    None,
    Given,
    GivenByRepresentative,
    GivenTermOver,
    Withdrawn,
    Refused,
    Expired,
    /// Given, but on another channel than the one asked.
    GivenOnAnotherChannel,
}

const HISTORIES: [History; 8] = [
    History::None,
    History::Given,
    History::GivenByRepresentative,
    History::GivenTermOver,
    History::Withdrawn,
    History::Refused,
    History::Expired,
    History::GivenOnAnotherChannel,
];

fn event(scope: ConsentScope, action: ConsentAction, when: &str) -> ConsentEvent {
    ConsentEvent {
        scope,
        action,
        at: at(when),
        method: ConsentMethod::WebForm,
        document: Some("doc".into()),
        valid_until: None,
        by_representative: false,
    }
}

fn consents(history: History, scope: &ConsentScope) -> ConsentState {
    let given = |s: &ConsentScope| event(s.clone(), ConsentAction::Given, "2026-01-10T00:00:00Z");
    let events = match history {
        History::None => vec![],
        History::Given => vec![given(scope)],
        History::GivenByRepresentative => vec![ConsentEvent { by_representative: true, ..given(scope) }],
        History::GivenTermOver => vec![ConsentEvent { valid_until: Some(at("2026-06-01T00:00:00Z")), ..given(scope) }],
        History::Withdrawn => vec![given(scope), event(scope.clone(), ConsentAction::Withdrawn, "2026-10-01T00:00:00Z")],
        History::Refused => vec![event(scope.clone(), ConsentAction::Refused, "2026-10-01T00:00:00Z")],
        History::Expired => vec![given(scope), event(scope.clone(), ConsentAction::Expired, "2026-10-01T00:00:00Z")],
        History::GivenOnAnotherChannel => vec![given(&ConsentScope { channel: Some(Channel::Sms), ..scope.clone() })],
    };
    ConsentState::replay(&events).unwrap()
}

/// The rules as one formula, independent of `decide`'s structure.
#[allow(clippy::too_many_arguments)]
fn expected(
    catalog: &Catalog,
    purpose: &Purpose,
    channel: Option<Channel>,
    categories: &[&str],
    role: Option<&Role>,
    standing: Standing<'_>,
    history: History,
    objected: bool,
    underage: Option<UnderageAction>,
) -> bool {
    let basis = purpose.basis.as_ref().and_then(|b| b.ru);
    let needs_consent = purpose.marketing || basis.is_some_and(|b| matches!(b, RuBasis::Consent | RuBasis::WrittenConsent));
    let cats: Vec<&String> = purpose.required_categories.iter().chain(&purpose.optional_categories).collect();
    let request_ok = !(purpose.marketing && channel.is_none())
        && channel.is_none_or(|c| purpose.channels.contains(&c))
        && categories.iter().all(|c| cats.iter().any(|p| p == c));
    let role_ok = role.is_none_or(|r| r.purposes.contains(&purpose.id) && categories.iter().all(|c| r.categories.iter().any(|rc| rc == c)));
    let consent_ok = match history {
        History::Given => underage != Some(UnderageAction::ParentalConsent),
        History::GivenByRepresentative => true,
        // A non-marketing purpose is asked without its channel: consent on SMS is not it.
        _ => false,
    };
    let underage_ok = !matches!(underage, Some(UnderageAction::Destroy | UnderageAction::Block));
    let objection_ok = !(objected && (purpose.marketing || basis == Some(RuBasis::LegitimateInterests)));
    let _ = catalog;
    request_ok
        && role_ok
        && standing == Standing::Active
        && underage_ok
        && basis.is_some()
        && (!needs_consent || consent_ok)
        && objection_ok
}

#[test]
fn every_combination_follows_the_rules() {
    let mut checked = 0;
    for legitimate in [false, true] {
        for age_action in [None, Some(UnderageAction::Destroy), Some(UnderageAction::Block), Some(UnderageAction::ParentalConsent)] {
            let mut catalog = catalog();
            if legitimate {
                let p = catalog.purposes.iter_mut().find(|p| p.id == "robot_calls").unwrap();
                p.basis.as_mut().unwrap().ru = Some(RuBasis::LegitimateInterests);
            }
            if let Some(action) = age_action {
                catalog.age = Some(AgeRule { minimum: 18, on_underage: action });
            }
            let roles: Vec<Option<&Role>> =
                std::iter::once(None).chain(["support", "marketing"].iter().map(|id| catalog.roles.iter().find(|r| r.id == *id))).collect();
            for purpose_id in ["account", "robot_calls", "payments", "product_news", "site_analytics"] {
                let purpose = catalog.purposes.iter().find(|p| p.id == purpose_id).unwrap();
                for channel in [None, Some(Channel::Email), Some(Channel::Sms)] {
                    for categories in [&[][..], &["contact.email"][..], &["contact.phone"][..]] {
                        for role in &roles {
                            for standing in [
                                Standing::Active,
                                Standing::Restricted { since: at("2026-11-01T00:00:00Z"), request: Some("R-7") },
                                Standing::Erased,
                            ] {
                                for history in HISTORIES {
                                    for objected in [false, true] {
                                        let scope = ConsentScope {
                                            purpose: purpose_id.into(),
                                            channel: if purpose.marketing { channel } else { None },
                                            cookie: None,
                                        };
                                        let state = consents(history, &scope);
                                        let objections: BTreeMap<String, jiff::Timestamp> = if objected {
                                            [(purpose_id.to_owned(), at("2026-09-01T00:00:00Z"))].into()
                                        } else {
                                            BTreeMap::new()
                                        };
                                        let underage = age_action.is_some();
                                        let facts = SubjectFacts { standing, underage, consents: &state, objections: &objections };
                                        let ask = Ask { purpose: purpose_id, channel, categories, principal: role.map(Principal::Staff) };
                                        let decision = decide(&catalog, &facts, &ask, at(NOW));
                                        let want = expected(
                                            &catalog, purpose, channel, categories, *role, standing, history, objected, age_action,
                                        );
                                        assert_eq!(
                                            decision.allowed,
                                            want,
                                            "{purpose_id} {channel:?} {categories:?} {:?} {standing:?} {history:?} objected={objected} age={age_action:?} li={legitimate}: {:?}",
                                            role.map(|r| &r.id),
                                            decision.reasons
                                        );
                                        assert!(!decision.reasons.is_empty());
                                        assert!(decision.reasons.iter().all(|r| r.denies() != decision.allowed), "{:?}", decision.reasons);
                                        assert_eq!(decision.basis, purpose.basis.as_ref().and_then(|b| b.ru));
                                        checked += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 2 * 4 * 5 * 3 * 3 * 3 * 3 * 8 * 2);
}

fn decide_one<'a>(catalog: &'a Catalog, facts: &SubjectFacts<'a>, ask: Ask<'a>) -> Decision<'a> {
    decide(catalog, facts, &ask, at(NOW))
}

#[test]
fn reasons_say_what_happened_when_and_how() {
    let catalog = catalog();
    let scope = ConsentScope::channel("product_news", Channel::Email);
    let state = ConsentState::replay(&[
        event(scope.clone(), ConsentAction::Given, "2026-01-10T00:00:00Z"),
        ConsentEvent { method: ConsentMethod::UnsubscribeLink, ..event(scope, ConsentAction::Withdrawn, "2026-10-01T08:00:00Z") },
    ])
    .unwrap();
    let none = BTreeMap::new();
    let facts = SubjectFacts { standing: Standing::Active, underage: false, consents: &state, objections: &none };
    let ask = Ask { purpose: "product_news", channel: Some(Channel::Email), categories: &[], principal: None };
    let d = decide_one(&catalog, &facts, ask);
    assert!(!d.allowed);
    assert_eq!(d.reasons[0].code(), "decision.consent_withdrawn");
    let text = d.reasons[0].explain();
    assert_eq!(text.en, "consent to `product_news` by email withdrawn on 2026-10-01 via unsubscribe link");
    assert_eq!(text.ru, "согласие на `product_news` (канал «электронная почта»): отозвано 2026-10-01 (ссылка отписки)");

    let restricted = SubjectFacts { standing: Standing::Restricted { since: at("2026-11-02T00:00:00Z"), request: Some("R-12") }, ..facts };
    let d = decide_one(&catalog, &restricted, Ask { purpose: "account", channel: None, categories: &[], principal: None });
    assert_eq!(d.reasons[0].explain().en, "the subject is restricted by request R-12 since 2026-11-02");

    let marketing = catalog.roles.iter().find(|r| r.id == "support").unwrap();
    let d = decide_one(
        &catalog,
        &facts,
        Ask { purpose: "product_news", channel: Some(Channel::Email), categories: &[], principal: Some(Principal::Staff(marketing)) },
    );
    assert_eq!(d.reasons[0].explain().en, "role `support` may not use purpose `product_news`");

    let d = decide_one(&catalog, &facts, Ask { purpose: "account", channel: None, categories: &["contact.email"], principal: None });
    assert!(d.allowed);
    assert_eq!(d.reasons[0].explain().en, "`account` is processed on a contract with the subject (art. 6 p.1 item 5)");

    let d = decide_one(&catalog, &facts, Ask { purpose: "no_such", channel: None, categories: &[], principal: None });
    assert_eq!((d.allowed, d.reasons[0].code()), (false, "decision.unknown_purpose"));
}

#[test]
fn reasons_worded_alike_keep_their_words_and_meet_within_a_day() {
    let consent = |when: &str| Reason::Consent {
        purpose: "product_news",
        channel: Some(Channel::Email),
        at: at(when),
        method: ConsentMethod::WebForm,
        by_representative: false,
    };
    let (morning, evening, next) = (consent("2026-03-01T06:15:00Z"), consent("2026-03-01T23:59:59Z"), consent("2026-03-02T00:00:00Z"));
    assert_eq!(morning.worded_alike(), evening.worded_alike());
    assert_ne!(morning.worded_alike(), next.worded_alike());
    let restricted = Reason::Restricted { since: at("2026-03-01T12:00:00Z"), request: Some("r-1") };
    let objected = Reason::Objected { purpose: "product_news", at: at("1969-12-31T23:00:00Z") };
    let ended = Reason::ConsentEnded {
        purpose: "product_news",
        channel: None,
        action: ConsentAction::Withdrawn,
        at: at("2026-03-01T12:00:00Z"),
        method: ConsentMethod::UnsubscribeLink,
    };
    let over = Reason::ConsentTermOver { purpose: "product_news", channel: None, at: at("2026-03-01T12:00:00Z") };
    for reason in [morning, evening, next, restricted, objected, ended, over, Reason::Erased] {
        assert_eq!(reason.worded_alike().explain(), reason.explain(), "{reason:?}");
        assert_eq!(reason.worded_alike().code(), reason.code());
    }
}
