//! maskctl: the operator CLI. Each command lives in its own module; `commands` gives each the
//! ports it works through (`maskline::app::OperatorTools`).

mod call;
mod cli;
mod columns;
mod commands;
mod demo;
mod keys;
mod keys_reseal;
mod number;
mod plan;
mod pool;
mod pool_import;
mod pool_reindex;
mod pool_summary;
mod pool_target;
mod refill;
mod session;
mod table;

use std::io::IsTerminal;

// The pure parsers live in the library half (`lib.rs`), so the fuzz targets run them too.
use maskctl::entry;
use std::process::ExitCode;

use clap::Parser;
use maskline::domain::pool::PoolState;

use cli::{Cli, Command, TableCommand};

#[tokio::main]
async fn main() -> ExitCode {
    // The library's own log lines (each session failover moves, each refill decision) on request
    // only (`RUST_LOG=maskline=info`): what they report, the commands already print or return.
    // Stderr, so stdout stays the command's answer.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", report(&e));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        // The simulator talks HTTP only, and the planner is a simulation on the domain's own rule:
        // neither needs AWS.
        Command::Call(args) => call::run(args).await,
        Command::Plan(args) => plan::run(*args),
        // The walkthrough talks to a local stack through its own clients.
        Command::Demo(args) => demo::run(args).await,
        Command::Table(TableCommand::Create { target }) => table::create(&target.table).await,
        Command::Pool(command) => commands::pool(command).await,
        Command::Number(command) => commands::number(command).await,
        Command::Session(command) => commands::session(command).await,
        Command::Keys(command) => commands::keys(command).await,
    }
}

pub(crate) fn state_of(standby: cli::Standby) -> PoolState {
    if standby.standby {
        PoolState::Standby
    } else {
        PoolState::Active
    }
}

/// The error and its causes on one line. Store errors repeat their cause in their own message, so
/// a cause already shown is not printed twice.
fn report(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain().map(ToString::to_string) {
        if !out.contains(&cause) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&cause);
        }
    }
    out
}
