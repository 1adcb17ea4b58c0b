//! Browser sessions of the admin console (staff) and the subject portal (subjects).
//!
//! A session is a random 256-bit value in a cookie; the database keeps only its SHA-256, so
//! a copy of the database opens no session. Each kind ends when idle too long or at an
//! absolute limit, whichever comes first: staff after 30 minutes idle or 12 hours, subjects
//! after 15 minutes idle or 2 hours (a subject signs in for one errand). Forms carry a token
//! derived from the session value (see [`csrf_token`]): a page of another site can neither
//! read the cookie nor compute the token, so it cannot post a form in the user's name.

pub mod account;
pub mod password;
pub mod portal;
pub mod staff;
pub mod totp;

use aws_lc_rs::digest;
use obereg_journal::EntryDraft;
use obereg_store::WebSessionRecord;
use zeroize::Zeroizing;

use crate::vault::crypto::{DataKey, ItemBinding, Sealer};
use crate::{Engine, EngineError};

/// The visible prefix of session cookie values.
const SESSION_PREFIX: &str = "obs_";
const SESSION_BYTES: usize = 32;

/// Which side of obereg a session belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Staff,
    Subject,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Staff => "staff",
            SessionKind::Subject => "subject",
        }
    }

    /// How long a session may sit unused.
    pub fn idle_limit(self) -> jiff::SignedDuration {
        match self {
            SessionKind::Staff => jiff::SignedDuration::from_mins(30),
            SessionKind::Subject => jiff::SignedDuration::from_mins(15),
        }
    }

    /// How long a session lasts at most.
    pub fn absolute_limit(self) -> jiff::SignedDuration {
        match self {
            SessionKind::Staff => jiff::SignedDuration::from_hours(12),
            SessionKind::Subject => jiff::SignedDuration::from_hours(2),
        }
    }
}

/// A session just opened: the cookie value, shown to the browser once.
pub struct OpenedSession {
    pub cookie: Zeroizing<String>,
    /// Seconds until the absolute end, for the cookie's `Max-Age`.
    pub max_age: i64,
}

impl std::fmt::Debug for OpenedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSession").field("cookie", &"…").field("max_age", &self.max_age).finish()
    }
}

/// The anti-forgery token of the session whose cookie value is `cookie`: 128 bits of
/// SHA-256 over a fixed label and the value. Knowing it does not reveal the cookie.
pub fn csrf_token(cookie: &str) -> String {
    let mut input = b"obereg csrf v1\0".to_vec();
    input.extend_from_slice(cookie.as_bytes());
    hex::encode(&digest::digest(&digest::SHA256, &input).as_ref()[..16])
}

/// Whether `presented` is the token of the session `cookie`, compared in constant time.
pub fn csrf_matches(cookie: &str, presented: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(csrf_token(cookie).as_bytes(), presented.as_bytes()).is_ok()
}

