//! Anonymised statistics end to end over a real SQLite store: k-anonymous tables with no cell
//! under k, differentially private tables over the whole grid, the budget that refuses a
//! release past it and changes nothing, the record and the journal of each release, bad
//! queries and roles.

use obereg_core::anonymity::Guarantee;
use obereg_core::consent::ConsentAction;

use crate::EngineError;
use crate::retention_tests::{consent, env};
use crate::statistics::StatsQuery;
use crate::vault_tests::customer;

fn query(source: &str, group_by: &[&str], guarantee: Guarantee) -> StatsQuery {
    StatsQuery {
        source: source.into(),
        group_by: group_by.iter().map(|s| (*s).to_owned()).collect(),
        guarantee,
        max_cells: None,
        measure: None,
        recipient: "web-analytics".into(),
        from: None,
        to: None,
        assessment: Some("Five or more per cell reveal no one".into()),
    }
}

async fn people(env: &crate::retention_tests::Env, customers: usize, called: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..customers {
        ids.push(env.engine.create_subject(&env.admin, customer()).await.unwrap().id);
    }
    for i in 0..called {
        let mut c = customer();
        c.kind = "called_person".into();
        c.values.retain(|v| v.category == "contact.phone");
        c.values[0].purposes = vec!["robot_calls".into()];
        c.values[0].value = obereg_core::value::PlainValue::new(format!("+7 916 000-00-{i:02}"));
        ids.push(env.engine.create_subject(&env.admin, c).await.unwrap().id);
    }
    ids
}

#[tokio::test]
async fn k_anonymous_tables_hold_no_cell_under_k() {
    let env = env().await;
    let e = &env.engine;
    let ids = people(&env, 7, 3).await;
    for id in ids.iter().take(6) {
        consent(&env, id, ConsentAction::Given).await;
    }
    consent(&env, &ids[0], ConsentAction::Withdrawn).await;
    let by_kind = e.release_statistics(&env.admin, query("subjects", &["kind"], Guarantee::KAnonymity { k: 5 })).await.unwrap();
    assert_eq!(by_kind.cells.len(), 1, "{:?}", by_kind.cells);
    assert_eq!((by_kind.cells[0].group["kind"].as_str(), by_kind.cells[0].value), ("customer", 7));
    assert_eq!(by_kind.suppressed, 1, "three called persons are under k");
    assert_eq!((by_kind.spent, by_kind.noise_scale), ((0.0, 0.0), 0.0));
    // Consents count the current state per subject: five still given, one withdrawn (under k).
    let consents =
        e.release_statistics(&env.admin, query("consents", &["purpose", "state"], Guarantee::KAnonymity { k: 3 })).await.unwrap();
    assert_eq!(consents.cells.len(), 1);
    assert_eq!((consents.cells[0].group["state"].as_str(), consents.cells[0].value), ("given", 5));
    assert!(consents.cells.iter().all(|c| c.value >= 3));
    // The record keeps the hash, not the numbers; the journal has обезличивание and передача.
    let records = e.stat_releases(&env.admin).await.unwrap();
    assert_eq!(records.len(), 2);
    let recorded = records.iter().find(|r| r.id == by_kind.id).unwrap();
    assert_eq!(recorded.sha256, by_kind.sha256);
    assert!(!recorded.query.to_string().contains("customer"), "the record holds the query, not the numbers");
    assert_eq!(recorded.guarantee["k"], 5);
    assert_eq!(recorded.query["assessment"], "Five or more per cell reveal no one");
    let ops: Vec<String> = e.journal_entries(&env.admin, 0, 1000).await.unwrap().iter().map(|v| v.entry().unwrap().operation).collect();
    assert!(ops.ends_with(&["depersonalization".to_owned(), "transfer".to_owned()]), "{ops:?}");
}

#[tokio::test]
async fn differential_privacy_spends_the_budget_and_refuses_past_it() {
    let env = env().await;
    let e = &env.engine;
    people(&env, 5, 2).await;
    let laplace = || query("subjects", &["kind", "status"], Guarantee::Laplace { epsilon: 0.4 });
    let first = e.release_statistics(&env.admin, laplace()).await.unwrap();
    // Every cell of the grid: three kinds × two statuses, empty ones too.
    assert_eq!(first.cells.len(), 6);
    assert!((first.noise_scale - 2.5).abs() < 1e-9, "b = 1/ε");
    assert!((first.budget_left.0 - 0.6).abs() < 1e-9);
    e.release_statistics(&env.admin, laplace()).await.unwrap();
    let refused = e.release_statistics(&env.admin, laplace()).await.unwrap_err();
    assert_eq!(refused.code(), "stats.budget_exhausted");
    assert_eq!(e.stat_releases(&env.admin).await.unwrap().len(), 2, "a refused release records nothing");
    // Another recipient has its own budget; a raised budget lets the release through.
    let mut other = laplace();
    other.recipient = "payment-provider".into();
    e.release_statistics(&env.admin, other).await.unwrap();
    let view = e.set_privacy_budget(&env.admin, "web-analytics", 2.0, 1e-5).await.unwrap();
    assert!((view.left.0 - 1.2).abs() < 1e-9, "{view:?}");
    e.release_statistics(&env.admin, laplace()).await.unwrap();
    // The Gaussian mechanism spends δ as well.
    let gaussian = query("subjects", &["kind"], Guarantee::Gaussian { epsilon: 0.5, delta: 1e-6 });
    let g = e.release_statistics(&env.admin, gaussian).await.unwrap();
    assert_eq!(g.spent, (0.5, 1e-6));
    // Grouping by month needs the range, and the months come from it.
    let mut monthly = query("subjects", &["month"], Guarantee::Laplace { epsilon: 0.1 });
    assert_eq!(e.release_statistics(&env.admin, monthly.clone()).await.unwrap_err().code(), "stats.bad_query");
    monthly.from = Some(jiff::civil::date(2025, 11, 1));
    monthly.to = Some(jiff::civil::date(2026, 2, 28));
    assert_eq!(e.release_statistics(&env.admin, monthly).await.unwrap().cells.len(), 4);
}

