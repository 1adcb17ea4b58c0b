//! What a request tells its subject, and how a message enters the outbox.
//!
//! Every notice is written in the subject's language (Russian or English, both worded
//! here), addressed to the contact the request came with, sealed, and queued in the same
//! transaction as the change it reports (see `crate::outbox` for delivery).

use obereg_core::catalog::LocalizedText;
use obereg_core::text::Bilingual;
use obereg_store::OutboxRecord;

use super::sealing::{Field, RequestPrivate};
use super::{Language, kind_code};
use crate::outbox::{Channel, Message};
use crate::{Engine, EngineError};

/// What happened, for the subject.
#[derive(Debug, Clone)]
pub(crate) enum Notice<'a> {
    /// A one-time code to confirm the address.
    Code { code: &'a str },
    /// The request was registered, with its due date.
    Received { due_on: jiff::civil::Date },
    /// The term was extended once, with the reason.
    Extended { due_on: jiff::civil::Date, reason: &'a str },
    /// The request was answered.
    Completed { summary: &'a Bilingual },
    /// The request was refused, with the reason and the norm.
    Refused { reason: &'a str },
    /// The request was withdrawn.
    Withdrawn,
}

impl Notice<'_> {
    fn template(&self) -> &'static str {
        match self {
            Notice::Code { .. } => "verification_code",
            Notice::Received { .. } => "request_received",
            Notice::Extended { .. } => "request_extended",
            Notice::Completed { .. } => "request_completed",
            Notice::Refused { .. } => "request_refused",
            Notice::Withdrawn => "request_withdrawn",
        }
    }

    /// Subject line and body.
    fn text(&self, request: &str, kind: &str, operator: &str) -> (Bilingual, Bilingual) {
        let subject = Bilingual::new(format!("Your request {request}"), format!("Ваш запрос {request}"));
        let body = match self {
            Notice::Code { code } => {
                return (
                    Bilingual::new(format!("Confirmation code {code}"), format!("Код подтверждения {code}")),
                    Bilingual::new(
                        format!(
                            "Your confirmation code for request {request} to {operator}: {code}\n\
                             It is valid for 15 minutes. If you did not make this request, ignore this message."
                        ),
                        format!(
                            "Код подтверждения запроса {request} к {operator}: {code}\n\
                             Код действует 15 минут. Если вы не направляли запрос, не отвечайте на это письмо."
                        ),
                    ),
                );
            }
            Notice::Received { due_on } => Bilingual::new(
                format!("{operator} has registered your request {request} ({kind}). The answer is due by {due_on}."),
                format!("{operator} зарегистрировал ваш запрос {request} ({kind}). Ответ будет дан не позднее {due_on}."),
            ),
            Notice::Extended { due_on, reason } => Bilingual::new(
                format!("The term to answer your request {request} is extended to {due_on}. Reason: {reason}"),
                format!("Срок ответа на ваш запрос {request} продлён до {due_on}. Причина: {reason}"),
            ),
            Notice::Completed { summary } => Bilingual::new(
                format!("Your request {request} ({kind}) has been answered.\n{}", summary.en),
                format!("Ваш запрос {request} ({kind}) исполнен.\n{}", summary.ru),
            ),
            Notice::Refused { reason } => Bilingual::new(
                format!("Your request {request} ({kind}) is refused. Reason: {reason}\nYou may appeal to Roskomnadzor or to a court."),
                format!(
                    "В исполнении вашего запроса {request} ({kind}) отказано. Основание: {reason}\n\
                     Вы вправе обжаловать отказ в Роскомнадзор или в суд."
                ),
            ),
            Notice::Withdrawn => Bilingual::new(
                format!("Your request {request} has been withdrawn and will not be processed further."),
                format!("Ваш запрос {request} отозван и больше не обрабатывается."),
            ),
        };
        (subject, body)
    }
}

impl Engine {
    /// The outbox message carrying `notice` to the request's contact, or none when the
    /// request has no address to write to (a paper request answered on paper).
    pub(crate) fn notice(
        &self,
        tenant: &str,
        request: &str,
        kind: obereg_core::request::deadline::RequestKind,
        operator: &LocalizedText,
        private: &RequestPrivate,
        notice: Notice<'_>,
    ) -> Result<Option<OutboxRecord>, EngineError> {
        let (channel, to) = match (&private.email, &private.phone) {
            (Some(email), _) => (Channel::Email, email.clone()),
            (None, Some(phone)) => (Channel::Sms, phone.clone()),
            (None, None) => return Ok(None),
        };
        let name = match (private.language, &operator.en) {
            (Language::En, Some(en)) => en.as_str(),
            _ => operator.ru.as_str(),
        };
        let (subject, body) = notice.text(request, kind_code(kind), name);
        let pick = |b: Bilingual| if private.language == Language::En { b.en } else { b.ru };
        let message = Message { to, subject: pick(subject), body: pick(body), recipient: None, signature: None, unsubscribe: None };
        let outgoing = Outgoing { tenant, request, id: new_delivery_id(), channel, template: notice.template() };
        self.outbox_record(outgoing, &message).map(Some)
    }

    /// A message of `request` as the outbox keeps it: sealed under the request key, bound to
    /// its delivery id, due now.
    pub(crate) fn outbox_record(&self, out: Outgoing<'_>, message: &Message) -> Result<OutboxRecord, EngineError> {
        let json = zeroize::Zeroizing::new(serde_json::to_vec(message).map_err(|_| EngineError::Internal("message encoding"))?);
        let sealed = self.seal_request_field(out.tenant, out.request, Field::Message(&out.id), &json)?;
        let mut record = self.pending_message(out.tenant, out.id, out.channel, out.template, sealed);
        record.request_id = Some(out.request.to_owned());
        record.recipient = message.recipient.clone();
        Ok(record)
    }

    /// A sealed message due now, of no request or subject yet.
    pub(crate) fn pending_message(&self, tenant: &str, id: String, channel: Channel, template: &str, sealed: Vec<u8>) -> OutboxRecord {
        let now = self.now_micros();
        OutboxRecord {
            tenant_id: tenant.to_owned(),
            id,
            request_id: None,
            subject_id: None,
            recipient: None,
            channel: channel.as_str().into(),
            template: template.into(),
            state: "pending".into(),
            attempts: 0,
            next_attempt_at: now,
            sealed: Some(sealed),
            created_at: now,
            sent_at: None,
            last_error: None,
            confirmed_at: None,
        }
    }
}

/// Where a message goes and what it is, for [`Engine::outbox_record`].
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    pub tenant: &'a str,
    pub request: &'a str,
    /// The delivery id (the receiver drops repeats by it).
    pub id: String,
    pub channel: Channel,
    pub template: &'static str,
}

/// A fresh delivery id.
pub(crate) fn new_delivery_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
