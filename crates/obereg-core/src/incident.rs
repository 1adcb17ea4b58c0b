//! Personal-data breaches (incidents) on their legal clocks, as pure functions of the facts
//! and the current time.
//!
//! The clocks start at **detection** and run in clock hours, not working days (law.md INC-1):
//! - 152-FZ art. 21 p.3.1 item 1: the first notice to Roskomnadzor within **24 hours** —
//!   what happened, presumed causes, presumed harm, measures taken, and who deals with RKN
//!   about it (INC-2);
//! - art. 21 p.3.1 item 2: the investigation results within **72 hours** — the results and
//!   who caused the incident, if anyone (INC-3);
//! - GDPR art. 33, where the operator answers to the GDPR: the supervisory authority within
//!   **72 hours** of becoming aware, with the art. 33(3) items (GDPR-18).
//!
//! A suspected incident runs the same clocks as a confirmed one: the law counts from
//! detection, and waiting for certainty is how notices come late. An incident found not to be
//! a breach is dismissed, which stops its clocks; one whose notices are all sent is closed.
//!
//! Nothing here reads a database or the clock: callers pass `now`, which is what makes the
//! deadlines testable by moving time (see the tests below).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::Bilingual;

/// How far an incident has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Reported, not yet confirmed: the clocks run all the same.
    Suspected,
    /// Confirmed as a breach of subjects' rights.
    Confirmed,
    /// Found not to be a breach; the clocks stop (the reason stays on record).
    Dismissed,
    /// Every notice that was due has been sent.
    Closed,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Suspected => "suspected",
            IncidentStatus::Confirmed => "confirmed",
            IncidentStatus::Dismissed => "dismissed",
            IncidentStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Suspected, Self::Confirmed, Self::Dismissed, Self::Closed].into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the notice clocks still run.
    pub fn open(self) -> bool {
        matches!(self, Self::Suspected | Self::Confirmed)
    }
}

/// A notice an incident may owe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 152-FZ art. 21 p.3.1 item 1: Roskomnadzor, 24 hours.
    RknInitial,
    /// 152-FZ art. 21 p.3.1 item 2: Roskomnadzor, 72 hours, the investigation's results.
    RknFollowUp,
    /// GDPR art. 33: the supervisory authority, 72 hours.
    GdprAuthority,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 3] = [NoticeKind::RknInitial, NoticeKind::RknFollowUp, NoticeKind::GdprAuthority];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::RknInitial => "rkn_initial",
            NoticeKind::RknFollowUp => "rkn_follow_up",
            NoticeKind::GdprAuthority => "gdpr_authority",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The time allowed from detection.
    pub fn allowed(self) -> SignedDuration {
        match self {
            NoticeKind::RknInitial => SignedDuration::from_hours(24),
            NoticeKind::RknFollowUp | NoticeKind::GdprAuthority => SignedDuration::from_hours(72),
        }
    }

    /// The norm that sets the clock.
    pub fn norm(self) -> Bilingual {
        match self {
            NoticeKind::RknInitial => Bilingual::new("152-FZ art. 21 p.3.1 item 1", "п. 1 ч. 3.1 ст. 21 152-ФЗ"),
            NoticeKind::RknFollowUp => Bilingual::new("152-FZ art. 21 p.3.1 item 2", "п. 2 ч. 3.1 ст. 21 152-ФЗ"),
            NoticeKind::GdprAuthority => Bilingual::new("GDPR art. 33", "ст. 33 GDPR"),
        }
    }
}

/// The person who deals with the authority about the incident.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentContact {
    pub name: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

