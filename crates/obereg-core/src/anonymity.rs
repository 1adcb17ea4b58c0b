//! Aggregate statistics with a guarantee, as pure functions: counts of distinct subjects per
//! cell, released either with small-cell suppression (k-anonymity of the released table) or
//! with differential privacy (the Laplace or the Gaussian mechanism), and the privacy-budget
//! arithmetic. Randomness is passed in, so everything here is testable and the caller decides
//! where noise comes from (the engine uses the operating system's CSPRNG).
//!
//! Counting unit: a cell counts **distinct subjects**, never events — a person who made ten
//! calls is one caller. Each subject is then allowed into at most `max_cells` cells (the first
//! ones in cell order; the rest of their contributions are dropped before counting), so one
//! person changes the released table by at most `max_cells` in L1 norm and √`max_cells` in
//! L2 norm: those are the sensitivities the noise is scaled to.
//!
//! - **k-anonymity** (`k ≥ 2`): a cell counting fewer than `k` subjects is not released at all,
//!   only the number of such cells is. No noise, no budget.
//! - **Laplace** (ε-DP): each released count + Laplace(0, b = Δ₁/ε).
//! - **Gaussian** ((ε, δ)-DP, ε < 1): each count + N(0, σ²), σ = Δ₂·√(2·ln(1.25/δ))/ε
//!   (Dwork–Roth, Theorem A.1).
//!
//! Noisy counts are rounded to integers and floored at zero (post-processing keeps the
//! guarantee). Under differential privacy every cell of the full grid the query names is
//! released, empty ones too, so the presence of a cell says nothing; and noise is drawn from
//! uniforms of 53 bits. The textbook floating-point caveat (Mironov 2012) applies to the raw
//! noisy values; rounding to integers removes most of that leak — the docs say so plainly.

use std::collections::{BTreeMap, BTreeSet};

/// How a released table is protected.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Guarantee {
    /// Cells under `k` subjects are suppressed.
    KAnonymity { k: u32 },
    /// ε-differential privacy, Laplace noise.
    Laplace { epsilon: f64 },
    /// (ε, δ)-differential privacy, Gaussian noise.
    Gaussian { epsilon: f64, delta: f64 },
}

/// Why a guarantee's parameters are refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadGuarantee(pub &'static str);

/// The smallest k accepted: a cell of one is a person.
pub const MIN_K: u32 = 2;
/// The largest ε one query may spend (beyond it the noise protects little).
pub const MAX_EPSILON: f64 = 10.0;

impl Guarantee {
    /// Checks the parameters.
    pub fn check(&self) -> Result<(), BadGuarantee> {
        match *self {
            Guarantee::KAnonymity { k } if k < MIN_K => Err(BadGuarantee("k must be at least 2")),
            Guarantee::Laplace { epsilon } | Guarantee::Gaussian { epsilon, .. } if !(epsilon > 0.0 && epsilon <= MAX_EPSILON) => {
                Err(BadGuarantee("epsilon must be above 0 and at most 10"))
            }
            Guarantee::Gaussian { epsilon, .. } if epsilon >= 1.0 => Err(BadGuarantee("the Gaussian mechanism needs epsilon below 1")),
            Guarantee::Gaussian { delta, .. } if !(delta > 0.0 && delta < 1e-3) => {
                Err(BadGuarantee("delta must be above 0 and below 0.001"))
            }
            _ => Ok(()),
        }
    }

    /// The privacy cost (ε, δ) of one release under this guarantee.
    pub fn cost(&self) -> (f64, f64) {
        match *self {
            Guarantee::KAnonymity { .. } => (0.0, 0.0),
            Guarantee::Laplace { epsilon } => (epsilon, 0.0),
            Guarantee::Gaussian { epsilon, delta } => (epsilon, delta),
        }
    }

    /// The noise scale for a table where one subject is in at most `max_cells` cells: the
    /// Laplace `b` or the Gaussian `σ`; 0 for k-anonymity.
    pub fn scale(&self, max_cells: u32) -> f64 {
        let cells = f64::from(max_cells.max(1));
        match *self {
            Guarantee::KAnonymity { .. } => 0.0,
            Guarantee::Laplace { epsilon } => cells / epsilon,
            Guarantee::Gaussian { epsilon, delta } => cells.sqrt() * (2.0 * (1.25 / delta).ln()).sqrt() / epsilon,
        }
    }
}

/// One subject's presence in one cell (a cell is the tuple of its group values).
pub type Fact = (String, Vec<String>);

