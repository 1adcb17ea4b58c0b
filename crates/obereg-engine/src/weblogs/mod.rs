//! Technical logs kept apart from identities: web-server access logs ingested into day files
//! with no IP address, cookie, session id, user name or personal data in a query left in them
//! (`sanitize.rs`), kept for the catalog's term of the web-log category and deleted whole
//! after it, with traffic statistics computed from what is kept.
//!
//! The promise the seed policies make — server logs "are not linked to any personal
//! information" — holds by construction: nothing in a kept line names a subject, nothing in
//! the vault points at the logs, and the pseudonyms change daily. The one way back is
//! [`Engine::reidentify_weblog`]: for a named purpose (a fraud investigation, say) an
//! administrator or DPO recomputes one address's pseudonym for one day and gets that day's
//! lines of it. Every such lookup is journaled with its purpose.
//!
//! Retention: the category (`technical.web_log` by default) must be one the catalog lists
//! for some purpose, of kind `technical`; the longest retention period among those purposes
//! is the term. Lines older than the term are not ingested at all, and the sweep deletes the
//! day files past it.

pub mod agent;
pub mod parse;
pub mod sanitize;
pub mod segments;
mod stats;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use obereg_core::Operation;
use obereg_core::catalog::{Catalog, CategoryKind, Period};
use zeroize::Zeroizing;

pub use sanitize::{IpMode, QueryMode, Sanitizer};
pub use stats::TrafficStats;

use crate::journal::Record;
use crate::{Actor, Engine, EngineError};

/// The category access logs are by default.
pub const DEFAULT_CATEGORY: &str = "technical.web_log";
/// The longest line read; longer ones are skipped as malformed.
const MAX_LINE: usize = 64 * 1024;

/// How to ingest.
#[derive(Debug, Clone)]
pub struct WeblogOptions {
    pub ip: IpMode,
    pub query: QueryMode,
    /// The catalog category the logs are (its purposes set the term).
    pub category: String,
}

impl Default for WeblogOptions {
    fn default() -> Self {
        Self { ip: IpMode::Pseudonym, query: QueryMode::Scan, category: DEFAULT_CATEGORY.into() }
    }
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    /// Input lines read.
    pub lines: u64,
    /// Lines kept.
    pub kept: u64,
    /// Lines skipped: not a log line, a time that does not parse, bytes that are not UTF-8.
    pub malformed: u64,
    pub bad_time: u64,
    pub bad_encoding: u64,
    /// Lines older than the retention term (not kept at all).
    pub expired: u64,
    /// Input bytes.
    pub bytes: u64,
    /// The days written to, `YYYY-MM-DD`.
    pub days: Vec<String>,
    /// The term, as the catalog gives it (`P1Y`).
    pub retention: String,
}

/// The term of `category`: the longest retention among the purposes that list it.
fn retention_of(catalog: &Catalog, category: &str) -> Result<Period, EngineError> {
    let Some(c) = catalog.categories.iter().find(|c| c.id == category) else {
        return Err(EngineError::invalid(
            "weblog.unknown_category",
            format!("the catalog has no category `{category}`"),
            format!("в каталоге нет категории `{category}`"),
        ));
    };
    if c.kind != CategoryKind::Technical {
        return Err(EngineError::invalid(
            "weblog.not_technical",
            format!("`{category}` is not a technical category"),
            format!("`{category}` — не техническая категория"),
        ));
    }
    catalog
        .purposes
        .iter()
        .filter(|p| p.required_categories.iter().chain(p.optional_categories.iter()).any(|id| id == category))
        .filter_map(|p| p.retention.as_ref().map(|r| r.period))
        .max_by_key(|p| (p.years, p.months, p.days))
        .ok_or_else(|| {
            EngineError::invalid(
                "weblog.no_purpose",
                format!("no purpose of the catalog lists `{category}`: logs would be kept for nothing"),
                format!("ни одна цель каталога не включает `{category}`: журналы хранились бы без цели"),
            )
        })
}

fn period_text(p: Period) -> String {
    let mut s = String::from("P");
    for (n, unit) in [(p.years, 'Y'), (p.months, 'M'), (p.days, 'D')] {
        if n > 0 {
            s.push_str(&format!("{n}{unit}"));
        }
    }
    if s == "P" { "P0D".into() } else { s }
}

fn io_error(e: std::io::Error) -> EngineError {
    tracing::warn!(error = %e.kind(), "web-log storage failed");
    EngineError::Internal("web-log storage")
}

