//! Anonymised statistics' records and SQL (migration 000013), shared by both backends: the
//! facts aggregate queries count (ids and codes only, never a value), recipients' privacy
//! budgets, and the record of every release.
//!
//! A release is written only if its privacy cost still fits the recipient's budget, checked
//! and recorded in one transaction under the tenant's journal lock — two releases racing for
//! the last of a budget cannot both pass.

/// A released dataset's record.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct StatReleaseRecord {
    pub tenant_id: String,
    /// `D-…`.
    pub id: String,
    pub recipient: String,
    /// JSON: source, grouping, range, contribution bound.
    pub query: String,
    /// JSON of the guarantee with its parameters.
    pub guarantee: String,
    pub epsilon: f64,
    pub delta: f64,
    pub cells: i64,
    pub suppressed: i64,
    pub sha256: String,
    pub created_at: i64,
    pub created_by: String,
}

/// One fact an aggregate counts: whose it is, three codes, a time (what each means depends
/// on the source; docs/statistics.md).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatFact {
    pub subject: String,
    pub a: String,
    pub b: String,
    pub c: String,
    pub at: i64,
    /// A number the source measures (requests: microseconds from receipt to answer, -1 while
    /// unanswered); 0 where the source has none.
    pub value: i64,
}

pub(crate) const RELEASE_COLUMNS: &str =
    "tenant_id, id, recipient, query, guarantee, epsilon, delta, cells, suppressed, sha256, created_at, created_by";

/// What each source reads. Subjects that are erased count nowhere.
pub(crate) fn fact_sql(source: &str) -> Option<&'static str> {
    Some(match source {
        "subjects" => {
            "SELECT id AS subject, kind AS a, status AS b, '' AS c, created_at AS at, CAST(0 AS BIGINT) AS value FROM subjects \
             WHERE tenant_id = $1 AND status <> 'erased'"
        }
        // Every event in order; the current state per scope is the last one (the caller keeps it).
        "consents" => {
            "SELECT s.id AS subject, e.purpose AS a, COALESCE(e.channel, '') AS b, e.action AS c, e.at AS at, CAST(0 AS BIGINT) AS value \
             FROM consent_events e JOIN subjects s ON s.seq = e.subject_seq \
             WHERE s.tenant_id = $1 AND s.status <> 'erased' AND e.cookie IS NULL ORDER BY e.subject_seq, e.idx"
        }
        // A request with no subject (none matched) counts as its own contributor.
        "requests" => {
            "SELECT COALESCE(subject_id, id) AS subject, kind AS a, state AS b, '' AS c, received_at AS at, \
             CASE WHEN state IN ('completed', 'refused') THEN updated_at - received_at ELSE -1 END AS value FROM requests \
             WHERE tenant_id = $1"
        }
        "records" => {
            "SELECT i.subject_id AS subject, i.kind AS a, i.category AS b, '' AS c, COALESCE(i.occurred_at, i.collected_at) AS at, \
             CAST(0 AS BIGINT) AS value \
             FROM subject_items i JOIN subjects s ON s.seq = i.subject_seq \
             WHERE s.tenant_id = $1 AND s.status <> 'erased' AND i.kind <> 'attribute'"
        }
        _ => return None,
    })
}

macro_rules! stats_methods {
    ($db:ty) => {
        fn stat_facts<'a>(&'a self, tenant: &'a str, source: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::StatFact>> {
            Box::pin(async move {
                let sql = $crate::stats_sql::fact_sql(source).ok_or($crate::StoreError::Conflict("unknown statistics source"))?;
                Ok(sqlx::query_as(sql).bind(tenant).fetch_all(&self.read).await?)
            })
        }

        fn privacy_budget<'a>(&'a self, tenant: &'a str, recipient: &'a str) -> $crate::StoreFuture<'a, Option<(f64, f64)>> {
            Box::pin(async move {
                Ok(sqlx::query_as("SELECT epsilon, delta FROM privacy_budgets WHERE tenant_id = $1 AND recipient = $2")
                    .bind(tenant)
                    .bind(recipient)
                    .fetch_optional(&self.read)
                    .await?)
            })
        }

        fn privacy_spent<'a>(&'a self, tenant: &'a str, recipient: &'a str) -> $crate::StoreFuture<'a, (f64, f64)> {
            Box::pin(async move {
                let spent: (Option<f64>, Option<f64>) =
                    sqlx::query_as("SELECT SUM(epsilon), SUM(delta) FROM stat_releases WHERE tenant_id = $1 AND recipient = $2")
                        .bind(tenant)
                        .bind(recipient)
                        .fetch_one(&self.read)
                        .await?;
                Ok((spent.0.unwrap_or(0.0), spent.1.unwrap_or(0.0)))
            })
        }

        fn set_privacy_budget<'a>(
            &'a self,
            tenant: &'a str,
            recipient: &'a str,
            budget: (f64, f64),
            at: i64,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                sqlx::query(
                    "INSERT INTO privacy_budgets (tenant_id, recipient, epsilon, delta, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (tenant_id, recipient) DO UPDATE SET epsilon = excluded.epsilon, delta = excluded.delta, \
                     updated_at = excluded.updated_at",
                )
                .bind(tenant)
                .bind(recipient)
                .bind(budget.0)
                .bind(budget.1)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn insert_release<'a>(
            &'a self,
            release: &'a $crate::StatReleaseRecord,
            default_budget: (f64, f64),
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
            Box::pin(async move {
                let r = release;
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &r.tenant_id).await?;
                let budget: Option<(f64, f64)> =
                    sqlx::query_as("SELECT epsilon, delta FROM privacy_budgets WHERE tenant_id = $1 AND recipient = $2")
                        .bind(&r.tenant_id)
                        .bind(&r.recipient)
                        .fetch_optional(&mut *tx)
                        .await?;
                let budget = budget.unwrap_or(default_budget);
                let spent: (Option<f64>, Option<f64>) =
                    sqlx::query_as("SELECT SUM(epsilon), SUM(delta) FROM stat_releases WHERE tenant_id = $1 AND recipient = $2")
                        .bind(&r.tenant_id)
                        .bind(&r.recipient)
                        .fetch_one(&mut *tx)
                        .await?;
                let spent = (spent.0.unwrap_or(0.0), spent.1.unwrap_or(0.0));
                // The same rule as `obereg_core::anonymity::fits_budget` (this crate does not
                // depend on the core): a hair of tolerance so spending exactly the budget in
                // several steps is allowed.
                if spent.0 + r.epsilon > budget.0 + 1e-9 || spent.1 + r.delta > budget.1 + 1e-15 {
                    return Ok(None);
                }
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO stat_releases ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    $crate::stats_sql::RELEASE_COLUMNS
                )))
                .bind(&r.tenant_id)
                .bind(&r.id)
                .bind(&r.recipient)
                .bind(&r.query)
                .bind(&r.guarantee)
                .bind(r.epsilon)
                .bind(r.delta)
                .bind(r.cells)
                .bind(r.suppressed)
                .bind(&r.sha256)
                .bind(r.created_at)
                .bind(&r.created_by)
                .execute(&mut *tx)
                .await?;
                let appended = Self::write_entries(&mut tx, &r.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn stat_releases<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::StatReleaseRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM stat_releases WHERE tenant_id = $1 ORDER BY created_at DESC, id LIMIT 1000",
                    $crate::stats_sql::RELEASE_COLUMNS
                )))
                .bind(tenant)
                .fetch_all(&self.read)
                .await?)
            })
        }
    };
}

pub(crate) use stats_methods;
