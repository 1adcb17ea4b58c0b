//! `obereg incident …` against a fresh `init`ed directory: record from a facts file, list the
//! clocks, refuse a notice until its facts are in, update, print the notice, record it sent,
//! refuse a stale version.

use crate::{obereg, stderr, stdout};

#[test]
fn an_incident_is_worked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(obereg(d, &["init"]).status.code(), Some(0));
    let now = jiff::Timestamp::now().to_string();
    std::fs::write(d.join("facts.json"), format!(r#"{{"detected_at": "{now}", "description": "Backup copied by a former contractor"}}"#))
        .unwrap();
    let made = obereg(d, &["incident", "record", "--facts", "facts.json"]);
    assert_eq!(made.status.code(), Some(0), "{}", stderr(&made));
    let view: serde_json::Value = serde_json::from_str(&stdout(&made)).unwrap();
    let id = view["id"].as_str().unwrap().to_owned();
    let list = stdout(&obereg(d, &["incident", "list"]));
    assert!(list.contains(&format!("{id}\tsuspected\tv1\trkn_initial\tdue ")) && list.contains("running"), "{list}");

    let early = obereg(d, &["incident", "notice", "--id", &id, "--kind", "rkn_initial"]);
    assert_eq!(early.status.code(), Some(1));
    assert!(stderr(&early).contains("causes"), "{}", stderr(&early));
    let bad_kind = obereg(d, &["incident", "notice", "--id", &id, "--kind", "fax"]);
    assert_eq!(bad_kind.status.code(), Some(2));

    std::fs::write(
        d.join("facts.json"),
        format!(
            r#"{{"detected_at": "{now}", "description": "Backup copied by a former contractor", "causes": "Access not revoked",
               "harm": "Possible misuse of contact data", "measures": "Access revoked, keys rotated",
               "contact": {{"name": "Мария Иванова", "email": "dpo@voice-robot.example"}}}}"#
        ),
    )
    .unwrap();
    let updated = obereg(d, &["incident", "update", "--id", &id, "--version", "1", "--facts", "facts.json"]);
    assert_eq!(updated.status.code(), Some(0), "{}", stderr(&updated));
    let stale = obereg(d, &["incident", "update", "--id", &id, "--version", "1", "--facts", "facts.json"]);
    assert_ne!(stale.status.code(), Some(0), "a stale version is refused");
    let notice = stdout(&obereg(d, &["incident", "notice", "--id", &id, "--kind", "rkn_initial"]));
    assert!(notice.contains("п. 1 ч. 3.1 ст. 21 152-ФЗ") && notice.contains("Access revoked, keys rotated"), "{notice}");
    let sent = obereg(d, &["incident", "sent", "--id", &id, "--version", "2", "--kind", "rkn_initial"]);
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    assert!(stdout(&sent).contains("rkn_initial\tdue") && stdout(&sent).contains("sent_on_time"), "{}", stdout(&sent));
    let assessed = obereg(d, &["incident", "assess", "--id", &id, "--version", "3", "--scope", "everything"]);
    assert_eq!(assessed.status.code(), Some(0), "{}", stderr(&assessed));
    assert!(stdout(&assessed).starts_with("subjects\t0\n"), "{}", stdout(&assessed));
}
