//! The `/v1` API: authentication, catalog, tokens, tenants, and every bad path.

use axum::body::Body;
use serde_json::json;

use crate::harness::{EXAMPLE, TestServer};

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let s = TestServer::start().await;
    for token in [None, Some("nonsense"), Some("obg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] {
        let a = s.get("/v1/catalog", token).await;
        a.problem(401, "auth.unauthenticated");
        assert_eq!(a.headers["www-authenticate"], "Bearer");
    }
}

#[tokio::test]
async fn the_bootstrap_token_reads_the_catalog() {
    let s = TestServer::start().await;
    let a = s.get("/v1/catalog", Some(&s.token)).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let body = a.json();
    assert_eq!(body["tenant"], "default");
    assert_eq!(body["version"], 1);
    assert_eq!(body["catalog"]["operator"]["inn"], "7712345671");
    assert_eq!(body["catalog"]["purposes"][0]["retention"]["period"], "P3Y");
    assert_eq!(body["catalog"]["documents"]["effective_date"], "2026-09-01");

    let raw = s.send_with("GET", "/v1/catalog", Some(&s.token), None, &[("accept", "application/toml")], Body::empty()).await;
    assert!(raw.content_type().starts_with("application/toml"));
    assert_eq!(raw.text, EXAMPLE);
}

