//! Data-subject requests over HTTP, on SQLite and (when configured) PostgreSQL: every kind
//! of request from the subject's submission through the code, the staff's completion and
//! its effect, to the answer the subject downloads; and the bad paths of the public side.

use std::sync::Mutex;

use obereg_engine::outbox::{Channel, Message, SendError, Transport};
use serde_json::{Value, json};

use crate::harness::{TestServer, captured_logs};

/// Keeps what would be sent, by address.
#[derive(Debug, Default)]
pub(crate) struct Outbox(pub(crate) Mutex<Vec<(String, String)>>);

impl Transport for Outbox {
    fn channels(&self) -> &[Channel] {
        &[Channel::Email]
    }

    fn send<'a>(
        &'a self,
        _: Channel,
        _: &'a str,
        message: &'a Message,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(async move {
            self.0.lock().unwrap().push((message.to.clone(), message.body.clone()));
            Ok(())
        })
    }
}

impl Outbox {
    /// Delivers the outbox and returns the code of the newest message to `to` whose body
    /// holds `marker` (which message: a request's confirmation or a portal sign-in).
    pub(crate) async fn code_for(&self, server: &TestServer, to: &str, marker: &str) -> String {
        server.engine.deliver_outbox(self).await.unwrap();
        let sent = self.0.lock().unwrap();
        let body = &sent.iter().rev().find(|(t, b)| t == to && b.contains(marker)).expect("a code was sent").1;
        // The last six-digit run: the request id before it may hold one too.
        body.rsplit(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).unwrap().to_owned()
    }
}

async fn staff(server: &TestServer, role: &str) -> String {
    let answer = server.post_json("/v1/tokens", &server.token, json!({"role": role, "label": role})).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["token"].as_str().unwrap().to_owned()
}

/// Publishes the newsletter's consent document and returns its hash.
pub(crate) async fn newsletter_document(server: &TestServer) -> String {
    let doc = server.post_json("/v1/consent-documents", &server.token, json!({"purposes": ["product_news"]})).await;
    assert!(doc.status.is_success(), "{}", doc.text);
    doc.json()["sha256"].as_str().unwrap().to_owned()
}

