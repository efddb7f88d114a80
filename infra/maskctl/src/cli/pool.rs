//! `maskctl pool ...`: the pool, its targets and refill, as clap types.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Subcommand};
use maskline::domain::{AllocationPolicy, Operator, Provider, Region};

use super::{env, parse_region, Backups, NumberFormat, Target};

/// The number sources refill knows. A target naming anything else could never be refilled, so it
/// is refused here rather than reported by every refill run.
pub const TARGET_PROVIDERS: [&str; 2] = ["static", "twilio"];

#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Import numbers from a CSV file with header `number,region,operator,provider`.
    Import {
        file: PathBuf,
        #[command(flatten)]
        standby: Standby,
        #[command(flatten)]
        format: NumberFormat,
        #[command(flatten)]
        target: Target,
    },
    /// Add one number to the pool.
    Add {
        number: String,
        #[arg(long)]
        region: String,
        #[arg(long)]
        operator: String,
        #[arg(long, default_value = "static")]
        provider: String,
        #[command(flatten)]
        standby: Standby,
        #[command(flatten)]
        format: NumberFormat,
        #[command(flatten)]
        target: Target,
    },
    /// List the pool: state, health and live bindings of each number, then totals per operator.
    List(PoolListArgs),
    /// Set how many healthy active numbers an operator of a region keeps (replaces any earlier
    /// target of that region and operator).
    Target(SetTargetArgs),
    /// List the targets.
    Targets(ListArgs),
    /// Run refill once, with the `static` provider only: activate standby numbers where a target
    /// is short, and put idle surplus numbers back on standby.
    Refill(RefillArgs),
    /// Put active numbers missing from the allocation index into it (numbers made active before
    /// the index existed); every refill run does this for its region.
    Reindex {
        #[arg(long, value_parser = parse_region)]
        region: Option<Region>,
        #[command(flatten)]
        target: Target,
    },
}

/// `--standby`, shared by `import` and `add`.
#[derive(Debug, Args)]
pub struct Standby {
    /// Add the numbers on standby instead of active: refill's `static` provider activates them
    /// when a target needs them.
    #[arg(long)]
    pub standby: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_parser = parse_region)]
    pub region: Option<Region>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Args)]
pub struct PoolListArgs {
    #[command(flatten)]
    pub list: ListArgs,
    /// The deployment's `MAX_SESSIONS_PER_NUMBER`: each number's live sessions are shown against
    /// it (`3/5`).
    #[arg(long, env = "MAX_SESSIONS_PER_NUMBER")]
    pub max_sessions_per_number: Option<u32>,
}

#[derive(Debug, Args)]
pub struct SetTargetArgs {
    #[arg(value_parser = parse_region)]
    pub region: Region,
    #[arg(long, value_parser = parse_operator)]
    pub operator: Operator,
    /// Healthy active numbers to keep at least.
    #[arg(long)]
    pub min: u32,
    /// Where refill gets numbers: `static` activates standby numbers, `twilio` buys them.
    #[arg(
        long,
        default_value = "static",
        value_parser = PossibleValuesParser::new(TARGET_PROVIDERS)
            .try_map(|p| Provider::parse(&p))
    )]
    pub provider: Provider,
    /// The provider's search filter for buying numbers, e.g. `AreaCode=80` (twilio only).
    #[arg(long)]
    pub search: Option<String>,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Args)]
pub struct RefillArgs {
    /// Refill this region only (default: every region).
    #[arg(long, value_parser = parse_region)]
    pub region: Option<Region>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub rules: RulesArgs,
    #[command(flatten)]
    pub target: Target,
}

/// Refill's rules, from the variables the functions read, so a refill run by hand sizes the pool
/// as the scheduled one does.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// The allocation rule: `shared` (a number serves many sessions, never one caller twice) or
    /// `exclusive` (one session per number).
    #[arg(long, env = "ALLOCATION_POLICY", default_value = "shared", value_parser = env::policy)]
    pub policy: AllocationPolicy,
    #[command(flatten)]
    pub backups: Backups,
    /// Spare numbers kept above demand.
    #[arg(long, env = "REFILL_HEADROOM", default_value_t = env::DEFAULT_HEADROOM, value_parser = env::headroom)]
    pub headroom: u32,
    /// How long a surplus number must be idle before it goes back (at most a day: older bindings,
    /// which show idleness, are not kept).
    #[arg(
        long,
        env = "REFILL_COOL_OFF_SECONDS",
        default_value = "21600",
        value_parser = env::cool_off_seconds
    )]
    pub cool_off_seconds: u32,
}

fn parse_operator(raw: &str) -> Result<Operator, String> {
    Operator::parse(raw).map_err(|e| e.to_string())
}
