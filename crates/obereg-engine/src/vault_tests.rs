//! The vault end to end over a real SQLite store: sealing, purpose-bound reads, lookup,
//! rectification, restriction, erasure (including against a backup taken before it), key
//! rotation and import. Store behaviour on both backends is in obereg-store's conformance
//! suite; the PostgreSQL plaintext scan is in obereg-server's tests.

use std::sync::Arc;

use obereg_core::clock::FixedClock;
use obereg_core::value::PlainValue;

use crate::vault::{Found, ImportOutcome, ImportRow, NewRecord, NewSubjectInput, NewValue, RecordBody, SubjectStatus};
use crate::{Actor, Bootstrap, Engine, EngineError, Role, RootKey};

const EXAMPLE: &str = include_str!("../../../examples/voice-robot-calls.toml");

/// Values written by these tests; none may ever appear in a database file or a log.
const SECRETS: &[&str] = &[
    "Пётр Ильич Чайковский",
    "John Smith-Watson",
    "+79161234589",
    "916 123-45-89",
    "ivan.petrov@example.ru",
    "4510 123456",
    "4510123456",
    "2200000000000004",
    "Перезвоните мне завтра",
];

pub(crate) struct Env {
    pub(crate) engine: Engine,
    pub(crate) admin: Actor,
    pub(crate) dir: tempfile::TempDir,
    root_hex: String,
}

fn root_hex() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).unwrap();
    hex::encode(bytes)
}

async fn open_engine(path: &std::path::Path, root_hex: &str) -> Engine {
    let store = obereg_store::open(&format!("sqlite:{}", path.display())).await.unwrap();
    let clock = Arc::new(FixedClock("2026-11-21T10:00:00Z".parse().unwrap()));
    Engine::new(store, clock, RootKey::from_hex(root_hex).unwrap())
}

pub(crate) async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let root_hex = root_hex();
    let engine = open_engine(&dir.path().join("db.sqlite"), &root_hex).await;
    let Bootstrap::Created(token) = engine.bootstrap("default", "Default", EXAMPLE, Role::Platform).await.unwrap() else { panic!() };
    let admin = engine.authenticate(token.secret.reveal_once()).await.unwrap();
    Env { engine, admin, dir, root_hex }
}

impl Env {
    /// A second engine on the same database and root key: another obereg process.
    pub(crate) async fn other_process(&self) -> Engine {
        open_engine(&self.dir.path().join("db.sqlite"), &self.root_hex).await
    }

    pub(crate) async fn staff(&self, role: &str) -> Actor {
        let issued = self.engine.create_token(&self.admin, role, role).await.unwrap();
        self.engine.authenticate(issued.secret.reveal_once()).await.unwrap()
    }
}

fn value(category: &str, v: &str, purposes: &[&str]) -> NewValue {
    NewValue {
        category: category.into(),
        value: PlainValue::new(v),
        purposes: purposes.iter().map(|p| p.to_string()).collect(),
        source: "web_form".into(),
    }
}

pub(crate) fn customer() -> NewSubjectInput {
    NewSubjectInput {
        kind: "customer".into(),
        values: vec![
            value("identity.name", "Пётр Ильич Чайковский", &["account"]),
            value("contact.phone", "+7 916 123-45-89", &["account"]),
            value("contact.email", "Ivan.Petrov@Example.RU", &["account", "product_news"]),
            value("identity.passport", "4510 123456", &["account"]),
            value("payment.card", "2200 0000 0000 0004", &["payments"]),
        ],
        records: vec![],
    }
}

fn shown(view: &crate::vault::SubjectView) -> Vec<(String, String)> {
    let mut all: Vec<_> = view.attributes.iter().map(|a| (a.category.clone(), a.value.expose().to_owned())).collect();
    all.sort();
    all
}

