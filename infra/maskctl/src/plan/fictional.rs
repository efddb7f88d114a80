//! Numbers for the simulated pool: the planner needs thousands of distinct `VirtualNumber`s, and
//! none of them may be a number someone could actually own. Every number named here comes from a
//! block reserved for fiction (Ofcom's UK drama numbers, North America's 555-0100..0199), and none
//! ever leaves the simulation.

use maskline::domain::VirtualNumber;

/// Ofcom drama blocks of 1,000 that the number parser accepts as valid (07700 900xxx and 01632
/// 960xxx are reserved too, but the parser refuses them).
const UK_DRAMA_BLOCKS: [&str; 15] = [
    "+442079460", // London 020 7946 0xxx
    "+441134960", // Leeds
    "+441144960", // Sheffield
    "+441164960", // Leicester
    "+441174960", // Bristol
    "+441184960", // Reading
    "+441214960", // Birmingham
    "+441314960", // Edinburgh
    "+441414960", // Glasgow
    "+441514960", // Liverpool
    "+441614960", // Manchester
    "+441914980", // Tyneside
    "+442896496", // Belfast 028 9649 6xxx
    "+442920180", // Cardiff 029 2018 0xxx
    "+443069990", // non-geographic 03069 990xxx
];

/// Area codes whose 555-0100..0199 (reserved for fiction in every area code) add 100 each.
const NANP_AREA_CODES: [&str; 50] = [
    "201", "202", "203", "205", "206", "207", "208", "209", "210", "212", "213", "214", "215",
    "216", "217", "218", "219", "224", "225", "228", "229", "231", "234", "239", "240", "248",
    "251", "252", "253", "254", "256", "260", "262", "267", "269", "270", "276", "281", "301",
    "302", "303", "304", "305", "307", "308", "309", "310", "312", "313", "314",
];

/// Hands out reserved numbers in a fixed order, skipping any the number parser refuses.
pub struct FictionalNumbers {
    raw: Box<dyn Iterator<Item = String>>,
}

impl FictionalNumbers {
    pub fn new() -> Self {
        let uk = UK_DRAMA_BLOCKS
            .into_iter()
            .flat_map(|prefix| (0..1000).map(move |n| format!("{prefix}{n:03}")));
        let nanp = NANP_AREA_CODES
            .into_iter()
            .flat_map(|npa| (100..200).map(move |n| format!("+1{npa}5550{n:03}")));
        FictionalNumbers {
            raw: Box::new(uk.chain(nanp)),
        }
    }

    /// How many numbers the reserved blocks hold: a plan needing more in one region under one
    /// policy cannot be simulated.
    pub const CAPACITY: usize = UK_DRAMA_BLOCKS.len() * 1000 + NANP_AREA_CODES.len() * 100;
}

impl Iterator for FictionalNumbers {
    type Item = VirtualNumber;

    fn next(&mut self) -> Option<VirtualNumber> {
        self.raw
            .by_ref()
            .find_map(|raw| VirtualNumber::parse(&raw, None).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_distinct_and_from_reserved_blocks() {
        let first: Vec<VirtualNumber> = FictionalNumbers::new().take(1200).collect();
        let distinct: std::collections::HashSet<_> = first.iter().collect();
        assert_eq!(distinct.len(), 1200);
        assert!(first[0].as_str().starts_with("+4420794600"));
        assert!(first[1100].as_str().starts_with("+44113496"));
    }
}