fn session_hash(cookie: &str) -> Option<Vec<u8>> {
    let ok = cookie
        .strip_prefix(SESSION_PREFIX)
        .is_some_and(|rest| rest.len() == 43 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    ok.then(|| digest::digest(&digest::SHA256, cookie.as_bytes()).as_ref().to_vec())
}

impl Engine {
    /// The sealer of a tenant's console and portal secrets (second-factor secrets, verified
    /// addresses), derived from the root key like the request key.
    pub(crate) fn web_sealer(&self, tenant: &str) -> Sealer {
        let mut info = b"obereg web data v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        DataKey::from_bytes(self.root_key.derive(&info)).sealer()
    }

    pub(crate) fn seal_web(&self, tenant: &str, owner: &str, item: &str, plain: &[u8]) -> Result<Vec<u8>, EngineError> {
        let binding = ItemBinding { tenant, subject: owner, item, kind: "web", category: "", dek_version: 1 };
        Ok(self.web_sealer(tenant).seal(&binding, plain)?.0)
    }

    pub(crate) fn open_web(&self, tenant: &str, owner: &str, item: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, EngineError> {
        let binding = ItemBinding { tenant, subject: owner, item, kind: "web", category: "", dek_version: 1 };
        self.web_sealer(tenant).open(&binding, sealed)
    }

    /// Opens a session of `kind` for `principal`, journaling `journal` with it.
    pub(crate) async fn open_session(
        &self,
        kind: SessionKind,
        tenant: &str,
        principal: &str,
        sealed: Option<Vec<u8>>,
        journal: Vec<EntryDraft>,
    ) -> Result<OpenedSession, EngineError> {
        let cookie = Zeroizing::new(format!("{SESSION_PREFIX}{}", crate::token::random_text(SESSION_BYTES)?.as_str()));
        let hash = session_hash(&cookie).ok_or(EngineError::Internal("session value shape"))?;
        let now = self.clock.now();
        let expires = now.checked_add(kind.absolute_limit()).map_err(|_| EngineError::Internal("clock"))?;
        let record = WebSessionRecord {
            id_hash: hash,
            tenant_id: tenant.to_owned(),
            kind: kind.as_str().into(),
            principal: principal.to_owned(),
            sealed,
            created_at: now.as_microsecond(),
            last_seen_at: now.as_microsecond(),
            expires_at: expires.as_microsecond(),
        };
        let appended = self.store.insert_web_session(&record, &journal).await?;
        self.after_append(tenant, appended).await;
        Ok(OpenedSession { cookie, max_age: kind.absolute_limit().as_secs() })
    }

    /// The live session of `kind` behind `cookie`, its last activity moved to now. Unknown,
    /// expired and idle sessions, and those of the other kind, are all `Unauthenticated`.
    pub(crate) async fn live_session(&self, cookie: &str, kind: SessionKind) -> Result<WebSessionRecord, EngineError> {
        let hash = session_hash(cookie).ok_or(EngineError::Unauthenticated)?;
        let record = self.store.web_session(&hash).await?.ok_or(EngineError::Unauthenticated)?;
        let now = self.now_micros();
        let idle_since = now - kind.idle_limit().as_micros() as i64;
        if record.kind != kind.as_str() || record.expires_at <= now || record.last_seen_at < idle_since {
            return Err(EngineError::Unauthenticated);
        }
        // Written at most once a minute per session: page views stay reads.
        if now - record.last_seen_at > 60_000_000 {
            self.store.touch_web_session(&hash, now).await?;
        }
        Ok(record)
    }

    /// Ends the session behind `cookie`, if any.
    pub async fn sign_out(&self, cookie: &str) -> Result<(), EngineError> {
        if let Some(hash) = session_hash(cookie) {
            self.store.delete_web_session(&hash).await?;
        }
        Ok(())
    }

    /// Deletes ended sessions and expired portal codes; returns how many rows went.
    pub async fn purge_web_sessions(&self) -> Result<u64, EngineError> {
        let now = self.now_micros();
        // The longer idle limit bounds both kinds; each kind's own limit is checked on use.
        let idle_before = now - SessionKind::Staff.idle_limit().as_micros() as i64;
        Ok(self.store.purge_web_sessions(idle_before, now).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_are_bound_to_their_session() {
        let a = format!("{SESSION_PREFIX}{}", "a".repeat(43));
        let b = format!("{SESSION_PREFIX}{}", "b".repeat(43));
        assert_eq!(csrf_token(&a).len(), 32);
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&a, &csrf_token(&b)));
        assert!(!csrf_matches(&a, ""));
        assert!(!csrf_token(&a).contains(&a[4..12]));
    }

    #[test]
    fn only_well_formed_session_values_are_looked_up() {
        assert!(session_hash(&format!("{SESSION_PREFIX}{}", "x".repeat(43))).is_some());
        for bad in [
            "",
            "obs_",
            "obg_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            &format!("{SESSION_PREFIX}{}", "x".repeat(44)),
            "obs_ ' OR 1=1 --",
        ] {
            assert!(session_hash(bad).is_none(), "{bad}");
        }
    }
}
