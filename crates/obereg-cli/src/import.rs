//! `obereg import subjects FILE.csv --map column=category …`: bulk import from CSV.
//!
//! Rows go to the engine in batches; each batch is one transaction (a crash never leaves
//! half a batch), rows matching an existing subject by a searchable value are skipped as
//! duplicates, and refused rows go to a reject file with their line number and the reason.
//! After every batch the line reached is saved in `FILE.import-state`; running the same
//! command again resumes after it (and deduplication makes any overlap harmless).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use obereg_core::value::PlainValue;
use obereg_engine::vault::{ImportOutcome, ImportReport, ImportRow, NewSubjectInput, NewValue};
use obereg_engine::{Actor, Engine};

use crate::Failure;
use crate::config::Config;
use crate::progress::Progress;
use crate::setup;

#[derive(Debug, clap::Subcommand)]
pub enum ImportCommand {
    /// Import subjects from a CSV file with a header row
    Subjects(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The CSV file (UTF-8, first row is the header)
    pub file: PathBuf,
    /// A column and the catalog category it holds: `phone=contact.phone`; repeat per column
    #[arg(long = "map", required = true, value_parser = parse_mapping)]
    pub map: Vec<(String, String)>,
    /// The subject kind of every row (a `[[subject_kinds]]` id)
    #[arg(long)]
    pub kind: String,
    /// The purposes the values are collected for; repeat for several
    #[arg(long = "purpose", required = true)]
    pub purposes: Vec<String>,
    /// Where the data came from, recorded with every value
    #[arg(long, default_value = "csv_import")]
    pub source: String,
    #[arg(long, default_value = obereg_engine::DEFAULT_TENANT)]
    pub tenant: String,
    /// Rows per transaction (at most 50000)
    #[arg(long, default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    pub batch: u32,
    /// Field delimiter
    #[arg(long, default_value = ",")]
    pub delimiter: char,
}

fn parse_mapping(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((column, category)) if !column.is_empty() && !category.is_empty() => Ok((column.to_owned(), category.to_owned())),
        _ => Err(format!("`{text}` is not column=category / не в виде столбец=категория")),
    }
}

pub async fn run(config: Config, command: ImportCommand) -> Result<u8, Failure> {
    let ImportCommand::Subjects(args) = command;
    let engine = setup::open_engine(&config).await?;
    import_subjects(&engine, &args).await
}

