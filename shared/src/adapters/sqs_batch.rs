//! Partial-batch processing for SQS-triggered functions: each message succeeds or fails alone, so
//! one bad message neither blocks nor re-runs the others. A failed message returns to the queue
//! and, after the queue's maxReceiveCount, lands in its dead-letter queue — never a retry loop.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use tracing::{error, warn};

/// Why one message failed, for the log line. Must never contain a real phone number.
#[derive(Debug)]
pub struct MessageFailure {
    pub reason: String,
    /// Retrying cannot help (malformed event, unknown region): it will end in the DLQ.
    pub permanent: bool,
}

impl MessageFailure {
    pub fn permanent(reason: impl ToString) -> Self {
        MessageFailure {
            reason: reason.to_string(),
            permanent: true,
        }
    }

    pub fn transient(reason: impl ToString) -> Self {
        MessageFailure {
            reason: reason.to_string(),
            permanent: false,
        }
    }
}

/// Runs `handle` on every message body concurrently and reports the failures to SQS.
pub async fn process_batch<F>(event: &SqsEvent, handle: F) -> SqsBatchResponse
where
    F: AsyncFn(&str) -> Result<(), MessageFailure>,
{
    let results = join_all(event.records.iter().map(|message| run(message, &handle))).await;
    let mut response = SqsBatchResponse::default();
    for (message, result) in event.records.iter().zip(results) {
        if let Err(failure) = result {
            let id = message.message_id.clone().unwrap_or_default();
            if failure.permanent {
                error!(message_id = %id, reason = %failure.reason, "message rejected; it will reach the dead-letter queue");
            } else {
                warn!(message_id = %id, reason = %failure.reason, "message failed; SQS will retry it");
            }
            response.add_failure(id);
        }
    }
    response
}

async fn run<F>(message: &SqsMessage, handle: &F) -> Result<(), MessageFailure>
where
    F: AsyncFn(&str) -> Result<(), MessageFailure>,
{
    match message.body.as_deref() {
        Some(body) => handle(body).await,
        None => Err(MessageFailure::permanent("message has no body")),
    }
}