#[tokio::test]
async fn bad_queries_and_roles_are_refused() {
    let env = env().await;
    let e = &env.engine;
    let bad = [
        query("salaries", &["kind"], Guarantee::KAnonymity { k: 5 }),
        query("subjects", &["shoe_size"], Guarantee::KAnonymity { k: 5 }),
        query("subjects", &["kind", "kind"], Guarantee::KAnonymity { k: 5 }),
        query("subjects", &[], Guarantee::KAnonymity { k: 5 }),
        query("subjects", &["kind"], Guarantee::KAnonymity { k: 1 }),
        query("subjects", &["kind"], Guarantee::Laplace { epsilon: 0.0 }),
        query("subjects", &["kind"], Guarantee::Gaussian { epsilon: 2.0, delta: 1e-6 }),
    ];
    for q in bad {
        assert_eq!(e.release_statistics(&env.admin, q.clone()).await.unwrap_err().code(), "stats.bad_query", "{q:?}");
    }
    let mut stranger = query("subjects", &["kind"], Guarantee::KAnonymity { k: 5 });
    stranger.recipient = "my-friend".into();
    assert_eq!(e.release_statistics(&env.admin, stranger).await.unwrap_err().code(), "stats.unknown_recipient");
    assert_eq!(e.set_privacy_budget(&env.admin, "web-analytics", -1.0, 0.0).await.unwrap_err().code(), "stats.bad_budget");
    let support = e.create_token(&env.admin, "support", "s").await.unwrap();
    let support = e.authenticate(support.secret.reveal_once()).await.unwrap();
    let q = query("subjects", &["kind"], Guarantee::KAnonymity { k: 5 });
    assert!(matches!(e.release_statistics(&support, q).await, Err(EngineError::Forbidden)));
    assert!(e.stat_releases(&env.admin).await.unwrap().is_empty());
}

#[tokio::test]
async fn answer_days_sum_per_cell_with_each_subjects_share_clipped() {
    use crate::requests::{Completion, Language, ManualIdentity, NewRequest, RequestChannel};
    use obereg_core::request::deadline::RequestKind;
    use obereg_core::value::PlainValue;
    let env = env().await;
    let e = &env.engine;
    let dpo = e.create_token(&env.admin, "privacy_officer", "d").await.unwrap();
    let dpo = e.authenticate(dpo.secret.reveal_once()).await.unwrap();
    let ids = people(&env, 5, 0).await;
    let open = |subject: &str| NewRequest {
        kind: RequestKind::Access,
        channel: RequestChannel::Email,
        jurisdiction: None,
        email: Some(PlainValue::new("someone@example.ru")),
        phone: None,
        details: None,
        language: Language::Ru,
        received_at: None,
        identity: Some(ManualIdentity { subject_id: Some(subject.to_owned()), note: PlainValue::new("паспорт проверен") }),
    };
    let mut requests = Vec::new();
    for id in &ids {
        requests.push(e.open_request(&dpo, open(id)).await.unwrap().id);
    }
    // Answered after three days; one more left open (not summed).
    env.clock.advance(jiff::SignedDuration::from_hours(72));
    for r in &requests {
        e.complete_request(&dpo, r, Completion::default()).await.unwrap();
    }
    e.open_request(&dpo, open(&ids[0])).await.unwrap();
    let mut q = query("requests", &["kind"], Guarantee::KAnonymity { k: 5 });
    q.measure = Some("answer_days".into());
    let released = e.release_statistics(&env.admin, q.clone()).await.unwrap();
    assert_eq!(released.cells.len(), 1);
    assert_eq!((released.cells[0].group["kind"].as_str(), released.cells[0].value), ("access", 15), "five answers of three days");
    // Under differential privacy the noise scale is the clip over ε.
    q.guarantee = Guarantee::Laplace { epsilon: 0.5 };
    let noisy = e.release_statistics(&env.admin, q.clone()).await.unwrap();
    assert!((noisy.noise_scale - 120.0).abs() < 1e-9, "{}", noisy.noise_scale);
    assert_eq!(noisy.cells.len(), 9, "every request kind");
    q.source = "subjects".into();
    q.group_by = vec!["kind".into()];
    assert_eq!(e.release_statistics(&env.admin, q).await.unwrap_err().code(), "stats.bad_query", "answer_days is a requests measure");
}
