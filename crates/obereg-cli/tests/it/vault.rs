//! `obereg import subjects` and `obereg keys …` end to end: rejected rows with line numbers
//! in a spreadsheet-safe reject file, duplicates skipped, a re-run that resumes, and an
//! online rotation.

use crate::{obereg, stderr, stdout};

const CSV: &str = "name,phone,email,note\n\
Иван Петров,+7 916 111-22-33,ivan@example.ru,ok\n\
=HYPERLINK(\"http://evil\"),not a phone,evil@example.ru,formula\n\
John Smith,8 916 444-55-66,john@example.ru,ok\n\
Иван Петров,89161112233,other@example.ru,same phone as line 2\n\
,,,empty\n";

fn import(dir: &std::path::Path) -> std::process::Output {
    obereg(
        dir,
        &[
            "import",
            "subjects",
            "people.csv",
            "--kind",
            "customer",
            "--purpose",
            "account",
            "--map",
            "name=identity.name",
            "--map",
            "phone=contact.phone",
            "--map",
            "email=contact.email",
            "--batch",
            "2",
        ],
    )
}

#[test]
fn import_reports_rejects_skips_duplicates_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(obereg(dir.path(), &["init"]).status.code(), Some(0));
    std::fs::write(dir.path().join("people.csv"), CSV).unwrap();
    let out = import(dir.path());
    assert_eq!(out.status.code(), Some(1), "rejected rows make the exit code 1: {}", stderr(&out));
    let summary = stdout(&out);
    assert!(summary.contains("5 rows: 2 created, 1 duplicates, 2 rejected"), "{summary}");
    let rejects = std::fs::read_to_string(dir.path().join("people.csv.rejects.csv")).unwrap();
    let lines: Vec<&str> = rejects.lines().collect();
    assert_eq!(lines[0], "name,phone,email,note,line,error_code,error");
    assert!(
        lines[1].starts_with("\"'=HYPERLINK(\"\"http://evil\"\")\",not a phone,evil@example.ru,formula,3,value.invalid_phone,"),
        "{rejects}"
    );
    assert!(lines[2].contains(",6,import.empty_row,"), "{rejects}");
    assert!(!dir.path().join("people.csv.import-state").exists(), "a finished import leaves no state");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("people.csv.rejects.csv")).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the reject file holds personal data");
    }

    // Running it again stores nothing twice.
    let again = stdout(&import(dir.path()));
    assert!(again.contains("0 created, 3 duplicates"), "{again}");

    // An interrupted import (state saved after line 3) resumes after that line.
    std::fs::write(dir.path().join("people.csv.import-state"), r#"{"header":["name","phone","email","note"],"done_line":3}"#).unwrap();
    let resumed = import(dir.path());
    assert!(stderr(&resumed).contains("resuming after line 3"), "{}", stderr(&resumed));
    assert!(stdout(&resumed).contains("0 created, 2 duplicates, 1 rejected"), "{}", stdout(&resumed));
    std::fs::write(dir.path().join("people.csv.import-state"), r#"{"header":["other"],"done_line":3}"#).unwrap();
    assert_eq!(import(dir.path()).status.code(), Some(2), "a state file of another file is refused");

    let unknown = obereg(
        dir.path(),
        &["import", "subjects", "people.csv", "--kind", "customer", "--purpose", "account", "--map", "fax=contact.phone"],
    );
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("column `fax` is not in the header"), "{}", stderr(&unknown));
}

#[test]
fn keys_rotate_and_report_status() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(obereg(dir.path(), &["init"]).status.code(), Some(0));
    std::fs::write(dir.path().join("people.csv"), CSV).unwrap();
    import(dir.path());
    let status = stdout(&obereg(dir.path(), &["keys", "status"]));
    assert!(status.contains("version / текущая версия ключа шифрования ключей: 1") && status.contains("v1: 2 data keys"), "{status}");
    let rotated = obereg(dir.path(), &["keys", "rotate"]);
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    assert!(stdout(&rotated).contains("rotated to v2: 2 data keys re-wrapped"), "{}", stdout(&rotated));
    assert!(stdout(&obereg(dir.path(), &["keys", "status"])).contains("v2: 2 data keys"));
    let verified = obereg(dir.path(), &["journal", "verify"]);
    assert_eq!(verified.status.code(), Some(0), "{}", stdout(&verified));
}

