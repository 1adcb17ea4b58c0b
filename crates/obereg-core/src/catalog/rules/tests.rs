//! One test per rule: start from a valid example catalog, break one thing, expect the code.

use crate::catalog::model::*;
use crate::catalog::{Severity, check};
use crate::operation::Operation;

const VOICE_ROBOT: &str = include_str!("../../../../../examples/voice-robot-calls.toml");
const SALES_APP: &str = include_str!("../../../../../examples/sales-calls-app.toml");
const LEGAL_SITE: &str = include_str!("../../../../../examples/legal-consultation-site.toml");

fn base() -> Catalog {
    toml::from_str(VOICE_ROBOT).expect("example parses")
}

fn gdpr_base() -> Catalog {
    toml::from_str(SALES_APP).expect("example parses")
}

/// Codes found in `c`, with their severity.
fn findings(c: &Catalog) -> Vec<(&'static str, Severity)> {
    super::validate(c).into_iter().map(|d| (d.code, d.severity)).collect()
}

#[track_caller]
fn assert_error(c: &Catalog, code: &str) {
    let found = findings(c);
    assert!(found.contains(&(code, Severity::Error)), "expected error {code}, got {found:?}");
}

#[track_caller]
fn assert_warning(c: &Catalog, code: &str) {
    let found = findings(c);
    assert!(found.contains(&(code, Severity::Warning)), "expected warning {code}, got {found:?}");
    assert!(!found.iter().any(|(_, s)| *s == Severity::Error), "a warning must not come with errors: {found:?}");
}

fn purpose<'a>(c: &'a mut Catalog, id: &str) -> &'a mut Purpose {
    c.purposes.iter_mut().find(|p| p.id == id).expect("purpose exists")
}

#[test]
fn the_three_examples_pass_without_findings() {
    for (name, src) in [("voice robot", VOICE_ROBOT), ("sales app", SALES_APP), ("legal site", LEGAL_SITE)] {
        let report = check(src);
        assert!(report.is_valid(), "{name}: {:#?}", report.diagnostics);
        assert!(report.diagnostics.is_empty(), "{name}: {:#?}", report.diagnostics);
    }
}

#[test]
fn format_must_be_supported() {
    let mut c = base();
    c.format = 2;
    assert_error(&c, "format.unsupported");
}

#[test]
fn ids_must_be_well_formed() {
    let mut c = base();
    c.categories[0].id = "Контакт".into();
    assert_error(&c, "id.invalid");
}

#[test]
fn ids_must_be_unique_per_section() {
    let mut c = base();
    let dup = c.purposes[0].clone();
    c.purposes.push(dup);
    assert_error(&c, "id.duplicate");
}

#[test]
fn builtin_role_ids_are_reserved() {
    let mut c = base();
    c.roles[0].id = "admin".into();
    assert_error(&c, "role.reserved_id");
}

#[test]
fn operator_needs_a_jurisdiction() {
    let mut c = base();
    c.operator.jurisdictions.clear();
    assert_error(&c, "operator.no_jurisdiction");
}

#[test]
fn operator_needs_a_request_contact() {
    let mut c = base();
    c.operator.requests_email = None;
    c.operator.requests_phone = None;
    assert_error(&c, "operator.no_request_contact");
}

#[test]
fn russian_operator_needs_inn_and_ogrn() {
    let mut c = base();
    c.operator.inn = None;
    c.operator.ogrn = None;
    assert_error(&c, "operator.inn_missing");
    assert_error(&c, "operator.ogrn_missing");
}

#[test]
fn inn_and_ogrn_check_digits_are_verified() {
    let mut c = base();
    c.operator.inn = Some("7712345670".into());
    c.operator.ogrn = Some("1177700123450".into());
    assert_error(&c, "operator.inn_invalid");
    assert_error(&c, "operator.ogrn_invalid");
}

#[test]
fn inn_is_not_required_without_152fz() {
    let mut c = base();
    c.operator.jurisdictions = vec![Jurisdiction::EuGdpr];
    c.operator.inn = None;
    let found = findings(&c);
    assert!(!found.iter().any(|(code, _)| *code == "operator.inn_missing"), "{found:?}");
}

#[test]
fn russian_operator_needs_a_responsible_person() {
    let mut c = base();
    c.operator.responsible_person = None;
    assert_error(&c, "operator.no_responsible_person");
}

#[test]
fn russian_documents_are_required_under_152fz() {
    let mut c = base();
    c.documents.languages = vec![DocLanguage::En];
    assert_error(&c, "documents.russian_missing");
}

#[test]
fn english_documents_are_advised_under_gdpr() {
    let mut c = gdpr_base();
    c.documents.languages = vec![DocLanguage::Ru];
    assert_warning(&c, "documents.english_missing");
}

