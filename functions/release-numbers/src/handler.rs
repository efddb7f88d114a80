//! Maps each SQS message to the release use case and its outcome to the batch response.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use maskline::adapters::sqs_batch::{process_batch, MessageFailure, Redelivery};
use maskline::domain::events::OrderEvent;
use maskline::services::{ReleaseOutcome, Releaser};
use tracing::info;

pub async fn handle(
    releaser: &Releaser,
    redelivery: &Redelivery,
    event: SqsEvent,
) -> SqsBatchResponse {
    process_batch(&event, redelivery, async |body| {
        release(releaser, body).await
    })
    .await
}

async fn release(releaser: &Releaser, body: &str) -> Result<(), MessageFailure> {
    let ended = match OrderEvent::parse(body, None) {
        Ok(OrderEvent::OrderEnded(ended)) => ended,
        Ok(_) => {
            return Err(MessageFailure::permanent(
                "not an OrderDelivered or OrderCancelled event",
            ))
        }
        Err(e) => {
            return Err(MessageFailure::permanent(format!(
                "malformed order event: {e}"
            )))
        }
    };
    let outcome = releaser
        .end(&ended)
        .await
        .map_err(MessageFailure::transient)?;
    let name = match outcome {
        ReleaseOutcome::Released(_) => "released",
        ReleaseOutcome::AlreadyReleased(_) => "already_released",
        ReleaseOutcome::Tombstoned(_) => "tombstoned",
        ReleaseOutcome::IgnoredTooOld => "ignored_too_old",
    };
    info!(order_id = %ended.order_id, outcome = name, "order end handled");
    Ok(())
}
