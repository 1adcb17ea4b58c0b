//! Incidents over HTTP: recorded, refused when malformed or by the wrong role, notices
//! previewed (naming what is missing) and recorded as sent, conflicting versions refused,
//! the affected set assessed — on SQLite and PostgreSQL.

use serde_json::json;

use crate::harness::TestServer;
use crate::requests::{customer, newsletter_document};

async fn token(server: &TestServer, role: &str) -> String {
    server.post_json("/v1/tokens", &server.token, json!({"role": role, "label": role})).await.json()["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_incident_goes_from_detection_to_its_notices_on_sqlite() {
    incident_flow(TestServer::start().await).await;
}

#[tokio::test]
async fn an_incident_goes_from_detection_to_its_notices_on_postgres() {
    if let Some(server) = TestServer::on_postgres().await {
        incident_flow(server).await;
    }
}

async fn incident_flow(server: TestServer) {
    let document = newsletter_document(&server).await;
    customer(&server, "leaked@example.ru", &document).await;
    let dpo = token(&server, "privacy_officer").await;
    let support = token(&server, "support").await;
    let detected = jiff::Timestamp::now().to_string();

    // Bad input: refused with a clear problem, nothing recorded.
    let no_description = json!({"facts": {"detected_at": detected, "description": ""}});
    server.post_json("/v1/incidents", &dpo, no_description).await.problem(422, "incident.description_required");
    let unknown_field = json!({"facts": {"detected_at": detected, "description": "x", "victim_names": ["Иванов"]}});
    server.post_json("/v1/incidents", &dpo, unknown_field).await.problem(400, "request.malformed_json");
    server
        .post_json("/v1/incidents", &support, json!({"facts": {"detected_at": detected, "description": "x"}}))
        .await
        .problem(403, "auth.forbidden");
    assert_eq!(server.get("/v1/incidents", Some(&dpo)).await.json(), json!([]));

    let made = server
        .post_json(
            "/v1/incidents",
            &dpo,
            json!({"facts": {"detected_at": detected, "description": "CRM export on a public share", "systems": ["crm"]}}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let body = made.json();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(body["status"], "suspected");
    assert_eq!(body["clocks"][0]["kind"], "rkn_initial");
    assert_eq!(body["clocks"][0]["state"]["state"], "running");
    assert_eq!(body["missing"]["rkn_initial"], json!(["causes", "harm", "measures", "contact"]));

    // The notice names what it still needs.
    let early = server.get(&format!("/v1/incidents/{id}/notices/rkn_initial"), Some(&dpo)).await.problem(422, "incident.notice_incomplete");
    assert!(early["detail"].as_str().unwrap_or_default().contains("causes") || early.to_string().contains("causes"), "{early}");
    server.get(&format!("/v1/incidents/{id}/notices/gdpr_authority"), Some(&dpo)).await.problem(422, "incident.notice_not_owed");
    server.get(&format!("/v1/incidents/{id}/notices/fax"), Some(&dpo)).await.problem(422, "incident.unknown_notice");

    let facts = json!({
        "detected_at": detected, "description": "CRM export on a public share", "systems": ["crm"],
        "causes": "A share link without a password", "harm": "Unwanted calls", "measures": "Link removed",
        "contact": {"name": "Мария Иванова", "position": "DPO", "email": "dpo@voice-robot.example"}
    });
    let updated = server
        .send(
            "PUT",
            &format!("/v1/incidents/{id}"),
            Some(&dpo),
            Some("application/json"),
            json!({"version": 1, "facts": facts}).to_string(),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    let stale = server
        .send(
            "PUT",
            &format!("/v1/incidents/{id}"),
            Some(&dpo),
            Some("application/json"),
            json!({"version": 1, "facts": facts}).to_string(),
        )
        .await;
    stale.problem(409, "conflict");
    let preview = server.get(&format!("/v1/incidents/{id}/notices/rkn_initial"), Some(&dpo)).await.json();
    assert!(
        preview["text"].as_str().unwrap().contains("Предполагаемые причины, повлёкшие нарушение прав субъектов: A share link"),
        "{preview}"
    );

    // The whole database leaked: the customer is affected.
    let assessed = server.post_json(&format!("/v1/incidents/{id}/assess"), &dpo, json!({"version": 2, "scope": "everything"})).await;
    assert_eq!(assessed.status, 200, "{}", assessed.text);
    let assessed = assessed.json();
    assert_eq!(assessed["assessment"]["subjects"], 1);
    assert!(assessed["incident"]["facts"]["categories"].as_array().unwrap().contains(&json!("contact.email")));
    server
        .post_json(&format!("/v1/incidents/{id}/assess"), &dpo, json!({"version": 3, "scope": "role"}))
        .await
        .problem(422, "incident.scope_id_required");

    let sent = server.post_json(&format!("/v1/incidents/{id}/notices/rkn_initial"), &dpo, json!({"version": 3})).await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let sent = sent.json();
    assert_eq!(sent["clocks"][0]["state"]["state"], "sent_on_time");
    assert_eq!(sent["notices"][0]["sha256"].as_str().unwrap().len(), 64);
    server.post_json(&format!("/v1/incidents/{id}/notices/rkn_initial"), &dpo, json!({"version": 4})).await.problem(409, "conflict");
    let listed = server.get("/v1/incidents", Some(&dpo)).await.json();
    assert_eq!(listed[0]["id"], id.as_str());
    server.get("/v1/incidents/I-NOPE", Some(&dpo)).await.problem(404, "not_found");
    // The facts stay out of the logs.
    assert!(!crate::harness::captured_logs().contains("public share"));
}
