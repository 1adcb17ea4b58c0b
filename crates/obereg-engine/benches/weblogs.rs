//! Access-log ingest on one core: a generated nginx combined log (OBEREG_BENCH_LOG_MB,
//! default 200 MB) of a busy site — 50 000 addresses, a third of the requests with a query
//! string (UTM tags, searches, some emails and phones, session ids), real browsers' and bots'
//! agents, referers — parsed, pseudonymised, scanned and written to day files, the whole
//! pipeline `obereg logs ingest` runs (`weblogs::sanitize_stream` into `Segments`).
//!
//! Run: `cargo bench -p obereg-engine --bench weblogs`

use std::time::Instant;

use obereg_engine::weblogs::segments::Segments;
use obereg_engine::weblogs::{IpMode, QueryMode, Sanitizer, sanitize_stream};
use zeroize::Zeroizing;

const AGENTS: [&str; 6] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.199 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 YaBrowser/23.11.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
];

const PATHS: [&str; 8] = [
    "/",
    "/catalog/voice-robots",
    "/pricing",
    "/static/app.9f3a1c.js",
    "/static/style.css",
    "/api/v1/widget/config",
    "/blog/2026/11/how-robots-call",
    "/contacts",
];

const QUERIES: [&str; 6] = [
    "utm_source=yandex&utm_medium=cpc&utm_campaign=robots_msk",
    "q=%D0%B3%D0%BE%D0%BB%D0%BE%D1%81%D0%BE%D0%B2%D0%BE%D0%B9+%D1%80%D0%BE%D0%B1%D0%BE%D1%82&page=2",
    "sid=a8f3c9e1b2d4f6a8&lang=ru",
    "email=client{}%40mail.ru&source=form",
    "phone=%2B7916{}&callback=1",
    "page=3&sort=price_asc",
];

fn generate(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 1024);
    let mut i: u64 = 0;
    while out.len() < bytes {
        let ip = format!("{}.{}.{}.{}", 10 + (i * 7919 % 200), (i * 104_729) % 256, (i * 1_299_709) % 256, (i % 50_000) % 254 + 1);
        let path = PATHS[(i % 8) as usize];
        let target = if i.is_multiple_of(3) {
            format!("{path}?{}", QUERIES[(i / 3 % 6) as usize].replace("{}", &format!("{:07}", i % 10_000_000)))
        } else {
            path.to_owned()
        };
        let status = match i % 20 {
            0 => 404,
            1 => 304,
            2 => 302,
            _ => 200,
        };
        let secs = i % 86_400;
        let line = format!(
            "{ip} - - [21/Nov/2026:{:02}:{:02}:{:02} +0300] \"GET {target} HTTP/1.1\" {status} {} \"https://yandex.ru/search/?text=voice+robot\" \"{}\"\n",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60,
            500 + i % 40_000,
            AGENTS[(i % 6) as usize]
        );
        out.extend_from_slice(line.as_bytes());
        i += 1;
    }
    out
}

fn main() {
    let mb: usize = std::env::var("OBEREG_BENCH_LOG_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let input = generate(mb * 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    for (label, ip, query) in
        [("pseudonym + scan", IpMode::Pseudonym, QueryMode::Scan), ("truncate + strip", IpMode::Truncate, QueryMode::Strip)]
    {
        let mut best = f64::MAX;
        let mut report = None;
        for round in 0..3 {
            let root = dir.path().join(format!("{label}-{round}").replace([' ', '+'], "_"));
            let mut sanitizer = Sanitizer::new(&Zeroizing::new([42u8; 32]), ip, query);
            let mut segments = Segments::new(&root, "default").unwrap();
            let start = Instant::now();
            let r = sanitize_stream(&mut sanitizer, &input[..], i64::MIN, &mut segments).unwrap();
            segments.finish().unwrap();
            best = best.min(start.elapsed().as_secs_f64());
            report = Some(r);
        }
        let r = report.unwrap();
        println!(
            "weblog ingest ({label}): {:.1} MB in {:.3} s = {:.1} MB/s; {} lines ({:.0} lines/s), kept {}, malformed {}",
            input.len() as f64 / 1e6,
            best,
            input.len() as f64 / 1e6 / best,
            r.lines,
            r.lines as f64 / best,
            r.kept,
            r.malformed
        );
    }
}
