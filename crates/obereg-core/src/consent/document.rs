//! The consent document: the text a subject agrees to, rendered from the catalog for a set
//! of purposes, in Russian and English, as Markdown.
//!
//! Since 1 September 2025 a 152-FZ consent must be a document of its own, not a clause of
//! an offer and not merged with other consents (art. 9 p.1 as amended by 156-FZ): so one
//! document covers purposes of one kind only, and an advertising consent is never rendered
//! together with anything else. Where written consent is needed (art. 9 p.4) the document
//! carries the fields the law lists: the subject's and representative's identity, the
//! operator, purposes, data, processors, operations and methods, term and withdrawal, and
//! a signature. The wording is obereg's own; the rendering is deterministic, so the same
//! catalog gives the same bytes and the same hash (the engine stores each version).

use std::fmt::Write as _;

use crate::catalog::{Catalog, Period, Purpose, RecipientKind, RetentionTrigger, RuBasis};
use crate::decision::channel_name;
use crate::text::{Bilingual, ru_plural};

/// A rendered consent document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentDocument {
    /// The purposes covered, in catalog order.
    pub purposes: Vec<String>,
    /// Whether it is a written-consent form (art. 9 p.4 fields and a signature).
    pub written: bool,
    pub ru: String,
    pub en: String,
}

/// Why a document cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}")]
pub struct DocumentError {
    pub code: &'static str,
    pub message: Bilingual,
}

fn error(code: &'static str, en: String, ru: String) -> DocumentError {
    DocumentError { code, message: Bilingual::new(en, ru) }
}

/// Renders the consent to `purposes` (see the module documentation). A purpose whose basis
/// is written consent makes the whole document a written form.
pub fn render(catalog: &Catalog, purposes: &[&str]) -> Result<ConsentDocument, DocumentError> {
    if purposes.is_empty() {
        return Err(error("consent.no_purposes", "name at least one purpose".into(), "укажите хотя бы одну цель".into()));
    }
    for id in purposes {
        let Some(p) = catalog.purposes.iter().find(|p| p.id == *id) else {
            return Err(error(
                "consent.unknown_purpose",
                format!("purpose `{id}` is not in the catalog"),
                format!("цели `{id}` нет в каталоге"),
            ));
        };
        let consent = p.basis.as_ref().and_then(|b| b.ru).is_some_and(RuBasis::is_consent);
        if !consent && !p.marketing {
            return Err(error(
                "consent.basis_not_consent",
                format!("purpose `{id}` is not processed on consent: it needs no consent document"),
                format!("цель `{id}` обрабатывается не на основании согласия: документ согласия для неё не нужен"),
            ));
        }
    }
    // Catalog order, each once: the same set always renders the same bytes.
    let chosen: Vec<&Purpose> = catalog.purposes.iter().filter(|p| purposes.contains(&p.id.as_str())).collect();
    if chosen.iter().any(|p| p.marketing) && chosen.iter().any(|p| !p.marketing) {
        return Err(error(
            "consent.marketing_separate",
            "a consent to advertising must be a document of its own, not merged with other purposes (152-FZ art. 9 p.1)".into(),
            "согласие на рекламу оформляется отдельным документом и не объединяется с другими целями (ч. 1 ст. 9 152-ФЗ)".into(),
        ));
    }
    let written = chosen.iter().any(|p| p.basis.as_ref().and_then(|b| b.ru) == Some(RuBasis::WrittenConsent));
    Ok(ConsentDocument {
        purposes: chosen.iter().map(|p| p.id.clone()).collect(),
        written,
        ru: russian(catalog, &chosen, written),
        en: english(catalog, &chosen, written),
    })
}

fn en_or_ru(text: &crate::catalog::LocalizedText) -> &str {
    text.en.as_deref().unwrap_or(&text.ru)
}

/// Category ids of the purposes, each once, in catalog order.
fn categories<'c>(catalog: &'c Catalog, purposes: &[&Purpose]) -> Vec<&'c crate::catalog::Category> {
    catalog
        .categories
        .iter()
        .filter(|c| purposes.iter().any(|p| p.required_categories.contains(&c.id) || p.optional_categories.contains(&c.id)))
        .collect()
}

