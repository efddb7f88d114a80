//! g. What Maskline published, read back as an app would from the bus, and the promise it keeps:
//! no real phone number in any event, nor in any function's log line.

use anyhow::{ensure, Context};
use serde_json::Value;

use crate::demo::people::EVERYONE;
use crate::demo::published::{leaks_in, summarise, EXPECTED};
use crate::demo::stack::Stack;

/// How long the session events may take to arrive: they leave from the table's stream (the
/// poller feeds it to announce as the event source mapping would), typically well under a second.
const STREAM_PATIENCE: std::time::Duration = std::time::Duration::from_secs(20);

pub async fn what_was_published(stack: &Stack) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut events = stack.drain_published().await?;
    while !summarise(&events, &EVERYONE).missing.is_empty() && started.elapsed() < STREAM_PATIENCE {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        events.extend(stack.drain_published().await?);
    }
    let compact: Vec<String> = events
        .iter()
        .map(|raw| serde_json::from_str::<Value>(raw).map_or(raw.clone(), |e| e.to_string()))
        .collect();
    let kept = stack.run_dir.join("published.jsonl");
    stack.keep("published.jsonl", &(compact.join("\n") + "\n"))?;

    let summary = summarise(&events, &EVERYONE);
    stack.say.step(format!(
        "g. Maskline published {} event(s) on bus {} (read back from SQS queue {}):",
        events.len(),
        stack.bus,
        stack.published_queue()
    ));
    stack.say.details(&summary.lines.join("\n"));
    ensure!(
        summary.missing.is_empty(),
        "expected {}; missing: {}",
        EXPECTED.join(", "),
        summary.missing.join(", ")
    );
    ensure!(
        summary.leaks.is_empty(),
        "a real phone number appears in a published event: {} (see {})",
        Vec::from_iter(summary.leaks).join(", "),
        kept.display()
    );

    let log_path = stack.log_dir.join("lambda.log");
    let log = std::fs::read(&log_path)
        .with_context(|| format!("reading the function logs {}", log_path.display()))?;
    let leaks = leaks_in(&String::from_utf8_lossy(&log), &EVERYONE);
    ensure!(
        leaks.is_empty(),
        "the real phone number(s) {} appear in the function logs ({})",
        Vec::from_iter(leaks).join(", "),
        log_path.display()
    );
    stack.say.ok(format!(
        "g. MaskedNumbersAssigned, MaskedNumbersReleased and MaskedNumbersChanged are there; none \
         of the {} real phone numbers appears in any event, nor in the function logs",
        EVERYONE.len()
    ));
    Ok(())
}
