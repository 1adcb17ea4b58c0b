//! The vault: where personal data lives. Subjects, their attribute values and activity
//! records, sealed per subject, found through blind indexes, read only for a purpose, and
//! erased by destroying one key.
//!
//! Every use case here follows one path: resolve the caller's role in the catalog in force,
//! decide with the pure permission matrix (`obereg_core::access`), validate and normalise
//! values with the core, seal with the subject's data key, then hand rows *and* their
//! journal entries to one store call. Refusals by rights are journaled too.

mod cards;
pub mod crypto;
mod import;
mod lookup;
mod records;
mod rotation;
mod subjects;
pub(crate) mod support;

use obereg_core::value::PlainValue;

pub use cards::CardView;
pub(crate) use import::ImportLanes;
pub use import::{
    ImportOutcome, ImportReport, ImportRow, MAX_API_IMPORT_BATCH, MAX_IMPORT_BATCH, PreparedImport, RowError, check_import_batch,
};
pub use lookup::{Found, MAX_LOOKUP_BATCH};
pub use records::{Direction, RecordBody, RecordKind};
pub use rotation::{RotationProgress, RotationReport};
pub use subjects::MAX_ITEMS_PER_CALL;
pub(crate) use support::{
    ATTRIBUTE as ATTRIBUTE_KIND, category_rules as category_rules_of, is_id as is_subject_id, micros as micros_to_time,
    principal as principal_of, random_id as random_hex_id,
};

/// A value to store: its category, the purposes it is collected for, where it came from.
#[derive(Debug, Clone)]
pub struct NewValue {
    pub category: String,
    pub value: PlainValue,
    pub purposes: Vec<String>,
    /// Where the value came from (`web_form`, `crm_import`, `call`): a code, not free text.
    pub source: String,
}

/// An activity record to store.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub category: String,
    pub occurred_at: jiff::Timestamp,
    pub body: RecordBody,
    pub purposes: Vec<String>,
    pub source: String,
}

/// A subject to create.
#[derive(Debug, Clone, Default)]
pub struct NewSubjectInput {
    pub kind: String,
    pub values: Vec<NewValue>,
    pub records: Vec<NewRecord>,
}

/// A subject's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectStatus {
    Active,
    /// Blocked: data kept, every use but storage refused.
    Restricted,
    /// Crypto-shredded: the key is gone, nothing can be read.
    Erased,
}

impl SubjectStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectStatus::Active => "active",
            SubjectStatus::Restricted => "restricted",
            SubjectStatus::Erased => "erased",
        }
    }

    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "restricted" => SubjectStatus::Restricted,
            "erased" => SubjectStatus::Erased,
            _ => SubjectStatus::Active,
        }
    }
}

/// A subject without its data: what lookups and writes return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectRef {
    pub id: String,
    pub kind: String,
    pub status: SubjectStatus,
    pub created_at: jiff::Timestamp,
    pub restricted_at: Option<jiff::Timestamp>,
    pub erased_at: Option<jiff::Timestamp>,
}

/// One attribute value as a read returns it.
#[derive(Debug, Clone)]
pub struct AttributeView {
    pub id: String,
    pub category: String,
    /// The value, or its masked form when `masked`.
    pub value: PlainValue,
    pub masked: bool,
    /// The public handle of a card number.
    pub token: Option<String>,
    pub purposes: Vec<String>,
    pub source: String,
    pub collected_at: jiff::Timestamp,
}

/// One activity record as a read returns it.
#[derive(Debug, Clone)]
pub struct RecordView {
    pub id: String,
    pub kind: RecordKind,
    pub category: String,
    pub occurred_at: jiff::Timestamp,
    pub body: RecordBody,
    pub purposes: Vec<String>,
    pub source: String,
    pub collected_at: jiff::Timestamp,
}

/// What a purpose-bound read returns: only the categories the role and purpose allow.
#[derive(Debug, Clone)]
pub struct SubjectView {
    pub subject: SubjectRef,
    pub purpose: String,
    pub attributes: Vec<AttributeView>,
    pub records: Vec<RecordView>,
}

/// The keystore's state: KEK versions and keys per version.
pub use obereg_store::KeystoreStatus;
