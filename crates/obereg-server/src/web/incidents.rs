//! The console's incident pages (DPO roles and administrators): the list with each notice's
//! deadline, recording a new incident, and one incident's facts (editable while it is open),
//! the notices rendered from them — or what they still need — with "sent" buttons, and
//! dismissal. The engine's incident use cases do the work; the pages show the clocks in
//! Moscow time.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use obereg_core::incident::{ClockState, IncidentContact, IncidentFacts, NoticeKind};
use obereg_engine::incidents::IncidentView;
use obereg_engine::web::staff::StaffSession;
use obereg_engine::{Engine, EngineError};
use serde::Deserialize;

use crate::problem::status_for;

use super::console::{DoneQuery, overseer};
use super::{Lang, Page, error_page, error_text, html, moscow_time, see_other};

pub fn routes() -> axum::Router<Engine> {
    axum::Router::new()
        .route("/console/incidents", get(list).post(record))
        .route("/console/incidents/{id}", get(show).post(update))
        .route("/console/incidents/{id}/sent/{kind}", post(sent))
        .route("/console/incidents/{id}/dismiss", post(dismiss))
}

const LIST: (&str, &str) = ("Incidents", "Инциденты");
const ONE: (&str, &str) = ("Incident", "Инцидент");

/// A notice's clock in words.
struct ShownClock {
    kind: String,
    norm: String,
    due: String,
    state: String,
    urgent: bool,
}

fn notice_name(lang: Lang, kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::RknInitial => lang.t("Roskomnadzor, first notice (24 h)", "Роскомнадзор, первичное уведомление (24 ч)"),
        NoticeKind::RknFollowUp => lang.t("Roskomnadzor, investigation results (72 h)", "Роскомнадзор, результаты расследования (72 ч)"),
        NoticeKind::GdprAuthority => lang.t("GDPR supervisory authority (72 h)", "Надзорный орган по GDPR (72 ч)"),
    }
}

fn hours(seconds: i64) -> i64 {
    seconds / 3600
}

fn clocks(lang: Lang, view: &IncidentView) -> Vec<ShownClock> {
    view.clocks
        .iter()
        .map(|c| {
            let (state, urgent) = match c.state {
                ClockState::Running { remaining_seconds, remind } => {
                    (format!("{} {}", lang.t("hours left:", "осталось часов:"), hours(remaining_seconds)), remind)
                }
                ClockState::Overdue { late_seconds } => {
                    (format!("{} {}", lang.t("OVERDUE, hours:", "ПРОСРОЧЕНО, часов:"), hours(late_seconds)), true)
                }
                ClockState::SentOnTime => (lang.t("sent on time", "направлено в срок").to_owned(), false),
                ClockState::SentLate { late_seconds } => {
                    (format!("{} {}", lang.t("sent late, hours:", "направлено с опозданием, часов:"), hours(late_seconds)), false)
                }
                ClockState::NotOwed => (lang.t("not owed (dismissed)", "не требуется (отклонён)").to_owned(), false),
            };
            ShownClock {
                kind: notice_name(lang, c.kind).to_owned(),
                norm: {
                    let norm = c.kind.norm();
                    lang.t(&norm.en, &norm.ru).to_owned()
                },
                due: moscow_time(c.due),
                state,
                urgent,
            }
        })
        .collect()
}

fn status_name(lang: Lang, view: &IncidentView) -> &'static str {
    match view.status {
        obereg_core::incident::IncidentStatus::Suspected => lang.t("suspected", "подозрение"),
        obereg_core::incident::IncidentStatus::Confirmed => lang.t("confirmed", "подтверждён"),
        obereg_core::incident::IncidentStatus::Dismissed => lang.t("dismissed", "отклонён"),
        obereg_core::incident::IncidentStatus::Closed => lang.t("closed", "закрыт"),
    }
}

struct Row {
    id: String,
    status: String,
    detected: String,
    clocks: Vec<ShownClock>,
}

#[derive(Template)]
#[template(path = "console/incidents.html")]
struct ListPage {
    page: Page,
    rows: Vec<Row>,
    now: String,
}

async fn render_list(engine: &Engine, session: &StaffSession, page: Page, status: StatusCode) -> Response {
    let lang = page.lang;
    match engine.incidents(&session.actor).await {
        Ok(list) => {
            let rows = list
                .iter()
                .map(|v| Row {
                    id: v.id.clone(),
                    status: status_name(lang, v).to_owned(),
                    detected: moscow_time(v.facts.detected_at),
                    clocks: clocks(lang, v),
                })
                .collect();
            let now = moscow_field(jiff::Timestamp::now());
            let mut response = html(&ListPage { page, rows, now });
            *response.status_mut() = status;
            response
        }
        Err(e) => error_page(page, status_for(&e), &e),
    }
}

