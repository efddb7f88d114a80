//! Partial-batch processing for SQS-triggered functions: each message succeeds or fails alone, so
//! one bad message neither blocks nor re-runs the others.
//!
//! What happens to a failed message depends on why it failed:
//! - **permanent** (malformed event, unknown region): retrying cannot help, so with a
//!   [`Redelivery`] it is sent to the dead-letter queue at once and acknowledged: no retry loop;
//! - **waiting** (the region's pool is exhausted): it will succeed once refill has bought numbers,
//!   so its next delivery is delayed by [`retry_delay_seconds`], growing with each receive, and the
//!   queue's `maxReceiveCount` is sized to span hours of refill (see `template.yaml`);
//! - **transient** (contention, a throttled table): SQS redelivers it after the visibility timeout.
//!
//! Without a [`Redelivery`] (tests, a local run without queues) every failure is only reported,
//! and the queue's redrive policy decides.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_sqs::types::MessageAttributeValue;
use futures::future::join_all;
use tracing::{error, warn};

/// Why one message failed, for the log line. Must never contain a real phone number.
#[derive(Debug)]
pub struct MessageFailure {
    pub reason: String,
    pub kind: FailureKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Retrying cannot help: the message belongs in the dead-letter queue.
    Permanent,
    /// Retrying later will help (an exhausted pool refills): delay the next delivery.
    Waiting,
    /// Retrying soon may help (contention, throttling).
    Transient,
}

impl MessageFailure {
    pub fn permanent(reason: impl ToString) -> Self {
        Self::new(reason, FailureKind::Permanent)
    }

    pub fn waiting(reason: impl ToString) -> Self {
        Self::new(reason, FailureKind::Waiting)
    }

    pub fn transient(reason: impl ToString) -> Self {
        Self::new(reason, FailureKind::Transient)
    }

    fn new(reason: impl ToString, kind: FailureKind) -> Self {
        MessageFailure {
            reason: reason.to_string(),
            kind,
        }
    }

    pub fn is_permanent(&self) -> bool {
        self.kind == FailureKind::Permanent
    }
}

/// First delay of a waiting message; doubles per receive up to [`MAX_RETRY_DELAY_SECONDS`].
pub const FIRST_RETRY_DELAY_SECONDS: u32 = 30;
pub const MAX_RETRY_DELAY_SECONDS: u32 = 900;

/// How long a waiting message stays hidden after its `receive_count`-th receive.
pub fn retry_delay_seconds(receive_count: u32) -> u32 {
    let doublings = receive_count.saturating_sub(1).min(16);
    FIRST_RETRY_DELAY_SECONDS
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_DELAY_SECONDS)
}

/// How long a waiting message is retried before the queue's `max_receive_count` parks it.
pub fn retry_span_seconds(max_receive_count: u32) -> u32 {
    (1..max_receive_count).map(retry_delay_seconds).sum()
}

/// The queue operations that give each kind of failure its fate (see the module doc).
#[derive(Clone, Default)]
pub struct Redelivery {
    sqs: Option<aws_sdk_sqs::Client>,
    queue_url: Option<String>,
    dead_letter_queue_url: Option<String>,
}

impl Redelivery {
    /// `QUEUE_URL` (the queue feeding the function) and `DEAD_LETTER_QUEUE_URL`, each optional.
    pub fn from_env(sqs: aws_sdk_sqs::Client) -> Redelivery {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Redelivery::new(sqs, var("QUEUE_URL"), var("DEAD_LETTER_QUEUE_URL"))
    }

    pub fn new(
        sqs: aws_sdk_sqs::Client,
        queue_url: Option<String>,
        dead_letter_queue_url: Option<String>,
    ) -> Redelivery {
        Redelivery {
            sqs: Some(sqs),
            queue_url,
            dead_letter_queue_url,
        }
    }

