//! The planner end to end: simulation, report, JSON and chart, on small workloads so the whole
//! file runs in a few seconds.

use super::presets;
use super::report::Plan;
use super::workload::{RegionShare, Spread, Workload};
use super::*;

fn plan_of(workload: &Workload, seed: u64) -> Plan {
    simulate("test".into(), workload, seed, None, false).unwrap()
}

/// The default preset at a tenth of its volume: same shape, a tenth of the replay time.
fn small_metro() -> Workload {
    let mut w = presets::default_workload();
    for rate in &mut w.orders_per_hour {
        *rate /= 10.0;
    }
    w
}

/// Every dispatch carries exactly `k` orders (the wait is long enough for a batch to fill at
/// any hour), no customer has two orders open.
fn every_agent_carries(k: usize) -> Workload {
    let mut batch_shares = vec![0.0; k];
    batch_shares[k - 1] = 1.0;
    Workload {
        orders_per_hour: vec![60.0; 24],
        duration_minutes: Spread {
            mean: 40.0,
            spread: 10.0,
        },
        batch_shares,
        batch_wait_minutes: 120.0,
        repeat_customer_share: 0.0,
        grace_minutes: 30.0,
        regions: vec![RegionShare {
            name: "central".into(),
            share: 1.0,
        }],
        backups: false,
        number_price_per_month: 1.0,
        currency: "USD".into(),
    }
}

#[test]
fn the_same_seed_gives_the_same_plan() {
    let w = small_metro();
    let json = |seed| serde_json::to_string(&plan_of(&w, seed)).unwrap();
    assert_eq!(json(3), json(3));
    assert_ne!(json(3), json(4), "the seed is used");
}

#[test]
fn shared_needs_no_more_than_exclusive_and_exclusive_no_more_than_one_per_order() {
    for w in [
        small_metro(),
        presets::find("home-services").unwrap().workload,
    ] {
        let plan = plan_of(&w, 7);
        for r in plan
            .regions
            .iter()
            .map(|r| &r.policies)
            .chain([&plan.total])
        {
            assert!(r.shared.numbers <= r.shared_with_backups.numbers);
            assert!(r.shared.numbers <= r.exclusive.numbers);
            assert!(r.exclusive.numbers <= r.one_per_order.numbers);
            assert!(r.exclusive.monthly_cost <= r.one_per_order.monthly_cost);
        }
    }
}

#[test]
fn shared_meets_the_lower_bound_when_every_agent_carries_k_orders() {
    for k in [1, 3, 5] {
        let plan = plan_of(&every_agent_carries(k), 11);
        let r = &plan.regions[0];
        // Chained trips overlap the previous batch's grace, so the busiest agent holds at least k.
        assert!(r.busiest_participant_sessions >= k as u32, "k={k}");
        assert!(
            r.policies.shared.numbers >= r.lower_bound,
            "no pool beats the bound"
        );
        assert!(
            r.policies.shared.numbers <= r.lower_bound + 1,
            "k={k}: shared {} vs lower bound {}",
            r.policies.shared.numbers,
            r.lower_bound
        );
        assert!(r.policies.shared_with_backups.numbers >= r.lower_bound_with_backups);
    }
}

#[test]
fn presets_are_listed_by_name_with_the_default_marked() {
    let listed = list_presets();
    for preset in presets::all() {
        assert!(listed.contains(preset.name));
    }
    assert!(listed.contains("metro-food (default)"));
}

#[test]
fn json_has_the_documented_fields() {
    let units = costs::PerOrderUnits {
        read_units: 6.0,
        write_units: 14.0,
        lambda_invocations: 5.0,
        lambda_gb_seconds: 0.35,
    };
    let prices = costs::AwsPrices {
        dynamodb_read_per_million: 0.125,
        dynamodb_write_per_million: 0.625,
        lambda_per_gb_second: 0.0000133334,
        lambda_per_million_requests: 0.2,
    };
    let w = presets::find("home-services").unwrap().workload;
    let infra = costs::infra_cost(units, "flags".into(), prices, w.orders_per_day());
    let plan = simulate("home-services".into(), &w, 7, Some(infra), false).unwrap();
    let json: serde_json::Value = serde_json::to_value(&plan).unwrap();
    for key in [
        "workload",
        "seed",
        "grace_minutes",
        "backups",
        "currency",
        "number_price_per_month",
        "orders_per_day",
        "regions",
        "total",
        "recommended",
        "infra",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    let region = &json["regions"][0];
    for key in [
        "region",
        "orders_per_day",
        "peak_live_sessions",
        "busiest_participant_sessions",
        "lower_bound",
        "lower_bound_with_backups",
        "plivo_guidance",
    ] {
        assert!(region.get(key).is_some(), "{key}");
    }
    for policy in [
        "shared",
        "shared_with_backups",
        "exclusive",
        "single_number",
        "one_per_order",
    ] {
        for key in [
            "numbers",
            "peak_in_use",
            "rentals_per_month",
            "monthly_cost",
        ] {
            assert!(
                region["policies"][policy].get(key).is_some(),
                "{policy}.{key}"
            );
            assert!(
                json["total"][policy].get(key).is_some(),
                "total {policy}.{key}"
            );
        }
    }
    assert_eq!(json["recommended"]["policy"], "shared_with_backups");
    for key in [
        "units_from",
        "per_order",
        "prices_usd",
        "orders_per_month",
        "dynamodb_per_month_usd",
        "lambda_per_month_usd",
    ] {
        assert!(json["infra"].get(key).is_some(), "infra.{key}");
    }
}

#[test]
fn the_chart_is_an_svg_file() {
    let plan = plan_of(&presets::find("home-services").unwrap().workload, 7);
    let path = std::env::temp_dir().join(format!("maskctl-plan-{}.svg", std::process::id()));
    chart::draw(&plan.in_use, "test", &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("shared (Maskline)"));
}

#[test]
fn the_tables_name_every_policy_and_the_recommendation() {
    let plan = plan_of(&small_metro(), 7);
    let text = table::render_plan(&plan);
    for words in [
        "central",
        "LOWER BOUND",
        "shared (Maskline)",
        "one purchase per order",
        "Rent ",
    ] {
        assert!(text.contains(words), "{words}\n{text}");
    }
}
