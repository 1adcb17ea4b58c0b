//! A request's messages survive a killed server: `obereg serve` is killed with SIGKILL after
//! a request is committed and before anything is sent, restarted with an SMTP server to
//! send through, and each message arrives exactly once, also across a second kill. Then
//! the staff side at the command line: list, verify, complete, export.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{obereg, stdout};

/// A blocking SMTP server on a thread, keeping each message's DATA.
fn smtp_server() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = received.clone();
    std::thread::spawn(move || {
        for socket in listener.incoming().flatten() {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut write = socket.try_clone().unwrap();
                let mut lines = BufReader::new(socket).lines();
                write.write_all(b"220 test ESMTP\r\n").unwrap();
                while let Some(Ok(line)) = lines.next() {
                    let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 ok\r\n",
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").unwrap();
                            let mut data = String::new();
                            for l in lines.by_ref().map_while(Result::ok) {
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
                            let _ = write.write_all(b"221 bye\r\n");
                            return;
                        }
                        _ => b"502 unknown\r\n",
                    };
                    if write.write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, received)
}

/// `obereg serve` in `dir`; returns the child, its address and the first-start token.
fn serve(dir: &std::path::Path) -> (Child, String, Option<String>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_obereg"));
    cmd.current_dir(dir).args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]);
    for (key, _) in std::env::vars() {
        if key.starts_with("OBEREG_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = None;
    let mut token = None;
    while let Some(Ok(line)) = lines.next() {
        if let Some(rest) = line.strip_prefix("obereg serves on http://") {
            addr = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(t) = line.trim().strip_prefix("obg_") {
            token = Some(format!("obg_{t}"));
            break;
        }
        if line.starts_with("Уже настроено") {
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, addr.expect("serve prints its address"), token)
}

fn kill(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

fn post(addr: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default())
}

fn json_field(body: &str, field: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v[field].as_str().unwrap_or_else(|| panic!("no {field} in {body}")).to_owned()
}

fn message_ids(mails: &[String]) -> Vec<String> {
    let mut ids: Vec<String> =
        mails.iter().filter_map(|m| m.lines().find(|l| l.starts_with("Message-ID:")).map(|l| l.trim().to_owned())).collect();
    ids.sort();
    ids
}

#[test]
fn a_killed_server_delivers_each_message_once_after_restart_and_staff_work_the_queue() {
    let dir = tempfile::tempdir().unwrap();
    let (mut first, addr, token) = serve(dir.path());
    let token = token.expect("a fresh directory prints the admin token");
    let subject = r#"{"kind":"customer","values":[{"category":"contact.email","value":"kill.test@example.ru","purposes":["account"]}]}"#;
    let (status, body) = post(&addr, "/v1/subjects", Some(&token), subject);
    assert_eq!(status, 201, "{body}");
    let subject_id = json_field(&body, "id");
    let (status, body) = post(&addr, "/v1/public/default/requests", None, r#"{"kind":"access","email":"kill.test@example.ru"}"#);
    assert_eq!(status, 202, "{body}");
    let request = json_field(&body, "id");
    // No SMTP configured: the messages are committed and wait. Now the process dies.
    kill(&mut first);

    let (port, received) = smtp_server();
    std::fs::write(
        dir.path().join("obereg.toml"),
        format!("[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\nfrom = \"privacy@voice-robot.example\"\n"),
    )
    .unwrap();
    let (mut second, _, _) = serve(dir.path());
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "the outbox was not delivered after the restart");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(5));
    kill(&mut second);
    let (mut third, _, _) = serve(dir.path());
    std::thread::sleep(Duration::from_secs(5));
    kill(&mut third);
    let mails = received.lock().unwrap().clone();
    let ids = message_ids(&mails);
    assert_eq!(ids.len(), 2, "the code and the acknowledgement, once each: {mails:#?}");
    assert_ne!(ids[0], ids[1]);

    // The staff side at the command line.
    let listed = stdout(&obereg(dir.path(), &["requests", "list"]));
    assert!(listed.contains(&request) && listed.contains("identity_check"), "{listed}");
    let verified = obereg(dir.path(), &["requests", "verify", &request, "--note", "паспорт проверен", "--subject", &subject_id]);
    assert_eq!(verified.status.code(), Some(0), "{}", String::from_utf8_lossy(&verified.stderr));
    assert!(stdout(&verified).contains("in_progress"));
    let done = obereg(dir.path(), &["requests", "complete", &request]);
    assert!(stdout(&done).contains("completed"), "{}", String::from_utf8_lossy(&done.stderr));
    let out = dir.path().join("answer.json");
    let exported = obereg(dir.path(), &["requests", "export", &request, "--out", out.to_str().unwrap()]);
    assert_eq!(exported.status.code(), Some(0), "{}", String::from_utf8_lossy(&exported.stderr));
    let answer = std::fs::read_to_string(&out).unwrap();
    assert!(answer.contains("obereg-subject-export/1") && answer.contains("kill.test@example.ru"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let shown = stdout(&obereg(dir.path(), &["requests", "show", &request]));
    assert!(shown.contains("identity_verified") && shown.contains("паспорт проверен"), "{shown}");
    let bad = obereg(dir.path(), &["requests", "refuse", &request, "--reason", "x"]);
    assert_eq!(bad.status.code(), Some(2), "a reason needs a norm");
    let closed = obereg(dir.path(), &["requests", "extend", &request, "--reason", "архив"]);
    assert_eq!(closed.status.code(), Some(1));
}

#[test]
fn a_calendar_file_is_loaded_and_a_bad_one_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(obereg(dir.path(), &["init"]).status.code(), Some(0));
    // A regional overlay: Monday 23 November 2026 made a day off.
    std::fs::write(
        dir.path().join("calendar.toml"),
        "[[year]]\nyear = 2026\nsource = \"test overlay\"\ndays_off = [\"2026-01-01\", \"2026-01-02\", \"2026-01-05\", \"2026-01-06\", \"2026-01-07\", \"2026-01-08\", \"2026-01-09\", \"2026-02-23\", \"2026-03-09\", \"2026-05-01\", \"2026-05-11\", \"2026-06-12\", \"2026-11-04\", \"2026-11-23\", \"2026-12-31\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("obereg.toml"), "calendar_file = \"calendar.toml\"\n").unwrap();
    let listed = obereg(dir.path(), &["requests", "list"]);
    assert_eq!(listed.status.code(), Some(0), "{}", String::from_utf8_lossy(&listed.stderr));

    std::fs::write(dir.path().join("calendar.toml"), "[[year]]\nyear = 2026\nsource = \"x\"\ndays_off = [\"2027-01-01\"]\n").unwrap();
    let refused = obereg(dir.path(), &["requests", "list"]);
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(err.contains("calendar") && err.contains("календарь"), "{err}");
}
