//! The admin console (`/console`): staff sign in with a password (and a TOTP code when
//! enrolled) and work with what their catalog role allows. Pages only call engine use cases
//! with the staff member's actor, so a page can never show more than the API would; the
//! menu hides what the role may not open, and the engine refuses it anyway.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use obereg_core::value::PlainValue;
use obereg_engine::documents::PublicationStatus;
use obereg_engine::requests::{Completion, ManualIdentity, RefusalGround, RequestQuery};
use obereg_engine::web::staff::StaffSession;
use obereg_engine::{Actor, DEFAULT_TENANT, Engine, EngineError};
use serde::Deserialize;

use crate::problem::status_for;

use super::portal::{kind_name, operation_words, state_name};
use super::{
    Area, CONSOLE_COOKIE, Lang, Page, cleared_cookie, cookie, error_page, error_text, html, moscow_time, see_other, session_cookie,
    with_cookie,
};

pub fn routes() -> axum::Router<Engine> {
    axum::Router::new()
        .route("/console/sign-in", get(sign_in_page).post(sign_in))
        .route("/console/sign-out", post(sign_out))
        .route("/console", get(dashboard))
        .route("/console/subjects", get(subjects))
        .route("/console/subjects/{id}", get(subject))
        .route("/console/requests", get(requests))
        .route("/console/requests/{id}", get(request))
        .route("/console/requests/{id}/verify", post(verify_request))
        .route("/console/requests/{id}/send-code", post(send_code))
        .route("/console/requests/{id}/extend", post(extend_request))
        .route("/console/requests/{id}/complete", post(complete_request))
        .route("/console/requests/{id}/refuse", post(refuse_request))
        .route("/console/requests/{id}/export", get(export_request))
        .route("/console/consents", get(consents))
        .route("/console/consents/documents/{sha}", get(consent_document))
        .route("/console/consents/publish", post(publish_policy))
        .route("/console/journal", get(journal))
        .route("/console/journal/verify", post(verify_journal))
        .route("/console/journal/proof/{index}", get(proof))
        .route("/console/catalog", get(catalog).post(upload_catalog))
}

pub(super) fn frame(headers: &HeaderMap, title: (&str, &str), path: &str) -> (Page, Option<HeaderValue>) {
    Page::new(headers, Area::Console, title, path)
}

/// The signed-in staff member and the page frame, or the way to sign-in.
pub(super) async fn staff(engine: &Engine, headers: &HeaderMap, title: (&str, &str), path: &str) -> Result<(StaffSession, Page), Response> {
    let (mut page, _) = frame(headers, title, path);
    let Some(value) = cookie(headers, CONSOLE_COOKIE) else { return Err(see_other("/console/sign-in")) };
    match engine.staff_session(&value).await {
        Ok(session) => {
            page.who = Some(format!("{} · {}", session.login, page.lang.t(&session.role_name.en, &session.role_name.ru)));
            page.dpo = session.dpo;
            page.admin = session.admin;
            Ok((session, page))
        }
        Err(EngineError::Unauthenticated) => Err(see_other("/console/sign-in")),
        Err(e) => Err(error_page(page, StatusCode::INTERNAL_SERVER_ERROR, &e)),
    }
}

/// As [`staff`], for pages of those who work requests and the journal.
pub(super) async fn overseer(
    engine: &Engine,
    headers: &HeaderMap,
    title: (&str, &str),
    path: &str,
) -> Result<(StaffSession, Page), Response> {
    let (session, page) = staff(engine, headers, title, path).await?;
    if !session.dpo {
        return Err(error_page(page, StatusCode::FORBIDDEN, &EngineError::Forbidden));
    }
    Ok((session, page))
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    page: Page,
    tenant: String,
}

#[derive(Deserialize, Default)]
struct SignInQuery {
    /// What was just changed, ending the sessions: `password` or `second-factor`.
    #[serde(default)]
    changed: String,
}

async fn sign_in_page(headers: HeaderMap, Query(q): Query<SignInQuery>) -> Response {
    let (mut page, pre) = frame(&headers, ("Staff sign-in", "Вход для сотрудников"), "/console");
    page.notice = match q.changed.as_str() {
        "password" => {
            Some(page.t("The password is changed. Sign in with the new one.", "Пароль изменён. Войдите с новым паролем.").to_owned())
        }
        "second-factor" => Some(
            page.t("The second factor is on. Sign in with a code from the app.", "Второй фактор включён. Войдите с кодом из приложения.")
                .to_owned(),
        ),
        _ => None,
    };
    with_cookie(html(&SignInPage { page, tenant: DEFAULT_TENANT.to_owned() }), pre)
}

