//! Maps each SQS message to the allocation use case and its outcome to the batch response.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use maskline::adapters::sqs_batch::{process_batch, MessageFailure};
use maskline::domain::events::OrderEvent;
use maskline::domain::number::DefaultCountry;
use maskline::services::{AllocationOutcome, Allocator};
use tracing::info;

pub async fn handle(
    allocator: &Allocator,
    default_country: Option<DefaultCountry>,
    event: SqsEvent,
) -> SqsBatchResponse {
    process_batch(&event, async |body| {
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
        AllocationOutcome::IgnoredExpired => "ignored_expired",
    }
}
