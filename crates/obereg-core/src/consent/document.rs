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
use crate::text::{Bilingual, Lang, ru_plural};

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
        ru: body(catalog, &chosen, written, Lang::Ru),
        en: body(catalog, &chosen, written, Lang::En),
    })
}

pub(crate) fn en_or_ru(text: &crate::catalog::LocalizedText) -> &str {
    text.en.as_deref().unwrap_or(&text.ru)
}

/// Category ids of the purposes, each once, in catalog order.
pub(crate) fn categories<'c>(catalog: &'c Catalog, purposes: &[&Purpose]) -> Vec<&'c crate::catalog::Category> {
    catalog
        .categories
        .iter()
        .filter(|c| purposes.iter().any(|p| p.required_categories.contains(&c.id) || p.optional_categories.contains(&c.id)))
        .collect()
}

pub(crate) fn recipients<'c>(catalog: &'c Catalog, purposes: &[&Purpose]) -> Vec<&'c crate::catalog::Recipient> {
    catalog.recipients.iter().filter(|r| purposes.iter().any(|p| p.recipients.contains(&r.id))).collect()
}

pub(crate) fn operations(purposes: &[&Purpose]) -> Vec<crate::operation::Operation> {
    let mut ops: Vec<_> = purposes.iter().flat_map(|p| p.operations.iter().copied()).collect();
    ops.sort_by_key(|o| *o as u8);
    ops.dedup();
    ops
}

