//! Snapshot tests of the rendered pages: every console and portal page of one errand, with
//! what changes from run to run (form tokens, ids, hashes, dates and times) replaced by
//! named placeholders, compared with the files in `tests/snapshots/`.
//!
//! A change to a template, a text or the page frame shows up here as a failing test with the
//! first differing line; when the change is intended, rewrite the files with
//! `OBEREG_UPDATE_SNAPSHOTS=1 cargo test -p obereg-server --test it snapshots` and review the
//! diff in git like any other change.

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::harness::TestServer;
use crate::requests::{Outbox, customer, newsletter_document};
use crate::web::{Browser, signed_in_staff, signing_in_subject, staff_account};

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// The page with run-to-run values replaced by placeholders. Order matters: longer and more
/// specific shapes first, so a hash is not half-eaten by a shorter rule.
fn normalise(html: &str) -> String {
    let rules = [
        (r#"name="csrf" value="[0-9a-f]+""#, r#"name="csrf" value="{csrf}""#),
        (r#"name="id" value="[0-9A-Za-z_-]+""#, r#"name="id" value="{code-id}""#),
        (r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", "{uuid}"),
        (r"\b[0-9a-f]{64}\b", "{sha256}"),
        (r"\b[0-9a-f]{32}\b", "{subject}"),
        (r"\bR-[0-9A-Z]{8,}\b", "R-{request}"),
        (r"\b[0-9A-Z]{26}\b", "{ulid}"),
        (r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?( ?(UTC|Z|[+-]\d{2}:?\d{2}))?", "{time}"),
        (r"\d{4}-\d{2}-\d{2}", "{date}"),
    ];
    let mut text = html.to_owned();
    for (pattern, with) in rules {
        text = Regex::new(pattern).unwrap().replace_all(&text, with).into_owned();
    }
    text
}

/// Compares `html` (normalised) with the stored snapshot `name`, or stores it when
/// `OBEREG_UPDATE_SNAPSHOTS` is set. Returns the mismatch, if any, instead of panicking, so
/// one run reports every page that changed.
fn check(name: &str, html: &str) -> Option<String> {
    let path = snapshot_dir().join(format!("{name}.html"));
    let actual = normalise(html);
    if std::env::var_os("OBEREG_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot_dir()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return None;
    }
    let Ok(expected) = std::fs::read_to_string(&path) else {
        return Some(format!("{name}: no snapshot at {} (run with OBEREG_UPDATE_SNAPSHOTS=1)", path.display()));
    };
    if expected == actual {
        return None;
    }
    let line =
        expected.lines().zip(actual.lines()).position(|(e, a)| e != a).unwrap_or(expected.lines().count().min(actual.lines().count()));
    let (stored, now) = (expected.lines().nth(line).unwrap_or("<end>"), actual.lines().nth(line).unwrap_or("<end>"));
    // Long lines (a whole table on one line) are shown from a little before the first
    // differing character.
    let at = stored.char_indices().zip(now.chars()).find(|((_, a), b)| a != b).map(|((i, _), _)| i).unwrap_or(0);
    let from = stored.floor_char_boundary(at.saturating_sub(40));
    let excerpt = |text: &str| text.get(from..).unwrap_or("").chars().take(160).collect::<String>();
    Some(format!("{name}: differs from line {}:\n  stored: …{}\n  now:    …{}", line + 1, excerpt(stored), excerpt(now)))
}

async fn page(b: &mut Browser<'_>, path: &str) -> String {
    let answer = b.get(path).await;
    assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    answer.text
}

#[test]
fn the_normalisation_keeps_structure_and_hides_only_what_varies() {
    let page = r#"<input type="hidden" name="csrf" value="9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08">
<a href="/console/subjects/91dc18b8186c8632cfd2705ed3c8adee">R-2ASTPFYTFZQW</a> 2026-12-01 · 2026-11-21 14:03 · 1 запрос"#;
    let out = normalise(page);
    assert_eq!(
        out,
        "<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<a href=\"/console/subjects/{subject}\">R-{request}</a> {date} · {time} · 1 запрос"
    );
}

#[tokio::test]
async fn the_pages_match_their_snapshots() {
    let server = TestServer::start().await;
    let outbox = Outbox::default();
    let document = newsletter_document(&server).await;
    let subject = customer(&server, "marina@example.ru", &document).await;
    staff_account(&server, "dpo", "privacy_officer").await;
    let mut failures = Vec::new();
    let mut snap = |name: &str, html: &str| failures.extend(check(name, html));

    // The portal, from the sign-in to a filed request.
    let mut stranger = Browser::new(&server);
    snap("portal-sign-in", &page(&mut stranger, "/me").await);
    let code_page = stranger.post("/me/code", &[("tenant", "default"), ("address", "nobody@example.ru")]).await;
    snap("portal-code", &code_page.text);
    let (mut me, signed) = signing_in_subject(&server, &outbox, "marina@example.ru").await;
    me.follow(&signed).await;
    for (name, path) in [
        ("portal-data", "/me/data"),
        ("portal-data-readable", "/me/data.html"),
        ("portal-consents", "/me/consents"),
        ("portal-consent-give", "/me/consents/give?purpose=site_analytics&channel="),
        ("portal-requests-none", "/me/requests"),
        ("portal-journal", "/me/journal"),
    ] {
        snap(name, &page(&mut me, path).await);
    }
    let filed = me.post("/me/requests", &[("kind", "erasure"), ("details", "Удалите мои данные")]).await;
    snap("portal-requests", &me.follow(&filed).await.text);

    // The console, as a DPO.
    let mut visitor = Browser::new(&server);
    snap("console-sign-in", &page(&mut visitor, "/console/sign-in").await);
    let mut dpo = signed_in_staff(&server, "dpo").await;
    let requests = page(&mut dpo, "/console/requests").await;
    let request = requests.split("/console/requests/R-").nth(1).map(|s| format!("R-{}", s.split('"').next().unwrap())).unwrap();
    for (name, path) in [
        ("console-dashboard", "/console".to_owned()),
        ("console-subjects", "/console/subjects".to_owned()),
        ("console-subjects-found", "/console/subjects?category=contact.email&value=marina%40example.ru&purpose=account".to_owned()),
        ("console-subject", format!("/console/subjects/{subject}?purpose=account")),
        ("console-requests", "/console/requests".to_owned()),
        ("console-request", format!("/console/requests/{request}")),
        ("console-consents", "/console/consents".to_owned()),
        ("console-journal", "/console/journal".to_owned()),
        ("console-catalog", "/console/catalog".to_owned()),
        ("console-document", format!("/console/consents/documents/{document}")),
        ("console-account", "/console/account".to_owned()),
        ("console-incidents", "/console/incidents".to_owned()),
    ] {
        snap(name, &page(&mut dpo, &path).await);
    }
    // An administrator's accounts page.
    staff_account(&server, "boss", "admin").await;
    let mut admin = signed_in_staff(&server, "boss").await;
    snap("console-staff", &page(&mut admin, "/console/staff").await);
    // The English frame, once.
    dpo.get("/lang?to=en&back=/console").await;
    snap("console-dashboard-en", &page(&mut dpo, "/console").await);

    assert!(failures.is_empty(), "pages differ from their snapshots:\n{}", failures.join("\n"));
}
