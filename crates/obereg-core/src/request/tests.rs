//! Every state × event pair, written out by hand from the diagram in the module
//! documentation, so a change in the rules shows up as a changed cell.

use super::*;

fn events() -> [RequestEvent; 6] {
    [
        RequestEvent::StartIdentityCheck,
        RequestEvent::IdentityVerified,
        RequestEvent::Extend { reason: "нужен архив звонков".into() },
        RequestEvent::Complete,
        RequestEvent::Refuse { reason: "личность не подтверждена".into() },
        RequestEvent::Withdraw,
    ]
}

/// For each state, the outcome of each event of `events()` in order: the next state, or
/// the refusal code.
const MATRIX: [(RequestState, [Result<RequestState, &str>; 6]); 7] = {
    use RequestState::*;
    const NO: Result<RequestState, &str> = Err("request.transition_not_allowed");
    const CLOSED: Result<RequestState, &str> = Err("request.closed");
    [
        (Received, [Ok(IdentityCheck), Ok(InProgress), NO, NO, Ok(Refused), Ok(Withdrawn)]),
        (IdentityCheck, [NO, Ok(InProgress), NO, NO, Ok(Refused), Ok(Withdrawn)]),
        (InProgress, [NO, NO, Ok(Extended), Ok(Completed), Ok(Refused), Ok(Withdrawn)]),
        (Extended, [NO, NO, NO, Ok(Completed), Ok(Refused), Ok(Withdrawn)]),
        (Completed, [CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED]),
        (Refused, [CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED]),
        (Withdrawn, [CLOSED, CLOSED, CLOSED, CLOSED, CLOSED, CLOSED]),
    ]
};

#[test]
fn every_state_and_event_pair_is_as_the_diagram_says() {
    assert_eq!(MATRIX.map(|(s, _)| s), RequestState::ALL, "every state has a row");
    for (state, row) in MATRIX {
        for (event, expected) in events().iter().zip(row) {
            let got = transition(state, event).map_err(|e| e.code);
            assert_eq!(got, expected, "{state:?} × {}", event.as_str());
        }
    }
}

#[test]
fn one_extension_only_and_extensions_and_refusals_need_a_reason() {
    let extended = transition(RequestState::InProgress, &RequestEvent::Extend { reason: "архив".into() }).unwrap();
    assert_eq!(
        transition(extended, &RequestEvent::Extend { reason: "ещё раз".into() }).unwrap_err().code,
        "request.transition_not_allowed"
    );
    for blank in ["", "   "] {
        assert_eq!(
            transition(RequestState::InProgress, &RequestEvent::Extend { reason: blank.into() }).unwrap_err().code,
            "request.reason_required"
        );
        assert_eq!(
            transition(RequestState::Received, &RequestEvent::Refuse { reason: blank.into() }).unwrap_err().code,
            "request.reason_required"
        );
    }
    // A disallowed move is reported as such even without a reason.
    assert_eq!(
        transition(RequestState::Received, &RequestEvent::Extend { reason: String::new() }).unwrap_err().code,
        "request.transition_not_allowed"
    );
    let err = transition(RequestState::Completed, &RequestEvent::Withdraw).unwrap_err();
    assert_eq!(err.message.en, "a request that is completed cannot take `withdraw`");
}
