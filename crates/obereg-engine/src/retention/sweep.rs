//! The retention sweep: every subject of a tenant, in batches, against the catalog in force.
//!
//! For each value and record the core gives a verdict at the sweep's `as_of` moment (fixed
//! when the sweep starts, so a resumed sweep judges every subject by the same clock):
//! - keep it;
//! - take ended purposes off it (`retention.purpose_ended` in the journal): reads for
//!   those purposes no longer see it;
//! - destroy it (`destruction`, уничтожение).
//!
//! A subject none of whose data is held any more is crypto-shredded (its data key goes,
//! as with an erasure); one whose remaining data only legal duties hold is restricted
//! (`blocking`). Each batch commits its changes, entries, act and progress together
//! (`obereg_store::RetentionBatch`); a crash resumes after the last committed batch, and a
//! sweep run twice destroys nothing twice (what is gone is not found again).
//!
//! A dry run computes the same verdicts and writes nothing.

use std::collections::HashMap;

use obereg_core::Operation;
use obereg_core::catalog::Catalog;
use obereg_core::retention::{DestructionReason, Timeline, Verdict, is_legal_duty, verdict};
use obereg_store::{RetentionBatch, RetentionSubject, StoreError, SweepRecord};

use super::acts::ActSubject;
use crate::journal::Record;
use crate::requests::short_id;
use crate::vault::micros_to_time;
use crate::{Actor, Engine, EngineError};

/// Subjects per batch: one transaction, one act.
const BATCH: u32 = 500;
/// Findings a report lists in full (counts are always complete).
const MAX_FINDINGS: usize = 1000;
/// Times a batch that met a concurrent change is read and tried again.
const RETRIES: usize = 3;

/// What a sweep found or did to one subject.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    pub subject: String,
    pub action: FindingAction,
    pub categories: Vec<String>,
    /// The purposes whose hold ended (for `end_purposes`).
    pub purposes: Vec<String>,
    pub reason: Option<&'static str>,
    /// When nothing held the data any more, and the legal deadline for destroying it.
    pub since: Option<jiff::Timestamp>,
    pub deadline: Option<jiff::Timestamp>,
    /// The deadline passed before the sweep (the sweep was not run in time).
    pub overdue: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingAction {
    /// Crypto-shred the subject: none of its data is held any more.
    EraseSubject,
    /// Destroy some of its values and records.
    DestroyValues,
    /// Take ended purposes off values other purposes still hold.
    EndPurposes,
    /// Restrict the subject: only legal duties hold its remaining data.
    Restrict,
}

/// Where a sweep is: subjects done out of those there were when it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepProgress {
    pub done: u64,
    pub total: u64,
}

/// The outcome of a sweep (or of a dry run).
#[derive(Debug, Clone, serde::Serialize)]
pub struct SweepReport {
    /// `None` for a dry run.
    pub id: Option<String>,
    pub dry_run: bool,
    /// It continued a sweep an interruption left unfinished.
    pub resumed: bool,
    pub as_of: jiff::Timestamp,
    pub subjects_seen: u64,
    pub values_destroyed: u64,
    pub values_narrowed: u64,
    pub subjects_erased: u64,
    pub subjects_restricted: u64,
    /// The destruction acts written.
    pub acts: Vec<String>,
    pub findings: Vec<Finding>,
    /// More findings than `findings` lists.
    pub findings_truncated: bool,
}

/// A sweep as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SweepView {
    pub id: String,
    pub started_at: jiff::Timestamp,
    pub as_of: jiff::Timestamp,
    pub finished_at: Option<jiff::Timestamp>,
    pub subjects_seen: i64,
    pub values_destroyed: i64,
    pub values_narrowed: i64,
    pub subjects_erased: i64,
    pub subjects_restricted: i64,
    pub acts: i64,
}

/// What to do to one subject.
#[derive(Debug, Default)]
struct SubjectPlan {
    erase: bool,
    restrict: bool,
    /// Items to destroy (when not erasing the whole subject).
    delete: Vec<String>,
    destroyed_categories: Vec<String>,
    /// `(item id, remaining purposes, ended purposes, category)`.
    narrow: Vec<(String, String, Vec<String>, String)>,
    /// The reason and moments of the latest destruction.
    reason: Option<(DestructionReason, jiff::Timestamp, jiff::Timestamp)>,
}

