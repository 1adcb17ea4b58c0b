//! Rules about who the operator is and how the catalog names things: format version, id
//! shape and uniqueness, the operator's registry numbers and contacts, document languages.

use std::collections::HashMap;

use super::{Ctx, entry};
use crate::catalog::diagnostic::DocPath;
use crate::catalog::model::DocLanguage;
use crate::ids::is_valid_catalog_id;
use crate::registry_numbers::{is_valid_inn, is_valid_ogrn};
use crate::text::Bilingual;

/// The catalog format this build understands.
pub const FORMAT: u32 = 1;

pub(super) fn check(cx: &mut Ctx<'_>) {
    format(cx);
    ids(cx);
    operator(cx);
    documents(cx);
}

fn format(cx: &mut Ctx<'_>) {
    let found = cx.catalog.format;
    if found != FORMAT {
        cx.error(
            "format.unsupported",
            DocPath::root().key("format"),
            Bilingual::new(format!("catalog format {found} is not supported"), format!("формат каталога {found} не поддерживается")),
            Bilingual::new(format!("set `format = {FORMAT}`"), format!("укажите `format = {FORMAT}`")),
        );
    }
}

fn ids(cx: &mut Ctx<'_>) {
    let c = cx.catalog;
    let sections: [(&str, Vec<&str>); 7] = [
        ("categories", c.categories.iter().map(|x| x.id.as_str()).collect()),
        ("subject_kinds", c.subject_kinds.iter().map(|x| x.id.as_str()).collect()),
        ("purposes", c.purposes.iter().map(|x| x.id.as_str()).collect()),
        ("recipients", c.recipients.iter().map(|x| x.id.as_str()).collect()),
        ("storage", c.storage.iter().map(|x| x.id.as_str()).collect()),
        ("roles", c.roles.iter().map(|x| x.id.as_str()).collect()),
        ("cookies", c.cookies.iter().map(|x| x.id.as_str()).collect()),
    ];
    for (section, list) in sections {
        let mut first_at: HashMap<&str, usize> = HashMap::new();
        for (i, id) in list.into_iter().enumerate() {
            let path = entry(section, i).key("id");
            if !is_valid_catalog_id(id) {
                cx.error(
                    "id.invalid",
                    path.clone(),
                    Bilingual::new(
                        format!("`{id}` is not a valid id in `{section}`"),
                        format!("`{id}` — недопустимый идентификатор в `{section}`"),
                    ),
                    Bilingual::new(
                        "use 1–64 lowercase latin letters, digits, `_`, `-` or `.`, starting with a letter (e.g. `contact.phone`)",
                        "используйте 1–64 строчные латинские буквы, цифры, `_`, `-` или `.`, начиная с буквы (например, `contact.phone`)",
                    ),
                );
            }
            if let Some(first) = first_at.get(id) {
                cx.error(
                    "id.duplicate",
                    path,
                    Bilingual::new(
                        format!("`{id}` is declared twice in `{section}` (first as entry {first})"),
                        format!("`{id}` объявлен в `{section}` дважды (впервые — запись {first})"),
                    ),
                    Bilingual::new(
                        "give every entry its own id, or merge the two",
                        "дайте каждой записи свой идентификатор или объедините записи",
                    ),
                );
            } else {
                first_at.insert(id, i);
            }
        }
    }
    if let Some(i) = c.roles.iter().position(|r| r.id == "admin" || r.id == "platform") {
        let id = &c.roles[i].id;
        cx.error(
            "role.reserved_id",
            entry("roles", i).key("id"),
            Bilingual::new(
                format!("role id `{id}` is reserved for obereg's built-in role"),
                format!("идентификатор роли `{id}` зарезервирован встроенной ролью obereg"),
            ),
            Bilingual::new("rename the role, e.g. `dpo` or `support`", "переименуйте роль, например `dpo` или `support`"),
        );
    }
}

