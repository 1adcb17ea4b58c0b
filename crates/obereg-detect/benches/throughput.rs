//! Detection throughput on one core over a large mixed corpus.
//!
//! Make the input with the corpus generator, then run:
//! `python3 ../shared/pii/gen_dev.py --bytes 50000000 --format txt --out /tmp/pii-big.txt`
//! `OBEREG_DETECT_INPUT=/tmp/pii-big.txt cargo bench -p obereg-detect --bench throughput`
//! (default input: /tmp/pii-big.txt). First the one-time cost of building the name
//! dictionaries (once per process, on the first text with a capitalised word), then MB/s
//! (10^6 bytes per second) over three passes, and the findings per type of the last pass.

use std::collections::BTreeMap;
use std::time::Instant;

fn main() {
    let path = std::env::var("OBEREG_DETECT_INPUT").unwrap_or_else(|_| "/tmp/pii-big.txt".into());
    let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}; see the header of benches/throughput.rs"));
    let mb = text.len() as f64 / 1e6;
    let started = Instant::now();
    let warm = obereg_detect::detect("Иван Петров и John Smith, ул. Ленина, д. 5".as_bytes());
    println!("name dictionaries built once in {:.3} s ({} findings in the warm-up line)", started.elapsed().as_secs_f64(), warm.len());
    let mut counts = BTreeMap::new();
    for pass in 1..=3 {
        let started = Instant::now();
        let found = obereg_detect::detect(&text);
        let secs = started.elapsed().as_secs_f64();
        println!("pass {pass}: {mb:.1} MB in {secs:.3} s = {:.0} MB/s, {} findings", mb / secs, found.len());
        counts.clear();
        for f in &found {
            *counts.entry(f.kind.as_str()).or_insert(0usize) += 1;
        }
    }
    println!("{counts:?}");
}
