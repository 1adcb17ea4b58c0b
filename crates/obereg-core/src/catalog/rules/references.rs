//! Every id a catalog entry names must be declared: purposes name categories, subject kinds,
//! recipients and storage; roles name purposes and categories; cookies name a purpose.

use super::{Ctx, entry};
use crate::catalog::diagnostic::DocPath;
use crate::text::Bilingual;

/// The section a reference points into, with its names for messages.
#[derive(Clone, Copy)]
enum Target {
    Category,
    SubjectKind,
    Recipient,
    Storage,
    Purpose,
}

impl Target {
    fn section(self) -> &'static str {
        match self {
            Target::Category => "categories",
            Target::SubjectKind => "subject_kinds",
            Target::Recipient => "recipients",
            Target::Storage => "storage",
            Target::Purpose => "purposes",
        }
    }

    fn noun(self) -> (&'static str, &'static str) {
        match self {
            Target::Category => ("data category", "категория данных"),
            Target::SubjectKind => ("subject kind", "вид субъектов"),
            Target::Recipient => ("recipient", "получатель"),
            Target::Storage => ("storage location", "место хранения"),
            Target::Purpose => ("purpose", "цель"),
        }
    }
}

pub(super) fn check(cx: &mut Ctx<'_>) {
    let c = cx.catalog;
    for (i, p) in c.purposes.iter().enumerate() {
        let at = entry("purposes", i);
        refs(cx, &at, "subject_kinds", &p.subject_kinds, Target::SubjectKind);
        refs(cx, &at, "required_categories", &p.required_categories, Target::Category);
        refs(cx, &at, "optional_categories", &p.optional_categories, Target::Category);
        refs(cx, &at, "recipients", &p.recipients, Target::Recipient);
        refs(cx, &at, "storage", &p.storage, Target::Storage);
    }
    for (i, r) in c.roles.iter().enumerate() {
        let at = entry("roles", i);
        refs(cx, &at, "purposes", &r.purposes, Target::Purpose);
        refs(cx, &at, "categories", &r.categories, Target::Category);
    }
    for (i, k) in c.cookies.iter().enumerate() {
        if let Some(p) = &k.purpose {
            refs(cx, &entry("cookies", i), "purpose", std::slice::from_ref(p), Target::Purpose);
        }
    }
}

fn known(cx: &Ctx<'_>, target: Target, id: &str) -> bool {
    match target {
        Target::Category => cx.categories.contains_key(id),
        Target::SubjectKind => cx.subject_kinds.contains_key(id),
        Target::Recipient => cx.recipients.contains_key(id),
        Target::Storage => cx.storage.contains_key(id),
        Target::Purpose => cx.purposes.contains_key(id),
    }
}

fn refs(cx: &mut Ctx<'_>, at: &DocPath, field: &str, ids: &[String], target: Target) {
    for (j, id) in ids.iter().enumerate() {
        if known(cx, target, id) {
            continue;
        }
        let (en, ru) = target.noun();
        let section = target.section();
        let path = if field == "purpose" { at.key(field) } else { at.key(field).index(j) };
        cx.error(
            "reference.unknown",
            path,
            Bilingual::new(format!("unknown {en} `{id}` in `{field}`"), format!("неизвестный объект «{ru}» `{id}` в `{field}`")),
            Bilingual::new(
                format!("declare `{id}` in `[[{section}]]` or correct the spelling"),
                format!("объявите `{id}` в `[[{section}]]` или исправьте написание"),
            ),
        );
    }
}
