//! The vault's SQL, shared by both backends like `queries.rs`.
//!
//! The keystore tables are named `keystore.…`: on PostgreSQL that is a schema, on SQLite a
//! database file attached to every connection under that name, so one query text serves
//! both. Every write locks the tenant's journal head first (see `journal_sql.rs`), which
//! serialises a tenant's writers: a status read inside the transaction stays true until it
//! commits.
//!
//! Rows are keyed by the subject's private sequence number (`seq`), not its public random
//! id: a new subject's key and items then go at the end of their b-trees, and only the
//! narrow lookup tables (public id, blind indexes) take inserts at random places. `seq`
//! never leaves this crate (see the `…_vault_layout` migrations).

/// Columns of `subject_items`, in [`ItemRecord`](crate::ItemRecord) order.
pub(crate) const ITEM_COLUMNS: &str =
    "tenant_id, subject_id, id, kind, category, purposes, source, collected_at, occurred_at, blind, token, sealed";
/// Columns of `keystore.subject_keys`.
pub(crate) const KEY_COLUMNS: &str = "tenant_id, subject_id, dek_version, kek_version, wrapped, created_at";

/// Rows per multi-row INSERT, under SQLite's 32,766-parameter limit at thirteen columns.
pub(crate) const ITEM_CHUNK: usize = 2000;
/// Values per `IN (…)` list of blind indexes.
pub(crate) const BLIND_CHUNK: usize = 900;

/// A subject row with its sequence number and, when it has one, its key: one query
/// (a join into the keystore) instead of two, since every read of a subject needs both.
#[derive(sqlx::FromRow)]
pub(crate) struct Located {
    pub(crate) seq: i64,
    #[sqlx(flatten)]
    pub(crate) subject: crate::SubjectRecord,
    key_dek_version: Option<i64>,
    key_kek_version: Option<i64>,
    key_wrapped: Option<Vec<u8>>,
    key_created_at: Option<i64>,
}

/// The select list of [`Located`] over `subjects s LEFT JOIN keystore.subject_keys k`.
pub(crate) const LOCATED_COLUMNS: &str = "s.seq, s.tenant_id, s.id, s.kind, s.status, s.created_at, s.updated_at, s.restricted_at, \
     s.erased_at, k.dek_version AS key_dek_version, k.kek_version AS key_kek_version, k.wrapped AS key_wrapped, \
     k.created_at AS key_created_at";

impl Located {
    /// The sequence number, the subject and its key (`None` once erased).
    pub(crate) fn into_parts(self) -> (i64, crate::SubjectRecord, Option<crate::SubjectKeyRecord>) {
        let key = match (self.key_dek_version, self.key_kek_version, self.key_wrapped, self.key_created_at) {
            (Some(dek_version), Some(kek_version), Some(wrapped), Some(created_at)) => Some(crate::SubjectKeyRecord {
                tenant_id: self.subject.tenant_id.clone(),
                subject_id: self.subject.id.clone(),
                dek_version,
                kek_version,
                wrapped,
                created_at,
            }),
            _ => None,
        };
        (self.seq, self.subject, key)
    }
}

/// A subject row with its internal sequence number (see `ContactPage`).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct NumberedSubject {
    pub seq: i64,
    #[sqlx(flatten)]
    pub subject: crate::SubjectRecord,
}