fn operator(cx: &mut Ctx<'_>) {
    let op = &cx.catalog.operator;
    let base = DocPath::root().key("operator");
    if op.jurisdictions.is_empty() {
        cx.error(
            "operator.no_jurisdiction",
            base.key("jurisdictions"),
            Bilingual::new("the operator names no jurisdiction", "у оператора не указана ни одна юрисдикция"),
            Bilingual::new(
                "add `jurisdictions = [\"ru-152fz\"]` (and `\"eu-gdpr\"` if the GDPR applies)",
                "добавьте `jurisdictions = [\"ru-152fz\"]` (и `\"eu-gdpr\"`, если применяется GDPR)",
            ),
        );
    }
    if op.requests_email.is_none() && op.requests_phone.is_none() {
        cx.error(
            "operator.no_request_contact",
            base.clone(),
            Bilingual::new("the operator gives no contact for data-subject requests", "у оператора нет контакта для обращений субъектов"),
            Bilingual::new("add `requests_email` or `requests_phone`", "добавьте `requests_email` или `requests_phone`"),
        );
    }
    if !cx.ru {
        return;
    }
    match &op.inn {
        None => cx.error(
            "operator.inn_missing",
            base.clone(),
            Bilingual::new("152-FZ applies but the operator has no INN", "применяется 152-ФЗ, но у оператора не указан ИНН"),
            Bilingual::new(
                "add `inn = \"…\"` (10 digits for an organisation, 12 for an entrepreneur)",
                "добавьте `inn = \"…\"` (10 цифр для организации, 12 — для ИП)",
            ),
        ),
        Some(inn) if !is_valid_inn(inn) => cx.error(
            "operator.inn_invalid",
            base.key("inn"),
            Bilingual::new(
                format!("INN `{inn}` has wrong length or check digits"),
                format!("ИНН `{inn}` неверной длины или с неверными контрольными цифрами"),
            ),
            Bilingual::new(
                "copy the INN from the registration certificate or the EGRUL extract",
                "перепишите ИНН из свидетельства или выписки ЕГРЮЛ",
            ),
        ),
        Some(_) => {}
    }
    match &op.ogrn {
        None => cx.error(
            "operator.ogrn_missing",
            base.clone(),
            Bilingual::new(
                "152-FZ applies but the operator has no OGRN/OGRNIP",
                "применяется 152-ФЗ, но у оператора не указан ОГРН/ОГРНИП",
            ),
            Bilingual::new("add `ogrn = \"…\"` (13 digits, or 15 for an OGRNIP)", "добавьте `ogrn = \"…\"` (13 цифр, для ОГРНИП — 15)"),
        ),
        Some(ogrn) if !is_valid_ogrn(ogrn) => cx.error(
            "operator.ogrn_invalid",
            base.key("ogrn"),
            Bilingual::new(
                format!("OGRN `{ogrn}` has wrong length or check digit"),
                format!("ОГРН `{ogrn}` неверной длины или с неверной контрольной цифрой"),
            ),
            Bilingual::new("copy the OGRN from the EGRUL/EGRIP extract", "перепишите ОГРН из выписки ЕГРЮЛ/ЕГРИП"),
        ),
        Some(_) => {}
    }
    if op.responsible_person.is_none() {
        cx.error(
            "operator.no_responsible_person",
            base,
            Bilingual::new(
                "152-FZ art. 22.1 requires a person responsible for organising processing",
                "ст. 22.1 152-ФЗ требует назначить ответственного за организацию обработки",
            ),
            Bilingual::new(
                "add `[operator.responsible_person]` with `name` and `email`",
                "добавьте `[operator.responsible_person]` с `name` и `email`",
            ),
        );
    }
}

fn documents(cx: &mut Ctx<'_>) {
    let langs = &cx.catalog.documents.languages;
    let path = DocPath::root().key("documents").key("languages");
    if cx.ru && !langs.contains(&DocLanguage::Ru) {
        cx.error(
            "documents.russian_missing",
            path.clone(),
            Bilingual::new(
                "152-FZ applies but documents are not issued in Russian",
                "применяется 152-ФЗ, но документы не выпускаются на русском языке",
            ),
            Bilingual::new("add \"ru\" to `documents.languages`", "добавьте \"ru\" в `documents.languages`"),
        );
    }
    if cx.gdpr && !langs.contains(&DocLanguage::En) {
        cx.warning(
            "documents.english_missing",
            path,
            Bilingual::new(
                "the GDPR applies but documents are not issued in English",
                "применяется GDPR, но документы не выпускаются на английском языке",
            ),
            Bilingual::new(
                "add \"en\" to `documents.languages` and English names",
                "добавьте \"en\" в `documents.languages` и английские названия",
            ),
        );
    }
}