#[test]
fn purpose_needs_a_152fz_basis() {
    let mut c = base();
    purpose(&mut c, "account").basis = None;
    assert_error(&c, "purpose.no_legal_basis");
}

#[test]
fn purpose_needs_a_gdpr_basis_when_gdpr_applies() {
    let mut c = gdpr_base();
    purpose(&mut c, "service_quality").basis.as_mut().unwrap().gdpr = None;
    assert_error(&c, "purpose.no_legal_basis");
}

#[test]
fn purpose_needs_retention() {
    let mut c = base();
    purpose(&mut c, "account").retention = None;
    assert_error(&c, "purpose.no_retention");
}

#[test]
fn purpose_needs_categories_and_operations() {
    let mut c = base();
    let p = purpose(&mut c, "payments");
    p.required_categories.clear();
    p.optional_categories.clear();
    p.operations.clear();
    assert_error(&c, "purpose.no_categories");
    assert_error(&c, "purpose.no_operations");
}

#[test]
fn a_category_cannot_be_both_required_and_optional() {
    let mut c = base();
    purpose(&mut c, "account").optional_categories.push("contact.email".into());
    assert_error(&c, "purpose.category_both_required_and_optional");
}

#[test]
fn unknown_references_are_errors() {
    for mutate in [
        (|c: &mut Catalog| c.purposes[0].required_categories.push("contact.fax".into())) as fn(&mut Catalog),
        |c| c.purposes[0].subject_kinds.push("alien".into()),
        |c| c.purposes[0].recipients.push("nobody".into()),
        |c| c.purposes[0].storage.push("moon".into()),
        |c| c.roles[0].purposes.push("spying".into()),
        |c| c.roles[0].categories.push("contact.fax".into()),
        |c| c.cookies[1].purpose = Some("spying".into()),
    ] {
        let mut c = base();
        mutate(&mut c);
        assert_error(&c, "reference.unknown");
    }
}

#[test]
fn special_data_needs_written_consent() {
    let mut c = base();
    c.categories.iter_mut().find(|k| k.id == "call.recording").unwrap().kind = CategoryKind::Special;
    assert_error(&c, "purpose.special_without_written_consent");
    purpose(&mut c, "robot_calls").basis = Some(LegalBasis { ru: Some(RuBasis::WrittenConsent), gdpr: None });
    assert!(super::validate(&c).is_empty());
}

#[test]
fn biometric_data_needs_written_consent() {
    let mut c = base();
    c.categories.iter_mut().find(|k| k.id == "call.recording").unwrap().kind = CategoryKind::Biometric;
    assert_error(&c, "purpose.biometric_without_written_consent");
}

#[test]
fn marketing_needs_consent() {
    let mut c = base();
    purpose(&mut c, "product_news").basis = Some(LegalBasis { ru: Some(RuBasis::LegitimateInterests), gdpr: None });
    purpose(&mut c, "product_news").retention.as_mut().unwrap().trigger = RetentionTrigger::Collection;
    assert_error(&c, "purpose.marketing_without_consent");
}

#[test]
fn marketing_needs_channels() {
    let mut c = base();
    purpose(&mut c, "product_news").channels.clear();
    assert_error(&c, "purpose.marketing_without_channels");
}

#[test]
fn channels_on_a_non_marketing_purpose_are_a_warning() {
    let mut c = base();
    purpose(&mut c, "robot_calls").channels.push(Channel::AutomatedCall);
    assert_warning(&c, "purpose.channels_without_marketing");
}

#[test]
fn consent_withdrawn_trigger_needs_consent() {
    let mut c = base();
    purpose(&mut c, "account").retention.as_mut().unwrap().trigger = RetentionTrigger::ConsentWithdrawn;
    assert_error(&c, "retention.consent_trigger_without_consent");
}

#[test]
fn legal_term_needs_a_reference() {
    let mut c = base();
    purpose(&mut c, "payments").retention.as_mut().unwrap().legal_reference = Some("  ".into());
    assert_error(&c, "retention.legal_term_without_reference");
}

#[test]
fn a_required_category_must_be_collected_somewhere() {
    let mut c = base();
    purpose(&mut c, "payments").operations.retain(|op| *op != Operation::Collection);
    assert_error(&c, "category.never_collected");
}

#[test]
fn unused_categories_are_a_warning() {
    let mut c = base();
    let mut extra = c.categories[0].clone();
    extra.id = "contact.fax".into();
    extra.searchable = false;
    c.categories.push(extra);
    assert_warning(&c, "category.unused");
}

#[test]
fn searchable_categories_need_normalisation() {
    let mut c = base();
    c.categories[0].normalize = Normalization::None;
    assert_error(&c, "category.searchable_without_normalization");
}

#[test]
fn country_codes_are_checked() {
    let mut c = base();
    c.storage[0].country = "Russia".into();
    assert_error(&c, "country.invalid");
}

