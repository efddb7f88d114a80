//! Which of two assignments of one order is the newer. EventBridge's `time` has whole seconds,
//! so two assignments in the same second (a quick reassignment) cannot be told apart by it: the
//! order platform says the order itself, with a `sequence` that grows per order and/or an
//! `assigned_at` with sub-second precision, and Maskline never guesses when neither decides.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

/// Where one assignment stands in its order's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssignmentStamp {
    /// `detail.sequence`: grows with every assignment of the order.
    pub sequence: Option<u64>,
    /// `detail.assigned_at`: when the platform made the assignment, to the millisecond or finer.
    pub assigned_at: Option<DateTime<Utc>>,
    /// The EventBridge envelope's `time` (whole seconds).
    pub event_time: DateTime<Utc>,
}

/// How an incoming assignment relates to the one in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precedence {
    Newer,
    Older,
    /// Nothing the two carry in common tells them apart.
    Undecided,
}

impl AssignmentStamp {
    /// A stamp with only the envelope's time (an event from a platform that sends no ordering
    /// field, or a session stored before ordering fields existed).
    pub fn at(event_time: DateTime<Utc>) -> Self {
        AssignmentStamp {
            sequence: None,
            assigned_at: None,
            event_time,
        }
    }

    /// Compares on the most precise field both stamps carry: `sequence`, then `assigned_at`, then
    /// the envelope time. Equal on that field is undecided, never "newer".
    pub fn compared_to(&self, in_force: &AssignmentStamp) -> Precedence {
        let ordering = match (self.sequence, in_force.sequence) {
            (Some(mine), Some(theirs)) => mine.cmp(&theirs),
            _ => match (self.assigned_at, in_force.assigned_at) {
                (Some(mine), Some(theirs)) => mine.cmp(&theirs),
                _ => self.event_time.cmp(&in_force.event_time),
            },
        };
        match ordering {
            Ordering::Greater => Precedence::Newer,
            Ordering::Less => Precedence::Older,
            Ordering::Equal => Precedence::Undecided,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn second() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-27T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn stamp(sequence: Option<u64>, millis: Option<i64>) -> AssignmentStamp {
        AssignmentStamp {
            sequence,
            assigned_at: millis.map(|m| second() + Duration::milliseconds(m)),
            event_time: second(),
        }
    }

    #[test]
    fn the_sequence_decides_within_one_second() {
        assert_eq!(
            stamp(Some(2), None).compared_to(&stamp(Some(1), None)),
            Precedence::Newer
        );
        assert_eq!(
            stamp(Some(1), None).compared_to(&stamp(Some(2), None)),
            Precedence::Older
        );
        // The sequence wins even when the sub-second times disagree with it.
        assert_eq!(
            stamp(Some(3), Some(100)).compared_to(&stamp(Some(2), Some(900))),
            Precedence::Newer
        );
    }

    #[test]
    fn sub_second_assigned_at_decides_without_a_sequence() {
        assert_eq!(
            stamp(None, Some(450)).compared_to(&stamp(None, Some(120))),
            Precedence::Newer
        );
        assert_eq!(
            stamp(Some(5), Some(120)).compared_to(&stamp(None, Some(450))),
            Precedence::Older
        );
    }

    #[test]
    fn equal_whole_seconds_alone_decide_nothing() {
        assert_eq!(
            AssignmentStamp::at(second()).compared_to(&AssignmentStamp::at(second())),
            Precedence::Undecided
        );
        assert_eq!(
            stamp(Some(4), None).compared_to(&stamp(Some(4), None)),
            Precedence::Undecided
        );
        let later = AssignmentStamp::at(second() + Duration::seconds(1));
        assert_eq!(
            later.compared_to(&AssignmentStamp::at(second())),
            Precedence::Newer
        );
    }
}
