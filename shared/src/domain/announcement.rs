//! Which event a change of an order's session announces: decided from the session before and
//! after one committed write, as the table's stream delivers it (see `services::announce`).
//!
//! The writers (allocate, release, failover) no longer publish these events: every committed
//! session change is in the stream whatever happens to the writer afterwards, and the stream
//! keeps an order's changes in commit order, so announcing from it loses nothing and reorders
//! nothing. A change the apps cannot see (keys re-sealed, providers noted) announces nothing.

use super::events::PublishedEvent;
use super::session::{AssignedNumbers, Session, SessionState};
use super::VirtualNumber;

/// One side of a change: the session as stored, with the version that write gave it.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    pub session: &'a Session,
    pub version: u64,
}

/// The event `before -> after` announces, if any. `before` is `None` for a new session, `after`
/// is `None` for a removed one (TTL housekeeping, which announces nothing: expiry is read from
/// `live_until`, and the release was announced when it was written).
pub fn announcement(before: Option<Snapshot>, after: Option<Snapshot>) -> Option<PublishedEvent> {
    let after = after?;
    let session = after.session;
    let was = before.map(|b| b.session);
    if session.state == SessionState::Released {
        return match was {
            // Released is final: the release itself is announced once, when it is written.
            Some(was) if was.state == SessionState::Released => moved(was, after),
            _ => Some(released(after)),
        };
    }
    if was.is_some_and(|was| was.state == SessionState::Released) {
        // Never written (a release is final); announcing it would tell the apps "active" again.
        return None;
    }
    let numbers = session.numbers.as_ref()?;
    let assigned = PublishedEvent::MaskedNumbersAssigned {
        order_id: session.order_id.clone(),
        numbers: numbers.clone(),
        expires_at: session.live_until,
        version: after.version,
        state: session.state,
    };
    let Some(was) = was else {
        return Some(assigned);
    };
    // A new agent, a newer assignment of the same agent (it restarts the session's life), or a
    // new deadline (a session extended): announced as an assignment, as the writers always did.
    let reassigned = was.driver_id != session.driver_id
        || was.assignment != session.assignment
        || was.live_until != session.live_until
        || was.numbers.is_none();
    if reassigned {
        return Some(assigned);
    }
    moved(was, after)
}

/// Same assignment, other numbers: a failover moved the session off `replaced`.
fn moved(was: &Session, after: Snapshot) -> Option<PublishedEvent> {
    let session = after.session;
    let (Some(old), Some(new)) = (&was.numbers, &session.numbers) else {
        return None;
    };
    let replaced = replaced_number(old, new)?;
    Some(PublishedEvent::MaskedNumbersChanged {
        order_id: session.order_id.clone(),
        numbers: new.clone(),
        replaced,
        expires_at: session.live_until,
        version: after.version,
        state: session.state,
    })
}

/// The first number the old assignment held that the new one does not (a failover moves off
/// one number; should two have gone at once, the apps get the new numbers either way).
fn replaced_number(old: &AssignedNumbers, new: &AssignedNumbers) -> Option<VirtualNumber> {
    let kept: Vec<&VirtualNumber> = new.all().collect();
    old.all().find(|vn| !kept.contains(vn)).cloned()
}

