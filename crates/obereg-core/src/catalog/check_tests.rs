//! Tests of the whole check: parse errors, positions in the source, size limit.

use super::{Severity, check};

const VOICE_ROBOT: &str = include_str!("../../../../examples/voice-robot-calls.toml");

#[test]
fn syntax_errors_point_at_the_line() {
    let src = "format = 1\n[operator\nlegal_name = 1\n";
    let report = check(src);
    assert!(!report.is_valid());
    let d = &report.diagnostics[0];
    assert_eq!(d.code, "catalog.syntax");
    assert_eq!(d.position.unwrap().line, 2);
}

#[test]
fn unknown_fields_are_refused_with_their_position() {
    let src = VOICE_ROBOT.replace("rkn_registry_number", "rkn_registry_nubmer");
    let report = check(&src);
    let d = &report.diagnostics[0];
    assert_eq!(d.code, "catalog.syntax");
    assert!(d.message.en.contains("rkn_registry_nubmer"), "{}", d.message.en);
    let line = src.lines().position(|l| l.starts_with("rkn_registry_nubmer")).unwrap() + 1;
    assert_eq!(d.position.unwrap().line, line);
}

#[test]
fn wrong_enum_values_are_refused() {
    let src = VOICE_ROBOT.replace("kind = \"technical\"", "kind = \"secret\"");
    let report = check(&src);
    assert_eq!(report.diagnostics[0].code, "catalog.syntax");
    assert!(report.diagnostics[0].message.en.contains("secret"));
}

#[test]
fn bad_periods_are_refused() {
    let src = VOICE_ROBOT.replace("period = \"P3Y\"", "period = \"3 years\"");
    let report = check(&src);
    assert_eq!(report.diagnostics[0].code, "catalog.syntax");
    assert!(report.diagnostics[0].message.en.contains("3 years"));
}

#[test]
fn semantic_findings_carry_source_positions() {
    let src = VOICE_ROBOT.replace("inn = \"7712345671\"", "inn = \"7712345670\"");
    let report = check(&src);
    assert!(!report.is_valid());
    let d = report.errors().next().unwrap();
    assert_eq!(d.code, "operator.inn_invalid");
    let line = src.lines().position(|l| l.starts_with("inn = ")).unwrap() + 1;
    assert_eq!(d.position.unwrap().line, line);
    assert_eq!(d.severity, Severity::Error);
}

#[test]
fn oversized_sources_are_refused_before_parsing() {
    let src = format!("{VOICE_ROBOT}\n# {}\n", "x".repeat(super::MAX_SOURCE_BYTES));
    let report = check(&src);
    assert_eq!(report.diagnostics[0].code, "catalog.too_large");
    assert!(report.catalog.is_none());
}
