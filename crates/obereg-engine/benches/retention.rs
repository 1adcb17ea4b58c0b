//! The retention sweep over many subjects: `Engine::sweep_retention` over N called persons
//! (a phone and a call record each, with their data keys), of which 10% had their purpose
//! achieved more than six months ago and must go (crypto-shredded, with acts), and the
//! rest are held open-ended. Also the dry run over the same data.
//!
//! The subjects are written straight into the SQLite files (subjects, items, blind indexes,
//! keys, trigger events): going through the engine's import would take minutes of setup.
//!
//! Then a policy publication's walk over the same tenant plus OBEREG_BENCH_NOTICES customers
//! with an email (imported through the engine, so their addresses are really sealed): once
//! without notices (the re-consent count alone), once queuing a notice to every customer.
//!
//! Run: `cargo bench -p obereg-engine --bench retention` (OBEREG_BENCH_SUBJECTS, default
//! 1,000,000; OBEREG_BENCH_NOTICES, default 100,000).

use std::sync::Arc;
use std::time::Instant;

use obereg_core::clock::ManualClock;
use obereg_engine::{Actor, Bootstrap, Engine, Role, RootKey};
use sqlx::Connection;

const CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");
const EXPIRING_EVERY: u64 = 10;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Writes `n` subjects with their items, blinds, keys and (every tenth) a trigger event.
async fn fill(db: &std::path::Path, n: u64, collected: i64, achieved: i64) {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite:{}", db.display())).await.unwrap();
    let keystore = obereg_store::keystore_path(db);
    sqlx::query(sqlx::AssertSqlSafe(format!("ATTACH DATABASE '{}' AS keystore", keystore.display()))).execute(&mut conn).await.unwrap();
    let mut i = 0;
    while i < n {
        let end = (i + 50_000).min(n);
        let mut tx = conn.begin().await.unwrap();
        for start in (i..end).step_by(1000) {
            let chunk = start..(start + 1000).min(end);
            let mut q =
                sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO subjects (seq, tenant_id, id, kind, status, created_at, updated_at) ");
            q.push_values(chunk.clone(), |mut row, k| {
                row.push_bind(k as i64 + 1)
                    .push_bind("default")
                    .push_bind(format!("{k:032x}"))
                    .push_bind("called_person")
                    .push_bind("active")
                    .push_bind(collected)
                    .push_bind(collected);
            });
            q.build().execute(&mut *tx).await.unwrap();
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO subject_items (subject_seq, id, tenant_id, subject_id, kind, category, purposes, source, collected_at, occurred_at, blind, sealed) ",
            );
            q.push_values(chunk.clone().flat_map(|k| [(k, 0u8), (k, 1u8)]), |mut row, (k, item)| {
                let (kind, category, blind) = if item == 0 {
                    ("attribute", "contact.phone", Some((k as u128).to_le_bytes().to_vec()))
                } else {
                    ("call", "call.recording", None)
                };
                row.push_bind(k as i64 + 1)
                    .push_bind(format!("{k:030x}{item:02x}"))
                    .push_bind("default")
                    .push_bind(format!("{k:032x}"))
                    .push_bind(kind)
                    .push_bind(category)
                    .push_bind("robot_calls")
                    .push_bind("bench")
                    .push_bind(collected)
                    .push_bind(if item == 1 { Some(collected) } else { None })
                    .push_bind(blind)
                    .push_bind(vec![0u8; 60]);
            });
            q.build().execute(&mut *tx).await.unwrap();
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO subject_blinds (blind, subject_seq, category) ");
            q.push_values(chunk.clone(), |mut row, k| {
                row.push_bind((k as u128).to_le_bytes().to_vec()).push_bind(k as i64 + 1).push_bind("contact.phone");
            });
            q.build().execute(&mut *tx).await.unwrap();
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO keystore.subject_keys (subject_seq, tenant_id, subject_id, dek_version, kek_version, wrapped, created_at) ",
            );
            q.push_values(chunk.clone(), |mut row, k| {
                row.push_bind(k as i64 + 1)
                    .push_bind("default")
                    .push_bind(format!("{k:032x}"))
                    .push_bind(1i64)
                    .push_bind(1i64)
                    .push_bind(vec![0u8; 60])
                    .push_bind(collected);
            });
            q.build().execute(&mut *tx).await.unwrap();
            let expiring: Vec<u64> = chunk.filter(|k| k % EXPIRING_EVERY == 0).collect();
            if !expiring.is_empty() {
                let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                    "INSERT INTO retention_events (tenant_id, subject_seq, purpose, trigger_kind, at) ",
                );
                q.push_values(expiring, |mut row, k| {
                    row.push_bind("default")
                        .push_bind(k as i64 + 1)
                        .push_bind("robot_calls")
                        .push_bind("purpose_achieved")
                        .push_bind(achieved);
                });
                q.build().execute(&mut *tx).await.unwrap();
            }
        }
        tx.commit().await.unwrap();
        i = end;
    }
}

