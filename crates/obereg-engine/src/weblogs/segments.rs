//! Where kept log lines live: one file per tenant and UTC day, `<dir>/<tenant>/<YYYY-MM-DD>.jsonl`,
//! apart from the database and the vault — nothing in them names a subject, and nothing in
//! the vault points at them. A day is the unit of retention: when the catalog's term for the
//! web-log category has passed for a day, its file is deleted whole.
//!
//! Files are appended to; a crash can leave a torn last line, which readers skip. A ledger
//! (`ingested.jsonl`) records the SHA-256 of every input file ingested, so the same file is
//! not ingested twice.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::sanitize::civil_from_days;

/// Day files kept open at once while ingesting (logs are nearly in time order).
const OPEN_LIMIT: usize = 8;
const LEDGER: &str = "ingested.jsonl";

/// `YYYY-MM-DD` of a day number.
pub fn day_name(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The day number of a `YYYY-MM-DD.jsonl` file name, if it is one.
pub fn day_of(name: &str) -> Option<i64> {
    let date: jiff::civil::Date = name.strip_suffix(".jsonl")?.parse().ok()?;
    Some(super::parse::days_from_civil(i64::from(date.year()), date.month() as u32, date.day() as u32))
}

/// A tenant's folder under the log root.
pub fn tenant_dir(root: &Path, tenant: &str) -> PathBuf {
    root.join(tenant)
}

/// The days a tenant has files for, oldest first.
pub fn days(root: &Path, tenant: &str) -> io::Result<Vec<i64>> {
    let dir = tenant_dir(root, tenant);
    let mut out = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for entry in entries {
                if let Some(day) = entry?.file_name().to_str().and_then(day_of) {
                    out.push(day);
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    out.sort_unstable();
    Ok(out)
}

/// The path of a day's file.
pub fn day_path(root: &Path, tenant: &str, day: i64) -> PathBuf {
    tenant_dir(root, tenant).join(format!("{}.jsonl", day_name(day)))
}

/// Appends kept lines to day files.
#[derive(Debug)]
pub struct Segments {
    dir: PathBuf,
    open: BTreeMap<i64, BufWriter<File>>,
    pub days: std::collections::BTreeSet<i64>,
}

impl Segments {
    pub fn new(root: &Path, tenant: &str) -> io::Result<Self> {
        let dir = tenant_dir(root, tenant);
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir, open: BTreeMap::new(), days: Default::default() })
    }

    pub fn append(&mut self, day: i64, line: &[u8]) -> io::Result<()> {
        if !self.open.contains_key(&day) {
            if self.open.len() >= OPEN_LIMIT
                && let Some((_, mut oldest)) = self.open.pop_first()
            {
                oldest.flush()?;
            }
            let file = OpenOptions::new().create(true).append(true).open(self.dir.join(format!("{}.jsonl", day_name(day))))?;
            self.open.insert(day, BufWriter::with_capacity(1 << 20, file));
            self.days.insert(day);
        }
        match self.open.get_mut(&day) {
            Some(w) => w.write_all(line),
            None => Ok(()),
        }
    }

    /// Flushes and syncs every open file.
    pub fn finish(mut self) -> io::Result<std::collections::BTreeSet<i64>> {
        for (_, w) in std::mem::take(&mut self.open) {
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_data()?;
        }
        Ok(self.days)
    }
}

/// Whether the ledger already holds `sha256`.
pub fn ingested_before(root: &Path, tenant: &str, sha256: &str) -> io::Result<bool> {
    match std::fs::read_to_string(tenant_dir(root, tenant).join(LEDGER)) {
        Ok(text) => Ok(text.lines().any(|l| l.contains(&format!("\"sha256\":\"{sha256}\"")))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Notes an ingested file in the ledger.
pub fn note_ingested(root: &Path, tenant: &str, sha256: &str, lines: u64, at: jiff::Timestamp) -> io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(tenant_dir(root, tenant).join(LEDGER))?;
    writeln!(file, "{{\"sha256\":\"{sha256}\",\"lines\":{lines},\"at\":\"{at}\"}}")?;
    file.sync_data()
}
