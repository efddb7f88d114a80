//! A per-test EventBridge bus on moto, routed by a rule to an SQS queue we read back. Before
//! reading, the table's stream is drained through the `announce` handler (the outbox), so a test
//! sees the session events a consumer would.

use std::time::Duration;

use anyhow::Context;
use maskline::services::Announcer;
use serde_json::Value;

use crate::stream::TableStream;

pub struct PublishedEvents {
    pub bus_name: String,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    /// The table's stream and the announce use case run over it (set by the world, which wires
    /// announce as the function is wired).
    outbox: std::sync::OnceLock<(TableStream, Announcer)>,
}

/// Deliveries of a failing record before it is passed over (the event source mapping's
/// `MaximumRetryAttempts` is larger; a test world need not wait that long).
const RETRIES: usize = 2;

/// One event as a consumer of the bus receives it.
#[derive(Debug, Clone)]
pub struct Received {
    pub detail_type: String,
    pub source: String,
    pub detail: Value,
    /// The whole message body, for "no real number anywhere" checks.
    pub raw: String,
}

impl PublishedEvents {
    pub async fn create(
        config: &aws_config::SdkConfig,
        name: &str,
    ) -> anyhow::Result<PublishedEvents> {
        let events = aws_sdk_eventbridge::Client::new(config);
        let sqs = aws_sdk_sqs::Client::new(config);
        events
            .create_event_bus()
            .name(name)
            .send()
            .await
            .context("creating the event bus on moto")?;
        let queue_url = sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .context("creating the queue on moto")?
            .queue_url
            .context("moto returned no queue url")?;
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await?
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .context("queue has no ARN")?;
        events
            .put_rule()
            .name("all-maskline-events")
            .event_bus_name(name)
            .event_pattern(r#"{"source":["maskline"]}"#)
            .send()
            .await
            .context("creating the rule")?;
        events
            .put_targets()
            .rule("all-maskline-events")
            .event_bus_name(name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(queue_arn)
                    .build()?,
            )
            .send()
            .await
            .context("targeting the queue")?;
        Ok(PublishedEvents {
            bus_name: name.to_string(),
            sqs,
            queue_url,
            outbox: std::sync::OnceLock::new(),
        })
    }

    /// From now on [`PublishedEvents::read`] first announces what `stream` holds, with `announcer`.
    pub fn announce_from(&self, stream: TableStream, announcer: Announcer) {
        if self.outbox.set((stream, announcer)).is_err() {
            panic!("the world's outbox is set once");
        }
    }

    /// The table's stream, for tests that deliver it themselves.
    pub fn stream(&self) -> &TableStream {
        &self.outbox.get().expect("the world sets its outbox").0
    }

    /// Runs the announce handler over everything the stream holds (retrying a failed record, then
    /// passing it over as the event source mapping does); returns the records passed over.
    pub async fn announce_pending(&self) -> Vec<String> {
        match self.outbox.get() {
            Some((stream, announcer)) => stream.drain(announcer, RETRIES).await,
            None => Vec::new(),
        }
    }

    /// Reads events until `at_least` have arrived (or a few quiet seconds pass), then drains any
    /// stragglers so a test sees duplicates too.
    pub async fn read(&self, at_least: usize) -> Vec<Received> {
        self.announce_pending().await;
        let mut received = Vec::new();
        let mut quiet_polls = 0;
        while quiet_polls < if received.len() >= at_least { 1 } else { 6 } {
            let output = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(if received.len() >= at_least { 0 } else { 1 })
                .send()
                .await
                .expect("receive from moto");
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                quiet_polls += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            quiet_polls = 0;
            for message in messages {
                let raw = message.body.clone().unwrap_or_default();
                let envelope: Value = serde_json::from_str(&raw).expect("event is JSON");
                received.push(Received {
                    detail_type: envelope["detail-type"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    source: envelope["source"].as_str().unwrap_or_default().to_string(),
                    detail: envelope["detail"].clone(),
                    raw,
                });
                if let Some(handle) = message.receipt_handle {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .expect("delete from moto");
                }
            }
        }
        received
    }

    /// Takes whatever waits in the queue off it, unread, as its consumers would have. moto's SQS
    /// walks every message in the queue on each send, so a queue nobody reads makes each
    /// `PutEvents` slower than the last (measured: 0.10 s for a call of ten events to an empty
    /// queue, 0.34 s once 1,000 waited); the throughput bench empties it between rounds. (Not
    /// `PurgeQueue`: SQS allows one a minute.)
    pub async fn discard_waiting(&self) {
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("receive from moto");
            let handles: Vec<_> = received
                .messages
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.receipt_handle)
                .enumerate()
                .map(|(i, handle)| {
                    aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .receipt_handle(handle)
                        .build()
                        .expect("a delete entry")
                })
                .collect();
            if handles.is_empty() {
                return;
            }
            self.sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(handles))
                .send()
                .await
                .expect("delete from moto");
        }
    }

    /// Events of one type, in arrival order.
    pub async fn read_of_type(&self, detail_type: &str, at_least: usize) -> Vec<Received> {
        self.read(at_least)
            .await
            .into_iter()
            .filter(|e| e.detail_type == detail_type)
            .collect()
    }
}
