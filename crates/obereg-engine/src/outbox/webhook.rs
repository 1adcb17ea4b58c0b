//! Webhook notices: a signed HTTP/1.1 POST to a catalog recipient's `notify_url`, over TLS
//! (rustls with the Mozilla roots of `webpki-roots`, the stack lettre already brings) or, to
//! this machine only, plain HTTP (the catalog rule `recipient.bad_notify_url` refuses any
//! other). Only the status line of the answer is read: 2xx is delivered, 408, 429 and 5xx
//! are retried, any other status is a permanent refusal.
//!
//! Headers: `Obereg-Delivery` (the delivery id, by which the receiver drops a repeat) and
//! `Obereg-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the
//! recipient's secret (see `requests::recipients`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use super::{Channel, Message, SendError, SmtpTransport, Transport};

/// The longest a notice may take, connection to status line.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Posts webhook notices.
pub struct WebhookTransport {
    tls: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for WebhookTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookTransport(…)")
    }
}

impl Default for WebhookTransport {
    fn default() -> Self {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("the aws-lc-rs provider supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self { tls: tokio_rustls::TlsConnector::from(Arc::new(config)) }
    }
}

/// The parts of a notify URL.
struct Target {
    secure: bool,
    host: String,
    port: u16,
    path: String,
}

fn parse(url: &str) -> Option<Target> {
    if !obereg_core::catalog::is_notify_url(url) {
        return None;
    }
    let (scheme, rest) = url.split_once("://")?;
    let secure = scheme == "https";
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (authority, if secure { 443 } else { 80 }),
    };
    Some(Target { secure, host: host.to_owned(), port, path: path.to_owned() })
}

impl WebhookTransport {
    async fn post(&self, delivery_id: &str, message: &Message) -> Result<(), SendError> {
        let target = parse(&message.to).ok_or(SendError { code: "webhook.bad_url", permanent: true })?;
        let unavailable = SendError { code: "webhook.unavailable", permanent: false };
        let tcp = tokio::net::TcpStream::connect((target.host.as_str(), target.port)).await.map_err(|_| unavailable.clone())?;
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nObereg-Delivery: {delivery_id}\r\n\
             Obereg-Signature: {}\r\nUser-Agent: obereg\r\nConnection: close\r\n\r\n",
            target.path,
            target.host,
            message.body.len(),
            message.signature.as_deref().unwrap_or_default()
        );
        let status = if target.secure {
            let name = rustls::pki_types::ServerName::try_from(target.host.clone())
                .map_err(|_| SendError { code: "webhook.bad_url", permanent: true })?;
            let tls = self.tls.connect(name, tcp).await.map_err(|_| SendError { code: "webhook.tls", permanent: false })?;
            exchange(tls, &request, &message.body).await?
        } else {
            exchange(tcp, &request, &message.body).await?
        };
        match status {
            200..=299 => Ok(()),
            408 | 429 | 500..=599 => Err(SendError { code: "webhook.retry_later", permanent: false }),
            _ => Err(SendError { code: "webhook.refused", permanent: true }),
        }
    }
}

/// Writes the request and reads the status code of the answer.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, head: &str, body: &str) -> Result<u16, SendError> {
    let broken = SendError { code: "webhook.unavailable", permanent: false };
    stream.write_all(head.as_bytes()).await.map_err(|_| broken.clone())?;
    stream.write_all(body.as_bytes()).await.map_err(|_| broken.clone())?;
    stream.flush().await.map_err(|_| broken.clone())?;
    let mut line = String::new();
    BufReader::new(stream.take(1024)).read_line(&mut line).await.map_err(|_| broken.clone())?;
    line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or(SendError { code: "webhook.bad_answer", permanent: false })
}

impl Transport for WebhookTransport {
    fn channels(&self) -> &[Channel] {
        &[Channel::Webhook]
    }

    fn send<'a>(
        &'a self,
        channel: Channel,
        delivery_id: &'a str,
        message: &'a Message,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(async move {
            if channel != Channel::Webhook {
                return Err(SendError { code: "outbox.wrong_channel", permanent: true });
            }
            tokio::time::timeout(TIMEOUT, self.post(delivery_id, message))
                .await
                .unwrap_or(Err(SendError { code: "webhook.timeout", permanent: false }))
        })
    }
}