#[tokio::test]
async fn reads_return_only_what_role_and_purpose_allow_masked_as_the_catalog_says() {
    let env = env().await;
    let subject = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    assert_eq!(subject.status, SubjectStatus::Active);
    assert_eq!(subject.id.len(), 32);

    let support = env.staff("support").await;
    let view = env.engine.read_subject(&support, &subject.id, "account").await.unwrap();
    assert_eq!(
        shown(&view),
        [
            ("contact.email".into(), "ivan.petrov@example.ru".into()),
            ("contact.phone".into(), "+7 *** ***-**-89".into()),
            ("identity.name".into(), "пётр ильич чайковский".into()),
        ]
    );
    let billing = env.staff("billing").await;
    let view = env.engine.read_subject(&billing, &subject.id, "payments").await.unwrap();
    assert_eq!(shown(&view), [("payment.card".into(), "**** 0004".into())]);
    let card_token = view.attributes[0].token.clone().unwrap();
    assert!(card_token.starts_with("crd_"));
    let dpo = env.staff("privacy_officer").await;
    let view = env.engine.read_subject(&dpo, &subject.id, "payments").await.unwrap();
    assert_eq!(shown(&view), [("payment.card".into(), "2200000000000004".into())], "the full number for the role allowed it");
    assert_eq!(view.attributes[0].token.as_deref(), Some(card_token.as_str()));
    let view = env.engine.read_subject(&dpo, &subject.id, "account").await.unwrap();
    assert_eq!(view.attributes.len(), 4, "values collected for other purposes stay out");

    // Refusals: purpose not granted, admin tokens, unknown subjects.
    let err = env.engine.read_subject(&support, &subject.id, "payments").await.unwrap_err();
    assert_eq!(err.code(), "access.purpose_not_granted");
    assert_eq!(env.engine.read_subject(&env.admin, &subject.id, "account").await.unwrap_err().code(), "access.administrator_reads_no_data");
    assert!(matches!(env.engine.read_subject(&support, &"0".repeat(32), "account").await, Err(EngineError::NotFound(_))));
    assert!(matches!(env.engine.read_subject(&support, "../etc", "account").await, Err(EngineError::NotFound(_))));

    // Every read and refusal is journaled with the operation, purpose and subject.
    let entries = env.engine.subject_journal(&env.admin, &subject.id, 0, 100).await.unwrap();
    let bodies: Vec<serde_json::Value> = entries.iter().map(|e| serde_json::from_str(&e.body).unwrap()).collect();
    let ops: Vec<(&str, &str, &str)> = bodies
        .iter()
        .map(|b| (b["operation"].as_str().unwrap(), b["purpose"].as_str().unwrap_or("-"), b["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ops,
        [
            ("collection", "account", "ok"),
            ("collection", "payments", "ok"),
            ("collection", "product_news", "ok"),
            ("extraction", "account", "ok"),
            ("extraction", "payments", "ok"),
            ("extraction", "payments", "ok"),
            ("extraction", "account", "ok"),
            ("extraction", "payments", "denied"),
            ("extraction", "account", "denied"),
        ]
    );
    assert_eq!(bodies[3]["categories"], serde_json::json!(["contact.email", "contact.phone", "identity.name"]));
}

#[tokio::test]
async fn invalid_values_are_refused_with_a_clear_error_and_nothing_is_stored() {
    let env = env().await;
    let mut input = customer();
    input.values.push(value("contact.phone", "+7 000", &["account"]));
    let err = env.engine.create_subject(&env.admin, input).await.unwrap_err();
    assert_eq!(err.code(), "value.invalid_phone");
    assert!(!err.to_string().contains("+7 000"));
    let mut input = customer();
    input.values.push(value("call.recording", "x", &["account"]));
    assert_eq!(env.engine.create_subject(&env.admin, input).await.unwrap_err().code(), "subject.category_outside_purpose");
    let mut input = customer();
    input.kind = "martian".into();
    assert_eq!(env.engine.create_subject(&env.admin, input).await.unwrap_err().code(), "subject.unknown_kind");
    let mut input = customer();
    input.values[0].source = "typed by Иван".into();
    assert_eq!(env.engine.create_subject(&env.admin, input).await.unwrap_err().code(), "subject.invalid_source");
    let found = env.engine.find_subjects(&env.admin, "contact.phone", &PlainValue::new("+79161234589"), "account").await.unwrap();
    assert!(found.is_empty());
}

#[tokio::test]
async fn subjects_are_found_by_blind_index_in_any_spelling() {
    let env = env().await;
    let a = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let support = env.staff("support").await;
    for spelling in ["8 (916) 123-45-89", "+79161234589", "9161234589"] {
        let found = env.engine.find_subjects(&support, "contact.phone", &PlainValue::new(spelling), "account").await.unwrap();
        assert_eq!(found.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [a.id.as_str()], "{spelling}");
    }
    let found = env.engine.find_subjects(&env.admin, "contact.email", &PlainValue::new(" IVAN.petrov@example.ru"), "account").await;
    assert_eq!(found.unwrap().len(), 1);
    assert_eq!(
        env.engine.find_subjects(&support, "identity.passport", &PlainValue::new("x"), "account").await.unwrap_err().code(),
        "subject.category_not_searchable"
    );
    let marketing = env.staff("marketing").await;
    let err = env.engine.find_subjects(&marketing, "contact.email", &PlainValue::new("ivan.petrov@example.ru"), "product_news").await;
    assert_eq!(err.unwrap_err().code(), "access.operation_not_granted");
}

#[tokio::test]
async fn a_ciphertext_copied_to_another_row_fails_to_open() {
    let env = env().await;
    let a = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let b = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let db = env.dir.path().join("db.sqlite");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display())).await.unwrap();
    // Copy subject a's name ciphertext onto subject b's name row (same category, same kind).
    sqlx::query(
        "UPDATE subject_items SET sealed = (SELECT sealed FROM subject_items WHERE subject_id = $1 AND category = 'identity.name') \
         WHERE subject_id = $2 AND category = 'identity.name'",
    )
    .bind(&a.id)
    .bind(&b.id)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let support = env.staff("support").await;
    let err = env.engine.read_subject(&support, &b.id, "account").await.unwrap_err();
    assert!(matches!(err, EngineError::Internal(_)), "{err:?}");
    assert!(env.engine.read_subject(&support, &a.id, "account").await.is_ok());
}

