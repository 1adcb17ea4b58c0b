//! Technical logs end to end: a real-format nginx log with addresses, cookies, emails and
//! phones in it goes in; what is kept holds none of them, statistics come out, the same file
//! is refused a second time, lines past the term are not kept and day files past it are
//! deleted, and the one way back is journaled with its purpose.

use std::io::Write;

use jiff::SignedDuration;

use crate::EngineError;
use crate::retention_tests::env;
use crate::weblogs::{IpMode, QueryMode, WeblogOptions};

/// A day of a small site's nginx log in the combined format, plus a JSON line and junk.
fn nginx_log(day: &str) -> String {
    let mut log = String::new();
    let agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.199 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    ];
    for i in 0..60 {
        let ip = format!("203.0.113.{}", i % 7 + 1);
        let (path, status) = match i % 4 {
            0 => ("/".to_owned(), 200),
            1 => ("/callback?phone=%2B7%20916%20123-45-67&name=%D0%98%D0%B2%D0%B0%D0%BD".to_owned(), 302),
            2 => (format!("/account?sid=s{i:04}secret&email=user{i}%40mail.ru"), 200),
            _ => ("/missing".to_owned(), 404),
        };
        log.push_str(&format!(
            "{ip} - - [{day}:1{}:0{}:00 +0300] \"GET {path} HTTP/1.1\" {status} {} \"https://ya.ru/search?text=user{i}%40mail.ru\" \"{}\"\n",
            i % 10,
            i % 6,
            100 + i,
            agents[i % 3]
        ));
    }
    log.push_str(
        &format!(r#"{{"time_local":"{day}:12:00:00 +0300","remote_addr":"198.51.100.77","request":"POST /form HTTP/1.1","status":200,"body_bytes_sent":5,"http_user_agent":"curl/8.5.0","http_cookie":"PHPSESSID=cookie-secret-42; lang=ru"}}"#),
    );
    log.push('\n');
    log.push_str("this is not a log line\n\n");
    log
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().write_all(text.as_bytes()).unwrap();
    path
}

#[tokio::test]
async fn an_nginx_log_is_kept_without_addresses_cookies_or_emails() {
    let env = env().await;
    let e = &env.engine;
    env.clock.advance("2026-11-22T09:00:00Z".parse::<jiff::Timestamp>().unwrap().duration_since(env.engine.clock.now()));
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("weblogs");
    let file = write(dir.path(), "access.log", &nginx_log("21/Nov/2026"));
    let report = e.ingest_weblog_file(&env.admin, &root, &file, WeblogOptions::default()).await.unwrap();
    assert_eq!((report.lines, report.kept, report.malformed), (62, 61, 1), "{report:?}");
    assert_eq!(report.days, vec!["2026-11-21".to_owned()]);
    assert_eq!(report.retention, "P1Y");
    let kept = std::fs::read_to_string(root.join("default/2026-11-21.jsonl")).unwrap();
    assert_eq!(kept.lines().count(), 61);
    // Fragments a keyed hash (hex) cannot contain by chance: "916" alone turned up inside a
    // hashed session id now and then.
    for leak in
        ["203.0.113.", "198.51.100", "cookie-secret-42", "mail.ru", "%40", "916%20", "123-45-67", "secret", "Иван", "%D0%98", "6099.199"]
    {
        assert!(!kept.contains(leak), "{leak} is kept:\n{}", kept.lines().find(|l| l.contains(leak)).unwrap_or(""));
    }
    assert!(kept.contains("\"q\":\"phone=[PHONE]&name=[PERSON]\""), "{}", kept.lines().nth(1).unwrap());
    // The same file again changes nothing.
    let again = e.ingest_weblog_file(&env.admin, &root, &file, WeblogOptions::default()).await.unwrap_err();
    assert_eq!(again.code(), "weblog.already_ingested");
    assert_eq!(std::fs::read_to_string(root.join("default/2026-11-21.jsonl")).unwrap().lines().count(), 61);

    // Statistics from what is kept.
    let day = jiff::civil::date(2026, 11, 21);
    let stats = e.weblog_stats(&env.admin, &root, day, day).await.unwrap();
    assert_eq!(stats.requests, 61);
    assert_eq!(stats.days[0].visitors, 8, "seven addresses and the JSON one");
    assert_eq!(stats.by_status["4xx"], 15);
    assert_eq!(stats.bots, 21, "YandexBot every third line and curl");
    assert_eq!(stats.top_paths[0], ("/".to_owned(), 15));
    assert!(stats.top_paths.iter().all(|(_, n)| *n >= 10));

    // The way back: one address, one day, a purpose — journaled before it answers.
    let found = e.reidentify_weblog(&env.admin, &root, "fraud_investigation", "203.0.113.3", day).await.unwrap();
    assert!(!found.is_empty() && found.iter().all(|l| !l.contains("203.0.113")));
    let last = e.journal_entries(&env.admin, 0, 1000).await.unwrap().pop().unwrap().entry().unwrap();
    assert_eq!((last.operation.as_str(), last.purpose.as_deref()), ("weblog.reidentified", Some("fraud_investigation")));
    let no_purpose = e.reidentify_weblog(&env.admin, &root, "just curious", "203.0.113.3", day).await.unwrap_err();
    assert_eq!(no_purpose.code(), "weblog.purpose_required");
}

