//! The vault over HTTP: create, purpose-bound reads with masking, lookup, corrections,
//! restriction, erasure, import, tenant isolation, and that no value reaches the logs or
//! (on PostgreSQL) a `pg_dump` of the database.

use std::sync::Arc;

use obereg_core::clock::SystemClock;
use obereg_core::value::PlainValue;
use obereg_engine::vault::{NewSubjectInput, NewValue};
use obereg_engine::{Bootstrap, Engine, Role, RootKey};
use serde_json::json;
use sqlx::Connection;

use crate::harness::{TestServer, captured_logs};

const NAME: &str = "Анна Ахматова-Горенко";
const PHONE: &str = "+79035550142";
const EMAIL: &str = "anna.gorenko@example.ru";
const PASSPORT: &str = "4009 765432";

async fn staff(server: &TestServer, role: &str) -> String {
    let answer = server.post_json("/v1/tokens", &server.token, json!({"role": role, "label": role})).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["token"].as_str().unwrap().to_owned()
}

fn customer() -> serde_json::Value {
    json!({
        "kind": "customer",
        "values": [
            {"category": "identity.name", "value": NAME, "purposes": ["account"], "source": "web_form"},
            {"category": "contact.phone", "value": "8 (903) 555-01-42", "purposes": ["account"]},
            {"category": "contact.email", "value": EMAIL, "purposes": ["account"]},
            {"category": "identity.passport", "value": PASSPORT, "purposes": ["account"]}
        ]
    })
}

#[tokio::test]
async fn a_subject_is_created_read_for_a_purpose_found_restricted_and_erased() {
    let server = TestServer::start().await;
    let created = server.post_json("/v1/subjects", &server.token, customer()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json()["status"], "active");

    let support = staff(&server, "support").await;
    let read = server.get(&format!("/v1/subjects/{id}?purpose=account"), Some(&support)).await;
    assert_eq!(read.status, 200, "{}", read.text);
    let body = read.json();
    let attrs = body["attributes"].as_array().unwrap();
    let by_cat = |c: &str| attrs.iter().find(|a| a["category"] == c).cloned();
    assert_eq!(by_cat("contact.phone").unwrap()["value"], "+7 *** ***-**-42");
    assert_eq!(by_cat("contact.phone").unwrap()["masked"], true);
    assert_eq!(by_cat("contact.email").unwrap()["value"], EMAIL);
    assert!(by_cat("identity.passport").is_none(), "support is not granted passports");
    server.get(&format!("/v1/subjects/{id}?purpose=payments"), Some(&support)).await.problem(403, "access.purpose_not_granted");
    server.get(&format!("/v1/subjects/{id}"), Some(&support)).await.problem(400, "request.malformed_query");
    server.get(&format!("/v1/subjects/{id}?purpose=account"), Some(&server.token)).await.problem(403, "access.administrator_reads_no_data");

    let found = server
        .post_json("/v1/subjects/search", &support, json!({"category": "contact.phone", "value": "+7 903 555 01 42", "purpose": "account"}))
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.json()[0]["id"], id.as_str());
    let batch = server
        .post_json(
            "/v1/subjects/search/batch",
            &support,
            json!({"category": "contact.phone", "values": ["8 903 555-01-42", "garbage", "+79990000000"], "purpose": "account"}),
        )
        .await;
    assert_eq!(batch.status, 200, "{}", batch.text);
    let answers = batch.json();
    assert_eq!(answers[0]["subjects"][0]["id"], id.as_str());
    assert_eq!(answers[1]["code"], "value.invalid_phone");
    assert_eq!(answers[2]["subjects"], json!([]));
    assert_eq!(answers[2]["index"], 2);
    let too_many = vec!["+79990000000"; 1001];
    server
        .post_json("/v1/subjects/search/batch", &support, json!({"category": "contact.phone", "values": too_many, "purpose": "account"}))
        .await
        .problem(422, "lookup.batch_too_large");

    let email_item = by_cat("contact.email").unwrap()["id"].as_str().unwrap().to_owned();
    let put = server
        .send(
            "PUT",
            &format!("/v1/subjects/{id}/items/{email_item}"),
            Some(&support),
            Some("application/json"),
            json!({"value": "new@example.ru", "purpose": "account"}).to_string(),
        )
        .await;
    assert_eq!(put.status, 204, "{}", put.text);

    let dpo = staff(&server, "privacy_officer").await;
    // A card token resolves for the privacy officer (cards unmasked), not for support.
    let card = server
        .post_json(
            &format!("/v1/subjects/{id}/items"),
            &server.token,
            json!({"values": [{"category": "payment.card", "value": "2200 0000 0000 0004", "purposes": ["payments"]}]}),
        )
        .await;
    assert_eq!(card.status, 201, "{}", card.text);
    let token = server.get(&format!("/v1/subjects/{id}?purpose=payments"), Some(&dpo)).await.json()["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["category"] == "payment.card")
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let number = server.post_json("/v1/cards/detokenize", &dpo, json!({"token": token, "purpose": "payments"})).await;
    assert_eq!(number.status, 200, "{}", number.text);
    assert_eq!((number.json()["value"].as_str(), number.json()["masked"].as_bool()), (Some("2200000000000004"), Some(false)));
    server
        .post_json("/v1/cards/detokenize", &support, json!({"token": token, "purpose": "payments"}))
        .await
        .problem(403, "access.purpose_not_granted");
    server
        .post_json("/v1/cards/detokenize", &dpo, json!({"token": "crd_00000000000000000000000000000000", "purpose": "payments"}))
        .await
        .problem(404, "not_found");
    let restricted = server.send("POST", &format!("/v1/subjects/{id}/restriction"), Some(&dpo), None, "").await;
    assert_eq!(restricted.json()["status"], "restricted");
    server.get(&format!("/v1/subjects/{id}?purpose=account"), Some(&support)).await.problem(403, "subject.restricted");
    let dpo_read = server.get(&format!("/v1/subjects/{id}?purpose=account"), Some(&dpo)).await;
    assert_eq!(dpo_read.json()["attributes"].as_array().unwrap().len(), 4);
    assert_eq!(server.send("DELETE", &format!("/v1/subjects/{id}/restriction"), Some(&dpo), None, "").await.json()["status"], "active");

    server.send("DELETE", &format!("/v1/subjects/{id}"), Some(&support), None, "").await.problem(403, "access.operation_not_granted");
    let erased = server.send("DELETE", &format!("/v1/subjects/{id}"), Some(&dpo), None, "").await;
    assert_eq!(erased.status, 200, "{}", erased.text);
    server.get(&format!("/v1/subjects/{id}?purpose=account"), Some(&dpo)).await.problem(404, "not_found");
    server.send("DELETE", &format!("/v1/subjects/{id}"), Some(&dpo), None, "").await.problem(404, "not_found");
    let none =
        server.post_json("/v1/subjects/search", &support, json!({"category": "contact.phone", "value": PHONE, "purpose": "account"})).await;
    assert_eq!(none.json(), json!([]));

    let logs = captured_logs();
    for secret in [NAME, PHONE, "903) 555", EMAIL, "new@example.ru", PASSPORT, "2200000000000004"] {
        assert!(!logs.contains(secret), "{secret} leaked into the logs");
    }
}