#[tokio::test]
async fn rectify_delete_and_records() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let support = env.staff("support").await;
    let view = env.engine.read_subject(&support, &s.id, "account").await.unwrap();
    let email = view.attributes.iter().find(|a| a.category == "contact.email").unwrap().id.clone();
    env.engine.rectify_value(&support, &s.id, &email, &PlainValue::new("new@example.ru"), "account").await.unwrap();
    let bad = env.engine.rectify_value(&support, &s.id, &email, &PlainValue::new("not-an-email"), "account").await;
    assert_eq!(bad.unwrap_err().code(), "value.invalid_email");
    assert!(
        env.engine
            .find_subjects(&support, "contact.email", &PlainValue::new("ivan.petrov@example.ru"), "account")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(env.engine.find_subjects(&support, "contact.email", &PlainValue::new("new@example.ru"), "account").await.unwrap().len(), 1);
    // Support may not delete; the privacy officer may.
    assert_eq!(env.engine.delete_value(&support, &s.id, &email, "account").await.unwrap_err().code(), "access.operation_not_granted");
    let dpo = env.staff("privacy_officer").await;
    env.engine.delete_value(&dpo, &s.id, &email, "account").await.unwrap();
    assert!(matches!(env.engine.delete_value(&dpo, &s.id, &email, "account").await, Err(EngineError::NotFound(_))));

    let call = NewRecord {
        category: "call.recording".into(),
        occurred_at: "2026-11-20T09:30:00Z".parse().unwrap(),
        body: RecordBody::Call {
            direction: crate::vault::Direction::Outbound,
            duration_secs: 42,
            number: "8 916 123-45-89".into(),
            operator: Some("robot-7".into()),
            transcript_ref: Some("s3://calls/2026/11/20/abc.json".into()),
        },
        purposes: vec!["robot_calls".into()],
        source: "robot".into(),
    };
    let mut called = NewSubjectInput {
        kind: "called_person".into(),
        values: vec![value("contact.phone", "+79161234589", &["robot_calls"])],
        records: vec![],
    };
    called.records.push(call.clone());
    let c = env.engine.create_subject(&env.admin, called).await.unwrap();
    env.engine.add_to_subject(&env.admin, &c.id, vec![], vec![call]).await.unwrap();
    let view = env.engine.read_subject(&dpo, &c.id, "robot_calls").await.unwrap();
    assert_eq!(view.records.len(), 2);
    let RecordBody::Call { number, duration_secs, .. } = &view.records[0].body else { panic!() };
    assert_eq!((number.as_str(), *duration_secs), ("+79161234589", 42));
    assert!(!format!("{:?}", view.records[0]).contains("9161234589"), "record bodies redact themselves");
}

#[tokio::test]
async fn restricted_subjects_are_kept_but_used_by_the_dpo_role_only() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let support = env.staff("support").await;
    let dpo = env.staff("privacy_officer").await;
    assert_eq!(env.engine.restrict_subject(&support, &s.id).await.unwrap_err().code(), "access.operation_not_granted");
    let r = env.engine.restrict_subject(&dpo, &s.id).await.unwrap();
    assert_eq!(r.status, SubjectStatus::Restricted);
    assert_eq!(env.engine.read_subject(&support, &s.id, "account").await.unwrap_err().code(), "subject.restricted");
    assert_eq!(env.engine.read_subject(&dpo, &s.id, "account").await.unwrap().attributes.len(), 4);
    let add = env.engine.add_to_subject(&env.admin, &s.id, vec![value("contact.phone", "+79160000001", &["account"])], vec![]).await;
    assert_eq!(add.unwrap_err().code(), "subject.restricted");
    assert_eq!(env.engine.restrict_subject(&dpo, &s.id).await.unwrap_err().code(), "subject.wrong_status");
    env.engine.lift_restriction(&dpo, &s.id).await.unwrap();
    assert!(env.engine.read_subject(&support, &s.id, "account").await.is_ok());
}

#[tokio::test]
async fn erasure_makes_the_subject_unreadable_even_from_a_backup_taken_before() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let keep = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let db = env.dir.path().join("db.sqlite");
    let keystore = obereg_store::keystore_path(&db);
    // A backup of the data file (not the keystore), taken while the subject exists.
    let backup_dir = tempfile::tempdir().unwrap();
    let backup = backup_dir.path().join("db.sqlite");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite:{}", db.display())).await.unwrap();
    sqlx::query("VACUUM INTO $1").bind(backup.display().to_string()).execute(&pool).await.unwrap();
    pool.close().await;

    let support = env.staff("support").await;
    assert_eq!(env.engine.erase_subject(&support, &s.id).await.unwrap_err().code(), "access.operation_not_granted");
    let erasure = env.engine.erase_subject(&env.admin, &s.id).await.unwrap();
    assert_eq!(erasure.subject, s.id);
    assert!(matches!(env.engine.read_subject(&support, &s.id, "account").await, Err(EngineError::NotFound(_))));
    assert!(matches!(env.engine.erase_subject(&env.admin, &s.id).await, Err(EngineError::NotFound(_))));
    let found = env.engine.find_subjects(&support, "contact.phone", &PlainValue::new("+79161234589"), "account").await.unwrap();
    assert_eq!(found.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), [keep.id.as_str()]);
    let entry = &env.engine.journal_entries(&env.admin, erasure.journal_index, 1).await.unwrap()[0];
    assert!(entry.body.contains("\"operation\":\"destruction\"") && entry.body.contains(&s.id), "{}", entry.body);
    env.engine.purge_erased(100).await.unwrap();

    // Restore: the old data file with the keystore as it is now.
    let keys = sqlx::SqlitePool::connect(&format!("sqlite:{}", keystore.display())).await.unwrap();
    sqlx::query("VACUUM INTO $1").bind(obereg_store::keystore_path(&backup).display().to_string()).execute(&keys).await.unwrap();
    keys.close().await;
    let restored = open_engine(&backup, &env.root_hex).await;
    let kept = restored.read_subject(&support, &keep.id, "account").await;
    assert!(kept.is_ok(), "the kept subject still reads: {kept:?}");
    let err = restored.read_subject(&support, &s.id, "account").await.unwrap_err();
    assert!(matches!(err, EngineError::Internal(_)), "{err:?}");
    // And by brute force: no wrapped key in the keystore opens any of its ciphertexts.
    let old = sqlx::SqlitePool::connect(&format!("sqlite:{}", backup.display())).await.unwrap();
    let sealed: Vec<(String, String, String, String, Vec<u8>)> =
        sqlx::query_as("SELECT subject_id, id, kind, category, sealed FROM subject_items WHERE subject_id = $1")
            .bind(&s.id)
            .fetch_all(&old)
            .await
            .unwrap();
    assert_eq!(sealed.len(), 5, "the backup still holds the ciphertext");
    let keystore_now = sqlx::SqlitePool::connect(&format!("sqlite:{}", keystore.display())).await.unwrap();
    let keys: Vec<(String, i64, i64, Vec<u8>)> =
        sqlx::query_as("SELECT subject_id, dek_version, kek_version, wrapped FROM subject_keys").fetch_all(&keystore_now).await.unwrap();
    assert_eq!(keys.len(), 1, "only the kept subject's key is left");
    for (subject, dek, kek, wrapped) in keys {
        let key = restored.keyring.unwrap(&wrapped, "default", &subject, dek, kek).unwrap();
        let sealer = key.sealer();
        for (subj, item, kind, category, bytes) in &sealed {
            for claimed in [subj.as_str(), subject.as_str()] {
                let binding =
                    crate::vault::crypto::ItemBinding { tenant: "default", subject: claimed, item, kind, category, dek_version: 1 };
                assert!(sealer.open(&binding, bytes).is_err());
            }
        }
    }
}