#[tokio::test]
async fn lines_and_days_past_the_term_go_and_bad_input_changes_nothing() {
    let env = env().await;
    let e = &env.engine;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("weblogs");
    env.clock.advance("2026-11-22T09:00:00Z".parse::<jiff::Timestamp>().unwrap().duration_since(env.engine.clock.now()));
    // Two years old: past the one-year term, not kept at all.
    let old = write(dir.path(), "old.log", &nginx_log("21/Nov/2024"));
    let report = e.ingest_weblog_file(&env.admin, &root, &old, WeblogOptions::default()).await.unwrap();
    assert_eq!((report.kept, report.expired), (0, 61));
    let fresh = write(dir.path(), "fresh.log", &nginx_log("21/Nov/2026"));
    let options = WeblogOptions { ip: IpMode::Truncate, query: QueryMode::Strip, ..Default::default() };
    e.ingest_weblog_file(&env.admin, &root, &fresh, options).await.unwrap();
    let kept = std::fs::read_to_string(root.join("default/2026-11-21.jsonl")).unwrap();
    assert!(kept.contains("\"ip\":\"203.0.113.0/24\"") && !kept.contains("\"q\""));
    // A year and a day later the day file is deleted, and the deletion journaled.
    assert!(e.sweep_weblogs(&root, "technical.web_log").await.unwrap().is_empty());
    env.clock.advance(SignedDuration::from_hours(24 * 367));
    let deleted = e.sweep_weblogs(&root, "technical.web_log").await.unwrap();
    assert_eq!(deleted, vec![("default".to_owned(), "2026-11-21".to_owned())]);
    assert!(!root.join("default/2026-11-21.jsonl").exists());
    let last = e.journal_entries(&env.admin, 0, 1000).await.unwrap().pop().unwrap().entry().unwrap();
    assert_eq!((last.operation.as_str(), last.object.as_deref()), ("destruction", Some("2026-11-21")));

    // Bad input: an unknown or non-technical category, a missing file, the wrong role.
    let unknown = WeblogOptions { category: "technical.nope".into(), ..Default::default() };
    assert_eq!(e.ingest_weblog_file(&env.admin, &root, &fresh, unknown).await.unwrap_err().code(), "weblog.unknown_category");
    let ordinary = WeblogOptions { category: "contact.email".into(), ..Default::default() };
    assert_eq!(e.ingest_weblog(&env.admin, &root, std::io::empty(), ordinary).await.unwrap_err().code(), "weblog.not_technical");
    let missing = e.ingest_weblog_file(&env.admin, &root, &dir.path().join("nope.log"), WeblogOptions::default()).await;
    assert_eq!(missing.unwrap_err().code(), "weblog.unreadable");
    let support = e.create_token(&env.admin, "support", "s").await.unwrap();
    let support = e.authenticate(support.secret.reveal_once()).await.unwrap();
    assert!(matches!(e.ingest_weblog(&support, &root, std::io::empty(), WeblogOptions::default()).await, Err(EngineError::Forbidden)));
    let day = jiff::civil::date(2026, 11, 21);
    assert!(matches!(e.weblog_stats(&support, &root, day, day).await, Err(EngineError::Forbidden)));
    assert_eq!(e.weblog_stats(&env.admin, &root, day, jiff::civil::date(2026, 1, 1)).await.unwrap_err().code(), "weblog.bad_range");
}