    /// True when the failure was dealt with here, so the message is acknowledged.
    async fn settle(&self, message: &SqsMessage, failure: &MessageFailure) -> bool {
        let Some(sqs) = &self.sqs else {
            return false;
        };
        match failure.kind {
            FailureKind::Permanent => self.park(sqs, message, failure).await,
            FailureKind::Waiting => {
                self.delay(sqs, message).await;
                false
            }
            FailureKind::Transient => false,
        }
    }

    async fn park(
        &self,
        sqs: &aws_sdk_sqs::Client,
        message: &SqsMessage,
        failure: &MessageFailure,
    ) -> bool {
        let Some(dlq) = &self.dead_letter_queue_url else {
            return false;
        };
        let text = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .expect("data type and value are set")
        };
        let sent = sqs
            .send_message()
            .queue_url(dlq)
            .message_body(message.body.clone().unwrap_or_default())
            .message_attributes("failure_reason", text(&failure.reason))
            .message_attributes(
                "source_message_id",
                text(message.message_id.as_deref().unwrap_or("unknown")),
            )
            .send()
            .await;
        match sent {
            Ok(_) => true,
            Err(e) => {
                // The redrive policy still parks it, after maxReceiveCount receives.
                warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "could not send to the dead-letter queue");
                false
            }
        }
    }

    async fn delay(&self, sqs: &aws_sdk_sqs::Client, message: &SqsMessage) {
        let (Some(queue), Some(receipt)) = (&self.queue_url, &message.receipt_handle) else {
            return;
        };
        let receives = message
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|n| n.parse().ok())
            .unwrap_or(1);
        let delay = retry_delay_seconds(receives);
        let changed = sqs
            .change_message_visibility()
            .queue_url(queue)
            .receipt_handle(receipt)
            .visibility_timeout(delay as i32)
            .send()
            .await;
        if let Err(e) = changed {
            // It is retried after the queue's own visibility timeout instead.
            warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(&e), "could not delay the retry");
        }
    }
}

/// Runs `handle` on every message body concurrently and reports the failures to SQS.
pub async fn process_batch<F>(
    event: &SqsEvent,
    redelivery: &Redelivery,
    handle: F,
) -> SqsBatchResponse
where
    F: AsyncFn(&str) -> Result<(), MessageFailure>,
{
    let results = join_all(event.records.iter().map(|message| run(message, &handle))).await;
    let failures = event
        .records
        .iter()
        .zip(results)
        .filter_map(|(message, result)| Some((message, result.err()?)));
    settle_failures(failures, redelivery).await
}

/// Logs each failure, gives it its fate, and lists those SQS must deliver again.
pub async fn settle_failures<'a>(
    failures: impl IntoIterator<Item = (&'a SqsMessage, MessageFailure)>,
    redelivery: &Redelivery,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for (message, failure) in failures {
        let id = message.message_id.clone().unwrap_or_default();
        let settled = redelivery.settle(message, &failure).await;
        match failure.kind {
            FailureKind::Permanent if settled => {
                error!(message_id = %id, reason = %failure.reason, "message rejected; sent to the dead-letter queue")
            }
            FailureKind::Permanent => {
                error!(message_id = %id, reason = %failure.reason, "message rejected; it will reach the dead-letter queue")
            }
            _ => {
                warn!(message_id = %id, reason = %failure.reason, "message failed; SQS will retry it")
            }
        }
        if !settled {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_a_cap() {
        assert_eq!(retry_delay_seconds(1), 30);
        assert_eq!(retry_delay_seconds(2), 60);
        assert_eq!(retry_delay_seconds(5), 480);
        assert_eq!(retry_delay_seconds(6), 900);
        assert_eq!(retry_delay_seconds(1000), 900);
        assert_eq!(retry_delay_seconds(0), 30);
        // 12 receives: 30+60+120+240+480 then 900 six times.
        assert_eq!(retry_span_seconds(12), 930 + 900 * 6);
    }
}