/// What is known about an incident. Free texts describe systems and causes, never the
/// subjects themselves: the incident record is not a place for personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentFacts {
    /// When the operator (or RKN, or anyone) detected it: the clocks start here.
    pub detected_at: Timestamp,
    /// What happened.
    pub description: String,
    /// Systems involved (servers, services, databases).
    #[serde(default)]
    pub systems: Vec<String>,
    /// Catalog categories of data involved.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Kinds of subjects involved (catalog subject kinds).
    #[serde(default)]
    pub subject_kinds: Vec<String>,
    /// How many subjects, as far as known.
    pub subjects_count: Option<u64>,
    /// How many records, as far as known (GDPR art. 33(3)(a)).
    pub records_count: Option<u64>,
    /// Special categories (152-FZ art. 10) or biometric data (art. 11) are involved.
    #[serde(default)]
    pub special_or_biometric: bool,
    /// The breach is likely to result in a high risk to subjects' rights (GDPR art. 34):
    /// under the GDPR the subjects themselves must then be told.
    #[serde(default)]
    pub high_risk: bool,
    /// Presumed causes.
    #[serde(default)]
    pub causes: String,
    /// Presumed harm to subjects' rights (with the preliminary harm assessment).
    #[serde(default)]
    pub harm: String,
    /// Measures taken (or, for GDPR, proposed) to remove the consequences.
    #[serde(default)]
    pub measures: String,
    pub contact: Option<IncidentContact>,
    /// The internal investigation's results.
    #[serde(default)]
    pub investigation: String,
    /// Who caused the incident, if anyone is known (persons or organisations).
    #[serde(default)]
    pub caused_by: String,
    /// Why a GDPR notice comes after 72 hours, when it does (art. 33(1)).
    #[serde(default)]
    pub delay_reason: String,
}

/// A field a notice needs, by name (the API's field name).
pub type Field = &'static str;

/// The fields `kind` needs before it can be sent, that `facts` lacks.
pub fn missing_fields(kind: NoticeKind, facts: &IncidentFacts) -> Vec<Field> {
    let blank = |s: &str| s.trim().is_empty();
    let contact_missing = facts.contact.as_ref().is_none_or(|c| blank(&c.name) || (blank(&c.email) && blank(&c.phone)));
    let mut missing = Vec::new();
    let mut need = |absent: bool, field: Field| {
        if absent {
            missing.push(field);
        }
    };
    match kind {
        NoticeKind::RknInitial => {
            need(blank(&facts.description), "description");
            need(blank(&facts.causes), "causes");
            need(blank(&facts.harm), "harm");
            need(blank(&facts.measures), "measures");
            need(contact_missing, "contact");
        }
        NoticeKind::RknFollowUp => {
            need(blank(&facts.investigation), "investigation");
        }
        NoticeKind::GdprAuthority => {
            need(blank(&facts.description), "description");
            need(facts.categories.is_empty(), "categories");
            need(facts.subjects_count.is_none(), "subjects_count");
            need(facts.records_count.is_none(), "records_count");
            need(blank(&facts.harm), "harm");
            need(blank(&facts.measures), "measures");
            need(contact_missing, "contact");
        }
    }
    missing
}

/// Where one notice stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ClockState {
    /// Not due yet; `remind` is true once the reminder point has passed.
    Running { remaining_seconds: i64, remind: bool },
    /// Past due and not sent.
    Overdue { late_seconds: i64 },
    /// Sent by the deadline.
    SentOnTime,
    /// Sent after the deadline.
    SentLate { late_seconds: i64 },
    /// The incident was dismissed before the notice was due: it is not owed.
    NotOwed,
}

/// One notice's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct NoticeClock {
    pub kind: NoticeKind,
    pub due: Timestamp,
    pub state: ClockState,
}

/// The share of the allowed time after which the people on duty are reminded: a quarter of
/// it left (6 hours before the 24-hour notice, 18 before a 72-hour one).
const REMIND_AT_REMAINING: (i64, i64) = (1, 4);

/// The notices an incident owes: the two Roskomnadzor ones always (152-FZ binds every
/// operator of Russian subjects' data), the GDPR one when the operator answers to the GDPR.
pub fn owed_notices(gdpr: bool) -> Vec<NoticeKind> {
    NoticeKind::ALL.into_iter().filter(|k| gdpr || *k != NoticeKind::GdprAuthority).collect()
}