/// The verdicts of one subject's items at `as_of`, as one plan.
fn plan_subject(catalog: &Catalog, subject: &RetentionSubject, timeline: &Timeline, as_of: jiff::Timestamp) -> SubjectPlan {
    let mut plan = SubjectPlan::default();
    let mut remaining_all_legal = true;
    let mut remaining = 0;
    for item in &subject.items {
        let purposes: Vec<&str> = item.purposes.split(',').filter(|p| !p.is_empty()).collect();
        let legal = |p: &&str| catalog.purposes.iter().any(|c| c.id == *p && is_legal_duty(c));
        match verdict(catalog, purposes.iter().copied(), micros_to_time(item.collected_at), timeline, as_of) {
            Verdict::Keep { .. } => {
                remaining += 1;
                remaining_all_legal &= !purposes.is_empty() && purposes.iter().all(legal);
            }
            Verdict::Narrow { ended, legal_only, .. } => {
                remaining += 1;
                remaining_all_legal &= legal_only;
                let rest: Vec<&str> = purposes.iter().copied().filter(|p| !ended.iter().any(|e| e == p)).collect();
                plan.narrow.push((item.id.clone(), rest.join(","), ended, item.category.clone()));
            }
            Verdict::Destroy { reason, since, deadline } => {
                plan.delete.push(item.id.clone());
                plan.destroyed_categories.push(item.category.clone());
                if plan.reason.is_none_or(|(_, s, _)| since > s) {
                    plan.reason = Some((reason, since, deadline));
                }
            }
        }
    }
    plan.destroyed_categories.sort();
    plan.destroyed_categories.dedup();
    if remaining == 0 && !plan.delete.is_empty() {
        plan.erase = true;
        plan.delete.clear();
    }
    let ended_something = !plan.narrow.is_empty() || !plan.delete.is_empty();
    plan.restrict = !plan.erase && ended_something && remaining_all_legal && subject.status == "active";
    plan
}

impl Engine {
    /// Runs the retention sweep of the actor's tenant now (an administrator), or shows what
    /// it would do (`dry_run`). Resumes a sweep an interruption left unfinished.
    pub async fn sweep_retention(
        &self,
        actor: &Actor,
        dry_run: bool,
        on_progress: &(dyn Fn(SweepProgress) + Send + Sync),
    ) -> Result<SweepReport, EngineError> {
        actor.require_admin()?;
        let catalog = self.catalog_for(actor).await?;
        self.run_sweep(&actor.tenant, &catalog, Some(actor), dry_run, on_progress).await
    }