fn recipients<'c>(catalog: &'c Catalog, purposes: &[&Purpose]) -> Vec<&'c crate::catalog::Recipient> {
    catalog.recipients.iter().filter(|r| purposes.iter().any(|p| p.recipients.contains(&r.id))).collect()
}

fn operations(purposes: &[&Purpose]) -> Vec<crate::operation::Operation> {
    let mut ops: Vec<_> = purposes.iter().flat_map(|p| p.operations.iter().copied()).collect();
    ops.sort_by_key(|o| *o as u8);
    ops.dedup();
    ops
}

/// A period in the genitive, as "не дольше …" needs it: "1 года", "3 лет 2 месяцев", "21 дня".
fn period_ru(p: &Period) -> String {
    let mut parts = Vec::new();
    if p.years > 0 {
        parts.push(format!("{} {}", p.years, ru_plural(p.years.into(), "года", "лет", "лет")));
    }
    if p.months > 0 {
        parts.push(format!("{} {}", p.months, ru_plural(p.months.into(), "месяца", "месяцев", "месяцев")));
    }
    if p.days > 0 {
        parts.push(format!("{} {}", p.days, ru_plural(p.days.into(), "дня", "дней", "дней")));
    }
    parts.join(" ")
}

/// From what a retention period runs.
fn trigger(t: RetentionTrigger) -> Bilingual {
    let (en, ru) = match t {
        RetentionTrigger::Collection => ("from collection", "со дня сбора"),
        RetentionTrigger::LastInteraction => ("after the last interaction", "с последнего обращения"),
        RetentionTrigger::PurposeAchieved => ("after the purpose is achieved", "с достижения цели"),
        RetentionTrigger::ContractEnd => ("after the contract ends", "с окончания договора"),
        RetentionTrigger::AccountClosed => ("after the account is closed", "с закрытия личного кабинета"),
        RetentionTrigger::ConsentWithdrawn => ("after the consent is withdrawn", "с отзыва согласия"),
        RetentionTrigger::LegalTerm => ("from collection, a term set by law", "со дня сбора (срок установлен законом)"),
    };
    Bilingual::new(en, ru)
}

/// Where the purposes keep data: the art. 18 p.5 statement when every place is in Russia,
/// else the places as they are.
fn storage(catalog: &Catalog, purposes: &[&Purpose]) -> (Vec<String>, bool) {
    let places: Vec<&crate::catalog::StorageLocation> =
        catalog.storage.iter().filter(|l| purposes.iter().any(|p| p.storage.contains(&l.id))).collect();
    let all_russian = !places.is_empty() && places.iter().all(|l| l.country == "RU");
    let named = places
        .iter()
        .map(|l| format!("{} ({}{})", l.system, l.country, l.city.as_ref().map(|c| format!(", {c}")).unwrap_or_default()))
        .collect();
    (named, all_russian)
}

fn period_en(p: &Period) -> String {
    let unit = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if p.years > 0 {
        parts.push(unit(p.years, "year", "years"));
    }
    if p.months > 0 {
        parts.push(unit(p.months, "month", "months"));
    }
    if p.days > 0 {
        parts.push(unit(p.days, "day", "days"));
    }
    parts.join(" ")
}

fn contacts(catalog: &Catalog) -> Vec<&str> {
    [catalog.operator.requests_email.as_deref(), catalog.operator.requests_phone.as_deref()].into_iter().flatten().collect()
}

