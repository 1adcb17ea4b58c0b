//! Data-subject request figures for docs/benchmarks.md:
//!
//! 1. the access answer of a typical subject (one phone and 34 call records: 35 rows), as
//!    `Engine::request_export` produces it (decrypting, describing purposes, recipients and
//!    storage from the catalog, journaling the provision): median and 95th percentile;
//! 2. completing an erasure request for such a subject (crypto-shredding, the transition,
//!    the notice, the journal entries);
//! 3. the access answer of a subject with 10,000 records;
//! 4. the 100 most urgent of OBEREG_BENCH_OPEN (default 1,000,000) open requests, and the
//!    overdue ones, through `Engine::list_requests`. The open requests are written straight
//!    into the SQLite file in large transactions (what the listing reads is the same rows
//!    intake writes; intake's own speed is not what this measures).
//!
//! `cargo bench -p obereg-engine --bench requests` (SQLite in a temporary directory).

use std::sync::Arc;
use std::time::{Duration, Instant};

use obereg_core::clock::SystemClock;
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::PlainValue;
use obereg_engine::requests::{Completion, Language, ManualIdentity, NewRequest, RequestChannel, RequestQuery};
use obereg_engine::vault::{Direction, NewRecord, NewSubjectInput, NewValue, RecordBody};
use obereg_engine::{Actor, Bootstrap, Engine, Role, RootKey};

const CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn call(i: u64) -> NewRecord {
    NewRecord {
        category: "call.recording".into(),
        occurred_at: jiff::Timestamp::from_second(1_760_000_000 + i as i64).unwrap(),
        body: RecordBody::Call {
            direction: Direction::Outbound,
            duration_secs: 37,
            number: "+79990001122".into(),
            operator: Some("robot-1".into()),
            transcript_ref: Some(format!("s3://calls/{i}.json")),
        },
        purposes: vec!["robot_calls".into()],
        source: "robot".into(),
    }
}

fn called_person(i: u64, records: u64) -> NewSubjectInput {
    NewSubjectInput {
        kind: "called_person".into(),
        values: vec![NewValue {
            category: "contact.phone".into(),
            value: PlainValue::new(format!("+7916{i:07}")),
            purposes: vec!["robot_calls".into()],
            source: "bench".into(),
        }],
        records: (0..records).map(call).collect(),
    }
}

fn request(kind: RequestKind, subject: &str) -> NewRequest {
    NewRequest {
        kind,
        channel: RequestChannel::Email,
        jurisdiction: None,
        email: Some(PlainValue::new("bench@example.ru")),
        phone: None,
        details: None,
        language: Language::Ru,
        received_at: None,
        identity: Some(ManualIdentity { subject_id: Some(subject.to_owned()), note: PlainValue::new("checked") }),
    }
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let open = env("OBEREG_BENCH_OPEN", 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.db");
    let store = obereg_store::open(&format!("sqlite:{}", path.display())).await.unwrap();
    let engine = Engine::new(store, Arc::new(SystemClock), RootKey::generate().unwrap());
    let Bootstrap::Created(_) = engine.bootstrap("default", "Default", CATALOG, Role::Platform).await.unwrap() else { panic!() };
    let admin = Actor::local_operator("default");

    // 1 and 2: typical subjects, 35 rows each.
    let mut answers = Vec::new();
    let mut erasures = Vec::new();
    for i in 0..200 {
        let s = engine.create_subject(&admin, called_person(i, 34)).await.unwrap();
        let r = engine.open_request(&admin, request(RequestKind::Access, &s.id)).await.unwrap();
        let t = Instant::now();
        let export = engine.request_export(&admin, &r.id).await.unwrap();
        answers.push(t.elapsed());
        assert_eq!(export.records.len(), 34);
        let r = engine.open_request(&admin, request(RequestKind::Erasure, &s.id)).await.unwrap();
        let t = Instant::now();
        engine.complete_request(&admin, &r.id, Completion::default()).await.unwrap();
        erasures.push(t.elapsed());
    }
    println!("access answer, 35 rows: median {:.2} ms, p95 {:.2} ms", ms(percentile(answers.clone(), 0.5)), ms(percentile(answers, 0.95)));
    println!(
        "erasure request completed: median {:.2} ms, p95 {:.2} ms",
        ms(percentile(erasures.clone(), 0.5)),
        ms(percentile(erasures, 0.95))
    );

    // 3: a subject with 10,000 records.
    let s = engine.create_subject(&admin, called_person(9_999_999, 0)).await.unwrap();
    for chunk in 0..10 {
        engine.add_to_subject(&admin, &s.id, vec![], (chunk * 1000..(chunk + 1) * 1000).map(call).collect()).await.unwrap();
    }
    let r = engine.open_request(&admin, request(RequestKind::Access, &s.id)).await.unwrap();
    let mut big = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let export = engine.request_export(&admin, &r.id).await.unwrap();
        big.push(t.elapsed());
        assert_eq!(export.records.len(), 10_000);
    }
    println!("access answer, 10,000 records: median {:.1} ms", ms(percentile(big, 0.5)));

    // 4: the queue over `open` open requests.
    let t = Instant::now();
    fill_open_requests(&path, open).await;
    println!("(wrote {open} open requests in {:.1} s)", t.elapsed().as_secs_f64());
    let mut lists = Vec::new();
    let mut overdue = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let top = engine.list_requests(&admin, RequestQuery { limit: Some(100), ..Default::default() }).await.unwrap();
        lists.push(t.elapsed());
        assert_eq!(top.len(), 100);
        assert!(top.windows(2).all(|w| w[0].due_on <= w[1].due_on));
        let t = Instant::now();
        engine.list_requests(&admin, RequestQuery { overdue: true, limit: Some(100), ..Default::default() }).await.unwrap();
        overdue.push(t.elapsed());
    }
    println!(
        "100 most urgent of {open} open requests: median {:.2} ms, p95 {:.2} ms; 100 overdue: median {:.2} ms",
        ms(percentile(lists.clone(), 0.5)),
        ms(percentile(lists, 0.95)),
        ms(percentile(overdue, 0.5))
    );
}

/// Writes `n` open access requests with due dates spread over two years.
async fn fill_open_requests(path: &std::path::Path, n: u64) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.unwrap();
    let start = jiff::civil::date(2026, 1, 1);
    let mut i = 0;
    while i < n {
        let mut tx = conn.begin().await.unwrap();
        let end = (i + 50_000).min(n);
        for chunk_start in (i..end).step_by(1000) {
            let chunk_end = (chunk_start + 1000).min(end);
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO requests (tenant_id, id, kind, jurisdiction, channel, state, version, received_at, due_on, due_provisional, \
                 extended, code_attempts, codes_sent, sealed, updated_at) ",
            );
            q.push_values(chunk_start..chunk_end, |mut row, k| {
                let due = start.checked_add(jiff::Span::new().days((k * 7919 % 730) as i64)).unwrap();
                row.push_bind("default")
                    .push_bind(format!("R-B{k:011}"))
                    .push_bind("access")
                    .push_bind("ru_152fz")
                    .push_bind("api")
                    .push_bind("in_progress")
                    .push_bind(1i64)
                    .push_bind(0i64)
                    .push_bind(due.to_string())
                    .push_bind(false)
                    .push_bind(false)
                    .push_bind(0i64)
                    .push_bind(0i64)
                    .push_bind(vec![0u8; 64])
                    .push_bind(0i64);
            });
            q.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        i = end;
    }
}
