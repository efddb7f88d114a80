//! One function per command group: parse what the flags say, take the tools on the named table,
//! and hand them to the command's module.

use std::sync::Arc;

use anyhow::Context;
use maskline::app::OperatorTools;
use maskline::ports::SessionStore;

use crate::cli::{KeysCommand, ListArgs, NumberCommand, PoolCommand, PoolListArgs, SessionCommand};
use crate::entry::RawEntry;
use crate::{
    keys, keys_reseal, number, pool, pool_import, pool_reindex, pool_target, refill, session,
    state_of,
};

/// The bus events are announced on when a command does not name one.
const DEFAULT_BUS: &str = "default";

async fn tools(table: &str, bus: &str) -> anyhow::Result<OperatorTools> {
    let aws = OperatorTools::aws().await;
    OperatorTools::on(&aws, table, bus).context("the table or bus name")
}

pub async fn pool(command: PoolCommand) -> anyhow::Result<()> {
    match command {
        PoolCommand::Import {
            file,
            standby,
            format,
            target,
        } => {
            let tools = tools(&target.table, DEFAULT_BUS).await?;
            let state = state_of(standby);
            pool_import::run(tools.admin.as_ref(), &file, state, format.default_country).await
        }
        PoolCommand::Add {
            number,
            region,
            operator,
            provider,
            standby,
            format,
            target,
        } => {
            let raw = RawEntry {
                number: &number,
                region: &region,
                operator: &operator,
                provider: &provider,
            };
            let tools = tools(&target.table, DEFAULT_BUS).await?;
            let state = state_of(standby);
            pool::add(tools.admin.as_ref(), raw, state, format.default_country).await
        }
        PoolCommand::List(PoolListArgs {
            list:
                ListArgs {
                    region,
                    json,
                    target,
                },
            max_sessions_per_number: cap,
        }) => {
            let tools = tools(&target.table, DEFAULT_BUS).await?;
            let pool_store = tools.wiring.ports.pool.as_ref();
            pool::list(tools.admin.as_ref(), pool_store, region.as_ref(), json, cap).await
        }
        PoolCommand::Target(args) => {
            let tools = tools(&args.target.table, DEFAULT_BUS).await?;
            pool_target::set(tools.wiring.ports.pool.as_ref(), args).await
        }
        PoolCommand::Targets(ListArgs {
            region,
            json,
            target,
        }) => {
            let tools = tools(&target.table, DEFAULT_BUS).await?;
            pool_target::list(tools.wiring.ports.pool.as_ref(), region.as_ref(), json).await
        }
        PoolCommand::Refill(args) => {
            let mut tools = tools(&args.target.table, DEFAULT_BUS).await?;
            refill::apply_rules(&mut tools.wiring.config, &args.rules);
            // The `static` source only: bought numbers are the refill function's business.
            refill::run(&tools.wiring.refill(Vec::new()), args).await
        }
        PoolCommand::Reindex { region, target } => {
            let tools = tools(&target.table, DEFAULT_BUS).await?;
            pool_reindex::run(tools.wiring.ports.pool.as_ref(), region.as_ref()).await
        }
    }
}

pub async fn number(command: NumberCommand) -> anyhow::Result<()> {
    match command {
        NumberCommand::MarkUnhealthy {
            vn,
            event_bus,
            backups,
            format,
            target,
        } => {
            let vn = number::parse_vn(&vn, format.default_country)?;
            let mut tools = tools(&target.table, &event_bus).await?;
            tools.wiring.config.backups = backups.backups;
            number::mark_unhealthy(&tools.wiring.failover(), &vn).await
        }
        NumberCommand::MarkHealthy { vn, format, target } => {
            let vn = number::parse_vn(&vn, format.default_country)?;
            // Marking healthy moves nothing and publishes nothing: the bus is never used.
            let tools = tools(&target.table, DEFAULT_BUS).await?;
            number::mark_healthy(&tools.wiring.failover(), &vn).await
        }
    }
}

pub async fn session(command: SessionCommand) -> anyhow::Result<()> {
    let SessionCommand::Show {
        order,
        json,
        target,
    } = command;
    let tools = tools(&target.table, DEFAULT_BUS).await?;
    let sessions: &dyn SessionStore = tools.wiring.ports.sessions.as_ref();
    session::show(sessions, &order, json).await
}

pub async fn keys(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Status {
            hash_key,
            encryption_key,
            json,
            target,
        } => {
            let tools = tools(&target.table, DEFAULT_BUS).await?;
            let audit = Arc::clone(&tools.keys);
            keys::status(
                audit.as_ref(),
                hash_key.as_deref(),
                encryption_key.as_deref(),
                json,
            )
            .await
        }
        KeysCommand::Reseal {
            encryption_key,
            json,
            target,
        } => {
            let tools = tools(&target.table, DEFAULT_BUS).await?;
            keys_reseal::run(Arc::clone(&tools.sealed), &encryption_key, json).await
        }
    }
}