#[tokio::test]
async fn no_plaintext_value_reaches_the_database_files() {
    let env = env().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(env.engine.create_subject(&env.admin, customer()).await.unwrap().id);
    }
    let latin = NewSubjectInput {
        kind: "customer".into(),
        values: vec![
            value("identity.name", "John Smith-Watson", &["account"]),
            value("contact.email", "ivan.petrov@example.ru", &["account"]),
        ],
        records: vec![],
    };
    env.engine.create_subject(&env.admin, latin).await.unwrap();
    let support = env.staff("support").await;
    env.engine.read_subject(&support, &ids[0], "account").await.unwrap();
    env.engine.find_subjects(&support, "contact.phone", &PlainValue::new("916 123-45-89"), "account").await.unwrap();
    let mut scanned = 0;
    for entry in std::fs::read_dir(env.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for secret in SECRETS.iter().chain(&["пётр ильич чайковский", "john smith-watson"]) {
            let needle = secret.as_bytes();
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{secret} found in {}", path.display());
        }
    }
    assert!(scanned > 100_000, "the main file, WAL and keystore were scanned ({scanned} bytes)");
}

#[tokio::test]
async fn rotation_rewraps_every_key_and_data_still_reads() {
    let env = env().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(env.engine.create_subject(&env.admin, customer()).await.unwrap().id);
    }
    env.engine.erase_subject(&env.admin, &ids[4]).await.unwrap();
    let mut seen = Vec::new();
    let report = env.engine.rotate_keys(&env.admin, |p| seen.push((p.done, p.total))).await.unwrap();
    assert_eq!((report.version, report.new_version, report.rewrapped), (2, true, 4));
    assert_eq!(seen.last(), Some(&(4, 4)));
    let status = env.engine.keystore_status(&env.admin).await.unwrap();
    assert_eq!(status.keys_by_version, [(2, 4)]);
    let support = env.staff("support").await;
    for id in &ids[..4] {
        assert_eq!(env.engine.read_subject(&support, id, "account").await.unwrap().attributes.len(), 3);
    }
    assert!(matches!(env.engine.rotate_keys(&support, |_| {}).await, Err(EngineError::Forbidden)));
    let journal = env.engine.journal_entries(&env.admin, 0, 1000).await.unwrap();
    assert!(journal.iter().any(|e| e.body.contains("keys.rotation_finished") && e.body.contains("kek:2")));
}

#[tokio::test]
async fn an_interrupted_rotation_is_finished_by_the_next_run() {
    let env = env().await;
    for _ in 0..3 {
        env.engine.create_subject(&env.admin, customer()).await.unwrap();
    }
    // A rotation that added version 2 and then crashed before re-wrapping anything.
    env.engine.store.add_kek_version(1).await.unwrap();
    env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let report = env.engine.rotate_keys(&env.admin, |_| {}).await.unwrap();
    assert_eq!((report.version, report.new_version, report.rewrapped), (2, false, 3));
    assert_eq!(env.engine.keystore_status(&env.admin).await.unwrap().keys_by_version, [(2, 4)]);
}

