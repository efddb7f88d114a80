//! `maskctl plan`: the capacity planner's flags. Every workload setting can come from a file, a
//! preset, or a flag; a flag wins.

use std::path::PathBuf;

use clap::Args;

use super::env;
use crate::plan::workload::{parse_list, parse_regions, RegionShare};

// A list given as one comma-separated value: behind an alias, clap parses it whole instead of
// expecting the flag once per element.
type List = Vec<f64>;
type Regions = Vec<RegionShare>;

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// List the presets and what each assumes, then stop.
    #[arg(long)]
    pub presets: bool,
    /// A workload file (TOML; `--show-workload` prints one to start from).
    #[arg(long, conflicts_with = "preset")]
    pub workload: Option<PathBuf>,
    /// A named workload (default: metro-food).
    #[arg(long)]
    pub preset: Option<String>,
    /// Print the workload in effect (after flags) as TOML, then stop.
    #[arg(long)]
    pub show_workload: bool,
    /// The same seed gives the same plan.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Draw numbers in use over the day, per policy, into this SVG file.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: WorkloadFlags,
    #[command(flatten)]
    pub infra: InfraFlags,
}

/// Each replaces the workload's own setting.
#[derive(Debug, Clone, Args, Default)]
pub struct WorkloadFlags {
    /// Orders per hour for the whole city, midnight first: 24 comma-separated values.
    #[arg(long, value_parser = parse_list)]
    pub orders_per_hour: Option<List>,
    /// Mean minutes from assignment to delivery.
    #[arg(long)]
    pub duration_mean: Option<f64>,
    /// Each order's duration is uniform over mean ± spread (minutes).
    #[arg(long)]
    pub duration_spread: Option<f64>,
    /// Weights of dispatches carrying 1, 2, 3, ... orders, e.g. `0.5,0.3,0.2`.
    #[arg(long, value_parser = parse_list)]
    pub batch_shares: Option<List>,
    /// Minutes a forming batch waits for more orders.
    #[arg(long)]
    pub batch_wait_minutes: Option<f64>,
    /// Share of orders from a customer who already has one open (0..1).
    #[arg(long)]
    pub repeat_customer_share: Option<f64>,
    /// Minutes numbers stay callable after delivery (`RELEASE_GRACE_SECONDS` / 60; default 30).
    #[arg(long)]
    pub grace_minutes: Option<f64>,
    /// Regions and their shares of orders, e.g. `central=0.6,east=0.4`.
    #[arg(long, value_parser = parse_regions)]
    pub regions: Option<Regions>,
    /// Whether sessions hold backup numbers (`on`/`off`): picks the recommended figure.
    #[arg(long, value_parser = env::on_off)]
    pub backups: Option<bool>,
    /// Rent of one number per month.
    #[arg(long)]
    pub number_price: Option<f64>,
    /// The label of that price's currency.
    #[arg(long)]
    pub currency: Option<String>,
}

/// DynamoDB and Lambda: measured units per order lifecycle and on-demand prices. The price
/// defaults are list prices, us-east-1, as of 2025; pass your own.
#[derive(Debug, Args)]
pub struct InfraFlags {
    /// Where a benchmark left its per-order figures (default: `target/bench/figures.json`, under
    /// `CARGO_TARGET_DIR` when set).
    #[arg(long)]
    pub figures: Option<PathBuf>,
    #[arg(long)]
    pub read_units_per_order: Option<f64>,
    #[arg(long)]
    pub write_units_per_order: Option<f64>,
    #[arg(long)]
    pub lambda_invocations_per_order: Option<f64>,
    #[arg(long)]
    pub lambda_gb_seconds_per_order: Option<f64>,
    /// USD per million read request units (DynamoDB on-demand, us-east-1, 2025 list price).
    #[arg(long, default_value_t = 0.125)]
    pub dynamodb_read_price: f64,
    /// USD per million write request units (DynamoDB on-demand, us-east-1, 2025 list price).
    #[arg(long, default_value_t = 0.625)]
    pub dynamodb_write_price: f64,
    /// USD per GB-second (Lambda arm64, us-east-1, 2025 list price).
    #[arg(long, default_value_t = 0.0000133334)]
    pub lambda_gb_second_price: f64,
    /// USD per million Lambda requests (us-east-1, 2025 list price).
    #[arg(long, default_value_t = 0.20)]
    pub lambda_request_price: f64,
}