#[tokio::test]
async fn bad_input_is_refused_without_echoing_values() {
    let server = TestServer::start().await;
    let mut bad = customer();
    bad["values"][1]["value"] = json!("+7 (000) 555-01-42");
    let answer = server.post_json("/v1/subjects", &server.token, bad).await;
    answer.problem(422, "value.invalid_phone");
    assert!(!answer.text.contains("555-01-42"));
    let mut wrong_type = customer();
    wrong_type["values"][0]["purposes"] = json!(NAME);
    let answer = server.post_json("/v1/subjects", &server.token, wrong_type).await;
    answer.problem(400, "request.malformed_json");
    assert!(!answer.text.contains(NAME));
    let record = json!({"kind": "called_person", "records": [{"category": "call.recording", "occurred_at": "yesterday", "purposes": ["robot_calls"], "body": {"kind": "call"}}]});
    server.post_json("/v1/subjects", &server.token, record).await.problem(422, "record.invalid_body");
    server.get("/v1/subjects/not-an-id?purpose=account", Some(&staff(&server, "support").await)).await.problem(404, "not_found");
}

#[tokio::test]
async fn another_tenant_cannot_see_the_subject() {
    let server = TestServer::start().await;
    let id = server.post_json("/v1/subjects", &server.token, customer()).await.json()["id"].as_str().unwrap().to_owned();
    let source = crate::harness::EXAMPLE;
    let other = server.post_json("/v1/tenants", &server.token, json!({"id": "beta", "name": "Beta", "catalog": source})).await;
    assert_eq!(other.status, 201, "{}", other.text);
    let beta_admin = other.json()["admin_token"]["token"].as_str().unwrap().to_owned();
    let beta_support = server.post_json("/v1/tokens", &beta_admin, json!({"role": "support", "label": "x"})).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    server.get(&format!("/v1/subjects/{id}?purpose=account"), Some(&beta_support)).await.problem(404, "not_found");
    server.send("DELETE", &format!("/v1/subjects/{id}"), Some(&beta_admin), None, "").await.problem(404, "not_found");
    let found = server
        .post_json("/v1/subjects/search", &beta_support, json!({"category": "contact.phone", "value": PHONE, "purpose": "account"}))
        .await;
    assert_eq!(found.json(), json!([]));
}

