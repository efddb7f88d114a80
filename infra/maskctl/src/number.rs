//! `maskctl number mark-unhealthy` / `mark-healthy`: failover by hand, through the same service
//! the number-health function runs, so sessions move and the apps are told exactly as they would
//! be for a provider's report. Virtual numbers are ours, so they are printed in full.

use anyhow::{bail, Context};
use maskline::domain::number::DefaultCountry;
use maskline::domain::pool::PoolNumber;
use maskline::domain::VirtualNumber;
use maskline::services::{Failover, FailoverError, FailoverReport};

pub fn parse_vn(
    raw: &str,
    default_country: Option<DefaultCountry>,
) -> anyhow::Result<VirtualNumber> {
    VirtualNumber::parse(raw, default_country).context("invalid virtual number")
}

pub async fn mark_unhealthy(failover: &Failover, vn: &VirtualNumber) -> anyhow::Result<()> {
    let report = failover
        .mark_unhealthy(vn)
        .await
        .map_err(|e| explain(e, vn, "unhealthy"))?;
    println!("{}", unhealthy_summary(vn, &report));
    // The number is marked either way, but sessions still riding it are a job half done: fail, so
    // a script notices.
    if !report.stranded.is_empty() {
        let mut orders: Vec<String> = report.stranded.iter().map(ToString::to_string).collect();
        orders.sort();
        bail!(
            "order(s) {} stay on {vn}: no healthy number left in its region; add or activate \
             numbers (`maskctl pool refill`), then run this command again to move them",
            orders.join(", ")
        );
    }
    Ok(())
}

pub async fn mark_healthy(failover: &Failover, vn: &VirtualNumber) -> anyhow::Result<()> {
    let number = failover
        .mark_healthy(vn)
        .await
        .map_err(|e| explain(e, vn, "healthy"))?;
    println!("{}", healthy_summary(&number));
    Ok(())
}

pub fn unhealthy_summary(vn: &VirtualNumber, report: &FailoverReport) -> String {
    format!(
        "{vn} marked unhealthy; {} moved, {} stranded",
        sessions(report.moved.len()),
        report.stranded.len()
    )
}

pub fn healthy_summary(number: &PoolNumber) -> String {
    if number.allocatable() {
        format!(
            "{} marked healthy; it takes new sessions again (sessions moved off it stay moved)",
            number.vn
        )
    } else {
        format!(
            "{} marked healthy; it is {}, so it takes new sessions only once refill activates it",
            number.vn, number.state
        )
    }
}

fn sessions(n: usize) -> String {
    if n == 1 {
        "1 session".into()
    } else {
        format!("{n} sessions")
    }
}

/// An unknown VN is a typo, not an outage; anything else may have stopped half-way, and the
/// service is safe to re-run, so say so.
fn explain(error: FailoverError, vn: &VirtualNumber, health: &str) -> anyhow::Error {
    match error {
        FailoverError::UnknownNumber(_) => anyhow::anyhow!(
            "{vn} is not in the pool; nothing changed (`maskctl pool list` shows the pool)"
        ),
        other => anyhow::Error::new(other).context(format!(
            "marking {vn} {health} did not finish; running the command again is safe"
        )),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use maskline::domain::pool::{Health, PoolState};
    use maskline::domain::{Operator, OrderId, Provider, Region};

    use super::*;

    fn vn() -> VirtualNumber {
        VirtualNumber::parse("+918041000003", None).unwrap()
    }

    fn orders(n: usize) -> Vec<OrderId> {
        (0..n)
            .map(|i| OrderId::parse(&format!("ORD-{i}")).unwrap())
            .collect()
    }

    #[test]
    fn the_unhealthy_summary_counts_sessions() {
        let report = FailoverReport {
            moved: orders(12),
            ..FailoverReport::default()
        };
        assert_eq!(
            unhealthy_summary(&vn(), &report),
            "+918041000003 marked unhealthy; 12 sessions moved, 0 stranded"
        );
        let one = FailoverReport {
            moved: orders(1),
            stranded: orders(2),
        };
        assert_eq!(
            unhealthy_summary(&vn(), &one),
            "+918041000003 marked unhealthy; 1 session moved, 2 stranded"
        );
    }

    #[test]
    fn the_healthy_summary_says_whether_sessions_can_come() {
        let mut number = PoolNumber {
            vn: vn(),
            region: Region::parse("blr").unwrap(),
            operator: Operator::parse("airtel").unwrap(),
            provider: Provider::parse("static").unwrap(),
            health: Health::Healthy,
            state: PoolState::Active,
            suspect: false,
            provider_ref: None,
            activated_at: Utc::now(),
        };
        assert!(healthy_summary(&number).contains("takes new sessions again"));
        number.state = PoolState::Standby;
        assert!(healthy_summary(&number).contains("it is standby"));
    }

    #[test]
    fn an_unknown_number_is_a_clear_error() {
        let err = explain(FailoverError::UnknownNumber(vn()), &vn(), "unhealthy");
        assert_eq!(
            err.to_string(),
            "+918041000003 is not in the pool; nothing changed (`maskctl pool list` shows the pool)"
        );
    }
}
