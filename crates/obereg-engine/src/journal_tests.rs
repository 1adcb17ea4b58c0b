//! The journal as the engine writes it: one entry per change with the acting token, refusals
//! recorded, no personal-data value anywhere, proofs that verify against signed checkpoints,
//! and verification that finds a tampered row.

use std::sync::Arc;

use obereg_core::clock::FixedClock;
use obereg_journal::tree::{verify_consistency, verify_inclusion};
use obereg_journal::{Entry, NoteVerifier, Outcome, leaf_hash};

use crate::{Actor, Bootstrap, Engine, EngineError, JournalSettings, NewTenant, Role, RootKey};

const EXAMPLE: &str = include_str!("../../../examples/voice-robot-calls.toml");

async fn engine_with(every: u64) -> (Engine, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("db.sqlite").display());
    let store = obereg_store::open(&url).await.unwrap();
    let clock = Arc::new(FixedClock("2026-11-21T10:00:00Z".parse().unwrap()));
    let settings = JournalSettings {
        origin_prefix: "obereg.test".into(),
        checkpoint_every: every,
        checkpoint_interval: std::time::Duration::from_secs(60),
    };
    let engine = Engine::new(store, clock, RootKey::generate().unwrap()).with_journal_settings(settings).unwrap();
    (engine, url, dir)
}

async fn platform(engine: &Engine, catalog: &str) -> Actor {
    let Bootstrap::Created(token) = engine.bootstrap("default", "Default", catalog, Role::Platform).await.unwrap() else {
        panic!("fresh database")
    };
    engine.authenticate(token.secret.reveal_once()).await.unwrap().with_request("req-42")
}

async fn entries(engine: &Engine, actor: &Actor) -> Vec<Entry> {
    engine.journal_entries(actor, 0, 1000).await.unwrap().iter().map(|e| Entry::decode(e.body.as_bytes()).unwrap()).collect()
}

#[tokio::test]
async fn every_change_is_journaled_with_its_actor_and_refusals_too() {
    let (engine, _, _dir) = engine_with(1000).await;
    let actor = platform(&engine, EXAMPLE).await;
    let first: Vec<_> = entries(&engine, &actor).await.into_iter().map(|e| (e.operation, e.actor)).collect();
    assert_eq!(
        first,
        [
            ("tenant.created".to_owned(), obereg_journal::Actor::Operator),
            ("token.issued".to_owned(), obereg_journal::Actor::Operator),
            ("catalog.published".to_owned(), obereg_journal::Actor::Operator),
        ]
    );
    // The first append signs the first checkpoint.
    assert_eq!(engine.latest_checkpoint(&actor).await.unwrap().size, 3);

    let issued = engine.create_token(&actor, "support", "desk").await.unwrap();
    engine.revoke_token(&actor, &issued.id).await.unwrap();
    let edited = EXAMPLE.replace("policy_version = \"2.0\"", "policy_version = \"2.1\"");
    engine.put_catalog(&actor, &edited).await.unwrap();
    let staff_token = engine.create_token(&actor, "support", "desk 2").await.unwrap();
    let staff = engine.authenticate(staff_token.secret.reveal_once()).await.unwrap();
    assert!(matches!(engine.create_token(&staff, "admin", "escalate").await, Err(EngineError::Forbidden)));
    // Failed changes leave nothing.
    assert!(engine.revoke_token(&actor, &issued.id).await.is_err());
    assert!(engine.revoke_token(&actor, "not-a-uuid").await.is_err());

    let all = entries(&engine, &actor).await;
    let tail: Vec<_> = all[3..].iter().map(|e| (e.operation.as_str(), e.outcome, e.object.clone(), e.catalog_version)).collect();
    assert_eq!(
        tail,
        [
            ("token.issued", Outcome::Ok, Some(format!("token:{}", issued.id)), Some(1)),
            ("token.revoked", Outcome::Ok, Some(format!("token:{}", issued.id)), Some(1)),
            ("catalog.published", Outcome::Ok, all[5].object.clone(), Some(2)),
            ("token.issued", Outcome::Ok, Some(format!("token:{}", staff_token.id)), Some(2)),
            ("token.issued", Outcome::Denied, None, Some(2)),
        ]
    );
    assert_eq!(all[3].actor, obereg_journal::Actor::Token { token: actor.token_id.clone().unwrap(), role: "platform".into() });
    assert_eq!(all[3].request.as_deref(), Some("req-42"));
    assert_eq!(all[7].actor, obereg_journal::Actor::Token { token: staff.token_id.clone().unwrap(), role: "support".into() });
    assert!(all.iter().enumerate().all(|(i, e)| e.index == i as u64 && e.tenant == "default"));
}

