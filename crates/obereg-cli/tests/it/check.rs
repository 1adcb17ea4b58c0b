//! `obereg check` and `obereg config check`.

use crate::{examples, obereg, stderr, stdout};

#[test]
fn the_examples_pass() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["voice-robot-calls.toml", "sales-calls-app.toml", "legal-consultation-site.toml"] {
        let path = examples().join(name);
        let out = obereg(dir.path(), &["check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stdout(&out));
        assert!(stdout(&out).contains("0 error(s), 0 warning(s)"));
    }
}

#[test]
fn an_invalid_catalog_exits_1_naming_file_line_column_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(examples().join("voice-robot-calls.toml")).unwrap();
    let broken = source
        .replace("retention = { period = \"P3Y\", trigger = \"account_closed\" }\n", "")
        .replace("country = \"RU\"\nprovider", "country = \"DE\"\nprovider");
    std::fs::write(dir.path().join("broken.toml"), &broken).unwrap();
    let out = obereg(dir.path(), &["check", "broken.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("error[purpose.no_retention]: purpose `account` has no retention rule"), "{text}");
    assert!(text.contains("error[residency.first_storage_abroad]"), "{text}");
    // Findings about a whole entry point at its `[[purposes]]` header, the line above its id.
    let line = broken.lines().position(|l| l == "id = \"account\"").unwrap();
    assert!(text.contains(&format!("--> broken.toml:{line}:")), "{text}");
    assert!(text.contains("= fix: add `retention"), "{text}");

    let ru = obereg(dir.path(), &["check", "--lang", "ru", "broken.toml"]);
    assert!(stdout(&ru).contains("ошибка[purpose.no_retention]: у цели `account` не задан срок хранения"));

    let json = obereg(dir.path(), &["check", "--format", "json", "broken.toml"]);
    assert_eq!(json.status.code(), Some(1));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed[0]["valid"], false);
    assert_eq!(parsed[0]["diagnostics"][0]["position"]["line"], line);
}

#[test]
fn warnings_pass_unless_denied() {
    let dir = tempfile::tempdir().unwrap();
    let source = std::fs::read_to_string(examples().join("sales-calls-app.toml")).unwrap();
    std::fs::write(dir.path().join("w.toml"), source.replace("languages = [\"ru\", \"en\"]", "languages = [\"ru\"]")).unwrap();
    let out = obereg(dir.path(), &["check", "w.toml"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("warning[documents.english_missing]"));
    assert_eq!(obereg(dir.path(), &["check", "--deny-warnings", "w.toml"]).status.code(), Some(1));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = obereg(dir.path(), &["check", "nope.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("cannot read nope.toml"));
    assert_eq!(obereg(dir.path(), &["check"]).status.code(), Some(2));
    assert_eq!(obereg(dir.path(), &["frobnicate"]).status.code(), Some(2));
}

#[test]
fn config_check_prints_the_effective_config_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("obereg.toml"), "listen = \"127.0.0.1:7000\"\ndatabase_url = \"postgres://app:s3cret@db/obereg\"\n")
        .unwrap();
    let out = obereg(dir.path(), &["--listen", "127.0.0.1:7001", "config", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("listen = \"127.0.0.1:7001\""), "flags beat the file: {text}");
    assert!(text.contains("postgres://app:***@db/obereg") && !text.contains("s3cret"), "{text}");

    std::fs::write(dir.path().join("obereg.toml"), "listn = \"x\"\n").unwrap();
    let bad = obereg(dir.path(), &["config", "check"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("listn"));
}
