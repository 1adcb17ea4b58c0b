//! Policy publications over HTTP, on SQLite and (when configured) PostgreSQL: the first
//! publication is in force at once, a material change is published for a later day and
//! emailed to the subject with a one-click stop link whose page and POST work, the public
//! address keeps answering the text in force, and bad input changes nothing.

use serde_json::{Value, json};

use crate::harness::TestServer;
use crate::requests::Outbox;

fn moscow_today() -> jiff::civil::Date {
    jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).date()
}

/// Reads the publication until its walk over subjects is done.
async fn walked(server: &TestServer, id: &str) -> Value {
    for _ in 0..200 {
        let p = server.get(&format!("/v1/documents/policy/publications/{id}"), Some(&server.token)).await.json();
        if p["notices"]["done"] == true {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the walk of {id} did not finish");
}

async fn publication_to_notice(server: TestServer) {
    let t = &server.token;
    let created = server
        .post_json(
            "/v1/subjects",
            t,
            json!({"kind": "customer", "values": [{"category": "contact.email", "value": "vera@example.ru", "purposes": ["product_news"]}]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let today = moscow_today();
    let first = server.post_json("/v1/documents/policy/publications", t, json!({"effective_on": today.to_string()})).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let first = first.json();
    assert_eq!((first["number"].clone(), first["status"].clone(), first["changes"].clone()), (json!(1), json!("in_force"), json!([])));
    let first_id = first["id"].as_str().unwrap().to_owned();
    assert_eq!(walked(&server, &first_id).await["notices"]["queued"], 0);
    server
        .post_json("/v1/documents/policy/publications", t, json!({"effective_on": today.to_string()}))
        .await
        .problem(422, "policy.unchanged");

    // The newsletter gets a new recipient: a material change.
    let changed = include_str!("../../../../examples/voice-robot-calls.toml").replace(
        "required_categories = [\"contact.email\"]\noperations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]\nretention = { period = \"P0D\"",
        "required_categories = [\"contact.email\"]\nrecipients = [\"web-analytics\"]\noperations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]\nretention = { period = \"P0D\"",
    );
    assert_eq!(server.put_toml(t, changed).await.status, 201);
    for bad in [json!({"effective_on": today.to_string()}), json!({"effective_on": "2026-02-30"}), json!({"effective_on": "2999-01-01"})] {
        server.post_json("/v1/documents/policy/publications", t, bad).await.problem(422, "policy.bad_effective_date");
    }
    server
        .post_json("/v1/documents/policy/publications", t, json!({"effective_on": "x", "extra": 1}))
        .await
        .problem(400, "request.malformed_json");
    let support =
        server.post_json("/v1/tokens", t, json!({"role": "support", "label": "s"})).await.json()["token"].as_str().unwrap().to_owned();
    let later = today.checked_add(jiff::Span::new().days(14)).unwrap().to_string();
    server.post_json("/v1/documents/policy/publications", &support, json!({"effective_on": later})).await.problem(403, "auth.forbidden");
    assert_eq!(
        server.get("/v1/documents/policy/publications", Some(t)).await.json().as_array().unwrap().len(),
        1,
        "refusals changed nothing"
    );

    let second = server.post_json("/v1/documents/policy/publications", t, json!({"effective_on": later})).await;
    assert_eq!(second.status, 201, "{}", second.text);
    let second = second.json();
    assert_eq!(second["status"], "upcoming");
    assert_eq!(second["changes"][0]["code"], "purpose.recipients_added");
    let second_id = second["id"].as_str().unwrap().to_owned();
    assert_eq!(walked(&server, &second_id).await["notices"]["queued"], 1);

    // The public address answers the text in force; each version has its own address.
    let in_force = server.get("/p/default/policy?format=json", None).await.json();
    assert_eq!(in_force["publication"], first_id.as_str());
    assert_eq!(in_force["sha256"], first["sha256_ru"]);
    let upcoming = server.get(&format!("/p/default/policy/{second_id}?format=json&lang=en"), None).await.json();
    assert_eq!((upcoming["effective_on"].as_str(), upcoming["lang"].as_str()), (Some(later.as_str()), Some("en")));
    server.get("/p/default/policy/P-000000000000", None).await.problem(404, "not_found");
    server.get("/p/default/policy/..%2Fx", None).await.problem(404, "not_found");

    // The email, and its one-click link: the page explains, the POST stops the notices.
    let outbox = Outbox::default();
    assert_eq!(server.engine.deliver_outbox(&outbox).await.unwrap().sent, 1);
    let (to, body) = outbox.0.lock().unwrap()[0].clone();
    assert_eq!(to, "vera@example.ru");
    assert!(body.contains(&later) && body.contains(&format!("/p/default/policy/{second_id}")), "{body}");
    let path = &body[body.find("/u/").unwrap()..];
    let path = path.split_whitespace().next().unwrap().to_owned();
    let page = server.get(&path, None).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("уведомлени") || page.text.contains("notices"), "{}", page.text);
    let done = server.send("POST", &path, None, Some("application/x-www-form-urlencoded"), "List-Unsubscribe=One-Click").await;
    assert_eq!(done.status, 200, "{}", done.text);
    let again = server.send("POST", &path, None, Some("application/x-www-form-urlencoded"), "List-Unsubscribe=One-Click").await;
    assert!(again.text.contains("уже") || again.text.contains("already"), "{}", again.text);
}

#[tokio::test]
async fn a_material_change_is_published_for_a_later_day_and_emailed_with_a_stop_link_on_sqlite() {
    publication_to_notice(TestServer::start().await).await;
}

#[tokio::test]
async fn a_material_change_is_published_for_a_later_day_and_emailed_with_a_stop_link_on_postgres() {
    let Some(server) = TestServer::on_postgres().await else { return };
    publication_to_notice(server).await;
}
