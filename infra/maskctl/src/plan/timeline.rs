//! Time as the replays walk it: session starts and ends in order, and a count sampled into
//! ten-minute slots for the chart.

use super::day::{Instant, PlannedSession};

pub const SLOT_SECONDS: Instant = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Starts { session: usize, at: Instant },
    Ends { session: usize, at: Instant },
}

impl Event {
    pub fn at(self) -> Instant {
        match self {
            Event::Starts { at, .. } | Event::Ends { at, .. } => at,
        }
    }

    pub fn session(self) -> usize {
        match self {
            Event::Starts { session, .. } | Event::Ends { session, .. } => session,
        }
    }
}

/// Every start and end in time order. At the same instant ends come first: a binding is no
/// longer live at its `live_until`, so its number is free for a session starting then.
pub fn events_of(sessions: &[PlannedSession]) -> Vec<Event> {
    let mut events: Vec<Event> = sessions
        .iter()
        .enumerate()
        .flat_map(|(session, s)| {
            [
                Event::Starts {
                    session,
                    at: s.assigned_at,
                },
                Event::Ends {
                    session,
                    at: s.live_until,
                },
            ]
        })
        .collect();
    events.sort_by_key(|e| (e.at(), matches!(e, Event::Starts { .. }), e.session()));
    events
}

/// The highest value of a count in each ten-minute slot since midnight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    slots: Vec<u32>,
    current: u32,
}

impl Timeline {
    pub fn record(&mut self, at: Instant, value: u32) {
        let slot = (at / SLOT_SECONDS) as usize;
        while self.slots.len() <= slot {
            // A slot opens with the value in force when it starts.
            self.slots.push(self.current);
        }
        self.slots[slot] = self.slots[slot].max(value);
        self.current = value;
    }

    pub fn peak(&self) -> u32 {
        self.slots.iter().copied().max().unwrap_or(0)
    }

    pub fn slots(&self) -> &[u32] {
        &self.slots
    }

    /// Slot by slot sum, for the city as a whole.
    pub fn add(&mut self, other: &Timeline) {
        if self.slots.len() < other.slots.len() {
            self.slots.resize(other.slots.len(), 0);
        }
        for (mine, theirs) in self.slots.iter_mut().zip(&other.slots) {
            *mine += theirs;
        }
    }

    /// Every slot multiplied, for counts that follow another (two numbers per live order).
    pub fn times(&self, factor: u32) -> Timeline {
        Timeline {
            slots: self.slots.iter().map(|v| v * factor).collect(),
            current: self.current * factor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_keep_their_peak_and_carry_the_value_across_quiet_slots() {
        let mut t = Timeline::default();
        t.record(10, 3);
        t.record(20, 1);
        t.record(3 * SLOT_SECONDS + 5, 0);
        assert_eq!(t.slots(), &[3, 1, 1, 1]);
        assert_eq!(t.peak(), 3);
    }

    #[test]
    fn ends_come_before_starts_at_the_same_instant() {
        let sessions = [
            PlannedSession {
                customer: 1,
                agent: 1,
                assigned_at: 0,
                live_until: 60,
            },
            PlannedSession {
                customer: 2,
                agent: 1,
                assigned_at: 60,
                live_until: 90,
            },
        ];
        let events = events_of(&sessions);
        assert_eq!(events[1], Event::Ends { session: 0, at: 60 });
    }
}
