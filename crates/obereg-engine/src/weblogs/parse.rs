//! Web-server access log lines: the nginx/Apache "combined" format and JSON lines, parsed
//! without copying (fields borrow from the input line) and without regular expressions —
//! ingest has to keep up with 100 MB/s on one core.
//!
//! Combined: `IP - USER [10/Oct/2000:13:55:36 -0700] "GET /path?q HTTP/1.1" 200 2326
//! "REFERER" "USER AGENT"` (the "common" format, without the last two, is accepted too).
//! JSON lines: one object per line with the usual nginx/Apache names or their short forms
//! (`remote_addr`|`ip`|`client_ip`, `time_local`|`time_iso8601`|`time`|`timestamp`|
//! `@timestamp`, `request` or `method` + `uri`|`request_uri`|`path`, `status`,
//! `body_bytes_sent`|`bytes`, `http_referer`|`referer`, `http_user_agent`|`user_agent`,
//! `http_cookie`|`cookie`, `session`|`session_id`).

use std::borrow::Cow;

/// One parsed line. Byte fields are as in the input, "-" already turned into empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// Seconds since 1970-01-01 UTC.
    pub unix: i64,
    pub ip: Cow<'a, str>,
    /// The authenticated user name, empty when none.
    pub user: Cow<'a, str>,
    pub method: Cow<'a, str>,
    /// Path and query as requested.
    pub target: Cow<'a, str>,
    pub status: u16,
    pub bytes: u64,
    pub referer: Cow<'a, str>,
    pub agent: Cow<'a, str>,
    pub cookie: Cow<'a, str>,
    pub session: Cow<'a, str>,
}

/// Why a line was skipped (counted, never echoed: a bad line may hold anything).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadLine {
    Format,
    Time,
    Encoding,
}

fn dash(text: &str) -> &str {
    if text == "-" { "" } else { text }
}

/// Days from 1970-01-01 to a civil date (proleptic Gregorian), H. Hinnant's algorithm.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    b.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

