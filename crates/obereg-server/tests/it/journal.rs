//! The journal API: entries carry the request id, checkpoints verify with the published key,
//! proofs verify with obereg-journal's verifier, bad queries are clear 400/422 problems.

use axum::body::Body;
use obereg_journal::tree::{verify_consistency, verify_inclusion};
use obereg_journal::{Hash, NoteVerifier, leaf_hash};
use serde_json::{Value, json};

use crate::harness::TestServer;

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().unwrap().iter().map(|h| Hash::from_hex(h.as_str().unwrap()).unwrap()).collect()
}

#[tokio::test]
async fn entries_checkpoints_and_proofs_verify_end_to_end() {
    let s = TestServer::start().await;
    let made = s
        .send_with(
            "POST",
            "/v1/tokens",
            Some(&s.token),
            Some("application/json"),
            &[("x-request-id", "req-journal-1")],
            json!({"role": "admin", "label": "ci"}).to_string(),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    for i in 0..10 {
        assert_eq!(s.post_json("/v1/tokens", &s.token, json!({"role": "admin", "label": format!("t{i}")})).await.status, 201);
    }

    let page = s.get("/v1/journal/entries?from=0&limit=5", Some(&s.token)).await.json();
    assert_eq!(page["entries"].as_array().unwrap().len(), 5);
    assert_eq!(page["next"], 5);
    let all = s.get("/v1/journal/entries?limit=1000", Some(&s.token)).await.json();
    let entries = all["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 14, "3 at set-up and 11 tokens");
    assert!(all["next"].is_null());
    for e in entries {
        let body = e["body"].as_str().unwrap();
        assert_eq!(e["leaf_hash"], leaf_hash(body.as_bytes()).to_hex());
        assert_eq!(e["entry"]["index"], e["index"]);
    }
    assert_eq!(entries[3]["entry"]["operation"], "token.issued");
    assert_eq!(entries[3]["entry"]["request"], "req-journal-1");
    assert_eq!(entries[3]["entry"]["actor"]["role"], "platform");

    let key = s.get("/v1/journal/key", Some(&s.token)).await.json();
    let verifier = NoteVerifier::parse(key["verifier_key"].as_str().unwrap()).unwrap();
    assert_eq!(key["algorithm"], "ed25519");
    let signed = s.send("POST", "/v1/journal/checkpoints", Some(&s.token), None, Body::empty()).await;
    assert_eq!(signed.status, 201, "{}", signed.text);
    let latest = s.get("/v1/journal/checkpoint", Some(&s.token)).await.json();
    assert_eq!(latest["size"], 14);
    let checkpoint = verifier.open_checkpoint(latest["note"].as_str().unwrap()).unwrap();
    assert_eq!(checkpoint.root.to_hex(), latest["root"].as_str().unwrap());

    let proof = s.get("/v1/journal/proofs/inclusion?index=9", Some(&s.token)).await.json();
    assert_eq!(proof["checkpoint"], latest["note"]);
    let leaf = leaf_hash(proof["body"].as_str().unwrap().as_bytes());
    verify_inclusion(&leaf, 9, 14, &hashes(&proof["proof"]), &checkpoint.root).unwrap();

    let c = s.get("/v1/journal/proofs/consistency?from=3", Some(&s.token)).await.json();
    let first = s.get("/v1/journal/proofs/inclusion?index=0&size=3", Some(&s.token)).await.json();
    let old = verifier.open_checkpoint(first["checkpoint"].as_str().expect("set-up signs size 3")).unwrap();
    verify_consistency(3, 14, &old.root, &checkpoint.root, &hashes(&c["proof"])).unwrap();
}

#[tokio::test]
async fn bad_queries_and_roles_get_clear_problems() {
    let s = TestServer::start().await;
    let t = |q: &str| format!("/v1/journal/proofs/inclusion?{q}");
    s.get(&t("index=abc"), Some(&s.token)).await.problem(400, "request.malformed_query");
    s.get(&t("index=1&evil=1"), Some(&s.token)).await.problem(400, "request.malformed_query");
    s.get(&t(""), Some(&s.token)).await.problem(400, "request.malformed_query");
    s.get(&t("index=3"), Some(&s.token)).await.problem(422, "journal.index_beyond_size");
    s.get(&t("index=0&size=99"), Some(&s.token)).await.problem(422, "journal.size_beyond_log");
    s.get("/v1/journal/proofs/consistency?from=9&to=3", Some(&s.token)).await.problem(422, "journal.sizes_reversed");
    s.get("/v1/journal/entries?limit=-1", Some(&s.token)).await.problem(400, "request.malformed_query");
    s.get("/v1/journal/entries", None).await.problem(401, "auth.unauthenticated");

    let staff = s.post_json("/v1/tokens", &s.token, json!({"role": "support", "label": "desk"})).await.json();
    let staff = staff["token"].as_str().unwrap();
    s.get("/v1/journal/entries", Some(staff)).await.problem(403, "auth.forbidden");
    s.get("/v1/journal/checkpoint", Some(staff)).await.problem(403, "auth.forbidden");
    assert_eq!(s.get("/v1/journal/key", Some(staff)).await.status, 200);

    let none = s.get("/v1/journal/subjects/0193-unknown/entries", Some(&s.token)).await.json();
    assert_eq!(none["entries"], json!([]));
    let doc = s.get("/openapi.json", None).await.json();
    for path in ["/v1/journal/key", "/v1/journal/entries", "/v1/journal/proofs/inclusion", "/v1/journal/proofs/consistency"] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
}

/// An engine over a fresh SQLite store, served by `serve` with `interval` between
/// checkpoint rounds; returns the engine, a stop switch and the server task.
async fn served(
    interval: std::time::Duration,
) -> (obereg_engine::Engine, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<std::io::Result<()>>, tempfile::TempDir) {
    use obereg_engine::{Bootstrap, Engine, JournalSettings, Role, RootKey};
    let dir = tempfile::tempdir().unwrap();
    let store = obereg_store::open(&format!("sqlite:{}", dir.path().join("db.sqlite").display())).await.unwrap();
    let settings = JournalSettings { origin_prefix: "obereg.test".into(), checkpoint_every: 1_000_000, checkpoint_interval: interval };
    let engine = Engine::new(store, std::sync::Arc::new(obereg_core::clock::SystemClock), RootKey::generate().unwrap())
        .with_journal_settings(settings)
        .unwrap();
    let Bootstrap::Created(_) = engine.bootstrap("default", "Default", crate::harness::EXAMPLE, Role::Platform).await.unwrap() else {
        panic!("fresh")
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(obereg_server::serve(engine.clone(), listener, None, 1024, None, async move {
        let _ = stopped.await;
    }));
    // Let the first round (which runs at once) pass.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    (engine, stop, server, dir)
}

#[tokio::test]
async fn the_server_signs_due_checkpoints_on_its_timer() {
    let (engine, stop, server, _dir) = served(std::time::Duration::from_millis(50)).await;
    let operator = obereg_engine::Actor::local_operator("default");
    engine.create_token(&operator, "admin", "a").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while engine.latest_checkpoint(&operator).await.unwrap().size < 4 {
        assert!(std::time::Instant::now() < deadline, "the timer signed nothing");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn the_server_signs_a_last_checkpoint_when_it_stops() {
    let (engine, stop, server, _dir) = served(std::time::Duration::from_secs(3600)).await;
    let operator = obereg_engine::Actor::local_operator("default");
    engine.create_token(&operator, "admin", "a").await.unwrap();
    assert_eq!(engine.latest_checkpoint(&operator).await.unwrap().size, 3, "no round is due for an hour");
    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(engine.latest_checkpoint(&operator).await.unwrap().size, 4);
}
