//! Retention over HTTP, on SQLite and (when configured) PostgreSQL: a withdrawal makes the
//! next sweep destroy the newsletter-only subject with an act that verifies, a dry run
//! changes nothing, trigger events are recorded, and bad input changes nothing.

use serde_json::json;

use crate::harness::TestServer;

async fn staff(server: &TestServer, role: &str) -> String {
    let answer = server.post_json("/v1/tokens", &server.token, json!({"role": role, "label": role})).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["token"].as_str().unwrap().to_owned()
}

async fn subject(server: &TestServer, body: serde_json::Value) -> String {
    let created = server.post_json("/v1/subjects", &server.token, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["id"].as_str().unwrap().to_owned()
}

async fn withdrawal_to_verified_act(server: TestServer) {
    let t = &server.token;
    let doc = server.post_json("/v1/consent-documents", t, json!({"purposes": ["product_news"]})).await;
    let document = doc.json()["sha256"].as_str().unwrap().to_owned();
    let reader = subject(
        &server,
        json!({"kind": "customer", "values": [
            {"category": "contact.email", "value": "osip@example.ru", "purposes": ["product_news"]}
        ]}),
    )
    .await;
    let consents = format!("/v1/subjects/{reader}/consents");
    let given = json!({"purpose": "product_news", "channel": "email", "action": "given", "method": "web_form", "document": document});
    assert_eq!(server.post_json(&consents, t, given).await.status, 201);
    let nothing = server.post_json("/v1/retention/sweeps", t, json!({})).await;
    assert_eq!(nothing.status, 200, "{}", nothing.text);
    assert_eq!(nothing.json()["subjects_erased"], 0);

    let withdrawn = json!({"purpose": "product_news", "channel": "email", "action": "withdrawn", "method": "web_form"});
    assert_eq!(server.post_json(&consents, t, withdrawn).await.status, 201);
    let dry = server.post_json("/v1/retention/sweeps?dry_run=true", t, json!({})).await.json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["findings"][0]["subject"], reader.as_str());
    assert_eq!(dry["findings"][0]["action"], "erase_subject");
    assert_eq!(dry["findings"][0]["reason"], "consent_withdrawn");
    assert_eq!(dry["acts"].as_array().unwrap().len(), 0);

    let done = server.post_json("/v1/retention/sweeps", t, json!({})).await.json();
    assert_eq!(done["subjects_erased"], 1);
    let act_id = done["acts"][0].as_str().unwrap().to_owned();
    server
        .get(&format!("/v1/subjects/{reader}?purpose=product_news"), Some(&staff(&server, "marketing").await))
        .await
        .problem(404, "not_found");

    let listed = server.get("/v1/acts", Some(t)).await.json();
    assert_eq!(listed[0]["id"], act_id.as_str());
    assert_eq!(listed[0]["names"], json!({}), "lists carry no names");
    let act = server.get(&format!("/v1/acts/{act_id}"), Some(t)).await.json();
    assert_eq!(act["format"], "obereg-destruction-act/1");
    assert_eq!(act["subjects"][0]["id"], reader.as_str());
    assert_eq!(act["names"], json!({}), "the vault held no name for this subject");
    assert_eq!(act["reasons"][0]["norm"], "152-ФЗ ст. 21 ч. 5");
    let page = server.get(&format!("/v1/acts/{act_id}?format=html"), Some(t)).await;
    assert_eq!(page.content_type(), "text/html; charset=utf-8");
    assert!(page.text.contains("Акт об уничтожении") && page.text.contains(&reader));
    let verified = server.get(&format!("/v1/acts/{act_id}/verification"), Some(t)).await.json();
    assert_eq!(verified["valid"], true, "{verified}");
    let sweeps = server.get("/v1/retention/sweeps", Some(t)).await.json();
    assert_eq!(sweeps.as_array().unwrap().len(), 2, "the dry run is not a sweep");
}

#[tokio::test]
async fn a_withdrawal_is_destroyed_by_the_next_sweep_with_a_verified_act_on_sqlite() {
    withdrawal_to_verified_act(TestServer::start().await).await;
}

#[tokio::test]
async fn a_withdrawal_is_destroyed_by_the_next_sweep_with_a_verified_act_on_postgres() {
    let Some(server) = TestServer::on_postgres().await else { return };
    withdrawal_to_verified_act(server).await;
}