#[tokio::test]
async fn an_invalid_catalog_is_refused_with_positions_and_changes_nothing() {
    let s = TestServer::start().await;
    let broken = EXAMPLE.replace("inn = \"7712345671\"", "inn = \"7712345670\"");
    let a = s.put_toml(&s.token, broken.clone()).await;
    let body = a.problem(422, "catalog.invalid");
    let finding = &body["errors"][0];
    assert_eq!(finding["code"], "operator.inn_invalid");
    let line = broken.lines().position(|l| l.starts_with("inn = ")).unwrap() + 1;
    assert_eq!(finding["position"]["line"], line);
    assert!(finding["message"]["ru"].as_str().unwrap().contains("ИНН"));
    assert!(finding["fix"]["en"].as_str().is_some());

    let syntax = s.put_toml(&s.token, "format = 1\n[operator\n").await;
    assert_eq!(syntax.problem(422, "catalog.invalid")["errors"][0]["code"], "catalog.syntax");

    let versions = s.get("/v1/catalog/versions", Some(&s.token)).await.json();
    assert_eq!(versions.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn catalog_versions_are_kept_and_identical_uploads_are_no_ops() {
    let s = TestServer::start().await;
    let same = s.put_toml(&s.token, EXAMPLE).await;
    assert_eq!(same.status, 200, "{}", same.text);
    assert_eq!(same.json()["created"], false);

    let edited = EXAMPLE.replace("policy_version = \"2.0\"", "policy_version = \"2.1\"");
    let put = s.put_toml(&s.token, edited.clone()).await;
    assert_eq!(put.status, 201, "{}", put.text);
    assert_eq!(put.json()["version"], 2);

    let versions = s.get("/v1/catalog/versions", Some(&s.token)).await.json();
    assert_eq!(versions[0]["version"], 2);
    assert_eq!(versions[1]["version"], 1);
    assert!(versions[0]["created_by"].is_string());
    assert_eq!(s.get("/v1/catalog/versions/1", Some(&s.token)).await.text, EXAMPLE);
    assert_eq!(s.get("/v1/catalog/versions/2", Some(&s.token)).await.text, edited);
    s.get("/v1/catalog/versions/3", Some(&s.token)).await.problem(404, "not_found");
    s.get("/v1/catalog/versions/abc", Some(&s.token)).await.problem(404, "not_found");
}

#[tokio::test]
async fn malformed_and_oversized_bodies_are_refused() {
    let s = TestServer::with_body_limit(64 * 1024).await;
    let huge = format!("{EXAMPLE}\n# {}\n", "x".repeat(100 * 1024));
    s.put_toml(&s.token, huge).await.problem(413, "request.too_large");
    s.send("PUT", "/v1/catalog", Some(&s.token), Some("application/json"), "{}").await.problem(415, "request.unsupported_media_type");
    s.send("PUT", "/v1/catalog", Some(&s.token), Some("application/toml"), vec![0xff, 0xfe, 0x00]).await.problem(400, "request.not_utf8");
    s.send("POST", "/v1/tokens", Some(&s.token), Some("application/json"), "{\"role\": ").await.problem(400, "request.malformed_json");
    let unknown = s.post_json("/v1/tokens", &s.token, json!({"role": "admin", "label": "x", "extra": 1})).await;
    assert!(unknown.problem(400, "request.malformed_json")["title"].as_str().unwrap().contains("extra"));
    let wrong_type = s.post_json("/v1/tokens", &s.token, json!({"role": "admin", "label": 12345678})).await;
    let title = wrong_type.problem(400, "request.malformed_json")["title"].as_str().unwrap().to_owned();
    assert!(!title.contains("12345678"), "values are not echoed: {title}");
    // Nothing changed: still one catalog version and one token.
    assert_eq!(s.get("/v1/catalog/versions", Some(&s.token)).await.json().as_array().unwrap().len(), 1);
    assert_eq!(s.get("/v1/tokens", Some(&s.token)).await.json().as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn tokens_are_issued_listed_and_revoked() {
    let s = TestServer::start().await;
    let issued = s.post_json("/v1/tokens", &s.token, json!({"role": "support", "label": "support desk"})).await;
    assert_eq!(issued.status, 201, "{}", issued.text);
    let issued = issued.json();
    let support = issued["token"].as_str().unwrap().to_owned();
    assert!(support.starts_with("obg_"));

    let listed = s.get("/v1/tokens", Some(&s.token)).await;
    assert!(!listed.text.contains(&support) && !listed.text.contains("hash"), "listings never show secrets");
    assert_eq!(listed.json().as_array().unwrap().len(), 2);

    // A staff token reads the catalog but administers nothing.
    assert_eq!(s.get("/v1/catalog", Some(&support)).await.status, 200);
    s.get("/v1/tokens", Some(&support)).await.problem(403, "auth.forbidden");
    s.put_toml(&support, EXAMPLE).await.problem(403, "auth.forbidden");
    s.get("/v1/tenants", Some(&support)).await.problem(403, "auth.forbidden");

    s.post_json("/v1/tokens", &s.token, json!({"role": "janitor", "label": "x"})).await.problem(422, "token.unknown_role");
    s.post_json("/v1/tokens", &s.token, json!({"role": "admin", "label": ""})).await.problem(422, "token.invalid_label");

    let id = issued["id"].as_str().unwrap();
    let revoked = s.send("DELETE", &format!("/v1/tokens/{id}"), Some(&s.token), None, Body::empty()).await;
    assert_eq!(revoked.status, 204);
    s.get("/v1/catalog", Some(&support)).await.problem(401, "auth.unauthenticated");
    s.send("DELETE", &format!("/v1/tokens/{id}"), Some(&s.token), None, Body::empty()).await.problem(404, "not_found");
}

#[tokio::test]
async fn platform_tokens_create_tenants_that_stay_apart() {
    let s = TestServer::start().await;
    let created = s.post_json("/v1/tenants", &s.token, json!({"id": "acme", "name": "ООО «Акме»"})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let acme = created.json()["admin_token"]["token"].as_str().unwrap().to_owned();
    s.get("/v1/catalog", Some(&acme)).await.problem(404, "not_found");
    s.post_json("/v1/tenants", &acme, json!({"id": "evil", "name": "x"})).await.problem(403, "auth.forbidden");
    s.post_json("/v1/tenants", &s.token, json!({"id": "acme", "name": "again"})).await.problem(409, "conflict");
    s.post_json("/v1/tenants", &s.token, json!({"id": "Bad Id", "name": "x"})).await.problem(422, "tenant.invalid_id");

    // acme's admin cannot see or revoke the default tenant's tokens.
    let default_tokens = s.get("/v1/tokens", Some(&s.token)).await.json();
    let default_id = default_tokens[0]["id"].as_str().unwrap();
    s.send("DELETE", &format!("/v1/tokens/{default_id}"), Some(&acme), None, Body::empty()).await.problem(404, "not_found");
    assert_eq!(s.get("/v1/tokens", Some(&acme)).await.json().as_array().unwrap().len(), 1);

    // A tenant with an invalid first catalog is not created at all.
    let bad = s.post_json("/v1/tenants", &s.token, json!({"id": "beta", "name": "Beta", "catalog": "format = 2"})).await;
    bad.problem(422, "catalog.invalid");
    let ids: Vec<String> = s
        .get("/v1/tenants", Some(&s.token))
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, ["acme", "default"]);

    let with_catalog = s.post_json("/v1/tenants", &s.token, json!({"id": "gamma", "name": "Gamma", "catalog": EXAMPLE})).await;
    let gamma = with_catalog.json()["admin_token"]["token"].as_str().unwrap().to_owned();
    assert_eq!(s.get("/v1/catalog", Some(&gamma)).await.json()["tenant"], "gamma");
}

#[tokio::test]
async fn problems_speak_russian_when_asked() {
    let s = TestServer::start().await;
    let a = s.send_with("GET", "/v1/catalog", None, None, &[("accept-language", "ru-RU,ru;q=0.9")], Body::empty()).await;
    let body = a.problem(401, "auth.unauthenticated");
    assert_eq!(body["title"], "требуется действующий токен доступа");
}
