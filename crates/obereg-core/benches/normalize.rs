//! Normalisation of phones and emails, the first step of every lookup and pre-dial check:
//! Russian mobiles in their usual spellings (the fast path), other numbers (the
//! libphonenumber port), and email addresses, per value on one core.
//!
//! `cargo bench -p obereg-core --bench normalize`.

use std::time::Instant;

use obereg_core::catalog::Normalization;
use obereg_core::value::{PlainValue, normalize};

fn per_value(label: &str, rule: Normalization, values: &[PlainValue]) {
    let started = Instant::now();
    let valid = values.iter().filter(|v| normalize(rule, v).is_ok()).count();
    let took = started.elapsed().as_secs_f64();
    println!(
        "  {label:<44} {:>7.3} µs each ({valid} of {} valid; 1,000,000 take {:.2} s)",
        took * 1e6 / values.len() as f64,
        values.len(),
        took * 1e6 / values.len() as f64
    );
}

fn main() {
    let n = 200_000u64;
    println!("normalisation, {n} values per line, one core");
    let mobiles: Vec<PlainValue> = (0..n)
        .map(|i| {
            PlainValue::new(match i % 3 {
                0 => format!("8 916 {i:07}"),
                1 => format!("+7 (916) {:03} {:02} {:02}", i % 1000, i / 1000 % 100, i / 100_000),
                _ => format!("+7916{i:07}"),
            })
        })
        .collect();
    per_value("Russian mobiles (+7 9…, 8 9…)", Normalization::PhoneE164, &mobiles);
    let others: Vec<PlainValue> =
        (0..n / 10).map(|i| PlainValue::new(if i % 2 == 0 { format!("+7 495 {i:07}") } else { format!("+44 20 79{i:06}") })).collect();
    per_value("other numbers (+7 495…, +44…: the parser)", Normalization::PhoneE164, &others);
    let emails: Vec<PlainValue> = (0..n).map(|i| PlainValue::new(format!("User.{i}@Example.RU"))).collect();
    per_value("emails", Normalization::Email, &emails);
}
