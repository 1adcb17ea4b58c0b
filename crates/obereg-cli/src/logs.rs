//! `obereg logs …`: technical logs kept apart from identities (docs/weblogs.md) — ingest an
//! access-log file (or `-` for stdin) into `<data dir>/weblogs`, traffic statistics, the
//! sweep of days past their term, and the journaled re-identification of one address.

use obereg_engine::Actor;
use obereg_engine::weblogs::{DEFAULT_CATEGORY, IpMode, QueryMode, WeblogOptions};

use crate::Failure;
use crate::config::Config;
use crate::setup;

#[derive(Debug, clap::Subcommand)]
pub enum LogsCommand {
    /// Ingest an nginx/Apache combined log or JSON lines (`-`: stdin); prints what was kept
    Ingest {
        file: String,
        /// pseudonym (default, changes daily) or truncate (/24, /48)
        #[arg(long, default_value = "pseudonym")]
        ip: String,
        /// scan (default: personal data in query values replaced by its type) or strip
        #[arg(long, default_value = "scan")]
        query: String,
        /// The catalog category the logs are; its purposes set the term
        #[arg(long, default_value = DEFAULT_CATEGORY)]
        category: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Traffic statistics over a range of UTC dates, as JSON
    Stats {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
    /// Delete the day files past the term (obereg serve does this every six hours)
    Sweep {
        #[arg(long, default_value = DEFAULT_CATEGORY)]
        category: String,
    },
    /// The one way back: one address's kept lines of one day, for a named purpose (journaled)
    Reidentify {
        #[arg(long)]
        ip: String,
        #[arg(long)]
        date: String,
        /// A short code, e.g. fraud_investigation
        #[arg(long)]
        purpose: String,
        #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
        tenant: String,
    },
}

fn date(flag: &str, text: &str) -> Result<jiff::civil::Date, Failure> {
    text.parse().map_err(|_| Failure::usage(format!("--{flag}: a date YYYY-MM-DD / дата ГГГГ-ММ-ДД")))
}

fn json(value: &impl serde::Serialize) -> Result<(), Failure> {
    println!("{}", serde_json::to_string_pretty(value).map_err(|_| Failure::usage("cannot encode the answer"))?);
    Ok(())
}

pub async fn run(config: Config, command: LogsCommand) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    let root = engine.weblog_root().map_err(setup::engine_failure)?.to_owned();
    let fail = setup::engine_failure;
    match command {
        LogsCommand::Ingest { file, ip, query, category, tenant } => {
            let ip = match ip.as_str() {
                "pseudonym" => IpMode::Pseudonym,
                "truncate" => IpMode::Truncate,
                _ => return Err(Failure::usage("--ip: pseudonym or truncate / pseudonym или truncate")),
            };
            let query = match query.as_str() {
                "scan" => QueryMode::Scan,
                "strip" => QueryMode::Strip,
                _ => return Err(Failure::usage("--query: scan or strip / scan или strip")),
            };
            let options = WeblogOptions { ip, query, category };
            let actor = Actor::local_operator(&tenant);
            let report = if file == "-" {
                engine.ingest_weblog(&actor, &root, std::io::stdin(), options).await
            } else {
                engine.ingest_weblog_file(&actor, &root, std::path::Path::new(&file), options).await
            }
            .map_err(fail)?;
            json(&report)?;
        }
        LogsCommand::Stats { from, to, tenant } => {
            json(
                &engine.weblog_stats(&Actor::local_operator(&tenant), &root, date("from", &from)?, date("to", &to)?).await.map_err(fail)?,
            )?;
        }
        LogsCommand::Sweep { category } => {
            for (tenant, day) in engine.sweep_weblogs(&root, &category).await.map_err(fail)? {
                println!("{tenant}\t{day}\tdeleted");
            }
        }
        LogsCommand::Reidentify { ip, date: day, purpose, tenant } => {
            let lines =
                engine.reidentify_weblog(&Actor::local_operator(&tenant), &root, &purpose, &ip, date("date", &day)?).await.map_err(fail)?;
            for line in lines {
                println!("{line}");
            }
        }
    }
    Ok(0)
}
