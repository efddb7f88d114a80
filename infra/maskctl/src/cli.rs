//! The command line, as clap types. Parsing of identifiers happens here so that a typo is a usage
//! error before any AWS call; numbers are parsed later because they need `DEFAULT_COUNTRY`.

use std::path::PathBuf;

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, Subcommand};
use maskline::domain::number::DefaultCountry;
use maskline::domain::{OrderId, Region};
use maskline::providers::ProviderKind;

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
    /// Order sessions.
    #[command(subcommand)]
    Session(SessionCommand),
    /// Play a telecom provider: send a call webhook signed as that provider signs it, and show
    /// whose phone rings and which caller ID it shows. Secrets come from the same variables the
    /// functions read (TWILIO_AUTH_TOKEN, PLIVO_AUTH_TOKEN, WEBHOOK_PATH_TOKEN, ...).
    Call(CallArgs),
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

#[derive(Debug, Subcommand)]
pub enum PoolCommand {
    /// Import numbers from a CSV file with header `number,region,operator,provider`.
    Import {
        file: PathBuf,
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
        format: NumberFormat,
        #[command(flatten)]
        target: Target,
    },
    /// List the pool with health and live bindings.
    List {
        #[arg(long, value_parser = parse_region)]
        region: Option<Region>,
        /// Print a JSON array instead of a table.
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
}
