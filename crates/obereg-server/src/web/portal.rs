//! The subject portal (`/me`): sign in with a one-time code, then my data, my consents,
//! my requests and who accessed my data. Every action is an engine use case bound to the
//! subject the code proved; nothing here decides what a subject may see.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use obereg_core::catalog::Channel;
use obereg_core::consent::ConsentAction;
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::PlainValue;
use obereg_engine::requests::Language;
use obereg_engine::web::portal::PortalSession;
use obereg_engine::{DEFAULT_TENANT, Engine, EngineError};
use serde::Deserialize;

use super::{
    Area, Lang, PORTAL_COOKIE, Page, category_name, cleared_cookie, cookie, error_page, error_text, html, moscow_time, purpose_name,
    see_other, session_cookie, text, with_cookie,
};

pub fn routes() -> axum::Router<Engine> {
    axum::Router::new()
        .route("/me", get(start))
        .route("/me/code", post(send_code))
        .route("/me/verify", post(verify))
        .route("/me/sign-out", post(sign_out))
        .route("/me/data", get(data))
        .route("/me/data.json", get(data_json))
        .route("/me/data.html", get(data_html))
        .route("/me/consents", get(consents))
        .route("/me/consents/withdraw", post(withdraw))
        .route("/me/consents/give", get(give_page).post(give))
        .route("/me/requests", get(requests).post(file_request))
        .route("/me/journal", get(journal))
}

fn language(lang: Lang) -> Language {
    if lang == Lang::En { Language::En } else { Language::Ru }
}

fn page(headers: &HeaderMap, title: (&str, &str), path: &str) -> (Page, Option<HeaderValue>) {
    Page::new(headers, Area::Portal, title, path)
}

/// The signed-in subject and the page frame, or the way back to sign-in.
async fn signed_in(engine: &Engine, headers: &HeaderMap, title: (&str, &str), path: &str) -> Result<(PortalSession, Page), Response> {
    let (mut page, _) = page(headers, title, path);
    let Some(value) = cookie(headers, PORTAL_COOKIE) else { return Err(see_other("/me")) };
    match engine.portal_session(&value).await {
        Ok(session) => {
            page.who = Some(session.masked_address());
            Ok((session, page))
        }
        Err(EngineError::Unauthenticated) => Err(see_other("/me")),
        Err(e) => Err(error_page(page, StatusCode::INTERNAL_SERVER_ERROR, &e)),
    }
}

#[derive(Template)]
#[template(path = "portal/sign_in.html")]
struct SignInPage {
    page: Page,
    tenant: String,
}

#[derive(Deserialize)]
struct TenantQuery {
    tenant: Option<String>,
}

