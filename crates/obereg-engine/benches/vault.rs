//! The vault's figures for docs/benchmarks.md:
//!
//! 1. importing `SUBJECTS` subjects with three searchable attributes each (name, phone,
//!    email: normalised, sealed, blind-indexed, journaled) through `Engine::import_subjects`
//!    in batches of 50,000, one preparing while the previous commits, as `obereg import
//!    subjects` does;
//! 2. lookups by phone through `Engine::find_subjects` (each one journaled), from
//!    OBEREG_BENCH_TASKS concurrent tasks, then the same through `find_subjects_many` in
//!    batches of 100;
//! 3. erasure of subjects with 1 record against subjects with 10,000 records;
//! 4. peak resident memory of the process.
//!
//! `cargo bench -p obereg-engine --bench vault` (SQLite in a temporary directory); set
//! OBEREG_BENCH_SUBJECTS (default 100000), OBEREG_BENCH_LOOKUPS (default 20000) and
//! OBEREG_BENCH_TASKS (concurrent lookup tasks, default 16), OBEREG_BENCH_BATCH (subjects per
//! import transaction, default and most 50000, as `obereg import`) and
//! OBEREG_BENCH_POSTGRES_URL (a database to run the same on PostgreSQL; it must be empty).

use std::sync::Arc;
use std::time::{Duration, Instant};

use obereg_core::clock::SystemClock;
use obereg_core::value::PlainValue;
use obereg_engine::vault::{Direction, Found, ImportRow, NewRecord, NewSubjectInput, NewValue, RecordBody};
use obereg_engine::{Actor, Bootstrap, Engine, Role, RootKey};

/// The allocator `obereg` itself runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn value(category: &str, v: String, purpose: &str) -> NewValue {
    NewValue { category: category.into(), value: PlainValue::new(v), purposes: vec![purpose.into()], source: "bench".into() }
}

fn customer(i: u64) -> NewSubjectInput {
    NewSubjectInput {
        kind: "customer".into(),
        values: vec![
            value("identity.name", format!("Иван Петров {i}"), "account"),
            value("contact.phone", format!("+7916{i:07}"), "account"),
            value("contact.email", format!("user{i}@example.ru"), "account"),
        ],
        records: vec![],
    }
}

fn call() -> NewRecord {
    NewRecord {
        category: "call.recording".into(),
        occurred_at: jiff::Timestamp::now(),
        body: RecordBody::Call {
            direction: Direction::Outbound,
            duration_secs: 37,
            number: "+79990001122".into(),
            operator: Some("robot-1".into()),
            transcript_ref: Some("s3://calls/x.json".into()),
        },
        purposes: vec!["robot_calls".into()],
        source: "robot".into(),
    }
}

