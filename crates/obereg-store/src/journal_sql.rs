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
                let mut named: Vec<(&str, i64)> = Vec::new();
                for d in drafts {
                    let index = frontier.size();
                    named.extend(d.subjects.iter().map(|s| (s.as_str(), index as i64)));
                    let body = d.seal(index, catalog_version).encode();
                    let leaf = obereg_journal::leaf_hash(&body);
                    for (subtree, hash) in frontier.push(leaf) {
                        if subtree.level > 0 && subtree.is_stored() {
                            nodes.push((subtree, hash));
                        }
                    }
                    entries.push((index as i64, leaf, body, d.subject.clone()));
                }
                for chunk in entries.chunks($crate::journal_sql::INSERT_CHUNK) {
                    let mut insert =
                        sqlx::QueryBuilder::<$db>::new("INSERT INTO journal_entries (tenant_id, idx, leaf_hash, body, subject_id) ");
                    insert.push_values(chunk, |mut row, (index, leaf, body, subject)| {
                        row.push_bind(tenant.to_owned())
                            .push_bind(*index)
                            .push_bind(leaf.0.to_vec())
                            .push_bind(body.clone())
                            .push_bind(subject.clone());
                    });
                    insert.build().execute(&mut **tx).await?;
                }
                // Entries naming several subjects are found by subject through this table
                // (migration 000015), written in the same transaction as the entries.
                for chunk in named.chunks($crate::journal_sql::INSERT_CHUNK) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO journal_subjects (tenant_id, subject_id, idx) ");
                    insert.push_values(chunk, |mut row, (subject, index)| {
                        row.push_bind(tenant.to_owned()).push_bind((*subject).to_owned()).push_bind(*index);
                    });
                    insert.build().execute(&mut **tx).await?;
                }
                for chunk in nodes.chunks($crate::journal_sql::INSERT_CHUNK) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO journal_nodes (tenant_id, level, idx, hash) ");
                    insert.push_values(chunk, |mut row, (subtree, hash)| {
                        row.push_bind(tenant.to_owned())
                            .push_bind(i64::from(subtree.level))
                            .push_bind(subtree.index as i64)
                            .push_bind(hash.0.to_vec());
                    });
                    insert.build().execute(&mut **tx).await?;
                }
                sqlx::query("UPDATE journal_heads SET size = $2, frontier = $3 WHERE tenant_id = $1")
                    .bind(tenant)
                    .bind(frontier.size() as i64)
                    .bind(frontier.to_bytes())
                    .execute(&mut **tx)
                    .await?;
                Ok($crate::Appended { first, size: frontier.size() })
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
