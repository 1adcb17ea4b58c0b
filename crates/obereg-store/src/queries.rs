//! The queries both backends share, written once.
//!
//! `shared_queries!` expands to the [`Store`](crate::Store) implementation of a backend type
//! that has `write` and `read` pools. SQLite gets a single-connection writer and a read-only
//! reader pool; PostgreSQL uses one pool for both. Only SQL that runs unchanged on SQLite
//! 3.51 and PostgreSQL 15 belongs here.

macro_rules! shared_queries {
    ($store:ty, $pool:ty, $db:ty, $backend:expr) => {
        $crate::bulk_sql::bulk_helpers!($store, $db);
        $crate::journal_sql::journal_sql!($store, $db);
        $crate::vault_sql::vault_helpers!($store, $db);
        $crate::requests_sql::request_helpers!($store, $db);
        $crate::retention_sql::retention_helpers!($store, $db);

        impl $store {
            /// The newest migration applied to the database, `None` for a fresh database.
            async fn applied_schema_version(pool: &$pool) -> Option<i64> {
                // A missing table (fresh database) is an error here; treat it as "none applied"
                // and let the migrator report anything else.
                sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(pool)
                    .await
                    .ok()
                    .flatten()
            }
        }

        impl $crate::Store for $store {
            $crate::vault_sql::vault_methods!($db);
            $crate::consent_sql::consent_methods!($db);
            $crate::requests_sql::request_methods!($db);
            $crate::retention_sql::retention_methods!($db);
            $crate::publication_sql::publication_methods!($db);
            $crate::web_sql::web_methods!($db);
            $crate::incident_sql::incident_methods!($db);
            $crate::stats_sql::stats_methods!($db);

            fn backend(&self) -> $crate::Backend {
                $backend
            }

            fn commit_mark(&self) -> Option<$crate::CommitMark> {
                self.read_commit_mark()
            }

            fn settle_bulk_load(&self) -> $crate::StoreFuture<'_, ()> {
                Box::pin(async move {
                    sqlx::query(Self::SETTLE_BULK_LOAD).execute(&self.write).await?;
                    Ok(())
                })
            }

            fn ping(&self) -> $crate::StoreFuture<'_, ()> {
                Box::pin(async move {
                    sqlx::query("SELECT 1").execute(&self.read).await?;
                    Ok(())
                })
            }

            fn create_tenant<'a>(
                &'a self,
                tenant: &'a $crate::TenantRecord,
                catalog: Option<&'a $crate::NewCatalogVersion>,
                admin: &'a $crate::TokenRecord,
                journal: &'a [obereg_journal::EntryDraft],
            ) -> $crate::StoreFuture<'a, $crate::Appended> {
                Box::pin(async move {
                    let mut tx = self.write.begin().await?;
                    let inserted =
                        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING")
                            .bind(&tenant.id)
                            .bind(&tenant.name)
                            .bind(tenant.created_at)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                    if inserted == 0 {
                        return Err($crate::StoreError::Conflict("tenant"));
                    }
                    sqlx::query("INSERT INTO journal_heads (tenant_id, size, frontier) VALUES ($1, 0, $2)")
                        .bind(&tenant.id)
                        .bind(Vec::<u8>::new())
                        .execute(&mut *tx)
                        .await?;
                    let mut head = Self::lock_head(&mut tx, &tenant.id).await?;
                    if let Some(c) = catalog {
                        head.catalog_version = Some(1);
                        sqlx::query(
                            "INSERT INTO catalog_versions (tenant_id, version, sha256, source, created_at, created_by) \
                             VALUES ($1, 1, $2, $3, $4, $5)",
                        )
                        .bind(&tenant.id)
                        .bind(&c.sha256)
                        .bind(&c.source)
                        .bind(c.created_at)
                        .bind(&c.created_by)
                        .execute(&mut *tx)
                        .await?;
                    }
                    insert_token!(admin, &mut *tx);
                    let appended = Self::write_entries(&mut tx, &tenant.id, head, journal).await?;
                    tx.commit().await?;
                    Ok(appended)
                })
            }

            fn tenant<'a>(&'a self, id: &'a str) -> $crate::StoreFuture<'a, Option<$crate::TenantRecord>> {
                Box::pin(async move {
                    Ok(sqlx::query_as("SELECT id, name, created_at FROM tenants WHERE id = $1").bind(id).fetch_optional(&self.read).await?)
                })
            }

            fn tenants(&self) -> $crate::StoreFuture<'_, Vec<$crate::TenantRecord>> {
                Box::pin(
                    async move { Ok(sqlx::query_as("SELECT id, name, created_at FROM tenants ORDER BY id").fetch_all(&self.read).await?) },
                )
            }

            fn add_catalog_version<'a>(
                &'a self,
                new: &'a $crate::NewCatalogVersion,
                journal: &'a [obereg_journal::EntryDraft],
            ) -> $crate::StoreFuture<'a, ($crate::CatalogVersionRecord, $crate::Appended)> {
                Box::pin(async move {
                    let mut tx = self.write.begin().await?;
                    // The head lock serialises the tenant's writers, so the next number is ours.
                    let mut head = Self::lock_head(&mut tx, &new.tenant_id).await?;
                    let version: $crate::CatalogVersionRecord = sqlx::query_as(
                        "INSERT INTO catalog_versions (tenant_id, version, sha256, source, created_at, created_by) \
                         SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5 FROM catalog_versions WHERE tenant_id = $1 \
                         RETURNING tenant_id, version, sha256, source, created_at, created_by",
                    )
                    .bind(&new.tenant_id)
                    .bind(&new.sha256)
                    .bind(&new.source)
                    .bind(new.created_at)
                    .bind(&new.created_by)
                    .fetch_one(&mut *tx)
                    .await?;
                    // Entries of this transaction are stamped with the version it adds.
                    head.catalog_version = Some(version.version);
                    let appended = Self::write_entries(&mut tx, &new.tenant_id, head, journal).await?;
                    tx.commit().await?;
                    Ok((version, appended))
                })
            }

            fn current_catalog_sha<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Option<(i64, String)>> {
                Box::pin(async move {
                    Ok(sqlx::query_as("SELECT version, sha256 FROM catalog_versions WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1")
                        .bind(tenant)
                        .fetch_optional(&self.read)
                        .await?)
                })
            }

            fn current_catalog<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Option<$crate::CatalogVersionRecord>> {
                Box::pin(async move {
                    Ok(sqlx::query_as(
                        "SELECT tenant_id, version, sha256, source, created_at, created_by FROM catalog_versions \
                         WHERE tenant_id = $1 ORDER BY version DESC LIMIT 1",
                    )
                    .bind(tenant)
                    .fetch_optional(&self.read)
                    .await?)
                })
            }

            fn catalog_version<'a>(
                &'a self,
                tenant: &'a str,
                version: i64,
            ) -> $crate::StoreFuture<'a, Option<$crate::CatalogVersionRecord>> {
                Box::pin(async move {
                    Ok(sqlx::query_as(
                        "SELECT tenant_id, version, sha256, source, created_at, created_by FROM catalog_versions \
                         WHERE tenant_id = $1 AND version = $2",
                    )
                    .bind(tenant)
                    .bind(version)
                    .fetch_optional(&self.read)
                    .await?)
                })
            }

            fn catalog_versions<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::CatalogVersionSummary>> {
                Box::pin(async move {
                    Ok(sqlx::query_as(
                        "SELECT version, sha256, created_at, created_by FROM catalog_versions WHERE tenant_id = $1 ORDER BY version DESC",
                    )
                    .bind(tenant)
                    .fetch_all(&self.read)
                    .await?)
                })
            }

            fn add_token<'a>(
                &'a self,
                token: &'a $crate::TokenRecord,
                journal: &'a [obereg_journal::EntryDraft],
            ) -> $crate::StoreFuture<'a, $crate::Appended> {
                Box::pin(async move {
                    let mut tx = self.write.begin().await?;
                    let head = Self::lock_head(&mut tx, &token.tenant_id).await?;
                    insert_token!(token, &mut *tx);
                    let appended = Self::write_entries(&mut tx, &token.tenant_id, head, journal).await?;
                    tx.commit().await?;
                    Ok(appended)
                })
            }

            fn token_by_hash<'a>(&'a self, hash: &'a [u8]) -> $crate::StoreFuture<'a, Option<$crate::TokenRecord>> {
                Box::pin(async move {
                    Ok(sqlx::query_as(
                        "SELECT id, tenant_id, role, label, token_hash, created_at, revoked_at FROM api_tokens WHERE token_hash = $1",
                    )
                    .bind(hash)
                    .fetch_optional(&self.read)
                    .await?)
                })
            }

            fn tokens<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::TokenRecord>> {
                Box::pin(async move {
                    Ok(sqlx::query_as(
                        "SELECT id, tenant_id, role, label, token_hash, created_at, revoked_at FROM api_tokens \
                         WHERE tenant_id = $1 ORDER BY created_at DESC, id",
                    )
                    .bind(tenant)
                    .fetch_all(&self.read)
                    .await?)
                })
            }

            fn revoke_token<'a>(
                &'a self,
                tenant: &'a str,
                id: &'a str,
                at: i64,
                journal: &'a [obereg_journal::EntryDraft],
            ) -> $crate::StoreFuture<'a, Option<$crate::Appended>> {
                Box::pin(async move {
                    let mut tx = self.write.begin().await?;
                    let head = Self::lock_head(&mut tx, tenant).await?;
                    let n = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
                        .bind(tenant)
                        .bind(id)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if n != 1 {
                        return Ok(None);
                    }
                    let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                    Self::note_change(&mut tx, tenant, "token", id, appended).await?;
                    tx.commit().await?;
                    Ok(Some(appended))
                })
            }

            fn append_journal<'a>(
                &'a self,
                tenant: &'a str,
                journal: &'a [obereg_journal::EntryDraft],
            ) -> $crate::StoreFuture<'a, $crate::Appended> {
                Box::pin(async move {
                    let mut tx = self.write.begin().await?;
                    let head = Self::lock_head(&mut tx, tenant).await?;
                    let appended = Self::write_entries(&mut tx, tenant, head, journal).await?;
                    tx.commit().await?;
                    Ok(appended)
                })
            }

            fn journal_head<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Option<$crate::JournalHead>> {
                Box::pin(async move {
                    Ok(sqlx::query_as("SELECT size, frontier FROM journal_heads WHERE tenant_id = $1")
                        .bind(tenant)
                        .fetch_optional(&self.read)
                        .await?)
                })
            }

            fn journal_entries<'a>(
                &'a self,
                tenant: &'a str,
                from: u64,
                to: u64,
            ) -> $crate::StoreFuture<'a, Vec<$crate::JournalEntryRecord>> {
                Box::pin(async move {
                    // Decoded by position, not by column name: verification reads every row.
                    let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
                        "SELECT idx, leaf_hash, body FROM journal_entries WHERE tenant_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
                    )
                    .bind(tenant)
                    .bind(from.min(i64::MAX as u64) as i64)
                    .bind(to.min(i64::MAX as u64) as i64)
                    .fetch_all(&self.read)
                    .await?;
                    Ok(rows.into_iter().map(|(idx, leaf_hash, body)| $crate::JournalEntryRecord { idx, leaf_hash, body }).collect())
                })
            }

            fn journal_subject_entries<'a>(
                &'a self,
                tenant: &'a str,
                subject: &'a str,
                from: u64,
                limit: u32,
            ) -> $crate::StoreFuture<'a, Vec<$crate::JournalEntryRecord>> {
                Box::pin(async move {
                    self.index_subjects(tenant).await?;
                    Ok(sqlx::query_as(
                        "SELECT idx, leaf_hash, body FROM journal_entries WHERE tenant_id = $1 AND idx IN \
                         (SELECT idx FROM journal_entries WHERE tenant_id = $1 AND subject_id = $2 AND idx >= $3 \
                          UNION ALL SELECT idx FROM journal_subjects WHERE tenant_id = $1 AND subject_id = $2 AND idx >= $3) \
                         ORDER BY idx LIMIT $4",
                    )
                    .bind(tenant)
                    .bind(subject)
                    .bind(from.min(i64::MAX as u64) as i64)
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await?)
                })
            }

            fn journal_subject_latest<'a>(
                &'a self,
                tenant: &'a str,
                subject: &'a str,
                limit: u32,
            ) -> $crate::StoreFuture<'a, Vec<$crate::JournalEntryRecord>> {
                Box::pin(async move {
                    self.index_subjects(tenant).await?;
                    Ok(sqlx::query_as(
                        "SELECT idx, leaf_hash, body FROM journal_entries WHERE tenant_id = $1 AND idx IN \
                         (SELECT idx FROM journal_entries WHERE tenant_id = $1 AND subject_id = $2 \
                          UNION ALL SELECT idx FROM journal_subjects WHERE tenant_id = $1 AND subject_id = $2) \
                         ORDER BY idx DESC LIMIT $3",
                    )
                    .bind(tenant)
                    .bind(subject)
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await?)
                })
            }

            fn index_journal_subjects<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, u64> {
                Box::pin(self.index_subjects(tenant))
            }

            fn journal_hashes<'a>(
                &'a self,
                tenant: &'a str,
                ranges: &'a [obereg_journal::StoredRange],
            ) -> $crate::StoreFuture<'a, Vec<(obereg_journal::Subtree, obereg_journal::Hash)>> {
                Box::pin(Self::fetch_hashes(&self.read, tenant, ranges))
            }

            fn journal_nodes<'a>(
                &'a self,
                tenant: &'a str,
                after: Option<(u8, u64)>,
                limit: u32,
            ) -> $crate::StoreFuture<'a, Vec<$crate::JournalNodeRecord>> {
                Box::pin(async move {
                    let (level, idx) = after.map_or((-1, -1), |(l, i)| (i64::from(l), i as i64));
                    Ok(sqlx::query_as(
                        "SELECT level, idx, hash FROM journal_nodes WHERE tenant_id = $1 AND (level > $2 OR (level = $2 AND idx > $3)) \
                         ORDER BY level, idx LIMIT $4",
                    )
                    .bind(tenant)
                    .bind(level)
                    .bind(idx)
                    .bind(i64::from(limit))
                    .fetch_all(&self.read)
                    .await?)
                })
            }

            fn add_checkpoint<'a>(&'a self, c: &'a $crate::CheckpointRecord) -> $crate::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let n = sqlx::query(
                        "INSERT INTO journal_checkpoints (tenant_id, size, root, note, signed_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (tenant_id, size) DO NOTHING",
                    )
                    .bind(&c.tenant_id)
                    .bind(c.size)
                    .bind(&c.root)
                    .bind(&c.note)
                    .bind(c.signed_at)
                    .execute(&self.write)
                    .await?
                    .rows_affected();
                    Ok(n == 1)
                })
            }

            fn checkpoints<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Vec<$crate::CheckpointRecord>> {
                Box::pin(async move {
                    Ok(sqlx::query_as(
                        "SELECT tenant_id, size, root, note, signed_at FROM journal_checkpoints WHERE tenant_id = $1 ORDER BY size",
                    )
                    .bind(tenant)
                    .fetch_all(&self.read)
                    .await?)
                })
            }

            fn checkpoint_at<'a>(&'a self, tenant: &'a str, size: u64) -> $crate::StoreFuture<'a, Option<$crate::CheckpointRecord>> {
                Box::pin(async move {
                    Ok(sqlx::query_as(
                        "SELECT tenant_id, size, root, note, signed_at FROM journal_checkpoints WHERE tenant_id = $1 AND size = $2",
                    )
                    .bind(tenant)
                    .bind(size.min(i64::MAX as u64) as i64)
                    .fetch_optional(&self.read)
                    .await?)
                })
            }

            fn latest_checkpoint<'a>(&'a self, tenant: &'a str) -> $crate::StoreFuture<'a, Option<$crate::CheckpointRecord>> {
                Box::pin(async move {
                    Ok(sqlx::query_as(
                        "SELECT tenant_id, size, root, note, signed_at FROM journal_checkpoints WHERE tenant_id = $1 \
                         ORDER BY size DESC LIMIT 1",
                    )
                    .bind(tenant)
                    .fetch_optional(&self.read)
                    .await?)
                })
            }
        }
    };
}

/// Inserts a token row through any executor (a pool or an open transaction).
macro_rules! insert_token {
    ($token:expr, $executor:expr) => {{
        let t = $token;
        sqlx::query(
            "INSERT INTO api_tokens (id, tenant_id, role, label, token_hash, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&t.id)
        .bind(&t.tenant_id)
        .bind(&t.role)
        .bind(&t.label)
        .bind(&t.token_hash)
        .bind(t.created_at)
        .bind(t.revoked_at)
        .execute($executor)
        .await?;
    }};
}

pub(crate) use {insert_token, shared_queries};
