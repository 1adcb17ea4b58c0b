//! The pre-dial check (`Engine::check_contacts`) over a list of phone numbers, for a
//! contract purpose (robot calls: every known number is decided) and a consent purpose
//! (marketing by email: subjects without consent are denied), in batches of 1,000 as the
//! API and `obereg check-list` send them, eight batches at a time as `obereg check-list` runs
//! them. The first pass is timed apart: it reads the contact index and the consent states.
//!
//! `cargo bench -p obereg-engine --bench precheck` (SQLite in a temporary directory); set
//! OBEREG_BENCH_SUBJECTS (known subjects, default 20000), OBEREG_BENCH_CONTACTS (numbers
//! checked, default 50000; half of them unknown) and OBEREG_BENCH_IN_FLIGHT (batches at a
//! time, default 8).

use std::sync::Arc;
use std::time::Instant;

use obereg_core::catalog::Channel;
use obereg_core::clock::SystemClock;
use obereg_core::consent::{ConsentAction, ConsentMethod};
use obereg_core::value::PlainValue;
use obereg_engine::consent::NewConsentEvent;
use obereg_engine::vault::{ImportOutcome, ImportRow, NewSubjectInput, NewValue};
use obereg_engine::{Actor, Bootstrap, Engine, Role, RootKey};

/// The allocator `obereg` itself runs with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");

/// The answers to one batch, by position.
type Checks = Vec<Result<obereg_engine::consent::ContactCheck, (&'static str, obereg_core::Bilingual)>>;

/// How many contacts of a batch may be contacted.
fn allowed_in(checks: Checks) -> usize {
    checks.iter().filter(|c| c.as_ref().is_ok_and(|c| c.allowed)).count()
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let (subjects, contacts) = (env("OBEREG_BENCH_SUBJECTS", 20_000), env("OBEREG_BENCH_CONTACTS", 50_000));
    let in_flight = env("OBEREG_BENCH_IN_FLIGHT", 8) as usize;
    let dir = tempfile::tempdir().unwrap();
    let store = obereg_store::open(&format!("sqlite:{}", dir.path().join("bench.db").display())).await.unwrap();
    let engine = Engine::new(store, Arc::new(SystemClock), RootKey::generate().unwrap());
    let Bootstrap::Created(_) = engine.bootstrap("default", "Default", CATALOG, Role::Platform).await.unwrap() else { panic!() };
    let admin = Actor::local_operator("default");
    let value = |category: &str, v: String, purpose: &str| NewValue {
        category: category.into(),
        value: PlainValue::new(v),
        purposes: vec![purpose.into()],
        source: "bench".into(),
    };
    let mut ids = Vec::new();
    for from in (0..subjects).step_by(5000) {
        let rows = (from..(from + 5000).min(subjects))
            .map(|i| ImportRow {
                line: i,
                input: NewSubjectInput {
                    kind: "customer".into(),
                    values: vec![
                        value("contact.phone", format!("+7916{i:07}"), "account"),
                        value("contact.email", format!("u{i}@example.ru"), "product_news"),
                    ],
                    records: vec![],
                },
            })
            .collect();
        for (_, outcome) in engine.import_subjects(&admin, rows).await.unwrap().outcomes {
            if let ImportOutcome::Created(id) = outcome {
                ids.push(id);
            }
        }
    }
    // Every other subject consents to marketing by email.
    let doc = engine.consent_document(&admin, &["product_news".into()]).await.unwrap().sha256;
    for id in ids.iter().step_by(2) {
        let given = NewConsentEvent {
            purpose: "product_news".into(),
            channel: Some(Channel::Email),
            cookie: None,
            action: ConsentAction::Given,
            method: ConsentMethod::Api,
            document: Some(doc.clone()),
            valid_until: None,
            by_representative: false,
            evidence: None,
        };
        engine.record_consent(&admin, id, given).await.unwrap();
    }
    println!("pre-dial check: {subjects} known subjects (half consenting), {contacts} contacts (half unknown), batches of 1000");
    // The first pass is the first check of the process: it reads the contact index and the
    // subjects' consent states into memory; the passes after it find them there.
    for (label, category, purpose, channel) in [
        ("robot_calls by phone, first check", "contact.phone", "robot_calls", None),
        ("robot_calls by phone", "contact.phone", "robot_calls", None),
        ("product_news by email", "contact.email", "product_news", Some(Channel::Email)),
    ] {
        let started = Instant::now();
        let mut allowed = 0usize;
        // Up to IN_FLIGHT batches at once, answers taken in list order, as `obereg check-list`.
        let mut running: std::collections::VecDeque<tokio::task::JoinHandle<Checks>> = std::collections::VecDeque::new();
        let per_call = env("OBEREG_BENCH_PER_CALL", 1000);
        for from in (0..contacts).step_by(per_call as usize) {
            let values: Vec<PlainValue> = (from..(from + per_call).min(contacts))
                .map(|n| {
                    // Even n: a known subject; odd n: a number or address no one holds.
                    let i = if n % 2 == 0 { (n / 2) % subjects } else { subjects + n };
                    PlainValue::new(if category == "contact.phone" { format!("8 916 {i:07}") } else { format!("u{i}@example.ru") })
                })
                .collect();
            if running.len() == in_flight {
                allowed += allowed_in(running.pop_front().unwrap().await.unwrap());
            }
            let (engine, admin) = (engine.clone(), admin.clone());
            running
                .push_back(tokio::spawn(async move { engine.check_contacts(&admin, category, &values, purpose, channel).await.unwrap() }));
        }
        for batch in running {
            allowed += allowed_in(batch.await.unwrap());
        }
        let took = started.elapsed().as_secs_f64();
        println!(
            "  {label}: {contacts} contacts in {took:.2} s: {:.0} contacts/s ({allowed} allowed); 1,000,000 would take ~{:.0} s",
            contacts as f64 / took,
            1_000_000.0 / (contacts as f64 / took)
        );
    }
    // The by-subject rows of the checks' journal entries are written behind them, by the
    // first by-subject read or this call: timed apart.
    let started = Instant::now();
    let rows = engine.index_journal_subjects(&admin).await.unwrap();
    println!("  afterwards: by-subject journal index of those checks, {rows} rows in {:.2} s", started.elapsed().as_secs_f64());
}