/// Reads `input` line by line, sanitises each into `segments`; lines before `oldest_unix`
/// are counted as expired. CPU and file work only: run it off the async threads.
pub fn sanitize_stream(
    sanitizer: &mut Sanitizer,
    input: impl Read,
    oldest_unix: i64,
    segments: &mut segments::Segments,
) -> std::io::Result<IngestReport> {
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut report = IngestReport::default();
    let mut line = Vec::with_capacity(1024);
    let mut out = Vec::with_capacity(1024);
    loop {
        line.clear();
        let n = reader.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        report.bytes += n as u64;
        if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            // Skip the rest of an overlong line.
            report.lines += 1;
            report.malformed += 1;
            let mut rest = Vec::new();
            report.bytes += reader.read_until(b'\n', &mut rest)? as u64;
            continue;
        }
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        report.lines += 1;
        let parsed = if text[0] == b'{' { parse::parse_json(text) } else { parse::parse_combined(text) };
        match parsed {
            Ok(l) if l.unix < oldest_unix => report.expired += 1,
            Ok(l) => {
                out.clear();
                sanitizer.write(&l, &mut out);
                segments.append(l.unix.div_euclid(86_400), &out)?;
                report.kept += 1;
            }
            Err(parse::BadLine::Format) => report.malformed += 1,
            Err(parse::BadLine::Time) => report.bad_time += 1,
            Err(parse::BadLine::Encoding) => report.bad_encoding += 1,
        }
    }
    Ok(report)
}

impl Engine {
    /// The tenant's web-log key, from which the daily pseudonym keys come.
    fn weblog_key(&self, tenant: &str) -> Zeroizing<[u8; 32]> {
        let mut info = b"obereg weblog pseudonyms v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        self.root_key.derive(&info)
    }

    /// The oldest moment a kept line may have under `period`.
    fn weblog_horizon(&self, period: Period) -> i64 {
        let now = self.clock.now();
        let span = jiff::Span::new().years(i64::from(period.years)).months(i64::from(period.months)).days(i64::from(period.days));
        now.to_zoned(jiff::tz::TimeZone::UTC).checked_sub(span).map(|z| z.timestamp().as_second()).unwrap_or(i64::MIN)
    }