fn russian(catalog: &Catalog, purposes: &[&Purpose], written: bool) -> String {
    let op = &catalog.operator;
    let mut s = String::new();
    let title = if purposes.iter().any(|p| p.marketing) {
        "Согласие на получение рекламы и обработку персональных данных для её направления"
    } else {
        "Согласие на обработку персональных данных"
    };
    let _ = writeln!(s, "# {title}\n");
    if written {
        s.push_str("Я, ________________________________ (фамилия, имя, отчество),\n");
        s.push_str("адрес: ________________________________,\n");
        s.push_str("документ, удостоверяющий личность: ____________ серия ______ номер ________, выдан ____________________ «___» ________ ____ г.,\n\n");
        s.push_str("(заполняется при подписании представителем) представитель: ________________________________, адрес: ________________, документ: ________________, основание полномочий (доверенность или иной документ): ________________,\n\n");
        s.push_str("свободно, своей волей и в своём интересе даю согласие");
    } else {
        s.push_str("Я свободно, своей волей и в своём интересе даю согласие");
    }
    let _ = write!(s, " оператору {}", op.legal_name.ru);
    let ids: Vec<String> =
        [op.ogrn.as_ref().map(|o| format!("ОГРН {o}")), op.inn.as_ref().map(|i| format!("ИНН {i}"))].into_iter().flatten().collect();
    if !ids.is_empty() {
        let _ = write!(s, " ({})", ids.join(", "));
    }
    let _ = writeln!(s, ", адрес: {}, на обработку моих персональных данных на условиях ниже.\n", op.address);

    s.push_str("## Цели обработки\n\n");
    for p in purposes {
        let _ = write!(s, "- {}", p.name.ru);
        if let Some(d) = &p.description {
            let _ = write!(s, ". {}", d.ru);
        }
        s.push('\n');
        if p.marketing && !p.channels.is_empty() {
            let channels: Vec<String> = p.channels.iter().map(|c| channel_name(*c).ru).collect();
            let _ = writeln!(s, "  Каналы связи: {}. Согласие на каждый канал можно отозвать отдельно.", channels.join(", "));
        }
    }
    s.push_str("\n## Перечень персональных данных\n\n");
    for c in categories(catalog, purposes) {
        let _ = writeln!(s, "- {}", c.name.ru);
    }
    s.push_str("\n## Действия с персональными данными и способы обработки\n\n");
    let ops: Vec<String> = operations(purposes).iter().map(|o| o.label().ru).collect();
    let _ = writeln!(s, "{}. Обработка смешанная: с использованием средств автоматизации и без них.", capitalise(&ops.join(", ")));
    s.push_str("\n## Лица, обрабатывающие данные по поручению оператора, и получатели\n\n");
    let recipients = recipients(catalog, purposes);
    if recipients.is_empty() {
        s.push_str("Данные третьим лицам не передаются и по поручению не обрабатываются.\n");
    }
    for r in recipients {
        let _ = write!(s, "- {}", r.name.ru);
        if let Some(a) = &r.address {
            let _ = write!(s, ", адрес: {a}");
        }
        if r.kind == RecipientKind::Processor
            && let Some(c) = &r.entrustment_contract
        {
            let _ = write!(s, " (поручение: {c})");
        }
        s.push('\n');
    }
    s.push_str("\n## Место хранения\n\n");
    let (places, russian) = storage(catalog, purposes);
    if russian {
        let _ = writeln!(
            s,
            "Запись, систематизация, накопление, хранение, уточнение и извлечение данных граждан Российской Федерации ведутся в базах данных на территории Российской Федерации: {}.",
            places.join("; ")
        );
    } else {
        let _ = writeln!(s, "Данные хранятся: {}.", places.join("; "));
    }
    s.push_str("\n## Срок действия согласия и порядок его отзыва\n\n");
    for p in purposes {
        match &p.retention {
            Some(r) if !r.period.is_zero() => {
                let _ = writeln!(
                    s,
                    "- {}: согласие действует до его отзыва; данные хранятся не дольше {} {}.",
                    p.name.ru,
                    period_ru(&r.period),
                    trigger(r.trigger).ru
                );
            }
            _ => {
                let _ = writeln!(s, "- {}: согласие действует до его отзыва.", p.name.ru);
            }
        }
    }
    let _ = writeln!(
        s,
        "\nСогласие можно отозвать в любой момент тем же способом, каким оно дано, а также в личном кабинете или обращением к оператору: {}. После отзыва обработка прекращается, а данные уничтожаются в течение 30 дней, если иное основание обработки не предусмотрено законом (ч. 2 ст. 9, ч. 5 ст. 21 152-ФЗ).",
        contacts(catalog).join(", ")
    );
    if written {
        s.push_str("\n«___» ________ ____ г.        Подпись: ______________ / ______________ /\n");
    }
    s
}

