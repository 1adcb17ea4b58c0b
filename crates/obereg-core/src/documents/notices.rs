//! The regulator's forms, filled from the catalog: the notification of processing to RKN
//! (152-FZ art. 22 p.3), the cross-border transfer notification (art. 12 p.4), and the
//! GDPR art. 30 record of processing activities. Each is a table of the fields the norm
//! lists, so a DPO can copy them into RKN's online form or an auditor's template. Fields the
//! catalog cannot know (the date of the recipient assessment) are left blank to fill in.

use crate::catalog::{Catalog, CategoryKind, Purpose, RecipientKind};
use crate::consent::document::{categories, operations, storage};
use crate::text::Lang;

use super::{Doc, bases, local, retention};

fn every(catalog: &Catalog) -> Vec<&Purpose> {
    catalog.purposes.iter().collect()
}

fn blank(lang: Lang) -> String {
    if lang == Lang::Ru {
        "________ (заполняется оператором)".into()
    } else {
        "________ (to be filled in by the operator)".into()
    }
}

fn none(lang: Lang) -> String {
    if lang == Lang::Ru { "нет".into() } else { "none".into() }
}

fn joined(items: Vec<String>, lang: Lang) -> String {
    if items.is_empty() { none(lang) } else { items.join("; ") }
}

fn subject_kinds(catalog: &Catalog, purposes: &[&Purpose], lang: Lang) -> Vec<String> {
    catalog
        .subject_kinds
        .iter()
        .filter(|k| purposes.iter().any(|p| p.subject_kinds.contains(&k.id)))
        .map(|k| local(&k.name, lang))
        .collect()
}

fn category_names(catalog: &Catalog, purposes: &[&Purpose], lang: Lang) -> Vec<String> {
    categories(catalog, purposes)
        .iter()
        .map(|c| {
            let mark = match (c.kind, lang) {
                (CategoryKind::Special, Lang::Ru) => " (специальная категория)",
                (CategoryKind::Special, Lang::En) => " (special category)",
                (CategoryKind::Biometric, Lang::Ru) => " (биометрические)",
                (CategoryKind::Biometric, Lang::En) => " (biometric)",
                _ => "",
            };
            format!("{}{mark}", local(&c.name, lang))
        })
        .collect()
}

fn responsible(catalog: &Catalog, lang: Lang) -> String {
    match &catalog.operator.responsible_person {
        Some(p) => format!(
            "{}{}",
            p.name,
            [p.email.as_deref(), p.phone.as_deref()].into_iter().flatten().map(|c| format!(", {c}")).collect::<String>()
        ),
        None => blank(lang),
    }
}

fn operator_line(catalog: &Catalog, lang: Lang) -> String {
    let o = &catalog.operator;
    let mut s = format!("{}, {}", local(&o.legal_name, lang), o.address);
    if let Some(inn) = &o.inn {
        s.push_str(&format!(", {} {inn}", if lang == Lang::Ru { "ИНН" } else { "INN" }));
    }
    if let Some(ogrn) = &o.ogrn {
        s.push_str(&format!(", {} {ogrn}", if lang == Lang::Ru { "ОГРН" } else { "OGRN" }));
    }
    s
}

const MEASURES_RU: &str = "назначен ответственный за организацию обработки; изданы политика и локальные акты; осуществляется внутренний контроль; доступ работников ограничен ролями и целями с журналированием каждого обращения; данные каждого субъекта шифруются на отдельном ключе (AES-256-GCM), ключи шифрования ключей хранятся отдельно от данных; поиск по ключевым индексам без расшифровки; журнал событий защищён деревом хешей с подписанными контрольными точками (Ed25519); уничтожение подтверждается актами";
const MEASURES_EN: &str = "a person responsible for processing is appointed; a policy and internal acts are issued; internal control is carried out; staff access is limited by role and purpose with every access logged; each subject's data is encrypted under a key of its own (AES-256-GCM), with key-encryption keys kept apart from the data; lookups use keyed indexes without decryption; the event log is protected by a hash tree with signed checkpoints (Ed25519); destruction is confirmed by acts";