/// A memory figure of this process from `/proc/self/status` (`VmHWM`: peak, `VmRSS`: now), MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim_start_matches(':').trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn peak_rss_mib() -> f64 {
    status_mib("VmHWM")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn run(label: &str, url: &str, subjects: u64, lookups: u64) {
    let batch = env("OBEREG_BENCH_BATCH", 50_000);
    let store = obereg_store::open(url).await.unwrap();
    let engine = Engine::new(store, Arc::new(SystemClock), RootKey::generate().unwrap());
    let Bootstrap::Created(_) = engine.bootstrap("default", "Default", CATALOG, Role::Platform).await.unwrap() else {
        panic!("the benchmark database must be empty")
    };
    let admin = Actor::local_operator("default");
    println!("vault benchmark on {label}: {subjects} subjects × 3 searchable attributes, batches of {batch}");

    let started = Instant::now();
    let mut created = 0;
    // As `obereg import` does: batch N+1 is prepared while batch N commits.
    let mut in_flight: Option<tokio::task::JoinHandle<_>> = None;
    for from in (0..subjects).step_by(batch as usize) {
        let rows = (from..(from + batch).min(subjects)).map(|i| ImportRow { line: i, input: customer(i) }).collect();
        let prepared = engine.prepare_import(&admin, rows).await.unwrap();
        if let Some(previous) = in_flight.take() {
            created += previous.await.unwrap();
        }
        let committing = engine.clone();
        in_flight = Some(tokio::spawn(async move { committing.commit_import(prepared).await.unwrap().created() as u64 }));
    }
    if let Some(previous) = in_flight.take() {
        created += previous.await.unwrap();
    }
    // As `obereg import` does after its last batch (counted in the import's time).
    let settling = Instant::now();
    engine.settle_bulk_load(&admin).await.unwrap();
    let settled = settling.elapsed();
    let took = started.elapsed();
    assert_eq!(created, subjects);
    println!(
        "  import:  {:>7.2} s  {:>8.0} subjects/s   peak RSS {:.0} MiB (of which settling: {:.2} s)",
        took.as_secs_f64(),
        subjects as f64 / took.as_secs_f64(),
        peak_rss_mib(),
        settled.as_secs_f64()
    );

    // The first lookup of a process reads every subject into the contact index
    // (`contact_index`); it is timed on its own.
    let rss_before = status_mib("VmRSS");
    let started = Instant::now();
    let first = engine.find_subjects(&admin, "contact.phone", &PlainValue::new("8 916 0000000"), "account").await.unwrap();
    assert_eq!(first.len(), 1);
    println!(
        "  first lookup (reads the contact index): {:>6.2} s   RSS {:+.0} MiB, peak RSS {:.0} MiB",
        started.elapsed().as_secs_f64(),
        status_mib("VmRSS") - rss_before,
        peak_rss_mib()
    );

    let started = Instant::now();
    let tasks = env("OBEREG_BENCH_TASKS", 16);
    let mut handles = Vec::new();
    for t in 0..tasks {
        let (engine, admin) = (engine.clone(), admin.clone());
        handles.push(tokio::spawn(async move {
            for n in (t..lookups).step_by(tasks as usize) {
                let i = (n * 7919) % subjects;
                let phone = PlainValue::new(format!("8 916 {i:07}"));
                let found = engine.find_subjects(&admin, "contact.phone", &phone, "account").await.unwrap();
                assert_eq!(found.len(), 1);
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let took = started.elapsed();
    println!("  lookup by phone ({tasks} tasks, each journaled): {:>8.0} lookups/s", lookups as f64 / took.as_secs_f64());

    // The same lookups through the batch API, 100 numbers per call (a call list).
    let started = Instant::now();
    let per_call = 100;
    let mut handles = Vec::new();
    for t in 0..tasks.min(16) {
        let (engine, admin) = (engine.clone(), admin.clone());
        handles.push(tokio::spawn(async move {
            let mine: Vec<u64> = (t..lookups).step_by(tasks.min(16) as usize).collect();
            for chunk in mine.chunks(per_call) {
                let phones: Vec<PlainValue> =
                    chunk.iter().map(|n| PlainValue::new(format!("8 916 {:07}", (n * 7919) % subjects))).collect();
                let found = engine.find_subjects_many(&admin, "contact.phone", &phones, "account").await.unwrap();
                assert!(found.iter().all(|f| matches!(f, Found::Subjects(list) if list.len() == 1)));
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let took = started.elapsed();
    println!(
        "  lookup by phone in batches of {per_call} ({} tasks, each batch journaled): {:>8.0} lookups/s",
        tasks.min(16),
        lookups as f64 / took.as_secs_f64()
    );

    let mut small = Vec::new();
    let mut large = Vec::new();
    for round in 0..5 {
        for records in [1usize, 10_000] {
            let s = engine
                .create_subject(&admin, NewSubjectInput { kind: "called_person".into(), values: vec![], records: vec![] })
                .await
                .unwrap();
            for chunk in 0..records.div_ceil(1000) {
                let n = (records - chunk * 1000).min(1000);
                engine.add_to_subject(&admin, &s.id, vec![], (0..n).map(|_| call()).collect()).await.unwrap();
            }
            // Settle first: the inserts above leave a large write-ahead log, and the
            // checkpoint it triggers belongs to them, not to the erasure measured next.
            engine.create_subject(&admin, NewSubjectInput { kind: "called_person".into(), values: vec![], records: vec![] }).await.unwrap();
            // Then look the subject up, as a request to erase does before it erases: its head
            // is read into memory in both cases alike. This machine pages out file pages
            // untouched for a few hundred milliseconds (a DAMON `pageout` scheme), and the
            // 10,000 records take that long to write; unwarmed, the larger case would pay
            // disk reads for the head the smaller one finds in memory.
            engine.decide(&admin, &s.id, "robot_calls", None, &[]).await.unwrap();
            let started = Instant::now();
            engine.erase_subject(&admin, &s.id).await.unwrap();
            let took = started.elapsed();
            if round > 0 {
                if records == 1 { small.push(took) } else { large.push(took) }
            }
        }
    }
    let (s, l) = (median(small), median(large));
    println!(
        "  erasure: 1 record {:.2} ms, 10,000 records {:.2} ms (median of 4; ratio {:.2}×)",
        s.as_secs_f64() * 1e3,
        l.as_secs_f64() * 1e3,
        l.as_secs_f64() / s.as_secs_f64()
    );
}

#[tokio::main]
async fn main() {
    let subjects = env("OBEREG_BENCH_SUBJECTS", 100_000);
    let lookups = env("OBEREG_BENCH_LOOKUPS", 20_000);
    let dir = tempfile::tempdir().unwrap();
    run("SQLite", &format!("sqlite:{}", dir.path().join("bench.db").display()), subjects, lookups).await;
    if let Ok(url) = std::env::var("OBEREG_BENCH_POSTGRES_URL") {
        run("PostgreSQL", &url, subjects, lookups).await;
    }
}
