//! `obereg journal …`: verify the whole journal, print proofs, export entries for auditors
//! and RKN Order 179 extracts, sign a checkpoint, show the public key. Acts directly on the
//! database with full rights, like `obereg token`.

use std::io::Write;
use std::path::PathBuf;

use obereg_engine::{Actor, AuditReport, Engine, NoteVerifier};
use serde_json::json;

use crate::Failure;
use crate::config::Config;
use crate::setup;

/// Entries fetched per page while exporting.
const EXPORT_PAGE: u32 = obereg_engine::MAX_PAGE;

#[derive(Debug, clap::Subcommand)]
pub enum JournalCommand {
    /// Recompute the tree from every stored entry and check stored hashes and every
    /// checkpoint; exit 1 and name the first bad entry when anything is wrong
    Verify {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
        /// A checkpoint you kept earlier (a signed note file); may be repeated
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// The verifier key you pinned (`<name>+<id>+<key>`); default: this installation's
        #[arg(long)]
        key: Option<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print an inclusion proof (--index) or a consistency proof (--from) as JSON
    Prove {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
        /// The entry to prove
        #[arg(long, conflicts_with = "from", required_unless_present = "from")]
        index: Option<u64>,
        /// The earlier tree size of a consistency proof
        #[arg(long)]
        from: Option<u64>,
        /// The tree size (for --index) or later size (for --from); default: the latest checkpoint
        #[arg(long)]
        size: Option<u64>,
    },
    /// Write entries from..to as JSON lines, each exactly the bytes hashed into its leaf
    Export {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// One past the last entry (default: the end of the log)
        #[arg(long)]
        to: Option<u64>,
    },
    /// Sign a checkpoint now and print its note
    Checkpoint {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Print the tenant's verifier key, to pin in audits
    Key {
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
}

pub async fn run(config: Config, command: JournalCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    match command {
        JournalCommand::Verify { tenant, checkpoints, key, json } => verify(&engine, &tenant, &checkpoints, key.as_deref(), json).await,
        JournalCommand::Prove { tenant, index, from, size } => {
            let actor = Actor::local_operator(&tenant);
            let out = match (index, from) {
                (Some(index), _) => {
                    let p = engine.inclusion_proof(&actor, index, size).await.map_err(setup::engine_failure)?;
                    json!({
                        "type": "inclusion",
                        "index": p.entry.index,
                        "size": p.size,
                        "leaf_hash": p.entry.leaf_hash.to_hex(),
                        "body": p.entry.body,
                        "proof": p.proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
                        "root": p.root.to_hex(),
                        "checkpoint": p.checkpoint,
                    })
                }
                (None, Some(from)) => {
                    let p = engine.consistency_proof(&actor, from, size).await.map_err(setup::engine_failure)?;
                    json!({
                        "type": "consistency",
                        "from": p.from,
                        "to": p.to,
                        "from_root": p.from_root.to_hex(),
                        "to_root": p.to_root.to_hex(),
                        "proof": p.proof.iter().map(|h| h.to_hex()).collect::<Vec<_>>(),
                        "from_checkpoint": p.from_checkpoint,
                        "to_checkpoint": p.to_checkpoint,
                    })
                }
                (None, None) => return Err(Failure::usage("give --index or --from")),
            };
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            Ok(0)
        }
        JournalCommand::Export { tenant, from, to } => export(&engine, &tenant, from, to).await,
        JournalCommand::Checkpoint { tenant } => {
            let c = engine.checkpoint_now(&Actor::local_operator(&tenant)).await.map_err(setup::engine_failure)?;
            print!("{}", c.note);
            Ok(0)
        }
        JournalCommand::Key { tenant } => {
            println!("{}", engine.journal_key(&Actor::local_operator(&tenant)).map_err(setup::engine_failure)?.verifier_key);
            Ok(0)
        }
    }
}

async fn verify(engine: &Engine, tenant: &str, files: &[PathBuf], key: Option<&str>, as_json: bool) -> Result<u8, Failure> {
    let mut kept = Vec::new();
    for path in files {
        kept.push(std::fs::read_to_string(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?);
    }
    let pinned = key.map(NoteVerifier::parse).transpose().map_err(|e| Failure::usage(format!("--key: {e}")))?;
    let started = std::time::Instant::now();
    let report =
        engine.verify_journal(&Actor::local_operator(tenant), tenant, &kept, pinned.as_ref()).await.map_err(setup::engine_failure)?;
    let elapsed = started.elapsed();
    if as_json {
        println!("{}", report_json(&report, elapsed));
    } else {
        print_report(tenant, &report, elapsed);
    }
    Ok(if report.is_clean() { 0 } else { 1 })
}

fn report_json(report: &AuditReport, elapsed: std::time::Duration) -> String {
    json!({
        "clean": report.is_clean(),
        "entries": report.entries,
        "root": report.root.to_hex(),
        "checkpoints_checked": report.checkpoints_checked,
        "first_bad_index": report.first_bad_index(),
        "first_bad_range": report.first_bad().map(|(start, end)| json!({"start": start, "end": end})),
        "findings": report.findings.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "seconds": elapsed.as_secs_f64(),
    })
    .to_string()
}

fn print_report(tenant: &str, report: &AuditReport, elapsed: std::time::Duration) {
    let secs = elapsed.as_secs_f64();
    if report.is_clean() {
        println!(
            "journal of {tenant}: OK — {} entries, {} checkpoints verified, root {} ({secs:.2} s)",
            report.entries, report.checkpoints_checked, report.root
        );
        println!("журнал {tenant}: в порядке — записей {}, проверено контрольных точек {}", report.entries, report.checkpoints_checked);
        return;
    }
    println!("journal of {tenant}: TAMPERED — {} finding(s) / журнал {tenant}: НАРУШЕН", report.findings.len());
    match report.first_bad() {
        Some((start, end)) if end - start == 1 => println!("first bad entry / первая испорченная запись: {start}"),
        Some((start, end)) => println!("first bad entry is in / первая испорченная запись в диапазоне: {start}..{end}"),
        None => {}
    }
    for finding in &report.findings {
        println!("  - {finding}");
    }
}

async fn export(engine: &Engine, tenant: &str, from: u64, to: Option<u64>) -> Result<u8, Failure> {
    let actor = Actor::local_operator(tenant);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut at = from;
    loop {
        let want = to.map_or(EXPORT_PAGE as u64, |to| to.saturating_sub(at).min(EXPORT_PAGE as u64));
        if want == 0 {
            break;
        }
        let page = engine.journal_entries(&actor, at, want as u32).await.map_err(setup::engine_failure)?;
        let Some(last) = page.last() else { break };
        at = last.index + 1;
        for e in &page {
            writeln!(out, "{}", e.body).map_err(|e| Failure::failed(format!("writing the export: {e}")))?;
        }
    }
    out.flush().map_err(|e| Failure::failed(format!("writing the export: {e}")))?;
    Ok(0)
}
