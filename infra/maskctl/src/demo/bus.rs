//! The local bus on moto, as the order platform and the apps use it: order events go on the bus
//! (the template's rules route them to each function's queue, and the poller feeds the queues to
//! the functions), and what Maskline publishes is read back from the `<bus>-published` queue.

use anyhow::{anyhow, bail, Context};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde_json::Value;

use super::stack::Stack;

/// The source of the order platform's events, as the template's rules match it.
pub const ORDER_PLATFORM: &str = "orders";

impl Stack {
    /// Puts one order-platform event on the bus.
    pub async fn put_order_event(&self, detail_type: &str, detail: &Value) -> anyhow::Result<()> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(ORDER_PLATFORM)
            .detail_type(detail_type)
            .detail(detail.to_string())
            .build();
        let output = self
            .events
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(sdk)
            .with_context(|| format!("putting {detail_type} on the local bus {}", self.bus))?;
        // PutEvents succeeds as a call even when an entry is refused: check the entry itself.
        if output.failed_entry_count() > 0 {
            bail!(
                "the local bus {} refused the {detail_type} event: {:?}",
                self.bus,
                output.entries()
            );
        }
        Ok(())
    }

    pub fn published_queue(&self) -> String {
        format!("{}-published", self.bus)
    }

    /// Every event waiting on the published queue (raw EventBridge events), deleted once read.
    pub async fn drain_published(&self) -> anyhow::Result<Vec<String>> {
        let queue = self.published_queue();
        let url = self
            .sqs
            .get_queue_url()
            .queue_name(&queue)
            .send()
            .await
            .map_err(sdk)
            .with_context(|| format!("finding the queue {queue} on moto"))?
            .queue_url
            .with_context(|| format!("moto returned no URL for {queue}"))?;
        let mut events = Vec::new();
        loop {
            let messages = self
                .sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .map_err(sdk)
                .with_context(|| format!("reading {queue} on moto"))?
                .messages
                .unwrap_or_default();
            if messages.is_empty() {
                return Ok(events);
            }
            for message in messages {
                events.push(message.body.unwrap_or_default());
                if let Some(handle) = message.receipt_handle {
                    self.sqs
                        .delete_message()
                        .queue_url(&url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .map_err(sdk)
                        .with_context(|| format!("deleting a message from {queue}"))?;
                }
            }
        }
    }
}

/// The SDK's error with its causes on one line (its own `Display` says only "service error").
fn sdk(error: impl std::error::Error) -> anyhow::Error {
    anyhow!("{}", aws_sdk_sqs::error::DisplayErrorContext(error))
}