#[derive(Deserialize)]
struct SignInForm {
    tenant: String,
    login: String,
    password: String,
    #[serde(default)]
    code: String,
}

async fn sign_in(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<SignInForm>) -> Response {
    let (mut page, _) = frame(&headers, ("Staff sign-in", "Вход для сотрудников"), "/console");
    let code = (!form.code.trim().is_empty()).then_some(form.code.trim());
    match engine.staff_sign_in(form.tenant.trim(), form.login.trim(), &form.password, code).await {
        Ok(opened) => {
            let mut response = see_other("/console");
            response.headers_mut().append(header::SET_COOKIE, session_cookie(CONSOLE_COOKIE, &opened.cookie, opened.max_age, "Strict"));
            response
        }
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            let mut response = html(&SignInPage { page, tenant: form.tenant });
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response
        }
    }
}

async fn sign_out(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    if let Some(value) = cookie(&headers, CONSOLE_COOKIE) {
        let _ = engine.sign_out(&value).await;
    }
    let mut response = see_other("/console/sign-in");
    response.headers_mut().append(header::SET_COOKIE, cleared_cookie(CONSOLE_COOKIE));
    response
}

/// A request as the queue lists it.
struct QueueRow {
    id: String,
    kind: String,
    state: String,
    due: String,
    overdue: bool,
    channel: String,
}

