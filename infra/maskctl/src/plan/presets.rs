//! Named workloads, so `maskctl plan` answers something before anyone writes a file. The figures
//! are assumptions for a plausible city, not measurements: each preset says what it assumes.

use super::workload::{RegionShare, Spread, Workload, DEFAULT_BATCH_WAIT_MINUTES};

pub const DEFAULT_PRESET: &str = "metro-food";

/// Twilio's list price for a US local number, as of 2025: pass your own with `--number-price`.
const NUMBER_PRICE_USD: f64 = 1.15;

pub struct Preset {
    pub name: &'static str,
    pub summary: &'static str,
    pub workload: Workload,
}

pub fn all() -> Vec<Preset> {
    vec![
        Preset {
            name: "metro-food",
            summary: "metro food delivery: ~11,000 orders a day with lunch and dinner peaks \
                      (1,400/h at 20:00), 35 ± 15 min from assignment to delivery, 45% of \
                      dispatches batched (up to 4 orders), 3% of orders from a customer with \
                      one already open, three regions 45/35/20",
            workload: metro_food(),
        },
        Preset {
            name: "home-services",
            summary: "home services: ~390 jobs a day between 07:00 and 20:00, 2 h ± 1 h each, \
                      a technician rarely holds two jobs (15%), 5% repeat customers, one region, \
                      backups on (a missed call costs a visit)",
            workload: home_services(),
        },
        Preset {
            name: "quick-commerce",
            summary: "10-minute grocery: ~6,200 orders a day from 07:00 to 01:00, 15 ± 5 min \
                      each, riders batching up to 3 orders from a dark store (60% batched), \
                      two regions 60/40",
            workload: quick_commerce(),
        },
    ]
}

pub fn find(name: &str) -> Option<Preset> {
    all().into_iter().find(|p| p.name == name)
}

#[cfg(test)]
pub fn default_workload() -> Workload {
    metro_food()
}

fn regions(shares: &[(&str, f64)]) -> Vec<RegionShare> {
    shares
        .iter()
        .map(|(name, share)| RegionShare {
            name: name.to_string(),
            share: *share,
        })
        .collect()
}

/// Lunch (12–14) and dinner (19–21) peaks over a quiet night; most agents carry one order, a
/// third carry two, a few carry three or four.
fn metro_food() -> Workload {
    Workload {
        orders_per_hour: vec![
            40.0, 20.0, 10.0, 5.0, 5.0, 10.0, 30.0, 80.0, 150.0, 200.0, 300.0, 600.0, 1100.0,
            1200.0, 700.0, 400.0, 350.0, 500.0, 900.0, 1300.0, 1400.0, 1000.0, 500.0, 150.0,
        ],
        duration_minutes: Spread {
            mean: 35.0,
            spread: 15.0,
        },
        batch_shares: vec![0.55, 0.30, 0.12, 0.03],
        batch_wait_minutes: DEFAULT_BATCH_WAIT_MINUTES,
        repeat_customer_share: 0.03,
        grace_minutes: 30.0,
        regions: regions(&[("central", 0.45), ("east", 0.35), ("north", 0.20)]),
        backups: false,
        number_price_per_month: NUMBER_PRICE_USD,
        currency: "USD".into(),
    }
}

/// Long visits booked through the working day; a technician occasionally holds the next job
/// while finishing the current one.
fn home_services() -> Workload {
    Workload {
        orders_per_hour: vec![
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 25.0, 35.0, 40.0, 40.0, 30.0, 35.0, 40.0,
            40.0, 35.0, 30.0, 20.0, 10.0, 0.0, 0.0, 0.0, 0.0,
        ],
        duration_minutes: Spread {
            mean: 120.0,
            spread: 60.0,
        },
        batch_shares: vec![0.85, 0.15],
        batch_wait_minutes: 30.0,
        repeat_customer_share: 0.05,
        grace_minutes: 30.0,
        regions: regions(&[("city", 1.0)]),
        backups: true,
        number_price_per_month: NUMBER_PRICE_USD,
        currency: "USD".into(),
    }
}

/// Short trips from dark stores, open late; riders wait a few minutes to batch.
fn quick_commerce() -> Workload {
    Workload {
        orders_per_hour: vec![
            120.0, 40.0, 0.0, 0.0, 0.0, 0.0, 0.0, 100.0, 250.0, 300.0, 300.0, 300.0, 350.0, 350.0,
            300.0, 300.0, 350.0, 450.0, 550.0, 600.0, 550.0, 450.0, 300.0, 200.0,
        ],
        duration_minutes: Spread {
            mean: 15.0,
            spread: 5.0,
        },
        batch_shares: vec![0.40, 0.40, 0.20],
        batch_wait_minutes: 4.0,
        repeat_customer_share: 0.02,
        grace_minutes: 30.0,
        regions: regions(&[("south", 0.6), ("west", 0.4)]),
        backups: false,
        number_price_per_month: NUMBER_PRICE_USD,
        currency: "USD".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_their_summaries_match_their_volumes() {
        for preset in all() {
            preset.workload.check().unwrap();
            assert!(find(preset.name).is_some());
        }
        assert!(find(DEFAULT_PRESET).is_some());
        let per_day = |name| find(name).unwrap().workload.orders_per_day();
        assert_eq!(per_day("metro-food"), 10_950.0);
        assert_eq!(per_day("home-services"), 390.0);
        assert_eq!(per_day("quick-commerce"), 6_160.0);
    }
}
