//! Incidents' records and SQL (migration 000012), shared by both backends like
//! `publication_sql.rs`: the incident with its facts, the notices sent, the subjects found
//! affected.
//!
//! Every change of an incident is written with its journal entries in one transaction and
//! only if the incident is still at the version the caller read (`version`), so two people
//! editing one incident at once get a conflict instead of a lost update.

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentRecord {
    pub tenant_id: String,
    /// `I-…`.
    pub id: String,
    /// `suspected`, `confirmed`, `dismissed`, `closed`.
    pub status: String,
    /// Whether the GDPR notice is owed.
    pub gdpr: bool,
    pub detected_at: i64,
    /// JSON of `obereg_core::incident::IncidentFacts`.
    pub facts: String,
    pub created_at: i64,
    /// The token or account id (or `operator`) that recorded it.
    pub created_by: String,
    pub updated_at: i64,
    pub version: i64,
    pub dismissed_at: Option<i64>,
    pub dismissed_reason: Option<String>,
    pub closed_at: Option<i64>,
    /// Notice kinds whose reminder went out, comma-separated.
    pub reminded: String,
}

/// A notice as it was sent.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentNoticeRecord {
    pub tenant_id: String,
    pub incident_id: String,
    pub kind: String,
    pub sent_at: i64,
    pub recorded_at: i64,
    pub recorded_by: String,
    pub title: String,
    pub body: String,
    pub sha256: String,
}

pub(crate) const INCIDENT_COLUMNS: &str = "tenant_id, id, status, gdpr, detected_at, facts, created_at, created_by, updated_at, version, \
     dismissed_at, dismissed_reason, closed_at, reminded";
pub(crate) const NOTICE_COLUMNS: &str = "tenant_id, incident_id, kind, sent_at, recorded_at, recorded_by, title, body, sha256";

/// Most incidents one listing returns.
pub const MAX_LISTED_INCIDENTS: u32 = 1000;

/// Binds an incident's fourteen columns, in `INCIDENT_COLUMNS` order, to `$query`.
macro_rules! bind_incident {
    ($query:expr, $i:expr) => {
        $query
            .bind(&$i.tenant_id)
            .bind(&$i.id)
            .bind(&$i.status)
            .bind($i.gdpr)
            .bind($i.detected_at)
            .bind(&$i.facts)
            .bind($i.created_at)
            .bind(&$i.created_by)
            .bind($i.updated_at)
            .bind($i.version)
            .bind($i.dismissed_at)
            .bind(&$i.dismissed_reason)
            .bind($i.closed_at)
            .bind(&$i.reminded)
    };
}

pub(crate) use bind_incident;

