//! The consent document of the example catalogs: what it must contain, what it must never
//! merge, and that it renders the same bytes every time.

use super::*;

const VOICE_ROBOT: &str = include_str!("../../../../../examples/voice-robot-calls.toml");

fn catalog() -> Catalog {
    toml::from_str(VOICE_ROBOT).unwrap()
}

#[test]
fn a_marketing_consent_names_operator_purpose_data_channels_storage_and_withdrawal() {
    let c = catalog();
    let doc = render(&c, &["product_news"]).unwrap();
    assert_eq!(doc.purposes, ["product_news"]);
    assert!(!doc.written);
    for needle in [
        "# Согласие на получение рекламы",
        "ООО «Голосовые звонки» (ОГРН 1177700123457, ИНН 7712345671)",
        "адрес: 123112, г. Москва",
        "Рассылка новостей и предложений о продуктах",
        "Каналы связи: электронная почта",
        "- Адрес электронной почты",
        "Сбор, запись, хранение, использование, уничтожение.",
        "на территории Российской Федерации: obereg (PostgreSQL), основной кластер (RU, Москва)",
        "privacy@voice-robot.example, +74950000101",
        "в течение 30 дней",
    ] {
        assert!(doc.ru.contains(needle), "missing {needle:?} in\n{}", doc.ru);
    }
    for needle in [
        "# Consent to receive advertising",
        "Golosovye Zvonki LLC (OGRN 1177700123457",
        "Channels: email",
        "- Email address",
        "withdrawn at any time",
    ] {
        assert!(doc.en.contains(needle), "missing {needle:?} in\n{}", doc.en);
    }
    assert!(!doc.ru.contains("Подпись"), "an electronic consent has no signature line");
    assert_eq!(render(&c, &["product_news"]).unwrap(), doc, "the same catalog renders the same bytes");
}

#[test]
fn processors_and_terms_appear_with_russian_plurals() {
    let c = catalog();
    let doc = render(&c, &["site_analytics"]).unwrap();
    assert!(doc.ru.contains("ООО «Веб-Аналитика» (поручение: Условия использования сервиса, поручение от 01.02.2024)"), "{}", doc.ru);
    assert!(doc.ru.contains("не дольше 1 года со дня сбора"), "{}", doc.ru);
    assert!(doc.en.contains("no longer than 1 year from collection"), "{}", doc.en);
    assert_eq!(period_ru(&Period { years: 3, months: 2, days: 5 }), "3 лет 2 месяцев 5 дней");
    assert_eq!(period_ru(&Period { years: 0, months: 1, days: 21 }), "1 месяца 21 дня");
}

#[test]
fn storage_outside_russia_is_named_as_it_is() {
    let mut c = catalog();
    c.storage[0].country = "DE".into();
    let doc = render(&c, &["site_analytics"]).unwrap();
    assert!(!doc.ru.contains("на территории Российской Федерации"), "{}", doc.ru);
    assert!(doc.ru.contains("Данные хранятся: obereg (PostgreSQL), основной кластер (DE, Москва)."), "{}", doc.ru);
}

#[test]
fn a_written_consent_carries_the_article_9_fields_and_a_signature() {
    let mut c = catalog();
    c.purposes.iter_mut().find(|p| p.id == "site_analytics").unwrap().basis.as_mut().unwrap().ru = Some(RuBasis::WrittenConsent);
    let doc = render(&c, &["site_analytics"]).unwrap();
    assert!(doc.written);
    for needle in ["(фамилия, имя, отчество)", "документ, удостоверяющий личность", "представитель", "основание полномочий", "Подпись"]
    {
        assert!(doc.ru.contains(needle), "missing {needle:?}");
    }
    assert!(doc.en.contains("identity document") && doc.en.contains("Signature"));
}

#[test]
fn what_cannot_be_one_consent_document_is_refused() {
    let c = catalog();
    let code = |purposes: &[&str]| render(&c, purposes).unwrap_err().code;
    assert_eq!(code(&[]), "consent.no_purposes");
    assert_eq!(code(&["nope"]), "consent.unknown_purpose");
    assert_eq!(code(&["account"]), "consent.basis_not_consent");
    assert_eq!(code(&["product_news", "site_analytics"]), "consent.marketing_separate");
    // Order and repetition do not change the document.
    assert_eq!(render(&c, &["site_analytics", "site_analytics"]).unwrap(), render(&c, &["site_analytics"]).unwrap());
}