fn english(catalog: &Catalog, purposes: &[&Purpose], written: bool) -> String {
    let op = &catalog.operator;
    let mut s = String::new();
    let title = if purposes.iter().any(|p| p.marketing) {
        "Consent to receive advertising and to the processing of personal data for sending it"
    } else {
        "Consent to the processing of personal data"
    };
    let _ = writeln!(s, "# {title}\n");
    if written {
        s.push_str("I, ________________________________ (full name),\n");
        s.push_str("address: ________________________________,\n");
        s.push_str("identity document: ____________ series ______ number ________, issued by ____________________ on ____________,\n\n");
        s.push_str("(when signed by a representative) representative: ________________________________, address: ________________, document: ________________, authority (power of attorney or other document): ________________,\n\n");
        s.push_str("freely, of my own will and in my own interest give my consent");
    } else {
        s.push_str("Freely, of my own will and in my own interest, I give my consent");
    }
    let _ = write!(s, " to the operator {}", en_or_ru(&op.legal_name));
    let ids: Vec<String> =
        [op.ogrn.as_ref().map(|o| format!("OGRN {o}")), op.inn.as_ref().map(|i| format!("INN {i}"))].into_iter().flatten().collect();
    if !ids.is_empty() {
        let _ = write!(s, " ({})", ids.join(", "));
    }
    let _ = writeln!(s, ", address: {}, to process my personal data on the terms below.\n", op.address);

    s.push_str("## Purposes\n\n");
    for p in purposes {
        let _ = write!(s, "- {}", en_or_ru(&p.name));
        if let Some(d) = &p.description {
            let _ = write!(s, ". {}", en_or_ru(d));
        }
        s.push('\n');
        if p.marketing && !p.channels.is_empty() {
            let channels: Vec<String> = p.channels.iter().map(|c| channel_name(*c).en).collect();
            let _ = writeln!(s, "  Channels: {}. Consent to each channel can be withdrawn on its own.", channels.join(", "));
        }
    }
    s.push_str("\n## Personal data\n\n");
    for c in categories(catalog, purposes) {
        let _ = writeln!(s, "- {}", en_or_ru(&c.name));
    }
    s.push_str("\n## Operations and methods\n\n");
    let ops: Vec<String> = operations(purposes).iter().map(|o| o.label().en).collect();
    let _ = writeln!(s, "{}. Processing is mixed: with and without automation.", capitalise(&ops.join(", ")));
    s.push_str("\n## Processors acting on the operator's instruction, and recipients\n\n");
    let recipients = recipients(catalog, purposes);
    if recipients.is_empty() {
        s.push_str("The data is neither passed to third parties nor processed on the operator's instruction.\n");
    }
    for r in recipients {
        let _ = write!(s, "- {}", en_or_ru(&r.name));
        if let Some(a) = &r.address {
            let _ = write!(s, ", address: {a}");
        }
        if r.kind == RecipientKind::Processor
            && let Some(c) = &r.entrustment_contract
        {
            let _ = write!(s, " (instruction: {c})");
        }
        s.push('\n');
    }
    s.push_str("\n## Where the data is kept\n\n");
    let (places, russian) = storage(catalog, purposes);
    if russian {
        let _ = writeln!(
            s,
            "Data of citizens of the Russian Federation is recorded, organised, accumulated, stored, updated and retrieved in databases in the Russian Federation: {}.",
            places.join("; ")
        );
    } else {
        let _ = writeln!(s, "The data is kept in: {}.", places.join("; "));
    }
    s.push_str("\n## Term of the consent and how to withdraw it\n\n");
    for p in purposes {
        match &p.retention {
            Some(r) if !r.period.is_zero() => {
                let _ = writeln!(
                    s,
                    "- {}: the consent lasts until withdrawn; the data is kept no longer than {} {}.",
                    en_or_ru(&p.name),
                    period_en(&r.period),
                    trigger(r.trigger).en
                );
            }
            _ => {
                let _ = writeln!(s, "- {}: the consent lasts until withdrawn.", en_or_ru(&p.name));
            }
        }
    }
    let _ = writeln!(
        s,
        "\nThe consent can be withdrawn at any time the same way it was given, in the personal account, or by writing to the operator: {}. After withdrawal the processing stops and the data is destroyed within 30 days unless the law provides another basis (152-FZ art. 9 p.2, art. 21 p.5).",
        contacts(catalog).join(", ")
    );
    if written {
        s.push_str("\nDate: ____________        Signature: ______________ / ______________ /\n");
    }
    s
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