#[test]
fn russian_citizens_data_is_first_stored_in_russia() {
    let mut c = base();
    c.storage[0].country = "DE".into();
    assert_error(&c, "residency.first_storage_abroad");
}

#[test]
fn a_foreign_replica_after_a_russian_primary_is_fine() {
    // The sales app keeps an EU replica second; the check must accept it.
    let c = gdpr_base();
    assert!(!findings(&c).iter().any(|(code, _)| code.starts_with("residency")));
}

#[test]
fn russian_citizens_data_needs_a_storage_location() {
    let mut c = base();
    purpose(&mut c, "account").storage.clear();
    assert_error(&c, "residency.no_storage");
}

#[test]
fn cross_border_recipients_need_the_rkn_notification() {
    let mut c = gdpr_base();
    c.recipients.iter_mut().find(|r| r.id == "eu-support").unwrap().cross_border_notified = false;
    assert_error(&c, "recipient.cross_border_not_notified");
}

#[test]
fn processors_need_an_entrustment_contract() {
    let mut c = base();
    c.recipients[0].entrustment_contract = None;
    assert_error(&c, "recipient.processor_without_contract");
}

#[test]
fn gdpr_transfers_outside_the_eea_need_a_safeguard() {
    let mut c = gdpr_base();
    let r = c.recipients.iter_mut().find(|r| r.id == "eu-support").unwrap();
    r.country = "US".into();
    r.transfer_safeguard = None;
    assert_warning(&c, "recipient.gdpr_transfer_without_safeguard");
}

#[test]
fn roles_need_purposes() {
    let mut c = base();
    c.roles[0].purposes.clear();
    c.roles[0].categories.clear();
    assert_error(&c, "role.no_purposes");
}

#[test]
fn roles_see_only_their_purposes_categories() {
    let mut c = base();
    c.roles.iter_mut().find(|r| r.id == "billing").unwrap().categories.push("contact.phone".into());
    assert_error(&c, "role.category_outside_purposes");
}

#[test]
fn roles_perform_only_their_purposes_operations() {
    let mut c = base();
    c.roles.iter_mut().find(|r| r.id == "marketing").unwrap().operations.push(Operation::Transfer);
    assert_error(&c, "role.operation_outside_purposes");
}

#[test]
fn masked_categories_must_be_granted() {
    let mut c = base();
    c.roles[0].masked = vec!["call.recording".into()];
    assert_error(&c, "role.masked_not_granted");
}

#[test]
fn non_necessary_cookies_need_a_consent_purpose() {
    let mut c = base();
    c.cookies[1].purpose = None;
    assert_error(&c, "cookie.without_consent_purpose");
    let mut c = base();
    c.cookies[1].purpose = Some("account".into());
    assert_error(&c, "cookie.without_consent_purpose");
}

#[test]
fn children_under_14_need_parental_consent() {
    let mut c = base();
    c.age = Some(AgeRule { minimum: 12, on_underage: UnderageAction::Destroy });
    assert_warning(&c, "age.child_without_parental_consent");
    c.age = Some(AgeRule { minimum: 12, on_underage: UnderageAction::ParentalConsent });
    assert!(findings(&c).is_empty());
}

#[test]
fn implausible_minimum_age_is_an_error() {
    let mut c = base();
    c.age = Some(AgeRule { minimum: 30, on_underage: UnderageAction::Destroy });
    assert_error(&c, "age.implausible_minimum");
}

#[test]
fn site_origins_are_written_as_browsers_send_them_and_the_visitor_kind_exists() {
    let mut c = base();
    assert!(c.site.is_some(), "the example declares its site");
    for bad in [
        "https://Voice-Robot.example",
        "https://voice-robot.example/",
        "voice-robot.example",
        "http://voice-robot.example",
        "https://a:99999",
    ] {
        c.site.as_mut().unwrap().origins = vec![bad.into()];
        assert_error(&c, "site.bad_origin");
    }
    for good in ["https://voice-robot.example", "https://app.voice-robot.example:8443", "http://localhost:3000"] {
        assert!(super::access::is_origin(good), "{good}");
    }
    let mut c = base();
    c.site.as_mut().unwrap().visitor_kind = "ghost".into();
    assert_error(&c, "site.unknown_visitor_kind");
}

#[test]
fn a_recipients_notify_url_is_https_or_local() {
    for bad in [
        "ftp://x.example/n",
        "http://partner.example/n",
        "https://user:pw@partner.example/n",
        "https://partner.example/a b",
        "https://Partner.example/",
        "https://:443/",
    ] {
        let mut c = base();
        c.recipients[0].notify_url = Some(bad.into());
        assert_error(&c, "recipient.bad_notify_url");
    }
    for good in [
        "https://partner.example/obereg/notices",
        "https://partner.example:8443/n?x=1",
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
    ] {
        assert!(super::transfers::is_notify_url(good), "{good}");
    }
}
