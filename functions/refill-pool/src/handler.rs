//! One entry point for both triggers: an SQS batch of refill events, or the schedule's event.

use aws_lambda_events::event::sqs::SqsEvent;
use maskline::adapters::sqs_batch::{process_batch, MessageFailure};
use maskline::domain::events::refill_trigger_region;
use maskline::metrics;
use maskline::services::{Refill, RegionRefill};
use serde_json::{json, Value};
use tracing::info;

#[derive(Debug, thiserror::Error)]
pub enum RefillFailed {
    #[error("the event is neither an SQS batch nor a scheduled event: {0}")]
    Unrecognised(String),
    #[error("refill failed: {0}")]
    Store(#[from] maskline::ports::StoreError),
}

pub async fn handle(refill: &Refill, event: Value) -> Result<Value, RefillFailed> {
    if event.get("Records").is_some() {
        let batch: SqsEvent =
            serde_json::from_value(event).map_err(|e| RefillFailed::Unrecognised(e.to_string()))?;
        let response = process_batch(&batch, async |body| refill_from(refill, body).await).await;
        return Ok(serde_json::to_value(response).expect("a batch response serialises"));
    }
    if event.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
        let done = refill.run_all().await?;
        for region in &done {
            emit_metrics(region);
        }
        info!(regions = done.len(), "scheduled refill done");
        return Ok(json!({ "regions": done }));
    }
    Err(RefillFailed::Unrecognised(
        "expected Records or a Scheduled Event".into(),
    ))
}

async fn refill_from(refill: &Refill, body: &str) -> Result<(), MessageFailure> {
    let region = refill_trigger_region(body)
        .map_err(|e| MessageFailure::permanent(format!("malformed refill trigger: {e}")))?;
    let done = refill
        .run_region(&region)
        .await
        .map_err(MessageFailure::transient)?;
    emit_metrics(&done);
    let acquired: u32 = done.operators.iter().map(|o| o.acquired).sum();
    info!(%region, acquired, "refill on demand done");
    Ok(())
}

/// Pool figures as CloudWatch EMF lines on stdout, where Lambda hands them to CloudWatch Logs.
fn emit_metrics(done: &RegionRefill) {
    for line in done.metric_lines() {
        metrics::emit(&line);
    }
}