#[tokio::test]
async fn import_deduplicates_by_blind_index_and_reports_bad_rows_by_line() {
    let env = env().await;
    let existing = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let row = |line, phone: &str, email: &str| ImportRow {
        line,
        input: NewSubjectInput {
            kind: "customer".into(),
            values: vec![value("contact.phone", phone, &["account"]), value("contact.email", email, &["account"])],
            records: vec![],
        },
    };
    let rows = vec![
        row(2, "+79160000001", "a@example.ru"),
        row(3, "8 916 123-45-89", "other@example.ru"),
        row(4, "+79160000002", "b@example.ru"),
        row(5, "not a phone", "c@example.ru"),
        row(6, "+79160000003", "A@Example.ru"),
    ];
    let report = env.engine.import_subjects(&env.admin, rows.clone()).await.unwrap();
    assert_eq!(report.created(), 2);
    assert_eq!(report.errors.iter().map(|e| (e.line, e.code)).collect::<Vec<_>>(), [(5, "value.invalid_phone")]);
    let first = match &report.outcomes[0] {
        (2, ImportOutcome::Created(id)) => id.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(report.outcomes[1], (3, ImportOutcome::Duplicate(existing.id.clone())));
    assert_eq!(report.outcomes[3], (6, ImportOutcome::Duplicate(first.clone())), "duplicates inside one batch too");
    // The batch's collection is journaled once, naming both new subjects (gathered), and
    // each subject's own history lists that entry.
    let ImportOutcome::Created(second) = &report.outcomes[2].1 else { panic!("{:?}", report.outcomes) };
    let entries: Vec<_> = env.engine.journal_entries(&env.admin, 0, 10_000).await.unwrap().iter().map(|v| v.entry().unwrap()).collect();
    let collections: Vec<_> = entries.iter().filter(|e| e.operation == "collection" && e.subject.is_none()).collect();
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    assert_eq!(collections.len(), 1, "{collections:?}");
    assert_eq!(collections[0].subjects, both);
    assert_eq!(collections[0].categories, ["contact.email", "contact.phone"]);
    // Settling after the import writes the entry's by-subject rows: nothing is left to index.
    env.engine.settle_bulk_load(&env.admin).await.unwrap();
    assert_eq!(env.engine.index_journal_subjects(&env.admin).await.unwrap(), 0);
    for subject in &both {
        let history = env.engine.subject_journal(&env.admin, subject, 0, 100).await.unwrap();
        assert!(history.iter().any(|v| v.index == collections[0].index), "{subject}: {history:?}");
    }
    // Running the same batch again stores nothing new: an interrupted import resumes.
    let again = env.engine.import_subjects(&env.admin, rows).await.unwrap();
    assert_eq!((again.created(), again.duplicates()), (0, 4));
    let marketing = env.staff("marketing").await;
    let refused = env.engine.import_subjects(&marketing, vec![row(2, "+79160000009", "z@example.ru")]).await.unwrap();
    assert_eq!(refused.errors[0].code, "access.purpose_not_granted");
    // One row over the batch limit: refused as a whole, nothing stored.
    let journal = env.engine.journal_entries(&env.admin, 0, 10_000).await.unwrap().len();
    let too_many = vec![row(2, "+79160000010", "y@example.ru"); crate::vault::MAX_IMPORT_BATCH + 1];
    let err = env.engine.import_subjects(&env.admin, too_many).await.unwrap_err();
    assert!(matches!(err, EngineError::Invalid { code: "import.batch_too_large", .. }), "{err:?}");
    assert_eq!(env.engine.journal_entries(&env.admin, 0, 10_000).await.unwrap().len(), journal);
}

#[tokio::test]
async fn batches_prepared_together_commit_in_order_and_deduplicate_against_each_other() {
    let env = env().await;
    let row = |line, phone: &str| ImportRow {
        line,
        input: NewSubjectInput { kind: "customer".into(), values: vec![value("contact.phone", phone, &["account"])], records: vec![] },
    };
    // Both batches are prepared before either commits, as `obereg import` pipelines them;
    // the same phone is in both.
    let first = env.engine.prepare_import(&env.admin, vec![row(2, "+79160000001"), row(3, "+79160000002")]).await.unwrap();
    let second = env.engine.prepare_import(&env.admin, vec![row(4, "8 916 000-00-02"), row(5, "+79160000003")]).await.unwrap();
    assert_eq!((first.accepted(), second.accepted()), (2, 2));
    let a = env.engine.commit_import(first).await.unwrap();
    let b = env.engine.commit_import(second).await.unwrap();
    assert_eq!(a.created(), 2);
    let ImportOutcome::Created(owner) = &a.outcomes[1].1 else { panic!("{:?}", a.outcomes) };
    assert_eq!(b.outcomes, [(4, ImportOutcome::Duplicate(owner.clone())), (5, b.outcomes[1].1.clone())]);
    assert!(matches!(b.outcomes[1].1, ImportOutcome::Created(_)));
    // Committed concurrently, they still never create one phone twice.
    let third = env.engine.prepare_import(&env.admin, vec![row(6, "+79160000009")]).await.unwrap();
    let fourth = env.engine.prepare_import(&env.admin, vec![row(7, "+7 916 000-00-09")]).await.unwrap();
    let (c, d) = tokio::join!(env.engine.commit_import(third), env.engine.commit_import(fourth));
    assert_eq!(c.unwrap().created() + d.unwrap().created(), 1);
    // A batch whose write fails takes nothing: the batch deduplicated while it was being
    // written finds its phone free after all and creates the subject itself.
    let mut fifth = env.engine.prepare_import(&env.admin, vec![row(8, "+79160000020")]).await.unwrap();
    fifth.reuse_subject_id(owner.as_str());
    let sixth = env.engine.prepare_import(&env.admin, vec![row(9, "+7 916 000-00-20")]).await.unwrap();
    let (e, f) = tokio::join!(env.engine.commit_import(fifth), env.engine.commit_import(sixth));
    assert!(matches!(e, Err(EngineError::Store(_))), "{e:?}");
    let f = f.unwrap();
    assert_eq!(f.created(), 1, "{:?}", f.outcomes);
    let ImportOutcome::Created(created) = &f.outcomes[0].1 else { panic!() };
    let found = env.engine.find_subjects(&env.admin, "contact.phone", &PlainValue::new("+79160000020"), "account").await.unwrap();
    assert_eq!(found.iter().map(|s| &s.id).collect::<Vec<_>>(), [created]);
}

#[tokio::test]
async fn concurrent_reads_are_journaled_together_and_each_exactly_once() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let support = env.staff("support").await;
    let before = env.engine.journal_entries(&env.admin, 0, 1000).await.unwrap().len();
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let (engine, support, id) = (env.engine.clone(), support.clone(), s.id.clone());
        tasks.push(tokio::spawn(async move { engine.read_subject(&support, &id, "account").await.map(|v| v.attributes.len()) }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 3);
    }
    let entries = env.engine.journal_entries(&env.admin, 0, 1000).await.unwrap();
    let reads = entries[before..].iter().filter(|e| e.body.contains("\"operation\":\"extraction\"") && e.body.contains(&s.id)).count();
    assert_eq!(reads, 40);
    assert!(env.engine.verify_journal(&env.admin, "default", &[], None).await.unwrap().findings.is_empty());
}

