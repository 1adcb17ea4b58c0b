//! Data-subject requests (docs/requests.md): intake from staff and from subjects, identity
//! verification by one-time code or by staff, the state machine of `obereg_core::request`
//! with every transition journaled, deadlines on the production calendar, execution of
//! each right, and the notices each step sends through the outbox in the same transaction.
//!
//! A request is one row whose `version` is bumped by every change (see `requests_sql.rs`
//! in the store): the engine reads it, computes the next row with the pure core, and writes
//! it only where the version read is still stored. Two staff acting at once cannot both
//! move a request; the loser gets a conflict and nothing it meant to send is sent.

mod execute;
mod export;
pub(crate) mod intake;
pub(crate) mod notices;
mod recipients;
pub(crate) mod reminders;
pub(crate) mod sealing;
mod workflow;

use obereg_core::catalog::{Catalog, Jurisdiction};
use obereg_core::request::RequestState;
use obereg_core::request::deadline::RequestKind;
use obereg_core::value::PlainValue;
use obereg_store::RequestRecord;

pub use execute::Completion;
pub use export::{ExportFormat, RequestValue, SubjectExport};
pub use intake::{ManualIdentity, NewRequest, PUBLIC_SUBMISSIONS_PER_HOUR, SubjectSubmission, Submitted};
pub use reminders::REMIND_WORKING_DAYS;
pub use workflow::{RefusalGround, RequestDetail, RequestEventView, RequestMessageView, RequestQuery};

pub(crate) use intake::{is_short_id, short_id};
pub(crate) use sealing::Field;

use crate::vault::principal_of;
use crate::{Actor, EngineError};

/// Most open requests one listing returns.
pub const MAX_LIST: u32 = 1000;

/// How a request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestChannel {
    /// Submitted by the subject through the public request API.
    Api,
    /// Submitted through the subject portal.
    Portal,
    /// Entered by staff from an email, a call or a letter.
    Email,
    Phone,
    Paper,
}

impl RequestChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestChannel::Api => "api",
            RequestChannel::Portal => "portal",
            RequestChannel::Email => "email",
            RequestChannel::Phone => "phone",
            RequestChannel::Paper => "paper",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "portal" => RequestChannel::Portal,
            "email" => RequestChannel::Email,
            "phone" => RequestChannel::Phone,
            "paper" => RequestChannel::Paper,
            _ => RequestChannel::Api,
        }
    }
}

/// The language the subject is answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    #[default]
    Ru,
    En,
}

/// A request as staff and the subject see it, without personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestView {
    pub id: String,
    pub kind: RequestKind,
    pub jurisdiction: Jurisdiction,
    pub channel: RequestChannel,
    pub state: RequestState,
    pub subject_id: Option<String>,
    pub received_at: jiff::Timestamp,
    pub due_on: jiff::civil::Date,
    /// A year without a published production calendar went into the due date.
    pub due_provisional: bool,
    pub extended: bool,
    /// Open and past its due date.
    pub overdue: bool,
    /// `code`, `manual` or `staff`, once identity is established.
    pub verified_by: Option<String>,
    pub closed_at: Option<jiff::Timestamp>,
}

/// The stable code of a request kind.
pub fn kind_code(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Access => "access",
        RequestKind::Portability => "portability",
        RequestKind::Rectification => "rectification",
        RequestKind::Erasure => "erasure",
        RequestKind::Restriction => "restriction",
        RequestKind::Objection => "objection",
        RequestKind::ConsentWithdrawal => "consent_withdrawal",
        RequestKind::DistributionStop => "distribution_stop",
        RequestKind::Complaint => "complaint",
    }
}

fn parse_kind(text: &str) -> Result<RequestKind, EngineError> {
    RequestKind::ALL.into_iter().find(|k| kind_code(*k) == text).ok_or(EngineError::Internal("unknown request kind"))
}

fn parse_state(text: &str) -> Result<RequestState, EngineError> {
    RequestState::ALL.into_iter().find(|s| s.as_str() == text).ok_or(EngineError::Internal("unknown request state"))
}

fn jurisdiction_code(j: Jurisdiction) -> &'static str {
    match j {
        Jurisdiction::Ru152Fz => "ru_152fz",
        Jurisdiction::EuGdpr => "eu_gdpr",
    }
}

fn parse_jurisdiction(text: &str) -> Jurisdiction {
    if text == "eu_gdpr" { Jurisdiction::EuGdpr } else { Jurisdiction::Ru152Fz }
}

/// The civil date of an instant in Moscow, where 152-FZ terms are counted. Moscow keeps
/// UTC+3 all year (no daylight saving since 2014), so a fixed offset needs no time-zone
/// database on the server.
pub fn moscow_date(t: jiff::Timestamp) -> jiff::civil::Date {
    t.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(3))).date()
}

fn view(r: &RequestRecord, today: jiff::civil::Date) -> Result<RequestView, EngineError> {
    let state = parse_state(&r.state)?;
    let due_on: jiff::civil::Date = r.due_on.parse().map_err(|_| EngineError::Internal("a stored due date does not parse"))?;
    Ok(RequestView {
        id: r.id.clone(),
        kind: parse_kind(&r.kind)?,
        jurisdiction: parse_jurisdiction(&r.jurisdiction),
        channel: RequestChannel::parse(&r.channel),
        state,
        subject_id: r.subject_id.clone(),
        received_at: crate::vault::micros_to_time(r.received_at),
        due_on,
        due_provisional: r.due_provisional,
        extended: r.extended,
        overdue: !state.is_closed() && today > due_on,
        verified_by: r.verified_by.clone(),
        closed_at: r.closed_at.map(crate::vault::micros_to_time),
    })
}

/// Whether `actor` works requests: administrators, and catalog roles marked `dpo`.
fn may_handle(catalog: &Catalog, actor: &Actor) -> Result<bool, EngineError> {
    Ok(match principal_of(catalog, actor)? {
        obereg_core::access::Principal::Administrator => true,
        obereg_core::access::Principal::Staff(role) => role.dpo,
    })
}

/// Checks a free text the subject or staff wrote: not empty where required, not huge.
fn check_text(text: &PlainValue, field: &'static str, max: usize) -> Result<(), EngineError> {
    if text.expose().chars().count() > max {
        return Err(EngineError::invalid(
            "request.text_too_long",
            format!("`{field}` is limited to {max} characters"),
            format!("`{field}` — не более {max} символов"),
        ));
    }
    Ok(())
}