#[tokio::main]
async fn main() {
    let n = env("OBEREG_BENCH_SUBJECTS", 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let now: jiff::Timestamp = "2026-11-21T09:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let store = obereg_store::open(&format!("sqlite:{}", db.display())).await.unwrap();
    let engine = Engine::new(store, clock, RootKey::generate().unwrap());
    let Bootstrap::Created(_) = engine.bootstrap("default", "Default", CATALOG, Role::Platform).await.unwrap() else { panic!() };
    let year = jiff::SignedDuration::from_hours(24 * 365);
    let started = Instant::now();
    fill(&db, n, (now - 2 * year).as_microsecond(), (now - year).as_microsecond()).await;
    println!("filled {n} subjects (2 items each, {} expiring) in {:.1} s", n / EXPIRING_EVERY, started.elapsed().as_secs_f64());

    let admin = Actor::local_operator("default");
    let started = Instant::now();
    let dry = engine.sweep_retention(&admin, true, &|_| {}).await.unwrap();
    let dry_secs = started.elapsed().as_secs_f64();
    println!("dry run: {} subjects seen, {} would be erased, in {dry_secs:.1} s", dry.subjects_seen, dry.subjects_erased);

    let started = Instant::now();
    let report = engine.sweep_retention(&admin, false, &|_| {}).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(report.subjects_erased, n.div_ceil(EXPIRING_EVERY));
    println!(
        "sweep: {} subjects seen, {} erased ({} values), {} acts, in {secs:.1} s ({:.0} subjects/s; target < 60 s for 1,000,000)",
        report.subjects_seen,
        report.subjects_erased,
        report.values_destroyed,
        report.acts.len(),
        report.subjects_seen as f64 / secs
    );
    let started = Instant::now();
    let again = engine.sweep_retention(&admin, false, &|_| {}).await.unwrap();
    assert_eq!(again.subjects_erased, 0);
    println!("second sweep (nothing left to do): {:.1} s", started.elapsed().as_secs_f64());

    walk_publications(&engine, &admin, now).await;
}

/// Imports customers with an email, publishes the policy twice (the second time with a
/// material change) and times both walks.
async fn walk_publications(engine: &Engine, admin: &Actor, now: jiff::Timestamp) {
    use obereg_engine::documents::PublishPolicy;
    use obereg_engine::vault::{ImportRow, NewSubjectInput, NewValue};
    let m = env("OBEREG_BENCH_NOTICES", 100_000);
    let started = Instant::now();
    for chunk in (0..m).collect::<Vec<_>>().chunks(10_000) {
        let rows = chunk
            .iter()
            .map(|k| ImportRow {
                line: *k,
                input: NewSubjectInput {
                    kind: "customer".into(),
                    values: vec![NewValue {
                        category: "contact.email".into(),
                        value: obereg_core::value::PlainValue::new(format!("c{k}@example.ru")),
                        purposes: vec!["product_news".into()],
                        source: "bench".into(),
                    }],
                    records: vec![],
                },
            })
            .collect();
        engine.import_subjects(admin, rows).await.unwrap();
    }
    println!("imported {m} customers with an email in {:.1} s", started.elapsed().as_secs_f64());
    let today = now.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).date();
    let first = engine.publish_policy(admin, PublishPolicy { effective_on: today, notify: false }).await.unwrap();
    let started = Instant::now();
    let walked = engine.walk_publication("default", &first.id, |_| {}).await.unwrap();
    println!("publication walk without notices: {} subjects in {:.1} s", walked.queued + walked.skipped, started.elapsed().as_secs_f64());
    let changed = CATALOG.replace(
        "required_categories = [\"contact.email\"]\noperations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]\nretention = { period = \"P0D\"",
        "required_categories = [\"contact.email\"]\nrecipients = [\"web-analytics\"]\noperations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]\nretention = { period = \"P0D\"",
    );
    assert_ne!(changed, CATALOG);
    engine.put_catalog(admin, &changed).await.unwrap();
    let later = today.checked_add(jiff::Span::new().days(30)).unwrap();
    let second = engine.publish_policy(admin, PublishPolicy { effective_on: later, notify: true }).await.unwrap();
    let started = Instant::now();
    let walked = engine.walk_publication("default", &second.id, |_| {}).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(walked.queued, m as i64);
    println!(
        "publication walk with notices: {} subjects, {} notices queued (sealed, journaled) in {secs:.1} s ({:.0} notices/s)",
        walked.queued + walked.skipped,
        walked.queued,
        walked.queued as f64 / secs
    );
}