fn tenant_of(asked: Option<&str>) -> String {
    asked
        .filter(|t| !t.is_empty() && t.len() <= 64 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .unwrap_or(DEFAULT_TENANT)
        .to_owned()
}

async fn start(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<TenantQuery>) -> Response {
    if let Some(value) = cookie(&headers, PORTAL_COOKIE)
        && engine.portal_session(&value).await.is_ok()
    {
        return see_other("/me/data");
    }
    let (page, pre) = page(&headers, ("Personal data portal: sign in", "Личный кабинет: вход"), "/me");
    with_cookie(html(&SignInPage { page, tenant: tenant_of(q.tenant.as_deref()) }), pre)
}

#[derive(Deserialize)]
struct AddressForm {
    tenant: String,
    address: String,
}

#[derive(Template)]
#[template(path = "portal/code.html")]
struct CodePage {
    page: Page,
    tenant: String,
    id: String,
}

async fn send_code(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<AddressForm>) -> Response {
    let (mut page, _) = page(&headers, ("Enter the code", "Введите код"), "/me");
    let tenant = tenant_of(Some(&form.tenant));
    match engine.portal_send_code(&tenant, &PlainValue::new(form.address.as_str()), language(page.lang)).await {
        Ok(id) => html(&CodePage { page, tenant, id }),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            page.title = page.t("Personal data portal: sign in", "Личный кабинет: вход").to_owned();
            let mut response = html(&SignInPage { page, tenant });
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
    }
}

#[derive(Deserialize)]
struct CodeForm {
    tenant: String,
    id: String,
    code: String,
}

async fn verify(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<CodeForm>) -> Response {
    let (mut page, _) = page(&headers, ("Enter the code", "Введите код"), "/me");
    let tenant = tenant_of(Some(&form.tenant));
    match engine.portal_verify_code(&tenant, &form.id, &form.code).await {
        Ok(opened) => {
            let mut response = see_other("/me/data");
            response.headers_mut().append(header::SET_COOKIE, session_cookie(PORTAL_COOKIE, &opened.cookie, opened.max_age, "Lax"));
            response
        }
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            let mut response = html(&CodePage { page, tenant, id: form.id });
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
    }
}

async fn sign_out(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    if let Some(value) = cookie(&headers, PORTAL_COOKIE) {
        let _ = engine.sign_out(&value).await;
    }
    let mut response = see_other("/me");
    response.headers_mut().append(header::SET_COOKIE, cleared_cookie(PORTAL_COOKIE));
    response
}

/// A value or record as the data page lists it.
struct ShownItem {
    value: String,
    source: String,
    purposes: String,
    at: String,
}

struct ShownCategory {
    name: String,
    items: Vec<ShownItem>,
}

#[derive(Template)]
#[template(path = "portal/data.html")]
struct DataPage {
    page: Page,
    several: bool,
    known: bool,
    categories: Vec<ShownCategory>,
    purposes: Vec<(String, String)>,
    recipients: Vec<String>,
    storage: Vec<String>,
}

async fn data(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    let (session, page) = match signed_in(&engine, &headers, ("My data", "Мои данные"), "/me/data").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let lang = page.lang;
    let (export, catalog) = match (engine.portal_data(&session).await, engine.public_catalog(&session.tenant).await) {
        (Ok(export), Ok(catalog)) => (export, catalog),
        (Err(e), _) | (_, Err(e)) => return error_page(page, StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let mut categories: Vec<ShownCategory> = Vec::new();
    let mut push = |category: &str, item: ShownItem| {
        let name = category_name(&catalog, lang, category);
        match categories.iter_mut().find(|c| c.name == name) {
            Some(c) => c.items.push(item),
            None => categories.push(ShownCategory { name, items: vec![item] }),
        }
    };
    let purposes_of = |ids: &[String]| ids.iter().map(|p| purpose_name(&catalog, lang, p)).collect::<Vec<_>>().join("; ");
    for v in &export.values {
        push(
            &v.category,
            ShownItem {
                value: v.value.clone(),
                source: v.source.clone(),
                purposes: purposes_of(&v.purposes),
                at: moscow_time(v.collected_at),
            },
        );
    }
    for r in &export.records {
        let value = serde_json::to_string(&r.body).unwrap_or_default();
        push(
            &r.category,
            ShownItem { value, source: r.source.clone(), purposes: purposes_of(&r.purposes), at: moscow_time(r.occurred_at) },
        );
    }
    let purposes = export
        .purposes
        .iter()
        .map(|p| {
            let name = if lang == Lang::En { p.name.en.clone() } else { p.name.ru.clone() };
            let retention = p.retention.as_ref().map(|r| if lang == Lang::En { r.en.clone() } else { r.ru.clone() }).unwrap_or_default();
            (name, retention)
        })
        .collect();
    let recipients = export.recipients.iter().map(|r| format!("{} ({})", r.name, r.country)).collect();
    let storage = export.storage.iter().map(|s| format!("{} — {}", s.system, s.country)).collect();
    html(&DataPage { page, several: session.several, known: export.subject.is_some(), categories, purposes, recipients, storage })
}

async fn data_json(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    let (session, page) = match signed_in(&engine, &headers, ("My data", "Мои данные"), "/me/data").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match engine.portal_data(&session).await {
        Ok(export) => (
            [(header::CONTENT_TYPE, "application/json"), (header::CONTENT_DISPOSITION, "attachment; filename=\"my-data.json\"")],
            serde_json::to_string_pretty(&export).unwrap_or_default(),
        )
            .into_response(),
        Err(e) => error_page(page, StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

async fn data_html(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    let (session, page) = match signed_in(&engine, &headers, ("My data", "Мои данные"), "/me/data").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match engine.portal_data(&session).await {
        Ok(export) => {
            let mut response = crate::routes::generated_page(export.to_html(), "text/html; charset=utf-8");
            response.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"my-data.html\""));
            response
        }
        Err(e) => error_page(page, StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// One consent scope as the consents page shows it.
struct ShownConsent {
    purpose: String,
    purpose_name: String,
    channel: String,
    channel_name: String,
    given: bool,
    since: String,
}

#[derive(Template)]
#[template(path = "portal/consents.html")]
struct ConsentsPage {
    page: Page,
    known: bool,
    consents: Vec<ShownConsent>,
}

fn channel_name(lang: Lang, channel: &str) -> String {
    let (en, ru) = match channel {
        "email" => ("by email", "по электронной почте"),
        "sms" => ("by SMS", "по SMS"),
        "phone" => ("by phone calls", "звонками"),
        "post" => ("by post", "почтой"),
        "messenger" => ("in messengers", "в мессенджерах"),
        "push" => ("by push notifications", "push-уведомлениями"),
        "" => ("", ""),
        other => (other, other),
    };
    lang.t(en, ru).to_owned()
}

async fn consents(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<DoneQuery>) -> Response {
    let (session, mut page) = match signed_in(&engine, &headers, ("My consents", "Мои согласия"), "/me/consents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let lang = page.lang;
    page.notice = q.done.as_deref().map(|d| done_text(lang, d));
    let (choices, catalog) = match (engine.portal_consent_choices(&session).await, engine.public_catalog(&session.tenant).await) {
        (Ok(c), Ok(catalog)) => (c, catalog),
        (Err(e), _) | (_, Err(e)) => return error_page(page, StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let known = choices.is_some();
    let shown = choices
        .unwrap_or_default()
        .into_iter()
        .map(|c| {
            let channel = c.channel.map(|c| obereg_engine::consent::channel_code(c).to_owned()).unwrap_or_default();
            ShownConsent {
                purpose_name: purpose_name(&catalog, lang, &c.purpose),
                purpose: c.purpose,
                channel_name: channel_name(lang, &channel),
                channel,
                given: c.current.as_ref().is_some_and(|e| e.event.action == ConsentAction::Given),
                since: c.current.map(|e| moscow_time(e.event.at)).unwrap_or_default(),
            }
        })
        .collect();
    html(&ConsentsPage { page, known, consents: shown })
}

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

fn done_text(lang: Lang, done: &str) -> String {
    match done {
        "withdrawn" => lang.t("Consent withdrawn.", "Согласие отозвано."),
        "given" => lang.t("Consent given.", "Согласие дано."),
        "filed" => lang.t("Your request is registered.", "Ваш запрос зарегистрирован."),
        _ => "",
    }
    .to_owned()
}

#[derive(Deserialize)]
struct ConsentForm {
    purpose: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    document: String,
}

fn parse_channel(code: &str) -> Result<Option<Channel>, EngineError> {
    if code.is_empty() {
        return Ok(None);
    }
    serde_json::from_value(serde_json::Value::String(code.to_owned()))
        .map(Some)
        .map_err(|_| EngineError::invalid("consent.unknown_channel", "unknown channel", "неизвестный канал"))
}

async fn withdraw(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<ConsentForm>) -> Response {
    let (session, page) = match signed_in(&engine, &headers, ("My consents", "Мои согласия"), "/me/consents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let result = match parse_channel(&form.channel) {
        Ok(channel) => engine.portal_set_consent(&session, &form.purpose, channel, None).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other("/me/consents?done=withdrawn"),
        Err(e) => error_page(page, StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

#[derive(Template)]
#[template(path = "portal/give.html")]
struct GivePage {
    page: Page,
    purpose: String,
    channel: String,
    document: String,
    text: String,
}

#[derive(Deserialize)]
struct GiveQuery {
    purpose: String,
    #[serde(default)]
    channel: String,
}

async fn give_page(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<GiveQuery>) -> Response {
    let (session, page) = match signed_in(&engine, &headers, ("Give consent", "Дать согласие"), "/me/consents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match engine.portal_consent_document(&session, &q.purpose).await {
        Ok(doc) => {
            let text = if page.lang == Lang::En { doc.en } else { doc.ru };
            html(&GivePage { page, purpose: q.purpose, channel: q.channel, document: doc.sha256, text })
        }
        Err(e) => error_page(page, StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

async fn give(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<ConsentForm>) -> Response {
    let (session, page) = match signed_in(&engine, &headers, ("Give consent", "Дать согласие"), "/me/consents").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let result = match parse_channel(&form.channel) {
        Ok(channel) => engine.portal_set_consent(&session, &form.purpose, channel, Some(&form.document)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => see_other("/me/consents?done=given"),
        Err(e) => error_page(page, StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

/// A request as the subject follows it.
pub(crate) struct ShownRequest {
    pub id: String,
    pub kind: String,
    pub state: String,
    pub received: String,
    pub due: String,
    pub overdue: bool,
}

pub(crate) fn kind_name(lang: Lang, kind: RequestKind) -> String {
    let (en, ru) = match kind {
        RequestKind::Access => ("Access to my data", "Доступ к моим данным"),
        RequestKind::Portability => ("A copy to take elsewhere", "Копия для передачи"),
        RequestKind::Rectification => ("Correct my data", "Исправить мои данные"),
        RequestKind::Erasure => ("Delete my data", "Удалить мои данные"),
        RequestKind::Restriction => ("Block (restrict) my data", "Заблокировать мои данные"),
        RequestKind::Objection => ("Object to processing", "Возразить против обработки"),
        RequestKind::ConsentWithdrawal => ("Withdraw consent", "Отозвать согласие"),
        RequestKind::DistributionStop => ("Stop distribution", "Прекратить распространение"),
        RequestKind::Complaint => ("Complaint", "Жалоба"),
    };
    lang.t(en, ru).to_owned()
}

pub(crate) fn state_name(lang: Lang, state: obereg_core::request::RequestState) -> String {
    use obereg_core::request::RequestState as S;
    let (en, ru) = match state {
        S::Received => ("received", "получен"),
        S::IdentityCheck => ("identity check", "проверка личности"),
        S::InProgress => ("in progress", "в работе"),
        S::Extended => ("in progress, term extended", "в работе, срок продлён"),
        S::Completed => ("completed", "исполнен"),
        S::Refused => ("refused", "отказано"),
        S::Withdrawn => ("withdrawn", "отозван"),
    };
    lang.t(en, ru).to_owned()
}

/// The kinds a subject may file in the portal, with their form codes.
const PORTAL_KINDS: [(&str, RequestKind); 7] = [
    ("access", RequestKind::Access),
    ("rectification", RequestKind::Rectification),
    ("erasure", RequestKind::Erasure),
    ("restriction", RequestKind::Restriction),
    ("objection", RequestKind::Objection),
    ("portability", RequestKind::Portability),
    ("complaint", RequestKind::Complaint),
];

#[derive(Template)]
#[template(path = "portal/requests.html")]
struct RequestsPage {
    page: Page,
    requests: Vec<ShownRequest>,
    kinds: Vec<(String, String)>,
}

async fn requests(State(engine): State<Engine>, headers: HeaderMap, Query(q): Query<DoneQuery>) -> Response {
    let (session, mut page) = match signed_in(&engine, &headers, ("My requests", "Мои запросы"), "/me/requests").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    page.notice = q.done.as_deref().map(|d| done_text(page.lang, d));
    render_requests(&engine, &session, page).await
}

async fn render_requests(engine: &Engine, session: &PortalSession, page: Page) -> Response {
    let lang = page.lang;
    match engine.portal_requests(session).await {
        Ok(list) => {
            let requests = list
                .into_iter()
                .map(|r| ShownRequest {
                    kind: kind_name(lang, r.kind),
                    state: state_name(lang, r.state),
                    received: moscow_time(r.received_at),
                    due: r.due_on.to_string(),
                    overdue: r.overdue,
                    id: r.id,
                })
                .collect();
            let kinds = PORTAL_KINDS.iter().map(|(code, kind)| ((*code).to_owned(), kind_name(lang, *kind))).collect();
            html(&RequestsPage { page, requests, kinds })
        }
        Err(e) => error_page(page, StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

#[derive(Deserialize)]
struct RequestForm {
    kind: String,
    #[serde(default)]
    details: String,
}

async fn file_request(State(engine): State<Engine>, headers: HeaderMap, Form(form): Form<RequestForm>) -> Response {
    let (session, mut page) = match signed_in(&engine, &headers, ("My requests", "Мои запросы"), "/me/requests").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some((_, kind)) = PORTAL_KINDS.iter().find(|(code, _)| *code == form.kind) else {
        page.error = Some(page.t("Choose what you ask for.", "Выберите, о чём вы просите.").to_owned());
        return render_requests(&engine, &session, page).await;
    };
    let details = (!form.details.trim().is_empty()).then(|| PlainValue::new(form.details.trim()));
    match engine.portal_submit_request(&session, *kind, details, language(page.lang)).await {
        Ok(_) => see_other("/me/requests?done=filed"),
        Err(e) => {
            page.error = Some(error_text(page.lang, &e));
            let mut response = render_requests(&engine, &session, page).await;
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            response
        }
    }
}

/// A journal entry in plain words.
struct ShownAccess {
    at: String,
    who: String,
    what: String,
    purpose: String,
    categories: String,
}

#[derive(Template)]
#[template(path = "portal/journal.html")]
struct JournalPage {
    page: Page,
    known: bool,
    entries: Vec<ShownAccess>,
}

/// What an operation code means to the person whose data it touched.
pub(crate) fn operation_words(lang: Lang, code: &str) -> String {
    if let Some(op) = obereg_core::Operation::ALL.iter().find(|op| op.code() == code) {
        let label = op.label();
        return lang.t(&label.en, &label.ru).to_owned();
    }
    let (en, ru) = match code {
        "consent.given" => ("consent given", "согласие дано"),
        "consent.withdrawn" => ("consent withdrawn", "согласие отозвано"),
        "consent.expired" => ("consent expired", "срок согласия истёк"),
        "consent.refused" => ("consent refused", "в согласии отказано"),
        "portal.signed_in" => ("signed in to the portal", "вход в личный кабинет"),
        "request.received" => ("request registered", "запрос зарегистрирован"),
        "request.identity_verified" => ("identity confirmed", "личность подтверждена"),
        "request.completed" | "request.complete" => ("request completed", "запрос исполнен"),
        "retention.event" => ("retention event recorded", "зафиксировано событие хранения"),
        "retention.purpose_ended" => ("purpose achieved, data removed", "цель достигнута, данные удалены"),
        other => (other, other),
    };
    lang.t(en, ru).to_owned()
}

async fn journal(State(engine): State<Engine>, headers: HeaderMap) -> Response {
    let (session, page) = match signed_in(&engine, &headers, ("Who accessed my data", "Кто обращался к моим данным"), "/me/journal").await
    {
        Ok(s) => s,
        Err(r) => return r,
    };
    let lang = page.lang;
    let (views, catalog) = match (engine.portal_journal(&session).await, engine.public_catalog(&session.tenant).await) {
        (Ok(v), Ok(c)) => (v, c),
        (Err(e), _) | (_, Err(e)) => return error_page(page, StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let mut entries = Vec::new();
    for view in views {
        let Ok(entry) = view.entry() else { continue };
        let who = match &entry.actor {
            obereg_journal::Actor::Subject => lang.t("you", "вы").to_owned(),
            obereg_journal::Actor::System => lang.t("obereg, automatically", "obereg автоматически").to_owned(),
            obereg_journal::Actor::Operator => lang.t("the operator's administrator", "администратор оператора").to_owned(),
            obereg_journal::Actor::Token { role, .. } => match catalog.roles.iter().find(|r| &r.id == role) {
                Some(r) => format!("{}: {}", lang.t("staff", "сотрудник"), text(lang, &r.name)),
                None => lang.t("the operator's administrator", "администратор оператора").to_owned(),
            },
        };
        entries.push(ShownAccess {
            at: moscow_time(entry.time),
            who,
            what: operation_words(lang, &entry.operation),
            purpose: entry.purpose.as_deref().map(|p| purpose_name(&catalog, lang, p)).unwrap_or_default(),
            categories: entry.categories.iter().map(|c| category_name(&catalog, lang, c)).collect::<Vec<_>>().join(", "),
        });
    }
    html(&JournalPage { page, known: session.subject.is_some(), entries })
}
