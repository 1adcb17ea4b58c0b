//! Technical logs over HTTP: a shipper posts nginx lines, nothing identifying is kept,
//! statistics come back, the journaled way back works only with a purpose, and only the
//! right roles get in.

use axum::body::Body;
use serde_json::json;

use crate::harness::TestServer;

fn lines(day: &str) -> String {
    (0..12)
        .map(|i| {
            format!(
                "192.0.2.{} - - [{day}:10:00:0{} +0000] \"GET /?email=visitor{i}%40mail.ru HTTP/1.1\" 200 10 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\"\n",
                i % 3 + 1,
                i % 10
            )
        })
        .collect()
}

#[tokio::test]
async fn a_shipper_posts_lines_and_nothing_identifying_is_kept() {
    let server = TestServer::start().await;
    let today = jiff::Timestamp::now().strftime("%d/%b/%Y").to_string();
    let date = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let posted = server.send("POST", "/v1/logs", Some(&server.token), Some("text/plain"), lines(&today)).await;
    assert_eq!(posted.status, 200, "{}", posted.text);
    let report = posted.json();
    assert_eq!((report["lines"].as_u64(), report["kept"].as_u64()), (Some(12), Some(12)));
    let kept = std::fs::read_dir(server.weblogs().join("default"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect::<String>();
    assert!(!kept.contains("192.0.2.") && !kept.contains("mail.ru") && kept.contains("email=[EMAIL]"), "{kept}");

    let dpo = server.post_json("/v1/tokens", &server.token, json!({"role": "privacy_officer", "label": "d"})).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let stats = server.get(&format!("/v1/logs/stats?from={date}&to={date}"), Some(&dpo)).await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    let stats = stats.json();
    assert_eq!(stats["requests"], 12);
    assert_eq!(stats["days"][0]["visitors"], 3);
    assert_eq!(stats["top_paths"][0], json!(["/", 12]));

    let found =
        server.post_json("/v1/logs/reidentify", &dpo, json!({"purpose": "fraud_investigation", "ip": "192.0.2.1", "date": date})).await;
    assert_eq!(found.json()["lines"].as_array().unwrap().len(), 4, "{}", found.text);
    server
        .post_json("/v1/logs/reidentify", &dpo, json!({"purpose": "", "ip": "192.0.2.1", "date": date}))
        .await
        .problem(422, "weblog.purpose_required");

    // Bad options and the wrong role change nothing.
    server.send("POST", "/v1/logs?ip=hash", Some(&server.token), Some("text/plain"), lines(&today)).await.problem(422, "weblog.bad_option");
    server
        .send("POST", "/v1/logs?category=contact.email", Some(&server.token), Some("text/plain"), Body::from("x"))
        .await
        .problem(422, "weblog.not_technical");
    let support = server.post_json("/v1/tokens", &server.token, json!({"role": "support", "label": "s"})).await.json()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    server.send("POST", "/v1/logs", Some(&support), Some("text/plain"), lines(&today)).await.problem(403, "auth.forbidden");
    server.get(&format!("/v1/logs/stats?from={date}&to={date}"), Some(&support)).await.problem(403, "auth.forbidden");
    server.get("/v1/logs/stats?from=yesterday&to=today", Some(&dpo)).await.problem(422, "weblog.bad_date");
    let again = server.get(&format!("/v1/logs/stats?from={date}&to={date}"), Some(&dpo)).await.json();
    assert_eq!(again["requests"], 12);
}
