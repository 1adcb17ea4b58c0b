//! Anonymised statistics for partners: aggregate counts over subjects, consents, requests and
//! records, released with a guarantee chosen per query — k-anonymity (small cells suppressed)
//! or differential privacy (Laplace or Gaussian noise) against a privacy budget per tenant and
//! recipient that is tracked and refuses releases past it (`obereg_core::anonymity`).
//!
//! What RKN Order 140 (law.md ANON-3) asks of anonymisation is recorded for every release:
//! the method and its parameters, the dataset (source, grouping, range), who made it and when,
//! the recipient, and the privacy spent; the release is journaled as обезличивание and
//! передача. The released numbers are returned to the caller and only their SHA-256 is kept:
//! the anonymised dataset is not stored with the source data.
//!
//! Counts are of distinct subjects (see the core module for why and for the contribution
//! bound). Facts are read as ids and codes; no value is opened.

use std::collections::{BTreeMap, HashMap};

use obereg_core::Operation;
use obereg_core::anonymity::{self, Fact, Guarantee};
use obereg_core::catalog::{Catalog, Channel};
use obereg_core::request::RequestState;
use obereg_core::request::deadline::RequestKind;
use obereg_store::{StatFact, StatReleaseRecord};

use crate::journal::Record;
use crate::{Actor, Engine, EngineError};

/// The budget of a recipient none was set for: ε = 1, δ = 10⁻⁵, in total.
pub const DEFAULT_BUDGET: (f64, f64) = (1.0, 1e-5);
/// The most cells one release may have.
pub const MAX_GRID: usize = 10_000;
/// The most dimensions one query groups by.
const MAX_DIMENSIONS: usize = 3;

/// A query for a release.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    /// `subjects`, `consents`, `requests` or `records`.
    pub source: String,
    /// Up to three of the source's dimensions (docs/statistics.md).
    pub group_by: Vec<String>,
    pub guarantee: Guarantee,
    /// How many cells one subject may count in (the sensitivity); 1 by default.
    #[serde(default)]
    pub max_cells: Option<u32>,
    /// What a cell holds: `subjects` (distinct subjects, the default) or, for requests,
    /// `answer_days` (the sum of days from receipt to answer of answered requests, each
    /// subject's share of a cell clipped to 60 days).
    #[serde(default)]
    pub measure: Option<String>,
    /// A catalog recipient id: who the numbers go to.
    pub recipient: String,
    /// UTC dates bounding the facts counted (required to group by `month` under
    /// differential privacy: the months of the grid come from them).
    #[serde(default)]
    pub from: Option<jiff::civil::Date>,
    #[serde(default)]
    pub to: Option<jiff::civil::Date>,
    /// Why the chosen method suffices for this recipient's purpose (RKN Order 140 asks the
    /// operator to assess it); kept with the release's record, up to 2000 characters.
    #[serde(default)]
    pub assessment: Option<String>,
}

/// One released cell: its group values and the released number (a count of subjects, or a
/// sum, as the query's measure says).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReleasedCell {
    pub group: BTreeMap<String, String>,
    pub value: u64,
}

/// The clip of one subject's share of an `answer_days` cell.
pub const ANSWER_DAYS_CLIP: f64 = 60.0;

/// A released dataset.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Release {
    /// `D-…`.
    pub id: String,
    pub recipient: String,
    pub query: StatsQuery,
    pub cells: Vec<ReleasedCell>,
    /// k-anonymity: cells under k left out.
    pub suppressed: usize,
    /// The Laplace b or Gaussian σ of the noise added to each count (0: none).
    pub noise_scale: f64,
    /// What this release spent, (ε, δ).
    pub spent: (f64, f64),
    /// What the recipient has left after it.
    pub budget_left: (f64, f64),
    /// SHA-256 of the released cells (JSON), as recorded.
    pub sha256: String,
    pub created_at: jiff::Timestamp,
}

/// The record of a release, as listed (the numbers themselves are not kept).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReleaseRecordView {
    pub id: String,
    pub recipient: String,
    /// Source, grouping, contribution bound, range.
    pub query: serde_json::Value,
    /// The method and its parameters.
    pub guarantee: serde_json::Value,
    pub spent: (f64, f64),
    pub cells: i64,
    pub suppressed: i64,
    pub sha256: String,
    pub created_at: jiff::Timestamp,
    pub created_by: String,
}

