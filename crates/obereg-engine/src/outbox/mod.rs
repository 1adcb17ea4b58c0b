//! Delivery of the outbox: every message obereg sends (verification codes, notices to
//! subjects) is written in the transaction of the change that causes it, then delivered
//! here, by a worker the server runs.
//!
//! A worker claims due messages under a lease (see `requests_sql.rs` in the store), opens
//! each payload, hands it to the [`Transport`] and records the outcome. A crash after the
//! change commits loses nothing: the message waits in the table. A crash after a send but
//! before it is marked sent can repeat that one message when the lease runs out, so every
//! message carries its delivery id (the email `Message-ID`), by which the receiving side
//! drops a repeat. Failures back off exponentially (30 s doubling to 6 h); a permanent
//! refusal or the tenth failure makes a message dead. A delivered or dead message's payload
//! (address and text) is wiped: the outbox keeps only that it was sent.

mod smtp;
mod webhook;

use std::future::Future;
use std::pin::Pin;

use zeroize::Zeroize;

pub use smtp::{SmtpSecurity, SmtpSettings, SmtpTransport};
pub use webhook::{SmsGateway, SmsSettings, Transports, WebhookTransport};

use crate::{Engine, EngineError};

/// How long a claimed message is reserved for the worker that claimed it.
const LEASE: jiff::SignedDuration = jiff::SignedDuration::from_mins(5);
/// Messages claimed per round.
pub const BATCH: u32 = 50;
/// Attempts before a message is given up.
const MAX_ATTEMPTS: i64 = 10;

/// How a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Sms,
    /// A signed HTTP POST to a catalog recipient's `notify_url`.
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Webhook => "webhook",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "sms" => Channel::Sms,
            "webhook" => Channel::Webhook,
            _ => Channel::Email,
        }
    }
}

/// A message as the transport sends it. Its `Debug` shows no address or text.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Message {
    /// An address, a phone number, or a webhook URL.
    pub to: String,
    pub subject: String,
    pub body: String,
    /// The catalog recipient of a webhook notice.
    #[serde(default)]
    pub recipient: Option<String>,
    /// `Obereg-Signature`: of a notice, computed as it is sent; of a transfer, when queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The one-click unsubscribe URL of a bulk email (RFC 8058): sent as `List-Unsubscribe`
    /// with `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsubscribe: Option<String>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Message(…)")
    }
}

impl Drop for Message {
    fn drop(&mut self) {
        self.to.zeroize();
        self.subject.zeroize();
        self.body.zeroize();
    }
}

/// Why a send failed: a code for the outbox table (never the message), and whether trying
/// again could help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub code: &'static str,
    pub permanent: bool,
}

/// Something that delivers messages: SMTP for email, a gateway for SMS, a recorder in tests.
pub trait Transport: Send + Sync + std::fmt::Debug {
    /// The channels this transport delivers; messages of others wait in the outbox.
    fn channels(&self) -> &[Channel];

    /// Sends `message` over `channel`; `delivery_id` lets the receiver drop a repeat.
    fn send<'a>(
        &'a self,
        channel: Channel,
        delivery_id: &'a str,
        message: &'a Message,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: u64,
    pub retried: u64,
    pub dead: u64,
}

