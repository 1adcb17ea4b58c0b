//! `obereg`: the command line. Thin adapter over the engine: parse, call, print.
//!
//! Exit codes: 0 success, 1 failure (an invalid catalog, a refused operation), 2 usage
//! (bad flags, unreadable files).

mod check;
mod check_list;
mod config;
mod import;
mod incident;
mod journal;
mod keys;
mod logs;
mod progress;
mod receipt;
mod requests;
mod retention;
mod scan;
mod setup;
mod staff;
mod stats;
mod token;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, ConfigFlags};

/// mimalloc rather than glibc's allocator: under concurrent requests glibc's per-thread
/// arenas keep trimming and re-faulting memory (TLB shootdowns across cores in `perf`);
/// mimalloc keeps freed pages with the thread. Whole access requests over HTTP went from
/// 404–463/s to 482–524/s (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(name = "obereg", version, about = "Personal-data operator platform / Платформа оператора персональных данных")]
struct Cli {
    #[command(flatten)]
    flags: ConfigFlags,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Set up the data directory, root key, database and `default` tenant, then serve
    Serve,
    /// Set up the data directory, root key, database and `default` tenant, and print the admin token
    Init,
    /// Check catalog files: exit 0 when valid, 1 when not
    Check(check::CheckArgs),
    /// Inspect the configuration
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage API tokens directly in the database (for bootstrap and recovery)
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Console accounts for staff: add, list, password, disable, enable, totp
    #[command(subcommand)]
    Staff(staff::StaffCommand),
    /// Verify the journal, print proofs, export entries, sign checkpoints
    #[command(subcommand)]
    Journal(journal::JournalCommand),
    /// Key-encryption keys: status and online rotation
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Bulk import (subjects from CSV)
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Check a contact list before a campaign: who may be called or written to, and why not
    CheckList(check_list::CheckListArgs),
    /// Signed consent receipts: verify one offline
    #[command(subcommand)]
    Receipt(receipt::ReceiptCommand),
    /// Data-subject requests: the work queue, identity, extension, refusal, completion, answers
    #[command(subcommand)]
    Requests(requests::RequestsCommand),
    /// Personal-data breaches on the 24/72-hour clocks: record, assess, notices, dismiss
    #[command(subcommand)]
    Incident(incident::IncidentCommand),
    /// Technical logs kept apart from identities: ingest, stats, sweep, reidentify
    #[command(subcommand)]
    Logs(logs::LogsCommand),
    /// Anonymised statistics for partners: release (k-anonymity or differential privacy), releases, budget
    #[command(subcommand)]
    Stats(stats::StatsCommand),
    /// Run the retention sweep now: destroy what no purpose holds any more, with acts
    /// (`--dry-run` shows what would go and why)
    Sweep(retention::SweepArgs),
    /// Destruction acts (RKN Order 179): list, show, verify against the journal
    #[command(subcommand)]
    Acts(retention::ActsCommand),
    /// Documents from the catalog: privacy policy, RKN notifications, record of processing
    #[command(subcommand)]
    Docs(retention::DocsCommand),
    /// Find personal data in a file or stdin: JSON lines; exit 1 when any is found
    Scan(scan::ScanArgs),
    /// Write a copy of a file or stdin with its personal data replaced
    Redact(scan::RedactArgs),
    /// Silence (or tone over) the personal data in a call recording, found through its transcript
    RedactAudio(scan::RedactAudioArgs),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration with secrets redacted
    Check,
}

/// A failure with its exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self { code: 2, message: message.into() }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self { code: 1, message: message.into() }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Receipt(cmd) => receipt::run(&cmd),
        Command::Scan(args) => scan::scan(&args),
        Command::RedactAudio(args) => scan::redact_audio(&args),
        command => Config::load(&cli.flags)
            .map_err(|e| Failure::usage(format!("configuration / конфигурация: {e}")))
            .and_then(|config| run_with_config(command, config)),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("error / ошибка: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run_with_config(command: Command, config: Config) -> Result<u8, Failure> {
    match command {
        Command::Config(ConfigCommand::Check) => {
            print!("{}", config.redacted_toml());
            Ok(0)
        }
        Command::Serve => runtime()?.block_on(setup::serve(config)),
        Command::Init => runtime()?.block_on(setup::init(config)),
        Command::Token(cmd) => runtime()?.block_on(token::run(config, cmd)),
        Command::Staff(cmd) => runtime()?.block_on(staff::run(config, cmd)),
        Command::Journal(cmd) => runtime()?.block_on(journal::run(config, cmd)),
        Command::Keys(cmd) => runtime()?.block_on(keys::run(config, cmd)),
        Command::Import(cmd) => runtime()?.block_on(import::run(config, cmd)),
        Command::CheckList(args) => runtime()?.block_on(check_list::run(config, args)),
        Command::Requests(cmd) => runtime()?.block_on(requests::run(config, cmd)),
        Command::Incident(cmd) => runtime()?.block_on(incident::run(config, cmd)),
        Command::Logs(cmd) => runtime()?.block_on(logs::run(config, cmd)),
        Command::Stats(cmd) => runtime()?.block_on(stats::run(config, cmd)),
        Command::Sweep(args) => runtime()?.block_on(retention::sweep(config, args)),
        Command::Acts(cmd) => runtime()?.block_on(retention::acts(config, cmd)),
        Command::Docs(cmd) => runtime()?.block_on(retention::docs(config, cmd)),
        Command::Redact(args) => runtime()?.block_on(scan::redact(config, args)),
        Command::Check(_) | Command::Receipt(_) | Command::Scan(_) | Command::RedactAudio(_) => {
            unreachable!("handled without configuration")
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the async runtime: {e}")))
}
