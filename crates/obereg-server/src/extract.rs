//! Extractors whose rejections are problem+json: the bearer token, TOML and JSON bodies,
//! query strings.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use obereg_core::Bilingual;
use obereg_engine::{Actor, Engine, Ticket};
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// The authenticated caller. Any failure is the same 401, so a caller cannot tell a
/// malformed token from an unknown or revoked one.
#[derive(Debug)]
pub struct Caller(pub Actor);

impl<S> FromRequestParts<S> for Caller
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Caller(FreshCaller::from_request_parts(parts, state).await?.actor))
    }
}

/// The authenticated caller with the ticket taken as the request arrived, for use cases
/// that answer from the engine's decision index: the token check and the use case then
/// share one freshness probe (see `Engine::ticket`).
#[derive(Debug)]
pub struct FreshCaller {
    pub actor: Actor,
    pub since: Ticket,
}

impl<S> FromRequestParts<S> for FreshCaller
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(ApiError::unauthenticated)?;
        let engine = Engine::from_ref(state);
        let since = engine.ticket();
        let actor = engine.authenticate_since(presented.trim(), since).await?;
        // The request id goes into journal entries, to match them with server logs.
        let actor = match crate::context::current() {
            Some(ctx) if !ctx.request_id.is_empty() => actor.with_request(ctx.request_id),
            _ => actor,
        };
        Ok(FreshCaller { actor, since })
    }
}

/// Reads the whole body within the router's size limit.
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                "the request body is too large",
                "тело запроса слишком велико",
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.body_unreadable",
                "the request body could not be read",
                "не удалось прочитать тело запроса",
            )
        }
    })
}

fn content_type(req: &Request) -> String {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn unsupported(expected: &str) -> ApiError {
    ApiError::with_title(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "request.unsupported_media_type",
        Bilingual::new(
            format!("unsupported content type; send {expected}"),
            format!("неподдерживаемый тип содержимого; отправьте {expected}"),
        ),
    )
}

/// A UTF-8 TOML document (`application/toml` or `text/plain`).
#[derive(Debug)]
pub struct TomlText(pub String);

impl<S: Send + Sync> FromRequest<S> for TomlText {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !matches!(content_type(&req).as_str(), "application/toml" | "text/toml" | "text/plain") {
            return Err(unsupported("application/toml"));
        }
        let bytes = body_bytes(req, state).await?;
        String::from_utf8(bytes.to_vec()).map(TomlText).map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "request.not_utf8", "the body is not valid UTF-8", "тело запроса не в кодировке UTF-8")
        })
    }
}

/// A JSON body (`application/json`), with unknown fields refused by the target type.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if content_type(&req) != "application/json" {
            return Err(unsupported("application/json"));
        }
        let bytes = body_bytes(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::with_title(StatusCode::BAD_REQUEST, "request.malformed_json", json_problem(&e)))
    }
}

/// Describes a JSON error by kind and position. serde_json's own message may quote the
/// offending value (which could be personal data), so it is passed on only for missing and
/// unknown fields, where it names a field and nothing else.
fn json_problem(e: &serde_json::Error) -> Bilingual {
    let (line, column) = (e.line(), e.column());
    let text = e.to_string();
    if text.starts_with("missing field") || text.starts_with("unknown field") {
        let detail = text.split(" at line").next().unwrap_or(&text).to_owned();
        return Bilingual::new(format!("malformed JSON body: {detail}"), format!("некорректное тело JSON: {detail}"));
    }
    match e.classify() {
        serde_json::error::Category::Data => Bilingual::new(
            format!("JSON body has a value of the wrong type or shape at line {line}, column {column}"),
            format!("в теле JSON значение неверного типа или формы: строка {line}, столбец {column}"),
        ),
        _ => Bilingual::new(
            format!("JSON body is not valid JSON (line {line}, column {column})"),
            format!("тело запроса — не корректный JSON (строка {line}, столбец {column})"),
        ),
    }
}

/// Query-string parameters; a malformed query is a 400 problem that names no value.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query).map(QueryParams).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "request.malformed_query",
                "the query string has an unknown parameter or a value of the wrong type",
                "в строке запроса неизвестный параметр или значение неверного типа",
            )
        })
    }
}
