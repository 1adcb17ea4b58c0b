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
    };
}

pub(crate) use consent_methods;
