//! Which VN (and backup) a single-number session should hold next: the same rule as
//! [`super::choice`] — keep what still works, promote the backup, then pick at random — where
//! every number must be usable by BOTH parties, since each of them dials it.

use rand::Rng;

use super::policy::Candidates;
use super::session::{AssignedNumbers, Side};
use super::VirtualNumber;

const BOTH: [Side; 2] = [Side::Customer, Side::Driver];

pub fn choose_single_number<R: Rng + ?Sized>(
    current: Option<&AssignedNumbers>,
    candidates: &Candidates,
    with_backups: bool,
    rng: &mut R,
) -> Option<AssignedNumbers> {
    let usable = |vn: &&VirtualNumber| candidates.is_usable_for_all(&BOTH, vn);
    // The customer's numbers are the driver's too: primary first, so a usable primary is kept
    // and an unusable one gives way to the backup, which both parties already know.
    let primary = current
        .and_then(|now| now.all_of(Side::Customer).find(usable).cloned())
        .or_else(|| candidates.pick_for_all(&BOTH, &[], None, rng))?;
    let primary_operator = candidates.operator_of(&primary);
    let backup = with_backups
        .then(|| {
            current
                .and_then(|now| now.backup_of(Side::Customer))
                .filter(|vn| {
                    **vn != primary && usable(vn) && candidates.operator_of(vn) != primary_operator
                })
                .cloned()
                .or_else(|| {
                    candidates.pick_for_all(
                        &BOTH,
                        std::slice::from_ref(&primary),
                        primary_operator,
                        rng,
                    )
                })
        })
        .flatten();
    Some(AssignedNumbers {
        customer_dials: primary.clone(),
        driver_dials: primary,
        customer_backup: backup.clone(),
        driver_backup: backup,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::test_pool::vn;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// VNs 1..=3 on airtel, 4..=6 on jio.
    fn two_operators() -> Candidates {
        crate::domain::test_pool::two_operators(3)
    }

    fn single(primary: u32, backup: Option<u32>) -> AssignedNumbers {
        AssignedNumbers {
            customer_dials: vn(primary),
            driver_dials: vn(primary),
            customer_backup: backup.map(vn),
            driver_backup: backup.map(vn),
        }
    }

    #[test]
    fn both_sides_get_one_number_and_one_backup_on_another_operator() {
        let candidates = two_operators();
        for seed in 0..100 {
            let mut rng = StdRng::seed_from_u64(seed);
            let n = choose_single_number(None, &candidates, true, &mut rng).unwrap();
            assert_eq!(n.customer_dials, n.driver_dials);
            assert_eq!(n.customer_backup, n.driver_backup);
            let backup = n.customer_backup.clone().expect("a backup");
            assert_ne!(
                candidates.operator_of(&n.customer_dials),
                candidates.operator_of(&backup)
            );
            assert_eq!(n.all().count(), 2);
        }
    }

    #[test]
    fn the_number_must_be_free_for_both_parties() {
        // The customer is already on 1 and 2 for other orders, the agent on 3: only 4 fits.
        let mut candidates = two_operators();
        candidates.rule_out_for(Side::Customer, vn(1));
        candidates.rule_out_for(Side::Customer, vn(2));
        candidates.rule_out_for(Side::Driver, vn(3));
        candidates.rule_out_everywhere(vn(5));
        candidates.rule_out_everywhere(vn(6));
        for seed in 0..50 {
            let mut rng = StdRng::seed_from_u64(seed);
            let n = choose_single_number(None, &candidates, false, &mut rng).unwrap();
            assert_eq!(n, single(4, None));
        }
        candidates.rule_out_for(Side::Driver, vn(4));
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            choose_single_number(None, &candidates, false, &mut rng),
            None
        );
    }

    #[test]
    fn a_usable_number_is_kept_and_an_unusable_one_gives_way_to_the_backup() {
        let mut rng = StdRng::seed_from_u64(2);
        let mut candidates = two_operators();
        let current = single(1, Some(4));
        assert_eq!(
            choose_single_number(Some(&current), &candidates, true, &mut rng),
            Some(current.clone())
        );
        // A new agent already on 1 for another order: the order moves to its backup, and finds
        // a new backup off the backup's operator.
        candidates.rule_out_for(Side::Driver, vn(1));
        let moved = choose_single_number(Some(&current), &candidates, true, &mut rng).unwrap();
        assert_eq!(moved.customer_dials, vn(4));
        assert_eq!(moved.driver_dials, vn(4));
        let backup = moved.customer_backup.unwrap();
        assert!([vn(2), vn(3)].contains(&backup), "{backup:?}");
    }
}
