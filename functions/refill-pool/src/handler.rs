//! One entry point for both triggers: an SQS batch of refill events, or the schedule's event.
//!
//! A batch is coalesced: however many `OrderPlaced`/`PoolExhausted` events name a region, the
//! region is refilled once per batch (a refill reads the whole region, so once per order would
//! cost the busiest regions the most).

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};
use maskline::adapters::sqs_batch::{settle_failures, MessageFailure, Redelivery};
use maskline::domain::events::refill_trigger_region;
use maskline::domain::Region;
use maskline::metrics;
use maskline::services::{Refill, RegionRefill};
use serde_json::{json, Value};
use tracing::{error, info};

#[derive(Debug, thiserror::Error)]
pub enum RefillFailed {
    #[error("the event is neither an SQS batch nor a scheduled event: {0}")]
    Unrecognised(String),
    #[error("refill failed: {0}")]
    Store(#[from] maskline::ports::StoreError),
}

pub async fn handle(
    refill: &Refill,
    redelivery: &Redelivery,
    event: Value,
) -> Result<Value, RefillFailed> {
    if event.get("Records").is_some() {
        let batch: SqsEvent =
            serde_json::from_value(event).map_err(|e| RefillFailed::Unrecognised(e.to_string()))?;
        let failures = refill_batch(refill, &batch).await;
        let response = settle_failures(failures, redelivery).await;
        return Ok(serde_json::to_value(response).expect("a batch response serialises"));
    }
    if event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
        return scheduled_run(refill).await;
    }
    Err(RefillFailed::Unrecognised(
        "expected Records or a Scheduled Event".into(),
    ))
}

/// Every region refilled (which indexes it first). One region's
/// failure does not keep the others from their run: they all go, then the first failure is
/// returned so the run counts as failed (and alarms).
async fn scheduled_run(refill: &Refill) -> Result<Value, RefillFailed> {
    let mut done = Vec::new();
    let mut first_failure: Option<RefillFailed> = None;
    for region in refill.pool.regions().await? {
        match refill.run_region(&region).await {
            Ok(region_done) => {
                emit_metrics(&region_done);
                done.push(region_done);
            }
            Err(e) => {
                error!(%region, error = %e, "refill of a region failed; the others go on");
                first_failure.get_or_insert(e.into());
            }
        }
    }
    info!(regions = done.len(), "scheduled refill done");
    match first_failure {
        Some(failure) => Err(failure),
        None => Ok(json!({ "regions": done })),
    }
}

/// Refills each region the batch names once; returns the messages that failed and why.
async fn refill_batch<'a>(
    refill: &Refill,
    batch: &'a SqsEvent,
) -> Vec<(&'a SqsMessage, MessageFailure)> {
    let (by_region, mut failures) = triggers_by_region(batch);
    for (region, messages) in by_region {
        match refill.run_region(&region).await {
            Ok(done) => {
                emit_metrics(&done);
                let acquired: u32 = done.operators.iter().map(|o| o.acquired).sum();
                info!(%region, acquired, triggers = messages.len(), "refill on demand done");
            }
            Err(e) => failures.extend(messages.into_iter().map(|m| {
                (
                    m,
                    MessageFailure::transient(format!("refill of {region}: {e}")),
                )
            })),
        }
    }
    failures
}

type ByRegion<'a> = BTreeMap<Region, Vec<&'a SqsMessage>>;

/// The batch's triggers grouped by the region they name, and the messages that name none.
fn triggers_by_region(batch: &SqsEvent) -> (ByRegion<'_>, Vec<(&SqsMessage, MessageFailure)>) {
    let mut by_region = ByRegion::new();
    let mut malformed = Vec::new();
    for message in &batch.records {
        match refill_trigger_region(message.body.as_deref().unwrap_or_default()) {
            Ok(region) => by_region.entry(region).or_default().push(message),
            Err(e) => malformed.push((
                message,
                MessageFailure::permanent(format!("malformed refill trigger: {e}")),
            )),
        }
    }
    (by_region, malformed)
}

/// Pool figures and targets as CloudWatch metrics, flushed with the invocation's others.
fn emit_metrics(done: &RegionRefill) {
    for (operator, figures) in &done.figures {
        metrics::pool_figures(&done.region, operator, figures);
    }
    for refill in &done.operators {
        if let Some(operator) = &refill.operator {
            metrics::pool_target(&done.region, operator, refill.wanted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(bodies: &[String]) -> SqsEvent {
        let records: Vec<Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| json!({ "messageId": format!("m{i}"), "body": body }))
            .collect();
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    fn placed(order: &str, region: &str) -> String {
        json!({ "detail-type": "OrderPlaced", "source": "orders",
                "detail": { "order_id": order, "region": region } })
        .to_string()
    }

    #[test]
    fn a_batch_refills_each_region_it_names_once() {
        let event = batch(&[
            placed("ORD-1", "blr"),
            placed("ORD-2", "hyd"),
            placed("ORD-3", "BLR"),
            "not json".to_string(),
            placed("ORD-4", "blr"),
        ]);
        let (by_region, malformed) = triggers_by_region(&event);
        let runs: Vec<(&str, usize)> = by_region
            .iter()
            .map(|(region, messages)| (region.as_str(), messages.len()))
            .collect();
        assert_eq!(runs, [("blr", 3), ("hyd", 1)]);
        assert_eq!(malformed.len(), 1);
        assert_eq!(malformed[0].0.message_id.as_deref(), Some("m3"));
        assert!(malformed[0].1.is_permanent());
    }
}
