//! Access requests through the whole HTTP application, in process (middleware, routing,
//! JSON, problem+json; the network left out as in the decisions bench): concurrent tasks
//! each running complete access requests one after another — register with identity
//! checked (`POST /v1/requests`), carry out (`POST …/complete`), download the answer
//! (`GET …/export`) — on subjects of 35 rows (one phone, 34 call records). Reports whole
//! requests per second and the answer download alone.
//!
//! Run: `cargo bench -p obereg-server --bench requests` (OBEREG_BENCH_REQUESTS, default
//! 5000; OBEREG_BENCH_TASKS, default 32).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use obereg_core::clock::SystemClock;
use obereg_core::value::PlainValue;
use obereg_engine::vault::{Direction, NewRecord, NewSubjectInput, NewValue, RecordBody};
use obereg_engine::{Actor, Bootstrap, Engine, Role, RootKey};
use obereg_server::Metrics;
use tower::ServiceExt;

/// The allocator `obereg` itself runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");
const SUBJECTS: usize = 200;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn subject(i: usize) -> NewSubjectInput {
    let call = |k: usize| NewRecord {
        category: "call.recording".into(),
        occurred_at: jiff::Timestamp::from_second(1_760_000_000 + k as i64).unwrap(),
        body: RecordBody::Call {
            direction: Direction::Outbound,
            duration_secs: 40,
            number: "+79990001122".into(),
            operator: Some("robot-1".into()),
            transcript_ref: Some(format!("s3://calls/{i}-{k}.json")),
        },
        purposes: vec!["robot_calls".into()],
        source: "robot".into(),
    };
    NewSubjectInput {
        kind: "called_person".into(),
        values: vec![NewValue {
            category: "contact.phone".into(),
            value: PlainValue::new(format!("+7916{i:07}")),
            purposes: vec!["robot_calls".into()],
            source: "bench".into(),
        }],
        records: (0..34).map(call).collect(),
    }
}

async fn call(app: &Router, method: &str, path: &str, token: &str, body: String) -> serde_json::Value {
    let mut request = Request::builder().method(method).uri(path).header(header::AUTHORIZATION, format!("Bearer {token}"));
    if !body.is_empty() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    let response = app.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert!(status == StatusCode::OK || status == StatusCode::CREATED, "{path}: {status} {}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap()
}

/// One whole access request; returns its id.
async fn access_request(app: &Router, token: &str, subject: &str) -> String {
    let open = serde_json::json!({
        "kind": "access", "channel": "email", "email": "bench@example.ru",
        "identity": {"subject_id": subject, "note": "passport checked"}
    });
    let id = call(app, "POST", "/v1/requests", token, open.to_string()).await["id"].as_str().unwrap().to_owned();
    call(app, "POST", &format!("/v1/requests/{id}/complete"), token, "{}".into()).await;
    let answer = call(app, "GET", &format!("/v1/requests/{id}/export"), token, String::new()).await;
    assert_eq!(answer["records"].as_array().unwrap().len(), 34);
    id
}

#[tokio::main]
async fn main() {
    let (requests, tasks) = (env("OBEREG_BENCH_REQUESTS", 5000), env("OBEREG_BENCH_TASKS", 32));
    let dir = tempfile::tempdir().unwrap();
    let store = obereg_store::open(&format!("sqlite:{}", dir.path().join("bench.db").display())).await.unwrap();
    let engine = Engine::new(store, Arc::new(SystemClock), RootKey::generate().unwrap());
    let Bootstrap::Created(issued) = engine.bootstrap("default", "Default", CATALOG, Role::Platform).await.unwrap() else { panic!() };
    let token = Arc::new(issued.secret.reveal_once().to_owned());
    let admin = Actor::local_operator("default");
    let mut subjects = Vec::new();
    for i in 0..SUBJECTS {
        subjects.push(engine.create_subject(&admin, subject(i)).await.unwrap().id);
    }
    let subjects = Arc::new(subjects);
    let app = obereg_server::app(engine, Arc::new(Metrics::default()), obereg_server::DEFAULT_MAX_BODY_BYTES);

    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (app, token, subjects) = (app.clone(), token.clone(), subjects.clone());
        handles.push(tokio::spawn(async move {
            let mut done = Vec::new();
            for n in (t..requests).step_by(tasks) {
                done.push(access_request(&app, &token, &subjects[n % SUBJECTS]).await);
            }
            done
        }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.extend(h.await.unwrap());
    }
    let whole = requests as f64 / started.elapsed().as_secs_f64();
    println!("whole access requests (register, complete, download) over HTTP: {whole:.0}/s with {tasks} tasks");

    let ids = Arc::new(ids);
    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (app, token, ids) = (app.clone(), token.clone(), ids.clone());
        handles.push(tokio::spawn(async move {
            for n in (t..requests).step_by(tasks) {
                let answer = call(&app, "GET", &format!("/v1/requests/{}/export", ids[n]), &token, String::new()).await;
                assert_eq!(answer["format"], "obereg-subject-export/1");
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    println!("answer downloads (GET …/export, journaled) over HTTP: {:.0}/s", requests as f64 / started.elapsed().as_secs_f64());
}
