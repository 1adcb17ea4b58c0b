//! Turns a parsed access-log line into the line obereg keeps, with nothing that links it to a
//! person:
//!
//! - the IP address is replaced by a keyed pseudonym that changes every day (the same
//!   visitor is one pseudonym within a day, so daily unique visitors still count, and a
//!   different one the next day, so visits cannot be chained across days), or truncated to
//!   its network (/24 for IPv4, /48 for IPv6);
//! - the authenticated user name, cookie values and session ids are replaced by pseudonyms of
//!   the same kind (each kind keyed apart, so an IP and a cookie never share a pseudonym);
//! - query values named like session ids or tokens become pseudonyms; values named for what
//!   they are (`name`, `email`, `phone`, `passport`, …) become that type; the other values
//!   are scanned by the personal-data detector (`obereg-detect`) and replaced by the type
//!   found (`q=[EMAIL]`) — or the whole query is dropped (`QueryMode::Strip`);
//! - a path holding an `@` or a long digit run is scanned the same way (`/users/[EMAIL]/`);
//! - the referer keeps its scheme, host and path (scanned likewise), its query treated as
//!   above;
//! - the user agent is reduced to browser family, major version and system (`agent.rs`).
//!
//! Pseudonyms. The day key is HMAC-SHA256(tenant web-log key, "day" ‖ day number); the
//! tenant key is derived from the root key. A pseudonym is the first 8 bytes of
//! HMAC-SHA256(day key, kind ‖ value), in hex: 64 bits, so collisions within a day's
//! visitors are negligible, and without the root key nothing maps it back. With the root key
//! obereg can recompute one IP's pseudonym for one day — that is the documented, journaled
//! re-identification (`Engine::reidentify_weblog`), and nothing else does it.

use std::collections::HashMap;

use aws_lc_rs::hmac;
use zeroize::Zeroizing;

use super::parse::LogLine;

/// What becomes of IP addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IpMode {
    /// A keyed pseudonym that changes daily.
    #[default]
    Pseudonym,
    /// The network: /24 for IPv4, /48 for IPv6.
    Truncate,
}

/// What becomes of query strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryMode {
    /// Session-like values pseudonymised, the rest scanned for personal data.
    #[default]
    Scan,
    /// Dropped.
    Strip,
}

/// Query parameter names whose values identify a session or a person's account.
const SESSION_KEYS: [&str; 14] = [
    "sid",
    "session",
    "sessionid",
    "session_id",
    "phpsessid",
    "jsessionid",
    "token",
    "access_token",
    "refresh_token",
    "auth",
    "key",
    "api_key",
    "apikey",
    "uid",
];

/// Query parameter names that say what their value is: the value is replaced by that type
/// whatever it looks like (a lone first name has no pattern a detector could be sure of).
const PERSONAL_KEYS: [(&str, &str); 24] = [
    ("name", "PERSON"),
    ("fio", "PERSON"),
    ("full_name", "PERSON"),
    ("fullname", "PERSON"),
    ("first_name", "PERSON"),
    ("firstname", "PERSON"),
    ("last_name", "PERSON"),
    ("lastname", "PERSON"),
    ("surname", "PERSON"),
    ("patronymic", "PERSON"),
    ("email", "EMAIL"),
    ("mail", "EMAIL"),
    ("e-mail", "EMAIL"),
    ("phone", "PHONE"),
    ("tel", "PHONE"),
    ("mobile", "PHONE"),
    ("address", "ADDRESS"),
    ("addr", "ADDRESS"),
    ("passport", "RU_PASSPORT"),
    ("snils", "SNILS"),
    ("inn", "INN"),
    ("card", "CARD"),
    ("birthdate", "DATE_OF_BIRTH"),
    ("dob", "DATE_OF_BIRTH"),
];

/// Reduced agents cached before the cache is cleared.
const AGENT_CACHE_LIMIT: usize = 10_000;
/// Cached pseudonyms per day before the cache is cleared (bounds memory on huge logs).
const CACHE_LIMIT: usize = 1 << 20;

/// The pseudonymising writer of kept lines, one per tenant and ingest.
pub struct Sanitizer {
    tenant_key: hmac::Key,
    ip: IpMode,
    query: QueryMode,
    day: i64,
    day_key: Option<hmac::Key>,
    /// (kind, value) → pseudonym, for the current day.
    cache: HashMap<Vec<u8>, [u8; 16]>,
    probe: Vec<u8>,
    decoded: Vec<u8>,
    /// Agent → its reduced form.
    agents: HashMap<String, String>,
}

impl std::fmt::Debug for Sanitizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sanitizer").field("ip", &self.ip).field("query", &self.query).finish_non_exhaustive()
    }
}

