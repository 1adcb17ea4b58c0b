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

#[cfg(test)]
mod tests {
    use super::*;

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
