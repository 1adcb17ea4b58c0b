//! The permission matrix of the voice-robot example, cell by cell, written out by hand from
//! the catalog so that a change in the rules shows up as a changed cell.

use super::*;

const VOICE_ROBOT: &str = include_str!("../../../../examples/voice-robot-calls.toml");

fn catalog() -> Catalog {
    toml::from_str(VOICE_ROBOT).unwrap()
}

fn role<'c>(c: &'c Catalog, id: &str) -> &'c Role {
    c.roles.iter().find(|r| r.id == id).unwrap()
}

/// `role × purpose` → the categories readable (`*` marks masked) or the refusal code.
/// The expected outcome of one cell: readable categories, or a refusal code.
type Cell = Result<&'static [&'static str], &'static str>;

const READ_MATRIX: &[(&str, &str, Cell)] = &[
    ("support", "account", Ok(&["contact.email", "contact.phone*", "identity.name"])),
    ("support", "robot_calls", Ok(&["contact.phone*"])),
    ("support", "payments", Err("access.purpose_not_granted")),
    ("support", "product_news", Err("access.purpose_not_granted")),
    ("support", "site_analytics", Err("access.purpose_not_granted")),
    ("billing", "account", Err("access.purpose_not_granted")),
    ("billing", "robot_calls", Err("access.purpose_not_granted")),
    ("billing", "payments", Ok(&["payment.card*", "payment.receipt_email"])),
    ("billing", "product_news", Err("access.purpose_not_granted")),
    ("billing", "site_analytics", Err("access.purpose_not_granted")),
    ("marketing", "account", Err("access.purpose_not_granted")),
    ("marketing", "robot_calls", Err("access.purpose_not_granted")),
    ("marketing", "payments", Err("access.purpose_not_granted")),
    // Marketing may use addresses for sending, not extract them.
    ("marketing", "product_news", Err("access.operation_not_granted")),
    ("marketing", "site_analytics", Err("access.purpose_not_granted")),
    ("privacy_officer", "account", Ok(&["account.credentials", "contact.email", "contact.phone", "identity.name", "identity.passport"])),
    ("privacy_officer", "robot_calls", Ok(&["call.recording", "contact.phone"])),
    ("privacy_officer", "payments", Ok(&["payment.card", "payment.receipt_email"])),
    // The purpose only sends; it lists no extraction.
    ("privacy_officer", "product_news", Err("access.operation_outside_purpose")),
    ("privacy_officer", "site_analytics", Err("access.purpose_not_granted")),
];

fn shown(scope: &ReadScope) -> Vec<String> {
    scope.categories.iter().map(|(c, v)| if *v == Visibility::Masked { format!("{c}*") } else { c.clone() }).collect()
}

#[test]
fn every_role_purpose_cell_reads_what_the_catalog_says() {
    let c = catalog();
    assert_eq!(READ_MATRIX.len(), c.roles.len() * c.purposes.len(), "the matrix covers every cell");
    for (r, p, expected) in READ_MATRIX {
        let got = read_scope(&c, Principal::Staff(role(&c, r)), p, false);
        match expected {
            Ok(cats) => {
                let got = got.unwrap_or_else(|d| panic!("{r} × {p}: {}", d.reason.en));
                assert_eq!(shown(&got), cats.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{r} × {p}");
            }
            Err(code) => assert_eq!(got.map_err(|d| d.code), Err(*code), "{r} × {p}"),
        }
    }
}

#[test]
fn restricted_subjects_are_read_by_the_dpo_role_only() {
    let c = catalog();
    let denied = read_scope(&c, Principal::Staff(role(&c, "support")), "account", true).unwrap_err();
    assert_eq!(denied.code, "subject.restricted");
    assert!(!denied.invalid_request);
    assert!(read_scope(&c, Principal::Staff(role(&c, "privacy_officer")), "account", true).is_ok());
}

#[test]
fn administrators_read_nothing_and_unknown_purposes_are_invalid() {
    let c = catalog();
    assert_eq!(read_scope(&c, Principal::Administrator, "account", false).unwrap_err().code, "access.administrator_reads_no_data");
    let unknown = read_scope(&c, Principal::Staff(role(&c, "support")), "nope", false).unwrap_err();
    assert_eq!((unknown.code, unknown.invalid_request), ("subject.unknown_purpose", true));
}

fn write<'a>(op: Operation, kind: &'a str, category: &'a str, purposes: &'a [String]) -> Write<'a> {
    Write { operation: op, subject_kind: kind, category, purposes }
}

