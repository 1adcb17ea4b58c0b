//! The journal's SQL, shared by both backends like `queries.rs`.
//!
//! Appending is two steps inside the caller's transaction: [`lock_head`] takes the tenant's
//! head row with a no-op `UPDATE … RETURNING` (a row lock on PostgreSQL, the write lock on
//! SQLite), so concurrent appends of one tenant queue there and every index is assigned
//! exactly once; then the change is written; then [`write_entries`] seals the drafts at the
//! next indexes, stores leaves and completed stored-level subtrees, and moves the head. A
//! change and its entries commit or roll back together.

/// Rows per multi-row INSERT, under SQLite's 32,766-parameter limit at five columns.
pub(crate) const INSERT_CHUNK: usize = 1000;

/// `journal_entries.subject_id` of an entry naming several subjects (no subject id looks
/// like it): such entries wait in `journal_entries_by_subject` for `index_subjects`.
pub(crate) const SEVERAL: &str = "*";

/// A tenant's journal head, locked for the transaction: the frontier to append to and the
/// catalog version in force, which every entry is stamped with.
#[derive(Debug)]
pub(crate) struct LockedHead {
    pub frontier: obereg_journal::Frontier,
    pub catalog_version: Option<i64>,
}

macro_rules! journal_sql {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Locks the tenant's journal head for this transaction and returns its frontier,
            /// with the catalog version in force read in the same statement (one round trip
            /// fewer per write; a write that adds a catalog version updates it).
            async fn lock_head(
                tx: &mut sqlx::Transaction<'static, $db>,
                tenant: &str,
            ) -> Result<$crate::journal_sql::LockedHead, $crate::StoreError> {
                let head: Option<(i64, Vec<u8>, Option<i64>)> = sqlx::query_as(
                    "UPDATE journal_heads SET size = size WHERE tenant_id = $1 \
                     RETURNING size, frontier, (SELECT MAX(version) FROM catalog_versions WHERE tenant_id = $1)",
                )
                .bind(tenant)
                .fetch_optional(&mut **tx)
                .await?;
                let (size, frontier, catalog_version) = head.ok_or($crate::StoreError::NotFound("journal"))?;
                let frontier = obereg_journal::Frontier::from_bytes(size as u64, &frontier)
                    .map_err(|_| $crate::StoreError::Corrupt("journal head"))?;
                Ok($crate::journal_sql::LockedHead { frontier, catalog_version })
            }

            /// Seals `drafts` at the next indexes and stores them with their hashes.
            async fn write_entries(
                tx: &mut sqlx::Transaction<'static, $db>,
                tenant: &str,
                head: $crate::journal_sql::LockedHead,
                drafts: &[obereg_journal::EntryDraft],
            ) -> Result<$crate::Appended, $crate::StoreError> {
                let $crate::journal_sql::LockedHead { mut frontier, catalog_version } = head;
                let first = frontier.size();
                if drafts.is_empty() {
                    return Ok($crate::Appended { first, size: first });
                }
                for d in drafts {
                    d.validate().map_err($crate::StoreError::InvalidJournalEntry)?;
                    if d.tenant != tenant {
                        return Err($crate::StoreError::InvalidJournalEntry(obereg_journal::InvalidDraft("tenant")));
                    }
                }
                let mut entries = Vec::with_capacity(drafts.len());
                let mut nodes = Vec::new();
                for d in drafts {
                    let index = frontier.size();
                    let body = d.seal(index, catalog_version).encode();
                    let leaf = obereg_journal::leaf_hash(&body);
                    for (subtree, hash) in frontier.push(leaf) {
                        if subtree.level > 0 && subtree.is_stored() {
                            nodes.push((subtree, hash));
                        }
                    }
                    // An entry naming several subjects is marked for the by-subject index,
                    // which `index_subjects` fills behind the appends.
                    let subject = match &d.subject {
                        None if !d.subjects.is_empty() => Some($crate::journal_sql::SEVERAL.to_owned()),
                        one => one.clone(),
                    };
                    entries.push((index as i64, leaf, body, subject));
                }
                let tenant_text: std::sync::Arc<str> = std::sync::Arc::from(tenant);
                Self::insert_overlapped(tx, &entries, $crate::journal_sql::INSERT_CHUNK, |chunk| {
                    let mut insert =
                        sqlx::QueryBuilder::<$db>::new("INSERT INTO journal_entries (tenant_id, idx, leaf_hash, body, subject_id) ");
                    insert.push_values(chunk, |mut row, (index, leaf, body, subject)| {
                        row.push_bind(tenant_text.clone())
                            .push_bind(*index)
                            .push_bind(leaf.0.to_vec())
                            .push_bind(body.clone())
                            .push_bind(subject.clone());
                    });
                    insert
                })
                .await?;
                Self::insert_overlapped(tx, &nodes, $crate::journal_sql::INSERT_CHUNK, |chunk| {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO journal_nodes (tenant_id, level, idx, hash) ");
                    insert.push_values(chunk, |mut row, (subtree, hash)| {
                        row.push_bind(tenant_text.clone())
                            .push_bind(i64::from(subtree.level))
                            .push_bind(subtree.index as i64)
                            .push_bind(hash.0.to_vec());
                    });
                    insert
                })
                .await?;
                sqlx::query("UPDATE journal_heads SET size = $2, frontier = $3 WHERE tenant_id = $1")
                    .bind(tenant)
                    .bind(frontier.size() as i64)
                    .bind(frontier.to_bytes())
                    .execute(&mut **tx)
                    .await?;
                Ok($crate::Appended { first, size: frontier.size() })
            }

            /// Fills `journal_subjects` (migration 000015) for the entries naming several
            /// subjects appended since the tenant's mark, sorted by subject, and moves the mark;
            /// returns the rows written. Idempotent, and serialised per tenant on the mark's
            /// row. Appends take the journal head lock and commit in index order, so every
            /// entry below the highest one read here is committed and read: the mark never
            /// passes one it has not indexed.
            async fn index_subjects(&self, tenant: &str) -> Result<u64, $crate::StoreError> {
                // Most reads find nothing to index: ask the readers before taking the writer.
                let pending: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM journal_entries WHERE tenant_id = $1 AND subject_id = $2 \
                     AND idx >= COALESCE((SELECT upto FROM journal_subject_marks WHERE tenant_id = $1), 0))",
                )
                .bind(tenant)
                .bind($crate::journal_sql::SEVERAL)
                .fetch_one(&self.read)
                .await?;
                if !pending {
                    return Ok(0);
                }
                let mut tx = self.write.begin().await?;
                sqlx::query("INSERT INTO journal_subject_marks (tenant_id, upto) VALUES ($1, 0) ON CONFLICT (tenant_id) DO NOTHING")
                    .bind(tenant)
                    .execute(&mut *tx)
                    .await?;
                let mut upto: i64 = sqlx::query_scalar("UPDATE journal_subject_marks SET upto = upto WHERE tenant_id = $1 RETURNING upto")
                    .bind(tenant)
                    .fetch_one(&mut *tx)
                    .await?;
                let start = upto;
                let mut rows: Vec<(String, i64)> = Vec::new();
                loop {
                    let page: Vec<(i64, Vec<u8>)> = sqlx::query_as(
                        "SELECT idx, body FROM journal_entries WHERE tenant_id = $1 AND subject_id = $2 AND idx >= $3 ORDER BY idx LIMIT $4",
                    )
                    .bind(tenant)
                    .bind($crate::journal_sql::SEVERAL)
                    .bind(upto)
                    .bind($crate::journal_sql::INSERT_CHUNK as i64)
                    .fetch_all(&mut *tx)
                    .await?;
                    for (idx, body) in &page {
                        let entry = obereg_journal::Entry::decode(body).map_err(|_| $crate::StoreError::Corrupt("journal entry"))?;
                        rows.extend(entry.subjects.into_iter().map(|s| (s, *idx)));
                        upto = idx + 1;
                    }
                    if page.len() < $crate::journal_sql::INSERT_CHUNK {
                        break;
                    }
                }
                if upto == start {
                    return Ok(0);
                }
                // Sorted, so one pass over the index touches each of its pages once.
                rows.sort_unstable();
                let tenant_text: std::sync::Arc<str> = std::sync::Arc::from(tenant);
                Self::insert_overlapped(&mut tx, &rows, $crate::journal_sql::INSERT_CHUNK, |chunk| {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO journal_subjects (tenant_id, subject_id, idx) ");
                    insert.push_values(chunk, |mut row, (subject, index)| {
                        row.push_bind(tenant_text.clone()).push_bind(subject.clone()).push_bind(*index);
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    insert
                })
                .await?;
                sqlx::query("UPDATE journal_subject_marks SET upto = $2 WHERE tenant_id = $1").bind(tenant).bind(upto).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(rows.len() as u64)
            }

            /// Records in the change feed (migration 000006) that `key` of `kind` changed in
            /// this transaction, stamped with the index of the transaction's first journal
            /// entry. Called after [`write_entries`], under the same head lock, so stamps
            /// follow commit order. A change must journal something: a stamp borrowed from
            /// the next transaction's entry could hide a change from a reader.
            async fn note_change(
                tx: &mut sqlx::Transaction<'static, $db>,
                tenant: &str,
                kind: &str,
                key: &str,
                appended: $crate::Appended,
            ) -> Result<(), $crate::StoreError> {
                if appended.size == appended.first {
                    return Err($crate::StoreError::InvalidJournalEntry(obereg_journal::InvalidDraft("change without journal entry")));
                }
                sqlx::query(
                    "INSERT INTO fact_changes (tenant_id, kind, key, idx) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (tenant_id, kind, key) DO UPDATE SET idx = excluded.idx",
                )
                .bind(tenant)
                .bind(kind)
                .bind(key)
                .bind(appended.first as i64)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            /// Stored subtree hashes for `ranges`, in one query: a `UNION ALL` of one indexed
            /// range scan per run (an `OR` of ranges makes SQLite scan the tenant's rows).
            async fn fetch_hashes(
                pool: &sqlx::Pool<$db>,
                tenant: &str,
                ranges: &[obereg_journal::StoredRange],
            ) -> Result<Vec<(obereg_journal::Subtree, obereg_journal::Hash)>, $crate::StoreError> {
                let mut runs: Vec<(u8, u64, u64)> = ranges.iter().map(|r| (r.level, r.first, r.first + r.count - 1)).collect();
                runs.sort_unstable();
                runs.dedup();
                if runs.is_empty() {
                    return Ok(Vec::new());
                }
                let mut query = sqlx::QueryBuilder::<$db>::new("");
                for (i, (level, first, last)) in runs.iter().enumerate() {
                    if i > 0 {
                        query.push(" UNION ALL ");
                    }
                    if *level == 0 {
                        query.push("SELECT CAST(0 AS BIGINT) AS level, idx, leaf_hash AS hash FROM journal_entries WHERE tenant_id = ");
                        query.push_bind(tenant.to_owned());
                    } else {
                        query.push("SELECT level, idx, hash FROM journal_nodes WHERE tenant_id = ");
                        query.push_bind(tenant.to_owned());
                        query.push(" AND level = ").push_bind(i64::from(*level));
                    }
                    query.push(" AND idx BETWEEN ").push_bind(*first as i64).push(" AND ").push_bind(*last as i64);
                }
                let rows: Vec<$crate::JournalNodeRecord> = query.build_query_as().fetch_all(pool).await?;
                rows.into_iter()
                    .map(|r| {
                        let hash = obereg_journal::Hash::from_slice(&r.hash).ok_or($crate::StoreError::Corrupt("journal hash"))?;
                        Ok((obereg_journal::Subtree { level: r.level as u8, index: r.idx as u64 }, hash))
                    })
                    .collect()
            }
        }
    };
}

pub(crate) use journal_sql;