macro_rules! vault_methods {
    ($db:ty) => {
        fn create_subjects<'a>(
            &'a self,
            tenant: &'a str,
            subjects: &'a [$crate::NewSubject],
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                Self::insert_subjects(&mut tx, tenant, subjects).await?;
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                // One stamp for the whole batch: contact indexes read what is new by number.
                // (Only subjects with searchable values concern them; those always journal
                // their collection.)
                if subjects.iter().any(|s| s.items.iter().any(|i| i.blind.is_some())) {
                    Self::note_change(&mut tx, tenant, "contacts", "new", appended).await?;
                }
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn create_visitor<'a>(
            &'a self,
            tenant: &'a str,
            secret_hash: &'a [u8],
            subject: &'a $crate::NewSubject,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, $crate::Appended> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                let seqs = Self::insert_subjects(&mut tx, tenant, std::slice::from_ref(subject)).await?;
                let seq = seqs.get(&subject.subject.id).copied().ok_or($crate::StoreError::Conflict("subject"))?;
                sqlx::query("INSERT INTO visitors (tenant_id, secret_hash, subject_seq, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(tenant)
                    .bind(secret_hash)
                    .bind(seq)
                    .bind(subject.subject.created_at)
                    .execute(&mut *tx)
                    .await?;
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn visitor<'a>(&'a self, tenant: &'a str, secret_hash: &'a [u8]) -> $crate::StoreFuture<'a, Option<String>> {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "SELECT s.id FROM visitors v CROSS JOIN subjects s \
                     WHERE s.seq = v.subject_seq AND s.status <> 'erased' AND v.tenant_id = $1 AND v.secret_hash = $2",
                )
                .bind(tenant)
                .bind(secret_hash)
                .fetch_optional(&self.read)
                .await?)
            })
        }

        fn subject<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::SubjectData>> {
            Box::pin(async move {
                let Some((seq, subject, key)) = self.locate(tenant, id).await? else { return Ok(None) };
                let items = if subject.status == "erased" {
                    Vec::new()
                } else {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {} FROM subject_items WHERE subject_seq = $1 ORDER BY collected_at, id",
                        $crate::vault_sql::ITEM_COLUMNS
                    )))
                    .bind(seq)
                    .fetch_all(&self.read)
                    .await?
                };
                Ok(Some($crate::SubjectData { subject, key, items }))
            })
        }

        fn subject_by_token<'a>(&'a self, tenant: &'a str, token: &'a str) -> $crate::StoreFuture<'a, Option<String>> {
            Box::pin(async move {
                Ok(sqlx::query_scalar("SELECT subject_id FROM subject_items WHERE tenant_id = $1 AND token = $2")
                    .bind(tenant)
                    .bind(token)
                    .fetch_optional(&self.read)
                    .await?)
            })
        }

        fn subject_head<'a>(
            &'a self,
            tenant: &'a str,
            id: &'a str,
        ) -> $crate::StoreFuture<'a, Option<($crate::SubjectRecord, Option<$crate::SubjectKeyRecord>)>> {
            Box::pin(async move { Ok(self.locate(tenant, id).await?.map(|(_, subject, key)| (subject, key))) })
        }

        fn find_subjects<'a>(
            &'a self,
            tenant: &'a str,
            category: &'a str,
            blinds: &'a [Vec<u8>],
        ) -> $crate::StoreFuture<'a, Vec<(Vec<u8>, $crate::SubjectRecord)>> {
            Box::pin(async move {
                let mut out = Vec::new();
                // In key order across chunks, so that together they walk the blind index once
                // (an import deduplicates tens of thousands of random blinds at a time).
                let mut sorted: Vec<&Vec<u8>> = blinds.iter().collect();
                sorted.sort_unstable();
                for chunk in sorted.chunks($crate::vault_sql::BLIND_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        // CROSS JOIN keeps SQLite on the blind index first (without statistics it
                        // would scan the tenant's subjects); (blind, subject) pairs are unique.
                        "SELECT b.blind, s.tenant_id, s.id, s.kind, s.status, s.created_at, s.updated_at, s.restricted_at, \
                         s.erased_at FROM subject_blinds b CROSS JOIN subjects s \
                         WHERE s.seq = b.subject_seq AND s.status <> 'erased' AND s.tenant_id = ",
                    );
                    q.push_bind(tenant.to_owned()).push(" AND b.category = ").push_bind(category.to_owned()).push(" AND b.blind IN (");
                    let mut list = q.separated(", ");
                    for b in chunk {
                        list.push_bind((*b).clone());
                    }
                    q.push(")");
                    let rows: Vec<(Vec<u8>, String, String, String, String, i64, i64, Option<i64>, Option<i64>)> =
                        q.build_query_as().fetch_all(&self.read).await?;
                    out.extend(rows.into_iter().map(
                        |(blind, tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at)| {
                            (blind, $crate::SubjectRecord { tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at })
                        },
                    ));
                }
                Ok(out)
            })
        }

        fn contact_rows<'a>(&'a self, tenant: &'a str, after: i64, limit: u32) -> $crate::StoreFuture<'a, $crate::ContactPage> {
            Box::pin(async move {
                let rows: Vec<$crate::vault_sql::NumberedSubject> = sqlx::query_as(
                    "SELECT seq, tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at FROM subjects \
                     WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                )
                .bind(tenant)
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?;
                self.with_blinds(rows).await
            })
        }

        fn contact_rows_of<'a>(&'a self, tenant: &'a str, ids: &'a [String]) -> $crate::StoreFuture<'a, $crate::ContactPage> {
            Box::pin(async move {
                let mut rows: Vec<$crate::vault_sql::NumberedSubject> = Vec::new();
                for chunk in ids.chunks($crate::vault_sql::BLIND_CHUNK) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT seq, tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at FROM subjects \
                         WHERE tenant_id = ",
                    );
                    q.push_bind(tenant.to_owned()).push(" AND id IN (");
                    let mut list = q.separated(", ");
                    for id in chunk {
                        list.push_bind(id.clone());
                    }
                    q.push(")");
                    rows.extend(q.build_query_as::<$crate::vault_sql::NumberedSubject>().fetch_all(&self.read).await?);
                }
                rows.sort_by_key(|r| r.seq);
                self.with_blinds(rows).await
            })
        }

        fn change_items<'a>(
            &'a self,
            change: &'a $crate::ItemChange,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
            Box::pin(async move {
                let tenant = change.tenant_id.as_str();
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                let seq: Option<i64> = sqlx::query_scalar(
                    "UPDATE subjects SET updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND status = $4 RETURNING seq",
                )
                .bind(tenant)
                .bind(&change.subject_id)
                .bind(change.at)
                .bind(change.expected_status)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(seq) = seq else { return Ok(None) };
                let inserts: Vec<(i64, &$crate::ItemRecord)> = change.insert.iter().map(|i| (seq, i)).collect();
                Self::insert_items(&mut tx, tenant, &inserts).await?;
                for item in &change.update {
                    let old: Option<Option<Vec<u8>>> =
                        sqlx::query_scalar("SELECT blind FROM subject_items WHERE subject_seq = $1 AND id = $2")
                            .bind(seq)
                            .bind(&item.id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    let old = old.ok_or($crate::StoreError::NotFound("item"))?;
                    sqlx::query("UPDATE subject_items SET sealed = $3, blind = $4, token = $5 WHERE subject_seq = $1 AND id = $2")
                        .bind(seq)
                        .bind(&item.id)
                        .bind(&item.sealed)
                        .bind(&item.blind)
                        .bind(&item.token)
                        .execute(&mut *tx)
                        .await?;
                    if let Some(old) = old.filter(|b| Some(b) != item.blind.as_ref()) {
                        Self::release_blind(&mut tx, seq, &old).await?;
                    }
                    if let Some(blind) = &item.blind {
                        Self::insert_blinds(&mut tx, &mut [(seq, blind.as_slice(), item.category.as_str())]).await?;
                    }
                }
                for id in &change.delete {
                    let gone: Option<Option<Vec<u8>>> =
                        sqlx::query_scalar("DELETE FROM subject_items WHERE subject_seq = $1 AND id = $2 RETURNING blind")
                            .bind(seq)
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if let Some(blind) = gone.ok_or($crate::StoreError::NotFound("item"))? {
                        Self::release_blind(&mut tx, seq, &blind).await?;
                    }
                }
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                // Searchable values may have changed: contact indexes re-read the subject.
                Self::note_change(&mut tx, tenant, "subject", &change.subject_id, appended).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn set_subject_status<'a>(
            &'a self,
            tenant: &'a str,
            id: &'a str,
            from: &'a str,
            to: &'a str,
            at: i64,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                let restricted_at = (to == "restricted").then_some(at);
                let n = sqlx::query(
                    "UPDATE subjects SET status = $3, updated_at = $4, restricted_at = $5 WHERE tenant_id = $1 AND id = $2 AND status = $6",
                )
                .bind(tenant)
                .bind(id)
                .bind(to)
                .bind(at)
                .bind(restricted_at)
                .bind(from)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(None);
                }
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                Self::note_change(&mut tx, tenant, "subject", id, appended).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn erase_subject<'a>(
            &'a self,
            tenant: &'a str,
            id: &'a str,
            at: i64,
            journal: &'a [obereg_journal::EntryDraft],
        ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let head = Self::lock_head(&mut tx, tenant).await?;
                let seq: Option<i64> = sqlx::query_scalar(
                    "UPDATE subjects SET status = 'erased', erased_at = $3, updated_at = $3 \
                     WHERE tenant_id = $1 AND id = $2 AND status <> 'erased' RETURNING seq",
                )
                .bind(tenant)
                .bind(id)
                .bind(at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(seq) = seq else { return Ok(None) };
                sqlx::query("DELETE FROM keystore.subject_keys WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                Self::note_change(&mut tx, tenant, "subject", id, appended).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn purge_erased(&self, limit: u32) -> $crate::StoreFuture<'_, u64> {
            Box::pin(async move {
                let due: Vec<i64> =
                    sqlx::query_scalar("SELECT seq FROM subjects WHERE status = 'erased' AND purged = 0 ORDER BY erased_at LIMIT $1")
                        .bind(i64::from(limit))
                        .fetch_all(&self.read)
                        .await?;
                for seq in &due {
                    let mut tx = self.write.begin().await?;
                    // A multi-file SQLite commit is atomic per file only: should a crash ever
                    // have left an erased subject's key behind, it goes here.
                    sqlx::query("DELETE FROM keystore.subject_keys WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                    sqlx::query(
                        "DELETE FROM subject_blinds WHERE subject_seq = $1 \
                         AND blind IN (SELECT blind FROM subject_items WHERE subject_seq = $1 AND blind IS NOT NULL)",
                    )
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM subject_items WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM consent_events WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM objections WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM retention_events WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                    sqlx::query("DELETE FROM notice_optouts WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                    // A notice still waiting for the subject is unreadable already (sealed
                    // under the key erasure destroyed); the row goes too.
                    sqlx::query(
                        "DELETE FROM outbox WHERE state = 'pending' AND (tenant_id, subject_id) IN \
                         (SELECT tenant_id, id FROM subjects WHERE seq = $1)",
                    )
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM visitors WHERE subject_seq = $1").bind(seq).execute(&mut *tx).await?;
                    sqlx::query("UPDATE subjects SET purged = 1 WHERE seq = $1").bind(seq).execute(&mut *tx).await?;
                    tx.commit().await?;
                }
                Ok(due.len() as u64)
            })
        }

        fn keystore_status(&self) -> $crate::StoreFuture<'_, $crate::KeystoreStatus> {
            Box::pin(async move {
                let current: i64 = sqlx::query_scalar("SELECT MAX(version) FROM keystore.kek_versions").fetch_one(&self.read).await?;
                let counts: Vec<(i64, i64)> =
                    sqlx::query_as("SELECT kek_version, COUNT(*) FROM keystore.subject_keys GROUP BY kek_version ORDER BY kek_version")
                        .fetch_all(&self.read)
                        .await?;
                Ok($crate::KeystoreStatus {
                    current_version: current,
                    keys_by_version: counts.into_iter().map(|(v, n)| (v, n as u64)).collect(),
                })
            })
        }

        fn current_kek_version(&self) -> $crate::StoreFuture<'_, i64> {
            Box::pin(async move { Ok(sqlx::query_scalar("SELECT MAX(version) FROM keystore.kek_versions").fetch_one(&self.read).await?) })
        }

        fn add_kek_version(&self, at: i64) -> $crate::StoreFuture<'_, i64> {
            Box::pin(async move {
                Ok(sqlx::query_scalar(
                    "INSERT INTO keystore.kek_versions (version, created_at) \
                     SELECT MAX(version) + 1, $1 FROM keystore.kek_versions RETURNING version",
                )
                .bind(at)
                .fetch_one(&self.write)
                .await?)
            })
        }

        fn keys_to_rewrap(&self, version: i64, after: Option<i64>, limit: u32) -> $crate::StoreFuture<'_, Vec<$crate::KeySlot>> {
            Box::pin(async move {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT subject_seq, {} FROM keystore.subject_keys WHERE kek_version < $1 AND subject_seq > $2 \
                     ORDER BY subject_seq LIMIT $3",
                    $crate::vault_sql::KEY_COLUMNS
                )))
                .bind(version)
                .bind(after.unwrap_or(i64::MIN))
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn rewrap_keys<'a>(&'a self, keys: &'a [$crate::KeySlot], old_versions: &'a [i64]) -> $crate::StoreFuture<'a, u64> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let mut replaced = 0;
                for (k, old) in keys.iter().zip(old_versions) {
                    replaced += sqlx::query(
                        "UPDATE keystore.subject_keys SET kek_version = $2, wrapped = $3 WHERE subject_seq = $1 AND kek_version = $4",
                    )
                    .bind(k.slot)
                    .bind(k.key.kek_version)
                    .bind(&k.key.wrapped)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(replaced)
            })
        }
    };
}

