//! Consent documents and events, shared by both backends like `vault_sql.rs`.
//!
//! Events are appended at the number the caller replayed the history up to; the primary
//! key `(subject_seq, idx)` turns a concurrent append into a conflict instead of a second
//! event validated against a stale history.

/// Columns of `consent_documents`, in [`ConsentDocumentRecord`](crate::ConsentDocumentRecord) order.
pub(crate) const DOCUMENT_COLUMNS: &str = "tenant_id, sha256, purposes, written, catalog_version, body_ru, body_en, created_at";
/// Columns of `consent_events`, in [`ConsentEventRecord`](crate::ConsentEventRecord) order.
pub(crate) const EVENT_COLUMNS: &str =
    "idx, tenant_id, purpose, channel, cookie, action, at, method, document, valid_until, by_representative, evidence";

macro_rules! consent_methods {
    ($db:ty) => {
        fn put_consent_document<'a>(
            &'a self,
            document: &'a $crate::ConsentDocumentRecord,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
            Box::pin(async move {
                let tenant = document.tenant_id.as_str();
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                let stored = sqlx::query(
                    "INSERT INTO consent_documents (tenant_id, sha256, purposes, written, catalog_version, body_ru, body_en, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                )
                .bind(tenant)
                .bind(&document.sha256)
                .bind(&document.purposes)
                .bind(document.written)
                .bind(document.catalog_version)
                .bind(&document.body_ru)
                .bind(&document.body_en)
                .bind(document.created_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if stored == 0 {
                    return Ok(None);
                }
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn consent_document<'a>(
            &'a self,
            tenant: &'a str,
            sha256: &'a str,
        ) -> $crate::StoreFuture<'a, Option<$crate::ConsentDocumentRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM consent_documents WHERE tenant_id = $1 AND sha256 = $2",
                    $crate::consent_sql::DOCUMENT_COLUMNS
                )))
                .bind(tenant)
                .bind(sha256)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn consent_documents<'a>(&'a self, tenant: &'a str, limit: u32) -> $crate::StoreFuture<'a, Vec<$crate::ConsentDocumentRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM consent_documents WHERE tenant_id = $1 ORDER BY created_at DESC, sha256 LIMIT $2",
                    $crate::consent_sql::DOCUMENT_COLUMNS
                )))
                .bind(tenant)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn append_consent_event<'a>(
            &'a self,
            tenant: &'a str,
            subject: &'a str,
            event: &'a $crate::ConsentEventRecord,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                let seq: Option<i64> =
                    sqlx::query_scalar("SELECT seq FROM subjects WHERE tenant_id = $1 AND id = $2 AND status <> 'erased'")
                        .bind(tenant)
                        .bind(subject)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(seq) = seq else { return Ok(None) };
                let inserted = sqlx::query(
                    "INSERT INTO consent_events (subject_seq, idx, tenant_id, purpose, channel, cookie, action, at, method, document, \
                     valid_until, by_representative, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(seq)
                .bind(event.idx)
                .bind(tenant)
                .bind(&event.purpose)
                .bind(&event.channel)
                .bind(&event.cookie)
                .bind(&event.action)
                .bind(event.at)
                .bind(&event.method)
                .bind(&event.document)
                .bind(event.valid_until)
                .bind(event.by_representative)
                .bind(&event.evidence)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Err($crate::StoreError::Conflict("consent event"));
                }
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                Self::note_change(&mut tx, tenant, "subject", subject, appended).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn consent_events<'a>(&'a self, tenant: &'a str, subject: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::ConsentEventRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM consent_events WHERE subject_seq = \
                     (SELECT seq FROM subjects WHERE tenant_id = $1 AND id = $2 AND status <> 'erased') ORDER BY idx",
                    $crate::consent_sql::EVENT_COLUMNS
                )))
                .bind(tenant)
                .bind(subject)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn consent_events_many<'a>(
            &'a self,
            tenant: &'a str,
            subjects: &'a [String],
        ) -> $crate::StoreFuture<'a, Vec<(String, $crate::ConsentEventRecord)>> {
            Box::pin(async move {
                let mut out = Vec::new();
                for chunk in subjects.chunks($crate::vault_sql::BLIND_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        // CROSS JOIN: subjects by id first, then each one's events by key.
                        "SELECT s.id, e.idx, e.tenant_id, e.purpose, e.channel, e.cookie, e.action, e.at, e.method, e.document, \
                         e.valid_until, e.by_representative, e.evidence FROM subjects s CROSS JOIN consent_events e \
                         WHERE e.subject_seq = s.seq AND s.status <> 'erased' AND s.tenant_id = ",
                    );
                    q.push_bind(tenant.to_owned()).push(" AND s.id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id.clone());
                    }
                    q.push(") ORDER BY s.id, e.idx");
                    let rows: Vec<$crate::records::SubjectConsentRow> = q.build_query_as().fetch_all(&self.read).await?;
                    out.extend(rows.into_iter().map(|r| (r.subject_id.clone(), r.into())));
                }
                Ok(out)
            })
        }

        fn last_change<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, i64> {
            Box::pin(async move {
                let last: Option<i64> = sqlx::query_scalar("SELECT MAX(idx) FROM fact_changes WHERE tenant_id = $1")
                    .bind(tenant)
                    .fetch_one(&self.read)
                    .await?;
                Ok(last.unwrap_or(-1))
            })
        }

        fn changes_since<'a>(&'a self, tenant: &'a str, after: i64, limit: u32) -> $crate::StoreFuture<'a, $crate::ChangeFeed> {
            Box::pin(async move {
                // One round trip: the catalog hash in force rides on every row, and on a
                // single row of its own when nothing changed.
                let rows: Vec<(Option<i64>, Option<String>, Option<String>, Option<String>)> = sqlx::query_as(
                    "SELECT c.idx, c.kind, c.key, v.sha256 FROM (SELECT 1 AS one) AS o \
                     LEFT JOIN (SELECT idx, kind, key FROM fact_changes WHERE tenant_id = $1 AND idx > $2 ORDER BY idx LIMIT $3) AS c ON 1 = 1 \
                     LEFT JOIN (SELECT sha256 FROM catalog_versions WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1) AS v ON 1 = 1",
                )
                .bind(tenant)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?;
                let catalog_sha = rows.first().and_then(|r| r.3.clone());
                let mut changes: Vec<$crate::ChangeRecord> = rows
                    .into_iter()
                    .filter_map(|(idx, kind, key, _)| Some($crate::ChangeRecord { idx: idx?, kind: kind?, key: key? }))
                    .collect();
                changes.sort_unstable_by_key(|c| c.idx);
                Ok($crate::ChangeFeed { catalog_sha, complete: changes.len() < limit as usize, changes })
            })
        }
    };
}

pub(crate) use consent_methods;
