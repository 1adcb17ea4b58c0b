//! Data-subject requests as a state machine: which events may move a request from which
//! state, as a pure function, so the workflow (issue 6) cannot put a request where the law
//! does not allow it.
//!
//! ```text
//! received ──start identity check──▶ identity check ──identity verified──▶ in progress
//!    └──────────────identity verified (already known)─────────────────────┘    │
//! in progress ──extend (once, with a reason)──▶ extended                        │
//! in progress | extended ──complete──▶ completed                                │
//! any open state ──refuse (with a reason)──▶ refused                            │
//! any open state ──withdraw (by the subject)──▶ withdrawn ◀─────────────────────┘
//! ```
//!
//! 152-FZ allows one extension of an answer (art. 14 p.3, art. 20: +5 working days), only
//! with a reasoned notice to the subject, so `extend` needs a reason and works once; a
//! refusal must be reasoned too (art. 14 p.6, art. 20 p.2). Completed, refused and
//! withdrawn requests are closed: no event moves them.

use crate::text::Bilingual;

pub mod deadline;

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    Received,
    IdentityCheck,
    InProgress,
    Extended,
    Completed,
    Refused,
    Withdrawn,
}

impl RequestState {
    pub const ALL: [RequestState; 7] = [
        RequestState::Received,
        RequestState::IdentityCheck,
        RequestState::InProgress,
        RequestState::Extended,
        RequestState::Completed,
        RequestState::Refused,
        RequestState::Withdrawn,
    ];

    /// Whether no event can move the request any more.
    pub fn is_closed(self) -> bool {
        matches!(self, RequestState::Completed | RequestState::Refused | RequestState::Withdrawn)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Received => "received",
            RequestState::IdentityCheck => "identity_check",
            RequestState::InProgress => "in_progress",
            RequestState::Extended => "extended",
            RequestState::Completed => "completed",
            RequestState::Refused => "refused",
            RequestState::Withdrawn => "withdrawn",
        }
    }
}

/// What happens to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestEvent {
    StartIdentityCheck,
    IdentityVerified,
    /// One extension, with the reason sent to the subject.
    Extend {
        reason: String,
    },
    Complete,
    /// A reasoned refusal (also when the identity cannot be confirmed).
    Refuse {
        reason: String,
    },
    /// The subject withdraws the request.
    Withdraw,
}

impl RequestEvent {
    pub fn as_str(&self) -> &'static str {
        match self {
            RequestEvent::StartIdentityCheck => "start_identity_check",
            RequestEvent::IdentityVerified => "identity_verified",
            RequestEvent::Extend { .. } => "extend",
            RequestEvent::Complete => "complete",
            RequestEvent::Refuse { .. } => "refuse",
            RequestEvent::Withdraw => "withdraw",
        }
    }
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}")]
pub struct TransitionError {
    pub code: &'static str,
    pub message: Bilingual,
}

/// The state `event` moves a request in `state` to, or why it cannot.
pub fn transition(state: RequestState, event: &RequestEvent) -> Result<RequestState, TransitionError> {
    use RequestEvent as E;
    use RequestState as S;
    let next = match (state, event) {
        (S::Received, E::StartIdentityCheck) => S::IdentityCheck,
        (S::Received | S::IdentityCheck, E::IdentityVerified) => S::InProgress,
        (S::InProgress, E::Extend { .. }) => S::Extended,
        (S::InProgress | S::Extended, E::Complete) => S::Completed,
        (S::Received | S::IdentityCheck | S::InProgress | S::Extended, E::Refuse { .. }) => S::Refused,
        (S::Received | S::IdentityCheck | S::InProgress | S::Extended, E::Withdraw) => S::Withdrawn,
        _ => {
            return Err(TransitionError {
                code: if state.is_closed() { "request.closed" } else { "request.transition_not_allowed" },
                message: Bilingual::new(
                    format!("a request that is {} cannot take `{}`", state.as_str(), event.as_str()),
                    format!("к запросу в состоянии «{}» нельзя применить `{}`", state.as_str(), event.as_str()),
                ),
            });
        }
    };
    let reason_missing = match event {
        E::Extend { reason } | E::Refuse { reason } => reason.trim().is_empty(),
        _ => false,
    };
    if reason_missing {
        return Err(TransitionError {
            code: "request.reason_required",
            message: Bilingual::new(
                "an extension or a refusal must give the subject its reason",
                "продление срока или отказ должны сообщать субъекту причину",
            ),
        });
    }
    Ok(next)
}

#[cfg(test)]
mod tests;
