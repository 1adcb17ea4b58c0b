//! Rules on who may do what: staff roles stay inside their purposes, non-necessary cookies
//! rest on consent, and the age rule is coherent.

use std::collections::HashSet;

use super::{Ctx, entry};
use crate::catalog::diagnostic::DocPath;
use crate::catalog::model::{CookieKind, UnderageAction};
use crate::text::Bilingual;

pub(super) fn check(cx: &mut Ctx<'_>) {
    roles(cx);
    cookies(cx);
    site(cx);
    age(cx);
}

/// A role may see only categories and use only operations of the purposes it is granted:
/// that is what "only authorised staff, only for the purpose" means in data terms.
fn roles(cx: &mut Ctx<'_>) {
    for (i, role) in cx.catalog.roles.iter().enumerate() {
        let at = entry("roles", i);
        let id = &role.id;
        if role.purposes.is_empty() {
            cx.error(
                "role.no_purposes",
                at.clone(),
                Bilingual::new(format!("role `{id}` is granted no purpose"), format!("роли `{id}` не назначено ни одной цели")),
                Bilingual::new(
                    "add `purposes = [\"…\"]`: staff process data only for a purpose",
                    "добавьте `purposes = [\"…\"]`: сотрудники обрабатывают данные только ради цели",
                ),
            );
        }
        let granted: Vec<_> = role.purposes.iter().filter_map(|p| cx.purposes.get(p.as_str()).copied()).collect();
        let cats: HashSet<&String> = granted.iter().flat_map(|p| p.categories()).collect();
        let ops: HashSet<_> = granted.iter().flat_map(|p| p.operations.iter().copied()).collect();
        for (j, cat) in role.categories.iter().enumerate() {
            if cx.categories.contains_key(cat.as_str()) && !cats.contains(cat) {
                cx.error(
                    "role.category_outside_purposes",
                    at.key("categories").index(j),
                    Bilingual::new(
                        format!("role `{id}` may see `{cat}`, which none of its purposes processes"),
                        format!("роль `{id}` видит `{cat}`, хотя ни одна из её целей эту категорию не обрабатывает"),
                    ),
                    Bilingual::new(
                        "remove the category, or grant a purpose that includes it",
                        "уберите категорию или назначьте цель, которая её включает",
                    ),
                );
            }
        }
        for (j, cat) in role.masked.iter().enumerate() {
            if !role.categories.contains(cat) {
                cx.error(
                    "role.masked_not_granted",
                    at.key("masked").index(j),
                    Bilingual::new(
                        format!("role `{id}` lists `{cat}` as masked but is not granted it"),
                        format!("у роли `{id}` категория `{cat}` указана как маскируемая, но не разрешена"),
                    ),
                    Bilingual::new(
                        "add the category to `categories` too, or remove it from `masked`",
                        "добавьте категорию и в `categories` или уберите её из `masked`",
                    ),
                );
            }
        }
        for (j, op) in role.operations.iter().enumerate() {
            if !granted.is_empty() && !ops.contains(op) {
                let label = op.label();
                cx.error(
                    "role.operation_outside_purposes",
                    at.key("operations").index(j),
                    Bilingual::new(
                        format!("role `{id}` may perform {}, which none of its purposes performs", label.en),
                        format!("роль `{id}` может выполнять действие «{}», которое не выполняет ни одна из её целей", label.ru),
                    ),
                    Bilingual::new(
                        "remove the operation, or add it to one of the role's purposes",
                        "уберите действие или добавьте его в одну из целей роли",
                    ),
                );
            }
        }
    }
}

