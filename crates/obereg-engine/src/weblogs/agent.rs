//! A user agent reduced to what traffic statistics need — browser family and major version,
//! operating-system family, bot or not — so the full string, which with its build numbers,
//! plugins and device models can single a visitor out, is never stored.
//!
//! The checks run in a fixed order because agents impersonate each other: Edge, Opera and
//! Yandex Browser all say "Chrome", Chrome says "Safari", nearly everything says "Mozilla".

/// The reduced form, e.g. `Chrome 120 / Windows`, `YandexBot (bot)`, `other`.
pub fn reduce(agent: &str) -> String {
    if agent.is_empty() {
        return "none".into();
    }
    const BOTS: [(&str, &str); 12] = [
        ("Googlebot", "Googlebot"),
        ("YandexBot", "YandexBot"),
        ("YandexMetrika", "YandexMetrika"),
        ("bingbot", "bingbot"),
        ("Baiduspider", "Baiduspider"),
        ("DuckDuckBot", "DuckDuckBot"),
        ("AhrefsBot", "AhrefsBot"),
        ("SemrushBot", "SemrushBot"),
        ("curl/", "curl"),
        ("Wget/", "Wget"),
        ("python-requests", "python-requests"),
        ("Go-http-client", "Go-http-client"),
    ];
    for (needle, name) in BOTS {
        if agent.contains(needle) {
            return format!("{name} (bot)");
        }
    }
    if ["bot", "Bot", "crawler", "spider", "Spider"].iter().any(|w| agent.contains(w)) {
        return "other (bot)".into();
    }
    const BROWSERS: [(&str, &str); 8] = [
        ("YaBrowser/", "Yandex Browser"),
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Version/", "Safari"),
    ];
    let browser = BROWSERS.iter().find_map(|(needle, name)| {
        let at = agent.find(needle)? + needle.len();
        let major: String = agent[at..].chars().take_while(char::is_ascii_digit).take(4).collect();
        Some(if major.is_empty() { (*name).to_owned() } else { format!("{name} {major}") })
    });
    let os = if agent.contains("Android") {
        "Android"
    } else if agent.contains("iPhone") || agent.contains("iPad") || agent.contains("iOS") {
        "iOS"
    } else if agent.contains("Windows") {
        "Windows"
    } else if agent.contains("Mac OS X") || agent.contains("Macintosh") {
        "macOS"
    } else if agent.contains("CrOS") {
        "ChromeOS"
    } else if agent.contains("Linux") {
        "Linux"
    } else {
        "other"
    };
    match browser {
        Some(b) => format!("{b} / {os}"),
        None if os != "other" => format!("other / {os}"),
        None => "other".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::reduce;

    #[test]
    fn agents_keep_family_major_version_and_system_only() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.199 Safari/537.36",
                "Chrome 120 / Windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
                "Edge 120 / Windows",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 YaBrowser/23.11.0.0 Safari/537.36",
                "Yandex Browser 23 / Windows",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
                "Safari 17 / iOS",
            ),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox 121 / Linux"),
            (
                "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                "Samsung Internet 23 / Android",
            ),
            ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", "YandexBot (bot)"),
            ("curl/8.5.0", "curl (bot)"),
            ("", "none"),
            ("SomethingElse/1.0", "other"),
        ];
        for (agent, reduced) in cases {
            assert_eq!(reduce(agent), reduced, "{agent}");
        }
        // Device models and build numbers are gone.
        assert!(!reduce(cases[5].0).contains("SM-S918B"));
    }
}