/// The vault's helper queries, as inherent functions of a backend.
macro_rules! vault_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            /// A subject's sequence number, row and key.
            async fn locate(
                &self,
                tenant: &str,
                id: &str,
            ) -> Result<Option<(i64, $crate::SubjectRecord, Option<$crate::SubjectKeyRecord>)>, $crate::StoreError> {
                let located: Option<$crate::vault_sql::Located> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM subjects s LEFT JOIN keystore.subject_keys k ON k.subject_seq = s.seq \
                     WHERE s.tenant_id = $1 AND s.id = $2",
                    $crate::vault_sql::LOCATED_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
                Ok(located.map($crate::vault_sql::Located::into_parts))
            }

            /// `subjects` (in sequence order) with the blind indexes of their searchable items:
            /// one range read of the items table (clustered by subject number) per chunk.
            async fn with_blinds(&self, subjects: Vec<$crate::vault_sql::NumberedSubject>) -> Result<$crate::ContactPage, $crate::StoreError> {
                let mut page = $crate::ContactPage { last: subjects.last().map(|s| s.seq), ..Default::default() };
                let mut ids: std::collections::HashMap<i64, usize> = std::collections::HashMap::with_capacity(subjects.len());
                for (at, s) in subjects.iter().enumerate() {
                    ids.insert(s.seq, at);
                }
                for chunk in subjects.chunks($crate::vault_sql::BLIND_CHUNK) {
                    let (Some(first), Some(last)) = (chunk.first(), chunk.last()) else { continue };
                    let rows: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
                        "SELECT subject_seq, category, blind FROM subject_items \
                         WHERE subject_seq >= $1 AND subject_seq <= $2 AND blind IS NOT NULL",
                    )
                    .bind(first.seq)
                    .bind(last.seq)
                    .fetch_all(&self.read)
                    .await?;
                    // The range may hold other tenants' subjects: only those asked for count.
                    for (seq, category, blind) in rows {
                        if let Some(&at) = ids.get(&seq) {
                            page.blinds.push((subjects[at].subject.id.clone(), category, blind));
                        }
                    }
                }
                page.subjects = subjects.into_iter().map(|s| s.subject).collect();
                Ok(page)
            }

            /// Inserts new subjects with their keys and items; returns each one's sequence number.
            /// Statements are built while the previous one runs (`insert_overlapped`).
            async fn insert_subjects(
                tx: &mut sqlx::Transaction<'static, $db>,
                tenant: &str,
                subjects: &[$crate::NewSubject],
            ) -> Result<std::collections::HashMap<String, i64>, $crate::StoreError> {
                let mut shared = $crate::bulk_sql::Shared::default();
                let tenant_text = shared.text(tenant);
                // In order of public id: the unique index on it is random by design, and a
                // batch inserted in key order visits each of its pages once (see
                // `insert_blinds`). Sequence numbers follow that order; they are internal.
                let mut sorted: Vec<&$crate::NewSubject> = subjects.iter().collect();
                sorted.sort_unstable_by(|a, b| a.subject.id.cmp(&b.subject.id));
                let per = $crate::vault_sql::ITEM_CHUNK / 2;
                let assigned: Vec<(String, i64)> = Self::fetch_overlapped(tx, &sorted, per, |chunk| {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO subjects (tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at) ",
                    );
                    insert.push_values(chunk, |mut row, n| {
                        let s = &n.subject;
                        row.push_bind(tenant_text.clone())
                            .push_bind(s.id.clone())
                            .push_bind(shared.text(&s.kind))
                            .push_bind(shared.text(&s.status))
                            .push_bind(s.created_at)
                            .push_bind(s.updated_at)
                            .push_bind(s.restricted_at)
                            .push_bind(s.erased_at);
                    });
                    insert.push(" ON CONFLICT DO NOTHING RETURNING id, seq");
                    insert
                })
                .await?;
                let seqs: std::collections::HashMap<String, i64> = assigned.into_iter().collect();
                if seqs.len() != subjects.len() {
                    return Err($crate::StoreError::Conflict("subject"));
                }
                let slotted = sorted
                    .iter()
                    .map(|n| seqs.get(&n.subject.id).map(|seq| (*seq, *n)).ok_or($crate::StoreError::Conflict("subject")))
                    .collect::<Result<Vec<_>, $crate::StoreError>>()?;
                Self::insert_overlapped(tx, &slotted, per, |chunk| {
                    let mut keys = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO keystore.subject_keys (subject_seq, tenant_id, subject_id, dek_version, kek_version, wrapped, created_at) ",
                    );
                    keys.push_values(chunk, |mut row, (seq, n)| {
                        let k = &n.key;
                        row.push_bind(*seq)
                            .push_bind(tenant_text.clone())
                            .push_bind(k.subject_id.clone())
                            .push_bind(k.dek_version)
                            .push_bind(k.kek_version)
                            .push_bind(k.wrapped.clone())
                            .push_bind(k.created_at);
                    });
                    keys
                })
                .await?;
                let items: Vec<(i64, &$crate::ItemRecord)> =
                    slotted.iter().flat_map(|(seq, n)| n.items.iter().map(move |i| (*seq, i))).collect();
                Self::insert_items(tx, tenant, &items).await?;
                Ok(seqs)
            }

            /// Inserts items, each with its subject's sequence number, and their blind indexes.
            async fn insert_items(
                tx: &mut sqlx::Transaction<'static, $db>,
                tenant: &str,
                items: &[(i64, &$crate::ItemRecord)],
            ) -> Result<(), $crate::StoreError> {
                let mut shared = $crate::bulk_sql::Shared::default();
                let tenant = shared.text(tenant);
                let inserted = Self::insert_overlapped(tx, items, $crate::vault_sql::ITEM_CHUNK, |chunk| {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO subject_items (subject_seq, id, tenant_id, subject_id, kind, category, purposes, source, ",
                        "collected_at, occurred_at, blind, token, sealed) "
                    ));
                    insert.push_values(chunk, |mut row, (seq, i)| {
                        row.push_bind(*seq)
                            .push_bind(i.id.clone())
                            .push_bind(tenant.clone())
                            .push_bind(i.subject_id.clone())
                            .push_bind(shared.text(&i.kind))
                            .push_bind(shared.text(&i.category))
                            .push_bind(shared.text(&i.purposes))
                            .push_bind(shared.text(&i.source))
                            .push_bind(i.collected_at)
                            .push_bind(i.occurred_at)
                            .push_bind(i.blind.clone())
                            .push_bind(i.token.clone())
                            .push_bind(i.sealed.clone());
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    insert
                })
                .await?;
                if inserted != items.len() as u64 {
                    return Err($crate::StoreError::Conflict("item"));
                }
                let mut blinds: Vec<(i64, &[u8], &str)> =
                    items.iter().filter_map(|(seq, i)| i.blind.as_deref().map(|b| (*seq, b, i.category.as_str()))).collect();
                Self::insert_blinds(tx, &mut blinds).await
            }

            /// Adds blind-index rows; one a subject has already is kept as it is.
            ///
            /// Rows go in in key order. Blind indexes are keyed HMACs, random by design; an
            /// import batch inserted in arrival order touches a random page of the index per
            /// row, and once the index outgrows the page cache the same pages are read,
            /// dirtied, spilled and read again many times per transaction. Sorted, the batch
            /// walks the index once from left to right.
            async fn insert_blinds(
                tx: &mut sqlx::Transaction<'static, $db>,
                blinds: &mut [(i64, &[u8], &str)],
            ) -> Result<(), $crate::StoreError> {
                blinds.sort_unstable_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
                let mut shared = $crate::bulk_sql::Shared::default();
                Self::insert_overlapped(tx, blinds, $crate::vault_sql::ITEM_CHUNK, |chunk| {
                    let mut insert = sqlx::QueryBuilder::<$db>::new("INSERT INTO subject_blinds (blind, subject_seq, category) ");
                    insert.push_values(chunk, |mut row, (seq, blind, category)| {
                        row.push_bind(blind.to_vec()).push_bind(*seq).push_bind(shared.text(category));
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    insert
                })
                .await?;
                Ok(())
            }

            /// Drops a subject's blind-index row once no item of the subject carries it.
            async fn release_blind(tx: &mut sqlx::Transaction<'static, $db>, seq: i64, blind: &[u8]) -> Result<(), $crate::StoreError> {
                sqlx::query(
                    "DELETE FROM subject_blinds WHERE blind = $1 AND subject_seq = $2 \
                     AND NOT EXISTS (SELECT 1 FROM subject_items WHERE subject_seq = $2 AND blind = $1)",
                )
                .bind(blind)
                .bind(seq)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }
        }
    };
}

pub(crate) use {vault_helpers, vault_methods};
