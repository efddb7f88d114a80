//! How many numbers an order's two parties see: one each (Gojek's way) or one for both (Urban
//! Company's "a proxy number is allocated to every order").
//!
//! Calls are resolved by (dialled VN, caller) alone, so one VN can carry both bindings of an order
//! without any new rule: the caller decides the direction. Only the choice of numbers changes.

use std::fmt;
use std::str::FromStr;

use super::session::AssignedNumbers;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairMode {
    /// Each side dials its own VN and sees the other side's as caller ID.
    #[default]
    Pair,
    /// Both sides dial the same VN (and the same backup) and see it as caller ID: half the
    /// numbers shown, bindings written and, under `exclusive`, numbers held.
    Single,
}

impl PairMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PairMode::Pair => "pair",
            PairMode::Single => "single",
        }
    }

    /// The mode a stored session was written in: a session keeps its shape through driver
    /// changes and failover whatever `PAIR_MODE` says now, so apps never see it switch mid-order.
    pub fn of(numbers: &AssignedNumbers) -> PairMode {
        if numbers.customer_dials == numbers.driver_dials {
            PairMode::Single
        } else {
            PairMode::Pair
        }
    }
}

impl fmt::Display for PairMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PairMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pair" => Ok(PairMode::Pair),
            "single" => Ok(PairMode::Single),
            other => Err(format!(
                "unknown pair mode {other:?} (expected pair or single)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::VirtualNumber;

    fn vn(i: u32) -> VirtualNumber {
        VirtualNumber::parse(&format!("+9180410000{i:02}"), None).unwrap()
    }

    #[test]
    fn parses_and_defaults_to_pair() {
        assert_eq!(PairMode::default(), PairMode::Pair);
        assert_eq!(" Single ".parse::<PairMode>(), Ok(PairMode::Single));
        assert!("both".parse::<PairMode>().is_err());
    }

    #[test]
    fn a_stored_session_tells_its_mode_by_its_numbers() {
        assert_eq!(
            PairMode::of(&AssignedNumbers::new(vn(1), vn(2))),
            PairMode::Pair
        );
        assert_eq!(
            PairMode::of(&AssignedNumbers::new(vn(1), vn(1))),
            PairMode::Single
        );
    }
}
