//! The reference model: what one order's session should be after the events that succeeded.
//!
//! It knows nothing about numbers: which VNs an order holds is the product's choice, checked
//! elsewhere (the call path and the events must agree with the session). It knows who should be
//! reachable and until when, following the product's documented rules:
//! - the first successful DriverAssigned opens the session for `SESSION_MAX` (24 h);
//! - a DriverAssigned that ranks higher (see [`Rank`]) is the assignment in force from then on
//!   and restarts the 24 h: another agent takes over; the same agent keeps the numbers, and a
//!   later assignment must now beat this one. A lower one is stale; an equal one changes nothing
//!   (a redelivery, or two assignments nothing tells apart: the one in force stays);
//! - an OrderDelivered/OrderCancelled ends it, callable until `min(live_until, now + grace)`;
//!   before any assignment it leaves a tombstone that refuses every later DriverAssigned;
//! - an event older than `SESSION_MAX` is ignored; a session past `live_until` takes no
//!   assignment.
//!
//! Within one concurrent batch the events of an order may take effect in any order, so the
//! model yields every state some order of them leads to; the session found must be one of them.

use crate::world::{GRACE_SECONDS, SESSION_MAX_SECONDS};

const SESSION_MAX_MS: i64 = SESSION_MAX_SECONDS * 1000;
const GRACE_MS: i64 = GRACE_SECONDS * 1000;

/// Where an assignment stands in its order's history, by the product's documented total order:
/// `sequence`, then `assigned_at`, then the event's time (epoch ms), a missing field below a
/// present one (the derived order: fields in turn, `None` first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank {
    pub sequence: Option<u64>,
    pub assigned_at: Option<i64>,
    pub time: i64,
}

/// One order's session, abstractly. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrderState {
    /// No session item.
    Unseen,
    /// Ended before any assignment.
    Tombstone { live_until: i64 },
    /// Assigned to `driver` by the assignment ranked `rank`; `released` once ended.
    Live {
        released: bool,
        driver: u32,
        rank: Rank,
        live_until: i64,
    },
}

impl OrderState {
    /// Whether its parties can still call each other at `now`.
    pub fn callable_at(&self, now: i64) -> bool {
        matches!(self, OrderState::Live { live_until, .. } if now < *live_until)
    }

    pub fn driver(&self) -> Option<u32> {
        match self {
            OrderState::Live { driver, .. } => Some(*driver),
            _ => None,
        }
    }
}

/// An order event as the model sees it; `at` is the event's own time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderInput {
    Assign { driver: u32, rank: Rank, at: i64 },
    End { at: i64 },
}

/// The state after `input` is handled at `now`. `succeeded` is whether the use case returned
/// Ok: a failed assignment (pool exhausted, contention) must have changed nothing.
pub fn apply(state: &OrderState, input: OrderInput, succeeded: bool, now: i64) -> OrderState {
    let at = match input {
        OrderInput::Assign { at, .. } | OrderInput::End { at } => at,
    };
    if !succeeded || now - at >= SESSION_MAX_MS {
        return state.clone();
    }
    match (state, input) {
        (OrderState::Unseen, OrderInput::Assign { driver, rank, .. }) => OrderState::Live {
            released: false,
            driver,
            rank,
            live_until: now + SESSION_MAX_MS,
        },
        (
            OrderState::Live {
                released: false,
                rank: in_force,
                live_until,
                ..
            },
            OrderInput::Assign { driver, rank, .. },
        ) if now < *live_until && rank > *in_force => OrderState::Live {
            released: false,
            driver,
            rank,
            // A newer assignment restarts the session's life, whoever it names (the same agent
            // again keeps its numbers): as if the assignments had arrived in order.
            live_until: now + SESSION_MAX_MS,
        },
        (OrderState::Unseen, OrderInput::End { .. }) => OrderState::Tombstone { live_until: now },
        (
            OrderState::Live {
                released: false,
                driver,
                rank,
                live_until,
            },
            OrderInput::End { .. },
        ) => OrderState::Live {
            released: true,
            driver: *driver,
            rank: *rank,
            live_until: (*live_until).min(now + GRACE_MS),
        },
        _ => state.clone(),
    }
}