async fn list(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    match overseer(&engine, &headers, LIST, "/console/incidents").await {
        Ok((session, page)) => render_list(&engine, &session, page, StatusCode::OK).await,
        Err(r) => r,
    }
}

/// `t` as a `datetime-local` field shows it: Moscow time (UTC+3 all year), to the minute.
fn moscow_field(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).strftime("%Y-%m-%dT%H:%M").to_string()
}

/// A Moscow-time `YYYY-MM-DDTHH:MM` from a `datetime-local` field.
fn moscow_input(text: &str) -> Result<jiff::Timestamp, EngineError> {
    let bad = || EngineError::invalid("incident.bad_time", "give the time as YYYY-MM-DD HH:MM", "укажите время в виде ГГГГ-ММ-ДД ЧЧ:ММ");
    let civil: jiff::civil::DateTime = text.trim().replace(' ', "T").parse().map_err(|_| bad())?;
    civil.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).map(|z| z.timestamp()).map_err(|_| bad())
}

fn list_field(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

#[derive(Deserialize)]
struct NewForm {
    detected_at: String,
    description: String,
    #[serde(default)]
    systems: String,
    #[serde(default)]
    gdpr: Option<String>,
}

async fn record(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<NewForm>) -> Response {
    let (session, mut page) = match overseer(&engine, &headers, LIST, "/console/incidents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let made = async {
        let facts = IncidentFacts {
            detected_at: moscow_input(&form.detected_at)?,
            description: form.description.trim().to_owned(),
            systems: list_field(&form.systems),
            ..Default::default()
        };
        engine.record_incident(&session.actor, facts, form.gdpr.is_some().then_some(true), false).await
    }
    .await;
    match made {
        Ok(view) => see_other(&format!("/console/incidents/{}", view.id)),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            render_list(&engine, &session, page, status_for(&e)).await
        }
    }
}

/// A notice to send, rendered or with what it still needs.
struct ShownNotice {
    kind: String,
    code: String,
    title: String,
    text: String,
    missing: String,
    sent: bool,
}

#[derive(Template)]
#[template(path = "console/incident.html")]
struct IncidentPage {
    page: Page,
    id: String,
    version: i64,
    status: String,
    open: bool,
    facts: IncidentFacts,
    contact: IncidentContact,
    detected: String,
    systems: String,
    categories: String,
    kinds: String,
    subjects: String,
    records: String,
    clocks: Vec<ShownClock>,
    notices: Vec<ShownNotice>,
    affected: usize,
    must_tell: bool,
    dismissed_reason: String,
}