fn released(after: Snapshot) -> PublishedEvent {
    let session = after.session;
    PublishedEvent::MaskedNumbersReleased {
        order_id: session.order_id.clone(),
        released_at: session.released_at.unwrap_or(session.live_until),
        callable_until: session.live_until,
        version: after.version,
        numbers: session.numbers.clone(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;
    use crate::domain::ordering::AssignmentStamp;
    use crate::domain::{OrderId, ParticipantId, Region};

    fn vn(i: u32) -> VirtualNumber {
        VirtualNumber::parse(&format!("+9180410000{i:02}"), None).unwrap()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000 + seconds, 0).unwrap()
    }

    fn active(driver: &str, numbers: (u32, u32), assigned: i64) -> Session {
        Session {
            order_id: OrderId::parse("ORD-1").unwrap(),
            region: Some(Region::parse("blr").unwrap()),
            state: SessionState::Active,
            customer_id: Some(ParticipantId::parse("C-1").unwrap()),
            driver_id: Some(ParticipantId::parse(driver).unwrap()),
            numbers: Some(AssignedNumbers::new(vn(numbers.0), vn(numbers.1))),
            assignment: Some(AssignmentStamp {
                sequence: None,
                assigned_at: None,
                event_time: at(assigned),
            }),
            live_until: at(assigned) + Duration::hours(24),
            released_at: None,
        }
    }

    fn released_from(session: &Session, when: i64) -> Session {
        Session {
            state: SessionState::Released,
            released_at: Some(at(when)),
            live_until: at(when) + Duration::minutes(30),
            ..session.clone()
        }
    }

    fn snap(session: &Session, version: u64) -> Option<Snapshot<'_>> {
        Some(Snapshot { session, version })
    }

    fn kind(event: &Option<PublishedEvent>) -> Option<&'static str> {
        event.as_ref().map(PublishedEvent::detail_type)
    }

    #[test]
    fn a_new_session_with_numbers_is_assigned_with_its_version_and_state() {
        let new = active("D-7", (1, 2), 0);
        let event = announcement(None, snap(&new, 1));
        let Some(PublishedEvent::MaskedNumbersAssigned {
            numbers,
            version,
            state,
            expires_at,
            ..
        }) = event
        else {
            panic!("expected MaskedNumbersAssigned, got {event:?}");
        };
        assert_eq!(numbers, AssignedNumbers::new(vn(1), vn(2)));
        assert_eq!((version, state), (1, SessionState::Active));
        assert_eq!(expires_at, new.live_until);
    }

    #[test]
    fn a_new_agent_or_a_newer_assignment_is_assigned_again() {
        let first = active("D-7", (1, 2), 0);
        let new_agent = Session {
            driver_id: Some(ParticipantId::parse("D-8").unwrap()),
            ..active("D-8", (1, 3), 60)
        };
        let event = announcement(snap(&first, 1), snap(&new_agent, 2));
        assert_eq!(kind(&event), Some("MaskedNumbersAssigned"));
        assert_eq!(event.unwrap().detail()["version"], 2);
        // The same agent assigned again later keeps the numbers but restarts the session's life.
        let again = active("D-7", (1, 2), 120);
        assert_eq!(
            kind(&announcement(snap(&first, 1), snap(&again, 2))),
            Some("MaskedNumbersAssigned")
        );
    }

    #[test]
    fn a_new_deadline_is_assigned_again_with_the_new_expiry() {
        let before = active("D-7", (1, 2), 0);
        let extended = Session {
            live_until: before.live_until + Duration::hours(6),
            ..before.clone()
        };
        let event = announcement(snap(&before, 1), snap(&extended, 2));
        assert_eq!(kind(&event), Some("MaskedNumbersAssigned"));
        assert_eq!(
            event.unwrap().detail()["expires_at"],
            crate::domain::events::rfc3339(extended.live_until)
        );
    }

    #[test]
    fn a_failover_move_is_a_change_naming_the_replaced_number() {
        let before = active("D-7", (1, 2), 0);
        let after = active("D-7", (5, 2), 0);
        let event = announcement(snap(&before, 3), snap(&after, 4));
        let Some(PublishedEvent::MaskedNumbersChanged {
            replaced,
            version,
            state,
            numbers,
            ..
        }) = event
        else {
            panic!("expected MaskedNumbersChanged, got {event:?}");
        };
        assert_eq!((replaced, version, state), (vn(1), 4, SessionState::Active));
        assert_eq!(numbers.customer_dials, vn(5));
    }

    #[test]
    fn a_release_is_announced_once_and_a_move_after_it_stays_released() {
        let live = active("D-7", (1, 2), 0);
        let ended = released_from(&live, 600);
        let event = announcement(snap(&live, 2), snap(&ended, 3));
        assert_eq!(kind(&event), Some("MaskedNumbersReleased"));
        let detail = event.unwrap().detail();
        assert_eq!(
            (detail["version"].as_u64(), detail["state"].as_str()),
            (Some(3), Some("released"))
        );
        assert_eq!(detail["customer_dials"], vn(1).as_str());

        // Moved off a failing number within the grace window: a change that says released.
        let moved = Session {
            numbers: Some(AssignedNumbers::new(vn(9), vn(2))),
            ..ended.clone()
        };
        let event = announcement(snap(&ended, 3), snap(&moved, 4));
        assert_eq!(kind(&event), Some("MaskedNumbersChanged"));
        assert_eq!(event.unwrap().detail()["state"], "released");

        // Nothing after a release says active: such a write is not announced at all.
        let revived = active("D-7", (1, 2), 700);
        assert_eq!(
            kind(&announcement(snap(&ended, 3), snap(&revived, 4))),
            None
        );
    }

    #[test]
    fn a_tombstone_is_a_release_without_numbers() {
        let tombstone = Session {
            region: None,
            customer_id: None,
            driver_id: None,
            numbers: None,
            assignment: None,
            ..released_from(&active("D-7", (1, 2), 0), 0)
        };
        let event = announcement(None, snap(&tombstone, 1));
        assert_eq!(kind(&event), Some("MaskedNumbersReleased"));
        let detail = event.unwrap().detail();
        assert!(detail.get("customer_dials").is_none(), "{detail}");
        assert_eq!(detail["version"], 1);
    }

    #[test]
    fn changes_nobody_can_see_and_removals_announce_nothing() {
        let session = active("D-7", (1, 2), 0);
        assert_eq!(
            kind(&announcement(snap(&session, 1), snap(&session, 2))),
            None
        );
        assert_eq!(kind(&announcement(snap(&session, 1), None)), None);
        let ended = released_from(&session, 60);
        assert_eq!(kind(&announcement(snap(&ended, 2), snap(&ended, 3))), None);
        assert_eq!(kind(&announcement(snap(&ended, 2), None)), None);
    }
}