/// The notification of processing (art. 22 p.3).
pub(super) fn rkn_notice(catalog: &Catalog, lang: Lang) -> Doc {
    let ru = lang == Lang::Ru;
    let pick = |en: &str, ru_text: &str| if ru { ru_text.to_owned() } else { en.to_owned() };
    let purposes = every(catalog);
    let mut d = Doc::new(
        pick(
            "Notification of the processing of personal data (152-FZ art. 22)",
            "Уведомление об обработке (о намерении осуществлять обработку) персональных данных",
        ),
        lang,
    );
    d.para(pick(
        "Fields of 152-FZ art. 22 p.3, filled from the operator's data map. File it through Roskomnadzor's online form with a qualified electronic signature or a Gosuslugi login.",
        "Сведения по ч. 3 ст. 22 Федерального закона № 152-ФЗ, заполненные по карте данных оператора. Подаётся через форму на портале Роскомнадзора с усиленной квалифицированной электронной подписью или через Госуслуги.",
    ));
    let ops: Vec<String> = operations(&purposes).iter().map(|o| o.label().get(lang).to_owned()).collect();
    let foreign: Vec<String> =
        catalog.recipients.iter().filter(|r| r.country != "RU").map(|r| format!("{} ({})", local(&r.name, lang), r.country)).collect();
    let places: Vec<String> = catalog
        .storage
        .iter()
        .map(|s| {
            let mut t = format!("{} — {}", s.system, s.country);
            if let Some(c) = &s.city {
                t.push_str(&format!(", {c}"));
            }
            if let Some(p) = &s.provider {
                t.push_str(&format!(" ({p})"));
            }
            t
        })
        .collect();
    let rows = vec![
        vec![pick("Operator: name, address, INN, OGRN", "Наименование (ФИО), адрес оператора, ИНН, ОГРН"), operator_line(catalog, lang)],
        vec![pick("Purposes of processing", "Цели обработки"), joined(purposes.iter().map(|p| local(&p.name, lang)).collect(), lang)],
        vec![pick("Categories of personal data", "Категории персональных данных"), joined(category_names(catalog, &purposes, lang), lang)],
        vec![pick("Categories of data subjects", "Категории субъектов"), joined(subject_kinds(catalog, &purposes, lang), lang)],
        vec![
            pick("Legal bases", "Правовое основание обработки"),
            joined(purposes.iter().map(|p| format!("{}: {}", local(&p.name, lang), bases(p, lang))).collect(), lang),
        ],
        vec![
            pick("Operations and methods", "Перечень действий и способы обработки"),
            format!(
                "{}; {}",
                ops.join(", "),
                pick(
                    "mixed processing (with and without automation), with transfer over internal networks and the Internet",
                    "смешанная обработка (с использованием средств автоматизации и без), с передачей по внутренней сети и сети Интернет"
                )
            ),
        ],
        vec![
            pick("Measures under arts. 18.1 and 19, including encryption", "Меры по ст. 18.1 и 19, в том числе шифрование"),
            pick(MEASURES_EN, MEASURES_RU),
        ],
        vec![
            pick("Person responsible for organising processing, contacts", "ФИО ответственного за организацию обработки, контакты"),
            responsible(catalog, lang),
        ],
        vec![pick("Date processing starts", "Дата начала обработки"), catalog.documents.effective_date.0.to_string()],
        vec![
            pick("Term or condition of ending processing", "Срок или условие прекращения обработки"),
            format!(
                "{}; {}",
                pick("achievement of the purposes or the operator's liquidation", "достижение целей обработки или ликвидация оператора"),
                purposes.iter().map(|p| format!("{}: {}", local(&p.name, lang), retention(p, lang))).collect::<Vec<_>>().join("; ")
            ),
        ],
        vec![
            pick("Cross-border transfer", "Трансграничная передача"),
            if foreign.is_empty() {
                none(lang)
            } else {
                format!("{}: {}", pick("yes", "осуществляется"), foreign.join(", "))
            },
        ],
        vec![pick("Location of the databases", "Место нахождения баз данных"), joined(places, lang)],
        vec![
            pick("Registry number (if registered)", "Регистрационный номер (если внесён в реестр)"),
            catalog.operator.rkn_registry_number.clone().unwrap_or_else(|| blank(lang)),
        ],
    ];
    d.table(vec![pick("Field", "Сведение"), pick("Value", "Значение")], rows);
    d
}