/// Appends `s` as a JSON string.
pub(crate) fn push_json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escape);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Appends `n` in decimal, zero-padded to `width`.
fn push_num(out: &mut Vec<u8>, n: u64, width: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in (buf.len() - i)..width {
        out.push(b'0');
    }
    out.extend_from_slice(&buf[i..]);
}

fn push_time(out: &mut Vec<u8>, unix: i64) {
    let (day, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400) as u64);
    let (y, m, d) = civil_from_days(day);
    push_num(out, y.max(0) as u64, 4);
    out.push(b'-');
    push_num(out, u64::from(m), 2);
    out.push(b'-');
    push_num(out, u64::from(d), 2);
    out.push(b'T');
    push_num(out, secs / 3600, 2);
    out.push(b':');
    push_num(out, secs % 3600 / 60, 2);
    out.push(b':');
    push_num(out, secs % 60, 2);
    out.push(b'Z');
}

fn hex16(bytes: &[u8]) -> [u8; 16] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (i, b) in bytes.iter().take(8).enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// Percent-decodes `s` (and `+` as a space) into `out`.
fn percent_decode(s: &str, out: &mut Vec<u8>) {
    out.clear();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hi = (b[i + 1] as char).to_digit(16);
                let lo = (b[i + 2] as char).to_digit(16);
                match (hi, lo) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}

