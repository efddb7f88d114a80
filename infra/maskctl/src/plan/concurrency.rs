//! What the day asks of any pool, before a single number is picked: how many sessions are live at
//! once, and how many one participant holds at once. The latter is the floor under the shared
//! policy: an agent with k live sessions dials k distinct numbers, because (VN, caller) is unique.

use std::collections::HashMap;

use maskline::domain::Side;

use super::day::PlannedSession;
use super::timeline::{events_of, Event, Timeline};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concurrency {
    pub peak_live_sessions: u32,
    /// The most sessions one customer or agent held at once (grace included).
    pub busiest_participant: u32,
    pub live_sessions: Timeline,
}

pub fn measure(sessions: &[PlannedSession]) -> Concurrency {
    let mut held: HashMap<(Side, u32), u32> = HashMap::new();
    let mut live = 0;
    let mut busiest = 0;
    let mut timeline = Timeline::default();
    for event in events_of(sessions) {
        let s = sessions[event.session()];
        for key in [(Side::Customer, s.customer), (Side::Driver, s.agent)] {
            let count = held.entry(key).or_default();
            match event {
                Event::Starts { .. } => *count += 1,
                Event::Ends { .. } => *count -= 1,
            }
            busiest = busiest.max(*count);
        }
        match event {
            Event::Starts { .. } => live += 1,
            Event::Ends { .. } => live -= 1,
        }
        timeline.record(event.at(), live);
    }
    Concurrency {
        peak_live_sessions: timeline.peak(),
        busiest_participant: busiest,
        live_sessions: timeline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(customer: u32, agent: u32, from_min: u32, to_min: u32) -> PlannedSession {
        PlannedSession {
            customer,
            agent,
            assigned_at: from_min * 60,
            live_until: to_min * 60,
        }
    }

    #[test]
    fn the_busiest_participant_counts_sessions_in_grace_too() {
        let sessions = [
            session(1, 1, 0, 60),
            session(2, 1, 0, 70),
            session(3, 1, 50, 120), // agent 1 again while the first two are in grace
            session(4, 2, 200, 230),
            session(4, 3, 240, 260), // ends-then-starts never overlap
        ];
        let c = measure(&sessions);
        assert_eq!((c.peak_live_sessions, c.busiest_participant), (3, 3));
    }
}
