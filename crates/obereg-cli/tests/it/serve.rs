//! `obereg init`, `obereg serve` and `obereg token` on a fresh directory, as the README says.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{obereg, stdout};

/// A minimal HTTP/1.1 GET, so the test needs no HTTP client crate.
fn get(addr: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, response)
}

#[test]
fn init_creates_a_private_key_and_a_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = obereg(dir.path(), &["init"]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(stdout(&first).contains("obg_"));
    let key = dir.path().join("obereg-data/root.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(dir.path().join("obereg-data")).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let key_text = std::fs::read_to_string(&key).unwrap();
    let again = obereg(dir.path(), &["init"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(!stdout(&again).contains("obg_") && stdout(&again).contains("Already initialised"));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), key_text, "the key is never replaced");

    let issued = obereg(dir.path(), &["token", "create", "--role", "support", "--label", "desk"]);
    assert_eq!(issued.status.code(), Some(0));
    assert!(stdout(&issued).trim().starts_with("obg_"));
    let listed = stdout(&obereg(dir.path(), &["token", "list"]));
    assert_eq!(listed.lines().count(), 2);
    assert!(!listed.contains("obg_"));
    let bad_role = obereg(dir.path(), &["token", "create", "--role", "janitor"]);
    assert_eq!(bad_role.status.code(), Some(1));
    let no_tenant = obereg(dir.path(), &["token", "create", "--tenant", "ghost"]);
    assert_eq!(no_tenant.status.code(), Some(1));
}

#[test]
fn a_world_readable_root_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(obereg(dir.path(), &["init"]).status.code(), Some(0));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.path().join("obereg-data/root.key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = obereg(dir.path(), &["init"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
    }
}

#[test]
fn serve_on_a_fresh_directory_answers_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_obereg"))
        .current_dir(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
        .env_remove("OBEREG_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = None;
    let mut token = None;
    while token.is_none() {
        let line = lines.next().expect("serve prints its address and token").unwrap();
        if let Some(rest) = line.strip_prefix("obereg serves on http://") {
            addr = rest.split_whitespace().next().map(str::to_owned);
        }
        if let Some(t) = line.trim().strip_prefix("obg_") {
            token = Some(format!("obg_{t}"));
        }
    }
    let (addr, token) = (addr.unwrap(), token.unwrap());

    let (status, body) = get(&addr, "/healthz", None);
    assert_eq!(status, 200, "{body}");
    let (status, body) = get(&addr, "/v1/catalog", Some(&token));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"tenant\":\"default\""));
    let (status, _) = get(&addr, "/v1/catalog", None);
    assert_eq!(status, 401);

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful exit: {status:?}");
}

#[test]
fn serve_uses_postgres_when_given_a_url() {
    let Ok(admin) = std::env::var("OBEREG_TEST_POSTGRES_URL") else { return };
    // A fresh database for this run, dropped at the end.
    let name = format!("obereg_cli_{}", std::process::id());
    let psql = |sql: &str| Command::new("psql").args([admin.as_str(), "-qAtc", sql]).status().map(|s| s.success()).unwrap_or(false);
    if !psql(&format!("CREATE DATABASE {name}")) {
        panic!("OBEREG_TEST_POSTGRES_URL is set but psql cannot create a database");
    }
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let dir = tempfile::tempdir().unwrap();
    let out = obereg(dir.path(), &["--database-url", &url, "init"]);
    let again = obereg(dir.path(), &["--database-url", &url, "init"]);
    psql(&format!("DROP DATABASE {name} WITH (FORCE)"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("obg_"));
    assert!(stdout(&again).contains("Already initialised"), "the tenant lives in PostgreSQL");
    assert!(!dir.path().join("obereg-data/obereg.db").exists(), "no SQLite file when PostgreSQL is used");
}