#[tokio::test]
async fn a_lookup_decided_with_a_cached_catalog_follows_a_catalog_changed_elsewhere() {
    let env = env().await;
    let support = env.staff("support").await;
    let created = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let phone = PlainValue::new("+79161234589");
    let found = env.engine.find_subjects(&support, "contact.phone", &phone, "account").await.unwrap();
    assert_eq!(found.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), [created.id.as_str()]);

    // Another process (a second engine on the same database) takes phones from support.
    let other = open_engine(&env.dir.path().join("db.sqlite"), &env.root_hex).await;
    let narrowed = EXAMPLE
        .replacen(
            r#"categories = ["contact.email", "contact.phone", "identity.name"]"#,
            r#"categories = ["contact.email", "identity.name"]"#,
            1,
        )
        .replacen(r#"masked = ["contact.phone"]"#, "masked = []", 1);
    assert_ne!(narrowed, EXAMPLE);
    other.put_catalog(&env.admin, &narrowed).await.unwrap();
    let err = env.engine.find_subjects(&support, "contact.phone", &phone, "account").await.unwrap_err();
    assert!(matches!(err, EngineError::Refused { .. }), "{err:?}");

    // And gives it back: the first engine, whose cache now says no, must say yes.
    other.put_catalog(&env.admin, EXAMPLE).await.unwrap();
    let again = env.engine.find_subjects(&support, "contact.phone", &phone, "account").await.unwrap();
    assert_eq!(again.len(), 1);
}

#[tokio::test]
async fn a_batch_lookup_answers_each_value_in_place_and_journals_each_subject_once() {
    let env = env().await;
    let support = env.staff("support").await;
    let a = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let mut second = customer();
    second.values.retain(|v| v.category == "contact.phone");
    second.values[0].value = PlainValue::new("+7 916 765-43-21");
    let b = env.engine.create_subject(&env.admin, second).await.unwrap();
    let values: Vec<PlainValue> =
        ["+79161234589", "not a phone", "+79160000000", "8 (916) 123-45-89"].into_iter().map(PlainValue::new).collect();
    let before = env.engine.journal_entries(&env.admin, 0, 10_000).await.unwrap().len();
    let found = env.engine.find_subjects_many(&support, "contact.phone", &values, "account").await.unwrap();
    assert_eq!(found.len(), 4, "one answer per value, by position");
    let ids = |f: &Found| match f {
        Found::Subjects(list) => list.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        Found::Invalid { .. } => panic!("{f:?}"),
    };
    assert_eq!(ids(&found[0]), vec![a.id.clone()]);
    assert!(matches!(&found[1], Found::Invalid { code: "value.invalid_phone", .. }));
    assert!(ids(&found[2]).is_empty());
    assert_eq!(ids(&found[3]), vec![a.id.clone()], "the same number in another spelling");
    // One entry for the whole lookup, naming the subject (found twice) once.
    let journal = env.engine.journal_entries(&env.admin, 0, 10_000).await.unwrap();
    let added: Vec<&str> = journal[before..].iter().map(|e| e.body.as_str()).collect();
    assert_eq!(added.len(), 1, "{added:?}");
    assert_eq!(added[0].matches(&a.id).count(), 1);
    assert!(added.iter().all(|b| b.contains("\"lookup\"") && !b.contains("9161234589")));

    // Two subjects found: still one entry, naming both in `subjects`, which each one's
    // journal shows.
    let both: Vec<PlainValue> = ["+79161234589", "+79167654321"].into_iter().map(PlainValue::new).collect();
    env.engine.find_subjects_many(&support, "contact.phone", &both, "account").await.unwrap();
    let journal = env.engine.journal_entries(&env.admin, 0, 10_000).await.unwrap();
    let entry = journal.last().unwrap().entry().unwrap();
    let mut expected = vec![a.id.clone(), b.id.clone()];
    expected.sort();
    assert_eq!((entry.subject.as_deref(), entry.subjects), (None, expected));
    for id in [&a.id, &b.id] {
        let about = env.engine.subject_journal(&env.admin, id, 0, 100).await.unwrap();
        assert_eq!(about.last().unwrap().index, journal.last().unwrap().index, "{id}");
    }

    // Nothing valid to look for: nothing journaled. Too many values: refused whole.
    let invalid = env.engine.find_subjects_many(&support, "contact.phone", &[PlainValue::new("x")], "account").await.unwrap();
    assert!(matches!(invalid[0], Found::Invalid { .. }));
    assert_eq!(env.engine.journal_entries(&env.admin, 0, 10_000).await.unwrap().len(), journal.len());
    let many = vec![PlainValue::new("+79161234589"); crate::vault::MAX_LOOKUP_BATCH + 1];
    let err = env.engine.find_subjects_many(&support, "contact.phone", &many, "account").await.unwrap_err();
    assert!(matches!(err, EngineError::Invalid { code: "lookup.batch_too_large", .. }), "{err:?}");
}