/// Every state the order can be in after `inputs` (each with whether it succeeded) took effect
/// in some order, starting from `state`.
pub fn possible_after(
    state: &OrderState,
    inputs: &[(OrderInput, bool)],
    now: i64,
) -> Vec<OrderState> {
    let mut found = Vec::new();
    let mut used = vec![false; inputs.len()];
    permute(state, inputs, now, &mut used, &mut found);
    found
}

fn permute(
    state: &OrderState,
    inputs: &[(OrderInput, bool)],
    now: i64,
    used: &mut Vec<bool>,
    found: &mut Vec<OrderState>,
) {
    if used.iter().all(|u| *u) {
        if !found.contains(state) {
            found.push(state.clone());
        }
        return;
    }
    for i in 0..inputs.len() {
        if used[i] {
            continue;
        }
        used[i] = true;
        let (input, ok) = inputs[i];
        permute(&apply(state, input, ok, now), inputs, now, used, found);
        used[i] = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000_000;

    fn sequenced(seq: u64) -> Rank {
        Rank {
            sequence: Some(seq),
            assigned_at: None,
            time: NOW,
        }
    }

    fn assign(driver: u32, seq: u64) -> OrderInput {
        OrderInput::Assign {
            driver,
            rank: sequenced(seq),
            at: NOW,
        }
    }

    #[test]
    fn a_newer_agent_takes_over_and_an_older_one_is_stale() {
        let first = apply(&OrderState::Unseen, assign(1, 1), true, NOW);
        let second = apply(&first, assign(2, 2), true, NOW);
        assert_eq!(second.driver(), Some(2));
        assert_eq!(apply(&second, assign(1, 1), true, NOW), second);
    }

    #[test]
    fn the_highest_sequence_wins_whatever_the_arrival_order() {
        // d1 (seq 2), d2 (seq 3), d1 again (seq 4), arriving 2, 4, 3: d1 is the agent.
        let mut state = OrderState::Unseen;
        for (driver, seq) in [(1, 2), (1, 4), (2, 3)] {
            state = apply(&state, assign(driver, seq), true, NOW);
        }
        assert_eq!(state.driver(), Some(1));
    }

    #[test]
    fn assignments_nothing_tells_apart_leave_the_one_in_force() {
        let unsequenced = |driver| OrderInput::Assign {
            driver,
            rank: Rank {
                sequence: None,
                assigned_at: None,
                time: NOW,
            },
            at: NOW,
        };
        let first = apply(&OrderState::Unseen, unsequenced(1), true, NOW);
        assert_eq!(apply(&first, unsequenced(2), true, NOW), first);
        // A sequence ranks above its absence.
        assert_eq!(apply(&first, assign(2, 1), true, NOW).driver(), Some(2));
    }

    #[test]
    fn an_end_before_assignment_refuses_it_and_racing_allows_both() {
        let tomb = apply(&OrderState::Unseen, OrderInput::End { at: NOW }, true, NOW);
        assert_eq!(apply(&tomb, assign(1, 1), true, NOW), tomb);
        let both = possible_after(
            &OrderState::Unseen,
            &[(assign(1, 1), true), (OrderInput::End { at: NOW }, true)],
            NOW,
        );
        assert_eq!(both.len(), 2);
        assert!(both.iter().all(|s| !s.callable_at(NOW + GRACE_MS)));
    }

    #[test]
    fn old_events_and_failures_change_nothing() {
        let old = OrderInput::Assign {
            driver: 1,
            rank: sequenced(1),
            at: NOW - SESSION_MAX_MS,
        };
        assert_eq!(
            apply(&OrderState::Unseen, old, true, NOW),
            OrderState::Unseen
        );
        assert_eq!(
            apply(&OrderState::Unseen, assign(1, 1), false, NOW),
            OrderState::Unseen
        );
    }
}
