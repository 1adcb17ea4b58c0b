//! The tenant's catalog: reading the version in force, uploading new versions, history.

use std::sync::Arc;

use obereg_core::catalog::{Catalog, Diagnostic};
use obereg_store::{CatalogVersionRecord, CatalogVersionSummary, NewCatalogVersion};

use crate::journal::Record;
use crate::{Actor, Engine, EngineError, sha256_hex};

/// The journal operation code of a new catalog version.
pub(crate) const CATALOG_PUBLISHED: &str = "catalog.published";

/// The catalog in force: its stored version and the parsed model.
#[derive(Debug, Clone)]
pub struct CurrentCatalog {
    pub version: CatalogVersionRecord,
    pub catalog: Arc<Catalog>,
}

/// The outcome of uploading a catalog.
#[derive(Debug)]
pub struct CatalogPut {
    pub version: CatalogVersionRecord,
    /// `false` when the upload equals the version in force, which is then returned unchanged.
    pub created: bool,
    pub warnings: Vec<Diagnostic>,
}

impl Engine {
    /// The catalog in force. Any role of the tenant may read it: staff need to know the
    /// purposes they work under.
    pub async fn current_catalog(&self, actor: &Actor) -> Result<CurrentCatalog, EngineError> {
        let version = self.store.current_catalog(&actor.tenant).await?.ok_or(EngineError::NotFound("catalog"))?;
        let catalog = self.parsed(&version)?;
        Ok(CurrentCatalog { version, catalog })
    }

    /// The tenant's catalog in force, for the use cases that decide with it. Only the
    /// version's hash is read per call; the model is parsed once per version.
    /// The catalog in force, for pages that describe processing to the public (the portal
    /// names roles, purposes and categories from it; the policy is published from it too).
    pub async fn public_catalog(&self, tenant: &str) -> Result<Arc<Catalog>, EngineError> {
        self.catalog_in_force(tenant).await
    }

    pub(crate) async fn catalog_in_force(&self, tenant: &str) -> Result<Arc<Catalog>, EngineError> {
        let fresh = self.index.fresh(self.store.as_ref(), tenant).await?;
        self.catalog_as_of(tenant, fresh.catalog_sha.as_deref()).await
    }

    /// [`Engine::catalog_in_force`] for a use case acting as `actor`: fresh as of the
    /// request's arrival, so it shares the probe its token check made.
    pub(crate) async fn catalog_for(&self, actor: &crate::Actor) -> Result<Arc<Catalog>, EngineError> {
        let fresh = self.fresh_for(actor).await?;
        self.catalog_as_of(&actor.tenant, fresh.catalog_sha.as_deref()).await
    }

    /// The decision index of `actor`'s tenant, fresh as of the request's arrival.
    pub(crate) async fn fresh_for(&self, actor: &crate::Actor) -> Result<crate::decision_index::Fresh, EngineError> {
        let since = actor.arrived.unwrap_or_else(|| self.index.ticket());
        Ok(self.index.fresh_since(self.store.as_ref(), &actor.tenant, since).await?)
    }

    /// The catalog whose hash a fresh probe of the decision index saw in force: from the
    /// cache when it holds that version, else read (then it may be a newer one still).
    pub(crate) async fn catalog_as_of(&self, tenant: &str, sha: Option<&str>) -> Result<Arc<Catalog>, EngineError> {
        let sha = sha.ok_or(EngineError::NotFound("catalog"))?;
        if let Some((cached_sha, catalog)) = self.catalogs.lock().unwrap_or_else(|e| e.into_inner()).get(tenant)
            && cached_sha == sha
        {
            return Ok(catalog.clone());
        }
        let version = self.store.current_catalog(tenant).await?.ok_or(EngineError::NotFound("catalog"))?;
        self.parsed(&version)
    }

    /// The tenant's catalog as last seen by this engine, with its hash, without asking the
    /// database; `None` when none was seen yet. Only for reads that have the group commit
    /// check the hash before they answer (see `group_commit`).
    pub(crate) fn cached_catalog(&self, tenant: &str) -> Option<(Arc<Catalog>, String)> {
        let cache = self.catalogs.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(tenant).map(|(sha, catalog)| (catalog.clone(), sha.clone()))
    }

    /// The parsed model of a stored version, from the cache when it holds that version.
    pub(crate) fn parsed(&self, version: &CatalogVersionRecord) -> Result<Arc<Catalog>, EngineError> {
        let mut cache = self.catalogs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((sha, catalog)) = cache.get(&version.tenant_id)
            && *sha == version.sha256
        {
            return Ok(catalog.clone());
        }
        // Stored versions were checked on upload; parsing alone suffices here.
        let catalog =
            Arc::new(obereg_core::catalog::parse(&version.source).map_err(|_| EngineError::Internal("a stored catalog no longer parses"))?);
        cache.insert(version.tenant_id.clone(), (version.sha256.clone(), catalog.clone()));
        Ok(catalog)
    }

    /// Validates and stores a new catalog version. An invalid catalog changes nothing; an
    /// upload identical to the version in force creates no new version (so retries are safe).
    pub async fn put_catalog(&self, actor: &Actor, source: &str) -> Result<CatalogPut, EngineError> {
        self.authorize(actor, actor.role.is_admin(), Record::op(CATALOG_PUBLISHED)).await?;
        let report = obereg_core::catalog::check(source);
        if !report.is_valid() {
            return Err(EngineError::InvalidCatalog(Box::new(report)));
        }
        let warnings: Vec<Diagnostic> = report.warnings().cloned().collect();
        let sha256 = sha256_hex(source);
        if let Some(current) = self.store.current_catalog(&actor.tenant).await?
            && current.sha256 == sha256
        {
            return Ok(CatalogPut { version: current, created: false, warnings });
        }
        let new = NewCatalogVersion {
            tenant_id: actor.tenant.clone(),
            sha256,
            source: source.to_owned(),
            created_at: self.now_micros(),
            created_by: actor.token_id.clone(),
        };
        let entry = self.entry(actor, &actor.tenant, Record::op(CATALOG_PUBLISHED).object(format!("catalog:{}", &new.sha256[..16])));
        let (version, appended) = self.store.add_catalog_version(&new, &[entry]).await?;
        self.after_append(&actor.tenant, appended).await;
        tracing::info!(tenant = %actor.tenant, version = version.version, "catalog version stored");
        Ok(CatalogPut { version, created: true, warnings })
    }

    /// Every version of the tenant's catalog, newest first.
    pub async fn catalog_versions(&self, actor: &Actor) -> Result<Vec<CatalogVersionSummary>, EngineError> {
        Ok(self.store.catalog_versions(&actor.tenant).await?)
    }

    /// One stored version of the tenant's catalog.
    pub async fn catalog_version(&self, actor: &Actor, version: i64) -> Result<CatalogVersionRecord, EngineError> {
        self.store.catalog_version(&actor.tenant, version).await?.ok_or(EngineError::NotFound("catalog version"))
    }
}
