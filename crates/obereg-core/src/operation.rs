//! The 13 processing operations of 152-FZ art. 3 p.3.
//!
//! One enum serves the catalog (what a purpose or role may do), the journal (what was done)
//! and every generated document, so the law's list is spelled exactly once.

use serde::{Deserialize, Serialize};

use crate::text::Bilingual;

/// A processing operation as listed in 152-FZ art. 3 p.3, in the law's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// сбор
    Collection,
    /// запись
    Recording,
    /// систематизация
    Systematization,
    /// накопление
    Accumulation,
    /// хранение
    Storage,
    /// уточнение (обновление, изменение)
    Clarification,
    /// извлечение
    Extraction,
    /// использование
    Use,
    /// передача (распространение, предоставление, доступ)
    Transfer,
    /// обезличивание
    Depersonalization,
    /// блокирование
    Blocking,
    /// удаление
    Deletion,
    /// уничтожение
    Destruction,
}

impl Operation {
    /// All operations in the order the law lists them.
    pub const ALL: [Operation; 13] = [
        Operation::Collection,
        Operation::Recording,
        Operation::Systematization,
        Operation::Accumulation,
        Operation::Storage,
        Operation::Clarification,
        Operation::Extraction,
        Operation::Use,
        Operation::Transfer,
        Operation::Depersonalization,
        Operation::Blocking,
        Operation::Deletion,
        Operation::Destruction,
    ];

    /// The stable code of the operation (its catalog spelling), as the journal records it.
    pub fn code(self) -> &'static str {
        match self {
            Operation::Collection => "collection",
            Operation::Recording => "recording",
            Operation::Systematization => "systematization",
            Operation::Accumulation => "accumulation",
            Operation::Storage => "storage",
            Operation::Clarification => "clarification",
            Operation::Extraction => "extraction",
            Operation::Use => "use",
            Operation::Transfer => "transfer",
            Operation::Depersonalization => "depersonalization",
            Operation::Blocking => "blocking",
            Operation::Deletion => "deletion",
            Operation::Destruction => "destruction",
        }
    }

    /// The operation's name in documents.
    pub fn label(self) -> Bilingual {
        let (en, ru) = match self {
            Operation::Collection => ("collection", "сбор"),
            Operation::Recording => ("recording", "запись"),
            Operation::Systematization => ("systematization", "систематизация"),
            Operation::Accumulation => ("accumulation", "накопление"),
            Operation::Storage => ("storage", "хранение"),
            Operation::Clarification => ("clarification (update, change)", "уточнение (обновление, изменение)"),
            Operation::Extraction => ("extraction", "извлечение"),
            Operation::Use => ("use", "использование"),
            Operation::Transfer => ("transfer (dissemination, provision, access)", "передача (распространение, предоставление, доступ)"),
            Operation::Depersonalization => ("depersonalization", "обезличивание"),
            Operation::Blocking => ("blocking", "блокирование"),
            Operation::Deletion => ("deletion", "удаление"),
            Operation::Destruction => ("destruction", "уничтожение"),
        };
        Bilingual::new(en, ru)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirteen_distinct_operations_round_trip_through_serde() {
        let mut seen = std::collections::HashSet::new();
        for op in Operation::ALL {
            let text = serde_json::to_string(&op).unwrap();
            let back: Operation = serde_json::from_str(&text).unwrap();
            assert_eq!(back, op);
            assert_eq!(text, format!("\"{}\"", op.code()));
            assert!(seen.insert(op.label().ru));
        }
        assert_eq!(seen.len(), 13);
    }
}