/// The cross-border transfer notification (art. 12 p.4); `None` when nothing goes abroad.
pub(super) fn cross_border_notice(catalog: &Catalog, lang: Lang) -> Option<Doc> {
    let ru = lang == Lang::Ru;
    let pick = |en: &str, ru_text: &str| if ru { ru_text.to_owned() } else { en.to_owned() };
    let foreign: Vec<&crate::catalog::Recipient> = catalog.recipients.iter().filter(|r| r.country != "RU").collect();
    let foreign_storage: Vec<&crate::catalog::StorageLocation> = catalog.storage.iter().filter(|s| s.country != "RU").collect();
    if foreign.is_empty() && foreign_storage.is_empty() {
        return None;
    }
    let purposes: Vec<&Purpose> = catalog
        .purposes
        .iter()
        .filter(|p| {
            p.recipients.iter().any(|r| foreign.iter().any(|f| &f.id == r))
                || p.storage.iter().any(|s| foreign_storage.iter().any(|f| &f.id == s))
        })
        .collect();
    let mut countries: Vec<String> =
        foreign.iter().map(|r| r.country.clone()).chain(foreign_storage.iter().map(|s| s.country.clone())).collect();
    countries.sort();
    countries.dedup();
    let mut d = Doc::new(
        pick(
            "Notification of intent to transfer personal data across borders (152-FZ art. 12)",
            "Уведомление о намерении осуществлять трансграничную передачу персональных данных",
        ),
        lang,
    );
    d.para(pick(
        "Fields of 152-FZ art. 12 p.4. Before filing, obtain from each foreign recipient the information of art. 12 p.5 (its protection measures and the conditions for ending processing) and keep it.",
        "Сведения по ч. 4 ст. 12 Федерального закона № 152-ФЗ. До подачи получите от каждого иностранного получателя сведения по ч. 5 ст. 12 (принимаемые меры защиты и условия прекращения обработки) и сохраните их.",
    ));
    let rows = vec![
        vec![pick("Operator: name, address", "Наименование и адрес оператора"), operator_line(catalog, lang)],
        vec![
            pick("Date and number of the art. 22 notification", "Дата и номер уведомления по ст. 22"),
            catalog
                .operator
                .rkn_registry_number
                .clone()
                .map(|n| format!("{} {n}", pick("register entry", "запись в реестре")))
                .unwrap_or_else(|| blank(lang)),
        ],
        vec![
            pick("Person responsible for organising processing, contacts", "Ответственный за организацию обработки, контакты"),
            responsible(catalog, lang),
        ],
        vec![
            pick("Purposes and legal bases of the transfer", "Цели и правовые основания передачи"),
            joined(purposes.iter().map(|p| format!("{}: {}", local(&p.name, lang), bases(p, lang))).collect(), lang),
        ],
        vec![
            pick("Categories and list of personal data", "Категории и перечень персональных данных"),
            joined(category_names(catalog, &purposes, lang), lang),
        ],
        vec![pick("Categories of data subjects", "Категории субъектов"), joined(subject_kinds(catalog, &purposes, lang), lang)],
        vec![pick("Countries", "Перечень иностранных государств"), countries.join(", ")],
        vec![
            pick("Recipients", "Получатели"),
            joined(
                foreign
                    .iter()
                    .map(|r| {
                        let role = if r.kind == RecipientKind::Processor {
                            pick("processor", "по поручению")
                        } else {
                            pick("recipient", "получатель")
                        };
                        format!(
                            "{} ({}, {role}{})",
                            local(&r.name, lang),
                            r.country,
                            r.address.as_deref().map(|a| format!(", {a}")).unwrap_or_default()
                        )
                    })
                    .chain(foreign_storage.iter().map(|s| format!("{} ({})", s.system, s.country)))
                    .collect(),
                lang,
            ),
        ],
        vec![pick("Date of the recipients' assessment (art. 12 p.5)", "Дата проведения оценки получателей (ч. 5 ст. 12)"), blank(lang)],
    ];
    d.table(vec![pick("Field", "Сведение"), pick("Value", "Значение")], rows);
    Some(d)
}

/// The GDPR art. 30(1) record of processing activities.
pub(super) fn processing_record(catalog: &Catalog, lang: Lang) -> Doc {
    let ru = lang == Lang::Ru;
    let pick = |en: &str, ru_text: &str| if ru { ru_text.to_owned() } else { en.to_owned() };
    let o = &catalog.operator;
    let mut d = Doc::new(pick("Record of processing activities (GDPR art. 30)", "Реестр операций обработки (ст. 30 GDPR)"), lang);
    let mut controller = vec![format!("{}: {}", pick("Controller", "Контролёр"), operator_line(catalog, lang))];
    if let Some(e) = &o.requests_email {
        controller.push(format!("{}: {e}", pick("Contact", "Контакт")));
    }
    if let Some(p) = &o.dpo {
        controller.push(format!(
            "{}: {}{}",
            pick("Data protection officer", "Инспектор по защите данных"),
            p.name,
            p.email.as_deref().map(|e| format!(", {e}")).unwrap_or_default()
        ));
    }
    d.list(controller);
    let rows = catalog
        .purposes
        .iter()
        .map(|p| {
            let one = [p];
            let recips: Vec<String> = catalog
                .recipients
                .iter()
                .filter(|r| p.recipients.contains(&r.id))
                .map(|r| format!("{} ({})", local(&r.name, lang), r.country))
                .collect();
            let transfers: Vec<String> = catalog
                .recipients
                .iter()
                .filter(|r| p.recipients.contains(&r.id) && r.country != "RU")
                .map(|r| {
                    format!(
                        "{}: {}",
                        r.country,
                        r.transfer_safeguard.clone().unwrap_or_else(|| pick("safeguard not stated", "гарантии не указаны"))
                    )
                })
                .collect();
            let (places, _) = storage(catalog, &one);
            vec![
                local(&p.name, lang),
                joined(subject_kinds(catalog, &one, lang), lang),
                joined(category_names(catalog, &one, lang), lang),
                bases(p, lang),
                joined(recips, lang),
                joined(transfers, lang),
                retention(p, lang),
                joined(places, lang),
            ]
        })
        .collect();
    d.table(
        vec![
            pick("Purpose", "Цель"),
            pick("Data subjects", "Субъекты"),
            pick("Personal data", "Данные"),
            pick("Legal basis", "Основание"),
            pick("Recipients", "Получатели"),
            pick("Third-country transfers and safeguards", "Передача в третьи страны и гарантии"),
            pick("Erasure time limit", "Срок удаления"),
            pick("Systems", "Системы"),
        ],
        rows,
    );
    d.heading(pick("Security measures (art. 32)", "Меры безопасности (ст. 32)"));
    d.para(pick(MEASURES_EN, MEASURES_RU));
    d
}
