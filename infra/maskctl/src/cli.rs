//! The command line, as clap types. Parsing of identifiers happens here so that a typo is a usage
//! error before any AWS call; numbers are parsed later because they need `DEFAULT_COUNTRY`.

mod env;
mod number;
mod plan;
mod pool;

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, Subcommand};
use maskline::domain::number::DefaultCountry;
use maskline::domain::{OrderId, Region};
use maskline::providers::ProviderKind;

pub use number::NumberCommand;
pub use plan::{InfraFlags, PlanArgs, WorkloadFlags};
pub use pool::{
    ListArgs, PoolCommand, PoolListArgs, RefillArgs, RulesArgs, SetTargetArgs, Standby,
};

#[derive(Debug, Parser)]
#[command(name = "maskctl", version, about = "Operate a Maskline deployment")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The DynamoDB table.
    #[command(subcommand)]
    Table(TableCommand),
    /// The pool of virtual numbers.
    #[command(subcommand)]
    Pool(PoolCommand),
    /// One virtual number: take it out of service, or back in.
    #[command(subcommand)]
    Number(NumberCommand),
    /// Order sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// The number hash and encryption keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Play a telecom provider: send a call webhook signed as that provider signs it, and show
    /// whose phone rings and which caller ID it shows. Secrets come from the same variables the
    /// functions read (TWILIO_AUTH_TOKEN, PLIVO_AUTH_TOKEN, EXOTEL_WEBHOOK_TOKEN, ...).
    Call(CallArgs),
    /// Capacity planning: simulate a day of orders and report how many numbers each allocation
    /// policy needs per region, and what numbers, DynamoDB and Lambda cost a month. Needs no AWS.
    Plan(Box<PlanArgs>),
    /// The narrated, checked walkthrough `make dev` runs against the local stack (LOCAL ONLY),
    /// and the settings the functions run with for it (`maskctl demo settings`).
    Demo(crate::demo::DemoArgs),
}

#[derive(Debug, Args)]
pub struct CallArgs {
    #[arg(long, value_parser = parse_provider)]
    pub provider: ProviderKind,
    /// The calling phone.
    #[arg(long)]
    pub from: String,
    /// The virtual number dialled.
    #[arg(long)]
    pub to: String,
    /// Where resolve-call is served (its public base URL).
    #[arg(
        long,
        env = "MASKCTL_CALL_URL",
        default_value = "http://127.0.0.1:9000/lambda-url/resolve-call"
    )]
    pub url: String,
    /// Print the callee's number in full (it is masked by default; test numbers only).
    #[arg(long)]
    pub reveal: bool,
    /// Print JSON instead of a sentence.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub format: NumberFormat,
}

/// Which table to work on. Every command takes it, from `--table` or `TABLE_NAME` (the variable
/// the functions read), so the CLI and the deployment agree without extra flags.
#[derive(Debug, Args)]
pub struct Target {
    #[arg(long = "table", env = "TABLE_NAME", value_parser = NonEmptyStringValueParser::new())]
    pub table: String,
}

#[derive(Debug, Subcommand)]
pub enum TableCommand {
    /// Create the table with Maskline's schema; succeeds if it already exists.
    Create {
        #[command(flatten)]
        target: Target,
    },
}

/// How numbers written without a `+` country prefix are read (`IN`, `US`, ...).
#[derive(Debug, Args)]
pub struct NumberFormat {
    #[arg(long, env = "DEFAULT_COUNTRY")]
    pub default_country: Option<DefaultCountry>,
}

/// `BACKUP_NUMBERS`, as the functions read it: whether each side also holds a backup number.
#[derive(Debug, Args)]
pub struct Backups {
    /// Sessions hold a backup number per side, on another operator (`BACKUP_NUMBERS=on|off` sets
    /// the default; off unless set).
    #[arg(long, env = "BACKUP_NUMBERS", value_parser = env::on_off)]
    pub backups: bool,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// How many live sessions and bindings each key still serves: while rotating a key, the old
    /// one can be dropped from the setting once nothing live names it. Reads the same settings as
    /// the functions (only to name the listed keys; nothing is decrypted).
    Status {
        #[arg(long, env = "NUMBER_HASH_KEY", hide_env_values = true)]
        hash_key: Option<String>,
        #[arg(long, env = "NUMBER_ENCRYPTION_KEY", hide_env_values = true)]
        encryption_key: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: Target,
    },
    /// Rewrite every stored number sealed as v1. or v2., or under an older listed encryption
    /// key, as v3. under the current key (the first listed), each only if it is still what was
    /// read. Safe while the functions run, and to run again; prints counts by format, never a
    /// number. When it reports no v1. value left, ACCEPT_LEGACY_SEALED=off retires the format.
    Reseal {
        #[arg(
            long,
            env = "NUMBER_ENCRYPTION_KEY",
            hide_env_values = true,
            value_parser = NonEmptyStringValueParser::new()
        )]
        encryption_key: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: Target,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Show an order's session: state, ids and virtual numbers (never a real number).
    Show {
        #[arg(value_parser = parse_order)]
        order: OrderId,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        target: Target,
    },
}