/// Where an import keeps its progress and its rejected rows.
fn sidecar(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Saved progress: the header it belongs to and the last line committed.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct State {
    header: Vec<String>,
    done_line: u64,
}

async fn import_subjects(engine: &Engine, args: &ImportArgs) -> Result<u8, Failure> {
    let io = |e: std::io::Error| Failure::failed(format!("{}: {e}", args.file.display()));
    let csv_err = |e: csv::Error| Failure::failed(format!("{}: {e}", args.file.display()));
    let reader = || csv::ReaderBuilder::new().delimiter(args.delimiter as u8).flexible(false).from_path(&args.file).map_err(csv_err);
    let mut rdr = reader()?;
    let header: Vec<String> = rdr.headers().map_err(csv_err)?.iter().map(str::to_owned).collect();
    let mut columns = Vec::new();
    for (column, category) in &args.map {
        let index = header
            .iter()
            .position(|h| h == column)
            .ok_or_else(|| Failure::usage(format!("column `{column}` is not in the header / столбца `{column}` нет в заголовке")))?;
        columns.push((index, category.clone()));
    }
    let total = reader()?.records().count() as u64;

    let state_path = sidecar(&args.file, ".import-state");
    let resume_after = match std::fs::read(&state_path) {
        Ok(bytes) => match serde_json::from_slice::<State>(&bytes) {
            Ok(state) if state.header == header => state.done_line,
            _ => return Err(Failure::usage(format!("{} belongs to another file; remove it to start over", state_path.display()))),
        },
        Err(_) => 0,
    };
    if resume_after > 0 {
        eprintln!("resuming after line {resume_after} / продолжение после строки {resume_after}");
    }
    let rejects_path = sidecar(&args.file, ".rejects.csv");
    let mut rejects = Rejects::open(&rejects_path, &header, resume_after > 0).map_err(io)?;

    let actor = Actor::local_operator(&args.tenant);
    let bar = Progress::new("importing subjects / импорт субъектов");
    bar.set_length(total);
    let started = Instant::now();
    let (mut rejected, mut seen) = (0u64, 0u64);
    let mut tally = Tally::default();
    let mut in_flight: Option<InFlight> = None;
    let mut batch: Vec<ImportRow> = Vec::with_capacity(args.batch as usize);
    let mut raw: HashMap<u64, csv::StringRecord> = HashMap::new();
    let mut records = rdr.records();
    loop {
        let next = records.next();
        if let Some(record) = next.as_ref() {
            let record = record.as_ref().map_err(|e| Failure::failed(format!("{}: {e}", args.file.display())))?;
            let line = record.position().map_or(0, |p| p.line());
            seen += 1;
            if line <= resume_after {
                bar.inc(1);
                continue;
            }
            let values = columns
                .iter()
                .filter_map(|(i, category)| {
                    let cell = record.get(*i).unwrap_or("").trim();
                    (!cell.is_empty()).then(|| NewValue {
                        category: category.clone(),
                        value: PlainValue::new(cell),
                        purposes: args.purposes.clone(),
                        source: args.source.clone(),
                    })
                })
                .collect::<Vec<_>>();
            if values.is_empty() {
                rejects
                    .write(record, line, "import.empty_row", "no mapped column has a value / ни в одном столбце нет значения")
                    .map_err(io)?;
                rejected += 1;
                bar.inc(1);
                continue;
            }
            raw.insert(line, record.clone());
            batch.push(ImportRow { line, input: NewSubjectInput { kind: args.kind.clone(), values, records: vec![] } });
        }
        if batch.len() >= args.batch as usize || (next.is_none() && !batch.is_empty()) {
            // Two batches in flight: this one is validated and sealed while the previous one
            // commits (the engine commits batches one at a time, in order).
            let rows = std::mem::take(&mut batch);
            let n = rows.len() as u64;
            let last_line = rows.last().map_or(0, |r| r.line);
            let prepared = engine.prepare_import(&actor, rows).await.map_err(setup::engine_failure)?;
            if let Some(previous) = in_flight.take() {
                tally.settle(previous, &mut rejects, &state_path, &header, &bar).await?;
            }
            let committing = engine.clone();
            in_flight = Some(InFlight {
                commit: tokio::spawn(async move { committing.commit_import(prepared).await }),
                rows: n,
                last_line,
                raw: std::mem::take(&mut raw),
            });
        }
        if next.is_none() {
            break;
        }
    }
    if let Some(previous) = in_flight.take() {
        tally.settle(previous, &mut rejects, &state_path, &header, &bar).await?;
    }
    // The journal's by-subject rows of the import's entries are written now rather than by
    // the first history read; PostgreSQL would otherwise plan lookups over the new rows with
    // the statistics of the table before the import until autovacuum catches up; SQLite
    // cuts its grown log back.
    if tally.created > 0
        && let Err(e) = engine.settle_bulk_load(&actor).await
    {
        tracing::warn!(code = e.code(), "settling the database after the import failed");
    }
    let Tally { created, duplicates, rejected: refused } = tally;
    rejected += refused;
    bar.finish();
    let _ = std::fs::remove_file(&state_path);
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    println!(
        "{seen} rows: {created} created, {duplicates} duplicates, {rejected} rejected in {secs:.1} s ({:.0} rows/s) / \
         строк: {seen}; создано: {created}, дубликатов: {duplicates}, отклонено: {rejected}",
        seen as f64 / secs
    );
    if rejected > 0 {
        println!("rejected rows / отклонённые строки: {}", rejects_path.display());
        Ok(1)
    } else {
        let _ = std::fs::remove_file(&rejects_path);
        Ok(0)
    }
}

/// A batch being committed, with what is needed to report on it.
struct InFlight {
    commit: tokio::task::JoinHandle<Result<ImportReport, obereg_engine::EngineError>>,
    rows: u64,
    last_line: u64,
    raw: HashMap<u64, csv::StringRecord>,
}

/// Counts over the committed batches.
#[derive(Default)]
struct Tally {
    created: u64,
    duplicates: u64,
    rejected: u64,
}

impl Tally {
    /// Waits for a batch's commit, writes its rejected rows and saves the progress.
    async fn settle(
        &mut self,
        batch: InFlight,
        rejects: &mut Rejects,
        state_path: &Path,
        header: &[String],
        bar: &Progress,
    ) -> Result<(), Failure> {
        let io = |e: std::io::Error| Failure::failed(format!("{}: {e}", state_path.display()));
        let report = batch.commit.await.map_err(|_| Failure::failed("an import batch failed / пакет импорта не записан"))?;
        let report = report.map_err(setup::engine_failure)?;
        for (_, outcome) in &report.outcomes {
            match outcome {
                ImportOutcome::Created(_) => self.created += 1,
                ImportOutcome::Duplicate(_) => self.duplicates += 1,
            }
        }
        for e in &report.errors {
            let record = batch.raw.get(&e.line).cloned().unwrap_or_default();
            rejects.write(&record, e.line, e.code, &format!("{} / {}", e.message.en, e.message.ru)).map_err(io)?;
            self.rejected += 1;
        }
        rejects.flush().map_err(io)?;
        save_state(state_path, &State { header: header.to_vec(), done_line: batch.last_line }).map_err(io)?;
        bar.inc(batch.rows);
        Ok(())
    }
}

fn save_state(path: &Path, state: &State) -> std::io::Result<()> {
    let tmp = sidecar(path, ".tmp");
    std::fs::write(&tmp, serde_json::to_vec(state).map_err(std::io::Error::other)?)?;
    std::fs::rename(tmp, path)
}

/// The reject file: the original cells plus line, code and reason, safe to open in a
/// spreadsheet.
struct Rejects {
    writer: csv::Writer<std::fs::File>,
}

impl Rejects {
    fn open(path: &Path, header: &[String], append: bool) -> std::io::Result<Self> {
        let exists = append && path.exists();
        let mut options = std::fs::OpenOptions::new();
        options.create(true).append(exists).write(true).truncate(!exists);
        // The rejected rows are personal data: readable by the operator only.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path)?;
        let mut writer = csv::Writer::from_writer(file);
        if !exists {
            let mut row: Vec<String> = header.iter().map(|h| csv_safe(h)).collect();
            row.extend(["line".into(), "error_code".into(), "error".into()]);
            writer.write_record(&row).map_err(std::io::Error::other)?;
        }
        Ok(Self { writer })
    }

    fn write(&mut self, record: &csv::StringRecord, line: u64, code: &str, message: &str) -> std::io::Result<()> {
        let mut row: Vec<String> = record.iter().map(csv_safe).collect();
        row.extend([line.to_string(), code.to_owned(), message.to_owned()]);
        self.writer.write_record(&row).map_err(std::io::Error::other)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.flush()
    }
}

/// Escapes a cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage
/// return at the start) by prefixing an apostrophe (OWASP "CSV injection").
pub fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(csv_safe("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        assert_eq!(csv_safe("+79161234567"), "'+79161234567");
        assert_eq!(csv_safe("-1"), "'-1");
        assert_eq!(csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_safe("Иванов"), "Иванов");
        assert_eq!(csv_safe(""), "");
    }

    #[test]
    fn mappings_parse() {
        assert_eq!(parse_mapping("phone=contact.phone").unwrap(), ("phone".into(), "contact.phone".into()));
        assert!(parse_mapping("phone").is_err());
        assert!(parse_mapping("=x").is_err());
    }
}
