//! The command line, as clap types. Parsing of identifiers happens here so that a typo is a usage
//! error before any AWS call; numbers are parsed later because they need `DEFAULT_COUNTRY`.

use std::path::PathBuf;

use clap::builder::NonEmptyStringValueParser;
use clap::{Args, Parser, Subcommand};
use maskline::domain::number::DefaultCountry;
use maskline::domain::{OrderId, Region};

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