macro_rules! incident_methods {
    ($db:ty) => {
        fn insert_incident<'a>(
            &'a self,
            incident: &'a $crate::IncidentRecord,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &incident.tenant_id).await?;
                let i = incident;
                let inserted = $crate::incident_sql::bind_incident!(
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO incidents ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT DO NOTHING",
                        $crate::incident_sql::INCIDENT_COLUMNS
                    ))),
                    i
                )
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Err($crate::StoreError::Conflict("incident id"));
                }
                let appended = Self::write_entries(&mut tx, &i.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn update_incident<'a>(
            &'a self,
            incident: &'a $crate::IncidentRecord,
            version_read: i64,
            notice: Option<&'a $crate::IncidentNoticeRecord>,
            affected: Option<&'a [String]>,
            outbox: &'a [$crate::OutboxRecord],
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let i = incident;
                let head = Self::lock_head(&mut tx, &i.tenant_id).await?;
                // The same fourteen values in the same order as the insert; created_at and
                // created_by ($7, $8) never change, so the SET leaves them out.
                let changed = $crate::incident_sql::bind_incident!(
                    sqlx::query(
                        "UPDATE incidents SET status = $3, gdpr = $4, detected_at = $5, facts = $6, updated_at = $9, version = $10, \
                         dismissed_at = $11, dismissed_reason = $12, closed_at = $13, reminded = $14 \
                         WHERE tenant_id = $1 AND id = $2 AND version = $15 AND created_at = $7 AND created_by = $8",
                    ),
                    i
                )
                .bind(version_read)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed == 0 {
                    return Err($crate::StoreError::Conflict("incident (changed since it was read)"));
                }
                if let Some(n) = notice {
                    let stored = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO incident_notices ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                        $crate::incident_sql::NOTICE_COLUMNS
                    )))
                    .bind(&n.tenant_id)
                    .bind(&n.incident_id)
                    .bind(&n.kind)
                    .bind(n.sent_at)
                    .bind(n.recorded_at)
                    .bind(&n.recorded_by)
                    .bind(&n.title)
                    .bind(&n.body)
                    .bind(&n.sha256)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if stored == 0 {
                        return Err($crate::StoreError::Conflict("incident notice (already recorded)"));
                    }
                }
                if let Some(subjects) = affected {
                    sqlx::query("DELETE FROM incident_subjects WHERE tenant_id = $1 AND incident_id = $2")
                        .bind(&i.tenant_id)
                        .bind(&i.id)
                        .execute(&mut *tx)
                        .await?;
                    for subject in subjects {
                        sqlx::query("INSERT INTO incident_subjects (tenant_id, incident_id, subject_id) VALUES ($1, $2, $3)")
                            .bind(&i.tenant_id)
                            .bind(&i.id)
                            .bind(subject)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Self::insert_outbox(&mut tx, outbox).await?;
                let appended = Self::write_entries(&mut tx, &i.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn incident<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::IncidentRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM incidents WHERE tenant_id = $1 AND id = $2",
                    $crate::incident_sql::INCIDENT_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn incidents<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::IncidentRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM incidents WHERE tenant_id = $1 ORDER BY detected_at DESC, id LIMIT $2",
                    $crate::incident_sql::INCIDENT_COLUMNS
                )))
                .bind(tenant)
                .bind(i64::from($crate::incident_sql::MAX_LISTED_INCIDENTS))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn open_incidents(&self) -> $crate::StoreFuture<'_, Vec<$crate::IncidentRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM incidents WHERE status IN ('suspected', 'confirmed') ORDER BY tenant_id, detected_at",
                    $crate::incident_sql::INCIDENT_COLUMNS
                )))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn incident_notices<'a>(
            &'a self,
            tenant: &'a str,
            incident: &'a str,
        ) -> $crate::StoreFuture<'a, Vec<$crate::IncidentNoticeRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM incident_notices WHERE tenant_id = $1 AND incident_id = $2 ORDER BY sent_at, kind",
                    $crate::incident_sql::NOTICE_COLUMNS
                )))
                .bind(tenant)
                .bind(incident)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn subject_seqs<'a>(&'a self, tenant: &'a str, ids: &'a [String]) -> $crate::StoreFuture<'a, Vec<i64>> {
            Box::pin(async move {
                let mut seqs = Vec::with_capacity(ids.len());
                // One statement per id keeps the SQL the same on both backends; this runs for
                // notices to an incident's subjects, not on a hot path.
                for id in ids {
                    let seq: Option<i64> =
                        sqlx::query_scalar("SELECT seq FROM subjects WHERE tenant_id = $1 AND id = $2 AND status <> 'erased'")
                            .bind(tenant)
                            .bind(id)
                            .fetch_optional(&self.read)
                            .await?;
                    seqs.extend(seq);
                }
                Ok(seqs)
            })
        }

        fn incident_subjects<'a>(&'a self, tenant: &'a str, incident: &'a str) -> $crate::StoreFuture<'a, Vec<String>> {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "SELECT subject_id FROM incident_subjects WHERE tenant_id = $1 AND incident_id = $2 ORDER BY subject_id",
                )
                .bind(tenant)
                .bind(incident)
                .fetch_all(&self.read)
                .await?)
            })
        }
    };
}

pub(crate) use incident_methods;
