//! Tenants: creating them (platform tokens, or first start) and listing them.

use obereg_core::ids::is_valid_tenant_id;
use obereg_store::{NewCatalogVersion, StoreError, TenantRecord};

use crate::catalogs::CATALOG_PUBLISHED;
use crate::journal::Record;
use crate::token::Role;
use crate::tokens::IssuedToken;
use crate::tokens::TOKEN_ISSUED;
use crate::{Actor, Engine, EngineError, sha256_hex};

/// What a new tenant needs.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub id: String,
    pub name: String,
    /// Its first catalog; without one the tenant's admin uploads it later.
    pub catalog_source: Option<String>,
}

/// The outcome of first-start set-up.
#[derive(Debug)]
pub enum Bootstrap {
    /// The tenant was created; this admin token is shown once.
    Created(IssuedToken),
    /// The tenant existed already; nothing changed.
    AlreadyInitialised,
}

const MAX_NAME_CHARS: usize = 200;

/// The journal operation code of a new tenant.
const TENANT_CREATED: &str = "tenant.created";

impl Engine {
    /// Creates a tenant with its first admin token. Platform tokens only.
    pub async fn create_tenant(&self, actor: &Actor, new: NewTenant) -> Result<(TenantRecord, IssuedToken), EngineError> {
        self.authorize(actor, actor.role == Role::Platform, Record::op(TENANT_CREATED)).await?;
        self.insert_tenant(actor, new, Role::Admin).await
    }

    /// First-start set-up: creates `tenant` with `catalog_source` and a token of `role` unless
    /// the tenant exists. Safe to call on every start and from several servers at once.
    pub async fn bootstrap(&self, tenant: &str, name: &str, catalog_source: &str, role: Role) -> Result<Bootstrap, EngineError> {
        let new = NewTenant { id: tenant.to_owned(), name: name.to_owned(), catalog_source: Some(catalog_source.to_owned()) };
        if self.store.tenant(tenant).await?.is_some() {
            return Ok(Bootstrap::AlreadyInitialised);
        }
        match self.insert_tenant(&Actor::local_operator(tenant), new, role).await {
            Ok((_, token)) => Ok(Bootstrap::Created(token)),
            Err(EngineError::Conflict(_)) => Ok(Bootstrap::AlreadyInitialised),
            Err(e) => Err(e),
        }
    }

    /// Every tenant. Platform tokens only.
    pub async fn list_tenants(&self, actor: &Actor) -> Result<Vec<TenantRecord>, EngineError> {
        actor.require_platform()?;
        Ok(self.store.tenants().await?)
    }

    async fn insert_tenant(&self, actor: &Actor, new: NewTenant, role: Role) -> Result<(TenantRecord, IssuedToken), EngineError> {
        if !is_valid_tenant_id(&new.id) {
            return Err(EngineError::invalid(
                "tenant.invalid_id",
                "a tenant id is 1–63 lowercase latin letters, digits or '-', starting with a letter",
                "идентификатор арендатора — 1–63 строчные латинские буквы, цифры или '-', начиная с буквы",
            ));
        }
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(EngineError::invalid(
                "tenant.invalid_name",
                "a tenant name is 1–200 printable characters",
                "название арендатора — от 1 до 200 печатных символов",
            ));
        }
        let now = self.now_micros();
        let catalog = match &new.catalog_source {
            Some(source) => {
                let report = obereg_core::catalog::check(source);
                if !report.is_valid() {
                    return Err(EngineError::InvalidCatalog(Box::new(report)));
                }
                Some(NewCatalogVersion {
                    tenant_id: new.id.clone(),
                    sha256: sha256_hex(source),
                    source: source.clone(),
                    created_at: now,
                    created_by: None,
                })
            }
            None => None,
        };
        let tenant = TenantRecord { id: new.id.clone(), name: name.to_owned(), created_at: now };
        let issued = IssuedToken::generate(&new.id, role, "first admin token", now)?;
        let mut journal = vec![
            self.entry(actor, &tenant.id, Record::op(TENANT_CREATED).object(format!("tenant:{}", tenant.id))),
            self.entry(actor, &tenant.id, Record::op(TOKEN_ISSUED).object(format!("token:{}", issued.id))),
        ];
        if let Some(c) = &catalog {
            journal.push(self.entry(actor, &tenant.id, Record::op(CATALOG_PUBLISHED).object(format!("catalog:{}", &c.sha256[..16]))));
        }
        match self.store.create_tenant(&tenant, catalog.as_ref(), &issued.record(), &journal).await {
            Ok(appended) => {
                self.after_append(&tenant.id, appended).await;
                tracing::info!(tenant = %tenant.id, "tenant created");
                Ok((tenant, issued))
            }
            Err(StoreError::Conflict(_)) => Err(EngineError::Conflict("tenant")),
            Err(e) => Err(e.into()),
        }
    }
}
