//! maskctl: the operator CLI. Wiring only: each command lives in its own module.

mod call;
mod cli;
mod columns;
mod demo;
mod entry;
mod keys;
mod number;
mod plan;
mod pool;
mod pool_import;
mod pool_summary;
mod pool_target;
mod refill;
mod session;
mod table;

use std::io::IsTerminal;
use std::process::ExitCode;

use aws_sdk_dynamodb::Client;
use clap::Parser;
use maskline::adapters::aws_config;
use maskline::adapters::dynamodb::DynamoStore;
use maskline::domain::pool::PoolState;

use cli::{
    Cli, Command, KeysCommand, ListArgs, NumberCommand, PoolCommand, SessionCommand, TableCommand,
};
use entry::RawEntry;

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
    // The simulator talks HTTP only: no AWS configuration needed.
    if let Command::Call(args) = cli.command {
        return call::run(args).await;
    }
    // Neither does the planner: it is a simulation on the domain's own rule.
    if let Command::Plan(args) = cli.command {
        return plan::run(*args);
    }
    // The walkthrough builds its own clients, for the local stack only.
    if let Command::Demo(args) = cli.command {
        return demo::run(args).await;
    }
    let aws = aws_config().await;
    let client = Client::new(&aws);
    let store = |table: String| DynamoStore::new(client.clone(), table);
    match cli.command {
        Command::Table(TableCommand::Create { target }) => {
            table::create(&client, &target.table).await
        }
        Command::Pool(PoolCommand::Import {
            file,
            standby,
            format,
            target,
        }) => {
            let state = state_of(standby);
            pool_import::run(&store(target.table), &file, state, format.default_country).await
        }
        Command::Pool(PoolCommand::Add {
            number,
            region,
            operator,
            provider,
            standby,
            format,
            target,
        }) => {
            let raw = RawEntry {
                number: &number,
                region: &region,
                operator: &operator,
                provider: &provider,
            };
            let state = state_of(standby);
            pool::add(&store(target.table), raw, state, format.default_country).await
        }
        Command::Pool(PoolCommand::List(ListArgs {
            region,
            json,
            target,
        })) => pool::list(&store(target.table), region.as_ref(), json).await,
        Command::Pool(PoolCommand::Target(args)) => {
            pool_target::set(&store(args.target.table.clone()), args).await
        }
        Command::Pool(PoolCommand::Targets(ListArgs {
            region,
            json,
            target,
        })) => pool_target::list(&store(target.table), region.as_ref(), json).await,
        Command::Pool(PoolCommand::Refill(args)) => {
            refill::run(store(args.target.table.clone()), args).await
        }
        Command::Number(NumberCommand::MarkUnhealthy {
            vn,
            event_bus,
            backups,
            format,
            target,
        }) => {
            let vn = number::parse_vn(&vn, format.default_country)?;
            let failover = number::failover(&aws, store(target.table), &event_bus, backups.backups);
            number::mark_unhealthy(&failover, &vn).await
        }
        Command::Number(NumberCommand::MarkHealthy { vn, format, target }) => {
            let vn = number::parse_vn(&vn, format.default_country)?;
            // Marking healthy moves nothing and publishes nothing: the bus is never used.
            let failover = number::failover(&aws, store(target.table), "default", false);
            number::mark_healthy(&failover, &vn).await
        }
        Command::Session(SessionCommand::Show {
            order,
            json,
            target,
        }) => session::show(&store(target.table), &order, json).await,
        Command::Keys(KeysCommand::Status {
            hash_key,
            encryption_key,
            json,
            target,
        }) => {
            let store = store(target.table);
            keys::status(&store, hash_key.as_deref(), encryption_key.as_deref(), json).await
        }
        Command::Call(_) | Command::Plan(_) | Command::Demo(_) => unreachable!("handled above"),
    }
}

fn state_of(standby: cli::Standby) -> PoolState {
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
