//! Decisions: may a subject's data be used for a purpose (through a channel, by a role),
//! and on what grounds, as a pure function of the catalog, the subject's standing, its
//! consent ledger and objections.
//!
//! [`decide`] checks, in this order, and collects every reason that denies:
//! 1. the request: the purpose exists, a marketing purpose names a channel the purpose
//!    declares (38-FZ art. 18 asks consent per channel), the categories are ones the
//!    purpose processes;
//! 2. the role, when a staff member asks: granted the purpose and the categories;
//! 3. the subject: erased, or restricted (blocked: nothing but storage, 152-FZ art. 3 p.10);
//! 4. the legal basis: a purpose without a 152-FZ basis is processed for no one; a consent
//!    basis (and every marketing purpose) needs the scope's last ledger event to be a
//!    consent still within its term;
//! 5. objections: an objection stops marketing and processing on legitimate interests;
//! 6. the age rule: a subject known to be under the catalog's minimum age is processed only
//!    if the rule allows parental consent, and then only on a representative's consent.
//!
//! It allocates only the reason list and formats text only when asked
//! ([`Reason::explain`]), so the engine can decide for a million subjects a second.

use std::collections::BTreeMap;

use crate::access::Principal;
use crate::catalog::{Catalog, Channel, Purpose, RuBasis, UnderageAction};
use crate::consent::{ConsentAction, ConsentMethod, ConsentScope, ConsentState};
use crate::text::Bilingual;

/// Where the subject stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing<'a> {
    Active,
    /// Blocked since `since`, by the request `request` when one is known.
    Restricted {
        since: jiff::Timestamp,
        request: Option<&'a str>,
    },
    Erased,
}

/// What the decision knows about the subject.
#[derive(Debug, Clone, Copy)]
pub struct SubjectFacts<'a> {
    pub standing: Standing<'a>,
    /// Known to be under the catalog's minimum age.
    pub underage: bool,
    pub consents: &'a ConsentState,
    /// Objections by purpose, with when they were made.
    pub objections: &'a BTreeMap<String, jiff::Timestamp>,
}

/// What is asked.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    pub purpose: &'a str,
    pub channel: Option<Channel>,
    pub categories: &'a [&'a str],
    /// The staff member asking, if one does; `None` for the operator's own systems.
    pub principal: Option<Principal<'a>>,
}

/// One ground of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reason<'a> {
    UnknownPurpose(&'a str),
    ChannelRequired {
        purpose: &'a str,
    },
    ChannelNotDeclared {
        purpose: &'a str,
        channel: Channel,
    },
    CategoryNotProcessed {
        purpose: &'a str,
        category: &'a str,
    },
    RoleLacksPurpose {
        role: &'a str,
        purpose: &'a str,
    },
    RoleLacksCategory {
        role: &'a str,
        category: &'a str,
    },
    Erased,
    Restricted {
        since: jiff::Timestamp,
        request: Option<&'a str>,
    },
    NoBasis {
        purpose: &'a str,
    },
    NoConsent {
        purpose: &'a str,
        channel: Option<Channel>,
    },
    ConsentEnded {
        purpose: &'a str,
        channel: Option<Channel>,
        action: ConsentAction,
        at: jiff::Timestamp,
        method: ConsentMethod,
    },
    ConsentTermOver {
        purpose: &'a str,
        channel: Option<Channel>,
        at: jiff::Timestamp,
    },
    RepresentativeConsentRequired {
        purpose: &'a str,
    },
    Objected {
        purpose: &'a str,
        at: jiff::Timestamp,
    },
    Underage {
        action: UnderageAction,
    },
    /// Allows: a consent in force.
    Consent {
        purpose: &'a str,
        channel: Option<Channel>,
        at: jiff::Timestamp,
        method: ConsentMethod,
        by_representative: bool,
    },
    /// Allows: a basis other than consent.
    Basis {
        purpose: &'a str,
        basis: RuBasis,
    },
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'a> {
    pub allowed: bool,
    /// The purpose's 152-FZ basis, when the purpose has one.
    pub basis: Option<RuBasis>,
    /// Every denying reason when denied; the allowing ground when allowed.
    pub reasons: Vec<Reason<'a>>,
}