#[tokio::test]
async fn no_personal_data_value_reaches_the_journal() {
    // Known values put through every operation that exists today.
    const MARKERS: [&str; 5] = ["Пётр Сидоров", "+79161234567", "piotr.sidorov@mail.example", "Сидоров", "79161234567"];
    let catalog =
        EXAMPLE.replace("Иванова Мария Сергеевна", "Пётр Сидоров").replace("dpo@voice-robot.example", "piotr.sidorov@mail.example");
    let (engine, _, _dir) = engine_with(2).await;
    let actor = platform(&engine, &catalog).await;
    let label = "ноутбук Пётр Сидоров +79161234567";
    let issued = engine.create_token(&actor, "admin", label).await.unwrap();
    engine.revoke_token(&actor, &issued.id).await.unwrap();
    engine.put_catalog(&actor, &catalog.replace("policy_version = \"2.0\"", "policy_version = \"2.1\"")).await.unwrap();
    let tenant = NewTenant {
        id: "sidorov".into(), name: "ИП Сидоров Пётр, +79161234567".into(), catalog_source: Some(catalog.clone())
    };
    engine.create_tenant(&actor, tenant).await.unwrap();
    let with_request = actor.clone().with_request("piotr.sidorov@mail.example +79161234567");
    engine.create_token(&with_request, "admin", "x").await.unwrap();
    engine.checkpoint_now(&actor).await.unwrap();

    let mut everything = String::new();
    for e in engine.journal_entries(&actor, 0, 1000).await.unwrap() {
        everything.push_str(&e.body);
    }
    let other = Actor { tenant: "sidorov".into(), ..actor.clone() };
    for e in engine.journal_entries(&other, 0, 1000).await.unwrap() {
        everything.push_str(&e.body);
    }
    for c in engine.store.checkpoints("default").await.unwrap() {
        everything.push_str(&c.note);
    }
    assert!(everything.len() > 2000, "the journal was read");
    for marker in MARKERS {
        assert!(!everything.contains(marker), "{marker} leaked into the journal");
    }
}

#[tokio::test]
async fn proofs_verify_against_signed_checkpoints() {
    let (engine, _, _dir) = engine_with(4).await;
    let actor = platform(&engine, EXAMPLE).await;
    for i in 0..20 {
        engine.create_token(&actor, "admin", &format!("t{i}")).await.unwrap();
    }
    let key = engine.journal_key(&actor).unwrap();
    assert_eq!(key.origin, "obereg.test/default");
    let verifier = NoteVerifier::parse(&key.verifier_key).unwrap();
    let latest = engine.latest_checkpoint(&actor).await.unwrap();
    assert_eq!(latest.size, 20, "signed when the log reaches each multiple of 4; entry 21 crossed none");
    let checkpoint = verifier.open_checkpoint(&latest.note).unwrap();

    for index in [0, 7, 19] {
        let p = engine.inclusion_proof(&actor, index, None).await.unwrap();
        assert_eq!((p.size, p.root), (checkpoint.size, checkpoint.root));
        assert_eq!(p.checkpoint.as_deref(), Some(latest.note.as_str()));
        verify_inclusion(&leaf_hash(p.entry.body.as_bytes()), index, p.size, &p.proof, &checkpoint.root).unwrap();
    }
    let earlier = engine.store.checkpoints("default").await.unwrap()[1].clone();
    let c = engine.consistency_proof(&actor, earlier.size as u64, None).await.unwrap();
    let old = verifier.open_checkpoint(c.from_checkpoint.as_deref().unwrap()).unwrap();
    assert_eq!(old.root, c.from_root);
    verify_consistency(c.from, c.to, &old.root, &checkpoint.root, &c.proof).unwrap();

    // Sizes beyond the log and indexes beyond the size are refused clearly.
    assert_eq!(engine.inclusion_proof(&actor, 0, Some(99)).await.unwrap_err().code(), "journal.size_beyond_log");
    assert_eq!(engine.inclusion_proof(&actor, 20, None).await.unwrap_err().code(), "journal.index_beyond_size");
    assert_eq!(engine.consistency_proof(&actor, 30, Some(21)).await.unwrap_err().code(), "journal.sizes_reversed");
}

