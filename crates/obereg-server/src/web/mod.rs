//! The web pages: the admin console (`/console`) for staff and the subject portal (`/me`).
//!
//! Server-rendered HTML from templates compiled into the binary (askama: a template that
//! names a missing field does not build, and every value is HTML-escaped). The pages load
//! nothing from elsewhere and run no script: the core flows are plain links and forms.
//!
//! Security, in one place for every page:
//! - headers: a CSP that allows only this origin's stylesheet and images (`script-src
//!   'self'`, no inline anything), no framing, no referrer, no caching, no sniffing;
//! - sessions: `__Host-` cookies (Secure, HttpOnly, Path=/, no Domain), `SameSite=Strict`
//!   for the console and `Lax` for the portal (links from emails land signed in), their
//!   values kept server-side only as hashes (see `obereg_engine::web`);
//! - forms: every POST must come from this origin (`Sec-Fetch-Site` / `Origin`) and carry
//!   the token derived from the visitor's session, or from a pre-session cookie on the
//!   sign-in pages. The check runs before any handler, so no form can forget it.

mod accounts;
mod chart;
mod console;
mod incidents;
mod lang;
mod portal;

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, Request};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use obereg_engine::{Engine, EngineError};

pub use lang::Lang;

/// The console's session cookie.
pub const CONSOLE_COOKIE: &str = "__Host-obereg-console";
/// The portal's session cookie.
pub const PORTAL_COOKIE: &str = "__Host-obereg-me";
/// The pre-session cookie whose token protects the sign-in forms.
pub const PRE_COOKIE: &str = "__Host-obereg-pre";
/// The largest form body read (a catalog pasted into the upload form is the largest).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// The CSP of every page: own stylesheet and images only; no scripts but our own (there
/// are none today), no framing, forms post only here.
const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The console and portal routes.
pub fn router(engine: Engine) -> Router {
    Router::new()
        .merge(console::routes())
        .merge(accounts::routes())
        .merge(incidents::routes())
        .merge(portal::routes())
        .route("/static/obereg.css", axum::routing::get(stylesheet))
        .route("/lang", axum::routing::get(switch_language))
        .with_state(engine)
        .layer(middleware::from_fn(guard_forms))
        .layer(middleware::from_fn(page_headers))
}

async fn page_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Not `no-referrer`: under it browsers send `Origin: null` with the page's own form posts,
    // and the form guard could no longer tell them from cross-site ones. `same-origin` still
    // tells other sites nothing.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

/// A `Set-Cookie` value for a session-like cookie.
fn session_cookie(name: &str, value: &str, max_age: i64, same_site: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Secure; HttpOnly; SameSite={same_site}; Max-Age={max_age}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that removes cookie `name`.
fn cleared_cookie(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The session cookie a path's forms are bound to.
fn session_cookie_name(path: &str) -> &'static str {
    if path.starts_with("/me") { PORTAL_COOKIE } else { CONSOLE_COOKIE }
}

/// Whether a POST comes from a page of this origin, by the headers browsers set: a
/// cross-site `Sec-Fetch-Site`, or an `Origin` naming another host, is refused.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            let bare = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or("");
            !host.is_empty() && bare == host
        }
    }
}

/// Refuses a POST that is cross-site or lacks the token of the visitor's session (or of the
/// pre-session cookie), before any handler runs.
async fn guard_forms(req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let lang = Lang::of(req.headers());
    if !same_origin(req.headers()) {
        return forbidden_form(lang);
    }
    let candidates: Vec<String> =
        [session_cookie_name(req.uri().path()), PRE_COOKIE].iter().filter_map(|name| cookie(req.headers(), name)).collect();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, lang.t("The form is too large.", "Форма слишком велика.").to_owned()).into_response();
    };
    let presented = form_urlencoded_value(&bytes, "csrf").unwrap_or_default();
    if presented.is_empty() || !candidates.iter().any(|c| obereg_engine::web::csrf_matches(c, &presented)) {
        return forbidden_form(lang);
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn forbidden_form(lang: Lang) -> Response {
    (
        StatusCode::FORBIDDEN,
        lang.t(
            "This form was not sent from this site's page, or the page is too old. Go back, reload the page and try again.",
            "Форма отправлена не со страницы этого сайта или страница устарела. Вернитесь, обновите страницу и повторите.",
        )
        .to_owned(),
    )
        .into_response()
}

fn form_urlencoded_value(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()?.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// The token forms of this request carry, and, when the visitor has neither a session nor a
/// pre-session cookie yet, the cookie to set so the next POST can be checked.
fn form_token(headers: &HeaderMap, session: &str) -> (String, Option<HeaderValue>) {
    if let Some(value) = cookie(headers, session) {
        return (obereg_engine::web::csrf_token(&value), None);
    }
    if let Some(value) = cookie(headers, PRE_COOKIE) {
        return (obereg_engine::web::csrf_token(&value), None);
    }
    let value = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    (obereg_engine::web::csrf_token(&value), Some(session_cookie(PRE_COOKIE, &value, 3600, "Strict")))
}

/// Which part of obereg a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Console,
    Portal,
}

/// What every page's frame needs: language, title, the form token, who is signed in and
/// which menu entries they may see.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub title: String,
    pub csrf: String,
    pub area: Area,
    /// The signed-in person as the header shows them.
    pub who: Option<String>,
    /// Console: the role works requests and the journal.
    pub dpo: bool,
    /// Console: the account is a tenant administrator.
    pub admin: bool,
    /// The path of this page, for the language switch to come back to.
    pub path: String,
    /// A message after an action (done, or what went wrong).
    pub notice: Option<String>,
    pub error: Option<String>,
}

