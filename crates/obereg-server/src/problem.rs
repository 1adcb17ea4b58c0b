//! Errors as RFC 9457 `application/problem+json`, with a stable machine `code`.
//!
//! The body carries a title and detail in the caller's language (from `Accept-Language`),
//! the request id for support, and for an invalid catalog every finding in both languages.
//! Internal details are logged, never sent; nothing here includes personal data.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use obereg_core::Bilingual;
use obereg_core::catalog::Diagnostic;
use obereg_engine::EngineError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::context;

/// A problem answered to an API caller.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: Bilingual,
    pub diagnostics: Vec<Diagnostic>,
}

/// The JSON body of a problem response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemBody {
    /// A URI naming the problem type: `urn:obereg:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine code, e.g. `catalog.invalid`.
    pub code: String,
    pub request_id: String,
    /// Catalog findings (errors and warnings), each with code, path, line, column and fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<Diagnostic>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, en: &str, ru: &str) -> Self {
        Self { status, code, title: Bilingual::new(en, ru), diagnostics: Vec::new() }
    }

    /// A problem whose title is built at run time.
    pub fn with_title(status: StatusCode, code: &'static str, title: Bilingual) -> Self {
        Self { status, code, title, diagnostics: Vec::new() }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "not found", "не найдено")
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "auth.unauthenticated",
            "a valid bearer token is required",
            "требуется действующий токен доступа",
        )
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        let code = e.code();
        let status = status_for(&e);
        match e {
            EngineError::Unauthenticated => Self::unauthenticated(),
            EngineError::Forbidden => {
                Self::new(status, code, "this token's role may not do that", "роль этого токена не позволяет это действие")
            }
            EngineError::Refused { reason, .. } => Self { status, code, title: reason, diagnostics: Vec::new() },
            EngineError::NotFound(_) => Self::not_found(),
            EngineError::InvalidCatalog(report) => Self {
                status,
                code,
                title: Bilingual::new("the catalog is invalid; nothing was changed", "каталог содержит ошибки; ничего не изменено"),
                diagnostics: report.diagnostics,
            },
            EngineError::Invalid { message, .. } => Self { status, code, title: message, diagnostics: Vec::new() },
            EngineError::Conflict(_) => Self::new(status, code, "it exists already", "такой объект уже существует"),
            EngineError::RateLimited(message) => Self { status, code, title: message, diagnostics: Vec::new() },
            other => {
                tracing::error!(code, error = %other, "request failed");
                Self::new(
                    status,
                    "internal",
                    "internal error; quote the request id to support",
                    "внутренняя ошибка; сообщите поддержке идентификатор запроса",
                )
            }
        }
    }
}

/// The HTTP status of an engine error, for the API's problems and the pages alike.
pub(crate) fn status_for(e: &EngineError) -> StatusCode {
    match e {
        EngineError::Unauthenticated => StatusCode::UNAUTHORIZED,
        EngineError::Forbidden | EngineError::Refused { .. } => StatusCode::FORBIDDEN,
        EngineError::NotFound(_) => StatusCode::NOT_FOUND,
        EngineError::InvalidCatalog(_) | EngineError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        EngineError::Conflict(_) => StatusCode::CONFLICT,
        EngineError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        EngineError::Store(_) | EngineError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ctx = context::current();
        let lang = ctx.as_ref().map(|c| c.lang).unwrap_or_default();
        let body = ProblemBody {
            kind: format!("urn:obereg:problem:{}", self.code),
            title: self.title.get(lang).to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            request_id: ctx.map(|c| c.request_id).unwrap_or_default(),
            errors: self.diagnostics,
        };
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The answer for routes that do not exist.
pub async fn fallback() -> ApiError {
    ApiError::not_found()
}

/// The answer for a known route called with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "request.method_not_allowed",
        "method not allowed on this path",
        "метод не поддерживается для этого пути",
    )
}