const MONTHS: [&[u8; 3]; 12] = [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// `10/Oct/2000:13:55:36 -0700` → Unix seconds.
pub fn parse_clf_time(t: &[u8]) -> Option<i64> {
    if t.len() != 26 || t[2] != b'/' || t[6] != b'/' || t[11] != b':' || t[14] != b':' || t[17] != b':' || t[20] != b' ' {
        return None;
    }
    let day = digits(&t[0..2])?;
    let month = MONTHS.iter().position(|m| m[..] == t[3..6])? as u32 + 1;
    let year = digits(&t[7..11])?;
    let (h, mi, s) = (digits(&t[12..14])?, digits(&t[15..17])?, digits(&t[18..20])?);
    let sign = match t[21] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (oh, om) = (digits(&t[22..24])?, digits(&t[24..26])?);
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || s > 60 || oh > 23 || om > 59 {
        return None;
    }
    let local = days_from_civil(i64::from(year), month, day) * 86_400 + i64::from(h * 3600 + mi * 60 + s);
    Some(local - sign * i64::from(oh * 3600 + om * 60))
}

/// An ISO 8601 / RFC 3339 time (`2026-11-21T10:00:00+03:00`, `…Z`, with fractions).
fn parse_iso_time(t: &str) -> Option<i64> {
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    parse_clf_time(t.as_bytes())
}

/// Splits `"…"` off the front of `rest` (after optional spaces); the quoted text may hold
/// `\"` escapes, as nginx writes them.
fn quoted(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = rest.trim_ascii_start();
    let body = rest.strip_prefix(b"\"")?;
    let mut i = 0;
    loop {
        let at = memchr::memchr2(b'"', b'\\', &body[i..])? + i;
        if body[at] == b'\\' {
            i = at + 2;
            if i > body.len() {
                return None;
            }
            continue;
        }
        return Some((&body[..at], &body[at + 1..]));
    }
}

/// Splits the next space-separated word off `rest`.
fn word(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = rest.trim_ascii_start();
    if rest.is_empty() {
        return None;
    }
    let end = memchr::memchr(b' ', rest).unwrap_or(rest.len());
    Some((&rest[..end], &rest[end..]))
}

fn text(b: &[u8]) -> Result<&str, BadLine> {
    std::str::from_utf8(b).map_err(|_| BadLine::Encoding)
}

/// Undoes nginx's `\"` and `\\` escapes (and `\xHH`, which it writes for other bytes).
fn unescape(b: &[u8]) -> Result<Cow<'_, str>, BadLine> {
    if memchr::memchr(b'\\', b).is_none() {
        return text(b).map(Cow::Borrowed);
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() {
            match b[i + 1] {
                b'x' if i + 3 < b.len() => {
                    let hex = std::str::from_utf8(&b[i + 2..i + 4]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                    match hex {
                        Some(v) => {
                            out.push(v);
                            i += 4;
                        }
                        None => {
                            out.push(b'\\');
                            i += 1;
                        }
                    }
                }
                c => {
                    out.push(c);
                    i += 2;
                }
            }
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
}

/// Parses one line of the combined (or common) format.
pub fn parse_combined(line: &[u8]) -> Result<LogLine<'_>, BadLine> {
    let (ip, rest) = word(line).ok_or(BadLine::Format)?;
    let (_ident, rest) = word(rest).ok_or(BadLine::Format)?;
    let (user, rest) = word(rest).ok_or(BadLine::Format)?;
    let rest = rest.trim_ascii_start();
    let rest = rest.strip_prefix(b"[").ok_or(BadLine::Format)?;
    let close = memchr::memchr(b']', rest).ok_or(BadLine::Format)?;
    let unix = parse_clf_time(&rest[..close]).ok_or(BadLine::Time)?;
    let (request, rest) = quoted(&rest[close + 1..]).ok_or(BadLine::Format)?;
    let (status, rest) = word(rest).ok_or(BadLine::Format)?;
    let (bytes, rest) = word(rest).ok_or(BadLine::Format)?;
    let status = digits(status).filter(|s| (100..=999).contains(s)).ok_or(BadLine::Format)? as u16;
    let bytes = if bytes == b"-" { 0 } else { u64::from(digits(bytes).ok_or(BadLine::Format)?) };
    let (referer, agent) = match quoted(rest) {
        Some((referer, rest)) => (referer, quoted(rest).map(|(a, _)| a).unwrap_or_default()),
        None => (&b""[..], &b""[..]),
    };
    // "GET /path HTTP/1.1"; a bare target or garbage (a scanner's bytes) keeps what it can.
    let (method, target) = match memchr::memchr(b' ', request) {
        Some(sp) => {
            let target = &request[sp + 1..];
            let end = memchr::memrchr(b' ', target).filter(|&e| target[e + 1..].starts_with(b"HTTP/")).unwrap_or(target.len());
            (&request[..sp], &target[..end])
        }
        None => (&b""[..], request),
    };
    Ok(LogLine {
        unix,
        ip: Cow::Borrowed(text(ip)?),
        user: Cow::Borrowed(dash(text(user)?)),
        method: unescape(method)?,
        target: unescape(target)?,
        status,
        bytes,
        referer: unescape(referer).map(|r| if r == "-" { Cow::Borrowed("") } else { r })?,
        agent: unescape(agent).map(|a| if a == "-" { Cow::Borrowed("") } else { a })?,
        cookie: Cow::Borrowed(""),
        session: Cow::Borrowed(""),
    })
}

/// A number written as a number or as a string.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Number<'a> {
    N(u64),
    #[serde(borrow)]
    S(Cow<'a, str>),
}

impl Number<'_> {
    fn value(&self) -> Option<u64> {
        match self {
            Number::N(n) => Some(*n),
            Number::S(s) if s == "-" || s.is_empty() => Some(0),
            Number::S(s) => s.parse().ok(),
        }
    }
}

#[derive(serde::Deserialize)]
struct JsonLine<'a> {
    #[serde(borrow, alias = "ip", alias = "client_ip", alias = "remote_ip")]
    remote_addr: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "user")]
    remote_user: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "time_iso8601", alias = "time", alias = "timestamp", alias = "@timestamp")]
    time_local: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "request_method")]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "request_uri", alias = "path", alias = "url")]
    uri: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Number<'a>>,
    #[serde(borrow, alias = "bytes", alias = "bytes_sent", alias = "size")]
    body_bytes_sent: Option<Number<'a>>,
    #[serde(borrow, alias = "referer", alias = "referrer")]
    http_referer: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "user_agent", alias = "agent")]
    http_user_agent: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "cookie")]
    http_cookie: Option<Cow<'a, str>>,
    #[serde(borrow, alias = "session_id", alias = "sid")]
    session: Option<Cow<'a, str>>,
}

