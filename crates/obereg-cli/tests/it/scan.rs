//! `obereg scan` and `obereg redact`: findings as JSON lines with byte offsets and the
//! exit code pipelines rely on; the three redaction methods; bad input.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::{obereg, stderr, stdout};

const TEXT: &str = "Звоните +7 (916) 123-45-89, почта ivan@mail.ru\nИНН 7707083893, заказ 12345\n";

#[test]
fn scan_prints_findings_with_byte_offsets_and_exits_1_when_it_finds_any() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), TEXT).unwrap();
    let out = obereg(dir.path(), &["scan", "note.txt"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let seen: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| {
            let (s, e) = (l["start"].as_u64().unwrap() as usize, l["end"].as_u64().unwrap() as usize);
            (l["type"].as_str().unwrap(), &TEXT[s..e])
        })
        .collect();
    assert_eq!(seen, [("PHONE", "+7 (916) 123-45-89"), ("EMAIL", "ivan@mail.ru"), ("INN", "7707083893")]);
    assert!(!stdout(&out).contains("ivan@mail.ru"), "values are never printed");

    // Nothing personal: exit 0, no output; standard input works the same.
    let mut child = Command::new(env!("CARGO_BIN_EXE_obereg"))
        .args(["scan", "-"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all("Заказ 12345 доставлен 10.06.2024.\n".as_bytes()).unwrap();
    let clean = child.wait_with_output().unwrap();
    assert_eq!((clean.status.code(), clean.stdout.is_empty()), (Some(0), true));
    // Invalid UTF-8 is scanned, not refused.
    std::fs::write(dir.path().join("bytes.bin"), b"\xff\xfe mail: a.b@example.ru \xc3").unwrap();
    assert_eq!(obereg(dir.path(), &["scan", "bytes.bin"]).status.code(), Some(1));
    assert_eq!(obereg(dir.path(), &["scan", "missing.txt"]).status.code(), Some(2));
}

#[test]
fn redact_replaces_by_label_mask_or_the_tenants_pseudonym() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), TEXT).unwrap();
    let label = obereg(dir.path(), &["redact", "note.txt"]);
    assert_eq!(stdout(&label), "Звоните [PHONE], почта [EMAIL]\nИНН [INN], заказ 12345\n");
    let mask = obereg(dir.path(), &["redact", "note.txt", "--method", "mask"]);
    assert_eq!(stdout(&mask), "Звоните +7 (***) ***-**-89, почта ***@mail.ru\nИНН ********93, заказ 12345\n");
    assert_eq!(obereg(dir.path(), &["init"]).status.code(), Some(0));
    let first = obereg(dir.path(), &["redact", "note.txt", "--method", "pseudonym", "--out", "p.txt"]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let pseudonymised = std::fs::read_to_string(dir.path().join("p.txt")).unwrap();
    assert!(pseudonymised.starts_with("Звоните PHONE_") && !pseudonymised.contains("ivan"), "{pseudonymised}");
    // The same tenant key: the same tokens on another run.
    obereg(dir.path(), &["redact", "note.txt", "--method", "pseudonym", "--out", "q.txt"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("q.txt")).unwrap(), pseudonymised);
    assert_eq!(obereg(dir.path(), &["redact", "note.txt", "--method", "shred"]).status.code(), Some(2));
}
