//! Policy publications' records and SQL (migration 000010), shared by both backends like
//! `queries.rs`: published policy versions, the notices they queue, and the subjects who
//! asked for no more such notices.
//!
//! Queuing a publication's notices walks the tenant's subjects in sequence order, a batch
//! at a time, like a retention sweep. Each batch is one transaction: its outbox messages,
//! their journal entries and the publication's new cursor, written only if the cursor is
//! still where the batch read it. Two workers racing on the same publication therefore
//! cannot queue a notice twice, and a crash resumes after the last committed batch.

/// A published policy version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublicationRecord {
    pub tenant_id: String,
    /// `P-…`.
    pub id: String,
    /// 1, 2, … per tenant, in publication order.
    pub seq: i64,
    pub catalog_version: i64,
    /// Hashes of the Russian and English texts (rows of `generated_documents`).
    pub sha_ru: String,
    pub sha_en: String,
    pub published_at: i64,
    /// The token (or `operator`) that published it.
    pub published_by: String,
    /// Moscow calendar date, `YYYY-MM-DD`.
    pub effective_on: String,
    /// JSON list of the material changes since the publication before it.
    pub changes: String,
    /// Consents in force flagged for re-consent, counted as the notices are queued.
    pub reconsent: i64,
    /// Whether subjects are notified.
    pub notify: bool,
    pub cursor_seq: i64,
    pub notices_queued: i64,
    pub notices_skipped: i64,
    /// When every subject was walked: notices queued, re-consents counted.
    pub notified_at: Option<i64>,
}

/// One batch of a publication's notices.
#[derive(Debug, Clone)]
pub struct NoticeBatch {
    pub tenant_id: String,
    pub publication_id: String,
    /// The cursor the batch was read after; the batch applies only if it is still there.
    pub from_cursor: i64,
    pub to_cursor: i64,
    pub queued: i64,
    pub skipped: i64,
    /// Consents in force of the batch's subjects flagged for re-consent.
    pub reconsent: i64,
    pub outbox: Vec<crate::OutboxRecord>,
    /// Set on the last batch.
    pub finished_at: Option<i64>,
}

pub(crate) const PUBLICATION_COLUMNS: &str = "tenant_id, id, seq, catalog_version, sha_ru, sha_en, published_at, published_by, \
     effective_on, changes, reconsent, notify, cursor_seq, notices_queued, notices_skipped, notified_at";

macro_rules! publication_methods {
    ($db:ty) => {
        fn insert_publication<'a>(
            &'a self,
            p: &'a $crate::PublicationRecord,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &p.tenant_id).await?;
                // Under the journal head's lock, so two publications cannot take one number.
                let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM policy_publications WHERE tenant_id = $1")
                    .bind(&p.tenant_id)
                    .fetch_one(&mut *tx)
                    .await?;
                if last.unwrap_or(0) + 1 != p.seq {
                    return Err($crate::StoreError::Conflict("publication"));
                }
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO policy_publications ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    $crate::publication_sql::PUBLICATION_COLUMNS
                )))
                .bind(&p.tenant_id)
                .bind(&p.id)
                .bind(p.seq)
                .bind(p.catalog_version)
                .bind(&p.sha_ru)
                .bind(&p.sha_en)
                .bind(p.published_at)
                .bind(&p.published_by)
                .bind(&p.effective_on)
                .bind(&p.changes)
                .bind(p.reconsent)
                .bind(p.notify)
                .bind(p.cursor_seq)
                .bind(p.notices_queued)
                .bind(p.notices_skipped)
                .bind(p.notified_at)
                .execute(&mut *tx)
                .await?;
                let appended = Self::write_entries(&mut tx, &p.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn publications<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::PublicationRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM policy_publications WHERE tenant_id = $1 ORDER BY seq DESC",
                    $crate::publication_sql::PUBLICATION_COLUMNS
                )))
                .bind(tenant)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn publications_to_notify(&self) -> $crate::StoreFuture<'_, Vec<$crate::PublicationRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM policy_publications WHERE notified_at IS NULL ORDER BY published_at, tenant_id, seq",
                    $crate::publication_sql::PUBLICATION_COLUMNS
                )))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn queue_notices<'a>(
            &'a self,
            batch: &'a $crate::NoticeBatch,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &batch.tenant_id).await?;
                let moved = sqlx::query(
                    "UPDATE policy_publications SET cursor_seq = $4, notices_queued = notices_queued + $5, \
                     notices_skipped = notices_skipped + $6, notified_at = $7, reconsent = reconsent + $8 \
                     WHERE tenant_id = $1 AND id = $2 AND cursor_seq = $3 AND notified_at IS NULL",
                )
                .bind(&batch.tenant_id)
                .bind(&batch.publication_id)
                .bind(batch.from_cursor)
                .bind(batch.to_cursor)
                .bind(batch.queued)
                .bind(batch.skipped)
                .bind(batch.finished_at)
                .bind(batch.reconsent)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved == 0 {
                    return Err($crate::StoreError::Conflict("publication progress"));
                }
                Self::insert_outbox(&mut tx, &batch.outbox).await?;
                let appended = Self::write_entries(&mut tx, &batch.tenant_id, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn opt_out_notices<'a>(
            &'a self,
            tenant: &'a str,
            subject: &'a str,
            topic: &'a str,
            at: i64,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<bool>> {
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
                    "INSERT INTO notice_optouts (subject_seq, topic, tenant_id, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(seq)
                .bind(topic)
                .bind(tenant)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    return Ok(Some(false));
                }
                Self::write_entries(&mut tx, tenant, head, journal).await?;
                tx.commit().await?;
                Ok(Some(true))
            })
        }

        fn notice_optouts_many<'a>(&'a self, tenant: &'a str, seqs: &'a [i64], topic: &'a str) -> $crate::StoreFuture<'a, Vec<i64>> {
            Box::pin(async move {
                let mut out = Vec::new();
                for chunk in seqs.chunks($crate::vault_sql::BLIND_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("SELECT subject_seq FROM notice_optouts WHERE tenant_id = ");
                    q.push_bind(tenant.to_owned()).push(" AND topic = ").push_bind(topic.to_owned()).push(" AND subject_seq IN (");
                    let mut list = q.separated(", ");
                    for seq in chunk {
                        list.push_bind(*seq);
                    }
                    q.push(")");
                    out.extend(q.build_query_scalar::<i64>().fetch_all(&self.read).await?);
                }
                Ok(out)
            })
        }

        fn document_text<'a>(
            &'a self,
            tenant: &'a str,
            kind: &'a str,
            lang: &'a str,
            sha256: &'a str,
        ) -> $crate::StoreFuture<'a, Option<$crate::GeneratedDocumentRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM generated_documents WHERE tenant_id = $1 AND kind = $2 AND lang = $3 AND sha256 = $4",
                    $crate::retention_sql::DOCUMENT_COLUMNS
                )))
                .bind(tenant)
                .bind(kind)
                .bind(lang)
                .bind(sha256)
                .fetch_optional(&self.read)
                .await?)
            })
        }
    };
}

pub(crate) use publication_methods;
