//! Email delivery over SMTP with lettre (rustls over aws-lc-rs; no OpenSSL).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Channel, Message, SendError, Transport};
use crate::EngineError;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS (port 587).
    #[default]
    Starttls,
    /// No encryption: only for a relay on the same host or a test server.
    None,
}

/// Where and how to send email.
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default)]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<secrecy::SecretString>,
    /// The sender address, e.g. `"ООО Ромашка <privacy@romashka.example>"`.
    pub from: String,
    /// The domain of `Message-ID`s (defaults to the sender's domain).
    pub message_id_domain: Option<String>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings").field("host", &self.host).field("port", &self.port).field("security", &self.security).finish()
    }
}

/// Sends email through one SMTP server; refuses other channels (permanently, so an SMS
/// message without a gateway does not retry forever).
pub struct SmtpTransport {
    mailer: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    id_domain: String,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpTransport(…)")
    }
}

impl SmtpTransport {
    pub fn new(settings: &SmtpSettings) -> Result<Self, EngineError> {
        let invalid = |en: &str, ru: &str| EngineError::invalid("outbox.smtp_settings", en.to_owned(), ru.to_owned());
        let from: Mailbox =
            settings.from.parse().map_err(|_| invalid("smtp `from` is not a valid address", "smtp `from` — недопустимый адрес"))?;
        let builder = match settings.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host),
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.as_str())),
        }
        .map_err(|_| invalid("smtp `host` is not usable", "smtp `host` недоступен для использования"))?;
        let mut builder = builder.timeout(Some(Duration::from_secs(30)));
        if let Some(port) = settings.port {
            builder = builder.port(port);
        }
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            use secrecy::ExposeSecret;
            builder = builder.credentials(Credentials::new(user.clone(), password.expose_secret().to_owned()));
        }
        let id_domain = settings.message_id_domain.clone().unwrap_or_else(|| from.email.domain().to_owned());
        Ok(Self { mailer: builder.build(), from, id_domain })
    }
}

impl Transport for SmtpTransport {
    fn channels(&self) -> &[Channel] {
        &[Channel::Email]
    }

    fn send<'a>(
        &'a self,
        channel: Channel,
        delivery_id: &'a str,
        message: &'a Message,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(async move {
            if channel != Channel::Email {
                return Err(SendError { code: "outbox.wrong_channel", permanent: true });
            }
            let to: Mailbox = message.to.parse().map_err(|_| SendError { code: "smtp.bad_address", permanent: true })?;
            let mut builder = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(message.subject.as_str())
                .message_id(Some(format!("<{delivery_id}@{}>", self.id_domain)))
                .header(ContentType::TEXT_PLAIN);
            if let Some(url) = &message.unsubscribe {
                builder = builder
                    .raw_header(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), format!("<{url}>")))
                    .raw_header(HeaderValue::new(
                        HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                        "List-Unsubscribe=One-Click".to_owned(),
                    ));
            }
            let email = builder.body(message.body.clone()).map_err(|_| SendError { code: "smtp.bad_message", permanent: true })?;
            match self.mailer.send(email).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_permanent() => Err(SendError { code: "smtp.rejected", permanent: true }),
                Err(e) if e.is_timeout() => Err(SendError { code: "smtp.timeout", permanent: false }),
                Err(_) => Err(SendError { code: "smtp.unavailable", permanent: false }),
            }
        })
    }
}
