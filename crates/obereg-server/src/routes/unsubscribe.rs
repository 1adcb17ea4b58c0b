//! One-click unsubscribe (RFC 8058): the public pages behind the link in an email, and the
//! API that issues links.
//!
//! `GET /u/{token}` shows what the link will do and a button (a plain form, no script);
//! `POST /u/{token}` withdraws, which is also what mail clients send for
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. Both answer in the reader's
//! language with a short HTML page, also when the link is broken or expired, and never
//! show the address the email went to.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use obereg_core::catalog::Channel;
use obereg_core::decision::channel_name;
use obereg_core::text::Lang;
use obereg_engine::unsubscribe::{UnsubscribeScope, Unsubscribed};
use obereg_engine::{Engine, EngineError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{Caller, JsonBody};
use crate::problem::{ApiError, ProblemBody};

/// A link to issue.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkIn {
    /// A marketing purpose.
    pub purpose: String,
    #[schema(value_type = String)]
    pub channel: Channel,
    /// 1 to 365 (default 90).
    pub valid_days: Option<u32>,
}

/// An issued link and the headers to put in the email.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkOut {
    /// Append to the server's public address: `https://privacy.example.ru/u/…`.
    pub path: String,
    pub expires_at: String,
    /// The `List-Unsubscribe-Post` header value (RFC 8058).
    pub list_unsubscribe_post: String,
}

/// Issues a one-click unsubscribe link for one subject, marketing purpose and channel.
#[utoipa::path(post, path = "/v1/subjects/{id}/unsubscribe-links", tag = "consent", security(("bearer" = [])), params(("id" = String, Path)), request_body = LinkIn, responses(
    (status = 201, description = "the link", body = LinkOut),
    (status = 404, description = "no such subject", body = ProblemBody, content_type = "application/problem+json"),
    (status = 422, description = "not a marketing purpose using that channel", body = ProblemBody, content_type = "application/problem+json"),
))]
pub async fn issue(
    State(engine): State<Engine>,
    Caller(actor): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<LinkIn>,
) -> Result<(StatusCode, Json<LinkOut>), ApiError> {
    let link = engine.unsubscribe_link(&actor, &id, &body.purpose, body.channel, body.valid_days.unwrap_or(90)).await?;
    Ok((
        StatusCode::CREATED,
        Json(LinkOut {
            path: link.path,
            expires_at: link.expires_at.to_string(),
            list_unsubscribe_post: "List-Unsubscribe=One-Click".into(),
        }),
    ))
}

fn lang() -> Lang {
    crate::context::current().map(|c| c.lang).unwrap_or_default()
}

/// A small self-contained page: no scripts, no external resources.
fn page(status: StatusCode, lang: Lang, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}}\
         button{{font:inherit;padding:.6rem 1.2rem}}</style></head><body><h1>{title}</h1>{body}</body></html>",
        if lang == Lang::Ru { "ru" } else { "en" }
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"),
    );
    response
}

fn failure(e: &EngineError, lang: Lang) -> Response {
    let (status, message) = match e {
        EngineError::Invalid { code: "unsubscribe.expired", message } => (StatusCode::GONE, message.get(lang).to_owned()),
        EngineError::Invalid { message, .. } => (StatusCode::BAD_REQUEST, message.get(lang).to_owned()),
        EngineError::NotFound(_) => (
            StatusCode::NOT_FOUND,
            match lang {
                Lang::Ru => "Данных по этой ссылке больше нет: рассылки по ней не будет.".to_owned(),
                _ => "There is no longer any data behind this link: nothing will be sent by it.".to_owned(),
            },
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            match lang {
                Lang::Ru => "Не получилось отписать вас сейчас. Попробуйте позже или напишите оператору.".to_owned(),
                _ => "We could not unsubscribe you right now. Please try again later or write to the operator.".to_owned(),
            },
        ),
    };
    let title = if lang == Lang::Ru { "Ссылка отписки" } else { "Unsubscribe link" };
    page(status, lang, title, &format!("<p>{}</p>", obereg_core::text::html_escape(&message)))
}

