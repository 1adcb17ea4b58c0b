//! The vault's SQL, shared by both backends like `queries.rs`.
//!
//! The keystore tables are named `keystore.…`: on PostgreSQL that is a schema, on SQLite a
//! database file attached to every connection under that name, so one query text serves
//! both. Every write locks the tenant's journal head first (see `journal_sql.rs`), which
//! serialises a tenant's writers: a status read inside the transaction stays true until it
//! commits.

/// Columns of `subject_items`, in [`ItemRecord`](crate::ItemRecord) order.
pub(crate) const ITEM_COLUMNS: &str =
    "tenant_id, subject_id, id, kind, category, purposes, source, collected_at, occurred_at, blind, token, sealed";
/// Columns of `subjects`, in [`SubjectRecord`](crate::SubjectRecord) order.
pub(crate) const SUBJECT_COLUMNS: &str = "tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at";
/// Columns of `keystore.subject_keys`.
pub(crate) const KEY_COLUMNS: &str = "tenant_id, subject_id, dek_version, kek_version, wrapped, created_at";

/// Rows per multi-row INSERT, under SQLite's 32,766-parameter limit at twelve columns.
pub(crate) const ITEM_CHUNK: usize = 2000;

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
                for chunk in subjects.chunks($crate::vault_sql::ITEM_CHUNK / 2) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO subjects (tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at) ",
                    );
                    insert.push_values(chunk, |mut row, n| {
                        let s = &n.subject;
                        row.push_bind(tenant.to_owned())
                            .push_bind(s.id.clone())
                            .push_bind(s.kind.clone())
                            .push_bind(s.status.clone())
                            .push_bind(s.created_at)
                            .push_bind(s.updated_at)
                            .push_bind(s.restricted_at)
                            .push_bind(s.erased_at);
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    if insert.build().execute(&mut *tx).await?.rows_affected() != chunk.len() as u64 {
                        return Err($crate::StoreError::Conflict("subject"));
                    }
                    let mut keys = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO keystore.subject_keys (tenant_id, subject_id, dek_version, kek_version, wrapped, created_at) ",
                    );
                    keys.push_values(chunk, |mut row, n| {
                        let k = &n.key;
                        row.push_bind(tenant.to_owned())
                            .push_bind(k.subject_id.clone())
                            .push_bind(k.dek_version)
                            .push_bind(k.kek_version)
                            .push_bind(k.wrapped.clone())
                            .push_bind(k.created_at);
                    });
                    keys.build().execute(&mut *tx).await?;
                }
                let items: Vec<&$crate::ItemRecord> = subjects.iter().flat_map(|s| &s.items).collect();
                Self::insert_items(&mut tx, tenant, &items).await?;
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                tx.commit().await?;
                Ok(appended)
            })
        }

        fn subject<'a>(&'a self, tenant: &'a str, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::SubjectData>> {
            Box::pin(async move {
                let subject: Option<$crate::SubjectRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM subjects WHERE tenant_id = $1 AND id = $2",
                    $crate::vault_sql::SUBJECT_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
                let Some(subject) = subject else { return Ok(None) };
                let key = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM keystore.subject_keys WHERE tenant_id = $1 AND subject_id = $2",
                    $crate::vault_sql::KEY_COLUMNS
                )))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.read)
                .await?;
                let items = if subject.status == "erased" {
                    Vec::new()
                } else {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {} FROM subject_items WHERE tenant_id = $1 AND subject_id = $2 ORDER BY collected_at, id",
                        $crate::vault_sql::ITEM_COLUMNS
                    )))
                    .bind(tenant)
                    .bind(id)
                    .fetch_all(&self.read)
                    .await?
                };
                Ok(Some($crate::SubjectData { subject, key, items }))
            })
        }

        fn find_subjects<'a>(
            &'a self,
            tenant: &'a str,
            category: &'a str,
            blinds: &'a [Vec<u8>],
        ) -> $crate::StoreFuture<'a, Vec<(Vec<u8>, $crate::SubjectRecord)>> {
            Box::pin(async move {
                let mut out = Vec::new();
                for chunk in blinds.chunks(900) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "SELECT DISTINCT i.blind, s.tenant_id, s.id, s.kind, s.status, s.created_at, s.updated_at, s.restricted_at, \
                         s.erased_at FROM subject_items i JOIN subjects s ON s.tenant_id = i.tenant_id AND s.id = i.subject_id \
                         WHERE s.status <> 'erased' AND i.tenant_id = ",
                    );
                    q.push_bind(tenant.to_owned()).push(" AND i.category = ").push_bind(category.to_owned()).push(" AND i.blind IN (");
                    let mut list = q.separated(", ");
                    for b in chunk {
                        list.push_bind(b.clone());
                    }
                    q.push(")");
                    let rows: Vec<(Vec<u8>, String, String, String, String, i64, i64, Option<i64>, Option<i64>)> =
                        q.build_query_as().fetch_all(&self.read).await?;
                    out.extend(rows.into_iter().map(|(blind, tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at)| {
                        (blind, $crate::SubjectRecord { tenant_id, id, kind, status, created_at, updated_at, restricted_at, erased_at })
                    }));
                }
                Ok(out)
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
                let n = sqlx::query("UPDATE subjects SET updated_at = $3 WHERE tenant_id = $1 AND id = $2 AND status = $4")
                    .bind(tenant)
                    .bind(&change.subject_id)
                    .bind(change.at)
                    .bind(change.expected_status)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n != 1 {
                    return Ok(None);
                }
                let inserts: Vec<&$crate::ItemRecord> = change.insert.iter().collect();
                Self::insert_items(&mut tx, tenant, &inserts).await?;
                for item in &change.update {
                    let n = sqlx::query(
                        "UPDATE subject_items SET sealed = $4, blind = $5, token = $6 WHERE tenant_id = $1 AND subject_id = $2 AND id = $3",
                    )
                    .bind(tenant)
                    .bind(&change.subject_id)
                    .bind(&item.id)
                    .bind(&item.sealed)
                    .bind(&item.blind)
                    .bind(&item.token)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if n != 1 {
                        return Err($crate::StoreError::NotFound("item"));
                    }
                }
                for id in &change.delete {
                    let n = sqlx::query("DELETE FROM subject_items WHERE tenant_id = $1 AND subject_id = $2 AND id = $3")
                        .bind(tenant)
                        .bind(&change.subject_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n != 1 {
                        return Err($crate::StoreError::NotFound("item"));
                    }
                }
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
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
                let n = sqlx::query(
                    "UPDATE subjects SET status = 'erased', erased_at = $3, updated_at = $3 \
                     WHERE tenant_id = $1 AND id = $2 AND status <> 'erased'",
                )
                .bind(tenant)
                .bind(id)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n != 1 {
                    return Ok(None);
                }
                sqlx::query("DELETE FROM keystore.subject_keys WHERE tenant_id = $1 AND subject_id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                tx.commit().await?;
                Ok(Some(appended))
            })
        }

        fn purge_erased(&self, limit: u32) -> $crate::StoreFuture<'_, u64> {
            Box::pin(async move {
                let due: Vec<(String, String)> = sqlx::query_as(
                    "SELECT tenant_id, id FROM subjects WHERE status = 'erased' AND purged = 0 ORDER BY erased_at LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?;
                for (tenant, id) in &due {
                    let mut tx = self.write.begin().await?;
                    // A multi-file SQLite commit is atomic per file only: should a crash ever
                    // have left an erased subject's key behind, it goes here.
                    sqlx::query("DELETE FROM keystore.subject_keys WHERE tenant_id = $1 AND subject_id = $2")
                        .bind(tenant)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM subject_items WHERE tenant_id = $1 AND subject_id = $2")
                        .bind(tenant)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("UPDATE subjects SET purged = 1 WHERE tenant_id = $1 AND id = $2").bind(tenant).bind(id).execute(&mut *tx).await?;
                    tx.commit().await?;
                }
                Ok(due.len() as u64)
            })
        }

        fn keystore_status(&self) -> $crate::StoreFuture<'_, $crate::KeystoreStatus> {
            Box::pin(async move {
                let current: i64 = sqlx::query_scalar("SELECT MAX(version) FROM keystore.kek_versions").fetch_one(&self.read).await?;
                let counts: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT kek_version, COUNT(*) FROM keystore.subject_keys GROUP BY kek_version ORDER BY kek_version",
                )
                .fetch_all(&self.read)
                .await?;
                Ok($crate::KeystoreStatus {
                    current_version: current,
                    keys_by_version: counts.into_iter().map(|(v, n)| (v, n as u64)).collect(),
                })
            })
        }

        fn current_kek_version(&self) -> $crate::StoreFuture<'_, i64> {
            Box::pin(async move {
                Ok(sqlx::query_scalar("SELECT MAX(version) FROM keystore.kek_versions").fetch_one(&self.read).await?)
            })
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

        fn keys_to_rewrap<'a>(
            &'a self,
            version: i64,
            after: Option<(&'a str, &'a str)>,
            limit: u32,
        ) -> $crate::StoreFuture<'a, Vec<$crate::SubjectKeyRecord>> {
            Box::pin(async move {
                let (t, s) = after.unwrap_or(("", ""));
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM keystore.subject_keys WHERE kek_version < $1 AND (tenant_id > $2 OR (tenant_id = $2 AND subject_id > $3)) \
                     ORDER BY tenant_id, subject_id LIMIT $4",
                    $crate::vault_sql::KEY_COLUMNS
                )))
                .bind(version)
                .bind(t)
                .bind(s)
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?)
            })
        }

        fn rewrap_keys<'a>(&'a self, keys: &'a [$crate::SubjectKeyRecord], old_versions: &'a [i64]) -> $crate::StoreFuture<'a, u64> {
            Box::pin(async move {
                let mut tx = self.write.begin().await?;
                let mut replaced = 0;
                for (k, old) in keys.iter().zip(old_versions) {
                    replaced += sqlx::query(
                        "UPDATE keystore.subject_keys SET kek_version = $3, wrapped = $4 \
                         WHERE tenant_id = $1 AND subject_id = $2 AND kek_version = $5",
                    )
                    .bind(&k.tenant_id)
                    .bind(&k.subject_id)
                    .bind(k.kek_version)
                    .bind(&k.wrapped)
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
            async fn insert_items(
                tx: &mut sqlx::Transaction<'static, $db>,
                tenant: &str,
                items: &[&$crate::ItemRecord],
            ) -> Result<(), $crate::StoreError> {
                for chunk in items.chunks($crate::vault_sql::ITEM_CHUNK) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO subject_items (tenant_id, subject_id, id, kind, category, purposes, source, collected_at, ",
                        "occurred_at, blind, token, sealed) "
                    ));
                    insert.push_values(chunk, |mut row, i| {
                        row.push_bind(tenant.to_owned())
                            .push_bind(i.subject_id.clone())
                            .push_bind(i.id.clone())
                            .push_bind(i.kind.clone())
                            .push_bind(i.category.clone())
                            .push_bind(i.purposes.clone())
                            .push_bind(i.source.clone())
                            .push_bind(i.collected_at)
                            .push_bind(i.occurred_at)
                            .push_bind(i.blind.clone())
                            .push_bind(i.token.clone())
                            .push_bind(i.sealed.clone());
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    if insert.build().execute(&mut **tx).await?.rows_affected() != chunk.len() as u64 {
                        return Err($crate::StoreError::Conflict("item"));
                    }
                }
                Ok(())
            }
        }
    };
}

pub(crate) use {vault_helpers, vault_methods};
