//! Snapshot tests of every generated document for the three example catalogs (Markdown,
//! both languages; `OBEREG_UPDATE_SNAPSHOTS=1 cargo test -p obereg-core documents` rewrites
//! them after a deliberate change — review the diff), and checks of what each must say.

use super::*;
use crate::catalog::parse;

const EXAMPLES: [(&str, &str); 3] = [
    ("voice-robot-calls", include_str!("../../../../examples/voice-robot-calls.toml")),
    ("sales-calls-app", include_str!("../../../../examples/sales-calls-app.toml")),
    ("legal-consultation-site", include_str!("../../../../examples/legal-consultation-site.toml")),
];

fn snapshot_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/documents/snapshots")
}

#[test]
fn every_document_of_every_example_matches_its_snapshot() {
    let update = std::env::var("OBEREG_UPDATE_SNAPSHOTS").is_ok();
    let mut checked = 0;
    for (name, source) in EXAMPLES {
        let catalog = parse(source).unwrap();
        for kind in DocumentKind::ALL {
            for (lang, code) in [(Lang::Ru, "ru"), (Lang::En, "en")] {
                let Ok(doc) = render(&catalog, kind, lang) else {
                    assert_eq!(kind, DocumentKind::CrossBorderNotice, "{name}: only the cross-border notice may be absent");
                    continue;
                };
                let path = snapshot_dir().join(format!("{name}.{}.{code}.md", kind.as_str()));
                let got = doc.markdown();
                if update {
                    std::fs::create_dir_all(snapshot_dir()).unwrap();
                    std::fs::write(&path, &got).unwrap();
                }
                let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("missing snapshot {}", path.display()));
                assert_eq!(got, want, "{} differs from its snapshot", path.display());
                // The same catalog renders the same bytes.
                assert_eq!(render(&catalog, kind, lang).unwrap().markdown(), got);
                checked += 1;
            }
        }
    }
    assert!(checked >= 18, "{checked}");
}

#[test]
fn the_policy_names_every_purpose_its_retention_and_the_rights() {
    for (name, source) in EXAMPLES {
        let catalog = parse(source).unwrap();
        let ru = render(&catalog, DocumentKind::Policy, Lang::Ru).unwrap().markdown();
        let en = render(&catalog, DocumentKind::Policy, Lang::En).unwrap().markdown();
        for p in &catalog.purposes {
            assert!(ru.contains(&p.name.ru), "{name}: {}", p.id);
            if let Some(r) = &p.retention {
                assert!(ru.contains(&crate::consent::document::retention_text(r).ru), "{name}: retention of {}", p.id);
            }
        }
        assert!(ru.contains("10 рабочих дней") && ru.contains("ст. 17"), "{name}: rights and terms");
        assert!(en.contains("Your rights and how to use them"));
        assert!(ru.contains(&catalog.operator.address));
        let html = render(&catalog, DocumentKind::Policy, Lang::Ru).unwrap().html();
        assert!(html.contains("<h1>Политика в отношении обработки персональных данных</h1>"));
    }
}

#[test]
fn the_rkn_notice_fills_the_art_22_fields() {
    let catalog = parse(EXAMPLES[0].1).unwrap();
    let md = render(&catalog, DocumentKind::RknNotice, Lang::Ru).unwrap().markdown();
    for field in [
        "Цели обработки",
        "Категории персональных данных",
        "Категории субъектов",
        "Правовое основание",
        "шифрование",
        "ответственного",
        "Дата начала обработки",
        "прекращения обработки",
        "Трансграничная передача",
        "Место нахождения баз данных",
    ] {
        assert!(md.contains(field), "{field}");
    }
}

#[test]
fn a_cross_border_notice_needs_something_abroad_and_lists_the_countries() {
    let mut catalog = parse(EXAMPLES[0].1).unwrap();
    catalog.recipients.iter_mut().for_each(|r| r.country = "RU".into());
    catalog.storage.iter_mut().for_each(|s| s.country = "RU".into());
    assert_eq!(render(&catalog, DocumentKind::CrossBorderNotice, Lang::Ru).unwrap_err().code, "document.no_cross_border");
    catalog.recipients[0].country = "KZ".into();
    let md = render(&catalog, DocumentKind::CrossBorderNotice, Lang::Ru).unwrap().markdown();
    assert!(md.contains("| Перечень иностранных государств | KZ |"), "{md}");
}

#[test]
fn the_check_warns_of_promises_the_catalog_cannot_keep() {
    let mut catalog = parse(EXAMPLES[0].1).unwrap();
    assert!(check(&catalog).iter().all(|w| w.code != "document.purpose_without_retention"));
    catalog.purposes[0].retention = None;
    catalog.operator.requests_email = None;
    catalog.operator.requests_phone = None;
    catalog.operator.responsible_person = None;
    catalog.recipients[0].country = "US".into();
    catalog.recipients[0].cross_border_notified = false;
    let codes: Vec<&str> = check(&catalog).iter().map(|w| w.code).collect();
    for code in [
        "document.purpose_without_retention",
        "document.no_requests_contact",
        "document.no_responsible_person",
        "document.cross_border_not_notified",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let policy = render(&catalog, DocumentKind::Policy, Lang::Ru).unwrap().markdown();
    assert!(policy.contains("срок не установлен"));
}

#[test]
fn kinds_round_trip() {
    for k in DocumentKind::ALL {
        assert_eq!(DocumentKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(DocumentKind::parse("memo"), None);
}
