//! Where data lives and where it goes: country codes, localisation of Russian citizens' data
//! (152-FZ art. 18 p.5), cross-border transfers (art. 12, GDPR chapter V) and processors'
//! entrustment contracts (art. 6 p.3).

use super::{Ctx, EEA, entry, is_country_code};
use crate::catalog::diagnostic::DocPath;
use crate::catalog::model::RecipientKind;
use crate::text::Bilingual;

pub(super) fn check(cx: &mut Ctx<'_>) {
    countries(cx);
    residency(cx);
    recipients(cx);
}

fn countries(cx: &mut Ctx<'_>) {
    let c = cx.catalog;
    let mut found: Vec<(DocPath, &str)> = Vec::new();
    found.extend(c.recipients.iter().enumerate().map(|(i, r)| (entry("recipients", i).key("country"), r.country.as_str())));
    found.extend(c.storage.iter().enumerate().map(|(i, s)| (entry("storage", i).key("country"), s.country.as_str())));
    for (i, k) in c.cookies.iter().enumerate() {
        for (j, v) in k.vendors.iter().enumerate() {
            found.push((entry("cookies", i).key("vendors").index(j).key("country"), v.country.as_str()));
        }
    }
    for (path, code) in found {
        if !is_country_code(code) {
            cx.error(
                "country.invalid",
                path,
                Bilingual::new(
                    format!("`{code}` is not an ISO 3166-1 alpha-2 country code"),
                    format!("`{code}` — не код страны ISO 3166-1 alpha-2"),
                ),
                Bilingual::new(
                    "use two capital letters, e.g. \"RU\", \"DE\", \"US\"",
                    "используйте две заглавные буквы, например \"RU\", \"DE\", \"US\"",
                ),
            );
        }
    }
}

/// 152-FZ art. 18 p.5: recording, systematisation, accumulation, storage, clarification and
/// extraction of Russian citizens' data must use databases located in Russia. We check the
/// first storage location of every purpose that holds such data: that is where it is recorded.
fn residency(cx: &mut Ctx<'_>) {
    for (i, p) in cx.catalog.purposes.iter().enumerate() {
        let citizens = p.subject_kinds.iter().any(|k| cx.subject_kinds.get(k.as_str()).is_some_and(|s| s.russian_citizens));
        if !citizens {
            continue;
        }
        let id = &p.id;
        let Some(first) = p.storage.first() else {
            cx.error(
                "residency.no_storage",
                entry("purposes", i),
                Bilingual::new(
                    format!("purpose `{id}` holds Russian citizens' data but names no storage location"),
                    format!("цель `{id}` обрабатывает данные граждан РФ, но место хранения не указано"),
                ),
                Bilingual::new(
                    "add `storage = [\"…\"]` whose first entry is a database in Russia",
                    "добавьте `storage = [\"…\"]`, где первая запись — база данных в России",
                ),
            );
            continue;
        };
        let Some(location) = cx.storage.get(first.as_str()) else { continue };
        if location.country != "RU" {
            let country = &location.country;
            cx.error(
                "residency.first_storage_abroad",
                entry("purposes", i).key("storage").index(0),
                Bilingual::new(
                    format!("purpose `{id}` first records Russian citizens' data in `{first}` ({country}), outside Russia (152-FZ art. 18 p.5)"),
                    format!("цель `{id}` впервые записывает данные граждан РФ в `{first}` ({country}) — за пределами России (ч. 5 ст. 18 152-ФЗ)"),
                ),
                Bilingual::new(
                    "put a storage location with `country = \"RU\"` first; foreign copies may follow it",
                    "поставьте первым место хранения с `country = \"RU\"`; зарубежные копии могут идти после",
                ),
            );
        }
    }
}

fn recipients(cx: &mut Ctx<'_>) {
    for (i, r) in cx.catalog.recipients.iter().enumerate() {
        let id = &r.id;
        let at = entry("recipients", i);
        if let Some(url) = &r.notify_url
            && !is_notify_url(url)
        {
            cx.error(
                "recipient.bad_notify_url",
                at.clone().key("notify_url"),
                Bilingual::new(
                    format!("`{url}` is not a URL obereg can post notices to"),
                    format!("`{url}` — не адрес, на который obereg может отправлять уведомления"),
                ),
                Bilingual::new(
                    "write `https://host/path` (plain `http://` only for localhost or 127.0.0.1), without spaces or credentials",
                    "укажите `https://host/path` (`http://` — только для localhost или 127.0.0.1), без пробелов и учётных данных",
                ),
            );
        }
        if r.kind == RecipientKind::Processor && r.entrustment_contract.as_deref().is_none_or(|s| s.trim().is_empty()) {
            cx.error(
                "recipient.processor_without_contract",
                at.clone(),
                Bilingual::new(
                    format!("processor `{id}` has no entrustment contract (152-FZ art. 6 p.3, GDPR art. 28)"),
                    format!("у обработчика `{id}` не указан договор поручения (ч. 3 ст. 6 152-ФЗ, ст. 28 GDPR)"),
                ),
                Bilingual::new(
                    "add `entrustment_contract = \"Договор № … от …\"`",
                    "добавьте `entrustment_contract = \"Договор № … от …\"`",
                ),
            );
        }
        if cx.ru && r.country != "RU" && is_country_code(&r.country) && !r.cross_border_notified {
            cx.error(
                "recipient.cross_border_not_notified",
                at.key("country"),
                Bilingual::new(
                    format!(
                        "recipient `{id}` is in {}, but RKN has not been notified of the cross-border transfer (152-FZ art. 12)",
                        r.country
                    ),
                    format!(
                        "получатель `{id}` находится в стране {}, но уведомление РКН о трансграничной передаче не подано (ст. 12 152-ФЗ)",
                        r.country
                    ),
                ),
                Bilingual::new(
                    "notify RKN, then set `cross_border_notified = true`",
                    "подайте уведомление в РКН, затем укажите `cross_border_notified = true`",
                ),
            );
        }
        // Disclosures to authorities rest on a legal obligation, not on a chapter V mechanism.
        let outside_eea = !EEA.contains(&r.country.as_str()) && r.kind != RecipientKind::Authority;
        if cx.gdpr && outside_eea && r.transfer_safeguard.is_none() && is_country_code(&r.country) {
            cx.warning(
                "recipient.gdpr_transfer_without_safeguard",
                at.key("country"),
                Bilingual::new(
                    format!("recipient `{id}` is outside the EEA and no GDPR chapter V safeguard is named"),
                    format!("получатель `{id}` находится вне ЕЭЗ, и механизм передачи по главе V GDPR не указан"),
                ),
                Bilingual::new(
                    "add `transfer_safeguard = \"…\"` (adequacy decision, SCC, BCR)",
                    "добавьте `transfer_safeguard = \"…\"` (решение об адекватности, SCC, BCR)",
                ),
            );
        }
    }
}

/// Whether `url` can receive notices: HTTPS to a host name, or plain HTTP to this machine
/// (a local relay), with no credentials in it and nothing but printable ASCII.
pub fn is_notify_url(url: &str) -> bool {
    let (secure, rest) = match url.split_once("://") {
        Some(("https", rest)) => (true, rest),
        Some(("http", rest)) => (false, rest),
        _ => return false,
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.parse::<u16>().is_ok() => h,
        Some(_) => return false,
        None => authority,
    };
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && (secure || host == "localhost" || host == "127.0.0.1");
    host_ok && url.len() <= 2000 && url.bytes().all(|b| b.is_ascii_graphic()) && !authority.contains('@')
}
