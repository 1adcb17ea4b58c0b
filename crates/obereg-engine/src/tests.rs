//! Use-case tests over a real SQLite store in a temporary directory.

use std::sync::Arc;

use obereg_core::clock::FixedClock;

use crate::{Actor, Bootstrap, Engine, EngineError, NewTenant, Role, RootKey};

const EXAMPLE: &str = include_str!("../../../examples/voice-robot-calls.toml");

async fn engine() -> (Engine, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("db.sqlite").display());
    let store = obereg_store::open(&url).await.unwrap();
    let clock = Arc::new(FixedClock("2026-11-21T10:00:00Z".parse().unwrap()));
    (Engine::new(store, clock, RootKey::generate().unwrap()), dir)
}

async fn admin(engine: &Engine) -> Actor {
    let Bootstrap::Created(token) = engine.bootstrap("default", "Default", EXAMPLE, Role::Platform).await.unwrap() else {
        panic!("fresh database")
    };
    engine.authenticate(token.secret.reveal_once()).await.unwrap()
}

#[tokio::test]
async fn bootstrap_runs_once() {
    let (engine, _dir) = engine().await;
    let actor = admin(&engine).await;
    assert_eq!(actor.role, Role::Platform);
    assert!(matches!(engine.bootstrap("default", "Default", EXAMPLE, Role::Platform).await.unwrap(), Bootstrap::AlreadyInitialised));
    assert_eq!(engine.list_tokens(&actor).await.unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_malformed_and_revoked_tokens_are_refused_alike() {
    let (engine, _dir) = engine().await;
    let actor = admin(&engine).await;
    let issued = engine.create_token(&actor, "admin", "ci").await.unwrap();
    assert!(engine.authenticate(issued.secret.reveal_once()).await.is_ok());
    engine.revoke_token(&actor, &issued.id).await.unwrap();
    for presented in [issued.secret.reveal_once(), "obg_short", "", &format!("obg_{}", "A".repeat(43))] {
        assert!(matches!(engine.authenticate(presented).await, Err(EngineError::Unauthenticated)), "{presented}");
    }
    assert!(matches!(engine.revoke_token(&actor, &issued.id).await, Err(EngineError::NotFound(_))));
}

#[tokio::test]
async fn staff_tokens_need_a_catalog_role_and_cannot_administer() {
    let (engine, _dir) = engine().await;
    let actor = admin(&engine).await;
    let err = engine.create_token(&actor, "janitor", "x").await.unwrap_err();
    assert_eq!(err.code(), "token.unknown_role");
    let support = engine.create_token(&actor, "support", "support desk").await.unwrap();
    let staff = engine.authenticate(support.secret.reveal_once()).await.unwrap();
    assert_eq!(staff.role, Role::Staff("support".into()));
    assert!(engine.current_catalog(&staff).await.is_ok());
    assert!(matches!(engine.put_catalog(&staff, EXAMPLE).await, Err(EngineError::Forbidden)));
    assert!(matches!(engine.list_tokens(&staff).await, Err(EngineError::Forbidden)));
    assert!(matches!(engine.create_token(&staff, "admin", "escalate").await, Err(EngineError::Forbidden)));
}

#[tokio::test]
async fn labels_are_validated() {
    let (engine, _dir) = engine().await;
    let actor = admin(&engine).await;
    for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
        assert_eq!(engine.create_token(&actor, "admin", bad).await.unwrap_err().code(), "token.invalid_label");
    }
}

#[tokio::test]
async fn catalog_uploads_are_validated_versioned_and_idempotent() {
    let (engine, _dir) = engine().await;
    let actor = admin(&engine).await;
    let broken = EXAMPLE.replace("retention = { period = \"P3Y\", trigger = \"account_closed\" }\n", "");
    let err = engine.put_catalog(&actor, &broken).await.unwrap_err();
    let EngineError::InvalidCatalog(report) = err else { panic!("{err:?}") };
    assert!(report.errors().any(|d| d.code == "purpose.no_retention"));
    assert_eq!(engine.catalog_versions(&actor).await.unwrap().len(), 1, "a refused catalog changes nothing");

    let same = engine.put_catalog(&actor, EXAMPLE).await.unwrap();
    assert!(!same.created);
    assert_eq!(same.version.version, 1);

    let edited = EXAMPLE.replace("policy_version = \"2.0\"", "policy_version = \"2.1\"");
    let put = engine.put_catalog(&actor, &edited).await.unwrap();
    assert!(put.created);
    assert_eq!(put.version.version, 2);
    assert_eq!(put.version.created_by, actor.token_id);
    assert_eq!(engine.current_catalog(&actor).await.unwrap().catalog.documents.policy_version, "2.1");
    assert_eq!(engine.catalog_version(&actor, 1).await.unwrap().source, EXAMPLE);
}

#[tokio::test]
async fn only_platform_tokens_manage_tenants() {
    let (engine, _dir) = engine().await;
    let platform = admin(&engine).await;
    let new = NewTenant { id: "acme".into(), name: "ООО «Акме»".into(), catalog_source: None };
    let (tenant, token) = engine.create_tenant(&platform, new.clone()).await.unwrap();
    assert_eq!(tenant.id, "acme");
    let acme_admin = engine.authenticate(token.secret.reveal_once()).await.unwrap();
    assert_eq!((acme_admin.tenant.as_str(), acme_admin.role.clone()), ("acme", Role::Admin));
    assert!(matches!(engine.create_tenant(&acme_admin, new.clone()).await, Err(EngineError::Forbidden)));
    assert!(matches!(engine.create_tenant(&platform, new).await, Err(EngineError::Conflict(_))));
    assert!(matches!(engine.current_catalog(&acme_admin).await, Err(EngineError::NotFound(_))));
    let bad = NewTenant { id: "Bad Id".into(), name: "x".into(), catalog_source: None };
    assert_eq!(engine.create_tenant(&platform, bad).await.unwrap_err().code(), "tenant.invalid_id");
    let ids: Vec<_> = engine.list_tenants(&platform).await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["acme", "default"]);
}