async fn render(engine: &Engine, session: &StaffSession, page: Page, id: &str, status: StatusCode) -> Response {
    let lang = page.lang;
    let view = match engine.incident(&session.actor, id).await {
        Ok(v) => v,
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let mut notices = Vec::new();
    for c in &view.clocks {
        let sent = view.notices.iter().find(|n| n.kind == c.kind);
        let (title, text, missing) = match sent {
            Some(n) => (n.title.clone(), n.text.clone(), String::new()),
            None => match engine.incident_notice(&session.actor, id, c.kind).await {
                Ok(r) => (r.title, r.text, String::new()),
                Err(_) => (String::new(), String::new(), view.missing.get(&c.kind).map(|m| m.join(", ")).unwrap_or_default()),
            },
        };
        notices.push(ShownNotice {
            kind: notice_name(lang, c.kind).to_owned(),
            code: c.kind.as_str().to_owned(),
            title,
            text,
            missing,
            sent: sent.is_some() || matches!(c.state, ClockState::NotOwed),
        });
    }
    let f = &view.facts;
    let shown = IncidentPage {
        id: view.id.clone(),
        version: view.version,
        status: status_name(lang, &view).to_owned(),
        open: view.status.open(),
        contact: f.contact.clone().unwrap_or_default(),
        detected: moscow_field(f.detected_at),
        systems: f.systems.join(", "),
        categories: f.categories.join(", "),
        kinds: f.subject_kinds.join(", "),
        subjects: f.subjects_count.map(|n| n.to_string()).unwrap_or_default(),
        records: f.records_count.map(|n| n.to_string()).unwrap_or_default(),
        facts: f.clone(),
        clocks: clocks(lang, &view),
        notices,
        affected: view.affected_subjects,
        must_tell: view.subjects_must_be_told,
        dismissed_reason: view.dismissed_reason.clone().unwrap_or_default(),
        page,
    };
    let mut response = html(&shown);
    *response.status_mut() = status;
    response
}

async fn show(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> Response {
    let (session, mut page) = match overseer(&engine, &headers, ONE, "/console/incidents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !q.done.is_empty() {
        page.notice = Some(page.t("Saved.", "Сохранено.").to_owned());
    }
    render(&engine, &session, page, &id, StatusCode::OK).await
}

#[derive(Deserialize)]
struct FactsForm {
    version: i64,
    detected_at: String,
    description: String,
    #[serde(default)]
    systems: String,
    #[serde(default)]
    categories: String,
    #[serde(default)]
    subject_kinds: String,
    #[serde(default)]
    subjects_count: String,
    #[serde(default)]
    records_count: String,
    #[serde(default)]
    special_or_biometric: Option<String>,
    #[serde(default)]
    high_risk: Option<String>,
    #[serde(default)]
    causes: String,
    #[serde(default)]
    harm: String,
    #[serde(default)]
    measures: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_position: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    investigation: String,
    #[serde(default)]
    caused_by: String,
    #[serde(default)]
    delay_reason: String,
}

fn count_field(text: &str) -> Result<Option<u64>, EngineError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse().map(Some).map_err(|_| EngineError::invalid("incident.bad_count", "counts are whole numbers", "количество — целое число"))
}

async fn update(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>, Form(f): Form<FactsForm>) -> Response {
    let (session, mut page) = match overseer(&engine, &headers, ONE, "/console/incidents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let saved = async {
        let contact = IncidentContact {
            name: f.contact_name.trim().to_owned(),
            position: f.contact_position.trim().to_owned(),
            email: f.contact_email.trim().to_owned(),
            phone: f.contact_phone.trim().to_owned(),
        };
        let facts = IncidentFacts {
            detected_at: moscow_input(&f.detected_at)?,
            description: f.description.trim().to_owned(),
            systems: list_field(&f.systems),
            categories: list_field(&f.categories),
            subject_kinds: list_field(&f.subject_kinds),
            subjects_count: count_field(&f.subjects_count)?,
            records_count: count_field(&f.records_count)?,
            special_or_biometric: f.special_or_biometric.is_some(),
            high_risk: f.high_risk.is_some(),
            causes: f.causes.trim().to_owned(),
            harm: f.harm.trim().to_owned(),
            measures: f.measures.trim().to_owned(),
            contact: (!contact.name.is_empty() || !contact.email.is_empty() || !contact.phone.is_empty()).then_some(contact),
            investigation: f.investigation.trim().to_owned(),
            caused_by: f.caused_by.trim().to_owned(),
            delay_reason: f.delay_reason.trim().to_owned(),
        };
        engine.update_incident(&session.actor, &id, f.version, facts).await
    }
    .await;
    match saved {
        Ok(_) => see_other(&format!("/console/incidents/{id}?done=1")),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            render(&engine, &session, page, &id, status_for(&e)).await
        }
    }
}

#[derive(Deserialize)]
struct VersionForm {
    version: i64,
    #[serde(default)]
    reason: String,
}

async fn sent(
    State(engine): State<Engine>,
    headers: HeaderMap,
    Path((id, kind)): Path<(String, String)>,
    Form(f): Form<VersionForm>,
) -> Response {
    let (session, mut page) = match overseer(&engine, &headers, ONE, "/console/incidents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(kind) = NoticeKind::parse(&kind) else {
        return error_page(page, StatusCode::NOT_FOUND, &EngineError::NotFound("notice"));
    };
    match engine.record_incident_notice(&session.actor, &id, f.version, kind, None).await {
        Ok(_) => see_other(&format!("/console/incidents/{id}?done=1")),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            render(&engine, &session, page, &id, status_for(&e)).await
        }
    }
}

async fn dismiss(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>, Form(f): Form<VersionForm>) -> Response {
    let (session, mut page) = match overseer(&engine, &headers, ONE, "/console/incidents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match engine.dismiss_incident(&session.actor, &id, f.version, &f.reason).await {
        Ok(_) => see_other(&format!("/console/incidents/{id}?done=1")),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            render(&engine, &session, page, &id, status_for(&e)).await
        }
    }
}
