//! One-click unsubscribe links (RFC 8058): a signed, expiring token that either withdraws
//! exactly one subject's consent to one marketing purpose through one channel, or stops
//! one kind of notice to one subject (the policy-change emails, `crate::documents`).
//!
//! The token is `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`, where the
//! payload names the tenant, subject, what stops (purpose and channel, or notice topic)
//! and expiry, and the key is derived from the root key per tenant. The first line of the
//! payload says which kind it is (`v1` marketing, `n1` notices), so one kind can never be
//! read as the other. Changing any byte (another subject, another channel, a
//! later expiry) breaks the MAC, so a token cannot be forged or turned against another
//! subject; using it twice finds the consent withdrawn already and changes nothing. The
//! payload holds the opaque subject id only, never an address.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use obereg_core::catalog::Channel;
use obereg_core::consent::{ConsentAction, ConsentMethod};

use crate::consent::{NewConsentEvent, channel_code};
use crate::{Actor, Engine, EngineError};

/// Longest validity of a link.
pub const MAX_VALID_DAYS: u32 = 365;

/// A link to put in an email.
#[derive(Debug, Clone)]
pub struct UnsubscribeLink {
    pub token: String,
    /// The path to append to the server's public address: `/u/<token>`.
    pub path: String,
    pub expires_at: jiff::Timestamp,
}

/// What a valid token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsubscribeTarget {
    pub tenant: String,
    pub subject: String,
    pub scope: UnsubscribeScope,
    pub expires_at: jiff::Timestamp,
}

/// What a link stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsubscribeScope {
    /// Advertising for one marketing purpose through one channel (the consent is withdrawn).
    Marketing { purpose: String, channel: Channel },
    /// Notices of one topic (e.g. [`POLICY_NOTICES`]).
    Notices { topic: String },
}

/// The topic of the emails announcing a new policy version.
pub const POLICY_NOTICES: &str = "policy_changes";

/// What following a link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscribed {
    Withdrawn,
    /// There was no consent in force (withdrawn before, by this link or otherwise), or the
    /// subject had stopped these notices already.
    AlreadyWithdrawn,
}

fn invalid() -> EngineError {
    EngineError::invalid(
        "unsubscribe.invalid_link",
        "this unsubscribe link is not valid (it may have been cut or changed)",
        "эта ссылка отписки недействительна (возможно, она обрезана или изменена)",
    )
}

impl Engine {
    fn unsubscribe_key(&self, tenant: &str) -> hmac::Key {
        let mut info = b"obereg unsubscribe link v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        hmac::Key::new(hmac::HMAC_SHA256, self.root_key.derive(&info).as_ref())
    }

    /// Issues a link withdrawing `subject`'s consent to `purpose` through `channel`, valid
    /// for `valid_days` (1 to 365). The purpose must be a marketing one using the channel.
    pub async fn unsubscribe_link(
        &self,
        actor: &Actor,
        subject: &str,
        purpose: &str,
        channel: Channel,
        valid_days: u32,
    ) -> Result<UnsubscribeLink, EngineError> {
        if !(1..=MAX_VALID_DAYS).contains(&valid_days) {
            return Err(EngineError::invalid("unsubscribe.bad_validity", "valid_days must be 1 to 365", "valid_days — от 1 до 365"));
        }
        let catalog = self.catalog_for(actor).await?;
        let p = obereg_core::access::purpose(&catalog, purpose)
            .map_err(|d| EngineError::Invalid { code: "consent.unknown_purpose", message: d.reason })?;
        if !p.marketing || !p.channels.contains(&channel) {
            return Err(EngineError::invalid(
                "unsubscribe.not_marketing",
                format!("purpose `{purpose}` does not send advertising through `{}`", channel_code(channel)),
                format!("цель `{purpose}` не направляет рекламу через канал `{}`", channel_code(channel)),
            ));
        }
        let allowed = match crate::vault::principal_of(&catalog, actor)? {
            obereg_core::access::Principal::Administrator => true,
            obereg_core::access::Principal::Staff(role) => role.purposes.iter().any(|r| r == purpose),
        };
        self.authorize(actor, allowed, crate::journal::Record::op("consent.unsubscribe_link").purpose(purpose).subject(subject)).await?;
        self.subject_standing(actor, subject).await?;
        let expires_at = self
            .clock
            .now()
            .checked_add(jiff::SignedDuration::from_hours(24 * i64::from(valid_days)))
            .map_err(|_| EngineError::Internal("link expiry out of range"))?;
        let payload = format!("v1\n{}\n{subject}\n{purpose}\n{}\n{}", actor.tenant, channel_code(channel), expires_at.as_second());
        Ok(self.signed_link(&actor.tenant, &payload, expires_at))
    }