/// The clocks of every owed notice at `now`. `sent` holds when each notice went out;
/// `dismissed_at` is when the incident was found not to be a breach, if it was.
pub fn clocks(
    detected_at: Timestamp,
    gdpr: bool,
    sent: &[(NoticeKind, Timestamp)],
    dismissed_at: Option<Timestamp>,
    now: Timestamp,
) -> Vec<NoticeClock> {
    owed_notices(gdpr)
        .into_iter()
        .map(|kind| {
            let due = detected_at.saturating_add(kind.allowed()).unwrap_or(Timestamp::MAX);
            let sent_at = sent.iter().filter(|(k, _)| *k == kind).map(|(_, at)| *at).min();
            let state = match (sent_at, dismissed_at) {
                (Some(at), _) if at <= due => ClockState::SentOnTime,
                (Some(at), _) => ClockState::SentLate { late_seconds: at.duration_since(due).as_secs() },
                (None, Some(dismissed)) if dismissed <= due => ClockState::NotOwed,
                (None, _) if now > due => ClockState::Overdue { late_seconds: now.duration_since(due).as_secs() },
                (None, _) => {
                    let remaining = due.duration_since(now).as_secs();
                    let allowed = kind.allowed().as_secs();
                    ClockState::Running {
                        remaining_seconds: remaining,
                        remind: remaining * REMIND_AT_REMAINING.1 <= allowed * REMIND_AT_REMAINING.0,
                    }
                }
            };
            NoticeClock { kind, due, state }
        })
        .collect()
}

/// Whether the subjects must be told (GDPR art. 34: under the GDPR, when the risk is high;
/// special or biometric data counts as high risk), or may be (152-FZ asks no such notice,
/// law.md INC-6).
pub fn subjects_must_be_told(gdpr: bool, facts: &IncidentFacts) -> bool {
    gdpr && (facts.high_risk || facts.special_or_biometric)
}

/// The operator's details a notice names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeOperator {
    pub name_ru: String,
    pub name_en: String,
    pub inn: String,
    pub ogrn: String,
    pub address: String,
    pub registry_number: String,
}

/// A notice rendered as plain text, ready to be pasted into the authority's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedNotice {
    pub kind: NoticeKind,
    pub title: String,
    pub text: String,
}

/// Why a notice cannot be rendered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFields(pub Vec<Field>);

fn moscow(t: Timestamp) -> String {
    // Moscow keeps UTC+3 all year.
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).strftime("%Y-%m-%d %H:%M (МСК)").to_string()
}

fn or_unknown(n: Option<u64>, unknown: &str) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| unknown.to_owned())
}