#[tokio::test]
async fn staff_cannot_read_the_journal_but_anyone_gets_the_key() {
    let (engine, _, _dir) = engine_with(1000).await;
    let actor = platform(&engine, EXAMPLE).await;
    let t = engine.create_token(&actor, "support", "desk").await.unwrap();
    let staff = engine.authenticate(t.secret.reveal_once()).await.unwrap();
    assert!(matches!(engine.journal_entries(&staff, 0, 10).await, Err(EngineError::Forbidden)));
    assert!(matches!(engine.inclusion_proof(&staff, 0, None).await, Err(EngineError::Forbidden)));
    assert!(matches!(engine.verify_journal(&staff, "default", &[], None).await, Err(EngineError::Forbidden)));
    assert_eq!(engine.journal_key(&staff).unwrap().verifier_key, engine.journal_key(&actor).unwrap().verifier_key);
}

#[tokio::test]
async fn due_checkpoints_are_signed_once() {
    let (engine, _, _dir) = engine_with(1000).await;
    let actor = platform(&engine, EXAMPLE).await;
    assert_eq!(engine.sign_due_checkpoints().await.unwrap(), 0, "bootstrap signed already");
    engine.create_token(&actor, "admin", "x").await.unwrap();
    assert_eq!(engine.sign_due_checkpoints().await.unwrap(), 1);
    assert_eq!(engine.sign_due_checkpoints().await.unwrap(), 0);
    assert_eq!(engine.latest_checkpoint(&actor).await.unwrap().size, 4);
    // Signing again at the same size returns the kept checkpoint.
    let again = engine.checkpoint_now(&actor).await.unwrap();
    assert_eq!(again.size, 4);
    assert_eq!(engine.store.checkpoints("default").await.unwrap().len(), 2);
}

#[tokio::test]
async fn verification_is_clean_then_finds_a_tampered_row() {
    use sqlx::Connection;
    let (engine, url, _dir) = engine_with(5).await;
    let actor = platform(&engine, EXAMPLE).await;
    for i in 0..30 {
        engine.create_token(&actor, "admin", &format!("t{i}")).await.unwrap();
    }
    let report = engine.verify_journal(&actor, "default", &[], None).await.unwrap();
    assert!(report.is_clean(), "{:?}", report.findings);
    assert_eq!(report.entries, 33);
    let held = engine.latest_checkpoint(&actor).await.unwrap().note;

    // Someone with the database file rewrites entry 12 and its leaf hash.
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("DROP TRIGGER journal_entries_no_update").execute(&mut conn).await.unwrap();
    let body: Vec<u8> = sqlx::query_scalar("SELECT body FROM journal_entries WHERE idx = 12").fetch_one(&mut conn).await.unwrap();
    let forged = String::from_utf8(body).unwrap().replace("\"outcome\":\"ok\"", "\"outcome\":\"denied\"");
    sqlx::query("UPDATE journal_entries SET body = $1, leaf_hash = $2 WHERE idx = 12")
        .bind(forged.as_bytes())
        .bind(leaf_hash(forged.as_bytes()).0.to_vec())
        .execute(&mut conn)
        .await
        .unwrap();
    let report = engine.verify_journal(&actor, "default", std::slice::from_ref(&held), None).await.unwrap();
    assert!(!report.is_clean());
    // Leaf and entry agree, so only bounds are left: checkpoints at 10 match, at 15 not.
    assert_eq!(report.first_bad(), Some((10, 15)), "{:?}", report.findings);
    assert_eq!(report.first_bad_index(), None);

    // A pinned key from another installation rejects every checkpoint.
    let (other, _, _d2) = engine_with(5).await;
    let foreign = NoteVerifier::parse(&other.journal_key_of("default").unwrap().verifier_key).unwrap();
    let report = engine.verify_journal(&actor, "default", &[], Some(&foreign)).await.unwrap();
    assert!(report.findings.iter().any(|f| matches!(f, obereg_journal::Finding::CheckpointInvalid { .. })));
}
