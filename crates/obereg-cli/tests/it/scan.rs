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

/// A 16-bit mono WAV at 8 kHz whose every sample is 1000.
fn flat_wav(secs: usize) -> Vec<u8> {
    let data: Vec<u8> = std::iter::repeat_n(1000i16.to_le_bytes(), 8000 * secs).flatten().collect();
    let mut wav = b"RIFF".to_vec();
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt \x10\0\0\0\x01\0\x01\0\x40\x1f\0\0\x80\x3e\0\0\x02\0\x10\0data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    wav
}

#[test]
fn redact_audio_silences_what_the_transcript_says_is_personal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("call.wav"), flat_wav(3)).unwrap();
    let transcript = r#"{"words": [
        {"word": "почта", "start": 0.1, "end": 0.4},
        {"word": "anna@mail.ru", "start": 0.5, "end": 1.5},
        {"word": "спасибо", "start": 2.2, "end": 2.6}]}"#;
    std::fs::write(dir.path().join("call.json"), transcript).unwrap();
    let out = obereg(dir.path(), &["redact-audio", "--transcript", "call.json", "--wav", "call.wav", "--out", "clean.wav"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let span: serde_json::Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(span["kinds"], serde_json::json!(["EMAIL"]));
    let clean = std::fs::read(dir.path().join("clean.wav")).unwrap();
    let sample = |t: f64| {
        let at = 44 + 2 * (t * 8000.0) as usize;
        i16::from_le_bytes([clean[at], clean[at + 1]])
    };
    assert_eq!((sample(0.2), sample(1.0), sample(2.4)), (1000, 0, 1000));
    std::fs::write(dir.path().join("bad.wav"), b"not a wav").unwrap();
    let bad = obereg(dir.path(), &["redact-audio", "--transcript", "call.json", "--wav", "bad.wav", "--out", "x.wav"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("not a RIFF/WAVE"), "{}", stderr(&bad));
    assert!(!dir.path().join("x.wav").exists(), "nothing written for a bad file");
}