#[tokio::test]
async fn a_card_token_gives_the_number_only_to_a_role_and_purpose_allowed_it() {
    let env = env().await;
    let s = env.engine.create_subject(&env.admin, customer()).await.unwrap();
    let billing = env.staff("billing").await;
    let view = env.engine.read_subject(&billing, &s.id, "payments").await.unwrap();
    let token = view.attributes.iter().find(|a| a.category == "payment.card").unwrap().token.clone().unwrap();
    assert!(token.starts_with("crd_"));

    let masked = env.engine.detokenize(&billing, &token, "payments").await.unwrap();
    assert_eq!((masked.value.expose(), masked.masked, masked.subject.as_str()), ("**** 0004", true, s.id.as_str()));
    let dpo = env.staff("privacy_officer").await;
    let full = env.engine.detokenize(&dpo, &token, "payments").await.unwrap();
    assert_eq!((full.value.expose(), full.masked), ("2200000000000004", false));

    let support = env.staff("support").await;
    assert!(matches!(env.engine.detokenize(&support, &token, "payments").await, Err(EngineError::Refused { .. })));
    assert!(matches!(env.engine.detokenize(&billing, &token, "account").await, Err(EngineError::Refused { .. })));
    assert!(
        matches!(env.engine.detokenize(&env.admin, &token, "payments").await, Err(EngineError::Refused { .. })),
        "administrators read no data"
    );
    for unknown in [format!("crd_{}", "0".repeat(32)), "crd_x".into(), "2200000000000004".into()] {
        assert!(matches!(env.engine.detokenize(&dpo, &unknown, "payments").await, Err(EngineError::NotFound("card token"))), "{unknown}");
    }
    let journal = env.engine.subject_journal(&env.admin, &s.id, 0, 100).await.unwrap();
    assert_eq!(
        journal.iter().filter(|e| e.body.contains("\"card_token\"") && !e.body.contains("denied")).count(),
        2,
        "each number handed out is journaled"
    );
    // The entry's time is left out of the look: a timestamp like `…:00.000412Z` holds `0004`.
    let without_time = |body: &str| {
        let mut entry: serde_json::Value = serde_json::from_str(body).unwrap();
        entry.as_object_mut().unwrap().remove("time");
        entry.to_string()
    };
    assert!(journal.iter().all(|e| !without_time(&e.body).contains("0004")), "never the number");
}

/// The example catalog with two free-text categories for the account: a comment redacted,
/// a call summary refused, both readable by support.
fn catalog_with_free_text() -> String {
    let changed = EXAMPLE
        .replace(
            "[[categories]]\nid = \"identity.passport\"",
            "[[categories]]\nid = \"feedback.comment\"\nname = { ru = \"Отзыв\", en = \"Feedback\" }\nkind = \"ordinary\"\nfree_text = \"redact\"\n\n\
             [[categories]]\nid = \"feedback.summary\"\nname = { ru = \"Итог звонка\", en = \"Call summary\" }\nkind = \"ordinary\"\nfree_text = \"refuse\"\n\n\
             [[categories]]\nid = \"identity.passport\"",
        )
        .replace(
            "optional_categories = [\"contact.phone\", \"identity.name\", \"identity.passport\"]",
            "optional_categories = [\"contact.phone\", \"identity.name\", \"identity.passport\", \"feedback.comment\", \"feedback.summary\"]",
        )
        .replace(
            "categories = [\"contact.email\", \"contact.phone\", \"identity.name\"]\noperations = [\"extraction\", \"use\", \"clarification\"]",
            "categories = [\"contact.email\", \"contact.phone\", \"identity.name\", \"feedback.comment\", \"feedback.summary\"]\noperations = [\"extraction\", \"use\", \"clarification\"]",
        );
    assert_eq!(changed.matches("feedback.comment").count(), 3);
    changed
}

#[tokio::test]
async fn free_text_the_catalog_declares_free_of_personal_data_is_redacted_or_refused() {
    let env = env().await;
    env.engine.put_catalog(&env.admin, &catalog_with_free_text()).await.unwrap();
    let mut input = customer();
    input.values.push(value("feedback.comment", "Всё хорошо, перезвоните на +7 916 123-45-67 или ivan@mail.ru", &["account"]));
    input.values.push(value("feedback.summary", "Клиент доволен, вопрос решён", &["account"]));
    let subject = env.engine.create_subject(&env.admin, input).await.unwrap();
    let support = env.staff("support").await;
    let view = env.engine.read_subject(&support, &subject.id, "account").await.unwrap();
    let comment = view.attributes.iter().find(|a| a.category == "feedback.comment").unwrap();
    assert_eq!(comment.value.expose(), "Всё хорошо, перезвоните на [PHONE] или [EMAIL]");
    let summary = view.attributes.iter().find(|a| a.category == "feedback.summary").unwrap();
    assert_eq!(summary.value.expose(), "Клиент доволен, вопрос решён", "text without personal data passes as it is");

    // A summary holding personal data is refused, naming the types only; nothing is stored.
    let mut refused = customer();
    refused.values[0] = value("contact.email", "other@example.ru", &["account"]);
    refused.values.push(value("feedback.summary", "Звонила Анна Петрова, СНИЛС 112-233-445 95", &["account"]));
    match env.engine.create_subject(&env.admin, refused).await {
        Err(EngineError::Invalid { code, message }) => {
            assert_eq!(code, "value.personal_data_in_free_text");
            assert!(message.en.contains("PERSON") && message.en.contains("SNILS") && !message.en.contains("112-233"), "{}", message.en);
        }
        other => panic!("{other:?}"),
    }
    let found = env.engine.find_subjects(&env.admin, "contact.email", &PlainValue::new("other@example.ru"), "account").await.unwrap();
    assert!(found.is_empty(), "the refused subject was not created");
}

