//! The SMTP transport against a local SMTP server written here: a request's code email
//! arrives with its delivery id as `Message-ID`, and a server that refuses the recipient
//! makes the message dead without retries.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::PlainValue;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::outbox::{SmtpSecurity, SmtpSettings, SmtpTransport};
use crate::requests::{Language, SubjectSubmission};
use crate::vault_tests::env;

/// A minimal SMTP server: accepts one message per connection and keeps its DATA, or
/// answers `550` to every recipient when `refuse` is set.
async fn smtp_server(refuse: bool) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { return };
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 test\r\n",
                        "RCPT" if refuse => b"550 no such user\r\n",
                        "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            store.lock().unwrap().push(data);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"502 unknown\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: None,
        password: None,
        from: "Privacy <privacy@voice-robot.example>".into(),
        message_id_domain: None,
    }
}

/// The text of a message body, undoing the transfer encoding lettre chose.
fn body_text(raw: &str) -> String {
    let (headers, body) = raw.split_once("\n\n").unwrap_or((raw, ""));
    let headers = headers.to_ascii_lowercase();
    if headers.contains("content-transfer-encoding: base64") {
        let joined: String = body.lines().collect();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(joined.trim()).unwrap()).unwrap()
    } else if headers.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\n", "");
        let mut bytes = Vec::new();
        let mut rest = joined.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            if b == b'=' && tail.len() >= 2 {
                bytes.push(u8::from_str_radix(std::str::from_utf8(&tail[..2]).unwrap(), 16).unwrap());
                rest = &tail[2..];
            } else {
                bytes.push(b);
                rest = tail;
            }
        }
        String::from_utf8(bytes).unwrap()
    } else {
        body.to_owned()
    }
}

fn submission() -> SubjectSubmission {
    SubjectSubmission {
        kind: RequestKind::Access,
        email: Some(PlainValue::new("smtp.test@example.ru")),
        phone: None,
        details: None,
        language: Language::En,
        jurisdiction: None,
    }
}

#[tokio::test]
async fn a_code_email_reaches_a_real_smtp_server_with_its_delivery_id() {
    let env = env().await;
    let (port, received) = smtp_server(false).await;
    let transport = SmtpTransport::new(&settings(port)).unwrap();
    let submitted = env.engine.submit_request("default", submission()).await.unwrap();
    let report = env.engine.deliver_outbox(&transport).await.unwrap();
    assert_eq!((report.sent, report.retried, report.dead), (2, 0, 0));
    let mails = received.lock().unwrap().clone();
    assert_eq!(mails.len(), 2);
    let detail = env.engine.request_detail(&env.admin, &submitted.request.id).await.unwrap();
    for message in &detail.messages {
        let id = format!("Message-ID: <{}@voice-robot.example>", message.id);
        let mail = mails.iter().find(|m| m.contains(&id)).unwrap_or_else(|| panic!("{id} not in {mails:#?}"));
        assert!(mail.contains("To: smtp.test@example.ru"), "{mail}");
        assert_eq!(message.state, "sent");
    }
    let texts: Vec<String> = mails.iter().map(|m| body_text(m)).collect();
    let code_mail = texts.iter().find(|t| t.contains("Your confirmation code for request")).unwrap_or_else(|| panic!("{texts:#?}"));
    assert!(code_mail.contains(&submitted.request.id), "{code_mail}");
}

#[tokio::test]
async fn a_refused_recipient_makes_the_message_dead_at_once() {
    let env = env().await;
    let (port, received) = smtp_server(true).await;
    let transport = SmtpTransport::new(&settings(port)).unwrap();
    let submitted = env.engine.submit_request("default", submission()).await.unwrap();
    let report = env.engine.deliver_outbox(&transport).await.unwrap();
    assert_eq!((report.sent, report.dead), (0, 2));
    assert!(received.lock().unwrap().is_empty());
    let detail = env.engine.request_detail(&env.admin, &submitted.request.id).await.unwrap();
    assert!(detail.messages.iter().all(|m| m.state == "dead" && m.last_error.as_deref() == Some("smtp.rejected")));

    // Nobody listening: a transient failure, retried later.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let transport = SmtpTransport::new(&settings(closed)).unwrap();
    env.engine.submit_request("default", submission()).await.unwrap();
    let report = env.engine.deliver_outbox(&transport).await.unwrap();
    assert_eq!((report.sent, report.retried, report.dead), (0, 2, 0));
    let bad = SmtpSettings { from: "not an address".into(), ..settings(closed) };
    assert_eq!(SmtpTransport::new(&bad).unwrap_err().code(), "outbox.smtp_settings");
}

#[tokio::test]
async fn a_policy_notice_reaches_smtp_with_a_one_click_unsubscribe_header() {
    use crate::documents::PublishPolicy;
    let env = env().await;
    let e = &env.engine;
    let input = crate::vault::NewSubjectInput {
        kind: "customer".into(),
        values: vec![crate::vault::NewValue {
            category: "contact.email".into(),
            value: PlainValue::new("notice.test@example.ru"),
            purposes: vec!["product_news".into()],
            source: "test".into(),
        }],
        records: vec![],
    };
    let subject = e.create_subject(&env.admin, input).await.unwrap().id;
    let today = crate::requests::moscow_date(e.clock.now());
    e.publish_policy(&env.admin, PublishPolicy { effective_on: today, notify: false }).await.unwrap();
    e.put_catalog(&env.admin, &crate::publication_tests::catalog_with_a_new_recipient()).await.unwrap();
    let later = today.checked_add(jiff::Span::new().days(30)).unwrap();
    let p = e.publish_policy(&env.admin, PublishPolicy { effective_on: later, notify: true }).await.unwrap();
    assert_eq!(e.walk_publication("default", &p.id, |_| {}).await.unwrap().queued, 1);
    let (port, received) = smtp_server(false).await;
    let report = e.deliver_outbox(&SmtpTransport::new(&settings(port)).unwrap()).await.unwrap();
    assert_eq!(report.sent, 1);
    let mail = received.lock().unwrap()[0].clone();
    assert!(mail.contains("To: notice.test@example.ru"), "{mail}");
    assert!(mail.contains("List-Unsubscribe: <http://127.0.0.1:8080/u/"), "{mail}");
    assert!(mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{mail}");
    assert!(body_text(&mail).contains(&later.to_string()));
    assert!(!subject.is_empty());
}