fn contact_line(c: &IncidentContact) -> String {
    [c.name.as_str(), c.position.as_str(), c.email.as_str(), c.phone.as_str()]
        .into_iter()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Renders notice `kind`: the Roskomnadzor ones in Russian (the language of the register),
/// the GDPR one in English. Refuses, naming the fields, while a required field is empty.
pub fn render_notice(
    kind: NoticeKind,
    incident_id: &str,
    facts: &IncidentFacts,
    operator: &NoticeOperator,
    now: Timestamp,
) -> Result<RenderedNotice, MissingFields> {
    let missing = missing_fields(kind, facts);
    if !missing.is_empty() {
        return Err(MissingFields(missing));
    }
    let contact = facts.contact.as_ref().map(contact_line).unwrap_or_default();
    let list = |items: &[String], none: &str| if items.is_empty() { none.to_owned() } else { items.join(", ") };
    let (title, text) = match kind {
        NoticeKind::RknInitial | NoticeKind::RknFollowUp => {
            let mut head = format!(
                "Оператор: {name}\nИНН: {inn}\nОГРН: {ogrn}\nАдрес: {address}\nРегистрационный номер в реестре операторов: {reg}\n\
                 Инцидент: {incident_id}\nДата и время выявления: {detected}\n",
                name = operator.name_ru,
                inn = operator.inn,
                ogrn = operator.ogrn,
                address = operator.address,
                reg = if operator.registry_number.is_empty() { "—" } else { &operator.registry_number },
                detected = moscow(facts.detected_at),
            );
            if kind == NoticeKind::RknInitial {
                head.push_str(&format!(
                    "\n1. Произошедший инцидент: {description}\n   Затронутые системы: {systems}\n   Категории персональных данных: {categories}\n   \
                     Категории субъектов: {kinds}; число субъектов: {subjects}\n   Специальные категории или биометрические данные: {special}\n\
                     2. Предполагаемые причины, повлёкшие нарушение прав субъектов: {causes}\n\
                     3. Предполагаемый вред, нанесённый правам субъектов: {harm}\n\
                     4. Принятые меры по устранению последствий: {measures}\n\
                     5. Лицо, уполномоченное оператором на взаимодействие с Роскомнадзором по инциденту: {contact}\n",
                    description = facts.description.trim(),
                    systems = list(&facts.systems, "не указаны"),
                    categories = list(&facts.categories, "устанавливаются"),
                    kinds = list(&facts.subject_kinds, "устанавливаются"),
                    subjects = or_unknown(facts.subjects_count, "устанавливается"),
                    special = if facts.special_or_biometric { "да" } else { "нет" },
                    causes = facts.causes.trim(),
                    harm = facts.harm.trim(),
                    measures = facts.measures.trim(),
                ));
                ("Уведомление об инциденте (п. 1 ч. 3.1 ст. 21 152-ФЗ, в течение 24 часов)".to_owned(), head)
            } else {
                head.push_str(&format!(
                    "\n1. Результаты внутреннего расследования: {results}\n\
                     2. Лица, действия которых стали причиной инцидента: {culprits}\n",
                    results = facts.investigation.trim(),
                    culprits = if facts.caused_by.trim().is_empty() { "не установлены" } else { facts.caused_by.trim() },
                ));
                ("Уведомление о результатах расследования инцидента (п. 2 ч. 3.1 ст. 21 152-ФЗ, в течение 72 часов)".to_owned(), head)
            }
        }
        NoticeKind::GdprAuthority => {
            let due = facts.detected_at.saturating_add(kind.allowed()).unwrap_or(Timestamp::MAX);
            let mut text = format!(
                "Controller: {name}\nAddress: {address}\nIncident: {incident_id}\nBecame aware: {aware}\n\n\
                 (a) Nature of the breach: {description}\n    Categories of personal data: {categories}\n    \
                 Categories of data subjects: {kinds}\n    Approximate number of data subjects: {subjects}; of records: {records}\n\
                 (b) Contact point: {contact}\n(c) Likely consequences: {harm}\n(d) Measures taken or proposed: {measures}\n",
                name = if operator.name_en.is_empty() { &operator.name_ru } else { &operator.name_en },
                address = operator.address,
                aware = facts.detected_at.strftime("%Y-%m-%d %H:%M UTC"),
                description = facts.description.trim(),
                categories = facts.categories.join(", "),
                kinds = list(&facts.subject_kinds, "being established"),
                subjects = or_unknown(facts.subjects_count, "unknown"),
                records = or_unknown(facts.records_count, "unknown"),
                harm = facts.harm.trim(),
                measures = facts.measures.trim(),
            );
            if now > due {
                let reason = if facts.delay_reason.trim().is_empty() { "not given" } else { facts.delay_reason.trim() };
                text.push_str(&format!("Reasons for notifying after 72 hours (art. 33(1)): {reason}\n"));
            }
            ("Notification of a personal data breach (GDPR art. 33)".to_owned(), text)
        }
    };
    Ok(RenderedNotice { kind, title, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn hours(n: i64) -> SignedDuration {
        SignedDuration::from_hours(n)
    }

    fn complete() -> IncidentFacts {
        IncidentFacts {
            detected_at: at("2026-11-20T09:00:00Z"),
            description: "A support export was published on a public file share".into(),
            systems: vec!["crm".into()],
            categories: vec!["contact.phone".into(), "identity.name".into()],
            subject_kinds: vec!["customer".into()],
            subjects_count: Some(1200),
            records_count: Some(1200),
            special_or_biometric: false,
            high_risk: false,
            causes: "A share link without a password".into(),
            harm: "Unwanted calls; low".into(),
            measures: "Link removed, share audited".into(),
            contact: Some(IncidentContact {
                name: "Ирина Смирнова".into(),
                position: "DPO".into(),
                email: "dpo@example.ru".into(),
                phone: String::new(),
            }),
            investigation: String::new(),
            caused_by: String::new(),
            delay_reason: String::new(),
        }
    }

    #[test]
    fn the_clocks_run_from_detection_in_clock_hours_and_remind_with_a_quarter_left() {
        let detected = at("2026-11-20T09:00:00Z"); // a Friday: weekends count too
        let state = |now: Timestamp, sent: &[(NoticeKind, Timestamp)]| {
            clocks(detected, true, sent, None, now).into_iter().map(|c| (c.kind, c.state)).collect::<Vec<_>>()
        };
        let c = clocks(detected, true, &[], None, detected);
        assert_eq!(
            c.iter().map(|c| c.due).collect::<Vec<_>>(),
            vec![at("2026-11-21T09:00:00Z"), at("2026-11-23T09:00:00Z"), at("2026-11-23T09:00:00Z")]
        );
        // 17 hours in: 7 left of 24, no reminder yet; 18 hours in: 6 left, remind.
        let s = state(detected + hours(17), &[]);
        assert_eq!(s[0].1, ClockState::Running { remaining_seconds: 7 * 3600, remind: false });
        let s = state(detected + hours(18), &[]);
        assert_eq!(s[0].1, ClockState::Running { remaining_seconds: 6 * 3600, remind: true });
        assert_eq!(s[1].1, ClockState::Running { remaining_seconds: 54 * 3600, remind: false });
        // One second past 24 hours the first notice is overdue; the others still run.
        let s = state(detected + hours(24) + SignedDuration::from_secs(1), &[]);
        assert_eq!(s[0].1, ClockState::Overdue { late_seconds: 1 });
        assert!(matches!(s[1].1, ClockState::Running { .. }));
        // Sent at 23 h: on time, for good; the 72-hour ones remind at 54 h in.
        let sent = [(NoticeKind::RknInitial, detected + hours(23))];
        let s = state(detected + hours(54), &sent);
        assert_eq!(s[0].1, ClockState::SentOnTime);
        assert_eq!(s[1].1, ClockState::Running { remaining_seconds: 18 * 3600, remind: true });
        // The follow-up sent late is late forever.
        let sent = [(NoticeKind::RknInitial, detected + hours(23)), (NoticeKind::RknFollowUp, detected + hours(80))];
        let s = state(detected + hours(200), &sent);
        assert_eq!(s[1].1, ClockState::SentLate { late_seconds: 8 * 3600 });
        assert_eq!(s[2].1, ClockState::Overdue { late_seconds: 128 * 3600 });
    }

    #[test]
    fn gdpr_notices_are_owed_only_under_the_gdpr_and_dismissal_stops_what_was_not_yet_due() {
        let detected = at("2026-11-20T09:00:00Z");
        assert_eq!(clocks(detected, false, &[], None, detected).len(), 2);
        // Dismissed at 30 h: the 24-hour notice was already due and stays overdue; the
        // 72-hour ones are no longer owed.
        let c = clocks(detected, true, &[], Some(detected + hours(30)), detected + hours(100));
        assert_eq!(c[0].state, ClockState::Overdue { late_seconds: 76 * 3600 });
        assert_eq!((c[1].state, c[2].state), (ClockState::NotOwed, ClockState::NotOwed));
        assert!(IncidentStatus::Suspected.open() && !IncidentStatus::Dismissed.open());
        for s in [IncidentStatus::Suspected, IncidentStatus::Confirmed, IncidentStatus::Dismissed, IncidentStatus::Closed] {
            assert_eq!(IncidentStatus::parse(s.as_str()), Some(s));
        }
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn subjects_must_be_told_under_the_gdpr_when_the_risk_is_high() {
        let mut f = complete();
        assert!(!subjects_must_be_told(true, &f));
        f.high_risk = true;
        assert!(subjects_must_be_told(true, &f));
        assert!(!subjects_must_be_told(false, &f), "152-FZ asks no notice to subjects");
        f.high_risk = false;
        f.special_or_biometric = true;
        assert!(subjects_must_be_told(true, &f));
    }

    #[test]
    fn a_notice_names_the_fields_it_still_needs() {
        let blank = IncidentFacts { detected_at: at("2026-11-20T09:00:00Z"), ..Default::default() };
        assert_eq!(missing_fields(NoticeKind::RknInitial, &blank), vec!["description", "causes", "harm", "measures", "contact"]);
        assert_eq!(missing_fields(NoticeKind::RknFollowUp, &blank), vec!["investigation"]);
        let mut facts = complete();
        assert!(missing_fields(NoticeKind::RknInitial, &facts).is_empty());
        assert!(missing_fields(NoticeKind::GdprAuthority, &facts).is_empty());
        // A contact without a way to reach them is no contact.
        facts.contact = Some(IncidentContact { name: "Ирина".into(), ..Default::default() });
        assert_eq!(missing_fields(NoticeKind::RknInitial, &facts), vec!["contact"]);
        let err = render_notice(NoticeKind::RknFollowUp, "I-1", &complete(), &NoticeOperator::default(), at("2026-11-21T09:00:00Z"));
        assert_eq!(err, Err(MissingFields(vec!["investigation"])));
    }

    #[test]
    fn the_notices_carry_every_field_the_law_lists() {
        let operator = NoticeOperator {
            name_ru: "ООО «Голосовые звонки»".into(),
            name_en: "Golosovye Zvonki LLC".into(),
            inn: "7712345671".into(),
            ogrn: "1027700000000".into(),
            address: "Москва".into(),
            registry_number: "77-26-000001".into(),
        };
        let mut facts = complete();
        let first = render_notice(NoticeKind::RknInitial, "I-7", &facts, &operator, at("2026-11-20T12:00:00Z")).unwrap();
        for needle in [
            "ООО «Голосовые звонки»",
            "7712345671",
            "77-26-000001",
            "I-7",
            "2026-11-20 12:00 (МСК)",
            "Произошедший инцидент: A support export",
            "Предполагаемые причины",
            "A share link without a password",
            "Предполагаемый вред",
            "Принятые меры",
            "Ирина Смирнова, DPO, dpo@example.ru",
            "число субъектов: 1200",
        ] {
            assert!(first.text.contains(needle), "{needle}: {}", first.text);
        }
        facts.investigation = "The link was created by a contractor's account".into();
        let second = render_notice(NoticeKind::RknFollowUp, "I-7", &facts, &operator, at("2026-11-22T12:00:00Z")).unwrap();
        assert!(second.text.contains("Результаты внутреннего расследования: The link") && second.text.contains("не установлены"));
        // GDPR: the art. 33(3) items, and the reasons for delay once past 72 hours.
        let on_time = render_notice(NoticeKind::GdprAuthority, "I-7", &facts, &operator, at("2026-11-21T12:00:00Z")).unwrap();
        assert!(on_time.text.contains("(a) Nature of the breach") && on_time.text.contains("(d) Measures"));
        assert!(!on_time.text.contains("after 72 hours"));
        facts.delay_reason = "The share was found by a third party on a weekend".into();
        let late = render_notice(NoticeKind::GdprAuthority, "I-7", &facts, &operator, at("2026-11-24T12:00:00Z")).unwrap();
        assert!(late.text.contains("Reasons for notifying after 72 hours (art. 33(1)): The share was found"), "{}", late.text);
    }
}
