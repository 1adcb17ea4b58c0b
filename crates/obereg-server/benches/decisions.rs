//! `POST /v1/decisions` against `GET /healthz` (the trivial handler), both through the whole
//! application (middleware, routing, problem+json) in process, from the same driver in the
//! same run: concurrent tasks each sending requests one after another with `oneshot`. The
//! network is left out on purpose: it costs both the same.
//!
//! Run: `cargo bench -p obereg-server --bench decisions` (OBEREG_BENCH_REQUESTS, default
//! 20000; OBEREG_BENCH_TASKS, default 32).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use obereg_core::catalog::Channel;
use obereg_core::clock::SystemClock;
use obereg_core::consent::{ConsentAction, ConsentMethod};
use obereg_core::value::PlainValue;
use obereg_engine::consent::NewConsentEvent;
use obereg_engine::vault::{NewSubjectInput, NewValue};
use obereg_engine::{Actor, Bootstrap, Engine, Role, RootKey};
use obereg_server::Metrics;
use tower::ServiceExt;

/// The allocator `obereg` itself runs with (both endpoints are measured with it).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

async fn drive(app: &Router, requests: usize, tasks: usize, make: impl Fn() -> Request<Body> + Send + Sync + 'static) -> f64 {
    let make = Arc::new(make);
    let started = Instant::now();
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (app, make) = (app.clone(), make.clone());
        handles.push(tokio::spawn(async move {
            for _ in (t..requests).step_by(tasks) {
                let response = app.clone().oneshot(make()).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    requests as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let (requests, tasks) = (env("OBEREG_BENCH_REQUESTS", 20_000), env("OBEREG_BENCH_TASKS", 32));
    let dir = tempfile::tempdir().unwrap();
    let store = obereg_store::open(&format!("sqlite:{}", dir.path().join("bench.db").display())).await.unwrap();
    let engine = Engine::new(store, Arc::new(SystemClock), RootKey::generate().unwrap());
    let Bootstrap::Created(issued) = engine.bootstrap("default", "Default", CATALOG, Role::Platform).await.unwrap() else { panic!() };
    let token = issued.secret.reveal_once().to_owned();
    let admin = Actor::local_operator("default");
    let email = NewValue {
        category: "contact.email".into(),
        value: PlainValue::new("bench@example.ru"),
        purposes: vec!["product_news".into()],
        source: "bench".into(),
    };
    let subject =
        engine.create_subject(&admin, NewSubjectInput { kind: "customer".into(), values: vec![email], records: vec![] }).await.unwrap();
    let doc = engine.consent_document(&admin, &["product_news".into()]).await.unwrap();
    let given = NewConsentEvent {
        purpose: "product_news".into(),
        channel: Some(Channel::Email),
        cookie: None,
        action: ConsentAction::Given,
        method: ConsentMethod::WebForm,
        document: Some(doc.sha256),
        valid_until: None,
        by_representative: false,
        evidence: None,
    };
    engine.record_consent(&admin, &subject.id, given).await.unwrap();
    let app = obereg_server::app(engine, Arc::new(Metrics::default()), obereg_server::DEFAULT_MAX_BODY_BYTES);

    let body = format!(r#"{{"subject":"{}","purpose":"product_news","channel":"email","categories":["contact.email"]}}"#, subject.id);
    println!("{requests} requests from {tasks} tasks, in process");
    for round in 0..2 {
        let trivial = drive(&app, requests, tasks, || Request::get("/healthz").body(Body::empty()).unwrap()).await;
        let (token, body) = (token.clone(), body.clone());
        let decisions = drive(&app, requests, tasks, move || {
            Request::post("/v1/decisions")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.clone()))
                .unwrap()
        })
        .await;
        println!("round {round}: /healthz {trivial:>8.0} req/s   /v1/decisions {decisions:>8.0} req/s   ratio {:.3}", decisions / trivial);
    }
}
