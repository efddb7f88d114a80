//! maskctl: the operator CLI. Wiring only: each command lives in its own module.

mod call;
mod cli;
mod entry;
mod pool;
mod pool_import;
mod session;
mod table;

use std::process::ExitCode;

use aws_sdk_dynamodb::Client;
use clap::Parser;
use maskline::adapters::aws_config;
use maskline::adapters::dynamodb::DynamoStore;

use cli::{Cli, Command, PoolCommand, SessionCommand, TableCommand};
use entry::RawEntry;

#[tokio::main]
async fn main() -> ExitCode {
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
    let client = Client::new(&aws_config().await);
    let store = |table: String| DynamoStore::new(client.clone(), table);
    match cli.command {
        Command::Table(TableCommand::Create { target }) => {
            table::create(&client, &target.table).await
        }
        Command::Pool(PoolCommand::Import {
            file,
            format,
            target,
        }) => pool_import::run(&store(target.table), &file, format.default_country).await,
        Command::Pool(PoolCommand::Add {
            number,
            region,
            operator,
            provider,
            format,
            target,
        }) => {
            let raw = RawEntry {
                number: &number,
                region: &region,
                operator: &operator,
                provider: &provider,
            };
            pool::add(&store(target.table), raw, format.default_country).await
        }
        Command::Pool(PoolCommand::List {
            region,
            json,
            target,
        }) => pool::list(&store(target.table), region.as_ref(), json).await,
        Command::Session(SessionCommand::Show {
            order,
            json,
            target,
        }) => session::show(&store(target.table), &order, json).await,
        Command::Call(_) => unreachable!("handled above"),
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
