//! What the rest of a month costs besides numbers: DynamoDB and Lambda, from what one order's
//! lifecycle measurably consumes (assignment, calls, status reports, release) times list prices.
//!
//! The measured units come from `target/bench/figures.json` when a benchmark has written it, and
//! flags override them one by one. The file's schema (other keys are ignored):
//!
//! ```json
//! { "per_order": { "read_units": 6.0, "write_units": 14.0,
//!                  "lambda_invocations": 5.0, "lambda_gb_seconds": 0.35 } }
//! ```
//!
//! `read_units`/`write_units` are DynamoDB request units (on-demand: a strongly consistent read of
//! up to 4 KB is one, a transactional write of up to 1 KB is two) over one order's whole life;
//! `lambda_invocations` and `lambda_gb_seconds` likewise, summed over every function it touches.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// A 30-day month.
pub const DAYS_PER_MONTH: f64 = 30.0;

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct PerOrderUnits {
    pub read_units: f64,
    pub write_units: f64,
    pub lambda_invocations: f64,
    pub lambda_gb_seconds: f64,
}

/// The same, each one possibly unknown: what a file or the flags said.
#[derive(Debug, Clone, Copy, PartialEq, Default, Deserialize)]
pub struct SomeUnits {
    pub read_units: Option<f64>,
    pub write_units: Option<f64>,
    pub lambda_invocations: Option<f64>,
    pub lambda_gb_seconds: Option<f64>,
}

impl SomeUnits {
    /// `self` where known, else `fallback`.
    pub fn or(self, fallback: SomeUnits) -> SomeUnits {
        SomeUnits {
            read_units: self.read_units.or(fallback.read_units),
            write_units: self.write_units.or(fallback.write_units),
            lambda_invocations: self.lambda_invocations.or(fallback.lambda_invocations),
            lambda_gb_seconds: self.lambda_gb_seconds.or(fallback.lambda_gb_seconds),
        }
    }

    pub fn complete(self) -> Option<PerOrderUnits> {
        Some(PerOrderUnits {
            read_units: self.read_units?,
            write_units: self.write_units?,
            lambda_invocations: self.lambda_invocations?,
            lambda_gb_seconds: self.lambda_gb_seconds?,
        })
    }

    pub fn is_empty(self) -> bool {
        self == SomeUnits::default()
    }
}

#[derive(Deserialize)]
struct Figures {
    per_order: SomeUnits,
}

/// The units in a figures file; `None` when there is no file at `path`.
pub fn read_figures(path: &Path) -> anyhow::Result<Option<SomeUnits>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::anyhow!("{}: {e}", path.display())),
    };
    let figures: Figures = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{}: expected {{\"per_order\": {{...}}}}: {e}",
            path.display()
        )
    })?;
    Ok(Some(figures.per_order))
}

/// On-demand list prices in USD.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AwsPrices {
    pub dynamodb_read_per_million: f64,
    pub dynamodb_write_per_million: f64,
    pub lambda_per_gb_second: f64,
    pub lambda_per_million_requests: f64,
}

/// What the plan says about the month's infrastructure, in USD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InfraCost {
    /// Where the units came from: the figures file, flags, or both.
    pub units_from: String,
    pub per_order: PerOrderUnits,
    pub prices_usd: AwsPrices,
    pub orders_per_month: f64,
    pub dynamodb_per_month_usd: f64,
    pub lambda_per_month_usd: f64,
}

pub fn infra_cost(
    units: PerOrderUnits,
    units_from: String,
    prices: AwsPrices,
    orders_per_day: f64,
) -> InfraCost {
    let orders_per_month = orders_per_day * DAYS_PER_MONTH;
    let per_million = |units: f64, price: f64| orders_per_month * units * price / 1e6;
    let dynamodb = per_million(units.read_units, prices.dynamodb_read_per_million)
        + per_million(units.write_units, prices.dynamodb_write_per_million);
    let lambda = per_million(units.lambda_invocations, prices.lambda_per_million_requests)
        + orders_per_month * units.lambda_gb_seconds * prices.lambda_per_gb_second;
    InfraCost {
        units_from,
        per_order: units,
        prices_usd: prices,
        orders_per_month,
        dynamodb_per_month_usd: dynamodb,
        lambda_per_month_usd: lambda,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICES: AwsPrices = AwsPrices {
        dynamodb_read_per_million: 0.125,
        dynamodb_write_per_million: 0.625,
        lambda_per_gb_second: 0.0000133334,
        lambda_per_million_requests: 0.20,
    };

    #[test]
    fn a_million_orders_a_month_cost_their_units_at_list_price() {
        let units = PerOrderUnits {
            read_units: 2.0,
            write_units: 4.0,
            lambda_invocations: 5.0,
            lambda_gb_seconds: 0.5,
        };
        let cost = infra_cost(units, "flags".into(), PRICES, 1e6 / DAYS_PER_MONTH);
        assert!((cost.dynamodb_per_month_usd - (0.25 + 2.5)).abs() < 1e-9);
        assert!((cost.lambda_per_month_usd - (1.0 + 6.6667)).abs() < 1e-3);
    }

    #[test]
    fn figures_files_follow_the_documented_schema() {
        let dir = std::env::temp_dir().join(format!("maskctl-figures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("figures.json");
        assert_eq!(read_figures(&path).unwrap(), None);
        std::fs::write(
            &path,
            r#"{"per_order": {"read_units": 6, "write_units": 14, "lambda_invocations": 5,
                "lambda_gb_seconds": 0.35}, "measured_with": "bench"}"#,
        )
        .unwrap();
        let units = read_figures(&path).unwrap().unwrap().complete().unwrap();
        assert_eq!(units.write_units, 14.0);
        std::fs::write(&path, r#"{"orders": 3}"#).unwrap();
        assert!(read_figures(&path)
            .unwrap_err()
            .to_string()
            .contains("per_order"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