impl Page {
    /// The frame of a page of `area` for this request, before anyone is known to be signed
    /// in, with the pre-session cookie to set when the visitor has no cookie to bind forms to.
    pub fn new(headers: &HeaderMap, area: Area, title: (&str, &str), path: &str) -> (Self, Option<HeaderValue>) {
        let lang = Lang::of(headers);
        let session = match area {
            Area::Console => CONSOLE_COOKIE,
            Area::Portal => PORTAL_COOKIE,
        };
        let (csrf, pre) = form_token(headers, session);
        let page = Page {
            lang,
            title: lang.t(title.0, title.1).to_owned(),
            csrf,
            area,
            who: None,
            dpo: false,
            admin: false,
            path: path.to_owned(),
            notice: None,
            error: None,
        };
        (page, pre)
    }

    pub fn t<'a>(&self, en: &'a str, ru: &'a str) -> &'a str {
        self.lang.t(en, ru)
    }

    pub fn console(&self) -> bool {
        self.area == Area::Console
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().code()
    }

    pub fn other_lang_name(&self) -> &'static str {
        self.t("Русский", "English")
    }

    /// Escaped by the template like any other value.
    pub fn back(&self) -> &str {
        &self.path
    }
}

/// A rendered template as an HTML answer.
pub fn html(template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(_) => {
            tracing::error!("a page template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error / внутренняя ошибка").into_response()
        }
    }
}

/// `response` with `cookie` set, when there is one.
pub fn with_cookie(mut response: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// A redirect after a form (303: the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// What an engine error says to a person, in their language; never a personal-data value
/// (engine messages name problems, not values).
pub fn error_text(lang: Lang, error: &EngineError) -> String {
    match error {
        EngineError::Invalid { message, .. } | EngineError::RateLimited(message) | EngineError::Refused { reason: message, .. } => {
            lang.t(&message.en, &message.ru).to_owned()
        }
        EngineError::InvalidCatalog(_) => lang.t("The catalog is invalid.", "Каталог содержит ошибки.").to_owned(),
        EngineError::Forbidden => lang.t("Your role may not do this.", "Вашей роли это не разрешено.").to_owned(),
        EngineError::NotFound(_) => lang.t("Not found.", "Не найдено.").to_owned(),
        EngineError::Conflict(_) => lang
            .t(
                "Someone changed this at the same moment; reload and try again.",
                "Это изменили одновременно с вами; обновите страницу и повторите.",
            )
            .to_owned(),
        EngineError::Unauthenticated => lang.t("Please sign in again.", "Войдите снова.").to_owned(),
        EngineError::Store(_) | EngineError::Internal(_) => {
            lang.t("Something went wrong on our side; try again later.", "На нашей стороне произошла ошибка; повторите позже.").to_owned()
        }
    }
}

/// A page for an error that leaves nothing to show (not found, forbidden, internal).
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: Page,
    message: String,
}

pub fn error_page(mut page: Page, status: StatusCode, error: &EngineError) -> Response {
    let message = error_text(page.lang, error);
    page.title = page.t("Error", "Ошибка").to_owned();
    let mut response = html(&ErrorPage { page, message });
    *response.status_mut() = status;
    response
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/obereg.css"),
    )
        .into_response()
}

/// `GET /lang?to=en&back=/console/requests`: sets the language cookie and goes back.
async fn switch_language(Query(query): Query<HashMap<String, String>>) -> Response {
    let to = if query.get("to").map(String::as_str) == Some("en") { "en" } else { "ru" };
    // Only back to one of our own pages: never an open redirect.
    let back = query.get("back").filter(|b| (b.starts_with("/console") || b.starts_with("/me")) && !b.contains("//")).map(String::as_str);
    let mut response = see_other(back.unwrap_or("/me"));
    if let Ok(value) = HeaderValue::from_str(&format!("{}={to}; Path=/; SameSite=Lax; Max-Age=31536000", lang::LANG_COOKIE)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Formats a timestamp as Moscow date and time for people.
pub fn moscow_time(t: jiff::Timestamp) -> String {
    // Moscow keeps UTC+3 all year (no daylight saving since 2014).
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).strftime("%Y-%m-%d %H:%M").to_string()
}

/// A catalog text in the page's language (Russian where the catalog has no English).
fn text(lang: Lang, t: &obereg_core::catalog::LocalizedText) -> String {
    match (lang, &t.en) {
        (Lang::En, Some(en)) => en.clone(),
        _ => t.ru.clone(),
    }
}

/// A purpose's name from the catalog, or its id when the catalog no longer has it.
fn purpose_name(catalog: &obereg_core::catalog::Catalog, lang: Lang, id: &str) -> String {
    catalog.purposes.iter().find(|p| p.id == id).map(|p| text(lang, &p.name)).unwrap_or_else(|| id.to_owned())
}

/// A category's name from the catalog, or its id when the catalog no longer has it.
fn category_name(catalog: &obereg_core::catalog::Catalog, lang: Lang, id: &str) -> String {
    catalog.categories.iter().find(|c| c.id == id).map(|c| text(lang, &c.name)).unwrap_or_else(|| id.to_owned())
}

/// A subject status in words.
fn status_name(lang: Lang, status: &str) -> &str {
    match status {
        "active" => lang.t("active", "активен"),
        "restricted" => lang.t("restricted (blocked)", "заблокирован"),
        "erased" => lang.t("erased", "удалён"),
        other => other,
    }
}
