//! Traffic statistics from the kept lines: requests, bytes and unique visitors per day,
//! requests by hour of day and by status class, the most requested paths and the browser
//! families. Unique visitors are distinct pseudonyms (or networks) per day — the daily key
//! change is what makes a visitor countable within a day and not across days. Rare paths
//! (fewer than [`MIN_PATH_COUNT`] requests in the range) are not listed: a path hit once can
//! be one person's page.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::segments;

/// Paths requested fewer times than this are left out of the top list.
pub const MIN_PATH_COUNT: u64 = 10;
/// How many paths and browser families are listed.
const TOP: usize = 20;

/// One day's totals.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DayTraffic {
    pub date: String,
    pub requests: u64,
    pub bytes: u64,
    pub visitors: u64,
}

/// Statistics over a range of days.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TrafficStats {
    pub requests: u64,
    pub bytes: u64,
    /// The sum of each day's unique visitors.
    pub visitor_days: u64,
    pub bots: u64,
    pub days: Vec<DayTraffic>,
    /// Requests by UTC hour of day, 0–23.
    pub by_hour: Vec<u64>,
    /// Requests by status class: `2xx`, `3xx`, `4xx`, `5xx`, `other`.
    pub by_status: BTreeMap<String, u64>,
    /// The most requested paths with at least `MIN_PATH_COUNT` requests.
    pub top_paths: Vec<(String, u64)>,
    /// Browser families (the reduced agent without its system).
    pub agents: Vec<(String, u64)>,
    /// Stored lines that could not be read (a torn last line after a crash).
    pub unreadable: u64,
}

#[derive(serde::Deserialize)]
struct Kept {
    t: String,
    ip: String,
    path: String,
    st: u16,
    b: u64,
    ua: String,
}

fn top(counts: HashMap<String, u64>, min: u64) -> Vec<(String, u64)> {
    let mut list: Vec<(String, u64)> = counts.into_iter().filter(|(_, n)| *n >= min).collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list.truncate(TOP);
    list
}

/// Reads the day files of `first..=last`.
pub(super) fn compute(root: &Path, tenant: &str, first: i64, last: i64) -> std::io::Result<TrafficStats> {
    let mut stats = TrafficStats { by_hour: vec![0; 24], ..Default::default() };
    let mut paths: HashMap<String, u64> = HashMap::new();
    let mut agents: HashMap<String, u64> = HashMap::new();
    for day in segments::days(root, tenant)?.into_iter().filter(|d| (first..=last).contains(d)) {
        let file = std::fs::File::open(segments::day_path(root, tenant, day))?;
        let mut today = DayTraffic { date: segments::day_name(day), requests: 0, bytes: 0, visitors: 0 };
        let mut visitors = HashSet::new();
        for line in BufReader::with_capacity(1 << 20, file).lines() {
            let line = line?;
            let Ok(k) = serde_json::from_str::<Kept>(&line) else {
                stats.unreadable += 1;
                continue;
            };
            today.requests += 1;
            today.bytes += k.b;
            visitors.insert(k.ip);
            if let Some(hour) = k.t.get(11..13).and_then(|h| h.parse::<usize>().ok()).filter(|h| *h < 24) {
                stats.by_hour[hour] += 1;
            }
            let class = match k.st {
                200..=299 => "2xx",
                300..=399 => "3xx",
                400..=499 => "4xx",
                500..=599 => "5xx",
                _ => "other",
            };
            *stats.by_status.entry(class.into()).or_default() += 1;
            if k.ua.ends_with("(bot)") {
                stats.bots += 1;
            }
            let family = k.ua.split(" / ").next().unwrap_or("").to_owned();
            *agents.entry(family).or_default() += 1;
            *paths.entry(k.path).or_default() += 1;
        }
        today.visitors = visitors.len() as u64;
        stats.requests += today.requests;
        stats.bytes += today.bytes;
        stats.visitor_days += today.visitors;
        stats.days.push(today);
    }
    stats.top_paths = top(paths, MIN_PATH_COUNT);
    stats.agents = top(agents, 1);
    Ok(stats)
}