#[test]
fn writes_follow_purpose_category_kind_and_role() {
    let c = catalog();
    let account = ["account".to_string()];
    let calls = ["robot_calls".to_string()];
    let admin = Principal::Administrator;
    let ok = |p, r, w: &Write<'_>| check_write(&c, p, r, w).map_err(|d| d.code);
    assert_eq!(ok(admin, false, &write(Operation::Collection, "customer", "contact.email", &account)), Ok(()));
    assert_eq!(
        ok(admin, false, &write(Operation::Collection, "customer", "call.recording", &account)),
        Err("subject.category_outside_purpose")
    );
    assert_eq!(ok(admin, false, &write(Operation::Collection, "customer", "contact.phone", &calls)), Err("subject.kind_outside_purpose"));
    assert_eq!(ok(admin, false, &write(Operation::Collection, "customer", "contact.fax", &account)), Err("subject.unknown_category"));
    assert_eq!(ok(admin, false, &write(Operation::Collection, "customer", "contact.email", &[])), Err("subject.no_purpose"));
    assert_eq!(
        ok(admin, false, &write(Operation::Depersonalization, "customer", "contact.email", &account)),
        Err("subject.operation_outside_purpose")
    );
    // Support may correct (clarify) but not collect.
    let support = Principal::Staff(role(&c, "support"));
    assert_eq!(ok(support, false, &write(Operation::Clarification, "customer", "contact.email", &account)), Ok(()));
    assert_eq!(
        ok(support, false, &write(Operation::Collection, "customer", "contact.email", &account)),
        Err("access.operation_not_granted")
    );
    assert_eq!(
        ok(Principal::Staff(role(&c, "billing")), false, &write(Operation::Clarification, "customer", "contact.email", &account)),
        Err("access.purpose_not_granted")
    );
    // Blocked subjects: no collection by anyone, rectification by the DPO role only.
    assert_eq!(ok(admin, true, &write(Operation::Collection, "customer", "contact.email", &account)), Err("subject.restricted"));
    assert_eq!(ok(support, true, &write(Operation::Clarification, "customer", "contact.email", &account)), Err("subject.restricted"));
    let dpo = Principal::Staff(role(&c, "privacy_officer"));
    assert_eq!(ok(dpo, true, &write(Operation::Clarification, "customer", "contact.email", &account)), Ok(()));
}

#[test]
fn whole_subject_operations() {
    let c = catalog();
    let support = Principal::Staff(role(&c, "support"));
    let dpo = Principal::Staff(role(&c, "privacy_officer"));
    assert!(check_subject_operation(Principal::Administrator, Operation::Destruction, false).is_ok());
    assert_eq!(check_subject_operation(support, Operation::Destruction, false).unwrap_err().code, "access.operation_not_granted");
    assert!(check_subject_operation(dpo, Operation::Destruction, false).is_ok());
    assert!(check_subject_operation(dpo, Operation::Blocking, true).is_ok());
    assert!(check_subject_operation(Principal::Administrator, Operation::Blocking, true).is_ok());
}

#[test]
fn lookups_need_the_category_in_the_read_scope() {
    let c = catalog();
    let support = Principal::Staff(role(&c, "support"));
    let code = |p, purpose, category| check_lookup(&c, p, purpose, category).map_err(|d| d.code);
    assert_eq!(code(support, "account", "contact.phone"), Ok(()), "a masked category may still be searched");
    assert_eq!(code(support, "account", "identity.passport"), Err("access.category_not_granted"));
    assert_eq!(code(support, "payments", "contact.email"), Err("access.purpose_not_granted"));
    assert_eq!(code(Principal::Staff(role(&c, "marketing")), "product_news", "contact.email"), Err("access.operation_not_granted"));
    assert_eq!(code(Principal::Administrator, "account", "contact.phone"), Ok(()));
    assert_eq!(code(Principal::Administrator, "nope", "contact.phone"), Err("subject.unknown_purpose"));
}