/// Cookies other than strictly necessary ones need the visitor's consent (152-FZ art. 9,
/// ePrivacy art. 5(3)), so they must point at a consent-based purpose.
fn cookies(cx: &mut Ctx<'_>) {
    for (i, k) in cx.catalog.cookies.iter().enumerate() {
        if k.kind == CookieKind::Necessary {
            continue;
        }
        let consent = k.purpose.as_deref().and_then(|p| cx.purposes.get(p)).is_some_and(|p| cx.rests_on_consent(p));
        let unknown = k.purpose.as_deref().is_some_and(|p| !cx.purposes.contains_key(p));
        if !consent && !unknown {
            let id = &k.id;
            cx.error(
                "cookie.without_consent_purpose",
                entry("cookies", i),
                Bilingual::new(
                    format!("cookie category `{id}` is not strictly necessary but is not tied to a consent-based purpose"),
                    format!("категория cookie `{id}` не является строго необходимой, но не привязана к цели на основании согласия"),
                ),
                Bilingual::new(
                    "set `purpose = \"…\"` to a purpose with `basis.ru = \"consent\"` (and `gdpr = \"consent\"`)",
                    "укажите `purpose = \"…\"` — цель с `basis.ru = \"consent\"` (и `gdpr = \"consent\"`)",
                ),
            );
        }
    }
}

/// The banner's origins are compared with the browser's `Origin` header byte for byte, so
/// they must be written as browsers send them; a visitor kind must exist.
fn site(cx: &mut Ctx<'_>) {
    let Some(site) = &cx.catalog.site else { return };
    for (i, origin) in site.origins.iter().enumerate() {
        if !is_origin(origin) {
            cx.error(
                "site.bad_origin",
                DocPath::root().key("site").key("origins").index(i),
                Bilingual::new(
                    format!("`{origin}` is not a web origin as browsers send it"),
                    format!("`{origin}` — не источник (origin) в том виде, в каком его передаёт браузер"),
                ),
                Bilingual::new(
                    "write `https://host` or `https://host:port`, lower case, without a path or a trailing slash",
                    "укажите `https://host` или `https://host:port` строчными буквами, без пути и завершающей косой черты",
                ),
            );
        }
    }
    if !cx.catalog.subject_kinds.iter().any(|k| k.id == site.visitor_kind) {
        let kind = &site.visitor_kind;
        cx.error(
            "site.unknown_visitor_kind",
            DocPath::root().key("site").key("visitor_kind"),
            Bilingual::new(format!("subject kind `{kind}` is not declared"), format!("вид субъектов `{kind}` не объявлен")),
            Bilingual::new("add it under [[subject_kinds]]", "добавьте его в [[subject_kinds]]"),
        );
    }
}

/// Whether `text` is an origin as a browser serialises it: scheme, host, optional port.
pub fn is_origin(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else { return false };
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (rest, None),
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok());
    host_ok && port_ok && (scheme == "https" || (scheme == "http" && host == "localhost"))
}

/// Under 14 a Russian child's consent is given by a parent (Civil Code art. 28); the GDPR's
/// floor for a child's own consent is 13–16 (art. 8). A minimum below 14 therefore needs the
/// parental-consent path.
fn age(cx: &mut Ctx<'_>) {
    let Some(rule) = cx.catalog.age else { return };
    if rule.minimum < 14 && rule.on_underage != UnderageAction::ParentalConsent {
        cx.warning(
            "age.child_without_parental_consent",
            DocPath::root().key("age").key("minimum"),
            Bilingual::new(
                format!("minimum age {} lets children under 14 in without a parent's consent", rule.minimum),
                format!("минимальный возраст {} допускает детей младше 14 лет без согласия родителей", rule.minimum),
            ),
            Bilingual::new(
                "raise `minimum` to 14 or more, or set `on_underage = \"parental_consent\"`",
                "поднимите `minimum` до 14 или выше либо укажите `on_underage = \"parental_consent\"`",
            ),
        );
    }
    if rule.minimum > 21 {
        cx.error(
            "age.implausible_minimum",
            DocPath::root().key("age").key("minimum"),
            Bilingual::new(
                format!("minimum age {} is above the age of majority", rule.minimum),
                format!("минимальный возраст {} выше возраста совершеннолетия", rule.minimum),
            ),
            Bilingual::new("use an age from 0 to 21 (18 is typical)", "укажите возраст от 0 до 21 (обычно 18)"),
        );
    }
}