/// Counts distinct subjects per cell, letting each subject into at most `max_cells` cells
/// (the first in cell order).
pub fn count_cells(facts: &[Fact], max_cells: u32) -> BTreeMap<Vec<String>, u64> {
    let mut per_subject: BTreeMap<&str, BTreeSet<&Vec<String>>> = BTreeMap::new();
    for (subject, cell) in facts {
        per_subject.entry(subject.as_str()).or_default().insert(cell);
    }
    let mut counts = BTreeMap::new();
    for cells in per_subject.values() {
        for cell in cells.iter().take(max_cells.max(1) as usize) {
            *counts.entry((*cell).clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// A released table: the cells with their counts, and how many cells were held back.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Released {
    pub cells: Vec<(Vec<String>, u64)>,
    /// k-anonymity: cells under k, not released.
    pub suppressed: usize,
}

/// Releases `counts` under k-anonymity: cells with fewer than `k` subjects are dropped.
pub fn suppress_small_cells(counts: &BTreeMap<Vec<String>, u64>, k: u32) -> Released {
    let (kept, dropped): (Vec<_>, Vec<_>) = counts.iter().partition(|(_, n)| **n >= u64::from(k));
    Released { cells: kept.into_iter().map(|(c, n)| (c.clone(), *n)).collect(), suppressed: dropped.len() }
}

/// A Laplace(0, b) draw from a uniform `u` in (0, 1).
pub fn laplace(b: f64, u: f64) -> f64 {
    let centred = u - 0.5;
    -b * centred.signum() * (1.0 - 2.0 * centred.abs()).ln()
}

/// A standard normal draw from two uniforms in (0, 1) (Box–Muller).
pub fn standard_normal(u1: f64, u2: f64) -> f64 {
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Releases every cell of `grid` with noise under `guarantee` (a DP one), drawing uniforms in
/// (0, 1) from `uniform`. `values` are counts, or sums whose per-subject contributions are
/// clipped to `unit` (1 for counts): the noise scale is the guarantee's times `unit`. Cells of
/// the grid with no subjects are released too (0 plus noise), so which cells exist reveals
/// nothing.
pub fn add_noise(
    values: &BTreeMap<Vec<String>, f64>,
    grid: &[Vec<String>],
    guarantee: &Guarantee,
    max_cells: u32,
    unit: f64,
    mut uniform: impl FnMut() -> f64,
) -> Released {
    let scale = guarantee.scale(max_cells) * unit;
    let cells = grid
        .iter()
        .map(|cell| {
            let truth = values.get(cell).copied().unwrap_or(0.0);
            let noise = match guarantee {
                Guarantee::Laplace { .. } => laplace(scale, uniform()),
                Guarantee::Gaussian { .. } => scale * standard_normal(uniform(), uniform()),
                Guarantee::KAnonymity { .. } => 0.0,
            };
            (cell.clone(), (truth + noise).round().max(0.0) as u64)
        })
        .collect();
    Released { cells, suppressed: 0 }
}

/// One subject's value in one cell, for sums.
pub type ValueFact = (String, Vec<String>, f64);

/// Per cell: the distinct subjects and the sum of their values, each subject's total in a
/// cell clipped to `0..=clip` and each subject in at most `max_cells` cells (the first in cell
/// order) — so one person moves a sum by at most `clip` per cell.
pub fn sum_cells(facts: &[ValueFact], max_cells: u32, clip: f64) -> BTreeMap<Vec<String>, (u64, f64)> {
    let mut per_subject: BTreeMap<&str, BTreeMap<&Vec<String>, f64>> = BTreeMap::new();
    for (subject, cell, value) in facts {
        *per_subject.entry(subject.as_str()).or_default().entry(cell).or_insert(0.0) += value;
    }
    let mut sums = BTreeMap::new();
    for cells in per_subject.values() {
        for (cell, total) in cells.iter().take(max_cells.max(1) as usize) {
            let entry = sums.entry((*cell).clone()).or_insert((0u64, 0.0f64));
            entry.0 += 1;
            entry.1 += total.clamp(0.0, clip);
        }
    }
    sums
}

/// Whether spending `cost` keeps `spent` within `budget` (each of ε and δ).
pub fn fits_budget(spent: (f64, f64), cost: (f64, f64), budget: (f64, f64)) -> bool {
    // A hair of tolerance so that spending exactly the budget in several steps is allowed.
    spent.0 + cost.0 <= budget.0 + 1e-9 && spent.1 + cost.1 <= budget.1 + 1e-15
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic uniform source for the tests (SplitMix64).
    fn uniforms(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
    }

    fn fact(subject: &str, cell: &[&str]) -> Fact {
        (subject.to_owned(), cell.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn cells_count_distinct_subjects_each_in_at_most_max_cells() {
        let facts = vec![
            fact("a", &["call", "2026-11"]),
            fact("a", &["call", "2026-11"]),
            fact("a", &["sms", "2026-11"]),
            fact("b", &["call", "2026-11"]),
            fact("c", &["sms", "2026-10"]),
        ];
        let one = count_cells(&facts, 1);
        assert_eq!(one[&vec!["call".to_owned(), "2026-11".to_owned()]], 2, "a counted once, b once");
        assert_eq!(one.get(&vec!["sms".to_owned(), "2026-11".to_owned()]), None, "a's second cell dropped by the bound");
        let two = count_cells(&facts, 2);
        assert_eq!(two[&vec!["sms".to_owned(), "2026-11".to_owned()]], 1);
    }

    #[test]
    fn no_released_cell_is_below_k() {
        let mut next = uniforms(7);
        for round in 0..200 {
            let facts: Vec<Fact> = (0..(round % 60 + 1))
                .map(|i| (format!("s{i}"), vec![format!("kind{}", (next() * 6.0) as u32), format!("m{}", (next() * 3.0) as u32)]))
                .collect();
            let k = 2 + round % 5;
            let counts = count_cells(&facts, 1);
            let released = suppress_small_cells(&counts, k);
            assert!(released.cells.iter().all(|(_, n)| *n >= u64::from(k)), "round {round}");
            assert_eq!(released.cells.len() + released.suppressed, counts.len());
        }
    }

    #[test]
    fn laplace_noise_has_the_configured_scale() {
        // E|X| = b for Laplace(0, b); the mean is 0.
        for (epsilon, cells) in [(0.5, 1), (1.0, 1), (0.5, 3)] {
            let g = Guarantee::Laplace { epsilon };
            let b = g.scale(cells);
            assert!((b - f64::from(cells) / epsilon).abs() < 1e-12);
            let mut u = uniforms(42);
            let n = 200_000;
            let draws: Vec<f64> = (0..n).map(|_| laplace(b, u())).collect();
            let mean = draws.iter().sum::<f64>() / f64::from(n);
            let mean_abs = draws.iter().map(|x| x.abs()).sum::<f64>() / f64::from(n);
            assert!(mean.abs() < 0.02 * b, "mean {mean} for b {b}");
            assert!((mean_abs / b - 1.0).abs() < 0.02, "E|X| {mean_abs} for b {b}");
        }
    }

    #[test]
    fn gaussian_noise_has_the_configured_scale() {
        let g = Guarantee::Gaussian { epsilon: 0.5, delta: 1e-6 };
        let sigma = g.scale(1);
        assert!((sigma - (2.0 * (1.25e6f64).ln()).sqrt() / 0.5).abs() < 1e-9);
        let mut u = uniforms(9);
        let n = 200_000;
        let draws: Vec<f64> = (0..n).map(|_| sigma * standard_normal(u(), u())).collect();
        let var = draws.iter().map(|x| x * x).sum::<f64>() / f64::from(n);
        assert!((var.sqrt() / sigma - 1.0).abs() < 0.02, "σ {} for {sigma}", var.sqrt());
    }

    #[test]
    fn noisy_tables_cover_the_whole_grid_and_parameters_are_checked() {
        let counts: BTreeMap<Vec<String>, f64> = count_cells(&[fact("a", &["x"])], 1).into_iter().map(|(c, n)| (c, n as f64)).collect();
        let grid = vec![vec!["x".to_owned()], vec!["y".to_owned()]];
        let released = add_noise(&counts, &grid, &Guarantee::Laplace { epsilon: 1.0 }, 1, 1.0, uniforms(1));
        assert_eq!(released.cells.len(), 2, "the empty cell is released too");
        for bad in [
            Guarantee::KAnonymity { k: 1 },
            Guarantee::Laplace { epsilon: 0.0 },
            Guarantee::Laplace { epsilon: f64::NAN },
            Guarantee::Laplace { epsilon: 11.0 },
            Guarantee::Gaussian { epsilon: 1.5, delta: 1e-6 },
            Guarantee::Gaussian { epsilon: 0.5, delta: 0.1 },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
        assert!(Guarantee::KAnonymity { k: 5 }.check().is_ok());
        assert_eq!(Guarantee::Gaussian { epsilon: 0.5, delta: 1e-6 }.cost(), (0.5, 1e-6));
    }

    #[test]
    fn sums_clip_each_subjects_share_of_a_cell() {
        let facts = vec![
            ("a".to_owned(), vec!["x".to_owned()], 50.0),
            ("a".to_owned(), vec!["x".to_owned()], 50.0),
            ("b".to_owned(), vec!["x".to_owned()], 10.0),
            ("b".to_owned(), vec!["y".to_owned()], 5.0),
            ("c".to_owned(), vec!["y".to_owned()], -3.0),
        ];
        let sums = sum_cells(&facts, 1, 60.0);
        assert_eq!(sums[&vec!["x".to_owned()]], (2, 70.0), "a's 100 clipped to 60, plus b's 10");
        assert_eq!(sums[&vec!["y".to_owned()]], (1, 0.0), "b counts in its first cell only; c's negative clipped to 0");
    }

    #[test]
    fn the_budget_refuses_what_goes_past_it() {
        let budget = (1.0, 1e-5);
        assert!(fits_budget((0.0, 0.0), (0.5, 0.0), budget));
        assert!(fits_budget((0.5, 0.0), (0.5, 0.0), budget), "exactly the budget");
        assert!(!fits_budget((0.5, 0.0), (0.6, 0.0), budget));
        assert!(!fits_budget((0.1, 1e-5), (0.1, 1e-6), budget), "δ counts too");
    }
}
