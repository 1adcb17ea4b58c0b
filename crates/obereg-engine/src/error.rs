//! The engine's error type: what a use case can refuse, with stable machine codes.
//!
//! Messages name the problem, never a personal-data value. `NotFound` is also what a caller
//! without rights sees for another tenant's objects, so existence does not leak.

use obereg_core::Bilingual;
use obereg_core::catalog::CheckReport;
use obereg_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No valid token was presented.
    #[error("authentication required")]
    Unauthenticated,
    /// The token is valid but its role may not do this.
    #[error("this role may not do that")]
    Forbidden,
    /// The role may not do this, with the reason from the catalog.
    #[error("{}", .reason.en)]
    Refused { code: &'static str, reason: Bilingual },
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A catalog failed validation; the report holds every finding.
    #[error("the catalog is invalid")]
    InvalidCatalog(Box<CheckReport>),
    /// Some other input was refused.
    #[error("{}", .message.en)]
    Invalid { code: &'static str, message: Bilingual },
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// Too many attempts from one caller; try later.
    #[error("{}", .0.en)]
    RateLimited(Bilingual),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(&'static str),
}

impl EngineError {
    /// A stable machine code (`auth.unauthenticated`, `catalog.invalid`, …).
    pub fn code(&self) -> &'static str {
        match self {
            EngineError::Unauthenticated => "auth.unauthenticated",
            EngineError::Forbidden => "auth.forbidden",
            EngineError::Refused { code, .. } => code,
            EngineError::NotFound(_) => "not_found",
            EngineError::InvalidCatalog(_) => "catalog.invalid",
            EngineError::Invalid { code, .. } => code,
            EngineError::Conflict(_) => "conflict",
            EngineError::RateLimited(_) => "rate_limited",
            EngineError::Store(e) => e.code(),
            EngineError::Internal(_) => "internal",
        }
    }

    pub fn invalid(code: &'static str, en: impl Into<String>, ru: impl Into<String>) -> Self {
        EngineError::Invalid { code, message: Bilingual::new(en, ru) }
    }
}
