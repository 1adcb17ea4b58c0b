//! Bilingual text: every user-facing message obereg produces exists in Russian and English.

use serde::{Deserialize, Serialize};

/// A user-facing text in both of obereg's languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    pub en: String,
    pub ru: String,
}

impl Bilingual {
    /// Builds a text from its English and Russian forms.
    pub fn new(en: impl Into<String>, ru: impl Into<String>) -> Self {
        Self { en: en.into(), ru: ru.into() }
    }

    /// The text in the requested language.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ru => &self.ru,
        }
    }
}

/// A language obereg speaks to people in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Ru,
}

impl Lang {
    /// Picks a language from a locale or `Accept-Language`-like string: Russian when the
    /// first preference is Russian, English otherwise.
    pub fn from_preference(pref: &str) -> Self {
        let first = pref.split([',', ';']).next().unwrap_or("").trim().to_ascii_lowercase();
        if first.starts_with("ru") { Lang::Ru } else { Lang::En }
    }
}

/// The Russian plural form for `n`: `one` for 1, 21, 101…; `few` for 2–4, 22–24…; `many`
/// for 0, 5–20, 25–30… ("1 год", "3 года", "5 лет", "11 лет", "21 год").
pub fn ru_plural<'a>(n: u64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    match (n % 10, n % 100) {
        (1, r) if r != 11 => one,
        (2..=4, r) if !(12..=14).contains(&r) => few,
        _ => many,
    }
}

/// `text` safe to place in HTML text or a quoted attribute.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals_follow_the_last_digits() {
        let year = |n| format!("{n} {}", ru_plural(n, "год", "года", "лет"));
        let got: Vec<String> = [0, 1, 2, 4, 5, 11, 12, 14, 19, 21, 22, 25, 101, 111, 112, 122].into_iter().map(year).collect();
        assert_eq!(
            got,
            [
                "0 лет",
                "1 год",
                "2 года",
                "4 года",
                "5 лет",
                "11 лет",
                "12 лет",
                "14 лет",
                "19 лет",
                "21 год",
                "22 года",
                "25 лет",
                "101 год",
                "111 лет",
                "112 лет",
                "122 года"
            ]
        );
    }

    #[test]
    fn preference_picks_russian_only_when_first() {
        assert_eq!(Lang::from_preference("ru-RU,ru;q=0.9,en;q=0.8"), Lang::Ru);
        assert_eq!(Lang::from_preference("ru_RU.UTF-8"), Lang::Ru);
        assert_eq!(Lang::from_preference("en-US,ru;q=0.5"), Lang::En);
        assert_eq!(Lang::from_preference(""), Lang::En);
    }

    #[test]
    fn get_returns_the_requested_language() {
        let t = Bilingual::new("hello", "привет");
        assert_eq!(t.get(Lang::En), "hello");
        assert_eq!(t.get(Lang::Ru), "привет");
    }
}