/// Where SMS go: a gateway that takes a signed JSON POST.
#[derive(Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// The gateway's URL (`https://…`; `http://` only to localhost).
    pub url: String,
    /// The shared secret the gateway checks `Obereg-Signature` with (at least 16 bytes).
    pub secret: secrecy::SecretString,
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings").field("url", &self.url).finish()
    }
}

/// Sends SMS through a pluggable gateway: `POST {"delivery_id","to","text"}` signed with the
/// shared secret like a notice (`Obereg-Signature: t=…,v1=HMAC-SHA256("<t>.<body>")`). The
/// gateway answers 2xx once it has taken the message.
pub struct SmsGateway {
    url: String,
    key: aws_lc_rs::hmac::Key,
    http: WebhookTransport,
}

impl std::fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsGateway(…)")
    }
}

impl SmsGateway {
    pub fn new(settings: &SmsSettings) -> Result<Self, crate::EngineError> {
        use secrecy::ExposeSecret;
        let secret = settings.secret.expose_secret();
        if !obereg_core::catalog::is_notify_url(&settings.url) || secret.len() < 16 {
            return Err(crate::EngineError::invalid(
                "outbox.sms_settings",
                "sms `url` must be https (http only to localhost) and `secret` at least 16 characters",
                "sms `url` должен быть https (http — только localhost), а `secret` — не короче 16 символов",
            ));
        }
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
        Ok(Self { url: settings.url.clone(), key, http: WebhookTransport::default() })
    }
}

impl Transport for SmsGateway {
    fn channels(&self) -> &[Channel] {
        &[Channel::Sms]
    }

    fn send<'a>(
        &'a self,
        channel: Channel,
        delivery_id: &'a str,
        message: &'a Message,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>> {
        Box::pin(async move {
            if channel != Channel::Sms {
                return Err(SendError { code: "outbox.wrong_channel", permanent: true });
            }
            let body = serde_json::json!({"delivery_id": delivery_id, "to": message.to, "text": message.body}).to_string();
            let signature = super::signature_header(&self.key, jiff::Timestamp::now().as_second(), body.as_bytes());
            let post = Message {
                to: self.url.clone(),
                subject: String::new(),
                body,
                recipient: None,
                signature: Some(signature),
                unsubscribe: None,
            };
            self.http.send(Channel::Webhook, delivery_id, &post).await
        })
    }
}

/// What `obereg serve` delivers with: webhooks always, email and SMS when configured.
#[derive(Debug)]
pub struct Transports {
    channels: Vec<Channel>,
    email: Option<SmtpTransport>,
    sms: Option<SmsGateway>,
    webhook: WebhookTransport,
}

impl Transports {
    pub fn new(email: Option<SmtpTransport>, sms: Option<SmsGateway>) -> Self {
        let mut channels = vec![Channel::Webhook];
        if email.is_some() {
            channels.push(Channel::Email);
        }
        if sms.is_some() {
            channels.push(Channel::Sms);
        }
        Self { channels, email, sms, webhook: WebhookTransport::default() }
    }
}

impl Transport for Transports {
    fn channels(&self) -> &[Channel] {
        &self.channels
    }

    fn send<'a>(
        &'a self,
        channel: Channel,
        delivery_id: &'a str,
        message: &'a Message,
    ) -> Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>> {
        match (channel, &self.email, &self.sms) {
            (Channel::Email, Some(smtp), _) => smtp.send(channel, delivery_id, message),
            (Channel::Sms, _, Some(gateway)) => gateway.send(channel, delivery_id, message),
            _ => self.webhook.send(channel, delivery_id, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_urls_split_into_host_port_and_path() {
        let t = parse("https://partner.example:8443/obereg/notices?x=1").unwrap();
        assert_eq!((t.secure, t.host.as_str(), t.port, t.path.as_str()), (true, "partner.example", 8443, "/obereg/notices?x=1"));
        let t = parse("http://127.0.0.1:9000").unwrap();
        assert_eq!((t.secure, t.port, t.path.as_str()), (false, 9000, "/"));
        assert!(parse("http://partner.example/n").is_none(), "plain HTTP only to this machine");
        assert!(parse("https://partner.example/a\r\nX: y").is_none(), "no header injection");
    }
}
