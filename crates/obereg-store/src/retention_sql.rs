//! Retention's records and SQL (migration 000009), shared by both backends like
//! `queries.rs`: the events retention periods run from, sweeps, and destruction acts.
//!
//! A sweep works in batches of subjects in sequence order. Each batch is one transaction:
//! the items destroyed or narrowed, the subjects restricted or crypto-shredded, their
//! journal entries, the batch's destruction act (bound to those entries by their index
//! range) and the sweep's progress. A crash between batches loses nothing and repeats
//! nothing: the sweep resumes after the last committed batch.

/// Metadata of a stored value or record: what retention needs, nothing sealed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ItemMeta {
    pub subject_seq: i64,
    pub id: String,
    pub kind: String,
    pub category: String,
    /// Purpose ids, comma-separated.
    pub purposes: String,
    pub collected_at: i64,
    pub occurred_at: Option<i64>,
}

/// A subject (not erased) with the metadata of its items, as a sweep reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionSubject {
    pub seq: i64,
    pub id: String,
    pub status: String,
    /// Moves with every change to the subject's items: a sweep erases the subject only if it
    /// has not moved since the sweep read it.
    pub updated_at: i64,
    pub items: Vec<ItemMeta>,
}

/// A sweep and its progress.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SweepRecord {
    pub tenant_id: String,
    pub id: String,
    pub started_at: i64,
    pub as_of: i64,
    pub finished_at: Option<i64>,
    /// The last subject sequence number done.
    pub cursor_seq: i64,
    pub subjects_seen: i64,
    pub values_destroyed: i64,
    pub values_narrowed: i64,
    pub subjects_erased: i64,
    pub subjects_restricted: i64,
    pub acts: i64,
}

/// A destruction act (RKN Order 179). `first_idx..end_idx` are the journal entries of the
/// destruction, filled in by the store when it appends them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActRecord {
    pub tenant_id: String,
    pub id: String,
    pub created_at: i64,
    /// `sweep`, `request` or `staff`.
    pub origin: String,
    pub origin_id: String,
    pub subjects: i64,
    pub first_idx: i64,
    pub end_idx: i64,
    /// The act as JSON, without personal data.
    pub body: String,
    /// The subjects' names, sealed under the tenant's act key.
    pub sealed: Option<Vec<u8>>,
    pub keep_until: i64,
}

/// What one sweep batch changes, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct RetentionBatch {
    pub tenant_id: String,
    pub at: i64,
    /// Items to destroy: `(subject seq, item id)`.
    pub delete: Vec<(i64, String)>,
    /// Items whose purposes shrink: `(subject seq, item id, remaining purposes)`.
    pub narrow: Vec<(i64, String, String)>,
    /// Subjects to restrict (only legal duties hold their data now): `(seq, id)`.
    pub restrict: Vec<(i64, String)>,
    /// Subjects to crypto-shred (nothing holds any of their data): `(seq, id, updated_at
    /// as read)`. A subject changed since is a conflict: the batch rolls back.
    pub erase: Vec<(i64, String, i64)>,
    /// The act of this batch's destructions.
    pub act: Option<ActRecord>,
    /// The sweep to advance, with the counts to add.
    pub progress: Option<SweepRecord>,
}

/// A document generated from the catalog, one row per distinct text.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GeneratedDocumentRecord {
    pub tenant_id: String,
    pub kind: String,
    pub lang: String,
    /// Hex SHA-256 of the Markdown text.
    pub sha256: String,
    pub catalog_version: i64,
    /// When this text was first generated.
    pub created_at: i64,
    pub markdown: String,
    pub html: String,
}

/// Columns of `generated_documents`, in [`GeneratedDocumentRecord`] order.
pub(crate) const DOCUMENT_COLUMNS: &str = "tenant_id, kind, lang, sha256, catalog_version, created_at, markdown, html";

/// Columns of `sweeps`, in [`SweepRecord`] order.
pub(crate) const SWEEP_COLUMNS: &str = "tenant_id, id, started_at, as_of, finished_at, cursor_seq, subjects_seen, values_destroyed, \
     values_narrowed, subjects_erased, subjects_restricted, acts";
