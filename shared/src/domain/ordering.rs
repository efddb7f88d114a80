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

    /// A total order over every stamp, the same whatever fields each carries: `sequence` first,
    /// then `assigned_at`, then the envelope time, a stamp without a field ranking below every
    /// stamp with it. Comparing "on the most precise field both carry" instead is not transitive
    /// when a platform sends `sequence` on some events only (seq 2 at 10:00:00 beats seq 1 at
    /// 10:00:10, which beats an unsequenced 10:00:05, which beats seq 2 by time): which agent
    /// ended in force would then depend on the order the events arrived in. Here it never does.
    /// Equal on all three is undecided, never "newer".
    pub fn compared_to(&self, in_force: &AssignmentStamp) -> Precedence {
        match self.rank().cmp(&in_force.rank()) {
            Ordering::Greater => Precedence::Newer,
            Ordering::Less => Precedence::Older,
            Ordering::Equal => Precedence::Undecided,
        }
    }

    /// What [`Self::compared_to`] orders by (`None` sorts below every `Some`).
    fn rank(&self) -> (Option<u64>, Option<DateTime<Utc>>, DateTime<Utc>) {
        (self.sequence, self.assigned_at, self.event_time)
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
    }

    #[test]
    fn a_stamp_with_a_field_ranks_above_every_stamp_without_it() {
        // Issue 20, finding 5: the cycle the "most precise common field" rule allowed.
        let at = |seconds| second() + Duration::seconds(seconds);
        let with_seq = |sequence, seconds| AssignmentStamp {
            sequence: Some(sequence),
            assigned_at: None,
            event_time: at(seconds),
        };
        let (a, c) = (with_seq(2, 0), with_seq(1, 10));
        let b = AssignmentStamp::at(at(5));
        assert_eq!(a.compared_to(&c), Precedence::Newer);
        assert_eq!(c.compared_to(&b), Precedence::Newer);
        assert_eq!(a.compared_to(&b), Precedence::Newer, "no cycle");
        assert_eq!(
            stamp(Some(5), Some(120)).compared_to(&stamp(None, Some(450))),
            Precedence::Newer
        );
        assert_eq!(
            stamp(None, Some(0)).compared_to(&AssignmentStamp::at(at(30))),
            Precedence::Newer
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

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_stamp() -> impl Strategy<Value = AssignmentStamp> {
            // Few distinct values, so that ties and missing fields are common.
            (
                proptest::option::of(0u64..4),
                proptest::option::of(0i64..3),
                0i64..3,
            )
                .prop_map(|(sequence, millis, seconds)| AssignmentStamp {
                    sequence,
                    assigned_at: millis.map(|m| second() + Duration::milliseconds(m * 300)),
                    event_time: second() + Duration::seconds(seconds),
                })
        }

        proptest! {
            #[test]
            fn precedence_is_a_total_order(a in any_stamp(), b in any_stamp(), c in any_stamp()) {
                let flip = |p| match p {
                    Precedence::Newer => Precedence::Older,
                    Precedence::Older => Precedence::Newer,
                    Precedence::Undecided => Precedence::Undecided,
                };
                // Antisymmetric: b against a is a against b, flipped.
                prop_assert_eq!(b.compared_to(&a), flip(a.compared_to(&b)));
                // Transitive, for "newer" and for "undecided" alike.
                for relation in [Precedence::Newer, Precedence::Undecided] {
                    if a.compared_to(&b) == relation && b.compared_to(&c) == relation {
                        prop_assert_eq!(a.compared_to(&c), relation);
                    }
                }
                prop_assert_eq!(a.compared_to(&a), Precedence::Undecided);
            }
        }
    }
}
