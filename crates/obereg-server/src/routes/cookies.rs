//! The public cookie banner (docs/consent.md, "Cookie consent"): the self-hosted script,
//! the banner's categories and document, and a visitor's choices. No API token: only the
//! tenant's own sites (the catalog's `[site] origins`) may call these, checked on the
//! browser's `Origin` header and answered with CORS headers for that origin only.
//!
//! The visitor's secret travels in the `__Host-obereg_visitor` cookie set on obereg's own
//! origin (shared by all the tenant's sites where the browser allows third-party cookies)
//! and, as a fallback the script keeps in the site's own storage, the `X-Obereg-Visitor`
//! header.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use obereg_engine::Engine;
use obereg_engine::cookies::VisitorChoices;
use serde::{Deserialize, Serialize};

use crate::extract::JsonBody;
use crate::problem::ApiError;

const SCRIPT: &str = include_str!("../../assets/cookie-banner.js");
const VISITOR_COOKIE: &str = "__Host-obereg_visitor";
const VISITOR_HEADER: &str = "x-obereg-visitor";
/// A year, the longest a consent cookie should live without asking again.
const VISITOR_COOKIE_SECONDS: u32 = 365 * 24 * 3600;

/// A cookie category as the banner shows it.
#[derive(Debug, Serialize)]
pub struct CategoryOut {
    pub id: String,
    pub kind: String,
    pub name_ru: String,
    pub name_en: Option<String>,
    pub lifetime_days: Option<u32>,
    pub vendors: Vec<String>,
}

/// What the banner shows.
#[derive(Debug, Serialize)]
pub struct BannerOut {
    pub categories: Vec<CategoryOut>,
    /// The consent document's SHA-256, sent back with the choices.
    pub document: Option<String>,
    /// Where its text is, relative to the banner's base.
    pub document_url: Option<String>,
}

/// One category's state.
#[derive(Debug, Serialize)]
pub struct ChoiceOut {
    pub category: String,
    pub kind: String,
    pub allowed: bool,
    pub reason: &'static str,
}

/// A visitor's choices; `visitor` only when the visitor was created by this request.
#[derive(Debug, Serialize)]
pub struct ChoicesOut {
    pub visitor: Option<String>,
    pub choices: Vec<ChoiceOut>,
}

/// The choices a visitor made.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoicesIn {
    pub choices: BTreeMap<String, bool>,
    pub document: String,
}

/// `?lang=ru|en`.
#[derive(Debug, Deserialize)]
pub struct LangQuery {
    pub lang: Option<String>,
}

fn origin(headers: &HeaderMap) -> Result<String, ApiError> {
    headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned).ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "cookies.origin_not_allowed",
            "call this from a page of one of the operator's sites",
            "вызывайте это со страницы одного из сайтов оператора",
        )
    })
}

/// The visitor secret from the cookie or, failing that, the header.
fn visitor(headers: &HeaderMap) -> Option<String> {
    let from_cookie = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == VISITOR_COOKIE).then(|| value.to_owned())
    });
    from_cookie.or_else(|| headers.get(VISITOR_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned))
}

/// CORS for exactly the calling origin, which the engine has accepted.
fn with_cors(origin: &str, mut response: Response) -> Response {
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

fn choices_out(v: VisitorChoices) -> ChoicesOut {
    ChoicesOut {
        visitor: v.new_secret,
        choices: v
            .choices
            .into_iter()
            .map(|c| ChoiceOut { category: c.category, kind: c.kind, allowed: c.allowed, reason: c.reason })
            .collect(),
    }
}

/// `GET /c/{tenant}/banner.js`: the script a site embeds.
pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        ],
        SCRIPT,
    )
        .into_response()
}

/// `GET /c/{tenant}/banner`: categories and the consent document.
pub async fn banner(State(engine): State<Engine>, Path(tenant): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let origin = origin(&headers)?;
    let b = engine.cookie_banner(&tenant, &origin).await?;
    let out = BannerOut {
        categories: b
            .categories
            .into_iter()
            .map(|c| CategoryOut {
                id: c.id,
                kind: obereg_engine::consent::code(c.kind),
                name_ru: c.name.ru,
                name_en: c.name.en,
                lifetime_days: c.lifetime_days,
                vendors: c.vendors.into_iter().map(|v| format!("{} ({})", v.name, v.country)).collect(),
            })
            .collect(),
        document_url: b.document.as_ref().map(|d| format!("/document/{}", d.sha256)),
        document: b.document.map(|d| d.sha256),
    };
    Ok(with_cors(&origin, axum::Json(out).into_response()))
}

/// `GET /c/{tenant}/document/{sha}?lang=`: a consent document's text (Markdown).
pub async fn document(
    State(engine): State<Engine>,
    Path((tenant, sha)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let doc = engine.public_consent_document(&tenant, &sha).await?;
    let text = if q.lang.as_deref() == Some("en") { doc.en } else { doc.ru };
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("text/markdown; charset=utf-8"))], text).into_response())
}

/// `GET /c/{tenant}/choices`: the calling visitor's choices.
pub async fn current(State(engine): State<Engine>, Path(tenant): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let origin = origin(&headers)?;
    let secret = visitor(&headers).ok_or_else(|| ApiError::from(obereg_engine::EngineError::NotFound("visitor")))?;
    let v = engine.cookie_choices(&tenant, &origin, &secret).await?;
    Ok(with_cors(&origin, axum::Json(choices_out(v)).into_response()))
}

/// `POST /c/{tenant}/choices`: records the visitor's choices; `Sec-GPC: 1` refuses advertising.
pub async fn record(
    State(engine): State<Engine>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ChoicesIn>,
) -> Result<Response, ApiError> {
    let origin = origin(&headers)?;
    let gpc = headers.get("sec-gpc").is_some_and(|v| v.as_bytes() == b"1");
    let secret = visitor(&headers);
    let v = engine.record_cookie_choices(&tenant, &origin, secret.as_deref(), &body.choices, &body.document, gpc).await?;
    let set_cookie = v.new_secret.as_ref().and_then(|s| {
        HeaderValue::from_str(&format!("{VISITOR_COOKIE}={s}; Path=/; Secure; HttpOnly; SameSite=None; Max-Age={VISITOR_COOKIE_SECONDS}"))
            .ok()
    });
    let mut response = axum::Json(choices_out(v)).into_response();
    if let Some(cookie) = set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(with_cors(&origin, response))
}

/// `OPTIONS /c/{tenant}/choices`: the CORS preflight of a JSON POST from an allowed site.
pub async fn preflight(State(engine): State<Engine>, Path(tenant): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    let origin = origin(&headers)?;
    engine.check_site_origin(&tenant, &origin).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type, x-obereg-visitor"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    Ok(with_cors(&origin, response))
}
