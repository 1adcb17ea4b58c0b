//! The journal's figures for docs/benchmarks.md, on SQLite in a temporary directory:
//!
//! 1. appending `ENTRIES` entries in batches of `BATCH`, against the same inserts into a table
//!    of the same shape with no Merkle work (no leaf hashes, interior nodes or head update);
//! 2. verifying the whole journal (`Engine::verify_journal`, what `obereg journal verify`
//!    runs), with the machine's SHA-256 speed measured for comparison;
//! 3. inclusion and consistency proofs at `PROOF_SIZE` entries (grown with more batches),
//!    timed end to end through the engine and the store.
//!
//! `cargo bench -p obereg-engine --bench journal`; set OBEREG_BENCH_ENTRIES,
//! OBEREG_BENCH_BATCH and OBEREG_BENCH_PROOF_SIZE to change the sizes (0 skips proofs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use obereg_core::clock::SystemClock;
use obereg_engine::{Actor, Bootstrap, Engine, Role, RootKey};
use obereg_journal::{EntryDraft, Outcome};
use sqlx::Connection;

const CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A realistic entry: a staff read of one subject's two categories under a purpose.
fn draft(i: u64) -> EntryDraft {
    EntryDraft {
        time: jiff::Timestamp::now(),
        tenant: "default".into(),
        actor: obereg_journal::Actor::Token { token: "0193a1b2-0000-7000-8000-000000000001".into(), role: "support".into() },
        operation: "extraction".into(),
        purpose: Some("robot_calls".into()),
        subject: Some(format!("01938c5e-7a10-7000-8000-{:012x}", i % 100_000)),
        subjects: vec![],
        categories: vec!["contact.phone".into(), "call.recording".into()],
        object: None,
        request: Some(format!("0193a1b2-0000-7000-8000-{i:012x}")),
        outcome: Outcome::Ok,
    }
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

async fn append(engine_store: &Arc<dyn obereg_store::Store>, from: u64, to: u64, batch: u64) -> Duration {
    let started = Instant::now();
    let mut at = from;
    while at < to {
        let n = batch.min(to - at);
        let drafts: Vec<_> = (at..at + n).map(draft).collect();
        engine_store.append_journal("default", &drafts).await.unwrap();
        at += n;
    }
    started.elapsed()
}

/// The same rows (entry body, index, subject) into a same-shaped table, batch by batch, each
/// batch one transaction: what storing the entries costs without any Merkle work.
async fn plain_inserts(url: &str, entries: u64, batch: u64) -> Duration {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    sqlx::query("PRAGMA journal_mode = WAL").execute(&mut conn).await.unwrap();
    sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut conn).await.unwrap();
    sqlx::query(
        "CREATE TABLE plain_entries (tenant_id TEXT NOT NULL, idx INTEGER NOT NULL, body BLOB NOT NULL, subject_id TEXT, \
         PRIMARY KEY (tenant_id, idx)) STRICT, WITHOUT ROWID",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("CREATE INDEX plain_by_subject ON plain_entries (tenant_id, subject_id, idx) WHERE subject_id IS NOT NULL")
        .execute(&mut conn)
        .await
        .unwrap();
    let started = Instant::now();
    let mut at = 0;
    while at < entries {
        let n = batch.min(entries - at);
        let rows: Vec<_> = (at..at + n).map(|i| (i as i64, draft(i).seal(i, Some(1)).encode(), draft(i).subject)).collect();
        let mut tx = conn.begin().await.unwrap();
        for chunk in rows.chunks(1000) {
            let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new("INSERT INTO plain_entries (tenant_id, idx, body, subject_id) ");
            q.push_values(chunk, |mut r, (i, body, subject)| {
                r.push_bind("default").push_bind(*i).push_bind(body.clone()).push_bind(subject.clone());
            });
            q.build().execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        at += n;
    }
    started.elapsed()
}

fn sha256_bytes_per_second() -> f64 {
    let buffer = vec![0x5a_u8; 64 * 1024 * 1024];
    let started = Instant::now();
    for _ in 0..4 {
        std::hint::black_box(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &buffer));
    }
    (4 * buffer.len()) as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let entries = env("OBEREG_BENCH_ENTRIES", 1_000_000);
    let batch = env("OBEREG_BENCH_BATCH", 1000);
    let proof_size = env("OBEREG_BENCH_PROOF_SIZE", 10_000_000);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("bench.db").display());
    let store = obereg_store::open(&url).await.unwrap();
    let engine = Engine::new(store.clone(), Arc::new(SystemClock), RootKey::generate().unwrap());
    let Bootstrap::Created(_) = engine.bootstrap("default", "Default", CATALOG, Role::Platform).await.unwrap() else { unreachable!() };
    let operator = Actor::local_operator("default");

    println!("journal benchmark: {entries} entries in batches of {batch}, SQLite (WAL, synchronous=NORMAL)");
    let plain_url = format!("sqlite:{}", dir.path().join("plain.db").display());
    let plain = plain_inserts(&format!("{plain_url}?mode=rwc"), entries, batch).await;
    println!("  plain inserts:  {:>8.2} s  {:>9.0} entries/s", plain.as_secs_f64(), rate(entries, plain));

    let start = store.journal_head("default").await.unwrap().unwrap().size as u64;
    let mut merkle = Duration::ZERO;
    // Sign a checkpoint every tenth of the way, as the timer would, so verify checks them.
    for step in 0..10u64 {
        let (from, to) = (start + entries * step / 10, start + entries * (step + 1) / 10);
        merkle += append(&store, from, to, batch).await;
        engine.sign_checkpoint("default").await.unwrap();
    }
    println!(
        "  journal append: {:>8.2} s  {:>9.0} entries/s   ratio to plain inserts: {:.2}×",
        merkle.as_secs_f64(),
        rate(entries, merkle),
        merkle.as_secs_f64() / plain.as_secs_f64()
    );

    let size = store.journal_head("default").await.unwrap().unwrap().size as u64;
    let mut bytes = 0u64;
    let read_started = Instant::now();
    for chunk_start in (0..size).step_by(100_000) {
        for e in store.journal_entries("default", chunk_start, chunk_start + 100_000).await.unwrap() {
            bytes += e.body.len() as u64 + 1;
        }
    }
    let read = read_started.elapsed();
    println!("  reading every entry alone: {:.2} s", read.as_secs_f64());
    let sha = sha256_bytes_per_second();
    let started = Instant::now();
    let report = engine.verify_journal(&operator, "default", &[], None).await.unwrap();
    let verify = started.elapsed();
    assert!(report.is_clean() && report.entries == size, "{:?}", report.findings);
    // Leaves hash their bodies; interior nodes hash 65 bytes, one per leaf.
    let hashed = bytes + size * 65;
    println!(
        "  verify:         {:>8.2} s  {:>9.0} entries/s   {} checkpoints; {:.0} MB hashed, SHA-256 alone would take {:.2} s ({:.0} MB/s here) → {:.1}× that limit",
        verify.as_secs_f64(),
        rate(size, verify),
        report.checkpoints_checked,
        hashed as f64 / 1e6,
        hashed as f64 / sha,
        sha / 1e6,
        verify.as_secs_f64() / (hashed as f64 / sha)
    );

    if proof_size == 0 {
        return;
    }
    if size < proof_size {
        let grow = append(&store, size, proof_size, batch.max(1000)).await;
        println!("  grown to {proof_size} entries in {:.1} s ({:.0} entries/s)", grow.as_secs_f64(), rate(proof_size - size, grow));
    }
    let mut times = Vec::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..2000 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let index = state % proof_size;
        let started = Instant::now();
        let p = engine.inclusion_proof(&operator, index, Some(proof_size)).await.unwrap();
        times.push(started.elapsed());
        assert_eq!(p.proof.len(), obereg_journal::tree::inclusion_ranges(index, proof_size).unwrap().len());
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1e6;
    println!("  inclusion proof at size {proof_size}: median {:.0} µs, p99 {:.0} µs, max {:.0} µs", pct(0.5), pct(0.99), pct(1.0));
    let mut times = Vec::new();
    for from in (1..2000u64).map(|i| i * (proof_size / 2000)) {
        let started = Instant::now();
        engine.consistency_proof(&operator, from, Some(proof_size)).await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1e6;
    println!("  consistency proof to size {proof_size}: median {:.0} µs, p99 {:.0} µs", pct(0.5), pct(0.99));
}