/// A recipient's budget.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BudgetView {
    pub budget: (f64, f64),
    pub spent: (f64, f64),
    pub left: (f64, f64),
}

fn bad_query(en: impl Into<String>, ru: impl Into<String>) -> EngineError {
    EngineError::invalid("stats.bad_query", en, ru)
}

/// The dimensions of a source and which fact field each reads.
fn dimensions(source: &str) -> Option<&'static [(&'static str, char)]> {
    Some(match source {
        "subjects" => &[("kind", 'a'), ("status", 'b'), ("month", 't')],
        "consents" => &[("purpose", 'a'), ("channel", 'b'), ("state", 'c'), ("month", 't')],
        "requests" => &[("kind", 'a'), ("state", 'b'), ("month", 't')],
        "records" => &[("kind", 'a'), ("category", 'b'), ("month", 't')],
        _ => return None,
    })
}

fn month_of(micros: i64) -> String {
    let t = jiff::Timestamp::from_microsecond(micros).unwrap_or_default();
    t.strftime("%Y-%m").to_string()
}

/// Every value a dimension can take (the grid a noisy release covers).
fn domain(catalog: &Catalog, source: &str, dimension: &str, query: &StatsQuery) -> Result<Vec<String>, EngineError> {
    let owned = |it: &mut dyn Iterator<Item = &str>| it.map(str::to_owned).collect::<Vec<_>>();
    Ok(match (source, dimension) {
        ("subjects", "kind") => owned(&mut catalog.subject_kinds.iter().map(|k| k.id.as_str())),
        ("subjects", "status") => owned(&mut ["active", "restricted"].into_iter()),
        ("consents", "purpose") => owned(&mut catalog.purposes.iter().map(|p| p.id.as_str())),
        ("consents", "channel") => {
            let channels = [Channel::Email, Channel::Sms, Channel::PhoneCall, Channel::AutomatedCall, Channel::Messenger, Channel::Post];
            std::iter::once(String::new()).chain(channels.into_iter().map(|c| crate::consent::channel_code(c).to_owned())).collect()
        }
        ("consents", "state") => owned(&mut ["given", "withdrawn", "expired", "refused"].into_iter()),
        ("requests", "kind") => RequestKind::ALL.into_iter().map(|k| crate::requests::kind_code(k).to_owned()).collect(),
        ("requests", "state") => RequestState::ALL.into_iter().map(|s| s.as_str().to_owned()).collect(),
        ("records", "kind") => owned(&mut ["call", "message", "form"].into_iter()),
        ("records", "category") => owned(&mut catalog.categories.iter().map(|c| c.id.as_str())),
        (_, "month") => {
            let (Some(from), Some(to)) = (query.from, query.to) else {
                return Err(bad_query(
                    "grouping by month under differential privacy needs `from` and `to`: the months released are all of that range",
                    "группировка по месяцам при дифференциальной приватности требует `from` и `to`: выпускаются все месяцы периода",
                ));
            };
            let mut months = Vec::new();
            let mut m = from.first_of_month();
            while m <= to && months.len() <= MAX_GRID {
                months.push(m.strftime("%Y-%m").to_string());
                m = m.checked_add(jiff::Span::new().months(1)).map_err(|_| EngineError::Internal("date range"))?;
            }
            months
        }
        _ => return Err(EngineError::Internal("a checked dimension has no domain")),
    })
}

fn field(fact: &StatFact, which: char) -> String {
    match which {
        'a' => fact.a.clone(),
        'b' => fact.b.clone(),
        'c' => fact.c.clone(),
        _ => month_of(fact.at),
    }
}

/// Consents: the last event of each (subject, purpose, channel) is its state.
fn current_consents(facts: Vec<StatFact>) -> Vec<StatFact> {
    let mut last: HashMap<(String, String, String), StatFact> = HashMap::new();
    for f in facts {
        last.insert((f.subject.clone(), f.a.clone(), f.b.clone()), f);
    }
    let mut out: Vec<StatFact> = last.into_values().collect();
    out.sort_by(|x, y| (&x.subject, &x.a, &x.b).cmp(&(&y.subject, &y.a, &y.b)));
    out
}

