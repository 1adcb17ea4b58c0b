//! `obereg logs …`: an nginx log file ingested from the command line into the data folder,
//! refused the second time, counted by `stats`, and found again only through `reidentify`;
//! and `obereg stats …`: releases against the default budget, a raised budget, the record.

use crate::{obereg, stderr, stdout};

#[test]
fn an_access_log_is_ingested_counted_and_reidentified_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(obereg(d, &["init"]).status.code(), Some(0));
    let day = jiff::Timestamp::now().strftime("%d/%b/%Y").to_string();
    let date = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let log: String = (0..30)
        .map(|i| {
            format!(
                "198.51.100.{} - - [{day}:08:00:00 +0000] \"GET /pricing?utm_source=ya HTTP/1.1\" 200 99 \"-\" \"curl/8.5.0\"\n",
                i % 5 + 1
            )
        })
        .collect();
    std::fs::write(d.join("access.log"), log).unwrap();
    let ingested = obereg(d, &["logs", "ingest", "access.log"]);
    assert_eq!(ingested.status.code(), Some(0), "{}", stderr(&ingested));
    let report: serde_json::Value = serde_json::from_str(&stdout(&ingested)).unwrap();
    assert_eq!(report["kept"], 30);
    let again = obereg(d, &["logs", "ingest", "access.log"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("weblog.already_ingested") || stderr(&again).contains("already"), "{}", stderr(&again));
    let bad = obereg(d, &["logs", "ingest", "access.log", "--ip", "hash"]);
    assert_eq!(bad.status.code(), Some(2));

    let stats: serde_json::Value = serde_json::from_str(&stdout(&obereg(d, &["logs", "stats", "--from", &date, "--to", &date]))).unwrap();
    assert_eq!((stats["requests"].as_u64(), stats["days"][0]["visitors"].as_u64(), stats["bots"].as_u64()), (Some(30), Some(5), Some(30)));
    // Kept under the data folder, without the addresses.
    let kept = std::fs::read_to_string(d.join(format!("obereg-data/weblogs/default/{date}.jsonl"))).unwrap();
    assert_eq!(kept.lines().count(), 30);
    assert!(!kept.contains("198.51.100"), "{kept}");
    let found = obereg(d, &["logs", "reidentify", "--ip", "198.51.100.2", "--date", &date, "--purpose", "fraud_investigation"]);
    assert_eq!(found.status.code(), Some(0), "{}", stderr(&found));
    assert_eq!(stdout(&found).lines().count(), 6);
}

#[test]
fn statistics_are_released_and_budgets_set_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(obereg(d, &["init"]).status.code(), Some(0));
    let query =
        r#"{"source": "subjects", "group_by": ["kind"], "guarantee": {"kind": "laplace", "epsilon": 0.7}, "recipient": "web-analytics"}"#;
    std::fs::write(d.join("q.json"), query).unwrap();
    // The starter catalog (the voice-robot example) names `web-analytics` as a recipient.
    let released = obereg(d, &["stats", "release", "--query", "q.json"]);
    assert_eq!(released.status.code(), Some(0), "{}", stderr(&released));
    let table: serde_json::Value = serde_json::from_str(&stdout(&released)).unwrap();
    assert!((table["spent"][0].as_f64().unwrap() - 0.7).abs() < 1e-9);
    let again = obereg(d, &["stats", "release", "--query", "q.json"]);
    assert_eq!(again.status.code(), Some(1), "past the default budget of 1.0");
    let raised = obereg(d, &["stats", "budget", "--recipient", "web-analytics", "--epsilon", "2"]);
    assert_eq!(raised.status.code(), Some(0), "{}", stderr(&raised));
    assert_eq!(obereg(d, &["stats", "release", "--query", "q.json"]).status.code(), Some(0));
    let listed: serde_json::Value = serde_json::from_str(&stdout(&obereg(d, &["stats", "releases"]))).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
}