    /// A link stopping `topic` notices to `subject`, valid for a year. Issued by obereg
    /// itself for the notices it queues; the caller has checked the subject.
    pub(crate) fn notices_link(&self, tenant: &str, subject: &str, topic: &str) -> Result<UnsubscribeLink, EngineError> {
        let expires_at = self
            .clock
            .now()
            .checked_add(jiff::SignedDuration::from_hours(24 * i64::from(MAX_VALID_DAYS)))
            .map_err(|_| EngineError::Internal("link expiry out of range"))?;
        let payload = format!("n1\n{tenant}\n{subject}\n{topic}\n{}", expires_at.as_second());
        Ok(self.signed_link(tenant, &payload, expires_at))
    }

    fn signed_link(&self, tenant: &str, payload: &str, expires_at: jiff::Timestamp) -> UnsubscribeLink {
        let tag = hmac::sign(&self.unsubscribe_key(tenant), payload.as_bytes());
        let token = format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag.as_ref()));
        UnsubscribeLink { path: format!("/u/{token}"), token, expires_at }
    }

    /// What a token names, if it is genuine and not expired at `now`.
    pub fn read_unsubscribe_token(&self, token: &str, now: jiff::Timestamp) -> Result<UnsubscribeTarget, EngineError> {
        if token.len() > 1024 {
            return Err(invalid());
        }
        let (payload, tag) = token.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        let text = String::from_utf8(payload).map_err(|_| invalid())?;
        let tenant = text.split('\n').nth(1).ok_or_else(invalid)?;
        // The MAC is checked before anything in the payload is believed.
        hmac::verify(&self.unsubscribe_key(tenant), text.as_bytes(), &tag).map_err(|_| invalid())?;
        let parts: Vec<&str> = text.split('\n').collect();
        let (tenant, subject, scope, expires) = match parts.as_slice() {
            ["v1", tenant, subject, purpose, channel, expires] => {
                let channel: Channel = serde_json::from_value(serde_json::Value::String((*channel).to_owned())).map_err(|_| invalid())?;
                (tenant, subject, UnsubscribeScope::Marketing { purpose: (*purpose).to_owned(), channel }, expires)
            }
            ["n1", tenant, subject, topic, expires] => (tenant, subject, UnsubscribeScope::Notices { topic: (*topic).to_owned() }, expires),
            _ => return Err(invalid()),
        };
        let expires_at = expires.parse::<i64>().ok().and_then(|s| jiff::Timestamp::from_second(s).ok()).ok_or_else(invalid)?;
        if expires_at <= now {
            return Err(EngineError::invalid(
                "unsubscribe.expired",
                "this unsubscribe link has expired; use the link in a newer email or write to the operator",
                "срок действия ссылки отписки истёк; воспользуйтесь ссылкой из более нового письма или напишите оператору",
            ));
        }
        Ok(UnsubscribeTarget { tenant: (*tenant).to_owned(), subject: (*subject).to_owned(), scope, expires_at })
    }

    /// What a token names, if it is genuine and not expired now.
    pub fn unsubscribe_target(&self, token: &str) -> Result<UnsubscribeTarget, EngineError> {
        self.read_unsubscribe_token(token, self.clock.now())
    }

    /// Follows a link: withdraws the consent it names (method `unsubscribe_link`), or stops
    /// the notices it names; once.
    pub async fn unsubscribe(&self, token: &str) -> Result<(UnsubscribeTarget, Unsubscribed), EngineError> {
        let target = self.unsubscribe_target(token)?;
        let (purpose, channel) = match &target.scope {
            UnsubscribeScope::Marketing { purpose, channel } => (purpose.clone(), *channel),
            UnsubscribeScope::Notices { topic } => {
                let entry = self.subject_entry(
                    &target.tenant,
                    crate::journal::Record::op("notices.opt_out").subject(target.subject.as_str()).object(topic.as_str()),
                );
                let at = self.now_micros();
                return match self.store.opt_out_notices(&target.tenant, &target.subject, topic, at, &[entry]).await? {
                    Some(true) => Ok((target, Unsubscribed::Withdrawn)),
                    Some(false) => Ok((target, Unsubscribed::AlreadyWithdrawn)),
                    None => Err(EngineError::NotFound("subject")),
                };
            }
        };
        let actor = Actor::local_operator(&target.tenant);
        let event = NewConsentEvent {
            purpose,
            channel: Some(channel),
            cookie: None,
            action: ConsentAction::Withdrawn,
            method: ConsentMethod::UnsubscribeLink,
            document: None,
            valid_until: None,
            by_representative: false,
            evidence: None,
        };
        match self.record_consent(&actor, &target.subject, event).await {
            Ok(_) => Ok((target, Unsubscribed::Withdrawn)),
            Err(EngineError::Invalid { code: "consent.not_given", .. }) => Ok((target, Unsubscribed::AlreadyWithdrawn)),
            Err(e) => Err(e),
        }
    }
}
