//! `maskctl demo`: the narrated, checked walkthrough `make dev` runs against the local stack (every
//! function under `cargo lambda watch`, the bus and its queues on moto, the table on DynamoDB
//! Local), and `maskctl demo settings`, the LOCAL ONLY settings the functions run with for it.
//!
//! It is the one end-to-end test through bus -> rule -> queue -> function: the order platform's
//! events go on the bus, the poller (`infra/local/moto_setup.py poll`) feeds the queues to the
//! functions, and each step checks what the apps, the callers and the operators would see. The
//! first unmet expectation ends the run with a non-zero exit, naming the step and the logs. Last,
//! it runs docs/deploying.md's smoke test as printed, so that the guide cannot drift from a stack.

mod args;
mod bus;
mod calls;
mod events;
mod keys_file;
mod lambda;
mod narrator;
mod people;
mod published;
mod ready;
mod settings;
mod smoke_doc;
mod stack;
mod stand_in;
mod steps;

use anyhow::{bail, Context};

pub use args::DemoArgs;
use args::{DemoCommand, WalkthroughArgs};
use narrator::Narrator;
use stack::Stack;

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    match args.command {
        Some(DemoCommand::Settings(settings)) => settings::print(&settings),
        Some(DemoCommand::Ready(ready)) => ready::probe(&ready),
        None => walkthrough(args.walkthrough).await,
    }
}

async fn walkthrough(args: WalkthroughArgs) -> anyhow::Result<()> {
    let outcome = async {
        let stack = Stack::connect(&args).await?;
        fresh_dir(&args.run_dir)?;
        steps::walk(&stack).await
    }
    .await;
    if let Err(error) = outcome {
        Narrator.failed(&error, &args.log_dir, &args.run_dir);
        bail!("the walkthrough failed (above)");
    }
    Ok(())
}

/// The run's own events only: what an earlier run sent would mislead.
fn fresh_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("emptying {}", dir.display())),
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}