/// Decides `ask` for a subject at `now` (see the module documentation).
pub fn decide<'a>(catalog: &'a Catalog, subject: &SubjectFacts<'a>, ask: &Ask<'a>, now: jiff::Timestamp) -> Decision<'a> {
    let Some(purpose) = catalog.purposes.iter().find(|p| p.id == ask.purpose) else {
        return Decision { allowed: false, basis: None, reasons: vec![Reason::UnknownPurpose(ask.purpose)] };
    };
    let id = purpose.id.as_str();
    let basis = purpose.basis.as_ref().and_then(|b| b.ru);
    let mut denied = Vec::new();

    match ask.channel {
        None if purpose.marketing => denied.push(Reason::ChannelRequired { purpose: id }),
        Some(channel) if !purpose.channels.contains(&channel) => denied.push(Reason::ChannelNotDeclared { purpose: id, channel }),
        _ => {}
    }
    for category in ask.categories {
        if !processes(purpose, category) {
            denied.push(Reason::CategoryNotProcessed { purpose: id, category });
        }
    }
    if let Some(Principal::Staff(role)) = ask.principal {
        if !role.purposes.iter().any(|p| p == id) {
            denied.push(Reason::RoleLacksPurpose { role: &role.id, purpose: id });
        }
        for category in ask.categories {
            if !role.categories.iter().any(|c| c == category) {
                denied.push(Reason::RoleLacksCategory { role: &role.id, category });
            }
        }
    }
    match subject.standing {
        Standing::Active => {}
        Standing::Restricted { since, request } => denied.push(Reason::Restricted { since, request }),
        Standing::Erased => denied.push(Reason::Erased),
    }

    let underage_action = catalog.age.filter(|_| subject.underage).map(|rule| rule.on_underage);
    if let Some(action @ (UnderageAction::Destroy | UnderageAction::Block)) = underage_action {
        denied.push(Reason::Underage { action });
    }

    let channel = if purpose.marketing { ask.channel } else { None };
    let mut ground = None;
    match basis {
        None => denied.push(Reason::NoBasis { purpose: id }),
        Some(b) if b.is_consent() || purpose.marketing => {
            let scope = ConsentScope { purpose: id.to_owned(), channel, cookie: None };
            match subject.consents.last(&scope) {
                None => denied.push(Reason::NoConsent { purpose: id, channel }),
                Some(e) if e.action != ConsentAction::Given => {
                    denied.push(Reason::ConsentEnded { purpose: id, channel, action: e.action, at: e.at, method: e.method });
                }
                Some(e) => match e.valid_until {
                    Some(until) if until <= now => denied.push(Reason::ConsentTermOver { purpose: id, channel, at: until }),
                    _ if underage_action == Some(UnderageAction::ParentalConsent) && !e.by_representative => {
                        denied.push(Reason::RepresentativeConsentRequired { purpose: id });
                    }
                    _ => {
                        ground = Some(Reason::Consent {
                            purpose: id,
                            channel,
                            at: e.at,
                            method: e.method,
                            by_representative: e.by_representative,
                        })
                    }
                },
            }
        }
        Some(b) => ground = Some(Reason::Basis { purpose: id, basis: b }),
    }
    if (purpose.marketing || basis == Some(RuBasis::LegitimateInterests))
        && let Some(at) = subject.objections.get(id)
    {
        denied.push(Reason::Objected { purpose: id, at: *at });
    }

    if denied.is_empty() {
        Decision { allowed: true, basis, reasons: ground.into_iter().collect() }
    } else {
        Decision { allowed: false, basis, reasons: denied }
    }
}

fn processes(purpose: &Purpose, category: &str) -> bool {
    purpose.required_categories.iter().chain(&purpose.optional_categories).any(|c| c == category)
}

