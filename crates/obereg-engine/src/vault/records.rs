//! Activity records: calls, messages and form submissions. A record's body is personal data
//! as a whole (who called whom, what was said) and is sealed as one JSON document; only its
//! kind, category and time stay readable for ordering and retention.

use std::collections::BTreeMap;

use obereg_core::catalog::Normalization;
use obereg_core::value::{PlainValue, normalize};
use serde::{Deserialize, Serialize};

use crate::EngineError;

/// Largest free text in a record (a chat message, a transcript excerpt), in bytes.
const MAX_TEXT_BYTES: usize = 64 * 1024;
/// Most fields in a form submission.
const MAX_FORM_FIELDS: usize = 100;

/// What kind of activity a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    Call,
    Message,
    Form,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Call => "call",
            RecordKind::Message => "message",
            RecordKind::Form => "form",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "call" => Some(RecordKind::Call),
            "message" => Some(RecordKind::Message),
            "form" => Some(RecordKind::Form),
            _ => None,
        }
    }
}

/// Which way a call or message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// The content of a record. `Debug` shows the kind only: bodies are personal data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecordBody {
    Call {
        direction: Direction,
        duration_secs: u32,
        /// The other party's number, normalised to E.164.
        number: String,
        /// The staff member or robot that handled the call (an id, not a name).
        operator: Option<String>,
        /// Where the recording or transcript is kept (an object key, not the content).
        transcript_ref: Option<String>,
    },
    Message {
        channel: String,
        direction: Direction,
        text: String,
    },
    Form {
        form: String,
        fields: BTreeMap<String, String>,
    },
}

impl std::fmt::Debug for RecordBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecordBody::{}(<redacted>)", self.kind().as_str())
    }
}

impl RecordBody {
    pub fn kind(&self) -> RecordKind {
        match self {
            RecordBody::Call { .. } => RecordKind::Call,
            RecordBody::Message { .. } => RecordKind::Message,
            RecordBody::Form { .. } => RecordKind::Form,
        }
    }

    /// The body as a role that sees the category masked gets it: the number masked, texts
    /// and form answers hidden, references and timings kept.
    pub(crate) fn masked(self) -> Self {
        const HIDDEN: &str = "***";
        match self {
            RecordBody::Call { direction, duration_secs, number, operator, transcript_ref } => RecordBody::Call {
                direction,
                duration_secs,
                number: obereg_core::value::mask(Normalization::PhoneE164, &PlainValue::new(number)),
                operator,
                transcript_ref,
            },
            RecordBody::Message { channel, direction, .. } => RecordBody::Message { channel, direction, text: HIDDEN.into() },
            RecordBody::Form { form, fields } => {
                RecordBody::Form { form, fields: fields.into_keys().map(|k| (k, HIDDEN.to_owned())).collect() }
            }
        }
    }

    /// Checks sizes and shapes, and normalises a call's number.
    pub(crate) fn validated(self) -> Result<Self, EngineError> {
        let too_big = || {
            EngineError::invalid(
                "record.too_large",
                "a record's text is limited to 64 KiB and a form to 100 fields",
                "текст записи ограничен 64 КиБ, а форма — 100 полями",
            )
        };
        let bad_code = |field: &str| {
            EngineError::invalid(
                "record.invalid_reference",
                format!("`{field}` must be an id or a reference of up to 200 letters, digits and ._:/-"),
                format!("`{field}` должно быть идентификатором или ссылкой до 200 символов: буквы, цифры и ._:/-"),
            )
        };
        let is_ref = |s: &str| !s.is_empty() && s.len() <= 200 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b));
        match self {
            RecordBody::Call { direction, duration_secs, number, operator, transcript_ref } => {
                let number = normalize(Normalization::PhoneE164, &PlainValue::new(number))
                    .map_err(|e| EngineError::Invalid { code: e.code, message: e.message })?;
                if operator.as_deref().is_some_and(|o| !is_ref(o)) {
                    return Err(bad_code("operator"));
                }
                if transcript_ref.as_deref().is_some_and(|t| !is_ref(t)) {
                    return Err(bad_code("transcript_ref"));
                }
                Ok(RecordBody::Call { direction, duration_secs, number: number.expose().to_owned(), operator, transcript_ref })
            }
            RecordBody::Message { channel, direction, text } => {
                if !is_ref(&channel) {
                    return Err(bad_code("channel"));
                }
                if text.len() > MAX_TEXT_BYTES {
                    return Err(too_big());
                }
                Ok(RecordBody::Message { channel, direction, text })
            }
            RecordBody::Form { form, fields } => {
                if !is_ref(&form) || fields.keys().any(|k| !is_ref(k)) {
                    return Err(bad_code("form"));
                }
                if fields.len() > MAX_FORM_FIELDS || fields.values().map(String::len).sum::<usize>() > MAX_TEXT_BYTES {
                    return Err(too_big());
                }
                Ok(RecordBody::Form { form, fields })
            }
        }
    }
}
