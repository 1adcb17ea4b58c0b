//! The pages' two languages: which one a visitor gets, and number agreement in each.
//!
//! The choice is a plain cookie (`obereg-lang`) set by the switch in every page's header;
//! without it, `Accept-Language` starting with English gives English, anything else
//! Russian. Russian nouns after a number take one of three forms (CLDR plural categories
//! one / few / many): 1, 21, 101 заявка; 2–4, 22–24 заявки; 0, 5–20, 25–30, 111–114 заявок.

use std::borrow::Borrow;

use axum::http::{HeaderMap, header};

/// The language cookie's name.
pub const LANG_COOKIE: &str = "obereg-lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    /// The visitor's language: the cookie, else the browser's first preference.
    pub fn of(headers: &HeaderMap) -> Self {
        match super::cookie(headers, LANG_COOKIE).as_deref() {
            Some("en") => return Lang::En,
            Some("ru") => return Lang::Ru,
            _ => {}
        }
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        if accept.trim_start().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Ru }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Self {
        match self {
            Lang::Ru => Lang::En,
            Lang::En => Lang::Ru,
        }
    }

    /// The text in this language.
    pub fn t<'a>(self, en: &'a str, ru: &'a str) -> &'a str {
        match self {
            Lang::Ru => ru,
            Lang::En => en,
        }
    }

    /// `n` with its noun agreeing: English one / other, Russian one / few / many.
    /// Arguments may come by reference, as templates pass them.
    pub fn count<'a>(self, n: impl Borrow<i64>, en: impl Borrow<[&'a str; 2]>, ru: impl Borrow<[&'a str; 3]>) -> String {
        let (n, en, ru) = (*n.borrow(), en.borrow(), ru.borrow());
        let word = match self {
            Lang::En => {
                if n == 1 {
                    en[0]
                } else {
                    en[1]
                }
            }
            Lang::Ru => ru[russian_form(n)],
        };
        format!("{n} {word}")
    }
}

/// Index of the Russian plural form of `n`: 0 one, 1 few, 2 many.
pub fn russian_form(n: i64) -> usize {
    let n = n.unsigned_abs();
    let (last, last_two) = (n % 10, n % 100);
    if last == 1 && last_two != 11 {
        0
    } else if (2..=4).contains(&last) && !(12..=14).contains(&last_two) {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plural_forms_follow_cldr() {
        let forms = ["заявка", "заявки", "заявок"];
        for (n, want) in [
            (0, "заявок"),
            (1, "заявка"),
            (2, "заявки"),
            (4, "заявки"),
            (5, "заявок"),
            (11, "заявок"),
            (12, "заявок"),
            (14, "заявок"),
            (21, "заявка"),
            (22, "заявки"),
            (25, "заявок"),
            (101, "заявка"),
            (111, "заявок"),
            (112, "заявок"),
            (122, "заявки"),
            (1001, "заявка"),
        ] {
            assert_eq!(Lang::Ru.count(n, ["request", "requests"], forms), format!("{n} {want}"), "{n}");
        }
        assert_eq!(Lang::En.count(1, ["request", "requests"], forms), "1 request");
        assert_eq!(Lang::En.count(0, ["request", "requests"], forms), "0 requests");
    }

    #[test]
    fn the_cookie_wins_over_the_browser() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::of(&headers), Lang::Ru);
        headers.insert(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9".parse().unwrap());
        assert_eq!(Lang::of(&headers), Lang::En);
        headers.insert(header::COOKIE, "a=b; obereg-lang=ru".parse().unwrap());
        assert_eq!(Lang::of(&headers), Lang::Ru);
    }
}
