//! `obereg check-list`: the pre-dial / pre-send check of a contact list from a file, the
//! suppression run before a campaign (see docs/consent.md).
//!
//! The file holds one contact per line (phone or email, any spelling the category
//! accepts). The answer goes to standard output as CSV, one row per contact, by line
//! number: the contacts themselves are not repeated, so the output can be joined back to
//! the list without copying personal data around.

use std::collections::VecDeque;
use std::io::BufRead;
use std::path::PathBuf;

use obereg_core::Bilingual;
use obereg_core::catalog::Channel;
use obereg_core::value::PlainValue;
use obereg_engine::Actor;
use obereg_engine::consent::ContactCheck;

use crate::config::Config;
use crate::import::csv_safe;
use crate::{Failure, setup};

/// Contacts per engine call (the batch limit of a lookup).
const CHUNK: usize = 1000;
/// Engine calls running at once. On the 2-core reference VM, 100,000 contacts: 43k/s one at
/// a time, 65–68k/s with 4, 76–90k/s with 8 (docs/benchmarks.md).
const IN_FLIGHT: usize = 8;

/// The answers to one batch, by position.
type Checks = Vec<Result<ContactCheck, (&'static str, Bilingual)>>;
/// A batch being checked.
type Running = tokio::task::JoinHandle<Result<Checks, Failure>>;

/// Waits for a batch; if it failed, stops the ones still running before reporting.
async fn finished<T>(task: Running, others: &VecDeque<(T, Running)>) -> Result<Checks, Failure> {
    let result = task.await.unwrap_or_else(|_| Err(Failure::failed("a check failed / проверка не выполнена")));
    if result.is_err() {
        for (_, other) in others {
            other.abort();
        }
    }
    result
}

/// Writes one batch's answers, one CSV row per contact by line number.
fn write_checks(
    out: &mut csv::Writer<std::io::StdoutLock<'static>>,
    chunk: &[(usize, String)],
    checks: Checks,
    allowed: &mut u64,
    denied: &mut u64,
) -> Result<(), csv::Error> {
    for ((line, _), check) in chunk.iter().zip(checks) {
        let (ok, reasons) = match check {
            Ok(c) => (c.allowed, c.reasons),
            Err(invalid) => (false, vec![invalid]),
        };
        if ok {
            *allowed += 1
        } else {
            *denied += 1
        }
        let codes: Vec<&str> = reasons.iter().map(|(c, _)| *c).collect();
        let texts: Vec<String> = reasons.iter().map(|(_, t)| format!("{} / {}", t.en, t.ru)).collect();
        out.write_record([line.to_string(), ok.to_string(), codes.join(" "), csv_safe(&texts.join("; "))])?;
    }
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct CheckListArgs {
    /// The list: one contact per line
    pub file: PathBuf,
    /// The purpose of the campaign
    #[arg(long)]
    pub purpose: String,
    /// The channel (`email`, `sms`, `phone_call`, `automated_call`, `messenger`, `post`); required for marketing purposes
    #[arg(long, value_parser = parse_channel)]
    pub channel: Option<Channel>,
    /// The category of the contacts
    #[arg(long, default_value = "contact.phone")]
    pub category: String,
    #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
    pub tenant: String,
}

fn parse_channel(text: &str) -> Result<Channel, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("unknown channel `{text}` / неизвестный канал `{text}`"))
}

pub async fn run(config: Config, args: CheckListArgs) -> Result<u8, Failure> {
    let engine = setup::open_engine(&config).await?;
    let io = |e: std::io::Error| Failure::failed(format!("{}: {e}", args.file.display()));
    let file = std::fs::File::open(&args.file).map_err(io)?;
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(io)?;
        if !line.trim().is_empty() {
            lines.push((n + 1, line.trim().to_owned()));
        }
    }
    let actor = Actor::local_operator(&args.tenant);
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    let write_err = |e: csv::Error| Failure::failed(format!("output / вывод: {e}"));
    out.write_record(["line", "allowed", "code", "reason"]).map_err(write_err)?;
    let (mut allowed, mut denied) = (0u64, 0u64);
    // Several batches in flight: their lookups share blind-index queries and journal
    // transactions, and preparing one batch overlaps another's queries. Answers are still
    // written in list order.
    let mut running: VecDeque<(&[(usize, String)], Running)> = VecDeque::new();
    for chunk in lines.chunks(CHUNK) {
        if running.len() == IN_FLIGHT
            && let Some((done, task)) = running.pop_front()
        {
            let checks = finished(task, &running).await?;
            write_checks(&mut out, done, checks, &mut allowed, &mut denied).map_err(write_err)?;
        }
        let values: Vec<PlainValue> = chunk.iter().map(|(_, v)| PlainValue::new(v.as_str())).collect();
        let (engine, actor, category, purpose, channel) =
            (engine.clone(), actor.clone(), args.category.clone(), args.purpose.clone(), args.channel);
        running.push_back((
            chunk,
            tokio::spawn(async move {
                engine.check_contacts(&actor, &category, &values, &purpose, channel).await.map_err(setup::engine_failure)
            }),
        ));
    }
    while let Some((done, task)) = running.pop_front() {
        let checks = finished(task, &running).await?;
        write_checks(&mut out, done, checks, &mut allowed, &mut denied).map_err(write_err)?;
    }
    out.flush().map_err(|e| Failure::failed(format!("output / вывод: {e}")))?;
    // The checks' journal entries name the subjects found; their by-subject rows are written
    // now, while the answer is already out, rather than by the next subject's journal view.
    engine.index_journal_subjects(&actor).await.map_err(setup::engine_failure)?;
    eprintln!(
        "{} contacts: {allowed} allowed, {denied} denied / контактов: {}; можно: {allowed}, нельзя: {denied}",
        lines.len(),
        lines.len()
    );
    Ok(0)
}
