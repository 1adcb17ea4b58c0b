//! Per-request context that error responses need: the request id and the caller's language.
//!
//! A middleware stores both in a task-local for the duration of the request, so an error
//! built deep in a handler (or by an extractor's rejection) can carry the request id without
//! every function passing it along.

use axum::extract::Request;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::middleware::Next;
use axum::response::Response;
use obereg_core::text::Lang;

/// What error responses need to know about the request being served.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub lang: Lang,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// The context of the request this task serves, if any.
pub fn current() -> Option<RequestContext> {
    CONTEXT.try_with(Clone::clone).ok()
}

/// Middleware: captures the request id (set earlier by `SetRequestIdLayer`) and the
/// preferred language, then runs the rest of the stack inside that context.
pub async fn scope(request: Request, next: Next) -> Response {
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let lang = request.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(Lang::from_preference).unwrap_or_default();
    CONTEXT.scope(RequestContext { request_id, lang }, next.run(request)).await
}