impl Reason<'_> {
    /// A stable code for the reason.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::UnknownPurpose(_) => "decision.unknown_purpose",
            Reason::ChannelRequired { .. } => "decision.channel_required",
            Reason::ChannelNotDeclared { .. } => "decision.channel_not_declared",
            Reason::CategoryNotProcessed { .. } => "decision.category_not_processed",
            Reason::RoleLacksPurpose { .. } => "decision.role_lacks_purpose",
            Reason::RoleLacksCategory { .. } => "decision.role_lacks_category",
            Reason::Erased => "decision.subject_erased",
            Reason::Restricted { .. } => "decision.subject_restricted",
            Reason::NoBasis { .. } => "decision.no_basis",
            Reason::NoConsent { .. } => "decision.no_consent",
            Reason::ConsentEnded { action: ConsentAction::Refused, .. } => "decision.consent_refused",
            Reason::ConsentEnded { action: ConsentAction::Expired, .. } => "decision.consent_expired",
            Reason::ConsentEnded { .. } => "decision.consent_withdrawn",
            Reason::ConsentTermOver { .. } => "decision.consent_expired",
            Reason::RepresentativeConsentRequired { .. } => "decision.representative_consent_required",
            Reason::Objected { .. } => "decision.objected",
            Reason::Underage { .. } => "decision.underage",
            Reason::Consent { .. } => "decision.consent_given",
            Reason::Basis { .. } => "decision.basis",
        }
    }

    /// The reason in words, in both languages; names ids from the catalog and dates, never
    /// a personal value.
    pub fn explain(&self) -> Bilingual {
        let (en, ru) = match self {
            Reason::UnknownPurpose(p) => (format!("purpose `{p}` is not in the catalog"), format!("цели `{p}` нет в каталоге")),
            Reason::ChannelRequired { purpose } => (
                format!("purpose `{purpose}` is marketing: name the channel (consent is per channel)"),
                format!("цель `{purpose}` — реклама: укажите канал (согласие даётся по каждому каналу)"),
            ),
            Reason::ChannelNotDeclared { purpose, channel } => (
                format!("purpose `{purpose}` does not contact subjects by {}", channel_name(*channel).en),
                format!("цель `{purpose}` не предусматривает связь через канал «{}»", channel_name(*channel).ru),
            ),
            Reason::CategoryNotProcessed { purpose, category } => {
                (format!("purpose `{purpose}` does not process `{category}`"), format!("цель `{purpose}` не обрабатывает `{category}`"))
            }
            Reason::RoleLacksPurpose { role, purpose } => {
                (format!("role `{role}` may not use purpose `{purpose}`"), format!("роли `{role}` не разрешена цель `{purpose}`"))
            }
            Reason::RoleLacksCategory { role, category } => {
                (format!("role `{role}` may not use `{category}`"), format!("роли `{role}` не разрешена категория `{category}`"))
            }
            Reason::Erased => ("the subject's data was destroyed".into(), "данные субъекта уничтожены".into()),
            Reason::Restricted { since, request } => match request {
                Some(r) => (
                    format!("the subject is restricted by request {r} since {}", day(*since)),
                    format!("обработка данных субъекта заблокирована по запросу {r} с {}", day(*since)),
                ),
                None => (
                    format!("the subject is restricted since {}", day(*since)),
                    format!("обработка данных субъекта заблокирована с {}", day(*since)),
                ),
            },
            Reason::NoBasis { purpose } => (
                format!("purpose `{purpose}` has no 152-FZ legal basis in the catalog"),
                format!("у цели `{purpose}` в каталоге нет правового основания по 152-ФЗ"),
            ),
            Reason::NoConsent { purpose, channel } => (
                format!("no consent to `{purpose}`{} was recorded", by(*channel).en),
                format!("согласие на `{purpose}`{} не зарегистрировано", by(*channel).ru),
            ),
            Reason::ConsentEnded { purpose, channel, action, at, method } => {
                let (verb_en, verb_ru) = match action {
                    ConsentAction::Refused => ("refused", "отказ от согласия"),
                    ConsentAction::Expired => ("expired", "истекло"),
                    _ => ("withdrawn", "отозвано"),
                };
                let m = method.describe();
                (
                    format!("consent to `{purpose}`{} {verb_en} on {} via {}", by(*channel).en, day(*at), m.en),
                    format!("согласие на `{purpose}`{}: {verb_ru} {} ({})", by(*channel).ru, day(*at), m.ru),
                )
            }
            Reason::ConsentTermOver { purpose, channel, at } => (
                format!("consent to `{purpose}`{} ran out on {}", by(*channel).en, day(*at)),
                format!("срок согласия на `{purpose}`{} истёк {}", by(*channel).ru, day(*at)),
            ),
            Reason::RepresentativeConsentRequired { purpose } => (
                format!("the subject is under age: `{purpose}` needs the consent of a parent or guardian"),
                format!("субъект несовершеннолетний: для `{purpose}` нужно согласие законного представителя"),
            ),
            Reason::Objected { purpose, at } => (
                format!("the subject objected to `{purpose}` on {}", day(*at)),
                format!("субъект возразил против `{purpose}` {}", day(*at)),
            ),
            Reason::Underage { action } => match action {
                UnderageAction::Destroy => (
                    "the subject is under the catalog's minimum age: the data is to be destroyed".into(),
                    "субъект младше минимального возраста по каталогу: данные подлежат уничтожению".into(),
                ),
                _ => (
                    "the subject is under the catalog's minimum age: processing is blocked".into(),
                    "субъект младше минимального возраста по каталогу: обработка заблокирована".into(),
                ),
            },
            Reason::Consent { purpose, channel, at, method, by_representative } => {
                let m = method.describe();
                let (rep_en, rep_ru) = if *by_representative {
                    (" by a legal representative", " законным представителем")
                } else {
                    ("", "")
                };
                (
                    format!("consent to `{purpose}`{} given{rep_en} on {} via {}", by(*channel).en, day(*at), m.en),
                    format!("согласие на `{purpose}`{} дано{rep_ru} {} ({})", by(*channel).ru, day(*at), m.ru),
                )
            }
            Reason::Basis { purpose, basis } => {
                let b = basis_name(*basis);
                (format!("`{purpose}` is processed on {}", b.en), format!("`{purpose}` обрабатывается на основании: {}", b.ru))
            }
        };
        Bilingual::new(en, ru)
    }

    /// The same reason with every time cut back to the start of its UTC day: what
    /// [`explain`](Self::explain) shows of a time, so reasons equal in this read the same.
    /// A caller wording many decisions keys its words by it (consents are given at all
    /// hours; the words name the day).
    pub fn worded_alike(&self) -> Self {
        let to_day = |t: &jiff::Timestamp| {
            const DAY: i64 = 86_400_000_000;
            jiff::Timestamp::from_microsecond(t.as_microsecond().div_euclid(DAY) * DAY).unwrap_or(*t)
        };
        let mut alike = self.clone();
        match &mut alike {
            Reason::Restricted { since: t, .. }
            | Reason::ConsentEnded { at: t, .. }
            | Reason::ConsentTermOver { at: t, .. }
            | Reason::Objected { at: t, .. }
            | Reason::Consent { at: t, .. } => *t = to_day(t),
            _ => {}
        }
        alike
    }

    /// Whether this reason denies.
    pub fn denies(&self) -> bool {
        !matches!(self, Reason::Consent { .. } | Reason::Basis { .. })
    }
}

