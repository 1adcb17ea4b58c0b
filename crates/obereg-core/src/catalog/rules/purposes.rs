//! Rules on purposes: legal basis, retention, operations, minimisation, special and biometric
//! data, marketing.

use std::collections::HashSet;

use super::{Ctx, entry};
use crate::catalog::model::{CategoryKind, GdprBasis, Normalization, Purpose, RetentionTrigger, RuBasis};
use crate::operation::Operation;
use crate::text::Bilingual;

pub(super) fn check(cx: &mut Ctx<'_>) {
    for (i, p) in cx.catalog.purposes.iter().enumerate() {
        basis(cx, i, p);
        retention(cx, i, p);
        contents(cx, i, p);
        sensitive(cx, i, p);
        marketing(cx, i, p);
    }
    collection(cx);
}

fn basis(cx: &mut Ctx<'_>, i: usize, p: &Purpose) {
    let id = &p.id;
    let at = entry("purposes", i);
    let ru = p.basis.and_then(|b| b.ru);
    let gdpr = p.basis.and_then(|b| b.gdpr);
    if cx.ru && ru.is_none() {
        cx.error(
            "purpose.no_legal_basis",
            at.key("basis"),
            Bilingual::new(format!("purpose `{id}` has no 152-FZ legal basis"), format!("у цели `{id}` нет правового основания по 152-ФЗ")),
            Bilingual::new(
                "add `basis = { ru = \"contract\" }` (consent, written_consent, law, contract, legitimate_interests …)",
                "добавьте `basis = { ru = \"contract\" }` (consent, written_consent, law, contract, legitimate_interests …)",
            ),
        );
    }
    if cx.gdpr && gdpr.is_none() {
        cx.error(
            "purpose.no_legal_basis",
            at.key("basis"),
            Bilingual::new(format!("purpose `{id}` has no GDPR art. 6 legal basis"), format!("у цели `{id}` нет правового основания по ст. 6 GDPR")),
            Bilingual::new(
                "add `gdpr = \"…\"` to `basis` (consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests)",
                "добавьте `gdpr = \"…\"` в `basis` (consent, contract, legal_obligation, vital_interests, public_task, legitimate_interests)",
            ),
        );
    }
}

fn retention(cx: &mut Ctx<'_>, i: usize, p: &Purpose) {
    let id = &p.id;
    let at = entry("purposes", i);
    let Some(r) = &p.retention else {
        cx.error(
            "purpose.no_retention",
            at,
            Bilingual::new(format!("purpose `{id}` has no retention rule"), format!("у цели `{id}` не задан срок хранения")),
            Bilingual::new(
                "add `retention = { period = \"P30D\", trigger = \"purpose_achieved\" }`",
                "добавьте `retention = { period = \"P30D\", trigger = \"purpose_achieved\" }`",
            ),
        );
        return;
    };
    let consent_based =
        p.basis.and_then(|b| b.ru).is_some_and(RuBasis::is_consent) || p.basis.and_then(|b| b.gdpr) == Some(GdprBasis::Consent);
    if r.trigger == RetentionTrigger::ConsentWithdrawn && !consent_based {
        cx.error(
            "retention.consent_trigger_without_consent",
            at.key("retention").key("trigger"),
            Bilingual::new(
                format!("purpose `{id}` keeps data until consent is withdrawn, but it is not based on consent"),
                format!("цель `{id}` хранит данные до отзыва согласия, но не основана на согласии"),
            ),
            Bilingual::new(
                "base the purpose on consent, or choose another trigger",
                "основайте цель на согласии или выберите другое событие",
            ),
        );
    }
    if r.trigger == RetentionTrigger::LegalTerm && r.legal_reference.as_deref().is_none_or(|s| s.trim().is_empty()) {
        cx.error(
            "retention.legal_term_without_reference",
            at.key("retention"),
            Bilingual::new(
                format!("purpose `{id}` keeps data for a legal term but names no law"),
                format!("цель `{id}` хранит данные в течение установленного законом срока, но закон не указан"),
            ),
            Bilingual::new(
                "add `legal_reference = \"…\"`, e.g. \"НК РФ ст. 23 п. 1 пп. 8\"",
                "добавьте `legal_reference = \"…\"`, например \"НК РФ ст. 23 п. 1 пп. 8\"",
            ),
        );
    }
}

