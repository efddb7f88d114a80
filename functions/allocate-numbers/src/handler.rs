//! Maps each SQS message to the allocation use case and its outcome to the batch response.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use maskline::adapters::sqs_batch::{process_batch, MessageFailure, Redelivery};
use maskline::domain::events::OrderEvent;
use maskline::domain::number::DefaultCountry;
use maskline::services::{AllocationError, AllocationOutcome, Allocator};
use tracing::info;

pub async fn handle(
    allocator: &Allocator,
    default_country: Option<DefaultCountry>,
    redelivery: &Redelivery,
    event: SqsEvent,
) -> SqsBatchResponse {
    process_batch(&event, redelivery, async |body| {
        assign(allocator, default_country, body).await
    })
    .await
}

async fn assign(
    allocator: &Allocator,
    default_country: Option<DefaultCountry>,
    body: &str,
) -> Result<(), MessageFailure> {
    let assigned = match OrderEvent::parse(body, default_country) {
        Ok(OrderEvent::DriverAssigned(assigned)) => assigned,
        Ok(_) => return Err(MessageFailure::permanent("not a DriverAssigned event")),
        Err(e) => {
            return Err(MessageFailure::permanent(format!(
                "malformed DriverAssigned: {e}"
            )))
        }
    };
    match allocator.assign(&assigned).await {
        Ok(outcome) => {
            info!(order_id = %assigned.order_id, outcome = outcome_name(&outcome), "DriverAssigned handled");
            Ok(())
        }
        // Refill is buying numbers: retry with growing delays rather than spend the receives.
        Err(e @ AllocationError::PoolExhausted { .. }) => Err(MessageFailure::waiting(e)),
        Err(e) if e.is_retryable() => Err(MessageFailure::transient(e)),
        Err(e) => Err(MessageFailure::permanent(e)),
    }
}

fn outcome_name(outcome: &AllocationOutcome) -> &'static str {
    match outcome {
        AllocationOutcome::Created(_) => "created",
        AllocationOutcome::AlreadyAssigned(_) => "already_assigned",
        AllocationOutcome::DriverChanged(_) => "driver_changed",
        AllocationOutcome::IgnoredReleased => "ignored_released",
        AllocationOutcome::IgnoredStale => "ignored_stale",
        AllocationOutcome::IgnoredUndecided => "ignored_undecided",
        AllocationOutcome::IgnoredExpired => "ignored_expired",
        AllocationOutcome::IgnoredTooOld => "ignored_too_old",
        // Only a sessions API request names a version; an event never does.
        AllocationOutcome::VersionMoved => "version_moved",
    }
}
