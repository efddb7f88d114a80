//! `maskctl pool refill`: one refill run from an operator's terminal, with the `static` source
//! only. It is how standby numbers imported by hand go live without waiting for the schedule;
//! bought numbers (twilio) are the refill function's business, with its credentials.

use anyhow::Context;
use chrono::Duration;
use maskline::config::Config;
use maskline::services::refill::OperatorRefill;
use maskline::services::{Refill, RegionRefill};

use crate::cli::{RefillArgs, RulesArgs};
use crate::columns;

pub async fn run(refill: &Refill, args: RefillArgs) -> anyhow::Result<()> {
    let done = match &args.region {
        Some(region) => vec![refill
            .run_region(region)
            .await
            .with_context(|| format!("refilling {region}"))?],
        None => refill.run_all().await.context("refilling the pool")?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&done)?);
        return Ok(());
    }
    print!("{}", render(&done));
    if done
        .iter()
        .flat_map(|r| &r.operators)
        .any(|o| o.problem.is_some())
    {
        eprintln!(
            "note: maskctl refills from standby (static) numbers only; targets of other providers \
             are refilled by the refill function"
        );
    }
    Ok(())
}

/// The refill rules the flags name, over the wiring's defaults.
pub fn apply_rules(config: &mut Config, args: &RulesArgs) {
    config.policy = args.policy;
    config.backups = args.backups.backups;
    config.refill.headroom = args.headroom;
    config.refill.cool_off = Duration::seconds(i64::from(args.cool_off_seconds));
}

/// One row per targeted operator, then the regions that have no target (refill leaves those alone).
pub fn render(done: &[RegionRefill]) -> String {
    let rows: Vec<[String; 7]> = done
        .iter()
        .flat_map(|r| r.operators.iter().map(move |o| (r, o)))
        .map(|(r, o)| {
            [
                r.region.to_string(),
                columns::or_dash(o.operator.as_ref()),
                o.wanted.to_string(),
                o.healthy_before.to_string(),
                o.acquired.to_string(),
                o.given_back.to_string(),
                note(o),
            ]
        })
        .collect();
    let mut out = String::new();
    if !rows.is_empty() {
        out = columns::render(
            [
                "REGION",
                "OPERATOR",
                "WANTED",
                "HEALTHY BEFORE",
                "ACQUIRED",
                "GIVEN BACK",
                "NOTE",
            ],
            &rows,
        );
    }
    let untargeted: Vec<String> = done
        .iter()
        .filter(|r| r.operators.is_empty())
        .map(|r| r.region.to_string())
        .collect();
    if !untargeted.is_empty() {
        out.push_str(&format!(
            "no target, nothing done: {} (set one with `maskctl pool target`)\n",
            untargeted.join(", ")
        ));
    }
    if done.is_empty() {
        out.push_str("no regions: the pool is empty\n");
    }
    out
}

fn note(o: &OperatorRefill) -> String {
    if o.skipped_busy {
        return "skipped: another refill is running".into();
    }
    if let Some(problem) = &o.problem {
        return format!("problem: {problem}");
    }
    // The static source can only activate what is on standby; what it could not find is short.
    let short = o.wanted.saturating_sub(o.healthy_before + o.acquired);
    if short > 0 {
        return format!("{short} short: not enough standby numbers");
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use maskline::domain::{AllocationPolicy, Operator, Region};

    use super::*;

    fn operator(name: &str, wanted: u32, before: u32, acquired: u32) -> OperatorRefill {
        OperatorRefill {
            operator: Some(Operator::parse(name).unwrap()),
            wanted,
            healthy_before: before,
            acquired,
            ..OperatorRefill::default()
        }
    }

    #[test]
    fn each_operator_gets_a_row_with_what_refill_did() {
        let busy = OperatorRefill {
            skipped_busy: true,
            ..operator("vi", 4, 1, 0)
        };
        let twilio = OperatorRefill {
            problem: Some("no number source configured for provider twilio".into()),
            ..operator("bsnl", 4, 0, 0)
        };
        let surplus = OperatorRefill {
            given_back: 2,
            ..operator("jio", 4, 6, 0)
        };
        let done = [
            RegionRefill {
                region: Region::parse("blr").unwrap(),
                operators: vec![operator("airtel", 6, 0, 4), surplus, busy, twilio],
                figures: Default::default(),
                measured_at: chrono::Utc::now(),
            },
            RegionRefill {
                region: Region::parse("del").unwrap(),
                operators: vec![],
                figures: Default::default(),
                measured_at: chrono::Utc::now(),
            },
        ];
        assert_eq!(
            render(&done),
            "REGION  OPERATOR  WANTED  HEALTHY BEFORE  ACQUIRED  GIVEN BACK  NOTE\n\
             blr     airtel    6       0               4         0           2 short: not enough standby numbers\n\
             blr     jio       4       6               0         2\n\
             blr     vi        4       1               0         0           skipped: another refill is running\n\
             blr     bsnl      4       0               0         0           problem: no number source configured for provider twilio\n\
             no target, nothing done: del (set one with `maskctl pool target`)\n"
        );
    }

    #[test]
    fn an_empty_pool_says_so() {
        assert_eq!(render(&[]), "no regions: the pool is empty\n");
    }

    #[test]
    fn rules_come_from_the_arguments() {
        let mut config =
            Config::from_lookup(|name| (name == "TABLE_NAME").then(|| "t".to_string())).unwrap();
        apply_rules(
            &mut config,
            &RulesArgs {
                policy: AllocationPolicy::Exclusive,
                backups: crate::cli::Backups { backups: true },
                headroom: 3,
                cool_off_seconds: 600,
            },
        );
        assert_eq!(config.policy, AllocationPolicy::Exclusive);
        assert!(config.backups);
        let refill = &config.refill;
        assert_eq!(
            (refill.headroom, refill.cool_off),
            (3, Duration::minutes(10))
        );
    }
}
