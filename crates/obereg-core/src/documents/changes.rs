//! What changed between two catalogs that a subject must be told about before it takes
//! effect: the material changes of a new policy version (law.md MKT-7; GDPR art. 13(3)).
//!
//! Material, for a purpose kept in both: its legal basis changed; it collects categories it
//! did not; it passes data to recipients it did not; it keeps data longer, or from another
//! trigger; it stores data in a country it did not. A purpose added or removed is material
//! too. Shorter terms, fewer categories or recipients, and wording are not: they take
//! nothing new from the subject.

use std::collections::BTreeSet;

use crate::Bilingual;
use crate::catalog::{Catalog, Period, Purpose};

/// One material change, about one purpose.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MaterialChange {
    /// `purpose.added`, `purpose.removed`, `purpose.basis_changed`, `purpose.categories_added`,
    /// `purpose.recipients_added`, `purpose.retention_longer`, `purpose.storage_country_added`.
    pub code: &'static str,
    pub purpose: String,
    pub message: Bilingual,
}

/// A period's rough length in days, to tell longer from shorter (months as 31 days, years
/// as 366: only the order matters).
fn days(p: &Period) -> u64 {
    u64::from(p.years) * 366 + u64::from(p.months) * 31 + u64::from(p.days)
}

fn added<'a>(old: impl IntoIterator<Item = &'a String>, new: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    let before: BTreeSet<&String> = old.into_iter().collect();
    new.into_iter().filter(|x| !before.contains(x)).cloned().collect()
}

fn countries(catalog: &Catalog, p: &Purpose) -> BTreeSet<String> {
    catalog.storage.iter().filter(|s| p.storage.contains(&s.id)).map(|s| s.country.clone()).collect()
}

/// The material changes from `old` to `new`, in the new catalog's purpose order (removed
/// purposes last).
pub fn material_changes(old: &Catalog, new: &Catalog) -> Vec<MaterialChange> {
    let mut out = Vec::new();
    let mut push = |code, purpose: &str, en: String, ru: String| {
        out.push(MaterialChange { code, purpose: purpose.to_owned(), message: Bilingual::new(en, ru) });
    };
    for p in &new.purposes {
        let id = p.id.as_str();
        let Some(before) = old.purposes.iter().find(|o| o.id == p.id) else {
            push(
                "purpose.added",
                id,
                format!("a new purpose: {}", p.name.en.as_deref().unwrap_or(&p.name.ru)),
                format!("новая цель: {}", p.name.ru),
            );
            continue;
        };
        if before.basis != p.basis {
            push(
                "purpose.basis_changed",
                id,
                format!("purpose `{id}` rests on another legal basis"),
                format!("цель `{id}` обрабатывается на другом правовом основании"),
            );
        }
        let cats = added(before.categories(), p.categories());
        if !cats.is_empty() {
            push(
                "purpose.categories_added",
                id,
                format!("purpose `{id}` processes more data: {}", cats.join(", ")),
                format!("по цели `{id}` обрабатываются новые данные: {}", cats.join(", ")),
            );
        }
        let recipients = added(&before.recipients, &p.recipients);
        if !recipients.is_empty() {
            push(
                "purpose.recipients_added",
                id,
                format!("purpose `{id}` passes data to new recipients: {}", recipients.join(", ")),
                format!("по цели `{id}` данные передаются новым получателям: {}", recipients.join(", ")),
            );
        }
        let longer = match (&before.retention, &p.retention) {
            (Some(b), Some(n)) => b.trigger != n.trigger || days(&n.period) > days(&b.period),
            (Some(_), None) => true,
            _ => false,
        };
        if longer {
            push(
                "purpose.retention_longer",
                id,
                format!("data of purpose `{id}` is kept longer"),
                format!("данные по цели `{id}` хранятся дольше"),
            );
        }
        let abroad: Vec<String> = countries(new, p).difference(&countries(old, before)).cloned().collect();
        if !abroad.is_empty() {
            push(
                "purpose.storage_country_added",
                id,
                format!("data of purpose `{id}` is stored in another country: {}", abroad.join(", ")),
                format!("данные по цели `{id}` хранятся в другой стране: {}", abroad.join(", ")),
            );
        }
    }
    for p in old.purposes.iter().filter(|o| !new.purposes.iter().any(|n| n.id == o.id)) {
        push(
            "purpose.removed",
            &p.id,
            format!("purpose `{}` is no longer pursued", p.id),
            format!("цель `{}` больше не преследуется", p.id),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::parse;

    const VOICE_ROBOT: &str = include_str!("../../../../examples/voice-robot-calls.toml");

    #[test]
    fn only_what_takes_more_from_the_subject_is_material() {
        let old = parse(VOICE_ROBOT).unwrap();
        assert!(material_changes(&old, &old).is_empty());
        let mut new = old.clone();
        new.purposes[0].name.ru = "Другое название".into();
        new.purposes[1].retention.as_mut().unwrap().period = "P3M".parse().unwrap();
        new.purposes[1].recipients.clear();
        assert!(material_changes(&old, &new).is_empty(), "wording, a shorter term, fewer recipients");

        new.purposes[1].retention.as_mut().unwrap().period = "P2Y".parse().unwrap();
        new.purposes[1].recipients = vec!["web-analytics".into()];
        new.purposes[0].optional_categories.push("call.recording".into());
        new.purposes[2].basis = old.purposes[0].basis;
        let removed = new.purposes.remove(3);
        let codes: Vec<(&str, String)> = material_changes(&old, &new).into_iter().map(|c| (c.code, c.purpose)).collect();
        assert_eq!(
            codes,
            [
                ("purpose.categories_added", old.purposes[0].id.clone()),
                ("purpose.recipients_added", old.purposes[1].id.clone()),
                ("purpose.retention_longer", old.purposes[1].id.clone()),
                ("purpose.basis_changed", old.purposes[2].id.clone()),
                ("purpose.removed", removed.id.clone()),
            ]
        );
        let mut more = old.clone();
        more.purposes.push(removed.clone());
        more.purposes[4].id = "surveys".into();
        assert_eq!(material_changes(&old, &more)[0].code, "purpose.added");
    }
}
