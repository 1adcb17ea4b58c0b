//! Consent over HTTP: a document, give, decide, withdraw, decide again, the history, the
//! bad paths, and that evidence never reaches the logs.

use serde_json::json;

use crate::harness::{TestServer, captured_logs};

const IP: &str = "198.51.100.23";

#[tokio::test]
async fn consent_is_given_decided_withdrawn_and_decided_again() {
    let server = TestServer::start().await;
    let admin = server.token.clone();
    let created = server
        .post_json(
            "/v1/subjects",
            &admin,
            json!({"kind": "customer", "values": [{"category": "contact.email", "value": "olga@example.ru", "purposes": ["account", "product_news"]}]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();

    let doc = server.post_json("/v1/consent-documents", &admin, json!({"purposes": ["product_news"]})).await;
    assert_eq!(doc.status, 201, "{}", doc.text);
    let sha = doc.json()["sha256"].as_str().unwrap().to_owned();
    assert!(doc.json()["ru"].as_str().unwrap().contains("Согласие на получение рекламы"));
    assert_eq!(server.post_json("/v1/consent-documents", &admin, json!({"purposes": ["product_news"]})).await.status, 200);
    let fetched = server.get(&format!("/v1/consent-documents/{sha}"), Some(&admin)).await;
    assert_eq!(fetched.json()["purposes"], json!(["product_news"]));
    server.get(&format!("/v1/consent-documents/{}", "0".repeat(64)), Some(&admin)).await.problem(404, "not_found");
    server
        .post_json("/v1/consent-documents", &admin, json!({"purposes": ["product_news", "site_analytics"]}))
        .await
        .problem(422, "consent.marketing_separate");

    let consents = format!("/v1/subjects/{id}/consents");
    let given = server
        .post_json(
            &consents,
            &admin,
            json!({"purpose": "product_news", "channel": "email", "action": "given", "method": "web_form", "document": sha,
                   "evidence": {"ip": IP, "user_agent": "Mozilla/5.0"}}),
        )
        .await;
    assert_eq!(given.status, 201, "{}", given.text);
    assert_eq!(given.json()["has_evidence"], true);
    assert!(!given.text.contains(IP), "evidence is never shown back");

    let decide = |token: String| {
        let server = &server;
        let id = id.clone();
        async move {
            server
                .send_with(
                    "POST",
                    "/v1/decisions",
                    Some(&token),
                    Some("application/json"),
                    &[("accept-language", "ru")],
                    json!({"subject": id, "purpose": "product_news", "channel": "email", "categories": ["contact.email"]}).to_string(),
                )
                .await
        }
    };
    let marketing = server.post_json("/v1/tokens", &admin, json!({"role": "marketing", "label": "m"})).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let yes = decide(marketing.clone()).await;
    assert_eq!(yes.status, 200, "{}", yes.text);
    assert_eq!(yes.json()["allowed"], true);
    assert_eq!(yes.json()["basis"], "consent");

    let withdrawn = server
        .post_json(
            &consents,
            &admin,
            json!({"purpose": "product_news", "channel": "email", "action": "withdrawn", "method": "unsubscribe_link"}),
        )
        .await;
    assert_eq!(withdrawn.status, 201, "{}", withdrawn.text);
    let no = decide(marketing).await.json();
    assert_eq!(no["allowed"], false);
    assert_eq!(no["reasons"][0]["code"], "decision.consent_withdrawn");
    assert!(no["reasons"][0]["text"].as_str().unwrap().contains("отозвано"), "{no}");

    // Withdrawing twice, an unknown channel, an unknown subject: refused, nothing recorded.
    server
        .post_json(&consents, &admin, json!({"purpose": "product_news", "channel": "email", "action": "withdrawn", "method": "api"}))
        .await
        .problem(422, "consent.not_given");
    let fax = server
        .post_json(
            &consents,
            &admin,
            json!({"purpose": "product_news", "channel": "fax", "action": "given", "method": "api", "document": sha}),
        )
        .await;
    assert!(fax.status == 400 || fax.status == 422, "{}", fax.text);
    server
        .post_json(
            &format!("/v1/subjects/{}/consents", "b".repeat(32)),
            &admin,
            json!({"purpose": "product_news", "channel": "email", "action": "given", "method": "api", "document": sha}),
        )
        .await
        .problem(404, "not_found");
    let history = server.get(&consents, Some(&admin)).await.json();
    assert_eq!(history["events"].as_array().unwrap().len(), 2);
    assert_eq!(history["state"][0]["action"], "withdrawn");
    assert_eq!(history["state"][0]["index"], 1);

    // The pre-send check over the same ledger: the withdrawn address and an unknown one are out.
    let check = server
        .post_json(
            "/v1/contacts/check",
            &admin,
            json!({"category": "contact.email", "values": ["Olga@Example.ru", "nobody@example.ru", "@"], "purpose": "product_news", "channel": "email"}),
        )
        .await;
    assert_eq!(check.status, 200, "{}", check.text);
    let answers = check.json();
    assert_eq!(answers[0]["allowed"], false);
    assert_eq!(answers[0]["subjects"][0], id.as_str());
    assert_eq!(answers[0]["reasons"][0]["code"], "decision.consent_withdrawn");
    assert_eq!(answers[1]["reasons"][0]["code"], "decision.no_consent");
    assert_eq!(answers[2]["reasons"][0]["code"], "value.invalid_email");

    // The receipt of the first event verifies against the published key.
    let receipt = server.get(&format!("{consents}/0/receipt"), Some(&admin)).await;
    assert_eq!(receipt.status, 200, "{}", receipt.text);
    let key = server.get("/v1/consent-receipts/key", Some(&admin)).await.json()["public_key"].as_str().unwrap().to_owned();
    let content = obereg_engine::receipt::verify_receipt(&receipt.text, Some(&key)).unwrap();
    assert_eq!(content["events"][0]["event_state"], "given");
    assert!(!receipt.text.contains(IP));
    server.get(&format!("{consents}/9/receipt"), Some(&admin)).await.problem(404, "not_found");

    assert!(!captured_logs().contains(IP), "evidence leaked into the logs");
}

#[tokio::test]
async fn the_unsubscribe_link_in_an_email_ends_in_a_denied_decision() {
    let server = TestServer::start().await;
    let admin = server.token.clone();
    let created = server
        .post_json("/v1/subjects", &admin, json!({"kind": "customer", "values": [{"category": "contact.email", "value": "petr@example.ru", "purposes": ["product_news"]}]}))
        .await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let sha = server.post_json("/v1/consent-documents", &admin, json!({"purposes": ["product_news"]})).await.json()["sha256"]
        .as_str()
        .unwrap()
        .to_owned();
    let consents = format!("/v1/subjects/{id}/consents");
    let given = server
        .post_json(
            &consents,
            &admin,
            json!({"purpose": "product_news", "channel": "email", "action": "given", "method": "web_form", "document": sha}),
        )
        .await;
    assert_eq!(given.status, 201, "{}", given.text);

    // The mailing asks for the link and puts it in the email's List-Unsubscribe header.
    let link = server
        .post_json(&format!("/v1/subjects/{id}/unsubscribe-links"), &admin, json!({"purpose": "product_news", "channel": "email"}))
        .await;
    assert_eq!(link.status, 201, "{}", link.text);
    assert_eq!(link.json()["list_unsubscribe_post"], "List-Unsubscribe=One-Click");
    let path = link.json()["path"].as_str().unwrap().to_owned();
    assert!(!path.contains("petr"), "the link names no address");

    // The reader opens it: a page with one button, no script, nothing else loaded.
    let page = server.send_with("GET", &path, None, None, &[("accept-language", "ru")], "").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("Отписаться") && page.text.contains("method=\"post\""), "{}", page.text);
    assert!(!page.text.contains("<script") && !page.text.contains("petr@example.ru"));
    assert!(page.headers.get("content-security-policy").unwrap().to_str().unwrap().contains("default-src 'none'"));
    // Opening the page changes nothing; the one-click POST does.
    assert_eq!(server.get(&consents, Some(&admin)).await.json()["events"].as_array().unwrap().len(), 1);
    let clicked = server
        .send_with(
            "POST",
            &path,
            None,
            Some("application/x-www-form-urlencoded"),
            &[("accept-language", "ru")],
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert_eq!(clicked.status, 200, "{}", clicked.text);
    assert!(clicked.text.contains("Вы отписаны"), "{}", clicked.text);
    let again = server.send_with("POST", &path, None, Some("application/x-www-form-urlencoded"), &[], "List-Unsubscribe=One-Click").await;
    assert!(again.text.contains("already unsubscribed"), "{}", again.text);

    let decision =
        server.post_json("/v1/decisions", &admin, json!({"subject": id, "purpose": "product_news", "channel": "email"})).await.json();
    assert_eq!(decision["allowed"], false);
    assert!(decision["reasons"][0]["text"].as_str().unwrap().contains("via unsubscribe link"), "{decision}");

    // A cut or altered link explains itself and records nothing.
    let broken = server.send("POST", &format!("{}x", &path[..path.len() - 3]), None, None, "").await;
    assert_eq!(broken.status, 400, "{}", broken.text);
    assert!(broken.text.contains("not valid"), "{}", broken.text);
    assert_eq!(server.get(&consents, Some(&admin)).await.json()["events"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_cookie_banner_records_a_choice_shared_by_the_tenants_sites_and_honours_gpc() {
    let server = TestServer::start().await;
    let site = [("origin", "https://voice-robot.example")];
    let other = [("origin", "https://app.voice-robot.example")];
    let script = server.get("/c/default/banner.js", None).await;
    assert_eq!(script.status, 200);
    assert!(script.content_type().starts_with("text/javascript") && script.text.len() < 8 * 1024, "a small self-hosted script");
    assert!(!script.text.contains("http://") && !script.text.contains("https://cdn"), "no third-party resources");

    let banner = server.send_with("GET", "/c/default/banner", None, None, &site, "").await;
    assert_eq!(banner.status, 200, "{}", banner.text);
    assert_eq!(banner.headers["access-control-allow-origin"], "https://voice-robot.example");
    let doc = banner.json()["document"].as_str().unwrap().to_owned();
    let url = banner.json()["document_url"].as_str().unwrap().to_owned();
    let text = server.get(&format!("/c/default{url}?lang=en"), None).await;
    assert_eq!(text.status, 200);
    assert!(text.content_type().starts_with("text/markdown") && text.text.starts_with('#'), "{}", text.text);

    // A foreign site gets nothing, not even a preflight.
    let evil = [("origin", "https://evil.example")];
    server.send_with("GET", "/c/default/banner", None, None, &evil, "").await.problem(403, "cookies.origin_not_allowed");
    server.send_with("OPTIONS", "/c/default/choices", None, None, &evil, "").await.problem(403, "cookies.origin_not_allowed");
    let preflight = server.send_with("OPTIONS", "/c/default/choices", None, None, &site, "").await;
    assert_eq!(preflight.status, 204);

    let body = json!({"choices": {"ads": true}, "document": doc}).to_string();
    let chosen = server.send_with("POST", "/c/default/choices", None, Some("application/json"), &site, body.clone()).await;
    assert_eq!(chosen.status, 200, "{}", chosen.text);
    let secret = chosen.json()["visitor"].as_str().unwrap().to_owned();
    let cookie = chosen.headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with(&format!("__Host-obereg_visitor={secret};")) && cookie.contains("Secure") && cookie.contains("HttpOnly"));
    assert_eq!(chosen.json()["choices"][1], json!({"category": "ads", "kind": "advertising", "allowed": true, "reason": "given"}));

    // The other site, the same browser (cookie on obereg's origin): the same choice.
    let jar = format!("__Host-obereg_visitor={secret}");
    let seen = server.send_with("GET", "/c/default/choices", None, None, &[other[0], ("cookie", &jar)], "").await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json()["choices"][1]["allowed"], true);
    assert_eq!(seen.json()["visitor"], serde_json::Value::Null, "the secret is only handed out once");

    // A browser sending Sec-GPC: 1 opts out of advertising whatever it clicks.
    let gpc = server.send_with("POST", "/c/default/choices", None, Some("application/json"), &[site[0], ("sec-gpc", "1")], body).await;
    assert_eq!(gpc.json()["choices"][1], json!({"category": "ads", "kind": "advertising", "allowed": false, "reason": "gpc"}));

    // Bad input: an unknown category is a problem, and no visitor is created.
    let bad = json!({"choices": {"tracking": true}, "document": doc}).to_string();
    let refused = server.send_with("POST", "/c/default/choices", None, Some("application/json"), &site, bad).await;
    refused.problem(422, "consent.unknown_cookie");
    assert!(refused.headers.get("set-cookie").is_none());
}