/// A period in the genitive, as "не дольше …" needs it: "1 года", "3 лет 2 месяцев", "21 дня".
pub(crate) fn period_ru(p: &Period) -> String {
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

/// How long a purpose keeps data, in words: "no longer than 3 years after the contract
/// ends (Tax Code art. 23)", for documents and access answers.
pub fn retention_text(r: &crate::catalog::Retention) -> Bilingual {
    let when = trigger(r.trigger);
    let norm = r.legal_reference.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
    if r.period.is_zero() {
        // Nothing after the trigger: kept until it happens ("until the consent is withdrawn").
        let (en, ru) = match r.trigger {
            RetentionTrigger::Collection | RetentionTrigger::LegalTerm => ("not kept after collection", "не хранятся после сбора"),
            RetentionTrigger::LastInteraction => ("until the last interaction", "до последнего обращения"),
            RetentionTrigger::PurposeAchieved => ("until the purpose is achieved", "до достижения цели"),
            RetentionTrigger::ContractEnd => ("until the contract ends", "до окончания договора"),
            RetentionTrigger::AccountClosed => ("until the account is closed", "до закрытия личного кабинета"),
            RetentionTrigger::ConsentWithdrawn => ("until the consent is withdrawn", "до отзыва согласия"),
        };
        return Bilingual::new(format!("{en}{norm}"), format!("{ru}{norm}"));
    }
    Bilingual::new(
        format!("no longer than {} {}{norm}", period_en(&r.period), when.en),
        format!("не дольше {} {}{norm}", period_ru(&r.period), when.ru),
    )
}

/// From what a retention period runs.
pub(crate) fn trigger(t: RetentionTrigger) -> Bilingual {
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
pub(crate) fn storage(catalog: &Catalog, purposes: &[&Purpose]) -> (Vec<String>, bool) {
    let places: Vec<&crate::catalog::StorageLocation> =
        catalog.storage.iter().filter(|l| purposes.iter().any(|p| p.storage.contains(&l.id))).collect();
    let all_russian = !places.is_empty() && places.iter().all(|l| l.country == "RU");
    let named = places
        .iter()
        .map(|l| format!("{} ({}{})", l.system, l.country, l.city.as_ref().map(|c| format!(", {c}")).unwrap_or_default()))
        .collect();
    (named, all_russian)
}

pub(crate) fn period_en(p: &Period) -> String {
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

pub(crate) fn contacts(catalog: &Catalog) -> Vec<&str> {
    [catalog.operator.requests_email.as_deref(), catalog.operator.requests_phone.as_deref()].into_iter().flatten().collect()
}

/// The document in one language. Both languages share this one structure; only the
/// phrases differ (`pick` chooses between them).
fn body(catalog: &Catalog, purposes: &[&Purpose], written: bool, lang: Lang) -> String {
    let ru = lang == Lang::Ru;
    let pick = |en: &'static str, ru_text: &'static str| if ru { ru_text } else { en };
    let local = |t: &crate::catalog::LocalizedText| if ru { t.ru.clone() } else { en_or_ru(t).to_owned() };
    let op = &catalog.operator;
    let mut s = String::new();
    let title = match (purposes.iter().any(|p| p.marketing), ru) {
        (true, true) => "Согласие на получение рекламы и обработку персональных данных для её направления",
        (true, false) => "Consent to receive advertising and to the processing of personal data for sending it",
        (false, true) => "Согласие на обработку персональных данных",
        (false, false) => "Consent to the processing of personal data",
    };
    let _ = writeln!(s, "# {title}\n");
    if written {
        s.push_str(pick(
            "I, ________________________________ (full name),\naddress: ________________________________,\nidentity document: ____________ series ______ number ________, issued by ____________________ on ____________,\n\n(when signed by a representative) representative: ________________________________, address: ________________, document: ________________, authority (power of attorney or other document): ________________,\n\nfreely, of my own will and in my own interest give my consent",
            "Я, ________________________________ (фамилия, имя, отчество),\nадрес: ________________________________,\nдокумент, удостоверяющий личность: ____________ серия ______ номер ________, выдан ____________________ «___» ________ ____ г.,\n\n(заполняется при подписании представителем) представитель: ________________________________, адрес: ________________, документ: ________________, основание полномочий (доверенность или иной документ): ________________,\n\nсвободно, своей волей и в своём интересе даю согласие",
        ));
    } else {
        s.push_str(pick(
            "Freely, of my own will and in my own interest, I give my consent",
            "Я свободно, своей волей и в своём интересе даю согласие",
        ));
    }
    let _ = write!(s, "{} {}", pick(" to the operator", " оператору"), local(&op.legal_name));
    let ids: Vec<String> =
        [op.ogrn.as_ref().map(|o| format!("{} {o}", pick("OGRN", "ОГРН"))), op.inn.as_ref().map(|i| format!("{} {i}", pick("INN", "ИНН")))]
            .into_iter()
            .flatten()
            .collect();
    if !ids.is_empty() {
        let _ = write!(s, " ({})", ids.join(", "));
    }
    let _ = writeln!(
        s,
        ", {}: {}, {}\n",
        pick("address", "адрес"),
        op.address,
        pick("to process my personal data on the terms below.", "на обработку моих персональных данных на условиях ниже.")
    );

    let _ = writeln!(s, "## {}\n", pick("Purposes", "Цели обработки"));
    for p in purposes {
        let _ = write!(s, "- {}", local(&p.name));
        if let Some(d) = &p.description {
            let _ = write!(s, ". {}", local(d));
        }
        s.push('\n');
        if p.marketing && !p.channels.is_empty() {
            let channels: Vec<String> = p.channels.iter().map(|c| channel_name(*c).get(lang).to_owned()).collect();
            let _ = writeln!(
                s,
                "  {}: {}. {}",
                pick("Channels", "Каналы связи"),
                channels.join(", "),
                pick("Consent to each channel can be withdrawn on its own.", "Согласие на каждый канал можно отозвать отдельно.")
            );
        }
    }
    let _ = writeln!(s, "\n## {}\n", pick("Personal data", "Перечень персональных данных"));
    for c in categories(catalog, purposes) {
        let _ = writeln!(s, "- {}", local(&c.name));
    }
    let _ = writeln!(s, "\n## {}\n", pick("Operations and methods", "Действия с персональными данными и способы обработки"));
    let ops: Vec<String> = operations(purposes).iter().map(|o| o.label().get(lang).to_owned()).collect();
    let _ = writeln!(
        s,
        "{}. {}",
        capitalise(&ops.join(", ")),
        pick("Processing is mixed: with and without automation.", "Обработка смешанная: с использованием средств автоматизации и без них.")
    );
    let _ = writeln!(
        s,
        "\n## {}\n",
        pick(
            "Processors acting on the operator's instruction, and recipients",
            "Лица, обрабатывающие данные по поручению оператора, и получатели"
        )
    );
    let recipients = recipients(catalog, purposes);
    if recipients.is_empty() {
        let _ = writeln!(
            s,
            "{}",
            pick(
                "The data is neither passed to third parties nor processed on the operator's instruction.",
                "Данные третьим лицам не передаются и по поручению не обрабатываются."
            )
        );
    }
    for r in recipients {
        let _ = write!(s, "- {}", local(&r.name));
        if let Some(a) = &r.address {
            let _ = write!(s, ", {}: {a}", pick("address", "адрес"));
        }
        if r.kind == RecipientKind::Processor
            && let Some(c) = &r.entrustment_contract
        {
            let _ = write!(s, " ({}: {c})", pick("instruction", "поручение"));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "\n## {}\n", pick("Where the data is kept", "Место хранения"));
    let (places, russian) = storage(catalog, purposes);
    let lead = match (russian, ru) {
        (true, true) => {
            "Запись, систематизация, накопление, хранение, уточнение и извлечение данных граждан Российской Федерации ведутся в базах данных на территории Российской Федерации"
        }
        (true, false) => {
            "Data of citizens of the Russian Federation is recorded, organised, accumulated, stored, updated and retrieved in databases in the Russian Federation"
        }
        (false, true) => "Данные хранятся",
        (false, false) => "The data is kept in",
    };
    let _ = writeln!(s, "{lead}: {}.", places.join("; "));
    let _ = writeln!(s, "\n## {}\n", pick("Term of the consent and how to withdraw it", "Срок действия согласия и порядок его отзыва"));
    for p in purposes {
        let until = pick("the consent lasts until withdrawn", "согласие действует до его отзыва");
        match &p.retention {
            Some(r) if !r.period.is_zero() => {
                let period = if ru { period_ru(&r.period) } else { period_en(&r.period) };
                let _ = writeln!(
                    s,
                    "- {}: {until}; {} {period} {}.",
                    local(&p.name),
                    pick("the data is kept no longer than", "данные хранятся не дольше"),
                    trigger(r.trigger).get(lang)
                );
            }
            _ => {
                let _ = writeln!(s, "- {}: {until}.", local(&p.name));
            }
        }
    }
    let _ = writeln!(
        s,
        "\n{} {}. {}",
        pick(
            "The consent can be withdrawn at any time the same way it was given, in the personal account, or by writing to the operator:",
            "Согласие можно отозвать в любой момент тем же способом, каким оно дано, а также в личном кабинете или обращением к оператору:"
        ),
        contacts(catalog).join(", "),
        pick(
            "After withdrawal the processing stops and the data is destroyed within 30 days unless the law provides another basis (152-FZ art. 9 p.2, art. 21 p.5).",
            "После отзыва обработка прекращается, а данные уничтожаются в течение 30 дней, если иное основание обработки не предусмотрено законом (ч. 2 ст. 9, ч. 5 ст. 21 152-ФЗ)."
        )
    );
    if written {
        s.push_str(pick(
            "\nDate: ____________        Signature: ______________ / ______________ /\n",
            "\n«___» ________ ____ г.        Подпись: ______________ / ______________ /\n",
        ));
    }
    s
}

pub(crate) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests;