fn contents(cx: &mut Ctx<'_>, i: usize, p: &Purpose) {
    let id = &p.id;
    let at = entry("purposes", i);
    if p.required_categories.is_empty() && p.optional_categories.is_empty() {
        cx.error(
            "purpose.no_categories",
            at.clone(),
            Bilingual::new(
                format!("purpose `{id}` processes no data category"),
                format!("цель `{id}` не обрабатывает ни одной категории данных"),
            ),
            Bilingual::new("list the categories in `required_categories`", "перечислите категории в `required_categories`"),
        );
    }
    if p.operations.is_empty() {
        cx.error(
            "purpose.no_operations",
            at.clone(),
            Bilingual::new(
                format!("purpose `{id}` lists no processing operations"),
                format!("у цели `{id}` не перечислены действия с данными"),
            ),
            Bilingual::new(
                "add `operations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]` (152-FZ art. 3)",
                "добавьте `operations = [\"collection\", \"recording\", \"storage\", \"use\", \"destruction\"]` (ст. 3 152-ФЗ)",
            ),
        );
    }
    let required: HashSet<&String> = p.required_categories.iter().collect();
    for (j, cat) in p.optional_categories.iter().enumerate() {
        if required.contains(cat) {
            cx.error(
                "purpose.category_both_required_and_optional",
                at.key("optional_categories").index(j),
                Bilingual::new(
                    format!("category `{cat}` is both required and optional in purpose `{id}`"),
                    format!("категория `{cat}` в цели `{id}` одновременно обязательная и необязательная"),
                ),
                Bilingual::new("keep it in one of the two lists", "оставьте её только в одном из списков"),
            );
        }
    }
}

fn sensitive(cx: &mut Ctx<'_>, i: usize, p: &Purpose) {
    let ru = p.basis.and_then(|b| b.ru);
    let written_or_law = matches!(ru, Some(RuBasis::WrittenConsent | RuBasis::Law));
    for cat in p.categories() {
        let Some(kind) = cx.categories.get(cat.as_str()).map(|c| c.kind) else { continue };
        let (code, article_en, article_ru) = match kind {
            CategoryKind::Special => ("purpose.special_without_written_consent", "special category", "специальная категория"),
            CategoryKind::Biometric => ("purpose.biometric_without_written_consent", "biometric", "биометрические данные"),
            _ => continue,
        };
        if cx.ru && !written_or_law {
            let id = &p.id;
            cx.error(
                code,
                entry("purposes", i).key("basis"),
                Bilingual::new(
                    format!("purpose `{id}` processes `{cat}` ({article_en}) without written consent or a law (152-FZ arts. 10, 11)"),
                    format!("цель `{id}` обрабатывает `{cat}` ({article_ru}) без письменного согласия или закона (ст. 10, 11 152-ФЗ)"),
                ),
                Bilingual::new(
                    "set `basis.ru = \"written_consent\"` (or `\"law\"` where a federal law requires the processing)",
                    "укажите `basis.ru = \"written_consent\"` (или `\"law\"`, если обработку требует федеральный закон)",
                ),
            );
        }
    }
}