    /// Ingests an access log (combined format or JSON lines, mixed freely) into the kept day
    /// files under `root`. A file is read twice: once for its SHA-256 (the same file is not
    /// ingested twice), once to ingest. Administrators.
    pub async fn ingest_weblog_file(
        &self,
        actor: &Actor,
        root: &Path,
        file: &Path,
        options: WeblogOptions,
    ) -> Result<IngestReport, EngineError> {
        actor.require_admin()?;
        // The options first: a refused category reads nothing.
        retention_of(&*self.catalog_for(actor).await?, &options.category)?;
        let path = file.to_owned();
        let sha = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut f = std::fs::File::open(path)?;
            let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                ctx.update(&buf[..n]);
            }
            Ok(hex::encode(ctx.finish().as_ref()))
        })
        .await
        .map_err(|_| EngineError::Internal("hashing task"))?
        .map_err(|e| {
            EngineError::invalid(
                "weblog.unreadable",
                format!("the log file cannot be read ({})", e.kind()),
                format!("файл журнала не читается ({})", e.kind()),
            )
        })?;
        if segments::ingested_before(root, &actor.tenant, &sha).map_err(io_error)? {
            return Err(EngineError::invalid(
                "weblog.already_ingested",
                "this file was ingested before: its lines are kept already",
                "этот файл уже загружен: его строки уже сохранены",
            ));
        }
        let input = std::fs::File::open(file).map_err(io_error)?;
        let report = self.ingest_weblog(actor, root, input, options).await?;
        segments::note_ingested(root, &actor.tenant, &sha, report.lines, self.clock.now()).map_err(io_error)?;
        Ok(report)
    }

    /// Ingests an access log read from `input` (standard input, an uploaded body).
    pub async fn ingest_weblog(
        &self,
        actor: &Actor,
        root: &Path,
        input: impl Read + Send + 'static,
        options: WeblogOptions,
    ) -> Result<IngestReport, EngineError> {
        actor.require_admin()?;
        let catalog = self.catalog_for(actor).await?;
        let period = retention_of(&catalog, &options.category)?;
        let category = options.category.clone();
        let oldest = self.weblog_horizon(period);
        let key = self.weblog_key(&actor.tenant);
        let (root_dir, tenant) = (root.to_owned(), actor.tenant.clone());
        let mut report = tokio::task::spawn_blocking(move || -> std::io::Result<IngestReport> {
            let mut sanitizer = Sanitizer::new(&key, options.ip, options.query);
            let mut segments = segments::Segments::new(&root_dir, &tenant)?;
            let mut report = sanitize_stream(&mut sanitizer, input, oldest, &mut segments)?;
            let days = segments.finish()?;
            report.days = days.into_iter().map(segments::day_name).collect();
            Ok(report)
        })
        .await
        .map_err(|_| EngineError::Internal("ingest task"))?
        .map_err(io_error)?;
        report.retention = period_text(period);
        // Collection and recording of technical data, of no subject.
        let entry =
            self.entry(actor, &actor.tenant, Record::op(Operation::Recording.code()).categories([category.as_str()]).object("weblog"));
        self.journal_without_change(&actor.tenant, vec![entry]).await?;
        Ok(report)
    }

    /// Traffic statistics over the kept lines of `from..=to` (UTC dates). Administrators and
    /// `dpo` roles.
    pub async fn weblog_stats(
        &self,
        actor: &Actor,
        root: &Path,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<TrafficStats, EngineError> {
        self.require_oversight(actor).await?;
        if from > to || to.since(from).map(|s| s.get_days()).unwrap_or(i32::MAX) > 3660 {
            return Err(EngineError::invalid(
                "weblog.bad_range",
                "give a range of at most ten years, its start not after its end",
                "укажите период не длиннее десяти лет, начало не позже конца",
            ));
        }
        let day = |d: jiff::civil::Date| parse::days_from_civil(i64::from(d.year()), d.month() as u32, d.day() as u32);
        let (first, last) = (day(from), day(to));
        let (root, tenant) = (root.to_owned(), actor.tenant.clone());
        tokio::task::spawn_blocking(move || stats::compute(&root, &tenant, first, last))
            .await
            .map_err(|_| EngineError::Internal("stats task"))?
            .map_err(io_error)
    }

    /// Deletes every tenant's day files past the term of `category`; returns the days
    /// deleted. Each deletion is journaled as destruction of the category.
    pub async fn sweep_weblogs(&self, root: &Path, category: &str) -> Result<Vec<(String, String)>, EngineError> {
        let mut deleted = Vec::new();
        let tenants = match std::fs::read_dir(root) {
            Ok(entries) => entries.filter_map(Result::ok).filter_map(|e| e.file_name().to_str().map(str::to_owned)).collect::<Vec<_>>(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(deleted),
            Err(e) => return Err(io_error(e)),
        };
        for tenant in tenants {
            let Ok(catalog) = self.catalog_in_force(&tenant).await else { continue };
            let Ok(period) = retention_of(&catalog, category) else { continue };
            let horizon_day = self.weblog_horizon(period).div_euclid(86_400);
            for day in segments::days(root, &tenant).map_err(io_error)? {
                // A day goes once its last second is past the term.
                if day + 1 > horizon_day {
                    continue;
                }
                std::fs::remove_file(segments::day_path(root, &tenant, day)).map_err(io_error)?;
                let name = segments::day_name(day);
                let entry =
                    self.system_entry(&tenant, Record::op(Operation::Destruction.code()).categories([category]).object(name.as_str()));
                self.journal_without_change(&tenant, vec![entry]).await?;
                deleted.push((tenant.clone(), name));
            }
        }
        Ok(deleted)
    }

    /// The one way back from a kept line to an address: recomputes `ip`'s pseudonym for
    /// `date` and returns that day's lines of it. Only for a named purpose, administrators
    /// and `dpo` roles; journaled with the purpose before anything is returned.
    pub async fn reidentify_weblog(
        &self,
        actor: &Actor,
        root: &Path,
        purpose: &str,
        ip: &str,
        date: jiff::civil::Date,
    ) -> Result<Vec<String>, EngineError> {
        self.require_oversight(actor).await?;
        if !obereg_journal::entry::is_code(purpose) {
            return Err(EngineError::invalid(
                "weblog.purpose_required",
                "name the purpose of the lookup as a short code (e.g. fraud_investigation)",
                "укажите цель поиска кодом (например, fraud_investigation)",
            ));
        }
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(EngineError::invalid("weblog.bad_ip", "not an IP address", "это не IP-адрес"));
        }
        let day = parse::days_from_civil(i64::from(date.year()), date.month() as u32, date.day() as u32);
        let mut sanitizer = Sanitizer::new(&self.weblog_key(&actor.tenant), IpMode::Pseudonym, QueryMode::Scan);
        let pseudonym = sanitizer.pseudonym(day, b'i', ip.as_bytes());
        let needle = format!("\"ip\":\"{}\"", String::from_utf8_lossy(&pseudonym));
        let entry = self.entry(
            actor,
            &actor.tenant,
            Record::op("weblog.reidentified").purpose(purpose).categories([DEFAULT_CATEGORY]).object(segments::day_name(day)),
        );
        self.journal_without_change(&actor.tenant, vec![entry]).await?;
        let path: PathBuf = segments::day_path(root, &actor.tenant, day);
        // A day file can be large: read it off the async threads, a line at a time.
        tokio::task::spawn_blocking(move || -> std::io::Result<Vec<String>> {
            let file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let mut found = Vec::new();
            for line in BufReader::with_capacity(1 << 20, file).lines() {
                let line = line?;
                if line.contains(&needle) {
                    found.push(line);
                }
            }
            Ok(found)
        })
        .await
        .map_err(|_| EngineError::Internal("re-identification task"))?
        .map_err(io_error)
    }
}
