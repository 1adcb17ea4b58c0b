//! Anonymised statistics over HTTP, on SQLite and PostgreSQL: a k-anonymous release, a
//! differentially private one, the budget refusing a release past it and changing nothing,
//! the record of releases, and bad input.

use serde_json::json;

use crate::harness::TestServer;
use crate::requests::{customer, newsletter_document};

#[tokio::test]
async fn releases_spend_the_budget_on_sqlite() {
    releases(TestServer::start().await).await;
}

#[tokio::test]
async fn releases_spend_the_budget_on_postgres() {
    if let Some(server) = TestServer::on_postgres().await {
        releases(server).await;
    }
}

async fn releases(server: TestServer) {
    let document = newsletter_document(&server).await;
    for i in 0..6 {
        customer(&server, &format!("c{i}@example.ru"), &document).await;
    }
    let dpo = server.post_json("/v1/tokens", &server.token, json!({"role": "privacy_officer", "label": "d"})).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let k = json!({"source": "consents", "group_by": ["purpose", "state"], "guarantee": {"kind": "k_anonymity", "k": 5}, "recipient": "web-analytics"});
    let released = server.post_json("/v1/stats/releases", &dpo, k).await;
    assert_eq!(released.status, 201, "{}", released.text);
    let released = released.json();
    assert_eq!(released["cells"], json!([{"group": {"purpose": "product_news", "state": "given"}, "value": 6}]));

    let dp =
        json!({"source": "subjects", "group_by": ["kind"], "guarantee": {"kind": "laplace", "epsilon": 0.6}, "recipient": "web-analytics"});
    let first = server.post_json("/v1/stats/releases", &dpo, dp.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.json()["cells"].as_array().unwrap().len(), 3, "every subject kind of the catalog");
    server.post_json("/v1/stats/releases", &dpo, dp).await.problem(422, "stats.budget_exhausted");
    let budget = server.get("/v1/stats/budgets/web-analytics", Some(&dpo)).await.json();
    assert!((budget["spent"][0].as_f64().unwrap() - 0.6).abs() < 1e-9, "{budget}");
    let listed = server.get("/v1/stats/releases", Some(&dpo)).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 2, "the refused release is not recorded");

    // Only administrators set budgets; bad input is refused plainly.
    let raise = json!({"epsilon": 3.0, "delta": 0.00001});
    server
        .send("PUT", "/v1/stats/budgets/web-analytics", Some(&dpo), Some("application/json"), raise.to_string())
        .await
        .problem(403, "auth.forbidden");
    let raised =
        server.send("PUT", "/v1/stats/budgets/web-analytics", Some(&server.token), Some("application/json"), raise.to_string()).await;
    assert_eq!(raised.status, 200, "{}", raised.text);
    let bad = json!({"source": "subjects", "group_by": ["kind"], "guarantee": {"kind": "laplace", "epsilon": "lots"}, "recipient": "web-analytics"});
    server.post_json("/v1/stats/releases", &dpo, bad).await.problem(400, "request.malformed_json");
    let stranger = json!({"source": "subjects", "group_by": ["kind"], "guarantee": {"kind": "k_anonymity", "k": 5}, "recipient": "nobody"});
    server.post_json("/v1/stats/releases", &dpo, stranger).await.problem(422, "stats.unknown_recipient");
}