    /// Sweeps every tenant with a catalog, as obereg itself (the schedule in `serve`).
    pub async fn sweep_all_tenants(&self) -> Result<Vec<(String, SweepReport)>, EngineError> {
        let mut out = Vec::new();
        for tenant in self.store.tenants().await? {
            let catalog = match self.catalog_in_force(&tenant.id).await {
                Ok(c) => c,
                Err(EngineError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let report = self.run_sweep(&tenant.id, &catalog, None, false, &|_| {}).await?;
            out.push((tenant.id, report));
        }
        Ok(out)
    }

    /// The tenant's sweeps, newest first.
    pub async fn list_sweeps(&self, actor: &Actor) -> Result<Vec<SweepView>, EngineError> {
        actor.require_admin()?;
        Ok(self.store.sweeps(&actor.tenant, false, 100).await?.into_iter().map(sweep_view).collect())
    }

    async fn run_sweep(
        &self,
        tenant: &str,
        catalog: &Catalog,
        by: Option<&Actor>,
        dry_run: bool,
        on_progress: &(dyn Fn(SweepProgress) + Send + Sync),
    ) -> Result<SweepReport, EngineError> {
        let now = self.clock.now();
        let unfinished = if dry_run { None } else { self.store.sweeps(tenant, true, 1).await?.into_iter().next() };
        let resumed = unfinished.is_some();
        let sweep = match unfinished {
            Some(s) => s,
            None => {
                let s = SweepRecord {
                    tenant_id: tenant.to_owned(),
                    id: short_id("S")?,
                    started_at: now.as_microsecond(),
                    as_of: now.as_microsecond(),
                    finished_at: None,
                    cursor_seq: 0,
                    subjects_seen: 0,
                    values_destroyed: 0,
                    values_narrowed: 0,
                    subjects_erased: 0,
                    subjects_restricted: 0,
                    acts: 0,
                };
                if !dry_run {
                    self.store.insert_sweep(&s).await?;
                }
                s
            }
        };
        let as_of = micros_to_time(sweep.as_of);
        let total = self.store.count_live_subjects(tenant).await?.max(0) as u64;
        let mut report = SweepReport {
            id: (!dry_run).then(|| sweep.id.clone()),
            dry_run,
            resumed,
            as_of,
            subjects_seen: sweep.subjects_seen as u64,
            values_destroyed: sweep.values_destroyed as u64,
            values_narrowed: sweep.values_narrowed as u64,
            subjects_erased: sweep.subjects_erased as u64,
            subjects_restricted: sweep.subjects_restricted as u64,
            acts: Vec::new(),
            findings: Vec::new(),
            findings_truncated: false,
        };
        let mut cursor = sweep.cursor_seq;
        loop {
            let mut tries = 0;
            let next = loop {
                match self.sweep_batch(tenant, catalog, by, &sweep, cursor, as_of, dry_run, &mut report).await {
                    Err(EngineError::Store(StoreError::Conflict(_))) if tries + 1 < RETRIES => tries += 1,
                    other => break other?,
                }
            };
            let Some(next) = next else { break };
            cursor = next;
            on_progress(SweepProgress { done: report.subjects_seen.min(total), total });
        }
        if !dry_run {
            self.store.finish_sweep(tenant, &sweep.id, self.now_micros()).await?;
            let purged = self.store.purge_acts(now.as_microsecond()).await?;
            if purged > 0 {
                tracing::info!(tenant = %tenant, acts = purged, "destruction acts past their three years deleted");
            }
            let store = self.store.clone();
            tokio::spawn(async move {
                if let Err(e) = store.purge_erased(1000).await {
                    tracing::warn!(code = e.code(), "purging erased subjects failed; the next sweep retries");
                }
            });
        }
        tracing::info!(
            tenant = %tenant,
            dry_run,
            subjects = report.subjects_seen,
            destroyed = report.values_destroyed,
            erased = report.subjects_erased,
            restricted = report.subjects_restricted,
            "retention sweep done"
        );
        Ok(report)
    }

    /// One batch after `cursor`: plans, and unless `dry_run` applies, its subjects. Returns
    /// the new cursor, `None` when no subjects were left.
    #[allow(clippy::too_many_arguments)]
    async fn sweep_batch(
        &self,
        tenant: &str,
        catalog: &Catalog,
        by: Option<&Actor>,
        sweep: &SweepRecord,
        cursor: i64,
        as_of: jiff::Timestamp,
        dry_run: bool,
        report: &mut SweepReport,
    ) -> Result<Option<i64>, EngineError> {
        let page = self.store.retention_page(tenant, cursor, BATCH).await?;
        let Some(last) = page.last().map(|s| s.seq) else { return Ok(None) };
        let seqs: Vec<i64> = page.iter().map(|s| s.seq).collect();
        let ids: Vec<String> = page.iter().map(|s| s.id.clone()).collect();
        let seq_of: HashMap<&str, i64> = page.iter().map(|s| (s.id.as_str(), s.seq)).collect();
        let events = self.store.retention_events_many(tenant, &seqs).await?;
        let ledgers = super::ledgers(self.store.consent_events_many(tenant, &ids).await?, &seq_of)?;
        let items = page.iter().map(|s| (s.seq, s.items.as_slice())).collect();
        let timelines = super::timelines(&items, events, ledgers, as_of);
        let empty = Timeline::default();

        let mut batch = RetentionBatch { tenant_id: tenant.to_owned(), at: self.now_micros(), ..RetentionBatch::default() };
        let mut entries = Vec::new();
        let mut act_subjects = Vec::new();
        let mut findings = Vec::new();
        let mut counts = Counts { seen: page.len() as u64, ..Counts::default() };
        let act_id = short_id("A")?;
        let entry = |record: Record<'_>| match by {
            Some(actor) => self.entry(actor, tenant, record),
            None => self.system_entry(tenant, record),
        };
        for subject in &page {
            let plan = plan_subject(catalog, subject, timelines.get(&subject.seq).unwrap_or(&empty), as_of);
            let (reason, since, deadline) = match plan.reason {
                Some((r, s, d)) => (Some(r), Some(s), Some(d)),
                None => (None, None, None),
            };
            let finding = |action, categories: Vec<String>, purposes: Vec<String>| Finding {
                subject: subject.id.clone(),
                action,
                categories,
                purposes,
                reason: reason.map(DestructionReason::code),
                since,
                deadline,
                overdue: deadline.is_some_and(|d| d < as_of),
            };
            if plan.erase || !plan.delete.is_empty() {
                let categories = plan.destroyed_categories.clone();
                let destruction = Record::op(Operation::Destruction.code()).subject(&subject.id).categories(categories.clone());
                if plan.erase {
                    batch.erase.push((subject.seq, subject.id.clone(), subject.updated_at));
                    counts.erased += 1;
                    counts.destroyed += subject.items.len() as u64;
                    findings.push(finding(FindingAction::EraseSubject, categories.clone(), vec![]));
                    entries.push(entry(destruction.object(format!("act:{act_id}:crypto_shredding"))));
                } else {
                    batch.delete.extend(plan.delete.iter().map(|id| (subject.seq, id.clone())));
                    counts.destroyed += plan.delete.len() as u64;
                    findings.push(finding(FindingAction::DestroyValues, categories.clone(), vec![]));
                    entries.push(entry(destruction.object(format!("act:{act_id}:deletion"))));
                }
                let (reason, since) = (reason.unwrap_or(DestructionReason::RetentionExpired), since.unwrap_or(as_of));
                act_subjects.push((subject.seq, ActSubject { id: subject.id.clone(), erased: plan.erase, categories, reason, since }));
            }
            let mut ended_by_purpose: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
            for (item, rest, ended, category) in &plan.narrow {
                batch.narrow.push((subject.seq, item.clone(), rest.clone()));
                for p in ended {
                    ended_by_purpose.entry(p.clone()).or_default().push(category.clone());
                }
            }
            counts.narrowed += plan.narrow.len() as u64;
            if !ended_by_purpose.is_empty() {
                let purposes: Vec<String> = ended_by_purpose.keys().cloned().collect();
                let categories: Vec<String> = plan.narrow.iter().map(|n| n.3.clone()).collect();
                findings.push(Finding {
                    reason: None,
                    since: None,
                    deadline: None,
                    overdue: false,
                    ..finding(FindingAction::EndPurposes, categories, purposes)
                });
                for (purpose, categories) in ended_by_purpose {
                    entries.push(entry(Record::op("retention.purpose_ended").purpose(purpose).subject(&subject.id).categories(categories)));
                }
            }
            if plan.restrict {
                batch.restrict.push((subject.seq, subject.id.clone()));
                counts.restricted += 1;
                findings.push(Finding {
                    reason: None,
                    since: None,
                    deadline: None,
                    overdue: false,
                    ..finding(FindingAction::Restrict, vec![], vec![])
                });
                entries.push(entry(Record::op(Operation::Blocking.code()).subject(&subject.id).object("retention:legal_duty")));
            }
        }
        let has_act = !act_subjects.is_empty();
        if !dry_run {
            if has_act {
                let performed_by = match by {
                    Some(actor) => format!("{} ({})", actor.role.as_str(), actor.token_id.as_deref().unwrap_or("CLI")),
                    None => format!("obereg, sweep {}", sweep.id),
                };
                batch.act = Some(self.draft_act(tenant, catalog, &act_id, ("sweep", &sweep.id), act_subjects, &performed_by).await?);
            }
            batch.progress = Some(SweepRecord {
                cursor_seq: last,
                subjects_seen: counts.seen as i64,
                values_destroyed: counts.destroyed as i64,
                values_narrowed: counts.narrowed as i64,
                subjects_erased: counts.erased as i64,
                subjects_restricted: counts.restricted as i64,
                acts: i64::from(has_act),
                ..sweep.clone()
            });
            // Nothing of a batch that fails is committed, and nothing of it is counted.
            let appended = self.store.apply_retention(&batch, &entries).await?;
            if !entries.is_empty() {
                self.after_append(tenant, appended).await;
            }
            if has_act {
                report.acts.push(act_id);
            }
        }
        report.subjects_seen += counts.seen;
        report.values_destroyed += counts.destroyed;
        report.values_narrowed += counts.narrowed;
        report.subjects_erased += counts.erased;
        report.subjects_restricted += counts.restricted;
        let room = MAX_FINDINGS.saturating_sub(report.findings.len());
        report.findings_truncated |= findings.len() > room;
        report.findings.extend(findings.into_iter().take(room));
        Ok(Some(last))
    }
}

/// What one batch found or did.
#[derive(Debug, Default)]
struct Counts {
    seen: u64,
    destroyed: u64,
    narrowed: u64,
    erased: u64,
    restricted: u64,
}

fn sweep_view(s: SweepRecord) -> SweepView {
    SweepView {
        id: s.id,
        started_at: micros_to_time(s.started_at),
        as_of: micros_to_time(s.as_of),
        finished_at: s.finished_at.map(micros_to_time),
        subjects_seen: s.subjects_seen,
        values_destroyed: s.values_destroyed,
        values_narrowed: s.values_narrowed,
        subjects_erased: s.subjects_erased,
        subjects_restricted: s.subjects_restricted,
        acts: s.acts,
    }
}