fn day(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d").to_string()
}

fn by(channel: Option<Channel>) -> Bilingual {
    match channel {
        Some(c) => {
            let name = channel_name(c);
            Bilingual::new(format!(" by {}", name.en), format!(" (канал «{}»)", name.ru))
        }
        None => Bilingual::new("", ""),
    }
}

/// A channel's name in both languages.
pub fn channel_name(channel: Channel) -> Bilingual {
    let (en, ru) = match channel {
        Channel::Email => ("email", "электронная почта"),
        Channel::Sms => ("SMS", "SMS"),
        Channel::PhoneCall => ("phone", "телефонный звонок"),
        Channel::AutomatedCall => ("automated call", "звонок робота"),
        Channel::Messenger => ("messenger", "мессенджер"),
        Channel::Post => ("post", "почта"),
    };
    Bilingual::new(en, ru)
}

pub(crate) fn basis_name(basis: RuBasis) -> Bilingual {
    let (en, ru) = match basis {
        RuBasis::Consent => ("consent (152-FZ art. 6 p.1 item 1)", "согласие (ст. 6 ч. 1 п. 1 152-ФЗ)"),
        RuBasis::WrittenConsent => ("written consent (152-FZ art. 9 p.4)", "письменное согласие (ст. 9 ч. 4 152-ФЗ)"),
        RuBasis::Law => ("a federal law (art. 6 p.1 item 2)", "федеральный закон (ст. 6 ч. 1 п. 2)"),
        RuBasis::Justice => ("justice (art. 6 p.1 item 3)", "правосудие (ст. 6 ч. 1 п. 3)"),
        RuBasis::PublicServices => ("public services (art. 6 p.1 item 4)", "государственные услуги (ст. 6 ч. 1 п. 4)"),
        RuBasis::Contract => ("a contract with the subject (art. 6 p.1 item 5)", "договор с субъектом (ст. 6 ч. 1 п. 5)"),
        RuBasis::VitalInterests => ("vital interests (art. 6 p.1 item 6)", "жизненно важные интересы (ст. 6 ч. 1 п. 6)"),
        RuBasis::LegitimateInterests => ("legitimate interests (art. 6 p.1 item 7)", "законные интересы (ст. 6 ч. 1 п. 7)"),
        RuBasis::JournalismScienceArt => {
            ("journalism, science or art (art. 6 p.1 item 8)", "журналистика, наука, искусство (ст. 6 ч. 1 п. 8)")
        }
        RuBasis::StatisticsAnonymised => {
            ("statistics with anonymisation (art. 6 p.1 item 9)", "статистика с обезличиванием (ст. 6 ч. 1 п. 9)")
        }
        RuBasis::MandatoryPublication => ("mandatory publication (art. 6 p.1 item 11)", "обязательное раскрытие (ст. 6 ч. 1 п. 11)"),
    };
    Bilingual::new(en, ru)
}

#[cfg(test)]
mod tests;