fn cross(domains: &[Vec<String>]) -> Vec<Vec<String>> {
    domains.iter().fold(vec![Vec::new()], |acc, values| {
        acc.iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut cell = prefix.clone();
                    cell.push(v.clone());
                    cell
                })
            })
            .collect()
    })
}

/// A uniform in (0, 1) from 53 bits of the operating system's CSPRNG.
fn secure_uniform() -> f64 {
    let mut bytes = [0u8; 8];
    // The CSPRNG failing is not recoverable here; noise must never fall back to something weaker.
    aws_lc_rs::rand::fill(&mut bytes).expect("the operating system's random source");
    ((u64::from_le_bytes(bytes) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

impl Engine {
    /// A recipient's budget, spent and left.
    pub async fn privacy_budget(&self, actor: &Actor, recipient: &str) -> Result<BudgetView, EngineError> {
        self.require_oversight(actor).await?;
        let budget = self.store.privacy_budget(&actor.tenant, recipient).await?.unwrap_or(DEFAULT_BUDGET);
        let spent = self.store.privacy_spent(&actor.tenant, recipient).await?;
        Ok(BudgetView { budget, spent, left: ((budget.0 - spent.0).max(0.0), (budget.1 - spent.1).max(0.0)) })
    }

    /// Sets a recipient's total budget. Administrators.
    pub async fn set_privacy_budget(&self, actor: &Actor, recipient: &str, epsilon: f64, delta: f64) -> Result<BudgetView, EngineError> {
        actor.require_admin()?;
        self.check_recipient(actor, recipient).await?;
        if !((0.0..=100.0).contains(&epsilon) && (0.0..1e-3).contains(&delta)) {
            return Err(EngineError::invalid(
                "stats.bad_budget",
                "a budget is ε from 0 to 100 and δ from 0 to below 0.001",
                "бюджет — ε от 0 до 100 и δ от 0 до менее 0,001",
            ));
        }
        let entry = self.entry(actor, &actor.tenant, Record::op("stats.budget_set").object(recipient));
        let appended = self.store.set_privacy_budget(&actor.tenant, recipient, (epsilon, delta), self.now_micros(), &[entry]).await?;
        self.after_append(&actor.tenant, appended).await;
        self.privacy_budget(actor, recipient).await
    }

    async fn check_recipient(&self, actor: &Actor, recipient: &str) -> Result<(), EngineError> {
        let catalog = self.catalog_for(actor).await?;
        if catalog.recipients.iter().any(|r| r.id == recipient) {
            Ok(())
        } else {
            Err(EngineError::invalid(
                "stats.unknown_recipient",
                format!("the catalog has no recipient `{recipient}`: statistics go only to recipients the catalog names"),
                format!("в каталоге нет получателя `{recipient}`: статистика передаётся только названным в каталоге получателям"),
            ))
        }
    }

    /// Computes and releases an aggregate under its guarantee, recording it and spending the
    /// recipient's budget; refused, spending nothing, when the budget does not cover it.
    /// Administrators and `dpo` roles.
    pub async fn release_statistics(&self, actor: &Actor, query: StatsQuery) -> Result<Release, EngineError> {
        self.require_oversight(actor).await?;
        self.check_recipient(actor, &query.recipient).await?;
        query.guarantee.check().map_err(|e| bad_query(format!("guarantee: {}", e.0), format!("гарантия: {}", e.0)))?;
        let Some(all) = dimensions(&query.source) else {
            return Err(bad_query(
                "the source is subjects, consents, requests or records",
                "источник — subjects, consents, requests или records",
            ));
        };
        if query.group_by.is_empty() || query.group_by.len() > MAX_DIMENSIONS {
            return Err(bad_query("group by one to three dimensions", "группируйте по одному–трём измерениям"));
        }
        let mut fields = Vec::new();
        for (i, d) in query.group_by.iter().enumerate() {
            let Some((_, f)) = all.iter().find(|(name, _)| name == d) else {
                let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
                return Err(bad_query(
                    format!("`{d}` is not a dimension of {}: use {}", query.source, names.join(", ")),
                    format!("`{d}` — не измерение {}: используйте {}", query.source, names.join(", ")),
                ));
            };
            if query.group_by[..i].contains(d) {
                return Err(bad_query(format!("`{d}` is named twice"), format!("`{d}` указано дважды")));
            }
            fields.push(*f);
        }
        if query.assessment.as_ref().is_some_and(|a| a.chars().count() > 2000) {
            return Err(bad_query("the assessment is at most 2000 characters", "оценка — не длиннее 2000 символов"));
        }
        let max_cells = query.max_cells.unwrap_or(1);
        if !(1..=100).contains(&max_cells) {
            return Err(bad_query("max_cells is 1 to 100", "max_cells — от 1 до 100"));
        }
        if let (Some(from), Some(to)) = (query.from, query.to)
            && from > to
        {
            return Err(bad_query("`from` is after `to`", "`from` позже `to`"));
        }
        let catalog = self.catalog_for(actor).await?;
        let dp = !matches!(query.guarantee, Guarantee::KAnonymity { .. });
        let grid = if dp {
            let domains = query.group_by.iter().map(|d| domain(&catalog, &query.source, d, &query)).collect::<Result<Vec<_>, _>>()?;
            let size = domains.iter().map(Vec::len).try_fold(1usize, |acc, n| acc.checked_mul(n)).unwrap_or(usize::MAX);
            if size > MAX_GRID {
                return Err(bad_query(
                    format!("the grid has {size} cells; at most {MAX_GRID}: group by fewer dimensions or a shorter range"),
                    format!("в сетке {size} ячеек; не больше {MAX_GRID}: меньше измерений или короче период"),
                ));
            }
            cross(&domains)
        } else {
            Vec::new()
        };

        // The facts, within the range, as (subject, cell).
        let mut facts = self.store.stat_facts(&actor.tenant, &query.source).await?;
        if query.source == "consents" {
            facts = current_consents(facts);
        }
        let start = query.from.map(|d| d.to_zoned(jiff::tz::TimeZone::UTC).map(|z| z.timestamp().as_microsecond()));
        let end = query.to.map(|d| {
            d.checked_add(jiff::Span::new().days(1))
                .and_then(|n| n.to_zoned(jiff::tz::TimeZone::UTC))
                .map(|z| z.timestamp().as_microsecond())
        });
        let start = start.transpose().map_err(|_| EngineError::Internal("date range"))?.unwrap_or(i64::MIN);
        let end = end.transpose().map_err(|_| EngineError::Internal("date range"))?.unwrap_or(i64::MAX);
        let in_range = |f: &&StatFact| f.at >= start && f.at < end;
        let cell_of = |f: &StatFact| fields.iter().map(|w| field(f, *w)).collect::<Vec<String>>();
        // Per cell: (distinct subjects, the number released), and the unit one subject moves it by.
        let (table, unit): (BTreeMap<Vec<String>, (u64, f64)>, f64) = match query.measure.as_deref() {
            None | Some("subjects") => {
                let cells: Vec<Fact> = facts.iter().filter(in_range).map(|f| (f.subject.clone(), cell_of(f))).collect();
                (anonymity::count_cells(&cells, max_cells).into_iter().map(|(c, n)| (c, (n, n as f64))).collect(), 1.0)
            }
            Some("answer_days") if query.source == "requests" => {
                let values: Vec<anonymity::ValueFact> = facts
                    .iter()
                    .filter(in_range)
                    .filter(|f| f.value >= 0)
                    .map(|f| (f.subject.clone(), cell_of(f), f.value as f64 / 86_400_000_000.0))
                    .collect();
                (anonymity::sum_cells(&values, max_cells, ANSWER_DAYS_CLIP), ANSWER_DAYS_CLIP)
            }
            Some(other) => {
                return Err(bad_query(
                    format!("the measure `{other}` is not one of this source's (subjects; answer_days for requests)"),
                    format!("мера `{other}` не подходит этому источнику (subjects; answer_days для requests)"),
                ));
            }
        };
        let released = if dp {
            let values: BTreeMap<Vec<String>, f64> = table.iter().map(|(c, (_, v))| (c.clone(), *v)).collect();
            anonymity::add_noise(&values, &grid, &query.guarantee, max_cells, unit, secure_uniform)
        } else {
            let Guarantee::KAnonymity { k } = query.guarantee else { return Err(EngineError::Internal("guarantee")) };
            let subjects: BTreeMap<Vec<String>, u64> = table.iter().map(|(c, (n, _))| (c.clone(), *n)).collect();
            let mut kept = anonymity::suppress_small_cells(&subjects, k);
            for (cell, value) in &mut kept.cells {
                *value = table.get(cell).map_or(0, |(_, v)| v.round().max(0.0) as u64);
            }
            kept
        };
        let out: Vec<ReleasedCell> = released
            .cells
            .into_iter()
            .map(|(cell, value)| ReleasedCell { group: query.group_by.iter().cloned().zip(cell).collect(), value })
            .collect();
        let json = serde_json::to_vec(&out).map_err(|_| EngineError::Internal("release encoding"))?;
        let sha256 = hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &json).as_ref());
        let cost = query.guarantee.cost();
        let now = self.clock.now();
        let record = StatReleaseRecord {
            tenant_id: actor.tenant.clone(),
            id: crate::requests::intake::short_id("D")?,
            recipient: query.recipient.clone(),
            query: serde_json::to_string(&serde_json::json!({
                "source": query.source, "group_by": query.group_by, "measure": query.measure.as_deref().unwrap_or("subjects"),
                "max_cells": max_cells, "from": query.from, "to": query.to, "assessment": query.assessment,
            }))
            .map_err(|_| EngineError::Internal("query encoding"))?,
            guarantee: serde_json::to_string(&query.guarantee).map_err(|_| EngineError::Internal("guarantee encoding"))?,
            epsilon: cost.0,
            delta: cost.1,
            cells: out.len() as i64,
            suppressed: released.suppressed as i64,
            sha256: sha256.clone(),
            created_at: now.as_microsecond(),
            created_by: actor.token_id.clone().unwrap_or_else(|| "operator".into()),
        };
        let journal = vec![
            self.entry(actor, &actor.tenant, Record::op(Operation::Depersonalization.code()).object(record.id.as_str())),
            self.entry(actor, &actor.tenant, Record::op(Operation::Transfer.code()).object(record.id.as_str())),
        ];
        let Some(appended) = self.store.insert_release(&record, DEFAULT_BUDGET, &journal).await? else {
            let view = self.privacy_budget(actor, &query.recipient).await?;
            return Err(EngineError::invalid(
                "stats.budget_exhausted",
                format!(
                    "this release would spend ε {} (δ {}); {} has ε {:.3} (δ {:e}) left: nothing was released",
                    cost.0, cost.1, query.recipient, view.left.0, view.left.1
                ),
                format!(
                    "выпуск потратил бы ε {} (δ {}); у {} осталось ε {:.3} (δ {:e}): ничего не выпущено",
                    cost.0, cost.1, query.recipient, view.left.0, view.left.1
                ),
            ));
        };
        self.after_append(&actor.tenant, appended).await;
        let left = self.privacy_budget(actor, &query.recipient).await?.left;
        Ok(Release {
            id: record.id,
            recipient: query.recipient.clone(),
            noise_scale: query.guarantee.scale(max_cells) * unit,
            query,
            cells: out,
            suppressed: released.suppressed,
            spent: cost,
            budget_left: left,
            sha256,
            created_at: now,
        })
    }

    /// The record of every release: what, to whom, how protected, what it spent, its hash.
    pub async fn stat_releases(&self, actor: &Actor) -> Result<Vec<ReleaseRecordView>, EngineError> {
        self.require_oversight(actor).await?;
        Ok(self
            .store
            .stat_releases(&actor.tenant)
            .await?
            .into_iter()
            .map(|r| ReleaseRecordView {
                query: serde_json::from_str(&r.query).unwrap_or(serde_json::Value::Null),
                guarantee: serde_json::from_str(&r.guarantee).unwrap_or(serde_json::Value::Null),
                spent: (r.epsilon, r.delta),
                created_at: crate::vault::micros_to_time(r.created_at),
                id: r.id,
                recipient: r.recipient,
                cells: r.cells,
                suppressed: r.suppressed,
                sha256: r.sha256,
                created_by: r.created_by,
            })
            .collect())
    }
}
