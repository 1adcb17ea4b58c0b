//! Who is acting: an authenticated token holder (or the local operator at the command line).

use crate::token::{Role, hash_token, looks_like_token};
use crate::{Engine, EngineError};

/// An authenticated caller, bound to one tenant and one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub tenant: String,
    pub role: Role,
    /// The token used, `None` for the local operator.
    pub token_id: Option<String>,
    /// The API request being served, recorded in journal entries.
    pub request_id: Option<String>,
    /// The ticket taken when the request arrived (see [`Engine::ticket`]): every check of
    /// freshness made for this request waits for a probe numbered from it, so the token
    /// check and the use case share one probe. `None` outside a request.
    pub(crate) arrived: Option<crate::Ticket>,
    /// The data subject acting through the portal: journaled as the subject. Such an actor
    /// exists only inside the engine's portal use cases, each bound to the subject the
    /// session proved.
    pub(crate) portal: bool,
}

impl Actor {
    /// The operator at the command line. Whoever can run the CLI against the data directory
    /// can read the database directly, so full (platform) rights grant nothing new.
    pub fn local_operator(tenant: &str) -> Self {
        Self { tenant: tenant.to_owned(), role: Role::Platform, token_id: None, request_id: None, arrived: None, portal: false }
    }

    /// The data subject, acting through the portal on what the session proved is theirs.
    pub(crate) fn portal_subject(tenant: &str) -> Self {
        Self { portal: true, ..Self::local_operator(tenant) }
    }

    /// The same actor, serving request `id`.
    pub fn with_request(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    pub(crate) fn require_admin(&self) -> Result<(), EngineError> {
        if self.role.is_admin() { Ok(()) } else { Err(EngineError::Forbidden) }
    }

    pub(crate) fn require_platform(&self) -> Result<(), EngineError> {
        if self.role == Role::Platform { Ok(()) } else { Err(EngineError::Forbidden) }
    }
}

impl Engine {
    /// Turns a presented bearer token into an actor. Malformed, unknown and revoked tokens
    /// all give the same [`EngineError::Unauthenticated`].
    pub async fn authenticate(&self, presented: &str) -> Result<Actor, EngineError> {
        // The actor may be kept and used for many calls: it carries no arrival ticket, so
        // each call checks freshness anew.
        Ok(Actor { arrived: None, ..self.authenticate_since(presented, self.ticket()).await? })
    }

    /// A ticket for a request arriving now: pass it to [`Engine::authenticate_since`] and
    /// then to the `…_since` use case, and one freshness probe serves both.
    pub fn ticket(&self) -> crate::Ticket {
        self.index.ticket()
    }

    /// [`Engine::authenticate`] for a request that took `since` when it arrived. The actor
    /// returned is for that one request: every use case it is passed to counts as fresh
    /// from `since` (one probe serves them all), so it must not be kept for later requests.
    pub async fn authenticate_since(&self, presented: &str, since: crate::Ticket) -> Result<Actor, EngineError> {
        if !looks_like_token(presented) {
            return Err(EngineError::Unauthenticated);
        }
        let hash = hash_token(presented);
        // A held token counts only once its tenant's index is fresh: a revocation committed
        // before this call then has dropped it (see `decision_index`).
        if let Some((tenant, _)) = self.index.token(&hash) {
            self.index.fresh_since(self.store.as_ref(), &tenant, since).await?;
            if let Some((_, actor)) = self.index.token(&hash) {
                return Ok(Actor { arrived: Some(since), ..actor });
            }
        }
        let generation = self.index.token_generation();
        match self.store.token_by_hash(&hash).await? {
            Some(t) if t.revoked_at.is_none() => {
                let actor = Actor {
                    tenant: t.tenant_id,
                    role: Role::parse(&t.role),
                    token_id: Some(t.id),
                    request_id: None,
                    arrived: None,
                    portal: false,
                };
                self.index.keep_token(hash, &actor, generation);
                Ok(Actor { arrived: Some(since), ..actor })
            }
            _ => Err(EngineError::Unauthenticated),
        }
    }
}
