//! The queries both backends share, written once.
//!
//! `shared_queries!` expands to the [`Store`](crate::Store) implementation of a backend type
//! that has `write` and `read` pools. SQLite gets a single-connection writer and a read-only
//! reader pool; PostgreSQL uses one pool for both. Only SQL that runs unchanged on SQLite
//! 3.51 and PostgreSQL 15 belongs here.

macro_rules! shared_queries {
    ($store:ty, $pool:ty, $backend:expr) => {
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
            fn backend(&self) -> $crate::Backend {
                $backend
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
            ) -> $crate::StoreFuture<'a, ()> {
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
                    if let Some(c) = catalog {
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
                    tx.commit().await?;
                    Ok(())
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
            ) -> $crate::StoreFuture<'a, $crate::CatalogVersionRecord> {
                Box::pin(async move {
                    // Two writers may compute the same next number; the primary key rejects
                    // the second, which then retries with a fresh maximum.
                    let mut attempt = 0;
                    loop {
                        let result = sqlx::query_as(
                            "INSERT INTO catalog_versions (tenant_id, version, sha256, source, created_at, created_by) \
                             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5 FROM catalog_versions WHERE tenant_id = $1 \
                             RETURNING tenant_id, version, sha256, source, created_at, created_by",
                        )
                        .bind(&new.tenant_id)
                        .bind(&new.sha256)
                        .bind(&new.source)
                        .bind(new.created_at)
                        .bind(&new.created_by)
                        .fetch_one(&self.write)
                        .await
                        .map_err($crate::StoreError::from);
                        match result {
                            Err($crate::StoreError::Conflict(_)) if attempt < 8 => attempt += 1,
                            other => return other,
                        }
                    }
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

            fn add_token<'a>(&'a self, token: &'a $crate::TokenRecord) -> $crate::StoreFuture<'a, ()> {
                Box::pin(async move {
                    insert_token!(token, &self.write);
                    Ok(())
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

            fn revoke_token<'a>(&'a self, tenant: &'a str, id: &'a str, at: i64) -> $crate::StoreFuture<'a, bool> {
                Box::pin(async move {
                    let n = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
                        .bind(tenant)
                        .bind(id)
                        .bind(at)
                        .execute(&self.write)
                        .await?
                        .rows_affected();
                    Ok(n == 1)
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