/// Columns of `destruction_acts`, in [`ActRecord`] order.
pub(crate) const ACT_COLUMNS: &str = "tenant_id, id, created_at, origin, origin_id, subjects, first_idx, end_idx, body, sealed, keep_until";

macro_rules! retention_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Stores `act` at the journal range `appended`.
            async fn insert_act_at(
                tx: &mut sqlx::Transaction<'static, $db>,
                act: &$crate::ActRecord,
                appended: $crate::Appended,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "INSERT INTO destruction_acts (tenant_id, id, created_at, origin, origin_id, subjects, first_idx, end_idx, body, \
                     sealed, keep_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&act.tenant_id)
                .bind(&act.id)
                .bind(act.created_at)
                .bind(&act.origin)
                .bind(&act.origin_id)
                .bind(act.subjects)
                .bind(appended.first as i64)
                .bind(appended.size as i64)
                .bind(&act.body)
                .bind(&act.sealed)
                .bind(act.keep_until)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Deletes one item and releases its blind index; tells whether it had one.
            async fn delete_item(tx: &mut sqlx::Transaction<'static, $db>, seq: i64, id: &str) -> Result<bool, $crate::StoreError> {
                let gone: Option<Option<Vec<u8>>> =
                    sqlx::query_scalar("DELETE FROM subject_items WHERE subject_seq = $1 AND id = $2 RETURNING blind")
                        .bind(seq)
                        .bind(id)
                        .fetch_optional(&mut **tx)
                        .await?;
                match gone {
                    None => Err($crate::StoreError::Conflict("item")),
                    Some(Some(blind)) => Self::release_blind(tx, seq, &blind).await.map(|()| true),
                    Some(None) => Ok(false),
                }
            }
        }
    };
}

