//! `maskctl pool import`: the whole file is checked before anything is written (`pool_csv`), so a
//! bad file imports nothing and the operator fixes every problem in one pass. Re-running an import
//! is safe: numbers already in the pool are counted, not changed.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;

use anyhow::{bail, Context};
use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use maskctl::pool_csv::validate;
use maskline::domain::number::DefaultCountry;
use maskline::domain::pool::PoolState;
use maskline::domain::pool::{PoolEntry, PoolInsert};
use maskline::domain::VirtualNumber;
use maskline::ports::PoolAdmin;

use crate::pool::{state_phrase, warn_if_never_activated};

/// Writes in flight at once: enough to hide latency, few enough to stay clear of throttling.
const CONCURRENCY: usize = 16;
/// Below this many rows a progress bar is just flicker.
const PROGRESS_FROM: usize = 50;

/// How an import went.
#[derive(Debug, Default)]
struct Tally {
    added: usize,
    present: usize,
    failed: Vec<(VirtualNumber, anyhow::Error)>,
}

pub async fn run(
    store: &dyn PoolAdmin,
    file: &Path,
    state: PoolState,
    default_country: Option<DefaultCountry>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let entries = match validate(&bytes, default_country) {
        Ok(entries) => entries,
        Err(errors) => {
            for error in &errors {
                eprintln!("{error}");
            }
            bail!(
                "{}: {} problem(s); nothing was imported",
                file.display(),
                errors.len()
            );
        }
    };

    if state == PoolState::Standby {
        let mut by_provider: HashMap<&str, usize> = HashMap::new();
        for entry in &entries {
            *by_provider.entry(entry.provider.as_str()).or_default() += 1;
        }
        for (provider, count) in by_provider {
            warn_if_never_activated(provider, count);
        }
    }
    let tally = insert_all(store, &entries, state).await;
    println!(
        "imported {} {}, already present {} (unchanged, whatever their state){}",
        tally.added,
        state_phrase(state),
        tally.present,
        match state {
            PoolState::Standby => "; refill activates standby numbers as targets need them",
            _ => "",
        }
    );
    if !tally.failed.is_empty() {
        for (vn, error) in &tally.failed {
            eprintln!("{vn}: {error:#}");
        }
        bail!(
            "{} number(s) could not be added; re-running the import is safe",
            tally.failed.len()
        );
    }
    Ok(())
}

async fn insert_all(store: &dyn PoolAdmin, entries: &[PoolEntry], state: PoolState) -> Tally {
    let bar = progress_bar(entries.len());
    let mut results = stream::iter(entries)
        .map(|entry| async move { (entry, store.add_number(entry, state).await) })
        .buffer_unordered(CONCURRENCY);
    let mut tally = Tally::default();
    while let Some((entry, result)) = results.next().await {
        match result {
            Ok(PoolInsert::Added) => tally.added += 1,
            Ok(PoolInsert::AlreadyPresent) => tally.present += 1,
            Err(e) => tally.failed.push((entry.vn.clone(), e.into())),
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    tally
}

fn progress_bar(len: usize) -> ProgressBar {
    if len < PROGRESS_FROM || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} numbers ({eta} left)")
            .expect("the template is valid"),
    );
    bar
}
