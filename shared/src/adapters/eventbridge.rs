//! Publishes Maskline's events to an EventBridge bus.

use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;

use crate::domain::events::{PublishedEvent, MASKLINE_SOURCE};
use crate::ports::{EventPublisher, PartlyPublished, PublishError};

/// The most entries one `PutEvents` takes.
pub const MAX_ENTRIES_PER_CALL: usize = 10;

#[derive(Clone, Debug)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        EventBridgePublisher {
            client,
            bus: bus.into(),
        }
    }

    fn entry(&self, event: &PublishedEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(MASKLINE_SOURCE)
            .detail_type(event.detail_type())
            .detail(event.detail().to_string())
            .build()
    }

    /// One `PutEvents` of up to [`MAX_ENTRIES_PER_CALL`] events; on failure, how many of them,
    /// from the first, are known to have gone out, and why the next did not.
    async fn put(&self, events: &[PublishedEvent]) -> Result<(), (usize, PublishError)> {
        let failed_at = |index: usize, source: anyhow::Error| {
            (
                index,
                PublishError {
                    detail_type: events[index].detail_type(),
                    source,
                },
            )
        };
        let output = self
            .client
            .put_events()
            .set_entries(Some(events.iter().map(|e| self.entry(e)).collect()))
            .send()
            .await
            .map_err(|e| {
                failed_at(
                    0,
                    anyhow::anyhow!("{}", aws_sdk_eventbridge::error::DisplayErrorContext(e)),
                )
            })?;
        // PutEvents succeeds as a call even when entries are refused: its result entries are in
        // the order of the request's, a refused one carrying an error code.
        if output.failed_entry_count() > 0 {
            let results = output.entries();
            let first = results
                .iter()
                .position(|e| e.error_code().is_some() || e.error_message().is_some())
                .unwrap_or(0)
                .min(events.len() - 1);
            let reason = results
                .get(first)
                .and_then(|e| e.error_message().or(e.error_code()))
                .unwrap_or("unknown error")
                .to_string();
            return Err(failed_at(first, anyhow::anyhow!("entry refused: {reason}")));
        }
        Ok(())
    }
}

#[async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, event: &PublishedEvent) -> Result<(), PublishError> {
        self.put(std::slice::from_ref(event))
            .await
            .map_err(|(_, error)| error)
    }

    async fn publish_all(&self, events: &[PublishedEvent]) -> Result<(), PartlyPublished> {
        let mut published = 0;
        for call in events.chunks(MAX_ENTRIES_PER_CALL) {
            if let Err((went_out, error)) = self.put(call).await {
                return Err(PartlyPublished {
                    published: published + went_out,
                    error,
                });
            }
            published += call.len();
        }
        Ok(())
    }
}
