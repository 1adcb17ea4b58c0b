//! Operations: health, readiness, OpenAPI, docs, metrics, request ids, logs.

use crate::harness::{EXAMPLE, TestServer};

#[tokio::test]
async fn health_and_readiness_answer() {
    let s = TestServer::start().await;
    let h = s.get("/healthz", None).await;
    assert_eq!((h.status.as_u16(), h.json()["status"].as_str()), (200, Some("ok")));
    let r = s.get("/readyz", None).await;
    assert_eq!((r.status.as_u16(), r.json()["status"].as_str()), (200, Some("ready")));
    assert!(!h.headers["x-request-id"].is_empty());
    assert_eq!(h.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_client_request_id_is_echoed() {
    let s = TestServer::start().await;
    let a = s.send_with("GET", "/nowhere", None, None, &[("x-request-id", "abc-123")], axum::body::Body::empty()).await;
    let body = a.problem(404, "not_found");
    assert_eq!(body["request_id"], "abc-123");
    assert_eq!(a.headers["x-request-id"], "abc-123");
}

#[tokio::test]
async fn wrong_methods_get_a_problem() {
    let s = TestServer::start().await;
    s.send("PATCH", "/v1/catalog", Some(&s.token), None, axum::body::Body::empty()).await.problem(405, "request.method_not_allowed");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let s = TestServer::start().await;
    let doc = s.get("/openapi.json", None).await.json();
    for path in [
        "/healthz",
        "/readyz",
        "/v1/catalog",
        "/v1/catalog/versions",
        "/v1/catalog/versions/{version}",
        "/v1/tokens",
        "/v1/tokens/{id}",
        "/v1/tenants",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["paths"]["/v1/catalog"]["put"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(obereg_server::openapi_document().paths.paths.len(), doc["paths"].as_object().unwrap().len());
}

#[tokio::test]
async fn docs_are_served_from_the_binary() {
    let s = TestServer::start().await;
    let page = s.get("/docs/", None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger"), "{}", &page.text[..page.text.len().min(300)]);
    for cdn in ["https://", "http://"] {
        assert!(!page.text.contains(cdn), "the docs page loads nothing from outside");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let s = TestServer::start().await;
    s.get("/healthz", None).await;
    s.get("/v1/catalog/versions/7", Some(&s.token)).await;
    let text = s.metrics.render();
    assert!(text.contains("obereg_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("route=\"/v1/catalog/versions/{version}\""), "{text}");
    assert!(!text.contains("/versions/7"), "raw paths never become labels");
}

#[tokio::test]
async fn logs_never_contain_tokens_or_catalog_contents() {
    let s = TestServer::start().await;
    let secret_name = "Секретова Тайна Петровна";
    let edited = EXAMPLE.replace("Иванова Мария Сергеевна", secret_name);
    assert_eq!(s.put_toml(&s.token, edited).await.status, 201);
    let broken = EXAMPLE.replace("Иванова Мария Сергеевна", secret_name).replace("format = 1", "format = 9");
    assert_eq!(s.put_toml(&s.token, broken).await.status, 422);
    s.get("/v1/catalog", Some("obg_wrongwrongwrongwrongwrongwrongwrongwrongw")).await;

    let logs = crate::harness::captured_logs();
    assert!(logs.contains("/v1/catalog"), "requests are logged: {logs}");
    assert!(logs.contains("catalog version stored"));
    for secret in [secret_name, s.token.as_str(), "obg_wrongwrong", "7712345671"] {
        assert!(!logs.contains(secret), "log leaked {secret}:\n{logs}");
    }
}