macro_rules! retention_methods {
    ($db:ty) => {
        fn record_retention_event<'a>(
            &'a self,
            tenant: &'a str,
            subject: &'a str,
            purpose: &'a str,
            trigger: &'a str,
            at: i64,
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
                sqlx::query(
                    "INSERT INTO retention_events (tenant_id, subject_seq, purpose, trigger_kind, at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (subject_seq, purpose, trigger_kind) DO UPDATE SET at = excluded.at",
                )
                .bind(tenant)
                .bind(seq)
                .bind(purpose)
                .bind(trigger)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn count_live_subjects<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, i64> {
            Box::pin(async move {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM subjects WHERE tenant_id = $1 AND status <> 'erased'")
                    .bind(tenant)
                    .fetch_one(&self.read)
                    .await?)
            })
        }

        fn subject_seq<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<i64>> {
            Box::pin(async move {
                Ok(sqlx::query_scalar("SELECT seq FROM subjects WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.read)
                    .await?)
            })
        }

        fn retention_events_many<'a>(
            &'a self,
            tenant: &'a str,
            seqs: &'a [i64],
        ) -> $crate::StoreFuture<'a, Vec<(i64, String, String, i64)>> {
            Box::pin(async move {
                let mut out = Vec::new();
                for chunk in seqs.chunks($crate::vault_sql::BLIND_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT subject_seq, purpose, trigger_kind, at FROM retention_events WHERE tenant_id = ",
                    );
                    q.push_bind(tenant.to_owned()).push(" AND subject_seq IN (");
                    let mut list = q.separated(", ");
                    for seq in chunk {
                        list.push_bind(*seq);
                    }
                    q.push(")");
                    out.extend(q.build_query_as::<(i64, String, String, i64)>().fetch_all(&self.read).await?);
                }
                Ok(out)
            })
        }

        fn subject_categories<'a>(&'a self, seq: i64) -> $crate::StoreFuture<'a, Vec<String>> {
            Box::pin(async move {
                // A skip scan over `subject_items_by_category`: each step seeks the next
                // category after the last one found, so the cost follows the number of
                // categories (a handful), not the number of items (possibly thousands).
                Ok(sqlx::query_scalar(
                    "WITH RECURSIVE found(category) AS ( \
                       SELECT MIN(category) FROM subject_items WHERE subject_seq = $1 \
                       UNION ALL \
                       SELECT (SELECT MIN(i.category) FROM subject_items i WHERE i.subject_seq = $1 AND i.category > found.category) \
                       FROM found WHERE found.category IS NOT NULL) \
                     SELECT category FROM found WHERE category IS NOT NULL ORDER BY category",
                )
                .bind(seq)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn retention_page<'a>(
            &'a self,
            tenant: &'a str,
            after: i64,
            limit: u32,
        ) -> $crate::StoreFuture<'a, Vec<$crate::RetentionSubject>> {
            Box::pin(async move {
                let subjects: Vec<(i64, String, String, i64)> = sqlx::query_as(
                    "SELECT seq, id, status, updated_at FROM subjects WHERE tenant_id = $1 AND seq > $2 AND status <> 'erased' \
                     ORDER BY seq LIMIT $3",
                )
                .bind(tenant)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?;
                let (Some(first), Some(last)) = (subjects.first(), subjects.last()) else { return Ok(Vec::new()) };
                // One range scan of the items table's primary key (subject_seq, id).
                let items: Vec<$crate::ItemMeta> = sqlx::query_as(
                    "SELECT subject_seq, id, kind, category, purposes, collected_at, occurred_at FROM subject_items \
                     WHERE subject_seq >= $1 AND subject_seq <= $2 ORDER BY subject_seq",
                )
                .bind(first.0)
                .bind(last.0)
                .fetch_all(&self.read)
                .await?;
                let mut by_seq: std::collections::HashMap<i64, Vec<$crate::ItemMeta>> = std::collections::HashMap::new();
                for item in items {
                    by_seq.entry(item.subject_seq).or_default().push(item);
                }
                Ok(subjects
                    .into_iter()
                    .map(|(seq, id, status, updated_at)| $crate::RetentionSubject {
                        seq,
                        id,
                        status,
                        updated_at,
                        items: by_seq.remove(&seq).unwrap_or_default(),
                    })
                    .collect())
            })
        }

        fn sealed_items_of<'a>(
            &'a self,
            tenant: &'a str,
            seqs: &'a [i64],
            category: &'a str,
        ) -> $crate::StoreFuture<'a, Vec<($crate::ItemRecord, $crate::SubjectKeyRecord)>> {
            Box::pin(async move {
                let mut out = Vec::new();
                for chunk in seqs.chunks($crate::vault_sql::BLIND_CHUNK) {
                    // The wanted items are found through `subject_items_by_category` first and
                    // only they are read whole: a subject with 10,000 call records and one name
                    // costs one row, not 10,000 (asked plainly, SQLite walks the primary key).
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT i.tenant_id, i.subject_id, i.id, i.kind, i.category, i.purposes, i.source, i.collected_at, \
                         i.occurred_at, i.blind, i.token, i.sealed, k.dek_version, k.kek_version, k.wrapped, k.created_at AS key_created_at \
                         FROM (SELECT subject_seq, id FROM subject_items WHERE category = ",
                    );
                    q.push_bind(category.to_owned()).push(" AND subject_seq IN (");
                    let mut list = q.separated(", ");
                    for seq in chunk {
                        list.push_bind(*seq);
                    }
                    q.push(
                        ")) wanted JOIN subject_items i ON i.subject_seq = wanted.subject_seq AND i.id = wanted.id \
                         JOIN keystore.subject_keys k ON k.subject_seq = i.subject_seq WHERE i.tenant_id = ",
                    )
                    .push_bind(tenant.to_owned());
                    for row in q.build().fetch_all(&self.read).await? {
                        use sqlx::Row;
                        let item = <$crate::ItemRecord as sqlx::FromRow<_>>::from_row(&row)?;
                        let key = $crate::SubjectKeyRecord {
                            tenant_id: item.tenant_id.clone(),
                            subject_id: item.subject_id.clone(),
                            dek_version: row.try_get("dek_version")?,
                            kek_version: row.try_get("kek_version")?,
                            wrapped: row.try_get("wrapped")?,
                            created_at: row.try_get("key_created_at")?,
                        };
                        out.push((item, key));
                    }
                }
                Ok(out)
            })
        }

        fn apply_retention<'a>(
            &'a self,
            batch: &'a $crate::RetentionBatch,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let tenant = batch.tenant_id.as_str();
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                let mut unsearchable = std::collections::BTreeSet::new();
                for (seq, id) in &batch.delete {
                    if Self::delete_item(&mut tx, *seq, id).await? {
                        unsearchable.insert(*seq);
                    }
                }
                for (seq, id, purposes) in &batch.narrow {
                    sqlx::query("UPDATE subject_items SET purposes = $3 WHERE subject_seq = $1 AND id = $2")
                        .bind(seq)
                        .bind(id)
                        .bind(purposes)
                        .execute(&mut *tx)
                        .await?;
                }
                for (seq, _) in &batch.restrict {
                    let n = sqlx::query(
                        "UPDATE subjects SET status = 'restricted', restricted_at = $2, updated_at = $2 WHERE seq = $1 AND status = 'active'",
                    )
                    .bind(seq)
                    .bind(batch.at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n != 1 {
                        return Err($crate::StoreError::Conflict("subject"));
                    }
                }
                for (seq, _, updated_at) in &batch.erase {
                    let n = sqlx::query(
                        "UPDATE subjects SET status = 'erased', erased_at = $2, updated_at = $2 \
                         WHERE seq = $1 AND status <> 'erased' AND updated_at = $3",
                    )
                    .bind(seq)
                    .bind(batch.at)
                    .bind(updated_at)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n != 1 {
                        return Err($crate::StoreError::Conflict("subject"));
                    }
                    sqlx::query("DELETE FROM keystore.subject_keys WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                }
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                for id in batch.restrict.iter().map(|(_, id)| id).chain(batch.erase.iter().map(|(_, id, _)| id)) {
                    Self::note_change(&mut tx, tenant, "subject", id, appended).await?;
                }
                // Subjects that lost a searchable value: contact indexes re-read them.
                for seq in unsearchable {
                    let id: String = sqlx::query_scalar("SELECT id FROM subjects WHERE seq = $1").bind(seq).fetch_one(&mut *tx).await?;
                    Self::note_change(&mut tx, tenant, "subject", &id, appended).await?;
                }
                if let Some(act) = &batch.act {
                    Self::insert_act_at(&mut tx, act, appended).await?;
                }
                if let Some(p) = &batch.progress {
                    sqlx::query(
                        "UPDATE sweeps SET cursor_seq = $3, subjects_seen = subjects_seen + $4, values_destroyed = values_destroyed + $5, \
                         values_narrowed = values_narrowed + $6, subjects_erased = subjects_erased + $7, \
                         subjects_restricted = subjects_restricted + $8, acts = acts + $9 WHERE tenant_id = $1 AND id = $2",
                    )
                    .bind(&p.tenant_id)
                    .bind(&p.id)
                    .bind(p.cursor_seq)
                    .bind(p.subjects_seen)
                    .bind(p.values_destroyed)
                    .bind(p.values_narrowed)
                    .bind(p.subjects_erased)
                    .bind(p.subjects_restricted)
                    .bind(p.acts)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn insert_act<'a>(
            &'a self,
            act: &'a $crate::ActRecord,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, &act.tenant_id).await?;
                let appended = Self::write_entries(&mut tx, &act.tenant_id, head, journal).await?;
                Self::insert_act_at(&mut tx, act, appended).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn insert_sweep<'a>(&'a self, sweep: &'a $crate::SweepRecord) -> $crate::StoreFuture<'a, ()> {
            Box::pin(async move {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO sweeps ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    $crate::retention_sql::SWEEP_COLUMNS
                )))
                .bind(&sweep.tenant_id)
                .bind(&sweep.id)
                .bind(sweep.started_at)
                .bind(sweep.as_of)
                .bind(sweep.finished_at)
                .bind(sweep.cursor_seq)
                .bind(sweep.subjects_seen)
                .bind(sweep.values_destroyed)
                .bind(sweep.values_narrowed)
                .bind(sweep.subjects_erased)
                .bind(sweep.subjects_restricted)
                .bind(sweep.acts)
                    .execute(&self.write)
                    .await?;
                Ok(())
            })
        }

        fn sweeps<'a>(&'a self, tenant: &'a str, unfinished_only: bool, limit: u32) -> $crate::StoreFuture<'a, Vec<$crate::SweepRecord>> {
            Box::pin(async move {
                let only = if unfinished_only { " AND finished_at IS NULL" } else { "" };
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM sweeps WHERE tenant_id = $1{only} ORDER BY started_at DESC, id LIMIT $2",
                    $crate::retention_sql::SWEEP_COLUMNS
                )))
                .bind(tenant)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn finish_sweep<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64) -> $crate::StoreFuture<'a, ()> {
            Box::pin(async move {
                sqlx::query("UPDATE sweeps SET finished_at = $3 WHERE tenant_id = $1 AND id = $2 AND finished_at IS NULL")
                    .bind(tenant)
                    .bind(id)
                    .bind(at)
                    .execute(&self.write)
                    .await?;
                Ok(())
            })
        }

        fn acts<'a>(&'a self, tenant: &'a str, before: Option<i64>, limit: u32) -> $crate::StoreFuture<'a, Vec<$crate::ActRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM destruction_acts WHERE tenant_id = $1 AND created_at < $2 ORDER BY created_at DESC, id LIMIT $3",
                    $crate::retention_sql::ACT_COLUMNS
                )))
                .bind(tenant)
                .bind(before.unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn act<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::ActRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM destruction_acts WHERE tenant_id = $1 AND id = $2",
                    $crate::retention_sql::ACT_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn save_document<'a>(
            &'a self,
            doc: &'a $crate::GeneratedDocumentRecord,
        ) -> $crate::StoreFuture<'a, $crate::GeneratedDocumentRecord> {
            Box::pin(async move {
                // Most calls (every public read of the policy) find the text kept already:
                // answered by a reader, without taking the single writer.
                if let Some(kept) = self.document_text(&doc.tenant_id, &doc.kind, &doc.lang, &doc.sha256).await? {
                    return Ok(kept);
                }
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO generated_documents ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (tenant_id, kind, lang, sha256) DO NOTHING",
                    $crate::retention_sql::DOCUMENT_COLUMNS
                )))
                .bind(&doc.tenant_id)
                .bind(&doc.kind)
                .bind(&doc.lang)
                .bind(&doc.sha256)
                .bind(doc.catalog_version)
                .bind(doc.created_at)
                .bind(&doc.markdown)
                .bind(&doc.html)
                .execute(&self.write)
                .await?;
                // Committed now (by this insert or a concurrent one): a reader sees it.
                self.document_text(&doc.tenant_id, &doc.kind, &doc.lang, &doc.sha256).await?.ok_or($crate::StoreError::Conflict("document"))
            })
        }

        fn document_versions<'a>(
            &'a self,
            tenant: &'a str,
            kind: &'a str,
            lang: &'a str,
        ) -> $crate::StoreFuture<'a, Vec<$crate::GeneratedDocumentRecord>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM generated_documents WHERE tenant_id = $1 AND kind = $2 AND lang = $3 ORDER BY created_at DESC, sha256",
                    $crate::retention_sql::DOCUMENT_COLUMNS
                )))
                .bind(tenant)
                .bind(kind)
                .bind(lang)
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn purge_acts(&self, before: i64) -> $crate::StoreFuture<'_, u64> {
            Box::pin(async move {
                Ok(sqlx::query("DELETE FROM destruction_acts WHERE keep_until < $1").bind(before).execute(&self.write).await?.rows_affected())
            })
        }
    };
}

pub(crate) use {retention_helpers, retention_methods};