fn or_empty(v: Option<Cow<'_, str>>) -> Cow<'_, str> {
    match v {
        Some(s) if s == "-" => Cow::Borrowed(""),
        Some(s) => s,
        None => Cow::Borrowed(""),
    }
}

/// Parses one JSON line.
pub fn parse_json(line: &[u8]) -> Result<LogLine<'_>, BadLine> {
    let j: JsonLine<'_> = serde_json::from_slice(line).map_err(|_| BadLine::Format)?;
    let unix = j.time_local.as_deref().and_then(parse_iso_time).ok_or(BadLine::Time)?;
    let (method, target) = match (j.method, j.uri, j.request) {
        (m, Some(u), _) => (or_empty(m), u),
        (_, None, Some(request)) => {
            let mut parts = request.split(' ');
            let method = parts.next().unwrap_or("").to_owned();
            let target = parts.next().unwrap_or("").to_owned();
            (Cow::Owned(method), Cow::Owned(target))
        }
        (m, None, None) => (or_empty(m), Cow::Borrowed("")),
    };
    Ok(LogLine {
        unix,
        ip: j.remote_addr.ok_or(BadLine::Format)?,
        user: or_empty(j.remote_user),
        method,
        target,
        status: j.status.and_then(|s| s.value()).filter(|s| (100..=999).contains(s)).ok_or(BadLine::Format)? as u16,
        bytes: j.body_bytes_sent.and_then(|b| b.value()).unwrap_or(0),
        referer: or_empty(j.http_referer),
        agent: or_empty(j.http_user_agent),
        cookie: or_empty(j.http_cookie),
        session: or_empty(j.session),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_combined_format_parses_field_by_field() {
        let line = br#"203.0.113.7 - alice [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?id=5 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;
        let l = parse_combined(line).unwrap();
        assert_eq!(l.unix, "2000-10-10T20:55:36Z".parse::<jiff::Timestamp>().unwrap().as_second());
        assert_eq!((&*l.ip, &*l.user, &*l.method, &*l.target), ("203.0.113.7", "alice", "GET", "/apache_pb.gif?id=5"));
        assert_eq!((l.status, l.bytes), (200, 2326));
        assert_eq!((&*l.referer, &*l.agent), ("http://www.example.com/start.html", "Mozilla/4.08 [en] (Win98; I ;Nav)"));
        // The common format, dashes, an escaped quote and a scanner's garbage request.
        let common = parse_combined(br#"::1 - - [21/Nov/2026:00:00:01 +0300] "GET / HTTP/1.1" 304 -"#).unwrap();
        assert_eq!((&*common.user, common.bytes, &*common.referer), ("", 0, ""));
        let escaped = parse_combined(br#"1.2.3.4 - - [21/Nov/2026:00:00:01 +0000] "GET /a\"b HTTP/1.1" 404 10 "-" "x\"y""#).unwrap();
        assert_eq!((&*escaped.target, &*escaped.agent), ("/a\"b", "x\"y"));
        let garbage = parse_combined(br#"1.2.3.4 - - [21/Nov/2026:00:00:01 +0000] "\x16\x03\x01" 400 0 "-" "-""#).unwrap();
        assert_eq!((&*garbage.method, garbage.status), ("", 400));
    }

    #[test]
    fn broken_lines_are_refused_by_reason() {
        assert_eq!(parse_combined(b"").unwrap_err(), BadLine::Format);
        assert_eq!(parse_combined(b"1.2.3.4 - - [99/Zzz/2000:13:55:36 -0700] \"GET / HTTP/1.1\" 200 1").unwrap_err(), BadLine::Time);
        assert_eq!(parse_combined(b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1\" abc 1").unwrap_err(), BadLine::Format);
        assert_eq!(parse_combined(b"1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.1").unwrap_err(), BadLine::Format);
        assert_eq!(parse_json(b"{not json").unwrap_err(), BadLine::Format);
        assert_eq!(parse_json(br#"{"remote_addr":"1.2.3.4","status":200}"#).unwrap_err(), BadLine::Time);
    }

    #[test]
    fn json_lines_take_the_usual_names() {
        let l = parse_json(
            br#"{"time_iso8601":"2026-11-21T10:00:00+03:00","remote_addr":"198.51.100.9","request":"POST /form?email=a%40b.ru HTTP/2.0","status":"201","body_bytes_sent":"12","http_referer":"-","http_user_agent":"curl/8.5.0","http_cookie":"sid=abc; theme=dark"}"#,
        )
        .unwrap();
        assert_eq!(l.unix, "2026-11-21T07:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second());
        assert_eq!((&*l.method, &*l.target, l.status, l.bytes), ("POST", "/form?email=a%40b.ru", 201, 12));
        assert_eq!((&*l.referer, &*l.cookie), ("", "sid=abc; theme=dark"));
        let short =
            parse_json(br#"{"@timestamp":"2026-11-21T07:00:00Z","ip":"::1","method":"GET","path":"/x","status":200,"session_id":"s1"}"#)
                .unwrap();
        assert_eq!((&*short.ip, &*short.target, &*short.session), ("::1", "/x", "s1"));
    }

    #[test]
    fn civil_days_match_jiff() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2026, 11, 21), (1969, 12, 31), (2100, 3, 1)] {
            let expected =
                jiff::civil::date(y as i16, m as i8, d as i8).to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp().as_second() / 86_400;
            assert_eq!(days_from_civil(i64::from(y), m, d), expected, "{y}-{m}-{d}");
        }
    }
}