/// A customer with an email of their own, a card kept under a law, and marketing consent.
pub(crate) async fn customer(server: &TestServer, email: &str, document: &str) -> String {
    let body = json!({
        "kind": "customer",
        "values": [
            {"category": "identity.name", "value": "Марина Цветаева", "purposes": ["account"]},
            {"category": "contact.email", "value": email, "purposes": ["account", "product_news"]},
            {"category": "contact.phone", "value": "+7 903 555-01-77", "purposes": ["account"]},
            {"category": "payment.card", "value": "2200 0000 0000 0004", "purposes": ["payments"]}
        ]
    });
    let created = server.post_json("/v1/subjects", &server.token, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let consent = json!({"purpose": "product_news", "channel": "email", "action": "given", "method": "web_form", "document": document});
    let given = server.post_json(&format!("/v1/subjects/{id}/consents"), &server.token, consent).await;
    assert_eq!(given.status, 201, "{}", given.text);
    id
}

async fn public(server: &TestServer, method: &str, path: &str, key: &str, body: Option<Value>) -> crate::harness::Answer {
    let (ct, text) = match body {
        Some(b) => (Some("application/json"), b.to_string()),
        None => (None, String::new()),
    };
    server.send_with(method, path, None, ct, &[("x-obereg-request-key", key)], text).await
}

async fn may_mail(server: &TestServer, token: &str, subject: &str) -> bool {
    let ask = json!({"subject": subject, "purpose": "product_news", "channel": "email", "categories": ["contact.email"]});
    let answer = server.post_json("/v1/decisions", token, ask).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()["allowed"].as_bool().unwrap()
}

async fn every_kind_from_submission_to_answer(server: TestServer) {
    let outbox = Outbox::default();
    let dpo = staff(&server, "privacy_officer").await;
    let marketing = staff(&server, "marketing").await;
    let document = newsletter_document(&server).await;
    let kinds = [
        "access",
        "portability",
        "rectification",
        "erasure",
        "restriction",
        "objection",
        "consent_withdrawal",
        "distribution_stop",
        "complaint",
    ];
    for kind in kinds {
        let email = format!("{kind}@example.ru");
        let subject = customer(&server, &email, &document).await;
        assert!(may_mail(&server, &marketing, &subject).await);

        let submitted = server
            .send(
                "POST",
                "/v1/public/default/requests",
                None,
                Some("application/json"),
                json!({"kind": kind, "email": email, "language": "ru"}).to_string(),
            )
            .await;
        assert_eq!(submitted.status, 202, "{kind}: {}", submitted.text);
        let body = submitted.json();
        assert_eq!(body["state"], "identity_check");
        assert!(body["subject_id"].is_null(), "nothing about the address is revealed before the code");
        let id = body["id"].as_str().unwrap().to_owned();
        let key = body["follow_key"].as_str().unwrap().to_owned();
        let base = format!("/v1/public/default/requests/{id}");

        let code = outbox.code_for(&server, &email, "Код подтверждения").await;
        let verified = public(&server, "POST", &format!("{base}/verify"), &key, Some(json!({"code": code}))).await;
        assert_eq!(verified.status, 200, "{kind}: {}", verified.text);
        assert_eq!(verified.json()["subject_id"], subject.as_str());

        let queue = server.get("/v1/requests", Some(&dpo)).await.json();
        assert!(queue.as_array().unwrap().iter().any(|r| r["id"] == id.as_str()));
        let completion = match kind {
            "rectification" => {
                let read = server.get(&format!("/v1/subjects/{subject}?purpose=account"), Some(&dpo)).await.json();
                let name = read["attributes"].as_array().unwrap().iter().find(|a| a["category"] == "identity.name").unwrap()["id"].clone();
                json!({"corrections": [{"item": name, "value": "Марина Ивановна Цветаева"}]})
            }
            "distribution_stop" => json!({"purposes": ["product_news"]}),
            "complaint" => json!({"answer": "Звонки прекращены, приносим извинения."}),
            _ => json!({}),
        };
        let done = server.post_json(&format!("/v1/requests/{id}/complete"), &dpo, completion).await;
        assert_eq!(done.status, 200, "{kind}: {}", done.text);
        let status = public(&server, "GET", &base, &key, None).await;
        assert_eq!(status.json()["state"], "completed", "{kind}");

        // The effect, as the next use of the data sees it.
        let read = server.get(&format!("/v1/subjects/{subject}?purpose=account"), Some(&dpo)).await;
        match kind {
            "access" | "portability" => {
                let export = public(&server, "GET", &format!("{base}/export"), &key, None).await;
                assert_eq!(export.status, 200, "{}", export.text);
                let json = export.json();
                assert_eq!(json["format"], "obereg-subject-export/1");
                assert!(json["values"].as_array().unwrap().iter().any(|v| v["value"] == email.as_str()));
                let html = public(&server, "GET", &format!("{base}/export?format=html"), &key, None).await;
                assert!(html.content_type().starts_with("text/html") && html.text.contains(&email));
                public(&server, "GET", &format!("{base}/export?format=pdf"), &key, None).await.problem(422, "request.bad_format");
            }
            "rectification" => assert!(read.text.contains("марина ивановна цветаева"), "{}", read.text),
            "erasure" => {
                assert_eq!(read.json()["subject"]["status"], "restricted", "the card is kept under 54-FZ, blocked");
                assert!(!read.text.contains(&email), "the email is destroyed");
            }
            "restriction" => assert_eq!(read.json()["subject"]["status"], "restricted"),
            "objection" | "consent_withdrawal" | "distribution_stop" => assert!(!may_mail(&server, &marketing, &subject).await, "{kind}"),
            "complaint" => {
                let detail = server.get(&format!("/v1/requests/{id}"), Some(&dpo)).await.json();
                assert!(detail["answer"].as_str().unwrap().contains("Звонки прекращены"));
            }
            _ => unreachable!(),
        }
        server.engine.deliver_outbox(&outbox).await.unwrap();
        let last = outbox.0.lock().unwrap().iter().rev().find(|(t, _)| t == &email).unwrap().1.clone();
        assert!(last.contains("исполнен"), "{kind}: {last}");
    }
    assert!(!captured_logs().contains("@example.ru"), "no address reaches the logs");
}

#[tokio::test]
async fn every_kind_of_request_runs_end_to_end_on_sqlite() {
    every_kind_from_submission_to_answer(TestServer::start().await).await;
}

#[tokio::test]
async fn every_kind_of_request_runs_end_to_end_on_postgres() {
    let Some(server) = TestServer::on_postgres().await else { return };
    every_kind_from_submission_to_answer(server).await;
}

#[tokio::test]
async fn the_public_side_refuses_bad_input_and_changes_nothing() {
    let server = TestServer::start().await;
    let submit = |body: String| server.send("POST", "/v1/public/default/requests", None, Some("application/json"), body);
    submit(json!({"kind": "access"}).to_string()).await.problem(422, "request.contact_required");
    submit(json!({"kind": "teleport", "email": "a@example.ru"}).to_string()).await.problem(400, "request.malformed_json");
    submit("{not json".into()).await.problem(400, "request.malformed_json");
    submit(json!({"kind": "access", "email": "not-an-email"}).to_string()).await.problem(422, "value.invalid_email");
    server
        .send(
            "POST",
            "/v1/public/nobody/requests",
            None,
            Some("application/json"),
            json!({"kind": "access", "email": "a@example.ru"}).to_string(),
        )
        .await
        .problem(404, "not_found");
    let dpo = staff(&server, "privacy_officer").await;
    assert_eq!(server.get("/v1/requests", Some(&dpo)).await.json(), json!([]), "nothing was registered");

    for _ in 0..5 {
        assert_eq!(submit(json!({"kind": "access", "email": "flood@example.ru"}).to_string()).await.status, 202);
    }
    submit(json!({"kind": "access", "email": "FLOOD@example.ru"}).to_string()).await.problem(429, "rate_limited");

    let first = server.get("/v1/requests", Some(&dpo)).await.json()[0]["id"].as_str().unwrap().to_owned();
    let base = format!("/v1/public/default/requests/{first}");
    server.get(&base, None).await.problem(404, "not_found");
    public(&server, "GET", &base, "obr_wrong", None).await.problem(404, "not_found");
    public(&server, "POST", "/v1/public/default/requests/R-NOPE/withdraw", "obr_wrong", None).await.problem(404, "not_found");
    let support = staff(&server, "support").await;
    server.get("/v1/requests", Some(&support)).await.problem(403, "auth.forbidden");
    server.get(&format!("/v1/requests/{first}"), Some(&support)).await.problem(403, "auth.forbidden");
    let refuse = server.post_json(&format!("/v1/requests/{first}/refuse"), &dpo, json!({"ground": "other", "reason": "x"})).await;
    refuse.problem(422, "request.norm_required");
    let refused = server.post_json(&format!("/v1/requests/{first}/refuse"), &dpo, json!({"ground": "identity_not_confirmed"})).await;
    assert_eq!(refused.json()["state"], "refused");
    server.post_json(&format!("/v1/requests/{first}/extend"), &dpo, json!({"reason": "архив"})).await.problem(422, "request.closed");
    let overdue = server.get("/v1/requests?overdue=true&limit=5", Some(&dpo)).await;
    assert_eq!(overdue.json(), json!([]));
    server.get("/v1/requests?state=nonsense", Some(&dpo)).await.problem(422, "request.bad_query");

    // Recipients' side: no notify_url in the example catalog, so no secret; a confirmation
    // of a notice that does not exist, or unsigned, is "not found".
    server.get("/v1/recipients/telecom-carrier/notify-secret", Some(&server.token)).await.problem(404, "not_found");
    server.get("/v1/recipients/telecom-carrier/notify-secret", Some(&dpo)).await.problem(403, "auth.forbidden");
    let confirm = "/v1/public/default/notices/00000000-0000-0000-0000-000000000000/confirm";
    server
        .send_with("POST", confirm, None, Some("application/json"), &[("obereg-signature", "t=1,v1=00")], "{}")
        .await
        .problem(404, "not_found");
}