#[tokio::test]
async fn import_reports_every_row() {
    let server = TestServer::start().await;
    server.post_json("/v1/subjects", &server.token, customer()).await;
    let row = |phone: &str| json!({"kind": "customer", "values": [{"category": "contact.phone", "value": phone, "purposes": ["account"]}]});
    let batch = json!({"subjects": [row("+79035550001"), row(PHONE), row("12"), row("+79035550001"), {"kind": "customer", "values": [], "records": [{"bad": 1}]}]});
    let answer = server.post_json("/v1/subjects/import", &server.token, batch).await;
    let answer = if answer.status == 400 {
        // An unknown field inside a row makes the whole body malformed: send without it.
        assert_eq!(answer.json()["code"], "request.malformed_json");
        let batch = json!({"subjects": [row("+79035550001"), row(PHONE), row("12"), row("+79035550001")]});
        server.post_json("/v1/subjects/import", &server.token, batch).await
    } else {
        answer
    };
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!((body["created"].as_u64(), body["duplicates"].as_u64(), body["errors"].as_u64()), (Some(1), Some(2), Some(1)));
    let outcomes: Vec<&str> = body["rows"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["created", "duplicate", "error", "duplicate"]);
    assert_eq!(body["rows"][2]["code"], "value.invalid_phone");
    // The API takes at most 10,000 rows a request (`obereg import` batches up to 50,000).
    let too_many = vec![json!({"kind": "customer", "values": []}); 10_001];
    server.post_json("/v1/subjects/import", &server.token, json!({"subjects": too_many})).await.problem(422, "import.batch_too_large");
}

/// On PostgreSQL: a `pg_dump` of the whole database holds none of the values, and a dump
/// without the keystore schema holds no wrapped key.
#[tokio::test]
async fn a_postgres_dump_holds_no_plaintext() {
    let Ok(admin_url) = std::env::var("OBEREG_TEST_POSTGRES_URL") else { return };
    let name = format!("obereg_dump_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\""))).execute(&mut admin).await.unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let store = obereg_store::open(&url).await.unwrap();
    let engine = Engine::new(store, Arc::new(SystemClock), RootKey::generate().unwrap());
    let Bootstrap::Created(token) = engine.bootstrap("default", "Default", crate::harness::EXAMPLE, Role::Platform).await.unwrap() else {
        panic!()
    };
    let actor = engine.authenticate(token.secret.reveal_once()).await.unwrap();
    let value = |c: &str, v: &str| NewValue {
        category: c.into(),
        value: PlainValue::new(v),
        purposes: vec!["account".into()],
        source: "api".into(),
    };
    for _ in 0..3 {
        let input = NewSubjectInput {
            kind: "customer".into(),
            values: vec![
                value("identity.name", NAME),
                value("contact.phone", PHONE),
                value("contact.email", EMAIL),
                value("identity.passport", PASSPORT),
            ],
            records: vec![],
        };
        engine.create_subject(&actor, input).await.unwrap();
    }
    let dump = |extra: &[&str]| {
        let out = std::process::Command::new("pg_dump").arg("--dbname").arg(&url).args(extra).output().expect("pg_dump runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let full = dump(&[]);
    assert!(full.contains("subject_items") && full.contains("keystore.subject_keys"), "the dump covers the vault");
    for secret in [NAME, PHONE, "9035550142", EMAIL, PASSPORT, "ахматова"] {
        assert!(!full.to_lowercase().contains(&secret.to_lowercase()), "{secret} in pg_dump");
    }
    let data_only = dump(&["--exclude-schema=keystore"]);
    assert!(!data_only.contains("subject_keys"), "a data backup leaves the keystore out");
    drop(engine);
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))).execute(&mut admin).await.unwrap();
}