fn queue_rows(lang: Lang, list: Vec<obereg_engine::requests::RequestView>) -> Vec<QueueRow> {
    list.into_iter()
        .map(|r| QueueRow {
            kind: kind_name(lang, r.kind),
            state: state_name(lang, r.state),
            due: r.due_on.to_string(),
            overdue: r.overdue,
            channel: r.channel.as_str().to_owned(),
            id: r.id,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    page: Page,
    queue: Vec<QueueRow>,
    overdue: usize,
    subjects: Vec<String>,
    chart: String,
    outbox_pending: i64,
    checkpoint: String,
}

async fn dashboard(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    let (session, page) = match staff(&engine, &headers, ("Dashboard", "Сводка"), "/console").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let lang = page.lang;
    let mut queue = Vec::new();
    if session.dpo {
        match engine.list_requests(&session.actor, RequestQuery::default()).await {
            Ok(list) => queue = queue_rows(lang, list),
            Err(e) => return error_page(page, status_for(&e), &e),
        }
        // Overdue first, then by due date (the engine lists by due date).
        queue.sort_by_key(|r| !r.overdue);
    }
    let overdue = queue.iter().filter(|r| r.overdue).count();
    let counts = match engine.dashboard(&session.actor, 30).await {
        Ok(c) => c,
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let subjects = counts
        .subjects
        .iter()
        .map(|(status, n)| match status.as_str() {
            "active" => lang.count(n, ["active", "active"], ["активный", "активных", "активных"]),
            "restricted" => {
                lang.count(n, ["restricted (blocked)", "restricted (blocked)"], ["заблокированный", "заблокированных", "заблокированных"])
            }
            "erased" => lang.count(n, ["erased", "erased"], ["удалённый", "удалённых", "удалённых"]),
            other => format!("{other}: {n}"),
        })
        .collect();
    let chart = super::chart::consent_chart(lang, &counts.consent_days, counts.first_day, 30);
    let checkpoint = match &counts.checkpoint {
        Some((size, at)) => {
            format!("{} · {}", lang.count(*size as i64, ["entry", "entries"], ["запись", "записи", "записей"]), moscow_time(*at))
        }
        None => lang.t("no checkpoint yet", "контрольных точек ещё нет").to_owned(),
    };
    html(&DashboardPage { page, queue, overdue, subjects, chart, outbox_pending: counts.outbox_pending, checkpoint })
}

#[derive(Deserialize, Default)]
struct FindQuery {
    #[serde(default)]
    category: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    purpose: String,
}

#[derive(Template)]
#[template(path = "console/subjects.html")]
struct SubjectsPage {
    page: Page,
    categories: Vec<(String, String)>,
    purposes: Vec<(String, String)>,
    query: FindQuery,
    searched: bool,
    found: Vec<(String, String)>,
}

/// The searchable categories and the purposes the role may use, with names.
async fn choices(engine: &Engine, actor: &Actor, lang: Lang) -> Result<(Vec<(String, String)>, Vec<(String, String)>), EngineError> {
    let catalog = engine.public_catalog(&actor.tenant).await?;
    let name = |t| super::text(lang, t);
    let role = catalog.roles.iter().find(|r| r.id == actor.role.as_str());
    let categories = catalog
        .categories
        .iter()
        .filter(|c| c.searchable && role.is_none_or(|r| r.categories.contains(&c.id)))
        .map(|c| (c.id.clone(), name(&c.name)))
        .collect();
    let purposes = catalog
        .purposes
        .iter()
        .filter(|p| role.is_none_or(|r| r.purposes.contains(&p.id)))
        .map(|p| (p.id.clone(), name(&p.name)))
        .collect();
    Ok((categories, purposes))
}

async fn subjects(State(engine): State<Engine>, headers: HeaderMap, Query(query): Query<FindQuery>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, ("Subjects", "Субъекты"), "/console/subjects").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (categories, purposes) = match choices(&engine, &session.actor, page.lang).await {
        Ok(c) => c,
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let searched = !query.value.trim().is_empty();
    let mut found = Vec::new();
    if searched {
        match engine.find_subjects(&session.actor, &query.category, &PlainValue::new(query.value.trim()), &query.purpose).await {
            Ok(list) => found = list.into_iter().map(|s| (s.id, s.status.as_str().to_owned())).collect(),
            Err(e) => page.error = Some(error_text(page.lang, &e)),
        }
    }
    html(&SubjectsPage { page, categories, purposes, query, searched, found })
}

struct ShownAttribute {
    category: String,
    value: String,
    masked: bool,
    source: String,
    at: String,
}

#[derive(Template)]
#[template(path = "console/subject.html")]
struct SubjectPage {
    page: Page,
    id: String,
    purposes: Vec<(String, String)>,
    purpose: String,
    status: String,
    attributes: Vec<ShownAttribute>,
    records: usize,
}

#[derive(Deserialize)]
struct PurposeQuery {
    #[serde(default)]
    purpose: String,
}

async fn subject(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<PurposeQuery>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, ("Subject", "Субъект"), "/console/subjects").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (_, purposes) = match choices(&engine, &session.actor, page.lang).await {
        Ok(c) => c,
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let mut shown = SubjectPage {
        page: page.clone(),
        id: id.clone(),
        purposes,
        purpose: q.purpose.clone(),
        status: String::new(),
        attributes: Vec::new(),
        records: 0,
    };
    // The purpose comes first: without it nothing is read (and nothing journaled).
    if !q.purpose.is_empty() {
        match engine.read_subject(&session.actor, &id, &q.purpose).await {
            Ok(view) => {
                let catalog = match engine.public_catalog(&session.actor.tenant).await {
                    Ok(c) => c,
                    Err(e) => return error_page(page, status_for(&e), &e),
                };
                shown.status = super::status_name(page.lang, view.subject.status.as_str()).to_owned();
                shown.records = view.records.len();
                shown.attributes = view
                    .attributes
                    .into_iter()
                    .map(|a| ShownAttribute {
                        category: super::category_name(&catalog, page.lang, &a.category),
                        value: a.value.expose().to_owned(),
                        masked: a.masked,
                        source: a.source,
                        at: moscow_time(a.collected_at),
                    })
                    .collect();
            }
            Err(e) => {
                page.error = Some(error_text(page.lang, &e));
                shown.page = page;
            }
        }
    }
    html(&shown)
}

#[derive(Deserialize, Default)]
struct QueueQuery {
    #[serde(default)]
    show: String,
}

#[derive(Template)]
#[template(path = "console/requests.html")]
struct RequestsPage {
    page: Page,
    show: String,
    rows: Vec<QueueRow>,
}

async fn requests(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<QueueQuery>) -> Response {
    let (session, page) = match overseer(&engine, &headers, ("Requests", "Запросы"), "/console/requests").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let query = RequestQuery { all: q.show == "all", overdue: q.show == "overdue", ..Default::default() };
    match engine.list_requests(&session.actor, query).await {
        Ok(list) => {
            let rows = queue_rows(page.lang, list);
            html(&RequestsPage { page, show: q.show, rows })
        }
        Err(e) => error_page(page, status_for(&e), &e),
    }
}

struct ShownEvent {
    at: String,
    event: String,
    actor: String,
    note: String,
}

#[derive(Template)]
#[template(path = "console/request.html")]
struct RequestPage {
    page: Page,
    id: String,
    kind: String,
    state: String,
    open: bool,
    in_progress: bool,
    awaiting_identity: bool,
    exportable: bool,
    extended: bool,
    due: String,
    overdue: bool,
    subject: String,
    contact: String,
    details: String,
    candidates: Vec<String>,
    events: Vec<ShownEvent>,
    messages: Vec<(String, String, String)>,
    /// Rectification: (item id, category name, current value).
    corrections: Vec<(String, String, String)>,
    /// Objection, withdrawal, distribution stop: the catalog's purposes.
    purpose_choices: Vec<(String, String)>,
    portability: bool,
    /// A distribution stop must name its purposes.
    names_purposes: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct DoneQuery {
    #[serde(default)]
    pub(super) done: String,
}

async fn request(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> Response {
    let path = format!("/console/requests/{id}");
    let (session, mut page) = match overseer(&engine, &headers, ("Request", "Запрос"), &path).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !q.done.is_empty() {
        page.notice = Some(page.t("Done.", "Готово.").to_owned());
    }
    render_request(&engine, &session, page, &id).await
}

async fn render_request(engine: &Engine, session: &StaffSession, page: Page, id: &str) -> Response {
    use obereg_core::request::RequestState as S;
    use obereg_core::request::deadline::RequestKind as K;
    let lang = page.lang;
    let detail = match engine.request_detail(&session.actor, id).await {
        Ok(d) => d,
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let r = &detail.request;
    let contact =
        [detail.email.as_ref(), detail.phone.as_ref()].into_iter().flatten().map(|v| v.expose().to_owned()).collect::<Vec<_>>().join(", ");
    let in_progress = matches!(r.state, S::InProgress | S::Extended);
    // What completing this kind needs from the staff member.
    let mut corrections = Vec::new();
    let mut purpose_choices = Vec::new();
    if in_progress {
        let catalog = match engine.public_catalog(&session.actor.tenant).await {
            Ok(c) => c,
            Err(e) => return error_page(page, status_for(&e), &e),
        };
        match r.kind {
            K::Rectification => match engine.request_values(&session.actor, id).await {
                Ok(values) => {
                    corrections = values
                        .into_iter()
                        .map(|v| (v.id, super::category_name(&catalog, lang, &v.category), v.value.expose().to_owned()))
                        .collect()
                }
                Err(e) => return error_page(page, status_for(&e), &e),
            },
            K::Objection | K::ConsentWithdrawal | K::DistributionStop => {
                purpose_choices = catalog.purposes.iter().map(|p| (p.id.clone(), super::text(lang, &p.name))).collect();
            }
            _ => {}
        }
    }
    let shown = RequestPage {
        corrections,
        purpose_choices,
        portability: r.kind == K::Portability,
        names_purposes: r.kind == K::DistributionStop,
        id: r.id.clone(),
        kind: kind_name(lang, r.kind),
        state: state_name(lang, r.state),
        open: !matches!(r.state, S::Completed | S::Refused | S::Withdrawn),
        in_progress,
        awaiting_identity: matches!(r.state, S::Received | S::IdentityCheck),
        exportable: matches!(r.kind, K::Access | K::Portability) && matches!(r.state, S::InProgress | S::Extended | S::Completed),
        extended: r.extended,
        due: r.due_on.to_string(),
        overdue: r.overdue,
        subject: r.subject_id.clone().unwrap_or_default(),
        contact,
        details: detail.details.as_ref().map(|d| d.expose().to_owned()).unwrap_or_default(),
        candidates: detail.candidates.clone(),
        events: detail
            .events
            .iter()
            .map(|e| ShownEvent {
                at: moscow_time(e.at),
                event: e.event.clone(),
                actor: e.actor.clone(),
                note: e.note.clone().unwrap_or_default(),
            })
            .collect(),
        messages: detail
            .messages
            .iter()
            .map(|m| (message_name(lang, &m.template).to_owned(), m.channel.clone(), message_state(lang, &m.state).to_owned()))
            .collect(),
        page,
    };
    html(&shown)
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    norm: String,
}

/// Runs a request action and comes back to the request, or shows it again with the error.
async fn act(
    engine: &Engine,
    headers: &HeaderMap,
    id: &str,
    action: impl AsyncFnOnce(&Engine, &Actor) -> Result<(), EngineError>,
) -> Response {
    let path = format!("/console/requests/{id}");
    let (session, mut page) = match overseer(engine, headers, ("Request", "Запрос"), &path).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match action(engine, &session.actor).await {
        Ok(()) => see_other(&format!("{path}?done=1")),
        Err(e) => {
            let status = status_for(&e);
            page.error = Some(error_text(page.lang, &e));
            let mut response = render_request(engine, &session, page, id).await;
            if response.status().is_success() {
                *response.status_mut() = status;
            }
            response
        }
    }
}

/// What a message about a request is, in words.
fn message_name(lang: Lang, template: &str) -> &str {
    match template {
        "verification_code" => lang.t("confirmation code", "код подтверждения"),
        "request_received" => lang.t("request received", "запрос получен"),
        "request_extended" => lang.t("term extended, with the reason", "срок продлён, с причиной"),
        "request_completed" => lang.t("answer", "ответ"),
        "request_refused" => lang.t("reasoned refusal", "мотивированный отказ"),
        "request_withdrawn" => lang.t("request withdrawn", "запрос отозван"),
        "recipient_notice" => lang.t("notice to a recipient", "уведомление получателю"),
        "portability_transfer" => lang.t("transfer to another operator", "передача другому оператору"),
        "staff_reminder" => lang.t("reminder to staff", "напоминание сотрудникам"),
        other => other,
    }
}

/// Where an outgoing message stands, in words.
fn message_state(lang: Lang, state: &str) -> &str {
    match state {
        "pending" => lang.t("waiting to be sent", "ждёт отправки"),
        "sent" => lang.t("sent", "отправлено"),
        "dead" => lang.t("not delivered after every retry", "не доставлено после всех попыток"),
        other => other,
    }
}

/// Sends the requester a one-time code to the contact the request came with; the request
/// waits in the identity check until the code comes back through the follow page.
async fn send_code(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    act(&engine, &headers, &id.clone(), async move |engine, actor| engine.start_code_check(actor, &id).await.map(|_| ())).await
}

async fn verify_request(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>, Form(form): Form<NoteForm>) -> Response {
    act(&engine, &headers, &id.clone(), async move |engine, actor| {
        let subject = (!form.subject.trim().is_empty()).then(|| form.subject.trim().to_owned());
        engine
            .verify_identity(actor, &id, ManualIdentity { subject_id: subject, note: PlainValue::new(form.note.trim()) })
            .await
            .map(|_| ())
    })
    .await
}

async fn extend_request(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>, Form(form): Form<NoteForm>) -> Response {
    act(&engine, &headers, &id.clone(), async move |engine, actor| {
        engine.extend_request(actor, &id, &PlainValue::new(form.note.trim())).await.map(|_| ())
    })
    .await
}

/// The completion form: words for the subject (`note`), and by kind the corrected values
/// (`fix:<item id>`, blank ones left as they are), the purposes concerned (`purpose`, one per
/// ticked box) or the other operator's address (`transfer_to`).
async fn complete_request(
    State(engine): State<Engine>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).unwrap_or("");
    let completion = Completion {
        answer: (!field("note").is_empty()).then(|| PlainValue::new(field("note"))),
        corrections: fields
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("fix:")?.to_owned(), v.trim())))
            .filter(|(_, v)| !v.is_empty())
            .map(|(item, v)| (item, PlainValue::new(v)))
            .collect(),
        purposes: fields.iter().filter(|(k, _)| k == "purpose").map(|(_, v)| v.clone()).collect(),
        transfer_to: (!field("transfer_to").is_empty()).then(|| field("transfer_to").to_owned()),
    };
    act(&engine, &headers, &id.clone(), async move |engine, actor| engine.complete_request(actor, &id, completion).await.map(|_| ())).await
}

async fn refuse_request(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>, Form(form): Form<NoteForm>) -> Response {
    act(&engine, &headers, &id.clone(), async move |engine, actor| {
        let ground = RefusalGround::Other { reason: PlainValue::new(form.note.trim()), norm: form.norm.trim().to_owned() };
        engine.refuse_request(actor, &id, ground).await.map(|_| ())
    })
    .await
}

async fn export_request(State(engine): State<Engine>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let (session, page) = match overseer(&engine, &headers, ("Request", "Запрос"), "/console/requests").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match engine.request_export(&session.actor, &id).await {
        Ok(export) => {
            let disposition = format!("attachment; filename=\"{}.json\"", export.request);
            let mut response =
                ([(header::CONTENT_TYPE, "application/json")], serde_json::to_string_pretty(&export).unwrap_or_default()).into_response();
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(e) => error_page(page, status_for(&e), &e),
    }
}

#[derive(Template)]
#[template(path = "console/consents.html")]
struct ConsentsPage {
    page: Page,
    documents: Vec<ShownDocument>,
    publications: Vec<ShownPublication>,
    suggested: String,
    reconsent: Vec<(String, String, String)>,
    can_see_publications: bool,
}

async fn consents(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<DoneQuery>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, CONSENTS, "/console/consents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !q.done.is_empty() {
        page.notice = Some(
            page.t(
                "Published. Notices to subjects are being queued; the counts below grow as they go.",
                "Опубликовано. Уведомления субъектам ставятся в очередь; счётчики ниже растут по мере отправки.",
            )
            .to_owned(),
        );
    }
    render_consents(&engine, &session, page, StatusCode::OK).await
}

const CONSENTS: (&str, &str) = ("Consents and documents", "Согласия и документы");

/// A published policy version as the consents page lists it.
struct ShownPublication {
    id: String,
    effective: String,
    status: String,
    link: String,
    notify: bool,
    queued: i64,
    skipped: i64,
    reconsent: i64,
    done: bool,
}

async fn render_consents(engine: &Engine, session: &StaffSession, page: Page, status: StatusCode) -> Response {
    let lang = page.lang;
    let publications = match engine.publications(&session.actor).await {
        Ok(list) => list
            .into_iter()
            .map(|p| ShownPublication {
                link: format!("/p/{}/policy/{}", session.actor.tenant, p.id),
                effective: p.effective_on.to_string(),
                status: match p.status {
                    PublicationStatus::Upcoming => lang.t("upcoming", "ещё не вступила"),
                    PublicationStatus::InForce => lang.t("in force", "действует"),
                    PublicationStatus::Superseded => lang.t("superseded", "заменена"),
                }
                .to_owned(),
                notify: p.notify,
                queued: p.notices.queued,
                skipped: p.notices.skipped,
                reconsent: p.reconsent,
                done: p.notices.done,
                id: p.id,
            })
            .collect(),
        Err(EngineError::Forbidden) => Vec::new(),
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let reconsent = match engine.reconsent_needed(&session.actor).await {
        Ok(list) => list
            .into_iter()
            .map(|r| (r.subject, r.purpose, r.channel.map(|c| obereg_engine::consent::channel_code(c).to_owned()).unwrap_or_default()))
            .collect(),
        Err(EngineError::Forbidden) => Vec::new(),
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let documents = match engine.consent_documents(&session.actor).await {
        Ok(list) => match engine.public_catalog(&session.actor.tenant).await {
            Ok(catalog) => list.into_iter().map(|(doc, at, current)| shown_document(&catalog, lang, doc, at, current)).collect(),
            Err(e) => return error_page(page, status_for(&e), &e),
        },
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    // A week ahead: subjects must hear of material changes before they take effect.
    let suggested = (obereg_engine::requests::moscow_date(jiff::Timestamp::now()) + jiff::Span::new().days(7)).to_string();
    let mut response = html(&ConsentsPage { can_see_publications: session.admin, page, documents, publications, reconsent, suggested });
    *response.status_mut() = status;
    response
}

#[derive(Deserialize)]
struct PublishForm {
    effective_on: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    notify: Option<String>,
}

/// Publishes the policy from the catalog in force; with notices ticked, every active
/// subject with an address is told of the material changes and of the consents to give
/// again — the console's re-consent campaign.
async fn publish_policy(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<PublishForm>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, CONSENTS, "/console/consents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(effective_on) = form.effective_on.trim().parse::<jiff::civil::Date>() else {
        page.error = Some(page.t("Give the date as YYYY-MM-DD.", "Укажите дату в виде ГГГГ-ММ-ДД.").to_owned());
        return render_consents(&engine, &session, page, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let request = obereg_engine::documents::PublishPolicy { effective_on, notify: form.notify.is_some() };
    match engine.publish_policy(&session.actor, request).await {
        Ok(publication) => {
            crate::routes::publications::start_walk(engine.clone(), session.actor.tenant.clone(), publication.id);
            see_other("/console/consents?done=1")
        }
        Err(EngineError::Forbidden) => error_page(page, StatusCode::FORBIDDEN, &EngineError::Forbidden),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            render_consents(&engine, &session, page, status_for(&e)).await
        }
    }
}

/// A consent document version as the console lists it.
struct ShownDocument {
    sha256: String,
    purposes: String,
    written: bool,
    catalog_version: i64,
    stored: String,
    current: bool,
    ru: String,
    en: String,
}

fn shown_document(
    catalog: &obereg_core::catalog::Catalog,
    lang: Lang,
    doc: obereg_engine::consent::DocumentView,
    at: jiff::Timestamp,
    current: bool,
) -> ShownDocument {
    ShownDocument {
        purposes: doc.purposes.iter().map(|p| super::purpose_name(catalog, lang, p)).collect::<Vec<_>>().join("; "),
        sha256: doc.sha256,
        written: doc.written,
        catalog_version: doc.catalog_version,
        stored: moscow_time(at),
        current,
        ru: doc.ru,
        en: doc.en,
    }
}

#[derive(Template)]
#[template(path = "console/document.html")]
struct DocumentPage {
    page: Page,
    doc: ShownDocument,
}

async fn consent_document(State(engine): State<Engine>, headers: HeaderMap, Path(sha): Path<String>) -> Response {
    let (session, page) = match staff(&engine, &headers, ("Consent document", "Документ согласия"), "/console/consents").await
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    // The listing knows whether the version is current; a document is one of at most a few
    // hundred versions, so the list is the lookup.
    let found = match engine.consent_documents(&session.actor).await {
        Ok(list) => list.into_iter().find(|(d, _, _)| d.sha256 == sha),
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let Some((doc, at, current)) = found else {
        return error_page(page, StatusCode::NOT_FOUND, &EngineError::NotFound("consent document"));
    };
    match engine.public_catalog(&session.actor.tenant).await {
        Ok(catalog) => {
            let doc = shown_document(&catalog, page.lang, doc, at, current);
            html(&DocumentPage { page, doc })
        }
        Err(e) => error_page(page, status_for(&e), &e),
    }
}

struct ShownEntry {
    index: u64,
    at: String,
    actor: String,
    what: String,
    purpose: String,
    subject: String,
    categories: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "console/journal.html")]
struct JournalPage {
    page: Page,
    entries: Vec<ShownEntry>,
    from: u64,
    next: Option<u64>,
    previous: Option<u64>,
    acts: Vec<(String, String, usize)>,
    verdict: Option<(bool, String)>,
}

#[derive(Deserialize, Default)]
struct FromQuery {
    #[serde(default)]
    from: u64,
}

const JOURNAL_PAGE: u32 = 100;

async fn journal(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<FromQuery>) -> Response {
    let (session, page) = match overseer(&engine, &headers, ("Journal", "Журнал"), "/console/journal").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    render_journal(&engine, &session, page, q.from, None).await
}

async fn render_journal(engine: &Engine, session: &StaffSession, page: Page, from: u64, verdict: Option<(bool, String)>) -> Response {
    let lang = page.lang;
    let views = match engine.journal_entries(&session.actor, from, JOURNAL_PAGE).await {
        Ok(v) => v,
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let acts = match engine.list_acts(&session.actor, None, 20).await {
        Ok(list) => list.into_iter().map(|a| (a.act.id.clone(), a.act.date.to_string(), a.names.len())).collect(),
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let next = (views.len() as u32 == JOURNAL_PAGE).then(|| from + u64::from(JOURNAL_PAGE));
    let previous = (from > 0).then(|| from.saturating_sub(u64::from(JOURNAL_PAGE)));
    let entries = views
        .iter()
        .filter_map(|v| v.entry().ok().map(|e| (v.index, e)))
        .map(|(index, e)| ShownEntry {
            index,
            at: moscow_time(e.time),
            actor: match &e.actor {
                obereg_journal::Actor::Token { token, role } => format!("{role} ({token})"),
                obereg_journal::Actor::Operator => lang.t("operator (CLI)", "оператор (CLI)").to_owned(),
                obereg_journal::Actor::Subject => lang.t("the subject", "субъект").to_owned(),
                obereg_journal::Actor::System => "obereg".to_owned(),
            },
            what: operation_words(lang, &e.operation),
            purpose: e.purpose.unwrap_or_default(),
            subject: match e.subject {
                Some(one) => one,
                None if !e.subjects.is_empty() => format!("{} {}", e.subjects.len(), lang.t("subjects", "субъектов")),
                None => String::new(),
            },
            categories: e.categories.join(", "),
            outcome: format!("{:?}", e.outcome).to_lowercase(),
        })
        .collect();
    html(&JournalPage { page, entries, from, next, previous, acts, verdict })
}

async fn verify_journal(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    let (session, page) = match overseer(&engine, &headers, ("Journal", "Журнал"), "/console/journal").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let lang = page.lang;
    // The check recomputes the whole tree from the stored entries and compares every signed
    // checkpoint; the staff member's oversight right was checked above.
    let tenant = session.actor.tenant.clone();
    let verdict = match engine.verify_journal(&Actor::local_operator(&tenant), &tenant, &[], None).await {
        Ok(report) if report.is_clean() => (
            true,
            format!(
                "{} {}; {} {}",
                lang.t("The journal is intact:", "Журнал цел:"),
                lang.count(report.entries as i64, ["entry", "entries"], ["запись", "записи", "записей"]),
                lang.t("checkpoints matched:", "совпало контрольных точек:"),
                report.checkpoints_matched.len()
            ),
        ),
        Ok(report) => (
            false,
            format!(
                "{} {}",
                lang.t("The journal does NOT verify. Findings:", "Журнал НЕ прошёл проверку. Нарушений:"),
                report.findings.len()
            ),
        ),
        Err(e) => (false, error_text(lang, &e)),
    };
    render_journal(&engine, &session, page, 0, Some(verdict)).await
}

async fn proof(State(engine): State<Engine>, headers: HeaderMap, Path(index): Path<u64>) -> Response {
    let (session, page) = match overseer(&engine, &headers, ("Journal", "Журнал"), "/console/journal").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match engine.inclusion_proof(&session.actor, index, None).await {
        Ok(p) => {
            // The same document the API serves, for offline checking with any RFC 9162 code.
            let body = serde_json::to_string_pretty(&crate::routes::journal::InclusionProofResponse::from(p)).unwrap_or_default();
            let disposition = format!("attachment; filename=\"proof-{index}.json\"");
            let mut response = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(e) => error_page(page, status_for(&e), &e),
    }
}

struct ShownDiagnostic {
    error: bool,
    place: String,
    message: String,
    fix: String,
}

#[derive(Template)]
#[template(path = "console/catalog.html")]
struct CatalogPage {
    page: Page,
    version: i64,
    source: String,
    versions: Vec<(i64, String)>,
    diagnostics: Vec<ShownDiagnostic>,
}

async fn catalog(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<DoneQuery>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, ("Catalog", "Каталог"), "/console/catalog").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !q.done.is_empty() {
        page.notice = Some(page.t("The new catalog version is in force.", "Новая версия каталога действует.").to_owned());
    }
    render_catalog(&engine, &session, page, None, Vec::new()).await
}

async fn render_catalog(
    engine: &Engine,
    session: &StaffSession,
    page: Page,
    draft: Option<String>,
    diagnostics: Vec<ShownDiagnostic>,
) -> Response {
    let current = match engine.current_catalog(&session.actor).await {
        Ok(c) => c,
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let versions = match engine.catalog_versions(&session.actor).await {
        Ok(list) => list
            .into_iter()
            .map(|v| (v.version, moscow_time(jiff::Timestamp::from_microsecond(v.created_at).unwrap_or_default())))
            .collect(),
        Err(e) => return error_page(page, status_for(&e), &e),
    };
    let status = if diagnostics.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut response = html(&CatalogPage {
        page,
        version: current.version.version,
        source: draft.unwrap_or(current.version.source),
        versions,
        diagnostics,
    });
    *response.status_mut() = status;
    response
}

#[derive(Deserialize)]
struct CatalogForm {
    source: String,
}

async fn upload_catalog(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<CatalogForm>) -> Response {
    let (session, mut page) = match staff(&engine, &headers, ("Catalog", "Каталог"), "/console/catalog").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let lang = page.lang;
    match engine.put_catalog(&session.actor, &form.source).await {
        Ok(_) => see_other("/console/catalog?done=1"),
        Err(EngineError::InvalidCatalog(report)) => {
            let diagnostics = report
                .diagnostics
                .iter()
                .map(|d| ShownDiagnostic {
                    error: d.severity == obereg_core::catalog::Severity::Error,
                    place: match d.position {
                        Some(p) => format!("{} ({}:{})", d.path, p.line, p.column),
                        None => d.path.to_string(),
                    },
                    message: lang.t(&d.message.en, &d.message.ru).to_owned(),
                    fix: lang.t(&d.fix.en, &d.fix.ru).to_owned(),
                })
                .collect();
            page.error = Some(
                lang.t("The catalog was not saved; fix the findings below.", "Каталог не сохранён; исправьте замечания ниже.").to_owned(),
            );
            render_catalog(&engine, &session, page, Some(form.source), diagnostics).await
        }
        Err(e) => {
            let status = status_for(&e);
            page.error = Some(error_text(lang, &e));
            let mut response = render_catalog(&engine, &session, page, Some(form.source), Vec::new()).await;
            *response.status_mut() = status;
            response
        }
    }
}
