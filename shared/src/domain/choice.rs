//! Which VNs a session should hold next: one rule for a new order, a new agent, and a failover.
//!
//! A number the session already holds is kept while it is still usable, so apps need no update;
//! a primary that stopped being usable is replaced by the side's backup when there is one (the
//! backup is already live, so the switch is seamless), and only then by a random pick. Backups
//! are best effort: a region whose other operators are all down still gets primaries.

use rand::Rng;

use super::pair_mode::PairMode;
use super::policy::Candidates;
use super::session::{AssignedNumbers, Side};
use super::single_choice::choose_single_number;
use super::VirtualNumber;

/// The numbers a session in `mode` should hold next.
pub fn choose_numbers<R: Rng + ?Sized>(
    current: Option<&AssignedNumbers>,
    candidates: &Candidates,
    with_backups: bool,
    mode: PairMode,
    rng: &mut R,
) -> Option<AssignedNumbers> {
    match mode {
        PairMode::Pair => choose_pair(current, candidates, with_backups, rng),
        PairMode::Single => choose_single_number(current, candidates, with_backups, rng),
    }
}

/// A number for each side (and a backup each), all distinct, so each app shows its own contact.
fn choose_pair<R: Rng + ?Sized>(
    current: Option<&AssignedNumbers>,
    candidates: &Candidates,
    with_backups: bool,
    rng: &mut R,
) -> Option<AssignedNumbers> {
    let mut chosen: Vec<VirtualNumber> = Vec::with_capacity(4);
    let usable = |side: Side, vn: &VirtualNumber, chosen: &[VirtualNumber]| {
        !chosen.contains(vn) && candidates.is_usable_for(side, vn)
    };

    // Keep what still works, then pick for the side with fewer options first: picking for the
    // freer side first could take the only number the other side has left.
    let sides = [Side::Customer, Side::Driver];
    let mut picked: [Option<VirtualNumber>; 2] = [None, None];
    for (i, side) in sides.into_iter().enumerate() {
        picked[i] = current.and_then(|now| {
            now.all_of(side)
                .find(|vn| usable(side, vn, &chosen))
                .cloned()
        });
        if let Some(vn) = &picked[i] {
            chosen.push(vn.clone());
        }
    }
    let mut missing: Vec<usize> = (0..2).filter(|i| picked[*i].is_none()).collect();
    missing.sort_by_key(|i| candidates.usable_count(sides[*i], &chosen));
    for i in missing {
        let vn = candidates.pick(sides[i], &chosen, None, rng)?;
        chosen.push(vn.clone());
        picked[i] = Some(vn);
    }
    let primaries: Vec<VirtualNumber> = picked
        .into_iter()
        .map(|p| p.expect("picked above"))
        .collect();

    let mut backups: Vec<Option<VirtualNumber>> = vec![None, None];
    if with_backups {
        let sides = [Side::Customer, Side::Driver];
        // Keep every backup that still qualifies before picking any new one, so a side that
        // needs a new backup cannot take the other side's current one.
        for (i, side) in sides.into_iter().enumerate() {
            let primary_operator = candidates.operator_of(&primaries[i]);
            backups[i] = current
                .and_then(|now| now.backup_of(side))
                .filter(|vn| {
                    usable(side, vn, &chosen) && candidates.operator_of(vn) != primary_operator
                })
                .cloned();
            if let Some(vn) = &backups[i] {
                chosen.push(vn.clone());
            }
        }
        for (i, side) in sides.into_iter().enumerate() {
            if backups[i].is_some() {
                continue;
            }
            let primary_operator = candidates.operator_of(&primaries[i]);
            backups[i] = candidates.pick(side, &chosen, primary_operator, rng);
            if let Some(vn) = &backups[i] {
                chosen.push(vn.clone());
            }
        }
    }

    let [customer_dials, driver_dials]: [VirtualNumber; 2] =
        primaries.try_into().expect("two sides");
    let [customer_backup, driver_backup]: [Option<VirtualNumber>; 2] =
        backups.try_into().expect("two sides");
    Some(AssignedNumbers {
        customer_dials,
        driver_dials,
        customer_backup,
        driver_backup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_pool::vn;
    use crate::domain::Operator;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn two_operators() -> Candidates {
        crate::domain::test_pool::two_operators(4)
    }

    fn operator(c: &Candidates, v: &VirtualNumber) -> Operator {
        c.operator_of(v).unwrap().clone()
    }

    #[test]
    fn new_sessions_get_four_distinct_numbers_with_backups_on_other_operators() {
        let candidates = two_operators();
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..200 {
            let n = choose_pair(None, &candidates, true, &mut rng).unwrap();
            let all: Vec<_> = n.all().collect();
            let distinct: std::collections::HashSet<_> = all.iter().collect();
            assert_eq!(distinct.len(), 4);
            for side in [Side::Customer, Side::Driver] {
                let backup = n.backup_of(side).expect("backup");
                assert_ne!(
                    operator(&candidates, n.dialled_by(side)),
                    operator(&candidates, backup)
                );
            }
        }
    }

    #[test]
    fn without_backups_only_primaries() {
        let mut rng = StdRng::seed_from_u64(1);
        let n = choose_pair(None, &two_operators(), false, &mut rng).unwrap();
        assert_eq!(n.all().count(), 2);
    }

    #[test]
    fn usable_numbers_are_kept() {
        let mut rng = StdRng::seed_from_u64(2);
        let current = AssignedNumbers {
            customer_dials: vn(1),
            driver_dials: vn(2),
            customer_backup: Some(vn(5)),
            driver_backup: Some(vn(6)),
        };
        let n = choose_pair(Some(&current), &two_operators(), true, &mut rng).unwrap();
        assert_eq!(n, current);
    }

    #[test]
    fn an_unusable_primary_is_replaced_by_its_backup_and_a_new_backup_is_found() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut candidates = two_operators();
        candidates.rule_out_everywhere(vn(1));
        let current = AssignedNumbers {
            customer_dials: vn(1),
            driver_dials: vn(2),
            customer_backup: Some(vn(5)),
            driver_backup: Some(vn(6)),
        };
        let n = choose_pair(Some(&current), &candidates, true, &mut rng).unwrap();
        assert_eq!(n.customer_dials, vn(5));
        assert_eq!(n.driver_dials, vn(2));
        assert_eq!(n.driver_backup, Some(vn(6)));
        let new_backup = n.customer_backup.unwrap();
        assert!(!current.uses(&new_backup));
        assert_eq!(
            operator(&candidates, &new_backup).as_str(),
            "airtel",
            "the backup avoids the new primary's operator"
        );
    }

    #[test]
    fn a_new_backup_never_takes_the_other_sides_current_backup() {
        // Customer: airtel 1 (sick) + jio 5; driver: airtel 2 + jio 6. After promotion the
        // customer needs a new non-jio backup; the driver's jio backup must stay where it is.
        let mut candidates = two_operators();
        candidates.rule_out_everywhere(vn(1));
        let current = AssignedNumbers {
            customer_dials: vn(1),
            driver_dials: vn(2),
            customer_backup: Some(vn(5)),
            driver_backup: Some(vn(6)),
        };
        for seed in 0..50 {
            let mut rng = StdRng::seed_from_u64(seed);
            let n = choose_pair(Some(&current), &candidates, true, &mut rng).unwrap();
            assert_eq!(
                (n.driver_dials.clone(), n.driver_backup.clone()),
                (vn(2), Some(vn(6)))
            );
            assert_eq!(n.customer_dials, vn(5));
        }
    }

    #[test]
    fn backups_are_best_effort_when_one_operator_is_left() {
        let mut rng = StdRng::seed_from_u64(4);
        let mut candidates = two_operators();
        for i in 5..=8 {
            candidates.rule_out_everywhere(vn(i));
        }
        let n = choose_pair(None, &candidates, true, &mut rng).unwrap();
        assert_eq!((n.customer_backup, n.driver_backup), (None, None));
    }

    #[test]
    fn the_side_with_fewer_options_picks_first() {
        // Two VNs; the agent already holds VN 1 elsewhere. Picking the customer first could
        // take VN 2 and leave the agent nothing.
        let mut candidates = Candidates::new(vec![
            (vn(1), Operator::parse("airtel").unwrap()),
            (vn(2), Operator::parse("airtel").unwrap()),
        ]);
        candidates.rule_out_for(Side::Driver, vn(1));
        for seed in 0..50 {
            let mut rng = StdRng::seed_from_u64(seed);
            let n = choose_pair(None, &candidates, false, &mut rng).expect("fits");
            assert_eq!((n.customer_dials, n.driver_dials), (vn(1), vn(2)));
        }
    }

    #[test]
    fn nothing_when_a_primary_cannot_be_found() {
        let mut rng = StdRng::seed_from_u64(5);
        let only_one = Candidates::new(vec![(vn(1), Operator::parse("airtel").unwrap())]);
        assert_eq!(choose_pair(None, &only_one, false, &mut rng), None);
    }
}
