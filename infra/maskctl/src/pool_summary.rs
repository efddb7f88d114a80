//! The totals under `maskctl pool list`: per region and operator, what refill and allocation care
//! about, next to the target an operator set, so a shortfall shows without counting rows.

use std::collections::BTreeMap;

use maskline::domain::pool::PoolEntryView;
use maskline::domain::pool::{PoolState, PoolTarget};
use maskline::domain::{Operator, Region};

use crate::columns;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatorSummary {
    /// Every number, whatever its state.
    pub numbers: usize,
    /// Numbers that can take new sessions now.
    pub active_healthy: usize,
    pub standby: usize,
    pub live_bindings: usize,
    pub target_min: Option<u32>,
}

/// Totals per (region, operator), including targeted operators that have no number yet.
pub fn summarise(
    entries: &[PoolEntryView],
    targets: &[PoolTarget],
) -> BTreeMap<(Region, Operator), OperatorSummary> {
    let mut summary: BTreeMap<(Region, Operator), OperatorSummary> = BTreeMap::new();
    for entry in entries {
        let n = &entry.number;
        let s = summary
            .entry((n.region.clone(), n.operator.clone()))
            .or_default();
        s.numbers += 1;
        s.active_healthy += usize::from(n.allocatable());
        s.standby += usize::from(n.state == PoolState::Standby);
        s.live_bindings += entry.live_bindings.unwrap_or(0);
    }
    for target in targets {
        summary
            .entry((target.region.clone(), target.operator.clone()))
            .or_default()
            .target_min = Some(target.min);
    }
    summary
}

pub fn render_summary(summary: &BTreeMap<(Region, Operator), OperatorSummary>) -> String {
    let rows: Vec<[String; 7]> = summary
        .iter()
        .map(|((region, operator), s)| {
            [
                region.to_string(),
                operator.to_string(),
                s.numbers.to_string(),
                s.active_healthy.to_string(),
                s.standby.to_string(),
                s.live_bindings.to_string(),
                target_cell(s),
            ]
        })
        .collect();
    columns::render(
        [
            "REGION",
            "OPERATOR",
            "NUMBERS",
            "ACTIVE HEALTHY",
            "STANDBY",
            "LIVE BINDINGS",
            "TARGET MIN",
        ],
        &rows,
    )
}

/// The minimum, and how far the operator is below it (refill may want more than the minimum
/// under load; the minimum is what an operator promised).
fn target_cell(s: &OperatorSummary) -> String {
    match s.target_min {
        None => "-".into(),
        Some(min) => {
            let short = (min as usize).saturating_sub(s.active_healthy);
            if short == 0 {
                min.to_string()
            } else {
                format!("{min} ({short} short)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use maskline::domain::pool::Health;
    use maskline::domain::Provider;

    use super::*;
    use crate::pool::tests::view;

    fn target(operator: &str, min: u32) -> PoolTarget {
        PoolTarget {
            region: Region::parse("blr").unwrap(),
            operator: Operator::parse(operator).unwrap(),
            provider: Provider::parse("static").unwrap(),
            min,
            search: None,
        }
    }

    #[test]
    fn totals_per_operator_with_targets_and_shortfalls() {
        let mut sick = view("+918041000002", "airtel", PoolState::Active, Some(1));
        sick.number.health = Health::Unhealthy;
        let entries = [
            view("+918041000001", "airtel", PoolState::Active, Some(3)),
            sick,
            view("+918041000003", "airtel", PoolState::Standby, Some(0)),
            view("+918041000004", "airtel", PoolState::Retiring, None),
            view("+918041000011", "jio", PoolState::Active, Some(2)),
        ];
        let summary = summarise(&entries, &[target("airtel", 3), target("vi", 2)]);
        let airtel = &summary[&(
            Region::parse("blr").unwrap(),
            Operator::parse("airtel").unwrap(),
        )];
        assert_eq!(
            *airtel,
            OperatorSummary {
                numbers: 4,
                active_healthy: 1,
                standby: 1,
                live_bindings: 4,
                target_min: Some(3),
            }
        );
        assert_eq!(
            render_summary(&summary),
            "REGION  OPERATOR  NUMBERS  ACTIVE HEALTHY  STANDBY  LIVE BINDINGS  TARGET MIN\n\
             blr     airtel    4        1               1        4              3 (2 short)\n\
             blr     jio       1        1               0        2              -\n\
             blr     vi        0        0               0        0              2 (2 short)\n"
        );
    }
}