#[tokio::test]
async fn concurrent_lookups_share_queries_yet_each_gets_only_its_own_subjects() {
    let env = env().await;
    let mut ids = Vec::new();
    for n in 0..12 {
        let input = NewSubjectInput {
            kind: "customer".into(),
            values: vec![
                value("contact.phone", &format!("+7 916 555-00-{n:02}"), &["account"]),
                value("contact.email", &format!("shared.{}@example.ru", n % 2), &["account"]),
            ],
            records: vec![],
        };
        ids.push(env.engine.create_subject(&env.admin, input).await.unwrap().id);
    }
    // Lookups in flight together are read in shared queries (`blind_reads`): phones of
    // known and unknown subjects, emails two subjects hold each, and one of another
    // category with the same text, all at once and repeatedly.
    let mut tasks = Vec::new();
    for round in 0..4 {
        for n in 0..16usize {
            let (engine, admin) = (env.engine.clone(), env.admin.clone());
            tasks.push(tokio::spawn(async move {
                let (category, text) = match (round + n) % 3 {
                    0 => ("contact.phone", format!("+7916555{:04}", n)),
                    1 => ("contact.email", format!("SHARED.{}@example.ru", n % 2)),
                    _ => ("contact.email", format!("+7916555{:04}", n)),
                };
                let found = engine.find_subjects(&admin, category, &PlainValue::new(text), "account").await;
                (round, n, category, found.map(|list| list.into_iter().map(|s| s.id).collect::<Vec<_>>()))
            }));
        }
    }
    for task in tasks {
        let (round, n, category, found) = task.await.unwrap();
        match (round + n) % 3 {
            0 if n < 12 => assert_eq!(found.unwrap(), [ids[n].clone()], "phone {n} finds its one subject"),
            0 => assert!(found.unwrap().is_empty(), "an unknown phone finds no one"),
            1 => {
                let mut want: Vec<String> = ids.iter().enumerate().filter(|(i, _)| i % 2 == n % 2).map(|(_, id)| id.clone()).collect();
                want.sort();
                assert_eq!(found.unwrap(), want, "a shared email finds all six holders and no one else");
            }
            _ => assert!(found.is_err() || found.unwrap().is_empty(), "{category}: a phone is no email"),
        }
    }
}

#[tokio::test]
async fn lookups_see_every_contact_change_made_by_another_process_at_once() {
    // The first lookup builds this engine's contact index; every later change is made by
    // another engine on the same database, and the next lookup here must see it.
    let env = env().await;
    let other = env.other_process().await;
    let support = env.staff("support").await;
    let find = |phone: &'static str| {
        let (engine, admin) = (env.engine.clone(), env.admin.clone());
        async move {
            let found = engine.find_subjects(&admin, "contact.phone", &PlainValue::new(phone), "account").await.unwrap();
            found.into_iter().map(|s| (s.id, s.status)).collect::<Vec<_>>()
        }
    };
    let phone_item = |id: String| {
        let (engine, admin) = (env.engine.clone(), support.clone());
        async move {
            let view = engine.read_subject(&admin, &id, "account").await.unwrap();
            view.attributes.into_iter().find(|a| a.category == "contact.phone").unwrap().id
        }
    };
    let with_phone = |phone: &str| {
        let mut input = customer();
        input.values.retain(|v| v.category == "contact.phone");
        input.values.iter_mut().filter(|v| v.category == "contact.phone").for_each(|v| v.value = PlainValue::new(phone));
        input
    };
    let a = env.engine.create_subject(&env.admin, with_phone("+7 916 111-11-11")).await.unwrap();
    assert_eq!(find("+79161111111").await, [(a.id.clone(), SubjectStatus::Active)]);

    // Created elsewhere, one by one and by import.
    let b = other.create_subject(&env.admin, with_phone("+7 916 222-22-22")).await.unwrap();
    assert_eq!(find("+79162222222").await, [(b.id.clone(), SubjectStatus::Active)]);
    let rows = vec![ImportRow { line: 1, input: with_phone("+7 916 333-33-33") }];
    let imported = other.import_subjects(&env.admin, rows).await.unwrap();
    let c = match &imported.outcomes[0].1 {
        ImportOutcome::Created(id) => id.clone(),
        outcome => panic!("{outcome:?}"),
    };
    assert_eq!(find("+79163333333").await, [(c.clone(), SubjectStatus::Active)]);

    // A phone corrected elsewhere: the old number finds no one, the new one finds `b`.
    let item = phone_item(b.id.clone()).await;
    other.rectify_value(&support, &b.id, &item, &PlainValue::new("+7 916 444-44-44"), "account").await.unwrap();
    assert!(find("+79162222222").await.is_empty());
    assert_eq!(find("+79164444444").await, [(b.id.clone(), SubjectStatus::Active)]);

    // Shared: `c` is given `a`'s number too; both are found.
    other.add_to_subject(&env.admin, &c, vec![value("contact.phone", "8 916 111 11 11", &["account"])], vec![]).await.unwrap();
    let mut both = vec![(a.id.clone(), SubjectStatus::Active), (c.clone(), SubjectStatus::Active)];
    both.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(find("+79161111111").await, both);

    // Restricted elsewhere: still found, as restricted. Erased elsewhere: gone.
    other.restrict_subject(&env.admin, &a.id).await.unwrap();
    assert!(find("+79161111111").await.contains(&(a.id.clone(), SubjectStatus::Restricted)));
    other.erase_subject(&env.admin, &c).await.unwrap();
    assert_eq!(find("+79161111111").await, [(a.id.clone(), SubjectStatus::Restricted)]);
    assert!(find("+79163333333").await.is_empty());

    // A value deleted elsewhere.
    let item = phone_item(b.id.clone()).await;
    let officer = env.staff("privacy_officer").await;
    other.delete_value(&officer, &b.id, &item, "account").await.unwrap();
    assert!(find("+79164444444").await.is_empty());
}
