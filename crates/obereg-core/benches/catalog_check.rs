//! Benchmark of `catalog::check` (parse + 35 rules + source positions) on the three example
//! catalogs and on a large synthetic one. Dependency-free harness: runs each case for a fixed
//! number of iterations and prints median and 95th-percentile times.
//!
//! Run: `cargo bench -p obereg-core --bench catalog_check`

use std::time::{Duration, Instant};

use obereg_core::catalog::check;

const CASES: [(&str, &str); 3] = [
    ("voice-robot-calls", include_str!("../../../examples/voice-robot-calls.toml")),
    ("sales-calls-app", include_str!("../../../examples/sales-calls-app.toml")),
    ("legal-consultation-site", include_str!("../../../examples/legal-consultation-site.toml")),
];

/// A catalog with `n` extra categories and purposes, to see how the check scales.
fn large(n: usize) -> String {
    let mut s = CASES[0].1.to_owned();
    for i in 0..n {
        s.push_str(&format!(
            "\n[[categories]]\nid = \"extra.c{i}\"\nname = {{ ru = \"Доп {i}\" }}\nkind = \"ordinary\"\n\n[[purposes]]\nid = \"extra_p{i}\"\nname = {{ ru = \"Цель {i}\" }}\nsubject_kinds = [\"customer\"]\nbasis = {{ ru = \"contract\" }}\nrequired_categories = [\"extra.c{i}\"]\noperations = [\"collection\", \"storage\", \"destruction\"]\nretention = {{ period = \"P1Y\", trigger = \"contract_end\" }}\nstorage = [\"msk-primary\"]\n"
        ));
    }
    s
}

fn measure(name: &str, source: &str, iterations: usize) {
    assert!(check(source).is_valid(), "{name} must be valid");
    let mut times: Vec<Duration> = (0..iterations)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(check(std::hint::black_box(source)));
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    println!(
        "{name:<28} {:>7} bytes  median {:>9.1} µs  p95 {:>9.1} µs",
        source.len(),
        median.as_secs_f64() * 1e6,
        p95.as_secs_f64() * 1e6
    );
}

fn main() {
    // `cargo test --benches` passes `--bench`-less args; run briefly there.
    let quick = !std::env::args().any(|a| a == "--bench");
    let iterations = if quick { 3 } else { 2000 };
    for (name, source) in CASES {
        measure(name, source, iterations);
    }
    let big = large(500);
    measure("synthetic 500 purposes", &big, if quick { 1 } else { 100 });
}