/// The confirmation page: what the link does, and the button.
pub async fn confirm_page(State(engine): State<Engine>, Path(token): Path<String>) -> Response {
    let lang = lang();
    let target = match engine.unsubscribe_target(&token) {
        Ok(t) => t,
        Err(e) => return failure(&e, lang),
    };
    let (title, text, button) = match (&target.scope, lang) {
        (UnsubscribeScope::Marketing { purpose, channel }, Lang::Ru) => (
            "Отписаться от рассылки",
            format!(
                "Вы перестанете получать рекламу «{}» по каналу «{}». Другие рассылки это не затронет.",
                obereg_core::text::html_escape(purpose),
                obereg_core::text::html_escape(&channel_name(*channel).ru)
            ),
            "Отписаться",
        ),
        (UnsubscribeScope::Marketing { purpose, channel }, _) => (
            "Unsubscribe",
            format!(
                "You will stop receiving `{}` advertising by {}. Other mailings are not affected.",
                obereg_core::text::html_escape(purpose),
                obereg_core::text::html_escape(&channel_name(*channel).en)
            ),
            "Unsubscribe",
        ),
        (UnsubscribeScope::Notices { .. }, Lang::Ru) => (
            "Отписаться от уведомлений",
            "Вы перестанете получать письма об изменении политики обработки персональных данных. \
             Опубликованная политика по-прежнему доступна на сайте оператора."
                .to_owned(),
            "Отписаться",
        ),
        (UnsubscribeScope::Notices { .. }, _) => (
            "Stop notices",
            "You will stop receiving emails about changes to the privacy policy. \
             The published policy stays available on the operator's site."
                .to_owned(),
            "Stop notices",
        ),
    };
    let form = format!(
        "<p>{text}</p><form method=\"post\" action=\"/u/{}\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\"><button type=\"submit\">{button}</button></form>",
        obereg_core::text::html_escape(&token)
    );
    page(StatusCode::OK, lang, title, &form)
}

/// Withdraws the consent the link names (the page's button, or a mail client's one-click POST).
pub async fn one_click(State(engine): State<Engine>, Path(token): Path<String>) -> Response {
    let lang = lang();
    match engine.unsubscribe(&token).await {
        Ok((target, outcome)) => {
            let notices = matches!(target.scope, UnsubscribeScope::Notices { .. });
            let (title, text) = match (lang, outcome, notices) {
                (Lang::Ru, Unsubscribed::Withdrawn, false) => {
                    ("Вы отписаны", "Согласие на эту рассылку отозвано. Письма по ней больше не придут.")
                }
                (Lang::Ru, Unsubscribed::AlreadyWithdrawn, false) => ("Вы уже отписаны", "Согласие на эту рассылку уже было отозвано."),
                (Lang::Ru, Unsubscribed::Withdrawn, true) => ("Вы отписаны", "Письма об изменении политики больше не придут."),
                (Lang::Ru, Unsubscribed::AlreadyWithdrawn, true) => {
                    ("Вы уже отписаны", "Письма об изменении политики вам уже не приходят.")
                }
                (_, Unsubscribed::Withdrawn, false) => {
                    ("You are unsubscribed", "Your consent to this mailing is withdrawn. No more emails will come from it.")
                }
                (_, Unsubscribed::AlreadyWithdrawn, false) => {
                    ("You are already unsubscribed", "Your consent to this mailing was withdrawn before.")
                }
                (_, Unsubscribed::Withdrawn, true) => ("You are unsubscribed", "No more emails about policy changes will come."),
                (_, Unsubscribed::AlreadyWithdrawn, true) => {
                    ("You are already unsubscribed", "Emails about policy changes were stopped before.")
                }
            };
            page(StatusCode::OK, lang, title, &format!("<p>{text}</p>"))
        }
        Err(e) => failure(&e, lang),
    }
}