fn marketing(cx: &mut Ctx<'_>, i: usize, p: &Purpose) {
    let id = &p.id;
    let at = entry("purposes", i);
    if !p.marketing {
        if !p.channels.is_empty() {
            cx.warning(
                "purpose.channels_without_marketing",
                at.key("channels"),
                Bilingual::new(
                    format!("purpose `{id}` lists contact channels but is not marked as marketing"),
                    format!("у цели `{id}` указаны каналы связи, но она не отмечена как маркетинговая"),
                ),
                Bilingual::new(
                    "set `marketing = true` if these contacts advertise anything; otherwise this is fine",
                    "укажите `marketing = true`, если по этим каналам идёт реклама; иначе всё в порядке",
                ),
            );
        }
        return;
    }
    if !cx.rests_on_consent(p) {
        cx.error(
            "purpose.marketing_without_consent",
            at.key("basis"),
            Bilingual::new(
                format!("marketing purpose `{id}` is not based on consent (152-FZ art. 15, 38-FZ art. 18)"),
                format!("маркетинговая цель `{id}` не основана на согласии (ст. 15 152-ФЗ, ст. 18 38-ФЗ)"),
            ),
            Bilingual::new(
                "set `basis = { ru = \"consent\", gdpr = \"consent\" }`",
                "укажите `basis = { ru = \"consent\", gdpr = \"consent\" }`",
            ),
        );
    }
    if p.channels.is_empty() {
        cx.error(
            "purpose.marketing_without_channels",
            at,
            Bilingual::new(format!("marketing purpose `{id}` names no channel"), format!("у маркетинговой цели `{id}` не указан канал")),
            Bilingual::new(
                "add `channels = [\"email\"]` (email, sms, phone_call, automated_call, messenger, post)",
                "добавьте `channels = [\"email\"]` (email, sms, phone_call, automated_call, messenger, post)",
            ),
        );
    }
}

/// A category some purpose requires must be collected by some purpose that includes it;
/// otherwise the data map promises data that never enters the system.
fn collection(cx: &mut Ctx<'_>) {
    let purposes = &cx.catalog.purposes;
    let collected: HashSet<&String> =
        purposes.iter().filter(|p| p.operations.contains(&Operation::Collection)).flat_map(|p| p.categories()).collect();
    let mut reported = HashSet::new();
    for (i, p) in purposes.iter().enumerate() {
        for (j, cat) in p.required_categories.iter().enumerate() {
            if collected.contains(cat) || !cx.categories.contains_key(cat.as_str()) || !reported.insert(cat) {
                continue;
            }
            cx.error(
                "category.never_collected",
                entry("purposes", i).key("required_categories").index(j),
                Bilingual::new(
                    format!("category `{cat}` is required by purpose `{}` but no purpose collects it", p.id),
                    format!("категория `{cat}` обязательна для цели `{}`, но ни одна цель её не собирает", p.id),
                ),
                Bilingual::new(
                    "add \"collection\" to `operations` of a purpose that includes this category",
                    "добавьте \"collection\" в `operations` цели, включающей эту категорию",
                ),
            );
        }
    }
    let used: HashSet<&String> = purposes.iter().flat_map(|p| p.categories()).collect();
    for (i, c) in cx.catalog.categories.iter().enumerate() {
        if !used.contains(&c.id) {
            cx.warning(
                "category.unused",
                entry("categories", i),
                Bilingual::new(
                    format!("category `{}` is used by no purpose", c.id),
                    format!("категория `{}` не используется ни одной целью", c.id),
                ),
                Bilingual::new(
                    "add it to a purpose, or remove it: data without a purpose must not be kept",
                    "добавьте её в цель или удалите: данные без цели хранить нельзя",
                ),
            );
        }
        if c.searchable && c.normalize == Normalization::None {
            cx.error(
                "category.searchable_without_normalization",
                entry("categories", i).key("searchable"),
                Bilingual::new(
                    format!("searchable category `{}` has no normalisation, so equal values would not match", c.id),
                    format!("у категории `{}` включён поиск, но не задана нормализация — равные значения не совпадут", c.id),
                ),
                Bilingual::new(
                    "add `normalize = \"email\"`, `\"phone_e164\"` or `\"text\"`",
                    "добавьте `normalize = \"email\"`, `\"phone_e164\"` или `\"text\"`",
                ),
            );
        }
    }
}
