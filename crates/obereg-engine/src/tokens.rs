//! API tokens: issued, listed and revoked by a tenant's admin.

use obereg_store::TokenRecord;

use crate::journal::Record;
use crate::token::{Role, SecretToken};
use crate::{Actor, Engine, EngineError};

const MAX_LABEL_CHARS: usize = 100;

/// Journal operation codes of this module.
pub(crate) const TOKEN_ISSUED: &str = "token.issued";
const TOKEN_REVOKED: &str = "token.revoked";

/// A token just issued: its metadata and the secret, shown once.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: String,
    pub tenant: String,
    pub role: Role,
    pub label: String,
    pub created_at: i64,
    pub secret: SecretToken,
}

impl IssuedToken {
    pub(crate) fn generate(tenant: &str, role: Role, label: &str, now: i64) -> Result<Self, EngineError> {
        Ok(Self {
            id: uuid::Uuid::now_v7().to_string(),
            tenant: tenant.to_owned(),
            role,
            label: label.to_owned(),
            created_at: now,
            secret: SecretToken::generate()?,
        })
    }

    pub(crate) fn record(&self) -> TokenRecord {
        TokenRecord {
            id: self.id.clone(),
            tenant_id: self.tenant.clone(),
            role: self.role.as_str().to_owned(),
            label: self.label.clone(),
            token_hash: self.secret.hash(),
            created_at: self.created_at,
            revoked_at: None,
        }
    }
}

impl Engine {
    /// Issues a token of `role` in the actor's tenant. Admins issue `admin` and catalog staff
    /// roles; only a platform token issues `platform`.
    pub async fn create_token(&self, actor: &Actor, role: &str, label: &str) -> Result<IssuedToken, EngineError> {
        self.authorize(actor, actor.role.is_admin(), Record::op(TOKEN_ISSUED)).await?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > MAX_LABEL_CHARS || label.chars().any(char::is_control) {
            return Err(EngineError::invalid(
                "token.invalid_label",
                "a token label is 1–100 printable characters; do not put personal data in it",
                "метка токена — от 1 до 100 печатных символов; не указывайте в ней персональные данные",
            ));
        }
        if self.store.tenant(&actor.tenant).await?.is_none() {
            return Err(EngineError::NotFound("tenant"));
        }
        let role = Role::parse(role);
        match &role {
            Role::Admin => {}
            Role::Platform => self.authorize(actor, actor.role == Role::Platform, Record::op(TOKEN_ISSUED)).await?,
            Role::Staff(id) => {
                let current = self.current_catalog(actor).await?;
                if !current.catalog.roles.iter().any(|r| &r.id == id) {
                    return Err(EngineError::invalid(
                        "token.unknown_role",
                        format!("role `{id}` is not in the tenant's catalog; use admin or a [[roles]] id"),
                        format!("роли `{id}` нет в каталоге арендатора; используйте admin или идентификатор из [[roles]]"),
                    ));
                }
            }
        }
        let issued = IssuedToken::generate(&actor.tenant, role, label, self.now_micros())?;
        let entry = self.entry(actor, &actor.tenant, Record::op(TOKEN_ISSUED).object(format!("token:{}", issued.id)));
        let appended = self.store.add_token(&issued.record(), &[entry]).await?;
        self.after_append(&actor.tenant, appended).await;
        tracing::info!(tenant = %actor.tenant, token = %issued.id, role = issued.role.as_str(), "token issued");
        Ok(issued)
    }

    /// The tenant's tokens, newest first (hashes included; adapters must not show them).
    pub async fn list_tokens(&self, actor: &Actor) -> Result<Vec<TokenRecord>, EngineError> {
        actor.require_admin()?;
        Ok(self.store.tokens(&actor.tenant).await?)
    }

    /// Revokes a token of the actor's tenant. Unknown, foreign and already revoked tokens
    /// all answer `NotFound`.
    pub async fn revoke_token(&self, actor: &Actor, id: &str) -> Result<(), EngineError> {
        self.authorize(actor, actor.role.is_admin(), Record::op(TOKEN_REVOKED)).await?;
        // Token ids are UUIDs; anything else cannot exist, and must not reach the journal.
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(EngineError::NotFound("token"));
        }
        let entry = self.entry(actor, &actor.tenant, Record::op(TOKEN_REVOKED).object(format!("token:{id}")));
        match self.store.revoke_token(&actor.tenant, id, self.now_micros(), &[entry]).await? {
            Some(appended) => {
                self.after_append(&actor.tenant, appended).await;
                tracing::info!(tenant = %actor.tenant, token = %id, "token revoked");
                Ok(())
            }
            None => Err(EngineError::NotFound("token")),
        }
    }
}
