//! Telling recipients: when a request corrects, erases or restricts a subject's data, every
//! catalog recipient of the purposes that hold it, and that has a `notify_url`, gets a
//! signed notice through the outbox (GDPR arts. 17(2) and 19; 152-FZ art. 21 p.1–3 asks the
//! operator to make its processors do the same), and its confirmation is tracked.
//!
//! A notice names the request, the action, the subject's opaque id and the identifiers the
//! recipient was given (the searchable values — phone, email — of purposes that list it), so
//! it can find the person in its own systems; a correction carries the corrected values of
//! those purposes. It is the recipient's data already, sent over TLS, sealed while it waits.
//!
//! Each recipient has its own secret, derived from the root key with HKDF under
//! `obereg notify v1\0<tenant>\0<recipient>` (an administrator reads it once to configure
//! the recipient; rotating the root key rotates it). Notices carry
//! `Obereg-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256("<t>.<body>")>`; the recipient
//! confirms by posting to the notice's `confirm` path, signed the same way with a timestamp
//! within five minutes.

use std::collections::{BTreeMap, BTreeSet};

use aws_lc_rs::hmac;
use obereg_core::catalog::Catalog;
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::{PlainValue, normalize};
use obereg_store::{OutboxRecord, SubjectData};
use serde::Serialize;
use zeroize::Zeroizing;

use super::kind_code;
use crate::outbox::{Channel, Message};
use crate::vault::ATTRIBUTE_KIND;
use crate::{Actor, Engine, EngineError};

/// The longest a confirmation's timestamp may be from now.
const CONFIRM_SKEW_SECS: i64 = 300;

/// A notice as the recipient receives it.
#[derive(Serialize)]
struct Notice<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    delivery_id: &'a str,
    operator: &'a str,
    request: &'a str,
    action: &'a str,
    subject: &'a str,
    identifiers: Vec<Value>,
    corrections: Vec<Value>,
    issued_at: jiff::Timestamp,
    confirm: String,
}

#[derive(Serialize)]
struct Value {
    category: String,
    value: String,
}

impl Engine {
    fn notify_key(&self, tenant: &str, recipient: &str) -> Zeroizing<[u8; 32]> {
        let mut info = b"obereg notify v1\0".to_vec();
        info.extend_from_slice(tenant.as_bytes());
        info.push(0);
        info.extend_from_slice(recipient.as_bytes());
        self.root_key.derive(&info)
    }