#[test]
fn a_contact_list_is_checked_before_a_campaign() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(obereg(dir.path(), &["init"]).status.code(), Some(0));
    std::fs::write(dir.path().join("people.csv"), CSV).unwrap();
    import(dir.path());
    std::fs::write(dir.path().join("emails.txt"), "ivan@example.ru\n\nstranger@example.ru\nnot an email\n").unwrap();
    let out =
        obereg(dir.path(), &["check-list", "emails.txt", "--category", "contact.email", "--purpose", "product_news", "--channel", "email"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = stdout(&out);
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "line,allowed,code,reason");
    assert!(rows[1].starts_with("1,false,decision.no_consent,"), "{csv}");
    assert!(rows[2].starts_with("3,false,decision.no_consent,"), "an unknown address has no consent: {csv}");
    assert!(rows[3].starts_with("4,false,value.invalid_email,"), "{csv}");
    assert!(!csv.contains("ivan@example.ru"), "contacts are not echoed");
    assert!(stderr(&out).contains("3 contacts: 0 allowed, 3 denied"), "{}", stderr(&out));

    std::fs::write(dir.path().join("phones.txt"), "+7 916 111-22-33\n+7 999 000-00-00\n").unwrap();
    let calls = stdout(&obereg(dir.path(), &["check-list", "phones.txt", "--purpose", "robot_calls"]));
    assert!(
        calls.contains("1,true,decision.basis,") && calls.contains("2,true,decision.basis,"),
        "a contract purpose needs no consent: {calls}"
    );
    let bad = obereg(dir.path(), &["check-list", "phones.txt", "--purpose", "robot_calls", "--channel", "fax"]);
    assert_eq!(bad.status.code(), Some(2));

    // A list longer than the batches checked at once (8 × 1,000): answers stay in list order.
    let list: Vec<String> =
        (1..=9_001).map(|n| if n % 1000 == 7 { "not an email".to_owned() } else { format!("u{n}@example.ru") }).collect();
    std::fs::write(dir.path().join("long.txt"), list.join("\n")).unwrap();
    let out =
        obereg(dir.path(), &["check-list", "long.txt", "--category", "contact.email", "--purpose", "product_news", "--channel", "email"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = stdout(&out);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 9_001);
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        let code = if n % 1000 == 7 { "value.invalid_email" } else { "decision.no_consent" };
        assert!(row.starts_with(&format!("{n},false,{code},")), "row {n}: {row}");
    }
}

#[test]
fn a_sweep_runs_from_the_command_line_and_acts_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(obereg(dir.path(), &["init"]).status.code(), Some(0));
    std::fs::write(dir.path().join("people.csv"), CSV).unwrap();
    import(dir.path());
    let dry = obereg(dir.path(), &["sweep", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    let text = stdout(&dry);
    assert!(text.contains("would / было бы: subjects seen 2"), "{text}");
    let json = obereg(dir.path(), &["sweep", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    assert_eq!(report["subjects_seen"], 2);
    assert_eq!(report["dry_run"], false);
    assert_eq!(report["values_destroyed"], 0, "an open account holds its data");
    let acts = obereg(dir.path(), &["acts", "list"]);
    assert_eq!((acts.status.code(), stdout(&acts)), (Some(0), String::new()));
    let missing = obereg(dir.path(), &["acts", "verify", "A-0000000000AA"]);
    assert_ne!(missing.status.code(), Some(0));
    assert!(stderr(&missing).contains("not found"), "{}", stderr(&missing));
}

#[test]
fn documents_render_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(obereg(dir.path(), &["init"]).status.code(), Some(0));
    let policy = obereg(dir.path(), &["docs", "render", "--kind", "policy", "--lang", "ru"]);
    assert_eq!(policy.status.code(), Some(0), "{}", stderr(&policy));
    assert!(stdout(&policy).starts_with("# Политика в отношении обработки персональных данных"));
    let html = obereg(dir.path(), &["docs", "render", "--kind", "rkn_notice", "--format", "html", "--out", "notice.html"]);
    assert_eq!(html.status.code(), Some(0), "{}", stderr(&html));
    assert!(std::fs::read_to_string(dir.path().join("notice.html")).unwrap().contains("<table>"));
    assert_eq!(obereg(dir.path(), &["docs", "render", "--kind", "memo"]).status.code(), Some(2));
    assert_eq!(obereg(dir.path(), &["docs", "render", "--kind", "policy", "--lang", "de"]).status.code(), Some(2));

    // Publishing: today, once; the same text again is refused and changes nothing.
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).date().to_string();
    let published = obereg(dir.path(), &["docs", "publish", "--effective-on", &today, "--json"]);
    assert_eq!(published.status.code(), Some(0), "{}", stderr(&published));
    let publication: serde_json::Value = serde_json::from_str(&stdout(&published)).unwrap();
    assert_eq!((publication["number"].clone(), publication["status"].clone()), (serde_json::json!(1), serde_json::json!("in_force")));
    assert_eq!(publication["notices"]["done"], true, "the command walks the subjects before it returns");
    let again = obereg(dir.path(), &["docs", "publish", "--effective-on", &today]);
    assert_ne!(again.status.code(), Some(0));
    assert!(stderr(&again).contains("nothing new"), "{}", stderr(&again));
    assert_eq!(obereg(dir.path(), &["docs", "publish", "--effective-on", "tomorrow"]).status.code(), Some(2));
    let listed = obereg(dir.path(), &["docs", "publications"]);
    let text = stdout(&listed);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with(publication["id"].as_str().unwrap()) && text.contains("/p/default/policy/P-"), "{text}");
}