#[tokio::test]
async fn trigger_events_are_recorded_and_bad_input_changes_nothing() {
    let server = TestServer::start().await;
    let t = &server.token;
    let called = subject(
        &server,
        json!({"kind": "called_person", "values": [{"category": "contact.phone", "value": "+79161234567", "purposes": ["robot_calls"]}]}),
    )
    .await;
    let events = format!("/v1/subjects/{called}/retention-events");
    let ok = server.post_json(&events, t, json!({"purpose": "robot_calls", "trigger": "purpose_achieved"})).await;
    assert_eq!(ok.status, 204, "{}", ok.text);
    let at =
        server.post_json(&events, t, json!({"purpose": "robot_calls", "trigger": "purpose_achieved", "at": "2026-01-02T10:00:00Z"})).await;
    assert_eq!(at.status, 204, "{}", at.text);
    server.post_json(&events, t, json!({"purpose": "robot_calls", "trigger": "whenever"})).await.problem(422, "retention.not_an_event");
    server
        .post_json(&events, t, json!({"purpose": "robot_calls", "trigger": "contract_end"}))
        .await
        .problem(422, "retention.trigger_mismatch");
    server
        .post_json(&events, t, json!({"purpose": "ghosts", "trigger": "purpose_achieved"}))
        .await
        .problem(422, "retention.unknown_purpose");
    server
        .post_json(&events, t, json!({"purpose": "robot_calls", "trigger": "purpose_achieved", "at": "yesterday"}))
        .await
        .problem(422, "retention.bad_time");
    server
        .post_json(&events, t, json!({"purpose": "robot_calls", "trigger": "purpose_achieved", "at": "2999-01-01T00:00:00Z"}))
        .await
        .problem(422, "retention.event_in_future");
    server
        .post_json(&events, t, json!({"purpose": "robot_calls", "trigger": "purpose_achieved", "extra": 1}))
        .await
        .problem(400, "request.malformed_json");
    let nobody = format!("/v1/subjects/{}/retention-events", "c".repeat(32));
    server.post_json(&nobody, t, json!({"purpose": "robot_calls", "trigger": "purpose_achieved"})).await.problem(404, "not_found");
    // Only administrators sweep and read acts.
    let support = staff(&server, "support").await;
    server.post_json("/v1/retention/sweeps", &support, json!({})).await.problem(403, "auth.forbidden");
    server.get("/v1/acts", Some(&support)).await.problem(403, "auth.forbidden");
    server.get("/v1/acts/A-0000000000AA", Some(t)).await.problem(404, "not_found");
    server.get("/v1/acts/nonsense", Some(t)).await.problem(404, "not_found");
    server.get("/v1/acts?before=soon", Some(t)).await.problem(422, "retention.bad_time");
    // A purpose achieved in January 2026 holds the number six months: gone by now.
    let report = server.post_json("/v1/retention/sweeps", t, json!({})).await.json();
    assert_eq!(report["subjects_erased"], 1, "{report}");
    assert_eq!(report["findings"][0]["reason"], "purpose_achieved");
}

#[tokio::test]
async fn documents_are_served_to_administrators_and_the_policy_to_everyone() {
    let server = TestServer::start().await;
    let t = &server.token;
    let json = server.get("/v1/documents/policy", Some(t)).await;
    assert_eq!(json.status, 200, "{}", json.text);
    let body = json.json();
    assert_eq!(body["kind"], "policy");
    assert_eq!(body["catalog_version"], 1);
    assert_eq!(body["sha256"].as_str().unwrap().len(), 64);
    let md = server.get("/v1/documents/rkn_notice?format=md", Some(t)).await;
    assert_eq!(md.content_type(), "text/markdown; charset=utf-8");
    assert!(md.text.contains("Место нахождения баз данных"));
    let record = server.get("/v1/documents/processing_record?lang=en&format=html", Some(t)).await;
    assert!(record.text.contains("<h1>Record of processing activities (GDPR art. 30)</h1>"));
    let versions = server.get("/v1/documents/policy/versions", Some(t)).await.json();
    assert_eq!(versions.as_array().unwrap().len(), 1);
    // The public policy: no token, HTML by default, the same text.
    let public = server.get("/p/default/policy", None).await;
    assert_eq!(public.status, 200);
    assert_eq!(public.content_type(), "text/html; charset=utf-8");
    assert!(public.text.contains("Политика в отношении обработки персональных данных"));
    assert_eq!(public.headers.get("etag").unwrap().to_str().unwrap(), format!("\"{}\"", body["sha256"].as_str().unwrap()));
    let public_md = server.get("/p/default/policy?format=md&lang=en", None).await;
    assert!(public_md.text.starts_with("# Personal data processing policy"));
    // Bad input.
    server.get("/p/nobody/policy", None).await.problem(404, "not_found");
    server.get("/p/default/policy?lang=de", None).await.problem(422, "document.bad_lang");
    server.get("/v1/documents/memo", Some(t)).await.problem(404, "not_found");
    server.get("/v1/documents/policy?format=pdf", Some(t)).await.problem(422, "document.bad_format");
    server.get("/v1/documents/cross_border_notice", Some(t)).await.problem(422, "document.no_cross_border");
    server.get("/v1/documents/policy", None).await.problem(401, "auth.unauthenticated");
    let support = staff(&server, "support").await;
    server.get("/v1/documents/rkn_notice", Some(&support)).await.problem(403, "auth.forbidden");
    assert_eq!(server.get("/v1/documents/policy/changes?from=1", Some(t)).await.json(), json!([]));
    server.get("/v1/documents/policy/changes?from=7", Some(t)).await.problem(404, "not_found");
    // Nobody consented under an older document yet.
    let reconsent = server.get("/v1/consents/reconsent", Some(t)).await;
    assert_eq!((reconsent.status.as_u16(), reconsent.json()), (200, json!([])));
    server.get("/v1/consents/reconsent", Some(&support)).await.problem(403, "auth.forbidden");
}