impl Engine {
    /// Delivers the messages due now, one round of at most 50.
    pub async fn deliver_outbox(&self, transport: &dyn Transport) -> Result<DeliveryReport, EngineError> {
        let now = self.clock.now();
        let lease = now.checked_add(LEASE).map_err(|_| EngineError::Internal("clock out of range"))?;
        let channels: Vec<&str> = transport.channels().iter().map(|c| c.as_str()).collect();
        let claimed = self.store.claim_outbox(now.as_microsecond(), lease.as_microsecond(), BATCH, &channels).await?;
        let mut report = DeliveryReport::default();
        for record in claimed {
            let outcome = match (&record.sealed, record.request_id.as_deref(), record.subject_id.as_deref()) {
                (Some(sealed), None, Some(subject)) => {
                    match self.open_subject_message(&record.tenant_id, subject, &record.id, sealed).await {
                        Ok(message) => transport.send(Channel::parse(&record.channel), &record.id, &message).await,
                        // The subject was erased (its key with it) or the row was tampered with.
                        Err(_) => Err(SendError { code: "outbox.unreadable", permanent: true }),
                    }
                }
                (Some(sealed), Some(request), _) => {
                    let channel = Channel::parse(&record.channel);
                    match self.open_message(&record.tenant_id, request, &record.id, sealed) {
                        Ok(mut message) => {
                            if let (Channel::Webhook, Some(recipient)) = (channel, message.recipient.clone()) {
                                let at = self.clock.now().as_second();
                                message.signature = Some(self.sign_notice(&record.tenant_id, &recipient, at, message.body.as_bytes()));
                            }
                            transport.send(channel, &record.id, &message).await
                        }
                        Err(_) => Err(SendError { code: "outbox.unreadable", permanent: true }),
                    }
                }
                _ => Err(SendError { code: "outbox.unreadable", permanent: true }),
            };
            let at = self.now_micros();
            match outcome {
                Ok(()) => {
                    self.store.outbox_delivered(&record.tenant_id, &record.id, at).await?;
                    report.sent += 1;
                }
                Err(e) => {
                    let attempt = record.attempts + 1;
                    let next = (!e.permanent && attempt < MAX_ATTEMPTS).then(|| at + backoff_micros(record.attempts));
                    self.store.outbox_failed(&record.tenant_id, &record.id, next, e.code).await?;
                    tracing::warn!(tenant = %record.tenant_id, delivery = %record.id, code = e.code, attempt, "delivery failed");
                    if next.is_some() {
                        report.retried += 1;
                    } else {
                        report.dead += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// How many messages wait for delivery (for metrics).
    pub async fn outbox_pending(&self) -> Result<i64, EngineError> {
        Ok(self.store.outbox_pending().await?)
    }

    /// How many open requests, over all tenants, are past their due date (for metrics).
    pub async fn overdue_requests(&self) -> Result<i64, EngineError> {
        let today = crate::requests::moscow_date(self.clock.now()).to_string();
        Ok(self.store.overdue_requests(&today).await?)
    }

    fn open_message(&self, tenant: &str, request: &str, id: &str, sealed: &[u8]) -> Result<Message, EngineError> {
        let json = self.open_request_field(tenant, request, crate::requests::Field::Message(id), sealed)?;
        serde_json::from_slice(&json).map_err(|_| EngineError::Internal("a sealed message does not decode"))
    }

    /// Opens a notice sealed under its subject's data key ([`Engine::seal_subject_message`]).
    async fn open_subject_message(&self, tenant: &str, subject: &str, id: &str, sealed: &[u8]) -> Result<Message, EngineError> {
        let (_, key) = self.store.subject_head(tenant, subject).await?.ok_or(EngineError::NotFound("subject"))?;
        let key = key.ok_or(EngineError::NotFound("subject key"))?;
        let sealer = self.keyring.unwrap(&key.wrapped, tenant, subject, key.dek_version, key.kek_version)?.sealer();
        let json = sealer.open(&subject_message_binding(tenant, subject, id, key.dek_version), sealed)?;
        serde_json::from_slice(&json).map_err(|_| EngineError::Internal("a sealed message does not decode"))
    }

    /// Seals a notice to a subject under that subject's data key, bound to the delivery id:
    /// erasing the subject makes a notice still waiting unreadable, like the rest of its data.
    pub(crate) fn seal_subject_message(
        &self,
        sealer: &crate::vault::crypto::Sealer,
        (tenant, subject, dek_version): (&str, &str, i64),
        id: &str,
        message: &Message,
    ) -> Result<Vec<u8>, EngineError> {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(message).map_err(|_| EngineError::Internal("message encoding"))?);
        Ok(sealer.seal(&subject_message_binding(tenant, subject, id, dek_version), &json)?.0)
    }
}

fn subject_message_binding<'a>(tenant: &'a str, subject: &'a str, id: &'a str, dek_version: i64) -> crate::vault::crypto::ItemBinding<'a> {
    crate::vault::crypto::ItemBinding { tenant, subject, item: id, kind: "notice", category: "", dek_version }
}

/// What `Obereg-Signature` signs: `"<t>.<body>"`.
pub(crate) fn signed_bytes(t: i64, body: &[u8]) -> Vec<u8> {
    [t.to_string().as_bytes(), b".", body].concat()
}

/// `Obereg-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the one format
/// of recipients' notices and the SMS gateway.
pub(crate) fn signature_header(key: &aws_lc_rs::hmac::Key, t: i64, body: &[u8]) -> String {
    format!("t={t},v1={}", hex::encode(aws_lc_rs::hmac::sign(key, &signed_bytes(t, body)).as_ref()))
}

/// The wait after a failure when `attempts` failed before it: 30 s, doubling, at most 6 hours.
fn backoff_micros(attempts: i64) -> i64 {
    let secs = 30i64.saturating_mul(1 << attempts.clamp(0, 20)).min(6 * 3600);
    secs * 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_six_hours() {
        assert_eq!(backoff_micros(0), 30_000_000);
        assert_eq!(backoff_micros(1), 60_000_000);
        assert_eq!(backoff_micros(3), 240_000_000);
        assert_eq!(backoff_micros(9), 15_360_000_000);
        assert_eq!(backoff_micros(10), 6 * 3600 * 1_000_000);
        assert_eq!(backoff_micros(60), 6 * 3600 * 1_000_000);
    }

    #[test]
    fn a_message_debug_shows_nothing_personal() {
        let m = Message {
            to: "ivan@example.ru".into(),
            subject: "Код 123456".into(),
            body: "текст".into(),
            recipient: None,
            signature: None,
            unsubscribe: None,
        };
        assert_eq!(format!("{m:?}"), "Message(…)");
    }
}