    fn notice_key(&self, tenant: &str, recipient: &str) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.notify_key(tenant, recipient).as_ref())
    }

    /// The `Obereg-Signature` value of `body` for `recipient` at unix time `t`.
    pub(crate) fn sign_notice(&self, tenant: &str, recipient: &str, t: i64, body: &[u8]) -> String {
        crate::outbox::signature_header(&self.notice_key(tenant, recipient), t, body)
    }

    /// The secret a recipient verifies notices and signs confirmations with (hex), for an
    /// administrator configuring it.
    pub async fn recipient_notify_secret(&self, actor: &Actor, recipient: &str) -> Result<String, EngineError> {
        actor.require_admin()?;
        let catalog = self.catalog_for(actor).await?;
        match catalog.recipients.iter().find(|r| r.id == recipient) {
            Some(r) if r.notify_url.is_some() => Ok(hex::encode(self.notify_key(&actor.tenant, recipient).as_ref())),
            _ => Err(EngineError::NotFound("recipient")),
        }
    }

    /// A recipient confirms it acted on notice `delivery_id`: `signature` is its
    /// `Obereg-Signature` over `body`. Anything that does not verify is "not found".
    pub async fn confirm_notice(&self, tenant: &str, delivery_id: &str, signature: &str, body: &[u8]) -> Result<(), EngineError> {
        let not_found = || EngineError::NotFound("notice");
        let message = self.store.outbox_message(tenant, delivery_id).await?.ok_or_else(not_found)?;
        let recipient = message.recipient.as_deref().filter(|_| message.channel == "webhook").ok_or_else(not_found)?;
        let (t, mac) = parse_signature(signature).ok_or_else(not_found)?;
        let now = self.clock.now().as_second();
        if (now - t).abs() > CONFIRM_SKEW_SECS {
            return Err(not_found());
        }
        hmac::verify(&self.notice_key(tenant, recipient), &crate::outbox::signed_bytes(t, body), &mac).map_err(|_| not_found())?;
        if self.store.confirm_outbox(tenant, delivery_id, self.now_micros()).await? {
            let record = crate::journal::Record::op("request.recipient_confirmed").object(delivery_id);
            self.journal_without_change(tenant, vec![self.system_entry(tenant, record)]).await?;
        }
        Ok(())
    }

    /// The notices to recipients that `kind` on `data` calls for, sealed for the outbox.
    /// Corrections are checked here (item exists, value valid), before anything is queued.
    pub(crate) fn recipient_notices(
        &self,
        catalog: &Catalog,
        request: &str,
        kind: RequestKind,
        data: &SubjectData,
        corrections: &[(String, PlainValue)],
    ) -> Result<Vec<OutboxRecord>, EngineError> {
        let tenant = data.subject.tenant_id.as_str();
        let sealer = self.subject_sealer(data)?;
        let mut corrected: Vec<(&obereg_store::ItemRecord, PlainValue)> = Vec::new();
        for (item_id, value) in corrections {
            let item = data.items.iter().find(|i| &i.id == item_id && i.kind == ATTRIBUTE_KIND).ok_or(EngineError::NotFound("value"))?;
            let (rule, _) = crate::vault::category_rules_of(catalog, &item.category);
            let normal = normalize(rule, value).map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
            corrected.push((item, normal));
        }
        // Recipient → the purposes of this subject's data that send data to it.
        let mut purposes_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for item in &data.items {
            for p in item.purposes.split(',') {
                let Some(purpose) = catalog.purposes.iter().find(|x| x.id == p) else { continue };
                for r in &purpose.recipients {
                    purposes_of.entry(r.as_str()).or_default().insert(purpose.id.as_str());
                }
            }
        }
        let shared = |item: &obereg_store::ItemRecord, purposes: &BTreeSet<&str>| item.purposes.split(',').any(|p| purposes.contains(p));
        let now = self.clock.now();
        let mut out = Vec::new();
        for recipient in catalog.recipients.iter().filter(|r| r.notify_url.is_some()) {
            let Some(purposes) = purposes_of.get(recipient.id.as_str()) else { continue };
            let mut identifiers = Vec::new();
            for item in data.items.iter().filter(|i| i.blind.is_some() && shared(i, purposes)) {
                let plain = self.open_item(&sealer, item, 1)?;
                identifiers.push(Value { category: item.category.clone(), value: plain.expose().to_owned() });
            }
            let corrections = corrected
                .iter()
                .filter(|(item, _)| shared(item, purposes))
                .map(|(item, v)| Value { category: item.category.clone(), value: v.expose().to_owned() })
                .collect();
            let id = super::notices::new_delivery_id();
            let notice = Notice {
                kind: "obereg.subject_notice/1",
                delivery_id: &id,
                operator: &catalog.operator.legal_name.ru,
                request,
                action: kind_code(kind),
                subject: &data.subject.id,
                identifiers,
                corrections,
                issued_at: now,
                confirm: format!("/v1/public/{tenant}/notices/{id}/confirm"),
            };
            let body = serde_json::to_string(&notice).map_err(|_| EngineError::Internal("notice encoding"))?;
            let message = Message {
                to: recipient.notify_url.clone().unwrap_or_default(),
                subject: String::new(),
                body,
                recipient: Some(recipient.id.clone()),
                signature: None,
                unsubscribe: None,
            };
            let outgoing = super::notices::Outgoing { tenant, request, id, channel: Channel::Webhook, template: "recipient_notice" };
            out.push(self.outbox_record(outgoing, &message)?);
        }
        Ok(out)
    }
}

/// `t=<seconds>,v1=<hex>` → the time and the MAC bytes.
fn parse_signature(header: &str) -> Option<(i64, Vec<u8>)> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    Some((t?, v1?))
}
