//! `maskctl plan`: how many numbers a city needs, and what they cost a month.
//!
//! A day of orders is simulated per region (`day`), then replayed under each allocation policy on
//! Maskline's own rule (`replay`), growing the pool only when an allocation fails. What the day
//! asks of any pool (`concurrency`) gives the floor beside it, and `costs` adds DynamoDB and Lambda.

mod chart;
mod city;
mod concurrency;
mod costs;
mod day;
mod fictional;
pub mod presets;
mod replay;
mod report;
mod table;
#[cfg(test)]
mod tests;
mod timeline;
pub mod workload;

use std::io::IsTerminal;
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{InfraFlags, PlanArgs, WorkloadFlags};
use costs::{AwsPrices, InfraCost, SomeUnits};
use workload::Workload;

pub fn run(args: PlanArgs) -> anyhow::Result<()> {
    if args.presets {
        print!("{}", list_presets());
        return Ok(());
    }
    let (mut label, base) = workload_of(&args)?;
    let mut workload = base.clone();
    apply(&args.overrides, &mut workload);
    workload.check()?;
    if workload != base {
        label.push_str(" with overrides");
    }
    if args.show_workload {
        print!("{}", workload.to_toml());
        return Ok(());
    }
    let infra = infra_cost(&args.infra, workload.orders_per_day())?;
    let plan = simulate(label, &workload, args.seed, infra, !args.json)?;
    if let Some(path) = &args.chart {
        let title = format!("Numbers in use over the day: {}", plan.workload);
        chart::draw(&plan.in_use, &title, path)?;
        if !args.json {
            eprintln!("chart written to {}", path.display());
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&plan)?);
    } else {
        print!("{}", table::render_plan(&plan));
    }
    Ok(())
}

/// Runs the simulation and builds the report; a progress bar on a terminal unless `quiet`.
pub fn simulate(
    label: String,
    workload: &Workload,
    seed: u64,
    infra: Option<InfraCost>,
    show_progress: bool,
) -> anyhow::Result<report::Plan> {
    let days = city::simulate_days(workload, seed);
    let sessions: usize = days.iter().map(|d| d.sessions.len()).sum();
    let bar = progress_bar(show_progress, (sessions * replay::Policy::ALL.len()) as u64);
    let outcomes = days
        .iter()
        .map(|day| city::replay_region(day, seed, || bar.inc(1)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    bar.finish_and_clear();
    Ok(report::plan(label, seed, workload, &outcomes, infra))
}

fn progress_bar(wanted: bool, length: u64) -> ProgressBar {
    if !wanted || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template("replaying sessions {bar:40} {pos}/{len} {eta}")
            .expect("a valid template"),
    );
    bar
}

pub fn list_presets() -> String {
    let mut out = String::new();
    for preset in presets::all() {
        let default = if preset.name == presets::DEFAULT_PRESET {
            " (default)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{}{default}\n    {}\n",
            preset.name, preset.summary
        ));
    }
    out
}

fn workload_of(args: &PlanArgs) -> anyhow::Result<(String, Workload)> {
    if let Some(path) = &args.workload {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let workload =
            Workload::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        return Ok((path.display().to_string(), workload));
    }
    let name = args.preset.as_deref().unwrap_or(presets::DEFAULT_PRESET);
    let preset = presets::find(name).ok_or_else(|| {
        let names: Vec<_> = presets::all().iter().map(|p| p.name).collect();
        anyhow::anyhow!("no preset {name:?} (presets: {})", names.join(", "))
    })?;
    Ok((preset.name.to_string(), preset.workload))
}

fn apply(flags: &WorkloadFlags, w: &mut Workload) {
    let f = flags.clone();
    if let Some(v) = f.orders_per_hour {
        w.orders_per_hour = v;
    }
    if let Some(v) = f.duration_mean {
        w.duration_minutes.mean = v;
    }
    if let Some(v) = f.duration_spread {
        w.duration_minutes.spread = v;
    }
    if let Some(v) = f.batch_shares {
        w.batch_shares = v;
    }
    if let Some(v) = f.batch_wait_minutes {
        w.batch_wait_minutes = v;
    }
    if let Some(v) = f.repeat_customer_share {
        w.repeat_customer_share = v;
    }
    if let Some(v) = f.grace_minutes {
        w.grace_minutes = v;
    }
    if let Some(v) = f.regions {
        w.regions = v;
    }
    if let Some(v) = f.backups {
        w.backups = v;
    }
    if let Some(v) = f.number_price {
        w.number_price_per_month = v;
    }
    if let Some(v) = f.currency {
        w.currency = v;
    }
}

/// Units per order from the figures file, each overridden by its flag; `None` unless all four
/// are known (a partial figure would understate the bill).
fn infra_cost(flags: &InfraFlags, orders_per_day: f64) -> anyhow::Result<Option<InfraCost>> {
    let path = flags.figures.clone().unwrap_or_else(default_figures_path);
    let from_file = costs::read_figures(&path)?.unwrap_or_default();
    let from_flags = SomeUnits {
        read_units: flags.read_units_per_order,
        write_units: flags.write_units_per_order,
        lambda_invocations: flags.lambda_invocations_per_order,
        lambda_gb_seconds: flags.lambda_gb_seconds_per_order,
    };
    let Some(units) = from_flags.or(from_file).complete() else {
        return Ok(None);
    };
    let units_from = match (from_file.is_empty(), from_flags.is_empty()) {
        (false, true) => path.display().to_string(),
        (true, _) => "flags".to_string(),
        (false, false) => format!("{} and flags", path.display()),
    };
    let prices = AwsPrices {
        dynamodb_read_per_million: flags.dynamodb_read_price,
        dynamodb_write_per_million: flags.dynamodb_write_price,
        lambda_per_gb_second: flags.lambda_gb_second_price,
        lambda_per_million_requests: flags.lambda_request_price,
    };
    Ok(Some(costs::infra_cost(
        units,
        units_from,
        prices,
        orders_per_day,
    )))
}

/// Where the benchmark writes: `target/bench/figures.json`, under `CARGO_TARGET_DIR` when set.
fn default_figures_path() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("bench").join("figures.json")
}
