//! `/v1/detect` and `/v1/redact`: findings with byte spans, the three methods, pseudonyms
//! for administrators only, and bad input refused.

use serde_json::json;

use crate::harness::TestServer;

#[tokio::test]
async fn text_is_searched_and_redacted_with_pseudonyms_for_administrators_only() {
    let server = TestServer::start().await;
    let t = &server.token;
    let text = "Клиент: Мой СНИЛС 112-233-445 95, почта anna@mail.ru.";
    let found = server.post_json("/v1/detect", t, json!({"text": text})).await;
    assert_eq!(found.status, 200, "{}", found.text);
    let findings = found.json()["findings"].as_array().unwrap().clone();
    let spans: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["type"].as_str().unwrap(), &text[f["start"].as_u64().unwrap() as usize..f["end"].as_u64().unwrap() as usize]))
        .collect();
    assert_eq!(spans, [("SNILS", "112-233-445 95"), ("EMAIL", "anna@mail.ru")]);
    assert!(!found.text.contains("anna@mail.ru"), "the answer never repeats a value");

    let label = server.post_json("/v1/redact", t, json!({"text": text})).await.json();
    assert_eq!(label["text"], "Клиент: Мой СНИЛС [SNILS], почта [EMAIL].");
    let mask = server.post_json("/v1/redact", t, json!({"text": text, "method": "mask"})).await.json();
    assert_eq!(mask["text"], "Клиент: Мой СНИЛС ***-***-*** 95, почта ***@mail.ru.");
    let p1 = server.post_json("/v1/redact", t, json!({"text": text, "method": "pseudonym"})).await.json();
    let p2 = server.post_json("/v1/redact", t, json!({"text": "anna@mail.ru", "method": "pseudonym"})).await.json();
    let token = p2["text"].as_str().unwrap();
    assert!(token.starts_with("EMAIL_") && p1["text"].as_str().unwrap().contains(token), "the same value, the same token");

    let support =
        server.post_json("/v1/tokens", t, json!({"role": "support", "label": "s"})).await.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(server.post_json("/v1/redact", &support, json!({"text": text, "method": "mask"})).await.status, 200);
    server.post_json("/v1/redact", &support, json!({"text": text, "method": "pseudonym"})).await.problem(403, "auth.forbidden");
    server.post_json("/v1/redact", t, json!({"text": text, "method": "shred"})).await.problem(400, "request.malformed_json");
    server.post_json("/v1/detect", t, json!({"txt": text})).await.problem(400, "request.malformed_json");
    server.send("POST", "/v1/detect", None, Some("application/json"), "{\"text\":\"x\"}").await.problem(401, "auth.unauthenticated");
}