fn parse_provider(raw: &str) -> Result<ProviderKind, String> {
    raw.parse()
        .map_err(|_| format!("unknown provider {raw:?} (expected twilio, exotel, plivo or vonage)"))
}

fn parse_region(raw: &str) -> Result<Region, String> {
    Region::parse(raw).map_err(|e| e.to_string())
}

fn parse_order(raw: &str) -> Result<OrderId, String> {
    OrderId::parse(raw).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    fn parse(args: &str) -> Result<Command, clap::Error> {
        let words = std::iter::once("maskctl").chain(args.split_whitespace());
        Cli::try_parse_from(words).map(|cli| cli.command)
    }

    #[test]
    fn a_target_defaults_to_the_static_provider_and_normalises_its_names() {
        let Command::Pool(PoolCommand::Target(args)) =
            parse("pool target BLR --operator Airtel --min 4 --table t").unwrap()
        else {
            panic!("not pool target");
        };
        assert_eq!(
            (args.region.as_str(), args.operator.as_str(), args.min),
            ("blr", "airtel", 4)
        );
        assert_eq!(args.provider.as_str(), "static");
        assert_eq!(args.search, None);
    }

    #[test]
    fn a_target_names_a_known_number_source() {
        let ok = parse("pool target blr --operator jio --min 2 --provider twilio --search AreaCode=80 --table t");
        assert!(ok.is_ok(), "{ok:?}");
        let err = parse("pool target blr --operator jio --min 2 --provider exotel --table t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("static") && err.contains("twilio"), "{err}");
        assert!(parse("pool target blr --operator jio --min -1 --table t").is_err());
    }

    #[test]
    fn standby_and_backups_are_flags() {
        let Command::Pool(PoolCommand::Import { standby, .. }) =
            parse("pool import pool.csv --standby --table t").unwrap()
        else {
            panic!("not pool import");
        };
        assert!(standby.standby);
        let Command::Number(NumberCommand::MarkUnhealthy {
            vn,
            backups,
            event_bus,
            ..
        }) = parse("number mark-unhealthy +918041000003 --backups --event-bus orders --table t")
            .unwrap()
        else {
            panic!("not number mark-unhealthy");
        };
        assert_eq!(
            (vn.as_str(), event_bus.as_str()),
            ("+918041000003", "orders")
        );
        assert!(backups.backups);
    }

    #[test]
    fn plan_needs_no_table_and_takes_its_overrides() {
        let Command::Plan(args) = parse("plan --json --chart plan.svg").unwrap() else {
            panic!("not plan");
        };
        assert!(args.json && args.workload.is_none() && args.preset.is_none());
        assert_eq!(args.seed, 7, "a fixed seed by default");
        let Command::Plan(args) =
            parse("plan --preset home-services --backups off --regions a=1,b=3 --seed 3").unwrap()
        else {
            panic!("not plan");
        };
        assert_eq!(args.overrides.backups, Some(false));
        assert_eq!(args.overrides.regions.unwrap().len(), 2);
        assert!(matches!(parse("plan --presets"), Ok(Command::Plan(a)) if a.presets));
        assert!(parse("plan --workload w.toml --preset metro-food").is_err());
        assert!(parse("plan --batch-shares 0.5,x").is_err());
    }

    #[test]
    fn refill_rules_are_checked_like_the_functions_check_them() {
        let Command::Pool(PoolCommand::Refill(args)) =
            parse("pool refill --region blr --policy exclusive --headroom 5 --cool-off-seconds 600 --table t")
                .unwrap()
        else {
            panic!("not pool refill");
        };
        assert_eq!(
            args.rules.policy,
            maskline::domain::AllocationPolicy::Exclusive
        );
        assert_eq!((args.rules.headroom, args.rules.cool_off_seconds), (5, 600));
        assert!(parse("pool refill --policy greedy --table t").is_err());
        assert!(parse("pool refill --cool-off-seconds 90000 --table t").is_err());
    }
}
