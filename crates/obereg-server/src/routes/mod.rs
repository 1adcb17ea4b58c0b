//! The HTTP handlers. Each parses input, calls one engine use case and maps the result.

pub mod catalog;
pub mod consents;
pub mod cookies;
pub mod detection;
pub mod health;
pub mod incidents;
pub mod journal;
pub mod publications;
pub mod requests;
pub mod retention;
pub mod statistics;
pub mod subjects;
pub mod tenants;
pub mod tokens;
pub mod unsubscribe;
pub mod weblogs;

/// RFC 3339 text of a stored microsecond timestamp.
pub(crate) fn rfc3339(micros: i64) -> String {
    jiff::Timestamp::from_microsecond(micros).map(|t| t.to_string()).unwrap_or_default()
}

/// A generated page or text (an answer, an act, a document) with its content type and a
/// policy that lets it load nothing: no scripts, no fonts, no images, its own styles only.
pub(crate) fn generated_page(body: String, content_type: &'static str) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"));
    response
}
