//! Benchmark of `decision::decide`, in process on one thread: a mix of marketing (consent
//! per channel), contract and consent purposes over subjects with different ledgers, the
//! decisions a pre-dial check makes. Dependency-free harness.
//!
//! Run: `cargo bench -p obereg-core --bench decide`

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;

use obereg_core::catalog::{Catalog, Channel};
use obereg_core::consent::{ConsentAction, ConsentEvent, ConsentMethod, ConsentScope, ConsentState};
use obereg_core::decision::{Ask, Standing, SubjectFacts, decide};

const CATALOG: &str = include_str!("../../../examples/voice-robot-calls.toml");

fn main() {
    let catalog: Catalog = toml::from_str(CATALOG).unwrap();
    let now: jiff::Timestamp = "2026-11-21T12:00:00Z".parse().unwrap();
    let given = |scope: ConsentScope, action| ConsentEvent {
        scope,
        action,
        at: "2026-01-10T00:00:00Z".parse().unwrap(),
        method: ConsentMethod::WebForm,
        document: Some("doc".into()),
        valid_until: None,
        by_representative: false,
    };
    // Four kinds of subject: no consent, consent by email, consent withdrawn, consent to analytics.
    let ledgers: Vec<ConsentState> = vec![
        ConsentState::default(),
        ConsentState::replay(&[given(ConsentScope::channel("product_news", Channel::Email), ConsentAction::Given)]).unwrap(),
        ConsentState::replay(&[
            given(ConsentScope::channel("product_news", Channel::Email), ConsentAction::Given),
            given(ConsentScope::channel("product_news", Channel::Email), ConsentAction::Withdrawn),
        ])
        .unwrap(),
        ConsentState::replay(&[given(ConsentScope::purpose("site_analytics"), ConsentAction::Given)]).unwrap(),
    ];
    let objections = BTreeMap::new();
    let asks = [
        Ask { purpose: "product_news", channel: Some(Channel::Email), categories: &["contact.email"], principal: None },
        Ask { purpose: "robot_calls", channel: None, categories: &["contact.phone"], principal: None },
        Ask { purpose: "site_analytics", channel: None, categories: &[], principal: None },
    ];
    for round in 0..3 {
        let n = 10_000_000usize;
        let started = Instant::now();
        let mut allowed = 0usize;
        for i in 0..n {
            let facts = SubjectFacts { standing: Standing::Active, underage: false, consents: &ledgers[i % 4], objections: &objections };
            let d = decide(black_box(&catalog), &facts, black_box(&asks[i % 3]), now);
            allowed += usize::from(d.allowed);
        }
        let took = started.elapsed();
        black_box(allowed);
        println!(
            "round {round}: {n} decisions in {:.2} s: {:.0} decisions/s on one thread",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64()
        );
    }
}