/// Whether a path segment may hold personal data worth a scan: an `@`, or six digits in a row.
fn suspicious(s: &str) -> bool {
    if memchr::memchr(b'@', s.as_bytes()).is_some() || s.contains("%40") {
        return true;
    }
    let mut run = 0;
    for b in s.bytes() {
        if b.is_ascii_digit() {
            run += 1;
            if run >= 6 {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

impl Sanitizer {
    pub fn new(tenant_key: &Zeroizing<[u8; 32]>, ip: IpMode, query: QueryMode) -> Self {
        Self {
            tenant_key: hmac::Key::new(hmac::HMAC_SHA256, tenant_key.as_ref()),
            ip,
            query,
            day: i64::MIN,
            day_key: None,
            cache: HashMap::new(),
            probe: Vec::with_capacity(256),
            decoded: Vec::with_capacity(256),
            agents: HashMap::new(),
        }
    }

    /// The pseudonym of `value` as `kind` on day `day` (hex, 16 characters).
    pub fn pseudonym(&mut self, day: i64, kind: u8, value: &[u8]) -> [u8; 16] {
        if day != self.day || self.day_key.is_none() {
            let mut label = b"day".to_vec();
            label.extend_from_slice(&day.to_be_bytes());
            let tag = hmac::sign(&self.tenant_key, &label);
            self.day_key = Some(hmac::Key::new(hmac::HMAC_SHA256, tag.as_ref()));
            self.day = day;
            self.cache.clear();
        }
        self.probe.clear();
        self.probe.push(kind);
        self.probe.extend_from_slice(value);
        if let Some(p) = self.cache.get(&self.probe) {
            return *p;
        }
        let Some(key) = &self.day_key else { return [b'0'; 16] };
        let p = hex16(hmac::sign(key, &self.probe).as_ref());
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(self.probe.clone(), p);
        p
    }

    fn push_pseudonym(&mut self, out: &mut Vec<u8>, day: i64, kind: u8, value: &[u8]) {
        let p = self.pseudonym(day, kind, value);
        out.push(b'"');
        out.extend_from_slice(&p);
        out.push(b'"');
    }

    fn push_ip(&mut self, out: &mut Vec<u8>, day: i64, ip: &str) {
        if self.ip == IpMode::Truncate
            && let Ok(addr) = ip.parse::<std::net::IpAddr>()
        {
            let net = match addr {
                std::net::IpAddr::V4(v4) => {
                    let o = v4.octets();
                    format!("{}.{}.{}.0/24", o[0], o[1], o[2])
                }
                std::net::IpAddr::V6(v6) => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
                }
            };
            push_json_str(out, &net);
            return;
        }
        self.push_pseudonym(out, day, b'i', ip.as_bytes());
    }

    /// Writes `text` (a path) with personal data the detector finds replaced by its type.
    fn push_scanned(&mut self, out: &mut Vec<u8>, text: &str) {
        if !suspicious(text) {
            push_json_str(out, text);
            return;
        }
        percent_decode(text, &mut self.decoded);
        let findings = obereg_detect::detect(&self.decoded);
        if findings.is_empty() {
            push_json_str(out, text);
            return;
        }
        let mut clean = String::with_capacity(self.decoded.len());
        let mut at = 0;
        for f in &findings {
            if f.start < at {
                continue;
            }
            clean.push_str(&String::from_utf8_lossy(&self.decoded[at..f.start]));
            clean.push('[');
            clean.push_str(f.kind.as_str());
            clean.push(']');
            at = f.end;
        }
        clean.push_str(&String::from_utf8_lossy(&self.decoded[at..]));
        push_json_str(out, &clean);
    }

    /// Writes a query string (without `?`) as kept: session values pseudonymised, values
    /// holding personal data replaced by its type.
    fn push_query(&mut self, out: &mut Vec<u8>, day: i64, query: &str) {
        let mut kept = String::with_capacity(query.len());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            if !kept.is_empty() {
                kept.push('&');
            }
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            kept.push_str(key);
            if pair.contains('=') {
                kept.push('=');
            }
            if value.is_empty() {
                continue;
            }
            if SESSION_KEYS.iter().any(|k| key.eq_ignore_ascii_case(k)) {
                let p = self.pseudonym(day, b'q', value.as_bytes());
                kept.push_str(std::str::from_utf8(&p).unwrap_or(""));
                continue;
            }
            if let Some((_, label)) = PERSONAL_KEYS.iter().find(|(k, _)| key.eq_ignore_ascii_case(k)) {
                kept.push('[');
                kept.push_str(label);
                kept.push(']');
                continue;
            }
            percent_decode(value, &mut self.decoded);
            let found = if self.decoded.len() >= 3 { obereg_detect::detect(&self.decoded) } else { Vec::new() };
            match found.first() {
                Some(f) => {
                    kept.push('[');
                    kept.push_str(f.kind.as_str());
                    kept.push(']');
                }
                None => kept.push_str(value),
            }
        }
        push_json_str(out, &kept);
    }

    /// Appends the kept form of `line` as one JSON line.
    pub fn write(&mut self, line: &LogLine<'_>, out: &mut Vec<u8>) {
        let day = line.unix.div_euclid(86_400);
        out.extend_from_slice(b"{\"t\":\"");
        push_time(out, line.unix);
        out.extend_from_slice(b"\",\"ip\":");
        self.push_ip(out, day, &line.ip);
        if !line.user.is_empty() {
            out.extend_from_slice(b",\"user\":");
            self.push_pseudonym(out, day, b'u', line.user.as_bytes());
        }
        out.extend_from_slice(b",\"m\":");
        push_json_str(out, &line.method);
        let (path, query) = line.target.split_once('?').unwrap_or((&line.target, ""));
        out.extend_from_slice(b",\"path\":");
        self.push_scanned(out, path);
        if !query.is_empty() && self.query == QueryMode::Scan {
            out.extend_from_slice(b",\"q\":");
            self.push_query(out, day, query);
        }
        out.extend_from_slice(b",\"st\":");
        push_num(out, u64::from(line.status), 1);
        out.extend_from_slice(b",\"b\":");
        push_num(out, line.bytes, 1);
        if !line.referer.is_empty() {
            out.extend_from_slice(b",\"ref\":");
            let (base, query) = line.referer.split_once('?').unwrap_or((&line.referer, ""));
            self.push_scanned(out, base);
            if !query.is_empty() && self.query == QueryMode::Scan {
                out.extend_from_slice(b",\"ref_q\":");
                self.push_query(out, day, query);
            }
        }
        out.extend_from_slice(b",\"ua\":");
        // Sites see a few hundred distinct agents a day: reduce each once.
        if !self.agents.contains_key(line.agent.as_ref()) {
            if self.agents.len() >= AGENT_CACHE_LIMIT {
                self.agents.clear();
            }
            self.agents.insert(line.agent.to_string(), super::agent::reduce(&line.agent));
        }
        if let Some(reduced) = self.agents.get(line.agent.as_ref()) {
            push_json_str(out, reduced);
        }
        if !line.cookie.is_empty() {
            out.extend_from_slice(b",\"ck\":");
            // Each cookie keeps its name; its value becomes a pseudonym.
            let mut kept = String::with_capacity(line.cookie.len());
            for part in line.cookie.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                if !kept.is_empty() {
                    kept.push_str("; ");
                }
                let (name, value) = part.split_once('=').unwrap_or((part, ""));
                kept.push_str(name);
                kept.push('=');
                let p = self.pseudonym(day, b'c', value.as_bytes());
                kept.push_str(std::str::from_utf8(&p).unwrap_or(""));
            }
            push_json_str(out, &kept);
        }
        if !line.session.is_empty() {
            out.extend_from_slice(b",\"sess\":");
            self.push_pseudonym(out, day, b's', line.session.as_bytes());
        }
        out.extend_from_slice(b"}\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::weblogs::parse::{parse_combined, parse_json};

    fn sanitizer(ip: IpMode, query: QueryMode) -> Sanitizer {
        Sanitizer::new(&Zeroizing::new([7u8; 32]), ip, query)
    }

    fn kept(s: &mut Sanitizer, line: &[u8]) -> String {
        let parsed = if line.starts_with(b"{") { parse_json(line).unwrap() } else { parse_combined(line).unwrap() };
        let mut out = Vec::new();
        s.write(&parsed, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn nothing_that_points_at_a_person_is_kept() {
        let mut s = sanitizer(IpMode::Pseudonym, QueryMode::Scan);
        let line = br#"203.0.113.7 - ivan.petrov [21/Nov/2026:10:00:00 +0300] "GET /users/ivan.petrov@example.ru/orders?sid=8f3a9c&email=ivan.petrov%40example.ru&phone=%2B79161234567&page=2 HTTP/1.1" 200 512 "https://shop.example/search?q=%D0%B8%D0%B2%D0%B0%D0%BD&token=abc" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.6099.199 Safari/537.36""#;
        let out = kept(&mut s, line);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        for leak in ["203.0.113", "ivan", "8f3a9c", "79161234567", "abc\"", "6099"] {
            assert!(!out.contains(leak), "{leak} leaked: {out}");
        }
        assert_eq!(v["t"], "2026-11-21T07:00:00Z");
        assert_eq!(v["ip"].as_str().unwrap().len(), 16);
        assert_eq!(v["path"], "/users/[EMAIL]/orders");
        let q = v["q"].as_str().unwrap();
        assert!(q.starts_with("sid=") && q.contains("&email=[EMAIL]&phone=[PHONE]&page=2"), "{q}");
        assert_eq!(v["ref"], "https://shop.example/search");
        assert_eq!(v["ua"], "Chrome 120 / Windows");
        assert_eq!((v["st"].as_u64(), v["b"].as_u64()), (Some(200), Some(512)));
    }

    #[test]
    fn pseudonyms_hold_within_a_day_and_change_the_next() {
        let mut s = sanitizer(IpMode::Pseudonym, QueryMode::Scan);
        let at = |t: &str| format!(r#"198.51.100.4 - - [{t}] "GET / HTTP/1.1" 200 1 "-" "-""#);
        let ip = |out: String| serde_json::from_str::<serde_json::Value>(&out).unwrap()["ip"].as_str().unwrap().to_owned();
        let morning = ip(kept(&mut s, at("21/Nov/2026:08:00:00 +0000").as_bytes()));
        let evening = ip(kept(&mut s, at("21/Nov/2026:20:00:00 +0000").as_bytes()));
        let next = ip(kept(&mut s, at("22/Nov/2026:08:00:00 +0000").as_bytes()));
        assert_eq!(morning, evening);
        assert_ne!(morning, next);
        // Another tenant's key gives another pseudonym for the same address and day.
        let mut other = Sanitizer::new(&Zeroizing::new([8u8; 32]), IpMode::Pseudonym, QueryMode::Scan);
        assert_ne!(ip(kept(&mut other, at("21/Nov/2026:08:00:00 +0000").as_bytes())), morning);
        // An IP and a cookie with the same text do not share a pseudonym.
        let day = "2026-11-21T08:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second() / 86_400;
        assert_ne!(s.pseudonym(day, b'i', b"x"), s.pseudonym(day, b'c', b"x"));
    }

    #[test]
    fn truncation_stripping_cookies_and_sessions() {
        let mut s = sanitizer(IpMode::Truncate, QueryMode::Strip);
        let out = kept(&mut s, br#"203.0.113.7 - - [21/Nov/2026:10:00:00 +0000] "GET /a?email=x%40y.ru HTTP/1.1" 200 1 "-" "-""#);
        assert!(out.contains("\"ip\":\"203.0.113.0/24\"") && !out.contains("\"q\"") && !out.contains("x%40y"), "{out}");
        let v6 = kept(&mut s, br#"2001:db8:85a3:8d3:1319:8a2e:370:7348 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1"#);
        assert!(v6.contains("\"ip\":\"2001:db8:85a3::/48\""), "{v6}");
        let json = kept(
            &mut s,
            br#"{"time":"2026-11-21T10:00:00Z","ip":"10.1.2.3","method":"GET","path":"/","status":200,"cookie":"PHPSESSID=deadbeef; theme=dark","session":"s-777"}"#,
        );
        assert!(!json.contains("deadbeef") && !json.contains("s-777") && !json.contains("dark"), "{json}");
        assert!(json.contains("\"ck\":\"PHPSESSID=") && json.contains("; theme="), "{json}");
    }

    #[test]
    fn json_strings_are_escaped_and_dates_are_civil() {
        let mut out = Vec::new();
        push_json_str(&mut out, "a\"b\\c\n\u{1}д");
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\n\\u0001д\"");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(super::super::parse::days_from_civil(2026, 11, 21)), (2026, 11, 21));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
